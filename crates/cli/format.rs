//! How the command prints values: text for people, JSON and CSV for programs. JSON has no
//! NaN or infinities: they print as the strings "nan", "inf" and "-inf"; complex numbers as
//! [re, im]; byte strings as strings.

use outcore::h5::{AttrValue, Kind, Layout};
use outcore::{Array, Records};
use serde_json::{json, Value as J};

/// A stored kind as text: `float64`, `S10`, `(3,)float32`, `{a: int32, b: {c: float64}}`.
pub fn kind_text(k: &Kind) -> String {
    if let Some(name) = k.scalar_name() {
        return name;
    }
    match k {
        Kind::Other(s) => s.clone(),
        Kind::Array(k, dims) => format!("{dims:?}{}", kind_text(k)),
        Kind::Record(fields) => {
            let parts: Vec<String> = fields.iter().map(|f| format!("{}: {}", f.name, kind_text(&f.kind))).collect();
            format!("{{{}}}", parts.join(", "))
        }
        // Scalar kinds were named above.
        _ => String::new(),
    }
}

pub fn float(x: f64) -> J {
    if x.is_nan() {
        J::from("nan")
    } else if x.is_infinite() {
        J::from(if x > 0.0 { "inf" } else { "-inf" })
    } else {
        J::from(x)
    }
}

/// A float32 with its own shortest digits (`0.1`, not float64's `0.10000000149011612`).
pub fn float32(x: f32) -> J {
    if x.is_finite() {
        format!("{x}").parse::<f64>().map_or(J::Null, J::from)
    } else {
        float(x as f64)
    }
}

pub fn attrs_json(attrs: &[(String, AttrValue)]) -> J {
    fn one(v: &AttrValue) -> J {
        match v {
            AttrValue::Bool(b) => J::from(*b),
            AttrValue::Int(i) => J::from(*i),
            AttrValue::UInt(u) => J::from(*u),
            AttrValue::Float(f) => float(*f),
            AttrValue::Str(s) => J::from(s.clone()),
            AttrValue::Bytes(b) => J::from(String::from_utf8_lossy(b).into_owned()),
            AttrValue::Array(a) => J::from(a.iter().map(one).collect::<Vec<_>>()),
            AttrValue::Other(s) => J::from(s.clone()),
        }
    }
    J::Object(attrs.iter().map(|(k, v)| (k.clone(), one(v))).collect())
}

/// One stored value as JSON.
pub fn value_json(kind: &Kind, b: &[u8]) -> J {
    let num = |n: usize| -> Option<[u8; 8]> {
        let mut x = [0u8; 8];
        x[..n].copy_from_slice(b.get(..n)?);
        Some(x)
    };
    match kind {
        Kind::Bool => J::from(b.first().is_some_and(|&x| x != 0)),
        Kind::Int { size, signed } => {
            let Some(x) = num(*size) else { return J::Null };
            let u = u64::from_ne_bytes(x);
            if *signed {
                let shift = 64 - 8 * *size as u32;
                J::from(((u << shift) as i64) >> shift)
            } else {
                J::from(u)
            }
        }
        Kind::Float { size: 4 } => num(4).map_or(J::Null, |x| float32(f32::from_ne_bytes([x[0], x[1], x[2], x[3]]))),
        Kind::Float { .. } => num(8).map_or(J::Null, |x| float(f64::from_ne_bytes(x))),
        Kind::Complex { size } => {
            let h = size / 2;
            json!([
                value_json(&Kind::Float { size: h }, b),
                value_json(&Kind::Float { size: h }, b.get(h..).unwrap_or(&[]))
            ])
        }
        Kind::Bytes(_) => {
            let end = b.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
            J::from(String::from_utf8_lossy(&b[..end]).into_owned())
        }
        Kind::Array(k, dims) => {
            let n: usize = dims.iter().product();
            let w = k.size();
            J::from((0..n).map(|i| value_json(k, b.get(i * w..(i + 1) * w).unwrap_or(&[]))).collect::<Vec<_>>())
        }
        Kind::Record(fields) => J::Object(
            fields
                .iter()
                .map(|f| {
                    (f.name.clone(), value_json(&f.kind, b.get(f.offset..f.offset + f.kind.size()).unwrap_or(&[])))
                })
                .collect(),
        ),
        Kind::Other(_) => J::Null,
    }
}

