//! Every chunk of a dataset located in one walk of its chunk index.
//!
//! HDF5 1.10's `H5Dget_chunk_info_by_coord` finds a chunk by iterating the index from the
//! start, so locating every chunk one by one costs time quadratic in their number (a billion-row
//! table has 100,000 chunks). PyTables, h5py and this crate write files in the library's
//! earliest format, where a chunked dataset's index is a version 1 B-tree; this module reads
//! that tree straight from the file, once, in time linear in the number of chunks.
//!
//! It reads only what the file format specification fixes (object header, layout message,
//! B-tree nodes) and checks every field it uses: anything unexpected (a newer index type, a
//! user block, a damaged node) gives `None`, and the caller falls back to the library's own
//! lookup. The file must be flushed: unflushed index nodes live in the library's cache only.

use std::collections::HashMap;
use std::fs::File as StdFile;
use std::os::unix::fs::FileExt;

use hdf5_sys::h5::{haddr_t, hsize_t};
use hdf5_sys::h5f::H5Fget_create_plist;
use hdf5_sys::h5i::hid_t;
use hdf5_sys::h5p::{H5Pclose, H5Pget_sizes, H5Pget_userblock};

use crate::file::{ChunkInfo, Leaf};

/// Where each stored chunk of a dataset is, by the coordinates of its first element.
#[derive(Debug, Default)]
pub struct ChunkIndex {
    chunks: HashMap<Vec<u64>, ChunkInfo>,
}

impl ChunkIndex {
    /// The chunk at `offset`, or `None` when it was never written.
    pub fn get(&self, offset: &[u64]) -> Option<&ChunkInfo> {
        self.chunks.get(offset)
    }

    /// How many chunks are stored.
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }
}

/// Limits that keep a hostile file from making the walk unbounded.
const MAX_DEPTH: usize = 64;
const MAX_ENTRIES: usize = 1 << 16;

struct Walk<'a> {
    file: &'a StdFile,
    /// Dimensions of a key's offset: the dataset's rank plus one (the element's bytes).
    dims: usize,
    chunk: &'a [usize],
    /// Nodes left to visit: at most a few more than the chunks the dataset can hold.
    budget: usize,
    /// Nodes visited: a tree never reaches one twice (a damaged one could, without end).
    seen: std::collections::HashSet<u64>,
    out: HashMap<Vec<u64>, ChunkInfo>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn read_at(file: &StdFile, addr: u64, len: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, addr).ok()?;
    Some(buf)
}

impl Walk<'_> {
    /// Visits the B-tree node at `addr` (chunks below it are added to `out`).
    fn node(&mut self, addr: u64, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH || self.budget == 0 || !self.seen.insert(addr) {
            return None;
        }
        self.budget -= 1;
        let head = read_at(self.file, addr, 24)?;
        // "TREE", node type 1 (raw data chunks), level, entries used, two siblings.
        if &head[..4] != b"TREE" || head[4] != 1 {
            return None;
        }
        let level = head[5] as usize;
        let entries = u16_at(&head, 6)? as usize;
        if entries > MAX_ENTRIES || (level > 0 && entries == 0) {
            return None;
        }
        let key = 8 + 8 * self.dims;
        let body = read_at(self.file, addr + 24, entries * (key + 8) + key)?;
        for i in 0..entries {
            let k = i * (key + 8);
            let child = u64_at(&body, k + key)?;
            if level > 0 {
                self.node(child, depth + 1)?;
                continue;
            }
            let size = u32_at(&body, k)? as u64;
            let filter_mask = u32_at(&body, k + 4)?;
            let offset: Vec<u64> = (0..self.dims - 1).map(|d| u64_at(&body, k + 8 + 8 * d)).collect::<Option<_>>()?;
            // A chunk starts on the chunk grid; anything else is not an index we understand.
            if offset.iter().zip(self.chunk).any(|(&o, &c)| c == 0 || o % c as u64 != 0) {
                return None;
            }
            if child == haddr_t::MAX || size == 0 {
                continue;
            }
            let info = ChunkInfo { offset: offset.clone(), filter_mask, addr: child, size };
            if self.out.insert(offset, info).is_some() {
                return None;
            }
        }
        Some(())
    }
}

