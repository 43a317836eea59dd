//! HDF5 values as expression operands: whole leaves (Array, CArray, EArray, plain datasets)
//! and table columns, read slab by slab on the raw chunk path, converted to the types the
//! expression language computes in; and HDF5 leaves as outputs, written chunk by chunk.

use std::os::unix::fs::FileExt;

use outcore_expr::DType;
use outcore_h5::{ChunkInfo, Column, Decoder, Encoder, Kind, Leaf};
use outcore_vm::{c128, Arg, Col, Owned};

use crate::error::{Error, Result};

/// A leaf or a table column, bound to a name.
#[derive(Clone)]
pub struct H5Operand {
    pub(crate) leaf: Leaf,
    /// For a table column: its offset in the record and its size.
    pub(crate) field: Option<(usize, usize)>,
    /// The stored kind of one element.
    pub(crate) elem: Kind,
    pub(crate) dtype: std::result::Result<DType, String>,
    /// The values' shape: the leaf's, or a column's rows and its field's own shape.
    pub(crate) shape: Vec<usize>,
    pub(crate) name: String,
}

impl std::fmt::Debug for H5Operand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "H5Operand({}, {:?}, {:?})", self.name, self.shape, self.dtype)
    }
}

/// The type the language computes a stored kind in: numexpr's (narrow integers widen to
/// int32, uint32 to int64, complex64 to complex128).
pub(crate) fn compute_dtype(kind: &Kind) -> std::result::Result<DType, String> {
    Ok(match kind {
        Kind::Bool => DType::Bool,
        Kind::Int { size: 1 | 2, .. } | Kind::Int { size: 4, signed: true } => DType::Int32,
        Kind::Int { size: 4, signed: false } | Kind::Int { size: 8, signed: true } => DType::Int64,
        Kind::Int { size: 8, signed: false } => {
            return Err("uint64 values have no type in the expression language (numexpr has none either)".into())
        }
        Kind::Float { size: 4 } => DType::Float32,
        Kind::Float { size: 8 } => DType::Float64,
        Kind::Complex { size: 8 | 16 } => DType::Complex128,
        Kind::Bytes(n) => DType::Bytes(*n),
        Kind::Record(_) => return Err("holds records: bind one of its columns (`table.col(\"name\")`)".into()),
        other => return Err(format!("holds values of a kind expressions cannot use ({other:?})")),
    })
}

impl H5Operand {
    /// A table's whole records, as opaque fixed-size byte strings (what a query reads).
    pub(crate) fn records(table: &Leaf, record_size: usize) -> H5Operand {
        H5Operand {
            leaf: table.clone(),
            field: None,
            elem: Kind::Bytes(record_size),
            dtype: Ok(DType::Bytes(record_size)),
            shape: vec![table.shape().first().copied().unwrap_or(0)],
            name: table.path().to_string(),
        }
    }

    /// A whole leaf (errors reading its type are reported when it is bound).
    pub(crate) fn from_leaf(leaf: &Leaf) -> H5Operand {
        let (elem, extra, dtype) = match leaf.layout() {
            Ok(layout) => {
                let (elem, extra) = match layout.kind {
                    Kind::Array(k, dims) => (*k, dims),
                    k => (k, Vec::new()),
                };
                let dtype = compute_dtype(&elem);
                (elem, extra, dtype)
            }
            Err(e) => (Kind::Other(String::new()), Vec::new(), Err(e.to_string())),
        };
        let mut shape = leaf.shape();
        shape.extend(extra);
        H5Operand { leaf: leaf.clone(), field: None, elem, dtype, shape, name: leaf.path().to_string() }
    }

    pub(crate) fn from_column(col: &Column) -> H5Operand {
        let (elem, extra) = match &col.kind {
            Kind::Array(k, dims) => ((**k).clone(), dims.clone()),
            k => (k.clone(), Vec::new()),
        };
        let mut shape = vec![col.table.shape().first().copied().unwrap_or(0)];
        shape.extend(extra);
        H5Operand {
            leaf: col.table.clone(),
            field: Some((col.offset, col.kind.size())),
            dtype: compute_dtype(&elem),
            elem,
            shape,
            name: format!("{}.{}", col.table.path(), col.path),
        }
    }

    /// The type the engine computes the operand in.
    pub fn dtype(&self) -> DType {
        self.dtype.clone().unwrap_or(DType::Bool)
    }

    /// The error to report when the values cannot be computed with.
    pub(crate) fn check(&self) -> Result<()> {
        match &self.dtype {
            Ok(_) => Ok(()),
            Err(m) => Err(Error::new(
                crate::ErrorKind::Unsupported,
                format!("{}:{}: {m}", self.leaf.file_path().display(), self.name),
            )),
        }
    }
}

// ---- typed slab buffers ----------------------------------------------------------------------

/// Values of one operand for one slab, in the type the program reads.
#[derive(Debug)]
pub(crate) enum Buf {
    Vm(Owned),
    Bytes(Vec<u8>, usize),
}

impl Buf {
    pub(crate) fn new(dtype: DType) -> Buf {
        match dtype {
            DType::Bytes(k) => Buf::Bytes(Vec::new(), k),
            d => Buf::Vm(Owned::zeros(d, 0).unwrap_or(Owned::Bool(Vec::new()))),
        }
    }

