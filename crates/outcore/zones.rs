//! Which zones of a table a condition can match, from the table's chunk statistics
//! ([`outcore_h5::Zones`]): the condition is read as intervals (each column's smallest and
//! largest value in the zone, and whether it holds a NaN), and a zone is skipped only when no
//! row in it can make the condition true.
//!
//! What is understood: comparisons (`< <= == != >= >`) between columns and constants or
//! scalar variables (either side, or two columns), boolean columns, `~`, `&` and `|`, `True`
//! and `False`. Anything else (arithmetic, functions, string columns) counts as "may be true or
//! false", so it never rules a zone out on its own. Bounds are compared with a margin that
//! covers the rounding of float32 and large integers, so that a zone is never skipped by a
//! comparison the engine, in its own types, would find true.

use outcore_expr::ast::{Expr as Ast, ExprKind, UnaryOp};
use outcore_expr::typed::BinOp;
use outcore_h5::{Kind, Stat, Zones};

use crate::source::Rows as Slab;

/// One side of a comparison.
#[derive(Clone, Debug)]
pub(crate) enum Term {
    /// A column with statistics (its index among the zones' columns).
    Col(usize),
    Num(f64),
}

/// A condition as the statistics see it.
#[derive(Clone, Debug)]
pub(crate) enum Pred {
    /// May be true or false in any zone.
    Unknown,
    Const(bool),
    /// A boolean column with statistics.
    Col(usize),
    Cmp(BinOp, Term, Term),
    Not(Box<Pred>),
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
}

/// What a name stands for, to the analysis.
pub(crate) enum Binding {
    /// A column at this offset, of this kind.
    Column(usize, Kind),
    Number(f64),
    Other,
}

/// Whether a predicate can be true, and can be false, for some row of a zone.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Can {
    t: bool,
    f: bool,
}

const MAYBE: Can = Can { t: true, f: true };

impl Pred {
    /// Reads a condition; `bind` says what each name is.
    pub(crate) fn of(ast: &Ast, zones: &Zones, bind: &dyn Fn(&str) -> Binding) -> Pred {
        match &ast.kind {
            ExprKind::Bool(b) => Pred::Const(*b),
            ExprKind::Name(n) => match bind(n) {
                Binding::Column(off, Kind::Bool) => zones.column_at(off, &Kind::Bool).map_or(Pred::Unknown, Pred::Col),
                _ => Pred::Unknown,
            },
            ExprKind::Unary(UnaryOp::Invert, x) => match Pred::of(x, zones, bind) {
                Pred::Unknown => Pred::Unknown,
                p => Pred::Not(Box::new(p)),
            },
            ExprKind::Binary(op @ (BinOp::And | BinOp::Or), l, r) => {
                let (l, r) = (Pred::of(l, zones, bind), Pred::of(r, zones, bind));
                match (op, &l, &r) {
                    (BinOp::Or, Pred::Unknown, _) | (BinOp::Or, _, Pred::Unknown) => Pred::Unknown,
                    (BinOp::And, Pred::Unknown, Pred::Unknown) => Pred::Unknown,
                    (BinOp::And, _, _) => Pred::And(Box::new(l), Box::new(r)),
                    _ => Pred::Or(Box::new(l), Box::new(r)),
                }
            }
            ExprKind::Binary(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne), l, r) => {
                match (term(l, zones, bind), term(r, zones, bind)) {
                    (Some(a), Some(b)) if matches!(a, Term::Col(_)) || matches!(b, Term::Col(_)) => {
                        Pred::Cmp(*op, a, b)
                    }
                    _ => Pred::Unknown,
                }
            }
            _ => Pred::Unknown,
        }
    }

    /// Whether it reads any statistics (else the zones cannot help).
    pub(crate) fn useful(&self) -> bool {
        match self {
            Pred::Unknown | Pred::Const(_) => false,
            Pred::Col(_) | Pred::Cmp(..) => true,
            Pred::Not(p) => p.useful(),
            Pred::And(a, b) | Pred::Or(a, b) => a.useful() || b.useful(),
        }
    }

    /// The columns (indices among the zones' columns) it reads.
    pub(crate) fn columns(&self, out: &mut Vec<usize>) {
        let mut add = |c: usize| {
            if !out.contains(&c) {
                out.push(c)
            }
        };
        match self {
            Pred::Col(c) => add(*c),
            Pred::Cmp(_, a, b) => {
                for t in [a, b] {
                    if let Term::Col(c) = t {
                        add(*c)
                    }
                }
            }
            Pred::Not(p) => p.columns(out),
            Pred::And(a, b) | Pred::Or(a, b) => {
                a.columns(out);
                b.columns(out);
            }
            Pred::Unknown | Pred::Const(_) => {}
        }
    }

    /// Whether some row of zone `z` may satisfy the condition.
    pub(crate) fn may_match(&self, zones: &Zones, z: usize) -> bool {
        self.can(zones, z).t
    }

    fn can(&self, zones: &Zones, z: usize) -> Can {
        match self {
            Pred::Unknown => MAYBE,
            Pred::Const(b) => Can { t: *b, f: !*b },
            Pred::Col(c) => match zones.get(z, *c) {
                Some(s) if !s.is_empty() => Can { t: s.max >= 1.0, f: s.min <= 0.0 },
                Some(_) => Can { t: false, f: false },
                None => MAYBE,
            },
            Pred::Not(p) => {
                let c = p.can(zones, z);
                Can { t: c.f, f: c.t }
            }
            Pred::And(a, b) => {
                let (a, b) = (a.can(zones, z), b.can(zones, z));
                Can { t: a.t && b.t, f: a.f || b.f }
            }
            Pred::Or(a, b) => {
                let (a, b) = (a.can(zones, z), b.can(zones, z));
                Can { t: a.t || b.t, f: a.f && b.f }
            }
            Pred::Cmp(op, a, b) => {
                let (Some((sa, fa)), Some((sb, fb))) = (stat(a, zones, z), stat(b, zones, z)) else { return MAYBE };
                compare(*op, sa, sb, fa || fb)
            }
        }
    }
}

