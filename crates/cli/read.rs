//! `outcore read FILE:/node`: a leaf's rows printed or exported (the job of PyTables' `ptdump
//! -d`), a slab of about 1 MiB at a time through the library's range reads, so memory stays
//! flat however long the leaf.

use std::path::{Path, PathBuf};

use clap::Args;
use outcore::h5::{File, Kind, Layout, Leaf, Mode};
use outcore::RowRange;
use serde_json::Value as J;

use crate::format::{self, RecordPrinter, Style};
use crate::npy::{self, Npy};
use crate::{split_target, usage, Fail};

#[derive(Args)]
pub struct ReadArgs {
    /// FILE:/path of the leaf: a table, an Array, a CArray, an EArray or a VLArray.
    target: String,
    /// First row (of the first dimension) to read (Python's slice rules: negative counts from
    /// the end; default 0).
    #[arg(long, allow_hyphen_values = true)]
    start: Option<i64>,
    /// Row to stop before (default: the end).
    #[arg(long, allow_hyphen_values = true)]
    stop: Option<i64>,
    /// Read every STEP-th row (default 1).
    #[arg(long, allow_hyphen_values = true)]
    step: Option<i64>,
    /// One column of a table, nested ones as `a/b` (default: whole records).
    #[arg(long)]
    field: Option<String>,
    /// Print one JSON array of the rows, as `query --read --json` (default: text).
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV with a header line (default: text).
    #[arg(long)]
    csv: bool,
    /// Write the rows to a .npy file NumPy loads (`np.load`) instead of printing them: the
    /// leaf's dtype and shape, a table's records as PyTables' `Table.read()` returns them, or
    /// the column's with --field (default: print).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["json", "csv"])]
    npy: Option<PathBuf>,
}

/// Bytes read per slab (at least one row is).
const SLAB_BYTES: usize = 1 << 20;

/// The leaf at `path`: a missing node is the library's "no node" (with its suggestion), a
/// group says it is one.
fn open_leaf(f: &File, file: &Path, path: &str) -> Result<Leaf, Fail> {
    match f.leaf(path) {
        Ok(l) => Ok(l),
        Err(e) if f.node_exists(path) && f.group(path).is_ok() => {
            let _ = e;
            Err(Fail(1, format!("{}:{path}: is a group; read reads a leaf (a table or an array)", file.display())))
        }
        Err(e) => Err(e.into()),
    }
}

/// What in a kind cannot be read: variable-length values, references...
fn unreadable(kind: &Kind) -> Option<String> {
    match kind {
        Kind::Other(what) => Some(what.clone()),
        Kind::Array(k, _) => unreadable(k),
        Kind::Record(fields) => fields.iter().find_map(|f| unreadable(&f.kind)),
        _ => None,
    }
}

/// Turns values stored in the other byte order into this machine's, in place.
fn swap(kind: &Kind, data: &mut [u8]) {
    let size = kind.size();
    if size == 0 {
        return;
    }
    match kind {
        Kind::Int { .. } | Kind::Float { .. } => data.chunks_exact_mut(size).for_each(<[u8]>::reverse),
        Kind::Complex { .. } => data.chunks_exact_mut(size / 2).for_each(<[u8]>::reverse),
        Kind::Array(k, _) => swap(k, data),
        _ => {}
    }
}

/// The JSON of one row: a value, or values nested by the leaf's inner dimensions.
fn row_json(kind: &Kind, width: usize, inner: &[usize], row: &[u8]) -> J {
    match inner {
        [] => format::value_json(kind, row),
        [n, rest @ ..] => {
            let sub = rest.iter().product::<usize>() * width;
            J::from(
                (0..*n)
                    .map(|i| row_json(kind, width, rest, row.get(i * sub..(i + 1) * sub).unwrap_or(&[])))
                    .collect::<Vec<_>>(),
            )
        }
    }
}

/// Where the rows go.
enum Sink {
    /// A table's records or one of its columns, as `query --read` prints them.
    Records(RecordPrinter),
    /// An array's rows: text, one JSON array (or its one value, for a scalar) or CSV.
    Rows {
        style: Style,
        /// Rows printed so far.
        n: usize,
    },
    Npy(Npy),
}

/// What every row shares: its elements' kind and width, and the inner dimensions.
struct Rows<'a> {
    kind: &'a Kind,
    width: usize,
    inner: &'a [usize],
}

