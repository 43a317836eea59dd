"""Writes tests/fixtures/pytables/bigendian.h5 with PyTables: a CArray, an EArray and a
Table stored big-endian (`byteorder='big'`), with values PyTables reads as 0.5*i (arrays)
and (i, 2.0*i) rows. Run with .venv-peers/bin/python."""

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
with tables.open_file(path) as f:
    assert f.root.c.byteorder == "big" and f.root.t.byteorder == "big"
    assert f.root.c[:].tolist() == (np.arange(300) * 0.5).tolist()
    assert f.root.t.cols.x[:].tolist() == [2.0 * i for i in range(100)]
print("wrote", os.path.normpath(path), os.path.getsize(path), "bytes")
