//! PyTables' own indexes (tests/fixtures/pytables/indexes.h5, written by PyTables with every
//! kind, several optimization levels and block sizes; scripts/make_index_fixtures.py): each
//! index's candidates hold every row that matches, for hundreds of random ranges per column;
//! indexed queries give PyTables' rows and the scan's; dirty indexes are not used; the
//! planner scans when an index would not narrow the read; `--explain` says what is used.

use outcore::h5::{File, Kind, Lookup, Mode};
use outcore::{IndexUse, RowRange, Table};

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytables").join(name)
}

fn answers() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("indexes.json")).unwrap()).unwrap()
}

/// splitmix64: the same cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
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
