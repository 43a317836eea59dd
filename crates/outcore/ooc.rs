//! Out-of-core evaluation: a compiled program run over slabs of rows streamed from HDF5
//! leaves, table columns and in-memory arrays, with reductions folded in row order and the
//! result written to memory, to an HDF5 leaf, or handed out block by block.
//!
//! The operands of the highest rank are sliced along their first (main) dimension; lower-rank
//! ones broadcast whole (an HDF5 one is read into memory once). Every stage of the program
//! that reads a sliced operand is one pass of the streamer; a full reduction's pass folds its
//! value, which later stages read.

use std::ops::Range;

use outcore_expr::Value;
use outcore_vm::stream::{eval_slab, reduce_inner_axis, stage_reduction, Fold};
use outcore_vm::{Arg, Col, Owned, Prepared, Worker};

use crate::array::{ArrayRef, Operand};
use crate::error::{Error, Result};
use crate::source::{Buf, Located, Reader, Rows, Scratch, Writer, Written};
use crate::stream::{self, Flow, Shape};

/// Python's slice of a main dimension: `start:stop:step`, negative indices from the end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowRange {
    /// The first row (negative: from the end); `None`: the first.
    pub start: Option<i64>,
    /// The row to stop before (negative: from the end); `None`: the end.
    pub stop: Option<i64>,
    /// Rows to advance by (positive); `None`: 1.
    pub step: Option<i64>,
}

impl RowRange {
    /// Rows `start:stop:step`, with Python's slice rules.
    pub fn new(start: Option<i64>, stop: Option<i64>, step: Option<i64>) -> RowRange {
        RowRange { start, stop, step }
    }

    /// Every `step`th row of this range (`(1000..200_000).into::<RowRange>().step(3)`, or
    /// `RowRange::from(1000..).step(3)`).
    pub fn step(self, step: i64) -> RowRange {
        RowRange { step: Some(step), ..self }
    }

    /// The first row, the step and the number of rows of this slice of `len` rows.
    pub fn resolve(&self, len: usize) -> Result<(usize, usize, usize)> {
        let step = self.step.unwrap_or(1);
        if step <= 0 {
            return Err(Error::range(format!("a range's step must be positive, not {step}")));
        }
        let len_i = i64::try_from(len).unwrap_or(i64::MAX);
        let clamp = |v: i64| -> i64 {
            let v = if v < 0 { v.saturating_add(len_i) } else { v };
            v.clamp(0, len_i)
        };
        let start = self.start.map_or(0, clamp);
        let stop = self.stop.map_or(len_i, clamp);
        let n = if stop > start { (stop - start - 1) / step + 1 } else { 0 };
        Ok((start as usize, step as usize, n as usize))
    }
}

/// `a..b`: rows `a` to `b` (negative positions count from the end, as in Python).
impl From<std::ops::Range<i64>> for RowRange {
    fn from(r: std::ops::Range<i64>) -> RowRange {
        RowRange::new(Some(r.start), Some(r.end), None)
    }
}

/// `a..`: rows from `a` to the end.
impl From<std::ops::RangeFrom<i64>> for RowRange {
    fn from(r: std::ops::RangeFrom<i64>) -> RowRange {
        RowRange::new(Some(r.start), None, None)
    }
}

/// `..b`: the first rows, up to `b`.
impl From<std::ops::RangeTo<i64>> for RowRange {
    fn from(r: std::ops::RangeTo<i64>) -> RowRange {
        RowRange::new(None, Some(r.end), None)
    }
}

/// `..`: every row.
impl From<std::ops::RangeFull> for RowRange {
    fn from(_: std::ops::RangeFull) -> RowRange {
        RowRange::default()
    }
}

/// An operand's values copied into memory once, with their shape (`None`: read in place).
pub(crate) type Copied = Option<(Buf, Vec<usize>)>;

