//! The typed AST: the contract between the front end (parse + types) and the back end
//! (optimise + lower to bytecode).
//!
//! Every node carries its result type. The type checker inserts every implicit conversion as
//! an explicit [`TKind::Cast`], so operands of a binary operation or a call already share the
//! types the operation works in, and the back end never promotes anything itself.

use crate::dtype::{DType, Value};
use crate::error::Span;

/// A variable the caller binds: a name, its type, and whether it is one value (a scalar,
/// broadcast over the block) or an array.
#[derive(Clone, Debug, PartialEq)]
pub struct VarInfo {
    pub name: String,
    pub dtype: DType,
    pub scalar: bool,
}

/// A typed expression node.
#[derive(Clone, Debug, PartialEq)]
pub struct TExpr {
    pub kind: TKind,
    pub dtype: DType,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TKind {
    /// A constant; its type is `value.dtype()`.
    Const(Value),
    /// Variable number `i` of the variable table given to the type checker.
    Var(usize),
    /// Convert the operand to this node's `dtype`.
    Cast(Box<TExpr>),
    Unary(UnOp, Box<TExpr>),
    /// Both operands have the same type (after casts); for comparisons this node is `Bool`.
    Binary(BinOp, Box<TExpr>, Box<TExpr>),
    /// A function call; arguments already cast to the types the function works in.
    Call(Func, Vec<TExpr>),
    /// A reduction over the whole operand (`axis: None`) or along one axis.
    Reduce(RedOp, Option<i64>, Box<TExpr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `~x`: logical not on bool, bitwise not on integers.
    Invert,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    /// True division `/` (integer operands are cast to float64 by the type checker).
    Div,
    /// Python's floor division `//`.
    FloorDiv,
    /// Python's modulo `%` (the result takes the sign of the divisor).
    Mod,
    Pow,
    /// `&`: logical and on bool, bitwise on integers.
    And,
    /// `|`
    Or,
    /// `^`
    Xor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinOp {
    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }
}

/// Every function of numexpr's language, reductions apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
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
    /// `where(cond, x, y)`: `cond` is bool, `x` and `y` share this node's type.
    Where,
    /// `contains(haystack, needle)` on byte strings.
    Contains,
}

impl Func {
    /// Every function, for name lookup and tests.
    pub const ALL: &'static [Func] = &[
        Func::Sqrt,
        Func::Sin,
        Func::Cos,
        Func::Tan,
        Func::Arcsin,
        Func::Arccos,
        Func::Arctan,
        Func::Sinh,
        Func::Cosh,
        Func::Tanh,
        Func::Arcsinh,
        Func::Arccosh,
        Func::Arctanh,
        Func::Log,
        Func::Log1p,
        Func::Log10,
        Func::Log2,
        Func::Exp,
        Func::Expm1,
        Func::Abs,
        Func::Ceil,
        Func::Floor,
        Func::Round,
        Func::Trunc,
        Func::Sign,
        Func::Fmod,
        Func::Arctan2,
        Func::Hypot,
        Func::Nextafter,
        Func::Copysign,
        Func::Maximum,
        Func::Minimum,
        Func::Real,
        Func::Imag,
        Func::Complex,
        Func::Conj,
        Func::Isnan,
        Func::Isfinite,
        Func::Isinf,
        Func::Signbit,
        Func::Where,
        Func::Contains,
    ];

    /// The name in the expression language.
    pub fn name(self) -> &'static str {
        match self {
            Func::Sqrt => "sqrt",
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Arcsin => "arcsin",
            Func::Arccos => "arccos",
            Func::Arctan => "arctan",
            Func::Sinh => "sinh",
            Func::Cosh => "cosh",
            Func::Tanh => "tanh",
            Func::Arcsinh => "arcsinh",
            Func::Arccosh => "arccosh",
            Func::Arctanh => "arctanh",
            Func::Log => "log",
            Func::Log1p => "log1p",
            Func::Log10 => "log10",
            Func::Log2 => "log2",
            Func::Exp => "exp",
            Func::Expm1 => "expm1",
            Func::Abs => "abs",
            Func::Ceil => "ceil",
            Func::Floor => "floor",
            Func::Round => "round",
            Func::Trunc => "trunc",
            Func::Sign => "sign",
            Func::Fmod => "fmod",
            Func::Arctan2 => "arctan2",
            Func::Hypot => "hypot",
            Func::Nextafter => "nextafter",
            Func::Copysign => "copysign",
            Func::Maximum => "maximum",
            Func::Minimum => "minimum",
            Func::Real => "real",
            Func::Imag => "imag",
            Func::Complex => "complex",
            Func::Conj => "conj",
            Func::Isnan => "isnan",
            Func::Isfinite => "isfinite",
            Func::Isinf => "isinf",
            Func::Signbit => "signbit",
            Func::Where => "where",
            Func::Contains => "contains",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RedOp {
    Sum,
    Prod,
    Min,
    Max,
}

impl RedOp {
    pub fn name(self) -> &'static str {
        match self {
            RedOp::Sum => "sum",
            RedOp::Prod => "prod",
            RedOp::Min => "min",
            RedOp::Max => "max",
        }
    }
}
