//! Typed reads and writes of one stored value (a record's field, an element): exact for every
//! stored type, and checked by NumPy's `same_kind` rule, the rule outputs follow.
//!
//! A value is read as `T` when the column's kind converts to `T` by `same_kind` (bool to
//! anything; unsigned to wider or signed integers and to floats; signed to signed and to
//! floats; floats to floats; byte strings to `Vec<u8>`/`String`). Integers are converted
//! without going through `f64`, and a narrowing integer conversion whose value does not fit is
//! an error, not a wrapped value. Writing one value is as NumPy stores a Python scalar: any
//! integer goes into an integer column of either sign when it fits.

use num_complex::Complex64;
use outcore_h5::Kind;

/// Why a stored value could not be read as (or written from) a Rust type.
#[derive(Clone, Debug, PartialEq)]
pub enum Mismatch {
    /// The kinds do not convert by `same_kind`.
    Type,
    /// The kinds convert, but this value does not fit (shown as text).
    Range(String),
    /// Fewer bytes than the kind needs (a damaged record).
    Short,
}

/// A stored number, decoded exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Num {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Complex(f64, f64),
}

impl Num {
    fn text(self) -> String {
        match self {
            Num::Bool(b) => b.to_string(),
            Num::Int(v) => v.to_string(),
            Num::UInt(v) => v.to_string(),
            Num::Float(v) => v.to_string(),
            Num::Complex(r, i) => format!("({r}{i:+}j)"),
        }
    }
}

fn decode_num(kind: &Kind, b: &[u8]) -> Result<Num, Mismatch> {
    macro_rules! rd {
        ($t:ty) => {{
            const N: usize = std::mem::size_of::<$t>();
            let bytes: [u8; N] = b.get(..N).ok_or(Mismatch::Short)?.try_into().map_err(|_| Mismatch::Short)?;
            <$t>::from_ne_bytes(bytes)
        }};
    }
    Ok(match kind {
        Kind::Bool => Num::Bool(*b.first().ok_or(Mismatch::Short)? != 0),
        Kind::Int { size: 1, signed: true } => Num::Int(rd!(i8).into()),
        Kind::Int { size: 2, signed: true } => Num::Int(rd!(i16).into()),
        Kind::Int { size: 4, signed: true } => Num::Int(rd!(i32).into()),
        Kind::Int { size: 8, signed: true } => Num::Int(rd!(i64)),
        Kind::Int { size: 1, signed: false } => Num::UInt(rd!(u8).into()),
        Kind::Int { size: 2, signed: false } => Num::UInt(rd!(u16).into()),
        Kind::Int { size: 4, signed: false } => Num::UInt(rd!(u32).into()),
        Kind::Int { size: 8, signed: false } => Num::UInt(rd!(u64)),
        Kind::Float { size: 4 } => Num::Float(rd!(f32).into()),
        Kind::Float { size: 8 } => Num::Float(rd!(f64)),
        Kind::Complex { size: 8 } => {
            let (r, i) = (b.get(..4).ok_or(Mismatch::Short)?, b.get(4..8).ok_or(Mismatch::Short)?);
            let f = |x: &[u8]| f32::from_ne_bytes([x[0], x[1], x[2], x[3]]) as f64;
            Num::Complex(f(r), f(i))
        }
        Kind::Complex { size: 16 } => {
            let (r, i) = (b.get(..8).ok_or(Mismatch::Short)?, b.get(8..16).ok_or(Mismatch::Short)?);
            let f = |x: &[u8]| f64::from_ne_bytes(x.try_into().unwrap_or([0; 8]));
            Num::Complex(f(r), f(i))
        }
        _ => return Err(Mismatch::Type),
    })
}

/// The class of a kind for `same_kind`: bool 0, unsigned 1, signed 2, float 3, complex 4.
pub(crate) fn class(kind: &Kind) -> Option<u8> {
    Some(match kind {
        Kind::Bool => 0,
        Kind::Int { signed: false, .. } => 1,
        Kind::Int { signed: true, .. } => 2,
        Kind::Float { .. } => 3,
        Kind::Complex { .. } => 4,
        _ => return None,
    })
}

