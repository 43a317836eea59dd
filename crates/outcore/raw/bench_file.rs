//! The benchmark file of `../shared/bench/peers.py gen`, written here: a Table /t (col1 int32,
//! col2..col4 float64, PyTables' column order) and float64 CArrays /a /b /c and /out of `rows`
//! rows, with PyTables' chunk shapes and the filters given. Values are pseudo-random
//! (col1 in 0..100, col2..col4 in [0, 100), a b c in [0, 1)), the same on every run.

use std::path::Path;

use outcore_h5::{Field, File, Filters, Kind, Layout, Mode};

use crate::error::Result;

/// The seed tutorial's query on /t (peers.py's COND): `&` binds tighter than `|`.
pub const COND: &str =
    "(((col4 >= lim1) & (col4 < lim2)) | ((col2 > lim3) & (col2 < lim4)) & ((col1 + 3.1*col2 + col3*col4) > lim5))";

/// The limits peers.py passes with [`COND`].
pub fn lims() -> [(String, crate::Operand<'static>); 5] {
    crate::vars! {"lim1" => 20.0, "lim2" => 30.0, "lim3" => 40.0, "lim4" => 50.0, "lim5" => 3000.0}
}

/// [`COND`] with [`lims`] on one packed record of [`layout`], in plain Rust: what the naive
/// row loops compute.
pub fn naive_hit(rec: &[u8]) -> bool {
    let f = |o: usize| f64::from_ne_bytes(rec[o..o + 8].try_into().unwrap_or([0; 8]));
    let c1 = i32::from_ne_bytes(rec[0..4].try_into().unwrap_or([0; 4])) as f64;
    let (c2, c3, c4) = (f(4), f(12), f(20));
    (20.0..30.0).contains(&c4) || ((c2 > 40.0 && c2 < 50.0) && (c1 + 3.1 * c2 + c3 * c4) > 3000.0)
}

/// The table's layout: peers.py's description.
pub fn layout() -> Layout {
    let f = |name: &str, offset, kind| Field { name: name.into(), offset, kind };
    Layout {
        kind: Kind::Record(vec![
            f("col1", 0, Kind::Int { size: 4, signed: true }),
            f("col2", 4, Kind::Float { size: 8 }),
            f("col3", 12, Kind::Float { size: 8 }),
            f("col4", 20, Kind::Float { size: 8 }),
        ]),
        size: 28,
    }
}

/// A value in [0, 1) from a counter (splitmix64).
fn unit(i: u64) -> f64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// Writes the file (replacing it).
pub fn write(path: &Path, rows: usize, filters: Option<&Filters>) -> Result<()> {
    write_with(path, rows, filters, None)
}

/// [`write()`], telling `progress` the rows written so far (of four times `rows`: the table,
/// then each array).
pub fn write_with(
    path: &Path,
    rows: usize,
    filters: Option<&Filters>,
    progress: Option<&crate::Progress>,
) -> Result<()> {
    let total = 4 * rows as u64;
    let tell = |done: usize| {
        if let Some(p) = progress {
            p.tell(done as u64, total);
        }
    };
    let f = File::open(path, Mode::Write)?;
    let layout = layout();
    let t = f.create_table("/", "t", &layout, rows as u64, None, filters, "")?;
    const BLOCK: usize = 1 << 20;
    let n = rows as u64;
    let mut recs = Vec::with_capacity(BLOCK * layout.size);
    for start in (0..rows).step_by(BLOCK) {
        recs.clear();
        for i in start as u64..(start + BLOCK).min(rows) as u64 {
            recs.extend_from_slice(&((unit(i) * 100.0) as i32).to_ne_bytes());
            for k in 1..4u64 {
                recs.extend_from_slice(&(unit(i + k * n) * 100.0).to_ne_bytes());
            }
        }
        t.append_records(&recs)?;
        tell((start + BLOCK).min(rows));
    }
    for (k, name) in ["a", "b", "c", "out"].into_iter().enumerate() {
        f.create_carray_filled::<f64>("/", name, &[rows], None, filters, 0.0, "")?;
        if name == "out" {
            continue;
        }
        let leaf = f.leaf(&format!("/{name}"))?;
        let mut bytes = Vec::with_capacity(BLOCK * 8);
        for start in (0..rows).step_by(BLOCK) {
            let end = (start + BLOCK).min(rows);
            bytes.clear();
            for i in start as u64..end as u64 {
                bytes.extend_from_slice(&unit(i + (4 + k as u64) * n).to_ne_bytes());
            }
            leaf.write_rows(start, 1, end - start, &bytes)?;
            tell((k + 1) * rows + end);
        }
    }
    f.flush()?;
    tell(4 * rows);
    Ok(())
}
