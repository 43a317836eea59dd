//! Decoding raw chunks outside the HDF5 library: the filters PyTables writes, undone in
//! reverse pipeline order on any thread, into buffers the caller reuses.

use crate::error::{Error, Result};

/// One stage of a dataset's filter pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Codec {
    /// HDF5's byte shuffle of elements of this many bytes.
    Shuffle(usize),
    /// zlib (deflate).
    Deflate,
    /// Blosc (any of its codecs; the chunk's header says which).
    Blosc,
    /// Blosc2 (a frame per chunk, b2nd for rank > 1; the frame says how it was encoded).
    Blosc2,
    /// LZF.
    Lzf,
    /// A 4-byte checksum at the end of the chunk.
    Fletcher32,
    /// A filter outcore cannot decode (the id).
    Unsupported(i32),
}

/// A dataset's filter pipeline, ready to decode its chunks (`Send + Sync`: share it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoder {
    /// The codecs of the pipeline, in the order they were applied when writing.
    pub codecs: Vec<Codec>,
    /// The size of a whole chunk once decoded.
    pub chunk_bytes: usize,
}

impl Decoder {
    pub(crate) fn from_filters(filters: &[hdf5::filters::Filter], elem_size: usize, chunk_bytes: usize) -> Decoder {
        use hdf5::filters::Filter;
        let codecs = filters
            .iter()
            .map(|f| match f {
                Filter::Shuffle => Codec::Shuffle(elem_size),
                Filter::Deflate(_) => Codec::Deflate,
                Filter::Blosc(..) => Codec::Blosc,
                Filter::LZF => Codec::Lzf,
                Filter::Fletcher32 => Codec::Fletcher32,
                Filter::User(crate::blosc2::ID, _) => Codec::Blosc2,
                Filter::User(id, _) => Codec::Unsupported(*id),
                other => Codec::Unsupported(filter_id(other)),
            })
            .collect();
        Decoder { codecs, chunk_bytes }
    }

    /// The first filter outcore cannot undo.
    pub fn unsupported(&self) -> Option<i32> {
        self.codecs.iter().find_map(|c| if let Codec::Unsupported(id) = c { Some(*id) } else { None })
    }

    /// Whether every filter can be undone here.
    pub fn supported(&self) -> Result<()> {
        match self.codecs.iter().find_map(|c| if let Codec::Unsupported(id) = c { Some(*id) } else { None }) {
            Some(id) => Err(Error::Decode(format!("filter {id} is not supported by outcore's decoder"))),
            None => Ok(()),
        }
    }

    /// Whether a chunk stored with `filter_mask` can be decoded here: every filter outcore
    /// cannot undo was skipped for it (bit `i` set: filter `i` was not applied).
    pub fn decodes(&self, filter_mask: u32) -> bool {
        self.codecs.iter().enumerate().all(|(i, c)| !matches!(c, Codec::Unsupported(_)) || filter_mask & (1 << i) != 0)
    }

    /// Whether a chunk stored with `filter_mask` skipped every filter, so its stored bytes are
    /// its values (as when an optional filter such as blosc could not shrink it).
    pub fn passes_through(&self, filter_mask: u32) -> bool {
        (0..self.codecs.len()).all(|i| filter_mask & (1 << i) != 0)
    }

    /// Whether part of a chunk can be read straight from the file
    /// ([`Decoder::read_range_at`]): a pipeline of blosc2 alone, whose chunks are frames of
    /// blocks c-blosc2 reads one by one.
    pub fn reads_ranges(&self) -> bool {
        self.codecs == [Codec::Blosc2]
    }

    /// Reads bytes `start..start + out.len()` of a decoded chunk straight from the file at
    /// `path` (the chunk at `chunk.addr`, blosc2 applied to it): only the frame's index and the
    /// blocks holding those bytes are read and decoded. `start` and the length are whole
    /// items (elements, or records of a table). For a pipeline that [`Decoder::reads_ranges`].
    pub fn read_range_at(
        &self,
        path: &std::ffi::CStr,
        chunk: &crate::ChunkInfo,
        start: usize,
        out: &mut [u8],
    ) -> Result<()> {
        if !self.reads_ranges() || chunk.filter_mask & 1 != 0 {
            return Err(Error::Decode("only blosc2 chunks are read in part".into()));
        }
        crate::blosc2::read_range_at(path, chunk.addr, chunk.size, self.chunk_bytes, start, out)
    }

    /// Whether any filter is set (an unfiltered chunk is its own decoding).
    pub fn is_identity(&self) -> bool {
        self.codecs.is_empty()
    }

