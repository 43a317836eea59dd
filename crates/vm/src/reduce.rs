//! Reductions: each block of values becomes a partial result; partials combine pairwise.
//!
//! Results do not depend on the number of threads: the VM cuts the values into units of
//! [`UNIT`] elements at fixed global positions, reduces each unit alone (several independent
//! accumulators), and combines the units' partials in a fixed pairwise tree. float32 sums and
//! products accumulate in float64, so they do not drift as a running float32 sum does.

use crate::kernels::c128;

/// The number of elements reduced into one partial.
pub const UNIT: usize = 1024;

pub trait Reducer<T>: Copy {
    type Acc: Copy + Send + Sync + std::fmt::Debug;
    /// The result of reducing nothing (`None` when there is none, as for `min`).
    fn identity() -> Option<Self::Acc>;
    /// Reduces one unit (at most [`UNIT`] values, at least one).
    fn unit(values: &[T]) -> Self::Acc;
    fn combine(a: Self::Acc, b: Self::Acc) -> Self::Acc;
    fn finish(acc: Self::Acc) -> T;
}

#[derive(Clone, Copy, Debug)]
pub struct Sum;
#[derive(Clone, Copy, Debug)]
pub struct Prod;
#[derive(Clone, Copy, Debug)]
pub struct Min;
#[derive(Clone, Copy, Debug)]
pub struct Max;

/// Combines partials in a fixed pairwise tree.
pub fn tree<T, R: Reducer<T>>(mut parts: Vec<R::Acc>) -> Option<R::Acc> {
    while parts.len() > 1 {
        let mut next = Vec::with_capacity(parts.len().div_ceil(2));
        for pair in parts.chunks(2) {
            next.push(match pair {
                [a, b] => R::combine(*a, *b),
                [a] => *a,
                _ => unreachable!("chunks(2) yields one or two"),
            });
        }
        parts = next;
    }
    parts.pop().or_else(R::identity)
}

macro_rules! float_sum_prod {
    ($t:ty) => {
        impl Reducer<$t> for Sum {
            type Acc = f64;
            fn identity() -> Option<f64> {
                Some(0.0)
            }
            #[inline(never)]
            fn unit(v: &[$t]) -> f64 {
                // Eight independent accumulators, combined pairwise.
                let mut acc = [0.0f64; 8];
                let mut chunks = v.chunks_exact(8);
                for c in &mut chunks {
                    for k in 0..8 {
                        acc[k] += c[k] as f64;
                    }
                }
                for (k, &x) in chunks.remainder().iter().enumerate() {
                    acc[k] += x as f64;
                }
                ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
            }
            fn combine(a: f64, b: f64) -> f64 {
                a + b
            }
            fn finish(acc: f64) -> $t {
                acc as $t
            }
        }

        impl Reducer<$t> for Prod {
            type Acc = f64;
            fn identity() -> Option<f64> {
                Some(1.0)
            }
            #[inline(never)]
            fn unit(v: &[$t]) -> f64 {
                let mut acc = [1.0f64; 4];
                let mut chunks = v.chunks_exact(4);
                for c in &mut chunks {
                    for k in 0..4 {
                        acc[k] *= c[k] as f64;
                    }
                }
                for (k, &x) in chunks.remainder().iter().enumerate() {
                    acc[k] *= x as f64;
                }
                (acc[0] * acc[1]) * (acc[2] * acc[3])
            }
            fn combine(a: f64, b: f64) -> f64 {
                a * b
            }
            fn finish(acc: f64) -> $t {
                acc as $t
            }
        }

        impl Reducer<$t> for Min {
            type Acc = $t;
            fn identity() -> Option<$t> {
                None
            }
            #[inline(never)]
            fn unit(v: &[$t]) -> $t {
                v.iter().fold(<$t>::INFINITY, |m, &x| {
                    if x < m || x.is_nan() || m.is_nan() {
                        if m.is_nan() {
                            m
                        } else {
                            x
                        }
                    } else {
                        m
                    }
                })
            }
            fn combine(a: $t, b: $t) -> $t {
                if a.is_nan() || b.is_nan() {
                    <$t>::NAN
                } else {
                    a.min(b)
                }
            }
            fn finish(acc: $t) -> $t {
                acc
            }
        }

        impl Reducer<$t> for Max {
            type Acc = $t;
            fn identity() -> Option<$t> {
                None
            }
            #[inline(never)]
            fn unit(v: &[$t]) -> $t {
                v.iter().fold(<$t>::NEG_INFINITY, |m, &x| {
                    if x > m || x.is_nan() || m.is_nan() {
                        if m.is_nan() {
                            m
                        } else {
                            x
                        }
                    } else {
                        m
                    }
                })
            }
            fn combine(a: $t, b: $t) -> $t {
                if a.is_nan() || b.is_nan() {
                    <$t>::NAN
                } else {
                    a.max(b)
                }
            }
            fn finish(acc: $t) -> $t {
                acc
            }
        }
    };
}

