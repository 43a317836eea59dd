//! Uses outcore as a dependent crate would: an expression in memory, and a table written,
//! queried and read back from an HDF5 file.

use ndarray::Array1;
use outcore::h5::{Field, File, Kind, Layout, Mode};
use outcore::{Expr, RowRange, Table};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = Array1::linspace(0.0, 1.0, 1000);
    let r = Expr::new("sum(a * 2)")?.bind("a", &a)?.eval()?;
    let total = r.as_f64().and_then(|v| v.first().copied()).ok_or("no float64 result")?;
    assert!((total - 1000.0).abs() < 1e-9, "sum(a*2) = {total}");

    let dir = std::env::temp_dir().join(format!("outcore-dependent-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("t.h5");
    let f = File::open(&path, Mode::Write)?;
    let field = Field { name: "t".into(), offset: 0, kind: Kind::Int { size: 8, signed: true } };
    let layout = Layout { kind: Kind::Record(vec![field]), size: 8 };
    let leaf = f.create_table("/", "t", &layout, 16, None, None, "")?;
    let big = (1i64 << 53) + 1;
    let rows: Vec<u8> = [big, 7, big + 2].iter().flat_map(|v| v.to_ne_bytes()).collect();
    leaf.append_records(&rows)?;
    let t = Table::new(&leaf)?;
    let hits = t.get_where_list("t > 100", &[], RowRange::default())?;
    assert_eq!(hits, vec![0, 2]);
    let recs = t.read_where("t > 100", &[], Some("t"), RowRange::default())?;
    assert_eq!(recs.values::<i64>()?, vec![big, big + 2]);
    drop((t, leaf, f));
    std::fs::remove_dir_all(&dir)?;
    println!("dependent crate: ok");
    Ok(())
}
