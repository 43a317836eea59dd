//! Copying leaves and groups into another file (or another place of the same one) with new
//! filters and chunk shapes, as PyTables' `ptrepack` does: every attribute copied as it is
//! stored (PyTables' system attributes included), chunks copied raw when the chunking and the
//! filters stay, otherwise decoded and re-encoded on all cores a slab at a time.
//!
//! ```no_run
//! use outcore_h5::{copy, Filters, File, Mode};
//! let src = File::open("in.h5", Mode::Read)?;
//! let dst = File::open("out.h5", Mode::Write)?;
//! let leaf = src.leaf("/t")?;
//! let plan = copy::Plan { filters: Some(Filters::zlib(5)), chunk: copy::Chunking::Keep };
//! let new = copy::create_like(&leaf, &dst, "/t", &plan)?;
//! copy::copy_attrs_leaf(&leaf, &new)?;
//! copy::copy_data(&leaf, &new, &|_done| {})?;
//! # Ok::<(), outcore_h5::Error>(())
//! ```

use std::collections::HashMap;
use std::os::unix::fs::FileExt;

use hdf5_sys::h5::hsize_t;
use hdf5_sys::h5a::{H5Aclose, H5Acreate2, H5Aget_space, H5Aget_type, H5Aopen, H5Aread, H5Awrite};
use hdf5_sys::h5d::{H5Dclose, H5Dcreate2, H5Dget_space, H5Dget_type, H5Dvlen_reclaim, H5Dwrite};
use hdf5_sys::h5p::{
    H5Pclose, H5Pcopy, H5Pfill_value_defined, H5Pget_fill_value, H5Pset_chunk, H5Pset_fill_value, H5P_DEFAULT,
};
use hdf5_sys::h5s::{H5Sclose, H5Sget_simple_extent_npoints, H5S_ALL};
use hdf5_sys::h5t::{H5T_class_t, H5Tclose, H5Tdetect_class, H5Tget_size, H5Tis_variable_str};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::file::{ChunkInfo, File, Leaf, LeafClass};
use crate::write::Filters;

/// How a copy chunks a leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunking {
    /// The source's chunk shape.
    Keep,
    /// PyTables' rule for the leaf's rows (as outcore's create functions pick).
    Auto,
    /// This shape (one entry per dimension).
    Shape(Vec<usize>),
}

/// What a copied leaf gets: filters (`None`: the source's pipeline as it is) and chunks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// New filters, or `None` to keep the source's.
    pub filters: Option<Filters>,
    /// How the copy is chunked.
    pub chunk: Chunking,
}

/// How a leaf's values were copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Stored chunks copied as they are (same chunks, same filters).
    Raw,
    /// Chunks decoded and encoded again, one for one (same chunk shape).
    Recoded,
    /// Decoded into slabs and cut into chunks of another shape.
    Rechunked,
    /// Contiguous storage, copied through the library a slab at a time.
    Contiguous,
}

/// About 16 MiB of values per slab (one slab is encoded while the one before is written).
const SLAB_BYTES: usize = 16 << 20;

fn node_err(file: &std::path::Path, node: &str, msg: impl std::fmt::Display) -> Error {
    Error::Node { file: file.to_path_buf(), node: node.to_string(), msg: msg.to_string() }
}

/// Why a leaf cannot be copied by value (a variable-length or reference type: its stored
/// values point into the source file), or `None`.
pub fn uncopyable(leaf: &Leaf) -> Option<String> {
    if leaf.class() == LeafClass::VLArray {
        // Copied row by row (`copy_vlarray`) when its atom is one PyTables writes.
        return leaf.vl_atom().err().map(|e| format!("a VLArray outcore cannot read ({e})"));
    }
    let id = leaf.dataset().id();
    let bad = hdf5::sync::sync(|| {
        // Safety: the type id is closed before returning.
        unsafe {
            let ty = H5Dget_type(id);
            if ty < 0 {
                return Some("its type cannot be read");
            }
            let r = if H5Tdetect_class(ty, H5T_class_t::H5T_VLEN) > 0 || H5Tis_variable_str(ty) > 0 {
                Some("variable-length values")
            } else if H5Tdetect_class(ty, H5T_class_t::H5T_REFERENCE) > 0 {
                Some("references")
            } else {
                None
            };
            H5Tclose(ty);
            r
        }
    });
    bad.map(|b| format!("it holds {b}, which outcore cannot copy yet"))
}

