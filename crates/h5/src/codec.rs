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
                Filter::User(id, _) => Codec::Unsupported(*id),
                other => Codec::Unsupported(filter_id(other)),
            })
            .collect();
        Decoder { codecs, chunk_bytes }
    }

    /// Whether every filter can be undone here.
    pub fn supported(&self) -> Result<()> {
        match self.codecs.iter().find_map(|c| if let Codec::Unsupported(id) = c { Some(*id) } else { None }) {
            Some(id) => Err(Error::Decode(format!("filter {id} is not supported by outcore's decoder"))),
            None => Ok(()),
        }
    }

    /// Decodes one raw chunk into `out` (resized to the chunk's decoded size). Bit `i` of
    /// `filter_mask` set means filter `i` was skipped for this chunk.
    pub fn decode(&self, raw: &[u8], filter_mask: u32, out: &mut Vec<u8>) -> Result<()> {
        let mut cur: Vec<u8> = Vec::new();
        let mut have_cur = false;
        for (i, codec) in self.codecs.iter().enumerate().rev() {
            if filter_mask & (1 << i) != 0 {
                continue;
            }
            let input: &[u8] = if have_cur { &cur } else { raw };
            let mut next = Vec::new();
            match codec {
                Codec::Deflate => inflate(input, self.chunk_bytes, &mut next)?,
                Codec::Blosc => unblosc(input, &mut next)?,
                Codec::Lzf => unlzf(input, self.chunk_bytes, &mut next)?,
                Codec::Shuffle(size) => unshuffle(input, *size, &mut next),
                Codec::Fletcher32 => {
                    let n = input
                        .len()
                        .checked_sub(4)
                        .ok_or_else(|| Error::Decode("chunk shorter than its checksum".into()))?;
                    next.extend_from_slice(&input[..n]);
                }
                Codec::Unsupported(id) => return Err(Error::Decode(format!("filter {id} is not supported"))),
            }
            cur = next;
            have_cur = true;
        }
        out.clear();
        out.extend_from_slice(if have_cur { &cur } else { raw });
        if out.len() != self.chunk_bytes {
            return Err(Error::Decode(format!("decoded {} bytes, a chunk holds {}", out.len(), self.chunk_bytes)));
        }
        Ok(())
    }
}

fn filter_id(f: &hdf5::filters::Filter) -> i32 {
    f.id()
}

fn inflate(input: &[u8], expected: usize, out: &mut Vec<u8>) -> Result<()> {
    use std::io::Read;
    out.clear();
    out.reserve(expected);
    // Never grow past the chunk's size: a damaged stream cannot make us allocate without bound.
    let mut d = flate2::read::ZlibDecoder::new(input).take(expected as u64 + 1);
    d.read_to_end(out).map_err(|e| Error::Decode(format!("zlib: {e}")))?;
    Ok(())
}

fn unblosc(input: &[u8], out: &mut Vec<u8>) -> Result<()> {
    if input.len() < 16 {
        return Err(Error::Decode("blosc: chunk shorter than its header".into()));
    }
    // Header: version, versionlz, flags, typesize, nbytes (u32 LE), blocksize, cbytes.
    let nbytes = u32::from_le_bytes([input[4], input[5], input[6], input[7]]) as usize;
    let cbytes = u32::from_le_bytes([input[12], input[13], input[14], input[15]]) as usize;
    if cbytes > input.len() {
        return Err(Error::Decode(format!("blosc: header claims {cbytes} bytes, chunk has {}", input.len())));
    }
    out.clear();
    out.resize(nbytes, 0);
    // Safety: `input` is a valid buffer of its length; blosc never writes past `nbytes` into `out`.
    let n = unsafe { blosc_src::blosc_decompress_ctx(input.as_ptr().cast(), out.as_mut_ptr().cast(), nbytes, 1) };
    if n < 0 || n as usize != nbytes {
        return Err(Error::Decode(format!("blosc: decompression failed ({n})")));
    }
    Ok(())
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
    if size <= 1 {
        out.extend_from_slice(input);
        return;
    }
    let n = input.len() / size;
    out.resize(input.len(), 0);
    for j in 0..size {
        let plane = &input[j * n..(j + 1) * n];
        for (i, &b) in plane.iter().enumerate() {
            out[i * size + j] = b;
        }
    }
    out[n * size..].copy_from_slice(&input[n * size..]);
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