    /// Makes room for `n` elements (keeping the allocation).
    pub(crate) fn resize(&mut self, n: usize) {
        match self {
            Buf::Vm(Owned::Bool(v)) => v.resize(n, false),
            Buf::Vm(Owned::Int32(v)) => v.resize(n, 0),
            Buf::Vm(Owned::Int64(v)) => v.resize(n, 0),
            Buf::Vm(Owned::Float32(v)) => v.resize(n, 0.0),
            Buf::Vm(Owned::Float64(v)) => v.resize(n, 0.0),
            Buf::Vm(Owned::Complex128(v)) => v.resize(n, c128::new(0.0, 0.0)),
            Buf::Bytes(v, k) => v.resize(n * *k, 0),
        }
    }

    pub(crate) fn arg(&self, shape: Vec<usize>) -> Arg<'_> {
        Arg::Array(self.col(), shape)
    }

    pub(crate) fn col(&self) -> Col<'_> {
        match self {
            Buf::Vm(Owned::Bool(v)) => Col::Bool(v),
            Buf::Vm(Owned::Int32(v)) => Col::Int32(v),
            Buf::Vm(Owned::Int64(v)) => Col::Int64(v),
            Buf::Vm(Owned::Float32(v)) => Col::Float32(v),
            Buf::Vm(Owned::Float64(v)) => Col::Float64(v),
            Buf::Vm(Owned::Complex128(v)) => Col::Complex128(v),
            Buf::Bytes(v, k) => Col::Bytes { data: v, itemsize: *k },
        }
    }

    /// The elements' memory, when the stored kind is bit-for-bit the computed one (so a
    /// chunk can be decoded straight into place).
    fn raw_mut(&mut self, kind: &Kind, swapped: bool) -> Option<&mut [u8]> {
        fn bytes<T>(v: &mut [T]) -> &mut [u8] {
            // Safety: T is a plain number type (i32, i64, f32, f64, c128): every byte pattern
            // is a valid value, and u8 has no alignment needs.
            unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<u8>(), std::mem::size_of_val(v)) }
        }
        if swapped {
            return None;
        }
        match (self, kind) {
            (Buf::Vm(Owned::Int32(v)), Kind::Int { size: 4, signed: true }) => Some(bytes(v)),
            (Buf::Vm(Owned::Int64(v)), Kind::Int { size: 8, signed: true }) => Some(bytes(v)),
            (Buf::Vm(Owned::Float32(v)), Kind::Float { size: 4 }) => Some(bytes(v)),
            (Buf::Vm(Owned::Float64(v)), Kind::Float { size: 8 }) => Some(bytes(v)),
            (Buf::Vm(Owned::Complex128(v)), Kind::Complex { size: 16 }) => Some(bytes(v)),
            (Buf::Bytes(v, _), Kind::Bytes(_)) => Some(v),
            _ => None,
        }
    }

    /// Pulls one scalar field out of packed records (`size` bytes each, the field at
    /// `offset`) into elements `at..` of the buffer (long enough already), converting it.
    pub(crate) fn gather_at(&mut self, kind: &Kind, records: &[u8], size: usize, offset: usize, at: usize) {
        let n = records.len().checked_div(size).unwrap_or(0);
        macro_rules! g {
            ($v:expr, $w:literal, $from:ty, $to:ty) => {{
                let dst = &mut $v[at..at + n];
                // Every read below lies inside `records`: checked once here, not per row.
                if n == 0 || offset + $w > size {
                    return;
                }
                let base = records.as_ptr();
                for (r, d) in dst.iter_mut().enumerate() {
                    // Safety: r < n, so r*size + offset + $w <= n*size <= records.len().
                    let x = unsafe { std::ptr::read_unaligned(base.add(r * size + offset).cast::<$from>()) };
                    *d = x as $to;
                }
            }};
        }
        match (self, kind) {
            (Buf::Vm(Owned::Bool(v)), Kind::Bool) => {
                for (d, rec) in v[at..].iter_mut().zip(records.chunks_exact(size)) {
                    *d = rec[offset] != 0;
                }
            }
            (Buf::Vm(Owned::Int32(v)), Kind::Int { size: 1, signed: true }) => g!(v, 1, i8, i32),
            (Buf::Vm(Owned::Int32(v)), Kind::Int { size: 1, signed: false }) => g!(v, 1, u8, i32),
            (Buf::Vm(Owned::Int32(v)), Kind::Int { size: 2, signed: true }) => g!(v, 2, i16, i32),
            (Buf::Vm(Owned::Int32(v)), Kind::Int { size: 2, signed: false }) => g!(v, 2, u16, i32),
            (Buf::Vm(Owned::Int32(v)), Kind::Int { size: 4, signed: true }) => g!(v, 4, i32, i32),
            (Buf::Vm(Owned::Int64(v)), Kind::Int { size: 4, signed: false }) => g!(v, 4, u32, i64),
            (Buf::Vm(Owned::Int64(v)), Kind::Int { size: 8, signed: true }) => g!(v, 8, i64, i64),
            (Buf::Vm(Owned::Float32(v)), Kind::Float { size: 4 }) => g!(v, 4, f32, f32),
            (Buf::Vm(Owned::Float64(v)), Kind::Float { size: 8 }) => g!(v, 8, f64, f64),
            (buf, kind) => {
                // Complex numbers and strings: one element at a time.
                let w = kind.size();
                for (k, rec) in records.chunks_exact(size).enumerate() {
                    buf.put(kind, false, &rec[offset..offset + w], at + k);
                }
            }
        }
    }

    /// Converts `src` (packed stored elements of `kind`) into elements `at..` of the buffer.
    fn put(&mut self, kind: &Kind, swapped: bool, src: &[u8], at: usize) {
        macro_rules! conv {
            ($v:expr, $n:literal, $from:ty, $to:ty) => {{
                let dst = &mut $v[at..at + src.len() / $n];
                for (d, s) in dst.iter_mut().zip(src.chunks_exact($n)) {
                    let mut b = [0u8; $n];
                    b.copy_from_slice(s);
                    if swapped {
                        b.reverse();
                    }
                    *d = <$from>::from_ne_bytes(b) as $to;
                }
            }};
        }
        match (self, kind) {
            (Buf::Vm(Owned::Bool(v)), Kind::Bool) => {
                for (d, &s) in v[at..at + src.len()].iter_mut().zip(src) {
                    *d = s != 0;
                }
            }
            (Buf::Vm(Owned::Int32(v)), Kind::Int { size: 1, signed: true }) => conv!(v, 1, i8, i32),
            (Buf::Vm(Owned::Int32(v)), Kind::Int { size: 1, signed: false }) => conv!(v, 1, u8, i32),
            (Buf::Vm(Owned::Int32(v)), Kind::Int { size: 2, signed: true }) => conv!(v, 2, i16, i32),
            (Buf::Vm(Owned::Int32(v)), Kind::Int { size: 2, signed: false }) => conv!(v, 2, u16, i32),
            (Buf::Vm(Owned::Int32(v)), Kind::Int { size: 4, signed: true }) => conv!(v, 4, i32, i32),
            (Buf::Vm(Owned::Int64(v)), Kind::Int { size: 4, signed: false }) => conv!(v, 4, u32, i64),
            (Buf::Vm(Owned::Int64(v)), Kind::Int { size: 8, signed: true }) => conv!(v, 8, i64, i64),
            (Buf::Vm(Owned::Float32(v)), Kind::Float { size: 4 }) => conv!(v, 4, f32, f32),
            (Buf::Vm(Owned::Float64(v)), Kind::Float { size: 8 }) => conv!(v, 8, f64, f64),
            (Buf::Vm(Owned::Complex128(v)), Kind::Complex { size }) => {
                let half = *size / 2;
                for (d, s) in v[at..at + src.len() / size].iter_mut().zip(src.chunks_exact(*size)) {
                    let part = |b: &[u8]| -> f64 {
                        let mut x = b.to_vec();
                        if swapped {
                            x.reverse();
                        }
                        if half == 4 {
                            f32::from_ne_bytes([x[0], x[1], x[2], x[3]]) as f64
                        } else {
                            f64::from_ne_bytes([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]])
                        }
                    };
                    *d = c128::new(part(&s[..half]), part(&s[half..]));
                }
            }
            (Buf::Bytes(v, k), Kind::Bytes(_)) => {
                let k = *k;
                v[at * k..at * k + src.len()].copy_from_slice(src);
            }
            // Unreachable: buffers are made for their operand's kind.
            _ => {}
        }
    }
}

