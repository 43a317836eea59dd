//! NumPy's `.npy` files, written by hand and streamed: the magic `\x93NUMPY`, a version, the
//! header's length, then a Python dict literal (`{'descr': '<f8', 'fortran_order': False,
//! 'shape': (3,), }`) padded with spaces to a multiple of 64 bytes and ended by `\n`, then
//! the values, row-major.
//!
//! When the number of rows is known up front the header is written once; otherwise room for
//! the largest first dimension is reserved and the shape patched in when the writer
//! finishes. A writer dropped unfinished (an error part way) removes its file, so no `.npy`
//! claiming rows it does not hold is left behind.

use std::fs;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use outcore::h5::{Field, Kind};
use outcore::DType;

/// This machine's byte order in NumPy's notation: the values are written as they are in
/// memory.
const ORDER: char = if cfg!(target_endian = "little") { '<' } else { '>' };

/// NumPy's type string of a scalar kind (`<i4`, `|u1`, `<f8`, `<c16`, `|S10`, `|b1`).
fn scalar_descr(kind: &Kind) -> Option<String> {
    Some(match kind {
        Kind::Bool => "|b1".to_string(),
        Kind::Int { size: 1, signed } => format!("|{}1", if *signed { 'i' } else { 'u' }),
        Kind::Int { size, signed } => format!("{ORDER}{}{size}", if *signed { 'i' } else { 'u' }),
        Kind::Float { size } => format!("{ORDER}f{size}"),
        Kind::Complex { size } => format!("{ORDER}c{size}"),
        Kind::Bytes(n) => format!("|S{n}"),
        Kind::Record(_) | Kind::Array(..) | Kind::Other(_) => return None,
    })
}

/// A Python string literal.
fn py_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A Python tuple of dimensions: `()`, `(3,)`, `(2, 3)`.
pub fn py_tuple(dims: &[u64]) -> String {
    match dims {
        [] => "()".to_string(),
        [d] => format!("({d},)"),
        _ => format!("({})", dims.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")),
    }
}

/// The descr of a record: a list of `(name, descr[, shape])` tuples in offset order, gaps
/// (and the tail up to `size`, when given) as NumPy's unnamed `|V` padding fields.
fn record_descr(fields: &[Field], size: Option<usize>) -> Result<String, String> {
    let mut fields: Vec<&Field> = fields.iter().collect();
    fields.sort_by_key(|f| f.offset);
    let mut parts = Vec::new();
    let mut at = 0;
    for f in fields {
        if f.offset < at {
            return Err(format!("field `{}` overlaps the one before it", f.name));
        }
        if f.offset > at {
            parts.push(format!("('', '|V{}')", f.offset - at));
        }
        let (d, dims) = descr(&f.kind).map_err(|e| format!("field `{}`: {e}", f.name))?;
        let dims: Vec<u64> = dims.iter().map(|&d| d as u64).collect();
        parts.push(if dims.is_empty() {
            format!("({}, {d})", py_str(&f.name))
        } else {
            format!("({}, {d}, {})", py_str(&f.name), py_tuple(&dims))
        });
        at = f.offset + f.kind.size();
    }
    if let Some(size) = size {
        if size > at {
            parts.push(format!("('', '|V{}')", size - at));
        }
    }
    Ok(format!("[{}]", parts.join(", ")))
}

/// NumPy's descr of one element of `kind` (of `size` bytes, a record's padding included)
/// and the dimensions an array-shaped kind adds to the shape (NumPy folds a top-level
/// subarray into the array's shape, as PyTables does for multidimensional atoms).
pub fn descr_sized(kind: &Kind, size: Option<usize>) -> Result<(String, Vec<usize>), String> {
    if let Some(s) = scalar_descr(kind) {
        return Ok((py_str(&s), Vec::new()));
    }
    match kind {
        Kind::Record(fields) => Ok((record_descr(fields, size)?, Vec::new())),
        Kind::Array(base, dims) => {
            let (d, mut inner) = descr(base)?;
            let mut all = dims.clone();
            all.append(&mut inner);
            Ok((d, all))
        }
        Kind::Other(what) => Err(format!("values of type {what} have no NumPy equivalent")),
        _ => Err("an unknown type".to_string()),
    }
}

/// [`descr_sized`] of a kind whose size is its fields' extent.
pub fn descr(kind: &Kind) -> Result<(String, Vec<usize>), String> {
    descr_sized(kind, None)
}

/// NumPy's descr of an expression result's type.
pub fn dtype_descr(d: DType) -> String {
    py_str(&match d {
        DType::Bool => "|b1".to_string(),
        DType::Int32 => format!("{ORDER}i4"),
        DType::Int64 => format!("{ORDER}i8"),
        DType::Float32 => format!("{ORDER}f4"),
        DType::Float64 => format!("{ORDER}f8"),
        DType::Complex128 => format!("{ORDER}c16"),
        DType::Bytes(n) => format!("|S{n}"),
    })
}

/// A whole header: preamble and padded dict, at least `min_len` bytes long (so a patched
/// header fills exactly the room reserved for it) and a multiple of 64. Version 1.0 unless the
/// dict is longer than 65535 bytes (2.0) or not ASCII (3.0, UTF-8).
pub fn header(descr: &str, shape: &[u64], min_len: usize) -> Vec<u8> {
    let dict = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {}, }}", py_tuple(shape));
    let need = dict.len() + 1;
    let total = |pre: usize| (pre + need).max(min_len).next_multiple_of(64);
    let (major, pre) = if !dict.is_ascii() {
        (3u8, 12)
    } else if total(10) - 10 > u16::MAX as usize {
        (2, 12)
    } else {
        (1, 10)
    };
    let len = total(pre);
    let mut h = Vec::with_capacity(len);
    h.extend_from_slice(b"\x93NUMPY");
    h.extend_from_slice(&[major, 0]);
    let hlen = len - pre;
    if pre == 10 {
        h.extend_from_slice(&(hlen as u16).to_le_bytes());
    } else {
        h.extend_from_slice(&(hlen as u32).to_le_bytes());
    }
    h.extend_from_slice(dict.as_bytes());
    h.resize(len - 1, b' ');
    h.push(b'\n');
    h
}

