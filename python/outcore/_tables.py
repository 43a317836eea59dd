"""PyTables' face: files, groups with natural naming, tables and their queries, arrays.

The classes mirror PyTables' (``File``, ``Group``, ``Table``, ``Column``, ``Row``, ``Array``,
``CArray``, ``EArray``) with the same method names and arguments, so that switching is a
change of import. Values come back as NumPy arrays in the file's own dtype; every read and
every scan runs in Rust with the GIL released.
"""

import os
import pickle
import sys

import numpy as np

from . import _core
from ._numexpr import _arg
from .exceptions import FileModeError, NoSuchNodeError

__all__ = [
    "open_file",
    "File",
    "Group",
    "Leaf",
    "Table",
    "Column",
    "Cols",
    "Row",
    "Array",
    "CArray",
    "EArray",
    "Filters",
    "Explain",
]


class Filters:
    """Compression for new leaves, as PyTables' ``Filters``: ``complib`` is ``zlib``,
    ``blosc``, ``blosc:lz4``, ``blosc:zstd``, ``blosc:zlib``, ``blosc2``, ``blosc2:lz4``,
    ``blosc2:lz4hc``, ``blosc2:zlib``, ``blosc2:zstd`` or ``lzf``."""

    def __init__(self, complevel=0, complib="zlib", shuffle=True, bitshuffle=False, fletcher32=False):
        self.complevel = int(complevel)
        self.complib = complib
        self.shuffle = bool(shuffle) and not bitshuffle
        self.bitshuffle = bool(bitshuffle)
        self.fletcher32 = bool(fletcher32)

    def __repr__(self):
        return "Filters(complevel=%d, complib=%r, shuffle=%s, bitshuffle=%s, fletcher32=%s)" % (
            self.complevel,
            self.complib,
            self.shuffle,
            self.bitshuffle,
            self.fletcher32,
        )

    def __eq__(self, other):
        return all(
            getattr(self, k) == getattr(other, k, None)
            for k in ("complevel", "complib", "shuffle", "bitshuffle", "fletcher32")
        )


def _filter_args(filters):
    if filters is None:
        return {}
    return {
        "complevel": int(getattr(filters, "complevel", 0)),
        "complib": getattr(filters, "complib", "zlib") or "zlib",
        "shuffle": bool(getattr(filters, "shuffle", True)),
        "bitshuffle": bool(getattr(filters, "bitshuffle", False)),
        "fletcher32": bool(getattr(filters, "fletcher32", False)),
    }


def open_file(filename, mode="r", title="", root_uep="/", filters=None, **kwargs):
    """Opens an HDF5 file, as PyTables' ``open_file``: ``mode`` is ``r`` (read only), ``w``
    (create, truncating), ``a`` (read and write, creating) or ``r+`` (read and write). Use it
    as a context manager to close it."""
    return File(filename, mode)


def _join(where, name):
    where = where._v_pathname if isinstance(where, Node) else where
    if name is None:
        return where
    return "/" + name if where == "/" else where + "/" + name


# How the storage layer says a write ran out of room or failed underneath.
_WRITE_FAILURES = ("no space left on device", "disk quota exceeded", "file size limit", "input/output error")


