//! Table queries: PyTables' answers on tables it wrote (every column type, strings, NaN,
//! nested columns, ranges, three filters and odd chunks), errors with a caret, rows updated
//! while iterating, and appends.

use outcore::h5::{File, Mode};
use outcore::{Operand, RowRange, Table, Value};

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytables").join(name)
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("outcore-query-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

#[test]
fn coordinates_equal_pytables_get_where_list() {
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("query.json")).expect("fixture")).expect("json");
    let f = File::open(fixture("query.h5"), Mode::Read).expect("opens");
    let cases = spec["cases"].as_array().expect("cases");
    for table in spec["tables"].as_array().unwrap() {
        let t = Table::open(&f, table.as_str().unwrap()).expect("table");
        for (k, case) in cases.iter().enumerate() {
            let cond = case["cond"].as_str().unwrap();
            let bytes_vars: Vec<&str> =
                case["bytes_vars"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
            let mut vars: Vec<(String, Operand<'_>)> = Vec::new();
            for (name, v) in case["vars"].as_object().unwrap() {
                let op = if bytes_vars.contains(&name.as_str()) {
                    Operand::Scalar(Value::Bytes(v.as_str().unwrap().as_bytes().to_vec()))
                } else if let Some(i) = v.as_i64() {
                    Operand::Scalar(Value::Int64(i))
                } else {
                    Operand::Scalar(Value::Float64(v.as_f64().unwrap()))
                };
                vars.push((name.clone(), op));
            }
            for (name, path) in case["nested"].as_object().unwrap() {
                let col = t.col(path.as_str().unwrap()).unwrap();
                vars.push((name.clone(), outcore::IntoOperand::into_operand(&col)));
            }
            let at = |i: usize| case["range"].as_array().and_then(|r| r.get(i)).and_then(|v| v.as_i64());
            let range = RowRange::new(at(0), at(1), at(2));
            let got = t.get_where_list(cond, &vars, range).unwrap_or_else(|e| panic!("{table} {cond}: {e}"));
            let want: Vec<u64> = case["coords"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
            let lone_start = at(0).is_some() && at(1).is_none() && at(2).is_none();
            if lone_start {
                // A deliberate difference: PyTables 3.11 reads one row, outcore to the end
                // (the next case is the same range written out).
                assert!(want.len() <= 1, "{cond}");
                let explicit: Vec<u64> =
                    cases[k + 1]["coords"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
                assert_eq!(got, explicit, "{table} {cond} lone start");
                continue;
            }
            assert_eq!(got, want, "{table} {cond} {:?}", case["range"]);
            // The other ways to ask give the same rows.
            let count = t.count_where(cond, &vars, range).unwrap();
            assert_eq!(count as usize, want.len(), "{table} {cond} count");
            let rows: Vec<u64> = t.where_vars(cond, &vars, range).unwrap().map(|r| r.unwrap().nrow()).collect();
            assert_eq!(rows, want, "{table} {cond} where_");
            let recs = t.read_where(cond, &vars, Some("i32"), range).unwrap();
            assert_eq!(recs.coords, want, "{table} {cond} read_where");
        }
    }
}

#[test]
fn conditions_with_errors_say_what_and_where() {
    let f = File::open(fixture("query.h5"), Mode::Read).expect("opens");
    let t = Table::open(&f, "/tz").unwrap();
    let other = Table::open(&f, "/tb").unwrap();
    let all = RowRange::default();
    let err = |cond: &str, vars: &[(String, Operand<'_>)]| t.get_where_list(cond, vars, all).unwrap_err().to_string();
    let e = err("i32 + 1", &[]);
    assert!(e.contains("must be boolean") && e.contains("int32"), "{e}");
    assert!(e.contains('^'), "{e}");
    let e = err("f6 > 0", &[]);
    assert!(e.contains("unknown name `f6`") && e.contains("did you mean `f64`"), "{e}");
    let e = err("lim > 0", &[("lim".into(), Operand::Scalar(Value::Float64(1.0)))]);
    assert!(e.contains("no column"), "{e}");
    let col = other.col("f64").unwrap();
    let e = err("x > 0", &[("x".into(), outcore::IntoOperand::into_operand(&col))]);
    assert!(e.contains("not a column of this table"), "{e}");
    let e = err("c > 0", &[]);
    assert!(e.contains('^') && e.to_lowercase().contains("complex"), "{e}");
    let e = err("loc > 0", &[]);
    assert!(e.contains("loc"), "{e}");
    let e = err("sum(f64) > 0", &[]);
    assert!(e.contains("reduction"), "{e}");
    insta::assert_snapshot!("query_not_boolean", err("i32 + 1", &[]));
    insta::assert_snapshot!("query_unknown_column", err("(f64 > 0.5) & (f6 < 1)", &[]));
    insta::assert_snapshot!("query_no_column", err("lim > 0", &[("lim".into(), Operand::Scalar(Value::Float64(1.0)))]));
    assert!(t.get_where_list("b", &[], RowRange::new(None, None, Some(0))).is_err());
    assert!(t.get_where_list("b", &[], RowRange::new(None, None, Some(-2))).is_err());
    // Ranges out of bounds are empty, as Python slices.
    assert!(t.get_where_list("b", &[], RowRange::new(Some(5000), None, None)).unwrap().is_empty());
}

#[test]
fn rows_update_while_iterating_and_appends_go_to_another_table() {
    let path = scratch("update.h5");
    std::fs::copy(fixture("query.h5"), &path).unwrap();
    let f = File::open(&path, Mode::Append).unwrap();
    let t = Table::open(&f, "/tz").unwrap();
    let all = RowRange::default();
    let before = t.get_where_list("b & (i8 > 0)", &[], all).unwrap();
    assert!(!before.is_empty());
    for row in t.where_("b & (i8 > 0)").unwrap() {
        let mut row = row.unwrap();
        assert!(row.get::<bool>("b").unwrap());
        let lat: f64 = row.get("loc/lat").unwrap();
        row.set("b", false).unwrap();
        row.set("loc/lat", lat + 1000.0).unwrap();
        row.update().unwrap();
    }
    t.flush().unwrap();
    assert!(t.get_where_list("b & (i8 > 0)", &[], all).unwrap().is_empty());
    let moved = t
        .get_where_list(
            "lat > 500",
            &[("lat".into(), outcore::IntoOperand::into_operand(&t.col("loc/lat").unwrap()))],
            all,
        )
        .unwrap();
    assert_eq!(moved, before);
    // Appending the matches to a new table with the same columns, twice.
    let dest = t.create_like(&f, "/", "dest", t.leaf().filters().as_ref()).unwrap();
    let n = t.where_append(&dest, "f64 > 0.5", &[], all).unwrap();
    let n2 = t.where_append(&dest, "f64 > 0.5", &[], all).unwrap();
    assert_eq!(n, n2);
    let want = t.read_where("f64 > 0.5", &[], None, all).unwrap();
    let got = dest.leaf().read_bytes().unwrap();
    assert_eq!(got.len(), 2 * want.data.len());
    assert_eq!(&got[..want.data.len()], &want.data[..]);
    assert_eq!(&got[want.data.len()..], &want.data[..]);
    // A destination of other columns is refused; one of the same columns is accepted.
    let odd = f
        .create_table(
            "/",
            "odd",
            &outcore::h5::Layout {
                kind: outcore::h5::Kind::Record(vec![outcore::h5::Field {
                    name: "x".into(),
                    offset: 0,
                    kind: outcore::h5::Kind::Float { size: 8 },
                }]),
                size: 8,
            },
            10,
            None,
            None,
            "",
        )
        .unwrap();
    let e = t.where_append(&odd, "b", &[], all).unwrap_err().to_string();
    assert!(e.contains("/odd") && e.contains("columns"), "{e}");
    assert!(t.where_append(&f.leaf("/tn").unwrap(), "b", &[], all).is_ok());
    // Iterating stops early without reading the whole table.
    let first: Vec<u64> = t.where_("f64 > 0.1").unwrap().take(3).map(|r| r.unwrap().nrow()).collect();
    assert_eq!(first.len(), 3);
}

/// The seed tutorial's query: `&` binds tighter than `|`, as in Python, so it reads
/// `A | (B & C)`, not `(A | B) & C`.
#[test]
fn the_seeds_complex_query_is_a_or_b_and_c() {
    const COND: &str =
        "(((col4 >= lim1) & (col4 < lim2)) | ((col2 > lim3) & (col2 < lim4)) & ((col1 + 3.1*col2 + col3*col4) > lim5))";
    let path = scratch("seed.h5");
    let f = File::open(&path, Mode::Write).unwrap();
    let layout = outcore::raw::bench_file::layout();
    let n = 30_000;
    let mut x: u64 = 99;
    let mut bits = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut recs = Vec::new();
    let mut rows = Vec::new();
    for _ in 0..n {
        // col2 and col4 in 0..100; col1 and col3 any bits (huge, tiny, NaN), which also keeps
        // blosc from shrinking a chunk.
        let mut rnd = || (bits() >> 11) as f64 / (1u64 << 53) as f64 * 100.0;
        let (c2, c4) = (rnd(), rnd());
        let (c1, c3) = (bits() as i32, f64::from_bits(bits()));
        recs.extend_from_slice(&c1.to_ne_bytes());
        for v in [c2, c3, c4] {
            recs.extend_from_slice(&v.to_ne_bytes());
        }
        rows.push((c1, c2, c3, c4));
    }
    let hit = |&(c1, c2, c3, c4): &(i32, f64, f64, f64)| {
        let a = (20.0..30.0).contains(&c4);
        let b = c2 > 40.0 && c2 < 50.0;
        let c = (c1 as f64 + 3.1 * c2 + c3 * c4) > 3000.0;
        a || (b && c)
    };
    let want: Vec<u64> = rows.iter().enumerate().filter(|(_, r)| hit(r)).map(|(i, _)| i as u64).collect();
    let lims = outcore::vars! {"lim1" => 20.0, "lim2" => 30.0, "lim3" => 40.0, "lim4" => 50.0, "lim5" => 3000.0};
    // zlib shrinks every chunk; blosc cannot shrink these random values at level 1 and stores
    // them as they are, its bit set in each chunk's filter mask (read straight into place).
    let blosc = outcore::h5::Filters {
        complevel: 1,
        complib: outcore::h5::Complib::Blosc,
        shuffle: false,
        bitshuffle: false,
        fletcher32: false,
    };
    for (name, filters) in [("zlib", outcore::h5::Filters::zlib(5)), ("blosc", blosc)] {
        let leaf = f.create_table("/", name, &layout, 3000, None, Some(&filters), "").unwrap();
        leaf.append_records(&recs).unwrap();
        let masked = leaf.chunks().unwrap().iter().filter(|c| c.filter_mask != 0).count();
        assert_eq!(masked > 0, name == "blosc", "{name}: {masked} chunks stored unfiltered");
    }
    drop(f);
    // Read-only, so chunks are read with pread (stored-as-is ones straight into place); and
    // written, so through the library.
    let mut got = Vec::new();
    for mode in [Mode::Read, Mode::ReadWrite] {
        let f = File::open(&path, mode).unwrap();
        for name in ["zlib", "blosc"] {
            let t = Table::new(&f.leaf(&format!("/{name}")).unwrap()).unwrap();
            got = t.get_where_list(COND, &lims, RowRange::default()).unwrap();
            assert_eq!(got, want, "{name} {mode:?}");
            assert_eq!(t.count_where(COND, &lims, RowRange::default()).unwrap(), want.len() as u64, "{name}");
        }
    }
    let other: usize = rows
        .iter()
        .filter(|&&(c1, c2, c3, c4)| {
            ((20.0..30.0).contains(&c4) || (c2 > 40.0 && c2 < 50.0)) && (c1 as f64 + 3.1 * c2 + c3 * c4) > 3000.0
        })
        .count();
    assert_ne!(got.len(), other, "the other reading gives other rows");
}

/// A blosc2 chunk larger than a slab (PyTables' blosc2 chunks may hold a whole table) is
/// read in part, each slab only its own rows from the file: queries, rows and expressions give
/// the same answers over any range, across the chunk boundary, and for a chunk stored as it
/// is (the filter skipped in its mask).
#[test]
fn blosc2_chunks_larger_than_a_slab_are_read_in_part() {
    use outcore::h5::{Complib, Field, Filters, Kind, Layout};
    let path = scratch("big-chunk-blosc2.h5");
    let n = 600_000usize;
    let x = |i: usize| ((i * 7919) % 1013) as f64 * 0.25 - 40.0;
    let q = |i: usize| ((i * 13) % 101) as i32 - 50;
    let layout = Layout {
        kind: Kind::Record(vec![
            Field { name: "x".into(), offset: 0, kind: Kind::Float { size: 8 } },
            Field { name: "q".into(), offset: 8, kind: Kind::Int { size: 4, signed: true } },
        ]),
        size: 12,
    };
    let recs: Vec<u8> = (0..n).flat_map(|i| x(i).to_ne_bytes().into_iter().chain(q(i).to_ne_bytes())).collect();
    let fl = Filters { complevel: 5, complib: Complib::Blosc2Lz4, shuffle: true, bitshuffle: false, fletcher32: false };
    {
        let f = File::open(&path, Mode::Write).unwrap();
        // 400,000-row chunks: 4.8 MB each, past what a slab reads whole.
        let t = f.create_table("/", "t", &layout, n as u64, Some(400_000), Some(&fl), "").unwrap();
        t.append_records(&recs).unwrap();
        let a = ndarray::Array1::from_iter((0..n).map(x));
        f.create_carray("/", "a", a.view(), Some(&[n]), Some(&fl), "").unwrap();
        // The same values, the one chunk stored as it is.
        let b = f.create_carray("/", "b", ndarray::Array1::<f64>::zeros(n).view(), Some(&[n]), Some(&fl), "").unwrap();
        let plain: Vec<u8> = (0..n).flat_map(|i| x(i).to_le_bytes()).collect();
        b.write_raw_chunk(&[0], 1, &plain).unwrap();
    }
    let f = File::open(&path, Mode::Read).unwrap();
    let t = Table::open(&f, "/t").unwrap();
    let none: Vec<(String, Operand<'_>)> = Vec::new();
    let cond = "(x > 10) & (q < 0)";
    for (start, stop, step) in [
        (None, None, None),
        (Some(123_457), Some(580_001), None),
        (Some(5), None, Some(7)),
        (Some(399_990), Some(400_020), None),
        (Some(1), Some(n as i64), Some(99_991)),
    ] {
        let range = RowRange::new(start, stop, step);
        let (first, st, k) = range.resolve(n).unwrap();
        let want: Vec<u64> =
            (0..k).map(|i| first + i * st).filter(|&r| x(r) > 10.0 && q(r) < 0).map(|r| r as u64).collect();
        assert_eq!(t.get_where_list(cond, &none, range).unwrap(), want, "{range:?}");
        assert_eq!(t.count_where(cond, &none, range).unwrap(), want.len() as u64);
        let got: Vec<(u64, i32)> = t
            .where_vars(cond, &none, range)
            .unwrap()
            .map(|r| r.unwrap())
            .map(|r| (r.nrow(), r.get("q").unwrap()))
            .collect();
        let with_q: Vec<(u64, i32)> = want.iter().map(|&r| (r, q(r as usize))).collect();
        assert_eq!(got, with_q, "{range:?}");
        for name in ["a", "b"] {
            let leaf = f.leaf(&format!("/{name}")).unwrap();
            let e = outcore::Expr::new("sum(a * 2)").unwrap().bind("a", &leaf).unwrap();
            let e = e.set_inputs_range(start, stop, step).unwrap();
            let got = e.eval().unwrap().into_f64().unwrap().into_raw_vec_and_offset().0;
            let want: f64 = (0..k).map(|i| x(first + i * st) * 2.0).sum();
            assert!((got[0] - want).abs() <= want.abs() * 1e-12 + 1e-6, "{name} {range:?}: {} vs {want}", got[0]);
        }
    }
}

/// Tables and arrays stored big-endian (tests/fixtures/pytables/bigendian.h5, from
/// scripts/make_byteorder_fixture.py) read, query and take appends in this machine's order,
/// as PyTables does: every kind of column (nested, arrays, complex, unsigned, bools,
/// strings), through the raw chunk path and the library's.
#[test]
fn big_endian_tables_and_arrays_read_right() {
    let f = File::open(fixture("bigendian.h5"), Mode::Read).expect("opens");
    let t = Table::open(&f, "/t").expect("a big-endian table opens");
    assert_eq!(t.column::<i64>("i", ..).unwrap().to_vec(), (0..100).collect::<Vec<i64>>());
    let hits = t.read_where("(i > 90) & (x < 190)", &[], None, ..).unwrap();
    assert_eq!(hits.column::<f64>("x").unwrap().to_vec(), vec![182.0, 184.0, 186.0, 188.0]);
    assert_eq!(t.get_where_list("x == 20", &[], ..).unwrap(), vec![10]);
    let leaf = f.leaf("/t").unwrap();
    let recs = leaf.read_records(3, 5, 1).unwrap();
    assert_eq!(&recs[..4], &3i32.to_ne_bytes());
    assert_eq!(&recs[4..12], &6.0f64.to_ne_bytes());
    assert_eq!(&leaf.read_coords(&[7]).unwrap()[4..12], &14.0f64.to_ne_bytes());
    let r = outcore::Expr::new("sum(x * 2)").unwrap().bind("x", &leaf.col("x").unwrap()).unwrap().eval().unwrap();
    assert_eq!(r.into_f64().unwrap().into_raw_vec_and_offset().0, vec![(0..100).map(|i| 4.0 * i as f64).sum::<f64>()]);

    // Every kind of column, zlib-compressed (the raw path decodes chunks itself).
    let n = Table::open(&f, "/n").expect("opens");
    let rows: Vec<u64> = (0..333u64).filter(|&i| (i * 7) % 65536 > 20 && 4_000_000_000 - i < 3_999_999_990).collect();
    let pn = f.leaf("/n").unwrap().col("pos/n").unwrap();
    let vars = [("pn".to_string(), outcore::IntoOperand::into_operand(&pn))];
    assert_eq!(n.get_where_list("(u16 > 20) & (pn < 3999999990)", &vars, ..).unwrap(), rows);
    let hits = n.read_where("(i64 < -1000) & ok & (real(z) > imag(z))", &[], None, ..).unwrap();
    let want: Vec<i64> = (0..333i64).filter(|&i| -(i.pow(3)) < -1000 && i % 3 == 0).collect();
    assert_eq!(hits.column::<i64>("i64").unwrap().to_vec(), want.iter().map(|i| -(i.pow(3))).collect::<Vec<_>>());
    assert_eq!(hits.column::<f32>("f32").unwrap().to_vec(), want.iter().map(|&i| i as f32 / 8.0).collect::<Vec<_>>());
    assert_eq!(
        hits.column::<f64>("pos/lat").unwrap().to_vec(),
        want.iter().map(|&i| i as f64 * 0.25).collect::<Vec<_>>()
    );
    assert_eq!(
        hits.column::<u32>("pos/n").unwrap().to_vec(),
        want.iter().map(|&i| 4_000_000_000 - i as u32).collect::<Vec<_>>()
    );
    assert_eq!(hits.column::<String>("s").unwrap()[1], format!("r{}", want[1]));
    let v = n.column::<f64>("u16", ..).unwrap();
    assert_eq!(v[332], 2324.0);
    // An array column as an operand, and a range that starts inside a chunk.
    let r = outcore::Expr::new("sum(v)").unwrap().bind("v", &f.leaf("/n").unwrap().col("v").unwrap()).unwrap();
    let sum = r.eval().unwrap().into_f64().unwrap().into_raw_vec_and_offset().0[0];
    assert_eq!(sum, (0..333).map(|i| i as f64 + 0.5).sum::<f64>());
    assert_eq!(n.count_where("f32 >= 40", &[], RowRange::new(Some(30), Some(330), Some(3))).unwrap(), 3);

    let c = f.leaf("/c").unwrap();
    assert!(c.swapped());
    let r = outcore::Expr::new("sum(c)").unwrap().bind("c", &c).unwrap().eval().unwrap();
    assert_eq!(r.into_f64().unwrap().into_raw_vec_and_offset().0, vec![(0..300).map(|i| i as f64 * 0.5).sum::<f64>()]);
    let e = f.leaf("/e").unwrap();
    let r = outcore::Expr::new("e + 1").unwrap().bind("e", &e).unwrap().eval().unwrap();
    assert_eq!(r.into_i32().unwrap().into_raw_vec_and_offset().0, (1..41).collect::<Vec<i32>>());
}

/// Writes into a big-endian table (appends through the library and as raw chunks, row
/// updates, rows appended from a query) store the other byte order, so PyTables reads
/// back what was written.
#[test]
fn big_endian_tables_take_writes_in_their_own_order() {
    let dir = std::env::temp_dir().join(format!("outcore-query-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("be.h5");
    std::fs::copy(fixture("bigendian.h5"), &path).unwrap();
    {
        let f = File::open(&path, Mode::ReadWrite).unwrap();
        let t = Table::open(&f, "/t").unwrap();
        let mut recs = Vec::new();
        for i in 100..300i32 {
            recs.extend_from_slice(&i.to_ne_bytes());
            recs.extend_from_slice(&(2.0 * i as f64).to_ne_bytes());
        }
        t.append_records(&recs).unwrap();
        let mut one = Vec::from(5i32.to_ne_bytes());
        one.extend_from_slice(&(-1.0f64).to_ne_bytes());
        t.update_row(5, &one).unwrap();
        t.flush().unwrap();
        // Appended from a query into itself: 100 rows, 3 chunks of 32 among them raw.
        assert_eq!(t.where_append(&t, "(i >= 150) & (i < 250)", &[], ..).unwrap(), 100);
        let n = t.nrows();
        assert_eq!(n, 400);
        assert_eq!(
            t.column::<f64>("x", 300..).unwrap().to_vec(),
            (150..250).map(|i| 2.0 * i as f64).collect::<Vec<_>>()
        );
        assert_eq!(t.count_where("x < 0", &[], ..).unwrap(), 1);
    }
    if let Some(py) = crate::cli::peers_python() {
        let script = format!(
            "import tables\nwith tables.open_file({p:?}) as f:\n    t = f.root.t\n    assert t.byteorder == 'big'\n    \
             x = t.col('x'); i = t.col('i')\n    assert list(i[:300]) == list(range(300)) and list(i[300:]) == list(range(150, 250))\n    \
             assert x[5] == -1.0 and all(x[k] == 2.0 * i[k] for k in range(400) if k != 5)\n    print('ok')\n",
            p = path.display().to_string()
        );
        let out = std::process::Command::new(py).args(["-c", &script]).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok", "{}", String::from_utf8_lossy(&out.stderr));
    }
}
