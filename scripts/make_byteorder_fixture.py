"""Writes tests/fixtures/pytables/bigendian.h5 with PyTables: a CArray, an EArray and a
Table stored big-endian (`byteorder='big'`), with values PyTables reads as 0.5*i (arrays)
and (i, 2.0*i) rows; and /n, a big-endian table (zlib, 7 chunks) with every kind of
column: nested, arrays, complex, unsigned, enum-free ints, bools and strings.
Run with .venv-peers/bin/python."""

import os

import numpy as np
import tables

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "tests", "fixtures", "pytables", "bigendian.h5")
with tables.open_file(path, "w") as f:
    f.create_carray("/", "c", obj=np.arange(300) * 0.5, chunkshape=(64,), byteorder="big")
    f.create_earray("/", "e", obj=np.arange(40, dtype=np.int32).reshape(10, 4), chunkshape=(4, 4), byteorder="big")
    t = f.create_table("/", "t", {"i": tables.Int32Col(pos=0), "x": tables.Float64Col(pos=1)}, chunkshape=(32,), byteorder="big")
    t.append([(i, 2.0 * i) for i in range(100)])
    desc = {
        "u16": tables.UInt16Col(pos=0),
        "i64": tables.Int64Col(pos=1),
        "f32": tables.Float32Col(pos=2),
        "z": tables.ComplexCol(16, pos=3),
        "v": tables.Float64Col(shape=(3,), pos=4),
        "ok": tables.BoolCol(pos=5),
        "s": tables.StringCol(4, pos=6),
        "pos": {"lat": tables.Float64Col(pos=0), "n": tables.UInt32Col(pos=1)},
    }
    n = f.create_table("/", "n", desc, chunkshape=(50,), byteorder="big", filters=tables.Filters(5, "zlib", shuffle=True))
    n.append(
        [
            (
                (i * 7) % 65536,
                -(i**3),
                i / 8,
                complex(i, -i),
                (i, i + 0.5, -i),
                i % 3 == 0,
                b"r%d" % (i % 100),
                (i * 0.25, 4000000000 - i),
            )
            for i in range(333)
        ]
    )
with tables.open_file(path) as f:
    assert f.root.c.byteorder == "big" and f.root.t.byteorder == "big" and f.root.n.byteorder == "big"
    assert f.root.c[:].tolist() == (np.arange(300) * 0.5).tolist()
    assert f.root.t.cols.x[:].tolist() == [2.0 * i for i in range(100)]
print("wrote", os.path.normpath(path), os.path.getsize(path), "bytes")
