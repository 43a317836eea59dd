//! PyTables' face: files, groups and leaves, a leaf's values as raw bytes for NumPy to view in
//! the leaf's own dtype, and the table queries with the GIL released.

use std::sync::RwLock;

use numpy::PyArrayDescrMethods;
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArrayDyn, PyUntypedArray, PyUntypedArrayMethods};
use outcore::h5::{self, AttrValue, Complib, Filters, Kind, Layout};
use outcore::{IndexUse, Operand, RowRange, Statistics, Table};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::errors::IntoPy;
use crate::eval::in_pool;
use crate::operand::{hold, Held};

/// An HDF5 file opened with PyTables' modes (`r`, `w`, `a`, `r+`).
#[pyclass(module = "outcore._core")]
pub struct File {
    file: Option<h5::File>,
}

impl File {
    fn get(&self) -> PyResult<&h5::File> {
        self.file.as_ref().ok_or_else(|| PyValueError::new_err("the file is closed"))
    }
}

fn leaf_class_name(l: h5::LeafClass) -> &'static str {
    match l {
        h5::LeafClass::Table => "Table",
        h5::LeafClass::Array => "Array",
        h5::LeafClass::CArray => "CArray",
        h5::LeafClass::EArray => "EArray",
        h5::LeafClass::VLArray => "VLArray",
        h5::LeafClass::Dataset => "Dataset",
    }
}

/// PyTables' `Filters(complevel, complib, shuffle, bitshuffle, fletcher32)` (`None`: none).
fn filters_of(
    complevel: u8,
    complib: &str,
    shuffle: bool,
    bitshuffle: bool,
    fletcher32: bool,
) -> PyResult<Option<Filters>> {
    if complevel == 0 {
        return Ok(fletcher32.then(|| Filters::default().with_fletcher32(true)));
    }
    let complib: Complib = complib.parse().map_err(|e: String| PyValueError::new_err(e))?;
    let f = Filters::new(complib, complevel).with_shuffle(shuffle).with_bitshuffle(bitshuffle);
    Ok(Some(f.with_fletcher32(fletcher32)))
}

#[pymethods]
impl File {
    #[new]
    fn new(py: Python<'_>, path: std::path::PathBuf, mode: &str) -> PyResult<File> {
        let f = py.detach(|| h5::File::open_str(&path, mode)).py_err()?;
        Ok(File { file: Some(f) })
    }

    #[getter]
    fn filename(&self) -> PyResult<String> {
        Ok(self.get()?.path().display().to_string())
    }

