//! Files, groups and leaves, with PyTables' modes and node classes.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::attrs::{self, AttrValue};
use crate::codec::Decoder;
use crate::error::{Error, Result};
use crate::layout::{Kind, Layout};

/// PyTables' file modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `r`: read only; the file must exist.
    Read,
    /// `w`: create, truncating an existing file.
    Write,
    /// `a`: read and write, creating the file if needed.
    Append,
    /// `r+`: read and write; the file must exist.
    ReadWrite,
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Mode, String> {
        Ok(match s {
            "r" => Mode::Read,
            "w" => Mode::Write,
            "a" => Mode::Append,
            "r+" => Mode::ReadWrite,
            other => return Err(other.to_string()),
        })
    }
}

/// An open HDF5 file, in one of PyTables' modes; its nodes by path.
///
/// ```
/// use outcore_h5::{File, LeafClass, Mode, NodeClass};
/// let path = std::env::temp_dir().join(format!("doc-file-{}.h5", std::process::id()));
/// let f = File::open(&path, Mode::Write)?;
/// f.create_group("/", "run1", "first run")?;
/// let data = ndarray::Array1::linspace(0.0, 1.0, 1000);
/// f.create_carray("/run1", "x", data.view(), None, None, "samples")?;
/// let names: Vec<String> = f.walk()?.into_iter().map(|n| n.path).collect();
/// assert_eq!(names, ["/", "/run1", "/run1/x"]);
/// let x = f.leaf("/run1/x")?;
/// assert_eq!((x.class(), x.shape()), (LeafClass::CArray, vec![1000]));
/// # drop((x, f)); std::fs::remove_file(&path).ok();
/// # Ok::<(), outcore_h5::Error>(())
/// ```
pub struct File {
    pub(crate) h5: hdf5::File,
    pub(crate) path: PathBuf,
    pub(crate) mode: Mode,
}

/// What a node is, by PyTables' `CLASS` attribute (or its HDF5 shape when it has none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeClass {
    /// A group.
    Group,
    /// A leaf of this class.
    Leaf(LeafClass),
}

/// The PyTables class of a leaf (its `CLASS` attribute).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafClass {
    /// A table of records.
    Table,
    /// A contiguous Array.
    Array,
    /// A chunked array of fixed shape.
    CArray,
    /// A chunked array that grows along its first dimension.
    EArray,
    /// An array of variable-length rows.
    VLArray,
    /// A dataset PyTables did not write (h5py's, say).
    Dataset,
}

/// One node of a file's tree, as `walk` lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeInfo {
    /// The node's path.
    pub path: String,
    /// Group or leaf, and which.
    pub class: NodeClass,
    /// Its `TITLE`.
    pub title: String,
    /// A leaf's shape.
    pub shape: Option<Vec<usize>>,
    /// A chunked leaf's chunk shape.
    pub chunks: Option<Vec<usize>>,
}

/// Where one chunk of a dataset lies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkInfo {
    /// The chunk's first element, per dimension.
    pub offset: Vec<u64>,
    /// Bit `i` set: filter `i` was not applied to this chunk.
    pub filter_mask: u32,
    /// Where the chunk's bytes start in the file.
    pub addr: u64,
    /// Stored (encoded) size in bytes.
    pub size: u64,
}

/// A group or a leaf.
pub enum Node {
    /// A group.
    Group(Group),
    /// A leaf.
    Leaf(Leaf),
}

/// A group of an open file.
pub struct Group {
    g: hdf5::Group,
    file: PathBuf,
    path: String,
    /// Opened through a read-only handle (mode `r`): its leaves refuse every write.
    read_only: bool,
}

/// A dataset: a Table, an Array of some kind, or a plain HDF5 dataset. Its class, shape,
/// chunks, filters and attributes; its values read whole, by rows, or chunk by chunk.
///
/// ```
/// use outcore_h5::{File, Mode};
/// let path = std::env::temp_dir().join(format!("doc-leaf-{}.h5", std::process::id()));
/// let f = File::open(&path, Mode::Write)?;
/// let data = ndarray::Array2::<i32>::from_shape_fn((100, 3), |(i, j)| (i * 3 + j) as i32);
/// let a = f.create_earray("/", "grid", data.view(), None, 100, None, "a grid")?;
/// a.append(data.view())?;                                  // grows along its first dimension
/// assert_eq!(a.shape(), vec![200, 3]);
/// let v = a.read_array::<i64>()?;                          // converted by HDF5
/// assert_eq!(v[[199, 2]], 299);
/// assert_eq!(a.read_rows(1, 1, 1)?.len(), 3 * 4);          // one row, in its own type
/// # drop((a, f)); std::fs::remove_file(&path).ok();
/// # Ok::<(), outcore_h5::Error>(())
/// ```
#[derive(Clone)]
pub struct Leaf {
    ds: hdf5::Dataset,
    file: PathBuf,
    path: String,
    /// Opened through a read-only handle (mode `r`): every write is refused up front, even
    /// when the library shares the file with a read-write handle of the same process.
    read_only: bool,
    /// Set once contiguous storage has been found to hold the whole dataset (it cannot grow
    /// or shrink), so reading row slabs checks it once, not per slab.
    storage_checked: std::sync::OnceLock<()>,
    /// The chunk index read from the file, kept (for this leaf and its clones) while the file
    /// is open read-only in this process: its chunks cannot move.
    pub(crate) index_cache: std::sync::Arc<std::sync::OnceLock<std::sync::Arc<crate::index::ChunkIndex>>>,
    /// Where its records' numbers are in the other byte order (a dataset's type is fixed; kept
    /// for its clones too).
    pub(crate) swaps: std::sync::Arc<std::sync::OnceLock<crate::rows::ByteSwaps>>,
    /// Set once its chunk index has been walked and found consistent (for it and its clones),
    /// before the library's own reads, which answer a damaged index with fill values.
    pub(crate) index_ok: std::sync::Arc<std::sync::OnceLock<()>>,
}

impl std::fmt::Debug for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Leaf({}:{})", self.file.display(), self.path)
    }
}

