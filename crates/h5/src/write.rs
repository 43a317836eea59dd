//! Writing groups and arrays that PyTables recognises: its `CLASS`, `VERSION` and `TITLE`
//! attributes as fixed-length ASCII strings (empty strings with a null dataspace, as PyTables
//! writes them), `EXTDIM` on EArrays, and the root's `PYTABLES_FORMAT_VERSION`.

use hdf5::filters::{Blosc, BloscShuffle, Filter};
use hdf5::H5Type;
use ndarray::{ArrayView, Dimension};

use crate::attrs::AttrValue;
use crate::error::{Error, Result};
use crate::file::{File, Group, Leaf};

/// A compression library, as PyTables names them (`zlib`, `blosc:lz4`, ... , `lzf`,
/// `blosc2`, `blosc2:zstd`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Complib {
    /// zlib (HDF5's deflate).
    Zlib,
    /// Blosc with its default codec (blosclz).
    Blosc,
    /// Blosc with LZ4.
    BloscLz4,
    /// Blosc with Zstandard.
    BloscZstd,
    /// Blosc with zlib.
    BloscZlib,
    /// LZF.
    Lzf,
    /// blosc2 with its blosclz codec (PyTables' `blosc2`).
    Blosc2,
    /// Blosc2 with LZ4.
    Blosc2Lz4,
    /// Blosc2 with LZ4HC.
    Blosc2Lz4hc,
    /// Blosc2 with zlib.
    Blosc2Zlib,
    /// Blosc2 with Zstandard.
    Blosc2Zstd,
}

impl std::str::FromStr for Complib {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Complib, String> {
        Ok(match s {
            "zlib" => Complib::Zlib,
            "blosc" | "blosc:blosclz" => Complib::Blosc,
            "blosc:lz4" => Complib::BloscLz4,
            "blosc:zstd" => Complib::BloscZstd,
            "blosc:zlib" => Complib::BloscZlib,
            "lzf" => Complib::Lzf,
            "blosc2" | "blosc2:blosclz" => Complib::Blosc2,
            "blosc2:lz4" => Complib::Blosc2Lz4,
            "blosc2:lz4hc" => Complib::Blosc2Lz4hc,
            "blosc2:zlib" => Complib::Blosc2Zlib,
            "blosc2:zstd" => Complib::Blosc2Zstd,
            other => return Err(format!("unknown compression library `{other}`")),
        })
    }
}

/// PyTables' `Filters`: a compression level (0 = none), a library, byte or bit shuffling
/// (bit shuffling is blosc's), and a Fletcher-32 checksum of each chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filters {
    /// The compression level, 0 (none) to 9.
    pub complevel: u8,
    /// The compression library.
    pub complib: Complib,
    /// Whether bytes are shuffled before compressing.
    pub shuffle: bool,
    /// Whether bits are shuffled (blosc and blosc2).
    pub bitshuffle: bool,
    /// A checksum after each (compressed) chunk, checked on every read.
    pub fletcher32: bool,
}

/// PyTables' list of compression libraries: a library's number in its packed `FILTERS`
/// attribute is its position here plus one.
const ALL_COMPLIBS: [&str; 15] = [
    "zlib",
    "lzo",
    "bzip2",
    "blosc",
    "blosc2",
    "blosc:blosclz",
    "blosc:lz4",
    "blosc:lz4hc",
    "blosc:zlib",
    "blosc:zstd",
    "blosc2:blosclz",
    "blosc2:lz4",
    "blosc2:lz4hc",
    "blosc2:zlib",
    "blosc2:zstd",
];

impl Complib {
    /// PyTables' name of the library (`"zlib"`, `"blosc:lz4"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Complib::Zlib => "zlib",
            Complib::Blosc => "blosc",
            Complib::BloscLz4 => "blosc:lz4",
            Complib::BloscZstd => "blosc:zstd",
            Complib::BloscZlib => "blosc:zlib",
            Complib::Lzf => "lzf",
            Complib::Blosc2 => "blosc2",
            Complib::Blosc2Lz4 => "blosc2:lz4",
            Complib::Blosc2Lz4hc => "blosc2:lz4hc",
            Complib::Blosc2Zlib => "blosc2:zlib",
            Complib::Blosc2Zstd => "blosc2:zstd",
        }
    }
}

