//! PyTables' own indexes (`Column.create_index`, `create_csindex`), read to find the rows a
//! condition on an indexed column can match.
//!
//! An index of column `c` of table `/p/t` is the group `/p/_i_t/c` (class `INDEX`). Its values
//! are cut into *slices* of `slicesize`; each slice is sorted (`sorted`, one row per slice,
//! every `reduction`-th value kept for the lighter kinds) and `indices` says where each sorted
//! value came from: its row (kind `full`, 8 bytes) or its *bucket* of `lbucket` rows (`medium`,
//! `light`, `ultralight`: 4, 2 and 1 bytes, the last two counted from their block or slice).
//! `ranges` holds each slice's first and last value and `bounds` the first value of each of
//! its chunks, so a search reads two chunks of `sorted` per slice. The rows past the last whole
//! slice are in `sortedLR`/`indicesLR`. This is how PyTables' `Index.search` and
//! `Index.get_chunkmap` read them (`tables/index.py`); like PyTables, a query then evaluates the
//! whole condition on the candidate rows only, so an index needs to give every row that can
//! match, never only those.
//!
//! Values are compared as float64 (rounded to nearest), with closed bounds: rounding keeps
//! sorted values sorted, and a value inside an interval stays inside it once both are rounded
//! the same way, so the candidates are a superset of the matches. An index that is dirty,
//! covers more rows than the table, has another layout than PyTables writes, or is stored
//! in the other byte order is not used (`Lookup::Ignored`), and the query scans.

use std::ops::Range;

use hdf5_sys::h5::hsize_t;
use hdf5_sys::h5d::{H5Dget_space, H5Dget_type, H5Dread};
use hdf5_sys::h5p::H5P_DEFAULT;
use hdf5_sys::h5s::{H5S_seloper_t, H5Sclose, H5Screate_simple, H5Sselect_hyperslab};
use hdf5_sys::h5t::H5Tclose;

use crate::attrs::AttrValue;
use crate::error::Result;
use crate::file::{Leaf, LeafClass};
use crate::layout::Kind;

/// Whether a column of this kind can have an index outcore uses.
fn indexable(kind: &Kind) -> bool {
    matches!(kind, Kind::Bool | Kind::Int { size: 1 | 2 | 4 | 8, .. } | Kind::Float { size: 4 | 8 })
}

/// What a table has for one column.
#[derive(Debug)]
pub enum Lookup {
    /// No index (or one of a column kind outcore does not search).
    Absent,
    /// An index that must not be used, and why.
    Ignored(String),
    /// An index to use.
    Found(Box<PyIndex>),
}

/// One column's index, opened and checked; its bounds held in memory.
#[derive(Debug)]
pub struct PyIndex {
    column: String,
    node: String,
    kind: Kind,
    /// Bytes per entry of `indices`: 1, 2, 4 or 8 (ultralight, light, medium, full).
    indsize: usize,
    optlevel: i64,
    /// Completely sorted (`is_csi`): its slices, in order, then its last row, are sorted as one.
    csi: bool,
    slicesize: usize,
    blocksize: usize,
    reduction: usize,
    /// Whole slices (rows of `sorted`).
    nslices: usize,
    /// Values per row of `sorted` and per chunk of it (after the reduction).
    rss: usize,
    rcs: usize,
    /// Values indexed: rows `0..nelements` of the table.
    nelements: u64,
    /// Sorted values and indices in the last row.
    nslr: usize,
    nilr: usize,
    lbucket: usize,
    /// Each slice's first and last sorted value.
    ranges: Vec<f64>,
    /// The last row's first value, chunk bounds and last value (stored after its values).
    lr: Vec<f64>,
    /// Each slice's chunk bounds, `nbounds` per slice.
    bounds: Vec<f64>,
    nbounds: usize,
    sorted: Leaf,
    indices: Leaf,
    sorted_lr: Leaf,
    indices_lr: Leaf,
    /// Where `sorted`'s object header is in the file: an index written again since has
    /// another.
    sorted_addr: Option<u64>,
}

