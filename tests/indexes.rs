//! PyTables' own indexes (tests/fixtures/pytables/indexes.h5, written by PyTables with every
//! kind, several optimization levels and block sizes; scripts/make_index_fixtures.py): each
//! index's candidates hold every row that matches, for hundreds of random ranges per column;
//! indexed queries give PyTables' rows and the scan's; dirty indexes are not used; the
//! planner scans when an index would not narrow the read; `--explain` says what is used.

use outcore::h5::{File, Kind, Lookup, Mode};
use outcore::{IndexUse, RowRange, Table};

use crate::Rng;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytables").join(name)
}

fn answers() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("indexes.json")).unwrap()).unwrap()
}

/// A column's values as float64 (as the index compares them).
fn values(t: &Table, col: &str) -> Vec<f64> {
    let (kind, bytes) = t.leaf().read_column(col).unwrap();
    match kind {
        Kind::Bool => bytes.iter().map(|&b| b as f64).collect(),
        Kind::Int { size: 2, .. } => bytes.chunks(2).map(|b| i16::from_le_bytes([b[0], b[1]]) as f64).collect(),
        Kind::Int { size: 4, .. } => {
            bytes.chunks(4).map(|b| i32::from_le_bytes(b.try_into().unwrap()) as f64).collect()
        }
        Kind::Int { size: 8, .. } => {
            bytes.chunks(8).map(|b| i64::from_le_bytes(b.try_into().unwrap()) as f64).collect()
        }
        Kind::Float { size: 4 } => bytes.chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap()) as f64).collect(),
        Kind::Float { size: 8 } => bytes.chunks(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())).collect(),
        k => panic!("{col}: {k:?}"),
    }
}

/// The tables of the fixture whose indexes are clean, and the columns they index.
fn indexed_tables(f: &File) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (name, _) in answers().as_object().unwrap() {
        let t = Table::open(f, &format!("/{name}")).unwrap();
        let cols: Vec<String> = ["f", "g", "i", "l", "b", "s"]
            .iter()
            .filter(|c| matches!(t.leaf().pytables_index(c).unwrap(), Lookup::Found(_)))
            .map(|c| c.to_string())
            .collect();
        out.push((name.clone(), cols));
    }
    out
}

#[test]
fn every_kind_of_index_gives_every_matching_row() {
    let f = File::open(fixture("indexes.h5"), Mode::Read).unwrap();
    let (mut searched, mut narrowed) = (0, 0);
    for (name, cols) in indexed_tables(&f) {
        let t = Table::open(&f, &format!("/{name}")).unwrap();
        let nrows = t.nrows() as u64;
        for col in cols {
            let v = values(&t, &col);
            let Lookup::Found(ix) = t.leaf().pytables_index(&col).unwrap() else { unreachable!() };
            let mut sorted: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
            sorted.sort_by(f64::total_cmp);
            if sorted.is_empty() {
                continue;
            }
            let mut rng = Rng(name.len() as u64 * 131 + col.as_bytes()[0] as u64);
            for case in 0..150 {
                // Bounds at stored values (ties), between them, and beyond both ends.
                let pick = |rng: &mut Rng| match rng.below(5) {
                    0 => f64::NEG_INFINITY,
                    1 => f64::INFINITY,
                    _ => sorted[rng.below(sorted.len() as u64) as usize],
                };
                let (a, b) = (pick(&mut rng), pick(&mut rng));
                let (lo, hi) = if case % 10 == 0 { (b, a) } else { (a.min(b), a.max(b)) };
                let hits = ix.search(lo, hi).unwrap();
                // The planner's estimate from the bounds alone is a lower bound.
                assert!(ix.estimate(lo, hi).unwrap() <= hits.len(), "/{name} {col} [{lo}, {hi}]");
                // Buckets, or (a full index) the rows themselves.
                let exact = case % 2 == 0;
                let rows = ix.rows(&hits, exact, 1, u64::MAX).unwrap().expect("no limit");
                if exact && ix.exact() {
                    let held: u64 = rows.iter().map(|r| r.end - r.start).sum();
                    assert!(held <= hits.len(), "/{name} {col}: {held} rows for {} entries", hits.len());
                }
                // A limit of cells gives up once the candidates lie in more cells.
                let cells = rows.iter().map(|r| r.end - r.start).sum::<u64>();
                if cells > 1 {
                    assert!(ix.rows(&hits, exact, 1, 0).unwrap().is_none(), "/{name} {col}");
                }
                let inside = |r: u64| rows.iter().any(|x| x.contains(&r));
                for (r, &x) in v.iter().enumerate() {
                    if x >= lo && x <= hi && (r as u64) < ix.nelements() {
                        assert!(inside(r as u64), "/{name} {col} [{lo}, {hi}]: row {r} ({x}) is no candidate");
                    }
                }
                let held: u64 = rows.iter().map(|r| r.end - r.start).sum();
                assert!(rows.windows(2).all(|w| w[0].end < w[1].start) && held <= nrows, "{rows:?}");
                // Ranges that hold few values give few candidates.
                let matched = v.iter().filter(|&&x| x >= lo && x <= hi).count() as u64;
                if matched * 50 <= nrows {
                    searched += 1;
                    if held * 2 < nrows {
                        narrowed += 1;
                    }
                }
            }
        }
    }
    assert!(searched > 500, "{searched}");
    assert!(narrowed * 10 > searched * 9, "{narrowed} of {searched}");
}

