//! PyTables' rule for chunk shapes from the expected number of rows, so that files written
//! here chunk like files written by PyTables (a 10,000-row table of 45-byte rows gets 1456 rows
//! per chunk).

const MB: u64 = 1024 * 1024;

/// PyTables' `calc_chunksize`: the chunk size in bytes for a dataset of `expected_mb` MiB.
fn chunk_bytes(expected_mb: u64) -> u64 {
    let mb = expected_mb.clamp(1, 10_000_000);
    let zone = mb.ilog10();
    // csformula: 8 KiB × 2^log10(size), at 10^zone; then × 8 for sequential access.
    8 * 1024 * (1u64 << zone) * 8
}

/// Rows per chunk for a table of `rowsize`-byte rows expected to reach `expected_rows`.
pub fn table_chunk_rows(expected_rows: u64, rowsize: u64) -> u64 {
    let rowsize = rowsize.max(1);
    (chunk_bytes(expected_rows.saturating_mul(rowsize) / MB) / rowsize).max(1)
}

/// The chunk shape of an array of `shape` (main dimension first) and `itemsize`-byte items,
/// expected to grow to `expected_rows` along its main dimension.
pub fn array_chunkshape(shape: &[usize], expected_rows: u64, itemsize: usize) -> Vec<usize> {
    if shape.is_empty() {
        return vec![1];
    }
    let rowsize: u64 = shape[1..].iter().map(|&d| d as u64).product::<u64>() * itemsize as u64;
    let chunksize = chunk_bytes(expected_rows.saturating_mul(rowsize) / MB);
    let nitems = (chunksize / itemsize.max(1) as u64).max(1) as usize;
    let mut chunk = shape.to_vec();
    chunk[0] = 1;
    let rest: usize = chunk.iter().product();
    if rest <= nitems {
        chunk[0] = nitems / rest.max(1);
        return chunk.iter().map(|&c| c.max(1)).collect();
    }
    for j in 0..chunk.len() {
        chunk[j] = 1;
        let n: usize = chunk.iter().product();
        if n <= nitems {
            chunk[j] = nitems / n.max(1);
            return chunk.iter().map(|&c| c.max(1)).collect();
        }
    }
    if let Some(last) = chunk.last_mut() {
        *last = nitems;
    }
    chunk
}

/// PyTables' rule for a fixed-shape array (a CArray): never larger than the array.
pub fn fixed_array_chunkshape(shape: &[usize], itemsize: usize) -> Vec<usize> {
    let expected = shape.first().copied().unwrap_or(1) as u64;
    array_chunkshape(shape, expected, itemsize).iter().zip(shape).map(|(&c, &d)| c.min(d.max(1))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_pytables() {
        // Values PyTables 3.11 picks (checked with `create_table`/`create_carray`).
        assert_eq!(table_chunk_rows(10_000, 45), 1456);
        assert_eq!(table_chunk_rows(10_000_000, 28), 9362);
        assert_eq!(array_chunkshape(&[10_000_000], 10_000_000, 8), vec![16384]);
        assert_eq!(array_chunkshape(&[0, 3], 1000, 8), vec![2730, 3]);
    }
}
