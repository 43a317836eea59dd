//! outcore's error: one enum over the layers below, and a kind a caller can match on.

/// Anything that can go wrong in outcore. [`Error::kind`] says which sort of failure it is;
/// the message names what it is about (the expression with a caret, or the file, node and
/// chunk).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad expression: the message shows it with a caret under the fault.
    #[error("{0}")]
    Expr(#[from] outcore_expr::Error),
    /// Inputs that do not fit the compiled expression (shapes, types, outputs).
    #[error("{0}")]
    Eval(#[from] outcore_vm::VmError),
    /// A call the library cannot carry out as asked: a bad name, column, range, type or output.
    #[error("{msg}")]
    Invalid {
        /// Which sort of failure.
        kind: ErrorKind,
        /// What went wrong and where.
        msg: String,
    },
    /// The storage layer: the message names the file, the node and the chunk.
    #[error("{0}")]
    H5(#[from] outcore_h5::Error),
}

/// The sort of an [`Error`], for callers that react differently to each (the Python package
/// maps them one to one onto SyntaxError, KeyError, TypeError, ValueError, IndexError and
/// OSError).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The expression does not parse, or is too long or deep.
    Syntax,
    /// A name no variable binds, or a column or field the table does not have.
    UnknownName,
    /// A function the language does not have.
    UnknownFunction,
    /// Operand, column or output types that do not fit, or a call with the wrong arity.
    Type,
    /// Shapes that do not broadcast, lengths that differ, an output of the wrong size.
    Shape,
    /// A value outside what is allowed: a range's step, an axis, a row number.
    Range,
    /// Something a value or a file asks for that outcore does not do.
    Unsupported,
    /// No such file.
    NotFound,
    /// No such node in a file.
    NoNode,
    /// A file, node or chunk that cannot be read or written (damaged, not HDF5).
    Storage,
    /// A write through a file opened read-only.
    ReadOnly,
    /// A bug in outcore: the message says where.
    Internal,
}

impl Error {
    /// A failure of the given kind with its message.
    pub fn new(kind: ErrorKind, msg: impl Into<String>) -> Error {
        Error::Invalid { kind, msg: msg.into() }
    }

    pub(crate) fn type_(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Type, msg)
    }

    pub(crate) fn name(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::UnknownName, msg)
    }

    pub(crate) fn shape(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Shape, msg)
    }

    pub(crate) fn range(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Range, msg)
    }

    pub(crate) fn internal(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, format!("internal: {}", msg.into()))
    }

    /// Which sort of failure this is.
    pub fn kind(&self) -> ErrorKind {
        use outcore_expr::ErrorKind as E;
        use outcore_vm::VmError as V;
        match self {
            Error::Expr(e) => match e.kind {
                E::Syntax(_) | E::Limit(_) => ErrorKind::Syntax,
                E::UnknownName { .. } => ErrorKind::UnknownName,
                E::UnknownFunction { .. } => ErrorKind::UnknownFunction,
                E::Arity { .. } | E::Type(_) => ErrorKind::Type,
                E::Unsupported(_) => ErrorKind::Unsupported,
                _ => ErrorKind::Syntax,
            },
            Error::Eval(e) => match e {
                V::InputCount { .. } => ErrorKind::Internal,
                V::InputType { .. } | V::BytesResult => ErrorKind::Type,
                V::InputLength { .. } | V::Broadcast { .. } | V::Output { .. } | V::EmptyReduction { .. } => {
                    ErrorKind::Shape
                }
                V::Axis { .. } => ErrorKind::Range,
            },
            Error::Invalid { kind, .. } => *kind,
            Error::H5(e) => match e {
                outcore_h5::Error::NotFound { .. } => ErrorKind::NotFound,
                outcore_h5::Error::NoNode { .. } => ErrorKind::NoNode,
                outcore_h5::Error::Mode { .. } => ErrorKind::Range,
                outcore_h5::Error::ReadOnly { .. } => ErrorKind::ReadOnly,
                _ => ErrorKind::Storage,
            },
        }
    }

    /// The expression and the byte span of the fault, for errors in an expression.
    pub fn span(&self) -> Option<(&str, outcore_expr::Span)> {
        match self {
            Error::Expr(e) => Some((&e.expr, e.span)),
            _ => None,
        }
    }
}

impl Clone for Error {
    fn clone(&self) -> Error {
        match self {
            Error::Expr(x) => Error::Expr(x.clone()),
            Error::Eval(x) => Error::Eval(x.clone()),
            Error::Invalid { kind, msg } => Error::Invalid { kind: *kind, msg: msg.clone() },
            Error::H5(e) => Error::Invalid { kind: self.kind(), msg: e.to_string() },
        }
    }
}

/// outcore's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_layer_and_the_fault() {
        let e: Error = outcore_expr::compile("a +", &[]).unwrap_err().into();
        assert_eq!(e.kind(), ErrorKind::Syntax);
        assert!(e.span().is_some());
        let e: Error = outcore_expr::compile("b + 1", &[]).unwrap_err().into();
        assert_eq!(e.kind(), ErrorKind::UnknownName);
        assert_eq!(e.to_string().lines().next(), Some("error: unknown name `b`"));
        let e: Error = outcore_vm::VmError::Axis { axis: 3, ndim: 1 }.into();
        assert_eq!(e.kind(), ErrorKind::Range);
        let e = Error::range("a range's step must be positive, not 0");
        assert_eq!((e.kind(), e.to_string().as_str()), (ErrorKind::Range, "a range's step must be positive, not 0"));
        let e: Error = outcore_h5::Error::NoNode { file: "f.h5".into(), node: "/x".into(), near: None }.into();
        assert_eq!((e.kind(), e.clone().kind()), (ErrorKind::NoNode, ErrorKind::NoNode));
        assert_eq!(Error::internal("mask").to_string(), "internal: mask");
    }
}