float_sum_prod!(f32);
float_sum_prod!(f64);

macro_rules! int_reducers {
    ($t:ty) => {
        impl Reducer<$t> for Sum {
            type Acc = $t;
            fn identity() -> Option<$t> {
                Some(0)
            }
            #[inline(never)]
            fn unit(v: &[$t]) -> $t {
                v.iter().fold(0, |a: $t, &x| a.wrapping_add(x))
            }
            fn combine(a: $t, b: $t) -> $t {
                a.wrapping_add(b)
            }
            fn finish(acc: $t) -> $t {
                acc
            }
        }

        impl Reducer<$t> for Prod {
            type Acc = $t;
            fn identity() -> Option<$t> {
                Some(1)
            }
            #[inline(never)]
            fn unit(v: &[$t]) -> $t {
                v.iter().fold(1, |a: $t, &x| a.wrapping_mul(x))
            }
            fn combine(a: $t, b: $t) -> $t {
                a.wrapping_mul(b)
            }
            fn finish(acc: $t) -> $t {
                acc
            }
        }

        impl Reducer<$t> for Min {
            type Acc = $t;
            fn identity() -> Option<$t> {
                None
            }
            #[inline(never)]
            fn unit(v: &[$t]) -> $t {
                v.iter().copied().fold(<$t>::MAX, <$t>::min)
            }
            fn combine(a: $t, b: $t) -> $t {
                a.min(b)
            }
            fn finish(acc: $t) -> $t {
                acc
            }
        }

        impl Reducer<$t> for Max {
            type Acc = $t;
            fn identity() -> Option<$t> {
                None
            }
            #[inline(never)]
            fn unit(v: &[$t]) -> $t {
                v.iter().copied().fold(<$t>::MIN, <$t>::max)
            }
            fn combine(a: $t, b: $t) -> $t {
                a.max(b)
            }
            fn finish(acc: $t) -> $t {
                acc
            }
        }
    };
}

int_reducers!(i32);
int_reducers!(i64);

impl Reducer<c128> for Sum {
    type Acc = c128;
    fn identity() -> Option<c128> {
        Some(c128::new(0.0, 0.0))
    }
    fn unit(v: &[c128]) -> c128 {
        let (mut a, mut b) = (c128::new(0.0, 0.0), c128::new(0.0, 0.0));
        let mut chunks = v.chunks_exact(2);
        for c in &mut chunks {
            a += c[0];
            b += c[1];
        }
        for &x in chunks.remainder() {
            a += x;
        }
        a + b
    }
    fn combine(a: c128, b: c128) -> c128 {
        a + b
    }
    fn finish(acc: c128) -> c128 {
        acc
    }
}

impl Reducer<c128> for Prod {
    type Acc = c128;
    fn identity() -> Option<c128> {
        Some(c128::new(1.0, 0.0))
    }
    fn unit(v: &[c128]) -> c128 {
        v.iter().fold(c128::new(1.0, 0.0), |a, &x| a * x)
    }
    fn combine(a: c128, b: c128) -> c128 {
        a * b
    }
    fn finish(acc: c128) -> c128 {
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce<T: Copy, R: Reducer<T>>(v: &[T]) -> Option<T> {
        tree::<T, R>(v.chunks(UNIT).map(R::unit).collect()).map(R::finish)
    }

    #[test]
    fn float32_sums_do_not_drift() {
        let v = vec![0.1f32; 10_000_000];
        let exact = 0.1f32 as f64 * 1e7;
        let got = reduce::<f32, Sum>(&v).map(f64::from);
        assert!((got.unwrap_or(0.0) - exact).abs() / exact < 1e-6, "{got:?} vs {exact}");
    }

    #[test]
    fn min_max_propagate_nan_and_have_no_identity() {
        assert!(reduce::<f64, Min>(&[1.0, f64::NAN, 0.0]).is_some_and(f64::is_nan));
        assert!(reduce::<f64, Max>(&[f64::NAN, 1.0]).is_some_and(f64::is_nan));
        assert_eq!(reduce::<f64, Min>(&[3.0, -1.0, 2.0]), Some(-1.0));
        assert_eq!(reduce::<i32, Min>(&[3, i32::MIN, 2]), Some(i32::MIN));
        assert_eq!(reduce::<i32, Max>(&[]), None);
        assert_eq!(reduce::<f64, Sum>(&[]), Some(0.0));
    }

    #[test]
    fn integer_sums_wrap_like_numexpr() {
        assert_eq!(reduce::<i32, Sum>(&[i32::MAX, 1]), Some(i32::MIN));
        assert_eq!(reduce::<i64, Prod>(&[1 << 40, 1 << 30]), Some((1i64 << 40).wrapping_mul(1 << 30)));
    }
}