/// No compression, as PyTables' `Filters()`.
impl Default for Filters {
    fn default() -> Filters {
        Filters { complevel: 0, complib: Complib::Zlib, shuffle: false, bitshuffle: false, fletcher32: false }
    }
}

impl Filters {
    /// `complib` at `complevel` with byte shuffling, as PyTables' `Filters(complevel,
    /// complib)` (level 0: no compression and no shuffling).
    pub fn new(complib: Complib, complevel: u8) -> Filters {
        Filters { complevel, complib, shuffle: complevel > 0, bitshuffle: false, fletcher32: false }
    }

    /// Plain filters: zlib level `complevel` with shuffling (PyTables' most common choice).
    pub fn zlib(complevel: u8) -> Filters {
        Filters::new(Complib::Zlib, complevel)
    }

    /// blosc (its blosclz codec) at `complevel` with byte shuffling.
    pub fn blosc(complevel: u8) -> Filters {
        Filters::new(Complib::Blosc, complevel)
    }

    /// The same filters with byte shuffling on or off.
    pub fn with_shuffle(self, shuffle: bool) -> Filters {
        Filters { shuffle, ..self }
    }

    /// The same filters with a Fletcher-32 checksum of each chunk, or without.
    pub fn with_fletcher32(self, fletcher32: bool) -> Filters {
        Filters { fletcher32, ..self }
    }

    /// The same filters with blosc's bit shuffling on or off (in place of byte shuffling).
    pub fn with_bitshuffle(self, bitshuffle: bool) -> Filters {
        Filters { bitshuffle, shuffle: self.shuffle && !bitshuffle, ..self }
    }

    /// The 64-bit integer PyTables stores in a group's `FILTERS` attribute.
    pub fn pack(&self) -> i64 {
        let mut packed = i64::from(self.complevel);
        if self.complevel > 0 {
            if let Some(i) = ALL_COMPLIBS.iter().position(|&c| c == self.complib.name()) {
                packed |= ((i + 1) as i64) << 8;
            }
        }
        if self.shuffle {
            packed |= 0x1 << 16;
        }
        if self.fletcher32 {
            packed |= 0x2 << 16;
        }
        if self.bitshuffle {
            packed |= 0x8 << 16;
        }
        packed
    }

    /// Reads PyTables' packed `FILTERS` value (`None` for a library outcore does not write).
    pub fn unpack(packed: i64) -> Option<Filters> {
        let complevel = (packed & 0xff) as u8;
        let lib = ((packed >> 8) & 0xff) as usize;
        let flags = (packed >> 16) & 0xff;
        let complib = if complevel == 0 || lib == 0 {
            Complib::Zlib
        } else {
            match ALL_COMPLIBS.get(lib - 1).copied()? {
                "blosc:blosclz" => Complib::Blosc,
                "blosc2:blosclz" => Complib::Blosc2,
                name => name.parse().ok()?,
            }
        };
        Some(Filters {
            complevel,
            complib,
            shuffle: flags & 0x1 != 0,
            bitshuffle: flags & 0x8 != 0,
            fletcher32: flags & 0x2 != 0,
        })
    }

    /// The HDF5 filter pipeline: the compressor (and HDF5's shuffle before zlib and lzf), then
    /// the checksum of what it wrote, as PyTables orders them.
    pub(crate) fn pipeline(&self) -> Vec<Filter> {
        let mut v = self.compression();
        if self.fletcher32 {
            v.push(Filter::Fletcher32);
        }
        v
    }

