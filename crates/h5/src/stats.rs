//! Chunk statistics (zone maps): for every zone of a table's rows (one chunk's worth) and
//! every numeric column indexed, the smallest and largest value and whether a NaN occurs.
//! A query skips every zone whose statistics rule its condition out.
//!
//! They live beside the table, in a hidden PyTables Table `_p_outcore_zones_<table>` (PyTables
//! hides `_p_` nodes from listings and walks; h5py shows an ordinary dataset), one row per
//! zone, and attributes saying which rows they cover. They are trusted only while they cover
//! exactly the table's rows: outcore's own appends and modifications keep them current; rows
//! appended or removed by another program leave them covering another count, and they are
//! ignored until `outcore index` builds them again.
//!
//! Integer bounds are stored as float64 rounded outward (the minimum down, the maximum up), so
//! that a bound is never tighter than the values it describes.

use crate::attrs::AttrValue;
use crate::error::Result;
use crate::file::{File, Leaf, Mode};
use crate::layout::{Field, Kind, Layout};

/// The prefix of a table's statistics node (in the table's group).
pub const ZONES_PREFIX: &str = "_p_outcore_zones_";
const VERSION: i64 = 1;
/// Bytes per column in a zone's record: min (f8), max (f8), nan (bool).
const COL_BYTES: usize = 17;

/// One column the statistics describe.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneColumn {
    /// The column's `/`-separated path.
    pub path: String,
    /// Its byte offset in the table's record.
    pub offset: usize,
    /// The column's kind.
    pub kind: Kind,
}

/// The statistics of one column in one zone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    /// The smallest value that is not NaN (`+inf` when there is none).
    pub min: f64,
    /// The largest value that is not NaN (`-inf` when there is none).
    pub max: f64,
    /// Whether some value is NaN.
    pub nan: bool,
}

impl Stat {
    /// No values.
    pub const EMPTY: Stat = Stat { min: f64::INFINITY, max: f64::NEG_INFINITY, nan: false };

    /// Whether no value (NaN aside) is described.
    pub fn is_empty(&self) -> bool {
        self.min > self.max
    }

    fn merge(self, o: Stat) -> Stat {
        Stat { min: self.min.min(o.min), max: self.max.max(o.max), nan: self.nan || o.nan }
    }
}

/// Whether outcore keeps statistics of a column of this kind.
pub fn zone_kind(kind: &Kind) -> bool {
    matches!(kind, Kind::Bool | Kind::Int { size: 1 | 2 | 4 | 8, .. } | Kind::Float { size: 4 | 8 })
}

/// Statistics of a table, zone by zone: all of them, or the zones from `first` on.
#[derive(Clone, Debug)]
pub struct Zones {
    /// Rows per zone (the table's chunk rows).
    pub zone_rows: usize,
    /// The rows the statistics cover (`0..rows`).
    pub rows: u64,
    /// The columns described.
    pub columns: Vec<ZoneColumn>,
    /// The number of the first zone held.
    first: usize,
    /// The held zones' records, `COL_BYTES` per column each.
    data: Vec<u8>,
    /// How many zones the stored node holds (0 for statistics not read from a file).
    stored: usize,
}

/// The largest float64 not above `v`.
fn down(v: i128) -> f64 {
    let f = v as f64;
    if (f as i128) > v {
        step(f, false)
    } else {
        f
    }
}

/// The smallest float64 not below `v`.
fn up(v: i128) -> f64 {
    let f = v as f64;
    if (f as i128) < v {
        step(f, true)
    } else {
        f
    }
}

/// The next float64 above (`up`) or below a finite `f`.
fn step(f: f64, up: bool) -> f64 {
    if f == 0.0 {
        let tiny = f64::from_bits(1);
        return if up { tiny } else { -tiny };
    }
    let bits = f.to_bits();
    let away = (f > 0.0) == up;
    f64::from_bits(if away { bits + 1 } else { bits - 1 })
}

