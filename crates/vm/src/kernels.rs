//! The loops the VM runs on a block: one zero-sized type per operation ([`ops`]), with an
//! implementation per element type. Operands are [`Src`]: a vector of the block's length or
//! one value; vector/scalar combinations get loops of their own, never a broadcast buffer.
//! Float arithmetic and functions run over `wide` lanes ([`crate::lanes`]) with a scalar tail;
//! integer and bool loops are plain indexed loops that the compiler vectorises. No kernel
//! allocates or dispatches per element.

use num_complex::Complex64;

use crate::lanes::Float;

/// Complex numbers, as the op table names them.
#[allow(non_camel_case_types)]
pub type c128 = Complex64;

/// A source operand for one block.
#[derive(Clone, Copy, Debug)]
pub enum Src<'a, T> {
    Vec(&'a [T]),
    Scalar(T),
}

pub trait Unary<T, O> {
    fn run(out: &mut [O], a: Src<'_, T>);
}

pub trait Binary<T, O> {
    fn run(out: &mut [O], a: Src<'_, T>, b: Src<'_, T>);
}

/// Widening conversions.
pub trait CastTo<U>: Sized {
    fn cast(out: &mut [U], a: Src<'_, Self>);
}

/// The operations, named after the op table's operations.
pub mod ops {
    macro_rules! zst {
        ($($name:ident)*) => {$(
            #[derive(Clone, Copy, Debug)]
            pub struct $name;
        )*};
    }
    zst! {
        Neg Invert Add Sub Mul Div FloorDiv Mod Pow And Or Xor Shl Shr Eq Ne Lt Le Gt Ge Copy
        Sqrt Sin Cos Tan Arcsin Arccos Arctan Sinh Cosh Tanh Arcsinh Arccosh Arctanh Log Log1p
        Log10 Log2 Exp Expm1 Abs Ceil Floor Round Trunc Sign Fmod Arctan2 Hypot Nextafter Copysign
        Maximum Minimum Real Imag Complex Conj Isnan Isfinite Isinf Signbit
    }
}

// ---- drivers ---------------------------------------------------------------------------

/// `out[i] = f(a[i])`.
#[inline(always)]
pub fn map1<T: Copy, O>(out: &mut [O], a: Src<'_, T>, f: impl Fn(T) -> O) {
    match a {
        Src::Vec(a) => {
            for (o, &x) in out.iter_mut().zip(a) {
                *o = f(x);
            }
        }
        Src::Scalar(x) => {
            for o in out.iter_mut() {
                *o = f(x);
            }
        }
    }
}

/// `out[i] = f(a[i], b[i])`, one loop per operand form.
#[inline(always)]
pub fn map2<T: Copy, O>(out: &mut [O], a: Src<'_, T>, b: Src<'_, T>, f: impl Fn(T, T) -> O) {
    match (a, b) {
        (Src::Vec(a), Src::Vec(b)) => {
            for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                *o = f(x, y);
            }
        }
        (Src::Vec(a), Src::Scalar(y)) => {
            for (o, &x) in out.iter_mut().zip(a) {
                *o = f(x, y);
            }
        }
        (Src::Scalar(x), Src::Vec(b)) => {
            for (o, &y) in out.iter_mut().zip(b) {
                *o = f(x, y);
            }
        }
        (Src::Scalar(x), Src::Scalar(y)) => {
            for o in out.iter_mut() {
                *o = f(x, y);
            }
        }
    }
}

/// Float `out[i] = f(a[i])` over SIMD lanes. Lanes whose input lies outside `lo..=hi` (where
/// the lane function is not accurate, and NaN) are recomputed by the scalar `g`; the tail is
/// padded to a full vector. So every element's result depends on its own input only, never on
/// where the block boundaries fall.
#[inline(always)]
pub fn lanes1<F: Float>(out: &mut [F], a: Src<'_, F>, lo: F, hi: F, f: impl Fn(F::V) -> F::V, g: impl Fn(F) -> F) {
    let one = |x: F| {
        let mut buf = [x; 16];
        let v = F::load(&buf[..F::LANES]);
        if lo <= x && x <= hi {
            F::store(f(v), &mut buf[..F::LANES]);
            buf[0]
        } else {
            g(x)
        }
    };
    let a = match a {
        Src::Vec(a) => a,
        Src::Scalar(x) => {
            out.fill(one(x));
            return;
        }
    };
    let n = out.len().min(a.len());
    let (out, a) = (&mut out[..n], &a[..n]);
    let mut oc = out.chunks_exact_mut(F::LANES);
    let mut ac = a.chunks_exact(F::LANES);
    for (o, x) in (&mut oc).zip(&mut ac) {
        let v = F::load(x);
        F::store(f(v), o);
        if !within::<F>(v, lo, hi) {
            for (o, &x) in o.iter_mut().zip(x) {
                if !(lo <= x && x <= hi) {
                    *o = g(x);
                }
            }
        }
    }
    for (o, &x) in oc.into_remainder().iter_mut().zip(ac.remainder()) {
        *o = one(x);
    }
}

/// Float `out[i] = f(a[i], b[i])` over SIMD lanes, scalar tail.
#[inline(always)]
pub fn lanes2<F: Float>(
    out: &mut [F],
    a: Src<'_, F>,
    b: Src<'_, F>,
    f: impl Fn(F::V, F::V) -> F::V,
    g: impl Fn(F, F) -> F,
) {
    let l = F::LANES;
    match (a, b) {
        (Src::Vec(a), Src::Vec(b)) => {
            let n = out.len().min(a.len()).min(b.len());
            let (out, a, b) = (&mut out[..n], &a[..n], &b[..n]);
            let body = n - n % l;
            for i in (0..body).step_by(l) {
                F::store(f(F::load(&a[i..i + l]), F::load(&b[i..i + l])), &mut out[i..i + l]);
            }
            for i in body..n {
                out[i] = g(a[i], b[i]);
            }
        }
        (Src::Vec(a), Src::Scalar(y)) => {
            let n = out.len().min(a.len());
            let (out, a) = (&mut out[..n], &a[..n]);
            let yv = F::splat(y);
            let body = n - n % l;
            for i in (0..body).step_by(l) {
                F::store(f(F::load(&a[i..i + l]), yv), &mut out[i..i + l]);
            }
            for i in body..n {
                out[i] = g(a[i], y);
            }
        }
        (Src::Scalar(x), Src::Vec(b)) => {
            let n = out.len().min(b.len());
            let (out, b) = (&mut out[..n], &b[..n]);
            let xv = F::splat(x);
            let body = n - n % l;
            for i in (0..body).step_by(l) {
                F::store(f(xv, F::load(&b[i..i + l])), &mut out[i..i + l]);
            }
            for i in body..n {
                out[i] = g(x, b[i]);
            }
        }
        (Src::Scalar(x), Src::Scalar(y)) => out.fill(g(x, y)),
    }
}

// ---- float arithmetic ----------------------------------------------------------------------

macro_rules! float_binary {
    ($op:ident, |$a:ident, $b:ident| $v:expr, $s:expr) => {
        float_binary!(@one f64, $op, |$a, $b| $v, $s);
        float_binary!(@one f32, $op, |$a, $b| $v, $s);
    };
    (@one $t:ty, $op:ident, |$a:ident, $b:ident| $v:expr, $s:expr) => {
        impl Binary<$t, $t> for ops::$op {
            #[inline(never)]
            fn run(out: &mut [$t], a: Src<'_, $t>, b: Src<'_, $t>) {
                #[allow(dead_code)]
                type F = $t;
                lanes2::<$t>(out, a, b, |$a, $b| $v, |$a, $b| $s)
            }
        }
    };
}

float_binary!(Add, |a, b| a + b, a + b);
float_binary!(Sub, |a, b| a - b, a - b);
float_binary!(Mul, |a, b| a * b, a * b);
float_binary!(Div, |a, b| a / b, a / b);
// numexpr's float `//` and `%`: floor(a / b) and a - floor(a / b) * b.
float_binary!(FloorDiv, |a, b| F::v_floor(a / b), (a / b).floor());
float_binary!(Mod, |a, b| a - F::v_floor(a / b) * b, a - (a / b).floor() * b);

macro_rules! float_misc {
    ($($t:ty),*) => {$(
        impl Binary<$t, $t> for ops::Pow {
            #[inline(never)]
            fn run(out: &mut [$t], a: Src<'_, $t>, b: Src<'_, $t>) {
                map2(out, a, b, |x: $t, y: $t| x.powf(y))
            }
        }

        impl Unary<$t, $t> for ops::Neg {
            #[inline(never)]
            fn run(out: &mut [$t], a: Src<'_, $t>) {
                lanes1::<$t>(out, a, <$t>::NEG_INFINITY, <$t>::INFINITY, |v| -v, |x| -x)
            }
        }

        impl Unary<$t, $t> for ops::Abs {
            #[inline(never)]
            fn run(out: &mut [$t], a: Src<'_, $t>) {
                lanes1::<$t>(out, a, <$t>::NEG_INFINITY, <$t>::INFINITY, <$t as Float>::v_abs, |x: $t| x.abs())
            }
        }

        impl Binary<$t, $t> for ops::Arctan2 {
            #[inline(never)]
            fn run(out: &mut [$t], a: Src<'_, $t>, b: Src<'_, $t>) {
                map2(out, a, b, |y: $t, x: $t| y.atan2(x))
            }
        }

        impl Binary<$t, $t> for ops::Fmod {
            #[inline(never)]
            fn run(out: &mut [$t], a: Src<'_, $t>, b: Src<'_, $t>) {
                map2(out, a, b, |x: $t, y: $t| x % y)
            }
        }
    )*};
}
float_misc!(f32, f64);

/// Bounds within which a lane function is accurate (tested in `math`); outside, std's
/// scalar function computes the lanes.
pub trait Domain: Float {
    const EXP_MAX: Self;
    const TRIG_MAX: Self;
    const TINY: Self;
    const HUGE: Self;
}

impl Domain for f64 {
    const EXP_MAX: f64 = 700.0;
    const TRIG_MAX: f64 = 1.0e5;
    const TINY: f64 = 1.0e-300;
    const HUGE: f64 = 1.0e300;
}

impl Domain for f32 {
    const EXP_MAX: f32 = 85.0;
    const TRIG_MAX: f32 = 1.0e4;
    const TINY: f32 = 1.0e-36;
    const HUGE: f32 = 1.0e36;
}

#[inline(always)]
fn within<F: Float>(v: F::V, lo: F, hi: F) -> bool {
    // NaN lanes fail both comparisons and take the scalar path.
    let lo = F::v_ge(v, F::splat(lo));
    let hi = F::v_le(v, F::splat(hi));
    F::mask_bits(lo) == (1 << F::LANES) - 1 && F::mask_bits(hi) == (1 << F::LANES) - 1
}

macro_rules! float_fn {
    ($op:ident, $lo:expr, $hi:expr, |$v:ident| $lane:expr, $scalar:ident) => {
        float_fn!(@one f64, $op, $lo, $hi, |$v| $lane, $scalar);
        float_fn!(@one f32, $op, $lo, $hi, |$v| $lane, $scalar);
    };
    (@one $t:ty, $op:ident, $lo:expr, $hi:expr, |$v:ident| $lane:expr, $scalar:ident) => {
        impl Unary<$t, $t> for ops::$op {
            #[inline(never)]
            fn run(out: &mut [$t], a: Src<'_, $t>) {
                type F = $t;
                lanes1::<$t>(out, a, $lo, $hi, |$v| $lane, <$t>::$scalar)
            }
        }
    };
}

macro_rules! float_scalar_fn {
    ($op:ident, $scalar:ident) => {
        impl Unary<f64, f64> for ops::$op {
            #[inline(never)]
            fn run(out: &mut [f64], a: Src<'_, f64>) {
                map1(out, a, f64::$scalar)
            }
        }
        impl Unary<f32, f32> for ops::$op {
            #[inline(never)]
            fn run(out: &mut [f32], a: Src<'_, f32>) {
                map1(out, a, f32::$scalar)
            }
        }
    };
}

float_fn!(Sqrt, F::NEG_INFINITY, F::INFINITY, |v| F::v_sqrt(v), sqrt);
float_fn!(Exp, -F::EXP_MAX, F::EXP_MAX, |v| F::v_exp(v), exp);
float_fn!(Expm1, -F::EXP_MAX, F::EXP_MAX, |v| F::v_expm1(v), exp_m1);
float_fn!(Log, F::TINY, F::HUGE, |v| F::v_ln(v), ln);
float_fn!(Log2, F::TINY, F::HUGE, |v| F::v_log2(v), log2);
float_fn!(Log10, F::TINY, F::HUGE, |v| F::v_log10(v), log10);
float_fn!(Log1p, -0.999, F::HUGE, |v| F::v_ln1p(v), ln_1p);
float_fn!(Sin, -F::TRIG_MAX, F::TRIG_MAX, |v| F::v_sin_cos(v).0, sin);
float_fn!(Cos, -F::TRIG_MAX, F::TRIG_MAX, |v| F::v_sin_cos(v).1, cos);
float_fn!(Tan, -F::TRIG_MAX, F::TRIG_MAX, |v| F::v_tan(v), tan);
float_fn!(Arcsin, -1.0, 1.0, |v| F::v_asin(v), asin);
float_fn!(Arccos, -1.0, 1.0, |v| F::v_acos(v), acos);
float_fn!(Arctan, -F::HUGE, F::HUGE, |v| F::v_atan(v), atan);
float_fn!(Sinh, -F::EXP_MAX, F::EXP_MAX, |v| F::v_sinh(v), sinh);
float_fn!(Cosh, -F::EXP_MAX, F::EXP_MAX, |v| F::v_cosh(v), cosh);
float_fn!(Ceil, F::NEG_INFINITY, F::INFINITY, |v| F::v_ceil(v), ceil);
float_fn!(Floor, F::NEG_INFINITY, F::INFINITY, |v| F::v_floor(v), floor);
// wide's tanh loses up to 6 ulp for tiny arguments; std's is exact there.
float_scalar_fn!(Tanh, tanh);
float_scalar_fn!(Arcsinh, asinh);
float_scalar_fn!(Arccosh, acosh);
float_scalar_fn!(Arctanh, atanh);

macro_rules! f64_binary {
    ($op:ident, |$a:ident, $b:ident| $e:expr) => {
        impl Binary<f64, f64> for ops::$op {
            #[inline(never)]
            fn run(out: &mut [f64], a: Src<'_, f64>, b: Src<'_, f64>) {
                map2(out, a, b, |$a: f64, $b: f64| $e)
            }
        }
    };
}

f64_binary!(Hypot, |a, b| a.hypot(b));
f64_binary!(Copysign, |a, b| a.copysign(b));
f64_binary!(Maximum, |a, b| if a.is_nan() || b.is_nan() {
    f64::NAN
} else if a >= b {
    a
} else {
    b
});
f64_binary!(Minimum, |a, b| if a.is_nan() || b.is_nan() {
    f64::NAN
} else if a <= b {
    a
} else {
    b
});
f64_binary!(Nextafter, |a, b| nextafter(a, b));

fn nextafter(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == y {
        return y;
    }
    if x == 0.0 {
        return f64::from_bits(1).copysign(y);
    }
    let bits = x.to_bits();
    let up = (y > x) == (x > 0.0);
    f64::from_bits(if up { bits + 1 } else { bits - 1 })
}

macro_rules! f64_unary {
    ($op:ident, |$a:ident| $e:expr) => {
        impl Unary<f64, f64> for ops::$op {
            #[inline(never)]
            fn run(out: &mut [f64], a: Src<'_, f64>) {
                map1(out, a, |$a: f64| $e)
            }
        }
    };
}

f64_unary!(Round, |a| a.round_ties_even());
f64_unary!(Trunc, |a| a.trunc());
f64_unary!(Sign, |a| if a.is_nan() {
    f64::NAN
} else if a > 0.0 {
    1.0
} else if a < 0.0 {
    -1.0
} else {
    0.0
});
f64_unary!(Real, |a| a);
f64_unary!(Imag, |_a| 0.0);

macro_rules! float_pred {
    ($op:ident, |$a:ident| $e:expr) => {
        impl Unary<f64, bool> for ops::$op {
            #[inline(never)]
            fn run(out: &mut [bool], a: Src<'_, f64>) {
                map1(out, a, |$a: f64| $e)
            }
        }
        impl Unary<f32, bool> for ops::$op {
            #[inline(never)]
            fn run(out: &mut [bool], a: Src<'_, f32>) {
                map1(out, a, |$a: f32| $e)
            }
        }
    };
}

float_pred!(Isnan, |a| a.is_nan());
float_pred!(Isfinite, |a| a.is_finite());
float_pred!(Isinf, |a| a.is_infinite());
float_pred!(Signbit, |a| a.is_sign_negative());

// ---- comparisons ---------------------------------------------------------------------------

macro_rules! float_cmp {
    ($op:ident, $cmp:tt) => {
        float_cmp!(@one f64, $op, $cmp);
        float_cmp!(@one f32, $op, $cmp);
    };
    (@one $t:ty, $op:ident, $cmp:tt) => {
        impl Binary<$t, bool> for ops::$op {
            /// A plain loop: the compiler turns it into vector compares whose lane masks it
            /// packs straight into bytes (unpacking a mask lane by lane was twice as slow).
            #[inline(never)]
            fn run(out: &mut [bool], a: Src<'_, $t>, b: Src<'_, $t>) {
                map2(out, a, b, |x, y| x $cmp y)
            }
        }
    };
}

float_cmp!(Lt, <);
float_cmp!(Le, <=);
float_cmp!(Gt, >);
float_cmp!(Ge, >=);
float_cmp!(Eq, ==);
float_cmp!(Ne, !=);

macro_rules! plain_cmp {
    ($($t:ty),*) => {$(
        plain_cmp!(@one $t, Lt, <);
        plain_cmp!(@one $t, Le, <=);
        plain_cmp!(@one $t, Gt, >);
        plain_cmp!(@one $t, Ge, >=);
        plain_cmp!(@one $t, Eq, ==);
        plain_cmp!(@one $t, Ne, !=);
    )*};
    (@one $t:ty, $op:ident, $cmp:tt) => {
        impl Binary<$t, bool> for ops::$op {
            #[inline(never)]
            fn run(out: &mut [bool], a: Src<'_, $t>, b: Src<'_, $t>) {
                map2(out, a, b, |x, y| x $cmp y)
            }
        }
    };
}

plain_cmp!(i32, i64, bool);

impl Binary<c128, bool> for ops::Eq {
    #[inline(never)]
    fn run(out: &mut [bool], a: Src<'_, c128>, b: Src<'_, c128>) {
        map2(out, a, b, |x, y| x == y)
    }
}

impl Binary<c128, bool> for ops::Ne {
    #[inline(never)]
    fn run(out: &mut [bool], a: Src<'_, c128>, b: Src<'_, c128>) {
        map2(out, a, b, |x, y| x != y)
    }
}

// ---- integers and bools ----------------------------------------------------------------------

/// Integer semantics shared by i32 and i64: Python's floor division and modulo (and 0 for a
/// zero divisor, as numexpr), wrapping arithmetic, NumPy's shifts.
pub trait Int: Copy + Send + Sync + Ord + 'static {
    const BITS: u32;
    const ZERO: Self;
    const ONE: Self;
    fn wadd(self, o: Self) -> Self;
    fn wsub(self, o: Self) -> Self;
    fn wmul(self, o: Self) -> Self;
    fn wneg(self) -> Self;
    fn floordiv(self, o: Self) -> Self;
    fn modulo(self, o: Self) -> Self;
    fn ipow(self, e: Self) -> Self;
    fn shl(self, s: Self) -> Self;
    fn shr(self, s: Self) -> Self;
    fn and(self, o: Self) -> Self;
    fn or(self, o: Self) -> Self;
    fn xor(self, o: Self) -> Self;
    fn not(self) -> Self;
    fn sign(self) -> Self;
}

