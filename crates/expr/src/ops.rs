//! The instruction set: one table, [`for_each_op!`], from which the `Op` enum, its names and
//! signatures, the disassembler and the virtual machine's dispatch are all generated, so they
//! cannot drift apart.
//!
//! Each entry reads `name = Category(Operation) input_type -> output_type;`. The operation names
//! the kernel (`outcore_vm::kernels::ops::Add`...), the category how the VM calls it:
//! `Unary`/`Binary` elementwise, `Where` (bool condition, two values), `Cast` (widening),
//! `BytesCmp`/`BytesContains` on fixed-length byte strings, `Reduce` (a block's partial result).
//! Types are `bool i32 i64 f32 f64 c128 bytes`.

use crate::dtype::DType;
use crate::typed::{BinOp, Func, RedOp, UnOp};

/// Calls `$m!` with the whole instruction table.
#[macro_export]
macro_rules! for_each_op {
    ($m:ident) => {
        $m! {
            /// `-a`
            neg_i32       = Unary(Neg) i32 -> i32;
            /// `-a`
            neg_i64       = Unary(Neg) i64 -> i64;
            /// `-a`
            neg_f32       = Unary(Neg) f32 -> f32;
            /// `-a`
            neg_f64       = Unary(Neg) f64 -> f64;
            /// `-a`
            neg_c128      = Unary(Neg) c128 -> c128;
            /// `~a`: logical not on bool, bitwise not on integers
            invert_b      = Unary(Invert) bool -> bool;
            /// `~a`: logical not on bool, bitwise not on integers
            invert_i32    = Unary(Invert) i32 -> i32;
            /// `~a`: logical not on bool, bitwise not on integers
            invert_i64    = Unary(Invert) i64 -> i64;
            /// `a + b`
            add_i32       = Binary(Add) i32 -> i32;
            /// `a + b`
            add_i64       = Binary(Add) i64 -> i64;
            /// `a + b`
            add_f32       = Binary(Add) f32 -> f32;
            /// `a + b`
            add_f64       = Binary(Add) f64 -> f64;
            /// `a + b`
            add_c128      = Binary(Add) c128 -> c128;
            /// `a - b`
            sub_i32       = Binary(Sub) i32 -> i32;
            /// `a - b`
            sub_i64       = Binary(Sub) i64 -> i64;
            /// `a - b`
            sub_f32       = Binary(Sub) f32 -> f32;
            /// `a - b`
            sub_f64       = Binary(Sub) f64 -> f64;
            /// `a - b`
            sub_c128      = Binary(Sub) c128 -> c128;
            /// `a * b`
            mul_i32       = Binary(Mul) i32 -> i32;
            /// `a * b`
            mul_i64       = Binary(Mul) i64 -> i64;
            /// `a * b`
            mul_f32       = Binary(Mul) f32 -> f32;
            /// `a * b`
            mul_f64       = Binary(Mul) f64 -> f64;
            /// `a * b`
            mul_c128      = Binary(Mul) c128 -> c128;
            /// `a / b` (true division)
            div_f32       = Binary(Div) f32 -> f32;
            /// `a / b` (true division)
            div_f64       = Binary(Div) f64 -> f64;
            /// `a / b` (true division)
            div_c128      = Binary(Div) c128 -> c128;
            /// `a // b`: Python's floor division (integers: `x // 0 == 0`)
            floordiv_i32  = Binary(FloorDiv) i32 -> i32;
            /// `a // b`: Python's floor division (integers: `x // 0 == 0`)
            floordiv_i64  = Binary(FloorDiv) i64 -> i64;
            /// `a // b`: Python's floor division (integers: `x // 0 == 0`)
            floordiv_f32  = Binary(FloorDiv) f32 -> f32;
            /// `a // b`: Python's floor division (integers: `x // 0 == 0`)
            floordiv_f64  = Binary(FloorDiv) f64 -> f64;
            /// `a % b`: Python's modulo, the sign of the divisor (integers: `x % 0 == 0`)
            mod_i32       = Binary(Mod) i32 -> i32;
            /// `a % b`: Python's modulo, the sign of the divisor (integers: `x % 0 == 0`)
            mod_i64       = Binary(Mod) i64 -> i64;
            /// `a % b`: Python's modulo, the sign of the divisor (integers: `x % 0 == 0`)
            mod_f32       = Binary(Mod) f32 -> f32;
            /// `a % b`: Python's modulo, the sign of the divisor (integers: `x % 0 == 0`)
            mod_f64       = Binary(Mod) f64 -> f64;
            /// `a ** b`
            pow_i32       = Binary(Pow) i32 -> i32;
            /// `a ** b`
            pow_i64       = Binary(Pow) i64 -> i64;
            /// `a ** b`
            pow_f32       = Binary(Pow) f32 -> f32;
            /// `a ** b`
            pow_f64       = Binary(Pow) f64 -> f64;
            /// `a ** b`
            pow_c128      = Binary(Pow) c128 -> c128;
            /// `a & b`
            and_b         = Binary(And) bool -> bool;
            /// `a & b`
            and_i32       = Binary(And) i32 -> i32;
            /// `a & b`
            and_i64       = Binary(And) i64 -> i64;
            /// `a | b`
            or_b          = Binary(Or) bool -> bool;
            /// `a | b`
            or_i32        = Binary(Or) i32 -> i32;
            /// `a | b`
            or_i64        = Binary(Or) i64 -> i64;
            /// `a ^ b`
            xor_b         = Binary(Xor) bool -> bool;
            /// `a ^ b`
            xor_i32       = Binary(Xor) i32 -> i32;
            /// `a ^ b`
            xor_i64       = Binary(Xor) i64 -> i64;
            /// `a << b`
            shl_i32       = Binary(Shl) i32 -> i32;
            /// `a << b`
            shl_i64       = Binary(Shl) i64 -> i64;
            /// `a >> b`
            shr_i32       = Binary(Shr) i32 -> i32;
            /// `a >> b`
            shr_i64       = Binary(Shr) i64 -> i64;
            /// `a == b`
            eq_b          = Binary(Eq) bool -> bool;
            /// `a == b`
            eq_i32        = Binary(Eq) i32 -> bool;
            /// `a == b`
            eq_i64        = Binary(Eq) i64 -> bool;
            /// `a == b`
            eq_f32        = Binary(Eq) f32 -> bool;
            /// `a == b`
            eq_f64        = Binary(Eq) f64 -> bool;
            /// `a == b`
            eq_c128       = Binary(Eq) c128 -> bool;
            /// `a != b`
            ne_b          = Binary(Ne) bool -> bool;
            /// `a != b`
            ne_i32        = Binary(Ne) i32 -> bool;
            /// `a != b`
            ne_i64        = Binary(Ne) i64 -> bool;
            /// `a != b`
            ne_f32        = Binary(Ne) f32 -> bool;
            /// `a != b`
            ne_f64        = Binary(Ne) f64 -> bool;
            /// `a != b`
            ne_c128       = Binary(Ne) c128 -> bool;
            /// `a < b`
            lt_b          = Binary(Lt) bool -> bool;
            /// `a < b`
            lt_i32        = Binary(Lt) i32 -> bool;
            /// `a < b`
            lt_i64        = Binary(Lt) i64 -> bool;
            /// `a < b`
            lt_f32        = Binary(Lt) f32 -> bool;
            /// `a < b`
            lt_f64        = Binary(Lt) f64 -> bool;
            /// `a <= b`
            le_b          = Binary(Le) bool -> bool;
            /// `a <= b`
            le_i32        = Binary(Le) i32 -> bool;
            /// `a <= b`
            le_i64        = Binary(Le) i64 -> bool;
            /// `a <= b`
            le_f32        = Binary(Le) f32 -> bool;
            /// `a <= b`
            le_f64        = Binary(Le) f64 -> bool;
            /// `a > b`
            gt_b          = Binary(Gt) bool -> bool;
            /// `a > b`
            gt_i32        = Binary(Gt) i32 -> bool;
            /// `a > b`
            gt_i64        = Binary(Gt) i64 -> bool;
            /// `a > b`
            gt_f32        = Binary(Gt) f32 -> bool;
            /// `a > b`
            gt_f64        = Binary(Gt) f64 -> bool;
            /// `a >= b`
            ge_b          = Binary(Ge) bool -> bool;
            /// `a >= b`
            ge_i32        = Binary(Ge) i32 -> bool;
            /// `a >= b`
            ge_i64        = Binary(Ge) i64 -> bool;
            /// `a >= b`
            ge_f32        = Binary(Ge) f32 -> bool;
            /// `a >= b`
            ge_f64        = Binary(Ge) f64 -> bool;
            /// `a == b`
            eq_s          = BytesCmp(Eq) bytes -> bool;
            /// `a != b`
            ne_s          = BytesCmp(Ne) bytes -> bool;
            /// `a < b`
            lt_s          = BytesCmp(Lt) bytes -> bool;
            /// `a <= b`
            le_s          = BytesCmp(Le) bytes -> bool;
            /// `a > b`
            gt_s          = BytesCmp(Gt) bytes -> bool;
            /// `a >= b`
            ge_s          = BytesCmp(Ge) bytes -> bool;
            /// `contains(a, b)`: whether `b` occurs in `a`
            contains_s    = BytesContains(Contains) bytes -> bool;
            /// `sqrt(a)`
            sqrt_f32      = Unary(Sqrt) f32 -> f32;
            /// `sqrt(a)`
            sqrt_f64      = Unary(Sqrt) f64 -> f64;
            /// `sqrt(a)`
            sqrt_c128     = Unary(Sqrt) c128 -> c128;
            /// `sin(a)`
            sin_f32       = Unary(Sin) f32 -> f32;
            /// `sin(a)`
            sin_f64       = Unary(Sin) f64 -> f64;
            /// `sin(a)`
            sin_c128      = Unary(Sin) c128 -> c128;
            /// `cos(a)`
            cos_f32       = Unary(Cos) f32 -> f32;
            /// `cos(a)`
            cos_f64       = Unary(Cos) f64 -> f64;
            /// `cos(a)`
            cos_c128      = Unary(Cos) c128 -> c128;
            /// `tan(a)`
            tan_f32       = Unary(Tan) f32 -> f32;
            /// `tan(a)`
            tan_f64       = Unary(Tan) f64 -> f64;
            /// `tan(a)`
            tan_c128      = Unary(Tan) c128 -> c128;
            /// `arcsin(a)`
            arcsin_f32    = Unary(Arcsin) f32 -> f32;
            /// `arcsin(a)`
            arcsin_f64    = Unary(Arcsin) f64 -> f64;
            /// `arcsin(a)`
            arcsin_c128   = Unary(Arcsin) c128 -> c128;
            /// `arccos(a)`
            arccos_f32    = Unary(Arccos) f32 -> f32;
            /// `arccos(a)`
            arccos_f64    = Unary(Arccos) f64 -> f64;
            /// `arccos(a)`
            arccos_c128   = Unary(Arccos) c128 -> c128;
            /// `arctan(a)`
            arctan_f32    = Unary(Arctan) f32 -> f32;
            /// `arctan(a)`
            arctan_f64    = Unary(Arctan) f64 -> f64;
            /// `arctan(a)`
            arctan_c128   = Unary(Arctan) c128 -> c128;
            /// `sinh(a)`
            sinh_f32      = Unary(Sinh) f32 -> f32;
            /// `sinh(a)`
            sinh_f64      = Unary(Sinh) f64 -> f64;
            /// `sinh(a)`
            sinh_c128     = Unary(Sinh) c128 -> c128;
            /// `cosh(a)`
            cosh_f32      = Unary(Cosh) f32 -> f32;
            /// `cosh(a)`
            cosh_f64      = Unary(Cosh) f64 -> f64;
            /// `cosh(a)`
            cosh_c128     = Unary(Cosh) c128 -> c128;
            /// `tanh(a)`
            tanh_f32      = Unary(Tanh) f32 -> f32;
            /// `tanh(a)`
            tanh_f64      = Unary(Tanh) f64 -> f64;
            /// `tanh(a)`
            tanh_c128     = Unary(Tanh) c128 -> c128;
            /// `arcsinh(a)`
            arcsinh_f32   = Unary(Arcsinh) f32 -> f32;
            /// `arcsinh(a)`
            arcsinh_f64   = Unary(Arcsinh) f64 -> f64;
            /// `arcsinh(a)`
            arcsinh_c128  = Unary(Arcsinh) c128 -> c128;
            /// `arccosh(a)`
            arccosh_f32   = Unary(Arccosh) f32 -> f32;
            /// `arccosh(a)`
            arccosh_f64   = Unary(Arccosh) f64 -> f64;
            /// `arccosh(a)`
            arccosh_c128  = Unary(Arccosh) c128 -> c128;
            /// `arctanh(a)`
            arctanh_f32   = Unary(Arctanh) f32 -> f32;
            /// `arctanh(a)`
            arctanh_f64   = Unary(Arctanh) f64 -> f64;
            /// `arctanh(a)`
            arctanh_c128  = Unary(Arctanh) c128 -> c128;
            /// `log(a)`
            log_f32       = Unary(Log) f32 -> f32;
            /// `log(a)`
            log_f64       = Unary(Log) f64 -> f64;
            /// `log(a)`
            log_c128      = Unary(Log) c128 -> c128;
            /// `log1p(a)`
            log1p_f32     = Unary(Log1p) f32 -> f32;
            /// `log1p(a)`
            log1p_f64     = Unary(Log1p) f64 -> f64;
            /// `log1p(a)`
            log1p_c128    = Unary(Log1p) c128 -> c128;
            /// `log10(a)`
            log10_f32     = Unary(Log10) f32 -> f32;
            /// `log10(a)`
            log10_f64     = Unary(Log10) f64 -> f64;
            /// `log10(a)`
            log10_c128    = Unary(Log10) c128 -> c128;
            /// `log2(a)`
            log2_f32      = Unary(Log2) f32 -> f32;
            /// `log2(a)`
            log2_f64      = Unary(Log2) f64 -> f64;
            /// `log2(a)`
            log2_c128     = Unary(Log2) c128 -> c128;
            /// `exp(a)`
            exp_f32       = Unary(Exp) f32 -> f32;
            /// `exp(a)`
            exp_f64       = Unary(Exp) f64 -> f64;
            /// `exp(a)`
            exp_c128      = Unary(Exp) c128 -> c128;
            /// `expm1(a)`
            expm1_f32     = Unary(Expm1) f32 -> f32;
            /// `expm1(a)`
            expm1_f64     = Unary(Expm1) f64 -> f64;
            /// `expm1(a)`
            expm1_c128    = Unary(Expm1) c128 -> c128;
            /// `abs(a)` (of a complex: the modulus, as a complex)
            abs_f32       = Unary(Abs) f32 -> f32;
            /// `abs(a)` (of a complex: the modulus, as a complex)
            abs_f64       = Unary(Abs) f64 -> f64;
            /// `abs(a)` (of a complex: the modulus, as a complex)
            abs_c128      = Unary(Abs) c128 -> c128;
            /// `ceil(a)`
            ceil_f32      = Unary(Ceil) f32 -> f32;
            /// `ceil(a)`
            ceil_f64      = Unary(Ceil) f64 -> f64;
            /// `floor(a)`
            floor_f32     = Unary(Floor) f32 -> f32;
            /// `floor(a)`
            floor_f64     = Unary(Floor) f64 -> f64;
            /// `round(a)`: half to even
            round_f64     = Unary(Round) f64 -> f64;
            /// `round(a)`: both parts, half to even
            round_c128    = Unary(Round) c128 -> c128;
            /// `trunc(a)`
            trunc_f64     = Unary(Trunc) f64 -> f64;
            /// `sign(a)`: -1, 0 or 1 (NaN for NaN)
            sign_i32      = Unary(Sign) i32 -> i32;
            /// `sign(a)`: -1, 0 or 1 (NaN for NaN)
            sign_i64      = Unary(Sign) i64 -> i64;
            /// `sign(a)`: -1, 0 or 1 (NaN for NaN)
            sign_f64      = Unary(Sign) f64 -> f64;
            /// `sign(a)`: `a / abs(a)` (0 for 0)
            sign_c128     = Unary(Sign) c128 -> c128;
            /// `fmod(a, b)`
            fmod_f32      = Binary(Fmod) f32 -> f32;
            /// `fmod(a, b)`
            fmod_f64      = Binary(Fmod) f64 -> f64;
            /// `arctan2(a, b)`
            arctan2_f32   = Binary(Arctan2) f32 -> f32;
            /// `arctan2(a, b)`
            arctan2_f64   = Binary(Arctan2) f64 -> f64;
            /// `hypot(a, b)`
            hypot_f64     = Binary(Hypot) f64 -> f64;
            /// `nextafter(a, b)`
            nextafter_f64 = Binary(Nextafter) f64 -> f64;
            /// `copysign(a, b)`
            copysign_f64  = Binary(Copysign) f64 -> f64;
            /// `maximum(a, b)` (NaN wins)
            maximum_f64   = Binary(Maximum) f64 -> f64;
            /// `minimum(a, b)` (NaN wins)
            minimum_f64   = Binary(Minimum) f64 -> f64;
            /// `real(a)`
            real_c128     = Unary(Real) c128 -> f64;
            /// `imag(a)`
            imag_c128     = Unary(Imag) c128 -> f64;
            /// `real(a)` of a real number: itself
            real_f64      = Unary(Real) f64 -> f64;
            /// `imag(a)` of a real number: 0
            imag_f64      = Unary(Imag) f64 -> f64;
            /// `complex(re, im)`
            complex_f64   = Binary(Complex) f64 -> c128;
            /// `conj(a)`
            conj_c128     = Unary(Conj) c128 -> c128;
            /// `isnan(a)`
            isnan_f32     = Unary(Isnan) f32 -> bool;
            /// `isnan(a)`
            isnan_f64     = Unary(Isnan) f64 -> bool;
            /// `isnan(a)`
            isnan_c128    = Unary(Isnan) c128 -> bool;
            /// `isfinite(a)`
            isfinite_f32  = Unary(Isfinite) f32 -> bool;
            /// `isfinite(a)`
            isfinite_f64  = Unary(Isfinite) f64 -> bool;
            /// `isfinite(a)`
            isfinite_c128 = Unary(Isfinite) c128 -> bool;
            /// `isinf(a)`
            isinf_f32     = Unary(Isinf) f32 -> bool;
            /// `isinf(a)`
            isinf_f64     = Unary(Isinf) f64 -> bool;
            /// `isinf(a)`
            isinf_c128    = Unary(Isinf) c128 -> bool;
            /// `signbit(a)`
            signbit_f32   = Unary(Signbit) f32 -> bool;
            /// `signbit(a)`
            signbit_f64   = Unary(Signbit) f64 -> bool;
            /// `where(c, a, b)`
            where_b       = Where(Where) bool -> bool;
            /// `where(c, a, b)`
            where_i32     = Where(Where) i32 -> i32;
            /// `where(c, a, b)`
            where_i64     = Where(Where) i64 -> i64;
            /// `where(c, a, b)`
            where_f32     = Where(Where) f32 -> f32;
            /// `where(c, a, b)`
            where_f64     = Where(Where) f64 -> f64;
            /// `where(c, a, b)`
            where_c128    = Where(Where) c128 -> c128;
            /// convert b to i32
            cast_b_i32    = Cast(Cast) bool -> i32;
            /// convert b to i64
            cast_b_i64    = Cast(Cast) bool -> i64;
            /// convert b to f32
            cast_b_f32    = Cast(Cast) bool -> f32;
            /// convert b to f64
            cast_b_f64    = Cast(Cast) bool -> f64;
            /// convert b to c128
            cast_b_c128   = Cast(Cast) bool -> c128;
            /// convert i32 to i64
            cast_i32_i64  = Cast(Cast) i32 -> i64;
            /// convert i32 to f32
            cast_i32_f32  = Cast(Cast) i32 -> f32;
            /// convert i32 to f64
            cast_i32_f64  = Cast(Cast) i32 -> f64;
            /// convert i32 to c128
            cast_i32_c128 = Cast(Cast) i32 -> c128;
            /// convert i64 to f32
            cast_i64_f32  = Cast(Cast) i64 -> f32;
            /// convert i64 to f64
            cast_i64_f64  = Cast(Cast) i64 -> f64;
            /// convert i64 to c128
            cast_i64_c128 = Cast(Cast) i64 -> c128;
            /// convert f32 to f64
            cast_f32_f64  = Cast(Cast) f32 -> f64;
            /// convert f32 to c128
            cast_f32_c128 = Cast(Cast) f32 -> c128;
            /// convert f64 to c128
            cast_f64_c128 = Cast(Cast) f64 -> c128;
            /// copy a value into a register
            copy_b        = Unary(Copy) bool -> bool;
            /// copy a value into a register
            copy_i32      = Unary(Copy) i32 -> i32;
            /// copy a value into a register
            copy_i64      = Unary(Copy) i64 -> i64;
            /// copy a value into a register
            copy_f32      = Unary(Copy) f32 -> f32;
            /// copy a value into a register
            copy_f64      = Unary(Copy) f64 -> f64;
            /// copy a value into a register
            copy_c128     = Unary(Copy) c128 -> c128;
            /// partial sum of a block
            sum_i32       = Reduce(Sum) i32 -> i32;
            /// partial sum of a block
            sum_i64       = Reduce(Sum) i64 -> i64;
            /// partial sum of a block
            sum_f32       = Reduce(Sum) f32 -> f32;
            /// partial sum of a block
            sum_f64       = Reduce(Sum) f64 -> f64;
            /// partial sum of a block
            sum_c128      = Reduce(Sum) c128 -> c128;
            /// partial product of a block
            prod_i32      = Reduce(Prod) i32 -> i32;
            /// partial product of a block
            prod_i64      = Reduce(Prod) i64 -> i64;
            /// partial product of a block
            prod_f32      = Reduce(Prod) f32 -> f32;
            /// partial product of a block
            prod_f64      = Reduce(Prod) f64 -> f64;
            /// partial product of a block
            prod_c128     = Reduce(Prod) c128 -> c128;
            /// partial minimum (NaN wins)
            min_i32       = Reduce(Min) i32 -> i32;
            /// partial minimum (NaN wins)
            min_i64       = Reduce(Min) i64 -> i64;
            /// partial minimum (NaN wins)
            min_f32       = Reduce(Min) f32 -> f32;
            /// partial minimum (NaN wins)
            min_f64       = Reduce(Min) f64 -> f64;
            /// partial maximum (NaN wins)
            max_i32       = Reduce(Max) i32 -> i32;
            /// partial maximum (NaN wins)
            max_i64       = Reduce(Max) i64 -> i64;
            /// partial maximum (NaN wins)
            max_f32       = Reduce(Max) f32 -> f32;
            /// partial maximum (NaN wins)
            max_f64       = Reduce(Max) f64 -> f64;

        }
    };
}

