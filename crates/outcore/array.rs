//! Typed n-dimensional values going into and coming out of an expression.

use ndarray::{ArrayD, ArrayViewD};
use num_complex::Complex64;
use outcore_expr::{DType, Value};

/// An owned n-dimensional result of one of the expression language's types.
#[derive(Clone, Debug, PartialEq)]
pub enum Array {
    /// Booleans.
    Bool(ArrayD<bool>),
    /// 32-bit integers.
    Int32(ArrayD<i32>),
    /// 64-bit integers.
    Int64(ArrayD<i64>),
    /// Single-precision floats.
    Float32(ArrayD<f32>),
    /// Double-precision floats.
    Float64(ArrayD<f64>),
    /// Complex numbers of two float64.
    Complex128(ArrayD<Complex64>),
    /// Fixed-length byte strings: `data.len() == shape.product() * itemsize`.
    Bytes(BytesArray),
}

/// Fixed-length, NUL-padded byte strings in row-major order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BytesArray {
    /// The shape (row-major).
    pub shape: Vec<usize>,
    /// Bytes per string.
    pub itemsize: usize,
    /// The bytes, `len() * itemsize` of them, NUL padded.
    pub data: Vec<u8>,
}

impl BytesArray {
    /// Builds an array of `itemsize`-byte strings from items, NUL-padding the short ones.
    /// Items longer than `itemsize` are an error.
    pub fn from_items<I, B>(itemsize: usize, items: I) -> Result<BytesArray, String>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut data = Vec::new();
        let mut n = 0;
        for item in items {
            let item = item.as_ref();
            if item.len() > itemsize {
                return Err(format!("byte string of {} bytes does not fit in {itemsize}", item.len()));
            }
            data.extend_from_slice(item);
            data.resize(data.len() + itemsize - item.len(), 0);
            n += 1;
        }
        Ok(BytesArray { shape: vec![n], itemsize, data })
    }

    /// Item `i` with its trailing NULs stripped.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let item = self.data.get(i * self.itemsize..(i + 1) * self.itemsize)?;
        let end = item.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
        Some(&item[..end])
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Array {
    /// The expression language's type of the values.
    pub fn dtype(&self) -> DType {
        match self {
            Array::Bool(_) => DType::Bool,
            Array::Int32(_) => DType::Int32,
            Array::Int64(_) => DType::Int64,
            Array::Float32(_) => DType::Float32,
            Array::Float64(_) => DType::Float64,
            Array::Complex128(_) => DType::Complex128,
            Array::Bytes(b) => DType::Bytes(b.itemsize),
        }
    }

    /// The shape (row-major; empty for a 0-dimensional value).
    pub fn shape(&self) -> &[usize] {
        match self {
            Array::Bool(a) => a.shape(),
            Array::Int32(a) => a.shape(),
            Array::Int64(a) => a.shape(),
            Array::Float32(a) => a.shape(),
            Array::Float64(a) => a.shape(),
            Array::Complex128(a) => a.shape(),
            Array::Bytes(b) => &b.shape,
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The single value of a 0-dimensional array (a full reduction's result).
    pub fn as_scalar(&self) -> Option<Value> {
        if !self.shape().is_empty() {
            return None;
        }
        match self {
            Array::Bool(a) => a.first().map(|&v| Value::Bool(v)),
            Array::Int32(a) => a.first().map(|&v| Value::Int32(v)),
            Array::Int64(a) => a.first().map(|&v| Value::Int64(v)),
            Array::Float32(a) => a.first().map(|&v| Value::Float32(v)),
            Array::Float64(a) => a.first().map(|&v| Value::Float64(v)),
            Array::Complex128(a) => a.first().map(|v| Value::Complex128(v.re, v.im)),
            Array::Bytes(b) => b.get(0).map(|v| Value::Bytes(v.to_vec())),
        }
    }
}

macro_rules! array_accessors {
    ($($method:ident, $into:ident, $variant:ident, $t:ty;)*) => {
        impl Array {
            $(
                /// A view of the values if the array has this type.
                pub fn $method(&self) -> Option<ArrayViewD<'_, $t>> {
                    match self {
                        Array::$variant(a) => Some(a.view()),
                        _ => None,
                    }
                }
                /// The values if the array has this type.
                pub fn $into(self) -> Option<ArrayD<$t>> {
                    match self {
                        Array::$variant(a) => Some(a),
                        _ => None,
                    }
                }
            )*
        }
    };
}

array_accessors! {
    as_bool, into_bool, Bool, bool;
    as_i32, into_i32, Int32, i32;
    as_i64, into_i64, Int64, i64;
    as_f32, into_f32, Float32, f32;
    as_f64, into_f64, Float64, f64;
    as_c128, into_c128, Complex128, Complex64;
}

/// A borrowed n-dimensional input, already in one of the language's types.
#[derive(Clone, Debug)]
pub enum ArrayRef<'a> {
    /// Booleans.
    Bool(ArrayViewD<'a, bool>),
    /// 32-bit integers.
    Int32(ArrayViewD<'a, i32>),
    /// 64-bit integers.
    Int64(ArrayViewD<'a, i64>),
    /// Single-precision floats.
    Float32(ArrayViewD<'a, f32>),
    /// Double-precision floats.
    Float64(ArrayViewD<'a, f64>),
    /// Complex numbers of two float64.
    Complex128(ArrayViewD<'a, Complex64>),
    /// Fixed-length byte strings.
    Bytes(&'a BytesArray),
}

impl ArrayRef<'_> {
    /// The same view, borrowed for a shorter time.
    pub fn reborrow(&self) -> ArrayRef<'_> {
        match self {
            ArrayRef::Bool(a) => ArrayRef::Bool(a.view()),
            ArrayRef::Int32(a) => ArrayRef::Int32(a.view()),
            ArrayRef::Int64(a) => ArrayRef::Int64(a.view()),
            ArrayRef::Float32(a) => ArrayRef::Float32(a.view()),
            ArrayRef::Float64(a) => ArrayRef::Float64(a.view()),
            ArrayRef::Complex128(a) => ArrayRef::Complex128(a.view()),
            ArrayRef::Bytes(b) => ArrayRef::Bytes(b),
        }
    }

    /// The expression language's type of the values.
    pub fn dtype(&self) -> DType {
        match self {
            ArrayRef::Bool(_) => DType::Bool,
            ArrayRef::Int32(_) => DType::Int32,
            ArrayRef::Int64(_) => DType::Int64,
            ArrayRef::Float32(_) => DType::Float32,
            ArrayRef::Float64(_) => DType::Float64,
            ArrayRef::Complex128(_) => DType::Complex128,
            ArrayRef::Bytes(b) => DType::Bytes(b.itemsize),
        }
    }

    /// The shape (row-major; empty for a 0-dimensional value).
    pub fn shape(&self) -> &[usize] {
        match self {
            ArrayRef::Bool(a) => a.shape(),
            ArrayRef::Int32(a) => a.shape(),
            ArrayRef::Int64(a) => a.shape(),
            ArrayRef::Float32(a) => a.shape(),
            ArrayRef::Float64(a) => a.shape(),
            ArrayRef::Complex128(a) => a.shape(),
            ArrayRef::Bytes(b) => &b.shape,
        }
    }
}

impl Array {
    /// A borrowed view of the whole array.
    pub fn view(&self) -> ArrayRef<'_> {
        match self {
            Array::Bool(a) => ArrayRef::Bool(a.view()),
            Array::Int32(a) => ArrayRef::Int32(a.view()),
            Array::Int64(a) => ArrayRef::Int64(a.view()),
            Array::Float32(a) => ArrayRef::Float32(a.view()),
            Array::Float64(a) => ArrayRef::Float64(a.view()),
            Array::Complex128(a) => ArrayRef::Complex128(a.view()),
            Array::Bytes(b) => ArrayRef::Bytes(b),
        }
    }
}

/// What a name in an expression is bound to.
#[derive(Clone, Debug)]
pub enum Operand<'a> {
    /// A borrowed array, evaluated in place.
    View(ArrayRef<'a>),
    /// An owned array: a widened copy of a storage type the language does not compute in
    /// (int8, int16, uint8, uint16 → int32; uint32 → int64), or an array handed over by value.
    Owned(Array),
    /// One value, broadcast.
    Scalar(Value),
    /// An HDF5 leaf or table column, streamed chunk by chunk.
    H5(crate::source::H5Operand),
}

impl Operand<'_> {
    /// The expression language's type of the values.
    pub fn dtype(&self) -> DType {
        match self {
            Operand::View(v) => v.dtype(),
            Operand::Owned(a) => a.dtype(),
            Operand::Scalar(v) => v.dtype(),
            Operand::H5(h) => h.dtype(),
        }
    }

    /// The shape of an array operand (`None` for a scalar).
    pub fn shape(&self) -> Option<Vec<usize>> {
        match self {
            Operand::View(v) => Some(v.shape().to_vec()),
            Operand::Owned(a) => Some(a.shape().to_vec()),
            Operand::Scalar(_) => None,
            Operand::H5(h) => Some(h.shape.clone()),
        }
    }

    /// The array to read, or the scalar (an HDF5 operand has no values in memory: it reads
    /// as `false` here, and is streamed instead).
    pub fn as_view(&self) -> Result<ArrayRef<'_>, &Value> {
        static NONE: Value = Value::Bool(false);
        match self {
            Operand::View(v) => Ok(v.reborrow()),
            Operand::Owned(a) => Ok(a.view()),
            Operand::Scalar(v) => Err(v),
            Operand::H5(_) => Err(&NONE),
        }
    }
}

/// Anything that can be bound to a name in an expression: ndarray arrays and views of any
/// dimension, slices and vectors (one-dimensional), [`Array`]s, and scalars.
pub trait IntoOperand<'a> {
    /// The operand this value binds as.
    fn into_operand(self) -> Operand<'a>;
}

impl<'a> IntoOperand<'a> for Operand<'a> {
    fn into_operand(self) -> Operand<'a> {
        self
    }
}

