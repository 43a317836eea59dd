//! The VM's side of out-of-core evaluation: one slab of rows evaluated on the calling thread,
//! and reductions folded slab by slab, in row order, to exactly the value an in-memory
//! evaluation gives.
//!
//! A streamer cuts the work into slabs (row ranges); workers evaluate slabs with
//! [`eval_slab`] and turn reduced values into a [`Part`] with [`Fold::part`]; one thread
//! [`Fold::push`]es the parts in row order. Units of [`UNIT`] rows sit at fixed global
//! positions and partials combine in the same pairwise tree as [`crate::evaluate`] uses, so
//! the result does not depend on slab boundaries, chunk shapes or thread counts.

use std::any::Any;

use outcore_expr::ops::Op;
use outcore_expr::program::StageKind;
use outcore_expr::Value;

use crate::exec::{
    feeds, reduce_axis, stage_shape, validate, Arg, Col, Elem, OutMut, Owned, Plan, Prepared, VmError, Worker,
};
use crate::kernels::c128;
use crate::reduce::{self, Reducer, UNIT};

/// The broadcast shape of stage `s` over these inputs (a slab's, when they are cut to one).
pub fn slab_shape(p: &Prepared, args: &[Arg<'_>], s: usize) -> Result<Vec<usize>, VmError> {
    validate(p, args)?;
    Ok(stage_shape(p, args, s)?.0)
}

/// Evaluates stage `s`'s values (for a reduction stage: the values it reduces) over one slab
/// of inputs, block by block on this thread, into `out`, which holds the slab's broadcast
/// size. Returns that shape.
pub fn eval_slab(
    p: &Prepared,
    w: &mut Worker<'_>,
    s: usize,
    args: &[Arg<'_>],
    stage_values: &[Value],
    out: &mut OutMut<'_>,
) -> Result<Vec<usize>, VmError> {
    validate(p, args)?;
    let (shape, used) = stage_shape(p, args, s)?;
    let n: usize = shape.iter().product();
    let dtype = p.stages[s].dtype;
    if out.len() != n || out.dtype() != dtype {
        return Err(VmError::Output { expected: n, expected_type: dtype, got: out.len(), got_type: out.dtype() });
    }
    let plan = Plan { stage: s, feeds: feeds(args, &used, &shape), shape: &shape, stage_values };
    let bl = w.block_len().max(1);
    macro_rules! blocks {
        ($v:expr, $variant:ident) => {
            for (b, chunk) in $v.chunks_mut(bl).enumerate() {
                let n = chunk.len();
                plan.block(w, b * bl, n, Some(&mut OutMut::$variant(chunk)));
            }
        };
    }
    match out {
        OutMut::Bool(v) => blocks!(v, Bool),
        OutMut::Int32(v) => blocks!(v, Int32),
        OutMut::Int64(v) => blocks!(v, Int64),
        OutMut::Float32(v) => blocks!(v, Float32),
        OutMut::Float64(v) => blocks!(v, Float64),
        OutMut::Complex128(v) => blocks!(v, Complex128),
    }
    Ok(shape)
}

/// Reduces the last axis-reduction stage's values of one slab along a non-leading axis
/// (`axis >= 1`): every lane lies inside the slab, so the slab's rows are final.
pub fn reduce_inner_axis(op: Op, values: Owned, shape: &[usize], axis: usize) -> Result<crate::Output, VmError> {
    reduce_axis(op, values, shape, axis)
}

/// The reduction op and axis of stage `s`, if it reduces.
pub fn stage_reduction(p: &Prepared, s: usize) -> Option<(Op, Option<i64>)> {
    match p.stages[s].kind {
        StageKind::Reduce { op, axis, .. } => Some((op, axis)),
        StageKind::Elementwise => None,
    }
}

/// One slab's contribution to a [`Fold`], made on a worker.
pub struct Part(Box<dyn Any + Send>);

/// A reduction along the leading axis, fed slab by slab in row order: one value per lane
/// (a full reduction has one lane; `sum(a, axis=0)` of an `(n, m)` array has `m`).
pub struct Fold {
    op: Op,
    lanes: usize,
    state: Box<dyn FoldState>,
}

trait FoldState: Send {
    fn push(&mut self, part: Part, lanes: usize) -> Result<(), VmError>;
    fn finish(self: Box<Self>, lanes: usize) -> Result<Option<Owned>, VmError>;
}

struct PartT<T, A> {
    head: Vec<T>,
    units: Vec<A>,
    tail: Vec<T>,
}

struct FoldT<T, R: Reducer<T>> {
    /// Rows since the last unit boundary, row-major (at most UNIT rows).
    pending: Vec<T>,
    /// Per lane, complete subtrees of the pairwise tree: (height, partial).
    stacks: Vec<Vec<(u32, R::Acc)>>,
    lane: Vec<T>,
}

impl<T: Elem, R: Reducer<T> + Send> FoldT<T, R>
where
    R::Acc: Send,
{
    fn add(stack: &mut Vec<(u32, R::Acc)>, acc: R::Acc) {
        let mut node = (0u32, acc);
        while let Some(&(h, top)) = stack.last() {
            if h != node.0 {
                break;
            }
            stack.pop();
            node = (h + 1, R::combine(top, node.1));
        }
        stack.push(node);
    }

    fn flush(&mut self, lanes: usize) {
        let rows = self.pending.len() / lanes.max(1);
        if rows == 0 {
            return;
        }
        for l in 0..lanes {
            self.lane.clear();
            self.lane.extend((0..rows).map(|r| self.pending[r * lanes + l]));
            let acc = R::unit(&self.lane);
            Self::add(&mut self.stacks[l], acc);
        }
        self.pending.clear();
    }
}

impl<T: Elem, R: Reducer<T> + Send> FoldState for FoldT<T, R>
where
    R::Acc: Send + 'static,
{
    fn push(&mut self, part: Part, lanes: usize) -> Result<(), VmError> {
        let part = part.0.downcast::<PartT<T, R::Acc>>().map_err(|_| VmError::BytesResult)?;
        self.pending.extend_from_slice(&part.head);
        if self.pending.len() == UNIT * lanes {
            self.flush(lanes);
        }
        for unit in part.units.chunks(lanes.max(1)) {
            for (l, &acc) in unit.iter().enumerate() {
                Self::add(&mut self.stacks[l], acc);
            }
        }
        self.pending.extend_from_slice(&part.tail);
        Ok(())
    }

    fn finish(mut self: Box<Self>, lanes: usize) -> Result<Option<Owned>, VmError> {
        self.flush(lanes);
        let mut out = Vec::with_capacity(lanes);
        for stack in &self.stacks {
            // Folding the subtrees from the right gives the pairwise tree's own result.
            let acc = stack.iter().rev().fold(None, |acc: Option<R::Acc>, &(_, x)| {
                Some(match acc {
                    None => x,
                    Some(a) => R::combine(x, a),
                })
            });
            match acc.or_else(R::identity) {
                Some(a) => out.push(R::finish(a)),
                None => return Ok(None),
            }
        }
        Ok(Some(T::owned(out)))
    }
}

fn part_t<T: Elem, R: Reducer<T>>(v: &[T], lanes: usize, first_row: usize) -> PartT<T, R::Acc> {
    let lanes = lanes.max(1);
    let rows = v.len() / lanes;
    let head_rows = (first_row.next_multiple_of(UNIT) - first_row).min(rows);
    let body = rows - head_rows;
    let nunits = body / UNIT;
    let tail_start = head_rows + nunits * UNIT;
    let mut units = Vec::with_capacity(nunits * lanes);
    let mut lane = Vec::new();
    for u in 0..nunits {
        let r0 = head_rows + u * UNIT;
        if lanes == 1 {
            units.push(R::unit(&v[r0..r0 + UNIT]));
            continue;
        }
        for l in 0..lanes {
            lane.clear();
            lane.extend((r0..r0 + UNIT).map(|r| v[r * lanes + l]));
            units.push(R::unit(&lane));
        }
    }
    PartT { head: v[..head_rows * lanes].to_vec(), units, tail: v[tail_start * lanes..rows * lanes].to_vec() }
}

impl Fold {
    /// A fold of reduction `op` over `lanes` values per row.
    pub fn new(op: Op, lanes: usize) -> Result<Fold, VmError> {
        macro_rules! new_arm {
            ($t:ty, $r:ty) => {
                Ok(Box::new(FoldT::<$t, $r> { pending: Vec::new(), stacks: vec![Vec::new(); lanes], lane: Vec::new() })
                    as Box<dyn FoldState>)
            };
        }
        let state: Result<Box<dyn FoldState>, VmError> = reduce_dispatch!(op, new_arm);
        Ok(Fold { op, lanes, state: state? })
    }

    /// One slab's part: `values` are its rows (row-major, `lanes` per row), the first of
    /// which is row `first_row` of the whole reduction. Runs on any thread.
    pub fn part(op: Op, lanes: usize, values: Col<'_>, first_row: usize) -> Result<Part, VmError> {
        macro_rules! part_arm {
            ($t:ty, $r:ty) => {
                Ok(Part(Box::new(part_t::<$t, $r>(<$t as Elem>::col(&values), lanes, first_row))))
            };
        }
        reduce_dispatch!(op, part_arm)
    }

    /// Adds the next slab's part (parts must come in row order).
    pub fn push(&mut self, part: Part) -> Result<(), VmError> {
        self.state.push(part, self.lanes)
    }

    /// The reduced values, one per lane.
    pub fn finish(self) -> Result<Owned, VmError> {
        let op = self.op;
        self.state.finish(self.lanes)?.ok_or_else(|| VmError::EmptyReduction { op: op.name().to_string() })
    }

    /// The one value of a full reduction.
    pub fn finish_value(self) -> Result<Value, VmError> {
        let owned = self.finish()?;
        Ok(match owned {
            Owned::Bool(v) => Value::Bool(v[0]),
            Owned::Int32(v) => Value::Int32(v[0]),
            Owned::Int64(v) => Value::Int64(v[0]),
            Owned::Float32(v) => Value::Float32(v[0]),
            Owned::Float64(v) => Value::Float64(v[0]),
            Owned::Complex128(v) => Value::Complex128(v[0].re, v[0].im),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use outcore_expr::{compile, DType, VarInfo};

    fn sum_program() -> Prepared {
        let vars = [VarInfo { name: "a".into(), dtype: DType::Float64, scalar: false }];
        Prepared::new(compile("sum(a)", &vars).unwrap()).unwrap()
    }

    #[test]
    fn folded_slabs_equal_the_in_memory_sum_for_any_cut() {
        let p = sum_program();
        let n = 10 * UNIT + 333;
        let a: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1000) as f64 * 0.1 + 1e-7 * i as f64).collect();
        let whole = crate::evaluate(&p, &[Arg::Array(Col::Float64(&a), vec![n])], &Default::default()).unwrap();
        let (op, _) = stage_reduction(&p, 0).unwrap();
        for cut in [1, 7, 1000, 1024, 1500, 4096, 5000, n] {
            let mut fold = Fold::new(op, 1).unwrap();
            let mut w = Worker::new(&p, 256);
            for start in (0..n).step_by(cut) {
                let len = cut.min(n - start);
                let args = [Arg::Array(Col::Float64(&a[start..start + len]), vec![len])];
                let mut vals = vec![0.0; len];
                eval_slab(&p, &mut w, 0, &args, &[], &mut OutMut::Float64(&mut vals)).unwrap();
                fold.push(Fold::part(op, 1, Col::Float64(&vals), start).unwrap()).unwrap();
            }
            assert_eq!(Owned::from_value(&fold.finish_value().unwrap()).unwrap(), whole.data, "cut {cut}");
        }
    }

    #[test]
    fn folding_lanes_equals_the_axis_reduction() {
        let vars = [VarInfo { name: "a".into(), dtype: DType::Float32, scalar: false }];
        let p = Prepared::new(compile("sum(a, axis=0)", &vars).unwrap()).unwrap();
        let (rows, lanes) = (3 * UNIT + 17, 3);
        let a: Vec<f32> = (0..rows * lanes).map(|i| (i % 97) as f32 * 0.37).collect();
        let whole =
            crate::evaluate(&p, &[Arg::Array(Col::Float32(&a), vec![rows, lanes])], &Default::default()).unwrap();
        let (op, _) = stage_reduction(&p, 0).unwrap();
        for cut in [5, 1024, 2000] {
            let mut fold = Fold::new(op, lanes).unwrap();
            for r0 in (0..rows).step_by(cut) {
                let r1 = (r0 + cut).min(rows);
                fold.push(Fold::part(op, lanes, Col::Float32(&a[r0 * lanes..r1 * lanes]), r0).unwrap()).unwrap();
            }
            assert_eq!(fold.finish().unwrap(), whole.data, "cut {cut}");
        }
    }

    #[test]
    fn empty_min_has_no_value_and_empty_sum_is_zero() {
        let vars = [VarInfo { name: "a".into(), dtype: DType::Int64, scalar: false }];
        for (src, ok) in [("min(a)", false), ("sum(a)", true)] {
            let p = Prepared::new(compile(src, &vars).unwrap()).unwrap();
            let (op, _) = stage_reduction(&p, 0).unwrap();
            let fold = Fold::new(op, 1).unwrap();
            assert_eq!(fold.finish_value().is_ok(), ok, "{src}");
        }
    }
}
