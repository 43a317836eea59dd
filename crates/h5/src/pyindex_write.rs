//! Writes a PyTables index of kind `full`, completely sorted (what PyTables'
//! `Column.create_csindex` makes), from a column's values sorted once: the group
//! `_i_<table>/<column>` with the arrays and attributes PyTables reads (`sorted`, `indices`,
//! `ranges`, `bounds`, `abounds`, `zbounds`, `mbounds`, `mranges`, `sortedLR`, `indicesLR`;
//! `tables/index.py`), sized by PyTables' own rules (`tables/idxutils.py`), so that PyTables
//! opens it, reports the column indexed, and answers its queries from it.

use hdf5::H5Type;
use ndarray::{ArrayView1, ArrayView2};

use crate::attrs::AttrValue;
use crate::error::Result;
use crate::file::{Leaf, LeafClass};
use crate::layout::Kind;
use crate::write::{join, Complib, Filters};

/// PyTables' `(superblocksize, blocksize, slicesize, chunksize)` of an index of kind `full`
/// at `optlevel` for `expected` rows (`idxutils.calc_chunksize`, memory level 4), with the
/// slice capped at 100 MiB of `itemsize` values as PyTables caps it.
pub fn full_index_sizes(expected: u64, optlevel: u32, itemsize: usize) -> (u64, u64, u64, u64) {
    let limit = |n: u64| n.clamp(100_000, 1_000_000_000_000);
    let csformula = |n: u64| 64.0 * 2f64.powf((n as f64).log10());
    let er = limit(expected);
    let mut chunksize = csformula(10u64.pow((er as f64).log10() as u32)) as u64;
    let mut slicesize = (csformula(er) * 16.0) as u64;
    slicesize = (slicesize / chunksize) * chunksize * 4;
    slicesize = slicesize.min(1 << 30);
    while slicesize * itemsize as u64 > 100 << 20 {
        slicesize /= 2;
    }
    match optlevel {
        0..=2 => slicesize /= 2,
        3..=5 => {}
        6..=8 => chunksize /= 2,
        _ => {
            chunksize /= 2;
            slicesize *= 2;
        }
    }
    let block = |expected: u64, compound: u64, lower: u64| {
        let n = (expected / lower + 1).min(1 << 20);
        ((lower * n) / compound + 1) * compound
    };
    let blocksize = block(expected, slicesize, chunksize);
    let superblocksize = block(expected, blocksize, slicesize);
    (superblocksize, blocksize, slicesize, chunksize)
}

/// The filters PyTables gives new indexes (`tables.index.default_index_filters`).
fn index_filters() -> Filters {
    Filters { complevel: 1, complib: Complib::Zlib, shuffle: true, bitshuffle: false, fletcher32: false }
}

impl Leaf {
    /// Writes a completely sorted PyTables index (kind `full`, optimization level 9) of
    /// `column` of this table, replacing any index it had: `values` are the column's values
    /// in ascending order (NaNs last) as the column's type packed, `rows[i]` the row of
    /// `values[i]`. Every row of the table must be there.
    pub fn write_pytables_index(&self, column: &str, values: &[u8], rows: &[u64]) -> Result<()> {
        self.writable()?;
        if self.class() != LeafClass::Table || self.is_zones() {
            return Err(self.node_err("only a table can have a PyTables index"));
        }
        let kind = match self.layout()?.field(column) {
            Some((_, k)) => k.clone(),
            None => return Err(self.node_err(format!("no column `{column}`"))),
        };
        if column.contains('/') {
            return Err(self.node_err(format!("`{column}` is a nested column; outcore indexes top-level columns")));
        }
        let n = self.shape().first().copied().unwrap_or(0);
        if rows.len() != n {
            return Err(self.node_err(format!("an index needs all {n} rows, not {}", rows.len())));
        }
        macro_rules! write {
            ($t:ty) => {{
                let size = std::mem::size_of::<$t>();
                if values.len() != n * size {
                    return Err(self.node_err(format!("{} bytes of values for {n} rows", values.len())));
                }
                let v: Vec<$t> =
                    values.chunks_exact(size).map(|b| <$t>::from_ne_bytes(b.try_into().expect("sized"))).collect();
                self.write_index_of(column, &v, values, rows)
            }};
        }
        match kind {
            Kind::Int { size: 1, signed: true } => write!(i8),
            Kind::Int { size: 1, signed: false } => write!(u8),
            Kind::Int { size: 2, signed: true } => write!(i16),
            Kind::Int { size: 2, signed: false } => write!(u16),
            Kind::Int { size: 4, signed: true } => write!(i32),
            Kind::Int { size: 4, signed: false } => write!(u32),
            Kind::Int { size: 8, signed: true } => write!(i64),
            Kind::Int { size: 8, signed: false } => write!(u64),
            Kind::Float { size: 4 } => write!(f32),
            Kind::Float { size: 8 } => write!(f64),
            other => {
                Err(self
                    .node_err(format!("outcore writes PyTables indexes of numeric columns; `{column}` is {other:?}")))
            }
        }
    }

