//! AST → typed AST, with numexpr 2.14's type rules (checked against numexpr itself; the
//! probes are in `scripts/numexpr_types.py`).
//!
//! - Kinds in promotion order: bool < int32 < int64 < float32 < float64 < complex128; bytes
//!   stand apart and only meet bytes. An operation works in the highest kind of its operands:
//!   int32 + float32 → float32, and (unlike NumPy) int64 + float32 → float32.
//! - Integer literals in int32 range are int32, others int64; float literals are float64, so
//!   `f32 * 2` is float32 but `f32 * 2.0` is float64. Operations on constants alone are folded
//!   first with Python's arithmetic (`2**40` is an int64 constant, `-2147483648` an int32 one).
//! - `/` is true division: integer operands become float64. `//` and `%` keep the kind, with
//!   Python's floor semantics (and `x // 0 == x % 0 == 0` for integers).
//! - `**` with a constant exponent that is a multiple of 0.5 within ±50 keeps the base's kind
//!   (numexpr expands it into multiplications: `i32 ** 2` is int32, `f32 ** 2.5` float32; half
//!   powers of integers are float64); other exponents work in the common kind. An integer
//!   raised to a negative integer constant is an error.
//! - `&`, `|`, `^`, `~` work on bool (logical) and integers (bitwise); shifts on integers.
//!   `+` and `*` on two bools are `|` and `&` (NumPy's bool arithmetic); `-` on bool is an error.
//! - Complex numbers support arithmetic and `==`, `!=` only. Bytes support the six comparisons
//!   and `contains`.
//! - Functions: the transcendental family (sqrt, sin, ..., exp, expm1, log2, ceil, floor, fmod,
//!   arctan2) keeps float32 and complex and turns integers into float64; `abs` keeps float32 and
//!   complex (numexpr's `abs` of a complex is a complex with the modulus as its real part) and
//!   turns integers into float64; `round`, `trunc`, `hypot`, `nextafter`, `copysign`,
//!   `maximum`, `minimum` and `sign` of floats give float64, `sign` of an integer keeps it;
//!   `real`/`imag` give float64, `complex`/`conj` complex128; `isnan`, `isfinite`, `isinf`,
//!   `signbit` bool. `where(c, x, y)` needs a bool condition.
//! - Reductions keep the operand's kind (int32 sums wrap, as numexpr's); bool sums are int64.
//!
//! Where outcore deliberately differs from numexpr: `min`/`max` of int32 work (numexpr fails);
//! reductions may appear anywhere in an expression (numexpr allows them only last); `sum` of
//! bool is int64 (numexpr fails); float32 sums are accurate (pairwise, not running sums).

use crate::ast::{Expr, ExprKind, UnaryOp};
use crate::dtype::{DType, Value};
use crate::error::{Error, ErrorKind, Span};
use crate::typed::{BinOp, Func, RedOp, TExpr, TKind, UnOp, VarInfo};

/// Checks an expression against the variables' types and returns the typed tree.
pub fn check(ast: &Expr, src: &str, vars: &[VarInfo]) -> Result<TExpr, Error> {
    Checker { src, vars }.expr(ast)
}

struct Checker<'a> {
    src: &'a str,
    vars: &'a [VarInfo],
}

/// The rank of a numeric kind in numexpr's promotion order.
pub(crate) fn rank(d: DType) -> u8 {
    match d {
        DType::Bool => 0,
        DType::Int32 => 1,
        DType::Int64 => 2,
        DType::Float32 => 3,
        DType::Float64 => 4,
        DType::Complex128 => 5,
        DType::Bytes(_) => 6,
    }
}

fn is_int(d: DType) -> bool {
    matches!(d, DType::Int32 | DType::Int64)
}

fn is_float(d: DType) -> bool {
    matches!(d, DType::Float32 | DType::Float64)
}

