//! VLArrays (PyTables' rows of varying length): reading their rows for every atom PyTables
//! writes (numeric atoms, array-shaped ones, `VLStringAtom`, `VLUnicodeAtom`, `ObjectAtom`),
//! creating them and appending rows, with PyTables' attributes (`CLASS` `VLARRAY`,
//! `PSEUDOATOM` for the string and object atoms), so that PyTables reads what outcore writes.

use hdf5_sys::h5::hsize_t;
use hdf5_sys::h5d::{H5Dget_space, H5Dget_type, H5Dread, H5Dset_extent, H5Dvlen_reclaim, H5Dwrite};
use hdf5_sys::h5p::H5P_DEFAULT;
use hdf5_sys::h5s::{H5Sclose, H5Screate_simple, H5Sget_simple_extent_npoints, H5Sselect_hyperslab, H5S_SELECT_SET};
use hdf5_sys::h5t::{
    hvl_t, H5T_class_t, H5T_direction_t, H5Tget_class, H5Tget_native_type, H5Tget_size, H5Tget_super, H5Tvlen_create,
};

use crate::error::{Error, Result};
use crate::file::{File, Leaf, LeafClass};
use crate::layout::Kind;
use crate::table::{build_type, Type};
use crate::write::{join, write_str_attr, Filters};

/// What a VLArray's rows hold, as PyTables' atoms.
#[derive(Clone, Debug, PartialEq)]
pub enum VlAtom {
    /// Rows of values of one kind (an array-shaped kind for `Int32Atom(shape=(2,))`).
    Values(Kind),
    /// `VLStringAtom`: each row is a byte string.
    Bytes,
    /// `VLUnicodeAtom`: each row is a string, stored as UCS-4 code points.
    Unicode,
    /// `ObjectAtom`: each row is a pickled Python object (its bytes).
    Object,
}

impl VlAtom {
    /// The stored element: a byte for strings and objects, a code point for unicode.
    pub fn element(&self) -> Kind {
        match self {
            VlAtom::Values(k) => k.clone(),
            VlAtom::Bytes | VlAtom::Object => Kind::Int { size: 1, signed: false },
            VlAtom::Unicode => Kind::Int { size: 4, signed: false },
        }
    }

    /// PyTables' `PSEUDOATOM` attribute, for the atoms that have one.
    fn pseudo(&self) -> Option<&'static str> {
        match self {
            VlAtom::Values(_) => None,
            VlAtom::Bytes => Some("vlstring"),
            VlAtom::Unicode => Some("vlunicode"),
            VlAtom::Object => Some("object"),
        }
    }

    /// How `ls` and `info` name it: `vlstring`, `vlunicode`, `object`, or the element's kind
    /// (`int32`, `[2]float64`).
    pub fn text(&self) -> String {
        match (self, self.pseudo()) {
            (_, Some(p)) => p.into(),
            (VlAtom::Values(k), None) => kind_text(k),
            _ => String::new(),
        }
    }
}

