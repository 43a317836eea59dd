//! Reading files written by real PyTables (tests/fixtures/pytables, made by
//! scripts/make_pytables_fixtures.py): the tree, attributes, layouts, and the raw chunk path
//! against the HDF5 library's own reads, for every codec and edge chunk.

use std::path::PathBuf;

use outcore_h5::{AttrValue, Error, File, Kind, Leaf, LeafClass, Mode, NodeClass};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/pytables")).join(name)
}

fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("json")
}

/// Decodes every chunk on the raw path and places it where it belongs.
fn read_via_raw_chunks(leaf: &Leaf) -> Vec<u8> {
    let layout = leaf.layout().expect("layout");
    let shape = leaf.shape();
    let chunk = leaf.chunk_shape().expect("chunked");
    let decoder = leaf.decoder().expect("decoder");
    decoder.supported().expect("supported filters");
    let n: usize = shape.iter().product();
    let mut out = vec![0u8; n * layout.size];
    let (mut raw, mut dec) = (Vec::new(), Vec::new());
    for info in leaf.chunks().expect("chunks") {
        let mask = leaf.read_raw_chunk(&info, &mut raw).expect("raw chunk");
        decoder.decode(&raw, mask, &mut dec).expect("decodes");
        // Copy the chunk's rows that lie inside the dataset (edge chunks are partial).
        let row_elems: usize = chunk[1..].iter().product();
        let full_row: usize = shape[1..].iter().product();
        assert_eq!(row_elems, full_row, "tests use chunks spanning the inner dimensions");
        let first = info.offset[0] as usize;
        let rows = chunk[0].min(shape[0] - first);
        let bytes = rows * row_elems * layout.size;
        let at = first * full_row * layout.size;
        out[at..at + bytes].copy_from_slice(&dec[..bytes]);
    }
    out
}

#[test]
fn walks_the_tree_with_classes_and_titles() {
    let f = File::open(fixture("tables.h5"), Mode::Read).expect("opens");
    let nodes = f.walk().expect("walks");
    let paths: Vec<&str> = nodes.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(paths, ["/", "/grp", "/grp/sub", "/grp/sub/small", "/t", "/tb", "/tz"]);
    let t = nodes.iter().find(|n| n.path == "/t").expect("/t");
    assert_eq!(t.class, NodeClass::Leaf(LeafClass::Table));
    assert_eq!(t.title, "table t");
    assert_eq!(t.shape, Some(vec![1000]));
    assert_eq!(t.chunks, Some(vec![77]));
    assert_eq!(nodes[1].title, "A group");
    assert_eq!(nodes[0].title, "outcore table fixtures");
    let a = File::open(fixture("arrays.h5"), Mode::Read).expect("opens");
    let classes: Vec<(String, NodeClass)> = a.walk().expect("walks").into_iter().map(|n| (n.path, n.class)).collect();
    assert!(classes.contains(&("/c_zlib_f64".into(), NodeClass::Leaf(LeafClass::CArray))));
    assert!(classes.contains(&("/e_zstd".into(), NodeClass::Leaf(LeafClass::EArray))));
    assert!(classes.contains(&("/plain".into(), NodeClass::Leaf(LeafClass::Array))));
    assert!(classes.contains(&("/c_lzf_f64".into(), NodeClass::Leaf(LeafClass::Dataset))));
}

#[test]
fn reads_attributes_of_every_kind() {
    let f = File::open(fixture("tables.h5"), Mode::Read).expect("opens");
    let attrs = f.group("/grp").expect("group").attrs().expect("attrs");
    let get = |n: &str| {
        attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or(AttrValue::Other("missing".into()))
    };
    assert_eq!(get("count"), AttrValue::Int(42));
    assert_eq!(get("ratio"), AttrValue::Float(0.25));
    assert_eq!(get("label"), AttrValue::Str("hello".into()));
    assert_eq!(get("blabel"), AttrValue::Str("bytes".into()));
    assert_eq!(get("empty"), AttrValue::Str(String::new()));
    assert_eq!(get("vector"), AttrValue::Array((0..4).map(AttrValue::Int).collect()));
    assert_eq!(get("CLASS"), AttrValue::Str("GROUP".into()));
    let t = f.leaf("/t").expect("leaf");
    let tattrs = t.attrs().expect("attrs");
    assert!(tattrs.iter().any(|(k, v)| k == "FIELD_0_NAME" && *v == AttrValue::Str("i32".into())));
    assert!(tattrs.iter().any(|(k, v)| k == "NROWS" && v.as_i64() == Some(1000)));
}

#[test]
fn table_layout_has_nested_string_complex_and_array_fields() {
    let f = File::open(fixture("tables.h5"), Mode::Read).expect("opens");
    let layout = f.leaf("/t").expect("leaf").layout().expect("layout");
    assert_eq!(
        layout.columns(),
        ["i32", "i64", "f32", "f64", "flag", "name", "z", "u8", "vec", "location/lat", "location/long"]
    );
    // Packed records, as PyTables writes them.
    assert_eq!(layout.size, 4 + 8 + 4 + 8 + 1 + 6 + 16 + 1 + 24 + 16);
    assert_eq!(layout.field("name").map(|(_, k)| k.clone()), Some(Kind::Bytes(6)));
    assert_eq!(layout.field("z").map(|(_, k)| k.clone()), Some(Kind::Complex { size: 16 }));
    assert_eq!(layout.field("location/lat").map(|(o, _)| o), Some(4 + 8 + 4 + 8 + 1 + 6 + 16 + 1 + 24));
    assert!(matches!(layout.field("vec"), Some((_, Kind::Array(_, s))) if s == &vec![3]));
}

#[test]
fn raw_path_equals_the_library_for_every_codec_and_edge_chunk() {
    for (file, nodes) in [
        ("tables.h5", vec!["/t", "/tz", "/tb", "/grp/sub/small"]),
        (
            "arrays.h5",
            ["none", "zlib", "blosclz", "lz4", "zstd", "bzlib"]
                .iter()
                .flat_map(|f| {
                    ["f64", "i32", "f32"]
                        .iter()
                        .map(move |d| format!("/c_{f}_{d}"))
                        .chain(std::iter::once(format!("/e_{f}")))
                })
                .chain(std::iter::once("/c_lzf_f64".to_string()))
                .collect::<Vec<_>>()
                .iter()
                .map(|s| Box::leak(s.clone().into_boxed_str()) as &str)
                .collect(),
        ),
    ] {
        let f = File::open(fixture(file), Mode::Read).expect("opens");
        for node in nodes {
            let leaf = f.leaf(node).expect("leaf");
            assert_eq!(read_via_raw_chunks(&leaf), leaf.read_bytes().expect("H5Dread"), "{file}:{node}");
        }
    }
}

