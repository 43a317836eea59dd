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

/// Tables made from a schema and filled with typed rows, as PyTables' `IsDescription` and
/// `row['x'] = v; row.append()`; PyTables reads what they wrote.
#[test]
fn schemas_and_typed_row_appends() {
    use outcore::h5::{File, Kind, Mode, Schema};
    let dir = std::env::temp_dir().join(format!("outcore-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("schema.h5");
    let schema = Schema::new()
        .int64("time")
        .float64("energy")
        .string("name", 8)
        .nested("pos", Schema::new().float32("x").float32("y"))
        .bool("ok");
    let layout = schema.layout();
    assert_eq!(layout.size, 8 + 8 + 8 + 4 + 4 + 1);
    assert_eq!(layout.columns(), ["time", "energy", "name", "pos/x", "pos/y", "ok"]);
    assert_eq!(layout.field("ok"), Some((32, &Kind::Bool)));
    let f = File::open(&path, Mode::Write).unwrap();
    f.create_table("/", "t", &layout, 10_000, None, None, "typed rows").unwrap();
    let t = outcore::Table::open(&f, "/t").unwrap();
    {
        let mut row = t.row();
        for i in 0..5000i64 {
            row.set("time", (1i64 << 53) + i).unwrap().set("energy", i as f64 * 0.5).unwrap();
            row.set("name", format!("s{}", i % 7)).unwrap().set("pos/x", i as f32).unwrap();
            if i % 2 == 0 {
                row.set("ok", true).unwrap();
            }
            assert_eq!(row.get::<i64>("time").unwrap(), (1i64 << 53) + i);
            row.append().unwrap();
        }
        // A row starts again at the defaults once appended.
        assert!(!row.get::<bool>("ok").unwrap());
        row.flush().unwrap();
        assert_eq!(t.nrows(), 5000);
        for i in 5000..5003i64 {
            row.set("time", i).unwrap();
            row.append().unwrap();
        }
        // Wrong types and names are errors naming the column and both types.
        let e = row.set("energy", "x".to_string()).unwrap_err();
        assert_eq!(e.to_string(), "column `energy` is float64; a str value cannot be stored in it");
        let e = row.set("nope", 1i64).unwrap_err();
        assert!(e.to_string().starts_with("no column `nope` (columns: time, energy, name, pos/x, pos/y, ok)"), "{e}");
    } // dropped: the last three rows are written
    assert_eq!(t.nrows(), 5003);
    let r = t.read(..).unwrap();
    assert_eq!(r.get::<i64>(4999, "time").unwrap(), (1i64 << 53) + 4999);
    assert_eq!(r.get::<String>(10, "name").unwrap(), "s3");
    assert_eq!(r.get::<f32>(7, "pos/x").unwrap(), 7.0);
    assert_eq!(t.count_where("ok", &[], ..).unwrap(), 2500);
    t.flush().unwrap();
    drop((r, t, f));
    let Some(py) = crate::cli::peers_python() else { return };
    let script = r#"
import sys, tables
with tables.open_file(sys.argv[1]) as f:
    t = f.root.t
    print(t.nrows, t.colnames, int(t[4999]["time"]), t[10]["name"].decode(), float(t.cols.pos.x[7]), int(t.cols.ok[:5000].sum()))
"#;
    let out = crate::command(&py).arg("-c").arg(script).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("5003 ['time', 'energy', 'name', 'pos', 'ok'] {} s3 7.0 2500", (1i64 << 53) + 4999)
    );
}