fn kind_text(k: &Kind) -> String {
    match k {
        Kind::Array(inner, dims) => {
            format!("[{}]{}", dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "), kind_text(inner))
        }
        other => other.scalar_name().unwrap_or_else(|| format!("{other:?}")),
    }
}

/// Decodes a `VLUnicodeAtom` row (native-endian UCS-4 code points).
pub fn unicode_row(bytes: &[u8]) -> Result<String> {
    bytes
        .chunks_exact(4)
        .map(|c| {
            let u = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
            char::from_u32(u).ok_or_else(|| Error::Decode(format!("{u:#x} is not a unicode code point")))
        })
        .collect()
}

/// The memory type rows are read and written in (variable-length sequences of the base
/// type's native form) and its element size. Must run under the HDF5 lock.
fn vl_memory_type(ds: hdf5_sys::h5i::hid_t) -> std::result::Result<(Type, usize), String> {
    // Safety: a valid dataset; the ids opened are owned by guards.
    unsafe {
        let file_ty = Type(H5Dget_type(ds));
        let base = Type(H5Tget_super(file_ty.0));
        let native = Type(H5Tget_native_type(base.0, H5T_direction_t::H5T_DIR_DEFAULT));
        if base.0 < 0 || native.0 < 0 {
            return Err("cannot read this atom".into());
        }
        let size = H5Tget_size(native.0).max(1);
        Ok((Type(H5Tvlen_create(native.0)), size))
    }
}

/// Rows read at a time: their descriptors are 16 bytes each.
const BATCH: usize = 4096;

impl Leaf {
    /// A VLArray's atom (an error for any other leaf).
    pub fn vl_atom(&self) -> Result<VlAtom> {
        let ds = self.dataset().id();
        let pseudo = self.attr_text("PSEUDOATOM");
        let kind = hdf5::sync::sync(|| {
            // Safety: a valid dataset; every type id opened here is closed.
            unsafe {
                let ty = Type(H5Dget_type(ds));
                if ty.0 < 0 || H5Tget_class(ty.0) != H5T_class_t::H5T_VLEN {
                    return None;
                }
                let base = Type(H5Tget_super(ty.0));
                (base.0 >= 0).then(|| Kind::from_type_id(base.0))
            }
        });
        let Some(kind) = kind else {
            return Err(self.node_err("not a VLArray (its values are not of variable length)"));
        };
        let byte = Kind::Int { size: 1, signed: false };
        Ok(match pseudo.as_deref() {
            Some("vlstring") if kind == byte => VlAtom::Bytes,
            Some("object") if kind == byte => VlAtom::Object,
            Some("vlunicode") if kind == (Kind::Int { size: 4, signed: false }) => VlAtom::Unicode,
            _ => match kind {
                Kind::Other(what) => return Err(self.node_err(format!("rows of {what} are not supported"))),
                k => VlAtom::Values(k),
            },
        })
    }

    /// Rows `first`, `first + step`, ... (`n` of them) of a VLArray, each as the native bytes
    /// of its elements (see [`VlAtom::element`]).
    pub fn vl_rows(&self, first: usize, step: usize, n: usize) -> Result<Vec<Vec<u8>>> {
        let atom = self.vl_atom()?;
        let total = self.shape().first().copied().unwrap_or(0);
        let step = step.max(1);
        if n > 0 && first.saturating_add((n - 1).saturating_mul(step)) >= total {
            return Err(self.node_err(format!("rows {first}.. step {step} ({n} of them) are past its {total} rows")));
        }
        let elem = atom.element();
        // Once for every row asked for (the chunk index is walked once).
        if n > 0 {
            self.check_heaps(self.vl_disk_elem_size()?, first, step, n)?;
        }
        let mut out = Vec::with_capacity(n.min(1 << 20));
        let mut done = 0;
        while done < n {
            let k = (n - done).min(BATCH);
            self.read_batch(&elem, first + done * step, step, k, &mut out)?;
            done += k;
        }
        Ok(out)
    }

    /// Row `i` of a VLArray.
    pub fn vl_row(&self, i: usize) -> Result<Vec<u8>> {
        Ok(self.vl_rows(i, 1, 1)?.pop().unwrap_or_default())
    }

    /// Checks what the library would trust before it reads rows `first..` (`n`, `step`
    /// apart): HDF5 1.10 copies a global heap object of the size the heap claims into a
    /// buffer of the size the row's descriptor claims, and reads past a damaged collection.
    /// Each row's descriptor (length, collection address, object index; 16 bytes on disk)
    /// is read from the raw chunks, and each collection it points to is walked here: inside
    /// the file, every object inside the collection, the object there with exactly the bytes
    /// the row holds.
    /// `elem_size` is the base type's size on disk, which each row's heap object holds per
    /// element.
    fn check_heaps(&self, elem_size: usize, first: usize, step: usize, n: usize) -> Result<()> {
        use std::collections::HashMap;
        use std::os::unix::fs::FileExt;
        const DESC: usize = 16;
        let bad = |msg: String| self.node_err(format!("damaged variable-length data: {msg}"));
        let Some(chunk) = self.chunk_shape() else {
            return Err(bad("a VLArray's rows are chunked".into()));
        };
        let rows_per_chunk = chunk.first().copied().unwrap_or(1).max(1);
        let decoder = self.decoder()?;
        if decoder.chunk_bytes != rows_per_chunk * DESC {
            return Err(bad(format!("{} bytes per chunk of {rows_per_chunk} rows", decoder.chunk_bytes)));
        }
        // What the library holds goes to the file first (a handle that writes may have rows
        // and heap objects it has not written yet).
        self.flush_file()?;
        let index = self.chunks()?;
        let by_offset: HashMap<u64, &crate::ChunkInfo> = index.iter().map(|c| (c.offset[0], c)).collect();
        let os = std::fs::File::open(self.file_path()).map_err(|e| self.node_err(e))?;
        let file_len = os.metadata().map_err(|e| self.node_err(e))?.len();
        let mut heaps: HashMap<u64, HashMap<u16, u64>> = HashMap::new();
        let (mut raw, mut decoded, mut at_chunk) = (Vec::new(), Vec::new(), None);
        for k in 0..n {
            let row = first + k * step;
            let j = (row / rows_per_chunk) as u64 * rows_per_chunk as u64;
            if at_chunk != Some(j) {
                at_chunk = Some(j);
                decoded.clear();
                if let Some(info) = by_offset.get(&j) {
                    let mask = self.read_raw_chunk(info, &mut raw)?;
                    decoder.decode(&raw, mask, &mut decoded).map_err(|e| self.chunk_err(&info.offset, e))?;
                }
            }
            // A chunk never written holds the fill value: empty rows.
            let Some(d) = decoded.get((row % rows_per_chunk) * DESC..(row % rows_per_chunk + 1) * DESC) else {
                continue;
            };
            let len = u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as u64;
            if len == 0 {
                continue;
            }
            let addr = u64::from_le_bytes(d[4..12].try_into().unwrap_or([0; 8]));
            let idx = u32::from_le_bytes([d[12], d[13], d[14], d[15]]);
            if let std::collections::hash_map::Entry::Vacant(slot) = heaps.entry(addr) {
                let mut head = [0u8; 16];
                let fits = addr.checked_add(16).is_some_and(|e| e <= file_len);
                if !fits || os.read_exact_at(&mut head, addr).is_err() || &head[..4] != b"GCOL" || head[4] != 1 {
                    return Err(bad(format!("row {row} points to no heap collection at {addr}")));
                }
                let size = u64::from_le_bytes(head[8..16].try_into().unwrap_or([0; 8]));
                if size < 16 || addr.checked_add(size).is_none_or(|e| e > file_len) {
                    return Err(bad(format!("the heap collection at {addr} claims {size} bytes")));
                }
                let mut coll = vec![0u8; size as usize];
                os.read_exact_at(&mut coll, addr).map_err(|e| self.node_err(e))?;
                let mut objects = HashMap::new();
                let mut off = 16usize;
                while off + 16 <= coll.len() {
                    let id = u16::from_le_bytes([coll[off], coll[off + 1]]);
                    let osize = u64::from_le_bytes(coll[off + 8..off + 16].try_into().unwrap_or([0; 8]));
                    if id == 0 {
                        break; // free space, to the end
                    }
                    let end = osize.checked_add(7).map(|s| s / 8 * 8).and_then(|s| s.checked_add(off as u64 + 16));
                    match end {
                        Some(end) if end <= coll.len() as u64 => {
                            objects.insert(id, osize);
                            off = end as usize;
                        }
                        _ => {
                            return Err(bad(format!("an object of the heap collection at {addr} claims {osize} bytes")))
                        }
                    }
                }
                slot.insert(objects);
            }
            let want = len.saturating_mul(elem_size as u64);
            match u16::try_from(idx).ok().and_then(|i| heaps.get(&addr).and_then(|h| h.get(&i))) {
                Some(&size) if size == want => {}
                Some(&size) => return Err(bad(format!("row {row} holds {want} bytes, its heap object {size}"))),
                None => return Err(bad(format!("row {row} points to no object {idx} of the heap at {addr}"))),
            }
        }
        Ok(())
    }

    fn read_batch(&self, elem: &Kind, first: usize, step: usize, n: usize, out: &mut Vec<Vec<u8>>) -> Result<()> {
        let ds = self.dataset().id();
        let got = hdf5::sync::sync(|| -> std::result::Result<(), String> {
            // Safety: ids made here are closed; the selection lies inside the dataspace (checked
            // by the caller); HDF5 fills `n` descriptors and the data they point to is copied
            // out, then reclaimed with the same type and space.
            unsafe {
                let (mem_ty, size) = vl_memory_type(ds)?;
                if size != elem.size().max(1) {
                    return Err(format!("elements of {size} bytes, not {}", elem.size()));
                }
                let fs = H5Dget_space(ds);
                let start = [first as hsize_t];
                let stride = [step as hsize_t];
                let count = [n as hsize_t];
                H5Sselect_hyperslab(
                    fs,
                    H5S_SELECT_SET,
                    start.as_ptr(),
                    stride.as_ptr(),
                    count.as_ptr(),
                    std::ptr::null(),
                );
                let ms = H5Screate_simple(1, count.as_ptr(), std::ptr::null());
                let mut buf = vec![hvl_t { len: 0, p: std::ptr::null_mut() }; n];
                let rc = H5Dread(ds, mem_ty.0, ms, fs, H5P_DEFAULT, buf.as_mut_ptr().cast());
                if rc >= 0 {
                    for d in &buf {
                        let bytes = d.len.saturating_mul(size);
                        out.push(if d.p.is_null() || bytes == 0 {
                            Vec::new()
                        } else {
                            std::slice::from_raw_parts(d.p as *const u8, bytes).to_vec()
                        });
                    }
                    H5Dvlen_reclaim(mem_ty.0, ms, H5P_DEFAULT, buf.as_mut_ptr().cast());
                }
                H5Sclose(ms);
                H5Sclose(fs);
                if rc < 0 {
                    return Err(format!("cannot read rows {first}.. (H5Dread failed)"));
                }
            }
            Ok(())
        });
        got.map_err(|e| self.node_err(e))
    }

    /// Appends rows to a VLArray, each the native bytes of whole elements of its atom.
    pub fn append_vl_rows(&self, rows: &[&[u8]]) -> Result<()> {
        self.writable()?;
        let elem = self.vl_atom()?.element();
        let size = elem.size().max(1);
        if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() % size != 0) {
            return Err(self.node_err(format!("row {i} holds {} bytes, not whole {size}-byte elements", r.len())));
        }
        if rows.is_empty() {
            return Ok(());
        }
        let old = self.shape().first().copied().unwrap_or(0);
        let n = rows.len();
        let ds = self.dataset().id();
        let got = hdf5::sync::sync(|| -> std::result::Result<(), String> {
            // Safety: ids made here are closed; the descriptors point into `rows`, which HDF5
            // only reads; the selection is the rows added by the new extent.
            unsafe {
                let (mem_ty, _) = vl_memory_type(ds)?;
                let new = [(old + n) as hsize_t];
                if H5Dset_extent(ds, new.as_ptr()) < 0 {
                    return Err("cannot extend".into());
                }
                let fs = H5Dget_space(ds);
                let start = [old as hsize_t];
                let count = [n as hsize_t];
                H5Sselect_hyperslab(
                    fs,
                    H5S_SELECT_SET,
                    start.as_ptr(),
                    std::ptr::null(),
                    count.as_ptr(),
                    std::ptr::null(),
                );
                let ms = H5Screate_simple(1, count.as_ptr(), std::ptr::null());
                let buf: Vec<hvl_t> = rows
                    .iter()
                    .map(|r| hvl_t { len: r.len() / size, p: r.as_ptr() as *mut std::ffi::c_void })
                    .collect();
                let rc = H5Dwrite(ds, mem_ty.0, ms, fs, H5P_DEFAULT, buf.as_ptr().cast());
                H5Sclose(ms);
                H5Sclose(fs);
                if rc < 0 {
                    // The extent never runs ahead of the rows written.
                    let back = [old as hsize_t];
                    H5Dset_extent(ds, back.as_ptr());
                    return Err("H5Dwrite failed".into());
                }
            }
            Ok(())
        });
        got.map_err(|e| self.node_err(e))
    }

    /// Bytes per element on disk (the file's base type).
    fn vl_disk_elem_size(&self) -> Result<usize> {
        let ds = self.dataset().id();
        // Safety: a valid dataset; every type id opened here is closed.
        let size = hdf5::sync::sync(|| unsafe {
            let ty = Type(H5Dget_type(ds));
            let base = Type(H5Tget_super(ty.0));
            if base.0 < 0 {
                0
            } else {
                H5Tget_size(base.0)
            }
        });
        if size == 0 {
            return Err(self.node_err("its element type cannot be read"));
        }
        Ok(size)
    }

    /// The number of rows a VLArray holds.
    pub fn vl_nrows(&self) -> usize {
        let ds = self.dataset().id();
        // Safety: a valid dataset; the space is closed.
        hdf5::sync::sync(|| unsafe {
            let s = H5Dget_space(ds);
            let n = H5Sget_simple_extent_npoints(s);
            H5Sclose(s);
            n.max(0) as usize
        })
    }
}