macro_rules! int_impl {
    ($t:ty) => {
        impl Int for $t {
            const BITS: u32 = <$t>::BITS;
            const ZERO: $t = 0;
            const ONE: $t = 1;
            #[inline(always)]
            fn wadd(self, o: $t) -> $t {
                self.wrapping_add(o)
            }
            #[inline(always)]
            fn wsub(self, o: $t) -> $t {
                self.wrapping_sub(o)
            }
            #[inline(always)]
            fn wmul(self, o: $t) -> $t {
                self.wrapping_mul(o)
            }
            #[inline(always)]
            fn wneg(self) -> $t {
                self.wrapping_neg()
            }
            #[inline(always)]
            fn floordiv(self, o: $t) -> $t {
                if o == 0 {
                    return 0;
                }
                // MIN // -1 wraps to MIN instead of trapping.
                let q = self.wrapping_div(o);
                if self.wrapping_rem(o) != 0 && ((self < 0) != (o < 0)) {
                    q - 1
                } else {
                    q
                }
            }
            #[inline(always)]
            fn modulo(self, o: $t) -> $t {
                if o == 0 {
                    return 0;
                }
                let r = self.wrapping_rem(o);
                if r != 0 && ((r < 0) != (o < 0)) {
                    r + o
                } else {
                    r
                }
            }
            #[inline(always)]
            fn ipow(self, e: $t) -> $t {
                if e < 0 {
                    // numexpr: 1 / base in integer arithmetic (and 0 for a zero base).
                    return match self {
                        1 => 1,
                        -1 => {
                            if e & 1 == 0 {
                                1
                            } else {
                                -1
                            }
                        }
                        _ => 0,
                    };
                }
                let (mut base, mut e, mut acc) = (self, e, 1 as $t);
                while e > 0 {
                    if e & 1 == 1 {
                        acc = acc.wrapping_mul(base);
                    }
                    base = base.wrapping_mul(base);
                    e >>= 1;
                }
                acc
            }
            #[inline(always)]
            fn shl(self, s: $t) -> $t {
                if s < 0 || s as u64 >= <$t>::BITS as u64 {
                    0
                } else {
                    self << s
                }
            }
            #[inline(always)]
            fn shr(self, s: $t) -> $t {
                if s < 0 || s as u64 >= <$t>::BITS as u64 {
                    if self < 0 {
                        -1
                    } else {
                        0
                    }
                } else {
                    self >> s
                }
            }
            #[inline(always)]
            fn and(self, o: $t) -> $t {
                self & o
            }
            #[inline(always)]
            fn or(self, o: $t) -> $t {
                self | o
            }
            #[inline(always)]
            fn xor(self, o: $t) -> $t {
                self ^ o
            }
            #[inline(always)]
            fn not(self) -> $t {
                !self
            }
            #[inline(always)]
            fn sign(self) -> $t {
                self.signum()
            }
        }
    };
}
int_impl!(i32);
int_impl!(i64);