    fn compression(&self) -> Vec<Filter> {
        if self.complevel == 0 {
            return Vec::new();
        }
        let level = self.complevel.min(9);
        // Blosc and blosc2 shuffle inside their own frames, as PyTables' filters do.
        let shuffle = if self.bitshuffle {
            BloscShuffle::Bit
        } else if self.shuffle {
            BloscShuffle::Byte
        } else {
            BloscShuffle::None
        };
        let blosc = |codec| vec![Filter::Blosc(codec, level, shuffle)];
        // hdf5-blosc2's parameters with c-blosc2's compressor code; the block size (0:
        // c-blosc2's choice), item size and chunk bytes are set when the dataset is made.
        let blosc2 = |code: u32| {
            let shuffle = match shuffle {
                BloscShuffle::None => 0,
                BloscShuffle::Byte => 1,
                BloscShuffle::Bit => 2,
            };
            vec![Filter::User(crate::blosc2::ID, vec![crate::blosc2::REVISION, 0, 0, 0, level.into(), shuffle, code])]
        };
        match self.complib {
            Complib::Zlib | Complib::Lzf => {
                let mut v = Vec::new();
                if self.shuffle {
                    v.push(Filter::Shuffle);
                }
                v.push(if self.complib == Complib::Zlib { Filter::Deflate(level) } else { Filter::LZF });
                v
            }
            Complib::Blosc => blosc(Blosc::BloscLZ),
            Complib::BloscLz4 => blosc(Blosc::LZ4),
            Complib::BloscZstd => blosc(Blosc::ZStd),
            Complib::BloscZlib => blosc(Blosc::ZLib),
            Complib::Blosc2 => blosc2(0),
            Complib::Blosc2Lz4 => blosc2(1),
            Complib::Blosc2Lz4hc => blosc2(2),
            Complib::Blosc2Zlib => blosc2(4),
            Complib::Blosc2Zstd => blosc2(5),
        }
    }
}

/// Writes a string attribute the way PyTables does.
pub(crate) fn write_str_attr(loc: &hdf5::Location, name: &str, value: &str) -> hdf5::Result<()> {
    use hdf5_sys::h5a::{H5Aclose, H5Acreate2, H5Awrite};
    use hdf5_sys::h5p::H5P_DEFAULT;
    use hdf5_sys::h5s::{H5S_class_t, H5Sclose, H5Screate};
    use hdf5_sys::h5t::{H5T_str_t, H5Tclose, H5Tcopy, H5Tset_size, H5Tset_strpad, H5T_C_S1};
    let cname = std::ffi::CString::new(name).map_err(|_| hdf5::Error::from("attribute name holds a NUL"))?;
    if loc.attr_names()?.iter().any(|n| n == name) {
        loc.delete_attr(name)?;
    }
    hdf5::sync::sync(|| {
        // Safety: every id created here is closed before returning; `value` outlives the write.
        unsafe {
            let ty = H5Tcopy(*H5T_C_S1);
            H5Tset_size(ty, value.len().max(1));
            H5Tset_strpad(ty, H5T_str_t::H5T_STR_NULLTERM);
            let space = H5Screate(if value.is_empty() { H5S_class_t::H5S_NULL } else { H5S_class_t::H5S_SCALAR });
            let attr = H5Acreate2(loc.id(), cname.as_ptr(), ty, space, H5P_DEFAULT, H5P_DEFAULT);
            let rc = if attr < 0 {
                -1
            } else if value.is_empty() {
                0
            } else {
                H5Awrite(attr, ty, value.as_ptr().cast())
            };
            if attr >= 0 {
                H5Aclose(attr);
            }
            H5Sclose(space);
            H5Tclose(ty);
            if rc < 0 {
                Err(hdf5::Error::from("could not write a string attribute"))
            } else {
                Ok(())
            }
        }
    })
}

pub(crate) fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{}/{name}", parent.trim_end_matches('/'))
    }
}

impl File {
    fn werr(&self, node: &str, e: impl std::fmt::Display) -> Error {
        Error::Node { file: self.path().to_path_buf(), node: node.to_string(), msg: crate::error::tidy(e.to_string()) }
    }

