//! The storage layer's error: every message names the file, and the node when there is one.

use std::path::PathBuf;

/// What went wrong, with the file (and the node, the chunk) it happened in. Every variant's
/// fields are what its message shows: `file` the file's path, `node` the node's path in it,
/// `msg` what the library or outcore found.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file does not exist.
    #[error("{file}: no such file")]
    NotFound { file: PathBuf },
    /// The file is not HDF5 (its signature is missing) or the library cannot open it.
    #[error("{file}: not an HDF5 file (or a damaged one): {msg}")]
    NotHdf5 { file: PathBuf, msg: String },
    /// A mode other than PyTables' `r`, `w`, `a` and `r+`.
    #[error("{file}: unknown mode `{mode}` (use r, w, a or r+)")]
    Mode { file: PathBuf, mode: String },
    /// No node at a path; `near` is the closest existing path, when one is close.
    #[error("{file}: no node `{node}`{}", near.as_ref().map(|n| format!(" (did you mean `{n}`?)")).unwrap_or_default())]
    NoNode { file: PathBuf, node: String, near: Option<String> },
    /// A node that cannot be read or written as asked.
    #[error("{file}:{node}: {msg}")]
    Node { file: PathBuf, node: String, msg: String },
    /// A chunk (`chunk`: its first element's coordinates) that does not decode.
    #[error("{file}:{node}: chunk {chunk} is damaged: {msg}")]
    Chunk { file: PathBuf, node: String, chunk: String, msg: String },
    /// The file as a whole (flushing, closing, its size).
    #[error("{file}: {msg}")]
    File { file: PathBuf, msg: String },
    /// A write through a handle opened read-only.
    #[error("{file}:{node}: the file is open read-only (mode r){hint}")]
    ReadOnly { file: PathBuf, node: String, hint: &'static str },
    /// Bytes that do not decode, before the chunk they came from is known.
    #[error("corrupt chunk: {0}")]
    Decode(String),
}

/// The storage layer's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Clears the thread's `errno`, before a library call whose failure [`failed`] explains.
pub(crate) fn clear_errno() {
    // Safety: the thread's own errno.
    unsafe { *libc::__errno_location() = 0 };
}

/// `what` failed, with what the operating system said, when it said something a user can act
/// on: a full disk, a quota, the file size limit, an I/O error. `errno` is read as the failed
/// call left it (see [`clear_errno`]).
pub(crate) fn failed(what: impl std::fmt::Display) -> String {
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    match cause(errno) {
        Some(why) => format!("{what}: {why}"),
        None => what.to_string(),
    }
}

/// What a system error that stops a write means, in words.
fn cause(errno: i32) -> Option<&'static str> {
    Some(match errno {
        libc::ENOSPC => "no space left on device",
        libc::EDQUOT => "disk quota exceeded",
        libc::EFBIG => "the file size limit is reached (ulimit -f)",
        libc::EIO => "input/output error",
        libc::EROFS => "read-only file system",
        _ => return None,
    })
}

/// The library's message of a failed file write (`... file write failed: time = ...,
/// errno = 28, error message = ...`), cut to what failed and why in words.
pub(crate) fn tidy(msg: String) -> String {
    let Some(at) = msg.find(", errno = ") else { return msg };
    let errno: i32 = msg[at + 10..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0);
    let Some(why) = cause(errno) else { return msg };
    let head = msg.split(": time = ").next().unwrap_or(&msg).trim_end();
    format!("{head}: {why}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn failures_say_what_the_system_said() {
        super::clear_errno();
        assert_eq!(super::failed("H5Dwrite failed"), "H5Dwrite failed");
        // Safety: the thread's own errno.
        unsafe { *libc::__errno_location() = libc::ENOSPC };
        assert_eq!(super::failed("H5Dwrite failed"), "H5Dwrite failed: no space left on device");
    }

    #[test]
    fn library_messages_of_full_disks_are_cut_to_the_cause() {
        let m = "H5Dwrite(): can't write data: file write failed: time = Fri Dec  4 2026\n, filename = 'x.h5', \
                 file descriptor = 3, errno = 28, error message = 'No space left on device', buf = 0x1";
        assert_eq!(super::tidy(m.into()), "H5Dwrite(): can't write data: file write failed: no space left on device");
        assert_eq!(super::tidy("H5Dcreate failed".into()), "H5Dcreate failed");
    }
}
