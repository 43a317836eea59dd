//! In-kernel table queries, PyTables' `where`, `read_where`, `get_where_list` and
//! `append_where`: a condition compiled once, the table's chunks streamed through the workers,
//! only the columns the condition reads pulled out of the decoded records, a mask evaluated per
//! slab and turned into row numbers or gathered records, delivered in row order.

use std::sync::Arc;

use outcore_expr::ast::{Expr as Ast, ExprKind};
use outcore_expr::{DType, ErrorKind, Span, Value, VarInfo};
use outcore_h5::{File, Filters, Kind, Layout, Leaf};
use outcore_vm::stream::eval_slab;
use outcore_vm::{Arg, Owned, Prepared, Worker};

use crate::array::Operand;
use crate::error::{Error, Result};
use crate::field::{kind_name, FieldValue, Mismatch};
use crate::ooc::RowRange;
use crate::source::{compute_dtype, Buf, H5Operand, Reader, Rows as Slab, Scratch};
use crate::stream::{self, Flow, Shape};

/// A table of an HDF5 file, ready for queries: PyTables' `Table` (reads, `where`,
/// `read_where`, `get_where_list`, `append_where`, appends, its indexes).
///
/// ```
/// use outcore::h5::{File, Mode, Schema};
/// use outcore::{vars, Table};
/// let path = std::env::temp_dir().join(format!("doc-table-{}.h5", std::process::id()));
/// let f = File::open(&path, Mode::Write)?;
/// let layout = Schema::new().int64("id").float64("energy").layout();
/// f.create_table("/", "events", &layout, 10_000, None, None, "events")?;
/// let t = Table::open(&f, "/events")?;
/// let mut row = t.row();
/// for i in 0..10_000i64 {
///     row.set("id", i)?.set("energy", (i % 100) as f64)?;
///     row.append()?;
/// }
/// row.flush()?;
/// let hot = t.get_where_list("energy > lim", &vars! {"lim" => 98.0}, ..)?;
/// assert_eq!(hot.len(), 100);
/// let ids = t.read_where("energy > 98", &[], Some("id"), 0..1000)?.values::<i64>()?;
/// assert_eq!(ids, (0..10).map(|k| k * 100 + 99).collect::<Vec<i64>>());
/// # drop(row); drop((t, f)); std::fs::remove_file(&path).ok();
/// # Ok::<(), outcore::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Table {
    leaf: Leaf,
    layout: Layout,
    threads: Option<usize>,
    progress: Option<crate::stream::Progress>,
    /// Whether queries may use PyTables' indexes (on unless [`Table::use_indexes`] says no).
    indexes: bool,
    /// The PyTables indexes queries opened, kept for the next ones.
    index_cache: Arc<crate::indexes::IndexCache>,
    /// Rows updated (`row.update()`) and not yet written, shared by the table's clones.
    updates: Arc<std::sync::Mutex<Updates>>,
}

/// Row updates waiting to be written together (PyTables' `row.update()` buffers too): rows
/// ascending, their records packed; the first failure to write them, until it is reported.
#[derive(Debug, Default)]
struct Updates {
    rows: Vec<u64>,
    data: Vec<u8>,
    failed: Option<Error>,
}

/// Updates written together: one library call decodes and encodes each chunk touched once.
const UPDATE_BATCH: usize = 8192;

/// Where a condition variable's values come from.
#[derive(Clone, Debug)]
enum Src {
    /// A column of the table: its offset in the record and stored kind.
    Column {
        offset: usize,
        kind: Kind,
    },
    Scalar(Value),
    /// An input no stage reads.
    Unused(DType),
}

/// A compiled query: everything a scan needs, owned, so it can run on its own threads.
struct Query {
    table: Table,
    program: Prepared,
    srcs: Vec<Src>,
    reader: Reader,
    /// The slabs to read, in row order: the range's, less those the statistics rule out.
    jobs: Vec<Slab>,
    explain: crate::zones::Explain,
    shape: Shape,
}

/// What a scan keeps of each slab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Count,
    Coords,
    /// Whole records, followed by 64 bytes of padding (rows copy a fixed 64 bytes).
    Records,
    /// One field: offset and width in the record.
    Field(usize, usize),
}

/// One slab's matches: row numbers and (for records or a field) their bytes.
#[derive(Debug, Default)]
struct Hits {
    coords: Vec<u64>,
    count: u64,
    data: Vec<u8>,
}

/// Records read by a query: packed, in the table's layout (or one field's values).
#[derive(Clone, Debug, PartialEq)]
pub struct Records {
    /// The row number of each record.
    pub coords: Vec<u64>,
    /// The kind of one element: the table's record, or the field asked for.
    pub kind: Kind,
    /// Bytes per element.
    pub size: usize,
    /// The records (or one field's values), packed, `size` bytes each.
    pub data: Vec<u8>,
    layout: Option<Layout>,
}

impl Records {
    /// The number of elements.
    pub fn len(&self) -> usize {
        self.coords.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.coords.is_empty()
    }
    /// Every record (or field value), packed, in order.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// Element `i`'s bytes.
    pub fn bytes(&self, i: usize) -> Option<&[u8]> {
        self.data.get(i * self.size..(i + 1) * self.size)
    }

    /// Field `path` of record `i` (when whole records were read), or element `i` (when one
    /// field was read and `path` is empty).
    pub fn get<T: FieldValue>(&self, i: usize, path: &str) -> Result<T> {
        let rec = self
            .bytes(i)
            .ok_or_else(|| Error::new(crate::ErrorKind::Range, format!("no record {i} (there are {})", self.len())))?;
        match (&self.layout, path) {
            (_, "") => T::decode(&self.kind, rec).map_err(|m| mismatch::<T>("the values read", &self.kind, m, false)),
            (Some(layout), p) => field_of::<T>(layout, rec, p),
            (None, p) => Err(Error::name(format!("one field was read; `{p}` is not available"))),
        }
    }

    /// Every element as `T` (one field read, or records of one scalar kind).
    pub fn values<T: FieldValue>(&self) -> Result<Vec<T>> {
        (0..self.len()).map(|i| self.get::<T>(i, "")).collect()
    }

    /// Column `path` of every record (when whole records were read) as an array of `T`
    /// (`""` when one field was read): PyTables' `records['col2']`.
    pub fn column<T: FieldValue>(&self, path: &str) -> Result<ndarray::Array1<T>> {
        (0..self.len()).map(|i| self.get::<T>(i, path)).collect::<Result<Vec<T>>>().map(ndarray::Array1::from)
    }
}

