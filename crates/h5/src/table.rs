//! Tables: creating them from a record [`Layout`] (packed, as PyTables 3.11 needs), appending
//! and modifying packed records, and reading rows by range, by coordinates or one column.

use hdf5_sys::h5::hsize_t;
use hdf5_sys::h5d::{H5Dget_space, H5Dget_type, H5Dread, H5Dset_extent, H5Dwrite};
use hdf5_sys::h5i::hid_t;
use hdf5_sys::h5p::H5P_DEFAULT;
use hdf5_sys::h5s::{H5Sclose, H5Screate_simple, H5Sselect_elements, H5Sselect_hyperslab, H5S_SELECT_SET};
use hdf5_sys::h5t::*;

use crate::error::{Error, Result};
use crate::file::{File, Leaf};
use crate::layout::{Kind, Layout};
use crate::write::Filters;

/// An HDF5 datatype id, closed when dropped.
pub(crate) struct Type(pub(crate) hid_t);

impl Drop for Type {
    fn drop(&mut self) {
        if self.0 >= 0 {
            // Safety: an id this module created and owns.
            unsafe {
                H5Tclose(self.0);
            }
        }
    }
}

impl File {
    /// Creates an empty one-dimensional dataset that grows (a Table's or a VLArray's): chunks
    /// of `rows`, the filters given or inherited from the groups above, elements of the type
    /// `ty` builds (under the HDF5 lock).
    pub(crate) fn create_rows_dataset(
        &self,
        path: &str,
        rows: usize,
        filters: Option<&Filters>,
        ty: impl FnOnce() -> std::result::Result<Type, String>,
    ) -> Result<()> {
        let dcpl = {
            let mut b = hdf5::plist::DatasetCreate::build();
            b.chunk(vec![rows.max(1)]);
            if let Some(f) = filters.copied().or_else(|| self.inherited_filters(path)) {
                b.set_filters(&f.pipeline());
            }
            b.finish().map_err(|e| self.node_error(path, e))?
        };
        let cname = std::ffi::CString::new(path).map_err(|_| self.node_error(path, "a NUL in the name"))?;
        let created = hdf5::sync::sync(|| -> std::result::Result<(), String> {
            let ty = ty()?;
            // Safety: ids created here are closed before returning.
            unsafe {
                let dims = [0 as hsize_t];
                let max = [hdf5_sys::h5s::H5S_UNLIMITED];
                let space = H5Screate_simple(1, dims.as_ptr(), max.as_ptr());
                let ds = hdf5_sys::h5d::H5Dcreate2(
                    self.h5().id(),
                    cname.as_ptr(),
                    ty.0,
                    space,
                    H5P_DEFAULT,
                    dcpl.id(),
                    H5P_DEFAULT,
                );
                H5Sclose(space);
                if ds < 0 {
                    return Err("H5Dcreate failed".into());
                }
                hdf5_sys::h5d::H5Dclose(ds);
            }
            Ok(())
        });
        created.map_err(|e| self.node_error(path, e))
    }
}