/// Marks the library's descriptor of a file close-on-exec: HDF5 opens files without it, so a
/// child process started while the file is open (a command run by the program) would inherit
/// the descriptor and the library's lock on the file with it, and the program could not open
/// the file again until the child exits.
fn close_on_exec(f: &hdf5::File) {
    let sec2 = f.access_plist().is_ok_and(|p| matches!(p.get_driver(), Ok(hdf5::plist::file_access::FileDriver::Sec2)));
    if !sec2 {
        return;
    }
    let id = f.id();
    hdf5::sync::sync(|| {
        let mut handle: *mut std::ffi::c_void = std::ptr::null_mut();
        // Safety: `id` is an open file on the sec2 driver, whose handle points at the
        // descriptor, an int, which we only read.
        unsafe {
            if hdf5_sys::h5f::H5Fget_vfd_handle(id, hdf5_sys::h5p::H5P_DEFAULT, &mut handle) >= 0 && !handle.is_null() {
                let fd = *(handle as *const libc::c_int);
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags >= 0 {
                    libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
                }
            }
        }
    });
}

fn is_hdf5(path: &Path) -> bool {
    // HDF5's signature at offset 0 (user blocks aside, which PyTables does not write).
    let mut sig = [0u8; 8];
    match std::fs::File::open(path) {
        Ok(mut f) => {
            use std::io::Read;
            f.read_exact(&mut sig).is_ok() && sig == *b"\x89HDF\r\n\x1a\n"
        }
        Err(_) => false,
    }
}

impl File {
    /// Opens a file in one of PyTables' modes (`"r"`, `"w"`, `"a"`, `"r+"` parse into [`Mode`]).
    pub fn open(path: impl AsRef<Path>, mode: Mode) -> Result<File> {
        crate::blosc_filter::register();
        crate::blosc2_filter::register();
        let path = path.as_ref().to_path_buf();
        let exists = path.exists();
        if !exists && matches!(mode, Mode::Read | Mode::ReadWrite) {
            return Err(Error::NotFound { file: path });
        }
        if let Ok(meta) = std::fs::metadata(&path) {
            // A FIFO would block the open forever; a directory or device is no HDF5 file.
            if !meta.is_file() {
                let what = if meta.is_dir() { "a directory" } else { "not a regular file (a FIFO, socket or device)" };
                return Err(Error::File { file: path, msg: format!("is {what}; outcore opens HDF5 files only") });
            }
        }
        if !exists {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            if !parent.is_dir() {
                let msg = format!("cannot be created: no directory {}", parent.display());
                return Err(Error::File { file: path, msg });
            }
        }
        if exists && mode != Mode::Write && !is_hdf5(&path) {
            return Err(Error::NotHdf5 { file: path, msg: "no HDF5 signature at its start".into() });
        }
        let open = || match mode {
            Mode::Read => hdf5::File::open(&path),
            Mode::ReadWrite => hdf5::File::open_rw(&path),
            Mode::Write => hdf5::File::create(&path),
            Mode::Append if exists => hdf5::File::open_rw(&path),
            Mode::Append => hdf5::File::create(&path),
        };
        // A lock can be held for a moment by a child process that another thread is starting
        // (forked with this process's files, which close when it execs): a few short retries
        // before "is locked".
        let mut opened = open();
        for wait in [5, 10, 20, 40, 80] {
            match &opened {
                Err(e) if e.to_string().contains("unable to lock file") => {
                    std::thread::sleep(std::time::Duration::from_millis(wait));
                    opened = open();
                }
                _ => break,
            }
        }
        let h5 = opened.map_err(|e| open_error(&path, exists, e.to_string()))?;
        close_on_exec(&h5);
        if exists && mode != Mode::Write {
            // Before the library looks anything up through a group: a damaged symbol table
            // sends its lookups past the file (a segfault), so the file is refused instead.
            let root = hdf5::sync::sync(|| {
                let id = h5.id();
                (crate::header::file_sizes(id) == Some((8, 8, 0))).then(|| crate::header::object_addr(id)).flatten()
            });
            if let Some((group, msg)) = root.and_then(|r| crate::groups::damaged_groups(&path, r)) {
                return Err(Error::Node { file: path, node: group, msg });
            }
        }
        Ok(File { h5, path, mode })
    }

