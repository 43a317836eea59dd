//! outcore's virtual machine: runs a compiled `Program` over fixed-size blocks with SIMD kernels.
//!
//! [`lanes`] wraps `wide`'s SIMD types behind one small trait; [`math`] holds the vectorised
//! transcendental functions and complex kernels; [`reduce`] the reduction kernels; [`kernels`]
//! the per-(op, dtype, operand kind) loops; [`exec`] runs a program over blocks on rayon workers.

pub mod exec;
pub mod kernels;
pub mod lanes;
pub mod math;
pub mod reduce;

pub use exec::{evaluate, evaluate_into, Arg, Col, Config, OutMut, Output, Owned, Prepared, VmError, Worker};
pub use kernels::c128;
