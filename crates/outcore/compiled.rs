//! `Compiled`: an expression compiled once for its inputs' names and types, owning its program,
//! so that a cache, a long-lived object or another thread can hold it; inputs are bound per
//! call.

use std::sync::Arc;

use outcore_expr::{DType, VarInfo};
use outcore_vm::{Config, Prepared};

use crate::array::{Array, Operand};
use crate::error::{Error, Result};
use crate::expr::{self, contiguous, to_array, Expr, OutputTarget};

/// A compiled expression: `Send + Sync + 'static` and cheap to clone (the program is shared).
///
/// ```
/// use outcore::{Compiled, DType, IntoOperand};
/// let c = Compiled::new("a * 2 + b", &[("a", DType::Float64), ("b", DType::Float64)])?;
/// let (a, b) = (vec![1.0, 2.0], vec![0.5, 0.5]);
/// let r = c.eval(&[(&a).into_operand(), (&b).into_operand()])?;
/// assert_eq!(r.into_f64().unwrap().into_raw_vec_and_offset().0, vec![2.5, 4.5]);
/// let held = std::thread::spawn(move || c.dtype()).join().unwrap();
/// assert_eq!(held, DType::Float64);
/// # Ok::<(), outcore::Error>(())
/// ```
#[derive(Clone)]
pub struct Compiled {
    inner: Arc<Inner>,
    config: Config,
}

struct Inner {
    src: String,
    inputs: Vec<VarInfo>,
    program: Prepared,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled").field("src", &self.inner.src).field("dtype", &self.dtype()).finish()
    }
}

impl Compiled {
    /// Compiles `src` for inputs of these names and types, in the order [`Compiled::eval`]
    /// takes them. Every name the expression uses must be among them.
    pub fn new(src: &str, inputs: &[(&str, DType)]) -> Result<Compiled> {
        let vars: Vec<VarInfo> =
            inputs.iter().map(|(n, d)| VarInfo { name: n.to_string(), dtype: *d, scalar: false }).collect();
        Compiled::from_vars(src, vars)
    }

    /// As [`Compiled::new`], saying which inputs are scalars (only the disassembly shows it).
    pub fn from_vars(src: &str, inputs: Vec<VarInfo>) -> Result<Compiled> {
        let program = Prepared::new(outcore_expr::compile(src, &inputs)?)?;
        Ok(Compiled { inner: Arc::new(Inner { src: src.to_string(), inputs, program }), config: Config::default() })
    }

    /// Worker threads (default: the current rayon pool).
    pub fn threads(mut self, n: usize) -> Compiled {
        self.config.threads = Some(n.max(1));
        self
    }

    /// Elements per block (default 4096).
    pub fn block_len(mut self, n: usize) -> Compiled {
        self.config.block_len = n.max(1);
        self
    }

    /// The expression's text.
    pub fn src(&self) -> &str {
        &self.inner.src
    }

