//! Properties of the VM: results do not depend on block length or thread count, and equal a
//! plain scalar evaluator of the same expression.

use outcore_expr::{compile, DType, VarInfo};
use outcore_vm::{evaluate, Arg, Col, Config, Owned, Prepared};
use proptest::prelude::*;

/// A random expression over float64 `a`, `b`, `c`, with a scalar reference implementation.
#[derive(Clone, Debug)]
enum E {
    Var(usize),
    Const(f64),
    Add(Box<E>, Box<E>),
    Sub(Box<E>, Box<E>),
    Mul(Box<E>, Box<E>),
    Div(Box<E>, Box<E>),
    Neg(Box<E>),
    Fn(&'static str, Box<E>),
    Where(Box<C>, Box<E>, Box<E>),
}

#[derive(Clone, Debug)]
enum C {
    Lt(E, E),
    Ge(E, E),
    And(Box<C>, Box<C>),
    Or(Box<C>, Box<C>),
    Not(Box<C>),
}

const FNS: [&str; 6] = ["sqrt", "sin", "cos", "exp", "log1p", "abs"];

fn expr() -> impl Strategy<Value = E> {
    let leaf =
        prop_oneof![(0usize..3).prop_map(E::Var), (-4.0f64..4.0).prop_map(|x| E::Const((x * 4.0).round() / 4.0))];
    leaf.prop_recursive(5, 32, 3, |inner| {
        let cond = (inner.clone(), inner.clone(), any::<bool>())
            .prop_map(|(l, r, lt)| if lt { C::Lt(l, r) } else { C::Ge(l, r) });
        let cond = cond.prop_recursive(2, 4, 2, |c| {
            prop_oneof![
                (c.clone(), c.clone()).prop_map(|(l, r)| C::And(Box::new(l), Box::new(r))),
                (c.clone(), c.clone()).prop_map(|(l, r)| C::Or(Box::new(l), Box::new(r))),
                c.prop_map(|x| C::Not(Box::new(x))),
            ]
        });
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| E::Add(Box::new(l), Box::new(r))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| E::Sub(Box::new(l), Box::new(r))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| E::Mul(Box::new(l), Box::new(r))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| E::Div(Box::new(l), Box::new(r))),
            inner.clone().prop_map(|x| E::Neg(Box::new(x))),
            (0usize..FNS.len(), inner.clone()).prop_map(|(f, x)| E::Fn(FNS[f], Box::new(x))),
            (cond, inner.clone(), inner).prop_map(|(c, x, y)| E::Where(Box::new(c), Box::new(x), Box::new(y))),
        ]
    })
}

fn text(e: &E) -> String {
    match e {
        E::Var(i) => ["a", "b", "c"][*i].to_string(),
        E::Const(x) => format!("({x:?})"),
        E::Add(l, r) => format!("({} + {})", text(l), text(r)),
        E::Sub(l, r) => format!("({} - {})", text(l), text(r)),
        E::Mul(l, r) => format!("({} * {})", text(l), text(r)),
        E::Div(l, r) => format!("({} / {})", text(l), text(r)),
        E::Neg(x) => format!("(-{})", text(x)),
        E::Fn(f, x) => format!("{f}({})", text(x)),
        E::Where(c, x, y) => format!("where({}, {}, {})", ctext(c), text(x), text(y)),
    }
}

fn ctext(c: &C) -> String {
    match c {
        C::Lt(l, r) => format!("({} < {})", text(l), text(r)),
        C::Ge(l, r) => format!("({} >= {})", text(l), text(r)),
        C::And(l, r) => format!("({} & {})", ctext(l), ctext(r)),
        C::Or(l, r) => format!("({} | {})", ctext(l), ctext(r)),
        C::Not(x) => format!("(~{})", ctext(x)),
    }
}

fn eval(e: &E, v: [f64; 3]) -> f64 {
    match e {
        E::Var(i) => v[*i],
        E::Const(x) => *x,
        E::Add(l, r) => eval(l, v) + eval(r, v),
        E::Sub(l, r) => eval(l, v) - eval(r, v),
        E::Mul(l, r) => eval(l, v) * eval(r, v),
        E::Div(l, r) => eval(l, v) / eval(r, v),
        E::Neg(x) => -eval(x, v),
        E::Fn(f, x) => {
            let x = eval(x, v);
            match *f {
                "sqrt" => x.sqrt(),
                "sin" => x.sin(),
                "cos" => x.cos(),
                "exp" => x.exp(),
                "log1p" => x.ln_1p(),
                _ => x.abs(),
            }
        }
        E::Where(c, x, y) => {
            if ceval(c, v) {
                eval(x, v)
            } else {
                eval(y, v)
            }
        }
    }
}