/// Inserts a cast unless the node already has the type.
pub fn cast(e: TExpr, to: DType) -> TExpr {
    // Byte strings of different lengths compare as they are (NUL padding is implied).
    if e.dtype == to || matches!((e.dtype, to), (DType::Bytes(_), DType::Bytes(_))) {
        return e;
    }
    let span = e.span;
    TExpr { kind: TKind::Cast(Box::new(e)), dtype: to, span }
}

/// The type a literal integer takes: int32 when it fits.
pub fn int_const(v: i64) -> Value {
    match i32::try_from(v) {
        Ok(v) => Value::Int32(v),
        Err(_) => Value::Int64(v),
    }
}

/// Closest name by edit distance, for "did you mean" hints.
pub fn closest<'n>(name: &str, candidates: impl IntoIterator<Item = &'n str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(name, c);
        if d <= (name.len().max(c.len()) / 3).max(1) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn func_by_name(name: &str) -> Option<Func> {
    Func::ALL.iter().copied().find(|f| f.name() == name)
}

fn red_by_name(name: &str) -> Option<RedOp> {
    [RedOp::Sum, RedOp::Prod, RedOp::Min, RedOp::Max].into_iter().find(|r| r.name() == name)
}

/// A constant as Python sees it while numexpr folds constant-only operations.
#[derive(Clone, Debug)]
enum Py {
    Bool(bool),
    Int(i128),
    Float(f64),
    Complex(f64, f64),
    Bytes(Vec<u8>),
}

impl<'a> Checker<'a> {
    fn err(&self, kind: ErrorKind, span: Span) -> Error {
        Error::new(kind, self.src, span)
    }

    fn type_err(&self, msg: String, span: Span) -> Error {
        self.err(ErrorKind::Type(msg), span)
    }

    fn expr(&self, e: &Expr) -> Result<TExpr, Error> {
        // Operations on constants alone fold first, with Python's arithmetic.
        if let Some(py) = self.fold_py(e)? {
            return self.py_const(py, e.span);
        }
        match &e.kind {
            ExprKind::Name(n) => {
                let i = self.vars.iter().position(|v| &v.name == n).ok_or_else(|| {
                    self.err(
                        ErrorKind::UnknownName {
                            name: n.clone(),
                            suggestion: closest(n, self.vars.iter().map(|v| v.name.as_str())),
                        },
                        e.span,
                    )
                })?;
                Ok(TExpr { kind: TKind::Var(i), dtype: self.vars[i].dtype, span: e.span })
            }
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Imag(_) | ExprKind::Bool(_) | ExprKind::Bytes(_) => {
                unreachable_const(self, e)
            }
            ExprKind::Unary(op, x) => self.unary(*op, x, e.span),
            ExprKind::Binary(op, l, r) => self.binary(*op, l, r, e.span),
            ExprKind::Call { func, func_span, args, axis } => {
                self.call(func, *func_span, args, axis.as_deref(), e.span)
            }
        }
    }

    fn py_const(&self, v: Py, span: Span) -> Result<TExpr, Error> {
        let value = match v {
            Py::Bool(b) => Value::Bool(b),
            Py::Int(i) => match i64::try_from(i) {
                Ok(i) => int_const(i),
                Err(_) => return Err(self.type_err(format!("integer constant {i} does not fit in int64"), span)),
            },
            Py::Float(f) => Value::Float64(f),
            Py::Complex(re, im) => Value::Complex128(re, im),
            Py::Bytes(b) => Value::Bytes(b),
        };
        Ok(TExpr { dtype: value.dtype(), kind: TKind::Const(value), span })
    }

