//! `outcore repack SRC DST`: PyTables' `ptrepack`. A whole file, or a node (groups with
//! everything under them), copied into another file with new filters and chunk shapes:
//! stored chunks copied as they are when both stay, otherwise decoded and encoded again on
//! all cores a slab at a time (`outcore::h5::copy`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use outcore::h5::copy::{self, Chunking, Plan};
use outcore::h5::{AttrValue, Complib, File, Filters, LeafClass, Mode, Node, ZONES_PREFIX};
use outcore::Table;

use crate::{is_same_file, usage, Fail};

#[derive(Args)]
pub struct RepackArgs {
    /// The source: a file (all of it), or FILE:/node (a leaf, or a group with everything
    /// under it).
    src: String,
    /// The destination: a file (the source's paths), or FILE:/path, the copy's path (FILE:/
    /// puts a node under the root by its own name).
    dst: String,
    /// Compression level, 0 (none) to 9. Giving any of --complevel, --complib, --shuffle,
    /// --no-shuffle, --bitshuffle or --fletcher32 sets new filters, whose level is 0 unless given
    /// (default: every leaf keeps its own filters, ptrepack's documented default).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=9))]
    complevel: Option<u8>,
    /// Compression library: zlib, blosc (blosc:blosclz), blosc:lz4, blosc:zstd, blosc:zlib,
    /// blosc2 (blosc2:blosclz), blosc2:lz4, blosc2:lz4hc, blosc2:zlib, blosc2:zstd or lzf
    /// (default with new filters: zlib).
    #[arg(long)]
    complib: Option<String>,
    /// Shuffle bytes before compressing (default with new filters: on when --complevel > 0).
    #[arg(long, conflicts_with = "no_shuffle")]
    shuffle: bool,
    /// Do not shuffle bytes.
    #[arg(long)]
    no_shuffle: bool,
    /// Shuffle bits instead of bytes (blosc's; default off).
    #[arg(long, conflicts_with = "shuffle")]
    bitshuffle: bool,
    /// Add a Fletcher-32 checksum to every chunk, checked on every read (default off, as
    /// ptrepack's; it sets new filters, as the options above do).
    #[arg(long)]
    fletcher32: bool,
    /// Rebuild the PyTables indexes of the tables copied, as completely sorted `full`
    /// indexes of the same columns (ptrepack's --propindexes copies them as they are; default:
    /// not copied, with a note).
    #[arg(long)]
    pub propindexes: bool,
    /// Copy the tables that have column COL sorted by it (ptrepack's --sortby), in the order
    /// of its completely sorted PyTables index, which the source must have (`outcore index
    /// FILE:/t --kind full --columns COL` writes one); tables without the column and other
    /// leaves are copied as they are (default: every table keeps its order).
    #[arg(long, value_name = "COL")]
    sortby: Option<String>,
    /// Keep every leaf's own filters even when filter options are given (default: kept
    /// only when none is given).
    #[arg(long)]
    keep_source_filters: bool,
    /// Chunk shape of the copies: `keep` (the source's), `auto` (PyTables' rule for each
    /// leaf's rows), or sizes `N` / `N,M,...` (one per dimension of every leaf copied).
    #[arg(long, default_value = "keep", value_name = "keep|auto|N,M,...")]
    chunkshape: String,
    /// Replace the destination: the whole file (when copying a whole file), or the node
    /// (default: an existing destination is an error).
    #[arg(short = 'o', long)]
    overwrite: bool,
    /// Copy into an existing destination file, replacing the nodes that exist there
    /// (default: existing nodes are an error).
    #[arg(long)]
    overwrite_nodes: bool,
}

/// The compression libraries outcore writes, for messages.
const COMPLIBS: &str =
    "zlib, blosc, blosc:lz4, blosc:zstd, blosc:zlib, blosc2, blosc2:lz4, blosc2:lz4hc, blosc2:zlib, blosc2:zstd or lzf";