    #[getter]
    fn mode(&self) -> PyResult<&'static str> {
        Ok(match self.get()?.mode() {
            h5::Mode::Read => "r",
            h5::Mode::Write => "w",
            h5::Mode::Append => "a",
            h5::Mode::ReadWrite => "r+",
        })
    }

    #[getter]
    fn isopen(&self) -> bool {
        self.file.is_some()
    }

    fn close(&mut self) -> PyResult<()> {
        if let Some(f) = self.file.take() {
            if f.mode() != h5::Mode::Read {
                f.flush().py_err()?;
            }
        }
        Ok(())
    }

    fn flush(&self) -> PyResult<()> {
        self.get()?.flush().py_err()
    }

    fn node_exists(&self, path: &str) -> PyResult<bool> {
        Ok(self.get()?.node_exists(path))
    }

    /// The node at `path`: a `Group` or a `Leaf`.
    fn node<'py>(&self, py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyAny>> {
        let f = self.get()?;
        if path == "/" {
            return Ok(Bound::new(py, Group::new(f.root().py_err()?))?.into_any());
        }
        if !f.node_exists(path) {
            return Err(crate::errors::to_py(f.missing(path).into()));
        }
        match f.group(path) {
            Ok(g) => Ok(Bound::new(py, Group::new(g))?.into_any()),
            Err(_) => Ok(Bound::new(py, Leaf::new(f.leaf(path).py_err()?))?.into_any()),
        }
    }

    #[pyo3(signature = (parent, name, title=""))]
    fn create_group(&self, parent: &str, name: &str, title: &str) -> PyResult<Group> {
        Ok(Group::new(self.get()?.create_group(parent, name, title).py_err()?))
    }

    /// A new table whose records have `descr`'s layout (see `layout_of`).
    #[pyo3(signature = (parent, name, descr, itemsize, expectedrows=10000, chunkrows=None, complevel=0, complib="zlib", shuffle=true, bitshuffle=false, fletcher32=false, title=""))]
    fn create_table(
        &self,
        parent: &str,
        name: &str,
        descr: &Bound<'_, PyAny>,
        itemsize: usize,
        expectedrows: u64,
        chunkrows: Option<usize>,
        complevel: u8,
        complib: &str,
        shuffle: bool,
        bitshuffle: bool,
        fletcher32: bool,
        title: &str,
    ) -> PyResult<Leaf> {
        let layout = Layout { kind: kind_of(descr)?, size: itemsize };
        let filters = filters_of(complevel, complib, shuffle, bitshuffle, fletcher32)?;
        let f = self.get()?;
        let leaf = f.create_table(parent, name, &layout, expectedrows, chunkrows, filters.as_ref(), title).py_err()?;
        Ok(Leaf::new(leaf))
    }

    /// A new, empty VLArray: `pseudo` is `vlstring`, `vlunicode` or `object`, or `None` for
    /// rows of `descr`'s kind (a NumPy type string, or `(type, shape)`).
    #[pyo3(signature = (parent, name, pseudo=None, descr=None, chunkrows=None, complevel=0, complib="zlib", shuffle=true, bitshuffle=false, fletcher32=false, title=""))]
    fn create_vlarray(
        &self,
        parent: &str,
        name: &str,
        pseudo: Option<&str>,
        descr: Option<&Bound<'_, PyAny>>,
        chunkrows: Option<usize>,
        complevel: u8,
        complib: &str,
        shuffle: bool,
        bitshuffle: bool,
        fletcher32: bool,
        title: &str,
    ) -> PyResult<Leaf> {
        let atom = match (pseudo, descr) {
            (Some("vlstring"), _) => h5::VlAtom::Bytes,
            (Some("vlunicode"), _) => h5::VlAtom::Unicode,
            (Some("object"), _) => h5::VlAtom::Object,
            (None, Some(d)) => h5::VlAtom::Values(kind_of(d)?),
            (p, _) => return Err(PyValueError::new_err(format!("unknown VLArray atom {p:?}"))),
        };
        let filters = filters_of(complevel, complib, shuffle, bitshuffle, fletcher32)?;
        let f = self.get()?;
        Ok(Leaf::new(f.create_vlarray(parent, name, &atom, chunkrows, filters.as_ref(), title).py_err()?))
    }

    /// A new Array (`kind="array"`), CArray (`"carray"`) or EArray (`"earray"`, whose first
    /// axis grows) holding `data`.
    #[pyo3(signature = (kind, parent, name, data, chunkshape=None, expectedrows=1000, complevel=0, complib="zlib", shuffle=true, bitshuffle=false, fletcher32=false, title=""))]
    fn create_array(
        &self,
        kind: &str,
        parent: &str,
        name: &str,
        data: &Bound<'_, PyAny>,
        chunkshape: Option<Vec<usize>>,
        expectedrows: u64,
        complevel: u8,
        complib: &str,
        shuffle: bool,
        bitshuffle: bool,
        fletcher32: bool,
        title: &str,
    ) -> PyResult<Leaf> {
        let f = self.get()?;
        let filters = filters_of(complevel, complib, shuffle, bitshuffle, fletcher32)?;
        let chunk = chunkshape.as_deref();
        macro_rules! create {
            ($t:ty) => {{
                let a: PyReadonlyArrayDyn<'_, $t> = data.extract()?;
                let v = a.as_array();
                match kind {
                    "array" => f.create_array(parent, name, v, title),
                    "carray" => f.create_carray(parent, name, v, chunk, filters.as_ref(), title),
                    "earray" => f.create_earray(parent, name, v, chunk, expectedrows, filters.as_ref(), title),
                    k => return Err(PyValueError::new_err(format!("unknown array kind {k}"))),
                }
                .py_err()?
            }};
        }
        let leaf = dispatch_numeric!(data, create);
        Ok(Leaf::new(leaf))
    }

    fn remove_node(&self, path: &str) -> PyResult<()> {
        self.get()?.remove_node(path).py_err()
    }

    fn set_attr(&self, node: &str, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = if let Ok(b) = value.extract::<bool>() {
            AttrValue::Bool(b)
        } else if let Ok(i) = value.extract::<i64>() {
            AttrValue::Int(i)
        } else if let Ok(x) = value.extract::<f64>() {
            AttrValue::Float(x)
        } else if let Ok(s) = value.extract::<String>() {
            AttrValue::Str(s)
        } else {
            return Err(PyTypeError::new_err("attributes may be bool, int, float or str"));
        };
        self.get()?.set_attr(node, name, &v).py_err()
    }
}