    /// Folds a constant-only subtree the way Python evaluates it; `None` when it is not one.
    fn fold_py(&self, e: &Expr) -> Result<Option<Py>, Error> {
        Ok(match &e.kind {
            ExprKind::Int(v) => Some(Py::Int(i128::from(*v))),
            ExprKind::Float(v) => Some(Py::Float(*v)),
            ExprKind::Imag(v) => Some(Py::Complex(0.0, *v)),
            ExprKind::Bool(b) => Some(Py::Bool(*b)),
            ExprKind::Bytes(b) => Some(Py::Bytes(b.clone())),
            ExprKind::Unary(op, x) => match self.fold_py(x)? {
                None => None,
                Some(v) => Some(self.py_unary(*op, v, e.span)?),
            },
            ExprKind::Binary(op, l, r) => match (self.fold_py(l)?, self.fold_py(r)?) {
                (Some(a), Some(b)) => self.py_binary(*op, a, b, e.span)?,
                _ => None,
            },
            _ => None,
        })
    }

    fn py_unary(&self, op: UnaryOp, v: Py, span: Span) -> Result<Py, Error> {
        Ok(match (op, v) {
            (UnaryOp::Pos, Py::Bool(b)) => Py::Int(i128::from(b)),
            (UnaryOp::Pos, v @ (Py::Int(_) | Py::Float(_) | Py::Complex(..))) => v,
            (UnaryOp::Neg, Py::Bool(b)) => Py::Int(-i128::from(b)),
            (UnaryOp::Neg, Py::Int(i)) => Py::Int(-i),
            (UnaryOp::Neg, Py::Float(f)) => Py::Float(-f),
            (UnaryOp::Neg, Py::Complex(a, b)) => Py::Complex(-a, -b),
            (UnaryOp::Invert, Py::Bool(b)) => Py::Bool(!b),
            (UnaryOp::Invert, Py::Int(i)) => Py::Int(!i),
            (_, v) => return Err(self.type_err(format!("bad operand for unary operator: {}", py_kind(&v)), span)),
        })
    }

    /// Python's result for two constants, or `None` to leave the operation to the kernels.
    fn py_binary(&self, op: BinOp, a: Py, b: Py, span: Span) -> Result<Option<Py>, Error> {
        use Py::*;
        let as_int = |v: &Py| match v {
            Bool(b) => Some(i128::from(*b)),
            Int(i) => Some(*i),
            _ => None,
        };
        let as_float = |v: &Py| match v {
            Bool(b) => Some(f64::from(u8::from(*b))),
            Int(i) => Some(*i as f64),
            Float(f) => Some(*f),
            _ => None,
        };
        if let (Bool(x), Bool(y)) = (&a, &b) {
            match op {
                BinOp::And => return Ok(Some(Bool(x & y))),
                BinOp::Or => return Ok(Some(Bool(x | y))),
                BinOp::Xor => return Ok(Some(Bool(x ^ y))),
                _ => {}
            }
        }
        if let (Bytes(x), Bytes(y)) = (&a, &b) {
            let (x, y) = (trim_nul(x), trim_nul(y));
            let r = match op {
                BinOp::Eq => x == y,
                BinOp::Ne => x != y,
                BinOp::Lt => x < y,
                BinOp::Le => x <= y,
                BinOp::Gt => x > y,
                BinOp::Ge => x >= y,
                _ => {
                    return Err(
                        self.type_err(format!("`{}` does not work on bytes", crate::ast::binop_symbol(op)), span)
                    )
                }
            };
            return Ok(Some(Bool(r)));
        }
        if matches!(a, Bytes(_)) || matches!(b, Bytes(_)) {
            return Err(self.type_err("bytes can only be operated on with bytes".into(), span));
        }
        if let (Some(x), Some(y)) = (as_int(&a), as_int(&b)) {
            let big =
                |v: Option<i128>| v.ok_or_else(|| self.type_err("integer constant overflows".into(), span)).map(Int);
            return Ok(Some(match op {
                BinOp::Add => big(x.checked_add(y))?,
                BinOp::Sub => big(x.checked_sub(y))?,
                BinOp::Mul => big(x.checked_mul(y))?,
                BinOp::Div => Float(x as f64 / y as f64),
                BinOp::FloorDiv | BinOp::Mod if y == 0 => {
                    return Err(self.type_err("integer division by zero in a constant".into(), span))
                }
                BinOp::FloorDiv => Int(x.div_euclid(y) - i128::from(y < 0 && x.rem_euclid(y) != 0)),
                BinOp::Mod => Int(((x % y) + y) % y),
                BinOp::Pow if y < 0 => Float((x as f64).powf(y as f64)),
                BinOp::Pow => big(u32::try_from(y).ok().and_then(|y| x.checked_pow(y)))?,
                BinOp::And => Int(x & y),
                BinOp::Or => Int(x | y),
                BinOp::Xor => Int(x ^ y),
                BinOp::Shl => big(u32::try_from(y).ok().filter(|&s| s < 64).and_then(|s| x.checked_mul(1i128 << s)))?,
                BinOp::Shr => Int(x >> y.clamp(0, 127)),
                BinOp::Eq => Bool(x == y),
                BinOp::Ne => Bool(x != y),
                BinOp::Lt => Bool(x < y),
                BinOp::Le => Bool(x <= y),
                BinOp::Gt => Bool(x > y),
                BinOp::Ge => Bool(x >= y),
            }));
        }
        if let (Some(x), Some(y)) = (as_float(&a), as_float(&b)) {
            return Ok(Some(match op {
                BinOp::Add => Float(x + y),
                BinOp::Sub => Float(x - y),
                BinOp::Mul => Float(x * y),
                BinOp::Div => Float(x / y),
                BinOp::FloorDiv => Float((x / y).floor()),
                BinOp::Mod => Float(py_fmod(x, y)),
                BinOp::Pow => Float(x.powf(y)),
                BinOp::Eq => Bool(x == y),
                BinOp::Ne => Bool(x != y),
                BinOp::Lt => Bool(x < y),
                BinOp::Le => Bool(x <= y),
                BinOp::Gt => Bool(x > y),
                BinOp::Ge => Bool(x >= y),
                _ => {
                    return Err(self.type_err(
                        format!("`{}` needs integer or bool operands, not float", crate::ast::binop_symbol(op)),
                        span,
                    ))
                }
            }));
        }
        // Complex constants: leave to the kernels (typed as complex128).
        Ok(None)
    }

