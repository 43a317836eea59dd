//! outcore's quickstart: compiled expressions over 10 million elements, next to plain Rust loops.
//!
//! Run with `scripts/quickstart` (or `cargo run --release --example quickstart`).

use std::time::Instant;

use ndarray::Array1;

fn time<T>(f: impl FnMut() -> T) -> (f64, T) {
    let mut f = f;
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..3 {
        let t0 = Instant::now();
        let v = f();
        best = best.min(t0.elapsed().as_secs_f64());
        out = Some(v);
    }
    (best, out.expect("ran at least once"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(10_000_000);
    // Deterministic inputs in [0, 1): a small xorshift, so the demo needs no extra crates.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let a: Array1<f64> = (0..n).map(|_| rand()).collect();
    let b: Array1<f64> = (0..n).map(|_| rand()).collect();
    let c: Array1<f64> = (0..n).map(|_| rand()).collect();
    println!("outcore quickstart: {n} float64 elements per operand, {} threads\n", rayon_threads());

    let exprs = [
        ("M1", "a*b+c"),
        ("M2", "sin(a)**2+cos(b)**2"),
        ("M3", "exp(-a*a)*log1p(b)"),
        ("M4", "where(a>0.5, sqrt(a), b**3)"),
        ("M5", "(a>0.2)&(b<0.7)|(a+b>1.5)"),
    ];
    println!("{:<4} {:<30} {:>12} {:>14} {:>8}", "", "expression", "outcore", "Rust loop", "ratio");
    for (key, src) in exprs {
        // Compile once, evaluate many times.
        let expr = outcore::Expr::new(src)?.bind("a", &a)?.bind("b", &b)?.bind("c", &c)?;
        let (ours, result) = time(|| expr.eval());
        let result = result?;
        let (naive, check) = time(|| naive(key, &a, &b, &c));
        let same = match &result {
            outcore::Array::Float64(r) => r.iter().zip(&check).all(|(x, y)| (x - y).abs() <= 1e-12 * y.abs().max(1.0)),
            outcore::Array::Bool(r) => r.iter().zip(&check).all(|(&x, &y)| x == (y != 0.0)),
            _ => false,
        };
        println!(
            "{key:<4} {src:<30} {:>10.1}ms {:>12.1}ms {:>7.2}x{}",
            ours * 1e3,
            naive * 1e3,
            naive / ours,
            if same { "" } else { "  (results differ!)" }
        );
    }

    let total = outcore::Expr::new("sum(a*b)")?.bind("a", &a)?.bind("b", &b)?.eval()?;
    println!("\nsum(a*b) = {:?}", total.as_scalar());
    drop((a, b, c));
    on_disk(n)
}

/// The same kind of work over an HDF5 file far larger than a cache: an expression written
/// chunk by chunk, and the seed tutorial's query, next to naive row loops.
fn on_disk(n: usize) -> Result<(), Box<dyn std::error::Error>> {
    use outcore::h5::{File, Mode};
    use outcore::raw::bench_file::{lims, naive_hit as hit, COND};
    use outcore::{RowRange, Table};
    let dir = std::env::temp_dir().join(format!("outcore-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("bench.h5");
    let t0 = Instant::now();
    outcore::raw::bench_file::write(&path, n, None)?;
    println!(
        "\nwrote {} ({n} rows: table /t, CArrays /a /b /c /out) in {:.1} s",
        path.display(),
        t0.elapsed().as_secs_f64()
    );
    let f = File::open(&path, Mode::Append)?;
    let (a, b, c, out) = (f.leaf("/a")?, f.leaf("/b")?, f.leaf("/c")?, f.leaf("/out")?);
    let e1 = outcore::Expr::new("a*b+c")?.bind("a", &a)?.bind("b", &b)?.bind("c", &c)?.set_output(&out)?;
    let (ours, r) = time(|| e1.eval());
    r?;
    println!("a*b+c over /a /b /c into /out (out of core):         {:>8.1} ms", ours * 1e3);
    let t = Table::open(&f, "/t")?;
    let lims = lims();
    let (ours, hits) = time(|| t.get_where_list(COND, &lims, RowRange::default()));
    let hits = hits?;
    println!("the seed's query, get_where_list ({} rows):        {:>8.1} ms", hits.len(), ours * 1e3);
    let (ours_rows, count) = time(|| t.where_vars(COND, &lims, RowRange::default()).map(|rows| rows.count()));
    println!("the same, counting the rows of where_ ({}):        {:>8.1} ms", count?, ours_rows * 1e3);
    // Naive: the whole table read into memory, then a Rust closure over the records.
    let (naive, k) = time(|| t.leaf().read_parallel().map(|recs| recs.chunks_exact(28).filter(|r| hit(r)).count()));
    println!(
        "naive: read the whole table, then a closure ({}):  {:>8.1} ms (holds the table in memory)",
        k?,
        naive * 1e3
    );
    // Naive: one record at a time through the library, timed on a slice and scaled.
    let m = n.min(100_000);
    let t0 = Instant::now();
    let mut k = 0;
    for i in 0..m {
        k += hit(&t.leaf().read_records(i, i + 1, 1)?) as usize;
    }
    let per_row = t0.elapsed().as_secs_f64() / m as f64;
    println!(
        "naive: one record at a time ({k} in {m} rows):    {:>8.1} ms for all {n} rows (scaled)",
        per_row * n as f64 * 1e3
    );
    drop(f);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The same expressions as single-threaded Rust iterator loops.
fn naive(key: &str, a: &Array1<f64>, b: &Array1<f64>, c: &Array1<f64>) -> Vec<f64> {
    let z = a.iter().zip(b.iter()).zip(c.iter());
    match key {
        "M1" => z.map(|((a, b), c)| a * b + c).collect(),
        "M2" => z.map(|((a, b), _)| a.sin().powi(2) + b.cos().powi(2)).collect(),
        "M3" => z.map(|((a, b), _)| (-a * a).exp() * b.ln_1p()).collect(),
        "M4" => z.map(|((a, b), _)| if *a > 0.5 { a.sqrt() } else { b.powi(3) }).collect(),
        _ => z.map(|((a, b), _)| f64::from(u8::from((*a > 0.2) & (*b < 0.7) | (a + b > 1.5)))).collect(),
    }
}