/// The chunk shape a leaf gets under `plan` (`None` for contiguous leaves, which stay so).
pub fn target_chunk(leaf: &Leaf, plan: &Plan) -> Result<Option<Vec<usize>>> {
    let Some(src) = leaf.chunk_shape() else { return Ok(None) };
    let shape = leaf.shape();
    let itemsize = leaf.layout()?.size;
    Ok(Some(match &plan.chunk {
        Chunking::Keep => src,
        Chunking::Auto => match leaf.class() {
            LeafClass::Table => {
                let rows = shape.first().copied().unwrap_or(0) as u64;
                vec![crate::chunks::table_chunk_rows(rows, itemsize as u64) as usize]
            }
            LeafClass::CArray => crate::chunks::fixed_array_chunkshape(&shape, itemsize),
            _ => {
                let rows = shape.first().copied().unwrap_or(0) as u64;
                crate::chunks::array_chunkshape(&shape, rows, itemsize)
            }
        },
        Chunking::Shape(c) => {
            if c.len() != shape.len() || c.contains(&0) {
                return Err(node_err(
                    leaf.file_path(),
                    leaf.path(),
                    format!("chunk shape {c:?} does not fit shape {shape:?} (give one size per dimension)"),
                ));
            }
            c.clone()
        }
    }))
}

/// Creates an empty copy of `src` at `path` of `dst`: the same type, shape and maximum shape
/// (EArrays and Tables stay extendable), fill value and creation properties, with the plan's
/// chunks and filters. Attributes and values are copied by [`copy_attrs_leaf`] and
/// [`copy_data`].
/// Copies a VLArray row by row, a batch at a time: the same atom, chunk rows and title, the
/// plan's filters (or the source's), and its attributes. Returns the names of attributes that
/// could not be copied, and whether the plan's Fletcher-32 was left out (HDF5 cannot checksum
/// variable-length values; PyTables refuses the same).
pub fn copy_vlarray(src: &Leaf, dst: &File, path: &str, plan: &Plan) -> Result<(Leaf, Vec<String>, bool)> {
    let atom = src.vl_atom()?;
    let wanted = plan.filters.or_else(|| src.filters());
    let dropped = wanted.is_some_and(|f| f.fletcher32);
    let filters = wanted.map(|f| f.with_fletcher32(false));
    let chunk = match &plan.chunk {
        Chunking::Shape(c) => c.first().copied(),
        Chunking::Auto => None,
        Chunking::Keep => src.chunk_shape().and_then(|c| c.first().copied()),
    };
    let (parent, name) = match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("/", path),
    };
    let new = dst.create_vlarray(parent, name, &atom, chunk, filters.as_ref(), &src.title())?;
    const BATCH: usize = 4096;
    let n = src.vl_nrows();
    let mut at = 0;
    while at < n {
        let k = BATCH.min(n - at);
        let rows = src.vl_rows(at, 1, k)?;
        new.append_vl_rows(&rows.iter().map(Vec::as_slice).collect::<Vec<_>>())?;
        at += k;
    }
    let skipped = copy_attrs_leaf(src, &new)?;
    Ok((new, skipped, dropped))
}

