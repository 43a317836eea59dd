//! The `outcore` command: list and inspect HDF5 files, evaluate expressions over them, run
//! queries on their tables, write benchmark files, and print an expression's program.
//!
//! ```text
//! outcore ls data.h5
//! outcore info data.h5:/t
//! outcore read data.h5:/t --start 10 --stop 20 --field col2
//! outcore repack data.h5 small.h5 --complevel 5 --complib zlib
//! outcore eval data.h5 'a*b+c' --out data.h5:/out --overwrite
//! outcore query data.h5:/t '(col1 < lim) & (col2 > 0.5)' --var lim=42 --count
//! outcore gen bench.h5 --rows 1000000 --filters zlib
//! outcore compile 'a*b + c' a:float64 b:float64 c:float64
//! ```
//!
//! Exit status: 0 on success, 1 for a runtime error (a file, a node, a damaged chunk), 2 for
//! a usage or expression error (expression errors are printed with a caret).

#[macro_use]
mod out;
mod bench;
mod format;
mod npy;
mod read;
mod repack;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use outcore::h5::{Complib, File, Filters, LeafClass, Mode, Node, NodeClass};
use outcore::raw::expr::{compile, DType, VarInfo};
use outcore::{Array, Error, Expr, IntoOperand, Operand, RowRange, Table, Value};

