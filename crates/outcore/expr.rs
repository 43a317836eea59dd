//! `Expr`: compile an expression once, bind arrays and scalars, evaluate in parallel blocks.

use std::sync::OnceLock;

use ndarray::{ArrayD, IxDyn};
use outcore_expr::{DType, VarInfo};
use outcore_vm::exec::Elem;
use outcore_vm::{Arg, Col, Config, OutMut, Owned, Prepared};

use crate::array::{Array, ArrayRef, IntoOperand, Operand};
use crate::error::{Error, Result};
use crate::ooc::{self, Plan, RowRange, Sink};
use crate::source::Writer;
use crate::stream::{Flow, Shape};

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
    /// The rows of the main dimension to read (`set_inputs_range`).
    range: Option<RowRange>,
    /// Operands of different main lengths use the shortest (PyTables' behaviour), on request.
    truncate: bool,
    progress: Option<crate::stream::Progress>,
    /// Compiled on first use, for the variables' types; binding again recompiles.
    program: OnceLock<std::result::Result<Prepared, Error>>,
}

impl<'a> Expr<'a> {
    /// Parses an expression; syntax errors are reported now, names and types at evaluation.
    pub fn new(src: &str) -> Result<Expr<'a>> {
        outcore_expr::parse::parse(src)?;
        Ok(Expr {
            src: src.to_string(),
            vars: Vec::new(),
            config: Config::default(),
            range: None,
            truncate: false,
            progress: None,
            program: OnceLock::new(),
        })
    }

    /// Binds a name to an array, a slice or a scalar (binding a name again replaces it).
    pub fn bind(mut self, name: &str, value: impl IntoOperand<'a>) -> Result<Expr<'a>> {
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(Error::new(crate::ErrorKind::Syntax, format!("`{name}` is not a valid variable name")));
        }
        let op = value.into_operand();
        if let Operand::H5(h) = &op {
            h.check()?;
        }
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

    /// Tells `p` how far each streamed pass has come (slabs done, slabs in all).
    pub fn on_progress(mut self, p: crate::stream::Progress) -> Expr<'a> {
        self.progress = Some(p);
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

    /// Binds every name of the expression not bound yet to the leaf of that name in `group`
    /// (PyTables' natural naming); names with no such leaf are left for an error at
    /// evaluation.
    pub fn bind_group(mut self, group: &outcore_h5::Group) -> Result<Expr<'a>> {
        let names = outcore_expr::parse::parse(&self.src)?.names();
        let children = group.children()?;
        for name in names {
            if self.vars.iter().any(|(n, _)| *n == name) || !children.contains(&name) {
                continue;
            }
            if let outcore_h5::Node::Leaf(leaf) = group.child(&name)? {
                self = self.bind(&name, &leaf)?;
            }
        }
        Ok(self)
    }

    /// Reads only rows `start..stop` by `step` of the main dimension (Python slice rules:
    /// negative positions count from the end; the step must be positive).
    pub fn set_inputs_range(mut self, start: Option<i64>, stop: Option<i64>, step: Option<i64>) -> Result<Expr<'a>> {
        let range = RowRange::new(start, stop, step);
        range.resolve(0)?;
        self.range = Some(range);
        Ok(self)
    }

    /// Lets operands of different main lengths be evaluated over the shortest, as PyTables
    /// does silently (without this, different lengths are an error naming both operands).
    pub fn allow_truncate(mut self) -> Expr<'a> {
        self.truncate = true;
        self
    }

    /// Writes the result into an existing HDF5 leaf (a CArray, an EArray, a plain dataset)
    /// instead of memory: its rows must match the result's (see
    /// [`ExprInto::set_output_range`]) and its type must hold the result under NumPy's
    /// `same_kind` rule.
    pub fn set_output(self, out: &outcore_h5::Leaf) -> Result<ExprInto<'a>> {
        ExprInto::new(self, out, false)
    }

    /// Appends the result's rows to an EArray.
    pub fn set_output_append(self, out: &outcore_h5::Leaf) -> Result<ExprInto<'a>> {
        ExprInto::new(self, out, true)
    }

    /// The result's shape, from the operands' shapes (nothing is evaluated).
    pub fn shape(&self) -> Result<Vec<usize>> {
        let prep = self.prepare()?;
        let plan = self.plan(&prep, None, None)?;
        Expr::result_shape(&plan)
    }

    /// The filters of the first HDF5 operand (what an output created for the result takes).
    pub fn input_filters(&self) -> Option<outcore_h5::Filters> {
        self.vars.iter().find_map(|(_, op)| match op {
            Operand::H5(h) => h.leaf.filters(),
            _ => None,
        })
    }

    fn streams(&self) -> bool {
        self.range.is_some() || self.vars.iter().any(|(_, op)| matches!(op, Operand::H5(_)))
    }

    /// The result's blocks in row order, computed a few slabs at a time (for consumers that
    /// stream; memory stays bounded). A reduction's result is one block.
    pub fn iter(&self) -> Result<Blocks<'_, 'a>> {
        Blocks::new(self)
    }

    /// Evaluates into a new array (0-dimensional for a full reduction).
    pub fn eval(&self) -> Result<Array> {
        if self.streams() {
            return self.eval_streamed();
        }
        let program = self.program()?;
        let owned = contiguous(self.vars.iter().map(|(_, op)| op));
        let args = args(self.vars.iter().map(|(_, op)| op), &owned);
        let out = outcore_vm::evaluate(program, &args, &self.config)?;
        Ok(to_array(out.shape, out.data))
    }

    /// Evaluates into an existing output of the result's type and number of elements
    /// (a slice, a `Vec`, or a contiguous ndarray).
    pub fn eval_into<T: OutputTarget>(&self, mut out: T) -> Result<()> {
        if self.streams() {
            let r = self.eval_streamed()?;
            let mut target = out.target()?;
            return copy_into(&r, &mut target);
        }
        let program = self.program()?;
        let owned = contiguous(self.vars.iter().map(|(_, op)| op));
        let args = args(self.vars.iter().map(|(_, op)| op), &owned);
        let mut target = out.target()?;
        outcore_vm::evaluate_into(program, &args, &mut target, &self.config)?;
        Ok(())
    }
}

