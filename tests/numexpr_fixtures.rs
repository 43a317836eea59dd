//! The numexpr 2.14 differential fixtures: `tests/fixtures/numexpr/<topic>.json`, written by
//! `scripts/make_numexpr_fixtures.py`. This module loads them into plain typed arrays and
//! compares a result against a case's expected value; the test that runs outcore's evaluator
//! over [`all_cases`] lives elsewhere.
//!
//! Comparison rules ([`check`]): the dtype and shape must match; bool, integer and byte-string
//! values must be equal; floats must have the same bits (so NaN equals any NaN and -0.0 differs
//! from 0.0) unless the case carries a `tolerance_ulps`, in which case the two values may be that
//! many units in the last place apart (set per function by the generator: 4 for transcendental
//! functions in f64, 8 in f32 and complex, 4 for `**` on floats, 2 for complex division, more
//! for float sums). With a tolerance, values near zero after cancellation may also differ by
//! `tolerance × EPSILON` absolutely (× |z| for complex parts, compared part by part).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Deserialize;

/// The fixture files, one per topic.
pub const TOPICS: [&str; 8] = ["arith", "compare", "funcs", "reductions", "casts", "strings", "edge", "errors"];

/// An array as stored in a fixture: its dtype name, shape and raw little-endian bytes.
#[derive(Debug, Clone, Deserialize)]
pub struct Encoded {
    pub dtype: String,
    pub shape: Vec<usize>,
    pub b64: String,
}

/// One differential case.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub id: String,
    pub expr: String,
    pub inputs: BTreeMap<String, FixtureArray>,
    pub expected: Option<FixtureArray>,
    /// numexpr's message when it rejects the expression (we match the fact, not the text).
    pub error: Option<String>,
    pub tolerance_ulps: u64,
    /// `"numexpr"`, or `"numpy"` where the expected value is NumPy's (see `note`).
    pub reference: String,
    pub note: Option<String>,
}

#[derive(Deserialize)]
struct File {
    cases: Vec<Case>,
}

/// The values of a fixture array, by dtype.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Bool(Vec<bool>),
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Float32(Vec<f32>),
    Float64(Vec<f64>),
    /// (re, im) pairs.
    Complex128(Vec<(f64, f64)>),
    /// Fixed-width byte strings: `itemsize` bytes per element, NUL padded.
    Bytes {
        itemsize: usize,
        data: Vec<u8>,
    },
}

/// An in-memory, C-ordered typed array: the form inputs and expected values take.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Encoded")]
pub struct FixtureArray {
    pub shape: Vec<usize>,
    pub values: Values,
}