class File:
    """An HDF5 file (PyTables' ``File``)."""

    def __init__(self, filename, mode="r"):
        self._f = _core.File(os.fspath(filename), mode)
        self.filename = os.fspath(filename)
        self.mode = mode
        self._nodes = {}
        # Leaves an append to failed part way (a full disk): cut back to the rows written in
        # full once the file is closed, as `outcore repair` does.
        self._repairs = set()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        state = "open" if self.isopen else "closed"
        return "<outcore.File %r (mode %r, %s)>" % (self.filename, self.mode, state)

    @property
    def isopen(self):
        return self._f.isopen

    def close(self):
        """Closes the file (flushing what was written): every node of it lets go of its
        handle, so that the file is closed for real (and other programs may lock it)."""
        failed = None
        if self._f.isopen and self.mode != "r":
            try:
                self.flush()
            except Exception as e:
                if not self._repairs:
                    raise
                failed = e
        for node in self._nodes.values():
            node._raw.close()
        self._nodes.clear()
        self._f.close()
        repairs, self._repairs = self._repairs, set()
        for path in sorted(repairs):
            _core.keep_written_prefix(self.filename, path)
        del failed

    def flush(self):
        for node in self._nodes.values():
            if isinstance(node, Table):
                node._write_pending()
        self._f.flush()

    @property
    def root(self):
        """The root group: ``f.root.group.table`` reaches nodes by natural naming."""
        return self.get_node("/")

    def get_node(self, where, name=None, classname=None):
        """The node at ``where`` (a path or a node) joined with ``name``."""
        if isinstance(where, Node) and name is None:
            node = where
        else:
            path = _join(where, name)
            if not path.startswith("/"):
                path = "/" + path
            if len(path) > 1:
                path = path.rstrip("/")
            node = self._nodes.get(path)
            if node is None:
                node = _wrap(self, self._f.node(path))
                self._nodes[path] = node
        if classname is not None and not _is_class(node, classname):
            raise TypeError(
                "could not find a ``%s`` node at ``%s``; instead, a ``%s`` was found there"
                % (classname, node._v_pathname, type(node).__name__)
            )
        return node

    def __contains__(self, path):
        return self._f.node_exists(path)

    def __iter__(self):
        return self.walk_nodes()

    def list_nodes(self, where="/", classname=None):
        """The children of a group, sorted by name."""
        return self.get_node(where)._f_list_nodes(classname)

    def iter_nodes(self, where="/", classname=None):
        return iter(self.list_nodes(where, classname))

    def walk_groups(self, where="/"):
        """The group at ``where`` and every group below it, top to bottom."""
        stack = [self.get_node(where)]
        while stack:
            g = stack.pop()
            yield g
            stack.extend(reversed(g._f_list_nodes("Group")))

    def walk_nodes(self, where="/", classname=None):
        """Every node below ``where`` (and ``where`` itself unless a class is named), as
        PyTables walks them: groups top to bottom, each group's children in name order.
        Hidden nodes (indexes ``_i_*``) are left out, as PyTables leaves them out."""
        if classname == "Group":
            yield from self.walk_groups(where)
            return
        if classname in (None, "Node"):
            yield self.get_node(where)
        for g in self.walk_groups(where):
            yield from g._f_list_nodes(classname)

    def create_group(self, where, name, title="", filters=None, createparents=False):
        path = _join(where, None)
        self._f.create_group(path, name, title)
        return self.get_node(path, name)

    def create_table(
        self,
        where,
        name,
        description=None,
        title="",
        filters=None,
        expectedrows=10000,
        chunkshape=None,
        byteorder=None,
        createparents=False,
        obj=None,
        track_times=True,
    ):
        """A new table whose rows have ``description``'s columns: a NumPy structured dtype,
        a dict or list of ``(name, dtype)``, a PyTables ``IsDescription`` class, or the
        dtype of ``obj``, whose rows are then appended."""
        if description is None and obj is not None:
            description = np.asarray(obj).dtype
        dt = _dtype_of_description(description)
        chunkrows = None
        if chunkshape is not None:
            chunkrows = int(chunkshape[0] if np.ndim(chunkshape) else chunkshape)
        path = _join(where, None)
        self._f.create_table(
            path,
            name,
            _descr_of_dtype(dt),
            dt.itemsize,
            expectedrows=int(expectedrows),
            chunkrows=chunkrows,
            title=title,
            **_filter_args(filters),
        )
        t = self.get_node(path, name)
        if obj is not None:
            t.append(obj)
        return t

    def _create_array(self, kind, where, name, atom, shape, obj, title, filters, chunkshape, expectedrows):
        if obj is not None:
            data = np.ascontiguousarray(obj)
        else:
            dt = getattr(atom, "dtype", atom)
            if dt is None:
                raise ValueError("give an atom and a shape, or obj")
            data = np.zeros(tuple(shape), dtype=np.dtype(dt))
        path = _join(where, None)
        self._f.create_array(
            kind,
            path,
            name,
            data,
            chunkshape=None if chunkshape is None else [int(c) for c in chunkshape],
            expectedrows=int(expectedrows),
            title=title,
            **_filter_args(filters),
        )
        return self.get_node(path, name)

    def create_array(self, where, name, obj=None, title="", byteorder=None, createparents=False, atom=None, shape=None, track_times=True):
        """A new Array holding ``obj``."""
        return self._create_array("array", where, name, atom, shape, obj, title, None, None, 1000)

    def create_carray(self, where, name, atom=None, shape=None, title="", filters=None, chunkshape=None, byteorder=None, createparents=False, obj=None, track_times=True):
        """A new chunked, compressible CArray of ``atom`` (a NumPy dtype or a PyTables atom)
        and ``shape``, or holding ``obj``."""
        return self._create_array("carray", where, name, atom, shape, obj, title, filters, chunkshape, 1000)

    def create_vlarray(self, where, name, atom=None, title="", filters=None, expectedrows=None, chunkshape=None, byteorder=None, createparents=False, obj=None, track_times=True):
        """A new VLArray of ``atom``: PyTables' ``VLStringAtom()``, ``VLUnicodeAtom()`` or
        ``ObjectAtom()`` (or their names ``vlstring``, ``vlunicode``, ``object``), or a
        numeric atom or NumPy dtype for rows of values; ``obj``, a sequence of rows, is
        appended."""
        kind = getattr(atom, "type", atom) if atom is not None else None
        if isinstance(kind, str) and kind in ("vlstring", "vlunicode", "object"):
            pseudo, descr = kind, None
        else:
            dt = getattr(atom, "dtype", atom)
            if dt is None:
                raise ValueError("give an atom")
            dt = np.dtype(dt)
            shape = tuple(getattr(atom, "shape", ()) or dt.shape)
            base = dt.base
            pseudo, descr = None, (base.str, list(shape)) if shape else base.str
        path = _join(where, None)
        self._f.create_vlarray(
            path,
            name,
            pseudo=pseudo,
            descr=descr,
            chunkrows=None if chunkshape is None else int(chunkshape[0] if np.ndim(chunkshape) else chunkshape),
            title=title,
            **_filter_args(filters),
        )
        node = self.get_node(path, name)
        for row in obj if obj is not None else ():
            node.append(row)
        return node

    def create_earray(self, where, name, atom=None, shape=None, title="", filters=None, expectedrows=1000, chunkshape=None, byteorder=None, createparents=False, obj=None, track_times=True):
        """A new EArray of ``atom`` whose first axis (0 in ``shape``) grows by ``append``."""
        if obj is None and shape is not None:
            shape = tuple(0 if s == 0 else s for s in shape)
        return self._create_array("earray", where, name, atom, shape, obj, title, filters, chunkshape, expectedrows)

    def remove_node(self, where, name=None, recursive=False):
        path = _join(where, name)
        self._nodes = {k: v for k, v in self._nodes.items() if not (k == path or k.startswith(path + "/"))}
        self._f.remove_node(path)


