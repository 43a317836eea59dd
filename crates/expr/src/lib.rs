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

pub use program::Program;
pub use typed::VarInfo;

/// Compiles an expression for variables of the given types: parse → check types → optimise →
/// lower to register bytecode.
///
/// ```
/// use outcore_expr::{compile, DType, VarInfo};
/// let vars = [VarInfo { name: "a".into(), dtype: DType::Float64, scalar: false }];
/// let program = compile("a*a + 1", &vars).unwrap();
/// assert_eq!(program.dtype(), DType::Float64);
/// ```
pub fn compile(src: &str, vars: &[VarInfo]) -> Result<Program, Error> {
    let ast = parse::parse(src)?;
    let typed = types::check(&ast, src, vars)?;
    let shape_inputs = lower::shape_inputs(&typed);
    let typed = opt::optimize(typed);
    lower::lower(&typed, src, vars, shape_inputs)
}