/// How an operand reaches the slabs.
pub(crate) enum Input<'s> {
    Scalar(Value),
    /// Broadcast whole: a lower-rank array.
    Whole(Arg<'s>),
    /// Sliced along the main dimension, in memory (standard layout).
    Mem(ArrayRef<'s>),
    /// Sliced along the main dimension, streamed from HDF5.
    H5(Box<Reader>),
}

/// The plan of one evaluation.
pub(crate) struct Plan<'s> {
    pub p: &'s Prepared,
    pub inputs: Vec<Input<'s>>,
    /// The sliced operands' rows: first, step, count.
    pub first: usize,
    pub step: usize,
    pub n: usize,
    /// Slab geometry: `size` rows, boundaries where `(k + phase) % size == 0`.
    pub size: usize,
    pub phase: usize,
    pub shape: Shape,
    pub block_len: usize,
    /// The shapes of the operands as the program sees them over all `n` rows.
    pub shapes: Vec<Option<Vec<usize>>>,
}

/// Which operands are sliced, and the main length they share.
pub(crate) fn classify(vars: &[(String, Operand<'_>)], truncate: bool) -> Result<(Vec<bool>, usize)> {
    let shapes: Vec<Option<Vec<usize>>> = vars.iter().map(|(_, op)| op.shape()).collect();
    let rank = shapes.iter().flatten().map(Vec::len).max().unwrap_or(0);
    if rank == 0 {
        return Ok((vec![false; vars.len()], 1));
    }
    let mut main: Option<(usize, &str)> = None;
    for ((name, _), s) in vars.iter().zip(&shapes) {
        let Some(s) = s else { continue };
        if s.len() != rank || s[0] == 1 {
            continue;
        }
        match main {
            None => main = Some((s[0], name)),
            Some((m, other)) if m != s[0] => {
                if !truncate {
                    return Err(Error::shape(format!(
                        "operands differ in length along the main dimension: `{other}` has {m} rows, `{name}` has {} \
                         (PyTables would silently use the shorter; call `allow_truncate()` to ask for that)",
                        s[0]
                    )));
                }
                main = Some((m.min(s[0]), if s[0] < m { name } else { other }));
            }
            _ => {}
        }
    }
    let n = main.map_or(1, |(m, _)| m);
    let sliced = shapes
        .iter()
        .map(|s| s.as_ref().is_some_and(|s| s.len() == rank && (s[0] >= n && s[0] != 1 || n == 1)))
        .collect();
    Ok((sliced, n))
}

/// Rows per slab: a multiple of `base` near 32768 elements of the widest operand.
fn slab_rows(base: usize, inner: usize) -> usize {
    const TARGET: usize = 1 << 15;
    let target = (TARGET / inner.max(1)).max(1);
    base.max(1) * (target / base.max(1)).max(1)
}

impl<'s> Plan<'s> {
    /// The rows of slab `j`, as indices `k` into the `n` result rows.
    pub fn slab(&self, j: usize) -> Range<usize> {
        let lo = (j * self.size).saturating_sub(self.phase).min(self.n);
        let hi = ((j + 1) * self.size).saturating_sub(self.phase).min(self.n);
        lo..hi
    }

    pub fn jobs(&self) -> usize {
        if self.n == 0 {
            0
        } else {
            (self.n + self.phase).div_ceil(self.size)
        }
    }

    fn uses_sliced(&self, s: usize) -> bool {
        let mut used = outcore_vm::exec::stage_inputs(self.p, s);
        if s == self.p.stages.len() - 1 {
            used.extend(self.p.shape_inputs.iter().map(|&i| i as usize));
        }
        used.iter().any(|&i| matches!(self.inputs[i], Input::Mem(_) | Input::H5(_)))
    }

    fn used(&self, s: usize) -> Vec<bool> {
        let mut used = vec![false; self.inputs.len()];
        for i in outcore_vm::exec::stage_inputs(self.p, s) {
            used[i] = true;
        }
        if s == self.p.stages.len() - 1 {
            for &i in &self.p.shape_inputs {
                used[i as usize] = true;
            }
        }
        used
    }
}

/// Builds a plan. `owned` holds copies the plan reads: contiguous copies of strided views and
/// lower-rank HDF5 operands read whole (made by [`materialise`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan<'s>(
    p: &'s Prepared,
    vars: &'s [(String, Operand<'_>)],
    owned: &'s [Copied],
    sliced: &[bool],
    main_len: usize,
    range: RowRange,
    out_align: Option<(usize, usize)>,
    shape: Shape,
    block_len: usize,
    pread_ok: &dyn Fn(&outcore_h5::Leaf) -> bool,
) -> Result<Plan<'s>> {
    let any_sliced = sliced.iter().any(|&s| s);
    let (first, step, n) = if any_sliced { range.resolve(main_len)? } else { (0, 1, 1) };
    let mut inputs = Vec::with_capacity(vars.len());
    let mut shapes = Vec::with_capacity(vars.len());
    let mut widest = 1usize;
    let mut in_align: Option<usize> = None;
    for (i, (_, op)) in vars.iter().enumerate() {
        if let Some((buf, sh)) = &owned[i] {
            if sliced[i] {
                return Err(Error::internal("a sliced operand was copied"));
            }
            inputs.push(Input::Whole(buf.arg(sh.clone())));
            shapes.push(Some(sh.clone()));
            continue;
        }
        let mut sh = op.shape();
        if sliced[i] {
            if let Some(s) = sh.as_mut() {
                s[0] = n;
                widest = widest.max(s.iter().skip(1).product());
            }
        }
        shapes.push(sh);
        inputs.push(match op {
            Operand::Scalar(v) => Input::Scalar(v.clone()),
            Operand::H5(h) if sliced[i] => {
                h.check()?;
                let r = Reader::new(h, pread_ok(&h.leaf))?;
                if step == 1 {
                    in_align = Some(in_align.map_or(r.slab_unit(), |a: usize| a.max(r.slab_unit())));
                }
                Input::H5(Box::new(r))
            }
            Operand::H5(_) => return Err(Error::internal("an HDF5 operand was not read")),
            Operand::View(_) | Operand::Owned(_) => {
                let view = op.as_view().map_err(|_| Error::internal("no view"))?;
                if sliced[i] {
                    Input::Mem(view)
                } else {
                    Input::Whole(crate::expr::col_of(view))
                }
            }
        });
    }
    // Slabs follow the output's chunks (encoding is the costliest step), else the largest
    // input chunks.
    let (base, phase) = match (out_align, in_align) {
        (Some((rows, at)), _) => (rows, at % rows.max(1)),
        (None, Some(rows)) => (rows, first % rows.max(1)),
        (None, None) => (1, 0),
    };
    // Slab `j` is `j*size - phase .. (j+1)*size - phase`: with `size` a multiple of `base`,
    // its boundaries fall where `(k + phase) % base == 0`, on the chunk grid.
    let size = slab_rows(base, widest);
    Ok(Plan { p, inputs, first, step, n, size, phase, shape, block_len, shapes })
}