impl File {
    /// Creates an empty VLArray of `atom`, with PyTables' chunk rule (64 KiB of elements per
    /// chunk of row descriptors) unless `chunk_rows` is given.
    pub fn create_vlarray(
        &self,
        parent: &str,
        name: &str,
        atom: &VlAtom,
        chunk_rows: Option<usize>,
        filters: Option<&Filters>,
        title: &str,
    ) -> Result<Leaf> {
        let path = join(parent, name);
        self.check_new(&path)?;
        let elem = atom.element();
        let rows = chunk_rows.unwrap_or((64 << 10) / elem.size().max(1)).max(1);
        self.create_rows_dataset(&path, rows, filters, || {
            let base = build_type(&elem)?;
            // Safety: the base type is valid; the new type is owned by the guard.
            Ok(Type(unsafe { H5Tvlen_create(base.0) }))
        })?;
        let leaf = self.leaf(&path)?;
        let ds = leaf.dataset();
        let mut attrs = vec![("CLASS", "VLARRAY"), ("TITLE", title), ("VERSION", "1.4")];
        if let Some(p) = atom.pseudo() {
            attrs.push(("PSEUDOATOM", p));
        }
        for (k, v) in attrs {
            write_str_attr(ds, k, v).map_err(|e| self.node_error(&path, e))?;
        }
        debug_assert_eq!(leaf.class(), LeafClass::VLArray);
        Ok(leaf)
    }
}