def _is_class(node, classname):
    if classname in (None, "Node"):
        return True
    if classname == "Leaf":
        return isinstance(node, Leaf)
    return any(c.__name__ == classname for c in type(node).__mro__)


def _wrap(file, raw):
    if isinstance(raw, _core.Group):
        return Group(file, raw)
    cls = {
        "Table": Table,
        "Array": Array,
        "CArray": CArray,
        "EArray": EArray,
        "VLArray": VLArray,
    }.get(raw.class_name, Array)
    return cls(file, raw)


def _dtype_of_description(d):
    if isinstance(d, np.dtype):
        return d
    if isinstance(d, dict):
        if all(isinstance(v, (np.dtype, type, str)) for v in d.values()):
            return np.dtype([(k, np.dtype(v)) for k, v in d.items()])
    if isinstance(d, (list, tuple)):
        return np.dtype(list(d))
    dt = getattr(d, "_v_dtype", None)
    if dt is not None:
        return dt
    try:  # a PyTables IsDescription class
        import tables

        return tables.Description(d.columns if hasattr(d, "columns") else d)._v_dtype
    except Exception:
        pass
    return np.dtype(d)


def _descr_of_dtype(dt):
    """The layout the extension takes: ``[(name, offset, kind)]`` with NumPy type strings,
    nested lists for nested records and ``(kind, shape)`` for array-shaped columns."""
    out = []
    for name in dt.names:
        sub, offset = dt.fields[name][:2]
        if sub.subdtype is not None:
            base, shape = sub.subdtype
            kind = (_kind_of(base), list(shape))
        else:
            kind = _kind_of(sub)
        out.append((name, offset, kind))
    return out


def _kind_of(dt):
    if dt.names is not None:
        return _descr_of_dtype(dt)
    if dt.kind == "b":
        return "b1"
    if not dt.isnative and dt.itemsize > 1:
        raise TypeError("big-endian column types are not supported yet")
    return "%s%d" % (dt.kind, dt.itemsize)


class AttributeSet:
    """A node's attributes with natural naming (``node.attrs.TITLE``), read when asked."""

    def __init__(self, node):
        object.__setattr__(self, "_node", node)

    def _values(self):
        return self._node._raw.attrs()

    @property
    def _v_attrnames(self):
        return sorted(self._values())

    def __getattr__(self, name):
        try:
            return self._values()[name]
        except KeyError:
            raise AttributeError(
                "Attribute ``%s`` does not exist in node: ``%s``" % (name, self._node._v_pathname)
            ) from None

    def __getitem__(self, name):
        return self._values()[name]

    def __setattr__(self, name, value):
        self._node._v_file._f.set_attr(self._node._v_pathname, name, value)

    __setitem__ = __setattr__

    def __contains__(self, name):
        return name in self._values()

    def __iter__(self):
        return iter(self._v_attrnames)

    def __repr__(self):
        return "%s._v_attrs (AttributeSet), %d attributes" % (self._node._v_pathname, len(self._values()))


class Node:
    """What groups and leaves share."""

    def __init__(self, file, raw):
        self._v_file = file
        self._raw = raw
        self._v_pathname = raw.path
        self._v_name = raw.path.rsplit("/", 1)[-1] or "/"

    @property
    def _v_attrs(self):
        return AttributeSet(self)

    @property
    def _v_title(self):
        return self._raw.title

    @property
    def _v_parent(self):
        parent = self._v_pathname.rsplit("/", 1)[0] or "/"
        return self._v_file.get_node(parent)

    def __repr__(self):
        return "%s (%s) %r" % (self._v_pathname, type(self).__name__, self._v_title)


class Group(Node):
    """A group: children by natural naming (``group.child``), iteration and listing."""

    def _f_list_nodes(self, classname=None):
        nodes = []
        for name in self._raw.children():
            if name.startswith(("_i_", "_p_")):
                continue
            node = self._v_file.get_node(self._v_pathname, name)
            if _is_class(node, classname):
                nodes.append(node)
        return nodes

    def _f_iter_nodes(self, classname=None):
        return iter(self._f_list_nodes(classname))

    def _f_walknodes(self, classname=None):
        return self._v_file.walk_nodes(self, classname)

    def _f_get_child(self, name):
        return self._v_file.get_node(self._v_pathname, name)

    @property
    def _v_children(self):
        return {n._v_name: n for n in self._f_list_nodes()}

    @property
    def _v_nchildren(self):
        return len(self._raw.children())

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._f_get_child(name)
        except NoSuchNodeError:
            raise NoSuchNodeError(
                "group ``%s`` does not have a child named ``%s``" % (self._v_pathname, name)
            ) from None

    def __contains__(self, name):
        return name in self._raw.children()

    def __iter__(self):
        return self._f_iter_nodes()


