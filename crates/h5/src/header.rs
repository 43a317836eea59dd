//! Reading an object's header straight from the file: the messages of version 1 and 2 object
//! headers (what the chunk index needs), and a check of attribute messages that HDF5 1.10
//! decodes without checking their sizes (a damaged one makes it read past its buffer: found
//! by fuzzing, `fuzz/README.md`).
//!
//! Everything here reads only what the file format specification fixes and checks each field
//! it uses; what it cannot read it leaves to the library.

use std::fs::File as StdFile;
use std::os::unix::fs::FileExt;

use hdf5_sys::h5::hsize_t;
use hdf5_sys::h5f::H5Fget_create_plist;
use hdf5_sys::h5i::hid_t;
use hdf5_sys::h5p::{H5Pclose, H5Pget_sizes, H5Pget_userblock};

/// A header message's flag: the message is kept elsewhere, its body says where.
const SHARED: u8 = 0x02;

pub(crate) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

pub(crate) fn read_at(file: &StdFile, addr: u64, len: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, addr).ok()?;
    Some(buf)
}

/// Visits the messages of an object header (version 1 or 2, continuation blocks followed) with
/// their type, flags and body, until `visit` returns `Some`: that answer, `Some(None)` when no message
/// gave one, `None` when the header cannot be read.
pub(crate) fn visit_messages<T>(
    file: &StdFile,
    addr: u64,
    mut visit: impl FnMut(u16, u8, &[u8]) -> Option<T>,
) -> Option<Option<T>> {
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
            let (ty, size, msg_flags, data) = if v2 {
                let head = 4 + if flags & 0x04 != 0 { 2 } else { 0 };
                if p + head > end {
                    break;
                }
                let ty = block[p] as u16;
                let size = u16_at(&block, p + 1)? as usize;
                (ty, size, block[p + 3], p + head)
            } else {
                if p + 8 > end {
                    break;
                }
                (u16_at(&block, p)?, u16_at(&block, p + 2)? as usize, block[p + 4], p + 8)
            };
            let body = block.get(data..data + size)?;
            if ty == CONTINUATION {
                blocks.push((u64_at(body, 0)?, usize::try_from(u64_at(body, 8)?).ok()?, v2));
            } else if let Some(answer) = visit(ty, msg_flags, body) {
                return Some(Some(answer));
            }
            p = data + size;
            if !v2 {
                p = p.div_ceil(8) * 8;
            }
        }
    }
    Some(None)
}

/// The file opened for reading and the address of object `id`'s header in it.
fn open_header(id: hid_t, path: &std::path::Path) -> Option<(StdFile, u64)> {
    let addr = hdf5::sync::sync(|| object_addr(id))?;
    Some((StdFile::open(path).ok()?, addr))
}

/// The body of the header's data layout message.
pub(crate) fn layout_message(file: &StdFile, addr: u64) -> Option<Vec<u8>> {
    visit_messages(file, addr, |ty, _, body| (ty == 0x0008).then(|| body.to_vec()))?
}

/// The address of an object's header.
pub(crate) fn object_addr(id: hid_t) -> Option<u64> {
    object_addr_by_name(id, ".")
}