// ---- reading slabs ---------------------------------------------------------------------------

/// The rows of one slab: `n` rows from `first`, `step` apart.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rows {
    pub first: usize,
    pub step: usize,
    pub n: usize,
}

impl Rows {
    fn last(&self) -> usize {
        self.first + (self.n.max(1) - 1) * self.step
    }
}

/// One chunk as the I/O thread located it: never written (fill value), to be read by the
/// worker at its address, or already read under the lock.
pub(crate) struct Located {
    offset: Vec<u64>,
    info: Option<ChunkInfo>,
    raw: Option<Vec<u8>>,
}

/// A sliced HDF5 operand, ready to stream.
pub(crate) struct Reader {
    op: H5Operand,
    /// The chunk shape; empty for contiguous storage, read through the library.
    chunk: Vec<usize>,
    /// Bytes of one stored element of the leaf (a whole record for a table).
    stored: usize,
    /// Elements of the operand per row.
    inner: usize,
    decoder: Decoder,
    fill: Vec<u8>,
    /// The operand's numbers are stored in the other byte order (an array, or a column).
    swapped: bool,
    /// For whole records: where their numbers are in the other byte order (swapped once a
    /// slab is in, so that queries and the records they return see this machine's order).
    record_swaps: Option<outcore_h5::ByteSwaps>,
    /// Read the chunks with `pread` on the workers (the file cannot change under us).
    file: Option<std::fs::File>,
    /// The file's length when `file` was opened (no chunk is read past it).
    file_len: u64,
    /// Every chunk's place, read once from the file's index (with `pread` only: the file is
    /// flushed and does not change); without it chunks are located one at a time.
    index: Option<std::sync::Arc<outcore_h5::ChunkIndex>>,
    /// Chunks span every dimension but the first.
    full_inner: bool,
    /// The file's path, when a slab reads only its part of each chunk from the file (blosc2
    /// frames of rank 1 larger than a slab, as PyTables writes them: one chunk may hold the
    /// whole table), so slabs need not follow the chunks.
    ranged: Option<std::ffi::CString>,
}

/// A worker's reusable buffers for reading.
#[derive(Default)]
pub(crate) struct Scratch {
    raw: Vec<u8>,
    decoded: Vec<u8>,
    codec: Vec<u8>,
}