/// A comparison's side as the analyses see it: a number (a constant, `-` and `+` of one, a
/// scalar variable) or a column bound to a name.
pub(crate) enum Side {
    Num(f64),
    /// A column: its offset in the record and its kind.
    Col(usize, Kind),
}

/// A comparison's side: `None` when it is neither a number nor a column.
pub(crate) fn side(e: &Ast, bind: &dyn Fn(&str) -> Binding) -> Option<Side> {
    match &e.kind {
        ExprKind::Int(v) => Some(Side::Num(*v as f64)),
        ExprKind::Float(v) => Some(Side::Num(*v)),
        ExprKind::Bool(b) => Some(Side::Num(*b as u8 as f64)),
        ExprKind::Unary(UnaryOp::Neg, x) => match side(x, bind)? {
            Side::Num(v) => Some(Side::Num(-v)),
            Side::Col(..) => None,
        },
        ExprKind::Unary(UnaryOp::Pos, x) => side(x, bind),
        ExprKind::Name(n) => match bind(n) {
            Binding::Column(off, kind) => Some(Side::Col(off, kind)),
            Binding::Number(v) => Some(Side::Num(v)),
            Binding::Other => None,
        },
        _ => None,
    }
}

/// A comparison's side as a term: a column with statistics, or a number.
fn term(e: &Ast, zones: &Zones, bind: &dyn Fn(&str) -> Binding) -> Option<Term> {
    match side(e, bind)? {
        Side::Num(v) => Some(Term::Num(v)),
        Side::Col(off, kind) => zones.column_at(off, &kind).map(Term::Col),
    }
}

/// A term's values in zone `z`, and whether float32 rounding is in play.
fn stat(t: &Term, zones: &Zones, z: usize) -> Option<(Stat, bool)> {
    match t {
        Term::Num(v) if v.is_nan() => Some((Stat { nan: true, ..Stat::EMPTY }, false)),
        Term::Num(v) => Some((Stat { min: *v, max: *v, nan: false }, false)),
        Term::Col(c) => {
            let f32 = zones.columns[*c].kind == Kind::Float { size: 4 };
            zones.get(z, *c).map(|s| (s, f32))
        }
    }
}

