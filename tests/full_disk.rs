//! A write that runs out of room (the file size limit, a full file system) fails naming the
//! cause, and leaves the destination holding a prefix of the rows: its extent and `NROWS`
//! never run ahead of the rows written, so no reader sees rows of zeros.

use std::path::{Path, PathBuf};

use outcore::h5::{File, Mode};
use outcore::{RowRange, Table};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("outcore-full-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

/// `outcore gen`'s table of `rows` rows, uncompressed (so an append grows the file fast).
fn source(name: &str, rows: usize) -> PathBuf {
    let p = scratch(name);
    let out = crate::command(env!("CARGO_BIN_EXE_outcore"))
        .args(["gen", p.to_str().unwrap(), "--rows", &rows.to_string(), "--filters", "none"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    p
}

/// The destination holds a prefix of the rows the query matches in the source, with its
/// extent and `NROWS` equal; returns how many.
fn holds_a_prefix(src: &Path, dst: &Path, node: &str, cond: &str) -> usize {
    let f = File::open(src, Mode::Read).unwrap();
    let want = Table::open(&f, "/t").unwrap().read_where(cond, &[], None, RowRange::default()).unwrap();
    let g = File::open(dst, Mode::Read).unwrap_or_else(|e| panic!("the destination opens: {e}"));
    let t = Table::open(&g, node).unwrap();
    let extent = t.leaf().shape()[0];
    let nrows = t.leaf().attrs().unwrap().into_iter().find(|(n, _)| n == "NROWS").and_then(|(_, v)| v.as_i64());
    assert_eq!(nrows, Some(extent as i64), "NROWS and the extent agree");
    assert!(extent < want.len(), "the append was cut short ({extent} of {} rows)", want.len());
    let got = t.read(RowRange::default()).unwrap();
    let size = t.layout().size;
    for i in 0..extent {
        assert_eq!(got.bytes(i), want.bytes(i), "row {i} of the prefix ({size}-byte records)");
    }
    extent
}

/// A small tmpfs mounted for the test (unmounted on drop), if this process may mount one.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn new(name: &str, size: &str) -> Option<Tmpfs> {
        let dir = scratch(name);
        let _ = std::fs::remove_dir(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mounted = crate::command("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", dir.to_str().unwrap()])
            .output()
            .is_ok_and(|o| o.status.success());
        if !mounted {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = crate::command("umount").arg(&self.0).output();
    }
}

fn append(src: &Path, dst: &Path, node: &str, cond: &str) -> (i32, String) {
    let out = crate::command(env!("CARGO_BIN_EXE_outcore"))
        .args(["query", &format!("{}:/t", src.display()), cond, "--append-to", &format!("{}:{node}", dst.display())])
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// On a full file system (a 4 MiB tmpfs): "no space left on device", and the destination
/// holds a prefix of the rows, which PyTables reads as outcore does.
#[test]
fn a_full_file_system_says_so_and_leaves_a_prefix() {
    let Some(fs) = Tmpfs::new("tmpfs", "4m") else { return };
    let src = source("full-src.h5", 400_000);
    let dst = fs.0.join("dst.h5");
    let (code, err) = append(&src, &dst, "/d", "col1 >= 0");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("dst.h5:/d: H5Dwrite_chunk failed at") && err.contains("no space left on device"), "{err}");
    let kept = holds_a_prefix(&src, &dst, "/d", "col1 >= 0");
    assert!(kept > 0 && err.contains(&format!("keeps the {kept} rows written in full")), "{err}");
    // `outcore repair` (for programs using the library) finds nothing more to cut.
    let (code, out, err) = crate::run_outcore(&["repair", &format!("{}:/d", dst.display())]);
    assert_eq!((code, out.trim()), (0, format!("{}:/d keeps {kept} rows", dst.display()).as_str()), "{err}");
    let Some(py) = crate::cli::peers_python() else { return };
    let script = "import sys, tables\nwith tables.open_file(sys.argv[1]) as f:\n    t = f.root.d\n    print(t.nrows, len(t.read_where('col2 == 0')))";
    let out = crate::command(py).args(["-c", script, dst.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("{kept} 0"));
}

/// An append into the input file itself, with the disk already nearly full: the input's
/// table is untouched and the new table holds a prefix.
#[test]
fn an_append_into_the_input_on_a_full_disk_leaves_it_readable() {
    let orig = source("same-src.h5", 100_000);
    // Room for the file and 1 MiB more (the append needs 2.8 MB).
    let room = std::fs::metadata(&orig).unwrap().len() / 1024 + 1024;
    let Some(fs) = Tmpfs::new("tmpfs-same", &format!("{room}k")) else { return };
    let src = fs.0.join("same.h5");
    std::fs::copy(&orig, &src).unwrap();
    let want = {
        let f = File::open(&src, Mode::Read).unwrap();
        Table::open(&f, "/t").unwrap().read(RowRange::default()).unwrap()
    };
    let (code, err) = append(&src, &src, "/again", "col1 >= 0");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no space left on device"), "{err}");
    holds_a_prefix(&src, &src, "/again", "col1 >= 0");
    let f = File::open(&src, Mode::Read).unwrap();
    let got = Table::open(&f, "/t").unwrap().read(RowRange::default()).unwrap();
    assert_eq!((got.len(), got.bytes(want.len() - 1)), (want.len(), want.bytes(want.len() - 1)));
}

/// Writing a PyTables index on a full disk fails saying so; the index left behind is dirty (so
/// neither PyTables nor outcore uses it), the table reads and queries as before, and PyTables
/// opens the file.
#[test]
fn an_index_written_on_a_full_disk_is_dirty_and_the_table_intact() {
    let orig = source("index-src.h5", 200_000);
    // Room for the file and 1 MiB more (a full index of col2 needs 3.2 MB).
    let room = std::fs::metadata(&orig).unwrap().len() / 1024 + 1024;
    let Some(fs) = Tmpfs::new("tmpfs-index", &format!("{room}k")) else { return };
    let src = fs.0.join("index.h5");
    std::fs::copy(&orig, &src).unwrap();
    let out = crate::command(env!("CARGO_BIN_EXE_outcore"))
        .args(["index", &format!("{}:/t", src.display()), "--columns", "col2", "--kind", "full"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no space left on device"), "{err}");
    let f = File::open(&src, Mode::Read).unwrap_or_else(|e| panic!("the file opens: {e}"));
    let t = Table::open(&f, "/t").unwrap();
    assert_eq!(t.nrows(), 200_000);
    if let outcore::h5::Lookup::Found(_) = t.leaf().pytables_index("col2").unwrap() {
        panic!("a half-written index is used");
    }
    let cond = "(col2 > 10) & (col2 < 10.5)";
    let want = File::open(&orig, Mode::Read).unwrap();
    let want = Table::open(&want, "/t").unwrap().get_where_list(cond, &[], RowRange::default()).unwrap();
    assert_eq!(t.get_where_list(cond, &[], RowRange::default()).unwrap(), want);
    drop((t, f));
    let Some(py) = crate::cli::peers_python() else { return };
    let script = "import sys, tables\nwith tables.open_file(sys.argv[1]) as f:\n    t = f.root.t\n    i = t.cols.col2.index\n    print(t.nrows, i is None or i.dirty, len(t.get_where_list(sys.argv[2])))";
    let out = crate::command(py).args(["-c", script, src.to_str().unwrap(), cond]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("200000 True {}", want.len()));
}
