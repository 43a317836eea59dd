//! A program printed: the debugging view and the format of the snapshot tests.
//!
//! ```text
//! program: a*b+c
//!   inputs: i0 a: float64[], i1 b: float64[], i2 c: float64[]
//! stage 0 -> result float64:
//!   0000: mul_f64 t0, i0[a], i1[b]
//!   0001: add_f64 t1, t0, i2[c]
//!   result: t1
//! ```

use std::fmt;

use crate::ast::{write_bytes, write_float};
use crate::dtype::Value;
use crate::program::{Operand, Program, StageKind};

struct ShowValue<'a>(&'a Value);

impl fmt::Display for ShowValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int32(v) => write!(f, "{v}"),
            Value::Int64(v) => write!(f, "{v}i64"),
            Value::Float32(v) => write!(f, "{v:?}f32"),
            Value::Float64(v) => write_float(f, *v),
            Value::Complex128(re, im) => {
                f.write_str("(")?;
                write_float(f, *re)?;
                f.write_str("+")?;
                write_float(f, *im)?;
                f.write_str("j)")
            }
            Value::Bytes(b) => write_bytes(f, b),
        }
    }
}

impl Program {
    fn write_operand(&self, f: &mut fmt::Formatter<'_>, o: Operand) -> fmt::Result {
        match o {
            Operand::Reg(r) => write!(f, "t{r}"),
            Operand::Input(i) => {
                let name = self.inputs.get(i as usize).map_or("?", |v| v.name.as_str());
                write!(f, "i{i}[{name}]")
            }
            Operand::Const(c) => match self.consts.get(c as usize) {
                Some(v) => write!(f, "c{c}[{}]", ShowValue(v)),
                None => write!(f, "c{c}[?]"),
            },
            Operand::Stage(s) => write!(f, "s{s}"),
            Operand::None => f.write_str("_"),
        }
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "program: {}", self.source)?;
        if !self.inputs.is_empty() {
            f.write_str("  inputs:")?;
            for (i, v) in self.inputs.iter().enumerate() {
                let sep = if i == 0 { " " } else { ", " };
                let shape = if v.scalar { "" } else { "[]" };
                write!(f, "{sep}i{i} {}: {}{shape}", v.name, v.dtype)?;
            }
            writeln!(f)?;
        }
        let mut n = 0;
        let last = self.stages.len().saturating_sub(1);
        for (s, stage) in self.stages.iter().enumerate() {
            let target = if s == last { "result".to_string() } else { format!("s{s}") };
            match stage.kind {
                StageKind::Elementwise => writeln!(f, "stage {s} -> {target} {}:", stage.dtype)?,
                StageKind::Reduce { op, axis: None, .. } => {
                    writeln!(f, "stage {s} -> {target} = {}(all) {}:", op.name(), stage.dtype)?
                }
                StageKind::Reduce { op, axis: Some(a), .. } => {
                    writeln!(f, "stage {s} -> {target} = {}(axis={a}) {}:", op.name(), stage.dtype)?
                }
            }
            for ins in &stage.instrs {
                write!(f, "  {n:04}: {} t{}", ins.op.name(), ins.dst)?;
                for &a in ins.operands() {
                    f.write_str(", ")?;
                    self.write_operand(f, a)?;
                }
                writeln!(f)?;
                n += 1;
            }
            f.write_str("  result: ")?;
            self.write_operand(f, stage.result)?;
            writeln!(f)?;
        }
        Ok(())
    }
}
