//! Runs a [`Program`] over blocks: inputs broadcast as NumPy's, blocks on rayon workers, each
//! worker with its own register file, reductions combined from per-unit partials.
//!
//! ```
//! use outcore_expr::{compile, DType, VarInfo};
//! use outcore_vm::exec::{evaluate, Arg, Col, Config, Prepared};
//! let vars = [VarInfo { name: "a".into(), dtype: DType::Float64, scalar: false }];
//! let program = Prepared::new(compile("a*2 + 1", &vars).unwrap()).unwrap();
//! let a = [1.0, 2.0, 3.0];
//! let out = evaluate(&program, &[Arg::Array(Col::Float64(&a), vec![3])], &Config::default()).unwrap();
//! assert_eq!(out.data, outcore_vm::exec::Owned::Float64(vec![3.0, 5.0, 7.0]));
//! ```

use std::ops::Deref;

use outcore_expr::ops::Op;
use outcore_expr::program::{Instr, Operand, Program, StageKind};
use outcore_expr::typed::BinOp;
use outcore_expr::{for_each_op, DType, Value};
use rayon::prelude::*;

use crate::kernels::{bytes_compare, bytes_contains, c128, ops, where_, Binary, BytesSrc, CastTo, Src, Unary};
use crate::reduce::{self, Reducer, UNIT};

/// Errors from evaluating a program over given inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VmError {
    #[error("expected {expected} inputs, got {got}")]
    InputCount { expected: usize, got: usize },
    #[error("input `{name}` should be {expected}, got {got}")]
    InputType { name: String, expected: DType, got: DType },
    #[error("input `{name}` has {len} elements but its shape {shape:?} needs {needed}")]
    InputLength { name: String, len: usize, shape: Vec<usize>, needed: usize },
    #[error("shapes do not broadcast: `{a}` has shape {a_shape:?}, `{b}` has shape {b_shape:?}")]
    Broadcast { a: String, a_shape: Vec<usize>, b: String, b_shape: Vec<usize> },
    #[error("the output holds {got} elements of {got_type}; the result has {expected} of {expected_type}")]
    Output { expected: usize, expected_type: DType, got: usize, got_type: DType },
    #[error("`{op}` of an empty array has no value (it has no identity)")]
    EmptyReduction { op: String },
    #[error("axis {axis} is out of range for a result of {ndim} dimensions")]
    Axis { axis: i64, ndim: usize },
    #[error("a program with byte-string results cannot be evaluated into numbers")]
    BytesResult,
}

/// How to split the work.
#[derive(Clone, Debug)]
pub struct Config {
    /// Elements per block (rounded up to a multiple of [`reduce::UNIT`] for reductions).
    pub block_len: usize,
    /// Worker threads; `None` uses rayon's global pool.
    pub threads: Option<usize>,
}

impl Default for Config {
    fn default() -> Config {
        Config { block_len: 4096, threads: None }
    }
}