/// Row-major strides (in elements) of `shape`, with every `step`-th row.
fn row_strides(shape: &[usize], step: usize) -> Vec<usize> {
    let mut strides = vec![0usize; shape.len()];
    let mut acc = 1;
    for d in (1..shape.len()).rev() {
        strides[d] = acc;
        acc *= shape[d];
    }
    if let Some(s0) = strides.first_mut() {
        *s0 = acc * step;
    }
    strides
}

/// Rows `rows` of a standard-layout in-memory array, read in place.
fn mem_arg<'v>(view: &'v ArrayRef<'_>, rows: Rows) -> Arg<'v> {
    let shape = view.shape();
    let inner: usize = shape.iter().skip(1).product();
    let mut sh = shape.to_vec();
    sh[0] = rows.n;
    macro_rules! arr {
        ($a:expr, $variant:ident, $w:expr) => {{
            let all = $a.to_slice().unwrap_or(&[]);
            if rows.n == 0 {
                return Arg::Array(Col::$variant(&all[..0]), sh);
            }
            if rows.step == 1 {
                Arg::Array(Col::$variant(&all[rows.first * inner..(rows.first + rows.n) * inner]), sh)
            } else {
                let strides = row_strides(&sh, rows.step);
                Arg::Strided { col: Col::$variant(&all[rows.first * inner..]), shape: sh, strides }
            }
        }};
    }
    match view {
        ArrayRef::Bool(a) => arr!(a, Bool, 1),
        ArrayRef::Int32(a) => arr!(a, Int32, 1),
        ArrayRef::Int64(a) => arr!(a, Int64, 1),
        ArrayRef::Float32(a) => arr!(a, Float32, 1),
        ArrayRef::Float64(a) => arr!(a, Float64, 1),
        ArrayRef::Complex128(a) => arr!(a, Complex128, 1),
        ArrayRef::Bytes(b) => {
            let k = b.itemsize;
            if rows.step == 1 {
                let data = &b.data[rows.first * inner * k..(rows.first + rows.n) * inner * k];
                Arg::Array(Col::Bytes { data, itemsize: k }, sh)
            } else {
                let strides = row_strides(&sh, rows.step);
                let data = if rows.n == 0 { &b.data[..0] } else { &b.data[rows.first * inner * k..] };
                Arg::Strided { col: Col::Bytes { data, itemsize: k }, shape: sh, strides }
            }
        }
    }
}

