//! Old-style groups (the symbol tables PyTables writes: a B-tree of type 0, its symbol nodes
//! and the group's local heap of names), checked before the library traverses them. HDF5
//! 1.10.8 trusts a local heap's sizes and a symbol's name offset and reads past them (a
//! segfault in `H5HL_protect` on a heap whose data segment claims 2^64 bytes, from any lookup
//! of a path through the group), so [`damaged_groups`] walks every group once, when a file is
//! opened, and names the first damaged one.

use std::fs::File as StdFile;

use crate::header::{read_at, u16_at, u64_at, visit_messages};

const SYMBOL_TABLE: u16 = 0x0011;
/// A local heap's free list offset when it has no free block (`H5HL_FREE_NULL`).
const FREE_NULL: u64 = 1;
const MAX_DEPTH: usize = 64;
const MAX_NODES: usize = 1 << 20;
const SYMBOL_BYTES: usize = 40;

struct Walk<'a> {
    file: &'a StdFile,
    len: u64,
    nodes: usize,
    seen: std::collections::HashSet<u64>,
}

/// The first damaged group's path and what is wrong with it, walking from the group whose
/// object header is at `root` (file offsets; addresses of 8 bytes, lengths of 8, no user
/// block: anything else is left to the library). `None` when every symbol table is sound, or
/// when the groups are of the newer kind (links), which this does not read.
pub(crate) fn damaged_groups(path: &std::path::Path, root: u64) -> Option<(String, String)> {
    let file = StdFile::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut w = Walk { file: &file, len, nodes: 0, seen: Default::default() };
    w.group(root, "/", 0).err()
}

impl Walk<'_> {
    /// Checks the group whose object header is at `addr`, then its subgroups.
    fn group(&mut self, addr: u64, path: &str, depth: usize) -> Result<(), (String, String)> {
        let fail = |msg: String| Err((path.to_string(), msg));
        if depth > MAX_DEPTH || !self.seen.insert(addr) {
            // A group reached twice is a hard link (legal) or a cycle: not walked again.
            return Ok(());
        }
        let stab = visit_messages(self.file, addr, |ty, _, body| {
            (ty == SYMBOL_TABLE).then(|| Some((u64_at(body, 0)?, u64_at(body, 8)?)))
        });
        let (btree, heap) = match stab {
            Some(Some(Some(v))) => v,
            Some(Some(None)) => return fail("damaged symbol table message (too short)".into()),
            // No symbol table (links, or not a group), or a header this does not read.
            _ => return Ok(()),
        };
        let names = match self.heap(heap) {
            Ok(n) => n,
            Err(m) => return fail(format!("damaged local heap at {heap}: {m}")),
        };
        let mut symbols = Vec::new();
        if let Err(m) = self.btree(btree, 0, None, names.len() as u64, &mut symbols) {
            return fail(format!("damaged symbol table B-tree at {btree}: {m}"));
        }
        for (name_at, header) in symbols {
            let name = match name_of(&names, name_at) {
                Some(n) => n,
                None => return fail(format!("a member's name at heap offset {name_at} has no end")),
            };
            if header >= self.len {
                return fail(format!("member `{name}` has its header at {header}, past the end of the file"));
            }
            let child = if path == "/" { format!("/{name}") } else { format!("{path}/{name}") };
            self.group(header, &child, depth + 1)?;
        }
        Ok(())
    }

    /// A local heap's data segment, checked: "HEAP", version 0, its size, free list and
    /// data inside the file.
    fn heap(&mut self, addr: u64) -> Result<Vec<u8>, String> {
        let head = read_at(self.file, addr, 32).ok_or("cut short")?;
        if &head[..4] != b"HEAP" || head[4] != 0 {
            return Err("no local heap signature".into());
        }
        let (size, free, data) =
            (u64_at(&head, 8).unwrap_or(0), u64_at(&head, 16).unwrap_or(0), u64_at(&head, 24).unwrap_or(0));
        if size > self.len || data.checked_add(size).is_none_or(|end| end > self.len) {
            return Err(format!("its data segment of {size} bytes at {data} runs past the end of the file"));
        }
        if free != FREE_NULL && free >= size {
            return Err(format!("its free list starts at {free}, past its {size} bytes"));
        }
        read_at(self.file, data, size as usize).ok_or_else(|| "its data segment cannot be read".into())
    }

    /// The symbols below the group B-tree node at `addr`: (name offset, header address).
    fn btree(
        &mut self,
        addr: u64,
        depth: usize,
        expect: Option<usize>,
        heap_len: u64,
        out: &mut Vec<(u64, u64)>,
    ) -> Result<(), String> {
        self.nodes += 1;
        if depth > MAX_DEPTH || self.nodes > MAX_NODES || addr >= self.len {
            return Err(format!("a node at {addr} is past the file, too deep or one of too many"));
        }
        let head = read_at(self.file, addr, 24).ok_or("a node is cut short")?;
        if &head[..4] != b"TREE" || head[4] != 0 {
            return Err(format!("no group B-tree node at {addr}"));
        }
        let level = head[5] as usize;
        let entries = u16_at(&head, 6).unwrap_or(0) as usize;
        if expect.is_some_and(|l| l != level) || (level > 0 && entries == 0) {
            return Err(format!("the node at {addr} is at level {level}, its parent says otherwise"));
        }
        // Keys (heap offsets of names) and children alternate: key, child, ..., key.
        let body = read_at(self.file, addr + 24, entries * 16 + 8).ok_or("a node is cut short")?;
        for i in 0..=entries {
            let key = u64_at(&body, i * 16).unwrap_or(u64::MAX);
            if key >= heap_len.max(1) {
                return Err(format!("a key names heap offset {key}, past the heap's {heap_len} bytes"));
            }
        }
        for i in 0..entries {
            let child = u64_at(&body, i * 16 + 8).unwrap_or(u64::MAX);
            if level > 0 {
                self.btree(child, depth + 1, Some(level - 1), heap_len, out)?;
            } else {
                self.symbols(child, heap_len, out)?;
            }
        }
        Ok(())
    }

    /// A symbol table node ("SNOD", version 1): its entries' name offsets and headers.
    fn symbols(&mut self, addr: u64, heap_len: u64, out: &mut Vec<(u64, u64)>) -> Result<(), String> {
        self.nodes += 1;
        if self.nodes > MAX_NODES || addr >= self.len {
            return Err(format!("a symbol node at {addr} is past the file"));
        }
        let head = read_at(self.file, addr, 8).ok_or("a symbol node is cut short")?;
        if &head[..4] != b"SNOD" || head[4] != 1 {
            return Err(format!("no symbol node at {addr}"));
        }
        let n = u16_at(&head, 6).unwrap_or(0) as usize;
        let body = read_at(self.file, addr + 8, n * SYMBOL_BYTES).ok_or("a symbol node is cut short")?;
        for e in body.chunks_exact(SYMBOL_BYTES) {
            let (name, header) = (u64_at(e, 0).unwrap_or(u64::MAX), u64_at(e, 8).unwrap_or(u64::MAX));
            if name >= heap_len {
                return Err(format!("a symbol's name is at heap offset {name}, past the heap's {heap_len} bytes"));
            }
            out.push((name, header));
        }
        Ok(())
    }
}

/// The NUL-terminated name at `at` in a heap's data.
fn name_of(heap: &[u8], at: u64) -> Option<String> {
    let rest = heap.get(usize::try_from(at).ok()?..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}