#[derive(Parser)]
#[command(name = "outcore", version, about = "Compiled expressions and in-kernel queries over HDF5 files")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Prints a completion script for a shell (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  outcore completions bash > ~/.local/share/bash-completion/completions/outcore\n  outcore completions zsh > ~/.zfunc/_outcore\n  outcore completions fish > ~/.config/fish/completions/outcore.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Lists every node of a file: path, class, shape, type or columns, chunks, filters, title.
    #[command(
        after_help = "Examples:\n  outcore ls data.h5\n  outcore ls data.h5 --all\n  outcore ls data.h5 --json | jq .path"
    )]
    Ls {
        /// The HDF5 file.
        file: PathBuf,
        /// One JSON object per node, one per line (JSON Lines).
        #[arg(long)]
        json: bool,
        /// Also list PyTables' hidden nodes (indexes `_i_*`, `_p_*`), as ptdump does.
        #[arg(long)]
        all: bool,
    },
    /// Shows one node in full, attributes included (FILE:/path).
    #[command(after_help = "Examples:\n  outcore info data.h5:/t\n  outcore info data.h5:/grp/array --json")]
    Info {
        /// FILE:/path of the node.
        target: String,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Prints a leaf's rows (FILE:/path): a table's records or one column, an array's rows.
    ///
    /// As PyTables' `ptdump -d`: text, one row per line (a table's records as JSON objects, an
    /// array's values separated by spaces, one line per index of its first dimension), JSON
    /// Lines or CSV; or a .npy file NumPy loads with `--npy`. Rows are read a slab at a time,
    /// so memory stays flat however large the leaf.
    #[command(
        after_help = "Examples:\n  outcore read data.h5:/t --start 0 --stop 10\n  outcore read data.h5:/t --field location/lat --step 100 --csv\n  outcore read data.h5:/grp/carray --json | head\n  outcore read data.h5:/t --npy t.npy && python -c 'import numpy; print(numpy.load(\"t.npy\")[:3])'"
    )]
    Read(read::ReadArgs),
    /// Copies a file, or some of its nodes, with new filters and chunk shapes (PyTables' ptrepack).
    ///
    /// Every leaf outcore reads (Tables with nested columns, Arrays, CArrays, EArrays, which
    /// stay extendable) and every group is copied with its title and all its attributes, as
    /// stored. Chunks are copied as they are when a leaf keeps its chunk shape and filters,
    /// otherwise decoded and encoded again on all cores a slab at a time, so memory stays flat.
    /// With no filter option every leaf keeps its filters (ptrepack's documented default). A table's chunk
    /// statistics (`outcore index`) are copied, or built again for new chunks; PyTables'
    /// indexes are rebuilt with --propindexes (as completely sorted full indexes), else not
    /// copied; VLArrays are copied row by row.
    #[command(
        after_help = "Examples:\n  outcore repack data.h5 small.h5 --complevel 5 --complib zlib --shuffle\n  outcore repack data.h5:/grp out.h5:/grp --complevel 1 --complib blosc:lz4 --chunkshape auto\n  outcore repack data.h5:/t out.h5:/t --chunkshape 65536 --overwrite\n  outcore repack data.h5 copy.h5 --propindexes"
    )]
    Repack(repack::RepackArgs),
    /// Evaluates an expression over a file's arrays and columns.
    ///
    /// Bare names are nodes under `/`; `--bind` names other arrays and table columns, `--var`
    /// gives scalars. The result is printed one value per line, or written chunk by chunk to
    /// a node of a file with `--out`. Expressions may start with `-`.
    #[command(
        after_help = "Examples:\n  outcore eval data.h5 'sum(a*b+c)'\n  outcore eval data.h5 'a*b+c' --out data.h5:/r --overwrite\n  outcore eval data.h5 'a*b+c' --npy r.npy\n  outcore eval data.h5 'lat*k' --bind lat=/t.location/lat --var k=3 --range 0:1000:2"
    )]
    Eval(EvalArgs),
    /// Runs a query on a table (FILE:/table): counts, row numbers, rows, or an append.
    ///
    /// The condition is PyTables' (`(col1 < lim) & (col2 > 0.5)`): the table's columns by name
    /// and `--var` scalars.
    #[command(
        after_help = "Examples:\n  outcore query data.h5:/t '(col4 >= lo) & (col4 < hi)' --var lo=20 --var hi=30 --count\n  outcore query data.h5:/t 'col1 < 42' --read --field col2 --csv\n  outcore query data.h5:/t 'col1 < 42' --coords --npy hits.npy\n  outcore query data.h5:/t 'col1 < 42' --read --npy rows.npy\n  outcore query data.h5:/t 'col1 < 42' --append-to out.h5:/hits"
    )]
    Query(QueryArgs),
    /// Writes chunk statistics or PyTables indexes of a table's columns, so that queries read
    /// less (FILE:/table).
    ///
    /// `--kind stats` (the default): for every chunk and column, the smallest and largest value
    /// and whether a NaN occurs, stored in the hidden node `_p_outcore_zones_<table>` beside the
    /// table (PyTables and h5py leave it alone). A query then reads only the chunks its
    /// condition can match: on sorted or clustered columns (time, id) that is a small part of
    /// the table. outcore's appends keep them current; after another program appends or
    /// removes rows they are ignored until this runs again.
    ///
    /// `--kind full`: a completely sorted PyTables index of each column named (what PyTables'
    /// `create_csindex` writes, in `_i_<table>`), replacing any index it had. PyTables uses it
    /// for its queries, and so does outcore: a query of a few rows reads those rows only.
    #[command(
        after_help = "Examples:\n  outcore index data.h5:/t\n  outcore index data.h5:/t --columns time,id\n  outcore index data.h5:/t --columns energy --kind full\n  outcore query data.h5:/t '(time >= 100) & (time < 200)' --explain"
    )]
    Index {
        /// FILE:/path of the table.
        target: String,
        /// The columns, comma-separated (default for `stats`: every boolean, integer and float
        /// column; `full` needs them named).
        #[arg(long, value_delimiter = ',')]
        columns: Vec<String>,
        /// What to build: `stats` (chunk statistics) or `full` (PyTables' completely sorted
        /// index of each column).
        #[arg(long, default_value = "stats", value_parser = ["stats", "full"])]
        kind: String,
    },
    /// Writes a benchmark file: the layout of ../shared/bench/peers.py gen.
    #[command(
        after_help = "Examples:\n  outcore gen bench.h5 --rows 10000000 --filters zlib\n  outcore gen fast.h5 --rows 10000000 --filters blosc2:lz4\n  outcore gen small.h5 --rows 1000"
    )]
    Gen {
        /// The file to write (replaced if it exists).
        file: PathBuf,
        /// Rows of the table and elements of each array.
        #[arg(long, default_value_t = 10_000_000)]
        rows: usize,
        /// none, or a compression library at level 5 with shuffling: zlib, blosc, blosc2, lzf,
        /// blosc:lz4, blosc2:zstd, ... (PyTables' names).
        #[arg(long, default_value = "none")]
        filters: String,
    },
    /// Runs peers.py's workloads on a benchmark file (see `gen`).
    #[command(after_help = "Examples:\n  outcore bench bench.h5\n  outcore bench bench.h5 --workloads Q1,E1 --json")]
    Bench {
        /// A file written by `outcore gen` (or peers.py gen).
        file: PathBuf,
        /// Comma-separated: Q1,Q2,Q3,Q4,Q5,E1,NAIVE,M1..M5 (default: all).
        #[arg(long, value_delimiter = ',')]
        workloads: Vec<String>,
        /// peers.py's JSON keys, one object per workload and line.
        #[arg(long)]
        json: bool,
        /// Runs per workload; the best is reported (peers.py takes the best of 3).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
    },
    /// Cuts a table or an EArray back to the rows written in full (FILE:/node).
    ///
    /// After an append that failed part way (a full disk, a quota) by a program that used
    /// outcore's library, the file may hold an extent or chunk index ahead of the rows on disk,
    /// which read as zeros. This keeps the rows up to the first chunk missing from the index.
    /// (`query --append-to` and Python's `append_where` do it themselves.)
    #[command(after_help = "Examples:\n  outcore repair data.h5:/dest")]
    Repair {
        /// FILE:/path of the table or EArray.
        target: String,
    },
    /// Prints the compiled program of an expression for variables NAME:TYPE[=scalar].
    #[command(
        after_help = "Examples:\n  outcore compile 'a*b+c' a:float64 b:float64 c:float64\n  outcore compile 'where(x > k, x, 0)' x:int32 k:int32=3"
    )]
    Compile {
        /// The expression (may start with `-`).
        #[arg(allow_hyphen_values = true)]
        expr: String,
        /// NAME:TYPE or NAME:TYPE=VALUE (a scalar); types bool, int32, int64, float32,
        /// float64, complex128, bytesN.
        vars: Vec<String>,
    },
}