impl<'a> IntoOperand<'a> for &'a Array {
    fn into_operand(self) -> Operand<'a> {
        Operand::View(self.view())
    }
}

impl<'a> IntoOperand<'a> for Array {
    fn into_operand(self) -> Operand<'a> {
        Operand::Owned(self)
    }
}

impl<'a> IntoOperand<'a> for &'a BytesArray {
    fn into_operand(self) -> Operand<'a> {
        Operand::View(ArrayRef::Bytes(self))
    }
}

impl<'a> IntoOperand<'a> for Value {
    fn into_operand(self) -> Operand<'a> {
        Operand::Scalar(self)
    }
}

/// Element types that can be bound: the language's own (borrowed as they are) and narrower
/// storage types, widened on the way in as PyTables does (int8, int16, uint8, uint16 → int32;
/// uint32 → int64).
pub trait BindElem: Copy + 'static {
    fn operand(a: ArrayViewD<'_, Self>) -> Operand<'_>;
    fn scalar(self) -> Value;
}

macro_rules! native {
    ($($t:ty => $variant:ident, $value:expr;)*) => {$(
        impl BindElem for $t {
            fn operand(a: ArrayViewD<'_, Self>) -> Operand<'_> {
                Operand::View(ArrayRef::$variant(a))
            }
            fn scalar(self) -> Value {
                let f: fn($t) -> Value = $value;
                f(self)
            }
        }
        impl<'a> IntoOperand<'a> for $t {
            fn into_operand(self) -> Operand<'a> {
                Operand::Scalar(BindElem::scalar(self))
            }
        }
    )*};
}