/// The operation of an instruction, without its types: what the kernels are named after.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kop {
    Neg,
    Invert,
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    And,
    Or,
    Xor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    Where,
    Cast,
    Copy,
    Sqrt,
    Sin,
    Cos,
    Tan,
    Arcsin,
    Arccos,
    Arctan,
    Sinh,
    Cosh,
    Tanh,
    Arcsinh,
    Arccosh,
    Arctanh,
    Log,
    Log1p,
    Log10,
    Log2,
    Exp,
    Expm1,
    Abs,
    Ceil,
    Floor,
    Round,
    Trunc,
    Sign,
    Fmod,
    Arctan2,
    Hypot,
    Nextafter,
    Copysign,
    Maximum,
    Minimum,
    Real,
    Imag,
    Complex,
    Conj,
    Isnan,
    Isfinite,
    Isinf,
    Signbit,
    Sum,
    Prod,
    Min,
    Max,
}

impl Kop {
    pub fn from_unop(op: UnOp) -> Kop {
        match op {
            UnOp::Neg => Kop::Neg,
            UnOp::Invert => Kop::Invert,
        }
    }

    pub fn from_binop(op: BinOp) -> Kop {
        match op {
            BinOp::Add => Kop::Add,
            BinOp::Sub => Kop::Sub,
            BinOp::Mul => Kop::Mul,
            BinOp::Div => Kop::Div,
            BinOp::FloorDiv => Kop::FloorDiv,
            BinOp::Mod => Kop::Mod,
            BinOp::Pow => Kop::Pow,
            BinOp::And => Kop::And,
            BinOp::Or => Kop::Or,
            BinOp::Xor => Kop::Xor,
            BinOp::Shl => Kop::Shl,
            BinOp::Shr => Kop::Shr,
            BinOp::Eq => Kop::Eq,
            BinOp::Ne => Kop::Ne,
            BinOp::Lt => Kop::Lt,
            BinOp::Le => Kop::Le,
            BinOp::Gt => Kop::Gt,
            BinOp::Ge => Kop::Ge,
        }
    }

