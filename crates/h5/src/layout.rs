//! The layout of a leaf's values as stored in the file: scalar kinds, fixed-length strings,
//! records (compound types, possibly nested) and array-shaped fields, with byte offsets, so that
//! a column can be pulled out of packed records without the HDF5 library.

/// The kind of one stored value.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A boolean (one byte).
    Bool,
    /// An integer of `size` bytes.
    Int {
        /// Bytes.
        size: usize,
        /// Whether signed.
        signed: bool,
    },
    /// An IEEE float of `size` bytes.
    Float {
        /// Bytes.
        size: usize,
    },
    /// A complex number of `size` bytes (two floats).
    Complex {
        /// Bytes.
        size: usize,
    },
    /// Fixed-length bytes (PyTables' StringCol), NUL padded.
    Bytes(usize),
    /// Records: named fields at byte offsets.
    Record(Vec<Field>),
    /// An array-shaped value of another kind.
    Array(Box<Kind>, Vec<usize>),
    /// Something outcore does not compute with (variable-length data, references...).
    Other(String),
}

/// A named field of a record, at its byte offset.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// Its offset in the record.
    pub offset: usize,
    /// Its kind.
    pub kind: Kind,
}

/// A leaf's element layout: its kind and the size of one element in bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// The kind of one element.
    pub kind: Kind,
    /// The bytes of one element.
    pub size: usize,
}

/// Member `i`'s name of a compound type (empty when HDF5 gives none). Must run under the
/// HDF5 lock.
///
/// # Safety
/// `id` is a valid compound datatype and `i` one of its members.
pub(crate) unsafe fn member_name(id: hdf5_sys::h5i::hid_t, i: u32) -> String {
    let p = hdf5_sys::h5t::H5Tget_member_name(id, i);
    if p.is_null() {
        return String::new();
    }
    let s = std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned();
    hdf5_sys::h5::H5free_memory(p.cast());
    s
}

impl Kind {
    /// NumPy's name for a scalar kind (`bool`, `int64`, `uint8`, `float32`, `complex128`,
    /// `S10`); `None` for records, array-shaped and other kinds.
    pub fn scalar_name(&self) -> Option<String> {
        Some(match self {
            Kind::Bool => "bool".into(),
            Kind::Int { size, signed: true } => format!("int{}", size * 8),
            Kind::Int { size, signed: false } => format!("uint{}", size * 8),
            Kind::Float { size } => format!("float{}", size * 8),
            Kind::Complex { size } => format!("complex{}", size * 8),
            Kind::Bytes(n) => format!("S{n}"),
            Kind::Record(_) | Kind::Array(..) | Kind::Other(_) => return None,
        })
    }

    /// The bytes of one value of this kind.
    pub fn size(&self) -> usize {
        match self {
            Kind::Bool => 1,
            Kind::Int { size, .. } | Kind::Float { size } | Kind::Complex { size } | Kind::Bytes(size) => *size,
            Kind::Record(fields) => fields.iter().map(|f| f.offset + f.kind.size()).max().unwrap_or(0),
            Kind::Array(k, shape) => k.size() * shape.iter().product::<usize>(),
            Kind::Other(_) => 0,
        }
    }