/// `a op b` over two sets of values: whether some pair makes it true, and some false.
fn compare(op: BinOp, a: Stat, b: Stat, single: bool) -> Can {
    let nan = a.nan || b.nan;
    if a.is_empty() || b.is_empty() {
        // Only NaNs (or nothing) on one side: every comparison is false but `!=`.
        let any = nan;
        return match op {
            BinOp::Ne => Can { t: any, f: false },
            _ => Can { t: false, f: any },
        };
    }
    // The engine compares in its own types. In float64 or int64 (every comparison without a
    // float32 column) the bounds need no margin: integer bounds are stored rounded outward,
    // and rounding to float64 keeps order, so a value the engine finds past a constant has a
    // bound past the constant's float64 too. In float32 a constant is rounded to float32
    // first: a margin wider than that rounding keeps every doubtful zone.
    let d = if single {
        let eps = 1.0 / (1u64 << 20) as f64;
        let scale = [a.min, a.max, b.min, b.max].iter().filter(|v| v.is_finite()).fold(0.0f64, |m, v| m.max(v.abs()));
        2.0 * eps * scale + f64::MIN_POSITIVE
    } else {
        0.0
    };
    let lt = Can { t: a.min < b.max + d, f: a.max + d >= b.min };
    let le = Can { t: a.min <= b.max + d, f: a.max + d > b.min };
    let gt = Can { t: b.min < a.max + d, f: b.max + d >= a.min };
    let ge = Can { t: b.min <= a.max + d, f: b.max + d > a.min };
    let overlap = a.min <= b.max + d && b.min <= a.max + d;
    let mut c = match op {
        BinOp::Lt => lt,
        BinOp::Le => le,
        BinOp::Gt => gt,
        BinOp::Ge => ge,
        BinOp::Eq => Can { t: overlap, f: true },
        BinOp::Ne => Can { t: true, f: overlap },
        _ => MAYBE,
    };
    // A NaN makes every comparison false but `!=`, which it makes true.
    if nan {
        if op == BinOp::Ne {
            c.t = true;
        } else {
            c.f = true;
        }
    }
    c
}

/// How a query's statistics stand.
#[derive(Clone, Debug, PartialEq)]
pub enum Statistics {
    /// The table has none (`outcore index` writes them).
    None,
    /// They exist but cannot be trusted: why.
    Ignored(String),
    /// They exist, but the condition reads no column they describe in a way they can judge.
    Unused,
    /// Used: the columns whose statistics rule zones out.
    Used(Vec<String>),
}

/// What a query will read: the plan's printout (see [`crate::Table::explain`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Explain {
    /// The table (`FILE:/node`).
    pub table: String,
    /// The rows the query's range selects.
    pub rows: u64,
    /// The zones (chunks) those rows lie in, and the rows per zone.
    pub zones: u64,
    /// Rows per zone.
    pub zone_rows: u64,
    /// The zones and rows that will be read and evaluated.
    pub zones_read: u64,
    /// Rows that will be read and evaluated.
    pub rows_read: u64,
    /// Whether chunk statistics are used.
    pub statistics: Statistics,
    /// Whether PyTables' indexes are used.
    pub index: crate::indexes::IndexUse,
}