fn mismatch<T: FieldValue>(what: &str, kind: &Kind, m: Mismatch, write: bool) -> Error {
    let k = kind_name(kind);
    let t = T::NAME;
    let kind = match &m {
        Mismatch::Type => crate::ErrorKind::Type,
        Mismatch::Range(_) => crate::ErrorKind::Range,
        Mismatch::Short => crate::ErrorKind::Storage,
    };
    Error::new(
        kind,
        match (m, write) {
            (Mismatch::Type, false) => format!("{what} is {k}; it cannot be read as {t}"),
            (Mismatch::Type, true) => format!("{what} is {k}; a {t} value cannot be stored in it"),
            (Mismatch::Range(v), false) => format!("{what} holds {v}, which does not fit in {t}"),
            (Mismatch::Range(v), true) => format!("{what} is {k}; {v} does not fit in it"),
            (Mismatch::Short, _) => format!("{what}: a record shorter than its {k} field (a damaged table?)"),
        },
    )
}

fn field_of<T: FieldValue>(layout: &Layout, rec: &[u8], path: &str) -> Result<T> {
    let (offset, kind) = layout
        .field(path)
        .ok_or_else(|| Error::name(format!("no column `{path}` (columns: {})", layout.columns().join(", "))))?;
    let bytes =
        rec.get(offset..offset + kind.size()).ok_or_else(|| Error::new(crate::ErrorKind::Storage, "a short record"))?;
    T::decode(kind, bytes).map_err(|m| mismatch::<T>(&format!("column `{path}`"), kind, m, false))
}

/// A new row being filled, to append to a table: PyTables' `table.row` with `row['x'] = v`
/// and `row.append()` ([`Table::row`]). Fields start at the table's defaults (its fill value);
/// rows appended are buffered and written by [`NewRow::flush`], by the table's next read,
/// query or flush, or when the `NewRow` is dropped.
///
/// ```no_run
/// # fn main() -> outcore::Result<()> {
/// use outcore::h5::{File, Mode, Schema};
/// let f = File::open("log.h5", Mode::Write)?;
/// let schema = Schema::new().int64("time").float64("energy").string("name", 8);
/// f.create_table("/", "t", &schema.layout(), 1000, None, None, "a log")?;
/// let t = outcore::Table::open(&f, "/t")?;
/// let mut row = t.row();
/// for i in 0..1000i64 {
///     row.set("time", i)?.set("energy", i as f64 * 0.5)?.set("name", "sensor".to_string())?;
///     row.append()?;
/// }
/// row.flush()?;
/// assert_eq!(t.nrows(), 1000);
/// # Ok(()) }
/// ```
pub struct NewRow<'t> {
    table: &'t Table,
    record: Vec<u8>,
    defaults: Vec<u8>,
    pending: Vec<u8>,
}

/// Rows buffered before a write: about 1 MiB.
const APPEND_BATCH_BYTES: usize = 1 << 20;

impl<'t> NewRow<'t> {
    /// Sets a field (`"energy"`, `"pos/x"`), converting the value to the column's type as
    /// outputs are converted (an error names the column and both types).
    pub fn set<T: FieldValue>(&mut self, path: &str, value: T) -> Result<&mut Self> {
        let layout = &self.table.layout;
        let (offset, kind) = layout
            .field(path)
            .ok_or_else(|| Error::name(format!("no column `{path}` (columns: {})", layout.columns().join(", "))))?;
        value
            .encode(kind, &mut self.record[offset..offset + kind.size()])
            .map_err(|m| mismatch::<T>(&format!("column `{path}`"), kind, m, true))?;
        Ok(self)
    }

    /// A field of the row as filled so far.
    pub fn get<T: FieldValue>(&self, path: &str) -> Result<T> {
        field_of::<T>(&self.table.layout, &self.record, path)
    }

    /// Appends the row (buffered) and starts the next one at the defaults.
    pub fn append(&mut self) -> Result<()> {
        self.pending.extend_from_slice(&self.record);
        self.record.copy_from_slice(&self.defaults);
        if self.pending.len() >= APPEND_BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the rows appended so far to the table.
    pub fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let r = self.table.append_records(&self.pending);
        self.pending.clear();
        r
    }
}

impl std::fmt::Debug for NewRow<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rows = self.pending.len() / self.table.layout.size.max(1);
        write!(f, "NewRow({:?}, {rows} rows buffered)", self.table.leaf)
    }
}

impl Drop for NewRow<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            if let Ok(mut u) = self.table.updates.lock() {
                u.failed.get_or_insert(e);
            }
        }
    }
}

/// One row a `where_` scan found: its number, its record, typed field access, and updates.
#[derive(Clone, Debug)]
pub struct Row<'t> {
    nrow: u64,
    record: Record,
    changed: bool,
    table: &'t Table,
}

/// A record's bytes, inline when short (no allocation per row).
#[derive(Clone, Debug)]
enum Record {
    Inline([u8; 64], u8),
    Heap(Vec<u8>),
}

impl Record {
    /// The `size` bytes at `at`; `data` holds 64 bytes of padding after its last record, so
    /// a short record is one fixed 64-byte copy.
    fn at(data: &[u8], at: usize, size: usize) -> Record {
        match data.get(at..at + 64) {
            Some(b) if size <= 64 => {
                let mut a = [0u8; 64];
                a.copy_from_slice(b);
                Record::Inline(a, size as u8)
            }
            _ => Record::new(&data[at..at + size]),
        }
    }

    fn new(b: &[u8]) -> Record {
        if b.len() <= 64 {
            let mut a = [0u8; 64];
            a[..b.len()].copy_from_slice(b);
            Record::Inline(a, b.len() as u8)
        } else {
            Record::Heap(b.to_vec())
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Record::Inline(a, n) => &a[..*n as usize],
            Record::Heap(v) => v,
        }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Record::Inline(a, n) => &mut a[..*n as usize],
            Record::Heap(v) => v,
        }
    }
}

impl Row<'_> {
    /// The row's number in the table.
    pub fn nrow(&self) -> u64 {
        self.nrow
    }

    /// The whole record, packed in the table's layout.
    pub fn record(&self) -> &[u8] {
        self.record.bytes()
    }

    /// A field by its path (`"col2"`, `"location/lat"`).
    pub fn get<T: FieldValue>(&self, path: &str) -> Result<T> {
        field_of::<T>(&self.table.layout, self.record(), path)
    }

    /// Sets a field in this row's copy; `update` writes it to the table.
    pub fn set<T: FieldValue>(&mut self, path: &str, value: T) -> Result<()> {
        let layout = &self.table.layout;
        let (offset, kind) = layout
            .field(path)
            .ok_or_else(|| Error::name(format!("no column `{path}` (columns: {})", layout.columns().join(", "))))?;
        value
            .encode(kind, &mut self.record.bytes_mut()[offset..offset + kind.size()])
            .map_err(|m| mismatch::<T>(&format!("column `{path}`"), kind, m, true))?;
        self.changed = true;
        Ok(())
    }

    /// Writes the row's changes to the table (PyTables' `row.update()`); `Table::flush`
    /// makes them durable.
    ///
    /// Updates are written in batches, a few thousand rows at a time, at the end of the
    /// iteration, and before the table is read, queried or flushed again.
    pub fn update(&mut self) -> Result<()> {
        if self.changed {
            self.table.queue_update(self.nrow, self.record.bytes())?;
            self.changed = false;
        }
        Ok(())
    }
}