    /// The kind of an HDF5 datatype, read from the type itself (so member offsets are the
    /// file's, packed as PyTables writes them). Must run under the HDF5 lock.
    pub(crate) fn from_type_id(id: hdf5_sys::h5i::hid_t) -> Kind {
        /// Whether a float type is IEEE 754's half, single or double layout, as stored.
        ///
        /// # Safety
        /// `id` is a valid float datatype.
        unsafe fn ieee_float(id: hdf5_sys::h5i::hid_t, size: usize) -> bool {
            use hdf5_sys::h5t::*;
            let want = match size {
                2 => (15, 10, 5, 0, 10, 15),
                4 => (31, 23, 8, 0, 23, 127),
                8 => (63, 52, 11, 0, 52, 1023),
                _ => return true,
            };
            let (mut sp, mut ep, mut es, mut mp, mut ms) = (0, 0, 0, 0, 0);
            H5Tget_fields(id, &mut sp, &mut ep, &mut es, &mut mp, &mut ms) >= 0
                && (sp, ep, es, mp, ms, H5Tget_ebias(id)) == want
                && H5Tget_precision(id) == size * 8
                && H5Tget_offset(id) == 0
                && H5Tget_norm(id) == H5T_norm_t::H5T_NORM_IMPLIED
        }
        use hdf5_sys::h5t::*;
        // Safety: `id` is a valid datatype; every type id we open here is closed again.
        unsafe {
            let size = H5Tget_size(id);
            match H5Tget_class(id) {
                // Numbers are read as their bytes are: every bit of them (a damaged header can
                // say otherwise, which the library would honour and outcore would not).
                H5T_class_t::H5T_INTEGER if H5Tget_precision(id) != size * 8 || H5Tget_offset(id) != 0 => Kind::Other(
                    format!("an integer of {} bits at bit {} of {size} bytes", H5Tget_precision(id), H5Tget_offset(id)),
                ),
                H5T_class_t::H5T_INTEGER => Kind::Int { size, signed: H5Tget_sign(id) != H5T_sign_t::H5T_SGN_NONE },
                H5T_class_t::H5T_FLOAT if !ieee_float(id, size) => {
                    Kind::Other(format!("a {size}-byte floating-point type outside IEEE 754's layout"))
                }
                H5T_class_t::H5T_FLOAT => Kind::Float { size },
                // PyTables' bool is a one-byte bitfield (h5py's an enum of int8).
                H5T_class_t::H5T_BITFIELD if size == 1 => Kind::Bool,
                H5T_class_t::H5T_ENUM if size == 1 => Kind::Bool,
                H5T_class_t::H5T_STRING if H5Tis_variable_str(id) <= 0 => Kind::Bytes(size),
                H5T_class_t::H5T_COMPOUND => {
                    let n = H5Tget_nmembers(id).max(0) as u32;
                    let mut fields = Vec::with_capacity(n as usize);
                    for i in 0..n {
                        let name = member_name(id, i);
                        let offset = H5Tget_member_offset(id, i);
                        let mid = H5Tget_member_type(id, i);
                        let kind =
                            if mid < 0 { Kind::Other("unreadable member".into()) } else { Kind::from_type_id(mid) };
                        if mid >= 0 {
                            H5Tclose(mid);
                        }
                        fields.push(Field { name, offset, kind });
                    }
                    // PyTables stores complex numbers as compounds of two floats named r and i.
                    let is_complex = fields.len() == 2
                        && fields[0].name == "r"
                        && fields[1].name == "i"
                        && matches!(fields[0].kind, Kind::Float { .. });
                    if is_complex {
                        Kind::Complex { size }
                    } else {
                        Kind::Record(fields)
                    }
                }
                H5T_class_t::H5T_ARRAY => {
                    let nd = H5Tget_array_ndims(id).max(0) as usize;
                    let mut dims = vec![0 as hdf5_sys::h5::hsize_t; nd];
                    H5Tget_array_dims2(id, dims.as_mut_ptr());
                    let base = H5Tget_super(id);
                    let kind = if base < 0 { Kind::Other("array".into()) } else { Kind::from_type_id(base) };
                    if base >= 0 {
                        H5Tclose(base);
                    }
                    Kind::Array(Box::new(kind), dims.iter().map(|&d| d as usize).collect())
                }
                other => Kind::Other(format!("{other:?}")),
            }
        }
    }
}

impl Layout {
    /// The field at a `/`-separated path (`"location/lat"`) with its absolute byte offset.
    pub fn field(&self, path: &str) -> Option<(usize, &Kind)> {
        let mut kind = &self.kind;
        let mut offset = 0;
        for part in path.split('/') {
            let Kind::Record(fields) = kind else { return None };
            let f = fields.iter().find(|f| f.name == part)?;
            offset += f.offset;
            kind = &f.kind;
        }
        Some((offset, kind))
    }

