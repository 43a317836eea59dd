//! Blosc2 chunks (HDF5 filter 32026, PyTables' and hdf5-blosc2's), through c-blosc2 itself
//! (the `blosc2-sys` binding, built from its bundled source).
//!
//! Each HDF5 chunk is one blosc2 contiguous frame: for a chunk of rank 1 a super-chunk
//! holding one blosc2 chunk; for rank > 1 a b2nd array whose shape is the HDF5 chunk's
//! (its blocks are not in C order, so it is read back through b2nd's slice call). The
//! filter's parameters are hdf5-blosc2's: `[revision, block size, type size, chunk bytes,
//! level, shuffle (0 none, 1 byte, 2 bit), compressor code, rank, dims...]`.

use std::ffi::{c_char, c_int, c_void};
use std::sync::Once;

use blosc2_sys as sys;

use crate::error::{Error, Result};

/// hdf5-blosc2's filter id and the revision it stores in a dataset's parameters.
pub(crate) const ID: i32 = 32026;
pub(crate) const REVISION: u32 = 1;
/// b2nd's largest rank (`B2ND_MAX_DIM`); hdf5-blosc2 writes plain blosc2 above it.
const MAX_DIM: usize = 8;
/// b2nd's target block size (`B2ND_DEFAULT_BLOCK_SIZE`), bytes.
const BLOCK_TARGET: usize = 1 << 16;

// b2nd's calls, exported by the same static library that `blosc2-sys` builds (its bindings
// cover `blosc2.h` only).
#[repr(C)]
struct B2ndContext {
    _private: [u8; 0],
}

/// The first fields of `b2nd_array_t` (`b2nd.h`), as far as its rank.
#[repr(C)]
struct B2ndArray {
    sc: *mut sys::blosc2_schunk,
    shape: [i64; MAX_DIM],
    chunkshape: [i32; MAX_DIM],
    extshape: [i64; MAX_DIM],
    blockshape: [i32; MAX_DIM],
    extchunkshape: [i64; MAX_DIM],
    nitems: i64,
    chunknitems: i32,
    extnitems: i64,
    blocknitems: i32,
    extchunknitems: i64,
    ndim: i8,
}

extern "C" {
    fn b2nd_create_ctx(
        storage: *const sys::blosc2_storage,
        ndim: i8,
        shape: *const i64,
        chunkshape: *const i32,
        blockshape: *const i32,
        dtype: *const c_char,
        dtype_format: i8,
        metalayers: *const c_void,
        nmetalayers: i32,
    ) -> *mut B2ndContext;
    fn b2nd_free_ctx(ctx: *mut B2ndContext) -> c_int;
    fn b2nd_from_cbuffer(ctx: *mut B2ndContext, array: *mut *mut B2ndArray, buffer: *const c_void, size: i64) -> c_int;
    fn b2nd_to_cframe(array: *const B2ndArray, cframe: *mut *mut u8, len: *mut i64, needs_free: *mut bool) -> c_int;
    fn b2nd_from_schunk(schunk: *mut sys::blosc2_schunk, array: *mut *mut B2ndArray) -> c_int;
    fn b2nd_get_slice_cbuffer(
        array: *const B2ndArray,
        start: *const i64,
        stop: *const i64,
        buffer: *mut c_void,
        buffershape: *const i64,
        buffersize: i64,
    ) -> c_int;
    fn b2nd_free(array: *mut B2ndArray) -> c_int;
    // c-blosc2's own (frame.h, not installed), for `read_range_at`.
    fn frame_from_file_offset(urlpath: *const c_char, io: *const sys::blosc2_io, offset: i64) -> *mut c_void;
    fn frame_to_schunk(frame: *mut c_void, copy: bool, io: *const sys::blosc2_io) -> *mut sys::blosc2_schunk;
}

/// Chunks at least this large are compressed on c-blosc2's threads.
const PARALLEL_ENCODE: usize = 16 << 20;