    /// The names of the inputs, in the order `eval` takes them.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.inner.inputs.iter().map(|v| v.name.as_str())
    }

    /// The types of the inputs, in the order `eval` takes them.
    pub fn input_types(&self) -> impl Iterator<Item = DType> + '_ {
        self.inner.inputs.iter().map(|v| v.dtype)
    }

    /// The type of the result.
    pub fn dtype(&self) -> DType {
        self.inner.program.dtype()
    }

    /// The shape of an elementwise result over operands of these shapes (`None` for a
    /// scalar), NumPy's broadcast; `None` for a reduction, whose shape `eval` finds.
    pub fn elementwise_shape(&self, shapes: &[Option<Vec<usize>>]) -> Option<Vec<usize>> {
        let p = self.program();
        let last = p.stages.len() - 1;
        if !matches!(p.stages[last].kind, outcore_expr::program::StageKind::Elementwise) {
            return None;
        }
        outcore_vm::exec::stage_shape_of(p, shapes, last).ok()
    }

    /// Inputs of at most this many elements are evaluated on the calling thread (no hand-off
    /// to the worker pool), with the default block length.
    pub const SERIAL_LEN: usize = 4096 * outcore_vm::exec::SERIAL_BLOCKS;

    /// The compiled program, printed (numexpr's `disassemble`).
    pub fn disassemble(&self) -> String {
        self.inner.program.to_string()
    }

    /// The program (for the VM's own entry points).
    pub fn program(&self) -> &Prepared {
        &self.inner.program
    }

    fn check(&self, args: &[Operand<'_>]) -> Result<()> {
        if args.len() != self.inner.inputs.len() {
            let names: Vec<&str> = self.names().collect();
            return Err(Error::type_(format!(
                "`{}` takes {} inputs ({}), got {}",
                self.inner.src,
                names.len(),
                names.join(", "),
                args.len()
            )));
        }
        Ok(())
    }

    /// The same expression as an [`Expr`] over these operands (for HDF5 operands, streamed).
    fn expr<'a>(&self, args: &[Operand<'a>]) -> Result<Expr<'a>> {
        let mut e = Expr::new(&self.inner.src)?.block_len(self.config.block_len);
        if let Some(t) = self.config.threads {
            e = e.threads(t);
        }
        for (v, op) in self.inner.inputs.iter().zip(args) {
            e = e.bind(&v.name, op.clone())?;
        }
        Ok(e)
    }

    /// Evaluates over `args` (one per input, in order) into a new array (0-dimensional for a
    /// full reduction).
    pub fn eval(&self, args: &[Operand<'_>]) -> Result<Array> {
        self.check(args)?;
        if args.iter().any(|a| matches!(a, Operand::H5(_))) {
            return self.expr(args)?.eval();
        }
        let owned = contiguous(args);
        let vm_args = expr::args(args, &owned);
        let out = outcore_vm::evaluate(&self.inner.program, &vm_args, &self.config)?;
        Ok(to_array(out.shape, out.data))
    }

    /// Evaluates over `args` into an existing output of the result's type and number of
    /// elements; returns the result's shape.
    pub fn eval_into<T: OutputTarget>(&self, args: &[Operand<'_>], mut out: T) -> Result<Vec<usize>> {
        self.check(args)?;
        if args.iter().any(|a| matches!(a, Operand::H5(_))) {
            let e = self.expr(args)?;
            let shape = e.shape()?;
            e.eval_into(out)?;
            return Ok(shape);
        }
        let owned = contiguous(args);
        let vm_args = expr::args(args, &owned);
        let mut target = out.target()?;
        Ok(outcore_vm::evaluate_into(&self.inner.program, &vm_args, &mut target, &self.config)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IntoOperand;

    fn assert_send_sync_static<T: Send + Sync + 'static>() {}

    #[test]
    fn owns_its_program_and_checks_its_inputs() {
        assert_send_sync_static::<Compiled>();
        let c = Compiled::new("where(a > 1, a, -a)", &[("a", DType::Int64)]).unwrap();
        assert_eq!(c.dtype(), DType::Int64);
        let a = vec![0i64, 1, 2, 3];
        let r = c.clone().threads(1).eval(&[(&a).into_operand()]).unwrap();
        assert_eq!(r.into_i64().unwrap().into_raw_vec_and_offset().0, vec![0, -1, 2, 3]);
        let mut out = vec![0i64; 4];
        assert_eq!(c.eval_into(&[(&a).into_operand()], &mut out).unwrap(), vec![4]);
        assert_eq!(out, vec![0, -1, 2, 3]);
        let e = c.eval(&[]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Type);
        assert_eq!(e.to_string(), "`where(a > 1, a, -a)` takes 1 inputs (a), got 0");
        let f = vec![1.0f64];
        let e = c.eval(&[(&f).into_operand()]).unwrap_err();
        assert_eq!(
            (e.kind(), e.to_string().as_str()),
            (crate::ErrorKind::Type, "input `a` should be int64, got float64")
        );
        assert!(c.disassemble().contains("where"), "{}", c.disassemble());
    }
}