    fn write_index_of<T: H5Type + Copy + Default>(
        &self,
        column: &str,
        v: &[T],
        bytes: &[u8],
        rows: &[u64],
    ) -> Result<()> {
        let f = self.file_handle()?;
        let n = v.len();
        let (sbs, bs, ss, cs) = full_index_sizes(n as u64, 9, std::mem::size_of::<T>());
        let (ss, cs) = (ss as usize, cs as usize);
        let (nslices, nlr) = (n / ss, n % ss);
        let ncs = ss / cs;
        let nbounds = (ss - 1) / cs;
        let (parent, name) = crate::stats::parent_and_name(self.path());
        let top = join(parent, &format!("_i_{name}"));
        if !f.node_exists(&top) {
            f.create_group(parent, &format!("_i_{name}"), &format!("Indexes container for table {}", self.path()))?;
            f.set_attr(&top, "CLASS", &AttrValue::Str("TINDEX".into()))?;
        }
        let node = join(&top, column);
        if f.node_exists(&node) {
            f.remove_node(&node)?;
        }
        let filters = index_filters();
        f.create_group(&top, column, &format!("Index for {column} column"))?;
        for (k, v) in [("CLASS", AttrValue::Str("INDEX".into())), ("VERSION", AttrValue::Str("2.1".into()))] {
            f.set_attr(&node, k, &v)?;
        }
        f.set_group_filters(&node, &filters)?;
        // Dirty until the last array is written: an index whose writing fails midway is never used.
        f.set_attr(&node, "DIRTY", &AttrValue::Int(1))?;
        let whole = &v[..nslices * ss];
        let bad = |e: ndarray::ShapeError| self.node_err(e);
        let class = |name: &str, class: &str| f.set_attr(&join(&node, name), "CLASS", &AttrValue::Str(class.into()));
        let fl = Some(&filters);
        // The two big arrays are created empty and their chunks encoded on all cores.
        let none: [T; 0] = [];
        let empty = ArrayView2::from_shape((0, ss), &none[..]).map_err(bad)?;
        let sorted = f.create_earray(&node, "sorted", empty, Some(&[1, cs]), 0, fl, "Sorted Values")?;
        class("sorted", "INDEXARRAY")?;
        let size = std::mem::size_of::<T>();
        write_rows_parallel(&sorted, &bytes[..nslices * ss * size], nslices, cs * size)?;
        let none: [u64; 0] = [];
        let empty = ArrayView2::from_shape((0, ss), &none[..]).map_err(bad)?;
        let indices = f.create_earray(&node, "indices", empty, Some(&[1, cs]), 0, fl, "Number of chunk in table")?;
        class("indices", "INDEXARRAY")?;
        let row_bytes: Vec<u8> = rows[..nslices * ss].iter().flat_map(|r| r.to_ne_bytes()).collect();
        write_rows_parallel(&indices, &row_bytes, nslices, cs * 8)?;
        // Per slice: first and last values; each chunk's first (but the first chunk's), first,
        // last and median values; the median of the medians.
        let mut ranges = Vec::with_capacity(nslices * 2);
        let (mut bounds, mut abounds, mut zbounds, mut mbounds, mut mranges) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for s in whole.chunks_exact(ss) {
            ranges.extend([s[0], s[ss - 1]]);
            bounds.extend(s.iter().skip(cs).step_by(cs).take(nbounds));
            abounds.extend(s.iter().step_by(cs));
            zbounds.extend(s.iter().skip(cs - 1).step_by(cs));
            let medians: Vec<T> = s.iter().skip(cs / 2).step_by(cs).copied().collect();
            mranges.push(medians[ncs / 2]);
            mbounds.extend(medians);
        }
        let two = |d: &[T], w: usize| ArrayView2::from_shape((nslices, w), d).map(|a| a.to_owned());
        f.create_earray(
            &node,
            "ranges",
            two(&ranges, 2).map_err(bad)?.view(),
            Some(&[4096, 2]),
            0,
            fl,
            "Range Values",
        )?;
        class("ranges", "CACHEARRAY")?;
        let b = two(&bounds, nbounds).map_err(bad)?;
        f.create_earray(&node, "bounds", b.view(), Some(&[1, nbounds.max(1)]), 0, fl, "Boundary Values")?;
        class("bounds", "CACHEARRAY")?;
        for (name, data, title) in [
            ("abounds", &abounds, "Start bounds"),
            ("zbounds", &zbounds, "End bounds"),
            ("mbounds", &mbounds, "Median bounds"),
            ("mranges", &mranges, "Median ranges"),
        ] {
            f.create_earray(&node, name, ArrayView1::from(&data[..]), Some(&[8192]), 0, fl, title)?;
        }
        // The last row: its values, then their bounds (`values[::cs]` and the last one).
        let lr = &v[nslices * ss..];
        let mut sorted_lr = vec![T::default(); ss + 2 + nbounds];
        sorted_lr[..nlr].copy_from_slice(lr);
        if nlr > 0 {
            let be: Vec<T> = lr.iter().step_by(cs).copied().chain([lr[nlr - 1]]).collect();
            sorted_lr[nlr..nlr + be.len()].copy_from_slice(&be);
        }
        let mut indices_lr = vec![0u64; ss];
        indices_lr[..nlr].copy_from_slice(&rows[nslices * ss..]);
        for (name, title, leaf) in [
            (
                "sortedLR",
                "Last Row sorted values + bounds",
                f.create_carray(&node, "sortedLR", ArrayView1::from(&sorted_lr[..]), Some(&[cs]), fl, "x"),
            ),
            (
                "indicesLR",
                "Last Row indices",
                f.create_carray(&node, "indicesLR", ArrayView1::from(&indices_lr[..]), Some(&[cs]), fl, "x"),
            ),
        ] {
            leaf?;
            let p = join(&node, name);
            f.set_attr(&p, "CLASS", &AttrValue::Str("LASTROWARRAY".into()))?;
            f.set_attr(&p, "TITLE", &AttrValue::Str(title.into()))?;
            f.set_attr(&p, "nelements", &AttrValue::Int(nlr as i64))?;
        }
        for (k, val) in [
            ("superblocksize", AttrValue::UInt(sbs)),
            ("blocksize", AttrValue::UInt(bs)),
            ("slicesize", AttrValue::UInt(ss as u64)),
            ("chunksize", AttrValue::UInt(cs as u64)),
            ("optlevel", AttrValue::Int(9)),
            ("reduction", AttrValue::Int(1)),
            ("is_csi", AttrValue::Int(i64::from(n > 0))),
            ("DIRTY", AttrValue::Int(0)),
        ] {
            f.set_attr(&node, k, &val)?;
        }
        Ok(())
    }
}