fn cores() -> i16 {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(64) as i16)
}

fn init() {
    static ONCE: Once = Once::new();
    // Safety: c-blosc2's global set-up, once per process, before any other call.
    ONCE.call_once(|| unsafe { sys::blosc2_init() });
}

/// How a chunk is encoded: the filter's parameters, read from a dataset's `cd_values`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// c-blosc2's compressor code: 0 blosclz, 1 lz4, 2 lz4hc, 4 zlib, 5 zstd.
    pub compcode: u8,
    pub level: u8,
    /// 0 none, 1 byte shuffle, 2 bit shuffle.
    pub shuffle: u8,
    pub typesize: usize,
    /// Bytes per blosc2 block, 0 for c-blosc2's choice.
    pub blocksize: usize,
    /// The chunk's shape when it is stored as a b2nd array (rank 2 to 8), else empty.
    pub dims: Vec<usize>,
}

impl Params {
    /// Reads hdf5-blosc2's parameters (missing ones take its defaults: level 5, byte shuffle,
    /// blosclz).
    pub fn from_cd_values(cd: &[u32]) -> Params {
        let at = |i: usize, default: u32| cd.get(i).copied().unwrap_or(default);
        let rank = at(7, 0) as usize;
        let dims = if (2..=MAX_DIM).contains(&rank) && cd.len() >= 8 + rank {
            cd[8..8 + rank].iter().map(|&d| d as usize).collect()
        } else {
            Vec::new()
        };
        Params {
            blocksize: at(1, 0) as usize,
            typesize: (at(2, 1) as usize).clamp(1, 255),
            level: at(4, 5).min(9) as u8,
            shuffle: at(5, 1).min(2) as u8,
            compcode: at(6, 0).min(255) as u8,
            dims,
        }
    }

    /// PyTables' name of the compressor (`blosc2`, `blosc2:lz4`, ...).
    pub fn complib_name(&self) -> &'static str {
        compcode_name(self.compcode)
    }
}

/// PyTables' library name for a c-blosc2 compressor code.
pub(crate) fn compcode_name(code: u8) -> &'static str {
    match code {
        0 => "blosc2",
        1 => "blosc2:lz4",
        2 => "blosc2:lz4hc",
        4 => "blosc2:zlib",
        5 => "blosc2:zstd",
        _ => "blosc2:?",
    }
}

/// A super-chunk read from a frame in place, freed when dropped (with its b2nd array when
/// one took it over).
struct Frame {
    schunk: *mut sys::blosc2_schunk,
    array: *mut B2ndArray,
}

impl Drop for Frame {
    fn drop(&mut self) {
        // Safety: each pointer is c-blosc2's, owned here, freed once; a b2nd array owns its
        // super-chunk.
        unsafe {
            if !self.array.is_null() {
                b2nd_free(self.array);
            } else if !self.schunk.is_null() {
                sys::blosc2_schunk_free(self.schunk);
            }
        }
    }
}