impl std::fmt::Display for Explain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "table       {}", self.table)?;
        writeln!(f, "rows        {} in range, in {} chunks of {} rows", self.rows, self.zones, self.zone_rows)?;
        match &self.statistics {
            Statistics::None => writeln!(f, "statistics  none (`outcore index` writes them): a full scan")?,
            Statistics::Ignored(why) => writeln!(f, "statistics  ignored: {why}")?,
            Statistics::Unused => {
                writeln!(f, "statistics  not used: the condition compares no column they describe with a constant")?
            }
            Statistics::Used(cols) => writeln!(f, "statistics  chunk min/max of {}", cols.join(", "))?,
        }
        match &self.index {
            crate::indexes::IndexUse::None => {}
            crate::indexes::IndexUse::Unused(why) => {
                for w in why {
                    writeln!(f, "index       not used: {w}")?;
                }
            }
            crate::indexes::IndexUse::Used { indexes, candidates } => {
                writeln!(f, "index       PyTables' index of {}: {candidates} candidate rows", indexes.join(", "))?
            }
        }
        let pct = |a: u64, b: u64| if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 };
        write!(
            f,
            "reads       {} of {} chunks ({:.2}%), {} of {} rows",
            self.zones_read,
            self.zones,
            pct(self.zones_read, self.zones),
            self.rows_read,
            self.rows
        )
    }
}

/// The slabs a query reads: rows `first..` (`n` of them, `step` apart) cut into slabs of
/// `size` rows on multiples of `size` (or of nothing, with a step), keeping only those that
/// `keep` says may match (`keep(lo, hi)`: rows `lo..=hi`).
pub(crate) fn slabs(
    first: usize,
    step: usize,
    n: usize,
    size: usize,
    keep: Option<(&dyn Fn(usize) -> bool, usize)>,
) -> Vec<Slab> {
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    let end = first + (n - 1) * step + 1;
    // Rows `lo..hi` cut into slabs on multiples of `size`.
    let mut cut = |lo: usize, hi: usize| {
        let mut at = lo;
        while at < hi {
            let stop = ((at / size + 1) * size).min(hi);
            out.push(Slab { first: at, step: 1, n: stop - at });
            at = stop;
        }
    };
    match (step, keep) {
        (1, None) => {
            cut(first, end);
            return out;
        }
        (1, Some((may, zr))) => {
            let mut z = first / zr;
            while z * zr < end {
                if may(z) {
                    // A run of zones that may match.
                    let lo = (z * zr).max(first);
                    while (z + 1) * zr < end && may(z + 1) {
                        z += 1;
                    }
                    cut(lo, ((z + 1) * zr).min(end));
                }
                z += 1;
            }
            return out;
        }
        _ => {}
    }
    // With a step, slabs of `size` positions; each kept if a zone it touches may match.
    let mut pos = 0;
    while pos < n {
        let k = size.min(n - pos);
        let s = Slab { first: first + pos * step, step, n: k };
        let last = s.first + (k - 1) * step;
        if keep.is_none_or(|(may, zr)| (s.first / zr..=last / zr).any(may)) {
            out.push(s);
        }
        pos += k;
    }
    out
}

/// The slabs of `size` rows at most that read the rows of `first..` (`n` of them, `step`
/// apart) within `spans` (sorted, disjoint row ranges), and no others.
pub(crate) fn slabs_within(
    spans: &[std::ops::Range<u64>],
    first: usize,
    step: usize,
    n: usize,
    size: usize,
) -> Vec<Slab> {
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    let (step, size) = (step.max(1), size.max(1));
    for r in spans {
        // The positions `k` with `first + k * step` in the span.
        let lo = (r.start as usize).saturating_sub(first).div_ceil(step);
        let hi = ((r.end as usize).saturating_sub(first).div_ceil(step)).min(n);
        let mut k = lo;
        while k < hi {
            let m = size.min(hi - k);
            out.push(Slab { first: first + k * step, step, n: m });
            k += m;
        }
    }
    out
}