/// Contiguous typed values, in row-major order.
#[derive(Clone, Copy, Debug)]
pub enum Col<'a> {
    Bool(&'a [bool]),
    Int32(&'a [i32]),
    Int64(&'a [i64]),
    Float32(&'a [f32]),
    Float64(&'a [f64]),
    Complex128(&'a [c128]),
    Bytes { data: &'a [u8], itemsize: usize },
}

impl Col<'_> {
    pub fn len(&self) -> usize {
        match self {
            Col::Bool(v) => v.len(),
            Col::Int32(v) => v.len(),
            Col::Int64(v) => v.len(),
            Col::Float32(v) => v.len(),
            Col::Float64(v) => v.len(),
            Col::Complex128(v) => v.len(),
            Col::Bytes { data, itemsize } => data.len().checked_div(*itemsize).unwrap_or(0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn dtype(&self) -> DType {
        match self {
            Col::Bool(_) => DType::Bool,
            Col::Int32(_) => DType::Int32,
            Col::Int64(_) => DType::Int64,
            Col::Float32(_) => DType::Float32,
            Col::Float64(_) => DType::Float64,
            Col::Complex128(_) => DType::Complex128,
            Col::Bytes { itemsize, .. } => DType::Bytes(*itemsize),
        }
    }
}

/// An input: an array (contiguous values and a shape) or one value.
#[derive(Clone, Debug)]
pub enum Arg<'a> {
    /// Contiguous row-major values and their shape.
    Array(Col<'a>, Vec<usize>),
    /// Values at `strides` (in elements, one per axis) from the start of `col`: a view such
    /// as a transpose, a column of a matrix or a slice with a step, read in place.
    Strided {
        col: Col<'a>,
        shape: Vec<usize>,
        strides: Vec<usize>,
    },
    Scalar(Value),
}

impl Arg<'_> {
    fn shape(&self) -> Option<&[usize]> {
        match self {
            Arg::Array(_, shape) | Arg::Strided { shape, .. } => Some(shape),
            Arg::Scalar(_) => None,
        }
    }
}

/// A typed output to fill.
#[derive(Debug)]
pub enum OutMut<'a> {
    Bool(&'a mut [bool]),
    Int32(&'a mut [i32]),
    Int64(&'a mut [i64]),
    Float32(&'a mut [f32]),
    Float64(&'a mut [f64]),
    Complex128(&'a mut [c128]),
}

impl OutMut<'_> {
    pub fn len(&self) -> usize {
        match self {
            OutMut::Bool(v) => v.len(),
            OutMut::Int32(v) => v.len(),
            OutMut::Int64(v) => v.len(),
            OutMut::Float32(v) => v.len(),
            OutMut::Float64(v) => v.len(),
            OutMut::Complex128(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn dtype(&self) -> DType {
        match self {
            OutMut::Bool(_) => DType::Bool,
            OutMut::Int32(_) => DType::Int32,
            OutMut::Int64(_) => DType::Int64,
            OutMut::Float32(_) => DType::Float32,
            OutMut::Float64(_) => DType::Float64,
            OutMut::Complex128(_) => DType::Complex128,
        }
    }
}

/// Owned typed values.
#[derive(Clone, Debug, PartialEq)]
pub enum Owned {
    Bool(Vec<bool>),
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Float32(Vec<f32>),
    Float64(Vec<f64>),
    Complex128(Vec<c128>),
}

impl Owned {
    pub fn zeros(d: DType, n: usize) -> Result<Owned, VmError> {
        Ok(match d {
            DType::Bool => Owned::Bool(vec![false; n]),
            DType::Int32 => Owned::Int32(vec![0; n]),
            DType::Int64 => Owned::Int64(vec![0; n]),
            DType::Float32 => Owned::Float32(vec![0.0; n]),
            DType::Float64 => Owned::Float64(vec![0.0; n]),
            DType::Complex128 => Owned::Complex128(vec![c128::new(0.0, 0.0); n]),
            DType::Bytes(_) => return Err(VmError::BytesResult),
        })
    }

    pub fn as_out(&mut self) -> OutMut<'_> {
        match self {
            Owned::Bool(v) => OutMut::Bool(v),
            Owned::Int32(v) => OutMut::Int32(v),
            Owned::Int64(v) => OutMut::Int64(v),
            Owned::Float32(v) => OutMut::Float32(v),
            Owned::Float64(v) => OutMut::Float64(v),
            Owned::Complex128(v) => OutMut::Complex128(v),
        }
    }

    pub fn from_value(v: &Value) -> Result<Owned, VmError> {
        Ok(match *v {
            Value::Bool(x) => Owned::Bool(vec![x]),
            Value::Int32(x) => Owned::Int32(vec![x]),
            Value::Int64(x) => Owned::Int64(vec![x]),
            Value::Float32(x) => Owned::Float32(vec![x]),
            Value::Float64(x) => Owned::Float64(vec![x]),
            Value::Complex128(re, im) => Owned::Complex128(vec![c128::new(re, im)]),
            Value::Bytes(_) => return Err(VmError::BytesResult),
        })
    }
}

/// A result: its shape (empty for one value) and values.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub shape: Vec<usize>,
    pub data: Owned,
}

// ---- element types -------------------------------------------------------------------------

/// A register: one block of one type.
#[derive(Debug, Default)]
#[doc(hidden)]
pub enum Buf {
    #[default]
    Empty,
    Bool(Vec<bool>),
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Float32(Vec<f32>),
    Float64(Vec<f64>),
    Complex128(Vec<c128>),
    Bytes(Vec<u8>),
}

impl Buf {
    fn new(d: DType, n: usize) -> Buf {
        match d {
            DType::Bool => Buf::Bool(vec![false; n]),
            DType::Int32 => Buf::Int32(vec![0; n]),
            DType::Int64 => Buf::Int64(vec![0; n]),
            DType::Float32 => Buf::Float32(vec![0.0; n]),
            DType::Float64 => Buf::Float64(vec![0.0; n]),
            DType::Complex128 => Buf::Complex128(vec![c128::new(0.0, 0.0); n]),
            DType::Bytes(k) => Buf::Bytes(vec![0; n * k]),
        }
    }

    fn out(&mut self) -> Option<OutMut<'_>> {
        Some(match self {
            Buf::Bool(v) => OutMut::Bool(v),
            Buf::Int32(v) => OutMut::Int32(v),
            Buf::Int64(v) => OutMut::Int64(v),
            Buf::Float32(v) => OutMut::Float32(v),
            Buf::Float64(v) => OutMut::Float64(v),
            Buf::Complex128(v) => OutMut::Complex128(v),
            Buf::Bytes(_) | Buf::Empty => return None,
        })
    }
}

/// The element types the VM computes in.
pub trait Elem: Copy + Send + Sync + Default + 'static {
    const DTYPE: DType;
    fn buf(b: &Buf) -> &[Self];
    fn out<'a, 'b>(o: &'a mut OutMut<'b>) -> &'a mut [Self];
    fn col<'a>(c: &Col<'a>) -> &'a [Self];
    fn value(v: &Value) -> Self;
    fn to_value(self) -> Value;
    fn out_mut(s: &mut [Self]) -> OutMut<'_>;
    fn owned(v: Vec<Self>) -> Owned;
    fn owned_slice(o: &Owned) -> &[Self];
}

macro_rules! elem {
    ($t:ty, $variant:ident, $dt:ident, |$v:ident| $from:expr, |$x:ident| $to:expr) => {
        impl Elem for $t {
            const DTYPE: DType = DType::$dt;
            fn buf(b: &Buf) -> &[Self] {
                match b {
                    Buf::$variant(v) => v,
                    _ => &[],
                }
            }
            fn out<'a, 'b>(o: &'a mut OutMut<'b>) -> &'a mut [Self] {
                match o {
                    OutMut::$variant(v) => v,
                    _ => &mut [],
                }
            }
            fn col<'a>(c: &Col<'a>) -> &'a [Self] {
                match *c {
                    Col::$variant(v) => v,
                    _ => &[],
                }
            }
            fn value($v: &Value) -> Self {
                $from
            }
            fn to_value(self) -> Value {
                let $x = self;
                $to
            }
            fn out_mut(s: &mut [Self]) -> OutMut<'_> {
                OutMut::$variant(s)
            }
            fn owned(v: Vec<Self>) -> Owned {
                Owned::$variant(v)
            }
            fn owned_slice(o: &Owned) -> &[Self] {
                match o {
                    Owned::$variant(v) => v,
                    _ => &[],
                }
            }
        }
    };
}

elem!(bool, Bool, Bool, |v| matches!(v, Value::Bool(true)), |x| Value::Bool(x));
elem!(i32, Int32, Int32, |v| if let Value::Int32(x) = v { *x } else { 0 }, |x| Value::Int32(x));
elem!(i64, Int64, Int64, |v| if let Value::Int64(x) = v { *x } else { 0 }, |x| Value::Int64(x));
elem!(f32, Float32, Float32, |v| if let Value::Float32(x) = v { *x } else { 0.0 }, |x| Value::Float32(x));
elem!(f64, Float64, Float64, |v| if let Value::Float64(x) = v { *x } else { 0.0 }, |x| Value::Float64(x));
elem!(
    c128,
    Complex128,
    Complex128,
    |v| if let Value::Complex128(re, im) = v { c128::new(*re, *im) } else { c128::new(0.0, 0.0) },
    |x| Value::Complex128(x.re, x.im)
);

// ---- a prepared program --------------------------------------------------------------------

/// A program ready to run: validated, with every instruction on constants alone evaluated
/// once (with the same kernels) and replaced by its value.
#[derive(Clone, Debug)]
pub struct Prepared {
    program: Program,
}

impl Deref for Prepared {
    type Target = Program;
    fn deref(&self) -> &Program {
        &self.program
    }
}

impl Prepared {
    pub fn new(mut program: Program) -> Result<Prepared, VmError> {
        fold_constants(&mut program);
        Ok(Prepared { program })
    }

    pub fn program(&self) -> &Program {
        &self.program
    }
}

fn fold_constants(p: &mut Program) {
    for s in 0..p.stages.len() {
        let mut known: Vec<Option<u16>> = vec![None; p.regs.len()];
        let mut kept = Vec::with_capacity(p.stages[s].instrs.len());
        let instrs = std::mem::take(&mut p.stages[s].instrs);
        for mut ins in instrs {
            for a in ins.args.iter_mut() {
                if let Operand::Reg(r) = *a {
                    if let Some(c) = known[r as usize] {
                        *a = Operand::Const(c);
                    }
                }
            }
            let all_const = ins.operands().iter().all(|o| matches!(o, Operand::Const(_)));
            if all_const && ins.op.output() != DType::Bytes(0) {
                if let Some(v) = eval_const(p, &ins) {
                    p.consts.push(v);
                    known[ins.dst as usize] = Some((p.consts.len() - 1) as u16);
                    continue;
                }
            }
            known[ins.dst as usize] = None;
            kept.push(ins);
        }
        if let Operand::Reg(r) = p.stages[s].result {
            if let Some(c) = known[r as usize] {
                p.stages[s].result = Operand::Const(c);
            }
        }
        p.stages[s].instrs = kept;
    }
}

fn eval_const(p: &Program, ins: &Instr) -> Option<Value> {
    let mut buf = Buf::new(ins.op.output(), 1);
    let env = Env { program: p, inputs: &[], stage_values: &[], regs: &[], n: 1 };
    let mut out = buf.out()?;
    exec_instr(ins.op, ins, &mut out, &env);
    Some(match out {
        OutMut::Bool(v) => Value::Bool(v[0]),
        OutMut::Int32(v) => Value::Int32(v[0]),
        OutMut::Int64(v) => Value::Int64(v[0]),
        OutMut::Float32(v) => Value::Float32(v[0]),
        OutMut::Float64(v) => Value::Float64(v[0]),
        OutMut::Complex128(v) => Value::Complex128(v[0].re, v[0].im),
    })
}

// ---- one block -------------------------------------------------------------------------------

/// An input as one block sees it.
#[derive(Clone, Copy, Debug)]
pub enum BlockIn<'a> {
    Col(Col<'a>),
    Scalar(&'a Value),
}

struct Env<'a> {
    program: &'a Program,
    inputs: &'a [BlockIn<'a>],
    stage_values: &'a [Value],
    regs: &'a [Buf],
    n: usize,
}

impl Env<'_> {
    #[inline]
    fn src<T: Elem>(&self, o: Operand) -> Src<'_, T> {
        match o {
            Operand::Reg(r) => Src::Vec(&T::buf(&self.regs[r as usize])[..self.n]),
            Operand::Input(i) => match self.inputs.get(i as usize) {
                Some(BlockIn::Col(c)) => Src::Vec(T::col(c)),
                Some(BlockIn::Scalar(v)) => Src::Scalar(T::value(v)),
                None => Src::Scalar(T::default()),
            },
            Operand::Const(c) => Src::Scalar(self.program.consts.get(c as usize).map_or_else(T::default, T::value)),
            Operand::Stage(s) => Src::Scalar(self.stage_values.get(s as usize).map_or_else(T::default, T::value)),
            Operand::None => Src::Scalar(T::default()),
        }
    }

    fn bytes(&self, o: Operand) -> BytesSrc<'_> {
        fn scalar(b: &[u8]) -> BytesSrc<'_> {
            BytesSrc { data: b, itemsize: b.len(), scalar: true }
        }
        match o {
            Operand::Input(i) => match self.inputs.get(i as usize) {
                Some(BlockIn::Col(Col::Bytes { data, itemsize })) => {
                    BytesSrc { data, itemsize: *itemsize, scalar: false }
                }
                Some(BlockIn::Scalar(Value::Bytes(b))) => scalar(b),
                _ => scalar(&[]),
            },
            Operand::Const(c) => match self.program.consts.get(c as usize) {
                Some(Value::Bytes(b)) => scalar(b),
                _ => scalar(&[]),
            },
            _ => scalar(&[]),
        }
    }
}

