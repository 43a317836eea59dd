//! outcore's errors as the Python exceptions numexpr and PyTables raise for the same mistakes.

use outcore::ErrorKind as K;
use pyo3::exceptions::{PyFileNotFoundError, PyKeyError, PyRuntimeError, PySyntaxError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyType;

/// The Python exception for an outcore error: SyntaxError (with the caret message), KeyError
/// (unknown names and columns), TypeError, ValueError (shapes, ranges, unsupported
/// constructs), FileNotFoundError, and the classes of `outcore.exceptions`: NoSuchNodeError
/// HDF5ExtError and FileModeError (PyTables' names and bases), OperandTypeError (TypeError and
/// NotImplementedError) and UnsupportedSyntaxError (ValueError).
pub fn to_py(e: outcore::Error) -> PyErr {
    let msg = e.to_string();
    match e.kind() {
        K::Syntax => PySyntaxError::new_err(msg),
        K::UnknownName => PyKeyError::new_err(msg),
        // NumPy and numexpr: integers to negative integer powers are a ValueError.
        K::Type if msg.contains("negative integer powers") => PyValueError::new_err(msg),
        K::UnknownFunction => PyTypeError::new_err(msg),
        K::Type => custom("OperandTypeError", msg),
        // numexpr: "You can't use Python's standard boolean operators" is a TypeError.
        K::Unsupported if is_boolean_keyword(&e) => PyTypeError::new_err(msg),
        K::Unsupported if e.span().is_some() => custom("UnsupportedSyntaxError", msg),
        K::Shape | K::Range | K::Unsupported => PyValueError::new_err(msg),
        K::NotFound => PyFileNotFoundError::new_err(msg),
        K::NoNode => custom("NoSuchNodeError", msg),
        K::Storage => custom("HDF5ExtError", msg),
        K::ReadOnly => custom("FileModeError", msg),
        K::Internal => PyRuntimeError::new_err(msg),
    }
}

fn is_boolean_keyword(e: &outcore::Error) -> bool {
    e.span()
        .is_some_and(|(src, span)| matches!(src.get(span.start..span.end), Some("and" | "or" | "not" | "if" | "else")))
}

/// One of the exception classes of `outcore.exceptions`.
fn custom(name: &str, msg: String) -> PyErr {
    Python::attach(|py| {
        let class = py
            .import("outcore.exceptions")
            .and_then(|m| m.getattr(name))
            .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
        match class {
            Ok(c) => PyErr::from_type(c, msg),
            Err(_) => PyRuntimeError::new_err(msg),
        }
    })
}

/// `r.map_err(to_py)` for outcore results.
pub trait IntoPy<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, outcore::Error> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

impl<T> IntoPy<T> for Result<T, outcore::h5::Error> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(|e| to_py(e.into()))
    }
}