#[test]
fn indexed_queries_give_pytables_rows_and_the_scans() {
    let f = File::open(fixture("indexes.h5"), Mode::Read).unwrap();
    let all = answers();
    let (mut used, mut missed) = (0, 0);
    for (name, case) in all.as_object().unwrap() {
        let t = Table::open(&f, &format!("/{name}")).unwrap();
        let scan = Table::open(&f, &format!("/{name}")).unwrap().use_indexes(false);
        for q in case["queries"].as_array().unwrap() {
            let cond = q["cond"].as_str().unwrap();
            let pytables: Vec<u64> = q["coords"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).collect();
            let want = scan.get_where_list(cond, &[], RowRange::default()).unwrap();
            assert_eq!(t.get_where_list(cond, &[], RowRange::default()).unwrap(), want, "/{name} {cond}");
            // PyTables' own answer is the same, but where its index of `f` (a float column with
            // NaNs) is used: there PyTables misses rows (README, differences), never adds any.
            if q["indexed"].as_array().unwrap().iter().any(|c| c == "f") {
                assert!(pytables.iter().all(|c| want.binary_search(c).is_ok()), "/{name} {cond}");
                missed += (want.len() - pytables.len()) as u64;
            } else {
                assert_eq!(pytables, want, "/{name} {cond}: PyTables");
            }
            // Ranges of the query too: the candidates meet the range.
            let r = RowRange::new(Some(100), Some(650), Some(3));
            let part: Vec<u64> =
                want.iter().copied().filter(|&c| (100..650).contains(&c) && (c - 100) % 3 == 0).collect();
            assert_eq!(t.get_where_list(cond, &[], r).unwrap(), part, "/{name} {cond} [100:650:3]");
            let e = t.explain(cond, &[], RowRange::default()).unwrap();
            if let IndexUse::Used { candidates, .. } = &e.index {
                used += 1;
                assert!(*candidates >= want.len() as u64 && e.rows_read < e.rows, "/{name} {cond}: {e}");
            }
            if q["indexed"].as_array().unwrap().is_empty() {
                assert!(!matches!(e.index, IndexUse::Used { .. }), "/{name} {cond}: PyTables uses no index: {e}");
            }
        }
    }
    assert!(used > 30, "{used}");
    assert!(missed > 100, "PyTables misses {missed} rows");
}

#[test]
fn dirty_indexes_are_not_used_and_say_so() {
    let f = File::open(fixture("indexes.h5"), Mode::Read).unwrap();
    let t = Table::open(&f, "/dirty").unwrap();
    let Lookup::Ignored(why) = t.leaf().pytables_index("s").unwrap() else { panic!("dirty index used") };
    assert_eq!(why, "the index of `s` (/_i_dirty/s) is dirty (PyTables' `reindex_dirty()` rebuilds it)");
    let e = t.explain("(s >= 50) & (s <= 51)", &[], RowRange::default()).unwrap();
    assert_eq!(e.index, IndexUse::Unused(vec![why]));
    assert_eq!(e.rows_read, 800);
    // The rows appended after the index was made are found.
    assert_eq!(t.count_where("s >= 70", &[], RowRange::default()).unwrap(), 100);
}

