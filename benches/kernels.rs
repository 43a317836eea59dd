//! Per-kernel throughput: each operation over one block-sized vector, vector/vector and
//! vector/scalar ("lt f64" / "lt scalar f64").

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use outcore::raw::vm::kernels::{ops, Binary, Src, Unary};

const N: usize = 4096;

fn kernels(c: &mut Criterion) {
    let a: Vec<f64> = (0..N).map(|i| (i as f64 * 0.37).sin() * 10.0 + 0.5).collect();
    let b: Vec<f64> = (0..N).map(|i| (i as f64 * 0.11).cos() * 10.0 + 0.5).collect();
    let pos: Vec<f64> = a.iter().map(|x| x.abs() + 0.1).collect();
    let a32: Vec<f32> = a.iter().map(|&x| x as f32).collect();
    let mut out = vec![0.0f64; N];
    let mut out32 = vec![0.0f32; N];
    let mut mask = vec![false; N];
    let mut g = c.benchmark_group("kernels");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("add f64", |x| {
        x.iter(|| <ops::Add as Binary<f64, f64>>::run(&mut out, Src::Vec(&a), Src::Vec(&b)))
    });
    g.bench_function("add scalar f64", |x| {
        x.iter(|| <ops::Add as Binary<f64, f64>>::run(&mut out, Src::Vec(&a), Src::Scalar(2.0)))
    });
    g.bench_function("mul f64", |x| {
        x.iter(|| <ops::Mul as Binary<f64, f64>>::run(&mut out, Src::Vec(&a), Src::Vec(&b)))
    });
    g.bench_function("lt f64", |x| {
        x.iter(|| <ops::Lt as Binary<f64, bool>>::run(&mut mask, Src::Vec(&a), Src::Vec(&b)))
    });
    g.bench_function("lt scalar f64", |x| {
        x.iter(|| <ops::Lt as Binary<f64, bool>>::run(&mut mask, Src::Vec(&a), Src::Scalar(0.5)))
    });
    let cond: Vec<bool> = a.iter().map(|&x| x > 0.5).collect();
    g.bench_function("where f64", |x| {
        x.iter(|| outcore::raw::vm::kernels::where_(&mut out, Src::Vec(&cond), Src::Vec(&a), Src::Vec(&b)))
    });
    g.bench_function("sqrt f64", |x| x.iter(|| <ops::Sqrt as Unary<f64, f64>>::run(&mut out, Src::Vec(&pos))));
    g.bench_function("exp f64", |x| x.iter(|| <ops::Exp as Unary<f64, f64>>::run(&mut out, Src::Vec(&a))));
    g.bench_function("log1p f64", |x| x.iter(|| <ops::Log1p as Unary<f64, f64>>::run(&mut out, Src::Vec(&pos))));
    g.bench_function("sin f64", |x| x.iter(|| <ops::Sin as Unary<f64, f64>>::run(&mut out, Src::Vec(&a))));
    g.bench_function("cos f64", |x| x.iter(|| <ops::Cos as Unary<f64, f64>>::run(&mut out, Src::Vec(&a))));
    g.bench_function("sin f32", |x| x.iter(|| <ops::Sin as Unary<f32, f32>>::run(&mut out32, Src::Vec(&a32))));
    g.bench_function("exp f32", |x| x.iter(|| <ops::Exp as Unary<f32, f32>>::run(&mut out32, Src::Vec(&a32))));
    g.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