    fn unary(&self, op: UnaryOp, x: &Expr, span: Span) -> Result<TExpr, Error> {
        let x = self.expr(x)?;
        let d = x.dtype;
        match op {
            UnaryOp::Pos => {
                if !d.is_numeric() {
                    return Err(self.type_err(format!("unary `+` does not work on {d}"), span));
                }
                Ok(x)
            }
            UnaryOp::Neg => {
                if matches!(d, DType::Bool | DType::Bytes(_)) {
                    return Err(self.type_err(format!("cannot negate {d}: use `~` for bool"), span));
                }
                Ok(TExpr { kind: TKind::Unary(UnOp::Neg, Box::new(x)), dtype: d, span })
            }
            UnaryOp::Invert => {
                if !(d == DType::Bool || is_int(d)) {
                    return Err(self.type_err(format!("`~` needs a bool or integer operand, not {d}"), span));
                }
                Ok(TExpr { kind: TKind::Unary(UnOp::Invert, Box::new(x)), dtype: d, span })
            }
        }
    }

    fn common(&self, a: &TExpr, b: &TExpr, span: Span, what: &str) -> Result<DType, Error> {
        match (a.dtype, b.dtype) {
            (DType::Bytes(x), DType::Bytes(y)) => Ok(DType::Bytes(x.max(y))),
            (DType::Bytes(_), o) | (o, DType::Bytes(_)) => {
                Err(self.type_err(format!("cannot {what} bytes with {o}"), span))
            }
            (x, y) => Ok(if rank(x) >= rank(y) { x } else { y }),
        }
    }

