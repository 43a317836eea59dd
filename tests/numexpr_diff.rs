//! Differential tests against numexpr 2.14: `tests/fixtures/numexpr/cases.json`, written by
//! `scripts/make_numexpr_cases.py`. Each case's result must have numexpr's dtype and its
//! values (exactly, or within the case's ulp tolerance for transcendental functions), or be
//! rejected where numexpr rejects it. Cases marked `"reference": "numpy"` are where outcore
//! deliberately differs from numexpr (see the README's semantics section).

use base64::Engine;
use ndarray::{ArrayD, IxDyn};
use num_complex::Complex64;
use outcore::{Array, BytesArray, Expr};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    expr: String,
    inputs: std::collections::BTreeMap<String, Encoded>,
    expected: Option<Encoded>,
    error: Option<String>,
    tolerance_ulps: u64,
}

#[derive(Deserialize)]
struct Encoded {
    dtype: String,
    shape: Vec<usize>,
    b64: String,
}

fn decode(e: &Encoded) -> Array {
    let raw = base64::engine::general_purpose::STANDARD.decode(&e.b64).expect("fixture base64");
    let shape = IxDyn(&e.shape);
    macro_rules! nd {
        ($t:ty, $n:expr, $variant:ident) => {{
            let v: Vec<$t> = raw.chunks_exact($n).map(|c| <$t>::from_le_bytes(c.try_into().expect("chunk"))).collect();
            Array::$variant(ArrayD::from_shape_vec(shape, v).expect("fixture shape"))
        }};
    }
    match e.dtype.as_str() {
        "bool" => Array::Bool(ArrayD::from_shape_vec(shape, raw.iter().map(|&b| b != 0).collect()).expect("shape")),
        "int32" => nd!(i32, 4, Int32),
        "int64" => nd!(i64, 8, Int64),
        "float32" => nd!(f32, 4, Float32),
        "float64" => nd!(f64, 8, Float64),
        "complex128" => {
            let v: Vec<Complex64> = raw
                .chunks_exact(16)
                .map(|c| {
                    let re = f64::from_le_bytes(c[..8].try_into().expect("re"));
                    let im = f64::from_le_bytes(c[8..].try_into().expect("im"));
                    Complex64::new(re, im)
                })
                .collect();
            Array::Complex128(ArrayD::from_shape_vec(shape, v).expect("shape"))
        }
        s if s.starts_with('S') => {
            let itemsize: usize = s[1..].parse().expect("itemsize");
            Array::Bytes(BytesArray { shape: e.shape.clone(), itemsize, data: raw })
        }
        other => panic!("unknown fixture dtype {other}"),
    }
}

/// Distance in units in the last place between two floats of the same sign (NaN == NaN).
fn ulps64(a: f64, b: f64) -> u64 {
    if a.is_nan() && b.is_nan() {
        return 0;
    }
    if a == b {
        return if a.to_bits() == b.to_bits() || a == 0.0 { 0 } else { 1 };
    }
    if a.is_nan() || b.is_nan() || a.is_sign_negative() != b.is_sign_negative() {
        return u64::MAX;
    }
    a.to_bits().abs_diff(b.to_bits())
}

fn ulps32(a: f32, b: f32) -> u64 {
    if a.is_nan() && b.is_nan() {
        return 0;
    }
    if a == b {
        return 0;
    }
    if a.is_nan() || b.is_nan() || a.is_sign_negative() != b.is_sign_negative() {
        return u64::MAX;
    }
    u64::from(a.to_bits().abs_diff(b.to_bits()))
}

fn compare(got: &Array, want: &Array, tol: u64) -> Result<(), String> {
    if got.dtype() != want.dtype() {
        return Err(format!("dtype: got {}, want {}", got.dtype(), want.dtype()));
    }
    if got.shape() != want.shape() {
        return Err(format!("shape: got {:?}, want {:?}", got.shape(), want.shape()));
    }
    macro_rules! each {
        ($g:expr, $w:expr, |$x:ident, $y:ident| $ok:expr) => {
            for (i, ($x, $y)) in $g.iter().zip($w.iter()).enumerate() {
                if !$ok {
                    return Err(format!("element {i}: got {:?}, want {:?}", $x, $y));
                }
            }
        };
    }
    match (got, want) {
        (Array::Bool(g), Array::Bool(w)) => each!(g, w, |x, y| x == y),
        (Array::Int32(g), Array::Int32(w)) => each!(g, w, |x, y| x == y),
        (Array::Int64(g), Array::Int64(w)) => each!(g, w, |x, y| x == y),
        // With a tolerance, values near zero after cancellation compare absolutely too.
        (Array::Float32(g), Array::Float32(w)) => {
            each!(g, w, |x, y| ulps32(*x, *y) <= tol || (tol > 0 && (x - y).abs() <= tol as f32 * f32::EPSILON))
        }
        (Array::Float64(g), Array::Float64(w)) => {
            each!(g, w, |x, y| ulps64(*x, *y) <= tol || (tol > 0 && (x - y).abs() <= tol as f64 * f64::EPSILON))
        }
        // Complex values: each part within the tolerance, or the difference small next to |z|.
        (Array::Complex128(g), Array::Complex128(w)) => each!(g, w, |x, y| {
            let scale = x.norm().max(y.norm());
            let close =
                |a: f64, b: f64| ulps64(a, b) <= tol || (tol > 0 && (a - b).abs() <= tol as f64 * f64::EPSILON * scale);
            close(x.re, y.re) && close(x.im, y.im)
        }),
        _ => return Err("value kinds differ".into()),
    }
    Ok(())
}

#[test]
fn outcore_gives_numexprs_answers() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/numexpr/cases.json"))
        .expect("fixture file");
    let file: File = serde_json::from_str(&text).expect("fixture json");
    assert!(file.cases.len() >= 150, "too few cases");
    let mut failures = Vec::new();
    for case in &file.cases {
        let inputs: Vec<(String, Array)> = case.inputs.iter().map(|(k, v)| (k.clone(), decode(v))).collect();
        let result = (|| {
            let mut e = Expr::new(&case.expr)?;
            for (name, value) in &inputs {
                e = e.bind(name, value)?;
            }
            e.eval()
        })();
        match (&case.expected, result) {
            (Some(want), Ok(got)) => {
                if let Err(m) = compare(&got, &decode(want), case.tolerance_ulps) {
                    failures.push(format!("{} `{}`: {m}", case.id, case.expr));
                }
            }
            (Some(_), Err(e)) => failures.push(format!("{} `{}`: unexpected error: {e}", case.id, case.expr)),
            (None, Ok(got)) => failures.push(format!(
                "{} `{}`: numexpr rejects it ({}), outcore returned {:?}",
                case.id,
                case.expr,
                case.error.as_deref().unwrap_or("?"),
                got.dtype()
            )),
            (None, Err(_)) => {}
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), file.cases.len(), failures.join("\n"));
}