/// A scan running ahead on its own thread, a bounded number of slabs ahead of the consumer:
/// owns its compiled query, so it borrows nothing.
struct Scan {
    /// The compiled query, until the scan starts (on the first `next`).
    query: Option<Arc<Query>>,
    rx: crossbeam_channel::Receiver<Result<Hits>>,
    done: bool,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Scan {
    fn new(q: Query) -> Scan {
        let (_, rx) = crossbeam_channel::bounded(0);
        Scan { query: Some(Arc::new(q)), rx, done: false, worker: None }
    }

    /// Starts the scan on its own thread.
    fn start(&mut self) {
        let Some(q) = self.query.take() else { return };
        let (tx, rx) = crossbeam_channel::bounded::<Result<Hits>>(q.shape.window);
        self.rx = rx;
        self.worker = Some(std::thread::spawn(move || {
            let tx2 = tx.clone();
            let r = q.scan(Want::Records, |h| Ok(if tx2.send(Ok(h)).is_err() { Flow::Stop } else { Flow::Continue }));
            if let Err(e) = r {
                let _ = tx.send(Err(e));
            }
        }));
    }

    /// The next slab's matches; `None` at the end (and after an error).
    fn next_hits(&mut self) -> Option<Result<Hits>> {
        self.start();
        if self.done {
            return None;
        }
        match self.rx.recv() {
            Ok(Ok(h)) => Some(Ok(h)),
            Ok(Err(e)) => {
                self.done = true;
                Some(Err(e))
            }
            Err(_) => {
                self.done = true;
                None
            }
        }
    }
}

impl Drop for Scan {
    fn drop(&mut self) {
        // Closing the channel stops the scan at its next slab.
        let (_, rx) = crossbeam_channel::bounded(0);
        self.rx = rx;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// The rows a condition selects, in row order (see [`Table::where_`]). The scan runs ahead
/// on its own threads, a bounded number of slabs at a time.
pub struct RowIter<'t> {
    scan: Scan,
    cur: Hits,
    pos: usize,
    table: &'t Table,
}

impl<'t> Iterator for RowIter<'t> {
    type Item = Result<Row<'t>>;

    fn count(self) -> usize {
        self.count_rest()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left(), if self.scan.done { Some(self.left()) } else { None })
    }

    fn next(&mut self) -> Option<Result<Row<'t>>> {
        loop {
            if self.pos < self.cur.coords.len() {
                let i = self.pos;
                self.pos += 1;
                let size = self.table.layout.size;
                return Some(Ok(Row {
                    nrow: self.cur.coords[i],
                    record: Record::at(&self.cur.data, i * size, size),
                    changed: false,
                    table: self.table,
                }));
            }
            match self.scan.next_hits() {
                Some(Ok(h)) => {
                    self.cur = h;
                    self.pos = 0;
                }
                Some(Err(e)) => return Some(Err(e)),
                // The end: the rows updated are written (a failure is the last item).
                None => return self.table.settle().err().map(Err),
            }
        }
    }
}

impl Drop for RowIter<'_> {
    fn drop(&mut self) {
        self.table.settle_later();
    }
}

impl RowIter<'_> {
    /// The rows left in the slab at hand.
    fn left(&self) -> usize {
        self.cur.coords.len().saturating_sub(self.pos)
    }

    /// Counts the remaining rows without building them (as `Iterator::count` does, an error
    /// counts as one item and ends the iteration). Before any row is taken, the scan only
    /// counts.
    fn count_rest(mut self) -> usize {
        if let Some(q) = self.scan.query.take() {
            let mut n = 0;
            return match q.scan(Want::Count, |h| {
                n += h.count as usize;
                Ok(Flow::Continue)
            }) {
                Ok(()) => n,
                Err(_) => n + 1,
            };
        }
        let mut n = self.left();
        self.pos = self.cur.coords.len();
        while let Some(r) = self.scan.next_hits() {
            n += r.map_or(1, |h| h.coords.len());
        }
        n
    }
}

/// The records a condition selects, a slab at a time and in row order (see
/// [`Table::where_batches`]): each item holds a few thousand rows' numbers and records. It
/// owns its scan and borrows nothing, so a long-lived object or another thread can hold it.
pub struct Batches {
    scan: Scan,
    layout: Layout,
}

impl Iterator for Batches {
    type Item = Result<Records>;

    fn next(&mut self) -> Option<Result<Records>> {
        loop {
            let mut h = match self.scan.next_hits()? {
                Ok(h) => h,
                Err(e) => return Some(Err(e)),
            };
            if h.coords.is_empty() {
                continue;
            }
            let size = self.layout.size;
            h.data.truncate(h.coords.len() * size);
            let layout = Some(self.layout.clone());
            return Some(Ok(Records { coords: h.coords, kind: self.layout.kind.clone(), size, data: h.data, layout }));
        }
    }
}

/// Every row of a range of a table, in order (see [`Table::iterrows`]): rows are read a
/// slab at a time, so memory stays flat however long the table.
pub struct Rows<'t> {
    table: &'t Table,
    first: usize,
    step: usize,
    n: usize,
    /// Rows handed out so far.
    pos: usize,
    /// The slab at hand: its first position (in `0..n`) and its packed records.
    slab: (usize, Vec<u8>),
    /// Whether the rows updated were written at the end.
    settled: bool,
}

impl Drop for Rows<'_> {
    fn drop(&mut self) {
        self.table.settle_later();
    }
}

impl<'t> Rows<'t> {
    /// Rows per read: about 1 MiB of records.
    fn slab_rows(&self) -> usize {
        ((1 << 20) / self.table.layout.size.max(1)).max(1)
    }
}

impl<'t> Iterator for Rows<'t> {
    type Item = Result<Row<'t>>;

    fn next(&mut self) -> Option<Result<Row<'t>>> {
        if self.pos >= self.n {
            if !self.settled {
                self.settled = true;
                return self.table.settle().err().map(Err);
            }
            return None;
        }
        let size = self.table.layout.size;
        let (start, data) = &self.slab;
        if self.pos >= start + data.len() / size.max(1) || data.is_empty() {
            let k = self.slab_rows().min(self.n - self.pos);
            let lo = self.first + self.pos * self.step;
            match self.table.leaf.read_records(lo, lo + (k - 1) * self.step + 1, self.step) {
                Ok(d) => self.slab = (self.pos, d),
                Err(e) => {
                    self.pos = self.n;
                    return Some(Err(e.into()));
                }
            }
        }
        let i = self.pos - self.slab.0;
        let bytes = self.slab.1.get(i * size..(i + 1) * size)?;
        let row = Row {
            nrow: (self.first + self.pos * self.step) as u64,
            record: Record::new(bytes),
            changed: false,
            table: self.table,
        };
        self.pos += 1;
        Some(Ok(row))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.n - self.pos, Some(self.n - self.pos))
    }
}