#[derive(Args)]
struct EvalArgs {
    /// The HDF5 file whose nodes the expression names.
    file: PathBuf,
    /// The expression (numexpr's language; may start with `-`).
    #[arg(allow_hyphen_values = true)]
    expr: String,
    /// NAME=/path, NAME=/table.column or NAME=/table.nested/column.
    #[arg(long = "bind")]
    binds: Vec<String>,
    /// NAME=VALUE: an integer, a float, true/false, or b'bytes'.
    #[arg(long = "var")]
    vars: Vec<String>,
    /// START:STOP:STEP of the main dimension (any part may be empty).
    #[arg(long, allow_hyphen_values = true)]
    range: Option<String>,
    /// Write the result to FILE:/path instead of printing it.
    #[arg(long)]
    out: Option<String>,
    /// With --out: replace the node if it exists (default: an existing node is an error).
    #[arg(long)]
    overwrite: bool,
    /// Print the result as JSON (one array, nested by dimension).
    #[arg(long)]
    json: bool,
    /// Write the result to a .npy file NumPy loads (`np.load`) instead of printing it: the
    /// result's dtype and shape, streamed (default: print).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["json", "out"])]
    npy: Option<PathBuf>,
}

#[derive(Args)]
struct QueryArgs {
    /// FILE:/path of the table.
    target: String,
    /// The condition (may start with `-`, e.g. `-col1 > 3`).
    #[arg(allow_hyphen_values = true)]
    cond: String,
    /// NAME=VALUE: a condition variable (an integer, a float, true/false, or b'bytes').
    #[arg(long = "var")]
    vars: Vec<String>,
    /// First row to scan (Python's slice rules: negative counts from the end; default 0).
    #[arg(long, allow_hyphen_values = true)]
    start: Option<i64>,
    /// Row to stop before (default: the end).
    #[arg(long, allow_hyphen_values = true)]
    stop: Option<i64>,
    /// Scan every STEP-th row (default 1).
    #[arg(long, allow_hyphen_values = true)]
    step: Option<i64>,
    /// Print how many rows match (one of --count, --coords, --read, --append-to, --explain is needed).
    #[arg(long, group = "what")]
    count: bool,
    /// Print what the query would read (rows and chunks, whether PyTables' indexes or chunk
    /// statistics rule some out) without running it.
    #[arg(long, group = "what")]
    explain: bool,
    /// Do not use the table's PyTables indexes (scan every chunk the statistics leave).
    #[arg(long)]
    no_index: bool,
    /// Print the matching row numbers, one per line.
    #[arg(long, group = "what")]
    coords: bool,
    /// Print the matching rows (or one column with --field).
    #[arg(long, group = "what")]
    read: bool,
    /// With --read: one column.
    #[arg(long, requires = "read")]
    field: Option<String>,
    /// Append the matching rows to FILE:/dest (created like the table if missing).
    #[arg(long, group = "what")]
    append_to: Option<String>,
    /// Print JSON: one array of numbers, rows or values.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV with a header line (with --read).
    #[arg(long)]
    csv: bool,
    /// With --coords or --read: write the result to a .npy file NumPy loads (`np.load`)
    /// instead of printing it: the row numbers as int64, or the records (the column with
    /// --field) as PyTables' `read_where` returns them (default: print).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["json", "csv"])]
    npy: Option<PathBuf>,
}

/// A progress bar on stderr when it is a terminal (nothing when piped), and the callback
/// that moves it.
pub(crate) fn progress_bar(what: &str) -> (indicatif::ProgressBar, outcore::Progress) {
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg:>10} [{bar:40}] {percent:>3}% {elapsed}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    let b = bar.clone();
    let p = outcore::Progress::new(move |done, total| {
        b.set_length(total);
        b.set_position(done);
    });
    (bar, p)
}

/// A failure and its exit status.
pub(crate) struct Fail(pub u8, pub String);

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        let code = if matches!(e, Error::Expr(_)) { 2 } else { 1 };
        Fail(code, e.to_string())
    }
}

impl From<outcore::h5::Error> for Fail {
    fn from(e: outcore::h5::Error) -> Fail {
        Fail(1, e.to_string())
    }
}