macro_rules! int_binary {
    ($op:ident, $m:ident) => {
        int_binary!(@one i32, $op, $m);
        int_binary!(@one i64, $op, $m);
    };
    (@one $t:ty, $op:ident, $m:ident) => {
        impl Binary<$t, $t> for ops::$op {
            #[inline(never)]
            fn run(out: &mut [$t], a: Src<'_, $t>, b: Src<'_, $t>) {
                map2(out, a, b, <$t as Int>::$m)
            }
        }
    };
}

int_binary!(Add, wadd);
int_binary!(Sub, wsub);
int_binary!(Mul, wmul);
int_binary!(FloorDiv, floordiv);
int_binary!(Mod, modulo);
int_binary!(Pow, ipow);
int_binary!(Shl, shl);
int_binary!(Shr, shr);
int_binary!(And, and);
int_binary!(Or, or);
int_binary!(Xor, xor);

macro_rules! int_unary {
    ($($t:ty),*) => {$(
        impl Unary<$t, $t> for ops::Neg {
            #[inline(never)]
            fn run(out: &mut [$t], a: Src<'_, $t>) {
                map1(out, a, <$t as Int>::wneg)
            }
        }

        impl Unary<$t, $t> for ops::Invert {
            #[inline(never)]
            fn run(out: &mut [$t], a: Src<'_, $t>) {
                map1(out, a, <$t as Int>::not)
            }
        }

        impl Unary<$t, $t> for ops::Sign {
            #[inline(never)]
            fn run(out: &mut [$t], a: Src<'_, $t>) {
                map1(out, a, <$t as Int>::sign)
            }
        }
    )*};
}
int_unary!(i32, i64);