/// The shape of what a writer writes.
pub enum Shape {
    /// Known up front.
    Known(Vec<usize>),
    /// Rows of these inner dimensions, counted as they are written.
    Rows(Vec<usize>),
}

/// A `.npy` file being written.
pub struct Npy {
    w: BufWriter<fs::File>,
    path: PathBuf,
    descr: String,
    shape: Shape,
    /// Bytes of one element.
    itemsize: usize,
    /// Header bytes written (the room a patched header must fill).
    header_len: usize,
    rows: u64,
    bytes: u64,
    done: bool,
}

impl Npy {
    /// Creates (or replaces) `path` for values of `descr`, `itemsize` bytes each.
    pub fn create(path: &Path, descr: String, itemsize: usize, shape: Shape) -> std::io::Result<Npy> {
        let head = match &shape {
            Shape::Known(dims) => header(&descr, &dims.iter().map(|&d| d as u64).collect::<Vec<_>>(), 0),
            Shape::Rows(inner) => {
                let widest: Vec<u64> = std::iter::once(u64::MAX).chain(inner.iter().map(|&d| d as u64)).collect();
                header(&descr, &widest, 0)
            }
        };
        let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(path)?);
        w.write_all(&head)?;
        Ok(Npy {
            w,
            path: path.to_path_buf(),
            descr,
            shape,
            itemsize,
            header_len: head.len(),
            rows: 0,
            bytes: 0,
            done: false,
        })
    }

    /// Appends `rows` rows (elements, for a `Known` shape) packed in `bytes`.
    pub fn write(&mut self, bytes: &[u8], rows: u64) -> std::io::Result<()> {
        self.w.write_all(bytes)?;
        self.rows += rows;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    /// Flushes the file, patching the shape in when rows were counted; returns the shape.
    pub fn finish(mut self) -> std::io::Result<Vec<u64>> {
        let shape: Vec<u64> = match &self.shape {
            Shape::Known(dims) => dims.iter().map(|&d| d as u64).collect(),
            Shape::Rows(inner) => std::iter::once(self.rows).chain(inner.iter().map(|&d| d as u64)).collect(),
        };
        let want = shape.iter().product::<u64>() * self.itemsize as u64;
        if self.bytes != want {
            return Err(std::io::Error::other(format!(
                "{} bytes of values were written; shape {shape:?} holds {want}",
                self.bytes
            )));
        }
        self.w.flush()?;
        if let Shape::Rows(_) = self.shape {
            let head = header(&self.descr, &shape, self.header_len);
            debug_assert_eq!(head.len(), self.header_len);
            let f = self.w.get_mut();
            f.seek(SeekFrom::Start(0))?;
            f.write_all(&head)?;
            f.flush()?;
        }
        self.done = true;
        Ok(shape)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Npy {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(h: &[u8]) -> &str {
        let pre = if h[6] == 1 { 10 } else { 12 };
        std::str::from_utf8(&h[pre..]).unwrap()
    }

    #[test]
    fn headers_are_padded_to_64_and_end_in_a_newline() {
        for shape in [vec![], vec![0], vec![3], vec![2, 3], vec![u64::MAX, 7]] {
            let h = header("'<f8'", &shape, 0);
            assert_eq!(h.len() % 64, 0, "{shape:?}");
            assert_eq!(&h[..8], b"\x93NUMPY\x01\x00");
            assert_eq!(u16::from_le_bytes([h[8], h[9]]) as usize, h.len() - 10);
            assert_eq!(*h.last().unwrap(), b'\n');
            assert!(dict(&h).starts_with("{'descr': '<f8', 'fortran_order': False, 'shape': ("));
        }
        assert!(dict(&header("'<i8'", &[], 0)).contains("'shape': (), }"));
        assert!(dict(&header("'<i8'", &[5], 0)).contains("'shape': (5,), }"));
        assert!(dict(&header("'<i8'", &[2, 3], 0)).contains("'shape': (2, 3), }"));
    }

    #[test]
    fn a_patched_header_fills_the_room_reserved() {
        let reserved = header("'<i8'", &[u64::MAX], 0);
        let patched = header("'<i8'", &[12], reserved.len());
        assert_eq!(patched.len(), reserved.len());
        assert!(dict(&patched).trim_end().ends_with("'shape': (12,), }"));
        // A long descr crosses into version 2.0, reserved and patched alike.
        let long = format!("[{}]", (0..5000).map(|i| format!("('c{i}', '<f8')")).collect::<Vec<_>>().join(", "));
        let reserved = header(&long, &[u64::MAX], 0);
        assert_eq!(reserved[6], 2);
        let patched = header(&long, &[3], reserved.len());
        assert_eq!((patched.len(), patched[6]), (reserved.len(), 2));
        assert_eq!(u32::from_le_bytes(patched[8..12].try_into().unwrap()) as usize, patched.len() - 12);
    }

    #[test]
    fn a_writer_counting_rows_patches_its_shape() {
        let dir = std::env::temp_dir().join(format!("outcore-npy-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rows.npy");
        let mut w = Npy::create(&path, "'<i8'".into(), 8, Shape::Rows(vec![])).unwrap();
        for i in 0..3i64 {
            w.write(&i.to_le_bytes(), 1).unwrap();
        }
        assert_eq!(w.finish().unwrap(), vec![3]);
        let bytes = fs::read(&path).unwrap();
        let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize + 10;
        assert!(dict(&bytes[..hlen]).contains("'shape': (3,), }"));
        assert_eq!(bytes.len(), hlen + 24);
        // Unfinished, the file is removed.
        let w = Npy::create(&path, "'<i8'".into(), 8, Shape::Rows(vec![])).unwrap();
        drop(w);
        assert!(!path.exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn records_name_their_fields_and_pad_their_gaps() {
        let k = |name: &str, offset, kind| Field { name: name.into(), offset, kind };
        let inner = Kind::Record(vec![k("x", 0, Kind::Float { size: 8 }), k("y", 8, Kind::Bool)]);
        let rec = Kind::Record(vec![
            k("a", 0, Kind::Int { size: 4, signed: true }),
            k("b", 4, Kind::Bytes(3)),
            k("c", 8, Kind::Array(Box::new(Kind::Float { size: 4 }), vec![2, 3])),
            k("n", 32, inner),
        ]);
        let (d, dims) = descr_sized(&rec, Some(48)).unwrap();
        assert!(dims.is_empty());
        let o = ORDER;
        assert_eq!(
            d,
            format!(
                "[('a', '{o}i4'), ('b', '|S3'), ('', '|V1'), ('c', '{o}f4', (2, 3)), \
                 ('n', [('x', '{o}f8'), ('y', '|b1')]), ('', '|V7')]"
            )
        );
        let (d, dims) = descr(&Kind::Array(Box::new(Kind::Int { size: 1, signed: false }), vec![4])).unwrap();
        assert_eq!((d.as_str(), dims), ("'|u1'", vec![4]));
        assert!(descr(&Kind::Other("vlen".into())).is_err());
    }
}
