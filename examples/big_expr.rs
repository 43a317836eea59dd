//! An expression far larger than memory: `a*b+c` over three float64 CArrays of N rows (100M by
//! default: 800 MB each), written into a fourth, then `sum(a*b+c)`. Run it under
//! `/usr/bin/time -v` (`scripts/rss_expr.sh` does) to see the peak memory stay flat.
//!
//!     cargo run --release --example big_expr -- FILE [--rows N]
//!
//! The file is made on the first run (blosc-compressed, so it fits on disk).

use outcore::h5::{Complib, File, Filters, Mode};
use outcore::Expr;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).ok_or("usage: big_expr FILE [--rows N]")?;
    let rows: usize = match args.iter().position(|a| a == "--rows") {
        Some(i) => args.get(i + 1).ok_or("--rows needs a number")?.parse()?,
        None => 100_000_000,
    };
    let fresh = File::open(path, Mode::Read).ok().and_then(|f| f.leaf("/a").ok()).map(|a| a.shape()[0]) != Some(rows);
    if fresh {
        let t = std::time::Instant::now();
        let f = File::open(path, Mode::Write)?;
        let blosc =
            Filters { complevel: 5, complib: Complib::Blosc, shuffle: true, bitshuffle: false, fletcher32: false };
        for (k, name) in ["a", "b", "c", "out"].into_iter().enumerate() {
            f.create_carray_filled::<f64>("/", name, &[rows], None, Some(&blosc), 0.0, "")?;
            if name == "out" {
                continue;
            }
            let leaf = f.leaf(&format!("/{name}"))?;
            let block = 1 << 20;
            for start in (0..rows).step_by(block) {
                let n = block.min(rows - start);
                // Random values in [0, 1) (splitmix64), as incompressible as peers.py's.
                let v: Vec<f64> = (start..start + n)
                    .map(|i| {
                        let mut z = (i as u64 + (k as u64) * rows as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
                        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
                    })
                    .collect();
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
                leaf.write_rows(start, 1, n, &bytes)?;
            }
        }
        eprintln!("made {path} with {rows} rows per array in {:.1} s", t.elapsed().as_secs_f64());
    }
    let f = File::open(path, Mode::Append)?;
    let (a, b, c, out) = (f.leaf("/a")?, f.leaf("/b")?, f.leaf("/c")?, f.leaf("/out")?);
    let t = std::time::Instant::now();
    Expr::new("a*b+c")?.bind("a", &a)?.bind("b", &b)?.bind("c", &c)?.set_output(&out)?.eval()?;
    println!("a*b+c into /out: {rows} rows in {:.2} s", t.elapsed().as_secs_f64());
    let t = std::time::Instant::now();
    let s = Expr::new("sum(a*b+c)")?.bind("a", &a)?.bind("b", &b)?.bind("c", &c)?.eval()?;
    println!("sum(a*b+c) = {:?} in {:.2} s", s.as_scalar(), t.elapsed().as_secs_f64());
    let t = std::time::Instant::now();
    let check = Expr::new("sum(out)")?.bind("out", &out)?.eval()?;
    println!("sum(out) = {:?} in {:.2} s", check.as_scalar(), t.elapsed().as_secs_f64());
    Ok(())
}
