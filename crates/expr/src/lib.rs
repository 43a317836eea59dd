//! outcore's expression language: numexpr's syntax and type rules, compiled to register bytecode.

pub mod dtype;
pub mod error;
pub mod typed;

pub use dtype::{DType, Value};
pub use error::{Error, ErrorKind, Span};