/// Reads the HDF5 operands that broadcast whole (lower rank) into memory, and copies
/// in-memory views that are not in standard layout.
pub(crate) fn materialise(vars: &[(String, Operand<'_>)], sliced: &[bool]) -> Result<Vec<Copied>> {
    vars.iter()
        .enumerate()
        .map(|(i, (_, op))| match op {
            Operand::H5(h) if !sliced[i] => {
                h.check()?;
                let rows = h.shape.first().copied().unwrap_or(1);
                let shape = h.shape.clone();
                let mut buf = Buf::new(h.dtype());
                if h.leaf.chunk_shape().is_some() && !shape.is_empty() {
                    let r = Reader::new(h, h.leaf.unchanging())?;
                    let sel = Rows { first: 0, step: 1, n: rows };
                    let located = r.fetch(sel)?;
                    r.fill(sel, located, &mut Scratch::default(), &mut buf)?;
                } else {
                    crate::source::read_whole(h, &mut buf)?;
                }
                Ok(Some((buf, shape)))
            }
            Operand::View(v) if !crate::expr::readable_in_place(v) => {
                let copy = crate::array::to_owned(v.reborrow());
                let shape = copy.shape().to_vec();
                Ok(Some((crate::source::buf_of(copy), shape)))
            }
            _ => Ok(None),
        })
        .collect()
}

// ---- running stages --------------------------------------------------------------------------

/// A worker's state: its VM registers, one buffer per operand, scratch for decoding.
pub(crate) struct WorkerState<'p> {
    vm: Worker<'p>,
    bufs: Vec<Buf>,
    scratch: Scratch,
}

/// What the last stage does with each slab's values.
pub(crate) enum Sink<'a> {
    /// Hand the values (and the slab's first result row) to a closure.
    Values(&'a mut dyn FnMut(usize, Owned) -> Result<Flow>),
    /// Encode on the workers and write to an HDF5 leaf: rows go to `first, first+step, ...`;
    /// `end` is the leaf's row count once written; `grow` extends an EArray as slabs land.
    Leaf { writer: &'a Writer, first: usize, step: usize, end: usize, grow: bool },
}

enum Done {
    Values(Owned),
    Written(Written),
}

impl<'s> Plan<'s> {
    fn state(&self) -> WorkerState<'s> {
        WorkerState {
            vm: Worker::new(self.p, self.block_len),
            bufs: self.p.inputs.iter().map(|i| Buf::new(i.dtype)).collect(),
            scratch: Scratch::default(),
        }
    }

    fn rows(&self, slab: &Range<usize>) -> Rows {
        Rows { first: self.first + slab.start * self.step, step: self.step, n: slab.len() }
    }

    fn fetch(&self, s: usize, j: usize) -> Result<Vec<Option<Vec<Located>>>> {
        let used = self.used(s);
        let rows = self.rows(&self.slab(j));
        self.inputs
            .iter()
            .enumerate()
            .map(|(i, inp)| match inp {
                Input::H5(r) if used[i] => r.fetch(rows).map(Some),
                _ => Ok(None),
            })
            .collect()
    }

    /// Evaluates stage `s` over slab `j` into `out`; returns the slab's shape.
    fn eval(
        &self,
        s: usize,
        j: usize,
        fetched: Vec<Option<Vec<Located>>>,
        st: &mut WorkerState<'s>,
        stage_values: &[Value],
        out: &mut Owned,
    ) -> Result<Vec<usize>> {
        let slab = self.slab(j);
        let rows = self.rows(&slab);
        let mut filled = vec![false; self.inputs.len()];
        for (i, f) in fetched.into_iter().enumerate() {
            if let (Input::H5(r), Some(located)) = (&self.inputs[i], f) {
                r.fill(rows, located, &mut st.scratch, &mut st.bufs[i])?;
                filled[i] = true;
            }
        }
        let args: Vec<Arg<'_>> = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, inp)| match inp {
                Input::Scalar(v) => Arg::Scalar(v.clone()),
                Input::Whole(a) => a.clone(),
                Input::Mem(v) => mem_arg(v, rows),
                // Not read by this stage.
                Input::H5(_) if !filled[i] => Arg::Scalar(zero_of(self.p.inputs[i].dtype)),
                Input::H5(_) => {
                    let mut sh = self.shapes[i].clone().unwrap_or_default();
                    if let Some(d) = sh.first_mut() {
                        *d = rows.n;
                    }
                    st.bufs[i].arg(sh)
                }
            })
            .collect();
        let shape = outcore_vm::stream::slab_shape(self.p, &args, s)?;
        let total: usize = shape.iter().product();
        resize_owned(out, self.p.stages[s].dtype, total)?;
        eval_slab(self.p, &mut st.vm, s, &args, stage_values, &mut out.as_out())?;
        Ok(shape)
    }

    /// Runs a full reduction stage `s` (of the whole values), folding in row order.
    pub fn reduce_stage(&self, s: usize, stage_values: &[Value]) -> Result<Value> {
        let (op, _) = stage_reduction(self.p, s).ok_or_else(|| Error::internal("not a reduction"))?;
        let mut fold = Fold::new(op, 1)?;
        if !self.uses_sliced(s) {
            let mut st = self.state();
            let mut out = Owned::Bool(Vec::new());
            self.eval_unsliced(s, &mut st, stage_values, &mut out)?;
            fold.push(Fold::part(op, 1, col_of(&out), 0)?)?;
            return Ok(fold.finish_value()?);
        }
        let jobs = 0..self.jobs();
        stream::run(
            jobs,
            &self.shape,
            |j| self.fetch(s, j),
            || (self.state(), Owned::Bool(Vec::new())),
            |j, fetched, (st, out)| {
                let shape = self.eval(s, j, fetched, st, stage_values, out)?;
                let per_row: usize = shape.iter().skip(1).product();
                Ok(Fold::part(op, 1, col_of(out), self.slab(j).start * per_row)?)
            },
            |_, part| {
                fold.push(part)?;
                Ok(Flow::Continue)
            },
        )?;
        Ok(fold.finish_value()?)
    }

    /// Runs the last stage over slabs `jobs`: elementwise values go to `sink`; an axis
    /// reduction along the main axis folds lanes (its values go to the sink once, at the
    /// end), along another axis reduces each slab.
    pub fn last_stage(&self, jobs: Range<usize>, stage_values: &[Value], sink: Sink<'_>) -> Result<()> {
        let s = self.p.stages.len() - 1;
        let reduction = stage_reduction(self.p, s);
        let full_shape = outcore_vm::exec::stage_shape_of(self.p, &self.shapes, s)?;
        let axis = match reduction {
            Some((_, Some(axis))) => {
                let nd = full_shape.len() as i64;
                let ax = if axis < 0 { axis + nd } else { axis };
                if ax < 0 || ax >= nd {
                    return Err(outcore_vm::VmError::Axis { axis, ndim: full_shape.len() }.into());
                }
                Some(ax as usize)
            }
            _ => None,
        };
        if let Some((_, None)) = reduction {
            let v = self.reduce_stage(s, stage_values)?;
            return deliver(Owned::from_value(&v)?, sink);
        }
        if !self.uses_sliced(s) {
            // Nothing streams: one evaluation of broadcast operands.
            let mut st = self.state();
            let mut out = Owned::Bool(Vec::new());
            let shape = self.eval_unsliced(s, &mut st, stage_values, &mut out)?;
            let out = match (reduction, axis) {
                (Some((op, _)), Some(ax)) => reduce_inner_axis(op, out, &shape, ax)?.data,
                _ => out,
            };
            return deliver(out, sink);
        }
        if let (Some((op, _)), Some(0)) = (reduction, axis) {
            let lanes: usize = full_shape.iter().skip(1).product();
            let mut fold = Fold::new(op, lanes)?;
            stream::run(
                jobs,
                &self.shape,
                |j| self.fetch(s, j),
                || (self.state(), Owned::Bool(Vec::new())),
                |j, fetched, (st, out)| {
                    self.eval(s, j, fetched, st, stage_values, out)?;
                    Ok(Fold::part(op, lanes, col_of(out), self.slab(j).start)?)
                },
                |_, part| {
                    fold.push(part)?;
                    Ok(Flow::Continue)
                },
            )?;
            return deliver(fold.finish()?, sink);
        }
        let leaf = match &sink {
            Sink::Leaf { writer, first, step, end, .. } => Some((*writer, *first, *step, *end)),
            Sink::Values(_) => None,
        };
        let mut sink = sink;
        let mut flushed = std::time::Instant::now();
        stream::run(
            jobs,
            &self.shape,
            |j| self.fetch(s, j),
            || (self.state(), Owned::Bool(Vec::new())),
            |j, fetched, (st, out)| {
                let shape = self.eval(s, j, fetched, st, stage_values, out)?;
                let values = match (reduction, axis) {
                    (Some((op, _)), Some(ax)) => {
                        reduce_inner_axis(op, std::mem::replace(out, Owned::Bool(Vec::new())), &shape, ax)?.data
                    }
                    _ => std::mem::replace(out, Owned::Bool(Vec::new())),
                };
                match leaf {
                    Some((w, first, step, end)) => {
                        let k0 = self.slab(j).start;
                        let written = w.encode(&values, first + k0 * step, step, end)?;
                        *out = values;
                        Ok(Done::Written(written))
                    }
                    None => Ok(Done::Values(values)),
                }
            },
            |j, done| {
                let k0 = self.slab(j).start;
                match (done, &mut sink) {
                    (Done::Values(v), Sink::Values(f)) => f(k0, v),
                    (Done::Written(w), Sink::Leaf { writer, first, step, grow, .. }) => {
                        let at = *first + k0 * *step;
                        if *grow {
                            writer.leaf.resize_rows(at + self.slab(j).len())?;
                        }
                        if let Err(e) = writer.write(&w, at, *step) {
                            // An append's extent never runs ahead of the rows written.
                            if *grow {
                                let _ = writer.leaf.resize_rows(at);
                            }
                            return Err(e);
                        }
                        // Now and then, the file's metadata to disk: a crash leaves the chunks
                        // written so far readable.
                        if flushed.elapsed() > std::time::Duration::from_millis(200) {
                            writer.leaf.flush_file()?;
                            flushed = std::time::Instant::now();
                        }
                        Ok(Flow::Continue)
                    }
                    _ => Err(Error::internal("the sink got the wrong kind of result")),
                }
            },
        )
    }

    fn eval_unsliced(
        &self,
        s: usize,
        st: &mut WorkerState<'s>,
        stage_values: &[Value],
        out: &mut Owned,
    ) -> Result<Vec<usize>> {
        let args: Vec<Arg<'_>> = self
            .inputs
            .iter()
            .map(|inp| match inp {
                Input::Scalar(v) => Arg::Scalar(v.clone()),
                Input::Whole(a) => a.clone(),
                // Not read by this stage.
                Input::Mem(_) | Input::H5(_) => Arg::Scalar(Value::Bool(false)),
            })
            .collect();
        let args: Vec<Arg<'_>> = args
            .into_iter()
            .zip(&self.p.inputs)
            .map(|(a, info)| match a {
                Arg::Scalar(Value::Bool(false)) if info.dtype != outcore_expr::DType::Bool => {
                    Arg::Scalar(zero_of(info.dtype))
                }
                a => a,
            })
            .collect();
        let shape = outcore_vm::stream::slab_shape(self.p, &args, s)?;
        resize_owned(out, self.p.stages[s].dtype, shape.iter().product())?;
        eval_slab(self.p, &mut st.vm, s, &args, stage_values, &mut out.as_out())?;
        Ok(shape)
    }
}

