//! `Expr`: compile an expression once, bind arrays and scalars, evaluate in parallel blocks.

use std::sync::OnceLock;

use ndarray::{ArrayD, IxDyn};
use outcore_expr::{DType, VarInfo};
use outcore_vm::exec::Elem;
use outcore_vm::{Arg, Col, Config, OutMut, Owned, Prepared};

use crate::array::{Array, ArrayRef, IntoOperand, Operand};
use crate::error::{Error, Result};

/// A compiled expression and its variables.
///
/// ```
/// use ndarray::array;
/// let a = array![1.0, 2.0, 3.0];
/// let b = array![10.0, 20.0, 30.0];
/// let r = outcore::Expr::new("a*b + 1")?.bind("a", &a)?.bind("b", &b)?.eval()?;
/// assert_eq!(r.into_f64().unwrap().into_raw_vec_and_offset().0, vec![11.0, 41.0, 91.0]);
/// # Ok::<(), outcore::Error>(())
/// ```
pub struct Expr<'a> {
    src: String,
    vars: Vec<(String, Operand<'a>)>,
    config: Config,
    /// Compiled on first use, for the variables' types; binding again recompiles.
    program: OnceLock<std::result::Result<Prepared, Error>>,
}

impl<'a> Expr<'a> {
    /// Parses an expression; syntax errors are reported now, names and types at evaluation.
    pub fn new(src: &str) -> Result<Expr<'a>> {
        outcore_expr::parse::parse(src)?;
        Ok(Expr { src: src.to_string(), vars: Vec::new(), config: Config::default(), program: OnceLock::new() })
    }

    /// Binds a name to an array, a slice or a scalar (binding a name again replaces it).
    pub fn bind(mut self, name: &str, value: impl IntoOperand<'a>) -> Result<Expr<'a>> {
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(Error::Bind(format!("`{name}` is not a valid variable name")));
        }
        let op = value.into_operand();
        match self.vars.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = op,
            None => self.vars.push((name.to_string(), op)),
        }
        self.program = OnceLock::new();
        Ok(self)
    }

    /// Elements per block (default 4096).
    pub fn block_len(mut self, n: usize) -> Expr<'a> {
        self.config.block_len = n.max(1);
        self
    }

    /// Worker threads (default: rayon's global pool).
    pub fn threads(mut self, n: usize) -> Expr<'a> {
        self.config.threads = Some(n.max(1));
        self
    }

    /// The compiled program (compiled once, on first use).
    pub fn program(&self) -> Result<&Prepared> {
        let compiled = self.program.get_or_init(|| {
            let vars: Vec<VarInfo> = self
                .vars
                .iter()
                .map(|(name, op)| VarInfo {
                    name: name.clone(),
                    dtype: op.dtype(),
                    scalar: matches!(op, Operand::Scalar(_)),
                })
                .collect();
            let program = outcore_expr::compile(&self.src, &vars)?;
            Ok(Prepared::new(program)?)
        });
        match compiled {
            Ok(p) => Ok(p),
            Err(e) => Err(clone_error(e)),
        }
    }

    /// The type of the result.
    pub fn dtype(&self) -> Result<DType> {
        Ok(self.program()?.dtype())
    }

    /// Evaluates into a new array (0-dimensional for a full reduction).
    pub fn eval(&self) -> Result<Array> {
        let program = self.program()?;
        let owned = contiguous(&self.vars);
        let args = args(&self.vars, &owned);
        let out = outcore_vm::evaluate(program, &args, &self.config)?;
        Ok(to_array(out.shape, out.data))
    }

    /// Evaluates into an existing output of the result's type and number of elements
    /// (a slice, a `Vec`, or a contiguous ndarray).
    pub fn eval_into<T: OutputTarget>(&self, mut out: T) -> Result<()> {
        let program = self.program()?;
        let owned = contiguous(&self.vars);
        let args = args(&self.vars, &owned);
        let mut target = out.target()?;
        outcore_vm::evaluate_into(program, &args, &mut target, &self.config)?;
        Ok(())
    }
}

/// Evaluates an expression in one call.
///
/// ```
/// let a = vec![1i32, 2, 3];
/// let r = outcore::evaluate("a * 2", &outcore::vars! {"a" => &a})?;
/// assert_eq!(r.into_i32().unwrap().into_raw_vec_and_offset().0, vec![2, 4, 6]);
/// # Ok::<(), outcore::Error>(())
/// ```
pub fn evaluate<'a>(src: &str, vars: &[(String, Operand<'a>)]) -> Result<Array> {
    let mut e = Expr::new(src)?;
    for (name, op) in vars {
        e = e.bind(name, op.clone())?;
    }
    e.eval()
}

/// Builds the variable list for [`evaluate`]: `vars! {"a" => &a, "lim" => 2.5}`.
#[macro_export]
macro_rules! vars {
    ($($name:expr => $value:expr),* $(,)?) => {
        [$(($name.to_string(), $crate::IntoOperand::into_operand($value))),*]
    };
}