fn usage(msg: impl Into<String>) -> Fail {
    Fail(2, msg.into())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Ls { file, json, all } => ls(&file, json, all),
        Cmd::Info { target, json } => info(&target, json),
        Cmd::Read(a) => read::run(a),
        Cmd::Repack(a) => repack::run(a),
        Cmd::Eval(a) => eval(a),
        Cmd::Query(a) => query(a),
        Cmd::Index { target, columns, kind } => index(&target, &columns, &kind),
        Cmd::Gen { file, rows, filters } => gen(&file, rows, &filters),
        Cmd::Bench { file, workloads, json, repeat } => {
            let w = if workloads.is_empty() { bench::ALL.iter().map(|s| s.to_string()).collect() } else { workloads };
            bench::run(&file, &w, json, repeat as usize)
        }
        Cmd::Compile { expr, vars } => compile_cmd(&expr, &vars),
        Cmd::Repair { target } => repair(&target),
        Cmd::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "outcore", &mut script);
            out!("{}", String::from_utf8_lossy(&script));
            Ok(())
        }
    };
    out::flush();
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(code, msg)) => {
            eprintln!("{}", msg.trim_end());
            ExitCode::from(code)
        }
    }
}

/// Whether two paths name one file (the same path, or the same inode through a symlink, a
/// hard link or another spelling): it is then opened once, for writing.
fn is_same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    a == b
        || match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
}

/// `FILE:/path` → (file, path).
fn split_target(t: &str) -> Result<(PathBuf, String), Fail> {
    match t.rfind(":/") {
        Some(i) => Ok((PathBuf::from(&t[..i]), t[i + 1..].to_string())),
        None => Err(usage(format!("`{t}`: expected FILE:/path"))),
    }
}

/// Whether a node is hidden in PyTables' listings: one of its path's names starts with `_i_`
/// (an index) or `_p_` (PyTables' other hidden nodes).
fn hidden(path: &str) -> bool {
    path.split('/').any(|n| n.starts_with("_i_") || n.starts_with("_p_"))
}

fn ls(file: &Path, json: bool, all: bool) -> Result<(), Fail> {
    let f = File::open(file, Mode::Read)?;
    let mut rows = Vec::new();
    for node in f.walk()? {
        if !all && hidden(&node.path) {
            continue;
        }
        let (dtype, filters) = match node.class {
            NodeClass::Group => (String::new(), String::new()),
            NodeClass::Leaf(_) => match f.leaf(&node.path) {
                Ok(leaf) if leaf.class() == LeafClass::VLArray => {
                    (leaf.vl_atom().map(|a| a.text()).unwrap_or_default(), leaf.filters_text())
                }
                Ok(leaf) => {
                    (leaf.layout().map(|l| format::kind_text(&l.kind)).unwrap_or_default(), leaf.filters_text())
                }
                Err(_) => (String::new(), String::new()),
            },
        };
        let class = match node.class {
            NodeClass::Group => "Group".to_string(),
            NodeClass::Leaf(c) => format!("{c:?}"),
        };
        rows.push((node, class, dtype, filters));
    }
    if json {
        for (node, class, dtype, filters) in rows {
            let v = serde_json::json!({
                "path": node.path, "class": class, "shape": node.shape, "dtype": dtype,
                "chunkshape": node.chunks, "filters": filters, "title": node.title,
            });
            outln!("{v}");
        }
        return Ok(());
    }
    for (node, class, dtype, filters) in rows {
        let shape = node.shape.map(|s| format!("{s:?}")).unwrap_or_default();
        let chunks = node.chunks.map(|s| format!("chunks {s:?}")).unwrap_or_default();
        let title = if node.title.is_empty() { String::new() } else { format!("  \"{}\"", node.title) };
        outln!("{:<28} {:<8} {:<14} {} {} {}{}", node.path, class, shape, dtype, chunks, filters, title);
    }
    Ok(())
}

