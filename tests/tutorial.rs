//! The tutorial's exercises, ported: the answers PyTables gives, asserted.

#[path = "../examples/crono.rs"]
mod crono;

#[path = "../examples/boatload.rs"]
mod boatload;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("outcore-tutorial-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// At a small size the answers are checked against a plain loop over the same rows.
#[test]
fn crono_small_equals_a_plain_loop() {
    let n = 52_195;
    let path = scratch("crono-small.h5");
    crono::make(&path, n).unwrap();
    let a = crono::run(&path).unwrap();
    let ts: Vec<f64> = (0..n).map(|i| crono::timestamp(i, n)).collect();
    let with = |h: &str, t: f64| crono::present(h, t);
    let want_crono: Vec<f64> = ts.iter().copied().filter(|&t| with("crono", t)).collect();
    assert_eq!(a.crono_timestamps, want_crono);
    let alone: Vec<u64> = (0..n)
        .filter(|&i| with("crono", ts[i]) && crono::FRIENDS.iter().all(|f| !with(f, ts[i])))
        .map(|i| i as u64)
        .collect();
    assert_eq!(a.alone_rows, alone);
    assert_eq!(a.alone, alone.len() as u64);
    assert_eq!(a.alone_after_update, 0);
    for (k, fr) in crono::FRIENDS.iter().enumerate() {
        let before = (0..n).filter(|&i| with("crono", ts[i]) && with(fr, ts[i])).count();
        assert_eq!(a.friends_before[k], before, "{fr}");
    }
}

/// The full size, with the tutorial's numbers (about a second).
#[test]
fn crono_full_size_gives_the_tutorials_answers() {
    let path = scratch("crono-full.h5");
    crono::make(&path, 5_219_500).unwrap();
    let a = crono::run(&path).unwrap();
    assert_eq!(a.crono_timestamps.len(), 1825);
    assert_eq!(a.crono_timestamps.first(), Some(&-378682800000.0));
    assert_eq!(a.crono_timestamps.last(), Some(&72612426900.0));
    assert_eq!(a.alone, 365);
    assert_eq!(a.alone_rows, (5109277..=5109641).collect::<Vec<u64>>());
    assert_eq!(a.alone_first_timestamp, Some(63082266534.154175));
    assert_eq!(a.alone_after_update, 0);
    assert_eq!(a.friends_before, vec![1095, 730, 730, 730, 730, 730]);
    assert_eq!(a.friends_after, vec![1095, 1095, 1095, 730, 730, 1095]);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn boatload_quadrants_add_up_and_nested_conditions_match_a_filter() {
    let path = scratch("boatload.h5");
    let report = boatload::run(&path, 1000, 7).unwrap();
    assert_eq!(report.quadrants.iter().map(|q| q.sailors).sum::<usize>(), 1000);
    for q in &report.quadrants {
        assert_eq!(q.lost + q.found, q.sailors, "{}", q.name);
        assert_eq!(q.sailors, q.by_filter, "{}", q.name);
    }
    assert!(report.lost_has_no_lost_column);
}

#[path = "../examples/warmup.rs"]
mod warmup;

#[path = "../examples/peaks_of_kilimanjaro.rs"]
mod peaks;

#[path = "../examples/dict_table.rs"]
mod dict_table;

#[test]
fn warmup_makes_42_hearts_and_refuses_a_second_table() {
    let path = scratch("warmup.h5");
    warmup::run(&path).unwrap();
    let f = outcore::h5::File::open(&path, outcore::h5::Mode::Read).unwrap();
    let t = outcore::Table::open(&f, "/heart").unwrap();
    let all = outcore::RowRange::default();
    let rows = t.read_where("(rate == 1) & (beat == 1.0)", &[], None, all).unwrap();
    assert_eq!(rows.len(), 42);
    assert_eq!(t.nrows(), 42);
    drop((t, f));
    let err = warmup::run(&path).unwrap_err().to_string();
    assert!(err.contains("exists"), "{err}");
}

#[test]
fn peaks_of_kilimanjaro_gives_the_tutorials_answers() {
    let a = peaks::run(&scratch("peaks.h5")).unwrap();
    assert_eq!(a.every_other_alive, ["Flavia Jacquin", "Madaline Herta", "Winford Bergenty"]);
    assert_eq!(a.alive_rows, [0, 1, 2, 3, 4, 5, 7]);
    assert_eq!(a.alive_first.len(), 7);
    assert_eq!(a.alive_first[0], "Flavia");
    assert_eq!(a.air_shape, [10, 1_000_000]);
    assert_eq!(a.air_title, "help I can't breathe!");
}

#[test]
fn dict_table_rebuilds_the_map_read_only() {
    let a = dict_table::run(&scratch("dict.h5"), 7).unwrap();
    assert_eq!(a.id42, vec![42.0; 42]);
    assert_eq!(a.arrays, 500);
    assert_eq!(a.groups, 101);
    assert_eq!(a.map_len, 500);
    assert!(a.write_refused);
}

#[path = "../examples/spam_filter.rs"]
mod spam_filter;

/// At 1M strings (the tutorial uses 10M): zlib level 1 shrinks spam and eggs to a fifth or
/// less, blosc level 5 to well under half, random letters barely shrink, and the eggs counted
/// out of core are the eggs written.
#[test]
fn spam_filter_sizes_and_eggs() {
    let r = spam_filter::run(&scratch("spam"), 1_000_000).unwrap();
    assert!(r.raw > 4_000_000, "{}", r.raw);
    assert!((r.zlib1 as f64) < 0.25 * r.raw as f64, "zlib1 {} raw {}", r.zlib1, r.raw);
    assert!((r.blosc5 as f64) < 0.5 * r.raw as f64, "blosc5 {} raw {}", r.blosc5, r.raw);
    assert!((r.random_zlib1 as f64) > 0.8 * r.random_raw as f64, "{} {}", r.random_zlib1, r.random_raw);
    assert_eq!(r.counted as usize, r.eggs);
    assert!(r.eggs > 200_000 && r.eggs < 250_000, "{}", r.eggs);
}
