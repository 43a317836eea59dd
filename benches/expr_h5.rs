//! E1 of `../shared/bench/peers.py`: `a*b+c` over the CArrays /a /b /c of its benchmark files,
//! written into /out, on the streamer (raw chunks, decode/evaluate/encode on workers, output
//! chunks written raw in order); plus a full reduction `sum(a*b+c)` read-only. Set
//! OUTCORE_BENCH_DIR to the folder `peers.py gen` wrote and compare with `peers.py run` (its
//! E1 lines) in the same session.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use outcore::h5::{File, Mode};
use outcore::Expr;

fn expr_h5(c: &mut Criterion) {
    let Ok(dir) = std::env::var("OUTCORE_BENCH_DIR") else {
        eprintln!("expr_h5: set OUTCORE_BENCH_DIR to a folder written by peers.py gen; skipping");
        return;
    };
    let mut g = c.benchmark_group("expr_h5");
    g.sample_size(10);
    for filters in ["none", "zlib", "blosc"] {
        let path = std::path::Path::new(&dir).join(format!("bench_{filters}.h5"));
        let Ok(f) = File::open(&path, Mode::Append) else {
            eprintln!("expr_h5: cannot open {}; skipping", path.display());
            continue;
        };
        let (a, b, cc, out) =
            (f.leaf("/a").unwrap(), f.leaf("/b").unwrap(), f.leaf("/c").unwrap(), f.leaf("/out").unwrap());
        let rows = a.shape()[0];
        g.throughput(Throughput::Elements(rows as u64));
        let e1 = Expr::new("a*b+c").unwrap().bind("a", &a).unwrap().bind("b", &b).unwrap().bind("c", &cc).unwrap();
        let e1 = e1.set_output(&out).unwrap();
        g.bench_function(format!("E1 {filters}"), |bch| bch.iter(|| e1.eval().expect("evaluates")));
        let s = Expr::new("sum(a*b+c)").unwrap().bind("a", &a).unwrap().bind("b", &b).unwrap().bind("c", &cc).unwrap();
        g.bench_function(format!("sum {filters}"), |bch| bch.iter(|| s.eval().expect("evaluates")));
    }
    g.finish();
}

criterion_group!(benches, expr_h5);
criterion_main!(benches);