/// The sorted values a search matched: in slice `slice` (`nslices` for the last row), the
/// index entries `lo..hi`.
#[derive(Clone, Debug, Default)]
pub struct Hits {
    spans: Vec<(usize, usize, usize)>,
}

impl Hits {
    /// The index entries matched (the candidate values; more than the matches when reduced).
    pub fn len(&self) -> u64 {
        self.spans.iter().map(|&(_, lo, hi)| (hi - lo) as u64).sum()
    }

    /// Whether no entry matched.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Leaf {
    /// The PyTables index of `column` (a path such as `pos/x` for nested columns), if this
    /// table has one outcore can use.
    pub fn pytables_index(&self, column: &str) -> Result<Lookup> {
        if self.class() != LeafClass::Table || self.is_zones() {
            return Ok(Lookup::Absent);
        }
        let Some((_, kind)) = self.layout()?.field(column).map(|(o, k)| (o, k.clone())) else {
            return Ok(Lookup::Absent);
        };
        if !indexable(&kind) {
            return Ok(Lookup::Absent);
        }
        let (parent, name) = crate::stats::parent_and_name(self.path());
        let node = crate::write::join(parent, &format!("_i_{name}/{column}"));
        let f = self.file_handle()?;
        if !f.node_exists(&node) {
            return Ok(Lookup::Absent);
        }
        let Ok(g) = f.group(&node) else { return Ok(Lookup::Absent) };
        let attrs = g.attrs()?;
        let attr = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v);
        let int = |k: &str| attr(k).and_then(AttrValue::as_i64);
        if attr("CLASS").and_then(AttrValue::as_str) != Some("INDEX") {
            return Ok(Lookup::Absent);
        }
        let ignored = |why: String| Ok(Lookup::Ignored(format!("the index of `{column}` ({node}) {why}")));
        if attr("DIRTY").is_some_and(flag_set) {
            return ignored("is dirty (PyTables' `reindex_dirty()` rebuilds it)".into());
        }
        let version = attr("VERSION").and_then(AttrValue::as_str).unwrap_or("");
        if version != "2.1" {
            return ignored(format!("has format version {version:?}; outcore reads 2.1 (PyTables 2.2 and later)"));
        }
        let (Some(sbs), Some(bs), Some(ss), Some(cs), Some(opt), Some(red)) = (
            int("superblocksize"),
            int("blocksize"),
            int("slicesize"),
            int("chunksize"),
            int("optlevel"),
            int("reduction"),
        ) else {
            return ignored("lacks one of its size attributes".into());
        };
        let open = |n: &str| f.leaf(&format!("{node}/{n}"));
        let (sorted, indices, sorted_lr, indices_lr) =
            match (open("sorted"), open("indices"), open("sortedLR"), open("indicesLR")) {
                (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
                _ => return ignored("lacks one of its arrays".into()),
            };
        let (ranges_leaf, bounds_leaf) = match (open("ranges"), open("bounds")) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return ignored("lacks one of its arrays".into()),
        };
        let lr_attr =
            |l: &Leaf| crate::file::read_attr(l.dataset(), l.file_ref(), "nelements").and_then(|v| v.as_i64());
        let (Some(nslr), Some(nilr)) = (lr_attr(&sorted_lr), lr_attr(&indices_lr)) else {
            return ignored("lacks the `nelements` of its last row".into());
        };
        for l in [&sorted, &indices, &sorted_lr, &indices_lr, &ranges_leaf, &bounds_leaf] {
            if l.swapped() {
                return ignored("is stored in the other byte order (big-endian)".into());
            }
        }
        let size = |l: &Leaf| l.layout().map(|x| (x.kind.clone(), x.size));
        let indsize = match size(&indices)? {
            (Kind::Int { size: s @ (1 | 2 | 4 | 8), signed: false }, _) => s,
            _ => return ignored("has indices of an unexpected type".into()),
        };
        for l in [&sorted, &sorted_lr, &ranges_leaf, &bounds_leaf] {
            if size(l)?.0 != kind {
                return ignored(format!("holds values of another type than the column's ({kind:?})"));
            }
        }
        if size(&indices_lr)?.0 != size(&indices)?.0 {
            return ignored("has indices of an unexpected type".into());
        }
        let table_chunk = self.chunk_shape().and_then(|c| c.first().copied()).unwrap_or(0);
        let (ss_shape, ix_shape) = (sorted.shape(), indices.shape());
        let as_usize = |v: i64| usize::try_from(v).ok().filter(|&v| v > 0);
        let (Some(sbs), Some(bs), Some(ss), Some(cs), Some(red)) =
            (as_usize(sbs), as_usize(bs), as_usize(ss), as_usize(cs), as_usize(red))
        else {
            return ignored("has a size attribute out of range".into());
        };
        let nslices = ix_shape.first().copied().unwrap_or(0);
        let rss = ss_shape.get(1).copied().unwrap_or(0);
        let rcs = cs / red;
        let nbounds = rss.saturating_sub(1).checked_div(rcs).unwrap_or(0);
        let consistent = ss_shape.len() == 2
            && ix_shape == [nslices, ss]
            && ss_shape[0] == nslices
            && table_chunk > 0
            && ss % cs == 0
            && cs % red == 0
            && rcs > 0
            && rss == ss / red
            && bs % ss == 0
            && sbs % bs == 0
            && ranges_leaf.shape() == [nslices, 2]
            && bounds_leaf.shape() == [nslices, nbounds]
            && (0..=ss as i64).contains(&nilr)
            && (0..=rss as i64).contains(&nslr)
            && sorted_lr.shape().first().is_some_and(|&n| n >= nslr as usize)
            && indices_lr.shape().first().is_some_and(|&n| n >= nilr as usize);
        if !consistent {
            return ignored("has shapes or sizes that do not agree (a damaged index?)".into());
        }
        let nelements = nslices as u64 * ss as u64 + nilr as u64;
        if nelements > self.shape().first().copied().unwrap_or(0) as u64 {
            return ignored(format!("covers {nelements} rows, more than the table's"));
        }
        // PyTables' `Index.lbucket`.
        let mut lbucket = table_chunk.min(cs);
        if indsize == 1 && ss > 256 * lbucket {
            lbucket = ss.div_ceil(256);
        } else if indsize == 2 && bs > 65536 * lbucket {
            lbucket = bs.div_ceil(65536);
        }
        let values = |l: &Leaf| -> Result<Vec<f64>> { Ok(to_f64(&kind, &l.read_bytes()?)) };
        let mut ix = PyIndex {
            column: column.to_string(),
            lr: Vec::new(),
            ranges: values(&ranges_leaf)?,
            bounds: values(&bounds_leaf)?,
            node,
            kind,
            indsize,
            optlevel: opt,
            csi: attr("is_csi").is_some_and(flag_set),
            slicesize: ss,
            blocksize: bs,
            reduction: red,
            nslices,
            rss,
            rcs,
            nelements,
            nslr: nslr as usize,
            nilr: nilr as usize,
            lbucket,
            nbounds,
            sorted_addr: hdf5::sync::sync(|| crate::header::object_addr(sorted.dataset().id())),
            sorted,
            indices,
            sorted_lr,
            indices_lr,
        };
        ix.lr = ix.lr_bounds()?;
        if attr("is_csi").is_none() {
            // PyTables sets `is_csi` only when it optimised the index; otherwise it counts
            // the overlaps of the slices' ranges, as here (a full index in one slice is sorted).
            ix.csi = ix.indsize == 8 && ix.nelements > 0 && ix.slices_in_order();
        }
        Ok(Lookup::Found(Box::new(ix)))
    }
}

