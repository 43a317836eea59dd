//! A compiled expression: register bytecode over the instruction table of [`crate::ops`].
//!
//! A program is a list of stages. Every stage is straight-line code over one block of
//! elements; all but the last are full reductions, whose scalar results later stages read as
//! `s0`, `s1`... (numexpr allows a reduction only as the last operation; outcore allows them
//! anywhere). The last stage computes the result, elementwise or reduced.

use crate::dtype::{DType, Value};
use crate::ops::Op;
use crate::typed::RedOp;

/// Where an instruction reads a value from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// A register of the worker's register file: a block of values.
    Reg(u16),
    /// An input variable (an array block or a scalar).
    Input(u16),
    /// A constant of [`Program::consts`].
    Const(u16),
    /// The scalar result of an earlier stage.
    Stage(u16),
    /// An unused operand slot.
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instr {
    pub op: Op,
    pub dst: u16,
    pub args: [Operand; 3],
}

impl Instr {
    /// The operands the instruction reads.
    pub fn operands(&self) -> &[Operand] {
        &self.args[..self.op.arity()]
    }
}

/// A variable the program reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub name: String,
    pub dtype: DType,
    /// One value broadcast over every element, rather than an array.
    pub scalar: bool,
}

/// How a stage ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageKind {
    /// The stage's value, element by element, is the program's result.
    Elementwise,
    /// The stage's values are reduced by the instruction `op` (`sum_f64`...): over everything
    /// when `axis` is `None`, else along that axis (only the final stage reduces along an axis).
    Reduce { op: Op, red: RedOp, axis: Option<i64> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub instrs: Vec<Instr>,
    /// The operand holding the stage's value once its instructions ran.
    pub result: Operand,
    pub dtype: DType,
    pub kind: StageKind,
}

/// A compiled expression: immutable, shared by every worker.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub source: String,
    pub inputs: Vec<Input>,
    pub consts: Vec<Value>,
    /// The type of every register.
    pub regs: Vec<DType>,
    /// Stages in the order they run; the last one gives the result.
    pub stages: Vec<Stage>,
    /// The inputs whose shapes the result broadcasts over: every array the expression names
    /// outside reductions, even when optimisation removed its uses (`a**0` is ones in `a`'s shape).
    pub shape_inputs: Vec<u16>,
}

impl Program {
    /// The type of the result.
    pub fn dtype(&self) -> DType {
        self.stages.last().map_or(DType::Bool, |s| s.dtype)
    }

    /// The final stage.
    pub fn result_stage(&self) -> &Stage {
        // `lower` always emits at least one stage.
        &self.stages[self.stages.len() - 1]
    }

    /// The type of an operand.
    pub fn operand_dtype(&self, o: Operand) -> Option<DType> {
        Some(match o {
            Operand::Reg(r) => *self.regs.get(r as usize)?,
            Operand::Input(i) => self.inputs.get(i as usize)?.dtype,
            Operand::Const(c) => self.consts.get(c as usize)?.dtype(),
            Operand::Stage(s) => self.stages.get(s as usize)?.dtype,
            Operand::None => return None,
        })
    }

    /// Whether any stage reads input `i`.
    pub fn uses_input(&self, i: usize) -> bool {
        let target = Operand::Input(i as u16);
        self.stages.iter().any(|s| s.result == target || s.instrs.iter().any(|ins| ins.operands().contains(&target)))
    }

    /// Whether the final result is one value (a full reduction), not an array.
    pub fn is_full_reduction(&self) -> bool {
        matches!(self.result_stage().kind, StageKind::Reduce { axis: None, .. })
    }
}