class Leaf(Node):
    """What tables and arrays share: shape, dtype, filters, attributes, reading."""

    def __init__(self, file, raw):
        super().__init__(file, raw)
        self._dtype = None

    @property
    def name(self):
        return self._v_name

    @property
    def title(self):
        return self._v_title

    @property
    def attrs(self):
        return self._v_attrs

    @property
    def shape(self):
        return tuple(self._raw.shape)

    @property
    def nrows(self):
        shape = self.shape
        return shape[0] if shape else 1

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def chunkshape(self):
        c = self._raw.chunkshape
        return None if c is None else tuple(c)

    @property
    def dtype(self):
        if self._dtype is None:
            self._dtype = np.dtype(self._raw.dtype_spec())
        return self._dtype

    @property
    def filters(self):
        """The leaf's filters as PyTables' ``Filters`` (blosc2 ones too)."""
        parts = self._raw.filters_text().split("+")
        lib, level = "zlib", 0
        if parts and "(" in parts[0]:
            lib, _, rest = parts[0].partition("(")
            level = int(rest.rstrip(")") or 0)
        return Filters(
            level,
            lib,
            shuffle="shuffle" in parts,
            bitshuffle="bitshuffle" in parts,
            fletcher32="fletcher32" in parts,
        )

    def __len__(self):
        return self.nrows

    def flush(self):
        self._raw.flush()

    def _read_rows(self, start, stop, step):
        raw, n = self._raw.read_raw(start, stop, step)
        shape = self.shape
        dt = self.dtype
        if self._raw.swapped:
            # The file's bytes, in the other byte order: returned in this machine's, as
            # PyTables returns them.
            a = np.frombuffer(raw, dtype=dt.newbyteorder()).astype(dt)
        else:
            a = np.frombuffer(raw, dtype=dt)
        return a.reshape((n,) + shape[1:] if shape else ())

    def read(self, start=None, stop=None, step=None, out=None):
        """Rows ``start:stop:step`` of the first axis, as a NumPy array."""
        r = self._read_rows(start, stop, step)
        if out is not None:
            out[...] = r
            return out
        return r.copy() if not r.flags.writeable else r

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            n = self.nrows
            k = int(key)
            if k < 0:
                k += n
            if not 0 <= k < n:
                raise IndexError("index out of range")
            return self._read_rows(k, k + 1, 1)[0]
        if isinstance(key, slice):
            if key.step is not None and key.step <= 0:
                raise ValueError("slice step must be positive")
            return self.read(key.start, key.stop, key.step)
        return self.read()[key]

    def __iter__(self):
        return self.iterrows()

    def iterrows(self, start=None, stop=None, step=None):
        data = self.read(start, stop, step)
        return iter(data)

    def __array__(self, dtype=None, copy=None):
        a = self.read()
        return a if dtype is None else a.astype(dtype)


class Array(Leaf):
    """A PyTables Array (or a dataset written by another tool)."""

    @property
    def atom(self):
        return self.dtype


class CArray(Array):
    """A chunked, compressible array."""


class EArray(CArray):
    """A chunked array whose first axis grows."""

    def append(self, sequence):
        """Appends rows along the first axis (``sequence`` has the other axes' shape)."""
        a = np.ascontiguousarray(sequence, dtype=self.dtype)
        if a.ndim == len(self.shape) - 1:
            a = a[np.newaxis]
        self._raw.append(a)


class VLAtom:
    """A VLArray's atom: ``type`` is ``vlstring`` (rows of bytes), ``vlunicode`` (rows of
    str), ``object`` (pickled Python objects), or the NumPy type of the rows' values, whose
    ``dtype`` and ``shape`` it has (PyTables' ``Int32Atom()``, ``Float64Atom(shape=(2,))``)."""

    def __init__(self, kind, dtype=None):
        self.kind = kind
        if kind == "values":
            d = np.dtype(dtype)
            self.dtype = d
            self.shape = d.shape
            self.type = d.base.name
        else:
            self.dtype = np.dtype("u1") if kind != "vlunicode" else np.dtype("<u4")
            self.shape = ()
            self.type = kind

    def __repr__(self):
        names = {"vlstring": "VLStringAtom()", "vlunicode": "VLUnicodeAtom()", "object": "ObjectAtom()"}
        if self.kind in names:
            return names[self.kind]
        return "%sAtom(shape=%r)" % (self.type.capitalize(), self.shape)


_UTF32 = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"


class VLArray(Leaf):
    """A PyTables VLArray: rows of varying length, read as PyTables reads them (NumPy
    arrays for values, bytes for ``VLStringAtom``, str for ``VLUnicodeAtom``, the objects for
    ``ObjectAtom``), and appended one row at a time."""

    @property
    def atom(self):
        if getattr(self, "_atom", None) is None:
            self._atom = VLAtom(*self._raw.vl_atom())
        return self._atom

    @property
    def nrows(self):
        return self._raw.vl_nrows()

    def __len__(self):
        return self.nrows

    def _row(self, b):
        a = self.atom
        if a.kind == "vlstring":
            return b
        if a.kind == "vlunicode":
            return b.decode(_UTF32)
        if a.kind == "object":
            return pickle.loads(b)
        base = a.dtype.base
        return np.frombuffer(b, dtype=base).reshape((-1,) + a.shape).copy()

    def read(self, start=None, stop=None, step=None):
        """Rows ``start:stop:step``, as a list."""
        return [self._row(b) for b in self._raw.vl_rows(start, stop, step)]

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            n = self.nrows
            i = int(key) + n if key < 0 else int(key)
            if not 0 <= i < n:
                raise IndexError("index %d out of range for %d rows" % (key, n))
            return self.read(i, i + 1)[0]
        if isinstance(key, slice):
            if key.step is not None and key.step <= 0:
                raise ValueError("slice step must be positive")
            return self.read(key.start, key.stop, key.step)
        return [self[int(i)] for i in np.asarray(key).ravel()]

    def __iter__(self):
        return self.iterrows()

    def iterrows(self, start=None, stop=None, step=None):
        return iter(self.read(start, stop, step))

    def append(self, sequence):
        """Appends one row."""
        a = self.atom
        if a.kind == "vlstring":
            if not isinstance(sequence, (bytes, bytearray, memoryview)):
                raise TypeError("a VLStringAtom row is bytes, not %s" % type(sequence).__name__)
            b = bytes(sequence)
        elif a.kind == "vlunicode":
            if not isinstance(sequence, str):
                raise TypeError("a VLUnicodeAtom row is str, not %s" % type(sequence).__name__)
            b = sequence.encode(_UTF32)
        elif a.kind == "object":
            b = pickle.dumps(sequence, pickle.HIGHEST_PROTOCOL)
        else:
            v = np.ascontiguousarray(sequence, dtype=a.dtype.base)
            if a.shape and v.shape[-len(a.shape):] != a.shape:
                raise ValueError("rows of %s need elements of shape %r" % (self._v_pathname, a.shape))
            b = v.tobytes()
        self._raw.append_vl_rows([b])


