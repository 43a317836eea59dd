//! NumPy arrays, scalars, file leaves and table columns as expression operands: arrays are
//! borrowed in place (a strided one is copied once by the engine), held for the call.

use num_complex::Complex64;
use numpy::{PyArrayDescrMethods, PyReadonlyArrayDyn, PyUntypedArray, PyUntypedArrayMethods};
use outcore::{ArrayRef, BytesArray, DType, Operand, Value};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// A value bound to a name for one call, kept alive (and borrowed) until the call ends.
pub enum Held<'py> {
    Bool(PyReadonlyArrayDyn<'py, bool>),
    Int32(PyReadonlyArrayDyn<'py, i32>),
    Int64(PyReadonlyArrayDyn<'py, i64>),
    Float32(PyReadonlyArrayDyn<'py, f32>),
    Float64(PyReadonlyArrayDyn<'py, f64>),
    Complex128(PyReadonlyArrayDyn<'py, Complex64>),
    Bytes(BytesArray),
    Scalar(Value),
    Leaf(outcore::h5::Leaf),
    Column(outcore::h5::Column),
}

impl<'py> Held<'py> {
    /// Takes a NumPy array of one of the language's types (the Python side converts the
    /// others first, as numexpr does), a 0-d array (a scalar), `("S", uint8 array)` for byte
    /// strings (the last axis is the item), a `Leaf`, or `(Leaf, column path)`.
    pub fn new(name: &str, obj: &Bound<'py, PyAny>) -> PyResult<Held<'py>> {
        if let Ok(leaf) = obj.cast::<crate::tables::Leaf>() {
            return Ok(Held::Leaf(leaf.get().leaf()?));
        }
        if let Ok(t) = obj.cast::<PyTuple>() {
            let tag = t.get_item(0)?;
            if let Ok(leaf) = tag.cast::<crate::tables::Leaf>() {
                let path: String = t.get_item(1)?.extract()?;
                let col = leaf.get().leaf()?.col(&path).map_err(|e| crate::errors::to_py(e.into()))?;
                return Ok(Held::Column(col));
            }
            if tag.extract::<String>().is_ok_and(|s| s == "S") {
                let a: PyReadonlyArrayDyn<'py, u8> = t.get_item(1)?.extract()?;
                let v = a.as_array();
                let shape = v.shape().to_vec();
                let (item, rest) = shape.split_last().map(|(i, r)| (*i, r.to_vec())).unwrap_or((0, vec![]));
                let data = v.as_standard_layout().iter().copied().collect();
                if rest.is_empty() {
                    let b = BytesArray { shape: vec![], itemsize: item, data };
                    return Ok(Held::Scalar(Value::Bytes(b.get(0).unwrap_or_default().to_vec())));
                }
                return Ok(Held::Bytes(BytesArray { shape: rest, itemsize: item, data }));
            }
        }
        let arr = obj
            .cast::<PyUntypedArray>()
            .map_err(|_| PyTypeError::new_err(format!("`{name}`: expected a NumPy array, got {}", type_name(obj))))?;
        let d = arr.dtype();
        let (kind, size) = (d.kind(), d.itemsize());
        let held = match (kind, size) {
            (b'b', 1) => Held::Bool(obj.extract()?),
            (b'i', 4) => Held::Int32(obj.extract()?),
            (b'i', 8) => Held::Int64(obj.extract()?),
            (b'f', 4) => Held::Float32(obj.extract()?),
            (b'f', 8) => Held::Float64(obj.extract()?),
            (b'c', 16) => Held::Complex128(obj.extract()?),
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "`{name}`: NumPy type {} is not one outcore computes in",
                    d.str()?
                )))
            }
        };
        if arr.ndim() == 0 {
            return Ok(Held::Scalar(held.scalar()));
        }
        Ok(held)
    }

    /// The first value, for 0-d arrays.
    fn scalar(&self) -> Value {
        fn first<T: Copy + numpy::Element>(a: &PyReadonlyArrayDyn<'_, T>) -> Option<T> {
            a.as_array().iter().next().copied()
        }
        match self {
            Held::Bool(a) => Value::Bool(first(a).unwrap_or_default()),
            Held::Int32(a) => Value::Int32(first(a).unwrap_or_default()),
            Held::Int64(a) => Value::Int64(first(a).unwrap_or_default()),
            Held::Float32(a) => Value::Float32(first(a).unwrap_or_default()),
            Held::Float64(a) => Value::Float64(first(a).unwrap_or_default()),
            Held::Complex128(a) => {
                let c = first(a).unwrap_or_default();
                Value::Complex128(c.re, c.im)
            }
            Held::Scalar(v) => v.clone(),
            Held::Bytes(_) | Held::Leaf(_) | Held::Column(_) => Value::Bool(false),
        }
    }

    /// The operand, borrowing the array.
    pub fn operand(&self) -> Operand<'_> {
        use outcore::IntoOperand;
        match self {
            Held::Bool(a) => Operand::View(ArrayRef::Bool(a.as_array())),
            Held::Int32(a) => Operand::View(ArrayRef::Int32(a.as_array())),
            Held::Int64(a) => Operand::View(ArrayRef::Int64(a.as_array())),
            Held::Float32(a) => Operand::View(ArrayRef::Float32(a.as_array())),
            Held::Float64(a) => Operand::View(ArrayRef::Float64(a.as_array())),
            Held::Complex128(a) => Operand::View(ArrayRef::Complex128(a.as_array())),
            Held::Bytes(b) => Operand::View(ArrayRef::Bytes(b)),
            Held::Scalar(v) => Operand::Scalar(v.clone()),
            Held::Leaf(l) => l.into_operand(),
            Held::Column(c) => c.into_operand(),
        }
    }

    /// Elements in memory (a file operand counts as large).
    pub fn elements(&self) -> usize {
        match self {
            Held::Bool(a) => a.len(),
            Held::Int32(a) => a.len(),
            Held::Int64(a) => a.len(),
            Held::Float32(a) => a.len(),
            Held::Float64(a) => a.len(),
            Held::Complex128(a) => a.len(),
            Held::Bytes(b) => b.len(),
            Held::Scalar(_) => 1,
            Held::Leaf(_) | Held::Column(_) => usize::MAX,
        }
    }

    /// The shape of an array operand (`None` for a scalar), read without making a view.
    pub fn shape(&self) -> Option<Vec<usize>> {
        match self {
            Held::Bool(a) => Some(a.shape().to_vec()),
            Held::Int32(a) => Some(a.shape().to_vec()),
            Held::Int64(a) => Some(a.shape().to_vec()),
            Held::Float32(a) => Some(a.shape().to_vec()),
            Held::Float64(a) => Some(a.shape().to_vec()),
            Held::Complex128(a) => Some(a.shape().to_vec()),
            Held::Bytes(b) => Some(b.shape.clone()),
            Held::Scalar(_) => None,
            Held::Leaf(_) | Held::Column(_) => self.operand().shape(),
        }
    }

    /// The language's type of the values (for arrays, from the variant: no view is made).
    pub fn dtype(&self) -> DType {
        match self {
            Held::Bool(_) => DType::Bool,
            Held::Int32(_) => DType::Int32,
            Held::Int64(_) => DType::Int64,
            Held::Float32(_) => DType::Float32,
            Held::Float64(_) => DType::Float64,
            Held::Complex128(_) => DType::Complex128,
            Held::Bytes(b) => DType::Bytes(b.itemsize),
            Held::Scalar(v) => v.dtype(),
            Held::Leaf(_) | Held::Column(_) => self.operand().dtype(),
        }
    }
}

pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// Holds every value of a call, by name.
pub fn hold<'py>(names: &[String], values: &[Bound<'py, PyAny>]) -> PyResult<Vec<Held<'py>>> {
    if names.len() != values.len() {
        return Err(PyTypeError::new_err(format!("{} names but {} values", names.len(), values.len())));
    }
    names.iter().zip(values).map(|(n, v)| Held::new(n, v)).collect()
}