/// Checks a b2nd metalayer as c-blosc2's `b2nd_deserialize_meta` will read it (msgpack: a
/// 7-array of version, rank, shape (int64s), chunk shape and block shape (int32s), then the
/// dtype's format and string): a rank of 1 to 8, every field inside the content, chunk and
/// block dimensions of at least 1 (it divides by them) and no block larger than its chunk.
fn check_b2nd_meta(m: &[u8]) -> Result<()> {
    let bad = |what: &str| Err(Error::Decode(format!("blosc2: a damaged b2nd metalayer ({what})")));
    if m.len() < 3 || m[0] != 0x97 {
        return bad("not a 7-entry array");
    }
    let ndim = m[2] as usize;
    if ndim == 0 || ndim > MAX_DIM {
        return bad(&format!("rank {}", m[2] as i8));
    }
    let mut at = 3;
    let mut dims = |width: usize, tag: u8| -> Option<Vec<i64>> {
        if *m.get(at)? != 0x90 + ndim as u8 {
            return None;
        }
        at += 1;
        let mut out = Vec::with_capacity(ndim);
        for _ in 0..ndim {
            if *m.get(at)? != tag {
                return None;
            }
            let b = m.get(at + 1..at + 1 + width)?;
            out.push(if width == 8 {
                i64::from_be_bytes(b.try_into().ok()?)
            } else {
                i64::from(i32::from_be_bytes(b.try_into().ok()?))
            });
            at += 1 + width;
        }
        Some(out)
    };
    let (Some(shape), Some(chunk), Some(block)) = (dims(8, 0xd3), dims(4, 0xd2), dims(4, 0xd2)) else {
        return bad("its shapes are cut short or mistyped");
    };
    if shape.iter().any(|&d| d < 0)
        || chunk.iter().any(|&d| d < 1)
        || block.iter().zip(&chunk).any(|(&b, &c)| b < 1 || b > c)
    {
        return bad(&format!("shape {shape:?}, chunks {chunk:?}, blocks {block:?}"));
    }
    // The dtype's format (a fixnum) and its string (0xdb, a big-endian length, the bytes).
    if at < m.len() {
        let len = m.get(at + 2..at + 6).map(|b| u32::from_be_bytes(b.try_into().unwrap_or_default()) as usize);
        if m.get(at + 1) != Some(&0xdb) || len.is_none_or(|n| at + 6 + n > m.len()) {
            return bad("its dtype runs past its end");
        }
    }
    Ok(())
}

impl Frame {
    fn open(input: &[u8]) -> Result<Frame> {
        init();
        if input.len() < 32 {
            return Err(Error::Decode("blosc2: chunk shorter than a frame's header".into()));
        }
        // Safety: with `copy` false c-blosc2 reads the frame where it is, for no longer than
        // the super-chunk lives (dropped before `input` is); it does not write to it.
        let schunk = unsafe { sys::blosc2_schunk_from_buffer(input.as_ptr() as *mut u8, input.len() as i64, false) };
        if schunk.is_null() {
            return Err(Error::Decode("blosc2: not a blosc2 frame (or a damaged one)".into()));
        }
        let mut frame = Frame { schunk, array: std::ptr::null_mut() };
        if frame.has_meta("b2nd") || frame.has_meta("caterva") {
            // c-blosc2 reads the metalayer trusting its rank and lengths, and divides by its
            // chunk and block shapes: checked here first.
            for name in ["b2nd", "caterva"] {
                if let Some(meta) = frame.meta(name) {
                    check_b2nd_meta(meta)?;
                }
            }
            let mut array = std::ptr::null_mut();
            // Safety: the super-chunk is valid; on success the array owns it.
            if unsafe { b2nd_from_schunk(schunk, &mut array) } < 0 || array.is_null() {
                return Err(Error::Decode("blosc2: a damaged b2nd array".into()));
            }
            frame.array = array;
        }
        Ok(frame)
    }

    /// The content of the metalayer `name`, if the frame has it.
    fn meta(&self, name: &str) -> Option<&[u8]> {
        // Safety: as `has_meta`; a metalayer's content holds `content_len` bytes, owned by
        // the super-chunk, which outlives the borrow of `self`.
        unsafe {
            let sc = &*self.schunk;
            let n = usize::from(sc.nmetalayers).min(sc.metalayers.len());
            sc.metalayers[..n].iter().find_map(|&m| {
                if m.is_null() || (*m).name.is_null() || (*m).content.is_null() || (*m).content_len < 0 {
                    return None;
                }
                (std::ffi::CStr::from_ptr((*m).name).to_bytes() == name.as_bytes())
                    .then(|| std::slice::from_raw_parts((*m).content, (*m).content_len as usize))
            })
        }
    }