/// Reads every row of `table` once, on all workers through the raw-chunk path, in slabs of
/// about `target` rows cut on `unit(reader)` rows: `work` turns each slab's packed records
/// into a part, and `sink` takes the parts in row order. For writers of what describes the
/// table (its statistics, its indexes): a read-only file is refused first.
pub(crate) fn scan_table<T: Send>(
    table: &crate::Table,
    target: usize,
    unit: impl Fn(&crate::source::Reader) -> usize,
    work: impl Fn(Slab, &[u8]) -> crate::Result<T> + Sync,
    mut sink: impl FnMut(T),
) -> crate::Result<()> {
    use crate::error::Error;
    use crate::source::{Buf, H5Operand, Reader, Scratch};
    let leaf = table.leaf();
    if leaf.read_only() {
        return Err(Error::from(outcore_h5::Error::ReadOnly {
            file: leaf.file_path().to_path_buf(),
            node: leaf.path().to_string(),
            hint: "",
        }));
    }
    leaf.flush_file()?;
    let rec = table.layout().size;
    let reader = Reader::new(&H5Operand::records(leaf, rec), true)?;
    let u = unit(&reader).max(1);
    let jobs = slabs(0, 1, table.nrows(), u * target.div_ceil(u).max(1), None);
    crate::stream::run(
        0..jobs.len(),
        &table.shape(),
        |j| reader.fetch(jobs[j]),
        || (Buf::new(outcore_expr::DType::Bytes(rec)), Scratch::default()),
        |j, located, (buf, scratch)| {
            let rows = jobs[j];
            reader.fill(rows, located, scratch, buf)?;
            let Buf::Bytes(recs, _) = &*buf else { return Err(Error::internal("records")) };
            work(rows, &recs[..rows.n * rec])
        },
        |_, part: T| {
            sink(part);
            Ok(crate::stream::Flow::Continue)
        },
    )
}