impl Reader {
    /// `pread`: whether workers may read chunks at their file addresses without the lock.
    pub(crate) fn new(op: &H5Operand, pread: bool) -> Result<Reader> {
        let leaf = &op.leaf;
        let stored_layout = leaf.layout()?;
        let (stored, leaf_kind) = (stored_layout.size, stored_layout.kind);
        let leaf_shape = leaf.shape();
        let chunk = leaf.chunk_shape().unwrap_or_default();
        let decoder = if chunk.is_empty() { Decoder { codecs: Vec::new(), chunk_bytes: 0 } } else { leaf.decoder()? };
        if let Some(id) = decoder.unsupported() {
            let what = outcore_h5::filter_label(id).replacen("filter", "unsupported filter", 1);
            return Err(Error::new(
                crate::ErrorKind::Unsupported,
                format!("{}:{}: {what}", leaf.file_path().display(), leaf.path()),
            ));
        }
        let pread = pread && !chunk.is_empty();
        let full_inner = chunk.iter().zip(&leaf_shape).skip(1).all(|(c, d)| c >= d);
        let file =
            if pread { Some(std::fs::File::open(leaf.file_path()).map_err(|e| h5err(leaf, "", e))?) } else { None };
        let file_len = match &file {
            Some(f) => f.metadata().map_err(|e| h5err(leaf, "", e))?.len(),
            None => 0,
        };
        // Chunks beyond a few slabs are read in part, each slab its own rows.
        const RANGED_MIN: usize = 4 << 20;
        let ranged = match &file {
            Some(_) if decoder.reads_ranges() && leaf_shape.len() == 1 && decoder.chunk_bytes >= RANGED_MIN => {
                use std::os::unix::ffi::OsStrExt;
                std::ffi::CString::new(leaf.file_path().as_os_str().as_bytes()).ok()
            }
            _ => None,
        };
        Ok(Reader {
            inner: op.shape.iter().skip(1).product(),
            swapped: match op.field {
                None => leaf.swapped(),
                Some((offset, _)) => leaf.record_swaps().covers(offset, op.elem.size()),
            },
            record_swaps: Some(leaf.record_swaps())
                .filter(|s| op.field.is_none() && !s.is_empty() && matches!(leaf_kind, Kind::Record(_)))
                .cloned(),
            fill: leaf.fill_bytes(stored),
            op: op.clone(),
            chunk,
            stored,
            decoder,
            index: if file.is_some() { leaf.shared_chunk_index()? } else { None },
            file,
            file_len,
            full_inner,
            ranged,
        })
    }

    /// The rows slabs are cut on multiples of: a chunk's, or one row when each slab reads
    /// its own part of a chunk.
    pub(crate) fn slab_unit(&self) -> usize {
        if self.ranged.is_some() {
            1
        } else {
            self.chunk_rows()
        }
    }

    /// Whether a slab reads only its own rows of a chunk it does not cover (a blosc2 frame
    /// read in part, or rows stored as they are in a chunk of rank 1).
    pub(crate) fn reads_rows_in_part(&self) -> bool {
        self.ranged.is_some() || self.plain_rows()
    }

    /// Rows of rank-1 chunks stored as they are (no filters), read with `pread`.
    fn plain_rows(&self) -> bool {
        self.file.is_some() && self.chunk.len() == 1 && self.decoder.codecs.is_empty()
    }

    pub(crate) fn chunk_rows(&self) -> usize {
        self.chunk.first().copied().unwrap_or(1).max(1)
    }

    /// The chunk grid points a slab touches, in storage order.
    fn chunk_offsets(&self, rows: Rows) -> Vec<Vec<u64>> {
        let shape = self.op.leaf.shape();
        let c0 = self.chunk_rows();
        let mut chunk_rows: Vec<usize> = Vec::new();
        if rows.step == 1 {
            chunk_rows.extend(rows.first / c0..=rows.last() / c0);
        } else {
            for k in 0..rows.n {
                let j = (rows.first + k * rows.step) / c0;
                if chunk_rows.last() != Some(&j) {
                    chunk_rows.push(j);
                }
            }
        }
        // Every chunk of the other dimensions, for each chunk row.
        let grid: Vec<usize> = shape.iter().zip(&self.chunk).skip(1).map(|(&d, &c)| d.div_ceil(c.max(1))).collect();
        let inner_chunks: usize = grid.iter().product();
        let mut out = Vec::with_capacity(chunk_rows.len() * inner_chunks);
        for j in chunk_rows {
            for g in 0..inner_chunks {
                let mut off = vec![(j * c0) as u64];
                let mut rem = g;
                let mut idx = vec![0usize; grid.len()];
                for d in (0..grid.len()).rev() {
                    idx[d] = rem % grid[d];
                    rem /= grid[d];
                }
                off.extend(idx.iter().zip(self.chunk.iter().skip(1)).map(|(&i, &c)| (i * c) as u64));
                out.push(off);
            }
        }
        out
    }

    /// On the I/O thread: locates the slab's chunks (and reads them, when workers may not).
    pub(crate) fn fetch(&self, rows: Rows) -> Result<Vec<Located>> {
        if rows.n == 0 {
            return Ok(Vec::new());
        }
        let leaf = &self.op.leaf;
        if self.chunk.is_empty() {
            // Contiguous storage: the library reads the rows (under its lock, as it must).
            let raw = leaf.read_rows(rows.first, rows.step, rows.n)?;
            return Ok(vec![Located { offset: Vec::new(), info: None, raw: Some(raw) }]);
        }
        self.chunk_offsets(rows)
            .into_iter()
            .map(|offset| {
                let info = match &self.index {
                    Some(index) => index.get(&offset).cloned(),
                    None => leaf.chunk_at(&offset)?,
                };
                let raw = match (&info, &self.file) {
                    (Some(info), None) => {
                        let mut buf = Vec::new();
                        let mask = leaf.read_raw_chunk(info, &mut buf)?;
                        Some((buf, mask))
                    }
                    _ => None,
                };
                let (raw, info) = match (raw, info) {
                    (Some((buf, mask)), Some(mut info)) => {
                        info.filter_mask = mask;
                        (Some(buf), Some(info))
                    }
                    (_, info) => (None, info),
                };
                Ok(Located { offset, info, raw })
            })
            .collect()
    }