    fn has_meta(&self, name: &str) -> bool {
        // Safety: the super-chunk is valid; its first `nmetalayers` entries are set.
        unsafe {
            let sc = &*self.schunk;
            let n = usize::from(sc.nmetalayers).min(sc.metalayers.len());
            sc.metalayers[..n].iter().any(|&m| {
                !m.is_null()
                    && !(*m).name.is_null()
                    && std::ffi::CStr::from_ptr((*m).name).to_bytes() == name.as_bytes()
            })
        }
    }

    /// Decodes the frame's one chunk (or its whole b2nd array) into `out`, which must be
    /// exactly its size.
    fn decode_into(&self, out: &mut [u8]) -> Result<()> {
        // Safety: the super-chunk (and array) are valid; every c-blosc2 call below writes at
        // most the sizes given, which are `out`'s.
        unsafe {
            let sc = &*self.schunk;
            if !self.array.is_null() {
                let a = &*self.array;
                let ndim = a.ndim as usize;
                if ndim == 0 || ndim > MAX_DIM {
                    return Err(Error::Decode(format!("blosc2: b2nd array of rank {ndim}")));
                }
                let shape = &a.shape[..ndim];
                let bytes = shape
                    .iter()
                    .try_fold(sc.typesize.max(0) as u64, |b, &d| u64::try_from(d).ok().and_then(|d| b.checked_mul(d)));
                if bytes != Some(out.len() as u64) {
                    return Err(Error::Decode(format!(
                        "blosc2: b2nd array of shape {shape:?} and {}-byte items, a chunk holds {} bytes",
                        sc.typesize,
                        out.len()
                    )));
                }
                let start = [0i64; MAX_DIM];
                let rc = b2nd_get_slice_cbuffer(
                    self.array,
                    start.as_ptr(),
                    shape.as_ptr(),
                    out.as_mut_ptr().cast(),
                    shape.as_ptr(),
                    out.len() as i64,
                );
                if rc < 0 {
                    return Err(Error::Decode(format!("blosc2: decompression failed ({rc})")));
                }
                return Ok(());
            }
            if sc.nchunks != 1 {
                return Err(Error::Decode(format!("blosc2: a frame of {} chunks, not one", sc.nchunks)));
            }
            if sc.nbytes != out.len() as i64 {
                return Err(Error::Decode(format!(
                    "blosc2: frame holds {} bytes, a chunk holds {}",
                    sc.nbytes,
                    out.len()
                )));
            }
            let len = i32::try_from(out.len()).map_err(|_| Error::Decode("blosc2: chunk too large".into()))?;
            let n = sys::blosc2_schunk_decompress_chunk(self.schunk, 0, out.as_mut_ptr().cast(), len);
            if n != len {
                return Err(Error::Decode(format!("blosc2: decompression failed ({n})")));
            }
            Ok(())
        }
    }

    fn nbytes(&self) -> Result<usize> {
        // Safety: the super-chunk is valid.
        let n = unsafe { (*self.schunk).nbytes };
        usize::try_from(n).map_err(|_| Error::Decode(format!("blosc2: frame claims {n} bytes")))
    }
}

/// Decodes one chunk (a blosc2 frame) into `out`, exactly the chunk's decoded size.
pub(crate) fn decode_into(input: &[u8], out: &mut [u8]) -> Result<()> {
    Frame::open(input)?.decode_into(out)
}