fn info(target: &str, json: bool) -> Result<(), Fail> {
    let (file, path) = split_target(target)?;
    let f = File::open(&file, Mode::Read)?;
    let out = match f.root()?.child(path.trim_start_matches('/')).or_else(|_| {
        if path == "/" {
            f.root().map(Node::Group)
        } else if f.node_exists(&path) {
            f.leaf(&path).map(Node::Leaf).or_else(|_| f.group(&path).map(Node::Group))
        } else {
            Err(f.missing(&path))
        }
    })? {
        Node::Group(g) => serde_json::json!({
            "path": g.path(), "class": "Group", "title": g.title(), "children": g.children()?,
            "attrs": format::attrs_json(&g.attrs()?),
        }),
        Node::Leaf(l) if l.class() == LeafClass::VLArray => serde_json::json!({
            "path": l.path(), "class": "VLArray", "title": l.title(),
            "shape": l.shape(), "chunkshape": l.chunk_shape(), "filters": l.filters_text(),
            "atom": l.vl_atom()?.text(), "nrows": l.vl_nrows(),
            "attrs": format::attrs_json(&l.attrs()?),
        }),
        Node::Leaf(l) => {
            let layout = l.layout()?;
            let mut v = serde_json::json!({
                "path": l.path(), "class": format!("{:?}", l.class()), "title": l.title(),
                "shape": l.shape(), "chunkshape": l.chunk_shape(), "filters": l.filters_text(),
                "dtype": format::kind_text(&layout.kind), "itemsize": layout.size,
                "columns": layout.columns(),
                "attrs": format::attrs_json(&l.attrs()?),
            });
            // A table's PyTables indexes: each column's kind, or why outcore does not use it.
            let cols = l.pytables_indexed_columns()?;
            if !cols.is_empty() {
                let mut ix = serde_json::Map::new();
                for c in cols {
                    let what = match l.pytables_index(&c)? {
                        outcore::h5::Lookup::Found(i) => format!(
                            "{}, optlevel {}{}, {} rows",
                            i.kind(),
                            i.optlevel(),
                            if i.is_csi() { ", completely sorted" } else { "" },
                            i.nelements()
                        ),
                        outcore::h5::Lookup::Ignored(why) => format!("not used: {why}"),
                        outcore::h5::Lookup::Absent => "not read by outcore".to_string(),
                    };
                    ix.insert(c, serde_json::Value::String(what));
                }
                v["indexes"] = serde_json::Value::Object(ix);
            }
            v
        }
    };
    if json {
        outln!("{out}");
    } else {
        match out.as_object() {
            Some(obj) => {
                for (k, v) in obj {
                    outln!("{k:<11} {v}");
                }
            }
            None => outln!("{out}"),
        }
    }
    Ok(())
}

/// Every `--var NAME=VALUE`, each name once.
fn parse_vars(specs: &[String]) -> Result<Vec<(String, Value)>, Fail> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for spec in specs {
        let (name, value) = parse_var(spec)?;
        if out.iter().any(|(n, _)| *n == name) {
            return Err(usage(format!("`--var {spec}`: `{name}` is given twice")));
        }
        out.push((name, value));
    }
    Ok(out)
}

/// `NAME=VALUE` → a scalar: an integer (int32 when it fits, else int64), a float, a bool,
/// or `b'bytes'`.
fn parse_var(spec: &str) -> Result<(String, Value), Fail> {
    let (name, v) = spec.split_once('=').ok_or_else(|| usage(format!("`{spec}`: expected NAME=VALUE")))?;
    let ident = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ident {
        return Err(usage(format!(
            "`{spec}`: `{name}` is not a variable name (letters, digits and _, not first a digit)"
        )));
    }
    if name.starts_with("__") {
        return Err(usage(format!("`{spec}`: names starting with `__` are reserved")));
    }
    let value = if let Some(b) = v.strip_prefix("b'").and_then(|s| s.strip_suffix('\'')) {
        Value::Bytes(b.as_bytes().to_vec())
    } else if let Ok(i) = v.parse::<i64>() {
        match i32::try_from(i) {
            Ok(i) => Value::Int32(i),
            Err(_) => Value::Int64(i),
        }
    } else if let Ok(x) = v.parse::<f64>() {
        Value::Float64(x)
    } else if v == "true" || v == "True" {
        Value::Bool(true)
    } else if v == "false" || v == "False" {
        Value::Bool(false)
    } else {
        return Err(usage(format!("`{spec}`: `{v}` is not a number, true/false or b'bytes'")));
    };
    Ok((name.to_string(), value))
}

/// `START:STOP:STEP` → a range (empty parts are absent).
fn parse_range(s: &str) -> Result<RowRange, Fail> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() > 3 {
        return Err(usage(format!("`{s}`: expected START:STOP:STEP")));
    }
    let num = |i: usize| -> Result<Option<i64>, Fail> {
        match parts.get(i).map(|p| p.trim()) {
            None | Some("") => Ok(None),
            Some(p) => p.parse().map(Some).map_err(|_| usage(format!("`{s}`: `{p}` is not an integer"))),
        }
    };
    Ok(RowRange::new(num(0)?, num(1)?, num(2)?))
}