#[test]
fn explain_says_which_index_is_used() {
    let file = fixture("indexes.h5");
    let file = file.to_str().unwrap();
    let run = |table: &str, cond: &str| {
        let (code, out, err) = crate::run_outcore(&["query", &format!("{file}:{table}"), cond, "--explain"]);
        assert_eq!(code, 0, "{err}");
        out.replace(file, "FILE")
    };
    insta::assert_snapshot!("index_used", run("/full_0_small", "(s >= 50) & (s <= 51)"));
    insta::assert_snapshot!("index_two", run("/csi", "(s < 3) | (l == 9007199254741008)"));
    insta::assert_snapshot!("index_scan_cheaper", run("/csi", "(f > -0.5) & (f < 0.25)"));
    insta::assert_snapshot!("index_dirty", run("/dirty", "i == 7"));
}

/// A table of `n` rows: `x` float64 random with NaNs, `t` int64 sorted, `k` int16 random,
/// `b` bool; written by outcore.
fn random_table(path: &std::path::Path, n: usize) -> File {
    use outcore::h5::{Field, Layout};
    let fields = vec![
        Field { name: "x".into(), offset: 0, kind: Kind::Float { size: 8 } },
        Field { name: "t".into(), offset: 8, kind: Kind::Int { size: 8, signed: true } },
        Field { name: "k".into(), offset: 16, kind: Kind::Int { size: 2, signed: true } },
        Field { name: "b".into(), offset: 18, kind: Kind::Bool },
    ];
    let layout = Layout { kind: Kind::Record(fields), size: 19 };
    let f = File::open(path, Mode::Write).unwrap();
    let leaf = f.create_table("/", "t", &layout, n as u64, Some(1000), None, "random").unwrap();
    let mut rng = Rng(5);
    let mut recs = Vec::with_capacity(n * 19);
    for i in 0..n {
        let x = if rng.below(50) == 0 { f64::NAN } else { (rng.below(1 << 20) as f64) / 1024.0 - 512.0 };
        recs.extend(x.to_le_bytes());
        recs.extend((1_700_000_000_000i64 + 10 * i as i64).to_le_bytes());
        recs.extend((rng.below(2000) as i16 - 1000).to_le_bytes());
        recs.push((rng.below(3) == 0) as u8);
    }
    leaf.append_records(&recs).unwrap();
    f
}