    /// Decodes one raw chunk into `out` (resized to the chunk's decoded size). Bit `i` of
    /// `filter_mask` set means filter `i` was skipped for this chunk.
    pub fn decode(&self, raw: &[u8], filter_mask: u32, out: &mut Vec<u8>) -> Result<()> {
        let mut scratch = Vec::new();
        out.resize(self.chunk_bytes, 0);
        self.decode_into(raw, filter_mask, &mut scratch, out)
    }

    /// Decodes one raw chunk into its place in a result: straight in when `slot` holds a whole
    /// chunk, through `edge` for the last, partial one (only its first `slot.len()` bytes).
    pub fn decode_to_slot(
        &self,
        raw: &[u8],
        filter_mask: u32,
        slot: &mut [u8],
        scratch: &mut Vec<u8>,
        edge: &mut Vec<u8>,
    ) -> Result<()> {
        if slot.len() == self.chunk_bytes {
            return self.decode_into(raw, filter_mask, scratch, slot);
        }
        self.decode(raw, filter_mask, edge)?;
        let n = slot.len().min(edge.len());
        slot[..n].copy_from_slice(&edge[..n]);
        Ok(())
    }

    /// Decodes one raw chunk straight into `out`, which holds exactly one decoded chunk; the
    /// last filter writes into `out` itself, earlier ones into `scratch` (reused by the caller).
    pub fn decode_into(&self, raw: &[u8], filter_mask: u32, scratch: &mut Vec<u8>, out: &mut [u8]) -> Result<()> {
        if out.len() != self.chunk_bytes {
            return Err(Error::Decode(format!("a chunk decodes to {} bytes, not {}", self.chunk_bytes, out.len())));
        }
        let active: Vec<&Codec> =
            self.codecs.iter().enumerate().rev().filter(|(i, _)| filter_mask & (1 << i) == 0).map(|(_, c)| c).collect();
        let Some((last, first)) = active.split_last() else {
            if raw.len() != out.len() {
                return Err(Error::Decode(format!("stored {} bytes, a chunk holds {}", raw.len(), out.len())));
            }
            out.copy_from_slice(raw);
            return Ok(());
        };
        // Every stage but the last: from the previous buffer into a fresh one.
        let mut cur: Option<Vec<u8>> = None;
        for codec in first {
            let input: &[u8] = cur.as_deref().unwrap_or(raw);
            let mut next = std::mem::take(scratch);
            apply(codec, input, self.chunk_bytes, &mut next)?;
            if let Some(prev) = cur.replace(next) {
                *scratch = prev;
            }
        }
        let input: &[u8] = cur.as_deref().unwrap_or(raw);
        apply_into(last, input, out)?;
        if let Some(prev) = cur {
            *scratch = prev;
        }
        Ok(())
    }
}

/// Runs one filter backwards into a growable buffer.
fn apply(codec: &Codec, input: &[u8], chunk_bytes: usize, next: &mut Vec<u8>) -> Result<()> {
    match codec {
        Codec::Deflate => inflate(input, chunk_bytes, next),
        Codec::Blosc => unblosc(input, next),
        Codec::Blosc2 => crate::blosc2::decode(input, chunk_bytes, next),
        Codec::Lzf => unlzf(input, chunk_bytes, next),
        Codec::Shuffle(size) => {
            unshuffle(input, *size, next);
            Ok(())
        }
        Codec::Fletcher32 => {
            let n = checked_fletcher32(input)?;
            next.clear();
            next.extend_from_slice(&input[..n]);
            Ok(())
        }
        Codec::Unsupported(id) => Err(Error::Decode(format!("filter {id} is not supported"))),
    }
}

/// Runs the pipeline's last filter backwards straight into the chunk's place.
fn apply_into(codec: &Codec, input: &[u8], out: &mut [u8]) -> Result<()> {
    let len = out.len();
    let exact = |n: usize| {
        if n == len {
            Ok(())
        } else {
            Err(Error::Decode(format!("decoded {n} bytes, a chunk holds {len}")))
        }
    };
    match codec {
        Codec::Blosc => {
            exact(blosc_size(input)?)?;
            unblosc_into(input, out)
        }
        Codec::Blosc2 => crate::blosc2::decode_into(input, out),
        Codec::Shuffle(size) => {
            exact(input.len())?;
            unshuffle_into(input, *size, out);
            Ok(())
        }
        Codec::Deflate => {
            let n = inflate_slice(input, out)?;
            exact(n)
        }
        other => {
            let mut tmp = Vec::new();
            apply(other, input, out.len(), &mut tmp)?;
            exact(tmp.len())?;
            out.copy_from_slice(&tmp);
            Ok(())
        }
    }
}

