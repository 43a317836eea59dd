//! The in-memory workloads of `../shared/bench/peers.py` (M1..M5): 10M float64 per operand,
//! output preallocated, as numexpr's `evaluate(..., out=...)`. Compare with
//! `peers.py run` (the M1..M5 lines) in the same session.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ndarray::Array1;

pub const MEM_EXPRS: [(&str, &str); 5] = [
    ("M1", "a*b+c"),
    ("M2", "sin(a)**2+cos(b)**2"),
    ("M3", "exp(-a*a)*log1p(b)"),
    ("M4", "where(a>0.5, sqrt(a), b**3)"),
    ("M5", "(a>0.2)&(b<0.7)|(a+b>1.5)"),
];

fn inputs(n: usize) -> [Array1<f64>; 3] {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    [(0..n).map(|_| rand()).collect(), (0..n).map(|_| rand()).collect(), (0..n).map(|_| rand()).collect()]
}

fn mem(c: &mut Criterion) {
    let n: usize = std::env::var("OUTCORE_BENCH_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let [a, b, cc] = inputs(n);
    let mut out = vec![0.0f64; n];
    let mut mask = vec![false; n];
    let mut g = c.benchmark_group("mem");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(20);
    for (key, src) in MEM_EXPRS {
        let expr = outcore::Expr::new(src).and_then(|e| e.bind("a", &a)?.bind("b", &b)?.bind("c", &cc));
        let expr = match expr {
            Ok(e) => e,
            Err(e) => panic!("{src}: {e}"),
        };
        g.bench_function(format!("{key} {src}"), |bench| {
            bench.iter(|| {
                let r = if key == "M5" { expr.eval_into(&mut mask) } else { expr.eval_into(&mut out) };
                r.expect("evaluates")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, mem);
criterion_main!(benches);