macro_rules! call_kernel {
    (Unary, $kop:ident, $tin:ident, $tout:ident, $ins:ident, $out:ident, $env:ident) => {
        <ops::$kop as Unary<$tin, $tout>>::run(&mut $tout::out($out)[..$env.n], $env.src::<$tin>($ins.args[0]))
    };
    (Binary, $kop:ident, $tin:ident, $tout:ident, $ins:ident, $out:ident, $env:ident) => {
        <ops::$kop as Binary<$tin, $tout>>::run(
            &mut $tout::out($out)[..$env.n],
            $env.src::<$tin>($ins.args[0]),
            $env.src::<$tin>($ins.args[1]),
        )
    };
    (Where, $kop:ident, $tin:ident, $tout:ident, $ins:ident, $out:ident, $env:ident) => {
        where_::<$tin>(
            &mut $tout::out($out)[..$env.n],
            $env.src::<bool>($ins.args[0]),
            $env.src::<$tin>($ins.args[1]),
            $env.src::<$tin>($ins.args[2]),
        )
    };
    (Cast, $kop:ident, $tin:ident, $tout:ident, $ins:ident, $out:ident, $env:ident) => {
        <$tin as CastTo<$tout>>::cast(&mut $tout::out($out)[..$env.n], $env.src::<$tin>($ins.args[0]))
    };
    (BytesCmp, $kop:ident, $tin:ident, $tout:ident, $ins:ident, $out:ident, $env:ident) => {
        bytes_compare(BinOp::$kop, &mut bool::out($out)[..$env.n], $env.bytes($ins.args[0]), $env.bytes($ins.args[1]))
    };
    (BytesContains, $kop:ident, $tin:ident, $tout:ident, $ins:ident, $out:ident, $env:ident) => {
        bytes_contains(&mut bool::out($out)[..$env.n], $env.bytes($ins.args[0]), $env.bytes($ins.args[1]))
    };
    // Reductions end a stage; they are never instructions.
    (Reduce, $kop:ident, $tin:ident, $tout:ident, $ins:ident, $out:ident, $env:ident) => {
        ()
    };
}

