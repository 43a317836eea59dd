//! Damaged and hostile files: truncated, bytes flipped in the metadata and in chunks, wrong
//! filter parameters, a chunk that claims a huge size. Every read, evaluation and query either
//! works or returns an error; none panics. Storage errors name the file; damaged chunks name
//! the node and the chunk too.

use std::path::{Path, PathBuf};

use outcore::h5::{File, Mode, NodeClass};
use outcore::{Error, Expr, RowRange, Table};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytables").join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("outcore-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// Opens the file and does everything a user would with each leaf; returns the errors seen.
/// Storage errors must name the file.
fn exercise(path: &Path) -> Vec<String> {
    let name = path.file_name().and_then(|n| n.to_str()).expect("name").to_string();
    let mut errors = Vec::new();
    let mut check = |r: Result<(), Error>| {
        if let Err(e) = r {
            let text = e.to_string();
            if matches!(e, Error::H5(_)) {
                assert!(text.contains(&name), "a storage error that does not name the file: {text}");
            }
            errors.push(text);
        }
    };
    let f = match File::open(path, Mode::Read) {
        Ok(f) => f,
        Err(e) => {
            check(Err(e.into()));
            return errors;
        }
    };
    let nodes = match f.walk() {
        Ok(n) => n,
        Err(e) => {
            check(Err(e.into()));
            return errors;
        }
    };
    for node in nodes.iter().filter(|n| matches!(n.class, NodeClass::Leaf(_))) {
        let leaf = match f.leaf(&node.path) {
            Ok(l) => l,
            Err(e) => {
                check(Err(e.into()));
                continue;
            }
        };
        // Claimed sizes are not trusted: only modest leaves are read whole.
        let elems: usize = leaf.shape().iter().product();
        if elems.saturating_mul(leaf.layout().map(|l| l.size).unwrap_or(0)) > 1 << 26 {
            continue;
        }
        check(leaf.read_bytes().map(drop).map_err(Error::from));
        if leaf.chunk_shape().is_some() {
            check(leaf.read_parallel().map(drop).map_err(Error::from));
        }
        match Table::new(&leaf) {
            Ok(t) => {
                let cols = t.layout().columns();
                if let Some(c) = cols.first() {
                    check(t.count_where(&format!("{c} == {c}"), &[], RowRange::default()).map(drop));
                    check(t.where_(&format!("{c} == {c}")).map(|rows| rows.for_each(drop)));
                }
            }
            Err(_) => {
                check(Expr::new("x == x").and_then(|e| e.bind("x", &leaf)?.eval()).map(drop));
            }
        }
    }
    errors
}

