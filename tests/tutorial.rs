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