fn eval(a: EvalArgs) -> Result<(), Fail> {
    let same_file = a.out.as_ref().map(|o| split_target(o)).transpose()?;
    let writes_here = same_file.as_ref().is_some_and(|(f, _)| is_same_file(f, &a.file));
    let f = File::open(&a.file, if writes_here { Mode::Append } else { Mode::Read })?;
    let mut e = Expr::new(&a.expr)?;
    for b in &a.binds {
        let (name, path) = b.split_once('=').ok_or_else(|| usage(format!("`{b}`: expected NAME=/path")))?;
        e = match path.split_once('.') {
            Some((table, col)) => e.bind(name, &f.leaf(table)?.col(col)?)?,
            None => e.bind(name, &f.leaf(path)?)?,
        };
    }
    for (name, value) in parse_vars(&a.vars)? {
        e = e.bind(&name, value)?;
    }
    e = e.bind_group(&f.root()?)?;
    if let Some(r) = &a.range {
        let r = parse_range(r)?;
        e = e.set_inputs_range(r.start, r.stop, r.step)?;
    }
    if let Some(p) = &a.npy {
        return eval_npy(&e, p);
    }
    let Some((out_file, out_path)) = same_file else {
        let r = e.eval()?;
        if a.json {
            outln!("{}", format::array_json(&r));
        } else {
            format::print_array(&r);
        }
        return Ok(());
    };
    let of = if writes_here { None } else { Some(File::open(&out_file, Mode::Append)?) };
    let of = of.as_ref().unwrap_or(&f);
    if of.node_exists(&out_path) {
        if !a.overwrite {
            return Err(Fail(1, format!("{}:{out_path}: exists (use --overwrite)", out_file.display())));
        }
        of.remove_node(&out_path)?;
    }
    let shape = e.shape()?;
    let filters = e.input_filters();
    let (parent, name) = match out_path.rsplit_once('/') {
        Some(("", n)) => ("/", n),
        Some((p, n)) => (p, n),
        None => ("/", out_path.as_str()),
    };
    let shape = if shape.is_empty() { vec![1] } else { shape };
    let fl = filters.as_ref();
    match e.dtype()? {
        DType::Bool => of.create_carray_filled::<bool>(parent, name, &shape, None, fl, false, "")?,
        DType::Int32 => of.create_carray_filled::<i32>(parent, name, &shape, None, fl, 0, "")?,
        DType::Int64 => of.create_carray_filled::<i64>(parent, name, &shape, None, fl, 0, "")?,
        DType::Float32 => of.create_carray_filled::<f32>(parent, name, &shape, None, fl, 0.0, "")?,
        DType::Float64 => of.create_carray_filled::<f64>(parent, name, &shape, None, fl, 0.0, "")?,
        other => return Err(Fail(1, format!("cannot store a {other} result in a file yet"))),
    };
    let leaf = of.leaf(&out_path)?;
    let (bar, p) = progress_bar("eval");
    let written = e.on_progress(p).set_output(&leaf)?.eval();
    bar.finish_and_clear();
    let written = written?;
    if a.json {
        outln!(
            "{}",
            serde_json::json!({"out": format!("{}:{}", out_file.display(), written.path()), "shape": written.shape()})
        );
    } else {
        outln!("wrote {}:{} {:?}", out_file.display(), written.path(), written.shape());
    }
    Ok(())
}

/// `eval --npy`: the result's blocks streamed into a .npy file of its dtype and shape.
fn eval_npy(e: &Expr<'_>, path: &Path) -> Result<(), Fail> {
    let dtype = e.dtype()?;
    let shape = e.shape()?;
    let itemsize = match dtype {
        DType::Bool => 1,
        DType::Int32 | DType::Float32 => 4,
        DType::Int64 | DType::Float64 => 8,
        DType::Complex128 => 16,
        DType::Bytes(n) => n,
    };
    let mut w = npy::Npy::create(path, npy::dtype_descr(dtype), itemsize, npy::Shape::Known(shape))
        .map_err(|err| read::npy_err(path, err))?;
    let mut buf = Vec::new();
    for block in e.iter()? {
        let block = block?;
        buf.clear();
        fn put<T: Copy, const N: usize>(buf: &mut Vec<u8>, a: &ndarray::ArrayD<T>, bytes: impl Fn(T) -> [u8; N]) {
            buf.extend(a.iter().flat_map(|&x| bytes(x)));
        }
        match &block {
            Array::Bool(a) => put(&mut buf, a, |x| [x as u8]),
            Array::Int32(a) => put(&mut buf, a, i32::to_ne_bytes),
            Array::Int64(a) => put(&mut buf, a, i64::to_ne_bytes),
            Array::Float32(a) => put(&mut buf, a, f32::to_ne_bytes),
            Array::Float64(a) => put(&mut buf, a, f64::to_ne_bytes),
            Array::Complex128(a) => {
                buf.extend(a.iter().flat_map(|c| [c.re.to_ne_bytes(), c.im.to_ne_bytes()]).flatten())
            }
            Array::Bytes(b) => buf.extend_from_slice(&b.data),
        }
        w.write(&buf, block.len() as u64).map_err(|err| read::npy_err(path, err))?;
    }
    let shape = w.finish().map_err(|err| read::npy_err(path, err))?;
    outln!("wrote {} {}", path.display(), npy::py_tuple(&shape));
    Ok(())
}