impl FixtureArray {
    /// numpy's dtype name: `bool`, `int32`, ..., `complex128`, `S<n>`.
    pub fn dtype(&self) -> String {
        match &self.values {
            Values::Bool(_) => "bool".into(),
            Values::Int32(_) => "int32".into(),
            Values::Int64(_) => "int64".into(),
            Values::Float32(_) => "float32".into(),
            Values::Float64(_) => "float64".into(),
            Values::Complex128(_) => "complex128".into(),
            Values::Bytes { itemsize, .. } => format!("S{itemsize}"),
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        match &self.values {
            Values::Bool(v) => v.len(),
            Values::Int32(v) => v.len(),
            Values::Int64(v) => v.len(),
            Values::Float32(v) => v.len(),
            Values::Float64(v) => v.len(),
            Values::Complex128(v) => v.len(),
            Values::Bytes { itemsize, data } => data.len().checked_div(*itemsize).unwrap_or(0),
        }
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn chunks<const N: usize>(raw: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    raw.chunks_exact(N).map(|c| {
        let mut b = [0u8; N];
        b.copy_from_slice(c);
        b
    })
}

impl TryFrom<Encoded> for FixtureArray {
    type Error = String;

    fn try_from(e: Encoded) -> Result<Self, String> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&e.b64)
            .map_err(|err| format!("bad base64 for a {} array: {err}", e.dtype))?;
        let n = e.shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or("shape overflows")?;
        let width = match e.dtype.as_str() {
            "bool" => 1,
            "int32" | "float32" => 4,
            "int64" | "float64" => 8,
            "complex128" => 16,
            s => match s.strip_prefix('S').map(str::parse::<usize>) {
                Some(Ok(w)) if w > 0 => w,
                _ => return Err(format!("unknown dtype {s:?}")),
            },
        };
        if Some(raw.len()) != n.checked_mul(width) {
            return Err(format!("{} bytes for {} array of shape {:?}", raw.len(), e.dtype, e.shape));
        }
        let values = match e.dtype.as_str() {
            "bool" => Values::Bool(raw.iter().map(|&b| b != 0).collect()),
            "int32" => Values::Int32(chunks(&raw).map(i32::from_le_bytes).collect()),
            "int64" => Values::Int64(chunks(&raw).map(i64::from_le_bytes).collect()),
            "float32" => Values::Float32(chunks(&raw).map(f32::from_le_bytes).collect()),
            "float64" => Values::Float64(chunks(&raw).map(f64::from_le_bytes).collect()),
            "complex128" => Values::Complex128(
                chunks::<16>(&raw)
                    .map(|c| {
                        let (re, im) = c.split_at(8);
                        let part = |s: &[u8]| {
                            let mut b = [0u8; 8];
                            b.copy_from_slice(s);
                            f64::from_le_bytes(b)
                        };
                        (part(re), part(im))
                    })
                    .collect(),
            ),
            _ => Values::Bytes { itemsize: width, data: raw },
        };
        Ok(FixtureArray { shape: e.shape, values })
    }
}

/// The fixture directory.
pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/numexpr")
}

/// The cases of one topic file.
pub fn load_topic(topic: &str) -> Result<Vec<Case>, String> {
    let path = fixture_dir().join(format!("{topic}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: File = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(file.cases)
}

/// Every case of every topic file, in file order. Panics (this is test code) if a file is missing
/// or malformed, naming it.
pub fn all_cases() -> Vec<Case> {
    TOPICS.iter().flat_map(|t| load_topic(t).unwrap_or_else(|e| panic!("numexpr fixture: {e}"))).collect()
}

/// Distance in ulps between two f64 of the same sign; NaN is 0 from NaN; 0.0 and -0.0 are 1 apart.
fn ulps64(a: f64, b: f64) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() { 0 } else { u64::MAX };
    }
    if a.is_sign_negative() != b.is_sign_negative() {
        // Across zero: the distance of each to its signed zero, plus one for the sign flip.
        let (x, y) = (a.abs().to_bits(), b.abs().to_bits());
        return x.saturating_add(y).saturating_add(1);
    }
    a.to_bits().abs_diff(b.to_bits())
}

fn ulps32(a: f32, b: f32) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() { 0 } else { u64::MAX };
    }
    if a.is_sign_negative() != b.is_sign_negative() {
        let (x, y) = (u64::from(a.abs().to_bits()), u64::from(b.abs().to_bits()));
        return x + y + 1;
    }
    u64::from(a.to_bits().abs_diff(b.to_bits()))
}