fn damaged(name: &str, from: &str, change: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(fixture(from)).expect("fixture");
    change(&mut bytes);
    let path = scratch(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn the_fixtures_themselves_read_without_errors() {
    for name in ["query.h5", "arrays.h5", "tables.h5", "query_blosc2.h5"] {
        assert_eq!(exercise(&fixture(name)), Vec::<String>::new(), "{name}");
    }
}

#[test]
fn truncated_files_give_errors_naming_the_file() {
    for from in ["query.h5", "arrays.h5"] {
        let len = std::fs::metadata(fixture(from)).expect("size").len() as usize;
        let mut failed = 0;
        for k in 0..16 {
            let cut = len * k / 16 + k * 97 % 512;
            let path = damaged(&format!("cut-{k}-{from}"), from, |b| b.truncate(cut.min(len - 1)));
            failed += usize::from(!exercise(&path).is_empty());
        }
        // Everything past the metadata is chunk data: almost every cut loses some.
        assert!(failed >= 12, "{from}: only {failed} of 16 truncations noticed");
    }
}

#[test]
fn flipped_bytes_anywhere_never_panic() {
    // A byte flipped at 240 places spread over the file: headers, B-trees, heaps, chunks.
    let len = std::fs::metadata(fixture("query.h5")).expect("size").len() as usize;
    let mut failed = 0;
    for k in 0..240 {
        let at = if k < 120 { k * 41 % 8192 } else { (k * 7919 * 131) % len };
        let path = damaged("flipped.h5", "query.h5", |b| b[at] ^= 0xa5);
        failed += usize::from(!exercise(&path).is_empty());
    }
    assert!(failed > 0, "no flipped byte was noticed");
}

/// Damaged blosc2 frames (PyTables' blosc2 tables, query_blosc2.h5) are errors, never a
/// panic, a signal or a hang: c-blosc2 checks what it reads, outcore the sizes it claims.
#[test]
fn flipped_bytes_in_blosc2_frames_never_panic() {
    let len = std::fs::metadata(fixture("query_blosc2.h5")).expect("size").len() as usize;
    let mut failed = 0;
    for k in 0..160 {
        // Past the first 8 KiB of metadata: mostly frames (headers, chunk indexes, blocks).
        let at = 8192 + (k * 7919 * 131) % (len - 8192);
        let path = damaged("flipped-b2.h5", "query_blosc2.h5", |b| b[at] ^= 0x5a);
        failed += usize::from(!exercise(&path).is_empty());
    }
    assert!(failed > 0, "no flipped byte was noticed");
}

/// Finds `pattern` in `bytes`, once.
fn find(bytes: &[u8], pattern: &[u8]) -> usize {
    let hits: Vec<usize> =
        bytes.windows(pattern.len()).enumerate().filter(|(_, w)| *w == pattern).map(|(i, _)| i).collect();
    assert_eq!(hits.len(), 1, "pattern found {} times", hits.len());
    hits[0]
}

#[test]
fn a_chunk_claiming_a_huge_size_is_an_error_naming_file_node_and_chunk() {
    let f = File::open(fixture("query.h5"), Mode::Read).expect("open");
    let leaf = f.leaf("/tz").expect("leaf");
    let chunk = leaf.chunks().expect("chunks")[1].clone();
    drop((leaf, f));
    // The chunk's key in the B-tree: stored size, filter mask, offset, 0.
    let mut key = (chunk.size as u32).to_le_bytes().to_vec();
    key.extend_from_slice(&chunk.filter_mask.to_le_bytes());
    key.extend_from_slice(&chunk.offset[0].to_le_bytes());
    key.extend_from_slice(&0u64.to_le_bytes());
    let path = damaged("huge.h5", "query.h5", |b| {
        let at = find(b, &key);
        b[at..at + 4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    });
    let f = File::open(&path, Mode::Read).expect("open");
    let t = Table::open(&f, "/tz").expect("table");
    let col = t.layout().columns()[0].clone();
    let at = format!("[{}", chunk.offset[0]);
    let err = t.count_where(&format!("{col} == {col}"), &[], RowRange::default()).expect_err("damaged").to_string();
    assert!(err.contains("huge.h5") && err.contains("/tz") && err.contains(&at) && err.contains("claims"), "{err}");
    let err = Expr::new("sum(x)").unwrap().bind("x", &t.col(&col).unwrap()).unwrap().eval().unwrap_err().to_string();
    assert!(err.contains("huge.h5") && err.contains("/tz") && err.contains(&at), "{err}");
    // Through the library too: an error, not a 4 GiB allocation.
    assert!(f.leaf("/tz").unwrap().read_bytes().is_err());
    // The other tables are fine.
    assert!(Table::open(&f, "/tn").unwrap().count_where(&format!("{col} == {col}"), &[], RowRange::default()).is_ok());
}

#[test]
fn wrong_filter_parameters_are_errors_not_garbage() {
    let f = File::open(fixture("query.h5"), Mode::Read).expect("open");
    let leaf = f.leaf("/tb").expect("leaf");
    let want = leaf.read_bytes().expect("reads");
    let (rows, size) = (leaf.chunk_shape().expect("chunked")[0], leaf.layout().expect("layout").size);
    drop((leaf, f));
    // hdf5-blosc's parameters: filter version 2, blosc format 2, type size, chunk bytes.
    let mut params = [2u32, 2, size as u32, (rows * size) as u32].map(u32::to_le_bytes).concat();
    let path = damaged("params.h5", "query.h5", |b| {
        let at = find(b, &params);
        params[12..16].copy_from_slice(&16u32.to_le_bytes());
        b[at..at + 16].copy_from_slice(&params);
    });
    let f = File::open(&path, Mode::Read).expect("open");
    let leaf = f.leaf("/tb").expect("leaf");
    // The library's read runs outcore's blosc filter, which refuses chunks larger than the
    // parameters say; the raw path knows the chunk's size from its shape and reads it right.
    let err = leaf.read_bytes().expect_err("refused").to_string();
    assert!(err.contains("params.h5") && err.contains("/tb"), "{err}");
    assert_eq!(leaf.read_parallel().expect("raw path"), want);
}

#[test]
fn contiguous_storage_smaller_than_its_shape_is_an_error() {
    let f = File::open(fixture("expr.h5"), Mode::Read).expect("open");
    let leaf = f.leaf("/v").expect("leaf");
    assert!(leaf.chunk_shape().is_none(), "/v is contiguous");
    let bytes = leaf.read_bytes().expect("reads").len() as u64;
    drop((leaf, f));
    // The layout message (version 3, contiguous): its size field says 8 bytes, not 24.
    let path = damaged("contiguous.h5", "expr.h5", |b| {
        let at = (0..b.len() - 18)
            .find(|&i| b[i..i + 2] == [3, 1] && b[i + 10..i + 18] == bytes.to_le_bytes())
            .expect("layout message");
        b[at + 10..at + 18].copy_from_slice(&8u64.to_le_bytes());
    });
    let f = File::open(&path, Mode::Read).expect("open");
    let leaf = f.leaf("/v").expect("leaf");
    let err = leaf.read_bytes().expect_err("damaged").to_string();
    assert!(err.contains("contiguous.h5") && err.contains("/v") && err.contains("holds 8 bytes"), "{err}");
    let err = Expr::new("v*2").unwrap().bind("v", &leaf).unwrap().eval().expect_err("damaged").to_string();
    assert!(err.contains("holds 8 bytes"), "{err}");
}

#[test]
fn compressed_chunks_read_as_unfiltered_are_an_error_not_an_over_read() {
    // The filter pipeline message of /tz (shuffle + deflate) becomes a NIL message: the chunks
    // now look unfiltered, and each holds fewer bytes than a chunk.
    let path = damaged("unfiltered.h5", "query.h5", |b| {
        let body = [1u8, 2, 0, 0, 0, 0, 0, 0, 2, 0, 8, 0];
        let at =
            (8..b.len() - body.len()).filter(|&i| b[i..i + body.len()] == body && b[i - 8] == 0x0b).collect::<Vec<_>>();
        assert_eq!(at.len(), 1, "one pipeline of shuffle + deflate");
        b[at[0] - 8] = 0;
    });
    let f = File::open(&path, Mode::Read).expect("open");
    let leaf = f.leaf("/tz").expect("leaf");
    let err = leaf.read_bytes().expect_err("damaged").to_string();
    assert!(err.contains("unfiltered.h5") && err.contains("/tz") && err.contains("unfiltered"), "{err}");
    let err = leaf.read_parallel().expect_err("damaged").to_string();
    assert!(err.contains("/tz"), "{err}");
    let t = Table::open(&f, "/tz").expect("table");
    let col = t.layout().columns()[0].clone();
    assert!(t.count_where(&format!("{col} == {col}"), &[], RowRange::default()).is_err());
}

#[test]
fn a_damaged_attribute_message_is_an_error_naming_file_and_node() {
    // Every TITLE attribute's null dataspace becomes a scalar: one byte of data that the message
    // does not hold (HDF5 1.10 would copy it from past the message).
    let path = damaged("attribute.h5", "query.h5", |b| {
        let title = b"TITLE\0\0\0\x13\x10\0\0\x01\0\0\0\x02\0\0\x02";
        let hits: Vec<usize> = (0..b.len() - title.len()).filter(|&i| &b[i..i + title.len()] == title).collect();
        assert!(!hits.is_empty(), "no TITLE attribute");
        for at in hits {
            b[at + 18] = 2;
            b[at + 19] = 0;
        }
    });
    let f = File::open(&path, Mode::Read).expect("open");
    // The tree still walks (titles read as empty); the attributes are an error.
    assert!(f.walk().expect("walk").iter().all(|n| n.title.is_empty()));
    let err = f.leaf("/tn").expect("leaf").attrs().expect_err("damaged").to_string();
    assert!(err.contains("attribute.h5") && err.contains("/tn") && err.contains("attribute message"), "{err}");
    // Reading and querying the data does not need the attributes.
    assert_eq!(exercise(&path), Vec::<String>::new());
}

#[test]
fn a_chunk_of_no_bytes_is_an_error_not_fill_values() {
    for node in ["/tn", "/tz"] {
        let f = File::open(fixture("query.h5"), Mode::Read).expect("open");
        let chunk = f.leaf(node).expect("leaf").chunks().expect("chunks")[1].clone();
        drop(f);
        let mut key = (chunk.size as u32).to_le_bytes().to_vec();
        key.extend_from_slice(&chunk.filter_mask.to_le_bytes());
        key.extend_from_slice(&chunk.offset[0].to_le_bytes());
        key.extend_from_slice(&0u64.to_le_bytes());
        let name = format!("empty{}.h5", &node[1..]);
        let path = damaged(&name, "query.h5", |b| {
            let at = find(b, &key);
            b[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
        });
        let f = File::open(&path, Mode::Read).expect("open");
        let err = f.leaf(node).unwrap().read_bytes().expect_err("damaged").to_string();
        let at = format!("[{}", chunk.offset[0]);
        assert!(err.contains(&name) && err.contains(node) && err.contains(&at), "{err}");
        let t = Table::open(&f, node).expect("table");
        let col = t.layout().columns()[0].clone();
        let err = t.count_where(&format!("{col} == {col}"), &[], RowRange::default()).expect_err("damaged").to_string();
        assert!(err.contains(&name) && err.contains(node) && err.contains(&at), "{err}");
    }
}

/// A compact layout message cut short (a fuzz finding: HDF5 1.10.8 decoded it to no buffer,
/// then read and wrote through a null pointer) is an error for reads, evaluations and writes.
#[test]
fn a_layout_message_cut_short_is_an_error_for_reads_and_writes() {
    let path = scratch("short-layout.h5");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/h5open/short-compact-layout"), &path)
        .expect("copy");
    let f = File::open(&path, Mode::ReadWrite).expect("open");
    let leaf = f.leaf("/m").expect("leaf");
    let short = |e: Error| {
        let text = e.to_string();
        assert!(text.contains("short-layout.h5") && text.contains("/m") && text.contains("too short"), "{text}");
    };
    short(leaf.read_bytes().expect_err("damaged").into());
    short(Expr::new("sum(m)").unwrap().bind("m", &leaf).unwrap().eval().expect_err("damaged"));
    short(leaf.write_rows(0, 1, 1, &[0u8; 12]).expect_err("damaged").into());
}

/// A chunk whose stored bytes would run past the end of the file (its address moved near the
/// end; its size is plausible for its chunk) is an error naming it, before anything is
/// allocated or read for it, on every read path.
#[test]
fn a_chunk_past_the_end_of_the_file_is_an_error() {
    let f = File::open(fixture("query.h5"), Mode::Read).expect("open");
    let leaf = f.leaf("/tz").expect("leaf");
    let chunk = leaf.chunks().expect("chunks")[1].clone();
    drop((leaf, f));
    let len = std::fs::metadata(fixture("query.h5")).expect("len").len();
    let path = damaged("past-end.h5", "query.h5", |b| {
        // The child pointer after the chunk's key: its address.
        let at = find(b, &chunk.addr.to_le_bytes());
        b[at..at + 8].copy_from_slice(&(len - 10).to_le_bytes());
    });
    let f = File::open(&path, Mode::Read).expect("open");
    let t = Table::open(&f, "/tz").expect("table");
    let col = t.layout().columns()[0].clone();
    let err = t.count_where(&format!("{col} == {col}"), &[], RowRange::default()).expect_err("damaged").to_string();
    assert!(err.contains("past-end.h5") && err.contains("/tz") && err.contains("past the end of the file"), "{err}");
    let leaf = f.leaf("/tz").expect("leaf");
    let err = leaf.read_parallel().expect_err("damaged").to_string();
    assert!(err.contains("past the end of the file"), "{err}");
    let mut buf = Vec::new();
    let moved = leaf.chunks().expect("chunks").into_iter().find(|c| c.offset == chunk.offset).expect("chunk");
    let err = leaf.read_raw_chunk(&moved, &mut buf).expect_err("damaged").to_string();
    assert!(err.contains("past the end of the file"), "{err}");
}

/// Damaged compound member offsets (from `../shared/hostile/`, kept in
/// tests/fixtures/hostile/): a member or a nested record that lies outside its record is an
/// error naming the file, the node and the member, before any record is sliced (`copy_rows`
/// and the column gather panicked with a slice index out of range).
#[test]
fn member_offsets_outside_the_record_are_errors_naming_the_member() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let cases: [(&str, &[&str], &str); 7] = [
        ("v1389", &["eval", "sum(x)", "--bind", "x=/t.nest/x"], "member `nest` at byte 28 (3623878660 bytes)"),
        ("v1729", &["eval", "sum(x)", "--bind", "x=/t.nest/x"], "member `nest` at byte 28 (1560281092 bytes)"),
        ("v620", &["eval", "sum(x)", "--bind", "x=/t.nest/x"], "member `nest` at byte 33554460 (12 bytes)"),
        ("v2026", &["query", "(col2 > 0.5) & (s != b\"ab7\")", "--count"], "member `s` at byte 55080 (8 bytes)"),
        ("v820", &["query", "(col2 > 0.5) & (s != b\"ab7\")", "--count"], "member `s` at byte 2031656 (8 bytes)"),
        ("v931", &["query", "(col2 > 0.5) & (s != b\"ab7\")", "--count"], "member `s` at byte 1064 (8 bytes)"),
        // fuzz_v964: a string member claiming 7 MB (21 GB asked for, RSS grew until killed).
        ("v964", &["query", "(col2 > 0.5) & (s != b\"ab7\")", "--count"], "member `s` at byte 40 (7077896 bytes)"),
    ];
    for (name, args, member) in cases {
        let file = dir.join(format!("member-offset-{name}.h5")).to_string_lossy().into_owned();
        let target = if args[0] == "query" { format!("{file}:/t") } else { file.clone() };
        let mut argv = vec![args[0], target.as_str()];
        argv.extend_from_slice(&args[1..]);
        let out = crate::command(env!("CARGO_BIN_EXE_outcore")).args(&argv).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert_eq!(
            err.trim(),
            format!("{file}:/t: damaged datatype: {member} lies outside its 48-byte record"),
            "{name}"
        );
        // The library refuses the table's layout the same way.
        let f = outcore::h5::File::open(&file, outcore::h5::Mode::Read).unwrap();
        let e = f.leaf("/t").unwrap().layout().unwrap_err().to_string();
        assert!(e.contains("damaged datatype") && e.contains(member), "{name}: {e}");
    }
}

/// fuzz_v2725: an attribute message whose version byte was damaged made HDF5 1.10 free what it
/// never allocated (SIGSEGV in `H5A__close` via `H5Aiterate2`); now the header check refuses it
/// before the library iterates, for `info` and for the library's `attrs`.
#[test]
fn a_damaged_attribute_version_is_an_error_not_a_crash() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let file = dir.join("attr-version-v2725.h5").to_string_lossy().into_owned();
    let target = format!("{file}:/t");
    let out = crate::command(env!("CARGO_BIN_EXE_outcore")).args(["info", &target]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err.trim(),
        format!("{file}:/t: damaged: an attribute message has no valid version or does not fit in its object header")
    );
    let f = outcore::h5::File::open(&file, outcore::h5::Mode::Read).unwrap();
    let e = f.leaf("/t").unwrap().attrs().unwrap_err().to_string();
    assert!(e.contains("attribute message has no valid version"), "{e}");
}

/// fuzz_v1952, fuzz_v1536, fuzz_v2133: a dataspace whose current extent exceeds its maximum
/// (3.6e16 rows; [300, 8796093022218]) hung or aborted on a 21 TB allocation; HDF5 1.14
/// refuses such files, and outcore now does too, when the leaf is opened.
#[test]
fn a_dataspace_beyond_its_maximum_is_an_error_not_an_abort_or_a_hang() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let cases = [
        ("v1952", "sum(i)", "/i", "dimension 0 holds 36028797018966968, more than its maximum 35465847065545656"),
        ("v1536", "sum(c2)", "/c2", "dimension 1 holds 8796093022218, more than its maximum 10"),
        ("v2133", "sum(c2)", "/c2", "dimension 1 holds 67272519433846794, more than its maximum 10"),
    ];
    for (name, expr, node, what) in cases {
        let file = dir.join(format!("dataspace-beyond-max-{name}.h5")).to_string_lossy().into_owned();
        let out = crate::command(env!("CARGO_BIN_EXE_outcore")).args(["eval", &file, expr]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(&format!("{file}:{node}: damaged dataspace: {what}")), "{name}: {err}");
        let f = File::open(&file, Mode::Read).unwrap();
        let e = f.leaf(node).unwrap_err().to_string();
        assert!(e.contains(what), "{name}: {e}");
    }
}

/// silent_wrong_v996, v500, v2985: one damaged byte in a chunk B-tree's keys made outcore (and
/// HDF5 1.10 behind it) read chunks as fill values and answer with exit status 0 (a count of
/// 1771 instead of 1533, a sum of 1416.21 instead of 1516.63, zeros); PyTables and h5py
/// (HDF5 1.14: "bad coordinate offset") refuse the files. The walk of the index now proves
/// every key on the chunk grid, the keys of each node increasing and the levels consistent.
#[test]
fn a_damaged_chunk_btree_is_an_error_not_a_wrong_answer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let cases: [(&str, &[&str], &str); 3] = [
        ("v996", &["query", ":/t", "col1 < 50", "--count"], "/t"),
        ("v500", &["eval", "", "sum(c)"], "/c"),
        ("v2985", &["eval", "", "a", "--range", "0:5"], "/a"),
    ];
    for (name, args, node) in cases {
        let file = dir.join(format!("btree-key-{name}.h5")).to_string_lossy().into_owned();
        let target = format!("{file}{}", args[1]);
        let mut argv = vec![args[0], target.as_str()];
        argv.extend_from_slice(&args[2..]);
        let out = crate::command(env!("CARGO_BIN_EXE_outcore")).args(&argv).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(out.stdout.is_empty(), "{name}: printed an answer: {}", String::from_utf8_lossy(&out.stdout));
        assert_eq!(
            err.trim(),
            format!("{file}:{node}: damaged chunk index: its B-tree's keys, levels or chunks are inconsistent"),
            "{name}"
        );
        let f = File::open(&file, Mode::Read).unwrap();
        let e = f.leaf(node).unwrap().checked_chunk_index().unwrap_err().to_string();
        assert!(e.contains("damaged chunk index"), "{name}: {e}");
    }
}