/// Decodes one chunk into a growable buffer, no larger than `limit` bytes.
pub(crate) fn decode(input: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<()> {
    let frame = Frame::open(input)?;
    let n = frame.nbytes()?;
    if n > limit {
        return Err(Error::Decode(format!("blosc2: frame claims {n} bytes, a chunk holds {limit}")));
    }
    out.clear();
    out.resize(n, 0);
    frame.decode_into(out)
}

/// Reads part of a chunk stored at `addr` (`stored` bytes) in the file at `path`, straight
/// from the file: c-blosc2 opens the frame there and reads only its index and the blocks that
/// hold bytes `start..start + out.len()` of the decoded chunk (`chunk_bytes` in all), which
/// it decodes into `out`. For frames of one plain blosc2 chunk (rank 1); `start` and the
/// length are whole items of the chunk's type size.
pub(crate) fn read_range_at(
    path: &std::ffi::CStr,
    addr: u64,
    stored: u64,
    chunk_bytes: usize,
    start: usize,
    out: &mut [u8],
) -> Result<()> {
    init();
    let offset = i64::try_from(addr).map_err(|_| Error::Decode(format!("blosc2: chunk address {addr}")))?;
    // Safety: c-blosc2 opens and reads the file itself; the super-chunk and the lazy chunk are
    // freed below, and getitem writes at most `out.len()` bytes.
    unsafe {
        // `blosc2_schunk_open_offset` does these two steps but dereferences the super-chunk
        // that the second returns as NULL for a damaged frame (c-blosc2 2.15): call them here.
        let io = sys::blosc2_io {
            id: sys::BLOSC2_IO_FILESYSTEM as u8,
            name: c"filesystem".as_ptr(),
            params: std::ptr::null_mut(),
        };
        let frame = frame_from_file_offset(path.as_ptr(), &io, offset);
        if frame.is_null() {
            return Err(Error::Decode("blosc2: not a blosc2 frame (or a damaged one)".into()));
        }
        // On failure it frees the frame, or leaks it.
        let schunk = frame_to_schunk(frame, false, &io);
        if schunk.is_null() {
            return Err(Error::Decode("blosc2: not a blosc2 frame (or a damaged one)".into()));
        }
        let frame = Frame { schunk, array: std::ptr::null_mut() };
        let sc = &*schunk;
        if frame.has_meta("b2nd") || frame.has_meta("caterva") || sc.nchunks != 1 {
            return Err(Error::Decode(format!("blosc2: a frame of {} chunks, not one plain chunk", sc.nchunks)));
        }
        if sc.nbytes != chunk_bytes as i64 || sc.cbytes < 0 || sc.cbytes as u64 > stored {
            return Err(Error::Decode(format!(
                "blosc2: frame holds {} bytes in {}, a chunk holds {chunk_bytes} in {stored}",
                sc.nbytes, sc.cbytes
            )));
        }
        let typesize = sc.typesize.max(1) as usize;
        let end = start.checked_add(out.len()).filter(|&e| e <= chunk_bytes);
        if end.is_none() || !start.is_multiple_of(typesize) || !out.len().is_multiple_of(typesize) {
            return Err(Error::Decode(format!(
                "blosc2: bytes {start}..+{} are not whole {typesize}-byte items of a {chunk_bytes}-byte chunk",
                out.len()
            )));
        }
        let mut chunk: *mut u8 = std::ptr::null_mut();
        let mut needs_free = false;
        let cbytes = sys::blosc2_schunk_get_lazychunk(schunk, 0, &mut chunk, &mut needs_free);
        let (Ok(first), Ok(n), Ok(room)) =
            (i32::try_from(start / typesize), i32::try_from(out.len() / typesize), i32::try_from(out.len()))
        else {
            if needs_free {
                libc::free(chunk.cast());
            }
            return Err(Error::Decode("blosc2: range too large".into()));
        };
        let got = if cbytes < 0 || chunk.is_null() {
            cbytes
        } else {
            sys::blosc2_getitem_ctx(sc.dctx, chunk as *const c_void, cbytes, first, n, out.as_mut_ptr().cast(), room)
        };
        if needs_free {
            libc::free(chunk.cast());
        }
        if got != room {
            return Err(Error::Decode(format!("blosc2: decompression failed ({got})")));
        }
    }
    Ok(())
}

/// hdf5-blosc2's block shape for a b2nd chunk: every dimension 1 or 2, then doubled from the
/// last dimension back (a dimension that cannot double takes the whole chunk's), while the
/// block stays within the target size.
fn block_shape(dims: &[usize], typesize: usize) -> Vec<i32> {
    let target = (BLOCK_TARGET / typesize.max(1)).max(1);
    let mut block: Vec<usize> = dims.iter().map(|&d| if d <= 1 { 1 } else { 2 }).collect();
    let mut items: usize = block.iter().product();
    while items < target {
        let before = items;
        for i in (0..dims.len()).rev() {
            if block[i] * 2 <= dims[i] {
                if items * 2 <= target {
                    items *= 2;
                    block[i] *= 2;
                }
            } else if block[i] < dims[i] {
                items = items / block[i] * dims[i];
                block[i] = dims[i];
            }
        }
        if items == before {
            break;
        }
    }
    block.iter().map(|&b| b as i32).collect()
}

/// Encodes one whole chunk as hdf5-blosc2 does: a frame holding one blosc2 chunk, or a b2nd
/// array of the chunk's shape when `params.dims` has one.
pub(crate) fn encode(params: &Params, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
    init();
    let len = i32::try_from(input.len()).map_err(|_| Error::Decode("blosc2: chunk too large".into()))?;
    // Safety: the defaults are plain values; every pointer handed to c-blosc2 below lives
    // until the call that uses it returns, and each object it makes is freed once.
    unsafe {
        let mut cparams = sys::blosc2_get_blosc2_cparams_defaults();
        cparams.compcode = params.compcode;
        cparams.clevel = params.level;
        cparams.typesize = params.typesize.clamp(1, 255) as i32;
        // b2nd chooses its blocks from the block shape.
        let b2nd = params.dims.len() >= 2;
        cparams.blocksize = if b2nd { 0 } else { i32::try_from(params.blocksize).unwrap_or(0) };
        // A chunk of many blocks (PyTables' blosc2 chunks reach hundreds of MB) is compressed
        // by c-blosc2's own threads, one per core; smaller ones on the calling thread (the
        // callers run many at once).
        cparams.nthreads = if input.len() >= PARALLEL_ENCODE { cores() } else { 1 };
        cparams.filters[sys::BLOSC_LAST_FILTER as usize] = params.shuffle;
        let mut dparams = sys::blosc2_get_blosc2_dparams_defaults();
        dparams.nthreads = 1;
        let mut storage = sys::blosc2_get_blosc2_storage_defaults();
        storage.contiguous = false;
        storage.cparams = &mut cparams;
        storage.dparams = &mut dparams;
        let mut buf: *mut u8 = std::ptr::null_mut();
        let mut needs_free = false;
        // The frame is copied out before the objects it may live in are freed.
        let take = |buf: *mut u8, n: i64, needs_free: bool, out: &mut Vec<u8>| {
            out.clear();
            out.extend_from_slice(std::slice::from_raw_parts(buf, n as usize));
            if needs_free {
                libc::free(buf.cast());
            }
        };
        if b2nd {
            let bytes = params.dims.iter().product::<usize>() * params.typesize;
            if bytes != input.len() {
                return Err(Error::Decode(format!(
                    "blosc2: a chunk of shape {:?} holds {bytes} bytes, not {}",
                    params.dims,
                    input.len()
                )));
            }
            // The dtype says only "this many opaque bytes", as hdf5-blosc2 writes it.
            let shape: Vec<i64> = params.dims.iter().map(|&d| d as i64).collect();
            let chunk: Vec<i32> = params.dims.iter().map(|&d| d as i32).collect();
            let block = block_shape(&params.dims, params.typesize);
            let dtype = std::ffi::CString::new(format!("|V{}", params.typesize)).unwrap_or_default();
            let ndim = params.dims.len() as i8;
            let ctx = b2nd_create_ctx(
                &storage,
                ndim,
                shape.as_ptr(),
                chunk.as_ptr(),
                block.as_ptr(),
                dtype.as_ptr(),
                0,
                std::ptr::null(),
                0,
            );
            if ctx.is_null() {
                return Err(Error::Decode("blosc2: cannot make a b2nd context".into()));
            }
            let mut array = std::ptr::null_mut();
            let mut rc = b2nd_from_cbuffer(ctx, &mut array, input.as_ptr().cast(), input.len() as i64);
            let mut n = 0i64;
            if rc >= 0 {
                rc = b2nd_to_cframe(array, &mut buf, &mut n, &mut needs_free);
                if rc >= 0 {
                    take(buf, n, needs_free, out);
                }
            }
            if !array.is_null() {
                b2nd_free(array);
            }
            b2nd_free_ctx(ctx);
            if rc < 0 {
                return Err(Error::Decode(format!("blosc2: b2nd compression failed ({rc})")));
            }
        } else {
            let schunk = sys::blosc2_schunk_new(&mut storage);
            if schunk.is_null() {
                return Err(Error::Decode("blosc2: cannot make a super-chunk".into()));
            }
            let rc = sys::blosc2_schunk_append_buffer(schunk, input.as_ptr() as *mut c_void, len);
            let n = if rc < 0 { rc } else { sys::blosc2_schunk_to_buffer(schunk, &mut buf, &mut needs_free) };
            if n >= 0 {
                take(buf, n, needs_free, out);
            }
            sys::blosc2_schunk_free(schunk);
            if n < 0 {
                return Err(Error::Decode(format!("blosc2: compression failed ({n})")));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// A b2nd metalayer of one dimension: shape 100, chunks `chunk`, blocks `block`.
    fn meta(chunk: i32, block: i32) -> Vec<u8> {
        let mut m = vec![0x97, 0, 1, 0x91, 0xd3];
        m.extend_from_slice(&100i64.to_be_bytes());
        m.extend_from_slice(&[0x91, 0xd2]);
        m.extend_from_slice(&chunk.to_be_bytes());
        m.extend_from_slice(&[0x91, 0xd2]);
        m.extend_from_slice(&block.to_be_bytes());
        m.extend_from_slice(&[0, 0xdb]);
        m.extend_from_slice(&3u32.to_be_bytes());
        m.extend_from_slice(b"<f8");
        m
    }

    #[test]
    fn b2nd_metalayers_are_checked_before_c_blosc2_reads_them() {
        assert!(super::check_b2nd_meta(&meta(50, 10)).is_ok());
        let msg = |m: &[u8]| super::check_b2nd_meta(m).unwrap_err().to_string();
        assert!(msg(&meta(0, 10)).contains("shape [100], chunks [0], blocks [10]"), "{}", msg(&meta(0, 10)));
        assert!(msg(&meta(50, 0)).contains("blocks [0]"));
        assert!(msg(&meta(10, 50)).contains("chunks [10], blocks [50]"));
        let mut big_rank = meta(50, 10);
        big_rank[2] = 100;
        assert!(msg(&big_rank).contains("rank 100"));
        let full = meta(50, 10);
        assert!(msg(&full[..20]).contains("cut short"));
        assert!(msg(&full[..full.len() - 1]).contains("dtype runs past its end"));
    }

    use super::*;

    fn data(n: usize) -> Vec<u8> {
        (0..n as u32).flat_map(|i| ((i / 3) as f32).to_le_bytes()).collect()
    }

    #[test]
    fn round_trips_every_codec_and_shuffle() {
        let input = data(10_000);
        for compcode in [0u8, 1, 2, 4, 5] {
            for shuffle in [0u8, 1, 2] {
                let p = Params { compcode, level: 5, shuffle, typesize: 4, blocksize: 0, dims: Vec::new() };
                let mut enc = Vec::new();
                encode(&p, &input, &mut enc).unwrap();
                assert!(enc.len() < input.len(), "{compcode} {shuffle}: {}", enc.len());
                let mut back = vec![0u8; input.len()];
                decode_into(&enc, &mut back).unwrap();
                assert_eq!(back, input, "{compcode} {shuffle}");
            }
        }
    }

    #[test]
    fn b2nd_chunks_round_trip_in_c_order() {
        for dims in [vec![7usize, 13], vec![3, 5, 700], vec![100, 1]] {
            let n: usize = dims.iter().product();
            let input = data(n);
            let p = Params { compcode: 5, level: 3, shuffle: 2, typesize: 4, blocksize: 0, dims: dims.clone() };
            let mut enc = Vec::new();
            encode(&p, &input, &mut enc).unwrap();
            let mut back = vec![0u8; input.len()];
            decode_into(&enc, &mut back).unwrap();
            assert_eq!(back, input, "{dims:?}");
            let mut wrong = vec![0u8; input.len() - 4];
            let e = decode_into(&enc, &mut wrong).unwrap_err().to_string();
            assert!(e.contains("a chunk holds"), "{e}");
        }
    }

    #[test]
    fn damaged_frames_are_errors() {
        let input = data(1000);
        let p = Params { compcode: 1, level: 5, shuffle: 1, typesize: 4, blocksize: 0, dims: Vec::new() };
        let mut enc = Vec::new();
        encode(&p, &input, &mut enc).unwrap();
        let mut out = vec![0u8; input.len()];
        assert!(decode_into(&enc[..enc.len() / 2], &mut out).is_err());
        assert!(decode_into(b"not a frame at all, not at all, no", &mut out).is_err());
        let mut short = vec![0u8; 40];
        let e = decode_into(&enc, &mut short).unwrap_err().to_string();
        assert!(e.contains("frame holds 4000 bytes, a chunk holds 40"), "{e}");
        let mut grown = Vec::new();
        assert!(decode(&enc, 100, &mut grown).is_err());
        decode(&enc, 4000, &mut grown).unwrap();
        assert_eq!(grown, input);
    }

    #[test]
    fn ranges_read_from_the_file_equal_the_whole_chunk() {
        let input = data(50_000);
        let p = Params { compcode: 1, level: 5, shuffle: 1, typesize: 4, blocksize: 4096, dims: Vec::new() };
        let mut enc = Vec::new();
        encode(&p, &input, &mut enc).unwrap();
        let dir = std::env::temp_dir().join(format!("outcore-b2-{}", std::process::id()));
        let mut file = vec![7u8; 1000];
        file.extend_from_slice(&enc);
        file.extend_from_slice(&[9u8; 100]);
        std::fs::write(&dir, &file).unwrap();
        let path = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
        let (stored, total) = (enc.len() as u64, input.len());
        for (start, len) in [(0, total), (4, 8), (40_000, 80_000), (total - 4, 4), (123_456, 4)] {
            let mut out = vec![0u8; len];
            read_range_at(&path, 1000, stored, total, start, &mut out).unwrap();
            assert_eq!(out, input[start..start + len], "{start}+{len}");
        }
        let mut out = vec![0u8; 6];
        let e = read_range_at(&path, 1000, stored, total, 2, &mut out).unwrap_err().to_string();
        assert!(e.contains("not whole 4-byte items"), "{e}");
        assert!(read_range_at(&path, 1000, stored, total + 4, 0, &mut out[..4]).is_err());
        assert!(read_range_at(&path, 1000, stored / 2, total, 0, &mut out[..4]).is_err());
        assert!(read_range_at(&path, 10, stored, total, 0, &mut out[..4]).is_err());
        std::fs::remove_file(&dir).unwrap();
    }

    #[test]
    fn block_shapes_stay_within_the_target() {
        assert_eq!(block_shape(&[1000, 1000], 8), vec![64, 128]);
        // A chunk within the target is one block.
        assert_eq!(block_shape(&[3, 5, 700], 4), vec![3, 5, 700]);
        assert_eq!(block_shape(&[3, 5, 7000], 4), vec![3, 5, 1024]);
        assert_eq!(block_shape(&[1, 1], 8), vec![1, 1]);
    }
}
