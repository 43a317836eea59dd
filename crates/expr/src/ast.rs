//! The untyped syntax tree, with byte spans, and its canonical printed form.
//!
//! The printed form is fully parenthesised and parses back to the same tree (spans aside):
//! `-a**2` prints as `(-(a ** 2))`.

use std::fmt;

use crate::error::Span;
use crate::typed::BinOp;

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer literal (its kind, int32 or int64, is decided by the type checker).
    Int(i64),
    Float(f64),
    /// An imaginary literal `2j`: the value is the imaginary part.
    Imag(f64),
    Bool(bool),
    /// `b'..'` or `'..'`: ASCII bytes.
    Bytes(Vec<u8>),
    Name(String),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `func(args)`; `x.real` and `x.imag` are calls of `real` and `imag`.
    Call {
        func: String,
        func_span: Span,
        args: Vec<Expr>,
        /// The `axis=` keyword argument of a reduction.
        axis: Option<Box<Expr>>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Pos,
    Invert,
}

impl Expr {
    /// The variable names the expression reads, in order of first appearance.
    pub fn names(&self) -> Vec<String> {
        fn walk(e: &Expr, out: &mut Vec<String>) {
            match &e.kind {
                ExprKind::Name(n) if !out.contains(n) => out.push(n.clone()),
                ExprKind::Unary(_, x) => walk(x, out),
                ExprKind::Binary(_, l, r) => {
                    walk(l, out);
                    walk(r, out);
                }
                ExprKind::Call { args, axis, .. } => {
                    args.iter().for_each(|a| walk(a, out));
                    if let Some(a) = axis {
                        walk(a, out);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// The tree with every span set to zero, to compare trees from different texts.
    pub fn without_spans(&self) -> Expr {
        let kind = match &self.kind {
            ExprKind::Unary(op, e) => ExprKind::Unary(*op, Box::new(e.without_spans())),
            ExprKind::Binary(op, l, r) => {
                ExprKind::Binary(*op, Box::new(l.without_spans()), Box::new(r.without_spans()))
            }
            ExprKind::Call { func, args, axis, .. } => ExprKind::Call {
                func: func.clone(),
                func_span: Span::default(),
                args: args.iter().map(Expr::without_spans).collect(),
                axis: axis.as_ref().map(|a| Box::new(a.without_spans())),
            },
            other => other.clone(),
        };
        Expr { kind, span: Span::default() }
    }
}

/// The operator's text in the language.
pub fn binop_symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::FloorDiv => "//",
        BinOp::Mod => "%",
        BinOp::Pow => "**",
        BinOp::And => "&",
        BinOp::Or => "|",
        BinOp::Xor => "^",
        BinOp::Shl => "<<",
        BinOp::Shr => ">>",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
    }
}

/// Writes a float so that it parses back to the same value.
pub(crate) fn write_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_infinite() {
        // Only +inf can come from a literal (`1e400`); NaN cannot.
        f.write_str("1e999")
    } else if x.is_nan() {
        f.write_str("nan")
    } else {
        write!(f, "{x:?}")
    }
}

/// Writes bytes as a `b'..'` literal.
pub(crate) fn write_bytes(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    f.write_str("b'")?;
    for &b in bytes {
        match b {
            b'\'' => f.write_str("\\'")?,
            b'\\' => f.write_str("\\\\")?,
            b'\n' => f.write_str("\\n")?,
            b'\t' => f.write_str("\\t")?,
            b'\r' => f.write_str("\\r")?,
            0x20..=0x7e => write!(f, "{}", b as char)?,
            _ => write!(f, "\\x{b:02x}")?,
        }
    }
    f.write_str("'")
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Int(v) => write!(f, "{v}"),
            ExprKind::Float(v) => write_float(f, *v),
            ExprKind::Imag(v) => {
                write_float(f, *v)?;
                f.write_str("j")
            }
            ExprKind::Bool(true) => f.write_str("True"),
            ExprKind::Bool(false) => f.write_str("False"),
            ExprKind::Bytes(b) => write_bytes(f, b),
            ExprKind::Name(n) => f.write_str(n),
            ExprKind::Unary(op, e) => {
                let sym = match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Pos => "+",
                    UnaryOp::Invert => "~",
                };
                write!(f, "({sym}{e})")
            }
            ExprKind::Binary(op, l, r) => write!(f, "({l} {} {r})", binop_symbol(*op)),
            ExprKind::Call { func, args, axis, .. } => {
                write!(f, "{func}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                if let Some(axis) = axis {
                    if !args.is_empty() {
                        f.write_str(", ")?;
                    }
                    write!(f, "axis={axis}")?;
                }
                f.write_str(")")
            }
        }
    }
}
