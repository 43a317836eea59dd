//! The tutorial's dict_table: 100 groups, 500 arrays `id1..id500` (`idi` holds i copies of i)
//! scattered among them, and a table mapping each id to its group; reopened read-only, the
//! map is rebuilt and used.
//!
//!     cargo run --example dict_table -- [FILE]

use std::collections::HashMap;

use ndarray::Array1;
use outcore::h5::{Field, File, Kind, Layout, LeafClass, Mode, NodeClass};
use outcore::{RowRange, Table};

pub struct Answers {
    pub id42: Vec<f64>,
    pub arrays: usize,
    pub groups: usize,
    pub write_refused: bool,
    pub map_len: usize,
}

pub fn run(path: &std::path::Path, seed: u64) -> outcore::Result<Answers> {
    {
        let f = File::open(path, Mode::Write)?;
        for g in 1..=100 {
            f.create_group("/", &format!("grp{g}"), &format!("Group {g}"))?;
        }
        let mut x = seed.max(1);
        let layout = Layout {
            kind: Kind::Record(vec![
                Field { name: "id".into(), offset: 0, kind: Kind::Bytes(8) },
                Field { name: "group".into(), offset: 8, kind: Kind::Bytes(8) },
            ]),
            size: 16,
        };
        let mut map = Vec::new();
        for i in 1..=500usize {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let g = format!("grp{}", x % 100 + 1);
            let id = format!("id{i}");
            f.create_array(&format!("/{g}"), &id, Array1::from_elem(i, i as f64).view(), &format!("ID-{i}"))?;
            let mut rec = [0u8; 16];
            rec[..id.len()].copy_from_slice(id.as_bytes());
            rec[8..8 + g.len()].copy_from_slice(g.as_bytes());
            map.extend_from_slice(&rec);
        }
        let t = f.create_table("/", "idmap", &layout, 500, None, None, "ID-Group Map")?;
        t.append_records(&map)?;
    }
    let f = File::open(path, Mode::Read)?;
    let t = Table::open(&f, "/idmap")?;
    let rows = t.read_where("id == id", &[], None, RowRange::default())?;
    let mut map: HashMap<String, String> = HashMap::new();
    for i in 0..rows.len() {
        map.insert(rows.get::<String>(i, "id")?, rows.get::<String>(i, "group")?);
    }
    let g = &map["id42"];
    let id42 = f.leaf(&format!("/{g}/id42"))?.read_array::<f64>()?.iter().copied().collect();
    let nodes = f.walk()?;
    let arrays = nodes.iter().filter(|n| n.class == NodeClass::Leaf(LeafClass::Array)).count();
    let groups = nodes.iter().filter(|n| n.class == NodeClass::Group).count();
    let write_refused = f.create_group("/", "more", "").is_err();
    Ok(Answers { id42, arrays, groups, write_refused, map_len: map.len() })
}

#[allow(dead_code)]
fn main() -> outcore::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| std::env::temp_dir().join("outcore-dict.h5").to_string_lossy().into_owned());
    let a = run(std::path::Path::new(&path), 42)?;
    println!("id42: {} values of {:?}", a.id42.len(), a.id42.first());
    println!(
        "{} arrays, {} groups; the map has {} ids; a write to the read-only file is refused: {}",
        a.arrays, a.groups, a.map_len, a.write_refused
    );
    Ok(())
}
