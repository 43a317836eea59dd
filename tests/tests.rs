//! outcore's integration tests, one module per topic.

mod api;
mod cli;
mod crash;
mod full_disk;
mod fuzz_replay;
mod hostile;
mod indexes;
mod limits;
mod mutations;
mod numexpr_diff;
mod numexpr_fixtures;
mod ooc;
mod query;
mod read_cmd;
mod reads;
mod repack;
mod stats;
mod tutorial;

/// A child process that inherits none of this process's files but its standard streams.
/// The tests run in parallel threads; without this, a child forked while another test has an
/// HDF5 file open (the library opens without close-on-exec, and sets it a moment later) would
/// hold that file, and its lock, for as long as it runs.
pub(crate) fn command(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(program);
    // Safety: between fork and exec only the close_range system call runs (async-signal-safe).
    // CLOSE_RANGE_CLOEXEC (4) marks the files close-on-exec rather than closing them, so the
    // standard library's own exec-error pipe still works.
    unsafe {
        cmd.pre_exec(|| {
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 4u32);
            Ok(())
        });
    }
    cmd
}

/// splitmix64: the same cases on every run.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Runs the `outcore` binary: its exit status, standard output and standard error.
pub(crate) fn run_outcore(args: &[&str]) -> (i32, String, String) {
    let out = command(env!("CARGO_BIN_EXE_outcore")).args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a Python script with `py`; its standard output (a failure shows both streams).
pub(crate) fn run_python(py: &std::path::Path, script: &str) -> String {
    let out = command(py).args(["-c", script]).output().expect("python runs");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the `outcore` binary with its output to a pipe that is closed after the first line (as
/// `| head -1` does): the command must end quietly, with status 0 and nothing on stderr.
pub(crate) fn ends_quietly_when_the_pipe_closes(args: &[&str]) {
    use std::io::{BufRead, BufReader};
    let mut child = command(env!("CARGO_BIN_EXE_outcore"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(!first.is_empty(), "{args:?}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
}