native! {
    bool => Bool, Value::Bool;
    i32 => Int32, Value::Int32;
    i64 => Int64, Value::Int64;
    f32 => Float32, Value::Float32;
    f64 => Float64, Value::Float64;
    Complex64 => Complex128, |c: Complex64| Value::Complex128(c.re, c.im);
}

macro_rules! widened {
    ($($t:ty => $wide:ty, $variant:ident;)*) => {$(
        impl BindElem for $t {
            fn operand(a: ArrayViewD<'_, Self>) -> Operand<'_> {
                Operand::Owned(Array::$variant(a.mapv(<$wide>::from)))
            }
            fn scalar(self) -> Value {
                Value::$variant(<$wide>::from(self))
            }
        }
        impl<'a> IntoOperand<'a> for $t {
            fn into_operand(self) -> Operand<'a> {
                Operand::Scalar(BindElem::scalar(self))
            }
        }
    )*};
}

widened! {
    i8 => i32, Int32;
    i16 => i32, Int32;
    u8 => i32, Int32;
    u16 => i32, Int32;
    u32 => i64, Int64;
}

impl<'a, A: BindElem> IntoOperand<'a> for &'a [A] {
    fn into_operand(self) -> Operand<'a> {
        A::operand(ndarray::ArrayView1::from(self).into_dyn())
    }
}