    fn chunk_err(&self, offset: &[u64], msg: impl std::fmt::Display) -> Error {
        h5err(&self.op.leaf, &format!("{offset:?}"), msg)
    }

    /// The stored bytes of one located chunk.
    fn raw_bytes<'s>(&self, c: &'s Located, scratch: &'s mut Vec<u8>) -> Result<Option<(&'s [u8], u32)>> {
        let Some(info) = &c.info else { return Ok(None) };
        if let Some(raw) = &c.raw {
            return Ok(Some((raw, info.filter_mask)));
        }
        // Without `pread` every chunk was read when it was located.
        let Some(f) = &self.file else { return Err(self.chunk_err(&c.offset, "was not read")) };
        let size = self.op.leaf.stored_len(info, self.decoder.chunk_bytes, self.file_len)?;
        scratch.resize(size, 0);
        f.read_exact_at(scratch, info.addr).map_err(|e| self.chunk_err(&c.offset, e))?;
        Ok(Some((scratch.as_slice(), info.filter_mask)))
    }

    /// On a worker: the slab's values, converted into `out` (`rows.n × inner` elements).
    pub(crate) fn fill(&self, rows: Rows, located: Vec<Located>, s: &mut Scratch, out: &mut Buf) -> Result<()> {
        self.fill_stored(rows, located, s, out)?;
        if let (Some(swaps), Buf::Bytes(records, size)) = (&self.record_swaps, out) {
            swaps.apply(records, *size);
        }
        Ok(())
    }

    fn fill_stored(&self, rows: Rows, located: Vec<Located>, s: &mut Scratch, out: &mut Buf) -> Result<()> {
        out.resize(rows.n * self.inner);
        if rows.n == 0 {
            return Ok(());
        }
        if self.chunk.is_empty() {
            if let Some(raw) = located.first().and_then(|c| c.raw.as_ref()) {
                out.put(&self.op.elem, self.swapped, raw, 0);
            }
            return Ok(());
        }
        let leaf_shape = self.op.leaf.shape();
        let c0 = self.chunk_rows();
        let total_rows = leaf_shape.first().copied().unwrap_or(0);
        let elem_size = self.op.elem.size().max(1);
        for c in &located {
            let r0 = c.offset[0] as usize;
            let r1 = (r0 + c0).min(total_rows);
            // A slab that needs only part of a chunk reads only that part, where it can.
            let whole = r0 >= rows.first && r1 <= rows.first + (rows.n - 1) * rows.step + 1 && rows.step == 1;
            let partial = self.ranged.is_some() || (self.plain_rows() && !whole);
            if let (true, Some(info)) = (partial, &c.info) {
                // Only the slab's rows of the chunk (rank 1: a row is one stored element).
                let lo = r0.max(rows.first);
                let hi = r1.min(rows.first + (rows.n - 1) * rows.step + 1);
                if lo >= hi {
                    continue;
                }
                let at = (lo - r0) * self.stored;
                s.decoded.resize((hi - lo) * self.stored, 0);
                if self.decoder.passes_through(info.filter_mask) {
                    // Stored as it is: the rows are at their place in the file.
                    if info.size as usize != self.decoder.chunk_bytes {
                        let msg = format!("stored {} bytes, not {}", info.size, self.decoder.chunk_bytes);
                        return Err(self.chunk_err(&c.offset, msg));
                    }
                    if let Some(f) = &self.file {
                        f.read_exact_at(&mut s.decoded, info.addr + at as u64)
                            .map_err(|e| self.chunk_err(&c.offset, e))?;
                    }
                } else if let Some(path) = &self.ranged {
                    self.decoder
                        .read_range_at(path, info, at, &mut s.decoded)
                        .map_err(|e| self.chunk_err(&c.offset, e))?;
                } else {
                    return Err(self.chunk_err(&c.offset, "a chunk with filters cannot be read in part"));
                }
                self.copy_rows(rows, c, (lo, hi), &s.decoded, out, &leaf_shape);
                continue;
            }
            // A whole chunk that lands, unconverted, on whole rows of the slab: decode in place.
            let direct = self.full_inner
                && self.op.field.is_none()
                && rows.step == 1
                && r0 >= rows.first
                && r0 + c0 <= rows.first + rows.n
                && r1 == r0 + c0;
            if direct {
                let at = (r0 - rows.first) * self.inner * elem_size;
                let len = c0 * self.inner * elem_size;
                let (elem, swapped) = (&self.op.elem, self.swapped);
                if let Some(dst) = out.raw_mut(elem, swapped).map(|b| &mut b[at..at + len]) {
                    match &c.info {
                        None => fill_with(dst, &self.fill),
                        // Stored as it is (no filters, or every one skipped): read into place.
                        Some(info) if c.raw.is_none() && self.decoder.passes_through(info.filter_mask) => {
                            if let Some(f) = &self.file {
                                if info.size as usize != len {
                                    return Err(
                                        self.chunk_err(&c.offset, format!("stored {} bytes, not {len}", info.size))
                                    );
                                }
                                f.read_exact_at(dst, info.addr).map_err(|e| self.chunk_err(&c.offset, e))?;
                            }
                        }
                        Some(_) => {
                            let Some((raw, mask)) = self.raw_bytes(c, &mut s.raw)? else { continue };
                            self.decoder
                                .decode_into(raw, mask, &mut s.codec, dst)
                                .map_err(|e| self.chunk_err(&c.offset, e))?;
                        }
                    }
                    continue;
                }
            }
            // Otherwise: decode the chunk aside, then copy (and convert) what the slab needs.
            s.decoded.resize(self.decoder.chunk_bytes, 0);
            match self.raw_bytes(c, &mut s.raw)? {
                None => fill_with(&mut s.decoded, &self.fill),
                Some((raw, mask)) => {
                    self.decoder
                        .decode_into(raw, mask, &mut s.codec, &mut s.decoded)
                        .map_err(|e| self.chunk_err(&c.offset, e))?;
                }
            }
            self.copy_rows(rows, c, (r0, r1), &s.decoded, out, &leaf_shape);
        }
        Ok(())
    }

    /// Copies the slab's rows that lie in rows `r0..r1` of one chunk, decoded from row `r0` on.
    fn copy_rows(
        &self,
        rows: Rows,
        c: &Located,
        (r0, r1): (usize, usize),
        decoded: &[u8],
        out: &mut Buf,
        leaf_shape: &[usize],
    ) {
        // The slab rows inside this chunk: k such that first + k*step is in r0..r1.
        let k_lo = if r0 <= rows.first { 0 } else { (r0 - rows.first).div_ceil(rows.step) };
        let k_hi = if r1 <= rows.first { 0 } else { ((r1 - rows.first).div_ceil(rows.step)).min(rows.n) };
        if k_lo >= k_hi {
            return;
        }
        let (elem, swapped) = (&self.op.elem, self.swapped);
        let elem_size = elem.size().max(1);
        if let Some((offset, width)) = self.op.field {
            // A table column: `width` bytes of each record, `inner` elements each.
            for k in k_lo..k_hi {
                let r = rows.first + k * rows.step - r0;
                let rec = &decoded[r * self.stored..(r + 1) * self.stored];
                out.put(elem, swapped, &rec[offset..offset + width], k * self.inner);
            }
            return;
        }
        if self.full_inner {
            let row_bytes = self.inner * elem_size;
            if rows.step == 1 {
                let r = rows.first + k_lo - r0;
                let src = &decoded[r * row_bytes..(r + (k_hi - k_lo)) * row_bytes];
                out.put(elem, swapped, src, k_lo * self.inner);
            } else {
                for k in k_lo..k_hi {
                    let r = rows.first + k * rows.step - r0;
                    out.put(elem, swapped, &decoded[r * row_bytes..(r + 1) * row_bytes], k * self.inner);
                }
            }
            return;
        }
        // Chunks split the other dimensions: copy runs along the last one.
        let nd = leaf_shape.len();
        let inner_shape = &leaf_shape[1..];
        let cshape = &self.chunk[1..];
        let coff: Vec<usize> = c.offset[1..].iter().map(|&o| o as usize).collect();
        let ext: Vec<usize> = (0..nd - 1).map(|d| cshape[d].min(inner_shape[d] - coff[d])).collect();
        let chunk_row: usize = cshape.iter().product();
        let last = nd - 2;
        let lines: usize = ext[..last].iter().product();
        for k in k_lo..k_hi {
            let r = rows.first + k * rows.step - r0;
            for line in 0..lines {
                // The line's index inside the chunk's extent, for every dimension but the last.
                let mut rem = line;
                let mut src = r * chunk_row;
                let mut dst = k * self.inner;
                let mut sstride = cshape[last];
                let mut dstride = inner_shape[last];
                src += 0;
                dst += coff[last];
                for d in (0..last).rev() {
                    let i = rem % ext[d];
                    rem /= ext[d];
                    src += i * sstride;
                    dst += (coff[d] + i) * dstride;
                    sstride *= cshape[d];
                    dstride *= inner_shape[d];
                }
                let bytes = &decoded[src * elem_size..(src + ext[last]) * elem_size];
                out.put(elem, swapped, bytes, dst);
            }
        }
    }
}