/// Whether `same_kind` lets a value of class `from` become one of class `to`.
pub(crate) fn converts(from: u8, to: u8) -> bool {
    from == 0 || (from <= to && !(from == 2 && to == 1))
}

/// NumPy's name for a kind ("int64", "float32", "S16", a record).
pub(crate) fn kind_name(kind: &Kind) -> String {
    if let Some(name) = kind.scalar_name() {
        return name;
    }
    match kind {
        Kind::Array(k, shape) => format!("{}{:?}", kind_name(k), shape),
        Kind::Other(s) => s.clone(),
        _ => "a record".into(),
    }
}

fn encode_num(kind: &Kind, v: Num, out: &mut [u8]) -> Result<(), Mismatch> {
    let to = class(kind).ok_or(Mismatch::Type)?;
    let from = match v {
        Num::Bool(_) => 0,
        Num::UInt(_) => 1,
        Num::Int(_) => 2,
        Num::Float(_) => 3,
        Num::Complex(..) => 4,
    };
    // One value, not an array: like NumPy with a Python integer, any integer may go into
    // an integer column of either sign when it fits (checked below).
    let integer_into_integer = from == 2 && to == 1;
    if !(converts(from, to) || integer_into_integer) {
        return Err(Mismatch::Type);
    }
    macro_rules! wr {
        ($x:expr) => {{
            let b = $x.to_ne_bytes();
            out.get_mut(..b.len()).ok_or(Mismatch::Short)?.copy_from_slice(&b);
        }};
    }
    let range = || Mismatch::Range(v.text());
    let (re, im) = match v {
        Num::Bool(b) => (b as u8 as f64, 0.0),
        Num::Int(i) => (i as f64, 0.0),
        Num::UInt(u) => (u as f64, 0.0),
        Num::Float(f) => (f, 0.0),
        Num::Complex(r, i) => (r, i),
    };
    match kind {
        Kind::Bool => *out.first_mut().ok_or(Mismatch::Short)? = matches!(v, Num::Bool(true)) as u8,
        Kind::Int { size, signed } => {
            let wide: i128 = match v {
                Num::Bool(b) => b as i128,
                Num::Int(i) => i as i128,
                Num::UInt(u) => u as i128,
                _ => return Err(Mismatch::Type),
            };
            match (size, signed) {
                (1, true) => wr!(i8::try_from(wide).map_err(|_| range())?),
                (2, true) => wr!(i16::try_from(wide).map_err(|_| range())?),
                (4, true) => wr!(i32::try_from(wide).map_err(|_| range())?),
                (8, true) => wr!(i64::try_from(wide).map_err(|_| range())?),
                (1, false) => wr!(u8::try_from(wide).map_err(|_| range())?),
                (2, false) => wr!(u16::try_from(wide).map_err(|_| range())?),
                (4, false) => wr!(u32::try_from(wide).map_err(|_| range())?),
                (8, false) => wr!(u64::try_from(wide).map_err(|_| range())?),
                _ => return Err(Mismatch::Type),
            }
        }
        Kind::Float { size: 4 } => wr!(re as f32),
        Kind::Float { size: 8 } => wr!(re),
        Kind::Complex { size: 8 } => {
            wr!(re as f32);
            out.get_mut(4..8).ok_or(Mismatch::Short)?.copy_from_slice(&(im as f32).to_ne_bytes());
        }
        Kind::Complex { size: 16 } => {
            wr!(re);
            out.get_mut(8..16).ok_or(Mismatch::Short)?.copy_from_slice(&im.to_ne_bytes());
        }
        _ => return Err(Mismatch::Type),
    }
    Ok(())
}

/// A Rust type a stored value can be read as and written from: the numeric types, `bool`,
/// [`Complex64`], and `Vec<u8>`/`String` for byte-string columns.
pub trait FieldValue: Sized {
    /// The type's name as NumPy spells it (`"int64"`), for error messages.
    const NAME: &'static str;
    /// Reads a value of `kind` from its bytes.
    fn decode(kind: &Kind, bytes: &[u8]) -> Result<Self, Mismatch>;
    /// Writes this value as `kind` into `out`.
    fn encode(&self, kind: &Kind, out: &mut [u8]) -> Result<(), Mismatch>;
}