    pub(crate) fn check_new(&self, node: &str) -> Result<()> {
        self.writable(node)?;
        self.mark_root()?;
        self.create_parents(node)
    }

    /// Creates the missing groups above `node` (PyTables' `createparents=True`), each marked
    /// as PyTables marks a group; an existing leaf on the way is an error naming it.
    fn create_parents(&self, node: &str) -> Result<()> {
        let names: Vec<&str> = node.split('/').filter(|n| !n.is_empty()).collect();
        let mut at = String::from("/");
        for name in names.iter().take(names.len().saturating_sub(1)) {
            let path = join(&at, name);
            if !self.node_exists(&path) {
                self.create_group(&at, name, "")?;
            } else if self.group(&path).is_err() {
                return Err(self.werr(node, format!("{path} is a leaf, not a group")));
            }
            at = path;
        }
        Ok(())
    }

    fn writable(&self, node: &str) -> Result<()> {
        if self.mode() == crate::file::Mode::Read {
            return Err(Error::ReadOnly { file: self.path().to_path_buf(), node: node.to_string(), hint: "" });
        }
        if self.node_exists(node) {
            return Err(self.werr(node, "node exists"));
        }
        Ok(())
    }

    /// Marks the root group as PyTables does when it creates a file (done once per file).
    fn mark_root(&self) -> Result<()> {
        let root = self.h5().as_group().map_err(|e| self.werr("/", e))?;
        if root.attr_names().map_err(|e| self.werr("/", e))?.iter().any(|n| n == "PYTABLES_FORMAT_VERSION") {
            return Ok(());
        }
        for (k, v) in [("CLASS", "GROUP"), ("PYTABLES_FORMAT_VERSION", "2.1"), ("TITLE", ""), ("VERSION", "1.0")] {
            write_str_attr(&root, k, v).map_err(|e| self.werr("/", e))?;
        }
        Ok(())
    }

    /// The filters a new node at `path` inherits, as PyTables: the nearest enclosing group's
    /// `FILTERS` attribute, up to the root.
    pub fn inherited_filters(&self, path: &str) -> Option<Filters> {
        let mut parent = path.rsplit_once('/').map_or("/", |(p, _)| if p.is_empty() { "/" } else { p }).to_string();
        loop {
            let g = self.group(&parent).ok()?;
            if let Some((_, v)) = g.attrs().ok()?.into_iter().find(|(k, _)| k == "FILTERS") {
                return v.as_i64().and_then(Filters::unpack);
            }
            if parent == "/" {
                return None;
            }
            parent = parent.rsplit_once('/').map_or("/", |(p, _)| if p.is_empty() { "/" } else { p }).to_string();
        }
    }

    /// Sets the filters a group's new leaves (and subgroups) inherit, as PyTables' `FILTERS`.
    pub fn set_group_filters(&self, group: &str, filters: &Filters) -> Result<()> {
        let g = if group == "/" { self.h5().as_group() } else { self.h5().group(group) }
            .map_err(|e| self.werr(group, e))?;
        if g.attr_names().map_err(|e| self.werr(group, e))?.iter().any(|n| n == "FILTERS") {
            g.delete_attr("FILTERS").map_err(|e| self.werr(group, e))?;
        }
        let a = g.new_attr::<i64>().create("FILTERS").map_err(|e| self.werr(group, e))?;
        a.write_scalar(&filters.pack()).map_err(|e| self.werr(group, e))
    }