class Column:
    """A column of a table (``table.cols.name``): its values, and a name to bind in
    conditions and expressions."""

    def __init__(self, table, pathname):
        self.table = table
        self.pathname = pathname
        self.name = pathname.rsplit("/", 1)[-1]
        self._table_path = table._v_pathname

    @property
    def dtype(self):
        return _field_dtype(self.table.dtype, self.pathname)

    @property
    def type(self):
        return self.dtype.name

    @property
    def shape(self):
        return (self.table.nrows,) + self.dtype.shape

    def __len__(self):
        return self.table.nrows

    def read(self, start=None, stop=None, step=None):
        return self.table.read(start, stop, step, field=self.pathname)

    @property
    def is_indexed(self):
        """Whether the column has a PyTables index (``_i_<table>/<column>``)."""
        parent, _, name = self._table_path.rpartition("/")
        return self.table._v_file.__contains__("%s/_i_%s/%s" % (parent, name, self.pathname))

    @property
    def index(self):
        """The column's PyTables index (:class:`Index`: ``kind``, ``optlevel``,
        ``nelements``, ``is_csi``, ``dirty``), or None when it has none."""
        self.table._write_pending()
        d = self.table._raw.index_info(self.pathname)
        return None if d is None else Index(self, d)

    def create_csindex(self, filters=None, tmp_dir=None, _blocksizes=None, _testmode=False, _verbose=False):
        """Writes a completely sorted index of this (numeric) column, as PyTables'
        ``Column.create_csindex``: kind ``full``, optimization level 9, in the hidden
        ``_i_<table>`` group, replacing any index it had. PyTables uses it for its queries,
        and so does outcore (a query of few rows then reads those rows only). The values are
        sorted in memory (16 bytes per row). Returns the rows indexed. ``filters`` and the
        other arguments of PyTables are accepted and ignored (the index is compressed with
        zlib level 1 and shuffle, PyTables' default)."""
        self.table._write_pending()
        return self.table._raw.create_csindex(self.pathname)

    def create_index(self, optlevel=6, kind="medium", filters=None, tmp_dir=None, _blocksizes=None,
                     _testmode=False, _verbose=False):
        """PyTables' ``Column.create_index``: outcore writes indexes of kind ``'full'`` only,
        completely sorted (see :meth:`create_csindex`); other kinds raise
        NotImplementedError. Returns the rows indexed."""
        if kind != "full":
            raise NotImplementedError(
                "outcore writes PyTables indexes of kind 'full' (completely sorted): use "
                "create_index(kind='full') or create_csindex(); PyTables itself writes kind %r" % (kind,))
        return self.create_csindex()

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self.read(key.start, key.stop, key.step)
        if isinstance(key, (int, np.integer)):
            return self.table[key][self.name] if "/" not in self.pathname else _field(self.table[key], self.pathname)
        return self.read()[key]

    def __iter__(self):
        return iter(self.read())

    def __repr__(self):
        return "%s.cols.%s (Column(%s,), %s)" % (
            self._table_path,
            self.pathname.replace("/", "."),
            self.table.nrows,
            self.dtype,
        )


class Index:
    """A column's PyTables index, as outcore reads it (``column.index``): ``kind``
    (``'ultralight'``, ``'light'``, ``'medium'`` or ``'full'``), ``optlevel``, ``nelements``
    (the rows it covers), ``is_csi`` (completely sorted), ``dirty``, and ``reason`` (why
    outcore does not use it, or None). Attributes outcore could not read are None."""

    def __init__(self, column, d):
        self.column = column
        self.kind = d.get("kind")
        self.optlevel = d.get("optlevel")
        self.nelements = d.get("nelements")
        self.is_csi = d.get("is_csi")
        self.dirty = d["dirty"]
        self.reason = d["reason"]

    def __repr__(self):
        if self.reason is not None:
            return "Index(%s: %s)" % (self.column.pathname, self.reason)
        return "Index(%s, %s, optlevel=%s, is_csi=%s, nelements=%d)" % (
            self.column.pathname, self.kind, self.optlevel, self.is_csi, self.nelements)