/// HDF5's Fletcher-32 of `data` (`H5_checksum_fletcher32`): sums of big-endian 16-bit words,
/// folded every 360 words, a last odd byte as the high byte of a word.
pub(crate) fn fletcher32(data: &[u8]) -> u32 {
    let fold = |s: u32| (s & 0xffff) + (s >> 16);
    let (mut s1, mut s2) = (0u32, 0u32);
    let words = data.chunks_exact(2);
    let odd = words.remainder().first().copied();
    for run in data[..data.len() / 2 * 2].chunks(720) {
        for w in run.chunks_exact(2) {
            s1 += u32::from(w[0]) << 8 | u32::from(w[1]);
            s2 += s1;
        }
        s1 = fold(s1);
        s2 = fold(s2);
    }
    if let Some(b) = odd {
        s1 += u32::from(b) << 8;
        s2 += s1;
        s1 = fold(s1);
        s2 = fold(s2);
    }
    fold(s2) << 16 | fold(s1)
}

/// The length of a chunk's data once its Fletcher-32 checksum (the last 4 bytes, little
/// endian) is checked; HDF5 accepts the checksum's bytes swapped too (files of its versions
/// before 1.6.3), and so does this.
fn checked_fletcher32(input: &[u8]) -> Result<usize> {
    let n = input.len().checked_sub(4).ok_or_else(|| Error::Decode("chunk shorter than its checksum".into()))?;
    let stored = u32::from_le_bytes([input[n], input[n + 1], input[n + 2], input[n + 3]]);
    let sum = fletcher32(&input[..n]);
    if stored != sum && stored != sum.swap_bytes() {
        return Err(Error::Decode(format!("fletcher32 checksum {stored:#010x} does not match the data's {sum:#010x}")));
    }
    Ok(n)
}

fn filter_id(f: &hdf5::filters::Filter) -> i32 {
    f.id()
}

fn inflate(input: &[u8], expected: usize, out: &mut Vec<u8>) -> Result<()> {
    // Never grow past the chunk's size: a damaged stream cannot make us allocate without bound.
    out.clear();
    out.resize(expected, 0);
    let n = inflate_slice(input, out)?;
    out.truncate(n);
    Ok(())
}

/// Inflates a whole zlib stream into `out` in one call, with libdeflate (whole-buffer
/// decompression, faster than a streaming inflater); returns the bytes written. A stream
/// that does not end within `out` is an error.
fn inflate_slice(input: &[u8], out: &mut [u8]) -> Result<usize> {
    use libdeflater::{DecompressionError, Decompressor};
    thread_local! {
        static STATE: std::cell::RefCell<Option<Decompressor>> = const { std::cell::RefCell::new(None) };
    }
    STATE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let d = slot.get_or_insert_with(Decompressor::new);
        d.zlib_decompress(input, out).map_err(|e| match e {
            DecompressionError::InsufficientSpace => {
                Error::Decode(format!("zlib: more than the chunk's {} bytes", out.len()))
            }
            DecompressionError::BadData => Error::Decode("zlib: damaged or truncated stream".into()),
        })
    })
}

/// The decoded size a blosc chunk's header claims, once the header is checked against the
/// chunk: c-blosc trusts it, and reads past the chunk when it claims more bytes than there are.
pub(crate) fn blosc_size(input: &[u8]) -> Result<usize> {
    if input.len() < 16 {
        return Err(Error::Decode("blosc: chunk shorter than its header".into()));
    }
    // Header: version, versionlz, flags, typesize, nbytes (u32 LE), blocksize, cbytes.
    let nbytes = u32::from_le_bytes([input[4], input[5], input[6], input[7]]) as usize;
    let cbytes = u32::from_le_bytes([input[12], input[13], input[14], input[15]]) as usize;
    if cbytes > input.len() {
        return Err(Error::Decode(format!("blosc: header claims {cbytes} bytes, chunk has {}", input.len())));
    }
    Ok(nbytes)
}

fn unblosc(input: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let nbytes = blosc_size(input)?;
    out.clear();
    out.resize(nbytes, 0);
    unblosc_into(input, out)
}

/// Decodes a blosc chunk into `out`, which holds exactly the bytes its (checked) header claims.
pub(crate) fn unblosc_into(input: &[u8], out: &mut [u8]) -> Result<()> {
    let nbytes = blosc_size(input)?;
    if out.len() != nbytes {
        return Err(Error::Decode(format!("blosc: header claims {nbytes} bytes, {} expected", out.len())));
    }
    // Safety: `input` is valid for its length and its header's sizes were checked against it;
    // blosc writes at most `nbytes` = `out.len()` bytes.
    let n = unsafe { blosc_src::blosc_decompress_ctx(input.as_ptr().cast(), out.as_mut_ptr().cast(), nbytes, 1) };
    if n < 0 || n as usize != nbytes {
        return Err(Error::Decode(format!("blosc: decompression failed ({n})")));
    }
    Ok(())
}