/// The statistics of one column of packed records (`size` bytes each, the column at `offset`).
pub fn column_stat(kind: &Kind, offset: usize, size: usize, records: &[u8]) -> Stat {
    macro_rules! int {
        ($t:ty) => {{
            const N: usize = std::mem::size_of::<$t>();
            let (mut lo, mut hi) = (<$t>::MAX, <$t>::MIN);
            for r in records.chunks_exact(size) {
                let v = <$t>::from_le_bytes(r[offset..offset + N].try_into().expect("N bytes"));
                lo = lo.min(v);
                hi = hi.max(v);
            }
            if records.len() < size {
                Stat::EMPTY
            } else {
                Stat { min: down(lo as i128), max: up(hi as i128), nan: false }
            }
        }};
    }
    macro_rules! float {
        ($t:ty) => {{
            const N: usize = std::mem::size_of::<$t>();
            let (mut lo, mut hi, mut nan) = (f64::INFINITY, f64::NEG_INFINITY, false);
            for r in records.chunks_exact(size) {
                let v = <$t>::from_le_bytes(r[offset..offset + N].try_into().expect("N bytes")) as f64;
                nan |= v.is_nan();
                // min/max skip NaN.
                lo = lo.min(v);
                hi = hi.max(v);
            }
            Stat { min: lo, max: hi, nan }
        }};
    }
    match kind {
        Kind::Bool => {
            let (mut lo, mut hi) = (1u8, 0u8);
            for r in records.chunks_exact(size) {
                let v = (r[offset] != 0) as u8;
                lo = lo.min(v);
                hi = hi.max(v);
            }
            if lo > hi {
                Stat::EMPTY
            } else {
                Stat { min: lo as f64, max: hi as f64, nan: false }
            }
        }
        Kind::Int { size: 1, signed: true } => int!(i8),
        Kind::Int { size: 2, signed: true } => int!(i16),
        Kind::Int { size: 4, signed: true } => int!(i32),
        Kind::Int { size: 8, signed: true } => int!(i64),
        Kind::Int { size: 1, signed: false } => int!(u8),
        Kind::Int { size: 2, signed: false } => int!(u16),
        Kind::Int { size: 4, signed: false } => int!(u32),
        Kind::Int { size: 8, signed: false } => int!(u64),
        Kind::Float { size: 4 } => float!(f32),
        Kind::Float { size: 8 } => float!(f64),
        // Nothing is known: a range that rules nothing out.
        _ => Stat { min: f64::NEG_INFINITY, max: f64::INFINITY, nan: true },
    }
}

impl Zones {
    /// No zones yet, for `columns` of a table with `zone_rows` rows per zone.
    pub fn new(zone_rows: usize, columns: Vec<ZoneColumn>) -> Zones {
        Zones { zone_rows: zone_rows.max(1), rows: 0, columns, first: 0, data: Vec::new(), stored: 0 }
    }

    fn zone_bytes(&self) -> usize {
        COL_BYTES * self.columns.len()
    }

    /// The number of the first zone held.
    pub fn first(&self) -> usize {
        self.first
    }

    /// How many zones are held (from [`Zones::first`] on).
    pub fn held(&self) -> usize {
        self.data.len() / self.zone_bytes().max(1)
    }

    /// How many zones there are: those stored and those held past them.
    pub fn zones(&self) -> usize {
        self.stored.max(self.first + self.held())
    }

    /// The statistics of column `col` (an index into `columns`) in zone `zone`, if held.
    pub fn get(&self, zone: usize, col: usize) -> Option<Stat> {
        let z = zone.checked_sub(self.first).filter(|&z| z < self.held())?;
        let at = z * self.zone_bytes() + col * COL_BYTES;
        let r = &self.data[at..at + COL_BYTES];
        Some(Stat {
            min: f64::from_le_bytes(r[..8].try_into().ok()?),
            max: f64::from_le_bytes(r[8..16].try_into().ok()?),
            nan: r[16] != 0,
        })
    }

    fn set(&mut self, zone: usize, col: usize, s: Stat) {
        let at = (zone - self.first) * self.zone_bytes() + col * COL_BYTES;
        let r = &mut self.data[at..at + COL_BYTES];
        r[..8].copy_from_slice(&s.min.to_le_bytes());
        r[8..16].copy_from_slice(&s.max.to_le_bytes());
        r[16] = s.nan as u8;
    }