#[test]
fn values_read_back_exactly() {
    let exp = expected();
    let f = File::open(fixture("tables.h5"), Mode::Read).expect("opens");
    for node in ["/t", "/tz", "/tb"] {
        let leaf = f.leaf(node).expect("leaf");
        let layout = leaf.layout().expect("layout");
        let records = read_via_raw_chunks(&leaf);
        let mut col = Vec::new();
        let (off, _) = layout.field("i32").expect("i32");
        layout.extract(&records, off, 4, &mut col);
        let sum: i64 = col.chunks_exact(4).map(|b| i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))).sum();
        assert_eq!(sum, exp["tables.h5"]["i32_sum"].as_i64().expect("i32_sum"), "{node}");
        let (off, _) = layout.field("location/lat").expect("lat");
        layout.extract(&records, off, 8, &mut col);
        let lat: f64 = col.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))).sum();
        let want = exp["tables.h5"]["lat_sum"].as_f64().expect("lat_sum");
        assert!((lat - want).abs() <= 1e-9 * want.abs().max(1.0), "{node}: {lat} vs {want}");
        let (off, _) = layout.field("name").expect("name");
        layout.extract(&records, off, 6, &mut col);
        let name7 = String::from_utf8_lossy(&col[7 * 6..8 * 6]).trim_end_matches('\0').to_string();
        assert_eq!(name7, exp["tables.h5"]["name_7"].as_str().expect("name_7"));
    }
    let a = File::open(fixture("arrays.h5"), Mode::Read).expect("opens");
    for (node, info) in exp["arrays.h5"].as_object().expect("arrays") {
        let leaf = a.leaf(&format!("/{node}")).expect("leaf");
        let bytes =
            if leaf.chunk_shape().is_some() { read_via_raw_chunks(&leaf) } else { leaf.read_bytes().expect("reads") };
        let sum: f64 = match info["dtype"].as_str().expect("dtype") {
            "float64" => bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8"))).sum(),
            "float32" => bytes.chunks_exact(4).map(|b| f64::from(f32::from_le_bytes(b.try_into().expect("4")))).sum(),
            "int32" => bytes.chunks_exact(4).map(|b| f64::from(i32::from_le_bytes(b.try_into().expect("4")))).sum(),
            _ => bytes.chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().expect("8")) as f64).sum(),
        };
        let want = info["sum"].as_f64().expect("sum");
        assert!((sum - want).abs() <= 1e-6 * want.abs().max(1.0), "{node}: {sum} vs {want}");
    }
}

#[test]
fn bad_input_gives_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.h5");
    let e = File::open(&missing, Mode::Read).err().expect("error");
    assert!(matches!(e, Error::NotFound { .. }) && e.to_string().contains("missing.h5"), "{e}");
    let text = dir.path().join("text.h5");
    std::fs::write(&text, "not hdf5 at all").expect("write");
    let e = File::open(&text, Mode::Read).err().expect("error");
    assert!(matches!(e, Error::NotHdf5 { .. }) && e.to_string().contains("text.h5"), "{e}");
    let bytes = std::fs::read(fixture("tables.h5")).expect("read");
    let truncated = dir.path().join("truncated.h5");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).expect("write");
    match File::open(&truncated, Mode::Read) {
        Err(e) => assert!(e.to_string().contains("truncated.h5"), "{e}"),
        Ok(f) => {
            // HDF5 may open a truncated file; reading the damaged part must then fail cleanly.
            if let Ok(leaf) = f.leaf("/tz") {
                let _ = leaf.read_bytes();
            }
        }
    }
    let e = File::open_str(fixture("tables.h5"), "rw").err().expect("error");
    assert!(matches!(e, Error::Mode { .. }), "{e}");
    let f = File::open(fixture("tables.h5"), Mode::Read).expect("opens");
    let e = f.leaf("/nope").expect_err("error");
    assert!(e.to_string().contains("/nope") && e.to_string().contains("tables.h5"), "{e}");
    assert!(f.leaf("/grp").is_err(), "a group is not a leaf");
}

#[test]
fn parallel_raw_reads_equal_the_library() {
    for (file, node) in [
        ("tables.h5", "/t"),
        ("tables.h5", "/tz"),
        ("tables.h5", "/tb"),
        ("arrays.h5", "/c_lz4_f64"),
        ("arrays.h5", "/e_zlib"),
        ("arrays.h5", "/c_lzf_f64"),
    ] {
        let f = File::open(fixture(file), Mode::Read).expect("opens");
        let leaf = f.leaf(node).expect("leaf");
        assert_eq!(leaf.read_parallel().expect("reads"), leaf.read_bytes().expect("H5Dread"), "{file}:{node}");
    }
}

/// The Python with PyTables: `$OUTCORE_PEERS_PYTHON`, else the repository's `.venv-peers`.
fn peers_python() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("OUTCORE_PEERS_PYTHON").map(PathBuf::from),
        Some(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv-peers/bin/python"))),
    ];
    candidates.into_iter().flatten().find(|p| {
        std::process::Command::new(p).args(["-c", "import tables"]).output().is_ok_and(|o| o.status.success())
    })
}