    fn binary(&self, op: BinOp, l: &Expr, r: &Expr, span: Span) -> Result<TExpr, Error> {
        let lhs = self.expr(l)?;
        let rhs = self.expr(r)?;
        if op == BinOp::Pow {
            return self.pow(lhs, rhs, span);
        }
        let sym = crate::ast::binop_symbol(op);
        let verb = if op.is_comparison() { "compare" } else { "combine" };
        let common = self.common(&lhs, &rhs, span, verb)?;
        let mut work = common;
        let mut out = common;
        match op {
            BinOp::Eq | BinOp::Ne => out = DType::Bool,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                if common == DType::Complex128 {
                    return Err(self.type_err("complex numbers cannot be ordered".into(), span));
                }
                out = DType::Bool;
            }
            _ if matches!(common, DType::Bytes(_)) => {
                return Err(self.type_err(format!("`{sym}` does not work on bytes"), span));
            }
            BinOp::Add | BinOp::Mul if common == DType::Bool => {
                // NumPy's bool arithmetic: + is or, * is and.
                let op = if op == BinOp::Add { BinOp::Or } else { BinOp::And };
                return Ok(TExpr { kind: TKind::Binary(op, Box::new(lhs), Box::new(rhs)), dtype: DType::Bool, span });
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul => {
                if common == DType::Bool {
                    return Err(self.type_err(format!("`{sym}` does not work on bool: use `^` or `&`"), span));
                }
            }
            BinOp::Div => {
                if common == DType::Bool || is_int(common) {
                    work = DType::Float64;
                    out = DType::Float64;
                }
            }
            BinOp::FloorDiv | BinOp::Mod => {
                if !(is_int(common) || is_float(common)) {
                    return Err(self.type_err(format!("`{sym}` needs integer or float operands, not {common}"), span));
                }
            }
            BinOp::And | BinOp::Or | BinOp::Xor => {
                if !(common == DType::Bool || is_int(common)) {
                    return Err(self.type_err(format!("`{sym}` needs bool or integer operands, not {common}"), span));
                }
            }
            BinOp::Shl | BinOp::Shr => {
                if !is_int(common) {
                    return Err(self.type_err(format!("`{sym}` needs integer operands, not {common}"), span));
                }
            }
            BinOp::Pow => {}
        }
        let lhs = cast(lhs, work);
        let rhs = cast(rhs, work);
        Ok(TExpr { kind: TKind::Binary(op, Box::new(lhs), Box::new(rhs)), dtype: out, span })
    }

    fn pow(&self, base: TExpr, exp: TExpr, span: Span) -> Result<TExpr, Error> {
        let common = self.common(&base, &exp, span, "combine")?;
        if matches!(common, DType::Bytes(_)) || common == DType::Bool {
            return Err(self.type_err(format!("`**` does not work on {common}"), span));
        }
        let constant = match &exp.kind {
            TKind::Const(Value::Int32(v)) => Some(f64::from(*v)),
            TKind::Const(Value::Int64(v)) => Some(*v as f64),
            TKind::Const(Value::Float64(v)) => Some(*v),
            TKind::Const(Value::Bool(v)) => Some(f64::from(u8::from(*v))),
            _ => None,
        };
        if let Some(x) = constant {
            // Booleans compute as integers here, as in NumPy.
            let int_base = is_int(base.dtype) || base.dtype == DType::Bool;
            if int_base && is_int(exp.dtype) && x < 0.0 {
                return Err(self.type_err("integers to negative integer powers are not allowed".into(), exp.span));
            }
            // numexpr expands integral and half-integral powers within ±50 into products,
            // which fixes the result's kind; `opt` performs the same expansion.
            if (2.0 * x).fract() == 0.0 && x.abs() <= 50.0 && base.dtype != DType::Bool {
                let half = (2.0 * x).abs() % 2.0 == 1.0;
                let mut kind = base.dtype;
                if half && is_int(kind) {
                    kind = DType::Float64;
                }
                if x < 0.0 && is_int(kind) {
                    kind = DType::Float64;
                }
                return Ok(TExpr { kind: TKind::Binary(BinOp::Pow, Box::new(base), Box::new(exp)), dtype: kind, span });
            }
        }
        let base = cast(base, common);
        let exp = cast(exp, common);
        Ok(TExpr { kind: TKind::Binary(BinOp::Pow, Box::new(base), Box::new(exp)), dtype: common, span })
    }