    /// Opens a file with a mode given as text (`"r"`, `"w"`, `"a"`, `"r+"`).
    pub fn open_str(path: impl AsRef<Path>, mode: &str) -> Result<File> {
        let m = mode.parse().map_err(|m| Error::Mode { file: path.as_ref().to_path_buf(), mode: m })?;
        File::open(path, m)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The mode it was opened in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The root group.
    pub fn root(&self) -> Result<Group> {
        let g = self.h5.as_group().map_err(|e| self.err("/", e))?;
        Ok(Group { g, file: self.path.clone(), path: "/".into(), read_only: self.mode == Mode::Read })
    }

    fn err(&self, node: &str, e: impl std::fmt::Display) -> Error {
        Error::Node { file: self.path.clone(), node: node.to_string(), msg: e.to_string() }
    }

    /// "no node" for `node`, suggesting the closest existing path: among the children of the
    /// deepest group on the way that exists.
    pub fn missing(&self, node: &str) -> Error {
        let node = node.to_string();
        let mut parent = node.trim_end_matches('/').rsplit_once('/').map_or("/", |(p, _)| p).to_string();
        while !parent.is_empty() && parent != "/" && !self.exists(&parent) {
            parent = parent.rsplit_once('/').map_or("/".to_string(), |(p, _)| p.to_string());
        }
        if parent.is_empty() {
            parent = "/".into();
        }
        let near = self.group(&parent).ok().and_then(|g| g.children().ok()).and_then(|names| {
            let paths = names.iter().map(|n| if parent == "/" { format!("/{n}") } else { format!("{parent}/{n}") });
            closest(&node, paths)
        });
        Error::NoNode { file: self.path.clone(), node, near }
    }

    pub(crate) fn h5(&self) -> &hdf5::File {
        &self.h5
    }

    /// Whether a node exists at a path.
    pub fn node_exists(&self, path: &str) -> bool {
        self.exists(path)
    }

    /// Writes buffered data to the file.
    pub fn flush(&self) -> Result<()> {
        crate::error::clear_errno();
        self.h5.flush().map_err(|e| self.err("/", crate::error::failed(e)))
    }

    fn exists(&self, path: &str) -> bool {
        path == "/" || hdf5::sync::sync(|| self.h5.link_exists(path.trim_start_matches('/')))
    }

    /// The group at a path.
    pub fn group(&self, path: &str) -> Result<Group> {
        if path == "/" {
            return self.root();
        }
        if !self.exists(path) {
            return Err(self.missing(path));
        }
        self.openable(path)?;
        let g = self.h5.group(path).map_err(|e| self.err(path, e))?;
        Ok(Group { g, file: self.path.clone(), path: path.to_string(), read_only: self.mode == Mode::Read })
    }

    /// The leaf (dataset) at a path.
    pub fn leaf(&self, path: &str) -> Result<Leaf> {
        if !self.exists(path) {
            return Err(self.missing(path));
        }
        self.openable(path)?;
        let ds = self.h5.dataset(path).map_err(|e| self.err(path, e))?;
        Leaf::new(ds, &self.path, path.to_string(), self.mode == Mode::Read).checked()
    }

    /// An error naming the node when a check of its header finds the library must not open it.
    pub(crate) fn openable(&self, path: &str) -> Result<()> {
        match crate::header::unopenable(self.h5.id(), path, &self.path) {
            Some(msg) => Err(self.err(path, msg)),
            None => Ok(()),
        }
    }

    /// Every node under `/`, depth first, groups before their children, names sorted.
    pub fn walk(&self) -> Result<Vec<NodeInfo>> {
        let mut out = Vec::new();
        let root = self.root()?;
        out.push(NodeInfo {
            path: "/".into(),
            class: NodeClass::Group,
            title: root.title(),
            shape: None,
            chunks: None,
        });
        self.walk_group(&root, &mut out)?;
        Ok(out)
    }

    fn walk_group(&self, g: &Group, out: &mut Vec<NodeInfo>) -> Result<()> {
        let mut names = g.g.member_names().map_err(|e| self.err(&g.path, e))?;
        names.sort();
        for name in names {
            let path = if g.path == "/" { format!("/{name}") } else { format!("{}/{name}", g.path) };
            // Like a node the library fails to open, one it must not open is left out.
            if crate::header::unopenable(g.g.id(), &name, &self.path).is_some() {
                continue;
            }
            if let Ok(child) = g.g.group(&name) {
                let child =
                    Group { g: child, file: self.path.clone(), path: path.clone(), read_only: self.mode == Mode::Read };
                out.push(NodeInfo { path, class: NodeClass::Group, title: child.title(), shape: None, chunks: None });
                self.walk_group(&child, out)?;
            } else if let Ok(ds) = g.g.dataset(&name) {
                let leaf = Leaf::new(ds, &self.path, path.clone(), self.mode == Mode::Read);
                out.push(NodeInfo {
                    path,
                    class: NodeClass::Leaf(leaf.class()),
                    title: leaf.title(),
                    shape: Some(leaf.shape()),
                    chunks: leaf.chunk_shape(),
                });
            }
        }
        Ok(())
    }
}

fn read_attrs(loc: &hdf5::Location, file: &Path, node: &str) -> Result<Vec<(String, AttrValue)>> {
    let err = |e: hdf5::Error| Error::Node { file: file.to_path_buf(), node: node.to_string(), msg: e.to_string() };
    if !crate::header::attributes_sound(loc.id(), file) {
        return Err(Error::Node {
            file: file.to_path_buf(),
            node: node.to_string(),
            msg: "damaged: an attribute message has no valid version or does not fit in its object header".into(),
        });
    }
    let names = loc.attr_names().map_err(err)?;
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let a = loc.attr(&n).map_err(err)?;
        out.push((n, attrs::read(&a).map_err(err)?));
    }
    Ok(out)
}

/// One attribute, or `None` when it is missing, unreadable or its object's header is damaged.
pub(crate) fn read_attr(loc: &hdf5::Location, file: &Path, name: &str) -> Option<AttrValue> {
    if !crate::header::attributes_sound(loc.id(), file) {
        return None;
    }
    let a = loc.attr(name).ok()?;
    attrs::read(&a).ok()
}

impl Group {
    /// The group's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// PyTables' `TITLE`, or empty.
    pub fn title(&self) -> String {
        read_attr(&self.g, &self.file, "TITLE").and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
    }

    /// Every attribute, by name.
    pub fn attrs(&self) -> Result<Vec<(String, AttrValue)>> {
        read_attrs(&self.g, &self.file, &self.path)
    }

    /// A child by name (natural naming: `file.group("/grp")?.child("t")`).
    pub fn child(&self, name: &str) -> Result<Node> {
        let path = if self.path == "/" { format!("/{name}") } else { format!("{}/{name}", self.path) };
        let missing = || {
            let near = self.children().ok().and_then(|names| {
                closest(name, names.iter().cloned()).map(|n| {
                    if self.path == "/" {
                        format!("/{n}")
                    } else {
                        format!("{}/{n}", self.path)
                    }
                })
            });
            Error::NoNode { file: self.file.clone(), node: path.clone(), near }
        };
        if !hdf5::sync::sync(|| self.g.link_exists(name)) {
            return Err(missing());
        }
        if let Some(msg) = crate::header::unopenable(self.g.id(), name, &self.file) {
            return Err(Error::Node { file: self.file.clone(), node: path, msg });
        }
        if let Ok(g) = self.g.group(name) {
            return Ok(Node::Group(Group { g, file: self.file.clone(), path, read_only: self.read_only }));
        }
        match self.g.dataset(name) {
            Ok(ds) => Ok(Node::Leaf(Leaf::new(ds, &self.file, path, self.read_only).checked()?)),
            Err(_) => Err(missing()),
        }
    }

    /// The names of the group's children, sorted.
    pub fn children(&self) -> Result<Vec<String>> {
        let mut names = self.g.member_names().map_err(|e| Error::Node {
            file: self.file.clone(),
            node: self.path.clone(),
            msg: e.to_string(),
        })?;
        names.sort();
        Ok(names)
    }
}

