//! Out-of-core expressions over HDF5 leaves and table columns: the slides' example, results
//! equal to the in-memory evaluation for every chunk shape, filter, range and thread count,
//! outputs (CArray, EArray append, ranges, casts), iteration, and errors.

use ndarray::{Array1, Array2, ArrayD};
use outcore::h5::{Complib, File, Filters, Kind, Layout, Mode};
use outcore::{Array, Expr};
use proptest::prelude::*;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("outcore-ooc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn filters(k: usize) -> Option<Filters> {
    let f = |complevel, complib, shuffle| {
        Some(Filters { complevel, complib, shuffle, bitshuffle: false, fletcher32: false })
    };
    match k % 5 {
        0 => None,
        1 => f(5, Complib::Zlib, true),
        2 => f(5, Complib::Blosc, true),
        3 => f(3, Complib::BloscLz4, false),
        _ => f(1, Complib::Lzf, false),
    }
}

#[test]
fn the_slides_example_a_times_b_plus_c_into_out() {
    let path = scratch("slides.h5");
    let f = File::open(&path, Mode::Write).expect("creates");
    let shape = (10, 10000);
    for (name, v) in [("a", 1.0f32), ("b", 2.0), ("c", 3.0)] {
        f.create_carray("/", name, Array2::from_elem(shape, v).view(), None, None, "").expect("carray");
    }
    f.create_carray_filled::<f32>("/", "out", &[10, 10000], None, None, 0.0, "").expect("out");
    let (a, b, c, out) = (f.leaf("/a").unwrap(), f.leaf("/b").unwrap(), f.leaf("/c").unwrap(), f.leaf("/out").unwrap());
    let written = Expr::new("a*b+c")
        .unwrap()
        .bind("a", &a)
        .unwrap()
        .bind("b", &b)
        .unwrap()
        .bind("c", &c)
        .unwrap()
        .set_output(&out)
        .unwrap()
        .eval()
        .expect("evaluates");
    assert_eq!(written.path(), "/out");
    let values = written.read_array::<f32>().expect("reads");
    assert_eq!(values.shape(), &[10, 10000]);
    assert!(values.iter().all(|&v| v == 5.0));
    // Natural naming, and a result in memory.
    let r = Expr::new("42*a + 28*b + 6").unwrap().bind_group(&f.root().unwrap()).unwrap().eval().expect("evaluates");
    let r = r.into_f32().expect("float32");
    assert_eq!(r.shape(), &[10, 10000]);
    assert!(r.iter().all(|&v| v == 104.0));
}

/// A file with arrays of the given chunk rows and filters: `a` (n,) f64, `b` (n,) i16,
/// `m` (n, 3) f32, `t` a table with `x` f64 and nested `p/q` i32, `v` (3,) f64.
fn make(
    path: &std::path::Path,
    n: usize,
    chunk: usize,
    fk: usize,
) -> (Array1<f64>, Array1<i16>, Array2<f32>, Vec<i32>) {
    let f = File::open(path, Mode::Write).expect("creates");
    let fl = filters(fk);
    // A fixed-size dataset's chunks may not exceed its shape.
    let chunk = chunk.min(n).max(1);
    let a = Array1::from_iter((0..n).map(|i| ((i * 7919) % 1013) as f64 * 0.25 - 40.0));
    let b = Array1::from_iter((0..n).map(|i| ((i * 31) % 200) as i16 - 100));
    let m = Array2::from_shape_fn((n, 3), |(i, j)| (i % 17) as f32 + j as f32 * 0.5);
    f.create_carray("/", "a", a.view(), Some(&[chunk]), fl.as_ref(), "").expect("a");
    f.create_carray("/", "b", b.view(), Some(&[(chunk.max(3) / 3 + 1).min(n)]), fl.as_ref(), "").expect("b");
    f.create_carray("/", "m", m.view(), Some(&[chunk, 2]), fl.as_ref(), "").expect("m");
    f.create_carray("/", "v", Array1::from(vec![1.0, -2.0, 0.5]).view(), None, None, "").expect("v");
    let layout = Layout {
        kind: Kind::Record(vec![
            outcore::h5::Field { name: "x".into(), offset: 0, kind: Kind::Float { size: 8 } },
            outcore::h5::Field {
                name: "p".into(),
                offset: 8,
                kind: Kind::Record(vec![outcore::h5::Field {
                    name: "q".into(),
                    offset: 0,
                    kind: Kind::Int { size: 4, signed: true },
                }]),
            },
        ]),
        size: 12,
    };
    let t = f.create_table("/", "t", &layout, n as u64, Some(chunk + 1), fl.as_ref(), "").expect("table");
    let q: Vec<i32> = (0..n as i32).map(|i| (i * 13) % 101 - 50).collect();
    let mut recs = Vec::with_capacity(n * 12);
    for i in 0..n {
        recs.extend_from_slice(&a[i].to_ne_bytes());
        recs.extend_from_slice(&q[i].to_ne_bytes());
    }
    t.append_records(&recs).expect("rows");
    (a, b, m, q)
}