    /// Every leaf field's path (nested records flattened with `/`), in storage order.
    pub fn columns(&self) -> Vec<String> {
        fn walk(prefix: &str, kind: &Kind, out: &mut Vec<String>) {
            if let Kind::Record(fields) = kind {
                for f in fields {
                    let p = if prefix.is_empty() { f.name.clone() } else { format!("{prefix}/{}", f.name) };
                    match f.kind {
                        Kind::Record(_) => walk(&p, &f.kind, out),
                        _ => out.push(p),
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk("", &self.kind, &mut out);
        out
    }

    /// Copies one field out of packed records: `width` bytes at `offset` of each record.
    pub fn extract(&self, records: &[u8], offset: usize, width: usize, out: &mut Vec<u8>) {
        out.clear();
        if self.size == 0 {
            return;
        }
        for rec in records.chunks_exact(self.size) {
            if let Some(v) = rec.get(offset..offset + width) {
                out.extend_from_slice(v);
            }
        }
    }
}

/// A table's columns, built one by one in order and packed as PyTables packs them (each
/// column right after the one before, no padding): what PyTables' `IsDescription` or a dict
/// of `Col`s describes, in place of a hand-built [`Layout`] with byte offsets.
///
/// ```
/// use outcore_h5::{Kind, Schema};
/// let layout = Schema::new()
///     .int64("time")
///     .float64("energy")
///     .string("name", 16)
///     .nested("pos", Schema::new().float32("x").float32("y"))
///     .bool("ok")
///     .layout();
/// assert_eq!(layout.size, 8 + 8 + 16 + 8 + 1);
/// assert_eq!(layout.field("pos/y"), Some((36, &Kind::Float { size: 4 })));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    fields: Vec<Field>,
    size: usize,
}

impl Schema {
    /// No columns yet.
    pub fn new() -> Schema {
        Schema::default()
    }

    /// Adds a column of `kind` after the others.
    pub fn col(mut self, name: &str, kind: Kind) -> Schema {
        let size = kind.size();
        self.fields.push(Field { name: name.to_string(), offset: self.size, kind });
        self.size += size;
        self
    }

    /// Adds a column of `shape`-shaped values of `kind` (PyTables' `Col(shape=...)`).
    pub fn array(self, name: &str, kind: Kind, shape: &[usize]) -> Schema {
        self.col(name, Kind::Array(Box::new(kind), shape.to_vec()))
    }

    /// Adds nested columns (PyTables' nested `IsDescription`), reached as `name/column`.
    pub fn nested(self, name: &str, inner: Schema) -> Schema {
        self.col(name, Kind::Record(inner.fields))
    }

    /// Adds a boolean column.
    pub fn bool(self, name: &str) -> Schema {
        self.col(name, Kind::Bool)
    }
    /// Adds an int8 column.
    pub fn int8(self, name: &str) -> Schema {
        self.col(name, Kind::Int { size: 1, signed: true })
    }
    /// Adds an int16 column.
    pub fn int16(self, name: &str) -> Schema {
        self.col(name, Kind::Int { size: 2, signed: true })
    }
    /// Adds an int32 column.
    pub fn int32(self, name: &str) -> Schema {
        self.col(name, Kind::Int { size: 4, signed: true })
    }
    /// Adds an int64 column.
    pub fn int64(self, name: &str) -> Schema {
        self.col(name, Kind::Int { size: 8, signed: true })
    }
    /// Adds a uint8 column.
    pub fn uint8(self, name: &str) -> Schema {
        self.col(name, Kind::Int { size: 1, signed: false })
    }
    /// Adds a uint16 column.
    pub fn uint16(self, name: &str) -> Schema {
        self.col(name, Kind::Int { size: 2, signed: false })
    }
    /// Adds a uint32 column.
    pub fn uint32(self, name: &str) -> Schema {
        self.col(name, Kind::Int { size: 4, signed: false })
    }
    /// Adds a uint64 column.
    pub fn uint64(self, name: &str) -> Schema {
        self.col(name, Kind::Int { size: 8, signed: false })
    }
    /// Adds a float32 column.
    pub fn float32(self, name: &str) -> Schema {
        self.col(name, Kind::Float { size: 4 })
    }
    /// Adds a float64 column.
    pub fn float64(self, name: &str) -> Schema {
        self.col(name, Kind::Float { size: 8 })
    }
    /// Adds a complex128 column.
    pub fn complex128(self, name: &str) -> Schema {
        self.col(name, Kind::Complex { size: 16 })
    }
    /// Fixed-length byte strings of `len` bytes (PyTables' `StringCol(len)`).
    pub fn string(self, name: &str, len: usize) -> Schema {
        self.col(name, Kind::Bytes(len))
    }

    /// The layout of one record.
    pub fn layout(&self) -> Layout {
        Layout { kind: Kind::Record(self.fields.clone()), size: self.size }
    }
}

impl From<Schema> for Layout {
    fn from(s: Schema) -> Layout {
        Layout { size: s.size, kind: Kind::Record(s.fields) }
    }
}