/// What PyTables sees in a file (scripts/check_pytables_reads.py's JSON), or `None` (said on
/// stderr) when no Python with PyTables is at hand.
fn pytables_sees(path: &std::path::Path) -> Option<serde_json::Value> {
    let Some(python) = peers_python() else {
        eprintln!("skipping the PyTables half: no Python with PyTables (run scripts/ensure-deps --peers)");
        return None;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/check_pytables_reads.py");
    let out = std::process::Command::new(python).args([script, path.to_str().expect("path")]).output().expect("runs");
    assert!(out.status.success(), "PyTables failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).expect("json"))
}

#[test]
fn pytables_reads_what_outcore_writes_and_outcore_reads_its_appends() {
    use ndarray::{Array1, Array2};
    use outcore_h5::{Complib, Filters};

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ours.h5");
    let a: Array1<f64> = (0..10_000).map(|i| f64::from(i) * 0.5).collect();
    let e: Array2<f64> = Array2::from_shape_fn((100, 3), |(i, j)| (i * 3 + j) as f64);
    let m: Array2<i32> = Array2::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as i32);
    {
        let f = File::open(&path, Mode::Write).expect("creates");
        f.create_group("/", "grp", "A group").expect("group");
        f.set_group_filters("/grp", &Filters::zlib(6)).expect("group filters");
        let zlib =
            Filters { complevel: 5, complib: Complib::Zlib, shuffle: true, bitshuffle: false, fletcher32: false };
        let lz4 =
            Filters { complevel: 5, complib: Complib::BloscLz4, shuffle: true, bitshuffle: false, fletcher32: false };
        f.create_carray("/", "a", a.view(), Some(&[1000]), Some(&zlib), "a carray").expect("carray");
        let earr = f
            .create_earray("/grp", "e", e.slice(ndarray::s![..40, ..]), Some(&[16, 3]), 100, Some(&lz4), "an earray")
            .expect("earray");
        earr.append(e.slice(ndarray::s![40.., ..])).expect("append");
        f.create_array("/", "m", m.view(), "").expect("array");
        let auto =
            f.create_earray("/", "auto", Array2::<f64>::zeros((0, 3)).view(), None, 1000, None, "").expect("earray");
        assert_eq!(auto.chunk_shape(), Some(vec![2730, 3]), "PyTables' rule");
        // A node that exists, and a read-only file, are errors naming the node.
        let again = f.create_group("/", "grp", "twice").err().expect("node exists");
        assert!(again.to_string().contains("node exists") && again.to_string().contains("/grp"), "{again}");
        assert!(earr.append(Array2::<f64>::zeros((1, 2)).view()).is_err(), "wrong row shape");
        f.flush().expect("flush");
    }
    {
        let f = File::open(&path, Mode::Read).expect("opens");
        assert!(f.create_group("/", "x", "").is_err(), "read-only");
        let nodes = f.walk().expect("walk");
        let classes: Vec<(&str, NodeClass)> = nodes.iter().map(|n| (n.path.as_str(), n.class)).collect();
        assert!(classes.contains(&("/a", NodeClass::Leaf(LeafClass::CArray))));
        assert!(classes.contains(&("/grp/e", NodeClass::Leaf(LeafClass::EArray))));
        assert!(classes.contains(&("/m", NodeClass::Leaf(LeafClass::Array))));
        let leaf = f.leaf("/grp/e").expect("leaf");
        assert_eq!(leaf.shape(), vec![100, 3]);
        assert_eq!(read_via_raw_chunks(&leaf), leaf.read_bytes().expect("reads"));
    }
    let Some(python) = peers_python() else {
        eprintln!("skipping the PyTables half: no Python with PyTables (run scripts/ensure-deps --peers)");
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/check_pytables_reads.py");
    let out = std::process::Command::new(python)
        .args([script, path.to_str().expect("utf-8 path"), "/grp/e"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "PyTables failed: {}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(seen["root_attrs"]["class"], "GROUP");
    assert_eq!(seen["root_attrs"]["format"], "2.1");
    assert_eq!(seen["/"]["class"], "RootGroup");
    assert_eq!(seen["/grp"]["class"], "Group");
    assert_eq!(seen["/grp"]["title"], "A group");
    assert_eq!(seen["/grp"]["filters"], "zlib/6/1");
    assert_eq!(seen["/a"]["class"], "CArray");
    assert_eq!(seen["/a"]["title"], "a carray");
    assert_eq!(seen["/a"]["sum"], a.sum());
    assert_eq!(seen["/a"]["filters"], "zlib");
    assert_eq!(seen["/grp/e"]["class"], "EArray");
    assert_eq!(seen["/grp/e"]["extdim"], 0);
    assert_eq!(seen["/grp/e"]["sum"], e.sum());
    assert_eq!(seen["/grp/e"]["filters"], "blosc:lz4");
    assert_eq!(seen["/m"]["class"], "Array");
    assert_eq!(seen["/m"]["sum"], 66.0);
    // What PyTables appended reads back here.
    let f = File::open(&path, Mode::Read).expect("opens");
    let leaf = f.leaf("/grp/e").expect("leaf");
    assert_eq!(leaf.shape(), vec![102, 3]);
    let bytes = leaf.read_parallel().expect("reads");
    let last: Vec<f64> =
        bytes[100 * 24..].chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8"))).collect();
    assert_eq!(last, vec![7.0; 6]);
}

#[test]
fn nodes_are_renamed_and_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nodes.h5");
    let f = File::open(&path, Mode::Write).expect("creates");
    f.create_group("/", "g", "").expect("group");
    f.create_array("/g", "x", ndarray::arr1(&[1.0f64, 2.0]).view(), "x").expect("array");
    f.rename_node("/g/x", "y").expect("renames");
    assert!(f.leaf("/g/y").is_ok() && f.leaf("/g/x").is_err());
    assert!(f.rename_node("/g/nope", "z").is_err());
    f.create_group("/", "h", "").expect("group");
    assert!(f.rename_node("/h", "g").expect_err("exists").to_string().contains("node exists"));
    f.remove_node("/g").expect("removes");
    assert!(!f.node_exists("/g") && !f.node_exists("/g/y"));
    assert!(f.remove_node("/g").is_err());
    drop(f);
    let r = File::open(&path, Mode::Read).expect("opens");
    assert!(r.remove_node("/h").is_err(), "read-only");
    assert_eq!(r.walk().expect("walk").len(), 2);
}

#[test]
fn tables_are_written_appended_read_by_rows_and_read_by_pytables() {
    let src = File::open(fixture("tables.h5"), Mode::Read).expect("opens");
    let t = src.leaf("/t").expect("leaf");
    let layout = t.layout().expect("layout");
    let records = t.read_bytes().expect("reads");
    let size = layout.size;

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("table.h5");
    {
        let f = File::open(&path, Mode::Write).expect("creates");
        let zlib = outcore_h5::Filters {
            complevel: 3,
            complib: outcore_h5::Complib::Zlib,
            shuffle: true,
            bitshuffle: false,
            fletcher32: false,
        };
        let ours = f.create_table("/", "t", &layout, 1000, None, Some(&zlib), "our table").expect("table");
        assert_eq!(ours.chunk_shape(), Some(vec![outcore_h5::chunks::table_chunk_rows(1000, size as u64) as usize]));
        ours.append_records(&records[..600 * size]).expect("append");
        ours.append_records(&records[600 * size..]).expect("append");
        assert!(ours.append_records(&records[..size - 1]).is_err(), "partial record");
        assert_eq!(ours.layout().expect("layout"), layout);
        assert_eq!(ours.read_bytes().expect("reads"), records);
        assert_eq!(ours.read_parallel().expect("reads"), records);
        // Ranges with a step, coordinates, one nested column.
        let r = ours.read_records(10, 30, 7).expect("range");
        let want: Vec<u8> = [10, 17, 24].iter().flat_map(|&i| records[i * size..(i + 1) * size].to_vec()).collect();
        assert_eq!(r, want);
        let c = ours.read_coords(&[999, 0, 5]).expect("coords");
        assert_eq!(&c[..size], &records[999 * size..]);
        assert!(ours.read_coords(&[1000]).is_err());
        assert!(ours.read_records(0, 10, 0).is_err());
        let (kind, lat) = ours.read_column("location/lat").expect("column");
        assert_eq!(kind, Kind::Float { size: 8 });
        assert_eq!(lat.len(), 1000 * 8);
        assert!(ours.read_column("location/latt").expect_err("error").to_string().contains("location/lat"));
        // Modify rows: copy row 0 over row 1.
        ours.modify_records(1, &records[..size]).expect("modify");
        assert_eq!(ours.read_records(1, 2, 1).expect("row"), records[..size].to_vec());
        assert!(ours.modify_records(1000, &records[..size]).is_err());
        f.flush().expect("flush");
    }
    let Some(python) = peers_python() else {
        eprintln!("skipping the PyTables half: no Python with PyTables (run scripts/ensure-deps --peers)");
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/check_pytables_reads.py");
    let p = path.to_str().expect("utf-8 path");
    // No EArray to append to (""), a copy of row 0 appended to /t.
    let out = std::process::Command::new(python).args([script, p, "", "/t"]).output().expect("runs");
    assert!(out.status.success(), "PyTables failed: {}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(seen["/t"]["class"], "Table");
    assert_eq!(seen["/t"]["title"], "our table");
    assert_eq!(seen["/t"]["nrows"], 1000);
    assert_eq!(seen["/t"]["colnames"][9], "location/lat");
    let exp = expected();
    let i32_sum = exp["tables.h5"]["i32_sum"].as_f64().expect("sum");
    // Row 1 now repeats row 0.
    let row0 = i32::from_le_bytes(records[..4].try_into().expect("4"));
    let row1 = i32::from_le_bytes(records[size..size + 4].try_into().expect("4"));
    assert_eq!(seen["/t"]["sums"]["i32"].as_f64(), Some(i32_sum - f64::from(row1) + f64::from(row0)));
    // PyTables appended a copy of row 0: we read it.
    let f = File::open(&path, Mode::Read).expect("opens");
    let t = f.leaf("/t").expect("leaf");
    assert_eq!(t.shape(), vec![1001]);
    assert_eq!(t.read_records(1000, 1001, 1).expect("row"), records[..size].to_vec());
    let nrows = t.attrs().expect("attrs").into_iter().find(|(k, _)| k == "NROWS").map(|(_, v)| v);
    assert_eq!(nrows.and_then(|v| v.as_i64()), Some(1001));
}

#[test]
fn chunks_encoded_on_workers_and_written_raw_read_back_everywhere() {
    use ndarray::Array1;
    use outcore_h5::{Complib, Filters};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("raw.h5");
    let n = 10_000usize;
    let values: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
    let f = File::open(&path, Mode::Write).expect("creates");
    // lzf is h5py's filter, which PyTables cannot read: it goes in a file of its own.
    let lzf_file = File::open(dir.path().join("lzf.h5"), Mode::Write).expect("creates");
    for (name, filters) in [
        ("none", None),
        (
            "zlib",
            Some(Filters { complevel: 5, complib: Complib::Zlib, shuffle: true, bitshuffle: false, fletcher32: false }),
        ),
        (
            "lz4",
            Some(Filters {
                complevel: 5,
                complib: Complib::BloscLz4,
                shuffle: true,
                bitshuffle: false,
                fletcher32: false,
            }),
        ),
        (
            "zstd",
            Some(Filters {
                complevel: 3,
                complib: Complib::BloscZstd,
                shuffle: false,
                bitshuffle: false,
                fletcher32: false,
            }),
        ),
        (
            "lzf",
            Some(Filters { complevel: 5, complib: Complib::Lzf, shuffle: true, bitshuffle: false, fletcher32: false }),
        ),
    ] {
        // Create the CArray empty (zeros), then write every chunk raw.
        let zeros = Array1::<f64>::zeros(n);
        let target = if name == "lzf" { &lzf_file } else { &f };
        let leaf = target.create_carray("/", name, zeros.view(), Some(&[1024]), filters.as_ref(), "").expect("carray");
        let enc = leaf.encoder().expect("encoder");
        let mut encoded = Vec::new();
        for start in (0..n).step_by(1024) {
            let mut chunk = vec![0u8; 1024 * 8];
            for (k, v) in values[start..(start + 1024).min(n)].iter().enumerate() {
                chunk[k * 8..k * 8 + 8].copy_from_slice(&v.to_le_bytes());
            }
            let mask = enc.encode(&chunk, &mut encoded).expect("encodes");
            leaf.write_raw_chunk(&[start as u64], mask, &encoded).expect("writes");
        }
        assert!(leaf.write_raw_chunk(&[5], 0, &encoded).is_err(), "off the grid");
        let want: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(leaf.read_bytes().expect("H5Dread"), want, "{name}");
        assert_eq!(leaf.read_parallel().expect("raw"), want, "{name}");
    }
    f.flush().expect("flush");
    drop(f);
    let Some(seen) = pytables_sees(&path) else { return };
    let sum: f64 = values.iter().sum();
    for name in ["none", "zlib", "lz4", "zstd"] {
        let got = seen[format!("/{name}")]["sum"].as_f64().expect("sum");
        assert!((got - sum).abs() < 1e-9, "{name}: {got} vs {sum}");
    }
}

#[test]
fn filters_pack_as_pytables_and_are_inherited() {
    use outcore_h5::{AttrValue, Complib, Filters, Node};
    // The packed values PyTables 3.11 computes for these filters.
    assert_eq!(Filters::zlib(5).pack(), 65797);
    let lz4 = Filters { complevel: 9, complib: Complib::BloscLz4, shuffle: false, bitshuffle: true, fletcher32: false };
    assert_eq!(lz4.pack(), 526089);
    assert_eq!(Filters::unpack(526089), Some(lz4));
    assert_eq!(Filters::unpack(65797), Some(Filters::zlib(5)));

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("inherit.h5");
    let f = File::open(&path, Mode::Write).expect("creates");
    f.create_group("/", "g", "").expect("group");
    f.create_group("/g", "h", "").expect("group");
    f.set_group_filters("/g", &Filters::zlib(4)).expect("filters");
    assert_eq!(f.inherited_filters("/g/h/x"), Some(Filters::zlib(4)));
    let leaf = f.create_carray("/g/h", "x", ndarray::Array1::<f64>::zeros(100).view(), None, None, "").expect("carray");
    let codecs = leaf.decoder().expect("decoder").codecs;
    assert!(
        codecs.contains(&outcore_h5::Codec::Deflate) && codecs.contains(&outcore_h5::Codec::Shuffle(8)),
        "{codecs:?}"
    );
    // Attributes of every kind, and natural naming.
    for (name, v) in [
        ("i", AttrValue::Int(-3)),
        ("u", AttrValue::UInt(7)),
        ("x", AttrValue::Float(2.5)),
        ("s", AttrValue::Str("hello".into())),
        ("e", AttrValue::Str(String::new())),
        ("b", AttrValue::Bool(true)),
    ] {
        f.set_attr("/g/h/x", name, &v).expect("set");
        let got = f
            .leaf("/g/h/x")
            .expect("leaf")
            .attrs()
            .expect("attrs")
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v);
        let want = if name == "b" { AttrValue::Int(1) } else { v };
        assert!(got == Some(want.clone()) || (name == "b" && got == Some(AttrValue::Bool(true))), "{name}: {got:?}");
    }
    assert!(f.set_attr("/nope", "a", &AttrValue::Int(1)).is_err());
    let g = f.group("/g").expect("group");
    assert!(matches!(g.child("h"), Ok(Node::Group(_))));
    assert!(matches!(f.group("/g/h").expect("group").child("x"), Ok(Node::Leaf(_))));
    assert!(g.child("zz").is_err());
}

#[test]
fn typed_reads_convert_or_name_the_mismatch() {
    let f = File::open(fixture("arrays.h5"), Mode::Read).expect("opens");
    let a = f.leaf("/c_zlib_i32").expect("leaf").read_array::<i64>().expect("int32 → int64");
    assert_eq!(a.len(), 10_007);
    let m = f.leaf("/plain").expect("leaf").read_array::<f64>().expect("reads");
    assert_eq!(m.shape(), &[3, 4]);
    assert_eq!(m.sum(), 66.0);
    let t = File::open(fixture("tables.h5"), Mode::Read).expect("opens");
    let e = t.leaf("/t").expect("leaf").read_array::<f64>().expect_err("records are not numbers");
    assert!(e.to_string().contains("/t") && e.to_string().contains("tables.h5"), "{e}");
    let fields: Vec<String> = t.leaf("/t").expect("leaf").attrs().expect("attrs").into_iter().map(|(k, _)| k).collect();
    assert!(fields.contains(&"FIELD_0_FILL".to_string()));
}

#[test]
fn carrays_with_a_fill_value_read_it_where_nothing_was_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fill.h5");
    {
        let f = File::open(&path, Mode::Write).expect("creates");
        let leaf = f
            .create_carray_filled(
                "/",
                "c",
                &[10_000],
                Some(&[1000]),
                Some(&outcore_h5::Filters::zlib(5)),
                7.5f64,
                "filled",
            )
            .expect("carray");
        assert_eq!(leaf.fill_bytes(8), 7.5f64.to_le_bytes().to_vec());
        // Write one chunk (rows 2000..3000) raw; the rest stays the fill value.
        let chunk: Vec<u8> = (0..1000).flat_map(|i| f64::from(i).to_le_bytes()).collect();
        let mut enc = Vec::new();
        let mask = leaf.encoder().expect("encoder").encode(&chunk, &mut enc).expect("encodes");
        leaf.write_raw_chunk(&[2000], mask, &enc).expect("writes");
        assert_eq!(leaf.read_parallel().expect("raw"), leaf.read_bytes().expect("H5Dread"));
        f.flush().expect("flush");
    }
    let f = File::open(&path, Mode::Read).expect("opens");
    let leaf = f.leaf("/c").expect("leaf");
    let values = leaf.read_parallel().expect("raw, read-only");
    assert_eq!(values, leaf.read_bytes().expect("H5Dread"));
    let v: Vec<f64> = values.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8"))).collect();
    assert_eq!((v[0], v[1999], v[2000], v[2999], v[3000]), (7.5, 7.5, 0.0, 999.0, 7.5));
}

#[test]
fn every_rust_element_type_round_trips() {
    use ndarray::Array1;
    use num_complex::{Complex32, Complex64};
    let dir = tempfile::tempdir().expect("tempdir");
    let f = File::open(dir.path().join("types.h5"), Mode::Write).expect("creates");
    macro_rules! round_trip {
        ($($name:literal: $t:ty = $v:expr;)*) => {$(
            let a: Array1<$t> = (0..5).map(|i| $v(i)).collect();
            let leaf = f.create_carray("/", $name, a.view(), None, None, "").expect($name);
            assert_eq!(leaf.read_array::<$t>().expect($name).into_raw_vec_and_offset().0, a.to_vec(), $name);
        )*};
    }
    round_trip! {
        "b": bool = |i: i32| i % 2 == 0;
        "i8": i8 = |i: i32| -(i as i8);
        "i16": i16 = |i: i32| i as i16 * -300;
        "i32": i32 = |i: i32| i * -70_000;
        "i64": i64 = |i: i32| i64::from(i) << 40;
        "u8": u8 = |i: i32| i as u8 * 50;
        "u16": u16 = |i: i32| i as u16 * 1000;
        "u32": u32 = |i: i32| i as u32 * 1_000_000;
        "u64": u64 = |i: i32| (i as u64) << 60;
        "f32": f32 = |i: i32| i as f32 / 3.0;
        "f64": f64 = |i: i32| f64::from(i) / 3.0;
        "c64": Complex32 = |i: i32| Complex32::new(i as f32, -1.5);
        "c128": Complex64 = |i: i32| Complex64::new(f64::from(i), 2.5);
    }
}

/// The chunk index read from each dataset's B-tree lists the same chunks as the library, on
/// every chunked leaf PyTables wrote (tables and arrays, every codec, odd and multi-dimensional
/// chunks, leaves with no chunk written).
#[test]
fn chunk_index_matches_the_library() {
    let mut checked = 0;
    for name in ["tables.h5", "arrays.h5", "query.h5", "expr.h5"] {
        let f = File::open(fixture(name), Mode::Read).expect("open");
        for node in f.walk().expect("walk") {
            if node.chunks.is_none() {
                continue;
            }
            let leaf = f.leaf(&node.path).expect("leaf");
            let index = leaf.chunk_index().unwrap_or_else(|| panic!("{name}:{}: no chunk index", node.path));
            let listed = leaf.chunks().expect("chunks");
            assert_eq!(index.len(), listed.len(), "{name}:{}", node.path);
            for c in &listed {
                assert_eq!(index.get(&c.offset), Some(c), "{name}:{} {:?}", node.path, c.offset);
                assert_eq!(leaf.chunk_at(&c.offset).expect("chunk_at").as_ref(), Some(c));
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} chunked leaves");
}

/// A deep B-tree (thousands of chunks), two-dimensional chunks with some never written, and a
/// leaf with no chunk at all: the index agrees with the library.
#[test]
fn chunk_index_of_many_chunks() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = File::open(dir.path().join("many.h5"), Mode::Write).expect("create");
    let data = ndarray::Array1::from_iter((0..50_000).map(|i| i as f64));
    f.create_carray("/", "deep", data.view(), Some(&[7]), None, "").expect("deep");
    let grid = f.create_carray_filled::<i32>("/", "grid", &[100, 90], Some(&[9, 8]), None, 0, "").expect("grid");
    // Rows 30..40 only: the chunks of rows 27..45, every column.
    grid.write_rows(30, 1, 10, &vec![1u8; 10 * 90 * 4]).expect("write");
    f.create_carray_filled::<f32>("/", "empty", &[1000], Some(&[64]), None, 0.0, "").expect("empty");
    f.flush().expect("flush");
    for (path, want) in [("/deep", 50_000usize.div_ceil(7)), ("/grid", 2 * 90usize.div_ceil(8)), ("/empty", 0)] {
        let leaf = f.leaf(path).expect("leaf");
        let index = leaf.chunk_index().unwrap_or_else(|| panic!("{path}: no chunk index"));
        let listed = leaf.chunks().expect("chunks");
        assert_eq!((index.len(), listed.len()), (want, want), "{path}");
        for c in &listed {
            assert_eq!(index.get(&c.offset), Some(c), "{path} {:?}", c.offset);
        }
    }
}

/// Blosc through the HDF5 library (`H5Dwrite`/`H5Dread`, outcore's filter): every codec
/// round-trips; a chunk whose header claims more bytes than it holds is an error, not a read
/// past the chunk (what hdf5-metno's filter did, found by fuzzing).
#[test]
fn blosc_through_the_library_checks_chunk_headers() {
    use outcore_h5::{Complib, Filters};
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("blosc.h5");
    let data = ndarray::Array1::from_iter((0..20_000).map(|i| (i % 977) as f64 * 0.5));
    let want: Vec<u8> = data.iter().flat_map(|v| v.to_ne_bytes()).collect();
    {
        let f = File::open(&path, Mode::Write).expect("create");
        for (name, complib) in [
            ("lz", Complib::Blosc),
            ("lz4", Complib::BloscLz4),
            ("zstd", Complib::BloscZstd),
            ("zlib", Complib::BloscZlib),
        ] {
            let filters = Filters { complevel: 5, complib, shuffle: true, bitshuffle: false, fletcher32: false };
            let leaf = f.create_carray("/", name, data.view(), Some(&[4096]), Some(&filters), "").expect("carray");
            assert_eq!(leaf.read_bytes().expect("read"), want, "{name}");
            // Stored compressed, in blosc's format, which the raw path decodes too.
            assert!(leaf.chunks().expect("chunks").iter().all(|c| (c.size as usize) < 4096 * 8), "{name}");
            assert_eq!(leaf.read_parallel().expect("raw read"), want, "{name}");
        }
        f.flush().expect("flush");
    }
    // Damage the first chunk of /lz: its header claims far more stored bytes than there are.
    let chunk = {
        let f = File::open(&path, Mode::Read).expect("open");
        f.leaf("/lz").expect("leaf").chunks().expect("chunks")[0].clone()
    };
    let mut bytes = std::fs::read(&path).expect("bytes");
    let at = chunk.addr as usize + 12;
    bytes[at..at + 4].copy_from_slice(&(1u32 << 30).to_le_bytes());
    std::fs::write(&path, &bytes).expect("write");
    let f = File::open(&path, Mode::Read).expect("open");
    let leaf = f.leaf("/lz").expect("leaf");
    assert!(leaf.read_bytes().is_err(), "a damaged header reads as an error through the library");
    let err = leaf.read_parallel().expect_err("and on the raw path").to_string();
    assert!(err.contains("/lz") && err.contains("header claims"), "{err}");
}

/// Decodes every chunk on the raw path and places each element where it belongs, for any
/// rank and chunk shape (edge chunks are partial in every dimension).
fn read_via_raw_chunks_nd(leaf: &Leaf) -> Vec<u8> {
    let size = leaf.layout().expect("layout").size;
    let shape = leaf.shape();
    let chunk = leaf.chunk_shape().expect("chunked");
    let decoder = leaf.decoder().expect("decoder");
    let n: usize = shape.iter().product();
    let mut out = vec![0u8; n * size];
    let (mut raw, mut dec) = (Vec::new(), Vec::new());
    let per_chunk: usize = chunk.iter().product();
    for info in leaf.chunks().expect("chunks") {
        let mask = leaf.read_raw_chunk(&info, &mut raw).expect("raw chunk");
        decoder.decode(&raw, mask, &mut dec).expect("decodes");
        assert_eq!(dec.len(), per_chunk * size);
        for k in 0..per_chunk {
            // The element's index inside the chunk, then in the leaf.
            let (mut rest, mut at, mut inside) = (k, 0usize, true);
            let mut idx = vec![0usize; chunk.len()];
            for d in (0..chunk.len()).rev() {
                idx[d] = rest % chunk[d] + info.offset[d] as usize;
                rest /= chunk[d];
                inside &= idx[d] < shape[d];
            }
            if !inside {
                continue;
            }
            for d in 0..shape.len() {
                at = at * shape[d] + idx[d];
            }
            out[at * size..(at + 1) * size].copy_from_slice(&dec[k * size..(k + 1) * size]);
        }
    }
    out
}

/// PyTables' blosc2 files (tests/fixtures/pytables/blosc2.h5, from
/// scripts/make_blosc2_fixtures.py): every codec and shuffle kind, ranks 1 to 3 with b2nd
/// chunks and edge chunks, tables, a chunk stored as it is. The library's read (through
/// outcore's blosc2 filter), the raw path and the parallel raw reader all give the bytes of
/// the leaf's unfiltered twin.
#[test]
fn blosc2_leaves_read_as_their_unfiltered_twins() {
    use outcore_h5::Codec;
    let f = File::open(fixture("blosc2.h5"), Mode::Read).expect("opens");
    let mut seen = 0;
    for node in f.walk().expect("walk") {
        if !matches!(node.class, NodeClass::Leaf(_)) || node.path.starts_with("/plain") {
            continue;
        }
        let leaf = f.leaf(&node.path).expect("leaf");
        let name = node.path.trim_start_matches('/');
        let twin = match name {
            "t_zstd" | "t_lz4" => "t",
            n if n.starts_with("c_") => "c",
            n => n,
        };
        let want = f.leaf(&format!("/plain/{twin}")).expect("twin").read_bytes().expect("twin reads");
        assert_eq!(leaf.decoder().expect("decoder").codecs, vec![Codec::Blosc2], "{name}");
        assert_eq!(leaf.read_bytes().expect("H5Dread"), want, "{name}: library");
        assert_eq!(read_via_raw_chunks_nd(&leaf), want, "{name}: raw chunks");
        if leaf.chunk_shape().expect("chunked")[1..] == leaf.shape()[1..] {
            assert_eq!(leaf.read_parallel().expect("parallel"), want, "{name}: parallel");
        }
        assert!(leaf.filters_text().starts_with("blosc2"), "{name}: {}", leaf.filters_text());
        seen += 1;
    }
    assert_eq!(seen, 15 + 7, "every blosc2 leaf");
    // The chunk stored as it is.
    let asis = f.leaf("/asis").expect("asis");
    let masks: Vec<u32> = asis.chunks().expect("chunks").iter().map(|c| c.filter_mask).collect();
    assert_eq!(masks, [1, 0]);
}

/// outcore writes blosc2 (every codec, byte and bit shuffle, ranks 1 to 3) through the
/// library and on the raw path; both read back, and PyTables reads them with the same values.
#[test]
fn blosc2_written_by_outcore_reads_everywhere() {
    use ndarray::{Array1, Array3};
    use outcore_h5::{Complib, Filters};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("b2.h5");
    let n = 10_000usize;
    let values: Vec<f64> = (0..n).map(|i| (i as f64 * 0.01).sin()).collect();
    let want: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let f = File::open(&path, Mode::Write).expect("creates");
    let libs = [Complib::Blosc2, Complib::Blosc2Lz4, Complib::Blosc2Lz4hc, Complib::Blosc2Zlib, Complib::Blosc2Zstd];
    for (i, complib) in libs.into_iter().enumerate() {
        let filters = Filters { complevel: 5, complib, shuffle: i % 2 == 0, bitshuffle: i % 2 == 1, fletcher32: false };
        let name = complib.name().replace(':', "_");
        // Through the library (H5Dwrite runs outcore's filter)...
        let arr = Array1::from(values.clone());
        let leaf = f.create_carray("/", &name, arr.view(), Some(&[1024]), Some(&filters), "").expect("carray");
        assert_eq!(leaf.filters(), Some(filters), "{name}");
        assert_eq!(leaf.read_bytes().expect("H5Dread"), want, "{name}");
        assert_eq!(leaf.read_parallel().expect("raw"), want, "{name}");
        // ... and on the raw path.
        let zeros = Array1::<f64>::zeros(n);
        let raw =
            f.create_carray("/", &format!("{name}_raw"), zeros.view(), Some(&[1024]), Some(&filters), "").unwrap();
        let enc = raw.encoder().expect("encoder");
        let mut encoded = Vec::new();
        for start in (0..n).step_by(1024) {
            let mut chunk = vec![0u8; 1024 * 8];
            let end = (start + 1024).min(n);
            chunk[..(end - start) * 8].copy_from_slice(&want[start * 8..end * 8]);
            let mask = enc.encode(&chunk, &mut encoded).expect("encodes");
            raw.write_raw_chunk(&[start as u64], mask, &encoded).expect("writes");
        }
        assert_eq!(raw.read_bytes().expect("H5Dread"), want, "{name} raw");
    }
    // Rank 3 with edge chunks: b2nd.
    let cube = Array3::from_shape_fn((9, 8, 7), |(i, j, k)| (i * 100 + j * 10 + k) as f64);
    let fl =
        Filters { complevel: 3, complib: Complib::Blosc2Zstd, shuffle: false, bitshuffle: true, fletcher32: false };
    let leaf = f.create_carray("/", "cube", cube.view(), Some(&[4, 3, 5]), Some(&fl), "").expect("cube");
    let cube_bytes: Vec<u8> = cube.iter().flat_map(|v| v.to_le_bytes()).collect();
    assert_eq!(leaf.read_bytes().expect("H5Dread"), cube_bytes);
    assert_eq!(read_via_raw_chunks_nd(&leaf), cube_bytes);
    f.flush().expect("flush");
    drop((leaf, f));
    let Some(seen) = pytables_sees(&path) else { return };
    let sum: f64 = values.iter().sum();
    for complib in libs {
        for suffix in ["", "_raw"] {
            let name = format!("/{}{suffix}", complib.name().replace(':', "_"));
            let got = seen[&name]["sum"].as_f64().unwrap_or_else(|| panic!("{name}: {seen}"));
            assert!((got - sum).abs() < 1e-9, "{name}: {got} vs {sum}");
        }
    }
    let want_cube: f64 = cube.iter().sum();
    assert_eq!(seen["/cube"]["sum"].as_f64(), Some(want_cube));
}

/// One VLArray row as JSON, the way scripts/make_vlarray_fixture.py writes PyTables' rows.
fn vl_row_json(atom: &outcore_h5::VlAtom, bytes: &[u8]) -> serde_json::Value {
    use outcore_h5::VlAtom;
    use serde_json::json;
    fn values(kind: &Kind, bytes: &[u8]) -> Vec<serde_json::Value> {
        let size = kind.size().max(1);
        bytes
            .chunks_exact(size)
            .map(|e| match kind {
                Kind::Bool => json!(e[0] != 0),
                Kind::Int { size: 1, signed: false } => json!(e[0]),
                Kind::Int { size: 4, signed: true } => json!(i32::from_ne_bytes(e.try_into().unwrap())),
                Kind::Float { size: 4 } => json!(f32::from_ne_bytes(e.try_into().unwrap()) as f64),
                Kind::Float { size: 8 } => json!(f64::from_ne_bytes(e.try_into().unwrap())),
                Kind::Complex { size: 16 } => json!([
                    f64::from_ne_bytes(e[..8].try_into().unwrap()),
                    f64::from_ne_bytes(e[8..].try_into().unwrap())
                ]),
                Kind::Array(inner, _) => json!(values(inner, e)),
                other => panic!("no test decoding for {other:?}"),
            })
            .collect()
    }
    match atom {
        VlAtom::Bytes => json!(bytes.iter().map(|&b| b as char).collect::<String>()),
        VlAtom::Unicode => json!(outcore_h5::unicode_row(bytes).expect("unicode")),
        VlAtom::Object => json!(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        VlAtom::Values(kind) => json!(values(kind, bytes)),
    }
}

/// VLArrays PyTables wrote (tests/fixtures/pytables/vlarrays.h5 and .json, from
/// scripts/make_vlarray_fixture.py): every atom's rows read as PyTables reads them, whole, by
/// ranges and one at a time.
#[test]
fn vlarray_rows_read_as_pytables_reads_them() {
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("vlarrays.json")).expect("json")).expect("json");
    let f = File::open(fixture("vlarrays.h5"), Mode::Read).expect("opens");
    for (path, case) in want.as_object().expect("object") {
        let leaf = f.leaf(path).expect("leaf");
        assert_eq!(leaf.class(), LeafClass::VLArray);
        let atom = leaf.vl_atom().expect("atom");
        let name = atom.text();
        let pytables_name = match name.strip_prefix("[2]") {
            Some(rest) => format!("{rest}[2]"),
            None => name.clone(),
        };
        assert_eq!(pytables_name, case["atom"].as_str().unwrap(), "{path}");
        let rows = case["rows"].as_array().unwrap();
        let n = leaf.vl_nrows();
        assert_eq!(n, rows.len(), "{path}");
        let got: Vec<serde_json::Value> =
            leaf.vl_rows(0, 1, n).expect("rows").iter().map(|r| vl_row_json(&atom, r)).collect();
        assert_eq!(&got, rows, "{path}");
        if n > 1 {
            let odd: Vec<serde_json::Value> =
                leaf.vl_rows(1, 2, n / 2).expect("rows").iter().map(|r| vl_row_json(&atom, r)).collect();
            let want_odd: Vec<serde_json::Value> = rows.iter().skip(1).step_by(2).take(n / 2).cloned().collect();
            assert_eq!(odd, want_odd, "{path} odd rows");
        }
        assert_eq!(vl_row_json(&atom, &leaf.vl_row(n - 1).expect("row")), rows[n - 1], "{path} last row");
        let e = leaf.vl_rows(n - 1, 1, 2).expect_err("past the end").to_string();
        assert!(e.contains(&format!("past its {n} rows")), "{e}");
    }
    let e = f.leaf("/").err();
    assert!(e.is_some());
    let not = File::open(fixture("arrays.h5"), Mode::Read).expect("opens");
    let e = not.leaf("/c_none_f64").unwrap().vl_atom().expect_err("not a VLArray").to_string();
    assert!(e.contains("not a VLArray"), "{e}");
}

/// outcore writes VLArrays (numeric, array-shaped, byte and unicode strings) that PyTables
/// reads with the same rows, and reads them back itself.
#[test]
fn vlarrays_written_by_outcore_read_in_pytables() {
    use outcore_h5::VlAtom;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vl.h5");
    let ints: Vec<Vec<i32>> = vec![vec![1, -2, 3], vec![], (0..1000).collect()];
    let strs: Vec<&[u8]> = vec![b"alpha", b"", b"\x00\xffz"];
    let unis = ["h\u{e9}llo", "", "\u{4e2d} \u{1f600}"];
    {
        let f = File::open(&path, Mode::Write).expect("creates");
        let i = f.create_vlarray("/", "ints", &VlAtom::Values(Kind::Int { size: 4, signed: true }), None, None, "ints");
        let i = i.expect("vlarray");
        let rows: Vec<Vec<u8>> = ints.iter().map(|r| r.iter().flat_map(|v| v.to_ne_bytes()).collect()).collect();
        i.append_vl_rows(&rows.iter().map(Vec::as_slice).collect::<Vec<_>>()).expect("append");
        i.append_vl_rows(&[&7i32.to_ne_bytes()]).expect("append again");
        assert!(i.append_vl_rows(&[&[1u8, 2, 3][..]]).is_err(), "not whole elements");
        let pairs = VlAtom::Values(Kind::Array(Box::new(Kind::Float { size: 8 }), vec![2]));
        let zlib = outcore_h5::Filters::zlib(3);
        let p = f.create_vlarray("/", "pairs", &pairs, Some(2), Some(&zlib), "").expect("vlarray");
        let pr: Vec<u8> = [1.0f64, 2.0, 3.0, 4.0].iter().flat_map(|v| v.to_ne_bytes()).collect();
        p.append_vl_rows(&[&pr, &[]]).expect("append");
        let s = f.create_vlarray("/", "strs", &VlAtom::Bytes, None, None, "").expect("vlarray");
        s.append_vl_rows(&strs).expect("append");
        let u = f.create_vlarray("/", "unis", &VlAtom::Unicode, None, None, "").expect("vlarray");
        let ur: Vec<Vec<u8>> =
            unis.iter().map(|s| s.chars().flat_map(|c| (c as u32).to_ne_bytes()).collect()).collect();
        u.append_vl_rows(&ur.iter().map(Vec::as_slice).collect::<Vec<_>>()).expect("append");
        assert_eq!(u.vl_atom().expect("atom"), VlAtom::Unicode);
        assert_eq!(outcore_h5::unicode_row(&u.vl_row(2).expect("row")).expect("text"), unis[2]);
        assert_eq!(s.vl_rows(0, 1, 3).expect("rows"), strs.iter().map(|s| s.to_vec()).collect::<Vec<_>>());
        let ro = File::open(&path, Mode::Read);
        drop(ro);
    }
    let Some(python) = peers_python() else {
        eprintln!("skipping the PyTables half: no Python with PyTables (run scripts/ensure-deps --peers)");
        return;
    };
    let script = r#"
import json, sys, tables
with tables.open_file(sys.argv[1]) as f:
    out = {n._v_pathname: {"title": n._v_title, "atom": type(n.atom).__name__,
           "rows": [r.tolist() if hasattr(r, "tolist") else (r.decode("latin-1") if isinstance(r, bytes) else r) for r in n.read()]}
           for n in f.walk_nodes("/", "VLArray")}
print(json.dumps(out))
"#;
    let out = std::process::Command::new(python).args(["-c", script, path.to_str().unwrap()]).output().expect("runs");
    assert!(out.status.success(), "PyTables failed: {}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut want_ints: Vec<serde_json::Value> = ints.iter().map(|r| serde_json::json!(r)).collect();
    want_ints.push(serde_json::json!([7]));
    assert_eq!(seen["/ints"]["rows"], serde_json::json!(want_ints));
    assert_eq!(seen["/ints"]["atom"], "Int32Atom");
    assert_eq!(seen["/ints"]["title"], "ints");
    assert_eq!(seen["/pairs"]["rows"], serde_json::json!([[[1.0, 2.0], [3.0, 4.0]], []]));
    assert_eq!(seen["/strs"]["atom"], "VLStringAtom");
    assert_eq!(seen["/strs"]["rows"], serde_json::json!(["alpha", "", "\u{0}\u{ff}z"]));
    assert_eq!(seen["/unis"]["atom"], "VLUnicodeAtom");
    assert_eq!(seen["/unis"]["rows"], serde_json::json!(unis));
}

/// Fletcher-32 (PyTables' `Filters(fletcher32=True)`): written after the compressor by the
/// library and by the raw encoder, checked on every read by both paths, a damaged chunk an
/// error naming it, and PyTables sees the filter and the values.
#[test]
fn fletcher32_is_written_checked_and_read_by_pytables() {
    use ndarray::Array1;
    use outcore_h5::{Complib, Filters};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("f32.h5");
    let n = 5000usize;
    let values: Vec<f64> = (0..n).map(|i| (i as f64).sqrt()).collect();
    let want: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let (addr, size) = {
        let f = File::open(&path, Mode::Write).expect("creates");
        for (name, fl) in [
            ("zlib", Filters::zlib(3).with_fletcher32(true)),
            ("b2", Filters::new(Complib::Blosc2Lz4, 5).with_fletcher32(true)),
            ("plain", Filters::default().with_fletcher32(true)),
        ] {
            let leaf =
                f.create_carray("/", name, Array1::from(values.clone()).view(), Some(&[1000]), Some(&fl), "").unwrap();
            assert_eq!(leaf.filters(), Some(fl), "{name}");
            assert!(leaf.filters_text().ends_with("fletcher32"), "{}", leaf.filters_text());
            assert_eq!(leaf.read_bytes().expect("H5Dread"), want, "{name}");
            assert_eq!(leaf.read_parallel().expect("raw"), want, "{name}");
        }
        // The raw encoder adds the checksum HDF5 checks.
        let fl = Filters::zlib(1).with_fletcher32(true);
        let raw = f.create_carray("/", "raw", Array1::<f64>::zeros(n).view(), Some(&[1000]), Some(&fl), "").unwrap();
        let enc = raw.encoder().expect("encoder");
        let mut encoded = Vec::new();
        for start in (0..n).step_by(1000) {
            let mask = enc.encode(&want[start * 8..(start + 1000) * 8], &mut encoded).expect("encodes");
            raw.write_raw_chunk(&[start as u64], mask, &encoded).expect("writes");
        }
        assert_eq!(raw.read_bytes().expect("H5Dread checks the sums"), want);
        let c = &f.leaf("/zlib").unwrap().chunks().unwrap()[2];
        (c.addr as usize, c.size as usize)
    };
    let Some(seen) = pytables_sees(&path) else { return };
    let sum: f64 = values.iter().sum();
    for name in ["/zlib", "/b2", "/plain", "/raw"] {
        let got = seen[name]["sum"].as_f64().expect("sum");
        assert!((got - sum).abs() < 1e-6, "{name}: {got} vs {sum}");
    }
    // One byte of a chunk's compressed data flipped: both paths refuse the chunk.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[addr + size / 2] ^= 0x10;
    let bad = dir.path().join("bad.h5");
    std::fs::write(&bad, &bytes).unwrap();
    let f = File::open(&bad, Mode::Read).expect("opens");
    let leaf = f.leaf("/zlib").unwrap();
    let e = leaf.read_parallel().expect_err("damaged").to_string();
    assert!(e.contains("chunk [2000]") && e.contains("fletcher32 checksum"), "{e}");
    assert!(leaf.read_bytes().is_err(), "the library checks too");
}
