//! `outcore._core`: the Rust side of the outcore Python package (python/outcore). It holds
//! outcore's compiled objects, converts NumPy arrays to operands without copying, runs every
//! evaluation and scan with the GIL released, and turns outcore's errors into the Python
//! exceptions numexpr and PyTables raise for the same mistakes.

// Functions take the arguments of the Python methods they implement, as many as those have.
#![allow(clippy::too_many_arguments)]

use pyo3::prelude::*;

mod errors;
mod eval;
mod operand;
mod rows;
mod tables;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(eval::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(eval::names, m)?)?;
    m.add_function(wrap_pyfunction!(eval::result_dtype, m)?)?;
    m.add_function(wrap_pyfunction!(eval::set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(eval::get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(eval::detect_number_of_cores, m)?)?;
    m.add_function(wrap_pyfunction!(eval::expr_eval, m)?)?;
    m.add_function(wrap_pyfunction!(eval::_after_fork, m)?)?;
    m.add_function(wrap_pyfunction!(tables::keep_written_prefix, m)?)?;
    m.add_class::<eval::Program>()?;
    m.add_class::<tables::File>()?;
    m.add_class::<tables::Group>()?;
    m.add_class::<tables::Leaf>()?;
    m.add_class::<rows::Row>()?;
    m.add_class::<rows::RowScan>()?;
    Ok(())
}