impl Binary<bool, bool> for ops::And {
    #[inline(never)]
    fn run(out: &mut [bool], a: Src<'_, bool>, b: Src<'_, bool>) {
        map2(out, a, b, |x, y| x & y)
    }
}

impl Binary<bool, bool> for ops::Or {
    #[inline(never)]
    fn run(out: &mut [bool], a: Src<'_, bool>, b: Src<'_, bool>) {
        map2(out, a, b, |x, y| x | y)
    }
}

impl Binary<bool, bool> for ops::Xor {
    #[inline(never)]
    fn run(out: &mut [bool], a: Src<'_, bool>, b: Src<'_, bool>) {
        map2(out, a, b, |x, y| x ^ y)
    }
}

impl Unary<bool, bool> for ops::Invert {
    #[inline(never)]
    fn run(out: &mut [bool], a: Src<'_, bool>) {
        map1(out, a, |x| !x)
    }
}

impl<T: Copy> Unary<T, T> for ops::Copy {
    #[inline(never)]
    fn run(out: &mut [T], a: Src<'_, T>) {
        match a {
            Src::Vec(a) => {
                let n = out.len().min(a.len());
                out[..n].copy_from_slice(&a[..n]);
            }
            Src::Scalar(x) => out.fill(x),
        }
    }
}

