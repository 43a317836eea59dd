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