/// The first member of a (nested) record that does not lie inside the `size` bytes its record
/// claims, or whose kind is larger than the record: a damaged compound type read from a file
/// (the offsets are used to slice every record read).
fn outside(kind: &Kind, path: &str, size: usize) -> Option<String> {
    match kind {
        Kind::Record(fields) => fields.iter().find_map(|f| {
            let name = if path.is_empty() { f.name.clone() } else { format!("{path}/{}", f.name) };
            let w = f.kind.size();
            match f.offset.checked_add(w) {
                Some(end) if end <= size => outside(&f.kind, &name, w),
                _ => Some(format!(
                    "member `{name}` at byte {} ({w} bytes) lies outside its {size}-byte record",
                    f.offset
                )),
            }
        }),
        Kind::Array(k, dims) => {
            let n = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
            match n.and_then(|n| n.checked_mul(k.size())) {
                Some(total) if total <= size => outside(k, path, k.size()),
                _ => Some(format!(
                    "an array member{} of dims {dims:?} is larger than its {size} bytes",
                    if path.is_empty() { String::new() } else { format!(" `{path}`") }
                )),
            }
        }
        _ if kind.size() > size => Some(format!("a {}-byte value in {size} bytes", kind.size())),
        _ => None,
    }
}

impl AsRef<Leaf> for Leaf {
    fn as_ref(&self) -> &Leaf {
        self
    }
}

impl Leaf {
    fn new(ds: hdf5::Dataset, file: &Path, path: String, read_only: bool) -> Leaf {
        Leaf {
            ds,
            file: file.to_path_buf(),
            path,
            read_only,
            storage_checked: std::sync::OnceLock::new(),
            index_cache: Default::default(),
            swaps: Default::default(),
            index_ok: Default::default(),
        }
    }