// ---- complex -------------------------------------------------------------------------------

macro_rules! c_binary {
    ($op:ident, |$a:ident, $b:ident| $e:expr) => {
        impl Binary<c128, c128> for ops::$op {
            #[inline(never)]
            fn run(out: &mut [c128], a: Src<'_, c128>, b: Src<'_, c128>) {
                map2(out, a, b, |$a: c128, $b: c128| $e)
            }
        }
    };
}

c_binary!(Add, |a, b| a + b);
c_binary!(Sub, |a, b| a - b);
c_binary!(Mul, |a, b| a * b);
c_binary!(Div, |a, b| crate::math::cdiv(a, b));
c_binary!(Pow, |a, b| crate::math::cpow(a, b));

macro_rules! c_unary {
    ($op:ident, $out:ty, |$a:ident| $e:expr) => {
        impl Unary<c128, $out> for ops::$op {
            #[inline(never)]
            fn run(out: &mut [$out], a: Src<'_, c128>) {
                map1(out, a, |$a: c128| $e)
            }
        }
    };
}

c_unary!(Neg, c128, |a| -a);
c_unary!(Sqrt, c128, |a| a.sqrt());
c_unary!(Sin, c128, |a| a.sin());
c_unary!(Cos, c128, |a| a.cos());
c_unary!(Tan, c128, |a| ctan(a));
c_unary!(Arcsin, c128, |a| a.asin());
c_unary!(Arccos, c128, |a| a.acos());
c_unary!(Arctan, c128, |a| a.atan());
c_unary!(Sinh, c128, |a| a.sinh());
c_unary!(Cosh, c128, |a| a.cosh());
c_unary!(Tanh, c128, |a| ctanh(a));
c_unary!(Arcsinh, c128, |a| a.asinh());
c_unary!(Arccosh, c128, |a| a.acosh());
c_unary!(Arctanh, c128, |a| a.atanh());
c_unary!(Log, c128, |a| a.ln());
c_unary!(Log1p, c128, |a| crate::math::clog1p(a));
c_unary!(Log10, c128, |a| a.log10());
c_unary!(Log2, c128, |a| a.log2());
c_unary!(Exp, c128, |a| a.exp());
c_unary!(Expm1, c128, |a| crate::math::cexpm1(a));
c_unary!(Abs, c128, |a| c128::new(a.norm(), 0.0));
c_unary!(Conj, c128, |a| a.conj());
c_unary!(Round, c128, |a| c128::new(a.re.round_ties_even(), a.im.round_ties_even()));
c_unary!(Sign, c128, |a| if a.re == 0.0 && a.im == 0.0 { a } else { a / a.norm() });
c_unary!(Real, f64, |a| a.re);
c_unary!(Imag, f64, |a| a.im);
c_unary!(Isnan, bool, |a| a.re.is_nan() || a.im.is_nan());
c_unary!(Isfinite, bool, |a| a.re.is_finite() && a.im.is_finite());
c_unary!(Isinf, bool, |a| a.re.is_infinite() || a.im.is_infinite());