/// The address of the header of the object at `name` (a path from `loc`), found without
/// decoding any of its messages.
fn object_addr_by_name(loc: hid_t, name: &str) -> Option<u64> {
    let name = std::ffi::CString::new(name).ok()?;
    #[cfg(not(hdf5_1_12))]
    {
        let mut info: hdf5_sys::h5o::H5O_info1_t = unsafe { std::mem::zeroed() };
        // Safety: `info` is a plain struct the call fills; `name` is NUL-terminated.
        let rc = unsafe {
            hdf5_sys::h5o::H5Oget_info_by_name2(
                loc,
                name.as_ptr(),
                &mut info,
                hdf5_sys::h5o::H5O_INFO_BASIC,
                hdf5_sys::h5p::H5P_DEFAULT,
            )
        };
        (rc >= 0).then_some(info.addr)
    }
    #[cfg(hdf5_1_12)]
    {
        extern "C" {
            fn H5VLnative_token_to_addr(
                loc: hid_t,
                token: hdf5_sys::h5o::H5O_token_t,
                addr: *mut hdf5_sys::h5::haddr_t,
            ) -> i32;
        }
        let mut info: hdf5_sys::h5o::H5O_info2_t = unsafe { std::mem::zeroed() };
        let mut addr: hdf5_sys::h5::haddr_t = 0;
        // Safety: plain structs the calls fill; `name` is NUL-terminated.
        let rc = unsafe {
            hdf5_sys::h5o::H5Oget_info_by_name3(
                loc,
                name.as_ptr(),
                &mut info,
                hdf5_sys::h5o::H5O_INFO_BASIC,
                hdf5_sys::h5p::H5P_DEFAULT,
            )
        };
        let rc = if rc >= 0 { unsafe { H5VLnative_token_to_addr(loc, info.token, &mut addr) } } else { rc };
        (rc >= 0).then_some(addr)
    }
}

/// `query` on the creation property list of the file holding object `id`.
fn with_file_create_plist<T>(id: hid_t, query: impl FnOnce(hid_t) -> Option<T>) -> Option<T> {
    // Safety: the ids opened here are closed here.
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
        let answer = query(plist);
        H5Pclose(plist);
        answer
    }
}

/// Whether the file has a table of shared object header messages.
fn has_shared_message_table(loc: hid_t) -> Option<bool> {
    with_file_create_plist(loc, |plist| {
        let mut n = 0;
        // Safety: a plain integer output.
        (unsafe { hdf5_sys::h5p::H5Pget_shared_mesg_nindexes(plist, &mut n) } >= 0).then_some(n > 0)
    })
}

/// Whether a message (its flags and body) says it is kept in the file's heap of shared
/// messages, which `table` says the file does not have.
fn in_missing_heap(flags: u8, body: &[u8], table: bool) -> bool {
    // Shared message encoding version 3, kind 1: in the file's shared message heap.
    !table && flags & SHARED != 0 && body.get(..2) == Some(&[3, 1][..])
}

/// Why the object at `name` (a path from `loc`) must not be opened by the library, if a check
/// of its header finds a reason (each a fuzz finding on HDF5 1.10.8, which fails inside
/// `H5Dopen`):
/// - a message said to be kept in the file's table of shared messages when the file has none
///   (the library reads the table from an undefined address, through a null pointer);
/// - a chunked layout with a chunk dimension of 0 (the library divides by it);
/// - a chunked layout whose element size is not the datatype's (the library copies past
///   its buffers).
///
/// A header this cannot read is left to the library.
pub(crate) fn unopenable(loc: hid_t, name: &str, path: &std::path::Path) -> Option<String> {
    const LAYOUT: u16 = 0x0008;
    let (table, addr, addr_len) = hdf5::sync::sync(|| {
        Some((has_shared_message_table(loc)?, object_addr_by_name(loc, name)?, file_sizes(loc)?.0))
    })?;
    const DATATYPE: u16 = 0x0003;
    let file = StdFile::open(path).ok()?;
    // The element's size as its datatype gives it, and as its chunked layout does.
    let (mut type_size, mut chunk_elem) = (None, None);
    let found = visit_messages(&file, addr, |ty, flags, body| {
        if in_missing_heap(flags, body, table) {
            return Some(format!(
                "damaged: its header message of type {ty:#06x} is said to be shared, and the file has no shared messages"
            ));
        }
        if ty == DATATYPE && flags & SHARED == 0 {
            type_size = u32_at(body, 4);
        }
        if ty == LAYOUT && flags & SHARED == 0 {
            let dims = chunk_dims(body, addr_len)?;
            if dims.contains(&0) {
                return Some("damaged: its layout message gives a chunk a dimension of 0".to_string());
            }
            chunk_elem = dims.last().copied();
        }
        None
    })?;
    if found.is_some() {
        return found;
    }
    // HDF5 1.10 copies chunks by the layout's element size (1.14 refuses the mismatch).
    match (type_size, chunk_elem) {
        (Some(t), Some(c)) if u64::from(t) != c => {
            Some(format!("damaged: its chunks hold elements of {c} bytes, its datatype {t}"))
        }
        _ => None,
    }
}