    /// Refuses a write through a read-only handle, before the library is asked.
    pub(crate) fn writable(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::ReadOnly { file: self.file.clone(), node: self.path.clone(), hint: "" });
        }
        Ok(())
    }

    /// The leaf's path in its file.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        Error::Node { file: self.file.clone(), node: self.path.clone(), msg: crate::error::tidy(e.to_string()) }
    }

    pub(crate) fn node_err(&self, e: impl std::fmt::Display) -> Error {
        self.err(e)
    }

    /// An error naming this leaf and the chunk at `offset`.
    pub(crate) fn chunk_err(&self, offset: &[u64], msg: impl std::fmt::Display) -> Error {
        Error::Chunk {
            file: self.file.clone(),
            node: self.path.clone(),
            chunk: format!("{offset:?}"),
            msg: msg.to_string(),
        }
    }

    pub(crate) fn file_ref(&self) -> &Path {
        &self.file
    }

    pub(crate) fn dataset(&self) -> &hdf5::Dataset {
        &self.ds
    }

    /// The PyTables class of the leaf.
    pub fn class(&self) -> LeafClass {
        match read_attr(&self.ds, &self.file, "CLASS").as_ref().and_then(AttrValue::as_str) {
            Some("TABLE") => LeafClass::Table,
            Some("ARRAY") => LeafClass::Array,
            Some("CARRAY") => LeafClass::CArray,
            Some("EARRAY") => LeafClass::EArray,
            Some("VLARRAY") => LeafClass::VLArray,
            _ => LeafClass::Dataset,
        }
    }

    /// Refuses a read of variable-length values as fixed-size ones (HDF5 would hand back
    /// pointers into its own memory, and trust the file's heap on the way): they are read
    /// with [`Leaf::vl_rows`], whose checks come first.
    pub(crate) fn fixed_size_values(&self) -> Result<()> {
        if let Kind::Other(what) = self.layout()?.kind {
            if what.contains("VLEN") || self.class() == LeafClass::VLArray {
                return Err(self.err(format!("holds variable-length values ({what}): read its rows with vl_rows")));
            }
        }
        Ok(())
    }

    /// The error of a library read of rows `rows` that failed: when a chunk there cannot be
    /// decoded (the library says only "H5Dread failed"), that chunk and why, found by
    /// decoding those chunks on the raw path; a filter outcore cannot undo is named as
    /// unsupported; else `what` failed.
    pub(crate) fn read_failure(&self, what: &str, rows: std::ops::Range<u64>) -> Error {
        let generic = self.err(crate::error::failed(format!("{what} failed")));
        let Some(chunk) = self.chunk_shape() else { return generic };
        let Ok(decoder) = self.decoder() else { return generic };
        if let Some(id) = decoder.unsupported() {
            return self.err(crate::write::filter_label(id).replacen("filter", "unsupported filter", 1));
        }
        let Ok(chunks) = self.chunks() else { return generic };
        let rows_per_chunk = chunk.first().copied().unwrap_or(1).max(1) as u64;
        let (mut raw, mut out) = (Vec::new(), Vec::new());
        for c in chunks {
            let r0 = c.offset.first().copied().unwrap_or(0);
            if r0 + rows_per_chunk <= rows.start || r0 >= rows.end {
                continue;
            }
            let mask = match self.read_raw_chunk(&c, &mut raw) {
                Ok(m) => m,
                Err(e) => return e,
            };
            if let Err(e) = decoder.decode(&raw, mask, &mut out) {
                return self.chunk_err(&c.offset, e);
            }
        }
        generic
    }

    /// A string attribute's value, when the leaf has it.
    pub(crate) fn attr_text(&self, name: &str) -> Option<String> {
        read_attr(&self.ds, &self.file, name).and_then(|v| v.as_str().map(String::from))
    }

    /// Its `TITLE` attribute (empty when it has none).
    pub fn title(&self) -> String {
        read_attr(&self.ds, &self.file, "TITLE").and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
    }

    /// Its attributes, each read whatever its type.
    pub fn attrs(&self) -> Result<Vec<(String, AttrValue)>> {
        read_attrs(&self.ds, &self.file, &self.path)
    }

    /// The shape (a table's is its number of rows).
    pub fn shape(&self) -> Vec<usize> {
        self.ds.shape()
    }

    /// Refuses a dataset whose chunks have another rank than its shape (HDF5 1.10 opens one,
    /// then allocates without end reading it: a fuzz finding; newer versions refuse it too).
    fn checked(self) -> Result<Leaf> {
        // A current extent beyond the maximum is damage that HDF5 1.10 does not notice (1.14
        // refuses such a file); read, it claims up to 1e17 elements that are not there.
        if let Ok(space) = self.ds.space() {
            let shape = self.shape();
            for (k, (n, max)) in shape.iter().zip(space.maxdims()).enumerate() {
                if let Some(max) = max {
                    if *n > max {
                        return Err(self
                            .err(format!("damaged dataspace: dimension {k} holds {n}, more than its maximum {max}")));
                    }
                }
            }
        }
        match self.chunk_shape() {
            Some(chunk) if chunk.len() != self.shape().len() => Err(self.err(format!(
                "damaged: chunks of rank {} in a dataset of shape {:?}",
                chunk.len(),
                self.shape()
            ))),
            _ => Ok(self),
        }
    }

    /// The chunk shape, for chunked leaves.
    pub fn chunk_shape(&self) -> Option<Vec<usize>> {
        self.ds.chunk()
    }

    /// The layout of one element (a table's record).
    pub fn layout(&self) -> Result<Layout> {
        let dtype = self.ds.dtype().map_err(|e| self.err(e))?;
        let size = dtype.size();
        let kind = hdf5::sync::sync(|| Kind::from_type_id(dtype.id()));
        if let Some(msg) = outside(&kind, "", size) {
            return Err(self.err(format!("damaged datatype: {msg}")));
        }
        Ok(Layout { kind, size })
    }

    /// Every chunk's position and stored size, in the order HDF5 indexes them.
    pub fn chunks(&self) -> Result<Vec<ChunkInfo>> {
        if !self.ds.is_chunked() {
            return Err(self.err("not chunked (contiguous storage has no chunks)"));
        }
        let n = self.ds.num_chunks().ok_or_else(|| self.err("could not count chunks"))?;
        (0..n)
            .map(|i| {
                let c = self.ds.chunk_info(i).ok_or_else(|| self.err(format!("could not locate chunk {i}")))?;
                Ok(ChunkInfo { offset: c.offset, filter_mask: c.filter_mask, addr: c.addr, size: c.size })
            })
            .collect()
    }

    /// A chunk's stored size as a length to read, checked before anything is allocated for
    /// it: an error naming the chunk when it is more than a chunk of `chunk_bytes` could need
    /// (twice that and 1 MiB) or when it runs past the end of the file (`file_len` bytes).
    pub fn stored_len(&self, chunk: &ChunkInfo, chunk_bytes: usize, file_len: u64) -> Result<usize> {
        let size = usize::try_from(chunk.size).unwrap_or(usize::MAX);
        if size > chunk_bytes.saturating_mul(2).saturating_add(1 << 20) {
            let msg = format!("claims {size} stored bytes for a chunk of {chunk_bytes} bytes");
            return Err(self.chunk_err(&chunk.offset, msg));
        }
        if chunk.addr.checked_add(chunk.size).is_none_or(|end| end > file_len) {
            let msg = format!("claims {size} stored bytes at {}, past the end of the file ({file_len})", chunk.addr);
            return Err(self.chunk_err(&chunk.offset, msg));
        }
        Ok(size)
    }

    /// Copies one chunk's stored bytes into `buf` (reused): the only work done under the
    /// HDF5 lock on the raw path.
    pub fn read_raw_chunk(&self, chunk: &ChunkInfo, buf: &mut Vec<u8>) -> Result<u32> {
        let file_len = std::fs::metadata(&self.file).map_err(|e| self.err(e))?.len();
        let size = self.stored_len(chunk, self.decoder()?.chunk_bytes, file_len)?;
        buf.clear();
        buf.resize(size, 0);
        let mut mask: u32 = 0;
        let offset: Vec<hdf5_sys::h5::hsize_t> = chunk.offset.clone();
        extern "C" {
            fn H5Dget_chunk_storage_size(
                dset: hdf5_sys::h5i::hid_t,
                offset: *const hdf5_sys::h5::hsize_t,
                bytes: *mut hdf5_sys::h5::hsize_t,
            ) -> hdf5_sys::h5::herr_t;
        }
        let mut stored: hdf5_sys::h5::hsize_t = 0;
        let rc = hdf5::sync::sync(|| {
            // Safety: `offset` has one entry per dimension; `buf` holds the chunk's stored size,
            // which the library's own lookup confirms before it copies the chunk into `buf`
            // (`chunk` may come from outcore's reading of the index, and a damaged file can make
            // the two disagree).
            unsafe {
                if H5Dget_chunk_storage_size(self.ds.id(), offset.as_ptr(), &mut stored) < 0
                    || stored != buf.len() as hdf5_sys::h5::hsize_t
                {
                    return -2;
                }
                #[cfg(not(hdf5_2))]
                let rc = hdf5_sys::h5d::H5Dread_chunk(
                    self.ds.id(),
                    hdf5_sys::h5p::H5P_DEFAULT,
                    offset.as_ptr(),
                    &mut mask,
                    buf.as_mut_ptr().cast(),
                );
                #[cfg(hdf5_2)]
                let rc = {
                    let mut size = buf.len();
                    hdf5_sys::h5d::H5Dread_chunk(
                        self.ds.id(),
                        hdf5_sys::h5p::H5P_DEFAULT,
                        offset.as_ptr(),
                        &mut mask,
                        buf.as_mut_ptr().cast(),
                        &mut size,
                    )
                };
                rc
            }
        });
        if rc < 0 {
            let msg = if rc == -2 {
                format!("its index says {} stored bytes, the library's lookup {stored}", chunk.size)
            } else {
                "H5Dread_chunk failed".into()
            };
            return Err(self.chunk_err(&chunk.offset, msg));
        }
        Ok(mask)
    }

    /// The decoder of this leaf's chunks (shareable across threads).
    pub fn decoder(&self) -> Result<Decoder> {
        let layout_size = self.ds.dtype().map_err(|e| self.err(e))?.size();
        let chunk = self.chunk_shape().ok_or_else(|| self.err("not chunked"))?;
        let bytes = chunk.iter().product::<usize>() * layout_size;
        Ok(Decoder::from_filters(&self.ds.filters(), layout_size, bytes))
    }

    /// The encoder of this leaf's chunks, for writing them raw.
    pub fn encoder(&self) -> Result<crate::codec::Encoder> {
        let size = self.ds.dtype().map_err(|e| self.err(e))?.size();
        let chunk = self.chunk_shape().ok_or_else(|| self.err("not chunked"))?;
        Ok(crate::codec::Encoder::from_filters(&self.ds.filters(), size, chunk.iter().product::<usize>() * size))
    }

    /// Writes one encoded chunk at its first element's coordinates (a multiple of the chunk
    /// shape, inside the dataset's extent), under the HDF5 lock.
    pub fn write_raw_chunk(&self, offset: &[u64], filter_mask: u32, encoded: &[u8]) -> Result<()> {
        self.writable()?;
        let shape = self.shape();
        let chunk = self.chunk_shape().ok_or_else(|| self.err("not chunked"))?;
        let fits = offset.len() == shape.len()
            && offset.iter().zip(&chunk).zip(&shape).all(|((&o, &c), &d)| o % c as u64 == 0 && (o as usize) < d.max(1));
        if !fits {
            return Err(
                self.err(format!("chunk offset {offset:?} is not on the chunk grid {chunk:?} inside {shape:?}"))
            );
        }
        let rc = hdf5::sync::sync(|| {
            crate::error::clear_errno();
            // Safety: `offset` has one entry per dimension; `encoded` is valid for its length.
            unsafe {
                hdf5_sys::h5d::H5Dwrite_chunk(
                    self.ds.id(),
                    hdf5_sys::h5p::H5P_DEFAULT,
                    filter_mask,
                    offset.as_ptr(),
                    encoded.len(),
                    encoded.as_ptr().cast(),
                )
            }
        });
        if rc < 0 {
            return Err(self.err(crate::error::failed(format!("H5Dwrite_chunk failed at {offset:?}"))));
        }
        Ok(())
    }

    /// One element of the dataset's fill value, in its own type (zeros when none is set).
    pub fn fill_bytes(&self, elem_size: usize) -> Vec<u8> {
        if let Some(v) = crate::header::fill_value(self.ds.id(), &self.file, elem_size) {
            return v;
        }
        self.library_fill_bytes(elem_size)
    }

    /// [`Leaf::fill_bytes`] as the library gives it (converted to the dataset's own type).
    pub(crate) fn library_fill_bytes(&self, elem_size: usize) -> Vec<u8> {
        let mut buf = vec![0u8; elem_size];
        let Ok(dtype) = self.ds.dtype() else { return buf };
        hdf5::sync::sync(|| {
            // Safety: `buf` holds one element of the dataset's type; the plist is closed here.
            unsafe {
                let dcpl = hdf5_sys::h5d::H5Dget_create_plist(self.ds.id());
                if dcpl >= 0 {
                    if hdf5_sys::h5p::H5Pget_fill_value(dcpl, dtype.id(), buf.as_mut_ptr().cast()) < 0 {
                        buf.iter_mut().for_each(|b| *b = 0);
                    }
                    hdf5_sys::h5p::H5Pclose(dcpl);
                }
            }
        });
        buf
    }

    /// The values as an ndarray of `T` (HDF5 converts between numeric types; a type it cannot
    /// convert to, such as a number from a record, is an error naming the node).
    pub fn read_array<T: hdf5::H5Type>(&self) -> Result<ndarray::ArrayD<T>> {
        let n: usize = self.shape().iter().product();
        self.check_storage(n.saturating_mul(self.ds.dtype().map_err(|e| self.err(e))?.size()))?;
        self.ds.read_dyn::<T>().map_err(|e| self.err(format!("cannot read as {}: {e}", std::any::type_name::<T>())))
    }

    /// Checks what HDF5 1.10 trusts before it reads the leaf: contiguous or compact storage
    /// must hold the dataset's `bytes`; chunks stored without filters must hold a whole chunk
    /// each, filtered ones must decode to one, and none may be empty (the library reads past
    /// shorter storage, or copies a whole chunk out of a shorter one).
    /// Refuses the chunks a library read would misread: of no bytes, stored as they are
    /// (no filter applied) but not a chunk's size, or (for those `decode` picks) filtered to
    /// other than a chunk's bytes, which outcore decodes itself to see. Chunks that went
    /// through a filter outcore cannot undo are left to the library as they are.
    pub(crate) fn check_chunks<'c>(
        &self,
        chunks: impl IntoIterator<Item = &'c ChunkInfo>,
        decode: impl Fn(&ChunkInfo) -> bool,
    ) -> Result<()> {
        let decoder = self.decoder()?;
        let (mut raw, mut out) = (Vec::new(), Vec::new());
        for c in chunks {
            if c.size == 0 {
                return Err(self.chunk_err(&c.offset, "stores no bytes"));
            }
            if decoder.passes_through(c.filter_mask) {
                if c.size != decoder.chunk_bytes as u64 {
                    let msg = format!("stores {} bytes unfiltered, a chunk holds {}", c.size, decoder.chunk_bytes);
                    return Err(self.chunk_err(&c.offset, msg));
                }
            } else if decode(c) && decoder.decodes(c.filter_mask) {
                let mask = self.read_raw_chunk(c, &mut raw)?;
                decoder.decode(&raw, mask, &mut out).map_err(|e| self.chunk_err(&c.offset, e))?;
            }
        }
        Ok(())
    }

    pub(crate) fn check_storage(&self, bytes: usize) -> Result<()> {
        if self.chunk_shape().is_some() {
            let chunks = match self.checked_chunk_index()? {
                Some(index) => index.iter().cloned().collect(),
                None => self.chunks()?,
            };
            // Filtered chunks are decoded here first (and dropped): HDF5 1.10 copies a whole
            // chunk out of one that decodes to fewer bytes.
            return self.check_chunks(&chunks, |_| true);
        }
        match crate::header::stored_bytes(self.ds.id(), &self.file) {
            Ok(Some(stored)) if stored < bytes as u64 => {
                Err(self.err(format!("damaged: its storage holds {stored} bytes, its shape needs {bytes}")))
            }
            Ok(_) => Ok(()),
            Err(e) => Err(self.err(format!("damaged: {e}"))),
        }
    }

    /// [`Leaf::check_storage`] for a contiguous or compact leaf, whose storage cannot change
    /// size: checked once per `Leaf`, not once per slab read.
    pub(crate) fn check_unchunked_storage(&self, bytes: usize) -> Result<()> {
        if self.storage_checked.get().is_none() {
            self.check_storage(bytes)?;
            let _ = self.storage_checked.set(());
        }
        Ok(())
    }

    /// Every value's bytes, in the file's own layout, read by the HDF5 library (the reference
    /// the raw path is checked against).
    pub fn read_bytes(&self) -> Result<Vec<u8>> {
        self.fixed_size_values()?;
        let dtype = self.ds.dtype().map_err(|e| self.err(e))?;
        let n: usize = self.shape().iter().product();
        let bytes = n.checked_mul(dtype.size()).ok_or_else(|| self.err("the shape is too large"))?;
        self.check_storage(bytes)?;
        // The library fills every byte, so the buffer is not zeroed first.
        let mut buf = output_buffer(bytes);
        if n == 0 {
            return Ok(buf);
        }
        let rc = hdf5::sync::sync(|| {
            // Safety: `buf` has room for every element in the dataset's own type; the library
            // writes through the raw pointer, no Rust reference to the uninitialised bytes exists.
            unsafe {
                hdf5_sys::h5d::H5Dread(
                    self.ds.id(),
                    dtype.id(),
                    hdf5_sys::h5s::H5S_ALL,
                    hdf5_sys::h5s::H5S_ALL,
                    hdf5_sys::h5p::H5P_DEFAULT,
                    buf.as_mut_ptr().cast(),
                )
            }
        });
        if rc < 0 {
            return Err(self.read_failure("H5Dread", 0..u64::MAX));
        }
        // Safety: H5Dread succeeded, so all `bytes` bytes are initialised.
        unsafe { buf.set_len(bytes) };
        Ok(buf)
    }
}

