"""Writes tests/fixtures/pytables/vlarrays.h5 and vlarrays.json with PyTables: VLArrays of
every kind of atom (integers, floats, bool, complex, an array-shaped atom, VLStringAtom,
VLUnicodeAtom, ObjectAtom; compressed and not, empty rows, rows across chunks), and what
PyTables reads from each: rows as lists (strings as text, bytes as latin-1 text, objects as
their pickled bytes in hex, as stored). Run with .venv-peers/bin/python."""

import json
import os
import h5py

import numpy as np
import tables

here = os.path.dirname(os.path.abspath(__file__))
base = os.path.join(here, "..", "tests", "fixtures", "pytables")
rng = np.random.default_rng(7)

with tables.open_file(os.path.join(base, "vlarrays.h5"), "w", title="VLArray fixtures") as f:
    v = f.create_vlarray("/", "i32", tables.Int32Atom(), "int32 rows", chunkshape=(3,))
    for n in [3, 0, 10, 1, 7, 2, 0, 5]:
        v.append(rng.integers(-1000, 1000, size=n))
    v = f.create_vlarray("/", "f64z", tables.Float64Atom(), chunkshape=(4,), filters=tables.Filters(5, "zlib"))
    for n in [4, 100, 0, 33]:
        v.append(rng.integers(-8000, 8000, size=n) / 8.0)  # exact in JSON
    v = f.create_vlarray("/", "u8", tables.UInt8Atom(), chunkshape=(4,))
    v.append([1, 2, 255])
    v = f.create_vlarray("/", "flags", tables.BoolAtom(), chunkshape=(4,))
    v.append([True, False, True])
    v.append([])
    v = f.create_vlarray("/", "c128", tables.ComplexAtom(16), chunkshape=(4,))
    v.append([1 + 2j, -3.5j])
    v = f.create_vlarray("/", "pairs", tables.Float32Atom(shape=(2,)), chunkshape=(4,))
    v.append([[1, 2], [3, 4], [5, 6]])
    v.append(np.zeros((0, 2)))
    v.append([[7.5, -8]])
    v = f.create_vlarray("/", "strs", tables.VLStringAtom(), chunkshape=(4,), filters=tables.Filters(1, "blosc:lz4"))
    for s in [b"hello", b"", b"x" * 300, b"\x00\xff bytes"]:
        v.append(s)
    v = f.create_vlarray("/", "unis", tables.VLUnicodeAtom(), chunkshape=(4,))
    for s in ["h\u00e9llo", "", "\u4e2d\u6587 \U0001f600"]:
        v.append(s)
    v = f.create_vlarray("/", "objs", tables.ObjectAtom(), chunkshape=(4,))
    for o in [{"a": 1}, [1, 2, 3], "text"]:
        v.append(o)

expected = {}
with tables.open_file(os.path.join(base, "vlarrays.h5")) as f:
    for node in f.walk_nodes("/", "VLArray"):
        rows = node.read()
        pseudo = getattr(node.attrs, "PSEUDOATOM", None)
        if pseudo == "vlstring":
            rows = [r.decode("latin-1") for r in rows]
        elif pseudo == "vlunicode":
            rows = list(rows)
        elif pseudo == "object":
            # The pickles as stored (h5py reads them as bytes).
            with h5py.File(os.path.join(base, "vlarrays.h5"), "r") as h:
                rows = [bytes(r).hex() for r in h[node._v_pathname][:]]
        else:
            rows = [
                [[c.real, c.imag] for c in r.ravel()] if r.dtype.kind == "c" else r.tolist() for r in rows
            ]
        expected[node._v_pathname] = {"atom": pseudo or str(node.atom.dtype.base) + (str([int(d) for d in node.atom.shape]) if node.atom.shape else ""), "rows": rows}
with open(os.path.join(base, "vlarrays.json"), "w") as fh:
    json.dump(expected, fh, indent=0)
print("wrote vlarrays.h5 and vlarrays.json")