/// The chunk dimensions (the element size last) of a chunked layout message of versions 1 to
/// 4; `None` for any other layout or a message too short to hold them.
fn chunk_dims(layout: &[u8], addr_len: usize) -> Option<Vec<u64>> {
    let (ndims, at, width) = match *layout.first()? {
        1 | 2 if *layout.get(2)? == 2 => (*layout.get(1)? as usize, 8 + addr_len, 4),
        3 if *layout.get(1)? == 2 => (*layout.get(2)? as usize, 3 + addr_len, 4),
        4 if *layout.get(1)? == 2 => (*layout.get(3)? as usize, 5, *layout.get(4)? as usize),
        _ => return None,
    };
    if !(1..=8).contains(&width) {
        return None;
    }
    (0..ndims)
        .map(|d| {
            let b = layout.get(at + d * width..at + (d + 1) * width)?;
            Some(b.iter().rev().fold(0u64, |n, &x| n << 8 | u64::from(x)))
        })
        .collect()
}

/// The file's address and length sizes and its user block (the base of every address).
pub(crate) fn file_sizes(id: hid_t) -> Option<(usize, usize, u64)> {
    with_file_create_plist(id, |plist| {
        let (mut addr, mut len, mut ub): (usize, usize, hsize_t) = (0, 0, 0);
        // Safety: plain integer outputs.
        let ok = unsafe { H5Pget_sizes(plist, &mut addr, &mut len) >= 0 && H5Pget_userblock(plist, &mut ub) >= 0 };
        ok.then_some((addr, len, ub))
    })
}

/// The elements a dataspace message describes, or `None` when it is not one this reads.
fn dataspace_points(ds: &[u8]) -> Option<u64> {
    let (version, rank) = (*ds.first()?, *ds.get(1)? as usize);
    let dims_at = match version {
        1 => 8,
        2 => {
            // Type: 0 scalar, 1 simple, 2 null (no elements).
            match *ds.get(3)? {
                0 => return Some(1),
                2 => return Some(0),
                _ => 4,
            }
        }
        _ => return None,
    };
    (0..rank).try_fold(1u64, |n, d| Some(n.saturating_mul(u64_at(ds, dims_at + 8 * d)?)))
}

/// Whether an attribute message is sound: a version HDF5 defines (1, 2 or 3; HDF5 1.10 frees
/// what it never allocated on another, a SIGSEGV in `H5A__close`, where 1.14 reports "bad
/// version number for attribute message"), and its parts fit inside it: its name, datatype
/// and dataspace, and the data they describe (HDF5 1.10 copies that much without looking).
/// `None`: parts held elsewhere (shared), which the library checks itself.
fn attribute_fits(body: &[u8]) -> Option<bool> {
    let version = *body.first()?;
    let flags = *body.get(1)?;
    let (name, dt, ds) = (u16_at(body, 2)? as usize, u16_at(body, 4)? as usize, u16_at(body, 6)? as usize);
    let pad = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };
    let start = match version {
        1 | 2 => 8,
        3 => 9,
        _ => return Some(false),
    };
    // The name ends with a NUL inside its size (HDF5 1.10 copies it up to the NUL).
    if !body.get(start..start + name).is_some_and(|n| n.contains(&0)) {
        return Some(false);
    }
    let dt_at = start + pad(name);
    let ds_at = dt_at + pad(dt);
    let data_at = ds_at + pad(ds);
    if data_at > body.len() {
        return Some(false);
    }
    if version > 1 && flags & 0x03 != 0 {
        return None;
    }
    let elem = u32_at(body, dt_at + 4)? as u64;
    let Some(points) = dataspace_points(&body[ds_at..ds_at + ds]) else { return Some(true) };
    Some(points.saturating_mul(elem) <= (body.len() - data_at) as u64)
}