/// An evaluation's result: a number for a 0-d result, else nested arrays.
pub fn array_json(a: &Array) -> J {
    fn nest(shape: &[usize], flat: &[J]) -> J {
        match shape {
            [] => flat.first().cloned().unwrap_or(J::Null),
            [_] => J::from(flat.to_vec()),
            [n, rest @ ..] => {
                let step: usize = rest.iter().product();
                J::from((0..*n).map(|i| nest(rest, &flat[i * step..(i + 1) * step])).collect::<Vec<_>>())
            }
        }
    }
    let flat: Vec<J> = match a {
        Array::Bool(v) => v.iter().map(|&x| J::from(x)).collect(),
        Array::Int32(v) => v.iter().map(|&x| J::from(x)).collect(),
        Array::Int64(v) => v.iter().map(|&x| J::from(x)).collect(),
        Array::Float32(v) => v.iter().map(|&x| float32(x)).collect(),
        Array::Float64(v) => v.iter().map(|&x| float(x)).collect(),
        Array::Complex128(v) => v.iter().map(|x| json!([float(x.re), float(x.im)])).collect(),
        Array::Bytes(b) => {
            (0..b.len()).map(|i| J::from(String::from_utf8_lossy(b.get(i).unwrap_or(&[])).into_owned())).collect()
        }
    };
    nest(a.shape(), &flat)
}

/// Text: a 0-d result as one value; otherwise one row per line (values of a row separated by
/// spaces).
pub fn print_array(a: &Array) {
    let j = array_json(a);
    match &j {
        J::Array(rows) => {
            for r in rows {
                outln!("{}", row_text(r));
            }
        }
        v => outln!("{v}"),
    }
}

/// One row of an array as text: its values separated by spaces (a string as it is, without
/// quotes).
pub fn row_text(r: &J) -> String {
    match r {
        J::Array(vals) => vals.iter().map(J::to_string).collect::<Vec<_>>().join(" "),
        v => v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()),
    }
}

/// Records read by a query: JSON (objects, or values with `--field`), CSV (a header of
/// column paths, then rows), or text (one record per line, as JSON).
pub fn print_records(recs: &Records, layout: &Layout, field: Option<&str>, json: bool, csv: bool) {
    let style = if json {
        Style::Json
    } else if csv {
        Style::Csv
    } else {
        Style::Text
    };
    let mut p = RecordPrinter::new(layout, field, style);
    for i in 0..recs.len() {
        p.item(&value_json(&recs.kind, recs.bytes(i).unwrap_or(&[])));
    }
    p.finish();
}

/// How records are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// One record per line, as JSON.
    Text,
    /// One JSON array of them all.
    Json,
    /// One JSON value per line (JSON Lines).
    JsonLines,
    /// A header of column paths, then one line per record.
    Csv,
}

/// Prints records one at a time (so that a stream of them never sits in memory whole).
pub struct RecordPrinter {
    style: Style,
    /// The CSV columns: every column path, or the one field asked for.
    cols: Vec<String>,
    field: bool,
    n: usize,
}

impl RecordPrinter {
    /// A printer of records of `layout` (or of its column `field`).
    pub fn new(layout: &Layout, field: Option<&str>, style: Style) -> RecordPrinter {
        let cols = match field {
            Some(f) => vec![f.to_string()],
            None => layout.columns(),
        };
        if style == Style::Csv {
            outln!("{}", cols.join(","));
        }
        RecordPrinter { style, cols, field: field.is_some(), n: 0 }
    }

    /// Prints one record (or field value), given as JSON.
    pub fn item(&mut self, it: &J) {
        match self.style {
            Style::Text | Style::JsonLines => outln!("{it}"),
            Style::Json => out!("{}{it}", if self.n == 0 { "[" } else { "," }),
            Style::Csv => {
                let cells: Vec<String> = if self.field {
                    vec![cell(it)]
                } else {
                    self.cols.iter().map(|c| cell(c.split('/').fold(it, |v, k| v.get(k).unwrap_or(&J::Null)))).collect()
                };
                outln!("{}", cells.join(","));
            }
        }
        self.n += 1;
    }

    /// Ends the output (closes the JSON array).
    pub fn finish(self) {
        if self.style == Style::Json {
            outln!("{}", if self.n == 0 { "[]" } else { "]" });
        }
    }
}

/// One CSV cell: a string quoted when it must be, arrays and objects as quoted JSON.
pub fn cell(v: &J) -> String {
    match v {
        J::String(s) if s.contains([',', '"', '\n']) => format!("\"{}\"", s.replace('"', "\"\"")),
        J::String(s) => s.clone(),
        J::Array(_) | J::Object(_) => format!("\"{}\"", v.to_string().replace('"', "\"\"")),
        other => other.to_string(),
    }
}