/// Creates an empty leaf at `path` of `dst` shaped like `src` (its kind, type, shape and PyTables attributes), with the filters and chunks of `plan`.
pub fn create_like(src: &Leaf, dst: &File, path: &str, plan: &Plan) -> Result<Leaf> {
    dst.check_new(path)?;
    let err = |e: &dyn std::fmt::Display| node_err(dst.path(), path, e);
    let chunk = target_chunk(src, plan)?;
    let plist = src.dataset().create_plist().map_err(|e| err(&e))?;
    // New filters: the source's creation properties with the plan's pipeline, built as
    // outcore's create functions build theirs. Kept filters: the source's own properties as
    // they are (filter parameters included), with the new chunk shape.
    let built = match (&plan.filters, &chunk) {
        (Some(f), Some(c)) => {
            let mut b = hdf5::plist::DatasetCreateBuilder::from_plist(&plist).map_err(|e| err(&e))?;
            b.chunk(c.clone());
            b.set_filters(&f.pipeline());
            Some(b.finish().map_err(|e| err(&e))?)
        }
        _ => None,
    };
    let cname = std::ffi::CString::new(path).map_err(|_| err(&"a NUL in the name"))?;
    let src_id = src.dataset().id();
    let src_plist = plist.id();
    let new_chunk: Option<Vec<hsize_t>> = if built.is_none() && chunk != src.chunk_shape() {
        chunk.map(|c| c.iter().map(|&x| x as hsize_t).collect())
    } else {
        None
    };
    let rc = hdf5::sync::sync(|| {
        // Safety: every id opened here is closed here; the fill buffer holds one element of
        // the dataset's type.
        unsafe {
            let ty = H5Dget_type(src_id);
            let space = H5Dget_space(src_id);
            let dcpl = match &built {
                Some(b) => {
                    let mut status = hdf5_sys::h5d::H5D_fill_value_t::H5D_FILL_VALUE_UNDEFINED;
                    if H5Pfill_value_defined(src_plist, &mut status) >= 0
                        && status == hdf5_sys::h5d::H5D_fill_value_t::H5D_FILL_VALUE_USER_DEFINED
                    {
                        let mut buf = vec![0u8; H5Tget_size(ty).max(1)];
                        if H5Pget_fill_value(src_plist, ty, buf.as_mut_ptr().cast()) >= 0 {
                            H5Pset_fill_value(b.id(), ty, buf.as_ptr().cast());
                        }
                    }
                    H5Pcopy(b.id())
                }
                None => {
                    let d = H5Pcopy(src_plist);
                    if let Some(c) = &new_chunk {
                        if d >= 0 && H5Pset_chunk(d, c.len() as i32, c.as_ptr()) < 0 {
                            H5Pclose(d);
                            H5Sclose(space);
                            H5Tclose(ty);
                            return -1;
                        }
                    }
                    d
                }
            };
            let ds = if dcpl < 0 {
                -1
            } else {
                H5Dcreate2(dst.h5().id(), cname.as_ptr(), ty, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)
            };
            if dcpl >= 0 {
                H5Pclose(dcpl);
            }
            H5Sclose(space);
            H5Tclose(ty);
            if ds < 0 {
                return -1;
            }
            H5Dclose(ds);
            0
        }
    });
    if rc < 0 {
        return Err(err(&"H5Dcreate failed"));
    }
    dst.leaf(path)
}

/// Copies every attribute of one object to another as it is stored (type, shape and bytes),
/// replacing those of the same name; attributes of variable-length or reference types are
/// left out and named in the result.
fn copy_attrs_ids(src: &hdf5::Location, dst: &hdf5::Location) -> hdf5::Result<Vec<String>> {
    let mut skipped = Vec::new();
    let existing = dst.attr_names()?;
    for name in src.attr_names()? {
        if existing.contains(&name) {
            dst.delete_attr(&name)?;
        }
        let cname = std::ffi::CString::new(name.as_str()).map_err(|_| hdf5::Error::from("a NUL in a name"))?;
        let (sid, did) = (src.id(), dst.id());
        let rc = hdf5::sync::sync(|| {
            // Safety: every id opened here is closed here; `buf` holds every element of the
            // attribute in its own type; variable-length data the library allocated is
            // reclaimed after the write.
            unsafe {
                let a = H5Aopen(sid, cname.as_ptr(), H5P_DEFAULT);
                if a < 0 {
                    return -1;
                }
                let ty = H5Aget_type(a);
                let space = H5Aget_space(a);
                let vlen = H5Tdetect_class(ty, H5T_class_t::H5T_VLEN) > 0 || H5Tis_variable_str(ty) > 0;
                let reference = H5Tdetect_class(ty, H5T_class_t::H5T_REFERENCE) > 0;
                let mut rc = 0;
                if reference {
                    rc = 1;
                } else {
                    let n = H5Sget_simple_extent_npoints(space).max(0) as usize;
                    let mut buf = vec![0u8; n * H5Tget_size(ty).max(1)];
                    if n > 0 && H5Aread(a, ty, buf.as_mut_ptr().cast()) < 0 {
                        rc = -1;
                    }
                    if rc == 0 {
                        let b = H5Acreate2(did, cname.as_ptr(), ty, space, H5P_DEFAULT, H5P_DEFAULT);
                        if b < 0 || (n > 0 && H5Awrite(b, ty, buf.as_ptr().cast()) < 0) {
                            rc = -1;
                        }
                        if b >= 0 {
                            H5Aclose(b);
                        }
                        if n > 0 && vlen {
                            H5Dvlen_reclaim(ty, space, H5P_DEFAULT, buf.as_mut_ptr().cast());
                        }
                    }
                }
                H5Sclose(space);
                H5Tclose(ty);
                H5Aclose(a);
                rc
            }
        });
        match rc {
            0 => {}
            1 => skipped.push(name),
            _ => return Err(hdf5::Error::from(format!("could not copy attribute `{name}`").as_str())),
        }
    }
    Ok(skipped)
}