/// Builds and stores chunk statistics of `columns` of `table` (see
/// [`crate::Table::index_stats`]), reading the table once on all workers.
pub(crate) fn build(table: &crate::Table, columns: &[&str]) -> crate::Result<u64> {
    use crate::error::Error;
    use outcore_h5::{zone_kind, ZoneColumn};
    let leaf = table.leaf();
    let layout = table.layout();
    let mut cols = Vec::new();
    let wanted: Vec<String> = if columns.is_empty() {
        layout.columns().into_iter().filter(|c| layout.field(c).is_some_and(|(_, k)| zone_kind(k))).collect()
    } else {
        columns.iter().map(|c| c.to_string()).collect()
    };
    for path in &wanted {
        let Some((offset, kind)) = layout.field(path) else {
            return Err(Error::name(format!(
                "no column `{path}` in {} (columns: {})",
                leaf.path(),
                layout.columns().join(", ")
            )));
        };
        if !zone_kind(kind) {
            let what = kind.scalar_name().unwrap_or_else(|| "a compound or array-shaped column".into());
            return Err(Error::new(
                crate::ErrorKind::Unsupported,
                format!("column `{path}` is {what}: statistics are kept for boolean, integer and float32/64 columns"),
            ));
        }
        cols.push(ZoneColumn { path: path.clone(), offset, kind: kind.clone() });
    }
    if cols.is_empty() {
        return Err(Error::new(crate::ErrorKind::Unsupported, format!("{} has no numeric column", leaf.path())));
    }
    let chunked = leaf.chunk_shape().is_some();
    let zr = if chunked { leaf.chunk_shape().and_then(|c| c.first().copied()).unwrap_or(1).max(1) } else { 1 << 14 };
    let nrows = table.nrows();
    let mut zones = Zones::new(zr, cols.clone());
    let rec = layout.size;
    scan_table(
        table,
        1 << 15,
        |_| zr,
        |_, recs| {
            let mut stats = Vec::new();
            for part in recs.chunks(zr * rec) {
                for c in &cols {
                    stats.push(outcore_h5::column_stat(&c.kind, c.offset, rec, part));
                }
            }
            Ok(stats)
        },
        |stats: Vec<Stat>| zones.push_zone(&stats),
    )?;
    zones.rows = nrows as u64;
    leaf.store_zones(&zones)?;
    leaf.flush_file()?;
    Ok(zones.held() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use outcore_h5::ZoneColumn;

    fn zones(stats: &[(f64, f64, bool)]) -> Zones {
        let col = ZoneColumn { path: "x".into(), offset: 0, kind: Kind::Float { size: 8 } };
        let mut z = Zones::new(10, vec![col]);
        for &(min, max, nan) in stats {
            z.push_zone(&[Stat { min, max, nan }]);
        }
        z
    }

    fn matches(cond: &str, z: &Zones) -> Vec<bool> {
        let ast = outcore_expr::parse::parse(cond).unwrap();
        let bind = |n: &str| match n {
            "x" => Binding::Column(0, Kind::Float { size: 8 }),
            "lim" => Binding::Number(5.0),
            _ => Binding::Other,
        };
        let p = Pred::of(&ast, z, &bind);
        (0..z.held()).map(|i| p.may_match(z, i)).collect()
    }

    #[test]
    fn comparisons_skip_only_zones_that_cannot_match() {
        let z = zones(&[
            (0.0, 4.0, false),
            (5.0, 9.0, false),
            (10.0, 20.0, true),
            (f64::INFINITY, f64::NEG_INFINITY, true),
        ]);
        assert_eq!(matches("x < 4.99", &z), [true, false, false, false]);
        // Float64 bounds are exact: the edge is where the values are.
        assert_eq!(matches("x < 5", &z), [true, false, false, false]);
        assert_eq!(matches("x <= 5", &z), [true, true, false, false]);
        assert_eq!(matches("lim < x", &z), [false, true, true, false]);
        assert_eq!(matches("(x >= 6) & (x < 11)", &z), [false, true, true, false]);
        assert_eq!(matches("(x < 1) | (x > 19)", &z), [true, false, true, false]);
        assert_eq!(matches("x == 4.5", &z), [false, false, false, false]);
        // NaN rows satisfy `!=` and the negation of any other comparison.
        assert_eq!(matches("x != 7", &z), [true, true, true, true]);
        assert_eq!(matches("~(x < 30)", &z), [false, false, true, true]);
        // What the statistics cannot read rules nothing out, but `&` keeps the other side.
        assert_eq!(matches("sin(x) > 2", &z), [true; 4]);
        assert_eq!(matches("(sin(x) > 2) & (x > 15)", &z), [false, false, true, false]);
        assert_eq!(matches("(sin(x) > 2) | (x > 15)", &z), [true; 4]);
        assert_eq!(matches("False & (x > 0)", &z), [false; 4]);
    }

    #[test]
    fn int64_bounds_past_2_to_the_53_are_exact_in_the_engines_terms() {
        // 2^53 + 1 has no float64: its bounds are stored as 2^53 and 2^53 + 2.
        let v = (1i64 << 53) + 1;
        let col = ZoneColumn { path: "x".into(), offset: 0, kind: Kind::Int { size: 8, signed: true } };
        let mut z = Zones::new(1, vec![col]);
        z.merge_records(0, &v.to_le_bytes(), 8);
        let may = |cond: &str| {
            let ast = outcore_expr::parse::parse(cond).unwrap();
            let p = Pred::of(&ast, &z, &|_| Binding::Column(0, Kind::Int { size: 8, signed: true }));
            p.may_match(&z, 0)
        };
        for (cond, engine) in [
            ("x == 9007199254740993", true),
            ("x > 9007199254740992", true),
            ("x >= 9007199254740993", true),
            ("x <= 9007199254740993", true),
            ("x < 9007199254740994", true),
            ("x > 9007199254740994", false),
            ("x < 9007199254740992", false),
            ("x == 9007199254740995", false),
        ] {
            // Never a zone dropped that the engine matches; at most one kept that it does not.
            assert!(may(cond) || !engine, "{cond}");
        }
        assert!(!may("x > 9007199254740996") && !may("x < 9007199254740990"));
    }

    #[test]
    fn a_margin_keeps_zones_at_a_rounding_edge() {
        // float32's 0.1 is above float64's; the engine may compare in float32, where they are equal.
        let x = 0.1f32 as f64;
        let col = ZoneColumn { path: "x".into(), offset: 0, kind: Kind::Float { size: 4 } };
        let mut z = Zones::new(10, vec![col]);
        z.push_zone(&[Stat { min: x, max: x, nan: false }]);
        let ast = outcore_expr::parse::parse("x <= 0.1").unwrap();
        let p = Pred::of(&ast, &z, &|_| Binding::Column(0, Kind::Float { size: 4 }));
        assert!(p.may_match(&z, 0));
    }
}
