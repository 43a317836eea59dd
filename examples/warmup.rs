//! The tutorial's warmup: a 42-row table `heart` (rate int64, beat float64) of ones, created
//! in a file opened in mode "a"; creating it a second time is a "node exists" error.
//!
//!     cargo run --example warmup -- [FILE]

use outcore::h5::{Field, File, Kind, Layout, Mode};

pub fn layout() -> Layout {
    Layout {
        kind: Kind::Record(vec![
            Field { name: "rate".into(), offset: 0, kind: Kind::Int { size: 8, signed: true } },
            Field { name: "beat".into(), offset: 8, kind: Kind::Float { size: 8 } },
        ]),
        size: 16,
    }
}

/// Creates `/heart` with 42 rows of (1, 1.0).
pub fn run(path: &std::path::Path) -> outcore::Result<()> {
    let f = File::open(path, Mode::Append)?;
    let t = f.create_table("/", "heart", &layout(), 42, None, None, "")?;
    let row: Vec<u8> = 1i64.to_ne_bytes().into_iter().chain(1.0f64.to_ne_bytes()).collect();
    t.append_records(&row.repeat(42))?;
    Ok(())
}

#[allow(dead_code)]
fn main() -> outcore::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| std::env::temp_dir().join("outcore-warmup.h5").to_string_lossy().into_owned());
    let _ = std::fs::remove_file(&path);
    run(std::path::Path::new(&path))?;
    println!("created /heart with 42 rows");
    match run(std::path::Path::new(&path)) {
        Err(e) => println!("again: {e}"),
        Ok(()) => println!("again: created twice?"),
    }
    Ok(())
}
