#!/usr/bin/env python3
"""Writes tests/fixtures/pytables/indexed.h5: a small table with a PyTables index on one
column (the hidden /_i_t group), for the listing tests. Run with .venv-peers/bin/python."""
import pathlib

import numpy as np
import tables

out = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/pytables/indexed.h5"
with tables.open_file(str(out), "w") as f:
    t = f.create_table("/", "t", {"x": tables.Float64Col(), "y": tables.Int32Col()}, "indexed table")
    t.append(np.array([(i * 0.5, i) for i in range(1000)], dtype=t.dtype))
    t.cols.x.create_index()
print(out)