/// Reading a whole chunked leaf on the raw path: one thread copies raw chunks out of the file
/// under the HDF5 lock, a bounded queue hands them to rayon workers, which decode them outside
/// the lock into their place in the result. At most `2 × workers` raw chunks are in flight and
/// raw buffers are recycled, so memory beyond the result stays flat.
impl Leaf {
    /// Every value of the leaf, packed in its own type, its chunks read and decoded on all cores.
    pub fn read_parallel(&self) -> Result<Vec<u8>> {
        use std::sync::mpsc::sync_channel;
        use std::sync::Mutex;

        use rayon::prelude::*;

        let layout_size = self.ds.dtype().map_err(|e| self.err(e))?.size();
        let shape = self.shape();
        let chunk = self.chunk_shape().ok_or_else(|| self.err("not chunked"))?;
        let inner: usize = shape.iter().skip(1).product();
        if chunk.iter().skip(1).product::<usize>() != inner {
            return Err(self.err("the raw reader needs chunks that span every dimension but the first"));
        }
        let decoder = self.decoder()?;
        decoder.supported().map_err(|e| self.err(e))?;
        if decoder.is_identity() && !self.unchanging() {
            // Nothing to decode: the library reads straight into the result, one copy.
            return self.read_bytes();
        }
        let row_bytes = inner * layout_size;
        let total = shape.first().copied().unwrap_or(0);
        if row_bytes == 0 || total == 0 {
            return Ok(Vec::new());
        }
        let bytes = total.checked_mul(row_bytes).ok_or_else(|| self.err(format!("shape {shape:?} is too large")))?;
        let mut out = output_buffer(bytes);
        let chunks = self.chunks()?;
        let rows_per_chunk = chunk[0].max(1);
        // One slot of the result per chunk, taken by the worker that decodes it. Slots start
        // uninitialised: each is zeroed by its worker right before decoding (while it is in
        // cache), and slots of chunks never written are zeroed at the end.
        let slots: Vec<Mutex<Option<&mut [std::mem::MaybeUninit<u8>]>>> = out.spare_capacity_mut()[..bytes]
            .chunks_mut(rows_per_chunk * row_bytes)
            .map(|s| Mutex::new(Some(s)))
            .collect();
        // A file open read-only cannot change under us: the workers read each chunk's stored
        // bytes from its file address themselves, in parallel, without the HDF5 lock at all.
        if self.unchanging() {
            use std::os::unix::fs::FileExt;
            let os_file = std::fs::File::open(&self.file).map_err(|e| self.err(e))?;
            let file_len = os_file.metadata().map_err(|e| self.err(e))?.len();
            chunks.par_iter().try_for_each_init(
                || (Vec::new(), Vec::new(), Vec::new()),
                |(raw, scratch, edge), info| -> Result<()> {
                    let chunk_err = |msg: String| self.chunk_err(&info.offset, msg);
                    let size = self.stored_len(info, decoder.chunk_bytes, file_len)?;
                    let idx = (info.offset.first().copied().unwrap_or(0) as usize) / rows_per_chunk;
                    let slot = slots.get(idx).and_then(|m| m.lock().ok().and_then(|mut s| s.take())).map(init);
                    if decoder.passes_through(info.filter_mask) {
                        // Unfiltered: the stored bytes are the values; read them into place.
                        if size != decoder.chunk_bytes {
                            return Err(chunk_err(format!(
                                "stored {size} bytes unfiltered, a chunk holds {}",
                                decoder.chunk_bytes
                            )));
                        }
                        let Some(slot) = slot else { return Ok(()) };
                        let n = slot.len().min(size);
                        return os_file.read_exact_at(&mut slot[..n], info.addr).map_err(|e| chunk_err(e.to_string()));
                    }
                    raw.resize(size, 0);
                    os_file.read_exact_at(raw, info.addr).map_err(|e| chunk_err(e.to_string()))?;
                    match slot {
                        Some(slot) => decoder.decode_to_slot(raw, info.filter_mask, slot, scratch, edge),
                        None => Ok(()),
                    }
                    .map_err(|e| chunk_err(e.to_string()))
                },
            )?;
            let fill = self.fill_bytes(layout_size);
            for slot in slots {
                if let Ok(Some(s)) = slot.into_inner() {
                    fill_slot(init(s), &fill);
                }
            }
            // Safety: every slot, and so every byte of `..bytes`, was initialised above.
            unsafe { out.set_len(bytes) };
            return Ok(out);
        }
        let workers = rayon::current_num_threads().max(1);
        let (tx, rx) = sync_channel::<(usize, u32, Vec<u8>)>(2 * workers);
        let (pool_tx, pool_rx) = sync_channel::<Vec<u8>>(4 * workers);
        let failed = Mutex::new(None::<Error>);
        let chunks = &chunks;
        std::thread::scope(|scope| {
            // The reader owns the sender: when it is done the queue closes and the workers stop.
            let reader = scope.spawn(move || -> Result<()> {
                for info in chunks {
                    let mut buf = pool_rx.try_recv().unwrap_or_default();
                    let mask = self.read_raw_chunk(info, &mut buf)?;
                    let idx = (info.offset.first().copied().unwrap_or(0) as usize) / rows_per_chunk;
                    if tx.send((idx, mask, buf)).is_err() {
                        break;
                    }
                }
                Ok(())
            });
            rx.into_iter().par_bridge().for_each_init(
                || (Vec::new(), Vec::new()),
                |(scratch, edge), (idx, mask, raw)| {
                    let slot = slots.get(idx).and_then(|m| m.lock().ok().and_then(|mut s| s.take())).map(init);
                    let result = match slot {
                        Some(slot) => decoder.decode_to_slot(&raw, mask, slot, scratch, edge),
                        None => Ok(()),
                    };
                    let result = result.map_err(|e| Error::Chunk {
                        file: self.file.clone(),
                        node: self.path.clone(),
                        chunk: format!("#{idx}"),
                        msg: e.to_string(),
                    });
                    let _ = pool_tx.try_send(raw);
                    if let Err(e) = result {
                        if let Ok(mut f) = failed.lock() {
                            f.get_or_insert(e);
                        }
                    }
                },
            );
            match reader.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    if let Ok(mut f) = failed.lock() {
                        f.get_or_insert(e);
                    }
                }
                Err(_) => {
                    if let Ok(mut f) = failed.lock() {
                        f.get_or_insert(self.err("the chunk reader stopped"));
                    }
                }
            }
        });
        if let Some(e) = failed.into_inner().ok().flatten() {
            return Err(e);
        }
        let fill = self.fill_bytes(layout_size);
        for slot in slots {
            if let Ok(Some(s)) = slot.into_inner() {
                fill_slot(init(s), &fill);
            }
        }
        // Safety: every slot, and so every byte of `..bytes`, was initialised above.
        unsafe { out.set_len(bytes) };
        Ok(out)
    }
}