    pub fn from_func(f: Func) -> Kop {
        match f {
            Func::Sqrt => Kop::Sqrt,
            Func::Sin => Kop::Sin,
            Func::Cos => Kop::Cos,
            Func::Tan => Kop::Tan,
            Func::Arcsin => Kop::Arcsin,
            Func::Arccos => Kop::Arccos,
            Func::Arctan => Kop::Arctan,
            Func::Sinh => Kop::Sinh,
            Func::Cosh => Kop::Cosh,
            Func::Tanh => Kop::Tanh,
            Func::Arcsinh => Kop::Arcsinh,
            Func::Arccosh => Kop::Arccosh,
            Func::Arctanh => Kop::Arctanh,
            Func::Log => Kop::Log,
            Func::Log1p => Kop::Log1p,
            Func::Log10 => Kop::Log10,
            Func::Log2 => Kop::Log2,
            Func::Exp => Kop::Exp,
            Func::Expm1 => Kop::Expm1,
            Func::Abs => Kop::Abs,
            Func::Ceil => Kop::Ceil,
            Func::Floor => Kop::Floor,
            Func::Round => Kop::Round,
            Func::Trunc => Kop::Trunc,
            Func::Sign => Kop::Sign,
            Func::Fmod => Kop::Fmod,
            Func::Arctan2 => Kop::Arctan2,
            Func::Hypot => Kop::Hypot,
            Func::Nextafter => Kop::Nextafter,
            Func::Copysign => Kop::Copysign,
            Func::Maximum => Kop::Maximum,
            Func::Minimum => Kop::Minimum,
            Func::Real => Kop::Real,
            Func::Imag => Kop::Imag,
            Func::Complex => Kop::Complex,
            Func::Conj => Kop::Conj,
            Func::Isnan => Kop::Isnan,
            Func::Isfinite => Kop::Isfinite,
            Func::Isinf => Kop::Isinf,
            Func::Signbit => Kop::Signbit,
            Func::Where => Kop::Where,
            Func::Contains => Kop::Contains,
        }
    }

