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

/// One ulp, relative.
const U: f64 = f64::EPSILON;

/// How far a result rounded within `k` ulps may be from the exact one (with a floor for
/// subnormals); nothing for infinities and NaN, which are exact or not at all.
fn rnd(r: f64, k: f64) -> f64 {
    if r.is_finite() {
        k * (U * r.abs() + 5e-324)
    } else {
        0.0
    }
}

/// `e * |x|`, where no error stays no error even if `x` is infinite.
fn scaled(e: f64, x: f64) -> f64 {
    if e == 0.0 {
        0.0
    } else {
        e * x.abs()
    }
}

/// The scalar reference: the value computed with Rust's std, and a bound on how far the VM's
/// result may be from it. Each basic operation rounds within one ulp, each transcendental
/// function within the 2 ulps its kernel is held to (kernels.rs), and the errors of the operands
/// carry through each operation by its condition (`sin(exp(9.9))` moves by one ulp of
/// `exp(9.9)`, about 4e-12). An infinite bound means the VM may rightly give anything: a
/// comparison too close to call chose the branch of a `where`.
fn eval(e: &E, v: [f64; 3]) -> (f64, f64) {
    let (r, bound) = eval_unchecked(e, v);
    // A bound of NaN (an infinite bound times zero) is no bound.
    (r, if bound.is_nan() { f64::INFINITY } else { bound })
}

fn eval_unchecked(e: &E, v: [f64; 3]) -> (f64, f64) {
    match e {
        E::Var(i) => (v[*i], 0.0),
        E::Const(x) => (*x, 0.0),
        E::Add(l, r) | E::Sub(l, r) => {
            let ((a, ea), (b, eb)) = (eval(l, v), eval(r, v));
            let r = if matches!(e, E::Add(..)) { a + b } else { a - b };
            (r, ea + eb + rnd(r, 1.0))
        }
        E::Mul(l, r) => {
            let ((a, ea), (b, eb)) = (eval(l, v), eval(r, v));
            let r = a * b;
            (r, scaled(ea, b) + scaled(eb, a) + ea * eb + rnd(r, 1.0))
        }
        E::Div(l, r) => {
            let ((a, ea), (b, eb)) = (eval(l, v), eval(r, v));
            let r = a / b;
            let e = if eb == 0.0 && ea == 0.0 {
                0.0
            } else if eb >= b.abs() {
                f64::INFINITY
            } else {
                (ea + scaled(eb, r)) / (b.abs() - eb)
            };
            (r, e + rnd(r, 1.0))
        }
        E::Neg(x) => {
            let (a, ea) = eval(x, v);
            (-a, ea)
        }
        E::Fn(f, x) => {
            let (a, ea) = eval(x, v);
            match *f {
                "sqrt" => {
                    let r = a.sqrt();
                    let e = if ea == 0.0 {
                        0.0
                    } else if a - ea < 0.0 && a + ea >= 0.0 {
                        f64::INFINITY
                    } else {
                        (r - (a - ea).max(0.0).sqrt()).max((a + ea).sqrt() - r)
                    };
                    (r, e + rnd(r, 1.0))
                }
                "sin" | "cos" => {
                    let r = if *f == "sin" { a.sin() } else { a.cos() };
                    // Two ulps of a value at most 1 are at most 4 ulps of 1; an unbounded
                    // operand stays unbounded (it may be a branch too close to call).
                    (r, if ea.is_finite() { ea.min(2.0) } else { ea } + rnd(1.0, 4.0))
                }
                "exp" => {
                    let r = a.exp();
                    (r, scaled(ea.exp_m1(), r) + rnd(r, 2.0))
                }
                "log1p" => {
                    let r = a.ln_1p();
                    let e = if ea == 0.0 {
                        0.0
                    } else if 1.0 + a - ea <= 0.0 {
                        f64::INFINITY
                    } else {
                        ea / (1.0 + a - ea)
                    };
                    (r, e + rnd(r, 2.0))
                }
                _ => (a.abs(), ea),
            }
        }
        E::Where(c, x, y) => match ceval(c, v) {
            Some(true) => eval(x, v),
            Some(false) => eval(y, v),
            None => (f64::NAN, f64::INFINITY),
        },
    }
}

/// A comparison's result, or `None` when its operands are closer than their error bounds.
fn ceval(c: &C, v: [f64; 3]) -> Option<bool> {
    let cmp = |l: &E, r: &E, lt: bool| {
        let ((a, ea), (b, eb)) = (eval(l, v), eval(r, v));
        let exact = if lt { a < b } else { a >= b };
        let e = ea + eb;
        let definite = e == 0.0 || (e.is_finite() && ((a.is_nan() || b.is_nan()) || (a - b).abs() > e));
        definite.then_some(exact)
    };
    match c {
        C::Lt(l, r) => cmp(l, r, true),
        C::Ge(l, r) => cmp(l, r, false),
        C::And(l, r) => match (ceval(l, v), ceval(r, v)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        C::Or(l, r) => match (ceval(l, v), ceval(r, v)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        C::Not(x) => ceval(x, v).map(|b| !b),
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

/// Whether the VM's `got` is within the reference's bound of its value; NaN where the reference
/// is NaN. Unbounded (a branch too close to call) accepts anything.
fn within(got: f64, (want, bound): (f64, f64)) -> bool {
    !bound.is_finite() || got == want || (got.is_nan() && want.is_nan()) || (got - want).abs() <= bound * (1.0 + 1e-9)
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
            prop_assert!(within(g, want), "{src} at {i}: got {} want {} ± {}", g, want.0, want.1);
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