/// A blosc2 chunk read in part straight from the file (one larger than a slab) with a damaged
/// frame header or trailer is an error naming file, node and chunk: c-blosc2's own
/// `blosc2_schunk_open_offset` crashed on some of these (it dereferences the NULL it gets
/// for a frame it cannot read).
#[test]
fn damaged_frames_of_blosc2_chunks_read_in_part_are_errors() {
    use outcore::h5::{Complib, Filters};
    let path = scratch("b2-big.h5");
    let n = 700_000usize;
    let (addr, size) = {
        let f = File::open(&path, Mode::Write).expect("creates");
        let a = ndarray::Array1::from_iter((0..n).map(|i| (i % 1000) as f64));
        let fl =
            Filters { complevel: 5, complib: Complib::Blosc2Zstd, shuffle: true, bitshuffle: false, fletcher32: false };
        let leaf = f.create_carray("/", "a", a.view(), Some(&[n]), Some(&fl), "").expect("carray");
        let c = &leaf.chunks().expect("chunks")[0];
        (c.addr as usize, c.size as usize)
    };
    let bytes = std::fs::read(&path).expect("read");
    let sum = |p: &Path| -> Result<f64, String> {
        let f = File::open(p, Mode::Read).map_err(|e| e.to_string())?;
        let leaf = f.leaf("/a").map_err(|e| e.to_string())?;
        let r = Expr::new("sum(a)").and_then(|e| e.bind("a", &leaf)?.eval()).map_err(|e| e.to_string())?;
        Ok(r.into_f64().ok_or("not float64")?.into_raw_vec_and_offset().0[0])
    };
    let want: f64 = (0..n).map(|i| (i % 1000) as f64).sum();
    assert_eq!(sum(&path), Ok(want));
    let mut errors = 0;
    for k in (0..128).chain(size - 64..size) {
        let mut b = bytes.clone();
        b[addr + k] ^= 0x5a;
        let p = scratch("b2-big-flipped.h5");
        std::fs::write(&p, &b).expect("write");
        match sum(&p) {
            Ok(_) => {}
            Err(e) => {
                assert!(e.contains(":/a: chunk [0] is damaged"), "{e}");
                errors += 1;
            }
        }
    }
    assert!(errors > 20, "only {errors} damaged frames noticed");
}