/// Copies every attribute of a leaf to another leaf (see [`copy_attrs_groups`]); returns the
/// names of attributes left out (references into the source file).
pub fn copy_attrs_leaf(src: &Leaf, dst: &Leaf) -> Result<Vec<String>> {
    copy_attrs_ids(src.dataset(), dst.dataset()).map_err(|e| dst.node_err(e))
}

/// Copies every attribute of a group (PyTables' `CLASS`, `TITLE`, `FILTERS`... and the
/// user's) to another group, as stored; returns the names of attributes left out.
pub fn copy_attrs_groups(src: &File, src_path: &str, dst: &File, dst_path: &str) -> Result<Vec<String>> {
    let open = |f: &File, p: &str| -> Result<hdf5::Group> {
        if p == "/" { f.h5().as_group() } else { f.h5().group(p) }.map_err(|e| node_err(f.path(), p, e))
    };
    let (s, d) = (open(src, src_path)?, open(dst, dst_path)?);
    copy_attrs_ids(&s, &d).map_err(|e| node_err(dst.path(), dst_path, e))
}

/// Whether `src` and `dst` store chunks the same way (shape, filter pipeline, type size), so
/// that stored chunks can be copied as they are.
pub fn same_storage(src: &Leaf, dst: &Leaf) -> bool {
    src.chunk_shape().is_some()
        && src.chunk_shape() == dst.chunk_shape()
        && src.dataset().filters() == dst.dataset().filters()
        && src.layout().ok().map(|l| l.size) == dst.layout().ok().map(|l| l.size)
}

/// Every stored chunk of a leaf, by offset.
fn stored_chunks(leaf: &Leaf) -> Result<HashMap<Vec<u64>, ChunkInfo>> {
    if leaf.unchanging() {
        if let Some(index) = leaf.checked_chunk_index()? {
            return Ok(index.iter().map(|c| (c.offset.clone(), c.clone())).collect());
        }
    }
    Ok(leaf.chunks()?.into_iter().map(|c| (c.offset.clone(), c)).collect())
}

/// Reads stored chunks: at their file addresses without the HDF5 lock when the source is
/// open read-only, through the library otherwise.
struct RawReader<'a> {
    leaf: &'a Leaf,
    os: Option<std::fs::File>,
    file_len: u64,
    chunk_bytes: usize,
}