/// Dispatches on a NumPy array's element type to `$m!(T)` for the types HDF5 leaves hold.
macro_rules! dispatch_numeric {
    ($data:expr, $m:ident) => {{
        let arr = $data.cast::<PyUntypedArray>().map_err(|_| PyTypeError::new_err("expected a NumPy array"))?;
        let d = arr.dtype();
        match (d.kind(), d.itemsize()) {
            (b'f', 8) => $m!(f64),
            (b'f', 4) => $m!(f32),
            (b'i', 8) => $m!(i64),
            (b'i', 4) => $m!(i32),
            (b'i', 2) => $m!(i16),
            (b'i', 1) => $m!(i8),
            (b'u', 8) => $m!(u64),
            (b'u', 4) => $m!(u32),
            (b'u', 2) => $m!(u16),
            (b'u', 1) => $m!(u8),
            (b'b', 1) => $m!(bool),
            _ => return Err(PyTypeError::new_err(format!("arrays of {} are not supported here", d.str()?))),
        }
    }};
}
use dispatch_numeric;

/// A record layout from the Python side's description: a list of `(name, offset, kind)`
/// where kind is a NumPy type string (`"<f8"`, `"|S10"`, `"|b1"`), a nested list, or
/// `(kind, shape)` for array-shaped fields.
fn kind_of(d: &Bound<'_, PyAny>) -> PyResult<Kind> {
    if let Ok(s) = d.extract::<String>() {
        let b = s.trim_start_matches(['<', '>', '|', '=']);
        let (k, n) = b.split_at(1);
        let n: usize = n.parse().map_err(|_| PyTypeError::new_err(format!("unsupported column type {s}")))?;
        return Ok(match k {
            "b" => Kind::Bool,
            "i" => Kind::Int { size: n, signed: true },
            "u" => Kind::Int { size: n, signed: false },
            "f" => Kind::Float { size: n },
            "c" => Kind::Complex { size: n },
            "S" => Kind::Bytes(n),
            _ => return Err(PyTypeError::new_err(format!("unsupported column type {s}"))),
        });
    }
    if let Ok(t) = d.cast::<PyTuple>() {
        let shape: Vec<usize> = t.get_item(1)?.extract()?;
        return Ok(Kind::Array(Box::new(kind_of(&t.get_item(0)?)?), shape));
    }
    let list = d.cast::<PyList>().map_err(|_| PyTypeError::new_err("a table description is a list of fields"))?;
    let mut fields = Vec::new();
    for item in list.iter() {
        let (name, offset, kind): (String, usize, Bound<'_, PyAny>) = item.extract()?;
        fields.push(h5::Field { name, offset, kind: kind_of(&kind)? });
    }
    Ok(Kind::Record(fields))
}

/// The NumPy dtype spec of a kind: a type string, `(spec, shape)`, or a dict with names,
/// formats, offsets and itemsize for records.
fn spec_of<'py>(py: Python<'py>, k: &Kind, size: usize) -> PyResult<Bound<'py, PyAny>> {
    Ok(match k {
        Kind::Bool => "?".into_pyobject(py)?.into_any(),
        Kind::Int { size, signed } => {
            format!("<{}{size}", if *signed { 'i' } else { 'u' }).into_pyobject(py)?.into_any()
        }
        Kind::Float { size } => format!("<f{size}").into_pyobject(py)?.into_any(),
        Kind::Complex { size } => format!("<c{size}").into_pyobject(py)?.into_any(),
        Kind::Bytes(n) => format!("S{n}").into_pyobject(py)?.into_any(),
        Kind::Array(inner, shape) => {
            PyTuple::new(py, [spec_of(py, inner, inner.size())?, PyTuple::new(py, shape)?.into_any()])?.into_any()
        }
        Kind::Record(fields) => {
            let d = PyDict::new(py);
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            let formats = fields.iter().map(|f| spec_of(py, &f.kind, f.kind.size())).collect::<PyResult<Vec<_>>>()?;
            let offsets: Vec<usize> = fields.iter().map(|f| f.offset).collect();
            d.set_item("names", names)?;
            d.set_item("formats", formats)?;
            d.set_item("offsets", offsets)?;
            d.set_item("itemsize", size)?;
            d.into_any()
        }
        Kind::Other(what) => return Err(PyTypeError::new_err(format!("values of type {what} are not readable yet"))),
    })
}

