//! numexpr's face: `evaluate` with a cache of compiled programs, compiled `Program`s, the
//! thread count, and PyTables' `Expr` evaluated over NumPy arrays and file leaves.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use numpy::{PyArray, PyArray1, PyUntypedArrayMethods};
use outcore::{Array, Compiled, DType};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::errors::IntoPy;
use crate::operand::{hold, Held};

/// Compiled programs by expression, then input names and types (numexpr keeps 256 too).
type Cache = HashMap<String, Vec<(Vec<String>, Vec<DType>, Compiled)>>;
static CACHE: Mutex<Option<Cache>> = Mutex::new(None);
const CACHE_SIZE: usize = 256;
/// Names by expression.
static NAMES: Mutex<Option<HashMap<String, Vec<String>>>> = Mutex::new(None);
/// The extension's own worker pool (never rayon's global one, so that a forked child can
/// start a new pool: a fork keeps no threads), and the size asked for (0: one per core).
static POOL: RwLock<Option<(usize, Arc<rayon::ThreadPool>)>> = RwLock::new(None);
static WANT: AtomicUsize = AtomicUsize::new(0);

fn build(n: usize) -> PyResult<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("outcore-{i}"))
        .build()
        .map_err(|e| PyValueError::new_err(format!("cannot start {n} threads: {e}")))
}

fn pool() -> Option<Arc<rayon::ThreadPool>> {
    if let Some((_, p)) = POOL.read().ok()?.as_ref() {
        return Some(p.clone());
    }
    let n = match WANT.load(Ordering::Relaxed) {
        0 => detect_number_of_cores(),
        n => n,
    };
    let fresh = Arc::new(build(n).ok()?);
    let mut w = POOL.write().ok()?;
    Some(w.get_or_insert((n, fresh)).1.clone())
}

/// Runs `f` on the extension's pool (the VM's parallel loops run on the pool they are
/// called from).
pub fn in_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match pool() {
        Some(p) => p.install(f),
        None => f(),
    }
}

/// Called in a child process after `fork` (registered by the Python package): the parent's
/// pool threads do not exist there, so the pool is dropped without joining them and a new
/// one starts at the next call.
#[pyfunction]
pub fn _after_fork() {
    if let Ok(mut p) = POOL.try_write() {
        if let Some(old) = p.take() {
            std::mem::forget(old);
        }
    }
}

