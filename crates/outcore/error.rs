//! outcore's error: one enum over the layers below.

/// Anything that can go wrong in outcore.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad expression: the message shows it with a caret under the fault.
    #[error("{0}")]
    Expr(#[from] outcore_expr::Error),
    /// Inputs that do not fit the compiled expression (shapes, types, outputs).
    #[error("{0}")]
    Eval(#[from] outcore_vm::VmError),
    /// A variable bound in a way the expression cannot use.
    #[error("{0}")]
    Bind(String),
    /// The storage layer: the message names the file, the node and the chunk.
    #[error("{0}")]
    H5(#[from] outcore_h5::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
