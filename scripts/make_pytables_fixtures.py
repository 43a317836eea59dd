#!/usr/bin/env python3
"""Writes small HDF5 files with real PyTables into tests/fixtures/pytables/.

Run: .venv-peers/bin/python scripts/make_pytables_fixtures.py

- tables.h5: a Table /t with int, float, bool, string, complex, nested and array-shaped
  columns (odd chunk size), a zlib copy /tz and a blosc copy /tb; groups with titles and
  attributes of every kind.
- arrays.h5: CArrays and EArrays of float64, int32 and float32 with no filter, zlib+shuffle,
  blosc (blosclz, lz4, zstd, zlib), with edge chunks; a plain Array. PyTables cannot write lzf,
  so /c_lzf_f64 (lzf + shuffle) is written with h5py, which can.
- expected.json: what every node holds, as PyTables reads it, for the tests to compare.
"""
import json
import os

import numpy as np
import tables as tb

HERE = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "pytables")
os.makedirs(HERE, exist_ok=True)
rng = np.random.default_rng(7)
expected = {}


class Loc(tb.IsDescription):
    lat = tb.Float64Col(pos=0)
    long = tb.Float64Col(pos=1)


class Row(tb.IsDescription):
    i32 = tb.Int32Col(pos=0)
    i64 = tb.Int64Col(pos=1)
    f32 = tb.Float32Col(pos=2)
    f64 = tb.Float64Col(pos=3)
    flag = tb.BoolCol(pos=4)
    name = tb.StringCol(6, pos=5)
    z = tb.ComplexCol(16, pos=6)
    u8 = tb.UInt8Col(pos=7)
    vec = tb.Float64Col(shape=(3,), pos=8)
    location = Loc()


def table_rows(n):
    a = np.zeros(n, dtype=[("i32", "<i4"), ("i64", "<i8"), ("f32", "<f4"), ("f64", "<f8"), ("flag", "?"),
                           ("name", "S6"), ("z", "<c16"), ("u8", "u1"), ("vec", "<f8", (3,)),
                           ("location", [("lat", "<f8"), ("long", "<f8")])])
    a["i32"] = rng.integers(-1000, 1000, n)
    a["i64"] = rng.integers(-2**40, 2**40, n)
    a["f32"] = rng.standard_normal(n).astype(np.float32)
    a["f64"] = rng.standard_normal(n)
    a["f64"][::97] = np.nan
    a["flag"] = rng.integers(0, 2, n).astype(bool)
    names = np.array([b"spam", b"eggs", b"ham", b"", b"sausag"])
    a["name"] = names[rng.integers(0, len(names), n)]
    a["z"] = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    a["u8"] = rng.integers(0, 256, n)
    a["vec"] = rng.standard_normal((n, 3))
    a["location"]["lat"] = rng.uniform(-90, 90, n)
    a["location"]["long"] = rng.uniform(-180, 180, n)
    return a


def describe(arr):
    return {"dtype": str(arr.dtype), "shape": list(arr.shape), "sum": float(np.nansum(arr.astype(np.float64))) if arr.dtype.kind in "biuf" else None}


with tb.open_file(os.path.join(HERE, "tables.h5"), "w", title="outcore table fixtures") as f:
    rows = table_rows(1000)
    g = f.create_group("/", "grp", title="A group")
    g._v_attrs.count = np.int32(42)
    g._v_attrs.ratio = 0.25
    g._v_attrs.label = "hello"
    g._v_attrs.blabel = b"bytes"
    g._v_attrs.empty = ""
    g._v_attrs.vector = np.arange(4, dtype=np.int64)
    for name, filters in [("t", None), ("tz", tb.Filters(5, "zlib", shuffle=True)), ("tb", tb.Filters(5, "blosc", shuffle=True))]:
        t = f.create_table("/", name, Row, title=f"table {name}", filters=filters, chunkshape=(77,))
        t.append(rows)
        t.flush()
    sub = f.create_group(g, "sub", title="Nested group")
    t = f.create_table(sub, "small", Row, title="small table", expectedrows=10)
    t.append(rows[:10])
    expected["tables.h5"] = {"rows": 1000, "chunkshape": 77,
                             "i32_sum": int(rows["i32"].sum()), "i64_sum": int(rows["i64"].sum()),
                             "f64_nansum": float(np.nansum(rows["f64"])), "flag_count": int(rows["flag"].sum()),
                             "lat_sum": float(rows["location"]["lat"].sum()), "name_7": rows["name"][7].decode(),
                             "vec_sum": float(rows["vec"].sum()), "u8_sum": int(rows["u8"].sum())}

with tb.open_file(os.path.join(HERE, "arrays.h5"), "w") as f:
    n = 10_007
    data = {"f64": rng.standard_normal(n), "i32": rng.integers(-10**6, 10**6, n).astype(np.int32),
            "f32": rng.standard_normal(n).astype(np.float32)}
    filters = {"none": None, "zlib": tb.Filters(5, "zlib", shuffle=True), "blosclz": tb.Filters(5, "blosc:blosclz", shuffle=True),
               "lz4": tb.Filters(5, "blosc:lz4", shuffle=True), "zstd": tb.Filters(5, "blosc:zstd", shuffle=True),
               "bzlib": tb.Filters(5, "blosc:zlib", shuffle=False)}
    info = {}
    for fname, flt in filters.items():
        for dname, values in data.items():
            node = f"c_{fname}_{dname}"
            a = f.create_carray("/", node, obj=values, filters=flt, chunkshape=(1000,), title=f"{fname} {dname}")
            info[node] = {"sum": float(values.astype(np.float64).sum()), "dtype": str(values.dtype), "n": n}
        e = f.create_earray("/", f"e_{fname}", tb.Float64Atom(), shape=(0, 3), filters=flt, chunkshape=(333, 3))
        v = rng.standard_normal((2500, 3))
        e.append(v)
        info[f"e_{fname}"] = {"sum": float(v.sum()), "dtype": "float64", "n": 7500}
    f.create_array("/", "plain", obj=np.arange(12, dtype=np.int64).reshape(3, 4), title="plain array")
    info["plain"] = {"sum": 66.0, "dtype": "int64", "n": 12}
    expected["arrays.h5"] = info

import h5py  # noqa: E402

with h5py.File(os.path.join(HERE, "arrays.h5"), "a") as f:
    v = rng.standard_normal(5003)
    f.create_dataset("c_lzf_f64", data=v, chunks=(1000,), compression="lzf", shuffle=True)
    expected["arrays.h5"]["c_lzf_f64"] = {"sum": float(v.sum()), "dtype": "float64", "n": 5003}

with open(os.path.join(HERE, "expected.json"), "w") as fp:
    json.dump(expected, fp, indent=1, sort_keys=True)
print("wrote", sorted(os.listdir(HERE)))