fn compiled(ex: &str, held: &[Held<'_>], names: &[String]) -> PyResult<Compiled> {
    let dtypes: Vec<DType> = held.iter().map(Held::dtype).collect();
    if let Ok(cache) = CACHE.lock() {
        if let Some(list) = cache.as_ref().and_then(|c| c.get(ex)) {
            if let Some((_, _, c)) = list.iter().find(|(n, d, _)| n == names && *d == dtypes) {
                return Ok(c.clone());
            }
        }
    }
    let inputs: Vec<(&str, DType)> = names.iter().map(String::as_str).zip(dtypes.iter().copied()).collect();
    let c = Compiled::new(ex, &inputs).py_err()?;
    if let Ok(mut cache) = CACHE.lock() {
        let cache = cache.get_or_insert_with(HashMap::new);
        if cache.len() >= CACHE_SIZE {
            cache.clear();
        }
        cache.entry(ex.to_string()).or_default().push((names.to_vec(), dtypes, c.clone()));
    }
    Ok(c)
}

/// Runs `f` on the pool, or on this thread when every operand is small (the VM
/// then never reaches for the pool, and a hand-off would cost more than the work).
fn run<R: Send>(small: bool, f: impl FnOnce() -> R + Send) -> R {
    if small {
        f()
    } else {
        in_pool(f)
    }
}

/// What the engine evaluates on the calling thread.
const ONE_BLOCK: usize = Compiled::SERIAL_LEN;

/// NumPy's name for a result type.
pub fn numpy_name(d: DType) -> String {
    match d {
        DType::Bytes(n) => format!("S{n}"),
        d => d.to_string(),
    }
}

/// A result handed to NumPy without a copy (byte strings are viewed as `S<n>`).
pub fn to_numpy(py: Python<'_>, a: Array) -> PyResult<Bound<'_, PyAny>> {
    Ok(match a {
        Array::Bool(x) => PyArray::from_owned_array(py, x).into_any(),
        Array::Int32(x) => PyArray::from_owned_array(py, x).into_any(),
        Array::Int64(x) => PyArray::from_owned_array(py, x).into_any(),
        Array::Float32(x) => PyArray::from_owned_array(py, x).into_any(),
        Array::Float64(x) => PyArray::from_owned_array(py, x).into_any(),
        Array::Complex128(x) => PyArray::from_owned_array(py, x).into_any(),
        Array::Bytes(b) => {
            let shape = PyTuple::new(py, &b.shape)?;
            let item = b.itemsize.max(1);
            let mut data = b.data;
            if b.itemsize == 0 {
                data.resize(b.shape.iter().product(), 0);
            }
            let u = PyArray1::from_vec(py, data);
            u.call_method1("view", (format!("S{item}"),))?.call_method1("reshape", (shape,))?
        }
    })
}

/// The names an expression reads, in order of first use.
#[pyfunction]
pub fn names(ex: &str) -> PyResult<Vec<String>> {
    if let Some(n) = NAMES.lock().ok().and_then(|m| m.as_ref().and_then(|m| m.get(ex).cloned())) {
        return Ok(n);
    }
    let n = outcore::names(ex).py_err()?;
    if let Ok(mut m) = NAMES.lock() {
        let m = m.get_or_insert_with(HashMap::new);
        if m.len() >= CACHE_SIZE {
            m.clear();
        }
        m.insert(ex.to_string(), n.clone());
    }
    Ok(n)
}

/// Evaluates `ex` over `values` (one per name, NumPy arrays of the language's types);
/// with `out` (an array of the result's type, C-contiguous and writeable) the result is
/// written into it. The GIL is released while the kernels run.
#[pyfunction]
#[pyo3(signature = (ex, names, values, out=None))]
pub fn evaluate<'py>(
    py: Python<'py>,
    ex: &str,
    names: Vec<String>,
    values: Vec<Bound<'py, PyAny>>,
    out: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let held = hold(&names, &values)?;
    let c = compiled(ex, &held, &names)?;
    let ops: Vec<outcore::Operand<'_>> = held.iter().map(Held::operand).collect();
    let small = held.iter().all(|h| h.elements() <= ONE_BLOCK);
    let Some(out) = out else {
        if let Some(r) = into_numpy_array(py, &c, &held, &ops, small)? {
            return Ok(r);
        }
        let r = py.detach(|| run(small, || c.eval(&ops))).py_err()?;
        return to_numpy(py, r);
    };
    macro_rules! into {
        ($t:ty) => {{
            let mut w: numpy::PyReadwriteArrayDyn<'py, $t> = out.extract()?;
            let want = w.shape().to_vec();
            let mut v = w.as_array_mut();
            let slice =
                v.as_slice_mut().ok_or_else(|| PyValueError::new_err("the output array must be C-contiguous"))?;
            let shape = py.detach(|| run(small, || c.eval_into(&ops, slice))).py_err()?;
            if shape != want && !(shape.is_empty() && want.iter().product::<usize>() == 1) {
                return Err(PyValueError::new_err(format!(
                    "the output has shape {want:?}; the result has shape {shape:?}"
                )));
            }
        }};
    }
    match c.dtype() {
        DType::Bool => into!(bool),
        DType::Int32 => into!(i32),
        DType::Int64 => into!(i64),
        DType::Float32 => into!(f32),
        DType::Float64 => into!(f64),
        DType::Complex128 => into!(num_complex::Complex64),
        DType::Bytes(_) => return Err(PyTypeError::new_err("a byte-string result cannot be written into `out`")),
    }
    Ok(out)
}

/// An elementwise result evaluated straight into a new array that NumPy allocates, not
/// zeroed first (NumPy asks the kernel for huge pages for large arrays; the engine's own
/// zeroed allocation would fault in every 4 KiB page, and costs a memset on small ones).
/// `None` for reductions and byte strings, which take the engine's path.
fn into_numpy_array<'py>(
    py: Python<'py>,
    c: &Compiled,
    held: &[Held<'_>],
    ops: &[outcore::Operand<'_>],
    small: bool,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    use numpy::{PyArrayDyn, PyArrayMethods};
    let shapes: Vec<Option<Vec<usize>>> = held.iter().map(Held::shape).collect();
    let Some(shape) = c.elementwise_shape(&shapes) else { return Ok(None) };
    let dim = ndarray::IxDyn(&shape);
    macro_rules! fill {
        ($arr:expr) => {{
            let arr = $arr;
            {
                let mut w = arr.readwrite();
                let slice = w.as_slice_mut().map_err(|e| PyValueError::new_err(e.to_string()))?;
                py.detach(|| run(small, || c.eval_into(ops, slice))).py_err()?;
            }
            Ok(Some(arr.into_any()))
        }};
    }
    // Safety (the `new` arms): every element is written by `eval_into` before NumPy sees
    // the array, and any bit pattern is a valid value of these types; bools start zeroed.
    match c.dtype() {
        DType::Bool => fill!(PyArrayDyn::<bool>::zeros(py, dim, false)),
        DType::Int32 => fill!(unsafe { PyArrayDyn::<i32>::new(py, dim, false) }),
        DType::Int64 => fill!(unsafe { PyArrayDyn::<i64>::new(py, dim, false) }),
        DType::Float32 => fill!(unsafe { PyArrayDyn::<f32>::new(py, dim, false) }),
        DType::Float64 => fill!(unsafe { PyArrayDyn::<f64>::new(py, dim, false) }),
        DType::Complex128 => fill!(unsafe { PyArrayDyn::<num_complex::Complex64>::new(py, dim, false) }),
        DType::Bytes(_) => Ok(None),
    }
}

/// The NumPy type of `ex`'s result for these values.
#[pyfunction]
pub fn result_dtype<'py>(ex: &str, names: Vec<String>, values: Vec<Bound<'py, PyAny>>) -> PyResult<String> {
    let held = hold(&names, &values)?;
    Ok(numpy_name(compiled(ex, &held, &names)?.dtype()))
}

/// Sets the number of worker threads; returns the previous number.
#[pyfunction]
pub fn set_num_threads(n: usize) -> PyResult<usize> {
    let old = get_num_threads();
    let n = n.max(1);
    let fresh = Arc::new(build(n)?);
    WANT.store(n, Ordering::Relaxed);
    if let Ok(mut p) = POOL.write() {
        *p = Some((n, fresh));
    }
    Ok(old)
}

/// The number of worker threads.
#[pyfunction]
pub fn get_num_threads() -> usize {
    match WANT.load(Ordering::Relaxed) {
        0 => detect_number_of_cores(),
        n => n,
    }
}

/// The number of cores of this machine.
#[pyfunction]
pub fn detect_number_of_cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// An expression compiled for a signature of names and types: numexpr's `NumExpr` object.
/// It owns its program, so threads may call one object at once.
#[pyclass(frozen, module = "outcore._core")]
pub struct Program {
    compiled: Compiled,
}

#[pymethods]
impl Program {
    /// Compiles `ex` for `signature`, a list of `(name, numpy type name)`.
    #[new]
    fn new(ex: &str, signature: Vec<(String, String)>) -> PyResult<Program> {
        let mut inputs = Vec::new();
        for (name, t) in &signature {
            let d = DType::from_name(t)
                .ok_or_else(|| PyTypeError::new_err(format!("`{name}`: type {t} is not one outcore computes in")))?;
            inputs.push((name.as_str(), d));
        }
        Ok(Program { compiled: Compiled::new(ex, &inputs).py_err()? })
    }

    /// The names the program takes, in order.
    #[getter]
    fn input_names(&self) -> Vec<String> {
        self.compiled.names().map(String::from).collect()
    }

    /// The NumPy type of the result.
    #[getter]
    fn dtype(&self) -> String {
        numpy_name(self.compiled.dtype())
    }

    /// The program, printed.
    fn disassemble(&self) -> String {
        self.compiled.disassemble()
    }
}

/// PyTables' `Expr.eval()`: `ex` over NumPy arrays, leaves and table columns, streamed from
/// the file rows `range` at a time; into memory, or into the leaf `out` (at `out_range`, or
/// appended).
#[pyfunction]
#[pyo3(signature = (ex, names, values, start=None, stop=None, step=None, out=None, append=false, out_start=None, out_stop=None, out_step=None))]
pub fn expr_eval<'py>(
    py: Python<'py>,
    ex: &str,
    names: Vec<String>,
    values: Vec<Bound<'py, PyAny>>,
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
    out: Option<PyRef<'py, crate::tables::Leaf>>,
    append: bool,
    out_start: Option<i64>,
    out_stop: Option<i64>,
    out_step: Option<i64>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let held = hold(&names, &values)?;
    let mut e = outcore::Expr::new(ex).py_err()?;
    for (n, h) in names.iter().zip(&held) {
        e = e.bind(n, h.operand()).py_err()?;
    }
    if start.is_some() || stop.is_some() || step.is_some() {
        e = e.set_inputs_range(start, stop, step).py_err()?;
    }
    // PyTables evaluates operands of different lengths over the shortest.
    e = e.allow_truncate();
    match out {
        None => {
            let r = py.detach(|| in_pool(|| e.eval())).py_err()?;
            Ok(Some(to_numpy(py, r)?))
        }
        Some(leaf) => {
            let leaf = leaf.leaf()?;
            let mut into = if append { e.set_output_append(&leaf) } else { e.set_output(&leaf) }.py_err()?;
            if out_start.is_some() || out_stop.is_some() || out_step.is_some() {
                into = into.set_output_range(out_start, out_stop, out_step).py_err()?;
            }
            py.detach(|| in_pool(|| into.eval())).py_err()?;
            Ok(None)
        }
    }
}
