//! The tutorial's peaks_of_kilimanjaro: a team table (first, last, age, alive), an array of
//! zeros titled "help I can't breathe!", every other member who is alive, and queries on the
//! bool column `alive`.
//!
//!     cargo run --example peaks_of_kilimanjaro -- [FILE]

use outcore::h5::{Field, File, Kind, Layout, Mode};
use outcore::{RowRange, Table};

pub const TEAM: [(&str, &str, i64, bool); 10] = [
    ("Flavia", "Jacquin", 21, true),
    ("Michal", "Ards", 7, true),
    ("Madaline", "Herta", 25, true),
    ("Ike", "Jerding", 3, true),
    ("Winford", "Bergenty", 59, true),
    ("Fernanda", "Leuze", 51, true),
    ("Larae", "Dalaq", 44, false),
    ("Ema", "Czyrnik", 51, true),
    ("Britt", "Housemate", 32, false),
    ("Eldridge", "Lerow", 72, false),
];

pub struct Answers {
    /// `team[::2]` where alive: "First Last".
    pub every_other_alive: Vec<String>,
    pub alive_rows: Vec<u64>,
    pub alive_first: Vec<String>,
    pub air_shape: Vec<usize>,
    pub air_title: String,
}

pub fn run(path: &std::path::Path) -> outcore::Result<Answers> {
    let f = File::open(path, Mode::Write)?;
    let layout = Layout {
        kind: Kind::Record(vec![
            Field { name: "first".into(), offset: 0, kind: Kind::Bytes(10) },
            Field { name: "last".into(), offset: 10, kind: Kind::Bytes(10) },
            Field { name: "age".into(), offset: 20, kind: Kind::Int { size: 8, signed: true } },
            Field { name: "alive".into(), offset: 28, kind: Kind::Bool },
        ]),
        size: 29,
    };
    let t = f.create_table("/", "team", &layout, 10, None, None, "")?;
    let mut recs = vec![0u8; 10 * layout.size];
    for (rec, (first, last, age, alive)) in recs.chunks_exact_mut(layout.size).zip(TEAM) {
        rec[..first.len()].copy_from_slice(first.as_bytes());
        rec[10..10 + last.len()].copy_from_slice(last.as_bytes());
        rec[20..28].copy_from_slice(&age.to_ne_bytes());
        rec[28] = alive as u8;
    }
    t.append_records(&recs)?;
    // The air: zeros, stored as a CArray whose chunks are never written (so the file stays small).
    let air = f.create_carray_filled::<f64>("/", "air", &[10, 1_000_000], None, None, 0.0, "help I can't breathe!")?;
    let t = Table::new(&t)?;
    let all = RowRange::default();
    let every_other = t.read_where("alive", &[], None, RowRange::new(None, None, Some(2)))?;
    let every_other_alive = (0..every_other.len())
        .map(|i| Ok(format!("{} {}", every_other.get::<String>(i, "first")?, every_other.get::<String>(i, "last")?)))
        .collect::<outcore::Result<Vec<_>>>()?;
    let alive_rows = t.get_where_list("alive", &[], all)?;
    let alive_first = t.read_where("alive", &[], Some("first"), all)?.values::<String>()?;
    Ok(Answers { every_other_alive, alive_rows, alive_first, air_shape: air.shape(), air_title: air.title() })
}

#[allow(dead_code)]
fn main() -> outcore::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| std::env::temp_dir().join("outcore-peaks.h5").to_string_lossy().into_owned());
    let a = run(std::path::Path::new(&path))?;
    println!("team[::2] alive: {:?}", a.every_other_alive);
    println!("get_where_list(\"alive\"): {:?}", a.alive_rows);
    println!("read_where(\"alive\", field=\"first\"): {:?}", a.alive_first);
    println!("/air {:?} \"{}\"", a.air_shape, a.air_title);
    Ok(())
}