impl<'a> RawReader<'a> {
    fn new(leaf: &'a Leaf) -> Result<RawReader<'a>> {
        let chunk_bytes = leaf.decoder()?.chunk_bytes;
        let (os, file_len) = if leaf.unchanging() {
            let f = std::fs::File::open(leaf.file_path()).map_err(|e| leaf.node_err(e))?;
            let len = f.metadata().map_err(|e| leaf.node_err(e))?.len();
            (Some(f), len)
        } else {
            (None, 0)
        };
        Ok(RawReader { leaf, os, file_len, chunk_bytes })
    }

    /// The chunk's stored bytes into `buf`; returns its filter mask.
    fn read(&self, info: &ChunkInfo, buf: &mut Vec<u8>) -> Result<u32> {
        match &self.os {
            Some(f) => {
                let size = self.leaf.stored_len(info, self.chunk_bytes, self.file_len)?;
                buf.resize(size, 0);
                f.read_exact_at(buf, info.addr).map_err(|e| Error::Chunk {
                    file: self.leaf.file_path().to_path_buf(),
                    node: self.leaf.path().to_string(),
                    chunk: format!("{:?}", info.offset),
                    msg: e.to_string(),
                })?;
                Ok(info.filter_mask)
            }
            None => self.leaf.read_raw_chunk(info, buf),
        }
    }
}

/// The bytes a leaf's values take, decoded (for progress).
pub fn value_bytes(leaf: &Leaf) -> u64 {
    let n: usize = leaf.shape().iter().product();
    (n as u64).saturating_mul(leaf.layout().map(|l| l.size).unwrap_or(0) as u64)
}

/// Copies every value of `src` into `dst` (made by [`create_like`]: the same type and shape),
/// the fastest way their storage allows; `progress` is told how many bytes of values were
/// copied so far.
pub fn copy_data(src: &Leaf, dst: &Leaf, progress: &(dyn Fn(u64) + Sync)) -> Result<Path> {
    if src.shape() != dst.shape() {
        return Err(dst.node_err(format!("shape {:?} is not the source's {:?}", dst.shape(), src.shape())));
    }
    let (Some(sc), Some(dc)) = (src.chunk_shape(), dst.chunk_shape()) else {
        copy_contiguous(src, dst, progress)?;
        return Ok(Path::Contiguous);
    };
    if same_storage(src, dst) {
        copy_raw(src, dst, progress)?;
        return Ok(Path::Raw);
    }
    let decoder = src.decoder()?;
    if let Some(id) = decoder.unsupported() {
        return Err(src.node_err(format!(
            "its {} cannot be decoded by outcore: copy it with its filters and chunk shape kept",
            crate::write::filter_label(id)
        )));
    }
    let encoder = dst.encoder()?;
    if sc == dc {
        recode(src, dst, &decoder, &encoder, progress)?;
        Ok(Path::Recoded)
    } else {
        rechunk(src, dst, &sc, &dc, &decoder, &encoder, progress)?;
        Ok(Path::Rechunked)
    }
}

/// The stored chunks inside the leaf's extent (a shrunk leaf may keep others), in order.
fn sorted(leaf: &Leaf, chunks: HashMap<Vec<u64>, ChunkInfo>) -> Vec<ChunkInfo> {
    let shape = leaf.shape();
    let mut v: Vec<ChunkInfo> = chunks
        .into_values()
        .filter(|c| c.offset.len() == shape.len() && c.offset.iter().zip(&shape).all(|(&o, &d)| (o as usize) < d))
        .collect();
    v.sort_by(|a, b| a.offset.cmp(&b.offset));
    v
}

/// An encoded chunk to store: its offset, filter mask and bytes.
type Encoded = (Vec<u64>, u32, Vec<u8>);

/// Encoded chunks to store, and the bytes of values copied once they are.
type Batch = (Vec<Encoded>, u64);

/// Runs `produce`, which hands slabs of encoded chunks over as they are ready, while a
/// writing thread stores the slab before (under the HDF5 lock), in order: encoding on the
/// cores and the kernel's copying into the file overlap. At most one slab waits.
fn pipelined(
    dst: &Leaf,
    progress: &(dyn Fn(u64) + Sync),
    produce: impl FnOnce(&mut dyn FnMut(Batch) -> Result<()>) -> Result<()>,
) -> Result<()> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(1);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<()> {
            for (chunks, done) in rx {
                for (offset, mask, bytes) in chunks {
                    dst.write_raw_chunk(&offset, mask, &bytes)?;
                }
                progress(done);
            }
            Ok(())
        });
        let produced = {
            let mut send = |b: Batch| tx.send(b).map_err(|_| dst.node_err("the chunk writer stopped"));
            produce(&mut send)
        };
        drop(tx);
        match writer.join() {
            Ok(Ok(())) => produced,
            Ok(Err(e)) => Err(e),
            Err(_) => Err(dst.node_err("the chunk writer stopped")),
        }
    })
}

/// Stored chunks copied as they are, in order (a slab read in parallel while the one
/// before is written).
fn copy_raw(src: &Leaf, dst: &Leaf, progress: &(dyn Fn(u64) + Sync)) -> Result<()> {
    let chunks = sorted(src, stored_chunks(src)?);
    let reader = RawReader::new(src)?;
    let per = (SLAB_BYTES / reader.chunk_bytes.max(1)).max(1);
    let total = value_bytes(src);
    pipelined(dst, progress, |send| {
        let mut done = 0u64;
        for group in chunks.chunks(per) {
            let batch = group
                .par_iter()
                .map(|c| {
                    let mut buf = Vec::new();
                    let mask = reader.read(c, &mut buf)?;
                    Ok((c.offset.clone(), mask, buf))
                })
                .collect::<Result<Vec<_>>>()?;
            done += (group.len() * reader.chunk_bytes) as u64;
            send((batch, done.min(total)))?;
        }
        Ok(())
    })
}