    /// numexpr's `copy(x)` (the values of `x`) and `ones_like(x)` (1 of `x`'s type and shape,
    /// written `where(x != x, 1, 1)` so that it keeps `x`'s shape).
    fn copy_or_ones(&self, name: &str, args: &[Expr], axis: Option<&Expr>, span: Span) -> Result<TExpr, Error> {
        if let Some(a) = axis {
            return Err(self.err(ErrorKind::Unsupported(format!("`{name}` takes no `axis` argument")), a.span));
        }
        if args.len() != 1 {
            return Err(
                self.err(ErrorKind::Arity { func: name.to_string(), expected: "1".into(), got: args.len() }, span)
            );
        }
        let x = self.expr(&args[0])?;
        if name == "copy" {
            return Ok(x);
        }
        let one = match x.dtype {
            DType::Bool => Value::Bool(true),
            DType::Int32 => Value::Int32(1),
            DType::Int64 => Value::Int64(1),
            DType::Float32 => Value::Float32(1.0),
            DType::Float64 => Value::Float64(1.0),
            DType::Complex128 => Value::Complex128(1.0, 0.0),
            DType::Bytes(_) => return Err(self.type_err("`ones_like` does not work on bytes".into(), span)),
        };
        let dtype = x.dtype;
        let cond = TExpr { kind: TKind::Binary(BinOp::Ne, Box::new(x.clone()), Box::new(x)), dtype: DType::Bool, span };
        let c = |v: &Value| TExpr { kind: TKind::Const(v.clone()), dtype, span };
        Ok(TExpr { kind: TKind::Call(Func::Where, vec![cond, c(&one), c(&one)]), dtype, span })
    }

