//! outcore's expression language: numexpr's syntax and type rules, compiled to register bytecode.
//!
//! The stages, one module each: [`parse`] (text → [`ast`]), [`types`] (AST → [`typed`] AST with
//! numexpr's promotion rules), [`opt`] (constant folding, common subexpressions, power
//! specialisation), [`lower`] (typed AST → [`program::Program`], register bytecode over the op
//! table in [`ops`]), [`disasm`] (a program printed).

pub mod ast;
pub mod disasm;
pub mod dtype;
pub mod error;
pub mod lower;
pub mod ops;
pub mod opt;
pub mod parse;
pub mod program;
pub mod typed;
pub mod types;

pub use dtype::{DType, Value};
pub use error::{Error, ErrorKind, Span};
