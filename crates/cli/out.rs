//! Standard output for every command: one buffer (no system call per line), and a closed pipe
//! (`outcore ... | head`) ends the command quietly with status 0, as other Unix tools do.

use std::io::{BufWriter, ErrorKind, Stdout, Write};
use std::sync::{LazyLock, Mutex};

static OUT: LazyLock<Mutex<BufWriter<Stdout>>> =
    LazyLock::new(|| Mutex::new(BufWriter::with_capacity(1 << 16, std::io::stdout())));

/// Writes formatted text to standard output (see [`outln!`]).
pub fn write(args: std::fmt::Arguments<'_>, newline: bool) {
    let mut w = OUT.lock().unwrap_or_else(|p| p.into_inner());
    let r = w.write_fmt(args).and_then(|()| if newline { w.write_all(b"\n") } else { Ok(()) });
    if let Err(e) = r {
        failed(e);
    }
}

/// Writes what is buffered; called before the command exits.
pub fn flush() {
    let mut w = OUT.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(e) = w.flush() {
        failed(e);
    }
}

/// A closed pipe ends the command with status 0; any other failure to write is status 1.
fn failed(e: std::io::Error) -> ! {
    if e.kind() == ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: writing to standard output: {e}");
    std::process::exit(1);
}

/// `println!` into the command's buffered standard output.
macro_rules! outln {
    ($($t:tt)*) => { $crate::out::write(format_args!($($t)*), true) };
}

/// `print!` into the command's buffered standard output.
macro_rules! out {
    ($($t:tt)*) => { $crate::out::write(format_args!($($t)*), false) };
}
