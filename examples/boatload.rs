//! The tutorial's boatload exercise: sailors with a nested `location` (lat, long), sorted
//! into four quadrant groups by in-kernel queries on the nested columns; each quadrant's
//! sailors then split into `lost` and `found` tables that drop the `lost` column.
//!
//!     cargo run --release --example boatload -- [FILE] [--rows N]

use outcore::h5::{Field, File, Kind, Layout, Mode};
use outcore::{vars, IntoOperand, Operand, RowRange, Table};

/// first S10, last S11, location {lat, long}, ships S11 × 5, lost bool.
pub fn layout() -> Layout {
    let loc = Kind::Record(vec![
        Field { name: "lat".into(), offset: 0, kind: Kind::Float { size: 8 } },
        Field { name: "long".into(), offset: 8, kind: Kind::Float { size: 8 } },
    ]);
    Layout {
        kind: Kind::Record(vec![
            Field { name: "first".into(), offset: 0, kind: Kind::Bytes(10) },
            Field { name: "last".into(), offset: 10, kind: Kind::Bytes(11) },
            Field { name: "location".into(), offset: 21, kind: loc },
            Field { name: "ships".into(), offset: 37, kind: Kind::Array(Box::new(Kind::Bytes(11)), vec![5]) },
            Field { name: "lost".into(), offset: 92, kind: Kind::Bool },
        ]),
        size: 93,
    }
}

/// The same layout without one top-level field, packed again.
pub fn without(layout: &Layout, drop: &str) -> (Layout, Vec<(usize, usize, usize)>) {
    let Kind::Record(fields) = &layout.kind else { return (layout.clone(), Vec::new()) };
    let mut kept = Vec::new();
    let mut copies = Vec::new();
    let mut at = 0;
    for f in fields.iter().filter(|f| f.name != drop) {
        let size = f.kind.size();
        kept.push(Field { name: f.name.clone(), offset: at, kind: f.kind.clone() });
        copies.push((f.offset, at, size));
        at += size;
    }
    (Layout { kind: Kind::Record(kept), size: at }, copies)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn name(&mut self, max: usize) -> Vec<u8> {
        const SYL: [&str; 12] = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ber", "dan", "gor", "hel"];
        let mut s = String::new();
        while s.len() < 4 + (self.next() % 4) as usize {
            s.push_str(SYL[(self.next() % 12) as usize]);
        }
        let mut b = s.into_bytes();
        b[0] = b[0].to_ascii_uppercase();
        b.truncate(max);
        b
    }
}

pub struct Quadrant {
    pub name: &'static str,
    pub sailors: usize,
    pub lost: usize,
    pub found: usize,
    /// The quadrant's sailors counted by a plain filter over all records.
    pub by_filter: usize,
}

pub struct Report {
    pub quadrants: Vec<Quadrant>,
    pub lost_has_no_lost_column: bool,
}

const QUADRANTS: [(&str, f64, f64, f64, f64); 4] = [
    ("NE", 0.0, 90.0, 0.0, 180.0),
    ("NW", 0.0, 90.0, -180.0, 0.0),
    ("SE", -90.0, 0.0, 0.0, 180.0),
    ("SW", -90.0, 0.0, -180.0, 0.0),
];

pub fn run(path: &std::path::Path, n: usize, seed: u64) -> outcore::Result<Report> {
    let f = File::open(path, Mode::Write)?;
    let layout = layout();
    let t = f.create_table("/", "sailors", &layout, n as u64, None, None, "Sailors")?;
    let mut rng = Rng(seed.max(1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut recs = vec![0u8; n * layout.size];
    for rec in recs.chunks_exact_mut(layout.size) {
        let first = rng.name(10);
        rec[..first.len()].copy_from_slice(&first);
        let last = rng.name(11);
        rec[10..10 + last.len()].copy_from_slice(&last);
        rec[21..29].copy_from_slice(&(rng.unit() * 180.0 - 90.0).to_ne_bytes());
        rec[29..37].copy_from_slice(&(rng.unit() * 360.0 - 180.0).to_ne_bytes());
        for s in 0..5 {
            let ship = rng.name(11);
            rec[37 + 11 * s..37 + 11 * s + ship.len()].copy_from_slice(&ship);
        }
        rec[92] = (rng.next() % 3 == 0) as u8;
    }
    t.append_records(&recs)?;
    let t = Table::new(&t)?;
    let lat = t.col("location/lat")?;
    let long = t.col("location/long")?;
    let (lf_layout, copies) = without(&layout, "lost");
    let mut quadrants = Vec::new();
    for (name, lat0, lat1, long0, long1) in QUADRANTS {
        let g = f.create_group("/", name, &format!("Sailors of the {name} quadrant"))?;
        let mut vars: Vec<(String, Operand<'_>)> =
            vars! {"lat0" => lat0, "lat1" => lat1, "long0" => long0, "long1" => long1}.to_vec();
        vars.push(("lat".into(), (&lat).into_operand()));
        vars.push(("long".into(), (&long).into_operand()));
        let cond = "(lat > lat0) & (lat < lat1) & (long > long0) & (long < long1)";
        let dest = t.create_like(&f, g.path(), "sailors", None)?;
        let sailors = t.where_append(&dest, cond, &vars, RowRange::default())? as usize;
        let here = dest.clone();
        let mut split = [0usize; 2];
        for (k, (which, c)) in [("lost", "lost"), ("found", "~lost")].into_iter().enumerate() {
            let rows = here.read_where(c, &[], None, RowRange::default())?;
            let out = f.create_table(g.path(), which, &lf_layout, rows.len().max(1) as u64, None, None, which)?;
            let mut packed = vec![0u8; rows.len() * lf_layout.size];
            for (i, dst) in packed.chunks_exact_mut(lf_layout.size).enumerate() {
                let src = rows.bytes(i).unwrap_or_default();
                for &(from, to, size) in &copies {
                    dst[to..to + size].copy_from_slice(&src[from..from + size]);
                }
            }
            out.append_records(&packed)?;
            split[k] = rows.len();
        }
        let by_filter = recs
            .chunks_exact(layout.size)
            .filter(|r| {
                let la = f64::from_ne_bytes(r[21..29].try_into().unwrap_or_default());
                let lo = f64::from_ne_bytes(r[29..37].try_into().unwrap_or_default());
                la > lat0 && la < lat1 && lo > long0 && lo < long1
            })
            .count();
        quadrants.push(Quadrant { name, sailors, lost: split[0], found: split[1], by_filter });
    }
    let lost_has_no_lost_column = !f.leaf("/NE/lost")?.layout()?.columns().contains(&"lost".to_string());
    Ok(Report { quadrants, lost_has_no_lost_column })
}

#[allow(dead_code)]
fn main() -> outcore::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| std::env::temp_dir().join("outcore-boatload.h5").to_string_lossy().into_owned());
    let n = match args.iter().position(|a| a == "--rows") {
        Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(1000),
        None => 1000,
    };
    let r = run(std::path::Path::new(&path), n, 42)?;
    for q in &r.quadrants {
        println!(
            "{}: {} sailors ({} lost, {} found); a plain filter counts {}",
            q.name, q.sailors, q.lost, q.found, q.by_filter
        );
    }
    println!("total {}", r.quadrants.iter().map(|q| q.sailors).sum::<usize>());
    Ok(())
}
