//! `wide`'s SIMD types behind one small trait, so a change in `wide` touches this file only.

use wide::{f32x8, f64x4};

/// A float type and its SIMD lanes.
pub trait Float:
    Copy
    + Send
    + Sync
    + PartialOrd
    + std::fmt::Debug
    + 'static
    + std::ops::Add<Output = Self>
    + std::ops::Mul<Output = Self>
{
    type V: Copy
        + std::ops::Add<Output = Self::V>
        + std::ops::Sub<Output = Self::V>
        + std::ops::Mul<Output = Self::V>
        + std::ops::Div<Output = Self::V>
        + std::ops::Neg<Output = Self::V>;
    const LANES: usize;

    fn splat(x: Self) -> Self::V;
    /// Loads `LANES` values; `s.len()` must be `LANES`.
    fn load(s: &[Self]) -> Self::V;
    fn store(v: Self::V, s: &mut [Self]);
    /// A bit per lane, lane 0 lowest.
    fn mask_bits(m: Self::V) -> u32;

    fn v_lt(a: Self::V, b: Self::V) -> Self::V;
    fn v_le(a: Self::V, b: Self::V) -> Self::V;
    fn v_gt(a: Self::V, b: Self::V) -> Self::V;
    fn v_ge(a: Self::V, b: Self::V) -> Self::V;
    fn v_eq(a: Self::V, b: Self::V) -> Self::V;
    fn v_ne(a: Self::V, b: Self::V) -> Self::V;
    /// Lanes of `a` where `mask` is set, else of `b`.
    fn select(mask: Self::V, a: Self::V, b: Self::V) -> Self::V;
    fn v_abs(a: Self::V) -> Self::V;
    fn v_max_abs(a: Self::V) -> Self;
    fn v_sqrt(a: Self::V) -> Self::V;
    fn v_exp(a: Self::V) -> Self::V;
    fn v_expm1(a: Self::V) -> Self::V;
    fn v_ln(a: Self::V) -> Self::V;
    fn v_ln1p(a: Self::V) -> Self::V;
    fn v_log2(a: Self::V) -> Self::V;
    fn v_log10(a: Self::V) -> Self::V;
    fn v_sin_cos(a: Self::V) -> (Self::V, Self::V);
    fn v_tan(a: Self::V) -> Self::V;
    fn v_asin(a: Self::V) -> Self::V;
    fn v_acos(a: Self::V) -> Self::V;
    fn v_atan(a: Self::V) -> Self::V;
    fn v_atan2(a: Self::V, b: Self::V) -> Self::V;
    fn v_sinh(a: Self::V) -> Self::V;
    fn v_cosh(a: Self::V) -> Self::V;
    fn v_tanh(a: Self::V) -> Self::V;
    fn v_floor(a: Self::V) -> Self::V;
    fn v_ceil(a: Self::V) -> Self::V;
    /// Whether any lane is NaN.
    fn any_nan(a: Self::V) -> bool;
}

macro_rules! impl_float {
    ($t:ty, $v:ty, $n:expr) => {
        impl Float for $t {
            type V = $v;
            const LANES: usize = $n;

            #[inline(always)]
            fn splat(x: Self) -> $v {
                <$v>::splat(x)
            }
            #[inline(always)]
            fn load(s: &[Self]) -> $v {
                let mut a = [0 as $t; $n];
                a.copy_from_slice(&s[..$n]);
                <$v>::new(a)
            }
            #[inline(always)]
            fn store(v: $v, s: &mut [Self]) {
                s[..$n].copy_from_slice(v.as_array());
            }
            #[inline(always)]
            fn mask_bits(m: $v) -> u32 {
                m.to_bitmask() as u32
            }
            #[inline(always)]
            fn v_lt(a: $v, b: $v) -> $v {
                a.simd_lt(b)
            }
            #[inline(always)]
            fn v_le(a: $v, b: $v) -> $v {
                a.simd_le(b)
            }
            #[inline(always)]
            fn v_gt(a: $v, b: $v) -> $v {
                a.simd_gt(b)
            }
            #[inline(always)]
            fn v_ge(a: $v, b: $v) -> $v {
                a.simd_ge(b)
            }
            #[inline(always)]
            fn v_eq(a: $v, b: $v) -> $v {
                a.simd_eq(b)
            }
            #[inline(always)]
            fn v_ne(a: $v, b: $v) -> $v {
                a.simd_ne(b)
            }
            #[inline(always)]
            fn select(mask: $v, a: $v, b: $v) -> $v {
                mask.select(a, b)
            }
            #[inline(always)]
            fn v_abs(a: $v) -> $v {
                a.abs()
            }
            #[inline(always)]
            fn v_max_abs(a: $v) -> $t {
                a.abs().as_array().iter().fold(0 as $t, |m, &x| if x > m || x != x { x } else { m })
            }
            #[inline(always)]
            fn v_sqrt(a: $v) -> $v {
                a.sqrt()
            }
            #[inline(always)]
            fn v_exp(a: $v) -> $v {
                a.exp()
            }
            #[inline(always)]
            fn v_expm1(a: $v) -> $v {
                a.exp_m1()
            }
            #[inline(always)]
            fn v_ln(a: $v) -> $v {
                a.ln()
            }
            #[inline(always)]
            fn v_ln1p(a: $v) -> $v {
                a.ln_1p()
            }
            #[inline(always)]
            fn v_log2(a: $v) -> $v {
                a.log2()
            }
            #[inline(always)]
            fn v_log10(a: $v) -> $v {
                a.log10()
            }
            #[inline(always)]
            fn v_sin_cos(a: $v) -> ($v, $v) {
                a.sin_cos()
            }
            #[inline(always)]
            fn v_tan(a: $v) -> $v {
                a.tan()
            }
            #[inline(always)]
            fn v_asin(a: $v) -> $v {
                a.asin()
            }
            #[inline(always)]
            fn v_acos(a: $v) -> $v {
                a.acos()
            }
            #[inline(always)]
            fn v_atan(a: $v) -> $v {
                a.atan()
            }
            #[inline(always)]
            fn v_atan2(a: $v, b: $v) -> $v {
                a.atan2(b)
            }
            #[inline(always)]
            fn v_sinh(a: $v) -> $v {
                a.sinh()
            }
            #[inline(always)]
            fn v_cosh(a: $v) -> $v {
                a.cosh()
            }
            #[inline(always)]
            fn v_tanh(a: $v) -> $v {
                a.tanh()
            }
            #[inline(always)]
            fn v_floor(a: $v) -> $v {
                a.floor()
            }
            #[inline(always)]
            fn v_ceil(a: $v) -> $v {
                a.ceil()
            }
            #[inline(always)]
            fn any_nan(a: $v) -> bool {
                a.is_nan().any()
            }
        }
    };
}

impl_float!(f64, f64x4, 4);
impl_float!(f32, f32x8, 8);
