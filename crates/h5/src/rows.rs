//! What the chunk streamer needs from a leaf: chunks located by their coordinates, the byte
//! order of its values, rows written anywhere (hyperslabs) and extendable leaves grown.

use std::path::Path;

use hdf5_sys::h5::hsize_t;
use hdf5_sys::h5d::{H5Dget_space, H5Dget_type, H5Dread, H5Dwrite};
use hdf5_sys::h5p::H5P_DEFAULT;
use hdf5_sys::h5s::{H5S_seloper_t, H5Sclose, H5Screate_simple, H5Sselect_hyperslab};
use hdf5_sys::h5t::{H5T_order_t, H5Tclose, H5Tget_order};

use crate::error::{Error, Result};
use crate::file::{ChunkInfo, Leaf};

impl Leaf {
    /// The file this leaf lives in.
    pub fn file_path(&self) -> &Path {
        self.file_ref()
    }

    /// Whether this leaf was opened through a read-only handle (mode `r`): writes are refused.
    pub fn read_only(&self) -> bool {
        self.writable().is_err()
    }

    /// Whether the library has the file open read-only in this process, so its chunks cannot
    /// move while they are read at their addresses (a read-only handle beside a read-write one
    /// of the same file shares the read-write one's access).
    pub fn unchanging(&self) -> bool {
        self.dataset().file().is_ok_and(|f| f.is_read_only())
    }

    /// The chunk whose first element is at `offset` (a point of the chunk grid), or `None`
    /// when it was never written (it reads as the fill value).
    pub fn chunk_at(&self, offset: &[u64]) -> Result<Option<ChunkInfo>> {
        let coords: Vec<hsize_t> = offset.to_vec();
        let mut mask: u32 = 0;
        let mut addr: hdf5_sys::h5::haddr_t = 0;
        let mut size: hsize_t = 0;
        let rc = hdf5::sync::sync(|| {
            // Safety: `coords` has one entry per dimension; the outputs are plain integers.
            unsafe {
                hdf5_sys::h5d::H5Dget_chunk_info_by_coord(
                    self.dataset().id(),
                    coords.as_ptr(),
                    &mut mask,
                    &mut addr,
                    &mut size,
                )
            }
        });
        if rc < 0 {
            return Err(self.node_err(format!("cannot locate the chunk at {offset:?}")));
        }
        if addr == hdf5_sys::h5::HADDR_UNDEF {
            // A chunk never written, or one a damaged index lost.
            self.check_index_once()?;
            return Ok(None);
        }
        if size == 0 {
            return Err(self.chunk_err(offset, "stores no bytes"));
        }
        Ok(Some(ChunkInfo { offset: offset.to_vec(), filter_mask: mask, addr, size }))
    }

    /// Whether the leaf's numbers are stored in the other byte order than this machine's:
    /// for atomic types and arrays of them; never for records, whose members
    /// [`Leaf::record_swaps`] locates (and the record APIs swap).
    pub fn swapped(&self) -> bool {
        let id = self.dataset().id();
        let order = hdf5::sync::sync(|| {
            // Safety: the type id is closed right after its order is read.
            unsafe {
                let ty = H5Dget_type(id);
                if ty < 0 {
                    return H5T_order_t::H5T_ORDER_ERROR;
                }
                if hdf5_sys::h5t::H5Tget_class(ty) == hdf5_sys::h5t::H5T_class_t::H5T_COMPOUND {
                    H5Tclose(ty);
                    return H5T_order_t::H5T_ORDER_NONE;
                }
                let o = H5Tget_order(ty);
                H5Tclose(ty);
                o
            }
        });
        let native = if cfg!(target_endian = "little") { H5T_order_t::H5T_ORDER_LE } else { H5T_order_t::H5T_ORDER_BE };
        matches!(order, H5T_order_t::H5T_ORDER_LE | H5T_order_t::H5T_ORDER_BE) && order != native
    }

