//! Which rows of a table a condition can match, from PyTables' own indexes
//! ([`outcore_h5::PyIndex`]), as PyTables' `Table.where` finds them: the condition is read as
//! ranges of indexed columns (`lo <= x <= hi`, from `<`, `<=`, `==`, `>=`, `>` against
//! constants or scalar variables, either side; a boolean column or its `~`), joined by `&`
//! (one indexed side is enough: the other is evaluated on its candidates) and `|` (both
//! sides indexed). Each range gives candidate rows (whole buckets of the index); the scan then
//! reads and evaluates those only.
//!
//! A planner keeps an index from making a query slower than the scan: an index is searched
//! first (two chunks of its sorted values per slice), and its row numbers are read only when
//! they are few against what a scan reads; candidates that cover most of the rows are dropped.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use outcore_expr::ast::{Expr as Ast, ExprKind, UnaryOp};
use outcore_expr::typed::BinOp;
use outcore_h5::{Kind, Layout, Leaf, Lookup, PyIndex};

use crate::error::Result;
use crate::zones::Binding;

/// How a query uses PyTables' indexes.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexUse {
    /// The condition compares no indexed column with a constant.
    None,
    /// An index of a column the condition compares exists but is not used: why (dirty,
    /// stale, damaged, or a scan reads less).
    Unused(Vec<String>),
    /// Used: the indexes that gave candidate rows, and how many rows those hold.
    Used {
        /// Each index used, as `column (kind)`.
        indexes: Vec<String>,
        /// The candidate rows: only these are read and evaluated.
        candidates: u64,
    },
}