/// `query --coords --npy` and `query --read --npy`: the matches a slab at a time into a .npy
/// file whose shape is patched in at the end.
fn query_npy(
    t: &Table,
    a: &QueryArgs,
    vars: &[(String, Operand<'_>)],
    range: RowRange,
    path: &Path,
) -> Result<(), Fail> {
    let layout = t.layout();
    let (kind, offset, width) = match (&a.field, a.coords) {
        (_, true) => (outcore::h5::Kind::Int { size: 8, signed: true }, 0, 8),
        (None, false) => (layout.kind.clone(), 0, layout.size),
        (Some(name), false) => {
            let (offset, k) = layout.field(name).ok_or_else(|| {
                Fail(1, format!("{}: no column `{name}` (columns: {})", a.target, layout.columns().join(", ")))
            })?;
            (k.clone(), offset, k.size())
        }
    };
    let mut w = read::npy_for(path, &kind, width, None, &[])?;
    let mut buf = Vec::new();
    for batch in t.where_batches(&a.cond, vars, range)? {
        let b = batch?;
        let bytes: &[u8] = if a.coords {
            buf.clear();
            buf.extend(b.coords.iter().flat_map(|&c| (c as i64).to_ne_bytes()));
            &buf
        } else if a.field.is_some() {
            layout.extract(&b.data, offset, width, &mut buf);
            &buf
        } else {
            &b.data
        };
        w.write(bytes, b.len() as u64).map_err(|err| read::npy_err(path, err))?;
    }
    let shape = w.finish().map_err(|err| read::npy_err(path, err))?;
    outln!("wrote {} {}", path.display(), npy::py_tuple(&shape));
    Ok(())
}

fn query(a: QueryArgs) -> Result<(), Fail> {
    if !(a.count || a.coords || a.read || a.explain || a.append_to.is_some()) {
        return Err(usage("say what to do: --count, --coords, --read, --explain or --append-to FILE:/dest"));
    }
    if a.npy.is_some() && !(a.coords || a.read) {
        return Err(usage("--npy goes with --coords or --read"));
    }
    let (file, path) = split_target(&a.target)?;
    let dest = a.append_to.as_ref().map(|d| split_target(d)).transpose()?;
    let writes_here = dest.as_ref().is_some_and(|(f, _)| is_same_file(f, &file));
    let f = File::open(&file, if writes_here { Mode::Append } else { Mode::Read })?;
    let t = Table::open(&f, &path)?.use_indexes(!a.no_index);
    let mut vars: Vec<(String, Operand<'_>)> = Vec::new();
    for (name, value) in parse_vars(&a.vars)? {
        vars.push((name, value.into_operand()));
    }
    let range = RowRange::new(a.start, a.stop, a.step);
    if a.explain {
        let e = t.explain(&a.cond, &vars, range)?;
        if a.json {
            let stats = match &e.statistics {
                outcore::Statistics::None => serde_json::json!({"state": "none"}),
                outcore::Statistics::Ignored(why) => serde_json::json!({"state": "ignored", "why": why}),
                outcore::Statistics::Unused => serde_json::json!({"state": "unused"}),
                outcore::Statistics::Used(cols) => serde_json::json!({"state": "used", "columns": cols}),
            };
            let index = match &e.index {
                outcore::IndexUse::None => serde_json::json!({"state": "none"}),
                outcore::IndexUse::Unused(why) => serde_json::json!({"state": "unused", "why": why}),
                outcore::IndexUse::Used { indexes, candidates } => {
                    serde_json::json!({"state": "used", "indexes": indexes, "candidates": candidates})
                }
            };
            outln!(
                "{}",
                serde_json::json!({"table": e.table, "rows": e.rows, "chunks": e.zones, "chunk_rows": e.zone_rows,
                    "chunks_read": e.zones_read, "rows_read": e.rows_read, "statistics": stats, "index": index})
            );
        } else {
            outln!("{e}");
        }
    } else if a.count {
        let n = t.count_where(&a.cond, &vars, range)?;
        outln!("{n}");
    } else if let Some(p) = &a.npy {
        query_npy(&t, &a, &vars, range, p)?;
    } else if a.coords {
        let c = t.get_where_list(&a.cond, &vars, range)?;
        if a.json {
            outln!("{}", serde_json::Value::from(c));
        } else {
            for x in c {
                outln!("{x}");
            }
        }
    } else if a.read {
        let recs = t.read_where(&a.cond, &vars, a.field.as_deref(), range)?;
        format::print_records(&recs, t.layout(), a.field.as_deref(), a.json, a.csv);
    } else if let Some((dfile, dpath)) = dest {
        let mut before = None;
        let appended = append_to(&f, &t, writes_here, &dfile, &dpath, &a, &vars, range, &mut before);
        if let (Err(Fail(code, msg)), Some(before)) = (&appended, before) {
            // Every handle closed, the destination is cut back to the rows written in full
            // (a full disk can leave the extent or chunk index ahead of them).
            drop((vars, t, f));
            let msg = match outcore::h5::keep_written_prefix(&dfile, &dpath) {
                Ok(kept) if kept == before => msg.clone(),
                Ok(kept) => format!("{msg}\n{}:{dpath} keeps the {kept} rows written in full", dfile.display()),
                Err(e) => format!("{msg}\nand {}:{dpath} could not be checked afterwards: {e}", dfile.display()),
            };
            return Err(Fail(*code, msg));
        }
        appended?;
    }
    Ok(())
}

/// `query --append-to`: the matching rows appended to `dfile:dpath` (created like the table).
#[allow(clippy::too_many_arguments)]
fn append_to(
    f: &File,
    t: &Table,
    writes_here: bool,
    dfile: &Path,
    dpath: &str,
    a: &QueryArgs,
    vars: &[(String, Operand<'_>)],
    range: RowRange,
    before: &mut Option<usize>,
) -> Result<(), Fail> {
    {
        let df = if writes_here { None } else { Some(File::open(dfile, Mode::Append)?) };
        let df = df.as_ref().unwrap_or(f);
        let leaf = if df.node_exists(dpath) {
            df.leaf(dpath)?
        } else {
            let (parent, name) = match dpath.rsplit_once('/') {
                Some(("", n)) => ("/", n),
                Some((p, n)) => (p, n),
                None => ("/", dpath),
            };
            t.create_like(df, parent, name, t.leaf().filters().as_ref())?.leaf().clone()
        };
        // From here on a failure may have written part of the rows.
        *before = leaf.shape().first().copied();
        let (bar, p) = progress_bar("query");
        let n = t.clone().on_progress(p).where_append(&leaf, &a.cond, vars, range);
        bar.finish_and_clear();
        let n = n?;
        if a.json {
            outln!("{}", serde_json::json!({"appended": n}));
        } else {
            outln!("appended {n} rows to {}:{dpath}", dfile.display());
        }
    }
    Ok(())
}

fn index(target: &str, columns: &[String], kind: &str) -> Result<(), Fail> {
    let (file, path) = split_target(target)?;
    let f = File::open(&file, Mode::Append)?;
    let t = Table::open(&f, &path)?;
    let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
    let t0 = std::time::Instant::now();
    if kind == "full" {
        if cols.is_empty() {
            return Err(usage("--kind full: name the columns to index (--columns a,b)"));
        }
        for c in &cols {
            let rows = t.create_csindex(c)?;
            outln!(
                "wrote a completely sorted index of {c} ({rows} rows) of {}:{path} in {:.2} s",
                file.display(),
                t0.elapsed().as_secs_f64()
            );
        }
        return Ok(());
    }
    let (bar, p) = progress_bar("index");
    let zones = t.clone().on_progress(p).index_stats(&cols);
    bar.finish_and_clear();
    let zones = zones?;
    outln!("wrote statistics of {} chunks of {}:{path} in {:.2} s", zones, file.display(), t0.elapsed().as_secs_f64());
    Ok(())
}

fn repair(target: &str) -> Result<(), Fail> {
    let (file, path) = split_target(target)?;
    let kept = outcore::h5::keep_written_prefix(&file, &path)?;
    outln!("{}:{path} keeps {kept} rows", file.display());
    Ok(())
}

fn gen(file: &Path, rows: usize, filters: &str) -> Result<(), Fail> {
    let fl = match filters {
        "none" => None,
        // Level 5 with byte shuffling, of any library outcore writes.
        other => match other.parse::<Complib>() {
            Ok(complib) => Some(Filters { complevel: 5, complib, shuffle: true, bitshuffle: false, fletcher32: false }),
            Err(e) => {
                return Err(usage(format!(
                    "--filters {other}: {e} (use none, zlib, blosc, blosc2, lzf or a library such as blosc2:zstd)"
                )))
            }
        },
    };
    let t0 = std::time::Instant::now();
    let (bar, p) = progress_bar("gen");
    let r = outcore::raw::bench_file::write_with(file, rows, fl.as_ref(), Some(&p));
    bar.finish_and_clear();
    r?;
    outln!("wrote {} ({rows} rows, filters {filters}) in {:.1} s", file.display(), t0.elapsed().as_secs_f64());
    Ok(())
}

fn compile_cmd(expr: &str, specs: &[String]) -> Result<(), Fail> {
    let vars = specs.iter().map(|s| parse_type(s)).collect::<Result<Vec<VarInfo>, Fail>>()?;
    let p = compile(expr, &vars).map_err(|e| Fail(2, e.to_string()))?;
    out!("{p}");
    Ok(())
}

/// `NAME:TYPE[=scalar]` for `compile`.
fn parse_type(spec: &str) -> Result<VarInfo, Fail> {
    let (name, rest) = spec.split_once(':').ok_or_else(|| usage(format!("`{spec}`: expected NAME:TYPE")))?;
    let (ty, scalar) = match rest.split_once('=') {
        Some((ty, "scalar")) => (ty, true),
        Some((_, other)) => return Err(usage(format!("`{spec}`: unknown option `{other}` (only `=scalar`)"))),
        None => (rest, false),
    };
    let dtype = match DType::from_name(ty) {
        Some(d) if !ty.starts_with('S') => d,
        _ => return Err(usage(format!("`{spec}`: unknown type `{ty}`"))),
    };
    Ok(VarInfo { name: name.to_string(), dtype, scalar })
}