macro_rules! int_field {
    ($($t:ty, $name:literal, $class:literal, $num:ident, $wide:ty;)*) => {$(
        impl FieldValue for $t {
            const NAME: &'static str = $name;
            fn decode(kind: &Kind, b: &[u8]) -> Result<$t, Mismatch> {
                if !converts(class(kind).ok_or(Mismatch::Type)?, $class) {
                    return Err(Mismatch::Type);
                }
                let n = decode_num(kind, b)?;
                let wide: i128 = match n {
                    Num::Bool(x) => x as i128,
                    Num::Int(x) => x as i128,
                    Num::UInt(x) => x as i128,
                    _ => return Err(Mismatch::Type),
                };
                <$t>::try_from(wide).map_err(|_| Mismatch::Range(n.text()))
            }
            fn encode(&self, kind: &Kind, out: &mut [u8]) -> Result<(), Mismatch> {
                encode_num(kind, Num::$num(*self as $wide), out)
            }
        }
    )*};
}

int_field! {
    i8, "int8", 2, Int, i64;
    i16, "int16", 2, Int, i64;
    i32, "int32", 2, Int, i64;
    i64, "int64", 2, Int, i64;
    u8, "uint8", 1, UInt, u64;
    u16, "uint16", 1, UInt, u64;
    u32, "uint32", 1, UInt, u64;
    u64, "uint64", 1, UInt, u64;
    usize, "uint64", 1, UInt, u64;
}

macro_rules! float_field {
    ($($t:ty, $name:literal;)*) => {$(
        impl FieldValue for $t {
            const NAME: &'static str = $name;
            fn decode(kind: &Kind, b: &[u8]) -> Result<$t, Mismatch> {
                if !converts(class(kind).ok_or(Mismatch::Type)?, 3) {
                    return Err(Mismatch::Type);
                }
                Ok(match decode_num(kind, b)? {
                    Num::Bool(x) => x as u8 as $t,
                    Num::Int(x) => x as $t,
                    Num::UInt(x) => x as $t,
                    Num::Float(x) => x as $t,
                    Num::Complex(..) => return Err(Mismatch::Type),
                })
            }
            fn encode(&self, kind: &Kind, out: &mut [u8]) -> Result<(), Mismatch> {
                encode_num(kind, Num::Float(*self as f64), out)
            }
        }
    )*};
}

float_field! {
    f32, "float32";
    f64, "float64";
}

impl FieldValue for Complex64 {
    const NAME: &'static str = "complex128";
    fn decode(kind: &Kind, b: &[u8]) -> Result<Complex64, Mismatch> {
        Ok(match decode_num(kind, b)? {
            Num::Bool(x) => Complex64::new(x as u8 as f64, 0.0),
            Num::Int(x) => Complex64::new(x as f64, 0.0),
            Num::UInt(x) => Complex64::new(x as f64, 0.0),
            Num::Float(x) => Complex64::new(x, 0.0),
            Num::Complex(r, i) => Complex64::new(r, i),
        })
    }
    fn encode(&self, kind: &Kind, out: &mut [u8]) -> Result<(), Mismatch> {
        encode_num(kind, Num::Complex(self.re, self.im), out)
    }
}

impl FieldValue for bool {
    const NAME: &'static str = "bool";
    fn decode(kind: &Kind, b: &[u8]) -> Result<bool, Mismatch> {
        match kind {
            Kind::Bool => Ok(*b.first().ok_or(Mismatch::Short)? != 0),
            _ => Err(Mismatch::Type),
        }
    }
    fn encode(&self, kind: &Kind, out: &mut [u8]) -> Result<(), Mismatch> {
        encode_num(kind, Num::Bool(*self), out)
    }
}

impl FieldValue for Vec<u8> {
    const NAME: &'static str = "bytes";
    /// A byte-string field, its trailing NULs stripped.
    fn decode(kind: &Kind, b: &[u8]) -> Result<Vec<u8>, Mismatch> {
        match kind {
            Kind::Bytes(n) => {
                let b = b.get(..*n).ok_or(Mismatch::Short)?;
                let end = b.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
                Ok(b[..end].to_vec())
            }
            _ => Err(Mismatch::Type),
        }
    }
    fn encode(&self, kind: &Kind, out: &mut [u8]) -> Result<(), Mismatch> {
        match kind {
            Kind::Bytes(n) if self.len() <= *n => {
                let out = out.get_mut(..*n).ok_or(Mismatch::Short)?;
                out[..self.len()].copy_from_slice(self);
                out[self.len()..].fill(0);
                Ok(())
            }
            Kind::Bytes(n) => Err(Mismatch::Range(format!("a string of {} bytes (the column holds {n})", self.len()))),
            _ => Err(Mismatch::Type),
        }
    }
}

