//! Differential tests against numexpr 2.14: every case of `tests/fixtures/numexpr/*.json`
//! (written by `scripts/make_numexpr_fixtures.py`, loaded by [`crate::numexpr_fixtures`]) must
//! give numexpr's dtype and values, exactly or within the case's ulp tolerance, or be rejected
//! where numexpr rejects it. Cases marked `"reference": "numpy"` are where outcore deliberately
//! differs from numexpr (see the README's semantics section).

use ndarray::{ArrayD, IxDyn};
use num_complex::Complex64;
use outcore::{Array, BytesArray, Expr};

use crate::numexpr_fixtures::{all_cases, check, FixtureArray, Values};

fn to_array(f: &FixtureArray) -> Array {
    let shape = IxDyn(&f.shape);
    macro_rules! nd {
        ($v:expr, $variant:ident) => {
            Array::$variant(ArrayD::from_shape_vec(shape, $v.clone()).expect("fixture shape"))
        };
    }
    match &f.values {
        Values::Bool(v) => nd!(v, Bool),
        Values::Int32(v) => nd!(v, Int32),
        Values::Int64(v) => nd!(v, Int64),
        Values::Float32(v) => nd!(v, Float32),
        Values::Float64(v) => nd!(v, Float64),
        Values::Complex128(v) => {
            let c: Vec<Complex64> = v.iter().map(|&(re, im)| Complex64::new(re, im)).collect();
            nd!(c, Complex128)
        }
        Values::Bytes { itemsize, data } => {
            Array::Bytes(BytesArray { shape: f.shape.clone(), itemsize: *itemsize, data: data.clone() })
        }
    }
}

fn from_array(a: &Array) -> FixtureArray {
    let shape = a.shape().to_vec();
    let flat = |v: Vec<_>| v;
    let values = match a {
        Array::Bool(x) => Values::Bool(flat(x.iter().copied().collect())),
        Array::Int32(x) => Values::Int32(x.iter().copied().collect()),
        Array::Int64(x) => Values::Int64(x.iter().copied().collect()),
        Array::Float32(x) => Values::Float32(x.iter().copied().collect()),
        Array::Float64(x) => Values::Float64(x.iter().copied().collect()),
        Array::Complex128(x) => Values::Complex128(x.iter().map(|c| (c.re, c.im)).collect()),
        Array::Bytes(b) => Values::Bytes { itemsize: b.itemsize, data: b.data.clone() },
    };
    FixtureArray { shape, values }
}

#[test]
fn outcore_gives_numexprs_answers() {
    every_case_matches(None, None);
}

/// The same cases with blocks of one element and of seven (blocks that end mid-unit, a
/// reduction's partials over many blocks) and on one thread and four: the answers do not move.
#[test]
fn numexprs_answers_do_not_depend_on_block_length_or_threads() {
    for (block, threads) in [(1, 1), (7, 4), (4096, 1), (4096, 4)] {
        every_case_matches(Some(block), Some(threads));
    }
}

fn every_case_matches(block: Option<usize>, threads: Option<usize>) {
    let cases = all_cases();
    assert!(cases.len() >= 150, "too few cases");
    let mut failures = Vec::new();
    for case in &cases {
        let inputs: Vec<(String, Array)> = case.inputs.iter().map(|(k, v)| (k.clone(), to_array(v))).collect();
        let result = (|| {
            let mut e = Expr::new(&case.expr)?;
            for (name, value) in &inputs {
                e = e.bind(name, value)?;
            }
            if let Some(b) = block {
                e = e.block_len(b);
            }
            if let Some(t) = threads {
                e = e.threads(t);
            }
            e.eval()
        })();
        match (&case.expected, result) {
            (Some(_), Ok(got)) => {
                if let Err(m) = check(case, &from_array(&got)) {
                    failures.push(m);
                }
            }
            (Some(_), Err(e)) => failures.push(format!("{} `{}`: unexpected error: {e}", case.id, case.expr)),
            (None, Ok(got)) => failures.push(format!(
                "{} `{}`: numexpr rejects it ({}), outcore returned {}",
                case.id,
                case.expr,
                case.error.as_deref().unwrap_or("?"),
                got.dtype()
            )),
            (None, Err(_)) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "block length {block:?}, threads {threads:?}: {} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The same cases with every array input stored in an HDF5 file (CArrays of three-row chunks)
/// and streamed through the engine: the answers are the in-memory ones. Inputs the file path
/// does not take (scalars, byte strings) stay in memory.
#[test]
fn numexprs_answers_streamed_from_hdf5() {
    use outcore::h5::{File, Mode};
    let dir = std::env::temp_dir().join(format!("outcore-numexpr-h5-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = all_cases();
    let (mut failures, mut streamed) = (Vec::new(), 0);
    for (k, case) in cases.iter().enumerate() {
        if case.expected.is_none() {
            continue;
        }
        let path = dir.join(format!("case{k}.h5"));
        let f = File::open(&path, Mode::Write).unwrap();
        let mut bound: Vec<(String, Option<outcore::h5::Leaf>, Array)> = Vec::new();
        for (name, v) in &case.inputs {
            let a = to_array(v);
            let leaf = if a.shape().is_empty() {
                None
            } else {
                let mut chunk = a.shape().to_vec();
                chunk[0] = chunk[0].clamp(1, 3);
                for c in chunk.iter_mut() {
                    *c = (*c).max(1);
                }
                let made = match &a {
                    Array::Bool(x) => f.create_carray("/", name, x.view(), Some(&chunk), None, ""),
                    Array::Int32(x) => f.create_carray("/", name, x.view(), Some(&chunk), None, ""),
                    Array::Int64(x) => f.create_carray("/", name, x.view(), Some(&chunk), None, ""),
                    Array::Float32(x) => f.create_carray("/", name, x.view(), Some(&chunk), None, ""),
                    Array::Float64(x) => f.create_carray("/", name, x.view(), Some(&chunk), None, ""),
                    Array::Complex128(x) => f.create_carray("/", name, x.view(), Some(&chunk), None, ""),
                    Array::Bytes(_) => {
                        bound.push((name.clone(), None, a));
                        continue;
                    }
                };
                Some(made.unwrap())
            };
            bound.push((name.clone(), leaf, a));
        }
        f.flush().unwrap();
        if bound.iter().all(|(_, l, _)| l.is_none()) {
            continue;
        }
        streamed += 1;
        let result = (|| {
            let mut e = Expr::new(&case.expr)?;
            for (name, leaf, a) in &bound {
                e = match leaf {
                    Some(l) => e.bind(name, l)?,
                    None => e.bind(name, a)?,
                };
            }
            e.eval()
        })();
        match result {
            Ok(got) => {
                if let Err(m) = check(case, &from_array(&got)) {
                    failures.push(m);
                }
            }
            Err(e) => failures.push(format!("{} `{}`: streamed: {e}", case.id, case.expr)),
        }
        drop(f);
        let _ = std::fs::remove_file(&path);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(streamed >= 100, "only {streamed} cases streamed");
    assert!(failures.is_empty(), "{} of {streamed} streamed cases differ:\n{}", failures.len(), failures.join("\n"));
}