    /// Sets an attribute of a node (a group or a leaf) to a number or a string.
    pub fn set_attr(&self, node: &str, name: &str, value: &AttrValue) -> Result<()> {
        if self.mode() == crate::file::Mode::Read {
            return Err(Error::ReadOnly { file: self.path().to_path_buf(), node: node.to_string(), hint: "" });
        }
        if !self.node_exists(node) {
            return Err(self.missing(node));
        }
        fn loc_of(l: &hdf5::Location) -> hdf5::Location {
            l.clone()
        }
        if node != "/" {
            self.openable(node)?;
        }
        let loc: hdf5::Location = if node == "/" {
            self.h5().as_group().map(|g| loc_of(&g))
        } else if let Ok(g) = self.h5().group(node) {
            Ok(loc_of(&g))
        } else {
            self.h5().dataset(node).map(|d| loc_of(&d))
        }
        .map_err(|e| self.werr(node, e))?;
        if loc.attr_names().map_err(|e| self.werr(node, e))?.iter().any(|n| n == name) {
            loc.delete_attr(name).map_err(|e| self.werr(node, e))?;
        }
        let r = match value {
            AttrValue::Str(s) => write_str_attr(&loc, name, s),
            AttrValue::Int(v) => loc.new_attr::<i64>().create(name).and_then(|a| a.write_scalar(v)),
            AttrValue::UInt(v) => loc.new_attr::<u64>().create(name).and_then(|a| a.write_scalar(v)),
            AttrValue::Float(v) => loc.new_attr::<f64>().create(name).and_then(|a| a.write_scalar(v)),
            AttrValue::Bool(v) => loc.new_attr::<bool>().create(name).and_then(|a| a.write_scalar(v)),
            other => return Err(self.werr(node, format!("cannot store {other:?} as an attribute"))),
        };
        r.map_err(|e| self.werr(node, e))
    }

    /// Creates a group with a title.
    pub fn create_group(&self, parent: &str, name: &str, title: &str) -> Result<Group> {
        let path = join(parent, name);
        self.writable(&path)?;
        self.mark_root()?;
        let g = self.h5().create_group(&path).map_err(|e| self.werr(&path, e))?;
        for (k, v) in [("CLASS", "GROUP"), ("TITLE", title), ("VERSION", "1.0")] {
            write_str_attr(&g, k, v).map_err(|e| self.werr(&path, e))?;
        }
        self.group(&path)
    }

    fn create_leaf<T: H5Type + Clone, D: Dimension>(
        &self,
        path: &str,
        data: ArrayView<'_, T, D>,
        chunk: Option<&[usize]>,
        filters: Option<&Filters>,
        extendable: bool,
    ) -> Result<hdf5::Dataset> {
        self.check_new(path)?;
        let shape = data.shape().to_vec();
        let extents = if extendable {
            let mut e: Vec<hdf5::Extent> = shape.iter().map(|&d| hdf5::Extent::fixed(d)).collect();
            if let Some(first) = e.first_mut() {
                *first = hdf5::Extent::resizable(shape[0]);
            }
            hdf5::SimpleExtents::from_vec(e)
        } else {
            hdf5::SimpleExtents::fixed(shape.iter().copied())
        };
        let mut b = self.h5().new_dataset::<T>().shape(extents);
        if let Some(c) = chunk {
            if c.len() != shape.len() || c.contains(&0) {
                return Err(self.werr(path, format!("chunk shape {c:?} does not fit shape {shape:?}")));
            }
            b = b.chunk(c.to_vec());
        }
        if let Some(f) = filters.copied().or_else(|| self.inherited_filters(path)) {
            if chunk.is_some() {
                b = b.set_filters(&f.pipeline());
            }
        }
        let ds = b.create(path).map_err(|e| self.werr(path, e))?;
        if !data.is_empty() {
            ds.write(data.as_standard_layout().view()).map_err(|e| self.werr(path, e))?;
        }
        Ok(ds)
    }

    /// Creates a chunked CArray holding `data`; without an explicit chunk shape, PyTables'
    /// rule picks one.
    pub fn create_carray<T: H5Type + Clone, D: Dimension>(
        &self,
        parent: &str,
        name: &str,
        data: ArrayView<'_, T, D>,
        chunk: Option<&[usize]>,
        filters: Option<&Filters>,
        title: &str,
    ) -> Result<Leaf> {
        let path = join(parent, name);
        let rule = crate::chunks::fixed_array_chunkshape(data.shape(), std::mem::size_of::<T>());
        let ds = self.create_leaf(&path, data, Some(chunk.unwrap_or(&rule)), filters, false)?;
        for (k, v) in [("CLASS", "CARRAY"), ("TITLE", title), ("VERSION", "1.1")] {
            write_str_attr(&ds, k, v).map_err(|e| self.werr(&path, e))?;
        }
        self.leaf(&path)
    }