/// Chunks of one shape decoded and encoded again with the target's filters, a slab in
/// parallel, written in order.
fn recode(
    src: &Leaf,
    dst: &Leaf,
    decoder: &crate::codec::Decoder,
    encoder: &crate::codec::Encoder,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<()> {
    let chunks = sorted(src, stored_chunks(src)?);
    let reader = RawReader::new(src)?;
    let per = (SLAB_BYTES / decoder.chunk_bytes.max(1)).max(rayon::current_num_threads()).max(1);
    let total = value_bytes(src);
    pipelined(dst, progress, |send| {
        let mut done = 0u64;
        for group in chunks.chunks(per) {
            let batch = group
                .par_iter()
                .map_init(
                    || (Vec::new(), Vec::new(), Vec::new()),
                    |(raw, scratch, plain), c| -> Result<Encoded> {
                        let mask = reader.read(c, raw)?;
                        plain.resize(decoder.chunk_bytes, 0);
                        decoder.decode_into(raw, mask, scratch, plain).map_err(|e| chunk_err(src, &c.offset, e))?;
                        let mut out = Vec::new();
                        let m = encoder.encode(plain, &mut out).map_err(|e| chunk_err(dst, &c.offset, e))?;
                        Ok((c.offset.clone(), m, out))
                    },
                )
                .collect::<Result<Vec<_>>>()?;
            done += (group.len() * decoder.chunk_bytes) as u64;
            send((batch, done.min(total)))?;
        }
        Ok(())
    })
}

fn chunk_err(leaf: &Leaf, offset: &[u64], e: impl std::fmt::Display) -> Error {
    Error::Chunk {
        file: leaf.file_path().to_path_buf(),
        node: leaf.path().to_string(),
        chunk: format!("{offset:?}"),
        msg: e.to_string(),
    }
}

/// A pointer to a slab that workers write disjoint parts of.
#[derive(Clone, Copy)]
struct SlabPtr(*mut u8, usize);
// Safety: workers write only their own, disjoint boxes of the slab (source chunks do not
// overlap), and the slab outlives the parallel loop.
unsafe impl Send for SlabPtr {}
unsafe impl Sync for SlabPtr {}

/// Copies the box `ext` at `from` in an array of dims `fd` into `to` of an array of dims `td`
/// (row-major, `e`-byte elements), run by run along the last dimension.
///
/// # Safety
/// Both pointers must hold their whole arrays and the boxes must lie inside them.
#[allow(clippy::too_many_arguments)]
unsafe fn copy_box(
    src: *const u8,
    fd: &[usize],
    from: &[usize],
    dst: *mut u8,
    td: &[usize],
    to: &[usize],
    ext: &[usize],
    e: usize,
) {
    let n = ext.len();
    if ext.contains(&0) {
        return;
    }
    let run = ext[n - 1] * e;
    let mut idx = vec![0usize; n.saturating_sub(1)];
    loop {
        let mut so = 0usize;
        let mut dof = 0usize;
        for k in 0..n {
            let i = if k + 1 < n { idx[k] } else { 0 };
            so = so * fd[k] + from[k] + i;
            dof = dof * td[k] + to[k] + i;
        }
        std::ptr::copy_nonoverlapping(src.add(so * e), dst.add(dof * e), run);
        // Next index over every dimension but the last.
        let mut k = n - 1;
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            idx[k] += 1;
            if idx[k] < ext[k] {
                break;
            }
            idx[k] = 0;
        }
    }
}

