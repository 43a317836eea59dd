//! outcore's virtual machine: runs a compiled `Program` over fixed-size blocks with SIMD kernels.