/// The HDF5 type of a kind, packed at the layout's offsets. Must run under the HDF5 lock.
pub(crate) fn build_type(kind: &Kind) -> std::result::Result<Type, String> {
    // Safety: every id created is wrapped in `Type` (closed on drop) or closed explicitly.
    unsafe {
        let t = match kind {
            Kind::Bool => Type(H5Tcopy(*H5T_NATIVE_B8)),
            Kind::Int { size, signed } => {
                let base = match (size, signed) {
                    (1, true) => *H5T_STD_I8LE,
                    (2, true) => *H5T_STD_I16LE,
                    (4, true) => *H5T_STD_I32LE,
                    (8, true) => *H5T_STD_I64LE,
                    (1, false) => *H5T_STD_U8LE,
                    (2, false) => *H5T_STD_U16LE,
                    (4, false) => *H5T_STD_U32LE,
                    (8, false) => *H5T_STD_U64LE,
                    _ => return Err(format!("no {size}-byte integers")),
                };
                Type(H5Tcopy(base))
            }
            Kind::Float { size: 4 } => Type(H5Tcopy(*H5T_IEEE_F32LE)),
            Kind::Float { size: 8 } => Type(H5Tcopy(*H5T_IEEE_F64LE)),
            Kind::Float { size } => return Err(format!("no {size}-byte floats")),
            Kind::Complex { size } => {
                let part = if *size == 16 { *H5T_IEEE_F64LE } else { *H5T_IEEE_F32LE };
                let t = Type(H5Tcreate(H5T_class_t::H5T_COMPOUND, *size));
                H5Tinsert(t.0, c"r".as_ptr(), 0, part);
                H5Tinsert(t.0, c"i".as_ptr(), size / 2, part);
                t
            }
            Kind::Bytes(n) => {
                let t = Type(H5Tcopy(*H5T_C_S1));
                H5Tset_size(t.0, (*n).max(1));
                H5Tset_strpad(t.0, H5T_str_t::H5T_STR_NULLPAD);
                t
            }
            Kind::Array(inner, dims) => {
                let base = build_type(inner)?;
                let d: Vec<hsize_t> = dims.iter().map(|&x| x as hsize_t).collect();
                Type(H5Tarray_create2(base.0, d.len() as u32, d.as_ptr()))
            }
            Kind::Record(fields) => {
                let t = Type(H5Tcreate(H5T_class_t::H5T_COMPOUND, kind.size().max(1)));
                for f in fields {
                    let ft = build_type(&f.kind)?;
                    let name =
                        std::ffi::CString::new(f.name.as_str()).map_err(|_| "a field name holds a NUL".to_string())?;
                    if H5Tinsert(t.0, name.as_ptr(), f.offset, ft.0) < 0 {
                        return Err(format!("field `{}` does not fit at offset {}", f.name, f.offset));
                    }
                }
                t
            }
            Kind::Other(what) => return Err(format!("cannot store {what}")),
        };
        if t.0 < 0 {
            return Err("could not build the datatype".into());
        }
        Ok(t)
    }
}

impl File {
    /// Creates an empty Table of `layout`'s records (packed), chunked by PyTables' rule for
    /// `expected_rows` unless `chunk_rows` is given.
    #[allow(clippy::too_many_arguments)]
    pub fn create_table(
        &self,
        parent: &str,
        name: &str,
        layout: &Layout,
        expected_rows: u64,
        chunk_rows: Option<usize>,
        filters: Option<&Filters>,
        title: &str,
    ) -> Result<Leaf> {
        let path = crate::write::join(parent, name);
        self.check_new(&path)?;
        let Kind::Record(fields) = &layout.kind else {
            return Err(self.node_error(&path, "a table needs record rows"));
        };
        let rows = chunk_rows
            .unwrap_or_else(|| crate::chunks::table_chunk_rows(expected_rows, layout.size as u64) as usize)
            .max(1);
        self.create_rows_dataset(&path, rows, filters, || build_type(&layout.kind))?;
        let leaf = self.leaf(&path)?;
        let ds = leaf.dataset();
        for (k, v) in [("CLASS", "TABLE"), ("TITLE", title), ("VERSION", "2.7")] {
            crate::write::write_str_attr(ds, k, v).map_err(|e| self.node_error(&path, e))?;
        }
        for (i, f) in fields.iter().enumerate() {
            crate::write::write_str_attr(ds, &format!("FIELD_{i}_NAME"), &f.name)
                .map_err(|e| self.node_error(&path, e))?;
        }
        leaf.set_nrows(0)?;
        Ok(leaf)
    }
}

impl Leaf {
    fn record_size(&self) -> Result<usize> {
        Ok(self.layout()?.size)
    }

