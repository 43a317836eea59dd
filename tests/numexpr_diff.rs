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
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