/// A condition as an index sees it.
#[derive(Clone, Debug)]
enum Cond {
    /// May hold on any row.
    Any,
    /// `lo <= column <= hi`, compared as float64.
    Range {
        col: String,
        lo: f64,
        hi: f64,
    },
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

/// A comparison's side: a number, or a column (by path).
enum Side {
    Col(String, Kind),
    Num(f64),
}

/// The column at `offset` of `kind` (a name the condition binds), as a path.
fn column_path(layout: &Layout, offset: usize, kind: &Kind) -> Option<String> {
    layout.columns().into_iter().find(|p| layout.field(p).is_some_and(|(o, k)| o == offset && k == kind))
}

fn side(e: &Ast, layout: &Layout, bind: &dyn Fn(&str) -> Binding) -> Option<Side> {
    match crate::zones::side(e, bind)? {
        crate::zones::Side::Num(v) => Some(Side::Num(v)),
        crate::zones::Side::Col(off, kind) => column_path(layout, off, &kind).map(|p| Side::Col(p, kind)),
    }
}

/// The float64 interval that holds every value of a column of `kind` the engine finds in
/// `lo..=hi`: for float32 columns one float32 step wider on each side, since the engine may
/// compare a float32 column with the constant rounded to float32.
fn widen(kind: &Kind, lo: f64, hi: f64) -> (f64, f64) {
    if *kind != (Kind::Float { size: 4 }) {
        return (lo, hi);
    }
    let next = |v: f64, up: bool| -> f64 {
        let f = v as f32;
        if !f.is_finite() {
            return if up { f64::INFINITY } else { f64::NEG_INFINITY };
        }
        let bits = f.to_bits();
        let stepped = if f == 0.0 {
            f32::from_bits(1) * if up { 1.0 } else { -1.0 }
        } else if (f > 0.0) == up {
            f32::from_bits(bits + 1)
        } else {
            f32::from_bits(bits - 1)
        };
        let w = stepped as f64;
        if up {
            w.max(v)
        } else {
            w.min(v)
        }
    };
    (if lo == f64::NEG_INFINITY { lo } else { next(lo, false) }, if hi == f64::INFINITY { hi } else { next(hi, true) })
}

impl Cond {
    fn of(ast: &Ast, layout: &Layout, bind: &dyn Fn(&str) -> Binding) -> Cond {
        let range = |col: String, kind: &Kind, lo: f64, hi: f64| {
            let (lo, hi) = widen(kind, lo, hi);
            Cond::Range { col, lo, hi }
        };
        match &ast.kind {
            ExprKind::Name(_) => match side(ast, layout, bind) {
                Some(Side::Col(c, Kind::Bool)) => Cond::Range { col: c, lo: 1.0, hi: 1.0 },
                _ => Cond::Any,
            },
            ExprKind::Unary(UnaryOp::Invert, x) => match side(x, layout, bind) {
                Some(Side::Col(c, Kind::Bool)) => Cond::Range { col: c, lo: 0.0, hi: 0.0 },
                _ => Cond::Any,
            },
            ExprKind::Binary(BinOp::And, l, r) => {
                let mut parts = Vec::new();
                for c in [Cond::of(l, layout, bind), Cond::of(r, layout, bind)] {
                    match c {
                        Cond::And(v) => parts.extend(v),
                        Cond::Any => {}
                        c => parts.push(c),
                    }
                }
                // Ranges of one column meet: `(lo < x) & (x < hi)` is one search.
                let mut merged: Vec<Cond> = Vec::new();
                for p in parts {
                    if let Cond::Range { col, lo, hi } = &p {
                        if let Some(Cond::Range { lo: l2, hi: h2, .. }) =
                            merged.iter_mut().find(|m| matches!(m, Cond::Range { col: c2, .. } if c2 == col))
                        {
                            *l2 = l2.max(*lo);
                            *h2 = h2.min(*hi);
                            continue;
                        }
                    }
                    merged.push(p);
                }
                match merged.len() {
                    0 => Cond::Any,
                    1 => merged.pop().expect("one"),
                    _ => Cond::And(merged),
                }
            }
            ExprKind::Binary(BinOp::Or, l, r) => {
                let (l, r) = (Cond::of(l, layout, bind), Cond::of(r, layout, bind));
                if matches!(l, Cond::Any) || matches!(r, Cond::Any) {
                    return Cond::Any;
                }
                let mut parts = Vec::new();
                for c in [l, r] {
                    match c {
                        Cond::Or(v) => parts.extend(v),
                        c => parts.push(c),
                    }
                }
                Cond::Or(parts)
            }
            ExprKind::Binary(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq), l, r) => {
                let (col, kind, v, op) = match (side(l, layout, bind), side(r, layout, bind)) {
                    (Some(Side::Col(c, k)), Some(Side::Num(v))) => (c, k, v, *op),
                    (Some(Side::Num(v)), Some(Side::Col(c, k))) => {
                        let flipped = match op {
                            BinOp::Lt => BinOp::Gt,
                            BinOp::Le => BinOp::Ge,
                            BinOp::Gt => BinOp::Lt,
                            BinOp::Ge => BinOp::Le,
                            o => *o,
                        };
                        (c, k, v, flipped)
                    }
                    _ => return Cond::Any,
                };
                if v.is_nan() {
                    // Every such comparison with NaN is false: no row matches.
                    return Cond::Range { col, lo: f64::NAN, hi: f64::NAN };
                }
                // Open bounds are searched closed: a superset, which the scan then narrows.
                match op {
                    BinOp::Lt | BinOp::Le => range(col, &kind, f64::NEG_INFINITY, v),
                    BinOp::Gt | BinOp::Ge => range(col, &kind, v, f64::INFINITY),
                    _ => range(col, &kind, v, v),
                }
            }
            _ => Cond::Any,
        }
    }

    fn has_range(&self) -> bool {
        match self {
            Cond::Any => false,
            Cond::Range { .. } => true,
            Cond::And(v) | Cond::Or(v) => v.iter().any(Cond::has_range),
        }
    }
}

/// What the planner found: the candidate rows (sorted, disjoint), or `None` for a scan.
pub(crate) struct Plan {
    /// The rows to read: the candidates (sorted, disjoint), joined through the small gaps
    /// between them when the scan reads rows in part; `None` for a scan.
    pub(crate) rows: Option<Vec<Range<u64>>>,
    pub(crate) used: IndexUse,
}

struct Ctx<'a> {
    leaf: &'a Leaf,
    nrows: u64,
    /// Candidates are counted in cells of this many rows, and an index is dropped when they
    /// lie in more than `max_cells` of them.
    cell_rows: u64,
    max_cells: u64,
    /// The scan can read single rows: a `full` index gives the rows themselves.
    exact: bool,
    /// What a scan reads, in bytes: an index is searched further only while it reads less.
    budget: u64,
    found: HashMap<String, Option<Arc<PyIndex>>>,
    /// The table's indexes opened by earlier queries (see [`IndexCache`]).
    cache: &'a IndexCache,
    used: Vec<String>,
    unused: Vec<String>,
}