/// Writes `rows` rows of a 2-d dataset created empty, whose chunks are one row of
/// `chunk_bytes` each: `data` (the rows packed, in the dataset's type), encoded on all cores
/// a batch at a time and written in order.
fn write_rows_parallel(leaf: &Leaf, data: &[u8], rows: usize, chunk_bytes: usize) -> Result<()> {
    use rayon::prelude::*;
    if rows == 0 {
        return Ok(());
    }
    leaf.resize_rows(rows)?;
    let enc = leaf.encoder()?;
    let elem = leaf.layout()?.size.max(1) as u64;
    let per_row = data.len() / rows;
    let chunks_per_row = per_row / chunk_bytes;
    let batch = 256;
    let all: Vec<&[u8]> = data.chunks(chunk_bytes).collect();
    for (b, group) in all.chunks(batch).enumerate() {
        let encoded: Vec<Result<(u32, Vec<u8>)>> = group
            .par_iter()
            .map(|c| {
                let mut out = Vec::new();
                let mask = enc.encode(c, &mut out)?;
                Ok((mask, out))
            })
            .collect();
        for (i, e) in encoded.into_iter().enumerate() {
            let (mask, bytes) = e?;
            let k = b * batch + i;
            let col = (k % chunks_per_row) as u64 * (chunk_bytes as u64 / elem);
            leaf.write_raw_chunk(&[(k / chunks_per_row) as u64, col], mask, &bytes)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_pytables_rules() {
        // PyTables' own for 10M float64 rows, create_csindex (measured on its files).
        assert_eq!(full_index_sizes(10_000_000, 9, 8), (20_971_520, 10_485_760, 1_048_576, 4096));
        assert_eq!(full_index_sizes(700, 6, 8), (262_144, 131_072, 131_072, 1024));
        assert_eq!(full_index_sizes(123_456_789, 9, 8), (249_561_088, 124_780_544, 2_228_224, 8192));
        assert_eq!(full_index_sizes(100_000_000, 9, 8), (201_326_592, 100_663_296, 2_097_152, 8192));
    }
}