/// Encodes `input` with blosc into `out` (room for the input and blosc's 16-byte header);
/// returns the encoded length.
pub(crate) fn blosc_into(
    level: i32,
    shuffle: i32,
    typesize: usize,
    compressor: &std::ffi::CStr,
    input: &[u8],
    out: &mut [u8],
) -> Result<usize> {
    if out.len() < input.len() + 16 {
        return Err(Error::Decode("blosc: no room to encode into".into()));
    }
    // Safety: both buffers are valid for the lengths given; blosc writes at most `out.len()`.
    let n = unsafe {
        blosc_src::blosc_compress_ctx(
            level,
            shuffle,
            typesize.max(1),
            input.len(),
            input.as_ptr().cast(),
            out.as_mut_ptr().cast(),
            out.len(),
            compressor.as_ptr(),
            0,
            1,
        )
    };
    if n <= 0 {
        return Err(Error::Decode(format!("blosc: compression failed ({n})")));
    }
    Ok(n as usize)
}

fn unlzf(input: &[u8], expected: usize, out: &mut Vec<u8>) -> Result<()> {
    out.clear();
    out.resize(expected, 0);
    let (Ok(inlen), Ok(outlen)) = (u32::try_from(input.len()), u32::try_from(expected)) else {
        return Err(Error::Decode("lzf: chunk too large".into()));
    };
    // Safety: both buffers are valid for the lengths given; lzf writes at most `outlen` bytes.
    let n = unsafe { lzf_sys::lzf_decompress(input.as_ptr().cast(), inlen, out.as_mut_ptr().cast(), outlen) };
    if n == 0 {
        return Err(Error::Decode("lzf: decompression failed".into()));
    }
    out.truncate(n as usize);
    Ok(())
}

/// HDF5's shuffle: byte `j` of every element is stored together; trailing bytes are left as they are.
fn unshuffle(input: &[u8], size: usize, out: &mut Vec<u8>) {
    out.clear();
    out.resize(input.len(), 0);
    unshuffle_into(input, size, out);
}

fn unshuffle_into(input: &[u8], size: usize, out: &mut [u8]) {
    if size <= 1 {
        out.copy_from_slice(input);
        return;
    }
    let n = input.len() / size;
    #[cfg(target_arch = "x86_64")]
    let done = unshuffle_sse2(input, size, out);
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    if done == n {
        out[n * size..].copy_from_slice(&input[n * size..]);
        return;
    }
    // Blocks of 8 elements × 8 planes: eight 8-byte loads, an 8×8 byte transpose in
    // registers, eight 8-byte stores.
    let full_elems = n - n % 8;
    let full_planes = size - size % 8;
    for i0 in (done..full_elems).step_by(8) {
        for j0 in (0..full_planes).step_by(8) {
            let mut m = [0u64; 8];
            for (r, row) in m.iter_mut().enumerate() {
                let at = (j0 + r) * n + i0;
                *row = u64::from_le_bytes(input[at..at + 8].try_into().unwrap_or([0; 8]));
            }
            let t = transpose8(m);
            for (k, col) in t.iter().enumerate() {
                let at = (i0 + k) * size + j0;
                out[at..at + 8].copy_from_slice(&col.to_le_bytes());
            }
        }
        // The last `size % 8` planes (4 of a 28-byte record): one more transpose with the
        // missing rows zero, and the first bytes of each column stored.
        let rest = size - full_planes;
        if rest > 0 {
            let mut m = [0u64; 8];
            for (r, row) in m.iter_mut().take(rest).enumerate() {
                let at = (full_planes + r) * n + i0;
                *row = u64::from_le_bytes(input[at..at + 8].try_into().unwrap_or([0; 8]));
            }
            let t = transpose8(m);
            for (k, col) in t.iter().enumerate() {
                let at = (i0 + k) * size + full_planes;
                let bytes = col.to_le_bytes();
                if rest == 4 {
                    out[at..at + 4].copy_from_slice(&bytes[..4]);
                } else {
                    out[at..at + rest].copy_from_slice(&bytes[..rest]);
                }
            }
        }
    }
    for i in full_elems..n {
        for j in 0..size {
            out[i * size + j] = input[j * n + i];
        }
    }
    out[n * size..].copy_from_slice(&input[n * size..]);
}