#[test]
fn outcore_writes_indexes_pytables_uses() {
    let dir = std::env::temp_dir().join(format!("outcore-indexes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("written.h5");
    let n = 250_000;
    let f = random_table(&path, n);
    let t = Table::open(&f, "/t").unwrap();
    assert_eq!(t.create_csindex("x").unwrap(), n as u64);
    assert_eq!(t.create_csindex("k").unwrap(), n as u64);
    // Written again: replaced.
    assert_eq!(t.create_csindex("k").unwrap(), n as u64);
    let e = t.create_csindex("b").unwrap_err();
    assert_eq!(e.kind(), outcore::ErrorKind::Unsupported);
    assert_eq!(e.to_string(), "column `b` is bool: outcore writes PyTables indexes of integer and float columns");
    assert!(t.create_csindex("nope").unwrap_err().to_string().starts_with("no column `nope`"));
    // Rows in the order of a column, by its index (PyTables' read_sorted).
    let sorted = t.read_sorted("k", ..).unwrap();
    let ks: Vec<i16> = (0..sorted.len()).map(|i| sorted.get::<i16>(i, "k").unwrap()).collect();
    assert!(ks.windows(2).all(|w| w[0] <= w[1]) && ks.len() == n);
    let part = t.read_sorted("x", RowRange::from(10..1000).step(7)).unwrap();
    let all = t.read_sorted("x", ..).unwrap();
    assert_eq!(part.coords, all.coords[10..1000].iter().step_by(7).copied().collect::<Vec<_>>());
    let e = t.read_sorted("t", ..).unwrap_err();
    assert_eq!(e.to_string(), "column `t` of /t has no completely sorted index (Table::create_csindex writes one)");
    let scan = Table::open(&f, "/t").unwrap().use_indexes(false);
    let mut rng = Rng(9);
    let mut cases = Vec::new();
    for i in 0..200 {
        let (a, b) = ((rng.below(1 << 20) as f64) / 1024.0 - 512.0, rng.below(3000) as f64 / 1024.0);
        let cond = match i % 4 {
            0 => format!("(x >= {a}) & (x < {})", a + b / 100.0),
            1 => format!("x == {a}"),
            2 => format!("(k > {}) & (k <= {}) & ~b", (a as i64) % 1000, (a as i64) % 1000 + 2),
            _ => format!("(x < {}) | (k == {})", a.min(-511.0), (a as i64) % 1000),
        };
        let want = scan.get_where_list(&cond, &[], RowRange::default()).unwrap();
        assert_eq!(t.get_where_list(&cond, &[], RowRange::default()).unwrap(), want, "{cond}");
        let ex = t.explain(&cond, &[], RowRange::default()).unwrap();
        // Narrow ranges of `x` read little; the planner judges the others (random `k` values
        // lie in most chunks).
        if i % 4 < 2 {
            assert!(matches!(ex.index, IndexUse::Used { .. }), "{cond}: {ex}");
            assert!(ex.rows_read < 2 * want.len() as u64 + 10_000, "{cond}: {ex}");
        }
        cases.push(serde_json::json!({"cond": cond, "coords": want}));
    }
    drop((t, scan, f));
    let Some(py) = crate::cli::peers_python() else {
        assert!(std::env::var_os("CI").is_none(), "CI needs the peers' Python (.venv-peers)");
        return;
    };
    let spec = dir.join("written.json");
    std::fs::write(&spec, serde_json::to_string(&cases).unwrap()).unwrap();
    let script = r#"
import json, sys, tables, numpy as np
cases = json.load(open(sys.argv[2]))
with tables.open_file(sys.argv[1]) as f:
    t = f.root.t
    assert t.colindexed["x"] and t.colindexed["k"] and not t.colindexed["b"]
    assert t.cols.x.index.is_csi and not t.cols.x.index.dirty and t.cols.x.index.kind == "full"
    for c in cases:
        assert t.will_query_use_indexing(c["cond"]), c["cond"]
        got = sorted(t.get_where_list(c["cond"]).tolist())
        assert got == c["coords"], (c["cond"], len(got), len(c["coords"]))
    x = t.col("x")
    assert np.array_equal(t.read_sorted("x", field="x"), np.sort(x), equal_nan=True)
    assert np.array_equal(t.read_sorted("k", field="k"), np.sort(t.col("k")))
print(len(cases))
"#;
    let out = crate::command(&py).arg("-c").arg(script).arg(&path).arg(&spec).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "200");
}

#[test]
fn index_command_writes_full_indexes() {
    let dir = std::env::temp_dir().join(format!("outcore-indexes-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cli.h5");
    drop(random_table(&path, 20_000));
    let target = format!("{}:/t", path.display());
    let (code, out, err) = crate::run_outcore(&["index", &target, "--columns", "x,t", "--kind", "full"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote a completely sorted index of x (20000 rows)") && out.contains("index of t"), "{out}");
    let (code, out, _) =
        crate::run_outcore(&["query", &target, "(t >= 1700000000100) & (t < 1700000000200)", "--explain"]);
    assert_eq!(code, 0);
    assert!(out.contains("PyTables' index of t (full): 11 candidate rows"), "{out}");
    // `info` names a table's indexes.
    let (code, out, _) = crate::run_outcore(&["info", &target, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["indexes"]["x"], "full, optlevel 9, completely sorted, 20000 rows", "{out}");
    let (code, _, err) = crate::run_outcore(&["index", &target, "--kind", "full"]);
    assert_eq!((code, err.trim()), (2, "--kind full: name the columns to index (--columns a,b)"));
}

#[test]
fn repack_rebuilds_indexes_with_propindexes() {
    let dir = std::env::temp_dir().join(format!("outcore-indexes-repack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = format!("{}:/csi", fixture("indexes.h5").display());
    let (with, without) = (dir.join("with.h5"), dir.join("without.h5"));
    let _ = (std::fs::remove_file(&with), std::fs::remove_file(&without));
    let (code, _, err) = crate::run_outcore(&["repack", &src, with.to_str().unwrap(), "--propindexes"]);
    assert_eq!(code, 0, "{err}");
    // The boolean column's index cannot be rebuilt (outcore writes numeric ones): a warning.
    assert!(err.contains("the index of `b` is not rebuilt: column `b` is bool"), "{err}");
    let (code, _, err) = crate::run_outcore(&["repack", &src, without.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("note: indexes are not copied (--propindexes rebuilds them)"), "{err}");
    let f = File::open(&with, Mode::Read).unwrap();
    let t = Table::open(&f, "/csi").unwrap();
    assert_eq!(t.leaf().pytables_indexed_columns().unwrap(), ["f", "g", "i", "l", "s"]);
    let e = t.explain("(s >= 50) & (s <= 51)", &[], RowRange::default()).unwrap();
    assert!(matches!(e.index, IndexUse::Used { candidates: 20, .. }), "{e}");
    let g = File::open(&without, Mode::Read).unwrap();
    assert!(Table::open(&g, "/csi").unwrap().leaf().pytables_indexed_columns().unwrap().is_empty());
}

/// PyTables stores `is_csi` as a NumPy boolean (an 8-bit bitfield): read as a boolean.
#[test]
fn completely_sorted_indexes_are_known_and_read_in_order() {
    let f = File::open(fixture("indexes.h5"), Mode::Read).unwrap();
    let csi = Table::open(&f, "/csi").unwrap();
    let Lookup::Found(ix) = csi.leaf().pytables_index("f").unwrap() else { panic!("no index") };
    assert!(ix.is_csi() && ix.kind() == "full" && ix.optlevel() == 9);
    let other = Table::open(&f, "/full_0_small").unwrap();
    let Lookup::Found(ix) = other.leaf().pytables_index("s").unwrap() else { panic!("no index") };
    assert!(!ix.is_csi());
    // PyTables' own completely sorted index gives the order (NaNs last).
    let r = csi.read_sorted("f", ..).unwrap();
    let v: Vec<f64> = (0..r.len()).map(|i| r.get::<f64>(i, "f").unwrap()).collect();
    let nan = v.iter().position(|x| x.is_nan()).unwrap_or(v.len());
    assert!(v[..nan].windows(2).all(|w| w[0] <= w[1]) && v[nan..].iter().all(|x| x.is_nan()));
    let e = other.read_sorted("s", ..).unwrap_err();
    assert!(e.to_string().contains("has no completely sorted index"), "{e}");
}

/// An index a table's queries opened is kept for its next ones, but not once it is dirty: rows
/// appended after it was opened are found.
#[test]
fn kept_indexes_are_dropped_once_dirty() {
    let dir = std::env::temp_dir().join(format!("outcore-indexes-kept-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kept.h5");
    let f = random_table(&path, 50_000);
    let t = Table::open(&f, "/t").unwrap();
    t.create_csindex("t").unwrap();
    let cond = "t >= 1700000499900";
    assert_eq!(t.count_where(cond, &[], ..).unwrap(), 10);
    assert!(matches!(t.explain(cond, &[], ..).unwrap().index, IndexUse::Used { .. }));
    let mut row = t.row();
    for i in 0..5i64 {
        row.set("t", 1_700_000_000_000 + 10 * (50_000 + i)).unwrap();
        row.append().unwrap();
    }
    row.flush().unwrap();
    drop(row);
    assert_eq!(t.count_where(cond, &[], ..).unwrap(), 15);
    let e = t.explain(cond, &[], ..).unwrap();
    assert!(matches!(&e.index, IndexUse::Unused(why) if why[0].contains("is dirty")), "{e}");
    // Written again: the new index is used, not the one held before.
    t.create_csindex("t").unwrap();
    let e = t.explain(cond, &[], ..).unwrap();
    assert!(matches!(e.index, IndexUse::Used { candidates: 15, .. }), "{e}");
    assert_eq!(t.count_where(cond, &[], ..).unwrap(), 15);
    // Rows changed in place and the index written again, while the old one is held.
    let rec = t.read(0..1).unwrap().bytes(0).unwrap().to_vec();
    let mut changed = rec.clone();
    changed[8..16].copy_from_slice(&1_700_000_499_995i64.to_le_bytes());
    t.leaf().modify_records(0, &changed).unwrap();
    t.create_csindex("t").unwrap();
    assert_eq!(t.count_where(cond, &[], ..).unwrap(), 16);
}
