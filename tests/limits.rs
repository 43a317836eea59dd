//! Edges: empty tables and arrays, huge and negative ranges, and many threads reading and
//! querying one file at once.

use ndarray::Array1;
use outcore::h5::{File, Filters, Mode};
use outcore::{Expr, RowRange, Table};

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("outcore-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

#[test]
fn empty_tables_and_arrays_give_empty_answers() {
    let path = scratch("empty.h5");
    outcore::raw::bench_file::write(&path, 0, Some(&Filters::zlib(5))).unwrap();
    let f = File::open(&path, Mode::Append).unwrap();
    let t = Table::open(&f, "/t").unwrap();
    let all = RowRange::default();
    assert_eq!(t.count_where("col1 < 50", &[], all).unwrap(), 0);
    assert!(t.get_where_list("col1 < 50", &[], all).unwrap().is_empty());
    assert!(t.read_where("col1 < 50", &[], Some("col2"), all).unwrap().is_empty());
    assert_eq!(t.where_("col1 < 50").unwrap().count(), 0);
    let dest = t.create_like(&f, "/", "dest", None).unwrap();
    assert_eq!(t.where_append(&dest, "col1 < 50", &[], all).unwrap(), 0);
    // An empty EArray: elementwise gives nothing, sum gives 0, min has no value.
    f.create_earray("/", "e", Array1::<f64>::zeros(0).view(), Some(&[16]), 100, None, "").unwrap();
    let e = f.leaf("/e").unwrap();
    let r = Expr::new("e*2").unwrap().bind("e", &e).unwrap().eval().unwrap();
    assert_eq!(r.shape(), &[0]);
    let s = Expr::new("sum(e)").unwrap().bind("e", &e).unwrap().eval().unwrap();
    assert_eq!(s.as_scalar(), Some(outcore::Value::Float64(0.0)));
    let err = Expr::new("min(e)").unwrap().bind("e", &e).unwrap().eval().unwrap_err().to_string();
    assert!(err.contains("empty"), "{err}");
    // Appending nothing to an EArray leaves it as it was.
    let out = f.leaf("/e").unwrap();
    Expr::new("e+1").unwrap().bind("e", &e).unwrap().set_output_append(&out).unwrap().eval().unwrap();
    assert_eq!(out.shape(), vec![0]);
}

#[test]
fn huge_and_negative_ranges_clamp_as_python_slices() {
    let path = scratch("ranges.h5");
    outcore::raw::bench_file::write(&path, 5000, None).unwrap();
    let f = File::open(&path, Mode::Read).unwrap();
    let t = Table::open(&f, "/t").unwrap();
    let a = f.leaf("/a").unwrap();
    let every = t.get_where_list("col1 >= 0", &[], RowRange::default()).unwrap();
    assert_eq!(every.len(), 5000);
    let cases = [
        (Some(i64::MIN), Some(i64::MAX), Some(1), 5000),
        (Some(-10), None, None, 10),
        (Some(4990), Some(i64::MAX), Some(i64::MAX), 1),
        (Some(6000), None, None, 0),
        (Some(10), Some(5), None, 0),
        (Some(-1_000_000), Some(-4990), Some(3), 4),
    ];
    for (start, stop, step, n) in cases {
        let r = RowRange::new(start, stop, step);
        assert_eq!(t.get_where_list("col1 >= 0", &[], r).unwrap().len(), n, "{r:?}");
        let e = Expr::new("a*1").unwrap().bind("a", &a).unwrap().set_inputs_range(start, stop, step).unwrap();
        assert_eq!(e.eval().unwrap().len(), n, "{r:?}");
    }
    for step in [0, -1, i64::MIN] {
        let err = t.get_where_list("col1 >= 0", &[], RowRange::new(None, None, Some(step))).unwrap_err();
        assert!(err.to_string().contains("step"), "{err}");
        assert!(Expr::new("a").unwrap().set_inputs_range(None, None, Some(step)).is_err());
    }
}

#[test]
fn many_threads_querying_one_file_agree_with_one() {
    let path = scratch("shared.h5");
    outcore::raw::bench_file::write(&path, 60_000, Some(&Filters::zlib(3))).unwrap();
    let f = File::open(&path, Mode::Read).unwrap();
    let t = Table::open(&f, "/t").unwrap();
    let lims = outcore::vars! {"lo" => 10.0, "hi" => 60.0};
    let cond = "(col2 > lo) & (col3 < hi) | (col1 == 7)";
    let want = t.get_where_list(cond, &lims, RowRange::default()).unwrap();
    let total = Expr::new("sum(a*b)").unwrap().bind_group(&f.root().unwrap()).unwrap().eval().unwrap();
    std::thread::scope(|s| {
        for k in 0..8 {
            let (t, f, want, total, lims) = (&t, &f, &want, &total, &lims);
            s.spawn(move || {
                for _ in 0..3 {
                    let got = t.get_where_list(cond, lims, RowRange::default()).unwrap();
                    assert_eq!(&got, want, "thread {k}");
                    let rows = t.where_vars(cond, lims, RowRange::default()).unwrap().map(|r| r.unwrap().nrow());
                    assert!(rows.eq(want.iter().copied()), "thread {k} where_");
                    let s = Expr::new("sum(a*b)").unwrap().bind_group(&f.root().unwrap()).unwrap().eval().unwrap();
                    assert_eq!(&s, total, "thread {k} sum");
                }
            });
        }
    });
}