/// Unshuffles the first elements of `input` in blocks of 16 elements × 16 planes: sixteen
/// 16-byte loads, a 16×16 byte transpose in four rounds of SSE2 byte interleaves, sixteen
/// stores (a block of fewer planes is padded with zero rows; its stores spill into the next
/// elements, rewritten afterwards, so the last block goes first). Returns how many elements
/// it did (a multiple of 16); the caller does the rest.
#[cfg(target_arch = "x86_64")]
fn unshuffle_sse2(input: &[u8], size: usize, out: &mut [u8]) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_loadu_si128, _mm_setzero_si128, _mm_storeu_si128, _mm_unpackhi_epi8, _mm_unpacklo_epi8,
    };
    let n = input.len() / size;
    let full = n - n % 16;
    if full == 0 || out.len() < n * size {
        return 0;
    }
    for i0 in (0..full).step_by(16) {
        for j0 in (0..size).step_by(16).rev() {
            let planes = (size - j0).min(16);
            // Safety (SSE2 is part of x86_64): every load reads 16 bytes at (j0+k)*n + i0 with
            // j0+k < size and i0+16 <= n, so inside input[..size*n]; a store writes 16 bytes at
            // (i0+k)*size + j0 with j0+16 <= size and i0+k < n (inside out[..n*size]) or where
            // 16 bytes are left in `out`.
            unsafe {
                let mut r: [__m128i; 16] = [_mm_setzero_si128(); 16];
                for (k, row) in r.iter_mut().enumerate().take(planes) {
                    *row = _mm_loadu_si128(input.as_ptr().add((j0 + k) * n + i0).cast());
                }
                for _ in 0..4 {
                    let mut next = [_mm_setzero_si128(); 16];
                    for i in 0..8 {
                        next[2 * i] = _mm_unpacklo_epi8(r[i], r[i + 8]);
                        next[2 * i + 1] = _mm_unpackhi_epi8(r[i], r[i + 8]);
                    }
                    r = next;
                }
                for (k, col) in r.iter().enumerate() {
                    let at = (i0 + k) * size + j0;
                    if planes == 16 || at + 16 <= out.len() {
                        // A short block's 16-byte store spills into the next elements' first
                        // planes, which are stored after it (blocks go last to first).
                        _mm_storeu_si128(out.as_mut_ptr().add(at).cast(), *col);
                    } else {
                        let mut bytes = [0u8; 16];
                        _mm_storeu_si128(bytes.as_mut_ptr().cast(), *col);
                        out[at..at + planes].copy_from_slice(&bytes[..planes]);
                    }
                }
            }
        }
    }
    full
}