    fn call(&self, name: &str, fspan: Span, args: &[Expr], axis: Option<&Expr>, span: Span) -> Result<TExpr, Error> {
        if let Some(red) = red_by_name(name) {
            return self.reduction(red, args, axis, span);
        }
        if name == "copy" || name == "ones_like" {
            return self.copy_or_ones(name, args, axis, span);
        }
        let Some(func) = func_by_name(name) else {
            let mut names: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
            names.extend(["sum", "prod", "min", "max"]);
            let kind = ErrorKind::UnknownFunction { name: name.to_string(), suggestion: closest(name, names) };
            return Err(self.err(kind, fspan));
        };
        if let Some(a) = axis {
            return Err(self.err(ErrorKind::Unsupported(format!("`{name}` takes no `axis` argument")), a.span));
        }
        let arity = match func {
            Func::Where => 3,
            Func::Fmod
            | Func::Arctan2
            | Func::Hypot
            | Func::Nextafter
            | Func::Copysign
            | Func::Maximum
            | Func::Minimum
            | Func::Complex
            | Func::Contains => 2,
            _ => 1,
        };
        if args.len() != arity {
            return Err(self
                .err(ErrorKind::Arity { func: name.to_string(), expected: arity.to_string(), got: args.len() }, span));
        }
        let args: Vec<TExpr> = args.iter().map(|a| self.expr(a)).collect::<Result<_, _>>()?;
        match func {
            Func::Where => {
                if args[0].dtype != DType::Bool {
                    return Err(self.type_err(
                        format!("the condition of `where` must be bool, not {}", args[0].dtype),
                        args[0].span,
                    ));
                }
                let k = self.common(&args[1], &args[2], span, "combine")?;
                if matches!(k, DType::Bytes(_)) {
                    return Err(self.type_err("`where` does not work on bytes".into(), span));
                }
                let mut args = args;
                let y = cast(args.pop().ok_or_else(|| self.type_err("where".into(), span))?, k);
                let x = cast(args.pop().ok_or_else(|| self.type_err("where".into(), span))?, k);
                let c = args.pop().ok_or_else(|| self.type_err("where".into(), span))?;
                return Ok(TExpr { kind: TKind::Call(Func::Where, vec![c, x, y]), dtype: k, span });
            }
            Func::Contains => {
                for a in &args {
                    if !matches!(a.dtype, DType::Bytes(_)) {
                        return Err(self.type_err(format!("`contains` needs bytes arguments, not {}", a.dtype), a.span));
                    }
                }
                return Ok(TExpr { kind: TKind::Call(func, args), dtype: DType::Bool, span });
            }
            _ => {}
        }
        let mut kind = args[0].dtype;
        for a in &args[1..] {
            kind = self.common_of(kind, a, span, name)?;
        }
        let numeric = |k: DType| -> Result<(), Error> {
            if matches!(k, DType::Bytes(_)) {
                return Err(self.type_err(format!("`{name}` does not work on bytes"), span));
            }
            Ok(())
        };
        let no_complex = |k: DType| -> Result<(), Error> {
            if k == DType::Complex128 {
                return Err(self.type_err(format!("`{name}` does not work on complex numbers"), span));
            }
            Ok(())
        };
        // (the kind the arguments are cast to, the kind of the result)
        let (work, out) = match func {
            Func::Sqrt
            | Func::Sin
            | Func::Cos
            | Func::Tan
            | Func::Arcsin
            | Func::Arccos
            | Func::Arctan
            | Func::Sinh
            | Func::Cosh
            | Func::Tanh
            | Func::Arcsinh
            | Func::Arccosh
            | Func::Arctanh
            | Func::Log
            | Func::Log1p
            | Func::Log10
            | Func::Log2
            | Func::Exp
            | Func::Expm1 => {
                numeric(kind)?;
                let k = float_min(kind);
                (k, k)
            }
            Func::Ceil | Func::Floor | Func::Fmod | Func::Arctan2 => {
                numeric(kind)?;
                no_complex(kind)?;
                let k = float_min(kind);
                (k, k)
            }
            Func::Abs => {
                numeric(kind)?;
                let k = float_min(kind);
                (k, k)
            }
            Func::Round if is_int(kind) || kind == DType::Bool => {
                // Rounding an integer changes nothing (numexpr keeps its kind).
                let a = args.into_iter().next().ok_or_else(|| self.type_err("round".into(), span))?;
                return Ok(TExpr { span, ..a });
            }
            Func::Round | Func::Sign if kind == DType::Complex128 => (kind, kind),
            Func::Round
            | Func::Trunc
            | Func::Hypot
            | Func::Nextafter
            | Func::Copysign
            | Func::Maximum
            | Func::Minimum => {
                numeric(kind)?;
                no_complex(kind)?;
                (DType::Float64, DType::Float64)
            }
            Func::Sign => {
                numeric(kind)?;
                no_complex(kind)?;
                match kind {
                    DType::Int32 | DType::Int64 => (kind, kind),
                    DType::Bool => (DType::Int32, DType::Int32),
                    _ => (DType::Float64, DType::Float64),
                }
            }
            Func::Real | Func::Imag => {
                numeric(kind)?;
                let w = if kind == DType::Complex128 { kind } else { DType::Float64 };
                (w, DType::Float64)
            }
            Func::Complex => {
                numeric(kind)?;
                no_complex(kind)?;
                (DType::Float64, DType::Complex128)
            }
            Func::Conj => {
                numeric(kind)?;
                if is_int(kind) {
                    // numexpr: the conjugate of an integer is the float64 itself.
                    let a = args.into_iter().next().ok_or_else(|| self.type_err("conj".into(), span))?;
                    return Ok(TExpr { span, ..cast(a, DType::Float64) });
                }
                (DType::Complex128, DType::Complex128)
            }
            Func::Where | Func::Contains => return Err(self.type_err(format!("`{name}`: bad arguments"), span)),
            Func::Isnan | Func::Isfinite | Func::Isinf | Func::Signbit => {
                numeric(kind)?;
                let w = match kind {
                    DType::Complex128 if func != Func::Signbit => kind,
                    DType::Complex128 => {
                        return Err(self.type_err("`signbit` does not work on complex numbers".into(), span))
                    }
                    DType::Float32 => kind,
                    _ => DType::Float64,
                };
                (w, DType::Bool)
            }
        };
        let args = args.into_iter().map(|a| cast(a, work)).collect();
        Ok(TExpr { kind: TKind::Call(func, args), dtype: out, span })
    }

