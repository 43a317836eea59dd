#!/usr/bin/env python3
"""Writes tests/fixtures/pytables/indexes.h5 and indexes.json: tables indexed by PyTables
itself, with every index kind and several optimization levels, and PyTables' answers to
indexed queries on them. Run with .venv-peers/bin/python.

Each table `/<kind>_<optlevel>_<blocks>` has 700 rows in chunks of 37 rows (a partial
last chunk and a last index row that is not a whole slice), and these columns:
  f  float64, random, 3% NaN          g  float32, random
  i  int32, clustered (row // 40 ± 3)  l  int64 past 2**53 (sorted, step 3)
  b  bool, true in a few runs          s  int16, sorted (row // 10)
Each table indexes some of them. `small` index block sizes (PyTables' own tests use such) make many slices and index
chunks of a few elements, so every path of an index (slices, bounds, the last row,
buckets and their reduction) is reached in a small file; `default` uses PyTables' sizes
(for so few rows: one last row, reduced).
Also: `/csi` (create_csindex: completely sorted), `/dirty` (rows appended with autoindex
off: PyTables marks the index dirty and does not use it) and `/empty` (an index of no rows).
"""
import json
import pathlib

import numpy as np
import tables

here = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/pytables"
out, answers = here / "indexes.h5", here / "indexes.json"
N, CHUNK = 700, 37
rng = np.random.default_rng(7)


def rows(n, first=0):
    r = np.arange(first, first + n)
    f = rng.normal(0, 1, n)
    f[rng.random(n) < 0.03] = np.nan
    data = np.empty(n, dtype=[("f", "f8"), ("g", "f4"), ("i", "i4"), ("l", "i8"), ("b", "?"), ("s", "i2")])
    data["f"] = f
    data["g"] = rng.random(n).astype("f4")
    data["i"] = r // 40 + rng.integers(-3, 4, n)
    data["l"] = 2**53 + 1 + 3 * r
    data["b"] = ((r // 50) % 7) == 3
    data["s"] = r // 10
    return data


# (superblocksize, blocksize, slicesize, chunksize), as PyTables' test_queries.py
SMALL = (512, 128, 32, 8)
TINY = (16, 8, 4, 2)
# Slices of 256 values in chunks of 16: reductions of 2 (medium), 4 (light), 8 (ultralight).
MID = (4096, 1024, 256, 16)
# (kind, optlevel, block sizes, the columns indexed, a name other than kind_optlevel_blocks):
# every index dataset costs a few kB of HDF5 overhead, so each table indexes only some.
CASES = [
    ("full", 9, "small", "fgilbs", "csi"),
    ("full", 0, "small", "fils", None),
    ("full", 6, "default", "fgb", None),
    ("medium", 0, "mid", "filb", None),
    ("medium", 9, "tiny", "fb", None),
    ("light", 6, "small", "fgis", None),
    ("light", 0, "mid", "fb", None),
    ("ultralight", 0, "mid", "filb", None),
    ("ultralight", 9, "tiny", "fis", None),
    ("ultralight", 6, "default", "fs", None),
]
CONDS = [
    "(f > -0.5) & (f < 0.25)",
    "f >= 1.5",
    "f <= -2",
    "(g > 0.3) & (g <= 0.31)",
    "i == 7",
    "(i > 10) & (i < 12)",
    "(l >= 9007199254741500) & (l < 9007199254741800)",
    "l == 9007199254741008",
    "b",
    "~b",
    "(s >= 50) & (s <= 51)",
    "(s < 3) | (s > 65)",
    "(f > 0) & (s == 40)",
    "(i == 3) | (f > 2.5)",
    "(s > 30) & (i < 5)",
]

cases = {}
with tables.open_file(str(out), "w") as h5:
    for kind, opt, blocks, columns, special in CASES:
        name = f"{kind}_{opt}_{blocks}" if special is None else special
        t = h5.create_table("/", name, rows(0).dtype, chunkshape=(CHUNK,))
        t.append(rows(N))
        t.flush()
        bs = {"small": SMALL, "tiny": TINY, "mid": MID, "default": None}[blocks]
        for col in columns:
            c = t.colinstances[col]
            if special == "csi":
                c.create_csindex(_blocksizes=bs)
            else:
                c.create_index(optlevel=opt, kind=kind, _blocksizes=bs)
        cases[name] = {"kind": kind, "optlevel": opt}
    # Rows appended without autoindex: the index is dirty and PyTables does not use it.
    t = h5.create_table("/", "dirty", rows(0).dtype, chunkshape=(CHUNK,))
    t.append(rows(N))
    for col in "fis":
        t.colinstances[col].create_index(kind="full", _blocksizes=SMALL)
    t.autoindex = False
    t.append(rows(100, N))
    t.flush()
    cases["dirty"] = {"kind": "full", "optlevel": 6}
    # Rows appended with autoindex on (the default): PyTables updates the index.
    t = h5.create_table("/", "grown", rows(0).dtype, chunkshape=(CHUNK,))
    t.append(rows(N))
    for col in "fis":
        t.colinstances[col].create_index(kind="medium", _blocksizes=SMALL)
    t.append(rows(345, N))
    t.flush()
    cases["grown"] = {"kind": "medium", "optlevel": 6}
    t = h5.create_table("/", "empty", rows(0).dtype, chunkshape=(CHUNK,))
    t.cols.f.create_index()
    cases["empty"] = {"kind": "medium", "optlevel": 6}

    for name, case in cases.items():
        t = h5.get_node("/", name)
        case["dirty"] = sorted(c for c in "fgilbs" if t.colinstances[c].index is not None and t.colinstances[c].index.dirty)
        case["queries"] = [
            {"cond": c, "indexed": sorted(t.will_query_use_indexing(c)), "coords": t.get_where_list(c).tolist()}
            for c in CONDS
        ]

answers.write_text(json.dumps(cases, indent=None, separators=(",", ":")) + "\n")
print(out, out.stat().st_size, answers, answers.stat().st_size)
