//! Reading the benchmark files of `../shared/bench/peers.py gen` on the raw-chunk path (one
//! I/O thread under the HDF5 lock, decoding on rayon workers), next to the HDF5 library's own
//! read. Set OUTCORE_BENCH_DIR to the folder `peers.py gen` wrote; compare with
//! `scripts/bench_read_peers.py DIR` (PyTables' `read()`) in the same session.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use outcore::h5::{File, Mode};

fn h5read(c: &mut Criterion) {
    let Ok(dir) = std::env::var("OUTCORE_BENCH_DIR") else {
        eprintln!("h5read: set OUTCORE_BENCH_DIR to a folder written by peers.py gen; skipping");
        return;
    };
    let mut g = c.benchmark_group("h5read");
    g.sample_size(10);
    for filters in ["none", "zlib", "blosc"] {
        let path = std::path::Path::new(&dir).join(format!("bench_{filters}.h5"));
        let Ok(f) = File::open(&path, Mode::Read) else {
            eprintln!("h5read: cannot open {}; skipping", path.display());
            continue;
        };
        for node in ["/t", "/a"] {
            let leaf = f.leaf(node).expect("benchmark node");
            let bytes = leaf.shape().iter().product::<usize>() * leaf.layout().expect("layout").size;
            g.throughput(Throughput::Bytes(bytes as u64));
            g.bench_function(format!("raw {filters} {node}"), |b| b.iter(|| leaf.read_parallel().expect("reads")));
            g.bench_function(format!("H5Dread {filters} {node}"), |b| b.iter(|| leaf.read_bytes().expect("reads")));
        }
    }
    g.finish();
}

criterion_group!(benches, h5read);
criterion_main!(benches);