/// Checks `got` against the case's expected value. The error names the case, the element's flat
/// index, the expected and the obtained value.
pub fn check(case: &Case, got: &FixtureArray) -> Result<(), String> {
    let id = &case.id;
    let Some(want) = &case.expected else {
        return Err(format!(
            "{id} `{}`: numexpr rejects it ({}), but a {} result was produced",
            case.expr,
            case.error.as_deref().unwrap_or("error"),
            got.dtype()
        ));
    };
    if got.dtype() != want.dtype() {
        return Err(format!("{id} `{}`: dtype: expected {}, got {}", case.expr, want.dtype(), got.dtype()));
    }
    if got.shape != want.shape {
        return Err(format!("{id} `{}`: shape: expected {:?}, got {:?}", case.expr, want.shape, got.shape));
    }
    let tol = case.tolerance_ulps;
    let fail = |i: usize, w: &dyn std::fmt::Debug, g: &dyn std::fmt::Debug| {
        Err(format!("{id} `{}`: element {i}: expected {w:?}, got {g:?} (tolerance {tol} ulps)", case.expr))
    };
    macro_rules! each {
        ($w:expr, $g:expr, |$x:ident, $y:ident| $ok:expr) => {{
            if $w.len() != $g.len() {
                return Err(format!("{id}: {} elements expected, {} got", $w.len(), $g.len()));
            }
            for (i, ($x, $y)) in $w.iter().zip($g.iter()).enumerate() {
                if !$ok {
                    return fail(i, $x, $y);
                }
            }
        }};
    }
    match (&want.values, &got.values) {
        (Values::Bool(w), Values::Bool(g)) => each!(w, g, |x, y| x == y),
        (Values::Int32(w), Values::Int32(g)) => each!(w, g, |x, y| x == y),
        (Values::Int64(w), Values::Int64(g)) => each!(w, g, |x, y| x == y),
        (Values::Float32(w), Values::Float32(g)) => {
            each!(w, g, |x, y| ulps32(*x, *y) <= tol || (tol > 0 && (x - y).abs() <= tol as f32 * f32::EPSILON))
        }
        (Values::Float64(w), Values::Float64(g)) => {
            each!(w, g, |x, y| ulps64(*x, *y) <= tol || (tol > 0 && (x - y).abs() <= tol as f64 * f64::EPSILON))
        }
        (Values::Complex128(w), Values::Complex128(g)) => each!(w, g, |x, y| {
            let scale = x.0.hypot(x.1).max(y.0.hypot(y.1));
            let close =
                |a: f64, b: f64| ulps64(a, b) <= tol || (tol > 0 && (a - b).abs() <= tol as f64 * f64::EPSILON * scale);
            close(x.0, y.0) && close(x.1, y.1)
        }),
        (Values::Bytes { itemsize: n, data: w }, Values::Bytes { data: g, .. }) => {
            let (w, g): (Vec<&[u8]>, Vec<&[u8]>) = (w.chunks(*n).collect(), g.chunks(*n).collect());
            each!(w, g, |x, y| x == y)
        }
        _ => return Err(format!("{id}: value kinds differ")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_file_parses_and_is_not_empty() {
        for t in TOPICS {
            let cases = load_topic(t).unwrap_or_else(|e| panic!("{e}"));
            assert!(!cases.is_empty(), "{t}.json has no cases");
        }
    }

    #[test]
    fn every_case_has_inputs_and_expected_or_error() {
        let cases = all_cases();
        assert!(cases.len() >= 150, "only {} cases", cases.len());
        let mut ids = std::collections::HashSet::new();
        for c in &cases {
            assert!(ids.insert(c.id.clone()), "duplicate id {}", c.id);
            assert!(!c.expr.is_empty(), "{}: empty expression", c.id);
            assert!(!c.inputs.is_empty(), "{}: no inputs", c.id);
            assert!(c.expected.is_some() != c.error.is_some(), "{}: needs exactly one of expected and error", c.id);
            assert!(c.reference == "numexpr" || c.reference == "numpy", "{}: reference {}", c.id, c.reference);
            if c.reference == "numpy" {
                assert!(c.note.as_deref().is_some_and(|n| !n.is_empty()), "{}: numpy reference without a note", c.id);
            }
            for (name, a) in &c.inputs {
                assert_eq!(a.len(), a.shape.iter().product::<usize>(), "{} input {name}", c.id);
            }
        }
    }

    #[test]
    fn every_expected_value_checks_against_itself() {
        for c in all_cases() {
            if let Some(want) = &c.expected {
                assert_eq!(check(&c, want), Ok(()));
            } else {
                let any = FixtureArray { shape: vec![0], values: Values::Bool(vec![]) };
                assert!(check(&c, &any).is_err(), "{}: an error case accepted a result", c.id);
            }
        }
    }

    fn case(want: FixtureArray, tol: u64) -> Case {
        Case {
            id: "unit/x".into(),
            expr: "a".into(),
            inputs: BTreeMap::new(),
            expected: Some(want),
            error: None,
            tolerance_ulps: tol,
            reference: "numexpr".into(),
            note: None,
        }
    }

    fn f64s(v: &[f64]) -> FixtureArray {
        FixtureArray { shape: vec![v.len()], values: Values::Float64(v.to_vec()) }
    }

    #[test]
    fn exact_compare_tells_zero_signs_and_last_bits_apart_but_not_nans() {
        let c = case(f64s(&[0.0, 1.0, f64::NAN]), 0);
        assert_eq!(check(&c, &f64s(&[0.0, 1.0, -f64::NAN])), Ok(()));
        let e = check(&c, &f64s(&[-0.0, 1.0, f64::NAN])).unwrap_err();
        assert!(e.contains("unit/x") && e.contains("element 0"), "{e}");
        assert!(check(&c, &f64s(&[0.0, f64::from_bits(1.0f64.to_bits() + 1), f64::NAN])).is_err());
        assert!(check(&c, &f64s(&[0.0, 1.0, 1.0])).is_err());
    }

    #[test]
    fn edge_lengths_and_scalars_are_covered() {
        let cases = all_cases();
        let has = |p: &dyn Fn(&FixtureArray) -> bool| cases.iter().any(|c| c.inputs.values().any(p));
        assert!(has(&|a| a.is_empty()), "no empty input");
        assert!(has(&|a| a.shape.is_empty()), "no 0-d input");
        assert!(has(&|a| a.shape.len() == 2), "no 2-D input");
        assert!(has(&|a| a.len() >= 10_000), "no long input");
        assert!(cases.iter().any(|c| c.reference == "numpy"), "no NumPy-referenced case");
    }

    #[test]
    fn ulp_tolerance_is_a_bound() {
        let c = case(f64s(&[1.0]), 2);
        assert_eq!(check(&c, &f64s(&[f64::from_bits(1.0f64.to_bits() + 2)])), Ok(()));
        assert!(check(&c, &f64s(&[f64::from_bits(1.0f64.to_bits() + 3)])).is_err());
        let c32 = case(FixtureArray { shape: vec![1], values: Values::Float32(vec![0.0]) }, 1);
        let neg = FixtureArray { shape: vec![1], values: Values::Float32(vec![-0.0]) };
        assert_eq!(check(&c32, &neg), Ok(()));
    }

    #[test]
    fn dtype_and_shape_must_match() {
        let c = case(f64s(&[1.0, 2.0]), 0);
        let f32s = FixtureArray { shape: vec![2], values: Values::Float32(vec![1.0, 2.0]) };
        assert!(check(&c, &f32s).unwrap_err().contains("dtype"));
        let mut reshaped = f64s(&[1.0, 2.0]);
        reshaped.shape = vec![1, 2];
        assert!(check(&c, &reshaped).unwrap_err().contains("shape"));
    }

    #[test]
    fn bad_encodings_are_errors_not_panics() {
        let enc = |dtype: &str, shape: Vec<usize>, b64: &str| {
            FixtureArray::try_from(Encoded { dtype: dtype.into(), shape, b64: b64.into() })
        };
        assert!(enc("float64", vec![1], "AAAA").is_err()); // 3 bytes
        assert!(enc("float16", vec![0], "").is_err());
        assert!(enc("S0", vec![0], "").is_err());
        assert!(enc("int32", vec![1], "!!").is_err());
        let s = enc("S2", vec![2], "YWJjZA==").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.values, Values::Bytes { itemsize: 2, data: b"abcd".to_vec() });
        assert_eq!(s.dtype(), "S2");
    }
}