impl Binary<f64, c128> for ops::Complex {
    #[inline(never)]
    fn run(out: &mut [c128], a: Src<'_, f64>, b: Src<'_, f64>) {
        map2(out, a, b, c128::new)
    }
}

// ---- where and casts -------------------------------------------------------------------------

/// A branch-free choice between two values, so `where` vectorises instead of mispredicting.
pub trait Blend: Copy {
    fn blend(c: bool, x: Self, y: Self) -> Self;
}

macro_rules! blend_bits {
    ($t:ty, $bits:ty) => {
        impl Blend for $t {
            #[inline(always)]
            fn blend(c: bool, x: $t, y: $t) -> $t {
                let m = (c as $bits).wrapping_neg();
                <$t>::from_bits((x.to_bits() & m) | (y.to_bits() & !m))
            }
        }
    };
}
blend_bits!(f64, u64);
blend_bits!(f32, u32);

macro_rules! blend_int {
    ($t:ty) => {
        impl Blend for $t {
            #[inline(always)]
            fn blend(c: bool, x: $t, y: $t) -> $t {
                let m = (c as $t).wrapping_neg();
                (x & m) | (y & !m)
            }
        }
    };
}
blend_int!(i32);
blend_int!(i64);

impl Blend for bool {
    #[inline(always)]
    fn blend(c: bool, x: bool, y: bool) -> bool {
        (c & x) | (!c & y)
    }
}

impl Blend for c128 {
    #[inline(always)]
    fn blend(c: bool, x: c128, y: c128) -> c128 {
        c128::new(f64::blend(c, x.re, y.re), f64::blend(c, x.im, y.im))
    }
}

/// `out[i] = if cond[i] { x[i] } else { y[i] }`, branch-free.
#[inline(never)]
pub fn where_<T: Blend>(out: &mut [T], cond: Src<'_, bool>, x: Src<'_, T>, y: Src<'_, T>) {
    macro_rules! get {
        (v, $s:ident, $i:ident) => {
            $s[$i]
        };
        (s, $s:ident, $i:ident) => {
            $s
        };
    }
    // Slicing every vector to the output's length lets the compiler drop bounds checks.
    macro_rules! reslice {
        (v, $s:ident, $n:ident) => {
            let $s = &$s[..$n];
        };
        (s, $s:ident, $n:ident) => {};
    }
    macro_rules! arm {
        ($cs:ident $xs:ident $ys:ident, $c:ident, $x:ident, $y:ident) => {{
            let n = out.len();
            let out = &mut out[..n];
            reslice!($cs, $c, n);
            reslice!($xs, $x, n);
            reslice!($ys, $y, n);
            for i in 0..n {
                out[i] = T::blend(get!($cs, $c, i), get!($xs, $x, i), get!($ys, $y, i));
            }
        }};
    }
    let n = out.len();
    let short = |s: &Src<'_, _>| matches!(s, Src::Vec(v) if v.len() < n);
    if matches!(&cond, Src::Vec(v) if v.len() < n) || short(&x) || short(&y) {
        return;
    }
    match (cond, x, y) {
        (Src::Vec(c), Src::Vec(x), Src::Vec(y)) => arm!(v v v, c, x, y),
        (Src::Vec(c), Src::Vec(x), Src::Scalar(y)) => arm!(v v s, c, x, y),
        (Src::Vec(c), Src::Scalar(x), Src::Vec(y)) => arm!(v s v, c, x, y),
        (Src::Vec(c), Src::Scalar(x), Src::Scalar(y)) => arm!(v s s, c, x, y),
        (Src::Scalar(c), x, y) => <ops::Copy as Unary<T, T>>::run(out, if c { x } else { y }),
    }
}

macro_rules! casts {
    ($($from:ty => $to:ty, |$x:ident| $e:expr;)*) => {$(
        impl CastTo<$to> for $from {
            #[inline(never)]
            fn cast(out: &mut [$to], a: Src<'_, $from>) {
                map1(out, a, |$x: $from| $e)
            }
        }
    )*};
}

casts! {
    bool => i32, |x| i32::from(x);
    bool => i64, |x| i64::from(x);
    bool => f32, |x| f32::from(u8::from(x));
    bool => f64, |x| f64::from(u8::from(x));
    bool => c128, |x| c128::new(f64::from(u8::from(x)), 0.0);
    i32 => i64, |x| i64::from(x);
    i32 => f32, |x| x as f32;
    i32 => f64, |x| f64::from(x);
    i32 => c128, |x| c128::new(f64::from(x), 0.0);
    i64 => f32, |x| x as f32;
    i64 => f64, |x| x as f64;
    i64 => c128, |x| c128::new(x as f64, 0.0);
    f32 => f64, |x| f64::from(x);
    f32 => c128, |x| c128::new(f64::from(x), 0.0);
    f64 => c128, |x| c128::new(x, 0.0);
}

// ---- byte strings ----------------------------------------------------------------------------

/// A block of fixed-length byte strings, or one string.
#[derive(Clone, Copy, Debug)]
pub struct BytesSrc<'a> {
    pub data: &'a [u8],
    pub itemsize: usize,
    pub scalar: bool,
}

impl<'a> BytesSrc<'a> {
    #[inline(always)]
    fn item(&self, i: usize) -> &'a [u8] {
        if self.scalar {
            self.data
        } else {
            let s = i * self.itemsize;
            self.data.get(s..s + self.itemsize).unwrap_or(&[])
        }
    }
}