/// A table's PyTables indexes opened once and kept for its next queries (shared by the
/// table's clones): opening one reads its attributes, its arrays' headers and its bounds, and
/// a query of a few rows is mostly that. An index is kept while it stays clean (its `DIRTY`
/// attribute is read again each time: outcore's own appends set it).
#[derive(Debug, Default)]
pub(crate) struct IndexCache(std::sync::Mutex<HashMap<String, Arc<PyIndex>>>);

impl IndexCache {
    /// Lets go of the index of `column` (it is about to be written again).
    pub(crate) fn forget(&self, column: &str) {
        if let Ok(mut c) = self.0.lock() {
            c.remove(column);
        }
    }
}

impl Ctx<'_> {
    fn index(&mut self, col: &str) -> Result<Option<Arc<PyIndex>>> {
        if !self.found.contains_key(col) {
            let cached = self.cache.0.lock().ok().and_then(|c| c.get(col).cloned());
            let got = match cached {
                Some(ix) if !ix.dirty_now()? => Some(ix),
                _ => match self.leaf.pytables_index(col)? {
                    Lookup::Found(i) => {
                        let ix: Arc<PyIndex> = Arc::from(i);
                        if let Ok(mut c) = self.cache.0.lock() {
                            c.insert(col.to_string(), ix.clone());
                        }
                        Some(ix)
                    }
                    Lookup::Ignored(why) => {
                        if let Ok(mut c) = self.cache.0.lock() {
                            c.remove(col);
                        }
                        self.unused.push(why);
                        None
                    }
                    Lookup::Absent => None,
                },
            };
            self.found.insert(col.to_string(), got);
        }
        Ok(self.found.get(col).cloned().flatten())
    }

    /// The candidate rows of `c`, or `None` when an index cannot narrow them (cheaply).
    fn eval(&mut self, c: &Cond) -> Result<Option<Vec<Range<u64>>>> {
        match c {
            Cond::Any => Ok(None),
            Cond::Range { col, lo, hi } => {
                let (nrows, budget) = (self.nrows, self.budget);
                let (exact, cell_rows, max_cells) = (self.exact, self.cell_rows, self.max_cells);
                let Some(ix) = self.index(col)? else { return Ok(None) };
                let entry = match ix.kind() {
                    "ultralight" => 1,
                    "light" => 2,
                    "medium" => 4,
                    _ => 8,
                };
                // From the bounds alone first: a wide range is judged without a search.
                let least = ix.estimate(*lo, *hi)?;
                let (hits, many) = if least * entry > budget {
                    (None, format!("at least {least}"))
                } else {
                    let h = ix.search(*lo, *hi)?;
                    let n = h.len();
                    (Some(h).filter(|_| n * entry <= budget), n.to_string())
                };
                let Some(hits) = hits else {
                    let why = format!(
                        "the index of `{col}` ({}) matches {many} of {nrows} rows: a scan reads less",
                        ix.kind()
                    );
                    self.unused.push(why);
                    return Ok(None);
                };
                let Some(mut rows) = ix.rows(&hits, exact, cell_rows, max_cells)? else {
                    let why = format!(
                        "the candidates of the index of `{col}` ({}) lie in most of the table: a scan reads as much",
                        ix.kind()
                    );
                    self.unused.push(why);
                    return Ok(None);
                };
                // Rows past those indexed are candidates too.
                if ix.nelements() < nrows {
                    push(&mut rows, ix.nelements()..nrows);
                }
                let name = format!("{col} ({})", ix.kind());
                if !self.used.contains(&name) {
                    self.used.push(name);
                }
                Ok(Some(rows))
            }
            Cond::And(parts) => {
                let mut out: Option<Vec<Range<u64>>> = None;
                for p in parts {
                    if let Some(rows) = self.eval(p)? {
                        out = Some(match out {
                            None => rows,
                            Some(o) => intersect(&o, &rows),
                        });
                    }
                }
                Ok(out)
            }
            Cond::Or(parts) => {
                let mut out = Vec::new();
                for p in parts {
                    match self.eval(p)? {
                        Some(rows) => out = union(&out, &rows),
                        None => return Ok(None),
                    }
                }
                Ok(Some(out))
            }
        }
    }
}

fn push(v: &mut Vec<Range<u64>>, r: Range<u64>) {
    if r.is_empty() {
        return;
    }
    match v.last_mut() {
        Some(l) if l.end >= r.start => l.end = l.end.max(r.end),
        _ => v.push(r),
    }
}