/// Reads the messages of an object header (version 1 or 2) and returns the body of the first
/// data layout message.
fn layout_message(file: &StdFile, addr: u64) -> Option<Vec<u8>> {
    const LAYOUT: u16 = 0x0008;
    const CONTINUATION: u16 = 0x0010;
    let prefix = read_at(file, addr, 16)?;
    // Blocks of messages still to read: (address, length, version-2 block).
    let mut blocks: Vec<(u64, usize, bool)> = Vec::new();
    let v2 = &prefix[..4] == b"OHDR";
    let mut flags = 0u8;
    if v2 {
        if prefix[4] != 2 {
            return None;
        }
        flags = prefix[5];
        let mut at = 6;
        if flags & 0x20 != 0 {
            at += 16;
        }
        if flags & 0x10 != 0 {
            at += 4;
        }
        let width = 1usize << (flags & 3);
        let head = read_at(file, addr, at + width)?;
        let mut size = 0u64;
        for (i, &b) in head[at..at + width].iter().enumerate() {
            size |= (b as u64) << (8 * i);
        }
        blocks.push((addr + (at + width) as u64, usize::try_from(size).ok()?, true));
    } else {
        if prefix[0] != 1 {
            return None;
        }
        blocks.push((addr + 16, u32_at(&prefix, 8)? as usize, false));
    }
    let mut seen = 0;
    while let Some((at, len, v2)) = blocks.pop() {
        seen += 1;
        if seen > 64 || len > 1 << 24 {
            return None;
        }
        let block = read_at(file, at, len)?;
        let mut p = 0;
        // A continuation block of version 2 starts with "OCHK" and ends with a checksum.
        let end = if v2 && seen > 1 {
            if block.get(..4)? != b"OCHK" {
                return None;
            }
            p = 4;
            len.checked_sub(4)?
        } else {
            len
        };
        loop {
            let (ty, size, data) = if v2 {
                let head = 4 + if flags & 0x04 != 0 { 2 } else { 0 };
                if p + head > end {
                    break;
                }
                let ty = block[p] as u16;
                let size = u16_at(&block, p + 1)? as usize;
                (ty, size, p + head)
            } else {
                if p + 8 > end {
                    break;
                }
                (u16_at(&block, p)?, u16_at(&block, p + 2)? as usize, p + 8)
            };
            let body = block.get(data..data + size)?;
            match ty {
                LAYOUT => return Some(body.to_vec()),
                CONTINUATION => blocks.push((u64_at(body, 0)?, usize::try_from(u64_at(body, 8)?).ok()?, v2)),
                _ => {}
            }
            p = data + size;
            if !v2 {
                p = p.div_ceil(8) * 8;
            }
        }
    }
    None
}

/// The B-tree address and the key's dimensions of a chunked layout indexed by a version 1
/// B-tree (layout message versions 1 to 3).
fn btree_of(layout: &[u8]) -> Option<(u64, usize)> {
    match *layout.first()? {
        1 | 2 => {
            // version, dimensionality, class, 5 reserved, address.
            (*layout.get(2)? == 2).then_some(())?;
            Some((u64_at(layout, 8)?, *layout.get(1)? as usize))
        }
        3 => {
            // version, class, dimensionality, address.
            (*layout.get(1)? == 2).then_some(())?;
            Some((u64_at(layout, 3)?, *layout.get(2)? as usize))
        }
        _ => None,
    }
}

/// The address of an object's header.
fn object_addr(id: hid_t) -> Option<u64> {
    #[cfg(not(hdf5_1_12))]
    {
        let mut info: hdf5_sys::h5o::H5O_info1_t = unsafe { std::mem::zeroed() };
        // Safety: `info` is a plain struct the call fills.
        let rc = unsafe { hdf5_sys::h5o::H5Oget_info2(id, &mut info, hdf5_sys::h5o::H5O_INFO_BASIC) };
        (rc >= 0).then_some(info.addr)
    }
    #[cfg(hdf5_1_12)]
    {
        extern "C" {
            fn H5VLnative_token_to_addr(loc: hid_t, token: hdf5_sys::h5o::H5O_token_t, addr: *mut haddr_t) -> i32;
        }
        let mut info: hdf5_sys::h5o::H5O_info2_t = unsafe { std::mem::zeroed() };
        let mut addr: haddr_t = 0;
        // Safety: plain structs the calls fill.
        let rc = unsafe { hdf5_sys::h5o::H5Oget_info3(id, &mut info, hdf5_sys::h5o::H5O_INFO_BASIC) };
        let rc = if rc >= 0 { unsafe { H5VLnative_token_to_addr(id, info.token, &mut addr) } } else { rc };
        (rc >= 0).then_some(addr)
    }
}