    /// Where a record's numbers stored in the other byte order lie (empty for atomic
    /// leaves, whose order [`Leaf::swapped`] tells, and for tables in this machine's order).
    /// The record APIs ([`Leaf::read_records`], [`Leaf::read_coords`], [`Leaf::read_rows`],
    /// [`Leaf::append_records`], [`Leaf::modify_records`], ...) speak this machine's order
    /// and swap on the way; raw chunks and [`Leaf::read_bytes`] are as stored.
    pub fn record_swaps(&self) -> &ByteSwaps {
        self.swaps.get_or_init(|| self.find_record_swaps())
    }

    fn find_record_swaps(&self) -> ByteSwaps {
        use hdf5_sys::h5t::{
            H5T_class_t, H5Tget_array_dims2, H5Tget_array_ndims, H5Tget_class, H5Tget_member_offset,
            H5Tget_member_type, H5Tget_nmembers, H5Tget_size, H5Tget_super,
        };
        let native = if cfg!(target_endian = "little") { H5T_order_t::H5T_ORDER_LE } else { H5T_order_t::H5T_ORDER_BE };
        // Safety: every type id opened here is closed.
        unsafe fn walk(
            ty: hdf5_sys::h5i::hid_t,
            at: usize,
            native: H5T_order_t,
            runs: &mut Vec<(usize, usize, usize)>,
        ) {
            match H5Tget_class(ty) {
                H5T_class_t::H5T_COMPOUND => {
                    for i in 0..H5Tget_nmembers(ty).max(0) as u32 {
                        let m = H5Tget_member_type(ty, i);
                        if m < 0 {
                            continue;
                        }
                        walk(m, at + H5Tget_member_offset(ty, i), native, runs);
                        H5Tclose(m);
                    }
                }
                H5T_class_t::H5T_ARRAY => {
                    let b = H5Tget_super(ty);
                    if b < 0 {
                        return;
                    }
                    let nd = H5Tget_array_ndims(ty).clamp(0, 32) as usize;
                    let mut dims = vec![0 as hsize_t; nd];
                    let count = if H5Tget_array_dims2(ty, dims.as_mut_ptr()) < 0 {
                        0
                    } else {
                        dims.iter().map(|&d| d as usize).product::<usize>()
                    };
                    let width = H5Tget_size(b);
                    let before = runs.len();
                    walk(b, at, native, runs);
                    // A run of the base's swaps for each element after the first.
                    let base: Vec<_> = runs[before..].to_vec();
                    for k in 1..count {
                        runs.extend(base.iter().map(|&(o, w, c)| (o + k * width, w, c)));
                    }
                    H5Tclose(b);
                }
                H5T_class_t::H5T_INTEGER | H5T_class_t::H5T_FLOAT | H5T_class_t::H5T_ENUM => {
                    let o = H5Tget_order(ty);
                    let w = H5Tget_size(ty);
                    if matches!(o, H5T_order_t::H5T_ORDER_LE | H5T_order_t::H5T_ORDER_BE) && o != native && w > 1 {
                        runs.push((at, w, 1));
                    }
                }
                _ => {}
            }
        }
        let id = self.dataset().id();
        let mut runs = Vec::new();
        hdf5::sync::sync(|| unsafe {
            let ty = H5Dget_type(id);
            if ty < 0 {
                return;
            }
            if H5Tget_class(ty) == H5T_class_t::H5T_COMPOUND {
                walk(ty, 0, native, &mut runs);
            }
            H5Tclose(ty);
        });
        ByteSwaps::new(runs)
    }

    /// Reads `n` rows at `start, start + step, ...` through the library, in the dataset's own
    /// element type, packed.
    pub fn read_rows(&self, start: usize, step: usize, n: usize) -> Result<Vec<u8>> {
        self.fixed_size_values()?;
        let elem = self.layout()?.size;
        let inner: usize = self.shape().iter().skip(1).product();
        let mut buf = vec![0u8; n * inner * elem];
        self.rows_io(start, step, n, buf.as_mut_ptr(), false)?;
        self.record_swaps().apply(&mut buf, elem);
        Ok(buf)
    }