    /// Records the row count in PyTables' `NROWS` attribute (after writing rows raw).
    pub fn set_nrows(&self, n: u64) -> Result<()> {
        self.writable()?;
        let ds = self.dataset();
        if ds.attr_names().map_err(|e| self.node_err(e))?.iter().any(|a| a == "NROWS") {
            ds.delete_attr("NROWS").map_err(|e| self.node_err(e))?;
        }
        let a = ds.new_attr::<i64>().create("NROWS").map_err(|e| self.node_err(e))?;
        a.write_scalar(&(n as i64)).map_err(|e| self.node_err(e))
    }

    /// Runs H5Dwrite or H5Dread of `n` records against a file selection made by `select`.
    /// The records are in this machine's byte order: members stored in the other are swapped
    /// (a copy, for writes) on the way.
    fn transfer(&self, n: usize, buf: *mut u8, write: bool, select: impl Fn(hid_t) -> i32) -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        let swaps = self.record_swaps();
        if !swaps.is_empty() {
            let size = self.record_size()?;
            if write {
                // Safety: `buf` holds `n` records of `size` bytes (the callers' contract),
                // only read for a write.
                let mut stored = unsafe { std::slice::from_raw_parts(buf.cast_const(), n * size) }.to_vec();
                swaps.apply(&mut stored, size);
                return self.transfer_stored(n, stored.as_mut_ptr(), true, select);
            }
            self.transfer_stored(n, buf, false, select)?;
            // Safety: as above; for a read, `buf` is the callers' own writable buffer.
            swaps.apply(unsafe { std::slice::from_raw_parts_mut(buf, n * size) }, size);
            return Ok(());
        }
        self.transfer_stored(n, buf, write, select)
    }

    /// [`Leaf::transfer`] of records as stored.
    fn transfer_stored(&self, n: usize, buf: *mut u8, write: bool, select: impl Fn(hid_t) -> i32) -> Result<()> {
        self.check_index_once()?;
        let ds = self.dataset().id();
        let rc = hdf5::sync::sync(|| {
            // Safety: `buf` holds `n` records of the dataset's own type; ids are closed here.
            unsafe {
                let ty = H5Dget_type(ds);
                let fspace = H5Dget_space(ds);
                let dims = [n as hsize_t];
                let mspace = H5Screate_simple(1, dims.as_ptr(), std::ptr::null());
                let mut rc = select(fspace);
                if rc >= 0 {
                    crate::error::clear_errno();
                    rc = if write {
                        H5Dwrite(ds, ty, mspace, fspace, H5P_DEFAULT, buf.cast_const().cast())
                    } else {
                        H5Dread(ds, ty, mspace, fspace, H5P_DEFAULT, buf.cast())
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
                return Err(self.read_failure("H5Dread", 0..u64::MAX));
            }
            return Err(self.node_err(crate::error::failed("H5Dwrite failed")));
        }
        Ok(())
    }

    fn whole_records(&self, records: &[u8]) -> Result<usize> {
        let size = self.record_size()?;
        if size == 0 || !records.len().is_multiple_of(size) {
            return Err(self.node_err(format!("{} bytes are not whole {size}-byte records", records.len())));
        }
        Ok(records.len() / size)
    }

    /// Appends packed records to a table (or rows to any extendable 1-D leaf).
    /// A table's statistics (see [`crate::Zones`]) grow with the rows.
    pub fn append_records(&self, records: &[u8]) -> Result<()> {
        let old = self.shape().first().copied().unwrap_or(0);
        // PyTables' indexes do not cover the new rows: dirty before they are written.
        if !records.is_empty() {
            self.mark_pytables_indexes_dirty()?;
        }
        self.append_plain(records)?;
        // The rows are in: statistics that cannot follow them stay covering fewer rows than
        // the table has, and so are ignored (never trusted), which is all a failure here means.
        let _ = self.widen_zones(old, records, old);
        Ok(())
    }

    /// Appends records with no other bookkeeping than `NROWS`.
    pub(crate) fn append_plain(&self, records: &[u8]) -> Result<()> {
        self.writable()?;
        let n = self.whole_records(records)?;
        let old = self.shape().first().copied().unwrap_or(0);
        let new = [(old + n) as hsize_t];
        let ds = self.dataset().id();
        // Safety: a valid dataset id and a one-dimensional extent.
        if hdf5::sync::sync(|| unsafe { H5Dset_extent(ds, new.as_ptr()) }) < 0 {
            return Err(self.node_err("cannot extend (is it a Table or an EArray?)"));
        }
        let start = [old as hsize_t];
        let count = [n as hsize_t];
        // Safety: the selection lies inside the extended dataspace.
        let wrote = self.transfer(n, records.as_ptr().cast_mut(), true, |fs| unsafe {
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, start.as_ptr(), std::ptr::null(), count.as_ptr(), std::ptr::null())
        });
        if let Err(e) = wrote {
            // The extent never runs ahead of the rows written: back to where it was.
            let old = [old as hsize_t];
            // Safety: as above.
            hdf5::sync::sync(|| unsafe { H5Dset_extent(ds, old.as_ptr()) });
            return Err(e);
        }
        if self.class() == crate::file::LeafClass::Table {
            self.set_nrows((old + n) as u64)?;
        }
        Ok(())
    }

    /// Overwrites records from row `start` on. A table's statistics are widened first, so
    /// that they never describe less than what is stored.
    pub fn modify_records(&self, start: usize, records: &[u8]) -> Result<()> {
        self.writable()?;
        let n = self.whole_records(records)?;
        let rows = self.shape().first().copied().unwrap_or(0);
        if start + n > rows {
            return Err(self.node_err(format!("rows {start}..{} are past the end ({rows} rows)", start + n)));
        }
        self.widen_zones(start, records, rows)?;
        self.mark_pytables_indexes_dirty()?;
        self.modify_plain(start, records)
    }

    /// Overwrites the records at rows `rows` (ascending, no repeats) with `records` (one each,
    /// in the same order), in one library call: each chunk touched is decoded and encoded
    /// once. A table's statistics are widened first.
    pub fn modify_rows_at(&self, rows: &[u64], records: &[u8]) -> Result<()> {
        self.writable()?;
        let n = self.whole_records(records)?;
        if n != rows.len() {
            return Err(self.node_err(format!("{n} records for {} rows", rows.len())));
        }
        if n == 0 {
            return Ok(());
        }
        let nrows = self.shape().first().copied().unwrap_or(0);
        if !rows.windows(2).all(|w| w[0] < w[1]) {
            return Err(self.node_err("rows to modify must ascend, each once"));
        }
        if rows[n - 1] as usize >= nrows {
            return Err(self.node_err(format!("row {} is past the end ({nrows} rows)", rows[n - 1])));
        }
        self.widen_zones_at(rows, records, nrows)?;
        self.mark_pytables_indexes_dirty()?;
        let coords: Vec<hsize_t> = rows.to_vec();
        // Safety: `coords` holds `n` points of the one-dimensional dataspace.
        self.transfer(n, records.as_ptr().cast_mut(), true, |fs| unsafe {
            H5Sselect_elements(fs, H5S_SELECT_SET, n, coords.as_ptr())
        })
    }

    /// Overwrites records from row `start` on, with no other bookkeeping.
    pub(crate) fn modify_plain(&self, start: usize, records: &[u8]) -> Result<()> {
        self.writable()?;
        let n = self.whole_records(records)?;
        let rows = self.shape().first().copied().unwrap_or(0);
        if start + n > rows {
            return Err(self.node_err(format!("rows {start}..{} are past the end ({rows} rows)", start + n)));
        }
        let s = [start as hsize_t];
        let count = [n as hsize_t];
        // Safety: the selection lies inside the dataspace.
        self.transfer(n, records.as_ptr().cast_mut(), true, |fs| unsafe {
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, s.as_ptr(), std::ptr::null(), count.as_ptr(), std::ptr::null())
        })
    }

    /// Reads rows `start..stop` every `step` (`step >= 1`, bounds clamped to the rows).
    pub fn read_records(&self, start: usize, stop: usize, step: usize) -> Result<Vec<u8>> {
        self.fixed_size_values()?;
        if step == 0 {
            return Err(self.node_err("step must be at least 1"));
        }
        let rows = self.shape().first().copied().unwrap_or(0);
        let (start, stop) = (start.min(rows), stop.min(rows));
        let n = if stop > start { (stop - start).div_ceil(step) } else { 0 };
        let mut buf = vec![0u8; n * self.record_size()?];
        let (s, st, c) = ([start as hsize_t], [step as hsize_t], [n as hsize_t]);
        // Safety: the selection lies inside the dataspace.
        self.transfer(n, buf.as_mut_ptr(), false, |fs| unsafe {
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, s.as_ptr(), st.as_ptr(), c.as_ptr(), std::ptr::null())
        })?;
        Ok(buf)
    }

    /// Reads the rows at the given coordinates, in the order given.
    pub fn read_coords(&self, coords: &[u64]) -> Result<Vec<u8>> {
        self.fixed_size_values()?;
        let rows = self.shape().first().copied().unwrap_or(0) as u64;
        if let Some(bad) = coords.iter().find(|&&c| c >= rows) {
            return Err(self.node_err(format!("row {bad} is past the end ({rows} rows)")));
        }
        let mut buf = vec![0u8; coords.len() * self.record_size()?];
        // Safety: every coordinate lies inside the dataspace.
        self.transfer(coords.len(), buf.as_mut_ptr(), false, |fs| unsafe {
            H5Sselect_elements(fs, H5S_SELECT_SET, coords.len(), coords.as_ptr())
        })?;
        Ok(buf)
    }

    /// One column of a table (`"location/lat"` for nested ones): its kind and packed values.
    pub fn read_column(&self, path: &str) -> Result<(Kind, Vec<u8>)> {
        let layout = self.layout()?;
        let (offset, kind) = layout.field(path).ok_or_else(|| {
            let cols = layout.columns().join(", ");
            self.node_err(format!("no column `{path}` (columns: {cols})"))
        })?;
        let kind = kind.clone();
        let mut records = if self.chunk_shape().is_some() { self.read_parallel()? } else { self.read_bytes()? };
        self.record_swaps().apply(&mut records, layout.size);
        let mut out = Vec::new();
        layout.extract(&records, offset, kind.size(), &mut out);
        Ok((kind, out))
    }
}

