//! The storage layer's error: every message names the file, and the node when there is one.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}: no such file")]
    NotFound { file: PathBuf },
    #[error("{file}: not an HDF5 file (or a damaged one): {msg}")]
    NotHdf5 { file: PathBuf, msg: String },
    #[error("{file}: unknown mode `{mode}` (use r, w, a or r+)")]
    Mode { file: PathBuf, mode: String },
    /// No node at a path; `near` is the closest existing path, when one is close.
    #[error("{file}: no node `{node}`{}", near.as_ref().map(|n| format!(" (did you mean `{n}`?)")).unwrap_or_default())]
    NoNode { file: PathBuf, node: String, near: Option<String> },
    #[error("{file}:{node}: {msg}")]
    Node { file: PathBuf, node: String, msg: String },
    #[error("{file}:{node}: chunk {chunk} is damaged: {msg}")]
    Chunk { file: PathBuf, node: String, chunk: String, msg: String },
    #[error("{file}: {msg}")]
    File { file: PathBuf, msg: String },
    /// A write through a handle opened read-only.
    #[error("{file}:{node}: the file is open read-only (mode r){hint}")]
    ReadOnly { file: PathBuf, node: String, hint: &'static str },
    #[error("corrupt chunk: {0}")]
    Decode(String),
}

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
    let why = match errno {
        libc::ENOSPC => "no space left on device",
        libc::EDQUOT => "disk quota exceeded",
        libc::EFBIG => "the file size limit is reached (ulimit -f)",
        libc::EIO => "input/output error",
        libc::EROFS => "read-only file system",
        _ => return what.to_string(),
    };
    format!("{what}: {why}")
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
}