fn fill_with(dst: &mut [u8], fill: &[u8]) {
    if fill.iter().all(|&b| b == 0) || fill.is_empty() {
        dst.fill(0);
        return;
    }
    for e in dst.chunks_mut(fill.len()) {
        let n = e.len();
        e.copy_from_slice(&fill[..n]);
    }
}

pub(crate) fn h5err(leaf: &Leaf, chunk: &str, msg: impl std::fmt::Display) -> Error {
    if chunk.is_empty() {
        return Error::H5(outcore_h5::Error::Node {
            file: leaf.file_path().to_path_buf(),
            node: leaf.path().to_string(),
            msg: msg.to_string(),
        });
    }
    Error::H5(outcore_h5::Error::Chunk {
        file: leaf.file_path().to_path_buf(),
        node: leaf.path().to_string(),
        chunk: chunk.to_string(),
        msg: msg.to_string(),
    })
}

// ---- writing slabs ---------------------------------------------------------------------------

/// Whether NumPy's `same_kind` rule lets a result of `from` be stored as `to`.
pub(crate) fn same_kind(from: DType, to: &Kind) -> bool {
    let from = match from {
        DType::Bool => 0,
        DType::Int32 | DType::Int64 => 2,
        DType::Float32 | DType::Float64 => 3,
        DType::Complex128 => 4,
        DType::Bytes(_) => return false,
    };
    crate::field::class(to).is_some_and(|to| crate::field::converts(from, to))
}

