//! The kinds of values an expression computes with, and numexpr's promotion order.

use std::fmt;

/// The type of a value in an expression.
///
/// numexpr's kinds, in promotion order: `Bool < Int32 < Int64 < Float32 < Float64 < Complex128`.
/// `Bytes` (fixed-length byte strings, NUL padded) stands apart: it only compares with bytes.
/// Storage types outside this set (int8, uint16, float16, ...) are cast on the way in by the
/// caller, as PyTables does (int8/int16/uint8/uint16 → int32, uint32 → int64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    Int32,
    Int64,
    Float32,
    Float64,
    Complex128,
    /// A fixed-length byte string of this many bytes.
    Bytes(usize),
}

impl DType {
    /// The short name used in opcode names and disassembly: `b`, `i32`, `i64`, `f32`, `f64`, `c128`, `s`.
    pub fn short(self) -> &'static str {
        match self {
            DType::Bool => "b",
            DType::Int32 => "i32",
            DType::Int64 => "i64",
            DType::Float32 => "f32",
            DType::Float64 => "f64",
            DType::Complex128 => "c128",
            DType::Bytes(_) => "s",
        }
    }

    /// Size of one element in bytes.
    pub fn itemsize(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::Int32 | DType::Float32 => 4,
            DType::Int64 | DType::Float64 => 8,
            DType::Complex128 => 16,
            DType::Bytes(n) => n,
        }
    }

    pub fn is_numeric(self) -> bool {
        !matches!(self, DType::Bytes(_))
    }
}

impl DType {
    /// The type of a name as NumPy or this crate's `Display` writes it: `bool`, `int32`,
    /// `int64`, `float32`, `float64`, `complex128`, and byte strings as `S10` or `bytes10`.
    pub fn from_name(name: &str) -> Option<DType> {
        Some(match name {
            "bool" => DType::Bool,
            "int32" => DType::Int32,
            "int64" => DType::Int64,
            "float32" => DType::Float32,
            "float64" => DType::Float64,
            "complex128" => DType::Complex128,
            s => {
                let n = s.strip_prefix("bytes").or_else(|| s.strip_prefix('S'))?;
                match n.parse::<usize>() {
                    Ok(n) if n > 0 => DType::Bytes(n),
                    _ => return None,
                }
            }
        })
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DType::Bool => f.write_str("bool"),
            DType::Int32 => f.write_str("int32"),
            DType::Int64 => f.write_str("int64"),
            DType::Float32 => f.write_str("float32"),
            DType::Float64 => f.write_str("float64"),
            DType::Complex128 => f.write_str("complex128"),
            DType::Bytes(n) => write!(f, "bytes{n}"),
        }
    }
}

/// A constant value: a literal, or the result of constant folding.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    Complex128(f64, f64),
    Bytes(Vec<u8>),
}

impl Value {
    /// The value as a float64: numbers and booleans (`true` is 1.0); `None` for a complex
    /// number or a byte string.
    pub fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            Value::Bool(b) => b as u8 as f64,
            Value::Int32(v) => v.into(),
            Value::Int64(v) => v as f64,
            Value::Float32(v) => v.into(),
            Value::Float64(v) => v,
            Value::Complex128(..) | Value::Bytes(_) => return None,
        })
    }

    /// The value as an int64, exactly: integers and booleans; `None` for anything else.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Bool(b) => Some(b.into()),
            Value::Int32(v) => Some(v.into()),
            Value::Int64(v) => Some(v),
            _ => None,
        }
    }

    /// The value of a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// A complex number's real and imaginary parts (a real number's imaginary part is 0).
    pub fn as_complex(&self) -> Option<(f64, f64)> {
        match *self {
            Value::Complex128(re, im) => Some((re, im)),
            _ => self.as_f64().map(|re| (re, 0.0)),
        }
    }

    /// A byte string's bytes.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn dtype(&self) -> DType {
        match self {
            Value::Bool(_) => DType::Bool,
            Value::Int32(_) => DType::Int32,
            Value::Int64(_) => DType::Int64,
            Value::Float32(_) => DType::Float32,
            Value::Float64(_) => DType::Float64,
            Value::Complex128(..) => DType::Complex128,
            Value::Bytes(b) => DType::Bytes(b.len()),
        }
    }
}

#[cfg(test)]
mod name_tests {
    use super::DType;

    #[test]
    fn type_names_round_trip() {
        for d in [
            DType::Bool,
            DType::Int32,
            DType::Int64,
            DType::Float32,
            DType::Float64,
            DType::Complex128,
            DType::Bytes(7),
        ] {
            assert_eq!(DType::from_name(&d.to_string()), Some(d));
        }
        assert_eq!(DType::from_name("S10"), Some(DType::Bytes(10)));
        for bad in ["bytes0", "S", "uint8", "float16", "Sx", ""] {
            assert_eq!(DType::from_name(bad), None, "{bad}");
        }
    }
}
