//! The public in-memory API: binding, broadcasting, outputs and errors.

use ndarray::{array, Array1, Array2, ArrayD, IxDyn};
use outcore::{evaluate, vars, Array, Error, Expr, Value};

#[test]
fn expr_binds_arrays_slices_and_scalars() {
    let a = array![1.0, 2.0, 3.0];
    let b = vec![10.0f64, 20.0, 30.0];
    let r = Expr::new("a*b + k").unwrap().bind("a", &a).unwrap().bind("b", &b).unwrap().bind("k", 0.5).unwrap();
    assert_eq!(r.eval().unwrap().into_f64().unwrap().into_raw_vec_and_offset().0, vec![10.5, 40.5, 90.5]);
}

#[test]
fn narrow_integer_storage_types_are_widened() {
    let a: Vec<u8> = vec![1, 2, 250];
    let b: Vec<i16> = vec![-1, -2, -3];
    let r = evaluate("a + b", &vars! {"a" => &a, "b" => &b}).unwrap();
    assert_eq!(r.dtype(), outcore::DType::Int32);
    assert_eq!(r.into_i32().unwrap().into_raw_vec_and_offset().0, vec![0, 0, 247]);
}

#[test]
fn lower_rank_arrays_broadcast_as_numpy() {
    let m = Array2::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f64);
    let row = array![1.0, 2.0, 3.0, 4.0];
    let col = Array2::from_shape_fn((3, 1), |(i, _)| i as f64 * 100.0);
    let r = evaluate("m + row + col", &vars! {"m" => &m, "row" => &row, "col" => &col}).unwrap();
    let r = r.into_f64().unwrap();
    assert_eq!(r.shape(), &[3, 4]);
    assert_eq!(r[[2, 3]], 11.0 + 4.0 + 200.0);
}

#[test]
fn non_contiguous_views_are_read_correctly() {
    let m = Array2::from_shape_fn((4, 3), |(i, j)| (i * 3 + j) as f64);
    let t = m.t();
    let r = Expr::new("t * 2").unwrap().bind("t", t).unwrap().eval().unwrap().into_f64().unwrap();
    assert_eq!(r.shape(), &[3, 4]);
    assert_eq!(r[[2, 1]], m[[1, 2]] * 2.0);
}

#[test]
fn mismatched_shapes_name_both_operands() {
    let a = Array1::<f64>::zeros(3);
    let b = Array1::<f64>::zeros(4);
    let err = evaluate("a + b", &vars! {"a" => &a, "b" => &b}).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("`a`") && text.contains("`b`") && text.contains("[3]") && text.contains("[4]"), "{text}");
}

#[test]
fn eval_into_checks_the_output() {
    let a = array![1.0, 2.0];
    let e = Expr::new("a > 1").unwrap().bind("a", &a).unwrap();
    let mut wrong = vec![0.0f64; 2];
    assert!(matches!(e.eval_into(&mut wrong), Err(Error::Eval(_))));
    let mut short = vec![false; 1];
    assert!(e.eval_into(&mut short).is_err());
    let mut out = vec![false; 2];
    e.eval_into(&mut out).unwrap();
    assert_eq!(out, vec![false, true]);
}

#[test]
fn full_reductions_are_scalars_and_nest() {
    let a: Vec<f64> = (0..10_000).map(f64::from).collect();
    let r = evaluate("sum(a)", &vars! {"a" => &a}).unwrap();
    assert_eq!(r.as_scalar(), Some(Value::Float64(49_995_000.0)));
    let r = evaluate("a - sum(a) / 10000", &vars! {"a" => &a}).unwrap().into_f64().unwrap();
    assert_eq!(r[0], -4999.5);
    let i: Vec<i32> = vec![5, -3, 9];
    assert_eq!(evaluate("min(i)", &vars! {"i" => &i}).unwrap().as_scalar(), Some(Value::Int32(-3)));
    let empty: Vec<f64> = vec![];
    assert!(evaluate("max(e)", &vars! {"e" => &empty}).is_err());
    assert_eq!(evaluate("sum(e)", &vars! {"e" => &empty}).unwrap().as_scalar(), Some(Value::Float64(0.0)));
}

#[test]
fn axis_reductions() {
    let m = Array2::from_shape_fn((2, 3), |(i, j)| (i * 3 + j) as f64);
    let r = evaluate("sum(m, axis=0)", &vars! {"m" => &m}).unwrap().into_f64().unwrap();
    assert_eq!(r.into_raw_vec_and_offset().0, vec![3.0, 5.0, 7.0]);
    let r = evaluate("max(m, axis=-1)", &vars! {"m" => &m}).unwrap().into_f64().unwrap();
    assert_eq!(r.into_raw_vec_and_offset().0, vec![2.0, 5.0]);
    assert!(evaluate("sum(m, axis=2)", &vars! {"m" => &m}).is_err());
}

#[test]
fn errors_show_the_expression_with_a_caret() {
    let err = Expr::new("a +* b").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("^"), "{text}");
    let a = array![1.0];
    let err = Expr::new("sqr(a)").unwrap().bind("a", &a).unwrap().eval().unwrap_err();
    assert_eq!(err.to_string(), "error: unknown function `sqr` (did you mean `sqrt`?)\n  |\n  | sqr(a)\n  | ^^^");
    assert!(Expr::new("a").unwrap().bind("1bad", 2.0).is_err());
}

#[test]
fn bytes_and_zero_length_inputs() {
    let s = outcore::BytesArray::from_items(4, [b"spam".as_ref(), b"eggs", b"sp"]).unwrap();
    let r = evaluate("(s == b'spam') | contains(s, 'gg')", &vars! {"s" => &s}).unwrap();
    assert_eq!(r.into_bool().unwrap().into_raw_vec_and_offset().0, vec![true, true, false]);
    let e: ArrayD<f64> = ArrayD::zeros(IxDyn(&[0]));
    let r = evaluate("e * 2 + 1", &vars! {"e" => &e}).unwrap();
    assert!(r.is_empty());
    assert!(matches!(r, Array::Float64(_)));
}