/// Whether every attribute message in the header of object `id` (of the file at `path`) is
/// sound: its parts fit in it, and it is not said to be in a heap of shared messages the file
/// does not have. A header this cannot read counts as sound: the library reads it as before.
pub(crate) fn attributes_sound(id: hid_t, path: &std::path::Path) -> bool {
    const ATTRIBUTE: u16 = 0x000C;
    let Some((file, addr)) = open_header(id, path) else { return true };
    let table = hdf5::sync::sync(|| has_shared_message_table(id)).unwrap_or(true);
    let damaged = visit_messages(&file, addr, |ty, flags, body| {
        // A shared attribute's body only says where it is kept.
        let bad =
            if flags & SHARED != 0 { in_missing_heap(flags, body, table) } else { attribute_fits(body) == Some(false) };
        (ty == ATTRIBUTE && bad).then_some(())
    });
    !matches!(damaged, Some(Some(())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PyTables' empty `TITLE` attribute: version 1, a one-byte string type, a null dataspace.
    fn title(dataspace: [u8; 8]) -> Vec<u8> {
        let mut b = vec![1, 0, 6, 0, 8, 0, 4, 0];
        b.extend_from_slice(b"TITLE\0\0\0");
        b.extend_from_slice(&[0x13, 0, 0, 0, 1, 0, 0, 0]);
        b.extend_from_slice(&dataspace);
        b
    }

    #[test]
    fn attribute_messages_that_fit_and_do_not() {
        assert_eq!(attribute_fits(&title([2, 0, 0, 2, 0, 0, 0, 0])), Some(true));
        // The fuzz finding: the dataspace became a scalar, one byte of data that is not there.
        assert_eq!(attribute_fits(&title([2, 0, 2, 0, 0, 0, 0x52, 0])), Some(false));
        let mut with_data = title([2, 0, 0, 0, 0, 0, 0, 0]);
        with_data.push(b'x');
        assert_eq!(attribute_fits(&with_data), Some(true));
        // A name longer than the message; huge dimensions whose product overflows.
        let mut long = title([2, 0, 0, 2, 0, 0, 0, 0]);
        long[2] = 200;
        assert_eq!(attribute_fits(&long), Some(false));
        let mut dims = vec![1, 0, 6, 0, 8, 0, 24, 0];
        dims.extend_from_slice(b"TITLE\0\0\0");
        dims.extend_from_slice(&[0x13, 0, 0, 0, 1, 0, 0, 0]);
        dims.extend_from_slice(&[1, 2, 0, 0, 0, 0, 0, 0]);
        dims.extend_from_slice(&[0xff; 16]);
        assert_eq!(attribute_fits(&dims), Some(false));
        // A name with no NUL inside its size (HDF5 1.10 copied it until some NUL past it).
        let mut unterminated = title([2, 0, 0, 2, 0, 0, 0, 0]);
        unterminated[13] = b'!';
        assert_eq!(attribute_fits(&unterminated), Some(false));
        // Shared datatypes are the library's to check; a version HDF5 does not define is
        // damage (the fuzz finding v2725: HDF5 1.10 crashed iterating it).
        let mut shared = title([2, 0, 0, 2, 0, 0, 0, 0]);
        shared[0] = 2;
        shared[1] = 1;
        assert_eq!(attribute_fits(&shared), None);
        shared[0] = 9;
        assert_eq!(attribute_fits(&shared), Some(false));
        shared[0] = 0;
        assert_eq!(attribute_fits(&shared), Some(false));
        assert_eq!(attribute_fits(&[1, 0]), None);
    }
}

/// The fill value of dataset `id` as its header stores it (in the dataset's own type), or
/// `None` when the header cannot be read here or the message is shared. HDF5 1.10's `H5Pget_fill_value` converts the
/// value and, on a damaged fill value message, follows a null pointer (a fuzz finding); read
/// here, no conversion is needed. An undefined fill value, or one whose size is not the
/// element's, reads as zeros (the library's default).
pub(crate) fn fill_value(id: hid_t, path: &std::path::Path, elem_size: usize) -> Option<Vec<u8>> {
    const OLD: u16 = 0x0004;
    const NEW: u16 = 0x0005;
    let (file, addr) = open_header(id, path)?;
    let (mut old, mut new): (Option<Vec<u8>>, Option<Option<Vec<u8>>>) = (None, None);
    let mut shared = false;
    visit_messages(&file, addr, |ty, flags, body| {
        if matches!(ty, OLD | NEW) && flags & SHARED != 0 {
            // Kept elsewhere (another header, or the file's shared message heap): the body
            // only points there, so the library reads it.
            shared = true;
            return Some(());
        }
        match ty {
            OLD => {
                let size = u32_at(body, 0).map_or(0, |n| n as usize);
                old = body.get(4..4 + size).map(<[u8]>::to_vec);
            }
            NEW => {
                let value = |at: usize| {
                    let size = u32_at(body, at)? as usize;
                    body.get(at + 4..at + 4 + size).map(<[u8]>::to_vec)
                };
                new = Some(match body.first() {
                    Some(1) => value(4),
                    Some(2) if body.get(3) == Some(&1) => value(4),
                    Some(3) if body.get(1).is_some_and(|f| f & 0x20 != 0) => value(2),
                    _ => None,
                });
            }
            _ => {}
        }
        None::<()>
    })?;
    if shared {
        return None;
    }
    let value = match new {
        Some(v) => v,
        None => old,
    };
    Some(value.filter(|v| v.len() == elem_size).unwrap_or_else(|| vec![0; elem_size]))
}

/// Every leaf of the PyTables fixtures and of `extra` files, with its file's path and node.
#[cfg(test)]
fn each_fixture_leaf(
    extra: &[std::path::PathBuf],
    mut check: impl FnMut(&std::path::Path, &crate::NodeInfo, &crate::Leaf),
) -> usize {
    use crate::{File, Mode, NodeClass};
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/pytables");
    let files = ["tables.h5", "arrays.h5", "query.h5", "expr.h5"].map(|n| fixtures.join(n));
    let mut n = 0;
    for path in files.iter().chain(extra) {
        let f = File::open(path, Mode::Read).expect("open");
        for node in f.walk().expect("walk").iter().filter(|n| matches!(n.class, NodeClass::Leaf(_))) {
            check(path, node, &f.leaf(&node.path).expect("leaf"));
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod fill_tests {
    use crate::{File, Mode};

    /// The fill value read from the header equals the library's, on every leaf PyTables wrote
    /// (tables with per-column fills, arrays) and on CArrays with a fill value of their own.
    #[test]
    fn fill_values_read_from_headers_equal_the_library() {
        let dir = tempfile::tempdir().expect("tmp");
        let own = dir.path().join("fill.h5");
        {
            let f = File::open(&own, Mode::Write).expect("create");
            f.create_carray_filled::<f64>("/", "f", &[100], Some(&[10]), None, 7.5, "").expect("f");
            f.create_carray_filled::<i32>("/", "i", &[100], Some(&[10]), None, -3, "").expect("i");
        }
        let checked = super::each_fixture_leaf(&[own], |path, node, leaf| {
            let size = leaf.layout().expect("layout").size;
            let ours = super::fill_value(leaf.dataset().id(), path, size).expect("header read");
            assert_eq!(ours, leaf.library_fill_bytes(size), "{}:{}", path.display(), node.path);
        });
        assert!(checked > 20, "{checked}");
    }
}

/// The bytes a dataset's layout message says its contiguous or compact storage holds:
/// `Ok(None)` for chunked storage, a header this does not read, or (contiguous, layout
/// versions 1 and 2) storage the library sizes from the dataspace itself; an error naming the
/// damage for a message too short to hold what its version and class put in it. HDF5 1.10
/// reads a dataset's whole extent from storage that claims fewer bytes, and decodes a short
/// compact layout message to no buffer at all and then copies from it (both fuzz findings).
pub(crate) fn stored_bytes(id: hid_t, path: &std::path::Path) -> Result<Option<u64>, String> {
    let Some((file, addr)) = open_header(id, path) else { return Ok(None) };
    let Some(layout) = layout_message(&file, addr) else { return Ok(None) };
    let short = || format!("its layout message ({} bytes) is too short", layout.len());
    let addr_len = file_sizes(id).map_or(8, |s| s.0);
    let (Some(&version), Some(&class)) = (layout.first(), layout.get(if layout.first() < Some(&3) { 2 } else { 1 }))
    else {
        return Err(short());
    };
    match (version, class) {
        // Version 3 (and 4, the same for these classes): compact holds a size and the data,
        // contiguous an address and a size.
        (3 | 4, 0) => {
            let size = u16_at(&layout, 2).ok_or_else(short)?;
            if layout.len() < 4 + usize::from(size) {
                return Err(short());
            }
            Ok(Some(u64::from(size)))
        }
        (3 | 4, 1) => {
            let size = u64_at(&layout, 2 + addr_len).ok_or_else(short)?;
            // Storage not yet allocated (an undefined address) is allocated by the library on
            // the first write, and reads as fill values until then.
            let unallocated = layout.get(2..2 + addr_len).is_some_and(|a| a.iter().all(|&b| b == 0xff));
            Ok((!unallocated).then_some(size))
        }
        // Versions 1 and 2: 5 reserved bytes, the address (not for compact), a 4-byte size per
        // dimension, and for compact the data's size and the data.
        (1 | 2, 0 | 1) => {
            let dims = usize::from(*layout.get(1).ok_or_else(short)?);
            let at = 8 + if class == 0 { 0 } else { addr_len } + 4 * dims;
            if class == 1 {
                return if layout.len() < at { Err(short()) } else { Ok(None) };
            }
            let size = u32_at(&layout, at).ok_or_else(short)?;
            if layout.len() < at + 4 + size as usize {
                return Err(short());
            }
            Ok(Some(u64::from(size)))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod layout_tests {
    use hdf5::plist::dataset_create::Layout;

    use crate::{File, Mode};

    /// The storage size read from the layout message equals the library's, on compact and
    /// contiguous datasets of our own and every unchunked leaf PyTables wrote.
    #[test]
    fn stored_bytes_equal_the_library_storage_size() {
        let dir = tempfile::tempdir().expect("tmp");
        let own = dir.path().join("layouts.h5");
        {
            let f = File::open(&own, Mode::Write).expect("create");
            for (name, layout, n) in [("compact", Layout::Compact, 100), ("contiguous", Layout::Contiguous, 1000)] {
                let ds = f.h5().new_dataset::<f64>().shape(n).layout(layout).create(name).expect(name);
                ds.write(&vec![1.5f64; n]).expect("write");
            }
            f.h5().new_dataset::<f64>().shape(1000).layout(Layout::Contiguous).create("unwritten").expect("create");
        }
        let mut checked = 0;
        super::each_fixture_leaf(&[own], |path, node, leaf| {
            if node.chunks.is_some() {
                return;
            }
            let id = leaf.dataset().id();
            // Safety: a plain query on an open dataset.
            let library = unsafe { hdf5_sys::h5d::H5Dget_storage_size(id) };
            // Storage never written is not allocated yet: the library says 0 bytes.
            let want = if node.path == "/unwritten" { None } else { Some(library) };
            assert_eq!(library == 0, want.is_none(), "{}", node.path);
            assert_eq!(super::stored_bytes(id, path), Ok(want), "{}:{}", path.display(), node.path);
            checked += 1;
        });
        assert!(checked >= 4, "{checked}");
    }

    /// The chunk dimensions read from the layout message are the chunk shape and the element
    /// size, on every chunked leaf PyTables wrote.
    #[test]
    fn chunk_dims_are_the_chunk_shape_and_element_size() {
        let mut checked = 0;
        super::each_fixture_leaf(&[], |path, node, leaf| {
            let Some(chunks) = &node.chunks else { return };
            let id = leaf.dataset().id();
            let (file, addr) = super::open_header(id, path).expect("header");
            let layout = super::layout_message(&file, addr).expect("layout");
            let addr_len = super::file_sizes(id).expect("sizes").0;
            let mut want: Vec<u64> = chunks.iter().map(|&c| c as u64).collect();
            want.push(leaf.layout().expect("layout").size as u64);
            assert_eq!(super::chunk_dims(&layout, addr_len), Some(want), "{}:{}", path.display(), node.path);
            checked += 1;
        });
        assert!(checked > 10, "{checked}");
    }
}

#[cfg(test)]
mod shared_message_tests {
    use hdf5::plist::file_create::{SharedMessageIndex, SharedMessageType};

    use crate::{AttrValue, File, Mode, NodeClass};

    /// A file with a table of shared messages (every kind shared, however small) opens, walks
    /// and reads through the checks as without it: its shared messages are not damage.
    #[test]
    fn files_with_shared_messages_read_as_usual() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("shared.h5");
        {
            let mut b = hdf5::File::with_options();
            b.fcpl().shared_mesg_indexes(&[SharedMessageIndex {
                message_types: SharedMessageType::ALL,
                min_message_size: 0,
            }]);
            let f = b.create(&path).expect("create");
            for name in ["x", "y"] {
                let ds = f.new_dataset::<f64>().shape(50).chunk(10).fill_value(-1.5).create(name).expect(name);
                ds.write(&vec![2.0f64; 50]).expect("write");
                ds.new_attr::<i64>().create("N").and_then(|a| a.write_scalar(&7)).expect("attr");
            }
        }
        assert!(super::has_shared_message_table(hdf5::File::open(&path).expect("open").id()) == Some(true));
        let f = File::open(&path, Mode::Read).expect("open");
        let leaves: Vec<_> =
            f.walk().expect("walk").into_iter().filter(|n| matches!(n.class, NodeClass::Leaf(_))).collect();
        assert_eq!(leaves.len(), 2);
        for node in leaves {
            let leaf = f.leaf(&node.path).expect("leaf");
            assert_eq!(leaf.read_bytes().expect("read").len(), 400);
            assert_eq!(leaf.attrs().expect("attrs"), vec![("N".to_string(), AttrValue::Int(7))]);
            assert_eq!(leaf.fill_bytes(8), (-1.5f64).to_le_bytes());
        }
    }

    /// A fill value message marked as kept in a table of shared messages the file does not have
    /// (a fuzz finding: HDF5 1.10.8 reads the table from an undefined address, through a null
    /// pointer, when it opens the dataset): the leaf is an error naming it and the damage, the
    /// walk leaves it out, the rest of the file reads.
    #[test]
    fn a_message_shared_in_a_missing_table_is_an_error_not_a_crash() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions/h5open/shared-message-without-table");
        let f = File::open(&path, Mode::Read).expect("open");
        let err = f.leaf("/b").expect_err("damaged").to_string();
        assert!(err.contains("/b") && err.contains("shared"), "{err}");
        let Err(err) = f.root().expect("root").child("b") else { panic!("/b opened") };
        let err = err.to_string();
        assert!(err.contains("/b") && err.contains("shared"), "{err}");
        let walked: Vec<String> = f.walk().expect("walk").into_iter().map(|n| n.path).collect();
        assert_eq!(walked, ["/", "/a", "/e", "/m", "/t", "/v"]);
        assert_eq!(f.leaf("/v").expect("leaf").read_bytes().expect("read").len(), 24);
    }
}
