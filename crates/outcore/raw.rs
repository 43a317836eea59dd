//! The layers under the API, for tools built on outcore's internals (the `outcore` command,
//! the fuzz targets, benchmarks): the expression compiler, the block VM and its kernels, and
//! the benchmark file's writer. Not part of the API's promises; they change with the engine.

pub mod bench_file;
pub use outcore_expr as expr;
pub use outcore_vm as vm;