fn intersect(a: &[Range<u64>], b: &[Range<u64>]) -> Vec<Range<u64>> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let (lo, hi) = (a[i].start.max(b[j].start), a[i].end.min(b[j].end));
        if lo < hi {
            push(&mut out, lo..hi);
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn union(a: &[Range<u64>], b: &[Range<u64>]) -> Vec<Range<u64>> {
    let mut all: Vec<Range<u64>> = a.iter().chain(b).cloned().collect();
    all.sort_by_key(|r| r.start);
    let mut out = Vec::new();
    for r in all {
        push(&mut out, r);
    }
    out
}

/// Whether any of `rows` (sorted, disjoint) lies in `lo..hi`.
pub(crate) fn touches(rows: &[Range<u64>], lo: u64, hi: u64) -> bool {
    let i = rows.partition_point(|r| r.end <= lo);
    rows.get(i).is_some_and(|r| r.start < hi)
}

/// Rows between two candidates that a scan reads through rather than start a new slab: about
/// what one slab costs beyond its rows.
const GAP_BYTES: u64 = 64 << 10;

/// The rows a query reads for `rows` (candidates) when it reads through gaps of `gap` rows.
fn spans(rows: &[Range<u64>], gap: u64) -> Vec<Range<u64>> {
    let mut out: Vec<Range<u64>> = Vec::new();
    for r in rows {
        match out.last_mut() {
            Some(l) if r.start <= l.end + gap => l.end = l.end.max(r.end),
            _ => out.push(r.clone()),
        }
    }
    out
}

/// The rows between candidates a scan reads through, for records of `row_bytes` in chunks of
/// `zone_rows`: about 64 KiB, at most a chunk.
fn gap(row_bytes: usize, zone_rows: u64) -> u64 {
    (GAP_BYTES / row_bytes.max(1) as u64).clamp(1, zone_rows.max(1))
}

/// Plans a condition against the table's PyTables indexes. `scan_bytes`: what a scan of the
/// query's rows reads; `zone_rows`: the rows of a chunk; `partial`: whether the scan reads any
/// rows of a chunk (then candidates are read row by row, through gaps of [`gap`] rows), not
/// whole chunks.
pub(crate) fn plan(
    table: &crate::Table,
    ast: &Ast,
    bind: &dyn Fn(&str) -> Binding,
    scan_bytes: u64,
    zone_rows: u64,
    partial: bool,
) -> Result<Plan> {
    let (leaf, layout, nrows) = (table.leaf(), table.layout(), table.nrows() as u64);
    let cond = Cond::of(ast, layout, bind);
    if !cond.has_range() {
        return Ok(Plan { rows: None, used: IndexUse::None });
    }
    // Reading row by row: cells of a gap, at most half of them (the gaps are read too);
    // reading whole chunks: at most 90% of them.
    let (cell_rows, exact) = if partial { (gap(layout.size, zone_rows), true) } else { (zone_rows.max(1), false) };
    let cells = nrows.div_ceil(cell_rows);
    let max_cells = if exact { cells / 2 } else { cells * 9 / 10 };
    let mut ctx = Ctx {
        leaf,
        nrows,
        cell_rows,
        max_cells,
        exact,
        budget: scan_bytes / 8,
        found: HashMap::new(),
        cache: table.index_cache(),
        used: Vec::new(),
        unused: Vec::new(),
    };
    let rows = ctx.eval(&cond)?;
    if let Some(r) = &rows {
        let held: u64 = r.iter().map(|r| r.end - r.start).sum();
        // The candidates (of several indexes) lie in most of the table: a scan reads as much.
        let joined = exact.then(|| spans(r, cell_rows));
        let read: u64 = if let Some(j) = &joined {
            j.iter().map(|r| r.end - r.start).sum()
        } else {
            let (mut touched, mut last) = (0u64, None);
            for x in r {
                let (a, b) = (x.start / cell_rows, (x.end - 1) / cell_rows);
                let a = if last == Some(a) { a + 1 } else { a };
                touched += (b + 1).saturating_sub(a);
                last = Some(b);
            }
            touched * cell_rows
        };
        if read * 10 > nrows * 9 {
            let why =
                format!("the candidates of {} lie in most of the table: a scan reads as much", ctx.used.join(", "));
            return Ok(Plan { rows: None, used: IndexUse::Unused(vec![why]) });
        }
        let rows = joined.or(rows);
        return Ok(Plan { used: IndexUse::Used { indexes: ctx.used, candidates: held }, rows });
    }
    let used = if ctx.unused.is_empty() && ctx.found.values().all(Option::is_none) {
        IndexUse::None
    } else {
        IndexUse::Unused(ctx.unused)
    };
    Ok(Plan { rows: None, used })
}

/// An order-preserving key of a value: unsigned integers compare as the values do, NaN
/// (of either sign) after every number, as NumPy and PyTables sort.
fn key_of(kind: &Kind, b: &[u8]) -> Option<u64> {
    let le = |n: usize| -> u64 {
        let mut w = [0u8; 8];
        w[..n].copy_from_slice(&b[..n]);
        u64::from_ne_bytes(w)
    };
    let signed = |v: i64| (v as u64) ^ (1 << 63);
    let float = |bits: u64, nan: bool| {
        if nan {
            u64::MAX
        } else if bits >> 63 == 1 {
            !bits
        } else {
            bits | (1 << 63)
        }
    };
    Some(match *kind {
        Kind::Int { size: 1, signed: true } => signed(b[0] as i8 as i64),
        Kind::Int { size: 2, signed: true } => signed(i16::from_ne_bytes([b[0], b[1]]) as i64),
        Kind::Int { size: 4, signed: true } => signed(i32::from_ne_bytes(b[..4].try_into().ok()?) as i64),
        Kind::Int { size: 8, signed: true } => signed(i64::from_ne_bytes(b[..8].try_into().ok()?)),
        Kind::Int { size: n @ (1 | 2 | 4 | 8), signed: false } => le(n),
        Kind::Float { size: 4 } => {
            let v = f32::from_ne_bytes(b[..4].try_into().ok()?);
            // float32 keys widened to float64 bits: the same order.
            float((v as f64).to_bits(), v.is_nan())
        }
        Kind::Float { size: 8 } => {
            let v = f64::from_ne_bytes(b[..8].try_into().ok()?);
            float(v.to_bits(), v.is_nan())
        }
        _ => return None,
    })
}

/// The value of a key ([`key_of`]) in the bytes of `kind` (NaN for a NaN).
fn value_of(kind: &Kind, key: u64, out: &mut [u8]) {
    let signed = (key ^ (1 << 63)) as i64;
    let float = || -> f64 {
        if key == u64::MAX {
            f64::NAN
        } else if key >> 63 == 1 {
            f64::from_bits(key & !(1 << 63))
        } else {
            f64::from_bits(!key)
        }
    };
    match *kind {
        Kind::Int { size: 1, signed: true } => out.copy_from_slice(&(signed as i8).to_ne_bytes()),
        Kind::Int { size: 2, signed: true } => out.copy_from_slice(&(signed as i16).to_ne_bytes()),
        Kind::Int { size: 4, signed: true } => out.copy_from_slice(&(signed as i32).to_ne_bytes()),
        Kind::Int { size: 8, signed: true } => out.copy_from_slice(&signed.to_ne_bytes()),
        Kind::Int { size: 1, signed: false } => out.copy_from_slice(&(key as u8).to_ne_bytes()),
        Kind::Int { size: 2, signed: false } => out.copy_from_slice(&(key as u16).to_ne_bytes()),
        Kind::Int { size: 4, signed: false } => out.copy_from_slice(&(key as u32).to_ne_bytes()),
        Kind::Int { size: 8, signed: false } => out.copy_from_slice(&key.to_ne_bytes()),
        Kind::Float { size: 4 } => out.copy_from_slice(&(float() as f32).to_ne_bytes()),
        Kind::Float { size: 8 } => out.copy_from_slice(&float().to_ne_bytes()),
        _ => {}
    }
}

/// Writes a completely sorted PyTables index (kind `full`) of `column` (see
/// [`crate::Table::create_csindex`]): the table read once on all workers through the raw-chunk
/// path, the column's values sorted with their rows on all cores. Returns the rows indexed.
pub(crate) fn build_full(table: &crate::Table, column: &str) -> Result<u64> {
    use crate::error::Error;
    use rayon::prelude::*;
    let leaf = table.leaf();
    let layout = table.layout();
    let Some((offset, kind)) = layout.field(column).map(|(o, k)| (o, k.clone())) else {
        return Err(Error::name(format!(
            "no column `{column}` in {} (columns: {})",
            leaf.path(),
            layout.columns().join(", ")
        )));
    };
    let size = match kind {
        Kind::Int { size, .. } | Kind::Float { size } if key_of(&kind, &vec![0u8; size]).is_some() => size,
        _ => {
            let what = kind.scalar_name().unwrap_or_else(|| "a compound or array-shaped column".into());
            return Err(Error::new(
                crate::ErrorKind::Unsupported,
                format!("column `{column}` is {what}: outcore writes PyTables indexes of integer and float columns"),
            ));
        }
    };
    let mut pairs: Vec<(u64, u64)> = Vec::with_capacity(table.nrows());
    crate::zones::scan_table(
        table,
        1 << 16,
        |r| r.slab_unit(),
        |rows, recs| {
            Ok(recs
                .chunks_exact(layout.size)
                .enumerate()
                .map(|(i, r)| (key_of(&kind, &r[offset..offset + size]).unwrap_or(u64::MAX), (rows.first + i) as u64))
                .collect::<Vec<_>>())
        },
        |part: Vec<(u64, u64)>| pairs.extend_from_slice(&part),
    )?;
    pairs.par_sort_unstable();
    let mut values = vec![0u8; pairs.len() * size];
    values.par_chunks_exact_mut(size).zip(pairs.par_iter()).for_each(|(dst, &(k, _))| value_of(&kind, k, dst));
    let rows: Vec<u64> = pairs.into_par_iter().map(|(_, r)| r).collect();
    leaf.write_pytables_index(column, &values, &rows)?;
    leaf.flush_file()?;
    Ok(rows.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_sets_meet_and_join() {
        let a = vec![0..10, 20..30, 40..50];
        let b = vec![5..25, 45..60];
        assert_eq!(intersect(&a, &b), vec![5..10, 20..25, 45..50]);
        assert_eq!(union(&a, &b), vec![0..30, 40..60]);
        assert!(touches(&a, 9, 12) && !touches(&a, 10, 20) && touches(&a, 49, 50) && !touches(&a, 50, 99));
    }

    #[test]
    fn keys_sort_as_values_with_nans_last() {
        let f = Kind::Float { size: 8 };
        let k = |v: f64| key_of(&f, &v.to_ne_bytes()).unwrap();
        let mut v = [3.5, -0.0, f64::NAN, -f64::NAN, -2.0, f64::INFINITY, f64::NEG_INFINITY, 1e-300];
        v.sort_by_key(|&x| k(x));
        assert_eq!(&v[..6], &[f64::NEG_INFINITY, -2.0, -0.0, 1e-300, 3.5, f64::INFINITY]);
        assert!(v[6].is_nan() && v[7].is_nan());
        let i = Kind::Int { size: 2, signed: true };
        let ki = |v: i16| key_of(&i, &v.to_ne_bytes()).unwrap();
        assert!(ki(-5) < ki(-1) && ki(-1) < ki(0) && ki(0) < ki(7));
        assert_eq!(key_of(&Kind::Bool, &[1]), None);
        // Keys give their values back.
        for (kind, bytes) in [
            (f, (-2.5f64).to_ne_bytes().to_vec()),
            (Kind::Float { size: 4 }, 0.1f32.to_ne_bytes().to_vec()),
            (i, (-7i16).to_ne_bytes().to_vec()),
            (Kind::Int { size: 8, signed: false }, u64::MAX.to_ne_bytes().to_vec()),
        ] {
            let mut out = vec![0u8; bytes.len()];
            value_of(&kind, key_of(&kind, &bytes).unwrap(), &mut out);
            assert_eq!(out, bytes, "{kind:?}");
        }
    }

    #[test]
    fn float32_ranges_widen_by_a_float32_step() {
        let (lo, hi) = widen(&Kind::Float { size: 4 }, 0.1, 0.1);
        assert!(lo < 0.1f32 as f64 && (0.1f32 as f64) < hi && lo < 0.1 && 0.1 < hi);
        assert_eq!(widen(&Kind::Float { size: 8 }, 0.1, 0.2), (0.1, 0.2));
        assert_eq!(widen(&Kind::Float { size: 4 }, f64::NEG_INFINITY, 1.0).0, f64::NEG_INFINITY);
    }
}