fn clone_error(e: &Error) -> Error {
    match e {
        Error::Expr(x) => Error::Expr(x.clone()),
        Error::Eval(x) => Error::Eval(x.clone()),
        Error::Bind(m) => Error::Bind(m.clone()),
    }
}

/// Contiguous copies of the views that are not in standard layout (the VM reads strided
/// values too, but a strided view's span may overlap memory borrowed elsewhere).
fn contiguous(vars: &[(String, Operand<'_>)]) -> Vec<Option<Array>> {
    vars.iter()
        .map(|(_, op)| match op.as_view() {
            Ok(v) if !readable_in_place(&v) => Some(crate::array::to_owned(v)),
            _ => None,
        })
        .collect()
}

fn readable_in_place(v: &ArrayRef<'_>) -> bool {
    match v {
        ArrayRef::Bool(a) => a.is_standard_layout(),
        ArrayRef::Int32(a) => a.is_standard_layout(),
        ArrayRef::Int64(a) => a.is_standard_layout(),
        ArrayRef::Float32(a) => a.is_standard_layout(),
        ArrayRef::Float64(a) => a.is_standard_layout(),
        ArrayRef::Complex128(a) => a.is_standard_layout(),
        ArrayRef::Bytes(_) => true,
    }
}

fn args<'s>(vars: &'s [(String, Operand<'_>)], owned: &'s [Option<Array>]) -> Vec<Arg<'s>> {
    vars.iter()
        .zip(owned)
        .map(|((_, op), copy)| {
            let view = match copy {
                Some(a) => a.view(),
                None => match op.as_view() {
                    Ok(v) => v,
                    Err(v) => return Arg::Scalar(v.clone()),
                },
            };
            col_of(view)
        })
        .collect()
}

/// A standard-layout view as the VM reads it.
fn col_of(v: ArrayRef<'_>) -> Arg<'_> {
    macro_rules! arr {
        ($a:expr, $variant:ident) => {{
            let shape = $a.shape().to_vec();
            match $a.to_slice() {
                Some(s) => Arg::Array(Col::$variant(s), shape),
                // Unreachable: views not in standard layout were copied first.
                None => Arg::Array(Col::$variant(&[]), shape),
            }
        }};
    }
    match v {
        ArrayRef::Bool(a) => arr!(a, Bool),
        ArrayRef::Int32(a) => arr!(a, Int32),
        ArrayRef::Int64(a) => arr!(a, Int64),
        ArrayRef::Float32(a) => arr!(a, Float32),
        ArrayRef::Float64(a) => arr!(a, Float64),
        ArrayRef::Complex128(a) => arr!(a, Complex128),
        ArrayRef::Bytes(b) => Arg::Array(Col::Bytes { data: &b.data, itemsize: b.itemsize }, b.shape.clone()),
    }
}

fn to_array(shape: Vec<usize>, data: Owned) -> Array {
    macro_rules! nd {
        ($v:expr, $variant:ident) => {
            match ArrayD::from_shape_vec(IxDyn(&shape), $v) {
                Ok(a) => Array::$variant(a),
                // The VM returns exactly shape.product() values.
                Err(_) => Array::$variant(ArrayD::from_shape_vec(IxDyn(&[0]), Vec::new()).unwrap_or_default()),
            }
        };
    }
    match data {
        Owned::Bool(v) => nd!(v, Bool),
        Owned::Int32(v) => nd!(v, Int32),
        Owned::Int64(v) => nd!(v, Int64),
        Owned::Float32(v) => nd!(v, Float32),
        Owned::Float64(v) => nd!(v, Float64),
        Owned::Complex128(v) => nd!(v, Complex128),
    }
}

/// Something an expression can write its result into.
pub trait OutputTarget {
    fn target(&mut self) -> Result<OutMut<'_>>;
}

impl<T: Elem> OutputTarget for &mut [T] {
    fn target(&mut self) -> Result<OutMut<'_>> {
        Ok(T::out_mut(self))
    }
}

impl<T: Elem> OutputTarget for &mut Vec<T> {
    fn target(&mut self) -> Result<OutMut<'_>> {
        Ok(T::out_mut(self.as_mut_slice()))
    }
}

impl<T, S, D> OutputTarget for &mut ndarray::ArrayBase<S, D>
where
    T: Elem,
    S: ndarray::DataMut<Elem = T>,
    D: ndarray::Dimension,
{
    fn target(&mut self) -> Result<OutMut<'_>> {
        match self.as_slice_mut() {
            Some(s) => Ok(T::out_mut(s)),
            None => Err(Error::Bind("the output array must be contiguous (standard layout)".into())),
        }
    }
}

impl std::fmt::Debug for Expr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expr")
            .field("src", &self.src)
            .field("vars", &self.vars.iter().map(|(n, op)| (n.as_str(), op.dtype())).collect::<Vec<_>>())
            .field("config", &self.config)
            .finish()
    }
}
