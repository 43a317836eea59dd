//! Q1..Q5 of `../shared/bench/peers.py` on its benchmark files, plus the naive row loops the
//! issue asks to compare with: a Rust loop over records read one at a time through the
//! library, and a Rust closure over the fully read table. Set OUTCORE_BENCH_DIR to the folder
//! `peers.py gen` wrote and compare with `peers.py run` in the same session.

use criterion::{criterion_group, criterion_main, Criterion};
use outcore::h5::{File, Mode};
use outcore::raw::bench_file::{lims, naive_hit, COND};
use outcore::{RowRange, Table};

fn query(c: &mut Criterion) {
    let Ok(dir) = std::env::var("OUTCORE_BENCH_DIR") else {
        eprintln!("query: set OUTCORE_BENCH_DIR to a folder written by peers.py gen; skipping");
        return;
    };
    let lims = lims();
    let all = RowRange::default();
    let mut g = c.benchmark_group("query");
    g.sample_size(10);
    for filters in ["none", "zlib", "blosc"] {
        let path = std::path::Path::new(&dir).join(format!("bench_{filters}.h5"));
        let Ok(f) = File::open(&path, Mode::Append) else {
            eprintln!("query: cannot open {}; skipping", path.display());
            continue;
        };
        let t = Table::open(&f, "/t").expect("table /t");
        g.bench_function(format!("Q1 count {filters}"), |b| b.iter(|| t.where_vars(COND, &lims, all).unwrap().count()));
        g.bench_function(format!("Q2 coords {filters}"), |b| b.iter(|| t.get_where_list(COND, &lims, all).unwrap()));
        g.bench_function(format!("Q3 read {filters}"), |b| b.iter(|| t.read_where(COND, &lims, None, all).unwrap()));
        g.bench_function(format!("Q4 append {filters}"), |b| {
            b.iter(|| {
                if f.node_exists("/dest") {
                    f.remove_node("/dest").unwrap();
                }
                let dest = t.create_like(&f, "/", "dest", t.leaf().filters().as_ref()).unwrap();
                t.where_append(&dest, COND, &lims, all).unwrap()
            })
        });
        g.bench_function(format!("Q5 field {filters}"), |b| {
            b.iter(|| {
                t.where_vars(COND, &lims, all).unwrap().map(|r| r.unwrap().get::<f64>("col2").unwrap()).sum::<f64>()
            })
        });
        if f.node_exists("/dest") {
            f.remove_node("/dest").unwrap();
        }
        // Naive: the whole table read, then a closure per record.
        g.bench_function(format!("NAIVE closure over the read table {filters}"), |b| {
            b.iter(|| {
                let recs = t.leaf().read_parallel().unwrap();
                recs.chunks_exact(28).filter(|r| naive_hit(r)).count()
            })
        });
    }
    // Naive: one record at a time through the library (timed on 200k rows).
    if let Ok(f) = File::open(std::path::Path::new(&dir).join("bench_none.h5"), Mode::Read) {
        let t = f.leaf("/t").unwrap();
        g.bench_function("NAIVE row by row, 200k rows of none", |b| {
            b.iter(|| (0..200_000).filter(|&i| naive_hit(&t.read_records(i, i + 1, 1).unwrap())).count())
        });
    }
    g.finish();
}

criterion_group!(benches, query);
criterion_main!(benches);