fn same(streamed: &Array, memory: &Array) -> Result<(), TestCaseError> {
    prop_assert_eq!(streamed.dtype(), memory.dtype());
    prop_assert_eq!(streamed.shape(), memory.shape());
    prop_assert_eq!(streamed, memory);
    Ok(())
}

const EXPRS: &[&str] = &[
    "a*2 + b",
    "where(a > 0, sqrt(a), b**2)",
    "sum(a*b)",
    "a - sum(a)/1000 + min(b)",
    "m * v",
    "sum(m, axis=0)",
    "max(m * 2, axis=1)",
    "x + q",
    "prod(q > -10)",
    "x > 10",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn streamed_results_equal_the_in_memory_ones(
        n in 1usize..3000,
        chunk in 1usize..700,
        fk in 0usize..5,
        threads in 1usize..4,
        block in 1usize..3000,
        start in proptest::option::of(-50i64..3000),
        stop in proptest::option::of(-50i64..3000),
        step in 1i64..5,
        which in 0usize..10,
    ) {
        // A fresh file for every case (shrinking reruns the same parameters).
        static CASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let case = CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = scratch(&format!("prop-{case}-{n}-{chunk}-{fk}-{threads}-{which}.h5"));
        let (a, b, m, q) = make(&path, n, chunk, fk);
        let f = File::open(&path, Mode::Read).expect("opens");
        let t = f.leaf("/t").unwrap();
        let src = EXPRS[which];
        let mut e = Expr::new(src).unwrap().threads(threads).block_len(block);
        e = e.bind_group(&f.root().unwrap()).unwrap();
        e = e.bind("x", &t.col("x").unwrap()).unwrap().bind("q", &t.col("p/q").unwrap()).unwrap();
        let range = (start, stop, Some(step));
        let ranged = step > 1 || start.is_some() || stop.is_some();
        if ranged {
            e = e.set_inputs_range(range.0, range.1, range.2).unwrap();
        }
        // The same operands in memory, sliced as a range would.
        let (first, st, k) = outcore::RowRange::new(range.0, range.1, range.2).resolve(n).unwrap();
        let (first, st, k) = if ranged { (first, st, k) } else { (0, 1, n) };
        let rows: Vec<usize> = (0..k).map(|i| first + i * st).collect();
        let a_m = Array1::from_iter(rows.iter().map(|&i| a[i]));
        let b_m = Array1::from_iter(rows.iter().map(|&i| b[i] as i32));
        let m_m = Array2::from_shape_fn((k, 3), |(i, j)| m[[rows[i], j]]);
        let q_m = Array1::from_iter(rows.iter().map(|&i| q[i]));
        let v = Array1::from(vec![1.0, -2.0, 0.5]);
        let mem = Expr::new(src).unwrap()
            .bind("a", &a_m).unwrap().bind("b", &b_m).unwrap().bind("m", &m_m).unwrap()
            .bind("v", &v).unwrap().bind("x", &a_m).unwrap().bind("q", &q_m).unwrap();
        let want = mem.eval();
        let got = e.eval();
        match (got, want) {
            (Ok(g), Ok(w)) => {
                same(&g, &w)?;
                // Blocks, concatenated, are the same values.
                if !g.shape().is_empty() && g.shape().len() == 1 {
                    let mut all: Vec<Array> = Vec::new();
                    for blk in e.iter().unwrap() {
                        all.push(blk.unwrap());
                    }
                    let total: usize = all.iter().map(|b| b.len()).sum();
                    prop_assert_eq!(total, g.len());
                }
            }
            (Err(g), Err(w)) => prop_assert_eq!(g.to_string(), w.to_string()),
            (g, w) => prop_assert!(false, "streamed {:?}, in memory {:?}", g.map(|_| ()), w.map(|_| ())),
        }
        drop((e, t, f));
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn outputs_overwrite_append_ranges_and_casts() {
    let path = scratch("outputs.h5");
    let n = 5000;
    make(&path, n, 300, 1);
    let f = File::open(&path, Mode::Append).expect("opens");
    let a = f.leaf("/a").unwrap();
    let want: Vec<f64> = a.read_array::<f64>().unwrap().iter().map(|x| x * 3.0).collect();
    // Overwrite a float32 CArray (same_kind: float64 → float32 is allowed).
    f.create_carray_filled::<f32>("/", "o32", &[n], Some(&[128]), Some(&Filters::zlib(4)), -1.0, "").unwrap();
    let o32 = f.leaf("/o32").unwrap();
    Expr::new("a*3").unwrap().bind("a", &a).unwrap().set_output(&o32).unwrap().eval().expect("writes");
    let got = o32.read_array::<f32>().unwrap();
    assert!(got.iter().zip(&want).all(|(g, w)| *g == *w as f32));
    // An output range: rows 10, 12, ... of a fresh CArray take the first 100 input rows.
    f.create_carray_filled::<f64>("/", "part", &[n], Some(&[64]), None, -1.0, "").unwrap();
    let part = f.leaf("/part").unwrap();
    Expr::new("a*3")
        .unwrap()
        .bind("a", &a)
        .unwrap()
        .set_inputs_range(None, Some(100), None)
        .unwrap()
        .set_output(&part)
        .unwrap()
        .set_output_range(Some(10), Some(210), Some(2))
        .unwrap()
        .eval()
        .expect("writes");
    let got = part.read_array::<f64>().unwrap();
    for (i, g) in got.iter().enumerate() {
        let w = if (10..210).contains(&i) && i % 2 == 0 { want[(i - 10) / 2] } else { -1.0 };
        assert_eq!(*g, w, "row {i}");
    }
    // Appending to an EArray that already has rows (not a multiple of its chunk).
    let start = Array1::from(vec![7.0f64; 77]);
    f.create_earray("/", "e", start.view(), Some(&[100]), 1000, Some(&Filters::zlib(1)), "").unwrap();
    let e = f.leaf("/e").unwrap();
    for _ in 0..2 {
        Expr::new("a*3").unwrap().bind("a", &a).unwrap().set_output_append(&e).unwrap().eval().expect("appends");
    }
    let got = e.read_array::<f64>().unwrap();
    assert_eq!(got.len(), 77 + 2 * n);
    assert!(got.iter().take(77).all(|&v| v == 7.0));
    assert!(got.iter().skip(77).zip(want.iter().chain(&want)).all(|(g, w)| g == w));
    // Errors: a cast same_kind forbids, rows that differ, appending to a CArray, a bad step.
    f.create_carray_filled::<i32>("/", "oi", &[n], None, None, 0, "").unwrap();
    let oi = f.leaf("/oi").unwrap();
    let err = Expr::new("a*3").unwrap().bind("a", &a).unwrap().set_output(&oi).unwrap().eval().unwrap_err();
    assert!(err.to_string().contains("same_kind"), "{err}");
    let short = f.leaf("/v").unwrap();
    let err = Expr::new("a").unwrap().bind("a", &a).unwrap().set_output(&short);
    assert!(err.is_err() || err.unwrap().eval().is_err());
    let err = Expr::new("a").unwrap().bind("a", &a).unwrap().set_output_append(&o32).unwrap_err();
    assert!(err.to_string().contains("EArray"), "{err}");
    assert!(Expr::new("a").unwrap().set_inputs_range(None, None, Some(0)).is_err());
    assert!(Expr::new("a").unwrap().set_inputs_range(None, None, Some(-1)).is_err());
}

#[test]
fn different_main_lengths_are_an_error_naming_both_unless_truncation_is_asked_for() {
    let path = scratch("lengths.h5");
    let f = File::open(&path, Mode::Write).expect("creates");
    f.create_carray("/", "a", Array1::from(vec![1.0; 100]).view(), Some(&[16]), None, "").unwrap();
    f.create_carray("/", "b", Array1::from(vec![2.0; 90]).view(), Some(&[16]), None, "").unwrap();
    let root = f.root().unwrap();
    let err = Expr::new("a+b").unwrap().bind_group(&root).unwrap().eval().unwrap_err().to_string();
    assert!(err.contains("`a` has 100 rows") && err.contains("`b` has 90"), "{err}");
    let r = Expr::new("a+b").unwrap().bind_group(&root).unwrap().allow_truncate().eval().unwrap();
    assert_eq!(r.shape(), &[90]);
    // A name with no leaf stays unbound: the error is the expression's.
    let err = Expr::new("a+zz").unwrap().bind_group(&root).unwrap().eval().unwrap_err().to_string();
    assert!(err.contains("zz"), "{err}");
    // A table cannot be an operand; uint64 values have no type.
    let t = f.create_table("/", "t", &Layout { kind: Kind::Record(vec![]), size: 0 }, 10, None, None, "");
    drop(t);
    f.create_carray("/", "u", Array1::from(vec![1u64; 10]).view(), None, None, "").unwrap();
    let err = Expr::new("u").unwrap().bind("u", &f.leaf("/u").unwrap()).unwrap_err().to_string();
    assert!(err.contains("uint64"), "{err}");
}

#[test]
fn a_damaged_chunk_stops_the_evaluation_with_an_error_naming_dataset_and_chunk() {
    let path = scratch("damaged.h5");
    {
        let f = File::open(&path, Mode::Write).expect("creates");
        let a = Array1::from_iter((0..20000).map(|i| i as f64));
        f.create_carray("/", "a", a.view(), Some(&[1000]), Some(&Filters::zlib(5)), "").unwrap();
    }
    // Flip bytes in the middle of one stored chunk.
    let chunk = {
        let f = File::open(&path, Mode::Read).unwrap();
        f.leaf("/a").unwrap().chunks().unwrap()[7].clone()
    };
    let mut bytes = std::fs::read(&path).unwrap();
    let at = (chunk.addr + chunk.size / 2) as usize;
    for b in &mut bytes[at..at + 16] {
        *b ^= 0x5a;
    }
    std::fs::write(&path, bytes).unwrap();
    let f = File::open(&path, Mode::Read).unwrap();
    let err = Expr::new("sum(a)").unwrap().bind("a", &f.leaf("/a").unwrap()).unwrap().eval().unwrap_err().to_string();
    assert!(err.contains("/a") && err.contains("7000"), "{err}");
}

#[test]
fn in_memory_and_hdf5_operands_mix_and_scalars_broadcast() {
    let path = scratch("mixed.h5");
    let (a, ..) = make(&path, 1234, 100, 2);
    let f = File::open(&path, Mode::Read).unwrap();
    let w = Array1::from_iter((0..1234).map(|i| i as f64));
    let r = Expr::new("a*w + k")
        .unwrap()
        .bind("a", &f.leaf("/a").unwrap())
        .unwrap()
        .bind("w", &w)
        .unwrap()
        .bind("k", 2.5)
        .unwrap()
        .eval()
        .unwrap()
        .into_f64()
        .unwrap();
    let want: ArrayD<f64> = (&a * &w + 2.5).into_dyn();
    assert_eq!(r, want);
}

/// `tables.Expr`'s answers over operands PyTables wrote (`scripts/make_expr_fixtures.py`).
#[test]
fn results_equal_pytables_expr_on_its_own_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytables");
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expr.json")).expect("fixture")).expect("json");
    let f = File::open(dir.join("expr.h5"), Mode::Read).expect("opens");
    for case in spec["cases"].as_array().expect("cases") {
        let src = case["expr"].as_str().unwrap();
        let mut e = Expr::new(src).unwrap();
        for (name, path) in case["binds"].as_object().unwrap() {
            let path = path.as_str().unwrap();
            e = match path.split_once('.') {
                Some((table, col)) => e.bind(name, &f.leaf(table).unwrap().col(col).unwrap()).unwrap(),
                None => e.bind(name, &f.leaf(path).unwrap()).unwrap(),
            };
        }
        if let Some(r) = case["range"].as_array() {
            let at = |i: usize| r.get(i).and_then(|v| v.as_i64());
            e = e.set_inputs_range(at(0), at(1), at(2)).unwrap();
        }
        let got = e.eval().unwrap_or_else(|err| panic!("{src}: {err}"));
        let shape: Vec<usize> =
            case["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        assert_eq!(got.shape(), shape.as_slice(), "{src}");
        assert_eq!(got.dtype().to_string(), case["dtype"].as_str().unwrap(), "{src}");
        let values: Vec<f64> = match &got {
            Array::Bool(a) => a.iter().map(|&b| b as u8 as f64).collect(),
            Array::Int32(a) => a.iter().map(|&v| v as f64).collect(),
            Array::Int64(a) => a.iter().map(|&v| v as f64).collect(),
            Array::Float32(a) => a.iter().map(|&v| v as f64).collect(),
            Array::Float64(a) => a.iter().copied().collect(),
            other => panic!("{src}: unexpected {:?}", other.dtype()),
        };
        let tol = if got.dtype().to_string() == "float32" { 1e-6 } else { 1e-13 };
        for (i, (g, w)) in values.iter().zip(case["values"].as_array().unwrap()).enumerate() {
            let w = w.as_f64().unwrap_or(f64::NAN);
            assert!((g - w).abs() <= tol * w.abs().max(1.0) || (g.is_nan() && w.is_nan()), "{src} [{i}]: {g} vs {w}");
        }
    }
}

#[test]
fn contiguous_arrays_stream_through_the_library() {
    let path = scratch("contiguous.h5");
    let f = File::open(&path, Mode::Write).expect("creates");
    let v = Array2::from_shape_fn((500, 2), |(i, j)| (i * 2 + j) as i16);
    f.create_array("/", "plain", v.view(), "a plain Array").unwrap();
    let plain = f.leaf("/plain").unwrap();
    assert!(plain.chunk_shape().is_none());
    let r = Expr::new("p * 2")
        .unwrap()
        .bind("p", &plain)
        .unwrap()
        .set_inputs_range(Some(-100), None, Some(3))
        .unwrap()
        .eval()
        .unwrap()
        .into_i32()
        .unwrap();
    let want = Array2::from_shape_fn((34, 2), |(i, j)| (v[[400 + 3 * i, j]] as i32) * 2).into_dyn();
    assert_eq!(r, want);
}