/// Repeats one element's fill bytes over a slot (chunks never written hold the fill value).
fn fill_slot(slot: &mut [u8], fill: &[u8]) {
    if fill.is_empty() || fill.iter().all(|&b| b == 0) {
        return;
    }
    for e in slot.chunks_mut(fill.len()) {
        let n = e.len();
        e.copy_from_slice(&fill[..n]);
    }
}

/// Zeroes a slot of uninitialised bytes and returns it as bytes.
fn init(s: &mut [std::mem::MaybeUninit<u8>]) -> &mut [u8] {
    s.fill(std::mem::MaybeUninit::new(0));
    // Safety: every element was just initialised; MaybeUninit<u8> has u8's layout.
    unsafe { &mut *(s as *mut [std::mem::MaybeUninit<u8>] as *mut [u8]) }
}

/// An empty buffer with room for a whole leaf (its length is set once it is filled). Large ones
/// ask the kernel for transparent huge pages (as NumPy does for its arrays), which makes the
/// first touch of every page far cheaper.
fn output_buffer(n: usize) -> Vec<u8> {
    let mut v: Vec<u8> = Vec::with_capacity(n);
    #[cfg(target_os = "linux")]
    if n >= 4 << 20 {
        const HUGE: usize = 2 << 20;
        let p = v.as_mut_ptr() as usize;
        let start = p.div_ceil(HUGE) * HUGE;
        let end = (p + n) / HUGE * HUGE;
        if end > start {
            // Safety: the range lies inside the allocation just made; madvise only advises.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    v
}

/// The candidate closest to `name` by edit distance, if it is close: at most a third of the
/// length of the name's last part (at least 1, at most 3 edits), as "did you mean" suggestions go.
fn closest(name: &str, candidates: impl Iterator<Item = String>) -> Option<String> {
    /// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`.
    fn distance(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j - 1] + cost).min(d[i - 1][j] + 1).min(d[i][j - 1] + 1);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[a.len()][b.len()]
    }
    let last = name.rsplit('/').next().unwrap_or(name);
    let limit = (last.chars().count() / 3).clamp(1, 3);
    candidates
        .map(|c| (distance(name, &c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)))
        .map(|(_, c)| c)
}