fn attr_to_py<'py>(py: Python<'py>, v: &AttrValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        AttrValue::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        AttrValue::Int(i) => i.into_pyobject(py)?.into_any(),
        AttrValue::UInt(i) => i.into_pyobject(py)?.into_any(),
        AttrValue::Float(x) => x.into_pyobject(py)?.into_any(),
        AttrValue::Str(s) => s.into_pyobject(py)?.into_any(),
        AttrValue::Bytes(b) => pyo3::types::PyBytes::new(py, b).into_any(),
        AttrValue::Array(items) => {
            PyList::new(py, items.iter().map(|i| attr_to_py(py, i)).collect::<PyResult<Vec<_>>>()?)?.into_any()
        }
        AttrValue::Other(s) => s.into_pyobject(py)?.into_any(),
    })
}

fn attrs_dict<'py>(py: Python<'py>, attrs: Vec<(String, AttrValue)>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in attrs {
        d.set_item(k, attr_to_py(py, &v)?)?;
    }
    Ok(d)
}

/// A group of a file.
#[pyclass(frozen, module = "outcore._core")]
pub struct Group {
    handle: RwLock<Option<std::sync::Arc<h5::Group>>>,
}

impl Group {
    fn new(group: h5::Group) -> Group {
        Group { handle: RwLock::new(Some(std::sync::Arc::new(group))) }
    }

    fn group(&self) -> PyResult<std::sync::Arc<h5::Group>> {
        self.handle
            .read()
            .ok()
            .and_then(|h| h.clone())
            .ok_or_else(|| PyValueError::new_err("the node's file is closed"))
    }
}

#[pymethods]
impl Group {
    #[getter]
    fn path(&self) -> PyResult<String> {
        Ok(self.group()?.path().to_string())
    }

    #[getter]
    fn title(&self) -> PyResult<String> {
        Ok(self.group()?.title())
    }

    /// The names of its children, sorted.
    fn children(&self) -> PyResult<Vec<String>> {
        self.group()?.children().py_err()
    }

    fn attrs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        attrs_dict(py, self.group()?.attrs().py_err()?)
    }

    /// Drops the handle (the file closes when its last handle goes).
    fn close(&self) {
        if let Ok(mut h) = self.handle.write() {
            *h = None;
        }
    }
}

/// A leaf of a file: a Table, an Array, a CArray, an EArray, a VLArray or another dataset.
#[pyclass(frozen, module = "outcore._core")]
pub struct Leaf {
    /// The handle, until the file is closed (`close` drops it, so the file really closes).
    handle: RwLock<Option<h5::Leaf>>,
    layout: Option<Layout>,
    /// A table's queries and row updates, made on first use: its clones share the updates
    /// waiting to be written, so that every query and read sees them.
    table: RwLock<Option<Table>>,
}

impl Leaf {
    fn new(leaf: h5::Leaf) -> Leaf {
        let layout = leaf.layout().ok();
        Leaf { handle: RwLock::new(Some(leaf)), layout, table: RwLock::new(None) }
    }

    /// The handle (a cheap clone), or an error once the file is closed.
    pub fn leaf(&self) -> PyResult<h5::Leaf> {
        self.handle
            .read()
            .ok()
            .and_then(|h| h.clone())
            .ok_or_else(|| PyValueError::new_err("the node's file is closed"))
    }

    fn layout(&self) -> PyResult<&Layout> {
        match &self.layout {
            Some(l) => Ok(l),
            None => Err(crate::errors::to_py(
                self.leaf()?
                    .layout()
                    .err()
                    .map_or_else(|| outcore::Error::new(outcore::ErrorKind::Internal, "no layout"), |e| e.into()),
            )),
        }
    }

    pub fn table(&self) -> PyResult<Table> {
        if let Some(t) = self.table.read().ok().and_then(|t| t.clone()) {
            return Ok(t);
        }
        let t = Table::new(&self.leaf()?).py_err()?;
        if let Ok(mut slot) = self.table.write() {
            return Ok(slot.get_or_insert(t).clone());
        }
        Ok(t)
    }