fn ceval(c: &C, v: [f64; 3]) -> bool {
    match c {
        C::Lt(l, r) => eval(l, v) < eval(r, v),
        C::Ge(l, r) => eval(l, v) >= eval(r, v),
        C::And(l, r) => ceval(l, v) & ceval(r, v),
        C::Or(l, r) => ceval(l, v) | ceval(r, v),
        C::Not(x) => !ceval(x, v),
    }
}

fn vars() -> Vec<VarInfo> {
    ["a", "b", "c"].iter().map(|n| VarInfo { name: n.to_string(), dtype: DType::Float64, scalar: false }).collect()
}

fn run(src: &str, data: &[Vec<f64>; 3], cfg: &Config) -> Owned {
    let p = Prepared::new(compile(src, &vars()).expect("compiles")).expect("prepares");
    let n = data[0].len();
    let args: Vec<Arg<'_>> = data.iter().map(|d| Arg::Array(Col::Float64(d), vec![n])).collect();
    evaluate(&p, &args, cfg).expect("evaluates").data
}

/// Close enough for chains of transcendental functions: relative 1e-12 or absolute 1e-12.
fn close(x: f64, y: f64) -> bool {
    (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0)
}

fn data() -> impl Strategy<Value = [Vec<f64>; 3]> {
    (0usize..3000).prop_flat_map(|n| {
        let col =
            || proptest::collection::vec(prop_oneof![9 => -10.0f64..10.0, 1 => Just(0.0), 1 => Just(f64::NAN)], n);
        (col(), col(), col()).prop_map(|(a, b, c)| [a, b, c])
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn same_result_for_every_block_length_and_thread_count(e in expr(), d in data(), block in prop_oneof![Just(1usize), Just(7), Just(64), Just(1000), Just(4096)], threads in 1usize..3) {
        let src = text(&e);
        let base = run(&src, &d, &Config::default());
        let other = run(&src, &d, &Config { block_len: block, threads: Some(threads) });
        match (&base, &other) {
            (Owned::Float64(x), Owned::Float64(y)) => {
                prop_assert!(x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())), "{src}");
            }
            _ => prop_assert!(false, "unexpected result type"),
        }
    }

    #[test]
    fn equals_a_scalar_reference(e in expr(), d in data()) {
        let src = text(&e);
        let got = run(&src, &d, &Config::default());
        let Owned::Float64(got) = got else { panic!("float64 expected") };
        for i in 0..d[0].len() {
            let want = eval(&e, [d[0][i], d[1][i], d[2][i]]);
            // An expression without variables gives one value.
            let g = if got.len() == 1 { got[0] } else { got[i] };
            prop_assert!(close(g, want), "{src} at {i}: got {} want {}", g, want);
        }
    }

    #[test]
    fn sums_do_not_depend_on_block_length_or_threads(d in data(), block in 1usize..10_000, threads in 1usize..3) {
        let base = run("sum(a*b) + prod(c/c)", &d, &Config::default());
        let other = run("sum(a*b) + prod(c/c)", &d, &Config { block_len: block, threads: Some(threads) });
        prop_assert_eq!(format!("{base:?}"), format!("{other:?}"));
    }
}

#[test]
fn strided_inputs_are_read_in_place() {
    // A 3x4 row-major matrix; its transpose is 4x3 with strides (1, 4); its second column has
    // shape (3,) and stride 4 from element 1.
    let m: Vec<f64> = (0..12).map(f64::from).collect();
    let vars = [VarInfo { name: "t".into(), dtype: DType::Float64, scalar: false }];
    let p = Prepared::new(compile("t * 10", &vars).expect("compiles")).expect("prepares");
    let t = Arg::Strided { col: Col::Float64(&m), shape: vec![4, 3], strides: vec![1, 4] };
    let out = evaluate(&p, &[t], &Config { block_len: 5, threads: Some(2) }).expect("evaluates");
    assert_eq!(out.shape, vec![4, 3]);
    let want: Vec<f64> = (0..4).flat_map(|i| (0..3).map(move |j| f64::from(j * 4 + i) * 10.0)).collect();
    assert_eq!(out.data, Owned::Float64(want));
    let col = Arg::Strided { col: Col::Float64(&m[1..]), shape: vec![3], strides: vec![4] };
    assert_eq!(
        evaluate(&p, &[col], &Config::default()).expect("evaluates").data,
        Owned::Float64(vec![10.0, 50.0, 90.0])
    );
    let bad = Arg::Strided { col: Col::Float64(&m), shape: vec![4], strides: vec![4] };
    assert!(evaluate(&p, &[bad], &Config::default()).is_err());
}