    /// Widens the statistics by records (`size` bytes each) written at rows `start..`, and
    /// extends what they cover to the end of them. The held zones must reach `start`'s.
    pub fn merge_records(&mut self, start: usize, records: &[u8], size: usize) {
        let n = records.len() / size.max(1);
        if n == 0 {
            return;
        }
        let zr = self.zone_rows;
        let last_zone = (start + n - 1) / zr;
        let need = (last_zone + 1).saturating_sub(self.first);
        if self.held() < need {
            let empty: Vec<u8> = (0..self.columns.len())
                .flat_map(|_| {
                    let mut b = [0u8; COL_BYTES];
                    b[..8].copy_from_slice(&f64::INFINITY.to_le_bytes());
                    b[8..16].copy_from_slice(&f64::NEG_INFINITY.to_le_bytes());
                    b
                })
                .collect();
            for _ in self.held()..need {
                self.data.extend_from_slice(&empty);
            }
        }
        let mut row = start;
        while row < start + n {
            let zone = row / zr;
            let end = ((zone + 1) * zr).min(start + n);
            let part = &records[(row - start) * size..(end - start) * size];
            for c in 0..self.columns.len() {
                let col = &self.columns[c];
                let s = column_stat(&col.kind, col.offset, size, part);
                let old = self.get(zone, c).unwrap_or(Stat::EMPTY);
                self.set(zone, c, old.merge(s));
            }
            row = end;
        }
        self.rows = self.rows.max((start + n) as u64);
    }

    /// Appends statistics of whole zones computed elsewhere (`stats[zone][col]`), after the
    /// ones held; `rows` is what they cover in all afterwards.
    pub fn push_zone(&mut self, stats: &[Stat]) {
        for s in stats {
            let mut b = [0u8; COL_BYTES];
            b[..8].copy_from_slice(&s.min.to_le_bytes());
            b[8..16].copy_from_slice(&s.max.to_le_bytes());
            b[16] = s.nan as u8;
            self.data.extend_from_slice(&b);
        }
    }

    /// Why these statistics cannot be trusted for `table` as it is now, or `None` if they can.
    pub fn untrusted(&self, table: &Leaf) -> Option<String> {
        let nrows = table.shape().first().copied().unwrap_or(0) as u64;
        if self.rows != nrows {
            return Some(format!(
                "they cover {} rows and the table has {nrows} (rows were added or removed by another program; \
                 run `outcore index` again)",
                self.rows
            ));
        }
        let zones = (self.rows as usize).div_ceil(self.zone_rows);
        if self.zones() != zones {
            return Some(format!("they hold {} zones where {zones} are needed", self.zones()));
        }
        let layout = match table.layout() {
            Ok(l) => l,
            Err(e) => return Some(e.to_string()),
        };
        for c in &self.columns {
            match layout.field(&c.path) {
                Some((offset, kind)) if offset == c.offset && *kind == c.kind => {}
                _ => return Some(format!("the table's column `{}` is not the one they describe", c.path)),
            }
        }
        None
    }

    /// The column's index among `columns`, by its offset in the record.
    pub fn column_at(&self, offset: usize, kind: &Kind) -> Option<usize> {
        self.columns.iter().position(|c| c.offset == offset && c.kind == *kind)
    }

    fn layout(&self) -> Layout {
        let mut fields = Vec::new();
        for i in 0..self.columns.len() {
            let at = i * COL_BYTES;
            fields.push(Field { name: format!("min{i}"), offset: at, kind: Kind::Float { size: 8 } });
            fields.push(Field { name: format!("max{i}"), offset: at + 8, kind: Kind::Float { size: 8 } });
            fields.push(Field { name: format!("nan{i}"), offset: at + 16, kind: Kind::Bool });
        }
        Layout { kind: Kind::Record(fields), size: self.zone_bytes() }
    }
}

/// A node path's parent group and its name (`/a/t` gives `/a` and `t`).
pub(crate) fn parent_and_name(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) | None => ("/", path.trim_start_matches('/')),
        Some(i) => (&path[..i], &path[i + 1..]),
    }
}

impl Leaf {
    /// The file this leaf lives in, as a handle of its own.
    pub(crate) fn file_handle(&self) -> Result<File> {
        let h5 = self.dataset().file().map_err(|e| self.node_err(e))?;
        let mode = if self.read_only() { Mode::Read } else { Mode::ReadWrite };
        Ok(File { h5, path: self.file_ref().to_path_buf(), mode })
    }

    /// The path of this table's statistics node.
    pub fn zones_path(&self) -> String {
        let (parent, name) = parent_and_name(self.path());
        crate::write::join(parent, &format!("{ZONES_PREFIX}{name}"))
    }