/// The error for a file the library would not open, saying why when the cause is not the
/// file's content: another process's lock, the operating system's refusal (permissions, a
/// read-only or full file system), a file that cannot be created.
fn open_error(path: &Path, exists: bool, msg: String) -> Error {
    let file = path.to_path_buf();
    if msg.contains("unable to lock file") {
        return Error::File {
            file,
            msg: "is locked: another process has it open for writing (HDF5's file locking); close it \
                  there, or set HDF5_USE_FILE_LOCKING=FALSE to read it anyway"
                .into(),
        };
    }
    if !exists {
        return Error::File { file, msg: format!("cannot be created: {msg}") };
    }
    if let Err(e) = std::fs::File::open(path) {
        return Error::File { file, msg: format!("cannot be opened: {e}") };
    }
    Error::NotHdf5 { file, msg }
}

#[cfg(test)]
mod closest_tests {
    use super::closest;

    #[test]
    fn suggestions_are_close_names_only() {
        let names = || ["/events", "/grid", "/series"].iter().map(|s| s.to_string());
        assert_eq!(closest("/event", names()), Some("/events".into()));
        assert_eq!(closest("/gird", names()), Some("/grid".into()));
        assert_eq!(closest("/nothing", names()), None);
        assert_eq!(closest("", names()), None);
    }
}