/// A value of type `d` standing in for an operand a stage does not read.
pub(crate) fn zero_of(d: outcore_expr::DType) -> Value {
    use outcore_expr::DType;
    match d {
        DType::Bool => Value::Bool(false),
        DType::Int32 => Value::Int32(0),
        DType::Int64 => Value::Int64(0),
        DType::Float32 => Value::Float32(0.0),
        DType::Float64 => Value::Float64(0.0),
        DType::Complex128 => Value::Complex128(0.0, 0.0),
        DType::Bytes(_) => Value::Bytes(Vec::new()),
    }
}

/// Hands a result computed in one piece to the sink.
fn deliver(values: Owned, sink: Sink<'_>) -> Result<()> {
    match sink {
        Sink::Values(f) => f(0, values).map(|_| ()),
        Sink::Leaf { writer, first, step, end, grow } => {
            let rows = owned_len(&values).checked_div(writer.inner).unwrap_or(0);
            if grow {
                writer.leaf.resize_rows(first + rows * step)?;
            }
            let w = writer.encode(&values, first, step, end.max(first + rows))?;
            let wrote = writer.write(&w, first, step);
            if wrote.is_err() && grow {
                // An append's extent never runs ahead of the rows written.
                let _ = writer.leaf.resize_rows(first);
            }
            wrote
        }
    }
}

