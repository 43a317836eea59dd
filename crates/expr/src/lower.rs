//! Typed tree → [`Program`]: stages for reductions, shared common subexpressions
//! (hash-consing), and registers allocated and reused after their last use.

use std::collections::HashMap;

use crate::dtype::{DType, Value};
use crate::error::{Error, ErrorKind, Span};
use crate::ops::{Kop, Op};
use crate::program::{Input, Instr, Operand, Program, Stage, StageKind};
use crate::typed::{TExpr, TKind, VarInfo};

/// The most registers a program may use (each holds one block per worker).
pub const MAX_REGS: usize = 128;

/// Lowers a typed (and optimised) tree.
pub fn lower(e: &TExpr, src: &str, vars: &[VarInfo], shape_inputs: Vec<u16>) -> Result<Program, Error> {
    let mut l = Lowerer { src, consts: Vec::new(), stages: Vec::new(), regs: Vec::new() };
    let inputs = vars.iter().map(|v| Input { name: v.name.clone(), dtype: v.dtype, scalar: v.scalar }).collect();
    let stage = match &e.kind {
        TKind::Reduce(red, axis, x) => {
            let op = reduce_op(Kop::from_red(*red), x.dtype, src, e.span)?;
            l.stage(x, StageKind::Reduce { op, red: *red, axis: *axis })?
        }
        _ => l.stage(e, StageKind::Elementwise)?,
    };
    l.stages.push(stage);
    Ok(Program { source: src.to_string(), inputs, consts: l.consts, regs: l.regs, stages: l.stages, shape_inputs })
}

fn reduce_op(kop: Kop, d: DType, src: &str, span: Span) -> Result<Op, Error> {
    Op::find(kop, d, d)
        .ok_or_else(|| Error::new(ErrorKind::Type(format!("no reduction `{kop:?}` for {d}").to_lowercase()), src, span))
}

struct Lowerer<'a> {
    src: &'a str,
    consts: Vec<Value>,
    stages: Vec<Stage>,
    regs: Vec<DType>,
}

/// A value in a stage's dataflow graph before registers are assigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Val {
    Leaf(Operand),
    Node(usize),
}

struct Graph {
    nodes: Vec<(Op, [Val; 3], DType)>,
    index: HashMap<(Op, [Val; 3]), usize>,
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float32(x), Value::Float32(y)) => x.to_bits() == y.to_bits(),
        (Value::Float64(x), Value::Float64(y)) => x.to_bits() == y.to_bits(),
        (Value::Complex128(a, b), Value::Complex128(c, d)) => a.to_bits() == c.to_bits() && b.to_bits() == d.to_bits(),
        _ => a == b,
    }
}

