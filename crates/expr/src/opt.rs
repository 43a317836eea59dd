//! Rewrites of the typed tree before lowering: casts of constants folded, `where` with a
//! constant condition folded, and numexpr's power specialisation (`x**2 → x*x`,
//! `x**0.5 → sqrt(x)`, `x**-1 → 1/x`, any multiple of 0.5 within ±50 as products), which also
//! keeps the results bit-identical to numexpr's.
//!
//! Common subexpressions are shared during lowering (hash-consing), and operations on
//! constants that Python-style folding in [`crate::types`] did not cover are evaluated once
//! by the VM when it loads the program, with the same kernels as everything else.

use crate::dtype::{DType, Value};
use crate::error::Span;
use crate::typed::{BinOp, Func, TExpr, TKind};
use crate::types::{cast, rank};

/// Applies every rewrite, bottom-up.
pub fn optimize(e: TExpr) -> TExpr {
    let TExpr { kind, dtype, span } = e;
    let kind = match kind {
        TKind::Cast(x) => {
            let x = optimize(*x);
            if let TKind::Const(v) = &x.kind {
                if let Some(v) = convert(v, dtype) {
                    return TExpr { kind: TKind::Const(v), dtype, span };
                }
            }
            TKind::Cast(Box::new(x))
        }
        TKind::Unary(op, x) => TKind::Unary(op, Box::new(optimize(*x))),
        TKind::Binary(BinOp::Pow, base, exp) => {
            let base = optimize(*base);
            let exp = optimize(*exp);
            if let Some(x) = const_exponent(&exp) {
                if (2.0 * x).fract() == 0.0 && x.abs() <= 50.0 && base.dtype != DType::Bool {
                    let expanded = expand_pow(base, x, span);
                    debug_assert_eq!(expanded.dtype, dtype, "power expansion changed the type");
                    return expanded;
                }
            }
            TKind::Binary(BinOp::Pow, Box::new(base), Box::new(exp))
        }
        TKind::Binary(op, l, r) => TKind::Binary(op, Box::new(optimize(*l)), Box::new(optimize(*r))),
        TKind::Call(Func::Where, args) => {
            let mut args: Vec<TExpr> = args.into_iter().map(optimize).collect();
            if let TKind::Const(Value::Bool(c)) = args[0].kind {
                let y = args.pop();
                let x = args.pop();
                if let (Some(x), Some(y)) = (x, y) {
                    return if c { x } else { y };
                }
            }
            TKind::Call(Func::Where, args)
        }
        TKind::Call(f, args) => TKind::Call(f, args.into_iter().map(optimize).collect()),
        TKind::Reduce(r, axis, x) => TKind::Reduce(r, axis, Box::new(optimize(*x))),
        k @ (TKind::Const(_) | TKind::Var(_)) => k,
    };
    TExpr { kind, dtype, span }
}

fn const_exponent(e: &TExpr) -> Option<f64> {
    match &e.kind {
        TKind::Const(Value::Int32(v)) => Some(f64::from(*v)),
        TKind::Const(Value::Int64(v)) => Some(*v as f64),
        TKind::Const(Value::Float64(v)) => Some(*v),
        TKind::Const(Value::Float32(v)) => Some(f64::from(*v)),
        TKind::Const(Value::Bool(v)) => Some(f64::from(u8::from(*v))),
        _ => None,
    }
}

/// Converts a constant to another type, as a widening cast does.
pub fn convert(v: &Value, to: DType) -> Option<Value> {
    let (re, im, int): (f64, f64, Option<i64>) = match *v {
        Value::Bool(b) => (f64::from(u8::from(b)), 0.0, Some(i64::from(b))),
        Value::Int32(i) => (f64::from(i), 0.0, Some(i64::from(i))),
        Value::Int64(i) => (i as f64, 0.0, Some(i)),
        Value::Float32(f) => (f64::from(f), 0.0, None),
        Value::Float64(f) => (f, 0.0, None),
        Value::Complex128(re, im) => (re, im, None),
        Value::Bytes(_) => return None,
    };
    Some(match to {
        DType::Bool => Value::Bool(re != 0.0 || im != 0.0),
        DType::Int32 => Value::Int32(i32::try_from(int?).ok()?),
        DType::Int64 => Value::Int64(int?),
        // int64 → float32 rounds once, like the kernel's direct conversion.
        DType::Float32 => Value::Float32(match int {
            Some(i) => i as f32,
            None => re as f32,
        }),
        DType::Float64 => Value::Float64(re),
        DType::Complex128 => Value::Complex128(re, im),
        DType::Bytes(_) => return None,
    })
}

fn mul(a: TExpr, b: TExpr, span: Span) -> TExpr {
    let kind = if rank(a.dtype) >= rank(b.dtype) { a.dtype } else { b.dtype };
    TExpr { kind: TKind::Binary(BinOp::Mul, Box::new(cast(a, kind)), Box::new(cast(b, kind))), dtype: kind, span }
}

fn one(d: DType) -> Value {
    match d {
        DType::Int32 => Value::Int32(1),
        DType::Int64 => Value::Int64(1),
        DType::Float32 => Value::Float32(1.0),
        DType::Complex128 => Value::Complex128(1.0, 0.0),
        _ => Value::Float64(1.0),
    }
}

/// numexpr's expansion of `a ** x` for `x` a multiple of 0.5 within ±50: binary
/// exponentiation by products, times `sqrt(a)` for a half power, inverted for a negative `x`.
fn expand_pow(base: TExpr, x: f64, span: Span) -> TExpr {
    let n = x.abs() as u32;
    let half = (2.0 * x).abs() as u32 % 2 == 1;
    let mut r: Option<TExpr> = None;
    let mut p = base.clone();
    let mut mask = 1u32;
    loop {
        if n & mask != 0 {
            r = Some(match r {
                None => p.clone(),
                Some(r) => mul(r, p.clone(), span),
            });
        }
        mask <<= 1;
        if mask > n {
            break;
        }
        p = mul(p.clone(), p, span);
    }
    if half {
        let kind = match base.dtype {
            DType::Int32 | DType::Int64 => DType::Float64,
            k => k,
        };
        let s = TExpr { kind: TKind::Call(Func::Sqrt, vec![cast(base.clone(), kind)]), dtype: kind, span };
        r = Some(match r {
            None => s,
            Some(r) => mul(r, s, span),
        });
    }
    let r = match r {
        Some(r) => r,
        // `a ** 0`: ones of the base's type, over its shape.
        None => {
            let v = one(base.dtype);
            return TExpr { dtype: v.dtype(), kind: TKind::Const(v), span };
        }
    };
    if x < 0.0 {
        let kind = match r.dtype {
            DType::Bool | DType::Int32 | DType::Int64 => DType::Float64,
            k => k,
        };
        let numerator = TExpr { kind: TKind::Const(one(kind)), dtype: kind, span };
        return TExpr {
            kind: TKind::Binary(BinOp::Div, Box::new(numerator), Box::new(cast(r, kind))),
            dtype: kind,
            span,
        };
    }
    r
}