/// Every point of the grid `lo..hi` (per dimension), row-major.
fn grid(lo: &[usize], hi: &[usize]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    if lo.iter().zip(hi).any(|(a, b)| a >= b) {
        return out;
    }
    let mut p = lo.to_vec();
    loop {
        out.push(p.clone());
        let mut k = p.len();
        loop {
            if k == 0 {
                return out;
            }
            k -= 1;
            p[k] += 1;
            if p[k] < hi[k] {
                break;
            }
            p[k] = lo[k];
        }
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Chunks of another shape: the target's chunk grid cut into slabs of about 32 MiB (whole
/// target chunks), each filled from the source chunks it meets (decoded in parallel), then
/// cut into target chunks encoded in parallel and written in order.
#[allow(clippy::too_many_arguments)]
fn rechunk(
    src: &Leaf,
    dst: &Leaf,
    sc: &[usize],
    dc: &[usize],
    decoder: &crate::codec::Decoder,
    encoder: &crate::codec::Encoder,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<()> {
    let shape = src.shape();
    let n = shape.len();
    let e = src.layout()?.size;
    if n == 0 || shape.contains(&0) || e == 0 {
        return Ok(());
    }
    let stored = stored_chunks(src)?;
    let reader = RawReader::new(src)?;
    let fill = dst.fill_bytes(e);
    let grid_len = |k: usize| shape[k].div_ceil(dc[k]);
    // The slab: whole target chunks, the last dimensions first up to their extent.
    let budget = (SLAB_BYTES / e).max(1);
    let mut m = vec![1usize; n];
    for k in (0..n).rev() {
        let other: usize = (0..n).filter(|&j| j != k).map(|j| dc[j] * m[j]).product();
        let fit = (budget / other.max(1) / dc[k]).max(1);
        m[k] = fit.min(grid_len(k));
    }
    // Slabs along the first dimension that end on source chunk boundaries too, when that
    // keeps them in budget: no source chunk is then decoded twice.
    let rows = dc[0] * m[0];
    let l = dc[0] / gcd(dc[0], sc[0]) * sc[0];
    if l <= rows {
        m[0] = (rows / l * l) / dc[0];
    }
    let slab: Vec<usize> = (0..n).map(|k| dc[k] * m[k]).collect();
    let slabs_hi: Vec<usize> = (0..n).map(|k| shape[k].div_ceil(slab[k])).collect();
    let total = value_bytes(src);
    pipelined(dst, progress, |send| {
        let mut done = 0u64;
        let mut buf: Vec<u8> = Vec::new();
        for s in grid(&vec![0; n], &slabs_hi) {
            let origin: Vec<usize> = (0..n).map(|k| s[k] * slab[k]).collect();
            // The slab's extent: whole target chunks, up to the last one the shape reaches.
            let dims: Vec<usize> =
                (0..n).map(|k| slab[k].min((shape[k] - origin[k]).div_ceil(dc[k]) * dc[k])).collect();
            let valid: Vec<usize> = (0..n).map(|k| dims[k].min(shape[k] - origin[k])).collect();
            let elems: usize = dims.iter().product();
            buf.clear();
            if fill.iter().all(|&b| b == 0) {
                buf.resize(elems * e, 0);
            } else {
                buf.reserve(elems * e);
                for _ in 0..elems {
                    buf.extend_from_slice(&fill);
                }
            }
            // The source chunks the slab meets.
            let lo: Vec<usize> = (0..n).map(|k| origin[k] / sc[k]).collect();
            let hi: Vec<usize> = (0..n).map(|k| (origin[k] + valid[k]).div_ceil(sc[k])).collect();
            let sources: Vec<&ChunkInfo> = grid(&lo, &hi)
                .into_iter()
                .filter_map(|g| {
                    let off: Vec<u64> = (0..n).map(|k| (g[k] * sc[k]) as u64).collect();
                    stored.get(&off)
                })
                .collect();
            let ptr = SlabPtr(buf.as_mut_ptr(), buf.len());
            sources.par_iter().try_for_each_init(
                || (Vec::new(), Vec::new(), Vec::new()),
                |(raw, scratch, plain), c| -> Result<()> {
                    let mask = reader.read(c, raw)?;
                    plain.resize(decoder.chunk_bytes, 0);
                    decoder.decode_into(raw, mask, scratch, plain).map_err(|err| chunk_err(src, &c.offset, err))?;
                    let co: Vec<usize> = c.offset.iter().map(|&o| o as usize).collect();
                    // The part of the chunk inside the slab (and the shape).
                    let a: Vec<usize> = (0..n).map(|k| co[k].max(origin[k])).collect();
                    let b: Vec<usize> = (0..n).map(|k| (co[k] + sc[k]).min(origin[k] + valid[k])).collect();
                    if (0..n).any(|k| a[k] >= b[k]) {
                        return Ok(());
                    }
                    let ext: Vec<usize> = (0..n).map(|k| b[k] - a[k]).collect();
                    let from: Vec<usize> = (0..n).map(|k| a[k] - co[k]).collect();
                    let to: Vec<usize> = (0..n).map(|k| a[k] - origin[k]).collect();
                    let p = ptr;
                    debug_assert_eq!(p.1, elems * e);
                    // Safety: `plain` holds a whole source chunk, the slab its whole extent, the
                    // boxes lie inside both, and no two source chunks share a box of the slab.
                    unsafe { copy_box(plain.as_ptr(), sc, &from, p.0, &dims, &to, &ext, e) };
                    Ok(())
                },
            )?;
            // The target chunks of the slab, skipping those no stored source chunk reaches.
            let targets = grid(&vec![0; n], &(0..n).map(|k| dims[k] / dc[k]).collect::<Vec<_>>());
            let buf_ref = &buf;
            let encoded = targets
                .par_iter()
                .map_init(Vec::new, |plain, t| -> Result<Option<Encoded>> {
                    let start: Vec<usize> = (0..n).map(|k| origin[k] + t[k] * dc[k]).collect();
                    let slo: Vec<usize> = (0..n).map(|k| start[k] / sc[k]).collect();
                    let shi: Vec<usize> = (0..n).map(|k| (start[k] + dc[k]).min(shape[k]).div_ceil(sc[k])).collect();
                    let reached = grid(&slo, &shi).into_iter().any(|g| {
                        let off: Vec<u64> = (0..n).map(|k| (g[k] * sc[k]) as u64).collect();
                        stored.contains_key(&off)
                    });
                    if !reached {
                        return Ok(None);
                    }
                    plain.resize(encoder.chunk_bytes, 0);
                    let from: Vec<usize> = (0..n).map(|k| t[k] * dc[k]).collect();
                    // Safety: the target chunk lies inside the slab (whole target chunks) and
                    // `plain` holds one whole target chunk.
                    unsafe { copy_box(buf_ref.as_ptr(), &dims, &from, plain.as_mut_ptr(), dc, &vec![0; n], dc, e) };
                    let mut out = Vec::new();
                    let offset: Vec<u64> = start.iter().map(|&x| x as u64).collect();
                    let mask = encoder.encode(plain, &mut out).map_err(|err| chunk_err(dst, &offset, err))?;
                    Ok(Some((offset, mask, out)))
                })
                .collect::<Result<Vec<_>>>()?;
            done += (valid.iter().product::<usize>() * e) as u64;
            send((encoded.into_iter().flatten().collect(), done.min(total)))?;
        }
        Ok(())
    })
}

/// Contiguous (or compact) storage: through the library, about 32 MiB of rows at a time.
fn copy_contiguous(src: &Leaf, dst: &Leaf, progress: &(dyn Fn(u64) + Sync)) -> Result<()> {
    let shape = src.shape();
    let e = src.layout()?.size;
    if shape.is_empty() {
        let bytes = src.read_bytes()?;
        write_all(dst, &bytes)?;
        progress(bytes.len() as u64);
        return Ok(());
    }
    let rows = shape[0];
    let row_bytes = shape[1..].iter().product::<usize>() * e;
    if rows == 0 || row_bytes == 0 {
        return Ok(());
    }
    let per = (SLAB_BYTES / row_bytes).max(1);
    let mut start = 0;
    while start < rows {
        let n = per.min(rows - start);
        let bytes = src.read_rows(start, 1, n)?;
        dst.write_rows(start, 1, n, &bytes)?;
        start += n;
        progress((start * row_bytes) as u64);
    }
    Ok(())
}

/// Writes a whole (scalar) leaf's bytes through the library.
fn write_all(dst: &Leaf, bytes: &[u8]) -> Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    let id = dst.dataset().id();
    let rc = hdf5::sync::sync(|| {
        // Safety: `bytes` holds every element in the dataset's own type.
        unsafe {
            let ty = H5Dget_type(id);
            let rc = H5Dwrite(id, ty, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.as_ptr().cast());
            H5Tclose(ty);
            rc
        }
    });
    if rc < 0 {
        return Err(dst.node_err("H5Dwrite failed"));
    }
    Ok(())
}
