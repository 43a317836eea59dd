//! Chunk statistics (zone maps): queries that skip chunks give the full scan's rows and
//! PyTables' for hundreds of random conditions and ranges (sorted, clustered and random
//! columns, NaNs, bool and integer columns, int64 beyond 2^53, a partial last chunk);
//! outcore's appends and updates keep them current, other programs' appends and removals
//! leave them ignored; damaged statistics are an error naming their node; PyTables does not
//! see them; `query --explain` says what is read.

use outcore::h5::{AttrValue, Field, File, Kind, Layout, Mode};
use outcore::{Operand, RowRange, Statistics, Table, Value};

use crate::Rng;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("outcore-stats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

const ROWS: usize = 25_500;
const CHUNK: usize = 1000;
/// `t`'s first value: past 2^53, where float64 cannot hold every integer.
const T0: i64 = (1 << 53) + 1;

/// t: sorted int64 (step 3 from T0); c: clustered float64 (overlapping by chunk);
/// r: random float64 with NaNs; b: true in chunks 3 and 17 only; s: random int16 (chunk 5 all
/// 7); g: random float32; u: random uint32.
fn layout() -> Layout {
    let cols: [(&str, Kind); 7] = [
        ("t", Kind::Int { size: 8, signed: true }),
        ("c", Kind::Float { size: 8 }),
        ("r", Kind::Float { size: 8 }),
        ("b", Kind::Bool),
        ("s", Kind::Int { size: 2, signed: true }),
        ("g", Kind::Float { size: 4 }),
        ("u", Kind::Int { size: 4, signed: false }),
    ];
    let mut fields = Vec::new();
    let mut at = 0;
    for (name, kind) in cols {
        let size = match kind {
            Kind::Int { size, .. } | Kind::Float { size } => size,
            _ => 1,
        };
        fields.push(Field { name: name.into(), offset: at, kind });
        at += size;
    }
    Layout { kind: Kind::Record(fields), size: at }
}

fn records(rows: std::ops::Range<usize>, rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for i in rows {
        let chunk = i / CHUNK;
        out.extend_from_slice(&(T0 + 3 * i as i64).to_le_bytes());
        out.extend_from_slice(&(chunk as f64 * 10.0 + rng.unit() * 15.0).to_le_bytes());
        let r = if rng.below(100) == 0 { f64::NAN } else { rng.unit() * 2.0 - 1.0 };
        out.extend_from_slice(&r.to_le_bytes());
        out.push((chunk == 3 || chunk == 17) as u8 & (rng.below(3) == 0) as u8);
        let s: i16 = if chunk == 5 { 7 } else { rng.below(201) as i16 - 100 };
        out.extend_from_slice(&s.to_le_bytes());
        out.extend_from_slice(&(rng.unit() as f32).to_le_bytes());
        out.extend_from_slice(&(rng.next() as u32).to_le_bytes());
    }
    out
}

/// A file with the same rows in `/z` (with statistics) and `/p` (without).
fn two_tables(name: &str) -> std::path::PathBuf {
    let path = scratch(name);
    let f = File::open(&path, Mode::Write).expect("creates");
    let recs = records(0..ROWS, &mut Rng(7));
    for t in ["z", "p"] {
        let leaf = f.create_table("/", t, &layout(), ROWS as u64, Some(CHUNK), None, "").expect("table");
        leaf.append_records(&recs).expect("append");
    }
    let z = Table::open(&f, "/z").unwrap();
    assert_eq!(z.index_stats(&[]).unwrap(), ROWS.div_ceil(CHUNK) as u64);
    path
}

/// A random condition (and its scalar variables) over the columns of [`layout`].
fn condition(rng: &mut Rng, f32s: &[f32]) -> (u64, String, Vec<(String, i64)>) {
    let t_at = |rng: &mut Rng| T0 + rng.below(3 * ROWS as u64 + 40) as i64 - 20;
    let x = |rng: &mut Rng| format!("{:.3}", rng.unit() * 2.2 - 1.1);
    let c_at = |rng: &mut Rng| format!("{:.2}", rng.unit() * 270.0 - 5.0);
    let mut vars = Vec::new();
    let kind = rng.below(16);
    let cond = match kind {
        0 => format!("(t >= {}) & (t < {})", t_at(rng), t_at(rng)),
        1 => format!("t == {}", t_at(rng)),
        2 => {
            vars.push(("lo".into(), t_at(rng)));
            vars.push(("hi".into(), t_at(rng)));
            "(lo <= t) & (t <= hi)".into()
        }
        3 => format!("(c > {}) & (c <= {})", c_at(rng), c_at(rng)),
        4 => format!("r < {}", x(rng)),
        5 => format!("~(r >= {})", x(rng)),
        6 => "r != r".into(),
        7 => "b".into(),
        8 => format!("~b & (t < {})", t_at(rng)),
        9 => format!("(t < {}) | (t > {})", t_at(rng), t_at(rng)),
        10 => format!("s == {}", rng.below(21) as i64 - 10),
        11 => format!("(s >= {}) & (s <= 7)", rng.below(15)),
        // A float32 column against a value it holds, as float64 (rounding at the edge).
        12 => format!("g >= {}", f32s[rng.below(f32s.len() as u64) as usize] as f64),
        13 => format!("(u > {}) | (c < {})", rng.next() as u32, c_at(rng)),
        14 => format!("b | (s == {})", rng.below(5) as i64 + 5),
        // Arithmetic is not understood: nothing is skipped, the rows are still right.
        _ => format!("t + 1 > {}", t_at(rng)),
    };
    (kind, cond, vars)
}

fn range(rng: &mut Rng) -> (i64, i64, i64) {
    let a = rng.below(ROWS as u64 + 10) as i64;
    let b = rng.below(ROWS as u64 + 10) as i64;
    let step = if rng.below(3) == 0 { rng.below(2500) as i64 + 1 } else { 1 };
    match rng.below(4) {
        0 => (0, ROWS as i64, step),
        1 => (a.min(b), a.max(b), step),
        2 => (a, ROWS as i64, 1),
        _ => (0, a, step),
    }
}

fn operands(vars: &[(String, i64)]) -> Vec<(String, Operand<'static>)> {
    vars.iter().map(|(n, v)| (n.clone(), Operand::Scalar(Value::Int64(*v)))).collect()
}

/// The Python with PyTables, or `None` (then the PyTables half is skipped, outside CI).
fn peers() -> Option<std::path::PathBuf> {
    let py = crate::cli::peers_python();
    if py.is_none() && std::env::var_os("CI").is_some() {
        panic!("CI needs the peers' Python (.venv-peers) for the PyTables comparisons");
    }
    py
}

fn python(py: &std::path::Path, script: &str, args: &[&str]) -> String {
    let out = crate::command(py).arg("-c").arg(script).args(args).output().expect("runs python");
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn skipping_chunks_gives_the_full_scans_rows_and_pytables() {
    let path = two_tables("random.h5");
    let f = File::open(&path, Mode::Read).unwrap();
    let (z, p) = (Table::open(&f, "/z").unwrap(), Table::open(&f, "/p").unwrap());
    let z1 = Table::open(&f, "/z").unwrap().threads(1);
    let f32s: Vec<f32> = z.column::<f32>("g", RowRange::default()).unwrap().to_vec();
    let mut rng = Rng(42);
    let (mut cases, mut read, mut scanned) = (Vec::new(), 0u64, 0u64);
    for _ in 0..400 {
        let (kind, cond, vars) = condition(&mut rng, &f32s);
        let (a, b, s) = range(&mut rng);
        let ops = operands(&vars);
        let r = RowRange::new(Some(a), Some(b), Some(s));
        let want = p.get_where_list(&cond, &ops, r).unwrap_or_else(|e| panic!("{cond}: {e}"));
        let got = z.get_where_list(&cond, &ops, r).unwrap();
        assert_eq!(got, want, "{cond} {vars:?} [{a}:{b}:{s}]");
        assert_eq!(z1.get_where_list(&cond, &ops, r).unwrap(), want, "{cond} one thread");
        assert_eq!(z.count_where(&cond, &ops, r).unwrap(), want.len() as u64, "{cond} count");
        let e = z.explain(&cond, &ops, r).unwrap();
        let full = p.explain(&cond, &ops, r).unwrap();
        assert_eq!(full.statistics, Statistics::None);
        assert_eq!((full.rows_read, full.zones_read), (full.rows, full.zones), "{cond}");
        assert!(e.rows_read <= e.rows && e.zones_read <= e.zones, "{cond}: {e}");
        if cond.starts_with("t + 1") {
            assert_eq!(e.statistics, Statistics::Unused, "{cond}");
        }
        // Ranges of the sorted column (kinds 0 to 2), of the clustered one (3), the rare bool (7).
        if matches!(kind, 0..=3 | 7) {
            read += e.rows_read;
            scanned += e.rows;
        }
        cases.push(
            serde_json::json!({"cond": cond, "vars": vars.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
            "range": [a, b, s], "coords": want}),
        );
    }
    // Sorted and clustered columns and a rare bool: most rows are skipped.
    assert!(read * 3 < scanned, "read {read} of {scanned} rows");
    // A 1% range of the sorted column reads its chunks and no more.
    let (lo, hi) = (T0 + 3 * 5000, T0 + 3 * 5255);
    let e = z.explain(&format!("(t >= {lo}) & (t < {hi})"), &[], RowRange::default()).unwrap();
    assert_eq!(e.statistics, Statistics::Used(vec!["t".into()]));
    assert_eq!((e.zones_read, e.rows_read, e.zones), (1, 1000, 26), "{e}");

    let Some(py) = peers() else { return };
    let spec = scratch("random.json");
    std::fs::write(&spec, serde_json::to_string(&cases).unwrap()).unwrap();
    let script = r#"
import json, sys, tables
cases = json.load(open(sys.argv[2]))
with tables.open_file(sys.argv[1]) as f:
    for t in (f.root.z, f.root.p):
        for c in cases:
            a, b, s = c["range"]
            got = t.get_where_list(c["cond"], c["vars"] or None, start=a, stop=b, step=s).tolist()
            assert got == c["coords"], (t._v_pathname, c["cond"], c["range"], len(got), len(c["coords"]))
print(len(cases))
"#;
    let out = python(&py, script, &[path.to_str().unwrap(), spec.to_str().unwrap()]);
    assert_eq!(out.trim(), "400");
}

/// Every append and update through outcore leaves statistics that are trusted and right.
#[test]
fn outcore_appends_and_updates_keep_statistics_current() {
    let path = scratch("appends.h5");
    let f = File::open(&path, Mode::Write).unwrap();
    let src = {
        let leaf = f.create_table("/", "src", &layout(), ROWS as u64, Some(CHUNK), None, "").unwrap();
        leaf.append_records(&records(0..ROWS, &mut Rng(3))).unwrap();
        Table::new(&leaf).unwrap()
    };
    // The same rows go into `/d` (statistics from the start, when it is empty) and `/e` (none).
    let d = src.create_like(&f, "/", "d", None).unwrap();
    let e = src.create_like(&f, "/", "e", None).unwrap();
    assert_eq!(d.index_stats(&["t", "c", "b"]).unwrap(), 0);
    let checks = [
        format!("(t >= {}) & (t < {})", T0 + 3 * 2000, T0 + 3 * 2100),
        format!("t > {}", T0 + 3 * 24_000),
        "(c > 100) & (c < 120)".to_string(),
        "c > 1000".to_string(),
        "b".to_string(),
    ];
    let agree = |when: &str| {
        let (d, e) = (Table::open(&f, "/d").unwrap(), Table::open(&f, "/e").unwrap());
        assert_eq!(d.nrows(), e.nrows(), "{when}");
        for cond in &checks {
            let r = RowRange::default();
            assert_eq!(
                d.get_where_list(cond, &[], r).unwrap(),
                e.get_where_list(cond, &[], r).unwrap(),
                "{when}: {cond}"
            );
            let x = d.explain(cond, &[], r).unwrap();
            assert!(matches!(x.statistics, Statistics::Used(_)), "{when}: {cond}: {x}");
        }
    };
    let r = |a: i64, b: i64| RowRange::new(Some(a), Some(b), None);
    for (cond, range) in [("t >= 0", r(0, 2500)), ("s > 50", r(2500, 17_000)), ("b | (c < 30)", r(0, ROWS as i64))] {
        let n = src.where_append(&d, cond, &[], range).unwrap();
        assert_eq!(src.where_append(&e, cond, &[], range).unwrap(), n);
        agree(&format!("after where_append {cond}"));
    }
    // Records appended one batch at a time, a partial chunk each.
    let mut rng = Rng(11);
    for k in 0..3 {
        let recs = records(30_000 + k * 777..30_000 + k * 777 + 777, &mut rng);
        d.leaf().append_records(&recs).unwrap();
        e.leaf().append_records(&recs).unwrap();
        agree(&format!("after append_records {k}"));
    }
    // Rows updated to values outside their chunk's range are still found.
    for t in ["/d", "/e"] {
        let t = Table::open(&f, t).unwrap();
        for row in t.where_vars("s > 90", &[], RowRange::default()).unwrap() {
            let mut row = row.unwrap();
            row.set("c", 5000.0_f64).unwrap();
            row.update().unwrap();
        }
    }
    let d2 = Table::open(&f, "/d").unwrap();
    let moved = d2.get_where_list("c > 1000", &[], RowRange::default()).unwrap();
    assert!(!moved.is_empty());
    agree("after row.update");
    drop((d, e, d2, src));
    drop(f);

    // Rows appended or removed by PyTables: the statistics are ignored, the rows still right.
    let Some(py) = peers() else { return };
    let script = r#"
import sys, tables
with tables.open_file(sys.argv[1], "a") as f:
    if sys.argv[2] == "append":
        rows = f.root.src.read(0, 10)
        rows["c"] = 9999.0
        f.root.d.append(rows); f.root.e.append(rows)
    else:
        n = f.root.d.nrows
        f.root.d.remove_rows(n - 5, n); f.root.e.remove_rows(n - 5, n)
    print(len(f.root.d.get_where_list("c > 9000")))
"#;
    for (what, want) in [("append", 10u64), ("remove", 5)] {
        let out = python(&py, script, &[path.to_str().unwrap(), what]);
        assert_eq!(out.trim(), want.to_string(), "{what}");
        let f = File::open(&path, Mode::Read).unwrap();
        let (d, e) = (Table::open(&f, "/d").unwrap(), Table::open(&f, "/e").unwrap());
        let x = d.explain("c > 9000", &[], RowRange::default()).unwrap();
        let Statistics::Ignored(why) = &x.statistics else { panic!("{what}: {x}") };
        assert!(why.contains("rows were added or removed by another program"), "{why}");
        assert_eq!(x.rows_read, x.rows);
        assert_eq!(d.count_where("c > 9000", &[], RowRange::default()).unwrap(), want, "{what}");
        for cond in &checks {
            let r = RowRange::default();
            assert_eq!(d.get_where_list(cond, &[], r).unwrap(), e.get_where_list(cond, &[], r).unwrap(), "{cond}");
        }
    }
    // `outcore index` builds them again, and they are used.
    let f = File::open(&path, Mode::Append).unwrap();
    let d = Table::open(&f, "/d").unwrap();
    d.index_stats(&[]).unwrap();
    let x = d.explain("c > 9000", &[], RowRange::default()).unwrap();
    assert!(matches!(x.statistics, Statistics::Used(_)) && x.zones_read == 1, "{x}");
}

#[test]
fn damaged_statistics_are_an_error_naming_their_node() {
    let path = two_tables("damaged.h5");
    let node = "/_p_outcore_zones_z";
    for (attr, value) in
        [("ZONE_ROWS", AttrValue::Int(0)), ("ROWS", AttrValue::Int(-3)), ("OUTCORE_ZONES", AttrValue::Int(99))]
    {
        let f = File::open(&path, Mode::Append).unwrap();
        let attrs = f.leaf(node).unwrap().attrs().unwrap();
        let Some((_, AttrValue::Int(old))) = attrs.iter().find(|(n, _)| n == attr).cloned() else {
            panic!("{attr} missing")
        };
        f.set_attr(node, attr, &value).unwrap();
        let z = Table::open(&f, "/z").unwrap();
        let e = z.get_where_list("t > 0", &[], RowRange::default()).unwrap_err().to_string();
        assert!(e.contains("damaged statistics") && e.contains(node) && e.contains("damaged.h5"), "{attr}: {e}");
        assert!(e.contains("remove the node or run `outcore index`"), "{e}");
        // Building them again mends them.
        f.set_attr(node, attr, &AttrValue::Int(old)).unwrap();
        assert!(z.get_where_list("t > 0", &[], RowRange::default()).is_ok());
    }
    // Statistics of another table's columns (a column gone) are not this table's: no error.
    let f = File::open(&path, Mode::Append).unwrap();
    f.set_attr(node, "COLUMNS", &AttrValue::Str("t\nnot_a_column".into())).unwrap();
    let z = Table::open(&f, "/z").unwrap();
    assert_eq!(z.explain("t > 0", &[], RowRange::default()).unwrap().statistics, Statistics::None);
    assert_eq!(z.count_where("t > 0", &[], RowRange::default()).unwrap(), ROWS as u64);
}

#[test]
fn pytables_and_h5py_are_not_disturbed_by_statistics() {
    let path = two_tables("visible.h5");
    let Some(py) = peers() else { return };
    let script = r#"
import sys, tables, h5py
with tables.open_file(sys.argv[1]) as f:
    print(sorted(n._v_pathname for n in f.walk_nodes("/")))
    print(len(f.root.z.read_where("(s >= 0) & (b)")) == len(f.root.p.read_where("(s >= 0) & (b)")))
    print(f.root.z.will_query_use_indexing("t > 0"))
with h5py.File(sys.argv[1]) as h:
    print(sorted(h.keys()))
"#;
    let out = python(&py, script, &[path.to_str().unwrap()]);
    assert_eq!(out, "['/', '/p', '/z']\nTrue\nfrozenset()\n['_p_outcore_zones_z', 'p', 'z']\n");
}

#[test]
fn explain_says_what_a_query_reads() {
    let path = two_tables("explain.h5");
    let file = path.to_str().unwrap();
    let run = |table: &str, cond: &str| {
        let out = crate::command(env!("CARGO_BIN_EXE_outcore"))
            .args(["query", &format!("{file}:{table}"), cond, "--explain"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().replace(file, "FILE")
    };
    let sorted = format!("(t >= {}) & (t < {})", T0 + 3 * 5000, T0 + 3 * 7100);
    insta::assert_snapshot!("explain_used", run("/z", &sorted));
    insta::assert_snapshot!("explain_unused", run("/z", "t + 1 > 0"));
    insta::assert_snapshot!("explain_none", run("/p", &sorted));
    // Statistics that cover fewer rows than the table has (as after another program's append).
    File::open(&path, Mode::Append).unwrap().set_attr("/_p_outcore_zones_z", "ROWS", &AttrValue::Int(25_000)).unwrap();
    insta::assert_snapshot!("explain_ignored", run("/z", &sorted));
}

/// PyTables' own indexes on a table outcore appends to or updates are marked dirty, as
/// PyTables marks them for rows they do not cover: PyTables then answers from the table (right)
/// instead of from the stale index (which missed outcore's rows), until it reindexes.
#[test]
fn outcore_changes_mark_pytables_indexes_dirty() {
    let Some(py) = peers() else { return };
    let path = scratch("pt-index.h5");
    let make = r#"
import sys, numpy as np, tables
with tables.open_file(sys.argv[1], "w") as f:
    for name in ("t", "src"):
        t = f.create_table("/", name, {"x": tables.Float64Col(pos=0), "i": tables.Int64Col(pos=1)})
        r = np.zeros(50_000, dtype=t.dtype); r["x"] = np.arange(50_000.0); r["i"] = np.arange(50_000)
        t.append(r)
    f.root.t.cols.x.create_index()
    f.root.t.cols.i.create_csindex()
"#;
    python(&py, make, &[path.to_str().unwrap()]);
    let check = r#"
import sys, tables
with tables.open_file(sys.argv[1], "a") as f:
    t = f.root.t
    cond = sys.argv[2]
    print(bool(t.cols.x.index.dirty), bool(t.cols.i.index.dirty), sorted(t.will_query_use_indexing(cond)),
          len(t.get_where_list(cond)) == int(eval(cond, {}, {"x": t.col("x"), "i": t.col("i")}).sum()))
    if len(sys.argv) > 3:
        t.reindex_dirty()
        print(sorted(t.will_query_use_indexing(cond)), len(t.get_where_list(cond)))
"#;
    let run = |cond: &str, reindex: bool| {
        let mut args = vec![path.to_str().unwrap(), cond];
        if reindex {
            args.push("reindex");
        }
        python(&py, check, &args)
    };
    assert_eq!(run("x < 0", false), "False False ['x'] True\n");
    let f = File::open(&path, Mode::Append).unwrap();
    let (t, src) = (Table::open(&f, "/t").unwrap(), Table::open(&f, "/src").unwrap());
    // Nothing appended: the indexes stay clean.
    assert_eq!(src.where_append(&t, "x < 0", &[], RowRange::default()).unwrap(), 0);
    drop((t, src, f));
    assert_eq!(run("x < 0", false), "False False ['x'] True\n");
    // Rows appended (x = -1 for 10 of them), by where_append and append_records.
    let f = File::open(&path, Mode::Append).unwrap();
    let (t, src) = (Table::open(&f, "/t").unwrap(), Table::open(&f, "/src").unwrap());
    assert_eq!(src.where_append(&t, "i < 7", &[], RowRange::default()).unwrap(), 7);
    let mut recs = src.read(0..3).unwrap();
    for r in recs.data.chunks_exact_mut(16) {
        r[..8].copy_from_slice(&(-1.0f64).to_le_bytes());
    }
    t.leaf().append_records(&recs.data).unwrap();
    for row in t.where_("(i >= 0) & (i < 7) & (x >= 0)").unwrap() {
        let mut row = row.unwrap();
        row.set("x", -1.0).unwrap();
        row.update().unwrap();
    }
    drop((t, src, f));
    // PyTables: dirty, not used, the right count (17 rows below 0 where its index knew none).
    assert_eq!(run("x < 0", false), "True True [] True\n");
    // Having had the file open for appending, PyTables rebuilt them (autoindex), as after its
    // own appends: clean, used, and right.
    assert_eq!(run("x < 0", true), "False False ['x'] True\n['x'] 17\n");
}