    /// Writes `n` rows at `start, start + step, ...` from `bytes` (the rows packed, in the
    /// dataset's own element type), through the library: for rows that do not fill whole
    /// chunks, which it reads, merges and writes back.
    pub fn write_rows(&self, start: usize, step: usize, n: usize, bytes: &[u8]) -> Result<()> {
        self.writable()?;
        let shape = self.shape();
        let elem = self.layout()?.size;
        let inner: usize = shape.iter().skip(1).product();
        if n == 0 {
            return Ok(());
        }
        let last = start + (n - 1) * step.max(1);
        if shape.is_empty() || last >= shape[0] || bytes.len() != n * inner * elem {
            return Err(self.node_err(format!(
                "cannot write {n} rows from row {start} (step {step}) into shape {shape:?} from {} bytes",
                bytes.len()
            )));
        }
        let swaps = self.record_swaps();
        if swaps.is_empty() {
            return self.rows_io(start, step, n, bytes.as_ptr().cast_mut(), true);
        }
        let mut stored = bytes.to_vec();
        swaps.apply(&mut stored, elem);
        self.rows_io(start, step, n, stored.as_mut_ptr(), true)
    }

    fn rows_io(&self, start: usize, step: usize, n: usize, buf: *mut u8, write: bool) -> Result<()> {
        let shape = self.shape();
        if n == 0 {
            return Ok(());
        }
        if shape.is_empty() || start + (n - 1) * step.max(1) >= shape[0] {
            return Err(self.node_err(format!("rows {start}.. (step {step}, {n} rows) are outside shape {shape:?}")));
        }
        // Checked before writes too: HDF5 1.10 copies into a damaged compact buffer as it
        // copies out of one.
        self.check_index_once()?;
        if self.chunk_shape().is_none() {
            let row: usize = shape.iter().skip(1).product::<usize>().saturating_mul(self.layout()?.size);
            self.check_unchunked_storage(shape[0].saturating_mul(row))?;
        }
        let id = self.dataset().id();
        let rc = hdf5::sync::sync(|| {
            // Safety: `buf` holds exactly the selected elements in the dataset's own type;
            // every id opened here is closed here.
            unsafe {
                let ty = H5Dget_type(id);
                let fspace = H5Dget_space(id);
                let mut mdims: Vec<hsize_t> = shape.iter().map(|&d| d as hsize_t).collect();
                mdims[0] = n as hsize_t;
                let mspace = H5Screate_simple(mdims.len() as i32, mdims.as_ptr(), std::ptr::null());
                let mut fstart = vec![0 as hsize_t; shape.len()];
                fstart[0] = start as hsize_t;
                let mut fstride = vec![1 as hsize_t; shape.len()];
                fstride[0] = step.max(1) as hsize_t;
                let mut rc = H5Sselect_hyperslab(
                    fspace,
                    H5S_seloper_t::H5S_SELECT_SET,
                    fstart.as_ptr(),
                    fstride.as_ptr(),
                    mdims.as_ptr(),
                    std::ptr::null(),
                );
                if rc >= 0 {
                    crate::error::clear_errno();
                    rc = if write {
                        H5Dwrite(id, ty, mspace, fspace, H5P_DEFAULT, buf.cast_const().cast())
                    } else {
                        H5Dread(id, ty, mspace, fspace, H5P_DEFAULT, buf.cast())
                    };
                }
                H5Sclose(mspace);
                H5Sclose(fspace);
                H5Tclose(ty);
                rc
            }
        });
        if rc < 0 {
            if !write {
                let last = start as u64 + (n.max(1) as u64 - 1) * step.max(1) as u64;
                return Err(self.read_failure(&format!("H5Dread of {n} rows at row {start}"), start as u64..last + 1));
            }
            return Err(self.node_err(crate::error::failed(format!("H5Dwrite of {n} rows at row {start} failed"))));
        }
        Ok(())
    }

    /// Grows (or shrinks) an extendable leaf's first dimension to `rows`.
    pub fn resize_rows(&self, rows: usize) -> Result<()> {
        self.writable()?;
        let mut shape = self.shape();
        if shape.is_empty() {
            return Err(self.node_err("a scalar has no rows"));
        }
        shape[0] = rows;
        self.dataset().resize(shape).map_err(|e| self.node_err(e))
    }
}

