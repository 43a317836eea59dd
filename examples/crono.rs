//! The tutorial's crono exercise: a table of timestamps over 14,301 years and seven bool
//! "hero" columns, queried in-kernel: `read_where` of one column, `where_append` of the
//! rows where Crono travels alone, an update of those rows while iterating, and
//! `get_where_list` counts per friend before and after.
//!
//!     cargo run --release --example crono -- [FILE] [--rows N]   (N defaults to 5,219,500)

use outcore::h5::{Field, File, Kind, Layout, Mode};
use outcore::{RowRange, Table};

/// Seconds per year, as the tutorial counts them.
pub const YEAR: f64 = 31_556_900.0;
pub const HEROES: [&str; 7] = ["crono", "marle", "lucca", "frog", "robo", "ayla", "magus"];
pub const FRIENDS: [&str; 6] = ["marle", "lucca", "frog", "robo", "ayla", "magus"];
pub const ALONE: &str = "crono & ~marle & ~lucca & ~frog & ~robo & ~ayla & ~magus";

/// The years each hero visits.
pub fn years(hero: &str) -> &'static [i64] {
    match hero {
        "crono" => &[-12000, 1000, 600, 2300, 1999],
        "marle" => &[-12000, 1000, 600],
        "lucca" | "robo" => &[1000, 2300],
        "frog" | "ayla" => &[1000, 600],
        "magus" => &[-12000, 600],
        _ => &[],
    }
}

/// NumPy's `linspace(-12000*YEAR, 2301*YEAR, n)`, element `i`.
pub fn timestamp(i: usize, n: usize) -> f64 {
    let (start, stop) = (-12000.0 * YEAR, 2301.0 * YEAR);
    if n > 1 && i == n - 1 {
        return stop;
    }
    let step = (stop - start) / (n.max(2) - 1) as f64;
    i as f64 * step + start
}

pub fn present(hero: &str, ts: f64) -> bool {
    years(hero).iter().any(|&y| (y as f64) * YEAR <= ts && ts <= (y as f64 + 1.0) * YEAR)
}

pub fn layout() -> Layout {
    let mut fields = vec![Field { name: "timestamp".into(), offset: 0, kind: Kind::Float { size: 8 } }];
    for (k, h) in HEROES.iter().enumerate() {
        fields.push(Field { name: (*h).into(), offset: 8 + k, kind: Kind::Bool });
    }
    Layout { kind: Kind::Record(fields), size: 15 }
}

/// Writes the table `/crono` of `n` rows.
pub fn make(path: &std::path::Path, n: usize) -> outcore::Result<()> {
    let f = File::open(path, Mode::Write)?;
    let t = f.create_table("/", "crono", &layout(), n as u64, None, None, "Chrono Trigger")?;
    let mut recs = Vec::with_capacity(1 << 20);
    for i in 0..n {
        let ts = timestamp(i, n);
        recs.extend_from_slice(&ts.to_ne_bytes());
        recs.extend(HEROES.iter().map(|h| present(h, ts) as u8));
        if recs.len() >= 15 << 16 {
            t.append_records(&recs)?;
            recs.clear();
        }
    }
    t.append_records(&recs)?;
    Ok(())
}

/// What the exercise asks, answered by queries.
#[derive(Debug, PartialEq)]
pub struct Answers {
    pub crono_timestamps: Vec<f64>,
    pub alone: u64,
    pub alone_rows: Vec<u64>,
    pub alone_first_timestamp: Option<f64>,
    pub alone_after_update: usize,
    pub friends_before: Vec<usize>,
    pub friends_after: Vec<usize>,
}

pub fn run(path: &std::path::Path) -> outcore::Result<Answers> {
    let f = File::open(path, Mode::Append)?;
    let t = Table::open(&f, "/crono")?;
    let all = RowRange::default();
    let crono_timestamps = t.read_where("crono", &[], Some("timestamp"), all)?.values::<f64>()?;
    let friends = |t: &Table| -> outcore::Result<Vec<usize>> {
        FRIENDS.iter().map(|fr| Ok(t.get_where_list(&format!("crono & {fr}"), &[], all)?.len())).collect()
    };
    let friends_before = friends(&t)?;
    if f.node_exists("/alone") {
        f.remove_node("/alone")?;
    }
    let dest = t.create_like(&f, "/", "alone", None)?;
    let alone = t.where_append(&dest, ALONE, &[], all)?;
    let alone_rows = t.get_where_list(ALONE, &[], all)?;
    let alone_first_timestamp =
        dest.read_where("timestamp == timestamp", &[], Some("timestamp"), all)?.values::<f64>()?.first().copied();
    for row in t.where_(ALONE)? {
        let mut row = row?;
        for hero in ["lucca", "frog", "magus"] {
            row.set(hero, true)?;
        }
        row.update()?;
    }
    t.flush()?;
    let alone_after_update = t.get_where_list(ALONE, &[], all)?.len();
    let friends_after = friends(&t)?;
    Ok(Answers {
        crono_timestamps,
        alone,
        alone_rows,
        alone_first_timestamp,
        alone_after_update,
        friends_before,
        friends_after,
    })
}

#[allow(dead_code)]
fn main() -> outcore::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| std::env::temp_dir().join("outcore-crono.h5").to_string_lossy().into_owned());
    let n = match args.iter().position(|a| a == "--rows") {
        Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(5_219_500),
        None => 5_219_500,
    };
    let path = std::path::PathBuf::from(path);
    let t0 = std::time::Instant::now();
    make(&path, n)?;
    println!("wrote {n} rows to {} in {:.2} s", path.display(), t0.elapsed().as_secs_f64());
    let t0 = std::time::Instant::now();
    let a = run(&path)?;
    println!("queries in {:.3} s", t0.elapsed().as_secs_f64());
    let ts = &a.crono_timestamps;
    println!("read_where(\"crono\", field=\"timestamp\"): {} values, {:?} .. {:?}", ts.len(), ts.first(), ts.last());
    println!(
        "where_append(alone): {} rows, {:?} ..= {:?}, first timestamp {:?}",
        a.alone,
        a.alone_rows.first(),
        a.alone_rows.last(),
        a.alone_first_timestamp
    );
    println!("after the update the same query finds {}", a.alone_after_update);
    for (k, fr) in FRIENDS.iter().enumerate() {
        println!("crono & {fr:<5}: {:>5} before, {:>5} after", a.friends_before[k], a.friends_after[k]);
    }
    Ok(())
}