/// The file's address and length sizes and its user block (the base of every address).
fn file_sizes(id: hid_t) -> Option<(usize, usize, u64)> {
    // Safety: the property list is closed before returning; outputs are plain integers.
    unsafe {
        let file = hdf5_sys::h5i::H5Iget_file_id(id);
        if file < 0 {
            return None;
        }
        let plist = H5Fget_create_plist(file);
        hdf5_sys::h5f::H5Fclose(file);
        if plist < 0 {
            return None;
        }
        let (mut addr, mut len, mut ub): (usize, usize, hsize_t) = (0, 0, 0);
        let ok = H5Pget_sizes(plist, &mut addr, &mut len) >= 0 && H5Pget_userblock(plist, &mut ub) >= 0;
        H5Pclose(plist);
        ok.then_some((addr, len, ub))
    }
}

impl Leaf {
    /// Every stored chunk, read from the dataset's version 1 B-tree in one walk; `None` when
    /// the dataset is not chunked, or its index is of another kind or cannot be read (then
    /// [`Leaf::chunk_at`] finds chunks one at a time). The file must have been flushed.
    pub fn chunk_index(&self) -> Option<ChunkIndex> {
        let chunk = self.chunk_shape()?;
        let shape = self.shape();
        let id = self.dataset().id();
        let (addr, sizes) = hdf5::sync::sync(|| (object_addr(id), file_sizes(id)));
        let (addr, (8, 8, 0)) = (addr?, sizes?) else { return None };
        let file = StdFile::open(self.file_path()).ok()?;
        let layout = layout_message(&file, addr)?;
        let (root, dims) = btree_of(&layout)?;
        if dims != shape.len() + 1 || root == haddr_t::MAX {
            return (root == haddr_t::MAX && dims == shape.len() + 1).then(ChunkIndex::default);
        }
        // Chunks the dataset can hold (beyond its extent too, after a shrink), and the nodes above.
        let grid: usize = shape.iter().zip(&chunk).map(|(&d, &c)| d.div_ceil(c.max(1)).max(1)).product();
        let mut walk = Walk {
            file: &file,
            dims,
            chunk: &chunk,
            budget: grid.saturating_mul(2) + 64,
            seen: Default::default(),
            out: HashMap::new(),
        };
        walk.node(root, 0)?;
        Some(ChunkIndex { chunks: walk.out })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node of `entries` children at `level`, keys of a one-dimensional dataset.
    fn node(level: u8, children: &[u64]) -> Vec<u8> {
        let mut b = b"TREE".to_vec();
        b.extend_from_slice(&[1, level]);
        b.extend_from_slice(&(children.len() as u16).to_le_bytes());
        b.extend_from_slice(&[0xff; 16]);
        for (i, &c) in children.iter().enumerate() {
            b.extend_from_slice(&100u32.to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend_from_slice(&(i as u64 * 10).to_le_bytes());
            b.extend_from_slice(&0u64.to_le_bytes());
            b.extend_from_slice(&c.to_le_bytes());
        }
        b.extend_from_slice(&[0; 24]);
        b
    }

    fn walk(bytes: &[u8]) -> Option<usize> {
        let dir = tempfile::tempdir().ok()?;
        let path = dir.path().join("tree");
        std::fs::write(&path, bytes).ok()?;
        let file = StdFile::open(&path).ok()?;
        let mut w =
            Walk { file: &file, dims: 2, chunk: &[10], budget: 1000, seen: Default::default(), out: HashMap::new() };
        w.node(0, 0)?;
        Some(w.out.len())
    }

    #[test]
    fn a_leaf_node_lists_its_chunks() {
        assert_eq!(walk(&node(0, &[4096, 8192, 12288])), Some(3));
    }

    #[test]
    fn damaged_trees_are_refused_not_followed_forever() {
        // A node that is its own child; a node whose children all point at one node.
        assert_eq!(walk(&node(1, &[0])), None);
        let mut b = node(1, &[200; 50]);
        b.resize(200, 0);
        b.extend(node(0, &[4096]));
        assert_eq!(walk(&b), None);
        // Not a B-tree node at all, a truncated one, chunks off the grid.
        assert_eq!(walk(b"TRE"), None);
        assert_eq!(walk(&node(0, &[4096, 8192])[..40]), None);
        let mut off = node(0, &[4096]);
        off[32] = 5;
        assert_eq!(walk(&off), None);
    }
}