impl Leaf {
    /// Flushes the file this leaf lives in (a no-op for read-only files).
    pub fn flush_file(&self) -> Result<()> {
        if self.read_only() || self.unchanging() {
            return Ok(());
        }
        let f = self.dataset().file().map_err(|e| self.node_err(e))?;
        crate::error::clear_errno();
        f.flush().map_err(|e| self.node_err(crate::error::failed(e)))
    }

    /// Whether two handles name the same dataset of the same file.
    pub fn same_dataset(&self, other: &Leaf) -> bool {
        self.path() == other.path()
            && (self.file_path() == other.file_path()
                || std::fs::canonicalize(self.file_path()).ok() == std::fs::canonicalize(other.file_path()).ok())
    }
}

impl Leaf {
    /// Cuts an extendable leaf back to the rows its chunk index holds: from the first block
    /// of rows inside the extent with a chunk missing from the index, every row is dropped
    /// (and a table's `NROWS` set to match). After a write that failed part way (a full
    /// disk), the library may have recorded the extent but not every chunk; without this,
    /// the missing chunks would read as rows of fill values. Returns the rows kept.
    pub fn keep_stored_prefix(&self) -> Result<usize> {
        self.writable()?;
        let shape = self.shape();
        let Some(chunk) = self.chunk_shape() else { return Ok(shape.first().copied().unwrap_or(0)) };
        let rows = shape.first().copied().unwrap_or(0);
        let c0 = chunk[0].max(1);
        let index = self.checked_chunk_index()?;
        // Every chunk offset of one block of rows (the inner dimensions' chunk grid).
        let inner: Vec<Vec<u64>> = shape[1..].iter().zip(&chunk[1..]).fold(vec![Vec::new()], |acc, (&d, &c)| {
            let steps = d.div_ceil(c.max(1)).max(1);
            acc.into_iter()
                .flat_map(|p| {
                    (0..steps).map(move |k| {
                        let mut p = p.clone();
                        p.push((k * c) as u64);
                        p
                    })
                })
                .collect()
        });
        let mut kept = rows;
        'blocks: for b in 0..rows.div_ceil(c0) {
            for rest in &inner {
                let mut offset = vec![(b * c0) as u64];
                offset.extend_from_slice(rest);
                let stored = match &index {
                    Some(ix) => ix.get(&offset).is_some(),
                    None => self.chunk_at(&offset)?.is_some(),
                };
                if !stored {
                    kept = b * c0;
                    break 'blocks;
                }
            }
        }
        if kept < rows {
            self.resize_rows(kept)?;
        }
        if self.class() == crate::file::LeafClass::Table {
            self.set_nrows(kept as u64)?;
        }
        Ok(kept)
    }
}

/// After an append to `FILE:node` failed part way: makes the file open again and its leaf
/// hold only rows that were written. A file shorter than its superblock says (space the
/// library reserved but could not write) is extended to that length with a hole, which needs
/// no room on the disk; then [`Leaf::keep_stored_prefix`]. Returns the rows kept.
pub fn keep_written_prefix(file: &std::path::Path, node: &str) -> Result<usize> {
    extend_to_stored_eof(file)?;
    let f = crate::file::File::open(file, crate::file::Mode::Append)?;
    let kept = f.leaf(node)?.keep_stored_prefix()?;
    f.flush()?;
    Ok(kept)
}