impl FieldValue for String {
    const NAME: &'static str = "str";
    fn decode(kind: &Kind, b: &[u8]) -> Result<String, Mismatch> {
        <Vec<u8> as FieldValue>::decode(kind, b).map(|v| String::from_utf8_lossy(&v).into_owned())
    }
    fn encode(&self, kind: &Kind, out: &mut [u8]) -> Result<(), Mismatch> {
        self.as_bytes().to_vec().encode(kind, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I64: Kind = Kind::Int { size: 8, signed: true };
    const U8: Kind = Kind::Int { size: 1, signed: false };
    const F32: Kind = Kind::Float { size: 4 };

    #[test]
    fn int64_reads_are_exact() {
        for v in [(1i64 << 53) + 1, 1_733_000_000_123_456_789, 1_733_000_000_123_456_791, i64::MIN, i64::MAX] {
            assert_eq!(i64::decode(&I64, &v.to_ne_bytes()), Ok(v));
            let mut out = [0u8; 8];
            v.encode(&I64, &mut out).unwrap();
            assert_eq!(i64::from_ne_bytes(out), v);
        }
        assert_eq!(u64::decode(&Kind::Int { size: 8, signed: false }, &u64::MAX.to_ne_bytes()), Ok(u64::MAX));
    }

    #[test]
    fn conversions_follow_same_kind() {
        assert_eq!(String::decode(&F32, &1.5f32.to_ne_bytes()), Err(Mismatch::Type));
        assert_eq!(Vec::<u8>::decode(&F32, &1.5f32.to_ne_bytes()), Err(Mismatch::Type));
        assert_eq!(i64::decode(&F32, &1.5f32.to_ne_bytes()), Err(Mismatch::Type));
        assert_eq!(u64::decode(&I64, &5i64.to_ne_bytes()), Err(Mismatch::Type));
        assert_eq!(bool::decode(&I64, &1i64.to_ne_bytes()), Err(Mismatch::Type));
        assert_eq!(f64::decode(&F32, &1.5f32.to_ne_bytes()), Ok(1.5));
        assert_eq!(f32::decode(&I64, &3i64.to_ne_bytes()), Ok(3.0));
        assert_eq!(i16::decode(&U8, &[200]), Ok(200));
        assert_eq!(i64::decode(&Kind::Bool, &[1]), Ok(1));
        assert_eq!(i8::decode(&I64, &300i64.to_ne_bytes()), Err(Mismatch::Range("300".into())));
        assert_eq!(i8::decode(&I64, &(-100i64).to_ne_bytes()), Ok(-100));
        assert_eq!(i64::decode(&I64, &[1, 2]), Err(Mismatch::Short));
    }

    #[test]
    fn writes_follow_same_kind() {
        let mut out = [0u8; 8];
        assert_eq!(1.5f64.encode(&I64, &mut out), Err(Mismatch::Type));
        assert_eq!((-1i64).encode(&U8, &mut out), Err(Mismatch::Range("-1".into())));
        assert_eq!(200i32.encode(&U8, &mut out), Ok(()));
        assert_eq!(out[0], 200);
        assert_eq!(300u64.encode(&U8, &mut out), Err(Mismatch::Range("300".into())));
        assert_eq!(2.5f64.encode(&F32, &mut out), Ok(()));
        assert_eq!(f32::from_ne_bytes([out[0], out[1], out[2], out[3]]), 2.5);
        assert_eq!("abc".to_string().encode(&F32, &mut out), Err(Mismatch::Type));
        assert!(matches!(b"toolong".to_vec().encode(&Kind::Bytes(3), &mut out), Err(Mismatch::Range(_))));
        assert_eq!(b"ab".to_vec().encode(&Kind::Bytes(3), &mut out), Ok(()));
        assert_eq!(&out[..3], b"ab\0");
    }
}