class Cols:
    """A table's columns by natural naming (``table.cols.energy``, nested:
    ``table.cols.location.lat``)."""

    def __init__(self, table, prefix=""):
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_prefix", prefix)

    @property
    def _v_colnames(self):
        dt = _field_dtype(self._table.dtype, self._prefix) if self._prefix else self._table.dtype
        return list(dt.names)

    def _f_col(self, name):
        path = self._prefix + "/" + name if self._prefix else name
        dt = _field_dtype(self._table.dtype, path)
        if dt.names is not None:
            return Cols(self._table, path)
        return Column(self._table, path)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._f_col(name)
        except KeyError:
            raise AttributeError("table ``%s`` has no column ``%s``" % (self._table._v_pathname, name)) from None

    def __getitem__(self, name):
        return self._f_col(name)

    def __iter__(self):
        return (self._f_col(n) for n in self._v_colnames)

    def __len__(self):
        return len(self._v_colnames)


def _field_dtype(dt, path):
    for part in path.split("/"):
        if dt.names is None or part not in dt.names:
            raise KeyError(path)
        dt = dt.fields[part][0]
    return dt


def _field(rec, path):
    for part in path.split("/"):
        rec = rec[part]
    return rec


#: One row of a table (PyTables' ``Row``): ``row['col']``, ``row['a/b']``, ``row.nrow``, and
#: ``row['x'] = v; row.update()``. The same object is reused for every row of an iteration,
#: as PyTables' is; ``row.fetch_all_fields()`` copies one.
Row = _core.Row


