//! outcore: numexpr and PyTables' query engine, rebuilt in Rust.

pub use outcore_expr as expr;
pub use outcore_h5 as h5;
pub use outcore_vm as vm;
