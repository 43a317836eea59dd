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

use hdf5_sys::h5::haddr_t;

use crate::file::{ChunkInfo, Leaf};
use crate::header::{file_sizes, layout_message, object_addr, read_at, u16_at, u32_at, u64_at};

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

    /// Every stored chunk, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &ChunkInfo> {
        self.chunks.values()
    }

    /// How many chunks are stored.
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    /// Whether no chunk is stored.
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

impl Walk<'_> {
    /// Visits the B-tree node at `addr` (chunks below it are added to `out`).
    /// Walks the node at `addr` (of level `expect`, when its parent says). `None`: the tree
    /// is damaged (or not one this reads).
    fn node(&mut self, addr: u64, depth: usize, expect: Option<usize>) -> Option<()> {
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
        if entries > MAX_ENTRIES || (level > 0 && entries == 0) || expect.is_some_and(|l| l != level) {
            return None;
        }
        let key = 8 + 8 * self.dims;
        let body = read_at(self.file, addr + 24, entries * (key + 8) + key)?;
        // Every key's offsets are multiples of the chunk shape (HDF5 1.14's "bad coordinate
        // offset"), and the keys of a node increase: a damaged key would otherwise send 1.10's
        // lookups past a chunk, which then reads as fill values.
        let offsets = |i: usize| -> Option<Vec<u64>> {
            (0..self.dims - 1).map(|d| u64_at(&body, i * (key + 8) + 8 + 8 * d)).collect()
        };
        let mut prev: Option<Vec<u64>> = None;
        for i in 0..=entries {
            let o = offsets(i)?;
            if o.iter().zip(self.chunk).any(|(&o, &c)| c == 0 || o % c as u64 != 0) {
                return None;
            }
            // The key after the last child bounds it from above too (HDF5 writes the last
            // chunk's offset, or that plus one chunk): a chunk's key moved past it is damage,
            // not a chunk beyond the extent (which would leave its rows reading as fill).
            if prev.as_ref().is_some_and(|p| if i < entries { *p >= o } else { *p > o }) {
                return None;
            }
            prev = Some(o);
        }
        for i in 0..entries {
            let k = i * (key + 8);
            let child = u64_at(&body, k + key)?;
            if level > 0 {
                self.node(child, depth + 1, Some(level - 1))?;
                continue;
            }
            let size = u32_at(&body, k)? as u64;
            let filter_mask = u32_at(&body, k + 4)?;
            let offset: Vec<u64> = (0..self.dims - 1).map(|d| u64_at(&body, k + 8 + 8 * d)).collect::<Option<_>>()?;
            // A chunk starts on the chunk grid; anything else is not an index we understand.
            if offset.iter().zip(self.chunk).any(|(&o, &c)| c == 0 || o % c as u64 != 0) {
                return None;
            }
            // A chunk of no bytes at an address is damaged, not unwritten: kept, so that
            // reading it is an error rather than fill values.
            if child == haddr_t::MAX {
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

impl Leaf {
    /// Every stored chunk, read from the dataset's version 1 B-tree in one walk; `None` when
    /// the dataset is not chunked, or its index is of another kind or cannot be read (then
    /// [`Leaf::chunk_at`] finds chunks one at a time). The file must have been flushed.
    pub fn chunk_index(&self) -> Option<ChunkIndex> {
        self.checked_chunk_index().ok().flatten()
    }

    /// [`checked_chunk_index`](Self::checked_chunk_index), read once and kept while the file
    /// is open read-only in this process (its chunks cannot move): queries of a few rows
    /// repeated on a table walk its index once.
    pub fn shared_chunk_index(&self) -> crate::Result<Option<std::sync::Arc<ChunkIndex>>> {
        let fixed = self.unchanging();
        if fixed {
            if let Some(ix) = self.index_cache.get() {
                return Ok(Some(ix.clone()));
            }
        }
        let ix = self.checked_chunk_index()?.map(std::sync::Arc::new);
        if let (true, Some(i)) = (fixed, &ix) {
            let _ = self.index_cache.set(i.clone());
        }
        Ok(ix)
    }

    /// Refuses a chunked leaf whose chunk index is damaged, walking it once per leaf (and its
    /// clones): the library's reads and chunk lookups (hyperslabs, `chunk_at`) would read a
    /// chunk a damaged key moved away as fill values.
    ///
    /// Only where the file cannot change (open read-only in this process): a file open for
    /// writing may hold index nodes the library has not flushed, so the file's bytes are not
    /// its index (and this process is the one writing it).
    pub(crate) fn check_index_once(&self) -> crate::Result<()> {
        if self.index_ok.get().is_some() || !self.read_only() || self.chunk_shape().is_none() || !self.unchanging() {
            return Ok(());
        }
        // (Walked once for every reader of the leaf: the walk is kept with the leaf.)
        if let Some(index) = self.shared_chunk_index()? {
            // Only chunks that skipped some filters are decoded (a damaged mask, or an
            // optional filter that could not shrink them: rare); the rest are checked by size.
            self.check_chunks(index.iter(), |c| c.filter_mask != 0)?;
        }
        let _ = self.index_ok.set(());
        Ok(())
    }

    /// [`Leaf::chunk_index`], telling damage from another kind of index: `Ok(None)` when the
    /// index is not a version 1 B-tree this reads (the library reads it), an error when it is
    /// one and it is inconsistent (the library would read past the damage and answer with
    /// fill values where chunks are).
    pub fn checked_chunk_index(&self) -> crate::Result<Option<ChunkIndex>> {
        let Some(chunk) = self.chunk_shape() else { return Ok(None) };
        let shape = self.shape();
        let id = self.dataset().id();
        let (addr, sizes) = hdf5::sync::sync(|| (object_addr(id), file_sizes(id)));
        let (Some(addr), Some((8, 8, 0))) = (addr, sizes) else { return Ok(None) };
        let Ok(file) = StdFile::open(self.file_path()) else { return Ok(None) };
        let Some(layout) = layout_message(&file, addr) else { return Ok(None) };
        let Some((root, dims)) = btree_of(&layout) else { return Ok(None) };
        if dims != shape.len() + 1 || root == haddr_t::MAX {
            return Ok((root == haddr_t::MAX && dims == shape.len() + 1).then(ChunkIndex::default));
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
        match walk.node(root, 0, None) {
            Some(()) => Ok(Some(ChunkIndex { chunks: walk.out })),
            None => Err(self.node_err("damaged chunk index: its B-tree's keys, levels or chunks are inconsistent")),
        }
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
        // The last key: one chunk past the last child.
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&(children.len() as u64 * 10).to_le_bytes());
        b.extend_from_slice(&[0; 8]);
        b
    }

    fn walk(bytes: &[u8]) -> Option<usize> {
        let dir = tempfile::tempdir().ok()?;
        let path = dir.path().join("tree");
        std::fs::write(&path, bytes).ok()?;
        let file = StdFile::open(&path).ok()?;
        let mut w =
            Walk { file: &file, dims: 2, chunk: &[10], budget: 1000, seen: Default::default(), out: HashMap::new() };
        w.node(0, 0, None)?;
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
        // A chunk's key moved past the key that ends the node (its rows would read as fill).
        let mut past = node(0, &[4096, 8192]);
        past[24 + 32 + 8] = 40;
        assert_eq!(walk(&past), None);
        past[24 + 32 + 8] = 10;
        assert_eq!(walk(&past), Some(2));
        // HDF5 also ends a node with the last chunk's own offset.
        past[24 + 64 + 8] = 10;
        assert_eq!(walk(&past), Some(2));
    }
}