/// `FILE` or `FILE:/path`.
fn split(t: &str) -> (PathBuf, Option<String>) {
    match t.rfind(":/") {
        Some(i) => (
            PathBuf::from(&t[..i]),
            Some(t[i + 1..].trim_end_matches('/').to_string()).map(|p| if p.is_empty() { "/".to_string() } else { p }),
        ),
        None => (PathBuf::from(t), None),
    }
}

/// The filters asked for, as ptrepack picks them (`None`: each leaf keeps its own).
fn plan_filters(a: &RepackArgs) -> Result<Option<Filters>, Fail> {
    let given =
        a.complevel.is_some() || a.complib.is_some() || a.shuffle || a.no_shuffle || a.bitshuffle || a.fletcher32;
    let complib = match a.complib.as_deref() {
        Some(c @ ("lzo" | "bzip2" | "blosc:lz4hc")) => {
            return Err(usage(format!("--complib {c}: not supported yet (use {COMPLIBS})")))
        }
        Some(c) => c.parse::<Complib>().map_err(|e| usage(format!("--complib {c}: {e} (use {COMPLIBS})")))?,
        None => Complib::Zlib,
    };
    if a.keep_source_filters || !given {
        return Ok(None);
    }
    let complevel = a.complevel.unwrap_or(0);
    let blosc = complib.name().starts_with("blosc");
    if a.bitshuffle && !blosc {
        return Err(usage(format!(
            "--bitshuffle is blosc's: use it with --complib blosc... or blosc2..., not {}",
            complib.name()
        )));
    }
    let shuffle = if a.bitshuffle {
        false
    } else if a.shuffle || a.no_shuffle {
        a.shuffle
    } else {
        complevel > 0
    };
    // As PyTables' Filters: no compression, no shuffling.
    let (shuffle, bitshuffle) = if complevel == 0 { (false, false) } else { (shuffle, a.bitshuffle) };
    Ok(Some(Filters { complevel, complib, shuffle, bitshuffle, fletcher32: a.fletcher32 }))
}

fn parse_chunk(s: &str) -> Result<Chunking, Fail> {
    Ok(match s {
        "keep" => Chunking::Keep,
        "auto" => Chunking::Auto,
        other => {
            let inner = other.trim().trim_start_matches('(').trim_end_matches(')');
            let dims = inner
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| p.parse::<usize>().ok().filter(|&n| n > 0))
                .collect::<Option<Vec<usize>>>();
            match dims {
                Some(d) if !d.is_empty() => Chunking::Shape(d),
                _ => {
                    return Err(usage(format!(
                        "--chunkshape {other}: expected keep, auto, or positive sizes N or N,M,..."
                    )))
                }
            }
        }
    })
}

fn parent_and_name(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some(("", n)) => ("/", n),
        Some((p, n)) => (p, n),
        None => ("/", path),
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// The work of one run: where things go, what was done, the progress bar.
struct Copier<'a> {
    src: &'a File,
    dst: &'a File,
    plan: Plan,
    /// Replace destination nodes that exist.
    replace: bool,
    bar: indicatif::ProgressBar,
    done: u64,
    leaves: usize,
    groups: usize,
    raw: usize,
    /// Tables whose PyTables indexes were left behind.
    indexed: Vec<String>,
    /// Rebuild the PyTables indexes of the tables copied (`--propindexes`).
    propindexes: bool,
    /// Copy tables with this column sorted by it (`--sortby`).
    sortby: Option<String>,
}