/// Extends an HDF5 file shorter than the end of file its superblock records (versions 0 to
/// 3, 8-byte addresses) to that length. Returns whether it did.
fn extend_to_stored_eof(path: &std::path::Path) -> Result<bool> {
    use std::io::Read;
    let err = |msg: String| Error::File { file: path.to_path_buf(), msg };
    let mut fh = std::fs::OpenOptions::new().read(true).write(true).open(path).map_err(|e| err(e.to_string()))?;
    let mut sb = [0u8; 64];
    let n = fh.read(&mut sb).map_err(|e| err(e.to_string()))?;
    if n < 52 || &sb[..8] != b"\x89HDF\r\n\x1a\n" {
        return Ok(false);
    }
    let at = match sb[8] {
        0 if sb[13] == 8 => 40,
        1 if sb[13] == 8 => 44,
        2 | 3 if sb[9] == 8 => 28,
        _ => return Ok(false),
    };
    let eof = u64::from_le_bytes(sb[at..at + 8].try_into().expect("8 bytes"));
    let len = fh.metadata().map_err(|e| err(e.to_string()))?.len();
    // Only what a failed write leaves: a little short, never a file of another size.
    if eof <= len || eof - len > 1 << 32 {
        return Ok(false);
    }
    fh.set_len(eof).map_err(|e| err(format!("cannot be extended to its recorded length {eof}: {e}")))?;
    Ok(true)
}

/// Where the numbers of a record stored in the other byte order lie: runs of `count`
/// elements `width` bytes wide from `offset`, each to be reversed ([`Leaf::record_swaps`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ByteSwaps {
    runs: Vec<(usize, usize, usize)>,
}

impl ByteSwaps {
    fn new(mut runs: Vec<(usize, usize, usize)>) -> ByteSwaps {
        runs.sort_unstable();
        // Neighbouring elements of one width are one run.
        let mut merged: Vec<(usize, usize, usize)> = Vec::with_capacity(runs.len());
        for (o, w, c) in runs {
            match merged.last_mut() {
                Some((mo, mw, mc)) if *mw == w && *mo + *mw * *mc == o => *mc += c,
                _ => merged.push((o, w, c)),
            }
        }
        ByteSwaps { runs: merged }
    }

    /// Whether every number is in this machine's order.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Whether the field at `offset` (`width` bytes) is stored in the other order.
    pub fn covers(&self, offset: usize, width: usize) -> bool {
        self.runs.iter().any(|&(o, w, c)| offset >= o && offset < o + w * c && offset + width <= o + w * c)
    }

    /// Turns packed records (`size` bytes each) from one byte order to the other, in place.
    pub fn apply(&self, records: &mut [u8], size: usize) {
        if self.runs.is_empty() || size == 0 {
            return;
        }
        for rec in records.chunks_exact_mut(size) {
            for &(o, w, c) in &self.runs {
                if let Some(run) = rec.get_mut(o..o + w * c) {
                    for e in run.chunks_exact_mut(w) {
                        e.reverse();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ByteSwaps;

    #[test]
    fn byte_swaps_join_neighbours_and_swap_each_element() {
        // An i32 at 0, a 2-element f64 array at 4 (two runs found apart), an i16 at 20.
        let s = ByteSwaps::new(vec![(12, 8, 1), (0, 4, 1), (4, 8, 1), (20, 2, 1)]);
        assert_eq!(s.runs, vec![(0, 4, 1), (4, 8, 2), (20, 2, 1)]);
        assert!(s.covers(12, 8) && s.covers(0, 4) && !s.covers(22, 1) && !s.covers(16, 8));
        let mut rec = Vec::new();
        rec.extend_from_slice(&7i32.to_be_bytes());
        rec.extend_from_slice(&1.5f64.to_be_bytes());
        rec.extend_from_slice(&(-2.0f64).to_be_bytes());
        rec.extend_from_slice(&300i16.to_be_bytes());
        rec.push(9);
        let mut two = [rec.clone(), rec].concat();
        s.apply(&mut two, 23);
        for r in two.chunks(23) {
            assert_eq!(i32::from_be_bytes(r[0..4].try_into().unwrap()).swap_bytes(), 7);
            assert_eq!(f64::from_bits(u64::from_be_bytes(r[4..12].try_into().unwrap()).swap_bytes()), 1.5);
            assert_eq!(f64::from_bits(u64::from_be_bytes(r[12..20].try_into().unwrap()).swap_bytes()), -2.0);
            assert_eq!(i16::from_be_bytes(r[20..22].try_into().unwrap()).swap_bytes(), 300);
            assert_eq!(r[22], 9);
        }
    }
}
