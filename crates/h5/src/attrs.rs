//! Attributes of groups and leaves, read whatever their type, with PyTables' string
//! conventions: fixed-length strings (UTF-8 on tables, ASCII on arrays, NUL padded) and empty
//! strings stored with a null dataspace.

use hdf5::types::{FloatSize, IntSize, TypeDescriptor};

/// An attribute's value.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A float.
    Float(f64),
    /// A string (UTF-8).
    Str(String),
    /// Fixed-length bytes that are not valid UTF-8.
    Bytes(Vec<u8>),
    /// A numeric array (as float64) or any other array, as its values' text.
    Array(Vec<AttrValue>),
    /// A type outcore does not read (pickled objects, references...): its description.
    Other(String),
}

impl AttrValue {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is one that fits in an i64.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            AttrValue::Int(v) => Some(v),
            AttrValue::UInt(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }
}

/// Reads an attribute's raw bytes in its own (file) type.
fn raw_bytes(attr: &hdf5::Attribute, elem: usize, count: usize) -> hdf5::Result<Vec<u8>> {
    let dtype = attr.dtype()?;
    let mut buf = vec![0u8; elem * count];
    hdf5::sync::sync(|| {
        // Safety: `buf` holds `count` elements of the attribute's own type.
        let rc = unsafe { hdf5_sys::h5a::H5Aread(attr.id(), dtype.id(), buf.as_mut_ptr().cast()) };
        if rc < 0 {
            Err(hdf5::Error::from("H5Aread failed"))
        } else {
            Ok(())
        }
    })?;
    Ok(buf)
}

/// Whether a type is an HDF5 bitfield.
fn is_bitfield(t: &hdf5::Datatype) -> bool {
    // Safety: only the class of a valid type id is read.
    hdf5::sync::sync(|| unsafe { hdf5_sys::h5t::H5Tget_class(t.id()) } == hdf5_sys::h5t::H5T_class_t::H5T_BITFIELD)
}

fn text(bytes: &[u8]) -> AttrValue {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    match std::str::from_utf8(&bytes[..end]) {
        Ok(s) => AttrValue::Str(s.to_string()),
        Err(_) => AttrValue::Bytes(bytes[..end].to_vec()),
    }
}

fn scalar(desc: &TypeDescriptor, b: &[u8]) -> AttrValue {
    let le = |n: usize| {
        let mut a = [0u8; 8];
        a[..n].copy_from_slice(&b[..n]);
        a
    };
    match desc {
        TypeDescriptor::Boolean => AttrValue::Bool(b.first().is_some_and(|&v| v != 0)),
        TypeDescriptor::Integer(s) => {
            let n = isize_of(*s);
            let v = i64::from_le_bytes(le(n));
            let shift = 64 - 8 * n as u32;
            AttrValue::Int((v << shift) >> shift)
        }
        TypeDescriptor::Unsigned(s) => AttrValue::UInt(u64::from_le_bytes(le(isize_of(*s)))),
        TypeDescriptor::Float(FloatSize::U4) => {
            AttrValue::Float(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        }
        TypeDescriptor::Float(FloatSize::U8) => AttrValue::Float(f64::from_le_bytes(le(8))),
        TypeDescriptor::FixedAscii(_) | TypeDescriptor::FixedUnicode(_) => text(b),
        other => AttrValue::Other(format!("{other:?}")),
    }
}

fn isize_of(s: IntSize) -> usize {
    match s {
        IntSize::U1 => 1,
        IntSize::U2 => 2,
        IntSize::U4 => 4,
        IntSize::U8 => 8,
    }
}

fn elem_size(desc: &TypeDescriptor) -> Option<usize> {
    Some(match desc {
        TypeDescriptor::Boolean => 1,
        TypeDescriptor::Integer(s) | TypeDescriptor::Unsigned(s) => isize_of(*s),
        TypeDescriptor::Float(FloatSize::U4) => 4,
        TypeDescriptor::Float(FloatSize::U8) => 8,
        TypeDescriptor::FixedAscii(n) | TypeDescriptor::FixedUnicode(n) => *n,
        _ => return None,
    })
}

/// Reads an attribute.
pub(crate) fn read(attr: &hdf5::Attribute) -> hdf5::Result<AttrValue> {
    let space = attr.space()?;
    if space.is_null() {
        // PyTables writes an empty string this way.
        return Ok(AttrValue::Str(String::new()));
    }
    let dtype = attr.dtype()?;
    let desc = match dtype.to_descriptor() {
        Ok(d) => d,
        // NumPy booleans, as PyTables stores them (an 8-bit bitfield, `is_csi` of an index).
        Err(_) if is_bitfield(&dtype) && dtype.size() == 1 && space.is_scalar() => {
            return Ok(AttrValue::Bool(raw_bytes(attr, 1, 1)?.first().is_some_and(|&b| b != 0)));
        }
        Err(e) => return Ok(AttrValue::Other(e.to_string())),
    };
    let Some(size) = elem_size(&desc) else {
        return Ok(AttrValue::Other(format!("{desc:?}")));
    };
    let count = space.size().max(1);
    let bytes = raw_bytes(attr, size, count)?;
    if space.is_scalar() {
        return Ok(scalar(&desc, &bytes));
    }
    Ok(AttrValue::Array(bytes.chunks_exact(size).map(|b| scalar(&desc, b)).collect()))
}