    fn common_of(&self, k: DType, a: &TExpr, span: Span, name: &str) -> Result<DType, Error> {
        match (k, a.dtype) {
            (DType::Bytes(x), DType::Bytes(y)) => Ok(DType::Bytes(x.max(y))),
            (DType::Bytes(_), _) | (_, DType::Bytes(_)) => {
                Err(self.type_err(format!("`{name}` cannot mix bytes with numbers"), span))
            }
            (x, y) => Ok(if rank(x) >= rank(y) { x } else { y }),
        }
    }

    fn reduction(&self, red: RedOp, args: &[Expr], axis: Option<&Expr>, span: Span) -> Result<TExpr, Error> {
        let name = red.name();
        let (arg, axis_expr) = match (args, axis) {
            ([a], ax) => (a, ax),
            ([a, ax], None) => (a, Some(ax)),
            _ => {
                return Err(self.err(
                    ErrorKind::Arity {
                        func: name.into(),
                        expected: "1 or 2".into(),
                        got: args.len() + usize::from(axis.is_some()),
                    },
                    span,
                ))
            }
        };
        let axis = match axis_expr {
            None => None,
            Some(ax) => match self.fold_py(ax)? {
                Some(Py::Int(v)) => {
                    Some(i64::try_from(v).map_err(|_| self.type_err("axis out of range".into(), ax.span))?)
                }
                _ => return Err(self.type_err("`axis` must be an integer constant".into(), ax.span)),
            },
        };
        let x = self.expr(arg)?;
        let kind = match x.dtype {
            DType::Bytes(_) => return Err(self.type_err(format!("`{name}` does not work on bytes"), span)),
            DType::Complex128 if matches!(red, RedOp::Min | RedOp::Max) => {
                return Err(self.type_err("complex numbers cannot be ordered".into(), span))
            }
            DType::Bool => DType::Int64,
            k => k,
        };
        let x = cast(x, kind);
        Ok(TExpr { kind: TKind::Reduce(red, axis, Box::new(x)), dtype: kind, span })
    }
}

/// The float kind a transcendental function works in: float32 stays, integers become float64.
fn float_min(k: DType) -> DType {
    match k {
        DType::Bool => DType::Float32,
        DType::Int32 | DType::Int64 => DType::Float64,
        other => other,
    }
}

fn py_fmod(x: f64, y: f64) -> f64 {
    if y == 0.0 {
        return f64::NAN;
    }
    let m = x % y;
    if m != 0.0 && ((m < 0.0) != (y < 0.0)) {
        m + y
    } else if m == 0.0 {
        0.0f64.copysign(y)
    } else {
        m
    }
}

fn trim_nul(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
    &b[..end]
}

fn py_kind(v: &Py) -> &'static str {
    match v {
        Py::Bool(_) => "bool",
        Py::Int(_) => "int",
        Py::Float(_) => "float",
        Py::Complex(..) => "complex",
        Py::Bytes(_) => "bytes",
    }
}

fn unreachable_const(c: &Checker<'_>, e: &Expr) -> Result<TExpr, Error> {
    // Literals always fold in `fold_py`; reaching here means a literal it could not type.
    Err(c.type_err("unsupported literal".into(), e.span))
}