impl Sink {
    fn rows(&mut self, r: &Rows<'_>, data: &[u8], n: usize) -> Result<(), Fail> {
        let row_bytes = r.inner.iter().product::<usize>() * r.width;
        match self {
            Sink::Npy(w) => return w.write(data, n as u64).map_err(|e| npy_err(w.path(), e)),
            Sink::Records(p) => {
                for i in 0..n {
                    p.item(&format::value_json(r.kind, data.get(i * row_bytes..(i + 1) * row_bytes).unwrap_or(&[])));
                }
            }
            Sink::Rows { style, n: done } => {
                for i in 0..n {
                    let row = data.get(i * row_bytes..(i + 1) * row_bytes).unwrap_or(&[]);
                    match style {
                        Style::Csv => {
                            let cells: Vec<String> = (0..row_bytes.checked_div(r.width).unwrap_or(0))
                                .map(|k| {
                                    format::cell(&format::value_json(
                                        r.kind,
                                        row.get(k * r.width..(k + 1) * r.width).unwrap_or(&[]),
                                    ))
                                })
                                .collect();
                            outln!("{}", cells.join(","));
                        }
                        Style::JsonLines => outln!("{}", row_json(r.kind, r.width, r.inner, row)),
                        Style::Json => {
                            out!("{}{}", if *done == 0 { "[" } else { "," }, row_json(r.kind, r.width, r.inner, row))
                        }
                        Style::Text => outln!("{}", format::row_text(&row_json(r.kind, r.width, r.inner, row))),
                    }
                    *done += 1;
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<(), Fail> {
        match self {
            Sink::Records(p) => p.finish(),
            Sink::Rows { style: Style::Json, n } => outln!("{}", if n == 0 { "[]" } else { "]" }),
            Sink::Rows { .. } => {}
            Sink::Npy(w) => {
                let path = w.path().to_path_buf();
                let shape = w.finish().map_err(|e| npy_err(&path, e))?;
                outln!("wrote {} {}", path.display(), npy::py_tuple(&shape));
            }
        }
        Ok(())
    }
}

pub(crate) fn npy_err(path: &Path, e: std::io::Error) -> Fail {
    Fail(1, format!("{}: {e}", path.display()))
}

/// A .npy writer for elements of `kind` (`width` bytes each) in an array of `shape`, or of
/// rows of `shape[1..]` counted as they come (`shape[0]` is `None`).
pub(crate) fn npy_for(
    path: &Path,
    kind: &Kind,
    width: usize,
    rows: Option<usize>,
    inner: &[usize],
) -> Result<Npy, Fail> {
    let (descr, extra) = npy::descr_sized(kind, Some(width))
        .map_err(|e| Fail(1, format!("{}: cannot be written as .npy: {e}", path.display())))?;
    let unit = width.checked_div(extra.iter().product::<usize>()).unwrap_or(0);
    let mut inner = inner.to_vec();
    inner.extend(extra);
    let shape = match rows {
        Some(n) => npy::Shape::Known(std::iter::once(n).chain(inner).collect()),
        None => npy::Shape::Rows(inner),
    };
    Npy::create(path, descr, unit, shape).map_err(|e| npy_err(path, e))
}

pub fn run(a: ReadArgs) -> Result<(), Fail> {
    let (file, path) = split_target(&a.target)?;
    let f = File::open(&file, Mode::Read)?;
    let leaf = open_leaf(&f, &file, &path)?;
    let node = |msg: String| Fail(1, format!("{}:{}: {msg}", file.display(), leaf.path()));
    if leaf.class() == outcore::h5::LeafClass::VLArray {
        return vlarray(&a, &leaf, &file);
    }
    let layout: Layout = leaf.layout()?;
    if let Some(what) = unreadable(&layout.kind) {
        return Err(node(format!("holds values of type {what}, which outcore cannot read")));
    }
    let shape = leaf.shape();
    let table = matches!(layout.kind, Kind::Record(_)) && shape.len() == 1;
    let (kind, offset, width) = match &a.field {
        None => (layout.kind.clone(), 0, layout.size),
        Some(name) => {
            if !matches!(layout.kind, Kind::Record(_)) {
                return Err(usage(format!(
                    "--field {name}: {}:{} is an array, not a table",
                    file.display(),
                    leaf.path()
                )));
            }
            let (offset, k) = layout
                .field(name)
                .ok_or_else(|| node(format!("no column `{name}` (columns: {})", layout.columns().join(", "))))?;
            (k.clone(), offset, k.size())
        }
    };
    let swapped = !matches!(layout.kind, Kind::Record(_)) && leaf.swapped();
    let base = leaf.path().rsplit('/').next().unwrap_or("").to_string();
    let style = if a.json {
        Style::Json
    } else if a.csv {
        Style::Csv
    } else {
        Style::Text
    };

    // A scalar (rank 0) leaf: its one value.
    if shape.is_empty() {
        if a.start.is_some() || a.stop.is_some() || a.step.is_some() {
            return Err(usage(format!(
                "{}:{} is a scalar; --start, --stop and --step need rank 1 or more",
                file.display(),
                leaf.path()
            )));
        }
        let mut data = leaf.read_bytes()?;
        if swapped {
            swap(&kind, &mut data);
        }
        let mut sink = match &a.npy {
            Some(p) => {
                let (descr, extra) = npy::descr_sized(&kind, Some(width))
                    .map_err(|e| Fail(1, format!("{}: cannot be written as .npy: {e}", p.display())))?;
                let unit = width.checked_div(extra.iter().product::<usize>()).unwrap_or(0);
                Sink::Npy(Npy::create(p, descr, unit, npy::Shape::Known(extra)).map_err(|e| npy_err(p, e))?)
            }
            None => {
                if style == Style::Csv {
                    outln!("{base}");
                }
                // A scalar's one value, not an array of it.
                Sink::Rows { style: if style == Style::Json { Style::JsonLines } else { style }, n: 0 }
            }
        };
        sink.rows(&Rows { kind: &kind, width, inner: &[] }, &data, 1)?;
        return sink.finish();
    }

    let (first, step, n) = RowRange::new(a.start, a.stop, a.step).resolve(shape[0]).map_err(|e| node(e.to_string()))?;
    let inner = &shape[1..];
    let per_row: usize = inner.iter().product();
    let slab = (SLAB_BYTES / (per_row * layout.size).max(1)).max(1);
    let mut sink = match &a.npy {
        Some(p) => Sink::Npy(npy_for(p, &kind, width, Some(n), inner)?),
        None if table => Sink::Records(RecordPrinter::new(&layout, a.field.as_deref(), style)),
        None => {
            if style == Style::Csv {
                outln!("{}", csv_header(&base, inner).join(","));
            }
            Sink::Rows { style, n: 0 }
        }
    };
    let rows = Rows { kind: &kind, width, inner };
    let (mut pos, mut field) = (0, Vec::new());
    while pos < n {
        let k = slab.min(n - pos);
        let mut raw = leaf.read_rows(first + pos * step, step, k)?;
        let data = if a.field.is_some() {
            layout.extract(&raw, offset, width, &mut field);
            &mut field
        } else {
            &mut raw
        };
        if swapped {
            swap(&kind, data);
        }
        sink.rows(&rows, data, k)?;
        pos += k;
    }
    sink.finish()
}

/// A VLArray's rows: numeric ones as arrays of their values, byte strings and unicode as
/// text (bytes that are not UTF-8 shown as U+FFFD), pickled objects as their bytes in hex.
fn vlarray(a: &ReadArgs, leaf: &Leaf, file: &Path) -> Result<(), Fail> {
    use outcore::h5::VlAtom;
    let node = |msg: String| Fail(1, format!("{}:{}: {msg}", file.display(), leaf.path()));
    if a.field.is_some() {
        return Err(usage(format!("--field: {}:{} is a VLArray, not a table", file.display(), leaf.path())));
    }
    if let Some(p) = &a.npy {
        return Err(usage(format!(
            "--npy {}: the rows of {}:{} vary in length, and a .npy file holds one shape",
            p.display(),
            file.display(),
            leaf.path()
        )));
    }
    let atom = leaf.vl_atom()?;
    let (first, step, n) =
        RowRange::new(a.start, a.stop, a.step).resolve(leaf.vl_nrows()).map_err(|e| node(e.to_string()))?;
    let style = if a.json {
        Style::Json
    } else if a.csv {
        outln!("{}", leaf.path().rsplit('/').next().unwrap_or(""));
        Style::Csv
    } else {
        Style::Text
    };
    let value = |row: &[u8]| -> Result<J, Fail> {
        Ok(match &atom {
            VlAtom::Bytes => J::from(String::from_utf8_lossy(row).into_owned()),
            VlAtom::Unicode => J::from(outcore::h5::unicode_row(row).map_err(|e| node(e.to_string()))?),
            VlAtom::Object => J::from(row.iter().map(|b| format!("{b:02x}")).collect::<String>()),
            VlAtom::Values(kind) => {
                let size = kind.size().max(1);
                J::from(row.chunks_exact(size).map(|e| format::value_json(kind, e)).collect::<Vec<_>>())
            }
        })
    };
    // A batch of rows at a time: the rows' lengths are the file's, so memory follows them.
    const BATCH: usize = 4096;
    let mut pos = 0;
    while pos < n {
        let k = BATCH.min(n - pos);
        for (i, row) in leaf.vl_rows(first + pos * step, step, k)?.iter().enumerate() {
            let v = value(row)?;
            match style {
                Style::Json => out!("{}{v}", if pos + i == 0 { "[" } else { "," }),
                Style::Csv => outln!("{}", format::cell(&v)),
                _ => outln!("{}", format::row_text(&v)),
            }
        }
        pos += k;
    }
    if style == Style::Json {
        outln!("{}", if n == 0 { "[]" } else { "]" });
    }
    Ok(())
}

/// The CSV header of an array's rows: its name, indexed by position in the row for rank 2
/// and more (`a[0],a[1]`, `a[0][0],a[0][1]`).
fn csv_header(name: &str, inner: &[usize]) -> Vec<String> {
    let mut out = vec![name.to_string()];
    for &d in inner {
        out = out.iter().flat_map(|p| (0..d).map(move |i| format!("{p}[{i}]"))).collect();
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_headers_index_the_inner_dimensions() {
        assert_eq!(super::csv_header("a", &[]), ["a"]);
        assert_eq!(super::csv_header("a", &[2]), ["a[0]", "a[1]"]);
        assert_eq!(super::csv_header("a", &[2, 2]), ["a[0][0]", "a[0][1]", "a[1][0]", "a[1][1]"]);
    }
}