    /// Runs a query over this table with the condition's variables, on the pool, with the
    /// GIL released.
    fn scan<'py, R: Send>(
        &self,
        py: Python<'py>,
        names: &[String],
        values: &[Bound<'py, PyAny>],
        f: impl FnOnce(&Table, &[(String, Operand<'_>)]) -> outcore::Result<R> + Send,
    ) -> PyResult<R> {
        let t = self.table()?;
        let held = hold(names, values)?;
        let vars = vars(names, &held);
        py.detach(|| in_pool(|| f(&t, &vars))).py_err()
    }
}

fn range(start: Option<i64>, stop: Option<i64>, step: Option<i64>) -> RowRange {
    RowRange::new(start, stop, step)
}

fn bytes_array(py: Python<'_>, v: Vec<u8>) -> Bound<'_, PyArray1<u8>> {
    PyArray1::from_vec(py, v)
}

fn u64s_as_i64(py: Python<'_>, v: Vec<u64>) -> Bound<'_, PyArray1<i64>> {
    PyArray1::from_vec(py, v.into_iter().map(|c| c as i64).collect())
}

#[pymethods]
impl Leaf {
    #[getter]
    fn path(&self) -> PyResult<String> {
        Ok(self.leaf()?.path().to_string())
    }

    /// Drops the handle (the file closes when its last handle goes).
    fn close(&self) {
        if let Ok(mut t) = self.table.write() {
            // Row updates still waiting are written (as PyTables writes its on close).
            if let Some(t) = t.take() {
                let _ = t.flush_updates();
            }
        }
        if let Ok(mut h) = self.handle.write() {
            *h = None;
        }
    }

    /// Writes the row updates waiting (`row.update()` batches them).
    pub fn flush_updates(&self, py: Python<'_>) -> PyResult<()> {
        let t = self.table.read().ok().and_then(|t| t.clone());
        match t {
            Some(t) => py.detach(|| t.flush_updates()).py_err(),
            None => Ok(()),
        }
    }

    #[getter]
    fn class_name(&self) -> PyResult<&'static str> {
        Ok(leaf_class_name(self.leaf()?.class()))
    }

    #[getter]
    fn shape(&self) -> PyResult<Vec<usize>> {
        Ok(self.leaf()?.shape())
    }

    #[getter]
    fn chunkshape(&self) -> PyResult<Option<Vec<usize>>> {
        Ok(self.leaf()?.chunk_shape())
    }

    #[getter]
    fn title(&self) -> PyResult<String> {
        Ok(self.leaf()?.title())
    }

    #[getter]
    fn itemsize(&self) -> PyResult<usize> {
        Ok(self.layout()?.size)
    }

    fn attrs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        attrs_dict(py, self.leaf()?.attrs().py_err()?)
    }

    /// The NumPy dtype spec of one element (a table's record).
    fn dtype_spec<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let l = self.layout()?;
        spec_of(py, &l.kind, l.size)
    }

    /// A VLArray's atom: `("vlstring" | "vlunicode" | "object", None)`, or `("values",
    /// dtype spec)` for rows of values.
    fn vl_atom<'py>(&self, py: Python<'py>) -> PyResult<(&'static str, Option<Bound<'py, PyAny>>)> {
        Ok(match self.leaf()?.vl_atom().py_err()? {
            h5::VlAtom::Bytes => ("vlstring", None),
            h5::VlAtom::Unicode => ("vlunicode", None),
            h5::VlAtom::Object => ("object", None),
            h5::VlAtom::Values(k) => ("values", Some(spec_of(py, &k, k.size())?)),
        })
    }

    /// A VLArray's number of rows.
    fn vl_nrows(&self) -> PyResult<usize> {
        Ok(self.leaf()?.vl_nrows())
    }

    /// Rows `start:stop:step` of a VLArray, each as the bytes of its elements.
    #[pyo3(signature = (start=None, stop=None, step=None))]
    fn vl_rows<'py>(
        &self,
        py: Python<'py>,
        start: Option<i64>,
        stop: Option<i64>,
        step: Option<i64>,
    ) -> PyResult<Vec<Bound<'py, pyo3::types::PyBytes>>> {
        let leaf = &self.leaf()?;
        let (first, step, n) = range(start, stop, step).resolve(leaf.vl_nrows()).py_err()?;
        let rows = py.detach(|| leaf.vl_rows(first, step, n)).py_err()?;
        Ok(rows.iter().map(|r| pyo3::types::PyBytes::new(py, r)).collect())
    }

    /// Appends rows to a VLArray, each the bytes of whole elements of its atom.
    fn append_vl_rows(&self, py: Python<'_>, rows: Vec<Vec<u8>>) -> PyResult<()> {
        let leaf = &self.leaf()?;
        let refs: Vec<&[u8]> = rows.iter().map(Vec::as_slice).collect();
        py.detach(|| leaf.append_vl_rows(&refs)).py_err()
    }

    /// Whether the values are stored in the other byte order (the bytes `read_raw` returns
    /// are the file's).
    #[getter]
    fn swapped(&self) -> PyResult<bool> {
        Ok(self.leaf()?.swapped())
    }

    /// The filter pipeline in PyTables' words (`blosc2:zstd(5)+bitshuffle`, `none`).
    fn filters_text(&self) -> PyResult<String> {
        Ok(self.leaf()?.filters_text())
    }

    /// Rows `start:stop:step` of the main axis, as raw bytes in the element layout.
    #[pyo3(signature = (start=None, stop=None, step=None))]
    fn read_raw<'py>(
        &self,
        py: Python<'py>,
        start: Option<i64>,
        stop: Option<i64>,
        step: Option<i64>,
    ) -> PyResult<(Bound<'py, PyArray1<u8>>, usize)> {
        let leaf = &self.leaf()?;
        let shape = leaf.shape();
        let rows = shape.first().copied().unwrap_or(1);
        let (first, step, n) = range(start, stop, step).resolve(rows).py_err()?;
        let data = py
            .detach(|| {
                if shape.len() <= 1 && !(shape.is_empty() && n > 0) {
                    if n == 0 {
                        return Ok(Vec::new());
                    }
                    leaf.read_records(first, first + (n - 1) * step + 1, step)
                } else if first == 0 && step == 1 && n == rows {
                    leaf.read_bytes()
                } else {
                    // Rows of an N-d leaf: the whole leaf, sliced (a copy per row).
                    let all = leaf.read_bytes()?;
                    let per_row = all.len() / rows.max(1);
                    let mut out = Vec::with_capacity(n * per_row);
                    for i in 0..n {
                        let r = first + i * step;
                        out.extend_from_slice(&all[r * per_row..(r + 1) * per_row]);
                    }
                    Ok(out)
                }
            })
            .py_err()?;
        Ok((bytes_array(py, data), n))
    }

    /// The rows at `coords`, in that order, as raw records.
    fn read_coords<'py>(
        &self,
        py: Python<'py>,
        coords: PyReadonlyArray1<'py, i64>,
    ) -> PyResult<Bound<'py, PyArray1<u8>>> {
        let leaf = &self.leaf()?;
        let rows = leaf.shape().first().copied().unwrap_or(0) as i64;
        let mut c = Vec::with_capacity(coords.len());
        for &v in coords.as_array().iter() {
            let v = if v < 0 { v + rows } else { v };
            if v < 0 || v >= rows {
                return Err(pyo3::exceptions::PyIndexError::new_err(format!(
                    "row {v} is out of range for {} rows",
                    rows
                )));
            }
            c.push(v as u64);
        }
        let data = py.detach(|| leaf.read_coords(&c)).py_err()?;
        Ok(bytes_array(py, data))
    }

    /// Appends records (raw bytes in the table's layout).
    fn append_records(&self, py: Python<'_>, records: PyReadonlyArray1<'_, u8>) -> PyResult<()> {
        let b = records.as_slice()?;
        let leaf = &self.leaf()?;
        py.detach(|| leaf.append_records(b)).py_err()
    }

    /// Overwrites the records from row `start` (raw bytes in the table's layout).
    fn modify_records(&self, py: Python<'_>, start: usize, records: PyReadonlyArray1<'_, u8>) -> PyResult<()> {
        let b = records.as_slice()?;
        let leaf = &self.leaf()?;
        py.detach(|| leaf.modify_records(start, b)).py_err()
    }

    /// Appends rows to an EArray along its first axis.
    fn append(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let leaf = &self.leaf()?;
        macro_rules! app {
            ($t:ty) => {{
                let a: PyReadonlyArrayDyn<'_, $t> = data.extract()?;
                let v = a.as_array();
                py.detach(|| leaf.append(v)).py_err()?
            }};
        }
        dispatch_numeric!(data, app);
        Ok(())
    }

    fn flush(&self) -> PyResult<()> {
        self.leaf()?.flush_file().py_err()
    }

    /// The matching rows as one `Row` moved along them (PyTables' `Table.where`); `table` is
    /// the Python table, `dtype` its records' NumPy dtype.
    #[pyo3(signature = (table, dtype, cond, names, values, start=None, stop=None, step=None))]
    fn where_rows<'py>(
        slf: &Bound<'py, Self>,
        py: Python<'py>,
        table: Py<PyAny>,
        dtype: Py<PyAny>,
        cond: &str,
        names: Vec<String>,
        values: Vec<Bound<'py, PyAny>>,
        start: Option<i64>,
        stop: Option<i64>,
        step: Option<i64>,
    ) -> PyResult<crate::rows::RowScan> {
        let t = slf.get().table()?;
        let held = hold(&names, &values)?;
        let vars = vars(&names, &held);
        let b = py.detach(|| t.where_batches(cond, &vars, range(start, stop, step))).py_err()?;
        let row = Py::new(py, crate::rows::Row::for_table(py, table, slf.clone().unbind()))?;
        Ok(crate::rows::RowScan::new(b, dtype, row))
    }

    /// The matching records (raw, in the table's layout) or one field's values, with their
    /// row numbers.
    #[pyo3(signature = (cond, names, values, field=None, start=None, stop=None, step=None))]
    fn read_where<'py>(
        &self,
        py: Python<'py>,
        cond: &str,
        names: Vec<String>,
        values: Vec<Bound<'py, PyAny>>,
        field: Option<&str>,
        start: Option<i64>,
        stop: Option<i64>,
        step: Option<i64>,
    ) -> PyResult<Hits<'py>> {
        let r = self.scan(py, &names, &values, |t, vars| t.read_where(cond, vars, field, range(start, stop, step)))?;
        Ok((u64s_as_i64(py, r.coords), bytes_array(py, r.data)))
    }

    /// The row numbers matching `cond`.
    #[pyo3(signature = (cond, names, values, start=None, stop=None, step=None))]
    fn get_where_list<'py>(
        &self,
        py: Python<'py>,
        cond: &str,
        names: Vec<String>,
        values: Vec<Bound<'py, PyAny>>,
        start: Option<i64>,
        stop: Option<i64>,
        step: Option<i64>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let r = self.scan(py, &names, &values, |t, vars| t.get_where_list(cond, vars, range(start, stop, step)))?;
        Ok(u64s_as_i64(py, r))
    }

    /// How many rows match `cond`.
    #[pyo3(signature = (cond, names, values, start=None, stop=None, step=None))]
    fn count_where<'py>(
        &self,
        py: Python<'py>,
        cond: &str,
        names: Vec<String>,
        values: Vec<Bound<'py, PyAny>>,
        start: Option<i64>,
        stop: Option<i64>,
        step: Option<i64>,
    ) -> PyResult<u64> {
        self.scan(py, &names, &values, |t, vars| t.count_where(cond, vars, range(start, stop, step)))
    }

    /// What a query of `cond` would read: a dict of the plan (`outcore query --explain`).
    #[pyo3(signature = (cond, names, values, start=None, stop=None, step=None))]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        cond: &str,
        names: Vec<String>,
        values: Vec<Bound<'py, PyAny>>,
        start: Option<i64>,
        stop: Option<i64>,
        step: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let e = self.scan(py, &names, &values, |t, vars| t.explain(cond, vars, range(start, stop, step)))?;
        let d = PyDict::new(py);
        d.set_item("text", e.to_string())?;
        d.set_item("table", &e.table)?;
        d.set_item("rows", e.rows)?;
        d.set_item("chunks", e.zones)?;
        d.set_item("chunk_rows", e.zone_rows)?;
        d.set_item("chunks_read", e.zones_read)?;
        d.set_item("rows_read", e.rows_read)?;
        let (kind, columns, reason): (&str, Vec<String>, Option<String>) = match e.statistics {
            Statistics::None => ("none", vec![], None),
            Statistics::Ignored(why) => ("ignored", vec![], Some(why)),
            Statistics::Unused => ("unused", vec![], None),
            Statistics::Used(cols) => ("used", cols, None),
        };
        d.set_item("statistics", kind)?;
        d.set_item("columns", columns)?;
        d.set_item("reason", reason)?;
        let (state, indexes, candidates, reasons) = match e.index {
            IndexUse::None => ("none", vec![], None, vec![]),
            IndexUse::Unused(why) => ("unused", vec![], None, why),
            IndexUse::Used { indexes, candidates } => ("used", indexes, Some(candidates), vec![]),
        };
        let ix = PyDict::new(py);
        ix.set_item("state", state)?;
        ix.set_item("indexes", indexes)?;
        ix.set_item("candidates", candidates)?;
        ix.set_item("reasons", reasons)?;
        d.set_item("index", ix)?;
        Ok(d)
    }

    /// Writes chunk statistics of `columns` (every numeric and boolean one when empty);
    /// returns how many chunks they describe.
    fn index_stats(&self, py: Python<'_>, columns: Vec<String>) -> PyResult<u64> {
        let t = self.table()?;
        let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
        py.detach(|| in_pool(|| t.index_stats(&cols))).py_err()
    }

    /// The PyTables index of `column`: None when it has none; else a dict of its kind,
    /// optlevel, nelements, is_csi and dirty (and `reason` when outcore does not use it).
    fn index_info<'py>(&self, py: Python<'py>, column: &str) -> PyResult<Option<Bound<'py, PyDict>>> {
        let leaf = self.leaf()?;
        let lookup = py.detach(|| leaf.pytables_index(column)).map_err(outcore::Error::from).py_err()?;
        let d = PyDict::new(py);
        match lookup {
            outcore::h5::Lookup::Absent => return Ok(None),
            outcore::h5::Lookup::Found(ix) => {
                d.set_item("kind", ix.kind())?;
                d.set_item("optlevel", ix.optlevel())?;
                d.set_item("nelements", ix.nelements())?;
                d.set_item("is_csi", ix.is_csi())?;
                d.set_item("dirty", false)?;
                d.set_item("reason", py.None())?;
            }
            outcore::h5::Lookup::Ignored(why) => {
                d.set_item("dirty", why.contains("is dirty"))?;
                d.set_item("reason", why)?;
            }
        }
        Ok(Some(d))
    }

    /// The rows in the order of `sortby` by its completely sorted index, positions
    /// `start:stop:step` of that order: the records' bytes.
    #[pyo3(signature = (sortby, start=None, stop=None, step=None))]
    fn read_sorted<'py>(
        &self,
        py: Python<'py>,
        sortby: &str,
        start: Option<i64>,
        stop: Option<i64>,
        step: Option<i64>,
    ) -> PyResult<Bound<'py, PyArray1<u8>>> {
        let t = self.table()?;
        let r = py.detach(|| in_pool(|| t.read_sorted(sortby, range(start, stop, step)))).py_err()?;
        Ok(bytes_array(py, r.data))
    }

    /// Writes a completely sorted PyTables index of `column` (PyTables' `create_csindex`);
    /// returns the rows indexed.
    fn create_csindex(&self, py: Python<'_>, column: &str) -> PyResult<u64> {
        let t = self.table()?;
        py.detach(|| in_pool(|| t.create_csindex(column))).py_err()
    }

    /// Appends the matching rows to the table `dest`; returns how many.
    #[pyo3(signature = (dest, cond, names, values, start=None, stop=None, step=None))]
    fn append_where<'py>(
        &self,
        py: Python<'py>,
        dest: PyRef<'py, Leaf>,
        cond: &str,
        names: Vec<String>,
        values: Vec<Bound<'py, PyAny>>,
        start: Option<i64>,
        stop: Option<i64>,
        step: Option<i64>,
    ) -> PyResult<u64> {
        let d = dest.leaf()?;
        self.scan(py, &names, &values, |t, vars| t.where_append(&d, cond, vars, range(start, stop, step)))
    }
}

/// Row numbers (int64) and the raw records or values they hold.
type Hits<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<u8>>);

fn vars<'h>(names: &[String], held: &'h [Held<'_>]) -> Vec<(String, Operand<'h>)> {
    names.iter().cloned().zip(held.iter().map(Held::operand)).collect()
}

/// After an append to `node` of the file at `path` failed part way (a full disk) and the file
/// was closed: cuts the leaf back to the rows written in full (`outcore repair`); returns them.
#[pyfunction]
pub fn keep_written_prefix(py: Python<'_>, path: std::path::PathBuf, node: String) -> PyResult<usize> {
    use crate::errors::IntoPy;
    py.detach(|| outcore::h5::keep_written_prefix(&path, &node)).py_err()
}