    /// Creates a CArray of `shape` whose elements start as `fill` (PyTables' `create_carray`
    /// with an atom's default): chunks are stored only once written.
    #[allow(clippy::too_many_arguments)]
    pub fn create_carray_filled<T: H5Type + Clone>(
        &self,
        parent: &str,
        name: &str,
        shape: &[usize],
        chunk: Option<&[usize]>,
        filters: Option<&Filters>,
        fill: T,
        title: &str,
    ) -> Result<Leaf> {
        let path = join(parent, name);
        self.check_new(&path)?;
        let rule = crate::chunks::fixed_array_chunkshape(shape, std::mem::size_of::<T>());
        let chunk = chunk.unwrap_or(&rule);
        if chunk.len() != shape.len() || chunk.contains(&0) {
            return Err(self.werr(&path, format!("chunk shape {chunk:?} does not fit shape {shape:?}")));
        }
        let mut b = self.h5().new_dataset::<T>().shape(shape.to_vec()).chunk(chunk.to_vec()).fill_value(fill);
        if let Some(f) = filters.copied().or_else(|| self.inherited_filters(&path)) {
            b = b.set_filters(&f.pipeline());
        }
        let ds = b.create(path.as_str()).map_err(|e| self.werr(&path, e))?;
        for (k, v) in [("CLASS", "CARRAY"), ("TITLE", title), ("VERSION", "1.1")] {
            write_str_attr(&ds, k, v).map_err(|e| self.werr(&path, e))?;
        }
        self.leaf(&path)
    }

    /// Creates an EArray, extendable along its first dimension, holding `data` (which may
    /// have no rows yet). Without an explicit chunk shape, PyTables' rule picks one for
    /// `expected_rows`.
    #[allow(clippy::too_many_arguments)]
    pub fn create_earray<T: H5Type + Clone, D: Dimension>(
        &self,
        parent: &str,
        name: &str,
        data: ArrayView<'_, T, D>,
        chunk: Option<&[usize]>,
        expected_rows: u64,
        filters: Option<&Filters>,
        title: &str,
    ) -> Result<Leaf> {
        let path = join(parent, name);
        let rule = crate::chunks::array_chunkshape(data.shape(), expected_rows, std::mem::size_of::<T>());
        let ds = self.create_leaf(&path, data, Some(chunk.unwrap_or(&rule)), filters, true)?;
        for (k, v) in [("CLASS", "EARRAY"), ("TITLE", title), ("VERSION", "1.1")] {
            write_str_attr(&ds, k, v).map_err(|e| self.werr(&path, e))?;
        }
        ds.new_attr::<i32>().create("EXTDIM").and_then(|a| a.write_scalar(&0i32)).map_err(|e| self.werr(&path, e))?;
        self.leaf(&path)
    }

    /// Creates a contiguous Array holding `data`.
    pub fn create_array<T: H5Type + Clone, D: Dimension>(
        &self,
        parent: &str,
        name: &str,
        data: ArrayView<'_, T, D>,
        title: &str,
    ) -> Result<Leaf> {
        let path = join(parent, name);
        let ds = self.create_leaf(&path, data, None, None, false)?;
        for (k, v) in [("CLASS", "ARRAY"), ("FLAVOR", "numpy"), ("TITLE", title), ("VERSION", "2.4")] {
            write_str_attr(&ds, k, v).map_err(|e| self.werr(&path, e))?;
        }
        self.leaf(&path)
    }
}

