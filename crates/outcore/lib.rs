#![deny(missing_docs)]
//! outcore: numexpr and PyTables' query engine, rebuilt in Rust.
//!
//! Compile an expression once, bind arrays, slices and scalars to its names, and evaluate it
//! in parallel blocks with SIMD kernels:
//!
//! ```
//! use ndarray::Array1;
//! let a = Array1::linspace(0.0, 1.0, 1000);
//! let b = Array1::linspace(1.0, 2.0, 1000);
//! let expr = outcore::Expr::new("where(a > 0.5, sqrt(a), b**3)")?.bind("a", &a)?.bind("b", &b)?;
//! let r = expr.eval()?;
//! assert_eq!(r.shape(), &[1000]);
//! let total = outcore::Expr::new("sum(a*b)")?.bind("a", &a)?.bind("b", &b)?.eval()?;
//! assert!(total.as_scalar().is_some());
//! # Ok::<(), outcore::Error>(())
//! ```

mod array;
mod compiled;
mod error;
mod expr;
mod field;
mod indexes;
mod ooc;
mod query;
pub mod raw;
mod source;
mod stream;
mod zones;

pub use array::{Array, ArrayRef, BytesArray, IntoOperand, Operand};
pub use compiled::Compiled;
pub use error::{Error, ErrorKind, Result};
pub use expr::{evaluate, names, Blocks, Expr, ExprInto, OutputTarget};
pub use field::{FieldValue, Mismatch};
pub use indexes::IndexUse;
pub use ooc::RowRange;
pub use outcore_expr::{DType, Error as ExprError, Span, Value, VarInfo};
pub use outcore_h5 as h5;
pub use outcore_vm::VmError;
pub use query::{Batches, NewRow, Records, Row, RowIter, Rows, Table};
pub use source::H5Operand;
pub use stream::Progress;
pub use zones::{Explain, Statistics};