/// Damaged global heaps under VLArrays (tests/fixtures/pytables/vlarrays.h5): HDF5 1.10
/// copies the object size a damaged heap claims into a buffer sized by the row, and
/// crashed (SIGSEGV in `H5HG_read`) on 3 of 300 flipped bytes. Every byte of every heap
/// collection's object headers flipped: errors or the right rows, never a crash; fixed-size
/// reads of variable-length values are refused.
#[test]
fn damaged_heaps_under_vlarrays_are_errors_not_crashes() {
    let from = "vlarrays.h5";
    let bytes = std::fs::read(fixture(from)).expect("fixture");
    let heaps: Vec<usize> = bytes.windows(4).enumerate().filter(|(_, w)| *w == b"GCOL").map(|(i, _)| i).collect();
    assert!(!heaps.is_empty());
    let read_all = |p: &Path| -> Vec<String> {
        let mut errors = Vec::new();
        let Ok(f) = File::open(p, Mode::Read) else { return vec!["open".into()] };
        for name in ["i32", "f64z", "u8", "flags", "c128", "pairs", "strs", "unis", "objs"] {
            match f.leaf(&format!("/{name}")).and_then(|l| l.vl_rows(0, 1, l.vl_nrows())) {
                Ok(_) => {}
                Err(e) => errors.push(e.to_string()),
            }
        }
        errors
    };
    assert_eq!(read_all(&fixture(from)), Vec::<String>::new());
    let f = File::open(fixture(from), Mode::Read).expect("open");
    let e = f.leaf("/i32").unwrap().read_bytes().expect_err("variable-length").to_string();
    assert!(e.contains("read its rows with vl_rows"), "{e}");
    let mut noticed = 0;
    for &h in &heaps {
        // The collection's header, and its first objects' headers and data.
        for k in (0..16).chain(16..160) {
            let path = damaged("heap.h5", from, |b| b[h + k] ^= 0x5a);
            let errors = read_all(&path);
            noticed += usize::from(!errors.is_empty());
            for e in errors {
                assert!(e.contains("vlarrays.h5") || e.contains("heap.h5"), "{e}");
            }
        }
    }
    assert!(noticed > 0);
}