    /// Whether this leaf is itself a table's statistics.
    pub fn is_zones(&self) -> bool {
        parent_and_name(self.path()).1.starts_with(ZONES_PREFIX)
    }

    /// The table's statistics of the zones that hold `rows` (those stored), or `None` if it
    /// has none (or this leaf is no table). Damaged statistics are an error naming their node.
    pub fn zones_for(&self, rows: std::ops::Range<usize>) -> Result<Option<Zones>> {
        let Some((z, mut zones)) = self.zones_node()? else { return Ok(None) };
        let zr = zones.zone_rows;
        let from = (rows.start / zr).min(zones.stored);
        let to = rows.end.div_ceil(zr).clamp(from, zones.stored);
        zones.first = from;
        zones.data = z.read_records(from, to, 1)?;
        Ok(Some(zones))
    }

    /// The statistics node and what it says (no zones held yet), checked.
    fn zones_node(&self) -> Result<Option<(Leaf, Zones)>> {
        if self.is_zones() || self.class() != crate::file::LeafClass::Table {
            return Ok(None);
        }
        let f = self.file_handle()?;
        let path = self.zones_path();
        if !f.node_exists(&path) {
            return Ok(None);
        }
        let z = f.leaf(&path)?;
        let bad =
            |msg: String| z.node_err(format!("damaged statistics: {msg}; remove the node or run `outcore index`"));
        let attr = |name: &str| crate::file::read_attr(z.dataset(), z.file_ref(), name);
        if attr("OUTCORE_ZONES").and_then(|v| v.as_i64()) != Some(VERSION) {
            return Err(bad("no OUTCORE_ZONES version 1 attribute".into()));
        }
        let zone_rows = attr("ZONE_ROWS").and_then(|v| v.as_i64()).filter(|&v| v >= 1);
        let rows = attr("ROWS").and_then(|v| v.as_i64()).filter(|&v| v >= 0);
        let (Some(zone_rows), Some(rows)) = (zone_rows, rows) else {
            return Err(bad("ZONE_ROWS or ROWS missing or out of range".into()));
        };
        let layout = self.layout()?;
        let names = attr("COLUMNS").and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        let mut columns = Vec::new();
        for p in names.split('\n').filter(|p| !p.is_empty()) {
            match layout.field(p) {
                Some((offset, kind)) if zone_kind(kind) => {
                    columns.push(ZoneColumn { path: p.to_string(), offset, kind: kind.clone() })
                }
                // A column that is gone or changed kind: the statistics describe another table.
                _ => return Ok(None),
            }
        }
        let mut zones = Zones::new(zone_rows as usize, columns);
        zones.rows = rows as u64;
        if z.layout()? != zones.layout() {
            return Err(bad(format!("records are not {} columns' statistics", zones.columns.len())));
        }
        zones.stored = z.shape().first().copied().unwrap_or(0);
        Ok(Some((z, zones)))
    }

    /// Writes statistics for this table: the held zones over the stored ones (which must
    /// reach them), and what they cover. Statistics not read from the file (built anew)
    /// replace any stored ones.
    pub fn store_zones(&self, zones: &Zones) -> Result<()> {
        self.writable()?;
        let f = self.file_handle()?;
        let path = self.zones_path();
        let exists = f.node_exists(&path);
        let z = if zones.stored == 0 || !exists {
            if zones.first != 0 {
                return Err(self.node_err("internal: statistics stored from a zone past the first"));
            }
            if exists {
                f.remove_node(&path)?;
            }
            let (parent, _) = parent_and_name(&path);
            let name = &path[path.rfind('/').map_or(0, |i| i + 1)..];
            let z =
                f.create_table(parent, name, &zones.layout(), 1024, Some(1024), None, "outcore chunk statistics")?;
            let cols = zones.columns.iter().map(|c| c.path.as_str()).collect::<Vec<_>>().join("\n");
            f.set_attr(&path, "OUTCORE_ZONES", &AttrValue::Int(VERSION))?;
            f.set_attr(&path, "ZONE_ROWS", &AttrValue::Int(zones.zone_rows as i64))?;
            f.set_attr(&path, "COLUMNS", &AttrValue::Str(cols))?;
            f.set_attr(&path, "TABLE", &AttrValue::Str(parent_and_name(self.path()).1.to_string()))?;
            z
        } else {
            f.leaf(&path)?
        };
        let stored = z.shape().first().copied().unwrap_or(0);
        if zones.first > stored {
            return Err(z.node_err(format!("internal: zones from {} stored after {stored}", zones.first)));
        }
        let zb = zones.zone_bytes();
        let overlap = (stored - zones.first).min(zones.held());
        if overlap > 0 {
            z.modify_plain(zones.first, &zones.data[..overlap * zb])?;
        }
        if zones.held() > overlap {
            z.append_plain(&zones.data[overlap * zb..])?;
        }
        f.set_attr(&path, "ROWS", &AttrValue::Int(zones.rows as i64))
    }