impl<'a, A: BindElem> IntoOperand<'a> for &'a Vec<A> {
    fn into_operand(self) -> Operand<'a> {
        self.as_slice().into_operand()
    }
}

impl<'a, A, S, D> IntoOperand<'a> for &'a ndarray::ArrayBase<S, D>
where
    A: BindElem,
    S: ndarray::Data<Elem = A>,
    D: ndarray::Dimension,
{
    fn into_operand(self) -> Operand<'a> {
        A::operand(self.view().into_dyn())
    }
}

impl<'a, A: BindElem, D: ndarray::Dimension> IntoOperand<'a> for ndarray::ArrayView<'a, A, D> {
    fn into_operand(self) -> Operand<'a> {
        A::operand(self.into_dyn())
    }
}

/// Byte-string scalars: `b"spam"` binds as a 4-byte string.
impl<'a, const N: usize> IntoOperand<'a> for &[u8; N] {
    fn into_operand(self) -> Operand<'a> {
        Operand::Scalar(Value::Bytes(self.to_vec()))
    }
}

impl<'a> IntoOperand<'a> for &str {
    fn into_operand(self) -> Operand<'a> {
        Operand::Scalar(Value::Bytes(self.as_bytes().to_vec()))
    }
}

/// Copies a view into an owned array in standard (row-major) layout.
pub(crate) fn to_owned(v: ArrayRef<'_>) -> Array {
    match v {
        ArrayRef::Bool(a) => Array::Bool(a.as_standard_layout().into_owned()),
        ArrayRef::Int32(a) => Array::Int32(a.as_standard_layout().into_owned()),
        ArrayRef::Int64(a) => Array::Int64(a.as_standard_layout().into_owned()),
        ArrayRef::Float32(a) => Array::Float32(a.as_standard_layout().into_owned()),
        ArrayRef::Float64(a) => Array::Float64(a.as_standard_layout().into_owned()),
        ArrayRef::Complex128(a) => Array::Complex128(a.as_standard_layout().into_owned()),
        ArrayRef::Bytes(b) => Array::Bytes(b.clone()),
    }
}

impl<'a> IntoOperand<'a> for &outcore_h5::Leaf {
    fn into_operand(self) -> Operand<'a> {
        Operand::H5(crate::source::H5Operand::from_leaf(self))
    }
}

impl<'a> IntoOperand<'a> for &outcore_h5::Column {
    fn into_operand(self) -> Operand<'a> {
        Operand::H5(crate::source::H5Operand::from_column(self))
    }
}
