//! PyTables' rows: one `Row` object moved along a scan's matches (or a range of rows), its
//! fields read through per-batch column views, so that a row costs a few attribute stores
//! and not a Python object per field.

use std::sync::Mutex;

use numpy::PyArray1;
use pyo3::exceptions::{PyIndexError, PyKeyError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PySlice, PyString};

use crate::errors::IntoPy;

/// One row of a table (PyTables' `Row`): `row['col']`, `row['a/b']`, `row.nrow`,
/// `row['x'] = v; row.update()`. The same object is reused for every row of an iteration, as
/// PyTables' is; `row.fetch_all_fields()` copies one.
#[pyclass(module = "outcore._core")]
pub struct Row {
    /// The batch's records, a NumPy structured array of the table's dtype.
    recs: Option<Py<PyAny>>,
    /// Column views of the batch, by field path, made on first use.
    cols: Py<PyDict>,
    i: usize,
    nrow: i64,
    /// The Python `Table` the rows belong to.
    table: Py<PyAny>,
    /// The table's node (its queries and the row updates waiting to be written); held as the
    /// node, not its handle, so that closing the file closes it for real.
    raw: Py<crate::tables::Leaf>,
}

impl Row {
    pub fn for_table(py: Python<'_>, table: Py<PyAny>, raw: Py<crate::tables::Leaf>) -> Row {
        Row { recs: None, cols: PyDict::new(py).unbind(), i: 0, nrow: -1, table, raw }
    }

    fn recs<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyAny>> {
        match &self.recs {
            Some(r) => Ok(r.bind(py)),
            None => Err(PyIndexError::new_err("the row points at no record yet")),
        }
    }

    fn col<'py>(&self, py: Python<'py>, key: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
        let cols = self.cols.bind(py);
        if let Some(c) = cols.get_item(key)? {
            return Ok(c);
        }
        let mut c = self.recs(py)?.clone();
        let path = key.to_str()?;
        for part in path.split('/') {
            // PyTables: a column the table does not have is a KeyError.
            c = c.get_item(part).map_err(|_| PyKeyError::new_err(format!("no column `{path}`")))?;
        }
        cols.set_item(key, &c)?;
        Ok(c)
    }

    fn set_batch(&mut self, py: Python<'_>, recs: Py<PyAny>) {
        self.recs = Some(recs);
        self.cols = PyDict::new(py).unbind();
    }
}

#[pymethods]
impl Row {
    #[new]
    fn new(py: Python<'_>, table: Py<PyAny>, leaf: PyRef<'_, crate::tables::Leaf>) -> PyResult<Row> {
        Ok(Row { recs: None, cols: PyDict::new(py).unbind(), i: 0, nrow: -1, table, raw: leaf.into() })
    }

    /// The row's number in the table.
    #[getter]
    fn nrow(&self) -> i64 {
        self.nrow
    }

    /// The table the row belongs to.
    #[getter]
    fn table(&self, py: Python<'_>) -> Py<PyAny> {
        self.table.clone_ref(py)
    }

    /// Points the row at record `i` of `recs` (row number `nrow`); a new `recs` starts a batch.
    fn _move(&mut self, py: Python<'_>, recs: &Bound<'_, PyAny>, i: usize, nrow: i64) {
        if !self.recs.as_ref().is_some_and(|r| r.is(recs)) {
            self.set_batch(py, recs.clone().unbind());
        }
        self.i = i;
        self.nrow = nrow;
    }

    fn __getitem__<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if let Ok(k) = key.cast::<PyString>() {
            return self.col(py, k)?.get_item(self.i);
        }
        self.recs(py)?.get_item(self.i)?.get_item(key)
    }

    fn __setitem__<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<()> {
        if let Ok(k) = key.cast::<PyString>() {
            return self.col(py, k)?.set_item(self.i, value);
        }
        self.recs(py)?.get_item(self.i)?.set_item(key, value)
    }

    /// Writes this row's changes to the table.
    fn update(&self, py: Python<'_>) -> PyResult<()> {
        let i = self.i as isize;
        let rec = self.recs(py)?.get_item(PySlice::new(py, i, i + 1, 1))?;
        let bytes: Vec<u8> = rec.call_method0("tobytes")?.extract()?;
        let (rows, nrow) = (self.raw.get().table()?, self.nrow as u64);
        py.detach(|| rows.update_row(nrow, &bytes)).py_err()
    }

    /// A copy of the whole record (a NumPy void scalar).
    fn fetch_all_fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.recs(py)?.get_item(self.i)?.call_method0("copy")
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let path: String = self.table.bind(py).getattr("_v_pathname")?.extract()?;
        Ok(format!("{path}.row (Row), pointing to row #{}", self.nrow))
    }

    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        match &self.recs {
            Some(r) => Ok(r.bind(py).get_item(self.i)?.str()?.to_string()),
            None => self.__repr__(py),
        }
    }
}

/// The rows a condition selects, as one `Row` moved along them; the scan runs ahead on its
/// own threads, a slab at a time.
#[pyclass(module = "outcore._core")]
pub struct RowScan {
    batches: Mutex<outcore::Batches>,
    dtype: Py<PyAny>,
    row: Py<Row>,
    coords: Vec<i64>,
    pos: usize,
}

impl RowScan {
    pub fn new(batches: outcore::Batches, dtype: Py<PyAny>, row: Py<Row>) -> RowScan {
        RowScan { batches: Mutex::new(batches), dtype, row, coords: Vec::new(), pos: 0 }
    }
}

#[pymethods]
impl RowScan {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<Row>>> {
        while self.pos >= self.coords.len() {
            let b = &self.batches;
            let next = py.detach(|| b.lock().ok().and_then(|mut b| b.next()));
            let Some(r) = next else {
                // The end: the rows updated are written (a failure is raised here).
                let raw = self.row.borrow(py).raw.clone_ref(py);
                raw.get().flush_updates(py)?;
                return Ok(None);
            };
            let r = r.py_err()?;
            let recs = PyArray1::from_vec(py, r.data).call_method1("view", (self.dtype.bind(py),))?;
            self.row.borrow_mut(py).set_batch(py, recs.unbind());
            self.coords = r.coords.into_iter().map(|c| c as i64).collect();
            self.pos = 0;
        }
        {
            let mut row = self.row.borrow_mut(py);
            row.i = self.pos;
            row.nrow = self.coords[self.pos];
        }
        self.pos += 1;
        Ok(Some(self.row.clone_ref(py)))
    }
}