impl ExactSizeIterator for Rows<'_> {}

/// Finds the span of the first use of `name` in the condition.
fn name_span(ast: &Ast, name: &str) -> Option<Span> {
    match &ast.kind {
        ExprKind::Name(n) if n == name => Some(ast.span),
        ExprKind::Unary(_, x) => name_span(x, name),
        ExprKind::Binary(_, l, r) => name_span(l, name).or_else(|| name_span(r, name)),
        ExprKind::Call { args, .. } => args.iter().find_map(|a| name_span(a, name)),
        _ => None,
    }
}

fn cond_err(cond: &str, kind: ErrorKind, span: Span) -> Error {
    Error::Expr(outcore_expr::Error::new(kind, cond, span))
}

impl Table {
    /// A table leaf (its values must be records).
    pub fn new(leaf: &Leaf) -> Result<Table> {
        let layout = leaf.layout()?;
        if !matches!(layout.kind, Kind::Record(_)) {
            return Err(crate::source::h5err(leaf, "", "is not a table (its values are not records)"));
        }
        Ok(Table {
            leaf: leaf.clone(),
            layout,
            threads: None,
            progress: None,
            indexes: true,
            index_cache: Default::default(),
            updates: Default::default(),
        })
    }

    /// The table at `path` of `file`.
    pub fn open(file: &File, path: &str) -> Result<Table> {
        Table::new(&file.leaf(path)?)
    }

    /// Worker threads for scans (default: one per core).
    pub fn threads(mut self, n: usize) -> Table {
        self.threads = Some(n.max(1));
        self
    }

    pub(crate) fn index_cache(&self) -> &crate::indexes::IndexCache {
        &self.index_cache
    }