pub(crate) fn owned_len(o: &Owned) -> usize {
    match o {
        Owned::Bool(v) => v.len(),
        Owned::Int32(v) => v.len(),
        Owned::Int64(v) => v.len(),
        Owned::Float32(v) => v.len(),
        Owned::Float64(v) => v.len(),
        Owned::Complex128(v) => v.len(),
    }
}

fn col_of(o: &Owned) -> Col<'_> {
    match o {
        Owned::Bool(v) => Col::Bool(v),
        Owned::Int32(v) => Col::Int32(v),
        Owned::Int64(v) => Col::Int64(v),
        Owned::Float32(v) => Col::Float32(v),
        Owned::Float64(v) => Col::Float64(v),
        Owned::Complex128(v) => Col::Complex128(v),
    }
}

fn resize_owned(o: &mut Owned, d: outcore_expr::DType, n: usize) -> Result<()> {
    use outcore_vm::c128;
    let same = matches!(
        (&*o, d),
        (Owned::Bool(_), outcore_expr::DType::Bool)
            | (Owned::Int32(_), outcore_expr::DType::Int32)
            | (Owned::Int64(_), outcore_expr::DType::Int64)
            | (Owned::Float32(_), outcore_expr::DType::Float32)
            | (Owned::Float64(_), outcore_expr::DType::Float64)
            | (Owned::Complex128(_), outcore_expr::DType::Complex128)
    );
    if !same {
        *o = Owned::zeros(d, n)?;
        return Ok(());
    }
    match o {
        Owned::Bool(v) => v.resize(n, false),
        Owned::Int32(v) => v.resize(n, 0),
        Owned::Int64(v) => v.resize(n, 0),
        Owned::Float32(v) => v.resize(n, 0.0),
        Owned::Float64(v) => v.resize(n, 0.0),
        Owned::Complex128(v) => v.resize(n, c128::new(0.0, 0.0)),
    }
    Ok(())
}
