#!/usr/bin/env python3
"""Writes tests/fixtures/pytables/query.h5 and query.json: tables PyTables wrote and the row
numbers its `get_where_list` returns for many conditions.

Run: .venv-peers/bin/python scripts/make_query_fixtures.py

query.h5 holds the same 2000 rows three times: /tn (no filter, 1000-row chunks), /tz (zlib +
shuffle, 37-row chunks), /tb (blosc + shuffle, 101-row chunks). Columns: every integer width
signed and unsigned, float32, float64 (with NaNs), bool, a 6-byte string, a nested `loc`
(lat, long) and a complex128. query.json lists each case: the condition, its scalar variables,
nested columns bound as variables ({"lat": "loc/lat"}), an optional range, and the coordinates.
"""
import json
import os

import numpy as np
import tables as tb

HERE = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "pytables")
N = 2000
rng = np.random.default_rng(5)


class Loc(tb.IsDescription):
    lat = tb.Float64Col(pos=0)
    long = tb.Float64Col(pos=1)


class Row(tb.IsDescription):
    i8 = tb.Int8Col(pos=0)
    u8 = tb.UInt8Col(pos=1)
    i16 = tb.Int16Col(pos=2)
    u16 = tb.UInt16Col(pos=3)
    i32 = tb.Int32Col(pos=4)
    u32 = tb.UInt32Col(pos=5)
    i64 = tb.Int64Col(pos=6)
    f32 = tb.Float32Col(pos=7)
    f64 = tb.Float64Col(pos=8)
    b = tb.BoolCol(pos=9)
    s = tb.StringCol(6, pos=10)
    loc = Loc()
    c = tb.ComplexCol(16, pos=12)


CASES = [
    ("i8 < 0", {}, {}, None),
    ("(u8 > 200) | (u16 < 1000)", {}, {}, None),
    ("(i16 >= lo) & (i16 < hi)", {"lo": -100, "hi": 2000}, {}, None),
    ("u32 > 4000000000", {}, {}, None),
    ("(i32 % 7 == 3) & (i64 > 0)", {}, {}, None),
    ("f32 > 0.5", {}, {}, None),
    ("f64 > 0.25", {}, {}, None),
    ("f64 != f64", {}, {}, None),
    ("~(f64 <= 0.75)", {}, {}, None),
    ("b", {}, {}, None),
    ("~b & (i8 > 10)", {}, {}, None),
    ("s == b'spam'", {}, {}, None),
    ("s >= word", {"word": b"m"}, {}, None),
    ("contains(s, b'gg')", {}, {}, None),
    ("(lat > 0) & (long < 0)", {}, {"lat": "loc/lat", "long": "loc/long"}, None),
    ("sqrt(lat**2 + long**2) < 50", {}, {"lat": "loc/lat", "long": "loc/long"}, None),
    ("c.real > 0", {}, {}, None),
    ("(f64 * i32 + u8) > 100", {}, {}, None),
    ("i8 < 0", {}, {}, [100, 1500, 1]),
    ("b", {}, {}, [-500, None, 3]),
    ("f64 > 0.5", {}, {}, [7, 1999, 13]),
    # PyTables 3.11 reads one row for a lone start; outcore reads to the end (the next
    # release's rule). The test checks this case against the explicit one after it.
    ("(i16 > 0) | b", {}, {}, [1000, None, None]),
    ("(i16 > 0) | b", {}, {}, [1000, 2000, 1]),
]


def main():
    path = os.path.join(HERE, "query.h5")
    words = np.array([b"spam", b"eggs", b"ham", b"bacon", b"zzz", b"", b"m", b"leggy"])
    rows = np.empty(N, dtype=tb.description.Description(Row().columns)._v_dtype)
    for name, lo, hi in [("i8", -128, 128), ("u8", 0, 256), ("i16", -32768, 32768), ("u16", 0, 65536),
                         ("i32", -2**31, 2**31), ("u32", 0, 2**32), ("i64", -2**62, 2**62)]:
        rows[name] = rng.integers(lo, hi, N, dtype=np.int64 if name != "u32" else np.uint64)
    rows["f32"] = rng.random(N).astype(np.float32)
    f64 = rng.random(N)
    f64[rng.integers(0, N, 50)] = np.nan
    rows["f64"] = f64
    rows["b"] = rng.random(N) < 0.3
    rows["s"] = words[rng.integers(0, len(words), N)]
    rows["loc"]["lat"] = rng.random(N) * 180 - 90
    rows["loc"]["long"] = rng.random(N) * 360 - 180
    rows["c"] = rng.random(N) - 0.5 + 1j * rng.random(N)
    out = {"rows": N, "tables": ["/tn", "/tz", "/tb"], "cases": []}
    with tb.open_file(path, "w") as f:
        tables = {
            "/tn": f.create_table("/", "tn", Row, chunkshape=(1000,)),
            "/tz": f.create_table("/", "tz", Row, chunkshape=(37,), filters=tb.Filters(5, "zlib", shuffle=True)),
            "/tb": f.create_table("/", "tb", Row, chunkshape=(101,), filters=tb.Filters(5, "blosc", shuffle=True)),
        }
        for t in tables.values():
            t.append(rows)
        f.flush()
        t = tables["/tz"]
        for cond, scalars, nested, rng_ in CASES:
            condvars = dict(scalars)
            for name, p in nested.items():
                condvars[name] = t.cols._f_col(p)
            kw = {}
            if rng_ is not None:
                kw = dict(start=rng_[0], stop=rng_[1], step=rng_[2])
            coords = t.get_where_list(cond, condvars or None, **kw).tolist()
            out["cases"].append({
                "cond": cond,
                "vars": {k: (v.decode() if isinstance(v, bytes) else v) for k, v in scalars.items()},
                "bytes_vars": [k for k, v in scalars.items() if isinstance(v, bytes)],
                "nested": nested,
                "range": rng_,
                "coords": coords,
            })
    with open(os.path.join(HERE, "query.json"), "w") as fh:
        json.dump(out, fh)
        fh.write("\n")


if __name__ == "__main__":
    main()