impl File {
    pub(crate) fn node_error(&self, node: &str, e: impl std::fmt::Display) -> Error {
        Error::Node { file: self.path().to_path_buf(), node: node.to_string(), msg: e.to_string() }
    }
}

/// One column of a table: a top-level or nested field (`"location/lat"`), located in the
/// packed record.
#[derive(Clone)]
pub struct Column {
    /// The table.
    pub table: Leaf,
    /// The field's `/`-separated path.
    pub path: String,
    /// Its byte offset in a record.
    pub offset: usize,
    /// The column's kind.
    pub kind: Kind,
    /// The size of a whole record.
    pub record_size: usize,
}

impl Leaf {
    /// A column of this table by its path; an unknown name is an error listing the columns.
    pub fn col(&self, path: &str) -> Result<Column> {
        let layout = self.layout()?;
        if !matches!(layout.kind, Kind::Record(_)) {
            return Err(self.node_err("is not a table (its values are not records)"));
        }
        match layout.field(path) {
            Some((offset, kind)) if !matches!(kind, Kind::Record(_)) => Ok(Column {
                table: self.clone(),
                path: path.to_string(),
                offset,
                kind: kind.clone(),
                record_size: layout.size,
            }),
            Some(_) => Err(self.node_err(format!(
                "`{path}` is a group of columns; name one of its fields: {}",
                layout
                    .columns()
                    .into_iter()
                    .filter(|c| c.starts_with(&format!("{path}/")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
            None => Err(self.node_err(format!("no column `{path}` (columns: {})", layout.columns().join(", ")))),
        }
    }
}
