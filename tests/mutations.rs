//! Findings of `scripts/mutate.py` (structure-aware damage of the PyTables fixtures, with the
//! HDF5 library as the oracle), each rebuilt here from the intact fixture: the command that
//! crashed, hung or answered wrongly with status 0 now exits 1 naming the file, the node (or
//! the chunk) and the damage.

use std::path::Path;

use crate::run_outcore as outcore;

/// The fixture `from` with `bytes` written at `at`, as a scratch file named `name`.
fn damaged(name: &str, from: &str, at: usize, bytes: &[u8]) -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytables").join(from);
    let mut data = std::fs::read(src).expect("fixture");
    data[at..at + bytes.len()].copy_from_slice(bytes);
    let dir = std::env::temp_dir().join(format!("outcore-mutations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    let path = dir.join(name);
    std::fs::write(&path, data).expect("write");
    path.to_string_lossy().into_owned()
}

/// Runs `args` (FILE is replaced by the damaged file) and expects status 1 with `what` after
/// `FILE:NODE: `.
fn refused(file: &str, node: &str, args: &[&str], what: &str) {
    let args: Vec<String> = args.iter().map(|a| a.replace("FILE", file)).collect();
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = outcore(&argv);
    assert_eq!(code, 1, "{argv:?}: {out}{err}");
    let want = format!("{file}:{node}: {what}");
    assert!(err.contains(&want), "{argv:?}:\n{err}\nwanted: {want}");
}

/// A group's local heap whose data segment claims 2^64 bytes: HDF5 1.10.8 segfaulted in
/// `H5HL_protect` on the first lookup through the group (any command). The groups' symbol
/// tables are now walked when the file opens.
#[test]
fn a_damaged_group_heap_is_refused_before_the_library_follows_it() {
    let f = damaged("heap.h5", "indexed.h5", 688, &[0xff; 8]);
    let what = "damaged local heap at 680: its data segment of 18446744073709551615 bytes at 712 runs past the end of the file";
    refused(&f, "/", &["read", "FILE:/t", "--npy", &format!("{f}.npy")], what);
    refused(&f, "/", &["ls", "FILE"], what);
}

/// A chunk's key moved past the key that ends its B-tree node (sortedLR's only chunk, 0 ->
/// 2^31): the library then finds no chunk 0 and reads fill values, so the PyTables index said
/// no row matched (PyTables answers 0 too; the table has 998). The key after the last child
/// bounds the chunks, and library reads of a chunked leaf walk its index once first.
#[test]
fn a_chunk_key_past_its_node_is_damage_not_an_unwritten_chunk() {
    let f = damaged("key.h5", "indexed.h5", 12026, &0x8000u64.to_le_bytes());
    let what = "damaged chunk index: its B-tree's keys, levels or chunks are inconsistent";
    refused(&f, "/_i_t/x/sortedLR", &["query", "FILE:/t", "x > 0.5", "--count"], what);
    refused(&f, "/_i_t/x/sortedLR", &["read", "FILE:/_i_t/x/sortedLR"], what);
    // The table's own rows are sound: a scan answers.
    let (code, out, err) = outcore(&["query", &format!("{f}:/t"), "x > 0.5", "--count", "--no-index"]);
    assert_eq!((code, out.trim()), (0, "998"), "{err}");
}

/// A chunk whose filter mask says deflate (and fletcher32) were skipped: only the shuffle
/// runs, on 5,885 compressed bytes, and the library copied a chunk's worth out of the result
/// (status 0, garbage rows). Such chunks are decoded by outcore before a library read.
#[test]
fn a_chunk_that_skipped_its_compression_is_decoded_and_refused() {
    let f = damaged("mask.h5", "tables.h5", 97324, &[22]);
    let what = "chunk [77] is damaged: corrupt chunk: decoded 5885 bytes, a chunk holds 6776";
    refused(&f, "/tz", &["read", "FILE:/tz"], what);
}

/// A chunk whose key says it stores 0 bytes, at an address: the library's chunk lookup
/// answered "not written" and outcore read fill values for rows 90..180.
#[test]
fn a_chunk_of_no_bytes_found_one_at_a_time_is_an_error() {
    let f = damaged("empty.h5", "expr.h5", 12029, &[0; 8]);
    refused(&f, "/e", &["read", "FILE:/e"], "chunk [90] is damaged: stores no bytes");
}

/// A blosc2 chunk whose b2nd metalayer gives a chunk dimension of 0: c-blosc2 divided by it
/// (SIGFPE). The metalayer is checked before c-blosc2 reads it.
#[test]
fn a_damaged_b2nd_metalayer_is_an_error_not_a_division_by_zero() {
    let f = damaged("b2nd.h5", "blosc2.h5", 272053, &[0; 8]);
    refused(
        &f,
        "/m3",
        &["read", "FILE:/m3"],
        "chunk [4, 0, 5] is damaged: corrupt chunk: blosc2: a damaged b2nd metalayer",
    );
}

/// A datatype whose size grew (8 -> 264 bytes; a table's 88 -> 16777304) while the chunked
/// layout keeps the old element size: HDF5 1.10.8 copied chunks past its buffers (SIGSEGV
/// in `H5VM_memcpyvv`) or ran without end; 1.14 refuses the mismatch, and so does outcore.
#[test]
fn a_layout_and_a_datatype_that_disagree_on_the_element_size_are_refused() {
    let f = damaged("elem.h5", "filters.h5", 11197, &[1]);
    refused(&f, "/blosc2", &["read", "FILE:/blosc2"], "damaged: its chunks hold elements of 8 bytes, its datatype 264");
    let f = damaged("elem_t.h5", "tables.h5", 2662, &0x100u16.to_le_bytes());
    let what = "damaged: its chunks hold elements of 88 bytes, its datatype 16777304";
    refused(&f, "/t", &["query", "FILE:/t", "f32 > 0.5", "--count"], what);
}

/// A float type whose header gives another mantissa layout: the library converts it (to
/// other values), outcore read the bytes as IEEE doubles (status 0, values that disagree).
#[test]
fn a_float_outside_ieee_layout_is_refused_not_misread() {
    let f = damaged("float.h5", "expr.h5", 1081, &0x8003f0eu32.to_le_bytes());
    let what = "holds values of type a 8-byte floating-point type outside IEEE 754's layout, which outcore cannot read";
    refused(&f, "/a", &["read", "FILE:/a"], what);
}