macro_rules! define_exec {
    ($( $(#[doc = $doc:literal])* $name:ident = $cat:ident($kop:ident) $tin:ident -> $tout:ident; )*) => {
        /// Runs one instruction over a block: one `match` per instruction and block, never per element.
        fn exec_instr(op: Op, ins: &Instr, out: &mut OutMut<'_>, env: &Env<'_>) {
            match op {
                $( Op::$name => call_kernel!($cat, $kop, $tin, $tout, ins, out, env), )*
            }
        }
    };
}

for_each_op!(define_exec);

/// Per-worker scratch: the register file and buffers for gathered (broadcast) inputs.
pub struct Worker<'p> {
    program: &'p Program,
    regs: Vec<Buf>,
    gathered: Vec<Buf>,
    block_len: usize,
}

impl<'p> Worker<'p> {
    /// A worker for blocks of at most `block_len` elements; allocates its registers once.
    /// The longest block this worker takes.
    pub fn block_len(&self) -> usize {
        self.block_len
    }

    pub fn new(program: &'p Prepared, block_len: usize) -> Worker<'p> {
        let program = program.program();
        Worker {
            regs: program.regs.iter().map(|&d| Buf::new(d, block_len)).collect(),
            gathered: program.inputs.iter().map(|_| Buf::Empty).collect(),
            program,
            block_len,
        }
    }

    /// Runs stage `s` over a block of `n` elements; the stage's value is left in `dst` if
    /// given (it must hold `n` elements of the stage's type), else in its register.
    pub(crate) fn run_stage(
        &mut self,
        s: usize,
        inputs: &[BlockIn<'_>],
        stage_values: &[Value],
        n: usize,
        mut dst: Option<&mut OutMut<'_>>,
    ) {
        let stage = &self.program.stages[s];
        let last = stage.instrs.len().wrapping_sub(1);
        for (k, ins) in stage.instrs.iter().enumerate() {
            let direct = k == last && stage.result == Operand::Reg(ins.dst) && dst.is_some();
            let mut reg = if direct { Buf::Empty } else { std::mem::take(&mut self.regs[ins.dst as usize]) };
            {
                let env = Env { program: self.program, inputs, stage_values, regs: &self.regs, n };
                match (direct, dst.as_deref_mut()) {
                    (true, Some(out)) => exec_instr(ins.op, ins, out, &env),
                    _ => {
                        if let Some(mut out) = reg.out() {
                            exec_instr(ins.op, ins, &mut out, &env);
                        }
                    }
                }
            }
            if !direct {
                self.regs[ins.dst as usize] = reg;
            }
        }
        // A result that is not the last instruction's register (an input, a constant...) is copied.
        let direct_done = matches!(stage.instrs.last(), Some(i) if stage.result == Operand::Reg(i.dst));
        if let Some(out) = dst {
            if !direct_done {
                let env = Env { program: self.program, inputs, stage_values, regs: &self.regs, n };
                copy_result(stage.result, stage.dtype, out, &env);
            }
        }
    }
}

fn copy_result(result: Operand, dtype: DType, out: &mut OutMut<'_>, env: &Env<'_>) {
    fn copy<T: Elem>(out: &mut OutMut<'_>, env: &Env<'_>, o: Operand) {
        <ops::Copy as Unary<T, T>>::run(&mut T::out(out)[..env.n], env.src::<T>(o))
    }
    match dtype {
        DType::Bool => copy::<bool>(out, env, result),
        DType::Int32 => copy::<i32>(out, env, result),
        DType::Int64 => copy::<i64>(out, env, result),
        DType::Float32 => copy::<f32>(out, env, result),
        DType::Float64 => copy::<f64>(out, env, result),
        DType::Complex128 => copy::<c128>(out, env, result),
        DType::Bytes(_) => {}
    }
}

// ---- shapes and broadcasting -------------------------------------------------------------

/// How one input reaches a stage's blocks.
#[derive(Clone, Debug)]
pub(crate) enum Feed<'a> {
    Scalar(&'a Value),
    /// Same shape as the stage: blocks are subslices.
    Direct(Col<'a>),
    /// Broadcast: element `i` of the stage reads `offset(i)` of the input.
    Broadcast {
        col: Col<'a>,
        strides: Vec<usize>,
    },
}

fn broadcast_shapes(shapes: &[(&str, &[usize])]) -> Result<Vec<usize>, VmError> {
    let ndim = shapes.iter().map(|(_, s)| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; ndim];
    let mut owner: Vec<usize> = vec![usize::MAX; ndim];
    for (k, (_, s)) in shapes.iter().enumerate() {
        for (j, &d) in s.iter().enumerate() {
            let axis = ndim - s.len() + j;
            if out[axis] == 1 {
                out[axis] = d;
                owner[axis] = k;
            } else if d != 1 && d != out[axis] {
                let o = owner[axis];
                return Err(VmError::Broadcast {
                    a: shapes[o].0.to_string(),
                    a_shape: shapes[o].1.to_vec(),
                    b: shapes[k].0.to_string(),
                    b_shape: s.to_vec(),
                });
            }
        }
    }
    Ok(out)
}

/// The inputs stage `s` reads.
pub fn stage_inputs(p: &Program, s: usize) -> Vec<usize> {
    let stage = &p.stages[s];
    let mut used: Vec<usize> = Vec::new();
    let mut add = |o: Operand| {
        if let Operand::Input(i) = o {
            if !used.contains(&(i as usize)) {
                used.push(i as usize);
            }
        }
    };
    for ins in &stage.instrs {
        ins.operands().iter().copied().for_each(&mut add);
    }
    add(stage.result);
    used
}

pub(crate) fn feeds<'a>(args: &'a [Arg<'a>], used: &[usize], shape: &[usize]) -> Vec<Option<Feed<'a>>> {
    let mut feeds: Vec<Option<Feed<'a>>> = vec![None; args.len()];
    for &i in used {
        feeds[i] = Some(match &args[i] {
            Arg::Scalar(v) => Feed::Scalar(v),
            Arg::Array(col, s) if s.as_slice() == shape => Feed::Direct(*col),
            Arg::Array(col, s) => {
                // Row-major strides of the input, 0 along broadcast axes, aligned to the right.
                let mut strides = vec![0usize; shape.len()];
                let mut acc = 1usize;
                for j in (0..s.len()).rev() {
                    let axis = shape.len() - s.len() + j;
                    strides[axis] = if s[j] == 1 { 0 } else { acc };
                    acc *= s[j];
                }
                Feed::Broadcast { col: *col, strides }
            }
            Arg::Strided { col, shape: s, strides: st } => {
                let mut strides = vec![0usize; shape.len()];
                for j in 0..s.len() {
                    strides[shape.len() - s.len() + j] = if s[j] == 1 { 0 } else { st[j] };
                }
                Feed::Broadcast { col: *col, strides }
            }
        });
    }
    feeds
}

/// Copies the broadcast input's elements `start..start + n` into `buf`.
fn gather(col: &Col<'_>, strides: &[usize], shape: &[usize], start: usize, n: usize, buf: &mut Buf) {
    fn go<T: Copy + Default>(
        src: &[T],
        width: usize,
        strides: &[usize],
        shape: &[usize],
        start: usize,
        n: usize,
        out: &mut Vec<T>,
    ) {
        out.clear();
        if shape.is_empty() {
            out.extend_from_slice(&src[..width.min(src.len())]);
            return;
        }
        // Multi-index of `start`, then an odometer.
        let mut idx = vec![0usize; shape.len()];
        let mut rem = start;
        for j in (0..shape.len()).rev() {
            let d = shape[j].max(1);
            idx[j] = rem % d;
            rem /= d;
        }
        let mut off: usize = idx.iter().zip(strides).map(|(i, s)| i * s).sum();
        for _ in 0..n {
            out.extend_from_slice(&src[off * width..off * width + width]);
            for j in (0..shape.len()).rev() {
                idx[j] += 1;
                off += strides[j];
                if idx[j] < shape[j] {
                    break;
                }
                off -= strides[j] * idx[j];
                idx[j] = 0;
            }
        }
    }
    macro_rules! g {
        ($variant:ident, $src:expr, $width:expr) => {{
            if !matches!(buf, Buf::$variant(_)) {
                *buf = Buf::$variant(Vec::new());
            }
            if let Buf::$variant(v) = buf {
                go($src, $width, strides, shape, start, n, v);
            }
        }};
    }
    match *col {
        Col::Bool(s) => g!(Bool, s, 1),
        Col::Int32(s) => g!(Int32, s, 1),
        Col::Int64(s) => g!(Int64, s, 1),
        Col::Float32(s) => g!(Float32, s, 1),
        Col::Float64(s) => g!(Float64, s, 1),
        Col::Complex128(s) => g!(Complex128, s, 1),
        Col::Bytes { data, itemsize } => g!(Bytes, data, itemsize),
    }
}

fn gathered_col<'a>(buf: &'a Buf, col: &Col<'_>) -> Col<'a> {
    match buf {
        Buf::Bool(v) => Col::Bool(v),
        Buf::Int32(v) => Col::Int32(v),
        Buf::Int64(v) => Col::Int64(v),
        Buf::Float32(v) => Col::Float32(v),
        Buf::Float64(v) => Col::Float64(v),
        Buf::Complex128(v) => Col::Complex128(v),
        Buf::Bytes(v) => {
            Col::Bytes { data: v, itemsize: if let Col::Bytes { itemsize, .. } = col { *itemsize } else { 1 } }
        }
        Buf::Empty => Col::Float64(&[]),
    }
}

fn slice_col<'a>(col: &Col<'a>, start: usize, n: usize) -> Col<'a> {
    match *col {
        Col::Bool(s) => Col::Bool(&s[start..start + n]),
        Col::Int32(s) => Col::Int32(&s[start..start + n]),
        Col::Int64(s) => Col::Int64(&s[start..start + n]),
        Col::Float32(s) => Col::Float32(&s[start..start + n]),
        Col::Float64(s) => Col::Float64(&s[start..start + n]),
        Col::Complex128(s) => Col::Complex128(&s[start..start + n]),
        Col::Bytes { data, itemsize } => Col::Bytes { data: &data[start * itemsize..(start + n) * itemsize], itemsize },
    }
}

/// One stage's evaluation plan: its inputs' feeds over its broadcast shape, and the values
/// of the stages before it.
pub(crate) struct Plan<'a> {
    pub(crate) stage: usize,
    pub(crate) feeds: Vec<Option<Feed<'a>>>,
    pub(crate) shape: &'a [usize],
    pub(crate) stage_values: &'a [Value],
}

impl Plan<'_> {
    /// Runs the stage for the block `start..start + n`, gathering broadcast inputs first.
    pub(crate) fn block(&self, w: &mut Worker<'_>, start: usize, n: usize, dst: Option<&mut OutMut<'_>>) {
        for (i, f) in self.feeds.iter().enumerate() {
            if let Some(Feed::Broadcast { col, strides }) = f {
                gather(col, strides, self.shape, start, n, &mut w.gathered[i]);
            }
        }
        let gathered = std::mem::take(&mut w.gathered);
        let inputs: Vec<BlockIn<'_>> = self
            .feeds
            .iter()
            .enumerate()
            .map(|(i, f)| match f {
                None => BlockIn::Scalar(&Value::Bool(false)),
                Some(Feed::Scalar(v)) => BlockIn::Scalar(v),
                Some(Feed::Direct(col)) => BlockIn::Col(slice_col(col, start, n)),
                Some(Feed::Broadcast { col, .. }) => BlockIn::Col(gathered_col(&gathered[i], col)),
            })
            .collect();
        w.run_stage(self.stage, &inputs, self.stage_values, n, dst);
        drop(inputs);
        w.gathered = gathered;
    }
}

// ---- whole evaluations -------------------------------------------------------------------

pub(crate) fn validate(p: &Program, args: &[Arg<'_>]) -> Result<(), VmError> {
    if args.len() != p.inputs.len() {
        return Err(VmError::InputCount { expected: p.inputs.len(), got: args.len() });
    }
    for (input, arg) in p.inputs.iter().zip(args) {
        let got = match arg {
            Arg::Array(col, shape) => {
                let needed: usize = shape.iter().product();
                if col.len() != needed {
                    return Err(VmError::InputLength {
                        name: input.name.clone(),
                        len: col.len(),
                        shape: shape.clone(),
                        needed,
                    });
                }
                col.dtype()
            }
            Arg::Strided { col, shape, strides } => {
                // The farthest element must lie inside the values given.
                let last =
                    shape.iter().zip(strides).map(|(&d, &s)| d.saturating_sub(1).saturating_mul(s)).sum::<usize>();
                let empty = shape.contains(&0);
                if strides.len() != shape.len() || (!empty && last >= col.len()) {
                    return Err(VmError::InputLength {
                        name: input.name.clone(),
                        len: col.len(),
                        shape: shape.clone(),
                        needed: last + 1,
                    });
                }
                col.dtype()
            }
            Arg::Scalar(v) => v.dtype(),
        };
        let same = match (input.dtype, got) {
            (DType::Bytes(_), DType::Bytes(_)) => true,
            (a, b) => a == b,
        };
        if !same {
            return Err(VmError::InputType { name: input.name.clone(), expected: input.dtype, got });
        }
    }
    Ok(())
}

/// The broadcast shape of stage `s` for inputs of these shapes (`None` for a scalar), before
/// any values exist.
pub fn stage_shape_of(p: &Program, shapes: &[Option<Vec<usize>>], s: usize) -> Result<Vec<usize>, VmError> {
    let mut used = stage_inputs(p, s);
    if s == p.stages.len() - 1 {
        for &i in &p.shape_inputs {
            if !used.contains(&(i as usize)) {
                used.push(i as usize);
            }
        }
    }
    let named: Vec<(&str, &[usize])> =
        used.iter().filter_map(|&i| shapes.get(i)?.as_deref().map(|sh| (p.inputs[i].name.as_str(), sh))).collect();
    broadcast_shapes(&named)
}

pub(crate) fn stage_shape(p: &Program, args: &[Arg<'_>], s: usize) -> Result<(Vec<usize>, Vec<usize>), VmError> {
    let used = stage_inputs(p, s);
    let mut shaping = used.clone();
    if s == p.stages.len() - 1 {
        for &i in &p.shape_inputs {
            if !shaping.contains(&(i as usize)) && (i as usize) < args.len() {
                shaping.push(i as usize);
            }
        }
    }
    let shapes: Vec<(&str, &[usize])> =
        shaping.iter().filter_map(|&i| args[i].shape().map(|shape| (p.inputs[i].name.as_str(), shape))).collect();
    Ok((broadcast_shapes(&shapes)?, used))
}

fn in_pool<R: Send>(cfg: &Config, f: impl FnOnce() -> R + Send) -> R {
    match cfg.threads {
        Some(t) => match rayon::ThreadPoolBuilder::new().num_threads(t.max(1)).build() {
            Ok(pool) => pool.install(f),
            Err(_) => f(),
        },
        None => f(),
    }
}

/// Evaluates a program; the result's shape is the broadcast shape of its inputs (empty for a
/// full reduction; without the reduced axis for an axis reduction).
pub fn evaluate(p: &Prepared, args: &[Arg<'_>], cfg: &Config) -> Result<Output, VmError> {
    validate(p, args)?;
    in_pool(cfg, || {
        let stage_values = reduction_stages(p, args, cfg)?;
        let last = p.stages.len() - 1;
        let (shape, used) = stage_shape(p, args, last)?;
        let stage = &p.stages[last];
        match stage.kind {
            StageKind::Elementwise => {
                let mut data = Owned::zeros(stage.dtype, shape.iter().product())?;
                elementwise(p, args, &stage_values, &shape, &used, &mut data.as_out(), cfg);
                Ok(Output { shape, data })
            }
            StageKind::Reduce { op, axis: None, .. } => {
                let v = reduce_stage(p, args, &stage_values, last, op, cfg)?;
                Ok(Output { shape: vec![], data: Owned::from_value(&v)? })
            }
            StageKind::Reduce { op, axis: Some(axis), .. } => {
                let ax = if axis < 0 { axis + shape.len() as i64 } else { axis };
                if ax < 0 || ax as usize >= shape.len() {
                    return Err(VmError::Axis { axis, ndim: shape.len() });
                }
                let mut values = Owned::zeros(stage.dtype, shape.iter().product())?;
                elementwise(p, args, &stage_values, &shape, &used, &mut values.as_out(), cfg);
                reduce_axis(op, values, &shape, ax as usize)
            }
        }
    })
}

/// Evaluates an elementwise program into a preallocated output of the result's size and type.
pub fn evaluate_into(
    p: &Prepared,
    args: &[Arg<'_>],
    out: &mut OutMut<'_>,
    cfg: &Config,
) -> Result<Vec<usize>, VmError> {
    validate(p, args)?;
    let last = p.stages.len() - 1;
    if !matches!(p.stages[last].kind, StageKind::Elementwise) {
        let r = evaluate(p, args, cfg)?;
        let n: usize = r.shape.iter().product();
        if out.len() != n || out.dtype() != p.dtype() {
            return Err(VmError::Output {
                expected: n,
                expected_type: p.dtype(),
                got: out.len(),
                got_type: out.dtype(),
            });
        }
        copy_owned(&r.data, out);
        return Ok(r.shape);
    }
    in_pool(cfg, || {
        let stage_values = reduction_stages(p, args, cfg)?;
        let (shape, used) = stage_shape(p, args, last)?;
        let n: usize = shape.iter().product();
        if out.len() != n || out.dtype() != p.dtype() {
            return Err(VmError::Output {
                expected: n,
                expected_type: p.dtype(),
                got: out.len(),
                got_type: out.dtype(),
            });
        }
        elementwise(p, args, &stage_values, &shape, &used, out, cfg);
        Ok(shape)
    })
}

fn copy_owned(src: &Owned, out: &mut OutMut<'_>) {
    match (src, out) {
        (Owned::Bool(s), OutMut::Bool(o)) => o.copy_from_slice(s),
        (Owned::Int32(s), OutMut::Int32(o)) => o.copy_from_slice(s),
        (Owned::Int64(s), OutMut::Int64(o)) => o.copy_from_slice(s),
        (Owned::Float32(s), OutMut::Float32(o)) => o.copy_from_slice(s),
        (Owned::Float64(s), OutMut::Float64(o)) => o.copy_from_slice(s),
        (Owned::Complex128(s), OutMut::Complex128(o)) => o.copy_from_slice(s),
        _ => {}
    }
}

/// Runs every stage but the last: full reductions whose values later stages read.
fn reduction_stages(p: &Prepared, args: &[Arg<'_>], cfg: &Config) -> Result<Vec<Value>, VmError> {
    let mut values = Vec::with_capacity(p.stages.len());
    for s in 0..p.stages.len() - 1 {
        let v = match p.stages[s].kind {
            StageKind::Reduce { op, .. } => reduce_stage(p, args, &values, s, op, cfg)?,
            StageKind::Elementwise => Value::Bool(false),
        };
        values.push(v);
    }
    Ok(values)
}

/// Evaluations of at most this many blocks run on the calling thread, without the pool.
pub const SERIAL_BLOCKS: usize = 8;
/// Elements per block on the calling thread.
const SERIAL_BLOCK_LEN: usize = 1024;

fn elementwise(
    p: &Prepared,
    args: &[Arg<'_>],
    stage_values: &[Value],
    shape: &[usize],
    used: &[usize],
    out: &mut OutMut<'_>,
    cfg: &Config,
) {
    let plan = Plan { stage: p.stages.len() - 1, feeds: feeds(args, used, shape), shape, stage_values };
    let bl = cfg.block_len.max(1);
    // A few blocks run on the calling thread: for small arrays a hand-off to the pool costs
    // more than the work.
    macro_rules! par {
        ($v:expr, $variant:ident) => {
            if $v.len() <= SERIAL_BLOCKS * bl {
                // Registers as long as the longest block here, not the block length; and
                // short blocks, so that the temporaries stay in L1 while the operands
                // stream from L2 (elementwise values do not depend on the block length).
                let sbl = bl.min(SERIAL_BLOCK_LEN);
                let mut w = Worker::new(p, sbl.min($v.len()).max(1));
                for (b, chunk) in $v.chunks_mut(sbl).enumerate() {
                    let n = chunk.len();
                    plan.block(&mut w, b * sbl, n, Some(&mut OutMut::$variant(chunk)));
                }
            } else {
                par_blocks!($v, $variant)
            }
        };
    }
    macro_rules! par_blocks {
        ($v:expr, $variant:ident) => {
            $v.par_chunks_mut(bl).enumerate().for_each_init(
                || Worker::new(p, bl),
                |w, (b, chunk)| {
                    let n = chunk.len();
                    plan.block(w, b * bl, n, Some(&mut OutMut::$variant(chunk)));
                },
            )
        };
    }
    match out {
        OutMut::Bool(v) => par!(v, Bool),
        OutMut::Int32(v) => par!(v, Int32),
        OutMut::Int64(v) => par!(v, Int64),
        OutMut::Float32(v) => par!(v, Float32),
        OutMut::Float64(v) => par!(v, Float64),
        OutMut::Complex128(v) => par!(v, Complex128),
    }
}

/// A full reduction over stage `s`: per-block unit partials, in order, then a pairwise tree.
fn reduce_stage(
    p: &Prepared,
    args: &[Arg<'_>],
    stage_values: &[Value],
    s: usize,
    op: Op,
    cfg: &Config,
) -> Result<Value, VmError> {
    macro_rules! reduce_arm {
        ($t:ty, $r:ty) => {
            reduce_typed::<$t, $r>(p, args, stage_values, s, cfg).and_then(|v| {
                v.map(Elem::to_value).ok_or_else(|| VmError::EmptyReduction { op: op.name().to_string() })
            })
        };
    }
    reduce_dispatch!(op, reduce_arm)
}

fn reduce_typed<T: Elem, R: Reducer<T>>(
    p: &Prepared,
    args: &[Arg<'_>],
    stage_values: &[Value],
    s: usize,
    cfg: &Config,
) -> Result<Option<T>, VmError> {
    let (shape, used) = stage_shape(p, args, s)?;
    let total: usize = shape.iter().product();
    let plan = Plan { stage: s, feeds: feeds(args, &used, &shape), shape: &shape, stage_values };
    // Blocks hold whole units, so partials do not depend on the block length.
    let bl = cfg.block_len.max(1).div_ceil(UNIT) * UNIT;
    let nblocks = total.div_ceil(bl);
    let block = |(w, buf): &mut (Worker, Vec<T>), b: usize| -> Vec<R::Acc> {
        let start = b * bl;
        let n = bl.min(total - start);
        let mut out = T::out_mut(&mut buf[..n]);
        plan.block(w, start, n, Some(&mut out));
        buf[..n].chunks(UNIT).map(R::unit).collect()
    };
    let init = || (Worker::new(p, bl), vec![T::default(); bl]);
    // A few blocks run on the calling thread (see `elementwise`).
    let parts: Vec<Vec<R::Acc>> = if nblocks <= SERIAL_BLOCKS {
        let cap = bl.min(total).max(1);
        let mut state = (Worker::new(p, cap), vec![T::default(); cap]);
        (0..nblocks).map(|b| block(&mut state, b)).collect()
    } else {
        (0..nblocks).into_par_iter().map_init(init, block).collect()
    };
    Ok(reduce::tree::<T, R>(parts.into_iter().flatten().collect()).map(R::finish))
}

pub(crate) fn reduce_axis(op: Op, values: Owned, shape: &[usize], axis: usize) -> Result<Output, VmError> {
    let outer: usize = shape[..axis].iter().product();
    let len = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let mut out_shape = shape.to_vec();
    out_shape.remove(axis);
    fn go<T: Elem, R: Reducer<T>>(v: &[T], outer: usize, len: usize, inner: usize) -> Option<Vec<T>> {
        let mut out = Vec::with_capacity(outer * inner);
        let mut lane = Vec::with_capacity(len);
        for o in 0..outer {
            for i in 0..inner {
                lane.clear();
                lane.extend((0..len).map(|k| v[(o * len + k) * inner + i]));
                let parts = lane.chunks(UNIT).map(R::unit).collect();
                out.push(R::finish(reduce::tree::<T, R>(parts)?));
            }
        }
        Some(out)
    }
    let empty = || VmError::EmptyReduction { op: op.name().to_string() };
    macro_rules! axis_arm {
        ($t:ty, $r:ty) => {{
            let v: &[$t] = <$t as Elem>::owned_slice(&values);
            let data = go::<$t, $r>(v, outer, len, inner).ok_or_else(empty)?;
            Ok(Output { shape: out_shape.clone(), data: <$t as Elem>::owned(data) })
        }};
    }
    reduce_dispatch!(op, axis_arm)
}