impl Leaf {
    /// Appends rows to an EArray (the rows' other dimensions must match).
    pub fn append<T: H5Type + Clone, D: Dimension>(&self, rows: ArrayView<'_, T, D>) -> Result<()> {
        self.writable()?;
        let shape = self.shape();
        let add = rows.shape();
        if add.len() != shape.len() || add[1..] != shape[1..] {
            return Err(self.node_err(format!("cannot append rows of shape {add:?} to shape {shape:?}")));
        }
        if add.first().copied().unwrap_or(0) == 0 {
            return Ok(());
        }
        let mut new = shape.clone();
        new[0] += add[0];
        let ds = self.dataset();
        ds.resize(new.clone()).map_err(|e| self.node_err(e))?;
        let sel: Vec<hdf5::SliceOrIndex> =
            std::iter::once((shape[0]..new[0]).into()).chain(new[1..].iter().map(|&d| (0..d).into())).collect();
        let rows = rows.as_standard_layout();
        ds.write_slice(rows.view(), hdf5::Hyperslab::from(sel)).map_err(|e| self.node_err(e))
    }
}

impl File {
    /// Removes a node (a group with everything under it, or a leaf).
    pub fn remove_node(&self, path: &str) -> Result<()> {
        if self.mode() == crate::file::Mode::Read {
            return Err(Error::ReadOnly { file: self.path().to_path_buf(), node: path.to_string(), hint: "" });
        }
        if path == "/" || !self.node_exists(path) {
            return Err(self.missing(path));
        }
        self.h5().unlink(path.trim_start_matches('/')).map_err(|e| self.werr(path, e))
    }

    /// Renames a node within its group.
    pub fn rename_node(&self, path: &str, new_name: &str) -> Result<()> {
        if self.mode() == crate::file::Mode::Read {
            return Err(Error::ReadOnly { file: self.path().to_path_buf(), node: path.to_string(), hint: "" });
        }
        if path == "/" || !self.node_exists(path) {
            return Err(self.missing(path));
        }
        if new_name.is_empty() || new_name.contains('/') {
            return Err(self.werr(path, format!("`{new_name}` is not a node name")));
        }
        let parent = match path.rfind('/') {
            Some(0) | None => "/",
            Some(i) => &path[..i],
        };
        let target = join(parent, new_name);
        if self.node_exists(&target) {
            return Err(self.werr(&target, "node exists"));
        }
        self.h5().relink(path.trim_start_matches('/'), target.trim_start_matches('/')).map_err(|e| self.werr(path, e))
    }
}

impl Leaf {
    /// The leaf's filters, as PyTables' `Filters` (`None` when it has none, or ones PyTables
    /// cannot express).
    /// The filter pipeline in PyTables' words: the compressor and its level, then shuffle or
    /// bitshuffle and fletcher32 (`zlib(1)+shuffle`, `blosc:lz4(5)+bitshuffle`,
    /// `blosc2:zstd(5)+bitshuffle`, `fletcher32`); a filter outcore does not know is `filter
    /// 32013 (zfp)` or `filter N`; `none` for no filters.
    pub fn filters_text(&self) -> String {
        use hdf5::filters::{Blosc, BloscShuffle, Filter};
        let mut main = Vec::new();
        let mut extra = Vec::new();
        for f in self.dataset().filters() {
            match f {
                Filter::Deflate(level) => main.push(format!("zlib({level})")),
                Filter::Shuffle => extra.push("shuffle".to_string()),
                Filter::Fletcher32 => extra.push("fletcher32".to_string()),
                Filter::LZF => main.push("lzf".to_string()),
                Filter::Blosc(codec, level, sh) => {
                    let lib = match codec {
                        Blosc::BloscLZ => "blosc",
                        Blosc::LZ4 => "blosc:lz4",
                        Blosc::LZ4HC => "blosc:lz4hc",
                        Blosc::Snappy => "blosc:snappy",
                        Blosc::ZLib => "blosc:zlib",
                        Blosc::ZStd => "blosc:zstd",
                        _ => "blosc:?",
                    };
                    main.push(format!("{lib}({level})"));
                    match sh {
                        BloscShuffle::Byte => extra.push("shuffle".into()),
                        BloscShuffle::Bit => extra.push("bitshuffle".into()),
                        BloscShuffle::None => {}
                    }
                }
                Filter::User(32026, cd) => {
                    // hdf5-blosc2's parameters: revision, block size, type size, chunk bytes,
                    // level, shuffle (0 none, 1 byte, 2 bit), compressor.
                    // PyTables names the codec when the parameters hold it (`blosc2:blosclz`),
                    // else the library's default (`blosc2`).
                    let lib = match cd.get(6) {
                        Some(0) => "blosc2:blosclz",
                        Some(&code) => crate::blosc2::compcode_name(code.min(255) as u8),
                        None => "blosc2",
                    };
                    main.push(format!("{lib}({})", cd.get(4).copied().unwrap_or(0)));
                    match cd.get(5) {
                        Some(1) => extra.push("shuffle".into()),
                        Some(2) => extra.push("bitshuffle".into()),
                        _ => {}
                    }
                }
                // PyTables' bzip2 (outcore does not decode it): its level comes first.
                Filter::User(307, cd) => main.push(format!("bzip2({})", cd.first().copied().unwrap_or(0))),
                other => extra.push(filter_label(other.id())),
            }
        }
        main.extend(extra);
        if main.is_empty() {
            "none".into()
        } else {
            main.join("+")
        }
    }