class Table(Leaf):
    """A table: records of named columns, and PyTables' queries run in Rust."""

    def __init__(self, file, raw):
        super().__init__(file, raw)
        self._appender = None
        self._pending = None
        self._npending = 0

    def _write_pending(self):
        """Writes the rows `table.row.append()` gathered, and the updates `row.update()`
        batched."""
        self._raw.flush_updates()
        if self._npending:
            n, self._npending = self._npending, 0
            self._raw.append_records(np.ascontiguousarray(self._pending[:n]).view(np.uint8).reshape(-1))

    @property
    def shape(self):
        self._write_pending()
        return tuple(self._raw.shape)

    def flush(self):
        self._write_pending()
        self._raw.flush()

    def _read_rows(self, start, stop, step):
        self._write_pending()
        return super()._read_rows(start, stop, step)

    @property
    def colnames(self):
        return list(self.dtype.names)

    @property
    def colpathnames(self):
        out = []

        def walk(dt, prefix):
            for n in dt.names:
                sub = dt.fields[n][0]
                p = prefix + n
                if sub.names is not None:
                    walk(sub, p + "/")
                else:
                    out.append(p)

        walk(self.dtype, "")
        return out

    @property
    def coldtypes(self):
        return {p: _field_dtype(self.dtype, p) for p in self.colpathnames}

    @property
    def coltypes(self):
        return {p: d.name if d.kind != "S" else "string" for p, d in self.coldtypes.items()}

    @property
    def description(self):
        return _Description(self.dtype)

    @property
    def rowsize(self):
        return self.dtype.itemsize

    @property
    def cols(self):
        return Cols(self)

    @property
    def row(self):
        """The row to fill and ``append()`` (one object per table, as PyTables')."""
        if self._appender is None:
            self._appender = _Appender(self)
        return self._appender

    def col(self, name):
        """Column ``name``'s values (PyTables' ``Table.col``)."""
        return self.read(field=name)

    def read(self, start=None, stop=None, step=None, field=None, out=None):
        """Rows ``start:stop:step`` as a structured array of the table's dtype, or one
        field's values."""
        if field is not None:
            _field_dtype(self.dtype, field)
        recs = self._read_rows(start, stop, step)
        r = recs if field is None else _field(recs, field)
        r = np.array(r, copy=True) if field is not None else r
        if out is not None:
            out[...] = r
            return out
        return r

    def read_coordinates(self, coords, field=None):
        """The rows at ``coords`` in that order."""
        self._write_pending()
        raw = self._raw.read_coords(np.ascontiguousarray(coords, dtype=np.int64))
        recs = np.frombuffer(raw, dtype=self.dtype)
        return recs if field is None else np.array(_field(recs, field))

    def read_sorted(self, sortby, checkCSI=False, field=None, start=None, stop=None, step=None):
        """The rows in the order of column ``sortby``, read by its completely sorted index
        (PyTables' ``Table.read_sorted``; ``Column.create_csindex()`` writes one): positions
        ``start:stop:step`` of that order, as a structured array (or the column ``field``).
        A column without such an index is a ValueError, as in PyTables."""
        self._write_pending()
        name = sortby.pathname if isinstance(sortby, Column) else sortby
        if step is not None and step <= 0:
            raise ValueError("outcore reads a sorted order forwards: step must be positive, not %d" % step)
        raw = self._raw.read_sorted(name, start, stop, step)
        recs = np.frombuffer(raw, dtype=self.dtype)
        return recs if field is None else np.array(_field(recs, field))

    def itersorted(self, sortby, checkCSI=False, start=None, stop=None, step=None):
        """The rows in the order of column ``sortby`` (PyTables' ``Table.itersorted``), as
        records of the table's dtype."""
        return iter(self.read_sorted(sortby, checkCSI, None, start, stop, step))

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            return super().__getitem__(key)
        if isinstance(key, str):
            return self.col(key)
        return super().__getitem__(key)

    def iterrows(self, start=None, stop=None, step=None):
        """Every row of ``start:stop:step`` as a :class:`Row`, read a slab at a time."""
        n = self.nrows
        first, last, st = slice(start, stop, step).indices(n)
        if st <= 0:
            raise ValueError("step must be positive")
        slab = max(1, (1 << 20) // max(1, self.rowsize))
        row = Row(self, self._raw)
        move = row._move
        for lo in range(first, last, slab * st):
            hi = min(last, lo + slab * st)
            recs = self._read_rows(lo, hi, st)
            for i in range(len(recs)):
                move(recs, i, lo + i * st)
                yield row

    def __iter__(self):
        return self.iterrows()

    def append(self, rows):
        """Appends rows: a structured array, or a sequence of tuples, in column order."""
        self._write_pending()
        a = np.asarray(rows) if isinstance(rows, np.ndarray) else np.array(rows, dtype=self.dtype)
        if a.dtype != self.dtype:
            a = a.astype(self.dtype)
        a = np.ascontiguousarray(a.reshape(-1))
        self._raw.append_records(a.view(np.uint8).reshape(-1))

    def modify_rows(self, start=None, stop=None, step=None, rows=None):
        """Overwrites rows from ``start`` (step 1) with ``rows``."""
        self._write_pending()
        a = np.ascontiguousarray(np.asarray(rows, dtype=self.dtype).reshape(-1))
        self._raw.modify_records(0 if start is None else int(start), a.view(np.uint8).reshape(-1))
        return len(a)

    # Queries.

    def _condvars(self, condition, condvars, depth):
        """The condition's names and values, looked up as PyTables looks them up: the
        explicit ``condvars``, then the table's columns, then (without ``condvars``) the
        caller's locals and globals."""
        self._write_pending()
        names = _core.names(condition)
        user_locals = user_globals = {}
        if condvars is None:
            frame = sys._getframe(depth)
            user_locals, user_globals = frame.f_locals, frame.f_globals
        colnames = set(self.colnames)
        out_names, out_values = [], []
        for var in names:
            if condvars is not None and var in condvars:
                val = condvars[var]
            elif var in colnames:
                dt = _field_dtype(self.dtype, var)
                if dt.names is not None:
                    raise TypeError("variable ``%s`` refers to a nested column, not allowed in conditions" % var)
                continue
            elif condvars is None and var in user_locals:
                val = user_locals[var]
            elif condvars is None and var in user_globals:
                val = user_globals[var]
            else:
                raise NameError("name ``%s`` is not defined" % var)
            if isinstance(val, Column):
                if val.table._v_file is not self._v_file or val._table_path != self._v_pathname:
                    raise ValueError(
                        "variable ``%s`` refers to a column which is not part of table ``%s``"
                        % (var, self._v_pathname)
                    )
                if val.dtype.shape != ():
                    raise NotImplementedError(
                        "variable ``%s`` refers to a multidimensional column, not yet supported in conditions, sorry"
                        % var
                    )
                out_names.append(var)
                out_values.append((self._raw, val.pathname))
                continue
            if isinstance(val, Cols):
                raise TypeError("variable ``%s`` refers to a nested column, not allowed in conditions" % var)
            if isinstance(val, str):
                val = np.asarray(val.encode("ascii"))
            val = np.asarray(val)
            if val.ndim != 0:
                raise TypeError(
                    "variable ``%s`` is an array of shape %s; conditions take columns and scalars"
                    % (var, val.shape)
                )
            try:
                out_names.append(var)
                out_values.append(_arg(val))
            except ValueError:
                raise TypeError(
                    "variable ``%s`` has data type ``%s``, not allowed in conditions" % (var, val.dtype.name)
                ) from None
        return out_names, out_values

    def where(self, condition, condvars=None, start=None, stop=None, step=None):
        """The rows where ``condition`` is true, as :class:`Row` objects, in row order; the
        scan runs ahead on its own threads a few slabs at a time."""
        names, values = self._condvars(condition, condvars, 2)
        return self._raw.where_rows(self, self.dtype, condition, names, values, start, stop, step)

    def read_where(self, condition, condvars=None, field=None, start=None, stop=None, step=None):
        """The rows where ``condition`` is true, as a structured array of the table's dtype
        (or ``field``'s values)."""
        names, values = self._condvars(condition, condvars, 2)
        if field is not None:
            dt = _field_dtype(self.dtype, field)
        else:
            dt = self.dtype
        _, raw = self._raw.read_where(condition, names, values, field, start, stop, step)
        return np.frombuffer(raw, dtype=dt)

    def get_where_list(self, condition, condvars=None, sort=False, start=None, stop=None, step=None):
        """The row numbers where ``condition`` is true (int64, ascending)."""
        names, values = self._condvars(condition, condvars, 2)
        return self._raw.get_where_list(condition, names, values, start, stop, step)

    def count_where(self, condition, condvars=None, start=None, stop=None, step=None):
        """How many rows match ``condition`` (outcore's; PyTables has no such method)."""
        names, values = self._condvars(condition, condvars, 2)
        return self._raw.count_where(condition, names, values, start, stop, step)

    def append_where(self, dstTable, condition=None, condvars=None, start=None, stop=None, step=None):
        """Appends the rows where ``condition`` is true to ``dstTable`` (a table of the same
        columns); returns how many."""
        names, values = self._condvars(condition, condvars, 2)
        if not isinstance(dstTable, Table):
            raise TypeError("the destination must be a Table")
        try:
            return self._raw.append_where(dstTable._raw, condition, names, values, start, stop, step)
        except Exception as e:
            if any(w in str(e) for w in _WRITE_FAILURES):
                # The library may hold the destination ahead of the rows on disk until the
                # file closes: it is cut back to the rows written in full then.
                dstTable._v_file._repairs.add(dstTable._v_pathname)
            raise

    def explain(self, condition, condvars=None, start=None, stop=None, step=None):
        """What a query of ``condition`` would read (outcore's; ``outcore query --explain``):
        an :class:`Explain` saying whether chunk statistics are used and how many chunks and
        rows of the range will be read."""
        names, values = self._condvars(condition, condvars, 2)
        return Explain(self._raw.explain(condition, names, values, start, stop, step))

    @property
    def colindexed(self):
        """For each column pathname, whether it has a PyTables index (PyTables'
        ``Table.colindexed``)."""
        return {p: Column(self, p).is_indexed for p in self.colpathnames}

    @property
    def indexed(self):
        """Whether some column has a PyTables index."""
        return any(self.colindexed.values())

    @property
    def indexedcolpathnames(self):
        """The pathnames of the columns with a PyTables index."""
        return [p for p, i in self.colindexed.items() if i]

    def will_query_use_indexing(self, condition, condvars=None):
        """The columns whose PyTables indexes or chunk statistics a query of ``condition``
        would use to skip rows (PyTables: the indexed columns it would use), as a frozenset
        of column pathnames; empty when the query reads every row of its range."""
        names, values = self._condvars(condition, condvars, 2)
        d = self._raw.explain(condition, names, values, None, None, None)
        return frozenset(d["columns"]) | frozenset(Explain(d).index_columns)

    def index_stats(self, columns=None):
        """Writes chunk statistics (zone maps) of ``columns`` (every numeric and boolean
        column when None): each chunk's smallest and largest value and whether it holds a
        NaN, in the hidden node ``_p_outcore_zones_<table>`` that PyTables and h5py leave
        alone (``outcore index`` from the command line). Queries then skip every chunk the
        statistics rule out; outcore's appends and updates keep them current, and rows added
        or removed by another program leave them ignored until they are written again.
        Returns how many chunks they describe."""
        self._write_pending()
        if isinstance(columns, str):
            columns = [columns]
        return self._raw.index_stats(list(columns or []))


class Explain:
    """What a query will read (:meth:`Table.explain`); ``str()`` gives the printout.

    Attributes: ``table`` (``FILE:/node``), ``rows`` (in the range), ``chunks`` and
    ``chunk_rows`` (the chunks the range lies in), ``chunks_read`` and ``rows_read`` (what
    will be read and evaluated), ``statistics`` (``"none"``, ``"ignored"``, ``"unused"`` or
    ``"used"``), ``columns`` (those whose statistics are used) and ``reason`` (why ignored);
    ``index`` (``"none"``, ``"unused"`` or ``"used"``: PyTables' indexes), ``indexes`` (those
    used, as ``"column (kind)"``), ``index_columns`` (their columns), ``candidates`` (the
    rows they leave, or None) and ``index_reasons`` (why an index is not used)."""

    __slots__ = ("table", "rows", "chunks", "chunk_rows", "chunks_read", "rows_read", "statistics",
                 "columns", "reason", "index", "indexes", "index_columns", "candidates", "index_reasons",
                 "_text")

    def __init__(self, d):
        for k in self.__slots__[:9]:
            setattr(self, k, d[k])
        self.columns = tuple(self.columns)
        ix = d["index"]
        self.index = ix["state"]
        self.indexes = tuple(ix["indexes"])
        self.index_columns = tuple(i.rsplit(" (", 1)[0] for i in self.indexes)
        self.candidates = ix["candidates"]
        self.index_reasons = tuple(ix["reasons"])
        self._text = d["text"]

    def __str__(self):
        return self._text

    def __repr__(self):
        return "<outcore.Explain %s: %d of %d chunks, statistics %s, index %s>" % (
            self.table, self.chunks_read, self.chunks, self.statistics, self.index)


class _Description:
    def __init__(self, dt):
        self._v_dtype = dt
        self._v_names = list(dt.names)
        self._v_nested_descr = dt.descr

    def __repr__(self):
        return "Description(%s)" % (self._v_dtype,)


class _Appender:
    """``table.row`` for appending, as PyTables': ``row['x'] = v; row.append()``, then
    ``table.flush()``. Rows gather in a buffer of about 1 MiB written in one append; the
    buffer is also written before anything reads the table, and when the file is flushed or
    closed. After ``append()`` the fields are back to their defaults (zeros), as PyTables'."""

    def __init__(self, table):
        self._table = table
        self._rec = np.zeros(1, dtype=table.dtype)
        self._blank = np.zeros(1, dtype=table.dtype)

    def __setitem__(self, key, value):
        _set_field(self._rec[0], key, value)

    def __getitem__(self, key):
        return _field(self._rec[0], key)

    def append(self):
        t = self._table
        if t._v_file.mode == "r":
            # Refused now, not when the buffered rows are written.
            raise FileModeError("%s:%s: the file is open read-only (mode r)" % (t._v_file.filename, t._v_pathname))
        buf = t._pending
        if buf is None:
            buf = t._pending = np.zeros(max(1, (1 << 20) // max(1, t.dtype.itemsize)), dtype=t.dtype)
        buf[t._npending] = self._rec[0]
        t._npending += 1
        # As PyTables: the row's fields are back to their defaults after an append.
        self._rec[0] = self._blank[0]
        if t._npending == len(buf):
            t._write_pending()


def _set_field(rec, key, value):
    *parents, last = key.split("/")
    for p in parents:
        rec = rec[p]
    rec[last] = value