/// The names an expression reads, in order of first use: what a caller binds (syntax errors
/// are reported here, with their caret).
pub fn names(src: &str) -> Result<Vec<String>> {
    Ok(outcore_expr::parse::parse(src)?.names())
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
    e.clone()
}

/// Contiguous copies of the views that are not in standard layout (the VM reads strided
/// values too, but a strided view's span may overlap memory borrowed elsewhere).
pub(crate) fn contiguous<'o, 'a: 'o>(ops: impl IntoIterator<Item = &'o Operand<'a>>) -> Vec<Option<Array>> {
    ops.into_iter()
        .map(|op| match op.as_view() {
            Ok(v) if !readable_in_place(&v) => Some(crate::array::to_owned(v)),
            _ => None,
        })
        .collect()
}

pub(crate) fn readable_in_place(v: &ArrayRef<'_>) -> bool {
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

pub(crate) fn args<'s, 'a: 's>(
    ops: impl IntoIterator<Item = &'s Operand<'a>>,
    owned: &'s [Option<Array>],
) -> Vec<Arg<'s>> {
    ops.into_iter()
        .zip(owned)
        .map(|(op, copy)| {
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
pub(crate) fn col_of(v: ArrayRef<'_>) -> Arg<'_> {
    macro_rules! arr {
        ($a:expr, $variant:ident) => {{
            let shape = $a.shape().to_vec();
            match $a.to_slice() {
                Some(s) => Arg::Array(Col::$variant(s), shape),
                // Unreachable: views not in standard layout are copied first.
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

pub(crate) fn to_array(shape: Vec<usize>, data: Owned) -> Array {
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
    /// The output as the VM writes it (an error when it is not contiguous).
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
            None => Err(Error::shape("the output array must be contiguous (standard layout)")),
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

impl<'a> Expr<'a> {
    /// Everything a streamed evaluation reads, prepared once.
    fn prepare(&self) -> Result<Streamed<'_>> {
        let program = self.program()?;
        for (_, op) in &self.vars {
            if let Operand::H5(h) = op {
                h.check()?;
            }
        }
        let (sliced, main) = ooc::classify(&self.vars, self.truncate)?;
        let owned = ooc::materialise(&self.vars, &sliced)?;
        Ok(Streamed { program, sliced, main, owned })
    }

    fn plan<'s>(
        &'s self,
        prep: &'s Streamed<'s>,
        out: Option<&outcore_h5::Leaf>,
        align: Option<(usize, usize)>,
    ) -> Result<Plan<'s>> {
        // Workers read chunks at their addresses unless the output could move them.
        let pread_ok = |leaf: &outcore_h5::Leaf| leaf.unchanging() || out.is_none_or(|o| !o.same_dataset(leaf));
        ooc::plan(
            prep.program,
            &self.vars,
            &prep.owned,
            &prep.sliced,
            prep.main,
            self.range.unwrap_or_default(),
            align,
            Shape::new(self.config.threads, self.progress.clone()),
            self.config.block_len,
            &pread_ok,
        )
    }

    /// The values of the reduction stages before the last, each one streamed pass.
    fn stage_values(plan: &Plan<'_>) -> Result<Vec<outcore_expr::Value>> {
        let mut values = Vec::new();
        for s in 0..plan.p.stages.len() - 1 {
            let v = match outcore_vm::stream::stage_reduction(plan.p, s) {
                Some(_) => plan.reduce_stage(s, &values)?,
                None => outcore_expr::Value::Bool(false),
            };
            values.push(v);
        }
        Ok(values)
    }

    /// The result's shape over the whole range.
    fn result_shape(plan: &Plan<'_>) -> Result<Vec<usize>> {
        let last = plan.p.stages.len() - 1;
        let mut shape = outcore_vm::exec::stage_shape_of(plan.p, &plan.shapes, last)?;
        match outcore_vm::stream::stage_reduction(plan.p, last) {
            Some((_, None)) => Ok(Vec::new()),
            Some((_, Some(axis))) => {
                let nd = shape.len() as i64;
                let ax = if axis < 0 { axis + nd } else { axis };
                if ax < 0 || ax >= nd {
                    return Err(outcore_vm::VmError::Axis { axis, ndim: shape.len() }.into());
                }
                shape.remove(ax as usize);
                Ok(shape)
            }
            None => Ok(shape),
        }
    }

    fn flush_inputs(&self) -> Result<()> {
        for (_, op) in &self.vars {
            if let Operand::H5(h) = op {
                h.leaf.flush_file()?;
            }
        }
        Ok(())
    }

    fn eval_streamed(&self) -> Result<Array> {
        self.flush_inputs()?;
        let prep = self.prepare()?;
        let plan = self.plan(&prep, None, None)?;
        let values = Self::stage_values(&plan)?;
        let shape = Self::result_shape(&plan)?;
        let total: usize = shape.iter().product();
        let per_row: usize = shape.iter().skip(1).product();
        let mut data = Owned::zeros(prep.program.dtype(), total)?;
        let mut put = |k0: usize, v: Owned| -> Result<Flow> {
            copy_owned_at(&v, &mut data, if shape.is_empty() { 0 } else { k0 * per_row });
            Ok(Flow::Continue)
        };
        plan.last_stage(0..plan.jobs(), &values, Sink::Values(&mut put))?;
        Ok(to_array(shape, data))
    }
}

/// What a streamed evaluation reads: the program, which operands are sliced, their main
/// length, and copies made once (lower-rank HDF5 operands, strided views).
struct Streamed<'p> {
    program: &'p outcore_vm::Prepared,
    sliced: Vec<bool>,
    main: usize,
    owned: Vec<ooc::Copied>,
}

fn owned_len(o: &Owned) -> usize {
    ooc::owned_len(o)
}

/// Copies `src` into `dst` from element `at`.
fn copy_owned_at(src: &Owned, dst: &mut Owned, at: usize) {
    let n = owned_len(src);
    match (src, dst) {
        (Owned::Bool(s), Owned::Bool(d)) => d[at..at + n].copy_from_slice(s),
        (Owned::Int32(s), Owned::Int32(d)) => d[at..at + n].copy_from_slice(s),
        (Owned::Int64(s), Owned::Int64(d)) => d[at..at + n].copy_from_slice(s),
        (Owned::Float32(s), Owned::Float32(d)) => d[at..at + n].copy_from_slice(s),
        (Owned::Float64(s), Owned::Float64(d)) => d[at..at + n].copy_from_slice(s),
        (Owned::Complex128(s), Owned::Complex128(d)) => d[at..at + n].copy_from_slice(s),
        _ => {}
    }
}

fn copy_into(r: &Array, out: &mut OutMut<'_>) -> Result<()> {
    macro_rules! copy {
        ($a:expr, $o:expr) => {{
            if $a.len() != $o.len() {
                return Err(Error::shape(format!(
                    "the output holds {} elements; the result has {}",
                    $o.len(),
                    $a.len()
                )));
            }
            for (d, s) in $o.iter_mut().zip($a.iter()) {
                *d = *s;
            }
            Ok(())
        }};
    }
    match (r, out) {
        (Array::Bool(a), OutMut::Bool(o)) => copy!(a, o),
        (Array::Int32(a), OutMut::Int32(o)) => copy!(a, o),
        (Array::Int64(a), OutMut::Int64(o)) => copy!(a, o),
        (Array::Float32(a), OutMut::Float32(o)) => copy!(a, o),
        (Array::Float64(a), OutMut::Float64(o)) => copy!(a, o),
        (Array::Complex128(a), OutMut::Complex128(o)) => {
            if a.len() != o.len() {
                return Err(Error::shape(format!("the output holds {} elements; the result has {}", o.len(), a.len())));
            }
            for (d, s) in o.iter_mut().zip(a.iter()) {
                *d = outcore_vm::c128::new(s.re, s.im);
            }
            Ok(())
        }
        (r, o) => Err(Error::type_(format!("the output holds {}; the result is {}", o.dtype(), r.dtype()))),
    }
}

/// An expression whose result goes to an HDF5 leaf.
pub struct ExprInto<'a> {
    expr: Expr<'a>,
    out: outcore_h5::Leaf,
    append: bool,
    range: Option<RowRange>,
}

impl std::fmt::Debug for ExprInto<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExprInto")
            .field("expr", &self.expr)
            .field("out", &self.out.path())
            .field("append", &self.append)
            .finish()
    }
}

impl<'a> ExprInto<'a> {
    fn new(expr: Expr<'a>, out: &outcore_h5::Leaf, append: bool) -> Result<ExprInto<'a>> {
        if out.read_only() {
            return Err(crate::Error::from(outcore_h5::Error::ReadOnly {
                file: out.file_path().to_path_buf(),
                node: out.path().to_string(),
                hint: "; open it with mode \"a\" or \"r+\" to write the result",
            }));
        }
        if append && out.class() != outcore_h5::LeafClass::EArray {
            return Err(crate::source::h5err(out, "", "is not an EArray; only EArrays can be appended to"));
        }
        Writer::new(out)?;
        Ok(ExprInto { expr, out: out.clone(), append, range: None })
    }

    /// Writes the result into rows `start..stop` by `step` of the output (Python slice rules).
    pub fn set_output_range(
        mut self,
        start: Option<i64>,
        stop: Option<i64>,
        step: Option<i64>,
    ) -> Result<ExprInto<'a>> {
        if self.append {
            return Err(Error::new(crate::ErrorKind::Unsupported, "an output range does not apply when appending"));
        }
        let range = RowRange::new(start, stop, step);
        range.resolve(0)?;
        self.range = Some(range);
        Ok(self)
    }

    /// See [`Expr::set_inputs_range`].
    pub fn set_inputs_range(
        mut self,
        start: Option<i64>,
        stop: Option<i64>,
        step: Option<i64>,
    ) -> Result<ExprInto<'a>> {
        self.expr = self.expr.set_inputs_range(start, stop, step)?;
        Ok(self)
    }

    /// Evaluates, writing the output leaf chunk by chunk; returns it.
    ///
    /// On an error part way (a damaged chunk, a full disk) the error is returned and the
    /// output holds the new values in the rows before the failed slab and its old values
    /// after; an appended EArray has grown only by the rows written.
    pub fn eval(&self) -> Result<outcore_h5::Leaf> {
        let e = &self.expr;
        e.flush_inputs()?;
        let prep = e.prepare()?;
        let writer = Writer::new(&self.out)?;
        let dtype = prep.program.dtype();
        if !crate::source::same_kind(dtype, &writer.kind) {
            return Err(crate::source::h5err(
                &self.out,
                "",
                format!(
                    "holds {:?} values; a {dtype} result does not cast to them under NumPy's same_kind rule",
                    writer.kind
                ),
            ));
        }
        let out_shape = self.out.shape();
        let out_rows = out_shape.first().copied().unwrap_or(0);
        // A first plan, to learn the result's shape; then the real one, aligned to the output.
        let probe = e.plan(&prep, None, None)?;
        let shape = Expr::result_shape(&probe)?;
        drop(probe);
        let rows = shape.first().copied().unwrap_or(1);
        let fits = shape.len() == out_shape.len().max(1) && shape.get(1..) == out_shape.get(1..);
        let scalar_into_1d = shape.is_empty() && out_shape.len() <= 1;
        if !(fits || scalar_into_1d) {
            return Err(crate::source::h5err(
                &self.out,
                "",
                format!(
                    "has shape {out_shape:?}; the result's is {shape:?} (the dimensions after the first must match)"
                ),
            ));
        }
        let (first, step, end) = if self.append {
            (out_rows, 1, out_rows + rows)
        } else {
            let (first, step, n) = self.range.unwrap_or_default().resolve(out_rows)?;
            if n != rows {
                return Err(crate::source::h5err(
                    &self.out,
                    "",
                    format!("the output range holds {n} rows; the result has {rows}"),
                ));
            }
            (first, step, out_rows)
        };
        let align = match (writer.chunk_rows, step) {
            (Some(c), 1) => Some((c, first)),
            _ => None,
        };
        let plan = e.plan(&prep, Some(&self.out), align)?;
        let values = Expr::stage_values(&plan)?;
        let sink = Sink::Leaf { writer: &writer, first, step, end, grow: self.append };
        plan.last_stage(0..plan.jobs(), &values, sink)?;
        self.out.flush_file()?;
        Ok(self.out.clone())
    }
}

/// The blocks of a result, in row order: see [`Expr::iter`].
pub struct Blocks<'e, 'a> {
    expr: &'e Expr<'a>,
    prep: Streamed<'e>,
    values: Vec<outcore_expr::Value>,
    next_job: usize,
    jobs: usize,
    queue: std::collections::VecDeque<Array>,
    failed: bool,
}

impl<'e, 'a> Blocks<'e, 'a> {
    fn new(expr: &'e Expr<'a>) -> Result<Blocks<'e, 'a>> {
        expr.flush_inputs()?;
        let prep = expr.prepare()?;
        let (values, jobs) = {
            let plan = expr.plan(&prep, None, None)?;
            (Expr::stage_values(&plan)?, plan.jobs())
        };
        Ok(Blocks { expr, prep, values, next_job: 0, jobs, queue: Default::default(), failed: false })
    }

    fn fill(&mut self) -> Result<()> {
        let plan = self.expr.plan(&self.prep, None, None)?;
        let shape = Expr::result_shape(&plan)?;
        let last = plan.p.stages.len() - 1;
        let whole = outcore_vm::stream::stage_reduction(plan.p, last).is_some() || plan.jobs() <= 1;
        let window = if whole { plan.jobs().max(1) } else { plan.shape.window.max(1) };
        let jobs = self.next_job..(self.next_job + window).min(plan.jobs().max(1));
        let per_row: usize = shape.iter().skip(1).product();
        let queue = &mut self.queue;
        let mut put = |_k0: usize, v: Owned| -> Result<Flow> {
            let n = owned_len(&v);
            let mut sh = shape.clone();
            if whole {
                queue.push_back(to_array(sh, v));
            } else {
                sh[0] = n.checked_div(per_row).unwrap_or(0);
                queue.push_back(to_array(sh, v));
            }
            Ok(Flow::Continue)
        };
        plan.last_stage(jobs.clone(), &self.values, Sink::Values(&mut put))?;
        self.next_job = if whole { usize::MAX } else { jobs.end };
        Ok(())
    }
}

impl Iterator for Blocks<'_, '_> {
    type Item = Result<Array>;

    fn next(&mut self) -> Option<Result<Array>> {
        if self.failed {
            return None;
        }
        if self.queue.is_empty() && self.next_job < self.jobs.max(1) {
            if let Err(e) = self.fill() {
                self.failed = true;
                return Some(Err(e));
            }
        }
        self.queue.pop_front().map(Ok)
    }
}