    pub fn from_red(r: RedOp) -> Kop {
        match r {
            RedOp::Sum => Kop::Sum,
            RedOp::Prod => Kop::Prod,
            RedOp::Min => Kop::Min,
            RedOp::Max => Kop::Max,
        }
    }
}

/// How the VM calls an instruction's kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    Unary,
    Binary,
    Where,
    Cast,
    BytesCmp,
    BytesContains,
    Reduce,
}

impl Category {
    /// The number of operands.
    pub fn arity(self) -> usize {
        match self {
            Category::Unary | Category::Cast | Category::Reduce => 1,
            Category::Binary | Category::BytesCmp | Category::BytesContains => 2,
            Category::Where => 3,
        }
    }
}

/// The type named in the table (`bytes` matches byte strings of any length).
#[doc(hidden)]
#[macro_export]
macro_rules! op_dtype {
    (bool) => {
        $crate::DType::Bool
    };
    (i32) => {
        $crate::DType::Int32
    };
    (i64) => {
        $crate::DType::Int64
    };
    (f32) => {
        $crate::DType::Float32
    };
    (f64) => {
        $crate::DType::Float64
    };
    (c128) => {
        $crate::DType::Complex128
    };
    (bytes) => {
        $crate::DType::Bytes(0)
    };
}