impl Copier<'_> {
    fn src_name(&self, path: &str) -> String {
        format!("{}:{path}", self.src.path().display())
    }

    fn dst_name(&self, path: &str) -> String {
        format!("{}:{path}", self.dst.path().display())
    }

    fn warn(&self, msg: String) {
        self.bar.suspend(|| eprintln!("{msg}"));
    }

    /// Makes room for a node at `path` of the destination: an existing one is replaced or an
    /// error; missing groups above it are created.
    fn make_room(&mut self, path: &str) -> Result<(), Fail> {
        if self.dst.node_exists(path) {
            if !self.replace {
                return Err(Fail(1, format!("{}: exists (use --overwrite)", self.dst_name(path))));
            }
            self.dst.remove_node(path)?;
        }
        let mut at = String::from("/");
        let names: Vec<&str> = path.split('/').filter(|n| !n.is_empty()).collect();
        for name in names.iter().take(names.len().saturating_sub(1)) {
            let p = join(&at, name);
            if !self.dst.node_exists(&p) {
                self.dst.create_group(&at, name, "")?;
            }
            at = p;
        }
        Ok(())
    }

    /// Copies the group at `src_path` to `dst_path` (created unless it is the root) and
    /// everything under it.
    fn group(&mut self, src_path: &str, dst_path: &str, attrs: bool) -> Result<(), Fail> {
        let g = self.src.group(src_path)?;
        if dst_path != "/" {
            self.make_room(dst_path)?;
            let (parent, name) = parent_and_name(dst_path);
            self.dst.create_group(parent, name, &g.title())?;
            self.groups += 1;
        }
        if attrs {
            let skipped = copy::copy_attrs_groups(self.src, src_path, self.dst, dst_path)?;
            for a in skipped {
                self.warn(format!("{}: attribute `{a}` not copied (a reference)", self.src_name(src_path)));
            }
            if let Some(f) = &self.plan.filters {
                if g.attrs()?.iter().any(|(k, _)| k == "FILTERS") {
                    self.dst.set_group_filters(dst_path, f)?;
                }
            }
        }
        for name in g.children()? {
            let sp = join(src_path, &name);
            let dp = join(dst_path, &name);
            if name.starts_with("_i_") {
                // PyTables' index of a table: noted with the table.
                continue;
            }
            if let Some(table) = name.strip_prefix(ZONES_PREFIX) {
                // Copied or rebuilt with their table.
                if self.src.node_exists(&join(src_path, table)) {
                    continue;
                }
            }
            match g.child(&name)? {
                Node::Group(_) => self.group(&sp, &dp, true)?,
                Node::Leaf(_) => self.leaf(&sp, &dp)?,
            }
        }
        Ok(())
    }

    /// Copies one leaf, its attributes and values (and a table's chunk statistics).
    fn leaf(&mut self, src_path: &str, dst_path: &str) -> Result<(), Fail> {
        let l = self.src.leaf(src_path)?;
        if let Some(why) = copy::uncopyable(&l) {
            self.warn(format!("skipping {}: {why}", self.src_name(src_path)));
            return Ok(());
        }
        self.make_room(dst_path)?;
        if l.class() == LeafClass::VLArray {
            let (_, skipped, dropped) = copy::copy_vlarray(&l, self.dst, dst_path, &self.plan)?;
            if dropped {
                self.warn(format!(
                    "{}: copied without fletcher32 (HDF5 cannot checksum a VLArray's variable-length rows)",
                    self.src_name(src_path)
                ));
            }
            for a in skipped {
                self.warn(format!("{}: attribute `{a}` not copied (a reference)", self.src_name(src_path)));
            }
            self.done += copy::value_bytes(&l);
            self.bar.set_position(self.done);
            self.leaves += 1;
            return Ok(());
        }
        let new = copy::create_like(&l, self.dst, dst_path, &self.plan)?;
        for a in copy::copy_attrs_leaf(&l, &new)? {
            self.warn(format!("{}: attribute `{a}` not copied (a reference)", self.src_name(src_path)));
        }
        let base = self.done;
        let bar = self.bar.clone();
        let sortby = self.sortby.clone().filter(|c| {
            l.class() == LeafClass::Table && !l.is_zones() && l.layout().is_ok_and(|x| x.field(c).is_some())
        });
        let path = match &sortby {
            Some(col) => self.sorted_copy(&l, &new, col, src_path)?,
            None => copy::copy_data(&l, &new, &move |d| bar.set_position(base + d))?,
        };
        self.done = base + copy::value_bytes(&l);
        self.bar.set_position(self.done);
        self.leaves += 1;
        if path == copy::Path::Raw {
            self.raw += 1;
        }
        if l.class() == LeafClass::Table && !l.is_zones() {
            if self.src.node_exists(&l.zones_path()) {
                self.zones(&l, &new, sortby.is_some())?;
            }
            let cols = l.pytables_indexed_columns()?;
            if self.propindexes && !cols.is_empty() {
                self.dst.flush()?;
                let t = outcore::Table::new(&new)?;
                for c in &cols {
                    if let Err(e) = t.create_csindex(c) {
                        self.warn(format!("{}: the index of `{c}` is not rebuilt: {e}", self.src_name(src_path)));
                    }
                }
            } else if !cols.is_empty() {
                self.indexed.push(dst_path.to_string());
            }
        }
        Ok(())
    }

    /// The rows of table `l` into `new` (of the same shape) in the order of column `col`'s
    /// completely sorted index: about 32 MiB of rows at a time, read at their coordinates.
    fn sorted_copy(
        &mut self,
        l: &outcore::h5::Leaf,
        new: &outcore::h5::Leaf,
        col: &str,
        src_path: &str,
    ) -> Result<copy::Path, Fail> {
        let t = Table::new(l)?;
        let n = t.nrows();
        let size = t.layout().size.max(1);
        let batch = ((32usize << 20) / size).max(1);
        let mut start = 0;
        while start < n {
            let k = batch.min(n - start);
            let rows = t
                .read_sorted(col, start as i64..(start + k) as i64)
                .map_err(|e| Fail(1, format!("--sortby {col}: {}: {e}", self.src_name(src_path))))?;
            new.write_rows(start, 1, k, rows.as_bytes())?;
            start += k;
            self.bar.set_position(self.done + (start * size) as u64);
        }
        Ok(copy::Path::Contiguous)
    }

    /// A table's chunk statistics: copied when its chunks (and rows) stay, built anew for
    /// the new chunks otherwise (for the columns the source's covered).
    fn zones(&mut self, l: &outcore::h5::Leaf, new: &outcore::h5::Leaf, reordered: bool) -> Result<(), Fail> {
        let z = self.src.leaf(&l.zones_path())?;
        let zpath = new.zones_path();
        if self.dst.node_exists(&zpath) {
            self.dst.remove_node(&zpath)?;
        }
        if l.chunk_shape() == new.chunk_shape() && !reordered {
            let keep = Plan { filters: None, chunk: Chunking::Keep };
            let zn = copy::create_like(&z, self.dst, &zpath, &keep)?;
            copy::copy_attrs_leaf(&z, &zn)?;
            copy::copy_data(&z, &zn, &|_| {})?;
            let name = parent_and_name(new.path()).1.to_string();
            self.dst.set_attr(&zpath, "TABLE", &AttrValue::Str(name))?;
            return Ok(());
        }
        let cols = z.attrs()?.into_iter().find(|(k, _)| k == "COLUMNS").and_then(|(_, v)| v.as_str().map(String::from));
        let cols: Vec<String> =
            cols.unwrap_or_default().split('\n').filter(|c| !c.is_empty()).map(String::from).collect();
        let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
        self.dst.flush()?;
        let t = Table::open(self.dst, new.path())?;
        t.index_stats(&cols)?;
        Ok(())
    }
}