    /// Widens this table's statistics by `records` written at rows `rows` (ascending), as
    /// [`Leaf::widen_zones`] does for contiguous rows: one read and one write of the zones
    /// between the first row's and the last's.
    pub fn widen_zones_at(&self, rows: &[u64], records: &[u8], rows_before: usize) -> Result<()> {
        let (Some(&lo), Some(&hi)) = (rows.first(), rows.last()) else { return Ok(()) };
        let Some((z, mut zones)) = self.zones_node()? else { return Ok(()) };
        let zr = zones.zone_rows;
        if zones.rows as usize != rows_before || zones.stored != rows_before.div_ceil(zr) {
            return Ok(());
        }
        let size = self.layout()?.size.max(1);
        let from = (lo as usize / zr).min(zones.stored);
        let to = (hi as usize / zr + 1).clamp(from, zones.stored);
        zones.first = from;
        zones.data = z.read_records(from, to, 1)?;
        for (&row, rec) in rows.iter().zip(records.chunks_exact(size)) {
            zones.merge_records(row as usize, rec, size);
        }
        self.store_zones(&zones)
    }

    /// Widens this table's statistics by `records` written at row `start`, if it has
    /// statistics that cover every row before `start` and are current (`rows_before`: the
    /// table's rows before the write). Statistics that are stale stay as they are (ignored).
    pub fn widen_zones(&self, start: usize, records: &[u8], rows_before: usize) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let Some((z, mut zones)) = self.zones_node()? else { return Ok(()) };
        let zr = zones.zone_rows;
        if zones.rows as usize != rows_before || zones.stored != rows_before.div_ceil(zr) {
            return Ok(());
        }
        // Only the zones the write touches are read and written back.
        let from = (start / zr).min(zones.stored);
        let to = (start + records.len() / self.layout()?.size.max(1)).div_ceil(zr).clamp(from, zones.stored);
        zones.first = from;
        zones.data = z.read_records(from, to, 1)?;
        let size = self.layout()?.size;
        zones.merge_records(start, records, size);
        self.store_zones(&zones)
    }
}

impl Leaf {
    /// Marks every PyTables index of this table (the `INDEX` groups under `_i_<table>` beside
    /// it) dirty, as PyTables does for rows an index does not cover: PyTables then answers
    /// from the table instead (`will_query_use_indexing` drops the column) until it reindexes
    /// (`Table.reindex_dirty()`, or its next flush with `autoindex`). Without this, PyTables'
    /// indexed queries would miss rows outcore appended or changed. Returns how many indexes
    /// there are.
    pub fn mark_pytables_indexes_dirty(&self) -> Result<usize> {
        if self.is_zones() || self.class() != crate::file::LeafClass::Table {
            return Ok(0);
        }
        let (parent, name) = parent_and_name(self.path());
        let top = crate::write::join(parent, &format!("_i_{name}"));
        let f = self.file_handle()?;
        if !f.node_exists(&top) {
            return Ok(0);
        }
        self.writable()?;
        let (mut n, mut groups) = (0, vec![f.group(&top)?]);
        while let Some(g) = groups.pop() {
            for child in g.children()? {
                let crate::file::Node::Group(c) = g.child(&child)? else { continue };
                let attrs = c.attrs()?;
                let class = attrs.iter().find(|(k, _)| k == "CLASS").and_then(|(_, v)| v.as_str().map(String::from));
                if class.as_deref() != Some("INDEX") {
                    groups.push(c);
                    continue;
                }
                n += 1;
                let dirty = attrs.iter().find(|(k, _)| k == "DIRTY").and_then(|(_, v)| v.as_i64());
                if dirty != Some(1) {
                    f.set_attr(c.path(), "DIRTY", &AttrValue::Int(1))?;
                }
            }
        }
        Ok(n)
    }
}