impl Leaf {
    /// The columns of this table that have a PyTables index (clean or dirty), as paths.
    pub fn pytables_indexed_columns(&self) -> Result<Vec<String>> {
        if self.class() != LeafClass::Table || self.is_zones() {
            return Ok(Vec::new());
        }
        let (parent, name) = crate::stats::parent_and_name(self.path());
        let top = crate::write::join(parent, &format!("_i_{name}"));
        let f = self.file_handle()?;
        if !f.node_exists(&top) {
            return Ok(Vec::new());
        }
        let (mut out, mut groups) = (Vec::new(), vec![(f.group(&top)?, String::new())]);
        while let Some((g, prefix)) = groups.pop() {
            for child in g.children()? {
                let crate::file::Node::Group(c) = g.child(&child)? else { continue };
                let path = if prefix.is_empty() { child.clone() } else { format!("{prefix}/{child}") };
                let index = c.attrs()?.iter().any(|(k, v)| k == "CLASS" && v.as_str() == Some("INDEX"));
                if index {
                    out.push(path);
                } else {
                    groups.push((c, path));
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Whether a flag attribute (PyTables' `DIRTY`, `is_csi`: an integer or a NumPy boolean) is set.
fn flag_set(v: &AttrValue) -> bool {
    v.as_i64().is_some_and(|d| d != 0) || *v == AttrValue::Bool(true)
}

/// Values of a column kind as float64 (rounded to nearest).
fn to_f64(kind: &Kind, bytes: &[u8]) -> Vec<f64> {
    macro_rules! conv {
        ($t:ty) => {
            bytes
                .chunks_exact(std::mem::size_of::<$t>())
                .map(|b| <$t>::from_ne_bytes(b.try_into().expect("sized")) as f64)
                .collect()
        };
    }
    match kind {
        Kind::Bool => bytes.iter().map(|&b| (b != 0) as u8 as f64).collect(),
        Kind::Int { size: 1, signed: true } => conv!(i8),
        Kind::Int { size: 1, signed: false } => conv!(u8),
        Kind::Int { size: 2, signed: true } => conv!(i16),
        Kind::Int { size: 2, signed: false } => conv!(u16),
        Kind::Int { size: 4, signed: true } => conv!(i32),
        Kind::Int { size: 4, signed: false } => conv!(u32),
        Kind::Int { size: 8, signed: true } => conv!(i64),
        Kind::Int { size: 8, signed: false } => conv!(u64),
        Kind::Float { size: 4 } => conv!(f32),
        Kind::Float { size: 8 } => conv!(f64),
        _ => Vec::new(),
    }
}

/// Reads `count` elements from `start` of a dataset (all dimensions), in its own type.
fn read_slab(leaf: &Leaf, start: &[usize], count: &[usize], elem: usize) -> Result<Vec<u8>> {
    let n: usize = count.iter().product();
    let mut buf = vec![0u8; n * elem];
    if n == 0 {
        return Ok(buf);
    }
    leaf.check_index_once()?;
    let shape = leaf.shape();
    if shape.len() != start.len() || start.iter().zip(count).zip(&shape).any(|((&s, &c), &d)| s + c > d) {
        return Err(leaf.node_err(format!("elements {start:?} + {count:?} are outside shape {shape:?}")));
    }
    let id = leaf.dataset().id();
    let rc = hdf5::sync::sync(|| {
        // Safety: `buf` holds exactly the selected elements in the dataset's own type; every
        // id opened here is closed here.
        unsafe {
            let ty = H5Dget_type(id);
            let fspace = H5Dget_space(id);
            let c: Vec<hsize_t> = count.iter().map(|&v| v as hsize_t).collect();
            let s: Vec<hsize_t> = start.iter().map(|&v| v as hsize_t).collect();
            let mspace = H5Screate_simple(c.len() as i32, c.as_ptr(), std::ptr::null());
            let mut rc = H5Sselect_hyperslab(
                fspace,
                H5S_seloper_t::H5S_SELECT_SET,
                s.as_ptr(),
                std::ptr::null(),
                c.as_ptr(),
                std::ptr::null(),
            );
            if rc >= 0 {
                rc = H5Dread(id, ty, mspace, fspace, H5P_DEFAULT, buf.as_mut_ptr().cast());
            }
            H5Sclose(mspace);
            H5Sclose(fspace);
            H5Tclose(ty);
            rc
        }
    });
    if rc < 0 {
        return Err(leaf.node_err(crate::error::failed(format!("H5Dread of elements {start:?} + {count:?} failed"))));
    }
    Ok(buf)
}

/// How many of `sorted` (ascending, NaNs last) satisfy `p`, a predicate true on a prefix.
fn prefix(sorted: &[f64], p: impl Fn(f64) -> bool) -> usize {
    sorted.partition_point(|&v| p(v))
}

impl PyIndex {
    /// The column's path.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// The index's group (`/_i_t/x`).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// PyTables' name of the kind: `ultralight`, `light`, `medium` or `full`.
    pub fn kind(&self) -> &'static str {
        match self.indsize {
            1 => "ultralight",
            2 => "light",
            4 => "medium",
            _ => "full",
        }
    }

    /// The optimization level it was built with (0 to 9).
    pub fn optlevel(&self) -> i64 {
        self.optlevel
    }

    /// The rows the index covers: `0..nelements()`.
    pub fn nelements(&self) -> u64 {
        self.nelements
    }

    /// Rows per bucket: the unit of the candidates an index gives.
    pub fn bucket_rows(&self) -> usize {
        self.lbucket
    }

    fn damaged(&self, what: impl std::fmt::Display) -> crate::Error {
        self.sorted.node_err(format!("damaged PyTables index of `{}`: {what}", self.column))
    }

    /// Where the prefix of slice `s` (`nslices`: the last row) satisfying `p` ends: `Ok(n)`
    /// when the slice's first and last values and its bounds say, else `Err(k)`: in its chunk
    /// `k`, which has to be read. Also the slice's length.
    fn locate(&self, s: usize, p: &dyn Fn(f64) -> bool) -> (std::result::Result<usize, usize>, usize) {
        // The slice's first and last values, the first value of each chunk but the first, and
        // its length.
        let (first, last, bounds, len) = if s < self.nslices {
            let b = &self.bounds[s * self.nbounds..(s + 1) * self.nbounds];
            (self.ranges[2 * s], self.ranges[2 * s + 1], b, self.rss)
        } else {
            // The last row keeps its bounds after its values: `values[::rcs]`, then the last.
            match self.lr.as_slice() {
                [f, mid @ .., l] => (*f, *l, mid, self.nslr),
                _ => return (Ok(0), 0),
            }
        };
        if !p(first) {
            return (Ok(0), len);
        }
        if p(last) {
            return (Ok(len), len);
        }
        (Err(prefix(bounds, p)), len)
    }

    /// Chunk `k` of slice `s` (of `len` values), checked to be sorted.
    fn chunk(&self, s: usize, k: usize, len: usize) -> Result<Vec<f64>> {
        let lo = k * self.rcs;
        let hi = ((k + 1) * self.rcs).min(len);
        if lo >= hi {
            return Err(self.damaged(format!("slice {s} has bounds past its {len} values")));
        }
        let elem = self.kind_size();
        let raw = if s < self.nslices {
            read_slab(&self.sorted, &[s, lo], &[1, hi - lo], elem)?
        } else {
            read_slab(&self.sorted_lr, &[lo], &[hi - lo], elem)?
        };
        let chunk = to_f64(&self.kind, &raw);
        if chunk.windows(2).any(|w| w[0] > w[1] || (w[0].is_nan() && !w[1].is_nan())) {
            return Err(self.damaged(format!("slice {s} is not sorted at values {lo}..{hi}")));
        }
        Ok(chunk)
    }

    /// The last row's bounds: `values[::rcs]` and the last value, stored after its values.
    fn lr_bounds(&self) -> Result<Vec<f64>> {
        if self.nslr == 0 {
            return Ok(Vec::new());
        }
        let n = (self.nslr - 1) / self.rcs + 2;
        if self.sorted_lr.shape().first().is_none_or(|&len| len < self.nslr + n) {
            return Err(self.damaged("its last row is shorter than its values and bounds"));
        }
        let b = to_f64(&self.kind, &read_slab(&self.sorted_lr, &[self.nslr], &[n], self.kind_size())?);
        if b.windows(2).any(|w| w[0] > w[1] || (w[0].is_nan() && !w[1].is_nan())) {
            return Err(self.damaged("the bounds of its last row are not sorted"));
        }
        Ok(b)
    }

    /// The slices to search: the whole ones, and the last row if it holds values.
    fn slices(&self) -> std::ops::Range<usize> {
        0..self.nslices + usize::from(self.nslr > 0)
    }

    /// At least how many index entries hold values in `lo..=hi`, from the bounds alone (no
    /// sorted values read): what a planner weighs before searching.
    pub fn estimate(&self, lo: f64, hi: f64) -> Result<u64> {
        if lo.is_nan() || hi.is_nan() || lo > hi {
            return Ok(0);
        }
        let (below, within) = (|v: f64| v < lo, |v: f64| v <= hi);
        let mut n = 0u64;
        for s in self.slices() {
            // The prefix ends: exactly, or inside chunk `k` (at least `k * rcs`, at most
            // `(k + 1) * rcs`).
            let (a, _) = self.locate(s, &below);
            let (b, _) = self.locate(s, &within);
            let a = a.unwrap_or_else(|k| (k + 1) * self.rcs);
            let b = b.unwrap_or_else(|k| k * self.rcs);
            let full = if s < self.nslices { self.slicesize } else { self.nilr };
            n += (b.saturating_sub(a) * self.reduction).min(full) as u64;
        }
        Ok(n)
    }

    fn kind_size(&self) -> usize {
        match self.kind {
            Kind::Bool => 1,
            Kind::Int { size, .. } | Kind::Float { size } => size,
            _ => 1,
        }
    }

    /// The index entries whose values may lie in `lo..=hi` (both compared as float64): two
    /// chunks of sorted values read per slice at most, one when both ends fall in the same.
    pub fn search(&self, lo: f64, hi: f64) -> Result<Hits> {
        let mut hits = Hits::default();
        if lo.is_nan() || hi.is_nan() || lo > hi {
            return Ok(hits);
        }
        let below = |v: f64| v < lo;
        let within = |v: f64| v <= hi;
        let red = self.reduction;
        // Entries `a..b` of the reduced values, widened to the unreduced ones they stand for.
        let widen = |a: usize, b: usize, len: usize| {
            let a = if red > 1 && a > 0 { (a - 1) * red + 1 } else { a * red };
            (a.min(len), (b * red).min(len))
        };
        for s in self.slices() {
            let (a, len) = self.locate(s, &below);
            let (b, _) = self.locate(s, &within);
            let mut held: Option<(usize, Vec<f64>)> = None;
            let mut end = |r: std::result::Result<usize, usize>, p: &dyn Fn(f64) -> bool| -> Result<usize> {
                match r {
                    Ok(n) => Ok(n),
                    Err(k) => {
                        if held.as_ref().is_none_or(|(hk, _)| *hk != k) {
                            held = Some((k, self.chunk(s, k, len)?));
                        }
                        let c = &held.as_ref().expect("held").1;
                        Ok(k * self.rcs + prefix(c, p))
                    }
                }
            };
            let (a, b) = (end(a, &below)?, end(b, &within)?);
            // Widened first: with a reduction, equal counts still leave the values between two
            // of those kept.
            let full = if s < self.nslices { self.slicesize } else { self.nilr };
            let (a, b) = widen(a, b, full);
            if b > a {
                hits.spans.push((s, a, b));
            }
        }
        Ok(hits)
    }

    /// Whether the index is dirty now (its `DIRTY` attribute read again, as a write of this
    /// process may have set it since it was opened), gone, or written again since.
    pub fn dirty_now(&self) -> Result<bool> {
        let f = self.sorted.file_handle()?;
        if !f.node_exists(&self.node) {
            return Ok(true);
        }
        let attrs = f.group(&self.node)?.attrs()?;
        if attrs.iter().any(|(k, v)| k == "DIRTY" && flag_set(v)) {
            return Ok(true);
        }
        // Written again (create_csindex, PyTables' reindex): not the index held.
        let now = f.leaf(&format!("{}/sorted", self.node)).ok();
        Ok(now.and_then(|l| hdf5::sync::sync(|| crate::header::object_addr(l.dataset().id()))) != self.sorted_addr)
    }

    /// Whether each slice's values (the last row's too) end at or before the next one's
    /// begin (PyTables' `compute_overlaps` finding none). Equal bounds of integers beyond
    /// 2^53, which float64 cannot tell apart, count as an overlap.
    fn slices_in_order(&self) -> bool {
        let mut spans: Vec<(f64, f64)> =
            (0..self.nslices).map(|s| (self.ranges[2 * s], self.ranges[2 * s + 1])).collect();
        if self.nslr > 0 {
            if let (Some(&lo), Some(&hi)) = (self.lr.first(), self.lr.last()) {
                spans.push((lo, hi));
            }
        }
        spans.windows(2).all(|w| !(w[0].1 > w[1].0 || (w[0].1 == w[1].0 && w[0].1.abs() >= 9007199254740992.0)))
    }

    /// Whether the index is completely sorted (PyTables' `is_csi`).
    pub fn is_csi(&self) -> bool {
        self.csi
    }

    /// The rows of the values at sorted positions `start..stop` (a `full` index): PyTables'
    /// `Index.read_indices`. In a completely sorted index these are the table's rows in the
    /// column's order.
    pub fn sorted_rows(&self, start: u64, stop: u64) -> Result<Vec<u64>> {
        if !self.exact() {
            return Err(self.damaged("only a full index gives rows"));
        }
        let stop = stop.min(self.nelements);
        let mut out = Vec::with_capacity(stop.saturating_sub(start) as usize);
        let ss = self.slicesize as u64;
        let mut at = start;
        while at < stop {
            let s = (at / ss) as usize;
            let (lo, hi) = ((at % ss) as usize, (stop - s as u64 * ss).min(ss) as usize);
            let raw = if s < self.nslices {
                read_slab(&self.indices, &[s, lo], &[1, hi - lo], 8)?
            } else {
                read_slab(&self.indices_lr, &[lo], &[hi - lo], 8)?
            };
            out.extend(raw.chunks_exact(8).map(|b| u64::from_ne_bytes(b.try_into().expect("8 bytes"))));
            at += (hi - lo) as u64;
        }
        Ok(out)
    }

    /// Whether the index points at rows themselves (kind `full`), not at buckets of them.
    pub fn exact(&self) -> bool {
        self.indsize == 8
    }

    /// The rows that may hold the values of `hits`, as sorted, disjoint ranges of rows below
    /// [`nelements`](Self::nelements): the rows themselves for a `full` index when `exact`,
    /// else whole buckets. `None` as soon as the candidates lie in more than `max_cells` cells
    /// of `cell_rows` rows (the rest of the index is not read: a scan is as good).
    pub fn rows(&self, hits: &Hits, exact: bool, cell_rows: u64, max_cells: u64) -> Result<Option<Vec<Range<u64>>>> {
        let exact = exact && self.exact();
        let lb = self.lbucket as u64;
        let cr = cell_rows.max(1);
        let mut cells = vec![false; self.nelements.div_ceil(cr) as usize];
        let mut touched = 0u64;
        let mut buckets = if exact { Vec::new() } else { vec![false; self.nelements.div_ceil(lb) as usize] };
        let mut exact_rows: Vec<u64> = Vec::new();
        let nsb = (self.blocksize / self.slicesize) as u64;
        // Entries are read a piece at a time; once enough are, the cells they touch are
        // projected to all the entries, and a projection past the limit gives up early
        // (entries of random rows touch a new cell each).
        const PIECE: usize = 4096;
        let total = hits.len().max(1);
        let mut seen = 0u64;
        let pieces =
            hits.spans.iter().flat_map(|&(s, a, b)| (a..b).step_by(PIECE).map(move |x| (s, x, (x + PIECE).min(b))));
        for (s, a, b) in pieces {
            let raw = if s < self.nslices {
                read_slab(&self.indices, &[s, a], &[1, b - a], self.indsize)?
            } else {
                read_slab(&self.indices_lr, &[a], &[b - a], self.indsize)?
            };
            seen += (b - a) as u64;
            let s = s as u64;
            let offset = match self.indsize {
                2 => (s / nsb) * self.blocksize as u64 / lb,
                1 => s * self.slicesize as u64 / lb,
                _ => 0,
            };
            for e in raw.chunks_exact(self.indsize) {
                let v = match self.indsize {
                    1 => e[0] as u64,
                    2 => u16::from_ne_bytes([e[0], e[1]]) as u64,
                    4 => u32::from_ne_bytes(e.try_into().expect("4 bytes")) as u64,
                    _ => u64::from_ne_bytes(e.try_into().expect("8 bytes")),
                };
                // The rows `lo..hi` this entry stands for.
                let (lo, hi) = if exact {
                    (v, v + 1)
                } else {
                    let bucket = if self.indsize == 8 { v / lb } else { v.saturating_add(offset) };
                    match buckets.get_mut(bucket as usize) {
                        Some(m) if *m => continue,
                        Some(m) => *m = true,
                        None => (),
                    }
                    (bucket.saturating_mul(lb), bucket.saturating_add(1).saturating_mul(lb).min(self.nelements))
                };
                if lo >= self.nelements {
                    return Err(
                        self.damaged(format!("slice {s} points at row {lo}, past the {} rows indexed", self.nelements))
                    );
                }
                if exact {
                    exact_rows.push(v);
                }
                for c in &mut cells[(lo / cr) as usize..=((hi - 1) / cr) as usize] {
                    if !*c {
                        *c = true;
                        touched += 1;
                    }
                }
            }
            let projected = touched as f64 * (total as f64 / seen as f64);
            if touched > max_cells || (seen >= PIECE as u64 / 2 && projected > max_cells as f64) {
                return Ok(None);
            }
        }
        let mut out: Vec<Range<u64>> = Vec::new();
        let mut add = |lo: u64, hi: u64| match out.last_mut() {
            Some(r) if r.end >= lo => r.end = r.end.max(hi),
            _ => out.push(lo..hi),
        };
        if exact {
            exact_rows.sort_unstable();
            for r in exact_rows {
                add(r, r + 1);
            }
        } else {
            for (b, _) in buckets.iter().enumerate().filter(|(_, &m)| m) {
                add(b as u64 * lb, ((b as u64 + 1) * lb).min(self.nelements));
            }
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_put_nans_last() {
        let v = [1.0, 2.0, 2.0, 3.0, f64::NAN, f64::NAN];
        assert_eq!(prefix(&v, |x| x < 2.0), 1);
        assert_eq!(prefix(&v, |x| x <= 2.0), 3);
        assert_eq!(prefix(&v, |x| x <= f64::INFINITY), 4);
        assert_eq!(prefix(&v, |x| x < f64::NEG_INFINITY), 0);
    }

    #[test]
    fn values_convert_by_kind() {
        let b: Vec<u8> = [(1i64 << 53) + 1, -3].iter().flat_map(|v| v.to_ne_bytes()).collect();
        assert_eq!(to_f64(&Kind::Int { size: 8, signed: true }, &b), vec![(1u64 << 53) as f64, -3.0]);
        assert_eq!(to_f64(&Kind::Bool, &[0, 1, 2]), vec![0.0, 1.0, 1.0]);
    }
}