/// A read through the HDF5 library (a handle that writes, `read_bytes`) that fails on a
/// damaged chunk names the chunk and why, as the raw path does, not "H5Dread failed".
#[test]
fn library_reads_of_a_damaged_chunk_name_it() {
    let f = File::open(fixture("query_blosc2.h5"), Mode::Read).expect("open");
    let c = f.leaf("/t2l").unwrap().chunks().unwrap()[3].clone();
    drop(f);
    let path = damaged("lib-read.h5", "query_blosc2.h5", |b| {
        for (i, x) in b[c.addr as usize..c.addr as usize + 200].iter_mut().enumerate() {
            *x = (i * 37) as u8;
        }
    });
    let f = File::open(&path, Mode::ReadWrite).expect("open");
    let leaf = f.leaf("/t2l").unwrap();
    let e = leaf.read_bytes().expect_err("damaged").to_string();
    assert!(e.contains(":/t2l: chunk [633] is damaged") && e.contains("blosc2"), "{e}");
    let e = leaf.read_records(600, 700, 1).expect_err("damaged").to_string();
    assert!(e.contains("chunk [633]"), "{e}");
    // Rows in other chunks still read.
    assert_eq!(leaf.read_records(0, 100, 1).expect("chunk 0").len(), 100 * leaf.layout().unwrap().size);
}