    /// The leaf's filters as PyTables describes them, when outcore knows them all.
    pub fn filters(&self) -> Option<Filters> {
        use hdf5::filters::{Blosc, BloscShuffle, Filter};
        let pipeline = self.dataset().filters();
        let shuffle = pipeline.iter().any(|f| matches!(f, Filter::Shuffle));
        let fletcher32 = pipeline.iter().any(|f| matches!(f, Filter::Fletcher32));
        let found = pipeline.iter().find_map(|f| match f {
            Filter::Deflate(level) => Some(Filters { shuffle, ..Filters::new(Complib::Zlib, *level) }),
            Filter::LZF => Some(Filters { shuffle, ..Filters::new(Complib::Lzf, 1) }),
            Filter::Blosc(codec, level, sh) => Some(Filters {
                shuffle: matches!(sh, BloscShuffle::Byte),
                bitshuffle: matches!(sh, BloscShuffle::Bit),
                ..Filters::new(
                    match codec {
                        Blosc::LZ4 | Blosc::LZ4HC => Complib::BloscLz4,
                        Blosc::ZStd => Complib::BloscZstd,
                        Blosc::ZLib => Complib::BloscZlib,
                        _ => Complib::Blosc,
                    },
                    *level,
                )
            }),
            Filter::User(crate::blosc2::ID, cd) => {
                let p = crate::blosc2::Params::from_cd_values(cd);
                Some(Filters {
                    shuffle: p.shuffle == 1,
                    bitshuffle: p.shuffle == 2,
                    ..Filters::new(p.complib_name().parse().ok()?, p.level)
                })
            }
            _ => None,
        });
        match found {
            Some(f) => Some(Filters { fletcher32, ..f }),
            // A checksum alone: PyTables' `Filters(fletcher32=True)`.
            None if fletcher32 => Some(Filters::default().with_fletcher32(true)),
            None => None,
        }
    }
}

/// A filter's name in the HDF Group's registry, for the ones users meet.
pub fn filter_name(id: i32) -> Option<&'static str> {
    Some(match id {
        1 => "zlib",
        2 => "shuffle",
        3 => "fletcher32",
        4 => "szip",
        5 => "nbit",
        6 => "scaleoffset",
        307 => "bzip2",
        32000 => "lzf",
        32001 => "blosc",
        32004 => "lz4",
        32008 => "bitshuffle",
        32013 => "zfp",
        32015 => "zstd",
        32017 => "sz",
        32026 => "blosc2",
        _ => return None,
    })
}

/// `filter 32013 (zfp)`, or `filter N` for an id outside the registry's well-known ones.
pub fn filter_label(id: i32) -> String {
    match filter_name(id) {
        Some(name) => format!("filter {id} ({name})"),
        None => format!("filter {id}"),
    }
}
