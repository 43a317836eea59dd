"""Queries over a compressible table, PyTables against outcore's Python API in one process:
a time-sorted sensor log (10M rows by default) with quantised readings, written by PyTables
under zlib, blosc and blosc2 (and none).

    scripts/python-dev --release
    .venv-peers/bin/python python/bench_compressible.py DIR [--rows 10000000]

Columns: time (int64, increasing), sensor (int16, 0..63), reading (float32, 0.1 steps, a
slow drift plus noise), status (int8, mostly 0). The files are made once in DIR. Prints one
line per (filters, workload): best-of-3 seconds for PyTables and outcore, the ratio, and the
file's size.
"""

import argparse
import os
import time

import numpy as np
import tables

import outcore

COND = "(reading > 61.0) & (reading < 61.5) & (status == 0)"
FILTERS = {
    "none": None,
    "zlib": tables.Filters(5, "zlib", shuffle=True),
    "blosc": tables.Filters(5, "blosc", shuffle=True),
    "blosc2": tables.Filters(5, "blosc2", shuffle=True),
}


class Log(tables.IsDescription):
    time = tables.Int64Col(pos=0)
    sensor = tables.Int16Col(pos=1)
    reading = tables.Float32Col(pos=2)
    status = tables.Int8Col(pos=3)


def make(path, rows, filters):
    rng = np.random.default_rng(3)
    with tables.open_file(path, "w") as f:
        t = f.create_table("/", "log", Log, filters=filters, expectedrows=rows)
        step = 1_000_000
        for start in range(0, rows, step):
            n = min(step, rows - start)
            i = np.arange(start, start + n)
            rec = np.zeros(n, dtype=t.dtype)
            rec["time"] = 1_700_000_000_000 + i * 100
            rec["sensor"] = i % 64
            drift = 50 + 20 * np.sin(i / 2_000_000.0)
            rec["reading"] = np.round(drift + rng.normal(0, 2, n), 1)
            rec["status"] = (rng.random(n) < 0.01).astype(np.int8)
            t.append(rec)


def best(fn, repeat=3):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--rows", type=int, default=10_000_000)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    for name, fl in FILTERS.items():
        path = os.path.join(a.dir, "log_%s.h5" % name)
        if not os.path.exists(path):
            make(path, a.rows, fl)
        mb = os.path.getsize(path) / 1e6
        with tables.open_file(path) as pt, outcore.open_file(path) as oc:
            pt_t, oc_t = pt.root.log, oc.root.log
            work = {
                "Q1 where": (lambda: sum(1 for _ in pt_t.where(COND)), lambda: sum(1 for _ in oc_t.where(COND))),
                "Q2 coords": (lambda: len(pt_t.get_where_list(COND)), lambda: len(oc_t.get_where_list(COND))),
                "Q3 read_where": (lambda: len(pt_t.read_where(COND)), lambda: len(oc_t.read_where(COND))),
            }
            for w, (theirs, ours) in work.items():
                t_pt, n_pt = best(theirs)
                t_oc, n_oc = best(ours)
                assert n_pt == n_oc, (name, w, n_pt, n_oc)
                print(f"{name:7} {w:14} {mb:7.0f} MB  PyTables {t_pt * 1e3:8.1f} ms  outcore {t_oc * 1e3:7.1f} ms  "
                      f"ratio {t_pt / t_oc:5.1f}x  ({n_oc} rows)", flush=True)


if __name__ == "__main__":
    main()