/// Stores `values` (the result's type) as packed elements of `kind`, in native order unless
/// `swapped`.
pub(crate) fn store(values: &Owned, kind: &Kind, swapped: bool, out: &mut Vec<u8>) {
    out.clear();
    macro_rules! each {
        ($v:expr, |$x:ident| $conv:expr) => {
            for &$x in $v.iter() {
                let mut b = $conv;
                if swapped {
                    b.reverse();
                }
                out.extend_from_slice(&b);
            }
        };
    }
    macro_rules! num {
        ($v:expr) => {
            match kind {
                Kind::Bool => each!($v, |x| [(x as f64 != 0.0) as u8]),
                Kind::Int { size: 1, signed: true } => each!($v, |x| (x as i8).to_ne_bytes()),
                Kind::Int { size: 1, signed: false } => each!($v, |x| (x as u8).to_ne_bytes()),
                Kind::Int { size: 2, signed: true } => each!($v, |x| (x as i16).to_ne_bytes()),
                Kind::Int { size: 2, signed: false } => each!($v, |x| (x as u16).to_ne_bytes()),
                Kind::Int { size: 4, signed: true } => each!($v, |x| (x as i32).to_ne_bytes()),
                Kind::Int { size: 4, signed: false } => each!($v, |x| (x as u32).to_ne_bytes()),
                Kind::Int { size: 8, signed: false } => each!($v, |x| (x as u64).to_ne_bytes()),
                Kind::Int { .. } => each!($v, |x| (x as i64).to_ne_bytes()),
                Kind::Float { size: 4 } => each!($v, |x| (x as f32).to_ne_bytes()),
                Kind::Float { .. } => each!($v, |x| (x as f64).to_ne_bytes()),
                Kind::Complex { size: 8 } => {
                    for &x in $v.iter() {
                        for part in [(x as f32), 0.0f32] {
                            let mut b = part.to_ne_bytes();
                            if swapped {
                                b.reverse();
                            }
                            out.extend_from_slice(&b);
                        }
                    }
                }
                _ => {
                    for &x in $v.iter() {
                        for part in [(x as f64), 0.0f64] {
                            let mut b = part.to_ne_bytes();
                            if swapped {
                                b.reverse();
                            }
                            out.extend_from_slice(&b);
                        }
                    }
                }
            }
        };
    }
    match values {
        Owned::Bool(v) => {
            let v: Vec<u8> = v.iter().map(|&b| b as u8).collect();
            num!(v)
        }
        Owned::Int32(v) => num!(v),
        Owned::Int64(v) => num!(v),
        Owned::Float32(v) => num!(v),
        Owned::Float64(v) => num!(v),
        Owned::Complex128(v) => {
            for x in v {
                match kind {
                    Kind::Complex { size: 8 } => {
                        for part in [x.re as f32, x.im as f32] {
                            let mut b = part.to_ne_bytes();
                            if swapped {
                                b.reverse();
                            }
                            out.extend_from_slice(&b);
                        }
                    }
                    _ => {
                        for part in [x.re, x.im] {
                            let mut b = part.to_ne_bytes();
                            if swapped {
                                b.reverse();
                            }
                            out.extend_from_slice(&b);
                        }
                    }
                }
            }
        }
    }
}

/// The bytes of values already in the stored kind, without a copy.
pub(crate) fn as_stored<'v>(values: &'v Owned, kind: &Kind, swapped: bool) -> Option<&'v [u8]> {
    fn bytes<T>(v: &[T]) -> &[u8] {
        // Safety: plain number types; reading their bytes is always valid.
        unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v)) }
    }
    if swapped {
        return None;
    }
    match (values, kind) {
        (Owned::Int32(v), Kind::Int { size: 4, signed: true }) => Some(bytes(v)),
        (Owned::Int64(v), Kind::Int { size: 8, signed: true }) => Some(bytes(v)),
        (Owned::Float32(v), Kind::Float { size: 4 }) => Some(bytes(v)),
        (Owned::Float64(v), Kind::Float { size: 8 }) => Some(bytes(v)),
        (Owned::Complex128(v), Kind::Complex { size: 16 }) => Some(bytes(v)),
        _ => None,
    }
}

/// An HDF5 leaf being written: its geometry and encoder.
pub(crate) struct Writer {
    pub leaf: Leaf,
    pub kind: Kind,
    pub swapped: bool,
    pub encoder: Option<Encoder>,
    /// Rows per chunk, when chunks span every other dimension (else everything goes
    /// through the library).
    pub chunk_rows: Option<usize>,
    /// Elements per row.
    pub inner: usize,
}

/// One output chunk: (its first row, filter mask, encoded bytes (`None` when the stored
/// bytes are the slab's own), the slab rows it holds).
pub(crate) type EncodedChunk = (usize, u32, Option<Vec<u8>>, std::ops::Range<usize>);

/// What a worker hands the sink for one slab of output.
pub(crate) struct Written {
    /// The slab's rows in the stored type.
    pub bytes: Vec<u8>,
    /// Whole chunks, encoded.
    pub chunks: Vec<EncodedChunk>,
    /// Row ranges (relative to the slab) the library writes.
    pub rest: Vec<std::ops::Range<usize>>,
}