macro_rules! define_ops {
    ($( $(#[doc = $doc:literal])* $name:ident = $cat:ident($kop:ident) $tin:ident -> $tout:ident; )*) => {
        /// One instruction of the VM; the name carries the types.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Op {
            $( $(#[doc = $doc])* $name, )*
        }

        impl Op {
            /// Every instruction, in table order.
            pub const ALL: &'static [Op] = &[$(Op::$name),*];

            /// The name as the disassembly prints it: `add_f64`.
            pub fn name(self) -> &'static str {
                match self { $(Op::$name => stringify!($name),)* }
            }

            pub fn kop(self) -> Kop {
                match self { $(Op::$name => Kop::$kop,)* }
            }

            pub fn category(self) -> Category {
                match self { $(Op::$name => Category::$cat,)* }
            }

            /// The type of every operand (for `where`, of the two values; the condition is bool).
            pub fn input(self) -> DType {
                match self { $(Op::$name => $crate::op_dtype!($tin),)* }
            }

            pub fn output(self) -> DType {
                match self { $(Op::$name => $crate::op_dtype!($tout),)* }
            }
        }
    };
}

for_each_op!(define_ops);

fn same_kind(a: DType, b: DType) -> bool {
    match (a, b) {
        (DType::Bytes(_), DType::Bytes(_)) => true,
        _ => a == b,
    }
}

impl Op {
    /// The instruction for an operation on operands of type `input` (for a cast, `input` is
    /// the source and `output` the target; otherwise `output` is ignored).
    pub fn find(kop: Kop, input: DType, output: DType) -> Option<Op> {
        Op::ALL
            .iter()
            .copied()
            .find(|op| op.kop() == kop && same_kind(op.input(), input) && (kop != Kop::Cast || op.output() == output))
    }

    pub fn arity(self) -> usize {
        self.category().arity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_types_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for op in Op::ALL {
            assert!(seen.insert(op.name()), "{} twice", op.name());
            let suffix = op.input().short();
            assert!(op.name().ends_with(suffix) || op.category() == Category::Cast, "{}", op.name());
        }
    }

    #[test]
    fn lookups_find_the_typed_instruction() {
        assert_eq!(Op::find(Kop::Add, DType::Float64, DType::Float64), Some(Op::add_f64));
        assert_eq!(Op::find(Kop::Lt, DType::Int32, DType::Bool), Some(Op::lt_i32));
        assert_eq!(Op::find(Kop::Cast, DType::Int32, DType::Float64), Some(Op::cast_i32_f64));
        assert_eq!(Op::find(Kop::Eq, DType::Bytes(4), DType::Bool), Some(Op::eq_s));
        assert_eq!(Op::find(Kop::Lt, DType::Complex128, DType::Bool), None);
    }
}