/// The bytes of values of every leaf at or under `path`, for the progress bar.
fn total_bytes(f: &File, path: &str) -> u64 {
    let Ok(nodes) = f.walk() else { return 0 };
    let prefix = if path == "/" { "/".to_string() } else { format!("{path}/") };
    nodes
        .iter()
        .filter(|n| n.path == path || n.path.starts_with(&prefix))
        .filter(|n| matches!(n.class, outcore::h5::NodeClass::Leaf(_)))
        .filter_map(|n| f.leaf(&n.path).ok())
        .map(|l| copy::value_bytes(&l))
        .sum()
}

pub fn run(a: RepackArgs) -> Result<(), Fail> {
    let filters = plan_filters(&a)?;
    let chunk = parse_chunk(&a.chunkshape)?;
    let (sfile, spath) = split(&a.src);
    let (dfile, dpath) = split(&a.dst);
    let same = is_same_file(&sfile, &dfile);
    let whole = spath.is_none();
    if same && (whole || dpath.is_none()) {
        return Err(usage(format!(
            "{} and {} are the same file: give another destination, or nodes (SRC:/node DST:/other)",
            sfile.display(),
            dfile.display()
        )));
    }
    let spath = spath.unwrap_or_else(|| "/".into());
    let dst_exists = dfile.exists();
    if whole && dst_exists && !a.overwrite && !a.overwrite_nodes && dpath.is_none() {
        return Err(Fail(
            1,
            format!(
                "{}: exists (use --overwrite to replace it, or --overwrite-nodes to copy into it)",
                dfile.display()
            ),
        ));
    }
    let src_owned;
    let dst_owned;
    let fresh = whole && dpath.is_none() && (!dst_exists || a.overwrite);
    let (src, dst): (&File, &File) = if same {
        src_owned = File::open(&sfile, Mode::Append)?;
        (&src_owned, &src_owned)
    } else {
        src_owned = File::open(&sfile, Mode::Read)?;
        dst_owned = File::open(&dfile, if fresh { Mode::Write } else { Mode::Append })?;
        (&src_owned, &dst_owned)
    };
    if !src.node_exists(&spath) {
        return Err(src.missing(&spath).into());
    }
    let src_is_group = src.group(&spath).is_ok();
    let dpath = match dpath {
        None => spath.clone(),
        Some(d) if d == "/" && spath != "/" => join("/", parent_and_name(&spath).1),
        Some(d) => d,
    };
    if same && (dpath == spath || dpath.starts_with(&format!("{spath}/"))) {
        return Err(usage(format!("{}: cannot copy {spath} into itself ({dpath})", sfile.display())));
    }
    let plan = Plan { filters, chunk };
    let (bar, _) = crate::progress_bar("repack");
    let total = total_bytes(src, &spath);
    bar.set_length(total);
    let mut c = Copier {
        src,
        dst,
        plan,
        replace: a.overwrite || a.overwrite_nodes,
        bar,
        done: 0,
        leaves: 0,
        groups: 0,
        raw: 0,
        indexed: Vec::new(),
        propindexes: a.propindexes,
        sortby: a.sortby.clone(),
    };
    let t0 = Instant::now();
    let r = if src_is_group { c.group(&spath, &dpath, dpath != "/" || fresh) } else { c.leaf(&spath, &dpath) };
    let r = r.and_then(|()| dst.flush().map_err(Fail::from));
    c.bar.finish_and_clear();
    if let Err(e) = r {
        if fresh {
            // A file this run created holds a part of the copy: it goes (unlinked while open,
            // which the library's last writes do not mind).
            let _ = std::fs::remove_file(&dfile);
        }
        return Err(e);
    }
    if !c.indexed.is_empty() {
        eprintln!(
            "note: indexes are not copied (--propindexes rebuilds them) for {}",
            c.indexed.iter().map(|t| format!("{}:{t}", dfile.display())).collect::<Vec<_>>().join(", ")
        );
    }
    outln!(
        "repacked {} to {}: {} leaves ({} copied raw), {} groups, {:.1} MB of values in {:.2} s",
        show(&sfile, &spath),
        show(&dfile, &dpath),
        c.leaves,
        c.raw,
        c.groups,
        c.done as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

fn show(file: &Path, path: &str) -> String {
    if path == "/" {
        file.display().to_string()
    } else {
        format!("{}:{path}", file.display())
    }
}