impl Lowerer<'_> {
    fn err(&self, msg: String, span: Span) -> Error {
        Error::new(ErrorKind::Type(msg), self.src, span)
    }

    fn constant(&mut self, v: &Value) -> Operand {
        let i = match self.consts.iter().position(|c| same_value(c, v)) {
            Some(i) => i,
            None => {
                self.consts.push(v.clone());
                self.consts.len() - 1
            }
        };
        Operand::Const(i as u16)
    }

    /// Lowers one stage: first the full reductions it contains (as stages of their own), then
    /// its own graph, then registers.
    fn stage(&mut self, e: &TExpr, kind: StageKind) -> Result<Stage, Error> {
        let mut g = Graph { nodes: Vec::new(), index: HashMap::new() };
        let root = self.build(e, &mut g)?;
        let dtype = e.dtype;
        // Registers: allocate each node's destination, free operands after their last use.
        let mut uses = vec![0usize; g.nodes.len()];
        for (_, args, _) in &g.nodes {
            for a in args {
                if let Val::Node(n) = a {
                    uses[*n] += 1;
                }
            }
        }
        if let Val::Node(n) = root {
            uses[n] += 1;
        }
        let mut assigned: Vec<u16> = vec![0; g.nodes.len()];
        let mut free: Vec<u16> = Vec::new();
        let mut instrs = Vec::with_capacity(g.nodes.len());
        for (i, (op, args, out)) in g.nodes.iter().enumerate() {
            let dst = match free.iter().position(|&r| self.regs[r as usize] == *out) {
                Some(p) => free.swap_remove(p),
                None => {
                    if self.regs.len() >= MAX_REGS {
                        return Err(Error::new(
                            ErrorKind::Limit(format!("expression needs more than {MAX_REGS} registers")),
                            self.src,
                            e.span,
                        ));
                    }
                    self.regs.push(*out);
                    (self.regs.len() - 1) as u16
                }
            };
            assigned[i] = dst;
            let mut operands = [Operand::None; 3];
            for (slot, a) in operands.iter_mut().zip(args.iter()) {
                *slot = match *a {
                    Val::Leaf(o) => o,
                    Val::Node(n) => Operand::Reg(assigned[n]),
                };
            }
            for a in &args[..op.arity()] {
                if let Val::Node(n) = *a {
                    uses[n] -= 1;
                    if uses[n] == 0 {
                        free.push(assigned[n]);
                    }
                }
            }
            instrs.push(Instr { op: *op, dst, args: operands });
        }
        let result = match root {
            Val::Leaf(o) => o,
            Val::Node(n) => Operand::Reg(assigned[n]),
        };
        Ok(Stage { instrs, result, dtype, kind })
    }

    fn node(&mut self, g: &mut Graph, op: Op, args: &[Val]) -> Val {
        let mut key = [Val::Leaf(Operand::None); 3];
        key[..args.len()].copy_from_slice(args);
        if let Some(&i) = g.index.get(&(op, key)) {
            return Val::Node(i);
        }
        g.nodes.push((op, key, op.output()));
        let i = g.nodes.len() - 1;
        g.index.insert((op, key), i);
        Val::Node(i)
    }

    fn find(&self, kop: Kop, input: DType, output: DType, span: Span) -> Result<Op, Error> {
        Op::find(kop, input, output)
            .ok_or_else(|| self.err(format!("no instruction `{kop:?}` for {input}").to_lowercase(), span))
    }

    fn build(&mut self, e: &TExpr, g: &mut Graph) -> Result<Val, Error> {
        Ok(match &e.kind {
            TKind::Const(v) => Val::Leaf(self.constant(v)),
            TKind::Var(i) => Val::Leaf(Operand::Input(*i as u16)),
            TKind::Cast(x) => {
                let a = self.build(x, g)?;
                let op = self.find(Kop::Cast, x.dtype, e.dtype, e.span)?;
                self.node(g, op, &[a])
            }
            TKind::Unary(op, x) => {
                let a = self.build(x, g)?;
                let op = self.find(Kop::from_unop(*op), x.dtype, e.dtype, e.span)?;
                self.node(g, op, &[a])
            }
            TKind::Binary(op, l, r) => {
                let a = self.build(l, g)?;
                let b = self.build(r, g)?;
                let op = self.find(Kop::from_binop(*op), l.dtype, e.dtype, e.span)?;
                self.node(g, op, &[a, b])
            }
            TKind::Call(f, args) => {
                let vals = args.iter().map(|a| self.build(a, g)).collect::<Result<Vec<_>, _>>()?;
                // `where`'s instruction is typed by its values, not its bool condition.
                let typed_by = args.last().map_or(e.dtype, |a| a.dtype);
                let op = self.find(Kop::from_func(*f), typed_by, e.dtype, e.span)?;
                self.node(g, op, &vals)
            }
            TKind::Reduce(red, axis, x) => {
                if axis.is_some() {
                    return Err(Error::new(
                        ErrorKind::Unsupported("a reduction along an axis must be the outermost operation".into()),
                        self.src,
                        e.span,
                    ));
                }
                let op = reduce_op(Kop::from_red(*red), x.dtype, self.src, e.span)?;
                let stage = self.stage(x, StageKind::Reduce { op, red: *red, axis: None })?;
                self.stages.push(stage);
                Val::Leaf(Operand::Stage((self.stages.len() - 1) as u16))
            }
        })
    }
}

/// The variables a tree names outside full reductions (whose values are single numbers).
pub fn shape_inputs(e: &TExpr) -> Vec<u16> {
    fn walk(e: &TExpr, out: &mut Vec<u16>) {
        match &e.kind {
            TKind::Var(i) => {
                if !out.contains(&(*i as u16)) {
                    out.push(*i as u16);
                }
            }
            TKind::Const(_) => {}
            TKind::Cast(x) | TKind::Unary(_, x) => walk(x, out),
            TKind::Binary(_, l, r) => {
                walk(l, out);
                walk(r, out);
            }
            TKind::Call(_, args) => args.iter().for_each(|a| walk(a, out)),
            TKind::Reduce(_, None, _) => {}
            TKind::Reduce(_, Some(_), x) => walk(x, out),
        }
    }
    let mut out = Vec::new();
    match &e.kind {
        // The final reduction's own operand is what it reduces over.
        TKind::Reduce(_, None, x) => walk(x, &mut out),
        _ => walk(e, &mut out),
    }
    out
}
