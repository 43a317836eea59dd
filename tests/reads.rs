//! Typed reads are exact and checked, and a read-only handle never writes (the Rust API
//! defects of issue 13).

use outcore::h5::{Field, File, Kind, Layout, Mode};
use outcore::{RowRange, Table};

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("outcore-reads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

const STAMPS: [i64; 4] = [(1 << 53) + 1, 1_733_000_000_123_456_789, 1_733_000_000_123_456_791, -(1 << 62) - 3];

/// A table of int64 timestamps, float32 energies and 8-byte names.
fn sensor_table(path: &std::path::Path) -> File {
    let f = File::open(path, Mode::Write).unwrap();
    let fields = vec![
        Field { name: "t".into(), offset: 0, kind: Kind::Int { size: 8, signed: true } },
        Field { name: "energy".into(), offset: 8, kind: Kind::Float { size: 4 } },
        Field { name: "name".into(), offset: 12, kind: Kind::Bytes(8) },
        Field { name: "n".into(), offset: 20, kind: Kind::Int { size: 2, signed: false } },
    ];
    let layout = Layout { kind: Kind::Record(fields), size: 22 };
    let leaf = f.create_table("/", "s", &layout, 16, None, None, "").unwrap();
    let mut rows = Vec::new();
    for (i, t) in STAMPS.iter().enumerate() {
        rows.extend_from_slice(&t.to_ne_bytes());
        rows.extend_from_slice(&(i as f32 + 0.5).to_ne_bytes());
        let mut name = [0u8; 8];
        name[..5].copy_from_slice(format!("dev-{i}").as_bytes());
        rows.extend_from_slice(&name);
        rows.extend_from_slice(&(60_000 + i as u16).to_ne_bytes());
    }
    leaf.append_records(&rows).unwrap();
    f.flush().unwrap();
    f
}

#[test]
fn int64_values_are_read_exactly() {
    let path = scratch("stamps.h5");
    let f = sensor_table(&path);
    let t = Table::open(&f, "/s").unwrap();
    let all = RowRange::default();
    let got: Vec<i64> = t.where_("energy > 0").unwrap().map(|r| r.unwrap().get::<i64>("t").unwrap()).collect();
    assert_eq!(got, STAMPS);
    let rec = t.read_where("energy > 0", &[], Some("t"), all).unwrap();
    assert_eq!(rec.values::<i64>().unwrap(), STAMPS);
    let whole = t.read_where("energy > 0", &[], None, all).unwrap();
    assert_eq!(whole.get::<i64>(2, "t").unwrap(), 1_733_000_000_123_456_791);
    // Conditions compare int64 exactly too.
    let hits = t.get_where_list("t == k", &[("k".into(), outcore::IntoOperand::into_operand(STAMPS[2]))], all).unwrap();
    assert_eq!(hits, vec![2]);
    // Widening reads are exact; uint16 into i32, float32 into f64.
    let row = t.where_("t == 9007199254740993").unwrap().next().unwrap().unwrap();
    assert_eq!(row.get::<i32>("n").unwrap(), 60_000);
    assert_eq!(row.get::<f64>("energy").unwrap(), 0.5);
    assert_eq!(row.get::<String>("name").unwrap(), "dev-0");
}

#[test]
fn reads_as_a_type_the_column_does_not_convert_to_are_errors() {
    let path = scratch("kinds.h5");
    let f = sensor_table(&path);
    let t = Table::open(&f, "/s").unwrap();
    let row = t.where_("energy > 0").unwrap().next().unwrap().unwrap();
    let err = |e: outcore::Error| e.to_string();
    assert_eq!(err(row.get::<String>("energy").unwrap_err()), "column `energy` is float32; it cannot be read as str");
    assert_eq!(err(row.get::<Vec<u8>>("t").unwrap_err()), "column `t` is int64; it cannot be read as bytes");
    assert_eq!(err(row.get::<i64>("energy").unwrap_err()), "column `energy` is float32; it cannot be read as int64");
    assert_eq!(err(row.get::<u64>("t").unwrap_err()), "column `t` is int64; it cannot be read as uint64");
    assert_eq!(err(row.get::<f64>("name").unwrap_err()), "column `name` is S8; it cannot be read as float64");
    assert_eq!(err(row.get::<i32>("t").unwrap_err()), "column `t` holds 9007199254740993, which does not fit in int32");
    let rec = t.read_where("energy > 0", &[], Some("energy"), RowRange::default()).unwrap();
    assert_eq!(err(rec.values::<String>().unwrap_err()), "the values read is float32; it cannot be read as str");
    assert_eq!(rec.values::<f32>().unwrap(), vec![0.5, 1.5, 2.5, 3.5]);
    // Writes follow the same rule.
    let mut row = row;
    assert_eq!(err(row.set("t", 1.5f64).unwrap_err()), "column `t` is int64; a float64 value cannot be stored in it");
    assert_eq!(err(row.set("n", 70_000i64).unwrap_err()), "column `n` is uint16; 70000 does not fit in it");
    assert_eq!(err(row.set("n", -1).unwrap_err()), "column `n` is uint16; -1 does not fit in it");
    row.set("n", 65_535).unwrap();
    assert_eq!(row.get::<u16>("n").unwrap(), 65_535);
    assert_eq!(
        err(row.set("name", "far too long".to_string()).unwrap_err()),
        "column `name` is S8; a string of 12 bytes (the column holds 8) does not fit in it"
    );
}

#[test]
fn a_read_only_handle_refuses_every_write() {
    let path = scratch("readonly.h5");
    drop(sensor_table(&path));
    let before = std::fs::read(&path).unwrap();
    // Alone.
    {
        let f = File::open(&path, Mode::Read).unwrap();
        let t = Table::open(&f, "/s").unwrap();
        let mut row = t.where_("energy > 0").unwrap().next().unwrap().unwrap();
        row.set("energy", 9.0f32).unwrap();
        let e = row.update().unwrap_err();
        assert_eq!(e.kind(), outcore::ErrorKind::ReadOnly);
        let e = e.to_string();
        assert!(e.ends_with("/s: the file is open read-only (mode r)"), "{e}");
        let leaf = f.leaf("/s").unwrap();
        for e in [
            leaf.append_records(&[0u8; 22]).unwrap_err(),
            leaf.modify_records(0, &[0u8; 22]).unwrap_err(),
            leaf.resize_rows(1).unwrap_err(),
            leaf.set_nrows(1).unwrap_err(),
        ] {
            assert!(matches!(e, outcore::h5::Error::ReadOnly { .. }), "{e:?}");
            assert!(e.to_string().ends_with("the file is open read-only (mode r)"), "{e}");
        }
        let dest = File::open(scratch("readonly-dest.h5"), Mode::Write).unwrap();
        let d = t.create_like(&dest, "/", "d", None).unwrap();
        drop(dest);
        let _ = d;
    }
    // Beside a read-write handle of the same file in this process.
    {
        let rw = File::open(&path, Mode::Append).unwrap();
        let f = File::open(&path, Mode::Read).unwrap();
        let t = Table::open(&f, "/s").unwrap();
        for row in t.where_("energy > 0").unwrap() {
            let mut row = row.unwrap();
            row.set("energy", 9.0f32).unwrap();
            let e = row.update().unwrap_err().to_string();
            assert!(e.ends_with("the file is open read-only (mode r)"), "{e}");
        }
        let w = Table::open(&rw, "/s").unwrap();
        assert_eq!(w.count_where("energy == 9", &[], RowRange::default()).unwrap(), 0);
        let out = f.leaf("/s").unwrap();
        let e = outcore::Expr::new("t * 2").unwrap().bind("t", &t.col("t").unwrap()).unwrap().set_output(&out);
        assert!(e.is_err());
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file changed");
}

/// What a PyTables user reaches for: Rust ranges, whole reads and typed columns, a
/// destination `Table` from `create_like`, `Filters` constructors and `Value` accessors.
#[test]
fn the_api_a_pytables_user_reaches_for() {
    use outcore::h5::{Complib, Filters};
    use outcore::Value;
    let path = scratch("habits.h5");
    let f = sensor_table(&path);
    let t = Table::open(&f, "/s").unwrap();
    // Ranges as Rust ranges, Python's slice rules (negative from the end).
    assert_eq!(t.get_where_list("energy > 0", &[], 1..3).unwrap(), vec![1, 2]);
    assert_eq!(t.get_where_list("energy > 0", &[], RowRange::from(0..).step(2)).unwrap(), vec![0, 2]);
    assert_eq!(t.get_where_list("energy > 0", &[], -2..).unwrap(), vec![2, 3]);
    assert_eq!(t.count_where("energy > 0", &[], ..3).unwrap(), 3);
    // Whole rows and typed columns, exact.
    let all = t.read(..).unwrap();
    assert_eq!(all.coords, vec![0, 1, 2, 3]);
    assert_eq!(all.column::<i64>("t").unwrap().to_vec(), STAMPS);
    assert_eq!(t.column::<i64>("t", 1..).unwrap().to_vec(), STAMPS[1..]);
    assert_eq!(t.column::<f32>("energy", RowRange::from(..4).step(3)).unwrap().to_vec(), vec![0.5, 3.5]);
    assert_eq!(t.column::<String>("name", 3..).unwrap().to_vec(), vec!["dev-3".to_string()]);
    let e = t.column::<f64>("nope", ..).unwrap_err().to_string();
    assert_eq!(e, "no column `nope` (columns: t, energy, name, n)");
    assert_eq!(
        t.column::<i8>("energy", ..).unwrap_err().to_string(),
        "column `energy` is float32; it cannot be read as int8"
    );
    // create_like gives a Table; where_append takes it (or a Leaf).
    let out = File::open(scratch("habits-out.h5"), Mode::Write).unwrap();
    let dest = t.create_like(&out, "/", "big", Some(&Filters::zlib(5))).unwrap();
    assert_eq!(t.where_append(&dest, "t > 0", &[], ..).unwrap(), 3);
    assert_eq!(t.where_append(dest.leaf(), "t < 0", &[], ..).unwrap(), 1);
    assert_eq!(dest.column::<i64>("t", ..).unwrap().to_vec(), [&STAMPS[..3], &STAMPS[3..]].concat());
    // Filters: PyTables' defaults and names.
    assert_eq!(
        Filters::default(),
        Filters { complevel: 0, complib: Complib::Zlib, shuffle: false, bitshuffle: false, fletcher32: false }
    );
    assert_eq!(
        Filters::zlib(5),
        Filters { complevel: 5, complib: Complib::Zlib, shuffle: true, bitshuffle: false, fletcher32: false }
    );
    assert_eq!(Filters::blosc(9).complib, Complib::Blosc);
    assert!(!Filters::zlib(0).shuffle);
    let bits = Filters::blosc(5).with_bitshuffle(true);
    assert!(bits.bitshuffle && !bits.shuffle);
    assert!(!Filters::zlib(1).with_shuffle(false).shuffle);
    // Value accessors.
    assert_eq!(Value::Int64(STAMPS[1]).as_i64(), Some(STAMPS[1]));
    assert_eq!(Value::Int32(3).as_f64(), Some(3.0));
    assert_eq!(Value::Float32(0.5).as_f64(), Some(0.5));
    assert_eq!(Value::Float64(1.5).as_i64(), None);
    assert_eq!(Value::Bool(true).as_bool(), Some(true));
    assert_eq!(Value::Complex128(1.0, 2.0).as_complex(), Some((1.0, 2.0)));
    assert_eq!(Value::Complex128(1.0, 2.0).as_f64(), None);
    assert_eq!(Value::Bytes(b"ab".to_vec()).as_bytes(), Some(&b"ab"[..]));
}

/// PyTables' `iterrows(start, stop, step)`: every row of a range, typed, updatable; and
/// `where` with condition variables and a range in one call.
#[test]
fn iterrows_gives_every_row_of_a_range_and_updates_them() {
    let path = scratch("iterrows.h5");
    drop(sensor_table(&path));
    let f = File::open(&path, Mode::Append).unwrap();
    let t = Table::open(&f, "/s").unwrap();
    let all: Vec<(u64, i64)> =
        t.iterrows(..).unwrap().map(|r| r.map(|r| (r.nrow(), r.get("t").unwrap())).unwrap()).collect();
    assert_eq!(all, STAMPS.iter().enumerate().map(|(i, &s)| (i as u64, s)).collect::<Vec<_>>());
    let odd: Vec<u64> = t.iterrows(RowRange::from(1..).step(2)).unwrap().map(|r| r.unwrap().nrow()).collect();
    assert_eq!(odd, vec![1, 3]);
    assert_eq!(t.iterrows(-1..).unwrap().len(), 1);
    assert_eq!(t.iterrows(RowRange::new(Some(3), Some(1), None)).unwrap().count(), 0);
    for row in t.iterrows(..2).unwrap() {
        let mut row = row.unwrap();
        row.set("energy", 100.0f32).unwrap();
        row.update().unwrap();
    }
    t.flush().unwrap();
    let vars = [("e".to_string(), outcore::IntoOperand::into_operand(99.0))];
    let hot: Vec<u64> = t.where_vars("energy > e", &vars, ..).unwrap().map(|r| r.unwrap().nrow()).collect();
    assert_eq!(hot, vec![0, 1]);
    let hot: Vec<u64> = t.where_vars("energy > e", &vars, 1..).unwrap().map(|r| r.unwrap().nrow()).collect();
    assert_eq!(hot, vec![1]);
    // A table larger than one read slab (about 1 MiB of records) reads in order.
    let f2 = File::open(scratch("iterrows-big.h5"), Mode::Write).unwrap();
    let fields = vec![Field { name: "i".into(), offset: 0, kind: Kind::Int { size: 8, signed: true } }];
    let big =
        f2.create_table("/", "b", &Layout { kind: Kind::Record(fields), size: 8 }, 300_000, None, None, "").unwrap();
    let rows: Vec<u8> = (0..300_000i64).flat_map(|v| (v * 3).to_ne_bytes()).collect();
    big.append_records(&rows).unwrap();
    let tb = Table::new(&big).unwrap();
    let mut n = 0i64;
    for row in tb.iterrows(RowRange::from(7..).step(3)).unwrap() {
        let row = row.unwrap();
        assert_eq!(row.nrow() as i64, 7 + 3 * n);
        assert_eq!(row.get::<i64>("i").unwrap(), (7 + 3 * n) * 3);
        n += 1;
    }
    assert_eq!(n, (300_000 - 7 + 2) / 3);
}

/// `row.update()` is batched: tens of thousands of updated rows (several batches), rows
/// updated out of order by two iterations, an iteration left early, and updates another
/// handle sees once the table is flushed; every value read back is the one written.
#[test]
fn row_updates_are_batched_and_all_land() {
    let path = scratch("updates.h5");
    let f = File::open(&path, Mode::Write).unwrap();
    let fields = vec![
        Field { name: "i".into(), offset: 0, kind: Kind::Int { size: 8, signed: true } },
        Field { name: "x".into(), offset: 8, kind: Kind::Float { size: 8 } },
    ];
    let n = 100_000i64;
    let leaf =
        f.create_table("/", "u", &Layout { kind: Kind::Record(fields), size: 16 }, n as u64, None, None, "").unwrap();
    let rows: Vec<u8> = (0..n).flat_map(|v| [v.to_ne_bytes(), 0f64.to_ne_bytes()].concat()).collect();
    leaf.append_records(&rows).unwrap();
    let t = Table::new(&leaf).unwrap();
    t.index_stats(&[]).unwrap();
    // Every third row: 33,334 updates, five batches.
    for row in t.where_("i % 3 == 0").unwrap() {
        let mut row = row.unwrap();
        let i: i64 = row.get("i").unwrap();
        row.set("x", i as f64 * 0.5).unwrap();
        row.update().unwrap();
    }
    // The same table sees them at once; statistics were widened (x was 0 everywhere).
    assert_eq!(t.count_where("x > 0", &[], ..).unwrap(), 33_333);
    assert_eq!(
        t.count_where("x > 49000", &[], ..).unwrap(),
        t.count_where("(i % 3 == 0) & (i > 98000)", &[], ..).unwrap()
    );
    // Two iterations updating rows out of order, one left after a few rows.
    let mut a = t.iterrows(50_000..).unwrap();
    let mut b = t.iterrows(..10).unwrap();
    for _ in 0..5 {
        let mut ra = a.next().unwrap().unwrap();
        ra.set("x", -1.0).unwrap();
        ra.update().unwrap();
        let mut rb = b.next().unwrap().unwrap();
        rb.set("x", -2.0).unwrap();
        rb.update().unwrap();
    }
    drop((a, b));
    let x = t.column::<f64>("x", ..).unwrap();
    assert_eq!(&x.as_slice().unwrap()[..6], &[-2.0, -2.0, -2.0, -2.0, -2.0, 0.0]);
    for (i, &v) in x.iter().enumerate() {
        let want = match i {
            0..=4 => -2.0,
            50_000..=50_004 => -1.0,
            _ if i % 3 == 0 => i as f64 * 0.5,
            _ => 0.0,
        };
        assert_eq!(v, want, "row {i}");
    }
    // Another handle reads them after a flush.
    t.flush().unwrap();
    let g = File::open(&path, Mode::Read).unwrap();
    let other = Table::open(&g, "/u").unwrap();
    assert_eq!(other.column::<f64>("x", ..).unwrap(), x);
    // A row past the end is refused when it is updated, not later.
    let e = t.update_row(n as u64, &[0u8; 16]).unwrap_err();
    assert!(e.to_string().contains("past the end"), "{e}");
}
