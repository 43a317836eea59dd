//! Crash safety: the `outcore` command killed with SIGKILL at random points while it appends
//! query results to a table and while it writes an expression's output. Afterwards the
//! destination either opens and holds a prefix of the rows (or, for an expression's output,
//! chunks of right values and never-written chunks), or is rejected with a clear error; the
//! source is never changed. PyTables reads every destination outcore reads, with the same rows
//! and values (when a Python with PyTables is there). `OUTCORE_CRASH_RUNS` sets the number of kills per case
//! (default 10; the note's figures come from 50).

use std::process::Stdio;
use std::time::Duration;

use outcore::h5::{File, Mode};
use outcore::{RowRange, Table};

const COND: &str = "(col1 < 50) | (col2 > 50)";

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("outcore-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn runs() -> usize {
    std::env::var("OUTCORE_CRASH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(10)
}

fn digest(path: &std::path::Path) -> u64 {
    let bytes = std::fs::read(path).expect("reads");
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// Starts the command and kills it after `delay`; returns whether it had finished first.
fn run_and_kill(args: &[&str], delay: Duration) -> bool {
    let mut child = crate::command(env!("CARGO_BIN_EXE_outcore"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    std::thread::sleep(delay);
    let finished = matches!(child.try_wait(), Ok(Some(_)));
    let _ = child.kill();
    let _ = child.wait();
    finished
}

fn delays(seed: u64, n: usize, max_ms: u64) -> Vec<Duration> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            Duration::from_millis(1 + (x >> 33) % max_ms)
        })
        .collect()
}

/// PyTables reads each `(FILE:NODE, rows, sum)` that outcore read, and sees the same rows and
/// sum (of column col2 for a table, of all values for an array).
fn pytables_agrees(seen: &[(String, usize, f64)]) {
    let Some(py) = crate::cli::peers_python() else {
        eprintln!("skipping the PyTables half: no Python with PyTables (set OUTCORE_PEERS_PYTHON)");
        return;
    };
    if seen.is_empty() {
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/check_killed_outputs.py");
    let out = crate::command(py).arg(script).args(seen.iter().map(|s| &s.0)).output().expect("runs");
    assert!(out.status.success(), "PyTables: {}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(lines.len(), seen.len());
    for ((arg, rows, sum), got) in seen.iter().zip(&lines) {
        assert_eq!(got["ok"], true, "PyTables cannot read {arg}, which outcore reads: {}", got["error"]);
        assert_eq!(got["rows"].as_u64(), Some(*rows as u64), "{arg}");
        let theirs = got["sum"].as_f64().expect("sum");
        assert!((theirs - sum).abs() <= 1e-9 * sum.abs().max(1.0), "{arg}: PyTables sums {theirs}, outcore {sum}");
    }
}

fn source(name: &str) -> (std::path::PathBuf, u64) {
    let src = scratch(&format!("source-{name}.h5"));
    if !src.exists() {
        outcore::raw::bench_file::write(&src, 1_000_000, Some(&outcore::h5::Filters::zlib(5))).expect("source");
    }
    let d = digest(&src);
    (src, d)
}

#[test]
fn killed_appends_leave_a_prefix_or_a_clear_error() {
    let (src, before) = source("append");
    let want = {
        let f = File::open(&src, Mode::Read).unwrap();
        Table::open(&f, "/t").unwrap().read_where(COND, &[], None, RowRange::default()).unwrap()
    };
    let (mut prefixes, mut rejected, mut finished) = (0, 0, 0);
    let mut seen = Vec::new();
    for (k, delay) in delays(11, runs(), 500).into_iter().enumerate() {
        let dest = scratch(&format!("append-{k}.h5"));
        let _ = std::fs::remove_file(&dest);
        let done = run_and_kill(
            &["query", &format!("{}:/t", src.display()), COND, "--append-to", &format!("{}:/dest", dest.display())],
            delay,
        );
        finished += done as usize;
        match File::open(&dest, Mode::Read).and_then(|f| f.leaf("/dest")) {
            Ok(leaf) => {
                let got = leaf.read_bytes().expect("an opened table reads");
                assert!(got.len() <= want.data.len(), "run {k}: more rows than the query finds");
                assert_eq!(&got[..], &want.data[..got.len()], "run {k}: not a prefix");
                if done {
                    assert_eq!(got.len(), want.data.len(), "run {k}: finished but short");
                }
                let col2: f64 = got.chunks_exact(28).map(|r| f64::from_ne_bytes(r[4..12].try_into().unwrap())).sum();
                seen.push((format!("{}:/dest", dest.display()), got.len() / 28, col2));
                prefixes += 1;
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                assert!(!done, "run {k}: finished, yet the result does not open: {e}");
                rejected += 1;
            }
        }
        assert_eq!(digest(&src), before, "run {k}: the source changed");
    }
    eprintln!("append: {prefixes} prefixes ({finished} finished), {rejected} rejected with an error");
    pytables_agrees(&seen);
}

#[test]
fn killed_expression_outputs_hold_right_or_unwritten_chunks() {
    let (src, before) = source("expr");
    let want: Vec<f64> = {
        let f = File::open(&src, Mode::Read).unwrap();
        let r = outcore::Expr::new("a*b+c").unwrap().bind_group(&f.root().unwrap()).unwrap().eval().unwrap();
        r.into_f64().unwrap().iter().copied().collect()
    };
    let (mut readable, mut rejected) = (0, 0);
    let mut seen = Vec::new();
    for (k, delay) in delays(23, runs(), 130).into_iter().enumerate() {
        let dest = scratch(&format!("expr-{k}.h5"));
        let _ = std::fs::remove_file(&dest);
        let done =
            run_and_kill(&["eval", &src.to_string_lossy(), "a*b+c", "--out", &format!("{}:/r", dest.display())], delay);
        match File::open(&dest, Mode::Read).and_then(|f| f.leaf("/r")).and_then(|l| l.read_array::<f64>()) {
            Ok(got) => {
                assert_eq!(got.len(), want.len());
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert!(g == w || *g == 0.0, "run {k}: row {i} holds {g}, neither {w} nor unwritten");
                }
                if done {
                    assert!(got.iter().zip(&want).all(|(g, w)| g == w), "run {k}: finished but incomplete");
                }
                seen.push((format!("{}:/r", dest.display()), got.len(), got.iter().sum()));
                readable += 1;
            }
            Err(e) => {
                assert!(!done, "run {k}: finished, yet the output does not open: {e}");
                rejected += 1;
            }
        }
        assert_eq!(digest(&src), before, "run {k}: the source changed");
    }
    eprintln!("eval --out: {readable} readable, {rejected} rejected with an error");
    pytables_agrees(&seen);
}