/// Transposes an 8×8 byte matrix held as eight little-endian rows: byte `k` of row `r`
/// becomes byte `r` of row `k`.
#[inline(always)]
fn transpose8(mut m: [u64; 8]) -> [u64; 8] {
    for i in 0..4 {
        let t = ((m[i] >> 32) ^ m[i + 4]) & 0x0000_0000_FFFF_FFFF;
        m[i] ^= t << 32;
        m[i + 4] ^= t;
    }
    for i in [0, 1, 4, 5] {
        let t = ((m[i] >> 16) ^ m[i + 2]) & 0x0000_FFFF_0000_FFFF;
        m[i] ^= t << 16;
        m[i + 2] ^= t;
    }
    for i in [0, 2, 4, 6] {
        let t = ((m[i] >> 8) ^ m[i + 1]) & 0x00FF_00FF_00FF_00FF;
        m[i] ^= t << 8;
        m[i + 1] ^= t;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unshuffle_inverts_shuffle_for_every_size_and_length() {
        for size in [2usize, 3, 4, 7, 8, 9, 16, 28, 37] {
            for n in [0usize, 1, 7, 8, 9, 63, 64, 65, 1000] {
                let data: Vec<u8> = (0..n * size + 3).map(|i| (i * 131 + i / 7) as u8).collect();
                let mut sh = Vec::new();
                shuffle(&data, size, &mut sh);
                let mut back = Vec::new();
                unshuffle(&sh, size, &mut back);
                assert_eq!(back, data, "size {size} n {n}");
            }
        }
    }

    /// HDF5's checksums of two chunks PyTables wrote (tests/fixtures/pytables/filters.h5,
    /// node /fletcher, read by h5py): odd lengths, folding, and the check.
    #[test]
    fn fletcher32_is_hdf5s() {
        let values: Vec<u8> = (0..500).flat_map(|i| (i as f64).to_le_bytes()).collect();
        assert_eq!(fletcher32(&values), 0x2823_626a);
        assert_eq!(fletcher32(&[]), 0);
        assert_eq!(fletcher32(&[1]), 0x0100_0100);
        assert_eq!(fletcher32(&[1, 2, 3]), 0x0504_0402);
        let mut chunk = values.clone();
        chunk.extend_from_slice(&fletcher32(&values).to_le_bytes());
        let d = Decoder { codecs: vec![Codec::Fletcher32], chunk_bytes: values.len() };
        let mut out = Vec::new();
        d.decode(&chunk, 0, &mut out).expect("checks");
        assert_eq!(out, values);
        chunk[17] ^= 1;
        let e = d.decode(&chunk, 0, &mut out).unwrap_err().to_string();
        assert!(e.contains("fletcher32 checksum"), "{e}");
    }

    #[test]
    fn unshuffle_restores_elements() {
        // Two 4-byte elements shuffled: bytes 0 of each, bytes 1 of each, ...; one trailing byte.
        let shuffled = [1, 5, 2, 6, 3, 7, 4, 8, 9];
        let mut out = Vec::new();
        unshuffle(&shuffled, 4, &mut out);
        assert_eq!(out, vec![1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn damaged_chunks_are_errors() {
        let d = Decoder { codecs: vec![Codec::Deflate], chunk_bytes: 100 };
        let mut out = Vec::new();
        assert!(d.decode(b"not zlib at all", 0, &mut out).is_err());
        let d = Decoder { codecs: vec![Codec::Blosc], chunk_bytes: 100 };
        assert!(d.decode(&[2, 1, 0, 8, 255, 255, 255, 127, 0, 0, 0, 0, 99, 0, 0, 0], 0, &mut out).is_err());
        let d = Decoder { codecs: vec![Codec::Lzf], chunk_bytes: 100 };
        assert!(d.decode(&[255, 255, 255], 0, &mut out).is_err());
        let d = Decoder { codecs: vec![Codec::Unsupported(307)], chunk_bytes: 4 };
        assert!(d.supported().is_err());
    }

    /// A chunk that skipped every filter outcore cannot undo decodes here; one that went
    /// through such a filter does not, and says so.
    #[test]
    fn chunks_that_skipped_unknown_filters_decode() {
        let d = Decoder { codecs: vec![Codec::Shuffle(4), Codec::Unsupported(5), Codec::Deflate], chunk_bytes: 8 };
        assert!(d.decodes(0b010) && d.decodes(0b111) && !d.decodes(0) && !d.decodes(0b101));
        assert!(d.passes_through(0b111) && !d.passes_through(0b011));
        assert!(Decoder { codecs: Vec::new(), chunk_bytes: 8 }.passes_through(0));
        let mut out = Vec::new();
        let raw = [1u8, 2, 3, 4, 5, 6, 7, 8];
        d.decode(&raw, 0b110, &mut out).expect("only the shuffle applies");
        assert_eq!(out, [1, 3, 5, 7, 2, 4, 6, 8]);
        let short = d.decode(&raw[..5], 0b110, &mut out).expect_err("short");
        assert!(short.to_string().contains('5'), "{short}");
        assert!(d.decode(&raw, 0b100, &mut out).is_err());
    }

    #[test]
    fn adaptive_deflate_round_trips_and_compresses_like_plain_deflate() {
        use std::io::Write;
        let n = 16384;
        let mut x: u64 = 7;
        let mut rnd = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // Random doubles in [0, 1); a counter (flat histogram, but repeats); a constant run.
        let doubles: Vec<u8> =
            (0..n).flat_map(|_| ((rnd() >> 11) as f64 / (1u64 << 53) as f64).to_le_bytes()).collect();
        let counter: Vec<u8> = (0..n * 8).map(|i| (i % 256) as u8).collect();
        let mixed: Vec<u8> = doubles[..n * 4].iter().chain(&vec![3u8; n * 4]).copied().collect();
        for (data, planes) in [(&doubles, 8), (&counter, 1), (&counter, 8), (&mixed, 1)] {
            let mut shuffled = Vec::new();
            shuffle(data, planes, &mut shuffled);
            let mut ours = Vec::new();
            deflate(&shuffled, 5, planes, &mut ours).unwrap();
            let mut plain = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(5));
            plain.write_all(&shuffled).unwrap();
            let plain = plain.finish().unwrap();
            let d = Decoder { codecs: vec![Codec::Shuffle(planes), Codec::Deflate], chunk_bytes: data.len() };
            let mut back = Vec::new();
            d.decode(&ours, 0, &mut back).unwrap();
            assert_eq!(&back, data);
            assert!(ours.len() * 100 <= plain.len() * 101 + 100, "{} vs {}", ours.len(), plain.len());
        }
    }
}

/// One stage of a filter pipeline, with what encoding needs.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    Shuffle(usize),
    Deflate(u32),
    Blosc { compressor: &'static std::ffi::CStr, level: i32, shuffle: i32, typesize: usize },
    Blosc2(crate::blosc2::Params),
    Lzf,
    Fletcher32,
    Unsupported(String),
}

/// Encodes whole chunks on any thread, for writing them raw (`Send + Sync`: share it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoder {
    stages: Vec<Stage>,
    /// The size of a whole chunk before encoding.
    pub chunk_bytes: usize,
}

impl Encoder {
    pub(crate) fn from_filters(filters: &[hdf5::filters::Filter], elem_size: usize, chunk_bytes: usize) -> Encoder {
        use hdf5::filters::{Blosc, BloscShuffle, Filter};
        let stages = filters
            .iter()
            .map(|f| match f {
                Filter::Shuffle => Stage::Shuffle(elem_size),
                Filter::Deflate(level) => Stage::Deflate(u32::from(*level)),
                Filter::LZF => Stage::Lzf,
                Filter::Blosc(codec, level, shuffle) => Stage::Blosc {
                    compressor: match codec {
                        Blosc::BloscLZ => c"blosclz",
                        Blosc::LZ4 => c"lz4",
                        Blosc::LZ4HC => c"lz4hc",
                        Blosc::Snappy => c"snappy",
                        Blosc::ZLib => c"zlib",
                        Blosc::ZStd => c"zstd",
                        _ => c"blosclz",
                    },
                    level: i32::from(*level),
                    shuffle: match shuffle {
                        BloscShuffle::None => 0,
                        BloscShuffle::Byte => 1,
                        BloscShuffle::Bit => 2,
                    },
                    typesize: elem_size,
                },
                Filter::User(crate::blosc2::ID, cd) => Stage::Blosc2(crate::blosc2::Params::from_cd_values(cd)),
                Filter::Fletcher32 => Stage::Fletcher32,
                other => Stage::Unsupported(format!("{other:?}")),
            })
            .collect();
        Encoder { stages, chunk_bytes }
    }

    /// Whether encoding leaves the bytes as they are (no filters).
    pub fn is_identity(&self) -> bool {
        self.stages.is_empty()
    }

    /// Encodes one whole chunk into `out`; returns the filter mask to store with it (a bit
    /// set for an optional filter that could not shrink the data, as HDF5 does).
    pub fn encode(&self, chunk: &[u8], out: &mut Vec<u8>) -> Result<u32> {
        if chunk.len() != self.chunk_bytes {
            return Err(Error::Decode(format!("a chunk holds {} bytes, not {}", self.chunk_bytes, chunk.len())));
        }
        let mut cur = chunk.to_vec();
        let mut mask = 0u32;
        let mut planes = 1;
        for (i, stage) in self.stages.iter().enumerate() {
            let mut next = Vec::new();
            match stage {
                Stage::Shuffle(size) => {
                    shuffle(&cur, *size, &mut next);
                    planes = (*size).max(1);
                }
                Stage::Deflate(level) => deflate(&cur, *level, planes, &mut next)?,
                Stage::Blosc { compressor, level, shuffle, typesize } => {
                    next.resize(cur.len() + 16, 0);
                    let n = blosc_into(*level, *shuffle, *typesize, compressor, &cur, &mut next)?;
                    if n > cur.len() {
                        // It grew: PyTables' blosc filter fails then (it offers blosc no more
                        // room than the input), so HDF5 skips it and marks it in the mask.
                        mask |= 1 << i;
                        continue;
                    }
                    next.truncate(n);
                }
                Stage::Blosc2(params) => crate::blosc2::encode(params, &cur, &mut next)?,
                Stage::Lzf => {
                    next.resize(cur.len(), 0);
                    let len = u32::try_from(cur.len()).map_err(|_| Error::Decode("lzf: chunk too large".into()))?;
                    // Safety: both buffers are valid for the lengths given.
                    let n = unsafe { lzf_sys::lzf_compress(cur.as_ptr().cast(), len, next.as_mut_ptr().cast(), len) };
                    if n == 0 {
                        // Incompressible: HDF5 skips an optional filter and marks it in the mask.
                        mask |= 1 << i;
                        continue;
                    }
                    next.truncate(n as usize);
                }
                Stage::Fletcher32 => {
                    next.extend_from_slice(&cur);
                    next.extend_from_slice(&fletcher32(&cur).to_le_bytes());
                }
                Stage::Unsupported(what) => return Err(Error::Decode(format!("cannot encode with {what}"))),
            }
            cur = next;
        }
        *out = cur;
        Ok(mask)
    }
}

/// zlib at `level`, segment by segment (the byte planes a shuffle made, else 16 KiB pieces):
/// a segment that neither its byte histogram nor a trial compression of a sample finds
/// compressible is written as stored blocks, as deflate at any level would store it, without
/// the cost of searching it for matches; the others are deflated. The result is one ordinary
/// zlib stream (raw deflate blocks, each run ended on a byte boundary, then the checksum).
fn deflate(input: &[u8], level: u32, planes: usize, out: &mut Vec<u8>) -> Result<()> {
    use flate2::{Compress, Compression, FlushCompress, Status};
    let zerr = |e: flate2::CompressError| Error::Decode(format!("zlib: {e}"));
    let seg_len = if planes > 1 { input.len() / planes } else { 16 << 10 }.max(1);
    out.clear();
    out.reserve(input.len() + input.len() / 500 + 64);
    // CMF/FLG: deflate with a 32 KiB window; FLG makes the pair a multiple of 31.
    out.extend_from_slice(&[0x78, 0x5e]);
    let mut pending: Option<Compress> = None;
    let mut start = 0;
    let segs: Vec<&[u8]> = input.chunks(seg_len).collect();
    let kinds: Vec<bool> = segs.iter().map(|s| level == 0 || incompressible(s)).collect();
    let flush_pending = |c: &mut Compress, data: &[u8], out: &mut Vec<u8>| -> Result<()> {
        let base = c.total_in();
        loop {
            if out.capacity() - out.len() < 4096 {
                out.reserve(data.len() + 4096);
            }
            let done = (c.total_in() - base) as usize;
            let status = c.compress_vec(&data[done..], out, FlushCompress::Sync).map_err(zerr)?;
            let all_in = (c.total_in() - base) as usize == data.len();
            if all_in && out.capacity() > out.len() || status == Status::StreamEnd {
                return Ok(());
            }
        }
    };
    while start < segs.len() {
        let stored = kinds[start];
        // A run of segments of one kind.
        let mut end = start + 1;
        while end < segs.len() && kinds[end] == stored {
            end += 1;
        }
        let run_start: usize = segs[..start].iter().map(|s| s.len()).sum();
        let run_len: usize = segs[start..end].iter().map(|s| s.len()).sum();
        let run = &input[run_start..run_start + run_len];
        if stored {
            for block in run.chunks(65535) {
                let len = block.len() as u16;
                out.push(0x00);
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&(!len).to_le_bytes());
                out.extend_from_slice(block);
            }
        } else {
            let c = pending.get_or_insert_with(|| Compress::new(Compression::new(level), false));
            c.reset();
            flush_pending(c, run, out)?;
        }
        start = end;
    }
    // The final, empty stored block, then the Adler-32 of the data.
    out.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    out.extend_from_slice(&zlib_rs::adler32::adler32(1, input).to_be_bytes());
    Ok(())
}

/// Whether a segment looks like random bytes: a near-flat byte histogram, and a trial
/// compression of a sample that does not shrink it.
fn incompressible(seg: &[u8]) -> bool {
    if seg.len() < 4096 {
        return false;
    }
    let mut hist = [0u32; 256];
    for &b in seg {
        hist[b as usize] += 1;
    }
    let n = seg.len() as f64;
    let entropy: f64 = hist.iter().filter(|&&h| h > 0).map(|&h| -(h as f64 / n) * (h as f64 / n).log2()).sum();
    if entropy < 7.9 {
        return false;
    }
    // A flat histogram can still hide repeats (a counter, say): try a sample.
    let sample = &seg[..seg.len().min(2048)];
    let mut c = flate2::Compress::new(flate2::Compression::fast(), false);
    let mut out = Vec::with_capacity(sample.len() + 64);
    match c.compress_vec(sample, &mut out, flate2::FlushCompress::Finish) {
        Ok(flate2::Status::StreamEnd) => out.len() * 100 >= sample.len() * 97,
        _ => true,
    }
}

/// HDF5's shuffle: byte `j` of every element together; trailing bytes stay at the end.
fn shuffle(input: &[u8], size: usize, out: &mut Vec<u8>) {
    out.clear();
    out.resize(input.len(), 0);
    if size <= 1 {
        out.copy_from_slice(input);
        return;
    }
    let n = input.len() / size;
    for (i, e) in input.chunks_exact(size).enumerate() {
        for (j, &b) in e.iter().enumerate() {
            out[j * n + i] = b;
        }
    }
    out[n * size..].copy_from_slice(&input[n * size..]);
}