    /// A new row to fill and append (PyTables' `table.row`): see [`NewRow`].
    pub fn row(&self) -> NewRow<'_> {
        let defaults = self.leaf.fill_bytes(self.layout.size);
        NewRow { table: self, record: defaults.clone(), defaults, pending: Vec::new() }
    }

    /// Appends packed records (`layout().size` bytes each) at the end of the table; its chunk
    /// statistics grow with them and its PyTables indexes are marked dirty.
    pub fn append_records(&self, records: &[u8]) -> Result<()> {
        self.settle()?;
        Ok(self.leaf.append_records(records)?)
    }

    /// Whether queries may use the table's PyTables indexes (default: yes, when the planner
    /// finds them cheaper than a scan). Off, every query scans (chunk statistics still apply).
    pub fn use_indexes(mut self, on: bool) -> Table {
        self.indexes = on;
        self
    }

    /// Tells `p` how far each scan has come (slabs done, slabs in all).
    pub fn on_progress(mut self, p: crate::stream::Progress) -> Table {
        self.progress = Some(p);
        self
    }

    /// The table's HDF5 leaf.
    pub fn leaf(&self) -> &Leaf {
        &self.leaf
    }

    /// The layout of one record: its columns, their kinds and byte offsets.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// How scans of this table are shaped (threads, progress).
    pub(crate) fn shape(&self) -> Shape {
        Shape::new(self.threads, self.progress.clone())
    }

    /// The number of rows.
    pub fn nrows(&self) -> usize {
        self.leaf.shape().first().copied().unwrap_or(0)
    }

    /// A column, to bind in an expression or a condition (`"location/lat"`).
    pub fn col(&self, path: &str) -> Result<outcore_h5::Column> {
        Ok(self.leaf.col(path)?)
    }

    /// Every row of `range`, in order, as PyTables' `Table.iterrows(start, stop, step)`:
    /// typed field access and `row.update()`, as for the rows of [`Table::where_`].
    pub fn iterrows(&self, range: impl Into<RowRange>) -> Result<Rows<'_>> {
        let (first, step, n) = range.into().resolve(self.nrows())?;
        self.settle()?;
        Ok(Rows { table: self, first, step, n, pos: 0, slab: (0, Vec::new()), settled: false })
    }

    /// The rows matching `cond` among rows `range`, with condition variables: PyTables'
    /// `Table.where(condition, condvars, start, stop, step)` in one call.
    pub fn where_vars(
        &self,
        cond: &str,
        vars: &[(String, Operand<'_>)],
        range: impl Into<RowRange>,
    ) -> Result<RowIter<'_>> {
        let q = self.compile(cond, vars, range.into())?;
        Ok(RowIter { scan: Scan::new(q), cur: Hits::default(), pos: 0, table: self })
    }

    /// Rows `range` (`..` for all, `10..20`, `RowRange::from(0..).step(3)`), as PyTables'
    /// `Table.read(start, stop, step)`: whole records with their row numbers.
    pub fn read(&self, range: impl Into<RowRange>) -> Result<Records> {
        self.settle()?;
        let (first, step, n) = range.into().resolve(self.nrows())?;
        let data = if n == 0 { Vec::new() } else { self.leaf.read_records(first, first + (n - 1) * step + 1, step)? };
        let coords = (0..n).map(|i| (first + i * step) as u64).collect();
        let size = self.layout.size;
        Ok(Records { coords, kind: self.layout.kind.clone(), size, data, layout: Some(self.layout.clone()) })
    }

    /// The rows in the order of column `sortby`, by its completely sorted PyTables index
    /// (PyTables' `Table.read_sorted`; [`Table::create_csindex`] writes one): `range` selects
    /// positions in that order (a positive step), and each record's
    /// coordinate is its row. A column without such an index, or whose index is dirty, is an
    /// error naming the column.
    pub fn read_sorted(&self, sortby: &str, range: impl Into<RowRange>) -> Result<Records> {
        self.settle()?;
        let ix = match self.leaf.pytables_index(sortby)? {
            outcore_h5::Lookup::Found(ix) if ix.exact() && ix.is_csi() => ix,
            outcore_h5::Lookup::Ignored(why) => return Err(Error::new(crate::ErrorKind::Unsupported, why)),
            _ => {
                return Err(Error::new(
                    crate::ErrorKind::Unsupported,
                    format!(
                        "column `{sortby}` of {} has no completely sorted index (Table::create_csindex writes one)",
                        self.leaf.path()
                    ),
                ))
            }
        };
        let n = ix.nelements() as usize;
        if n != self.nrows() {
            let msg = format!("the index of `{sortby}` covers {n} of the {} rows", self.nrows());
            return Err(Error::new(crate::ErrorKind::Unsupported, msg));
        }
        let (first, step, count) = range.into().resolve(n)?;
        let coords: Vec<u64> = if count == 0 {
            Vec::new()
        } else {
            let rows = ix.sorted_rows(first as u64, (first + (count - 1) * step + 1) as u64)?;
            rows.into_iter().step_by(step).collect()
        };
        let data = self.leaf.read_coords(&coords)?;
        let size = self.layout.size;
        Ok(Records { coords, kind: self.layout.kind.clone(), size, data, layout: Some(self.layout.clone()) })
    }

    /// Column `path` of rows `range` as an array of `T` (PyTables' `Table.col(name)` and
    /// `Table.read(field=name)`), converted by the `same_kind` rule of [`FieldValue`].
    pub fn column<T: FieldValue>(&self, path: &str, range: impl Into<RowRange>) -> Result<ndarray::Array1<T>> {
        if self.layout.field(path).is_none() {
            let columns = self.layout.columns().join(", ");
            return Err(Error::name(format!("no column `{path}` (columns: {columns})")));
        }
        self.read(range)?.column(path)
    }

    /// Makes the table's changes durable (row updates waiting to be written first).
    pub fn flush(&self) -> Result<()> {
        self.settle()?;
        Ok(self.leaf.flush_file()?)
    }

    /// Overwrites row `nrow` with `record` (packed in the table's layout), batched as
    /// [`Row::update`] is: written with the other rows waiting when a few thousand are, when
    /// the table is next read, queried or flushed, or by [`Table::flush_updates`].
    pub fn update_row(&self, nrow: u64, record: &[u8]) -> Result<()> {
        if record.len() != self.layout.size {
            return Err(Error::shape(format!(
                "a record of {} bytes; the table's are {}",
                record.len(),
                self.layout.size
            )));
        }
        self.queue_update(nrow, record)
    }

    /// Writes the row updates waiting ([`Row::update`], [`Table::update_row`]), and reports
    /// a failure to write earlier ones.
    pub fn flush_updates(&self) -> Result<()> {
        self.settle()
    }

    /// Queues a row's update; writes the batch when it is full, or first when `nrow` does not
    /// follow the batch's rows.
    fn queue_update(&self, nrow: u64, record: &[u8]) -> Result<()> {
        // Refused now, not when the batch is written.
        if self.leaf.read_only() {
            return Err(outcore_h5::Error::ReadOnly {
                file: self.leaf.file_path().to_path_buf(),
                node: self.leaf.path().to_string(),
                hint: "",
            }
            .into());
        }
        if nrow as usize >= self.nrows() {
            return Err(Error::new(
                crate::ErrorKind::Range,
                format!("row {nrow} is past the end of {} ({} rows)", self.leaf.path(), self.nrows()),
            ));
        }
        let mut u = self.updates.lock().map_err(|_| Error::internal("row updates poisoned"))?;
        if let Some(e) = u.failed.take() {
            return Err(e);
        }
        if u.rows.last().is_some_and(|&last| last >= nrow) {
            self.write_updates(&mut u)?;
        }
        u.rows.push(nrow);
        u.data.extend_from_slice(record);
        if u.rows.len() >= UPDATE_BATCH {
            self.write_updates(&mut u)?;
        }
        Ok(())
    }

    fn write_updates(&self, u: &mut Updates) -> Result<()> {
        if u.rows.is_empty() {
            return Ok(());
        }
        let r = self.leaf.modify_rows_at(&u.rows, &u.data);
        u.rows.clear();
        u.data.clear();
        Ok(r?)
    }

    /// Writes the row updates waiting, and reports a failure to write earlier ones.
    fn settle(&self) -> Result<()> {
        let mut u = self.updates.lock().map_err(|_| Error::internal("row updates poisoned"))?;
        if let Some(e) = u.failed.take() {
            u.rows.clear();
            u.data.clear();
            return Err(e);
        }
        self.write_updates(&mut u)
    }

    /// [`Table::settle`] where no error can be returned (an iterator dropped): a failure is
    /// kept for the table's next read, query, update or flush.
    fn settle_later(&self) {
        if let Err(e) = self.settle() {
            if let Ok(mut u) = self.updates.lock() {
                u.failed.get_or_insert(e);
            }
        }
    }

    /// Compiles a condition against this table's columns and the user's variables.
    fn compile(&self, cond: &str, vars: &[(String, Operand<'_>)], range: RowRange) -> Result<Query> {
        self.settle()?;
        let ast = outcore_expr::parse::parse(cond)?;
        let whole = Span::new(0, cond.len());
        let mut infos: Vec<VarInfo> = Vec::new();
        let mut srcs: Vec<Src> = Vec::new();
        let names = ast.names();
        for name in &names {
            let span = name_span(&ast, name).unwrap_or(whole);
            if let Some((_, op)) = vars.iter().find(|(n, _)| n == name) {
                match op {
                    Operand::Scalar(v) => {
                        infos.push(VarInfo { name: name.clone(), dtype: v.dtype(), scalar: true });
                        srcs.push(Src::Scalar(v.clone()));
                    }
                    Operand::H5(h) => {
                        let Some((offset, _)) = h.field.filter(|_| h.leaf.same_dataset(&self.leaf)) else {
                            let msg =
                                format!("`{name}` is {}, not a column of this table ({})", h.name, self.leaf.path());
                            return Err(cond_err(cond, ErrorKind::Type(msg), span));
                        };
                        let dtype = h.dtype.clone().map_err(|m| cond_err(cond, ErrorKind::Type(m), span))?;
                        if h.shape.len() != 1 {
                            let msg =
                                format!("`{name}` is an array-shaped column; a condition needs one value per row");
                            return Err(cond_err(cond, ErrorKind::Type(msg), span));
                        }
                        infos.push(VarInfo { name: name.clone(), dtype, scalar: false });
                        srcs.push(Src::Column { offset, kind: h.elem.clone() });
                    }
                    _ => {
                        let msg = format!("`{name}` must be a column of the table or a scalar, not an array");
                        return Err(cond_err(cond, ErrorKind::Type(msg), span));
                    }
                }
                continue;
            }
            match self.layout.field(name) {
                Some((offset, kind)) if !matches!(kind, Kind::Record(_)) => {
                    let dtype = compute_dtype(kind)
                        .map_err(|m| cond_err(cond, ErrorKind::Type(format!("column `{name}` {m}")), span))?;
                    if matches!(kind, Kind::Array(..)) {
                        let msg = format!("`{name}` is an array-shaped column; a condition needs one value per row");
                        return Err(cond_err(cond, ErrorKind::Type(msg), span));
                    }
                    infos.push(VarInfo { name: name.clone(), dtype, scalar: false });
                    srcs.push(Src::Column { offset, kind: kind.clone() });
                }
                _ => {
                    let columns = self.layout.columns();
                    let candidates = columns.iter().map(String::as_str).chain(vars.iter().map(|(n, _)| n.as_str()));
                    let suggestion = outcore_expr::types::closest(name, candidates);
                    return Err(cond_err(cond, ErrorKind::UnknownName { name: name.clone(), suggestion }, span));
                }
            }
        }
        let program = Prepared::new(outcore_expr::compile(cond, &infos)?)?;
        if program.stages.len() != 1 || outcore_vm::stream::stage_reduction(&program, 0).is_some() {
            let msg = "a condition cannot hold a reduction (it selects rows one by one)".to_string();
            return Err(cond_err(cond, ErrorKind::Unsupported(msg), whole));
        }
        if program.dtype() != DType::Bool {
            let msg = format!("a condition must be boolean; this one is {}", program.dtype());
            return Err(cond_err(cond, ErrorKind::Type(msg), whole));
        }
        let used = outcore_vm::exec::stage_inputs(&program, 0);
        if !used.iter().any(|&i| matches!(srcs[i], Src::Column { .. })) {
            let msg = "the condition uses no column of the table".to_string();
            return Err(cond_err(cond, ErrorKind::Type(msg), whole));
        }
        for (i, s) in srcs.iter_mut().enumerate() {
            if !used.contains(&i) {
                *s = Src::Unused(program.inputs[i].dtype);
            }
        }
        let (first, step, n) = range.resolve(self.nrows())?;
        // Workers read chunks at their addresses: flush first, so the file holds what the
        // library has.
        self.leaf.flush_file()?;
        let records = H5Operand::records(&self.leaf, self.layout.size);
        let reader = Reader::new(&records, true)?;
        let base = reader.slab_unit();
        let target = (1usize << 15).div_ceil(base).max(1);
        let size = if step == 1 { base * target } else { target * base / step.max(1) }.max(1);
        let partial = reader.reads_rows_in_part();
        let (jobs, explain) = self.plan(&ast, &srcs, vars, (first, step, n), (size, base, partial))?;
        Ok(Query {
            table: self.clone(),
            program,
            srcs,
            reader,
            jobs,
            explain,
            shape: Shape::new(self.threads, self.progress.clone()),
        })
    }

    /// The slabs a query of `ast` reads, using the table's statistics when they can rule
    /// zones out.
    fn plan(
        &self,
        ast: &Ast,
        srcs: &[Src],
        vars: &[(String, Operand<'_>)],
        (first, step, n): (usize, usize, usize),
        (size, base, partial): (usize, usize, bool),
    ) -> Result<(Vec<Slab>, crate::zones::Explain)> {
        use crate::zones::{slabs, Binding, Explain, Pred, Statistics};
        let names = ast.names();
        let bind = |name: &str| -> Binding {
            match names.iter().position(|n| n == name).and_then(|i| srcs.get(i)) {
                Some(Src::Column { offset, kind }) => Binding::Column(*offset, kind.clone()),
                Some(Src::Scalar(v)) => v.as_f64().map_or(Binding::Other, Binding::Number),
                _ => {
                    // A name the program does not read (or one bound to a variable that is
                    // not a scalar): only scalars count.
                    match vars.iter().find(|(n, _)| n == name) {
                        Some((_, Operand::Scalar(v))) => v.as_f64().map_or(Binding::Other, Binding::Number),
                        _ => Binding::Other,
                    }
                }
            }
        };
        let end = if n == 0 { first } else { first + (n - 1) * step + 1 };
        let zones = self.leaf.zones_for(first..end)?;
        let (zone_rows, statistics, keep) = match &zones {
            None => (base, Statistics::None, None),
            Some(z) => match z.untrusted(&self.leaf) {
                Some(why) => (base, Statistics::Ignored(why), None),
                None => {
                    let pred = Pred::of(ast, z, &bind);
                    if pred.useful() {
                        let mut cols = Vec::new();
                        pred.columns(&mut cols);
                        let names = cols.iter().map(|&c| z.columns[c].path.clone()).collect();
                        (z.zone_rows, Statistics::Used(names), Some(pred))
                    } else {
                        (z.zone_rows, Statistics::Unused, None)
                    }
                }
            },
        };
        let zr = zone_rows.max(1);
        // PyTables' indexes: candidate rows, when they narrow the scan enough. A reader that
        // reads any rows of a chunk reads the candidates themselves (through small gaps);
        // otherwise the chunks that hold them.
        let scan_bytes = (n as u64).saturating_mul(self.layout.size as u64);
        let index = if n == 0 || !self.indexes {
            crate::indexes::Plan { rows: None, used: crate::indexes::IndexUse::None }
        } else {
            crate::indexes::plan(self, ast, &bind, scan_bytes, zr as u64, partial)?
        };
        let by_stats = |zone: usize| keep.as_ref().zip(zones.as_ref()).is_none_or(|(pred, z)| pred.may_match(z, zone));
        let last = if n == 0 { first } else { first + (n - 1) * step };
        let (jobs, zones_read) = match &index.rows {
            Some(rows) if partial => {
                let jobs: Vec<Slab> = crate::zones::slabs_within(rows, first, step, n, size)
                    .into_iter()
                    .filter(|s| (s.first / zr..=(s.first + (s.n - 1) * s.step) / zr).any(by_stats))
                    .collect();
                (jobs, 0)
            }
            rows => {
                let by_index = |zone: usize| {
                    rows.as_ref()
                        .is_none_or(|r| crate::indexes::touches(r, (zone * zr) as u64, ((zone + 1) * zr) as u64))
                };
                if keep.is_some() || rows.is_some() {
                    let may = |zone: usize| by_index(zone) && by_stats(zone);
                    let jobs = slabs(first, step, n, size, Some((&may, zr)));
                    let read =
                        if n == 0 { 0 } else { (first / zr..=last / zr).filter(|&zone| may(zone)).count() as u64 };
                    (jobs, read)
                } else {
                    let jobs = slabs(first, step, n, size, None);
                    let read = if n == 0 { 0 } else { (last / zr - first / zr + 1) as u64 };
                    (jobs, read)
                }
            }
        };
        // Zones counted from the slabs when they are not cut on zones.
        let zones_read = if index.rows.is_some() && partial {
            let mut seen = None;
            let mut count = 0u64;
            for s in &jobs {
                for z in s.first / zr..=(s.first + (s.n - 1) * s.step) / zr {
                    if seen.is_none_or(|p| z > p) {
                        count += 1;
                        seen = Some(z);
                    }
                }
            }
            count
        } else {
            zones_read
        };
        let zones_total = if n == 0 { 0 } else { ((first + (n - 1) * step) / zr - first / zr + 1) as u64 };
        let explain = Explain {
            table: format!("{}:{}", self.leaf.file_path().display(), self.leaf.path()),
            rows: n as u64,
            zones: zones_total,
            zone_rows: zr as u64,
            zones_read,
            rows_read: jobs.iter().map(|j| j.n as u64).sum(),
            statistics,
            index: index.used,
        };
        Ok((jobs, explain))
    }

    /// What a query of `cond` would read: the rows and chunks of the range, whether chunk
    /// statistics rule some out, and how many are left (`outcore query --explain`).
    pub fn explain(
        &self,
        cond: &str,
        vars: &[(String, Operand<'_>)],
        range: impl Into<RowRange>,
    ) -> Result<crate::zones::Explain> {
        Ok(self.compile(cond, vars, range.into())?.explain)
    }

    /// Writes chunk statistics (zone maps) of `columns` (all numeric and boolean ones when
    /// empty): each chunk's smallest and largest value and whether it holds a NaN, stored in
    /// the hidden node `_p_outcore_zones_<table>` beside the table, which PyTables and h5py
    /// leave alone. Queries then skip every chunk whose statistics rule the condition out;
    /// outcore's appends and modifications keep them current. Returns the zones written.
    pub fn index_stats(&self, columns: &[&str]) -> Result<u64> {
        crate::zones::build(self, columns)
    }

    /// Writes a completely sorted PyTables index of `column` (a numeric top-level column), as
    /// PyTables' `Column.create_csindex` does, replacing any index the column had: the hidden
    /// group `_i_<table>/<column>`, kind `full`, optimization level 9. PyTables opens it,
    /// reports the column indexed and answers from it; outcore's queries use it too. Returns
    /// the rows indexed.
    pub fn create_csindex(&self, column: &str) -> Result<u64> {
        self.settle()?;
        self.index_cache.forget(column);
        crate::indexes::build_full(self, column)
    }

    /// The rows matching `cond` (table columns by name, no variables), in row order.
    pub fn where_(&self, cond: &str) -> Result<RowIter<'_>> {
        self.where_vars(cond, &[], RowRange::default())
    }

    /// The records matching `cond` among rows `range`, a slab at a time: what
    /// [`Table::read_where`] returns, in pieces, so memory stays flat however many match.
    pub fn where_batches(
        &self,
        cond: &str,
        vars: &[(String, Operand<'_>)],
        range: impl Into<RowRange>,
    ) -> Result<Batches> {
        let q = self.compile(cond, vars, range.into())?;
        Ok(Batches { scan: Scan::new(q), layout: self.layout.clone() })
    }

    /// How many rows match.
    pub fn count_where(&self, cond: &str, vars: &[(String, Operand<'_>)], range: impl Into<RowRange>) -> Result<u64> {
        let q = self.compile(cond, vars, range.into())?;
        let mut total = 0;
        q.scan(Want::Count, |h| {
            total += h.count;
            Ok(Flow::Continue)
        })?;
        Ok(total)
    }

    /// The row numbers matching `cond`, ascending (PyTables' `sort=True` order, always).
    pub fn get_where_list(
        &self,
        cond: &str,
        vars: &[(String, Operand<'_>)],
        range: impl Into<RowRange>,
    ) -> Result<Vec<u64>> {
        let q = self.compile(cond, vars, range.into())?;
        let mut out = Vec::new();
        q.scan(Want::Coords, |h| {
            out.extend_from_slice(&h.coords);
            Ok(Flow::Continue)
        })?;
        Ok(out)
    }

    /// The matching records, or one field of them.
    pub fn read_where(
        &self,
        cond: &str,
        vars: &[(String, Operand<'_>)],
        field: Option<&str>,
        range: impl Into<RowRange>,
    ) -> Result<Records> {
        let range = range.into();
        let (want, kind, size, layout) = match field {
            None => (Want::Records, self.layout.kind.clone(), self.layout.size, Some(self.layout.clone())),
            Some(path) => {
                let (offset, kind) = self.layout.field(path).ok_or_else(|| {
                    Error::name(format!("no column `{path}` (columns: {})", self.layout.columns().join(", ")))
                })?;
                (Want::Field(offset, kind.size()), kind.clone(), kind.size(), None)
            }
        };
        let q = self.compile(cond, vars, range)?;
        let mut rec = Records { coords: Vec::new(), kind, size, data: Vec::new(), layout };
        q.scan(want, |h| {
            rec.coords.extend_from_slice(&h.coords);
            rec.data.extend_from_slice(&h.data[..h.coords.len() * size]);
            Ok(Flow::Continue)
        })?;
        Ok(rec)
    }

    /// Appends the matching rows to `dest`, a table of the same layout; returns how many.
    pub fn where_append(
        &self,
        dest: &impl AsRef<Leaf>,
        cond: &str,
        vars: &[(String, Operand<'_>)],
        range: impl Into<RowRange>,
    ) -> Result<u64> {
        let dest = dest.as_ref();
        let range = range.into();
        let dl = dest.layout()?;
        if dl.size != self.layout.size || dl.columns() != self.layout.columns() {
            return Err(crate::source::h5err(
                dest,
                "",
                format!("has columns {:?}; the rows appended have {:?}", dl.columns(), self.layout.columns()),
            ));
        }
        let q = self.compile(cond, vars, range)?;
        let mut out = Appender::new(dest)?;
        q.scan(Want::Records, |h| {
            out.push(&h.data[..h.coords.len() * self.layout.size])?;
            Ok(Flow::Continue)
        })?;
        let total = out.finish()?;
        dest.flush_file()?;
        Ok(total)
    }

    /// Creates an empty table with this table's columns at `parent/name` of `file`, chunked
    /// and filtered as given.
    pub fn create_like(&self, file: &File, parent: &str, name: &str, filters: Option<&Filters>) -> Result<Table> {
        let leaf = file.create_table(parent, name, &self.layout, self.nrows().max(1) as u64, None, filters, "")?;
        Table::new(&leaf)
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // The last clone writes the row updates still waiting (`flush` reports failures).
        if Arc::strong_count(&self.updates) == 1 {
            self.settle_later();
        }
    }
}

impl AsRef<Leaf> for Table {
    fn as_ref(&self) -> &Leaf {
        &self.leaf
    }
}

impl Query {
    fn jobs(&self) -> usize {
        self.jobs.len()
    }

    fn rows(&self, j: usize) -> Slab {
        self.jobs[j]
    }

    /// Streams the table's slabs through the workers; `sink` gets each slab's hits in order.
    fn scan(&self, want: Want, mut sink: impl FnMut(Hits) -> Result<Flow>) -> Result<()> {
        let size = self.table.layout.size;
        stream::run(
            0..self.jobs(),
            &self.shape,
            |j| self.reader.fetch(self.rows(j)),
            || {
                let bufs: Vec<Buf> = self.program.inputs.iter().map(|i| Buf::new(i.dtype)).collect();
                (
                    Worker::new(&self.program, 4096),
                    bufs,
                    Buf::new(DType::Bytes(size)),
                    Scratch::default(),
                    Owned::Bool(Vec::new()),
                )
            },
            |j, located, (vm, bufs, records, scratch, mask)| {
                let rows = self.rows(j);
                self.reader.fill(rows, located, scratch, records)?;
                let Buf::Bytes(recs, _) = &*records else { return Err(Error::internal("records")) };
                // Columns pulled out tile by tile, so each tile of records stays in L1 while
                // every column reads it.
                for (i, src) in self.srcs.iter().enumerate() {
                    if let Src::Column { .. } = src {
                        bufs[i].resize(rows.n);
                    }
                }
                const TILE: usize = 256;
                for t0 in (0..rows.n).step_by(TILE) {
                    let tile = &recs[t0 * size..(t0 + TILE).min(rows.n) * size];
                    for (i, src) in self.srcs.iter().enumerate() {
                        if let Src::Column { offset, kind } = src {
                            bufs[i].gather_at(kind, tile, size, *offset, t0);
                        }
                    }
                }
                let args: Vec<Arg<'_>> = self
                    .srcs
                    .iter()
                    .zip(bufs.iter())
                    .map(|(src, b)| match src {
                        Src::Column { .. } => b.arg(vec![rows.n]),
                        Src::Scalar(v) => Arg::Scalar(v.clone()),
                        Src::Unused(d) => Arg::Scalar(crate::ooc::zero_of(*d)),
                    })
                    .collect();
                let Owned::Bool(m) = mask else { return Err(Error::internal("mask")) };
                m.resize(rows.n, false);
                eval_slab(&self.program, vm, 0, &args, &[], &mut outcore_vm::OutMut::Bool(m))?;
                let mut hits = Hits::default();
                let found = m.iter().filter(|&&b| b).count();
                hits.count = found as u64;
                if want != Want::Count {
                    // Branch-free compaction: every row is written, only hits advance.
                    let mut coords = vec![0u64; found + 1];
                    let mut len = 0;
                    for (k, &b) in m.iter().enumerate() {
                        coords[len] = (rows.first + k * rows.step) as u64;
                        len += b as usize;
                    }
                    coords.truncate(found);
                    match want {
                        Want::Records | Want::Field(..) => {
                            let (o, w) = if let Want::Field(o, w) = want { (o, w) } else { (0, size) };
                            // Padding after the last record: rows copy a fixed 64 bytes.
                            hits.data.reserve(found * w + 64);
                            for &c in &coords {
                                let k = (c as usize - rows.first) / rows.step;
                                hits.data.extend_from_slice(&recs[k * size + o..k * size + o + w]);
                            }
                            if want == Want::Records {
                                hits.data.resize(hits.data.len() + 64, 0);
                            }
                        }
                        _ => {}
                    }
                    hits.coords = coords;
                }
                Ok(hits)
            },
            |_, h| sink(h),
        )
    }
}

/// Appends records to a table: whole chunks encoded here and written raw, the rest (a partial
/// first or last chunk) through the library. The table's `NROWS` follows every chunk, so after
/// a crash it holds a prefix of the rows.
struct Appender<'d> {
    dest: &'d Leaf,
    size: usize,
    chunk_rows: usize,
    encoder: Option<outcore_h5::Encoder>,
    rows: usize,
    pending: Vec<u8>,
    appended: u64,
    encoded: Vec<u8>,
    /// A chunk turned to the destination's byte order, when its numbers are in the other one.
    swapped: Vec<u8>,
    flushed: std::time::Instant,
}

impl<'d> Appender<'d> {
    fn new(dest: &'d Leaf) -> Result<Appender<'d>> {
        let size = dest.layout()?.size;
        let chunk_rows = dest.chunk_shape().and_then(|c| c.first().copied()).unwrap_or(0);
        let encoder = if chunk_rows > 0 { Some(dest.encoder()?) } else { None };
        let rows = dest.shape().first().copied().unwrap_or(0);
        Ok(Appender {
            dest,
            size,
            chunk_rows,
            encoder,
            rows,
            pending: Vec::new(),
            appended: 0,
            encoded: Vec::new(),
            swapped: Vec::new(),
            flushed: std::time::Instant::now(),
        })
    }

    fn push(&mut self, data: &[u8]) -> Result<()> {
        if self.appended == 0 && !data.is_empty() {
            // PyTables' indexes of the destination do not cover the rows to come.
            self.dest.mark_pytables_indexes_dirty()?;
        }
        self.appended += (data.len() / self.size.max(1)) as u64;
        let Some(enc) = &self.encoder else { return Ok(self.dest.append_records(data)?) };
        self.pending.extend_from_slice(data);
        let c0 = self.chunk_rows;
        let mut at = 0;
        // Up to the next chunk boundary through the library.
        if self.rows % c0 != 0 {
            let take = ((c0 - self.rows % c0) * self.size).min(self.pending.len());
            self.dest.append_records(&self.pending[..take])?;
            self.rows += take / self.size;
            at = take;
        }
        let chunk_bytes = c0 * self.size;
        let (raw_from, raw_at) = (self.rows, at);
        let mut wrote = false;
        while self.rows % c0 == 0 && self.pending.len() - at >= chunk_bytes {
            let mut chunk = &self.pending[at..at + chunk_bytes];
            let swaps = self.dest.record_swaps();
            if !swaps.is_empty() {
                self.swapped.clear();
                self.swapped.extend_from_slice(chunk);
                swaps.apply(&mut self.swapped, self.size);
                chunk = &self.swapped;
            }
            let mask = enc
                .encode(chunk, &mut self.encoded)
                .map_err(|e| crate::source::h5err(self.dest, &format!("[{}]", self.rows), e))?;
            self.dest.resize_rows(self.rows + c0)?;
            if let Err(e) = self.dest.write_raw_chunk(&[self.rows as u64], mask, &self.encoded) {
                // The extent and NROWS never run ahead of the rows written (a full disk).
                let _ = self.dest.resize_rows(self.rows);
                let _ = self.dest.set_nrows(self.rows as u64);
                return Err(e.into());
            }
            self.rows += c0;
            at += chunk_bytes;
            wrote = true;
        }
        if wrote {
            self.dest.set_nrows(self.rows as u64)?;
            // Statistics follow the rows (those that cannot follow are left stale: ignored).
            let _ = self.dest.widen_zones(raw_from, &self.pending[raw_at..at], raw_from);
            // Now and then, the file's metadata to disk: a crash leaves a readable prefix.
            if self.flushed.elapsed() > std::time::Duration::from_millis(200) {
                self.dest.flush_file()?;
                self.flushed = std::time::Instant::now();
            }
        }
        self.pending.drain(..at);
        Ok(())
    }

    fn finish(mut self) -> Result<u64> {
        if !self.pending.is_empty() {
            self.dest.append_records(&self.pending)?;
            self.pending.clear();
        }
        Ok(self.appended)
    }
}
