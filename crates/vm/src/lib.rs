//! outcore's virtual machine: runs a compiled `Program` over fixed-size blocks with SIMD kernels.
//!
//! [`lanes`] wraps `wide`'s SIMD types behind one small trait; [`math`] holds the vectorised
//! transcendental functions and complex kernels; [`reduce`] the reduction kernels; [`kernels`]
//! the per-(op, dtype, operand kind) loops; [`exec`] runs a program over blocks on rayon workers.

use outcore_expr::for_each_op;

macro_rules! define_reduce_dispatch {
    ($( $(#[doc = $doc:literal])* $name:ident = $cat:ident($kop:ident) $tin:ident -> $tout:ident; )*) => {
        /// Calls `$arm!(element type, reducer)` for a reduction instruction.
        macro_rules! reduce_dispatch {
            ($op:expr, $arm:ident) => {
                match $op {
                    $( Op::$name => reduce_dispatch!(@$cat $arm, $tin, $kop), )*
                }
            };
            (@Reduce $arm:ident, $t:ident, $k:ident) => { $arm!($t, reduce::$k) };
            (@$other:ident $arm:ident, $t:ident, $k:ident) => { Err(VmError::BytesResult) };
        }
    };
}

for_each_op!(define_reduce_dispatch);

pub mod exec;
pub mod kernels;
pub mod lanes;
pub mod math;
pub mod reduce;
pub mod stream;

pub use exec::{evaluate, evaluate_into, Arg, Col, Config, OutMut, Output, Owned, Prepared, VmError, Worker};
pub use kernels::c128;