fn trim_nul(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
    &b[..end]
}

/// Comparisons of NUL-padded strings, as NumPy's (trailing NULs do not count).
#[inline(never)]
pub fn bytes_compare(op: outcore_expr::typed::BinOp, out: &mut [bool], a: BytesSrc<'_>, b: BytesSrc<'_>) {
    use outcore_expr::typed::BinOp;
    use std::cmp::Ordering;
    for (i, o) in out.iter_mut().enumerate() {
        let ord = trim_nul(a.item(i)).cmp(trim_nul(b.item(i)));
        *o = match op {
            BinOp::Eq => ord == Ordering::Equal,
            BinOp::Ne => ord != Ordering::Equal,
            BinOp::Lt => ord == Ordering::Less,
            BinOp::Le => ord != Ordering::Greater,
            BinOp::Gt => ord == Ordering::Greater,
            BinOp::Ge => ord != Ordering::Less,
            _ => false,
        };
    }
}

/// Whether each `needle` occurs in its `haystack` (trailing NULs ignored on both).
#[inline(never)]
pub fn bytes_contains(out: &mut [bool], haystack: BytesSrc<'_>, needle: BytesSrc<'_>) {
    for (i, o) in out.iter_mut().enumerate() {
        let h = trim_nul(haystack.item(i));
        let n = trim_nul(needle.item(i));
        *o = n.is_empty() || h.windows(n.len()).any(|w| w == n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulp64(a: f64, b: f64) -> u64 {
        if (a.is_nan() && b.is_nan()) || a == b {
            return 0;
        }
        if a.is_nan() || b.is_nan() || a.is_sign_negative() != b.is_sign_negative() {
            return u64::MAX;
        }
        a.to_bits().abs_diff(b.to_bits())
    }

    fn ulp32(a: f32, b: f32) -> u64 {
        if (a.is_nan() && b.is_nan()) || a == b {
            return 0;
        }
        if a.is_nan() || b.is_nan() || a.is_sign_negative() != b.is_sign_negative() {
            return u64::MAX;
        }
        u64::from(a.to_bits().abs_diff(b.to_bits()))
    }

    /// A sweep over `lo..hi` plus the special values.
    fn sweep(lo: f64, hi: f64) -> Vec<f64> {
        let mut v: Vec<f64> = (0..100_003).map(|i| lo + (hi - lo) * (i as f64 / 100_002.0)).collect();
        v.extend([0.0, -0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e-310, -1e-310, 1e300, -1e300, 1e6, -1e6]);
        v
    }

    fn check<O: Unary<f64, f64> + Unary<f32, f32>>(
        name: &str,
        lo: f64,
        hi: f64,
        std64: fn(f64) -> f64,
        std32: fn(f32) -> f32,
        tol64: u64,
        tol32: u64,
    ) {
        let x = sweep(lo, hi);
        let mut out = vec![0.0; x.len()];
        <O as Unary<f64, f64>>::run(&mut out, Src::Vec(&x));
        let worst = x.iter().zip(&out).map(|(&x, &y)| (ulp64(y, std64(x)), x)).max_by_key(|p| p.0).unwrap_or((0, 0.0));
        assert!(worst.0 <= tol64, "{name} f64: {} ulp at {}", worst.0, worst.1);
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let mut out32 = vec![0.0f32; x32.len()];
        <O as Unary<f32, f32>>::run(&mut out32, Src::Vec(&x32));
        let worst =
            x32.iter().zip(&out32).map(|(&x, &y)| (ulp32(y, std32(x)), x)).max_by_key(|p| p.0).unwrap_or((0, 0.0));
        assert!(worst.0 <= tol32, "{name} f32: {} ulp at {}", worst.0, worst.1);
    }

    // The tolerances each vectorised function is held to, against Rust's std (libm).
    #[test]
    fn transcendental_functions_stay_within_stated_ulps() {
        check::<ops::Exp>("exp", -750.0, 750.0, f64::exp, f32::exp, 2, 2);
        check::<ops::Expm1>("expm1", -40.0, 40.0, f64::exp_m1, f32::exp_m1, 4, 3);
        check::<ops::Log>("log", 0.0, 1e6, f64::ln, f32::ln, 2, 2);
        check::<ops::Log1p>("log1p", -0.999, 1e4, f64::ln_1p, f32::ln_1p, 2, 2);
        check::<ops::Log2>("log2", 0.0, 1e6, f64::log2, f32::log2, 2, 2);
        check::<ops::Log10>("log10", 0.0, 1e6, f64::log10, f32::log10, 2, 2);
        check::<ops::Sin>("sin", -200.0, 200.0, f64::sin, f32::sin, 2, 2);
        check::<ops::Cos>("cos", -200.0, 200.0, f64::cos, f32::cos, 2, 2);
        check::<ops::Tan>("tan", -20.0, 20.0, f64::tan, f32::tan, 4, 4);
        check::<ops::Arcsin>("arcsin", -1.0, 1.0, f64::asin, f32::asin, 2, 2);
        check::<ops::Arccos>("arccos", -1.0, 1.0, f64::acos, f32::acos, 2, 2);
        check::<ops::Arctan>("arctan", -1e3, 1e3, f64::atan, f32::atan, 2, 2);
        check::<ops::Sinh>("sinh", -20.0, 20.0, f64::sinh, f32::sinh, 3, 2);
        check::<ops::Cosh>("cosh", -20.0, 20.0, f64::cosh, f32::cosh, 2, 2);
        check::<ops::Tanh>("tanh", -20.0, 20.0, f64::tanh, f32::tanh, 0, 0);
        check::<ops::Tanh>("tanh near 0", -1e-6, 1e-6, f64::tanh, f32::tanh, 0, 0);
        check::<ops::Sqrt>("sqrt", 0.0, 1e6, f64::sqrt, f32::sqrt, 0, 0);
        check::<ops::Floor>("floor", -1e6, 1e6, f64::floor, f32::floor, 0, 0);
        check::<ops::Ceil>("ceil", -1e6, 1e6, f64::ceil, f32::ceil, 0, 0);
    }

    #[test]
    fn integer_semantics_are_pythons() {
        let mut out = [0i32; 6];
        let a = [7, -7, 7, -7, i32::MIN, 5];
        let b = [2, 2, -2, -2, -1, 0];
        <ops::FloorDiv as Binary<i32, i32>>::run(&mut out, Src::Vec(&a), Src::Vec(&b));
        assert_eq!(out, [3, -4, -4, 3, i32::MIN, 0]);
        <ops::Mod as Binary<i32, i32>>::run(&mut out, Src::Vec(&a), Src::Vec(&b));
        assert_eq!(out, [1, 1, -1, -1, 0, 0]);
        <ops::Shl as Binary<i32, i32>>::run(
            &mut out,
            Src::Vec(&[1, 1, 1, -1, 1, 1]),
            Src::Vec(&[3, 31, 32, 40, -1, 0]),
        );
        assert_eq!(out, [8, i32::MIN, 0, 0, 0, 1]);
        <ops::Pow as Binary<i32, i32>>::run(
            &mut out,
            Src::Vec(&[2, -2, 3, 1, -1, 0]),
            Src::Vec(&[10, 3, 0, -5, -3, -1]),
        );
        assert_eq!(out, [1024, -8, 1, 1, -1, 0]);
    }

    #[test]
    fn kernels_handle_every_length_and_operand_form() {
        for n in [0usize, 1, 3, 4, 5, 7, 8, 9, 255, 256, 257] {
            let a: Vec<f64> = (0..n).map(|i| i as f64 - 3.5).collect();
            let b: Vec<f64> = (0..n).map(|i| 2.0 * i as f64 + 0.25).collect();
            let mut out = vec![0.0; n];
            <ops::Sub as Binary<f64, f64>>::run(&mut out, Src::Vec(&a), Src::Vec(&b));
            assert!(out.iter().enumerate().all(|(i, &o)| o == a[i] - b[i]));
            <ops::Sub as Binary<f64, f64>>::run(&mut out, Src::Vec(&a), Src::Scalar(1.5));
            assert!(out.iter().enumerate().all(|(i, &o)| o == a[i] - 1.5));
            <ops::Sub as Binary<f64, f64>>::run(&mut out, Src::Scalar(1.5), Src::Vec(&b));
            assert!(out.iter().enumerate().all(|(i, &o)| o == 1.5 - b[i]));
            let mut m = vec![false; n];
            <ops::Lt as Binary<f64, bool>>::run(&mut m, Src::Vec(&a), Src::Scalar(0.0));
            assert!(m.iter().enumerate().all(|(i, &o)| o == (a[i] < 0.0)));
            let mut w = vec![0.0; n];
            where_(&mut w, Src::Vec(&m), Src::Vec(&a), Src::Scalar(9.0));
            assert!(w.iter().enumerate().all(|(i, &o)| o == if m[i] { a[i] } else { 9.0 }));
        }
    }

    #[test]
    fn byte_strings_compare_as_numpy() {
        let a = BytesSrc { data: b"ab\0\0abc\0b\0\0\0", itemsize: 4, scalar: false };
        let b = BytesSrc { data: b"ab", itemsize: 2, scalar: true };
        let mut out = [false; 3];
        bytes_compare(outcore_expr::typed::BinOp::Eq, &mut out, a, b);
        assert_eq!(out, [true, false, false]);
        bytes_compare(outcore_expr::typed::BinOp::Lt, &mut out, a, b);
        assert_eq!(out, [false, false, false]);
        bytes_contains(&mut out, a, BytesSrc { data: b"b", itemsize: 1, scalar: true });
        assert_eq!(out, [true, true, true]);
    }
}

/// Complex tanh that stays finite for large real parts (num-complex's divides two
/// overflowing hyperbolics, giving NaN past |re| ≈ 355): beyond |re| = 20 the result is
/// ±1 plus a vanishing imaginary part, computed without overflow.
fn ctanh(z: c128) -> c128 {
    if z.re.abs() > 20.0 {
        let e = (-2.0 * z.re.abs()).exp();
        c128::new(1f64.copysign(z.re), 2.0 * (2.0 * z.im).sin() * e)
    } else {
        z.tanh()
    }
}

/// Complex tan as `-i tanh(i z)`, finite for large imaginary parts.
fn ctan(z: c128) -> c128 {
    let t = ctanh(c128::new(-z.im, z.re));
    c128::new(t.im, -t.re)
}

#[cfg(test)]
mod complex_tan_tests {
    use super::*;

    #[test]
    fn large_parts_do_not_overflow() {
        // NumPy: tan(385+385j) = (1.67e-321+1j), tanh(385+385j) = (1+1.67e-321j).
        let t = ctan(c128::new(385.0, 385.0));
        assert!(t.re.abs() < 1e-300 && t.im == 1.0, "{t:?}");
        let t = ctanh(c128::new(385.0, -385.0));
        assert!(t.re == 1.0 && t.im.abs() < 1e-300, "{t:?}");
        let t = ctanh(c128::new(-400.0, 1.0));
        assert_eq!(t.re, -1.0);
        // Small arguments are num-complex's.
        let z = c128::new(0.3, -0.7);
        assert_eq!(ctanh(z), z.tanh());
        let d = ctan(z) - z.tan();
        assert!(d.norm() < 1e-15, "{d:?}");
    }
}
