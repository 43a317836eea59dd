//! The tutorial's spam_filter: an EArray of 4-byte strings, `b"spam"` everywhere but at a
//! quarter as many random positions (drawn with replacement) as there are rows, which hold
//! `b"eggs"`; written raw, with zlib level 1 and with blosc level 5 (chunks of 32768), the
//! sizes compared; random bytes for contrast; the eggs counted out of core with
//! `sum(e == b'eggs')`.
//!
//!     cargo run --release --example spam_filter -- [DIR] [--rows N]   (N defaults to 10M)

use ndarray::Array1;
use outcore::h5::FixedAscii;
use outcore::h5::{Complib, File, Filters, Mode};
use outcore::Expr;

pub struct Report {
    pub raw: u64,
    pub zlib1: u64,
    pub blosc5: u64,
    pub random_raw: u64,
    pub random_zlib1: u64,
    pub eggs: usize,
    pub counted: i64,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn write(path: &std::path::Path, values: &Array1<FixedAscii<4>>, filters: Option<&Filters>) -> outcore::Result<u64> {
    {
        let f = File::open(path, Mode::Write)?;
        f.create_earray("/", "e", values.view(), Some(&[32768]), values.len() as u64, filters, "spam")?;
        f.flush()?;
    }
    Ok(std::fs::metadata(path).map(|m| m.len()).unwrap_or(0))
}

pub fn run(dir: &std::path::Path, n: usize) -> outcore::Result<Report> {
    std::fs::create_dir_all(dir).map_err(|e| outcore::Error::new(outcore::ErrorKind::Unsupported, e.to_string()))?;
    let spam = FixedAscii::<4>::from_ascii(b"spam")
        .map_err(|e| outcore::Error::new(outcore::ErrorKind::Unsupported, e.to_string()))?;
    let eggs = FixedAscii::<4>::from_ascii(b"eggs")
        .map_err(|e| outcore::Error::new(outcore::ErrorKind::Unsupported, e.to_string()))?;
    let mut values = Array1::from_elem(n, spam);
    let mut rng = Rng(0x853c_49e6_748f_ea9b);
    for _ in 0..n / 4 {
        values[(rng.next() % n.max(1) as u64) as usize] = eggs;
    }
    let egg_count = values.iter().filter(|v| v.as_bytes() == b"eggs").count();
    // PyTables' Filters(1, "zlib") and Filters(5, "blosc"): shuffle is on by default.
    let zlib1 = Filters { complevel: 1, complib: Complib::Zlib, shuffle: true, bitshuffle: false, fletcher32: false };
    let blosc5 = Filters { complevel: 5, complib: Complib::Blosc, shuffle: true, bitshuffle: false, fletcher32: false };
    let raw = write(&dir.join("raw.h5"), &values, None)?;
    let z = write(&dir.join("zlib1.h5"), &values, Some(&zlib1))?;
    let b = write(&dir.join("blosc5.h5"), &values, Some(&blosc5))?;
    let f = File::open(dir.join("zlib1.h5"), Mode::Read)?;
    let counted = Expr::new("sum(e == b'eggs')")?.bind("e", &f.leaf("/e")?)?.eval()?;
    let counted = match counted.as_scalar() {
        Some(outcore::Value::Int64(c)) => c,
        other => return Err(outcore::Error::new(outcore::ErrorKind::Internal, format!("unexpected {other:?}"))),
    };
    // Random letters, for contrast: they barely compress.
    let random: Array1<FixedAscii<4>> = (0..n)
        .map(|_| {
            let x = rng.next().to_le_bytes();
            let b: Vec<u8> = x[..4].iter().map(|c| b'!' + c % 94).collect();
            FixedAscii::<4>::from_ascii(&b).unwrap_or(spam)
        })
        .collect();
    let random_raw = write(&dir.join("random_raw.h5"), &random, None)?;
    let random_zlib1 = write(&dir.join("random_zlib1.h5"), &random, Some(&zlib1))?;
    Ok(Report { raw, zlib1: z, blosc5: b, random_raw, random_zlib1, eggs: egg_count, counted })
}

#[allow(dead_code)]
fn main() -> outcore::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .get(1)
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| std::env::temp_dir().join("outcore-spam").to_string_lossy().into_owned());
    let n = match args.iter().position(|a| a == "--rows") {
        Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(10_000_000),
        None => 10_000_000,
    };
    let r = run(std::path::Path::new(&dir), n)?;
    println!("{n} strings: raw {} bytes, zlib level 1 {}, blosc level 5 {}", r.raw, r.zlib1, r.blosc5);
    println!("random letters: raw {} bytes, zlib level 1 {}", r.random_raw, r.random_zlib1);
    println!("eggs: {} written, {} counted out of core", r.eggs, r.counted);
    Ok(())
}