impl Writer {
    pub(crate) fn new(leaf: &Leaf) -> Result<Writer> {
        let layout = leaf.layout()?;
        let kind = layout.kind;
        if compute_dtype(&kind).is_err() && !matches!(kind, Kind::Int { size: 8, signed: false }) {
            return Err(h5err(leaf, "", "cannot hold an expression's result (not an array of numbers)"));
        }
        let shape = leaf.shape();
        let (encoder, chunk_rows) = match leaf.chunk_shape() {
            Some(c) if c.iter().zip(&shape).skip(1).all(|(c, d)| c >= d) => {
                let enc = leaf.encoder()?;
                (Some(enc), Some(c[0].max(1)))
            }
            _ => (None, None),
        };
        Ok(Writer {
            swapped: leaf.swapped(),
            leaf: leaf.clone(),
            kind,
            encoder,
            chunk_rows,
            inner: shape.iter().skip(1).product(),
        })
    }

    /// On a worker: converts and encodes one slab whose rows go to output rows
    /// `first, first + step, ...`; `end` is the output's row count once written.
    pub(crate) fn encode(&self, values: &Owned, first: usize, step: usize, end: usize) -> Result<Written> {
        let mut bytes = Vec::new();
        let n_elems = crate::ooc::owned_len(values);
        let rows = n_elems.checked_div(self.inner).unwrap_or(0);
        let stored = as_stored(values, &self.kind, self.swapped);
        if stored.is_none() {
            store(values, &self.kind, self.swapped, &mut bytes);
        }
        let src: &[u8] = stored.unwrap_or(&bytes);
        let row_bytes = self.inner * self.kind.size();
        let mut chunks = Vec::new();
        let mut rest = Vec::new();
        match (self.chunk_rows, &self.encoder) {
            (Some(c0), Some(enc)) if step == 1 && rows > 0 => {
                let mut k = 0;
                while k < rows {
                    let r = first + k;
                    let chunk_start = r / c0 * c0;
                    let chunk_end = (chunk_start + c0).min(end);
                    let k_end = (k + chunk_end - r).min(rows);
                    let whole = r == chunk_start && first + k_end == chunk_end;
                    if whole {
                        let piece = &src[k * row_bytes..k_end * row_bytes];
                        if enc.is_identity() && k_end - k == c0 {
                            chunks.push((chunk_start, 0, None, k..k_end));
                        } else {
                            let padded;
                            let data: &[u8] = if k_end - k == c0 {
                                piece
                            } else {
                                // The dataset's last, partial chunk: padded to a whole one.
                                let mut full = piece.to_vec();
                                full.resize(enc.chunk_bytes, 0);
                                padded = full;
                                &padded
                            };
                            let mut out = Vec::new();
                            let mask = enc
                                .encode(data, &mut out)
                                .map_err(|e| h5err(&self.leaf, &format!("[{chunk_start}]"), e))?;
                            chunks.push((chunk_start, mask, Some(out), k..k_end));
                        }
                    } else {
                        rest.push(k..k_end);
                    }
                    k = k_end;
                }
            }
            _ => rest.push(0..rows),
        }
        if stored.is_some() && (!rest.is_empty() || chunks.iter().any(|c| c.2.is_none())) {
            bytes = src.to_vec();
        }
        Ok(Written { bytes, chunks, rest })
    }

    /// On the sink: stores one encoded slab.
    pub(crate) fn write(&self, w: &Written, first: usize, step: usize) -> Result<()> {
        let row_bytes = self.inner * self.kind.size();
        for (row, mask, data, range) in &w.chunks {
            let mut offset = vec![0u64; self.leaf.shape().len()];
            offset[0] = *row as u64;
            let bytes: &[u8] = match data {
                Some(d) => d,
                None => &w.bytes[range.start * row_bytes..range.end * row_bytes],
            };
            self.leaf.write_raw_chunk(&offset, *mask, bytes)?;
        }
        for r in &w.rest {
            if r.is_empty() {
                continue;
            }
            let bytes = &w.bytes[r.start * row_bytes..r.end * row_bytes];
            self.leaf.write_rows(first + r.start * step, step, r.len(), bytes)?;
        }
        Ok(())
    }
}

/// A buffer holding an in-memory array's values.
pub(crate) fn buf_of(a: crate::array::Array) -> Buf {
    use crate::array::Array;
    fn vec<T: Clone>(a: ndarray::ArrayD<T>) -> Vec<T> {
        a.as_standard_layout().iter().cloned().collect()
    }
    match a {
        Array::Bool(a) => Buf::Vm(Owned::Bool(vec(a))),
        Array::Int32(a) => Buf::Vm(Owned::Int32(vec(a))),
        Array::Int64(a) => Buf::Vm(Owned::Int64(vec(a))),
        Array::Float32(a) => Buf::Vm(Owned::Float32(vec(a))),
        Array::Float64(a) => Buf::Vm(Owned::Float64(vec(a))),
        Array::Complex128(a) => Buf::Vm(Owned::Complex128(vec(a).into_iter().map(|c| c128::new(c.re, c.im)).collect())),
        Array::Bytes(b) => Buf::Bytes(b.data, b.itemsize),
    }
}

/// Reads a whole unchunked leaf through the library into `out`.
pub(crate) fn read_whole(op: &H5Operand, out: &mut Buf) -> Result<()> {
    let n: usize = op.shape.iter().product();
    out.resize(n);
    let raw = op.leaf.read_bytes()?;
    out.put(&op.elem, op.leaf.swapped(), &raw, 0);
    Ok(())
}
