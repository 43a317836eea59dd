"""PyTables' own indexes benchmark: random data (the seed tutorial's table: col1 int32,
col2..col4 float64 uniform in [0, 100)), `col4` indexed by PyTables' `create_csindex`;
range queries `(col4 >= 20) & (col4 < 20 + w)` of selectivity 0.001% to 50%, timed as
`get_where_list` with PyTables (its indexed query), with outcore using PyTables' index,
and with outcore scanning (a copy of the table without the index).

    .venv-peers/bin/python python/bench_indexes.py DIR --rows 100000000 [--cold]

Files are generated once in DIR (written by PyTables: `scan.h5`, `indexed.h5` with PyTables'
index, `ours.h5` with outcore's `create_csindex`, both timed) and reused. `--cold` drops the page cache before each timed query (needs root); otherwise the
best of three warm runs is reported. Build the extension with `scripts/python-dev --release`.
"""

import argparse
import os
import shutil
import time

import numpy as np
import tables

import outcore

SELECTIVITY = [("0.001%", 0.001), ("0.1%", 0.1), ("1%", 1.0), ("10%", 10.0), ("50%", 50.0)]


def generate(path, rows):
    desc = {"col1": tables.Int32Col(pos=0), "col2": tables.Float64Col(pos=1),
            "col3": tables.Float64Col(pos=2), "col4": tables.Float64Col(pos=3)}
    rng = np.random.default_rng(42)
    with tables.open_file(path, "w") as f:
        t = f.create_table("/", "t", desc, expectedrows=rows)
        step = 1_000_000
        for start in range(0, rows, step):
            n = min(step, rows - start)
            a = np.empty(n, dtype=t.dtype)
            a["col1"] = rng.integers(0, 100, n)
            for c in ("col2", "col3", "col4"):
                a[c] = rng.random(n) * 100
            t.append(a)


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def timed(fn, cold):
    best = None
    for _ in range(1 if cold else 3):
        if cold:
            drop_caches()
        t0 = time.perf_counter()
        r = fn()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best, r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--cold", action="store_true", help="drop the page cache before each query (root)")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    indexed, scan = os.path.join(a.dir, "indexed.h5"), os.path.join(a.dir, "scan.h5")
    ours_idx = os.path.join(a.dir, "ours.h5")
    if not os.path.exists(indexed):
        t0 = time.perf_counter()
        generate(scan, a.rows)
        shutil.copyfile(scan, indexed)
        shutil.copyfile(scan, ours_idx)
        print("generated %d rows in %.1f s" % (a.rows, time.perf_counter() - t0))
        with tables.open_file(indexed, "a") as f:
            t1 = time.perf_counter()
            f.root.t.cols.col4.create_csindex()
            theirs = time.perf_counter() - t1
        with outcore.open_file(ours_idx, "a") as f:
            t1 = time.perf_counter()
            f.root.t.cols.col4.create_csindex()
            ours = time.perf_counter() - t1
        print("create_csindex(col4): PyTables %.2f s, outcore %.2f s (%.1fx)" % (theirs, ours, theirs / ours))
    with tables.open_file(indexed) as f:
        rows = f.root.t.nrows

    def pytables(cond):
        with tables.open_file(indexed) as f:
            return f.root.t.get_where_list(cond)

    def ours(path, cond):
        with outcore.open_file(path) as f:
            return f.root.t.get_where_list(cond)

    print("rows %d, %s cache, get_where_list, best of %d" % (rows, "cold" if a.cold else "warm", 1 if a.cold else 3))
    head = ("| selectivity | matches | PyTables csindex | outcore + index | vs PyTables | outcore scan "
            "| vs scan | chunks read |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for name, width in SELECTIVITY:
        cond = "(col4 >= 20) & (col4 < %r)" % (20 + width)
        theirs, want = timed(lambda: pytables(cond), a.cold)
        idx, got = timed(lambda: ours(indexed, cond), a.cold)
        full, got_scan = timed(lambda: ours(scan, cond), a.cold)
        assert got.tolist() == got_scan.tolist() == sorted(want.tolist()), name
        with outcore.open_file(indexed) as f:
            e = f.root.t.explain(cond)
        print("| %s | %d | %.1f ms | %.1f ms | %.1fx | %.1f ms | %.2fx | %d of %d (%s) |" % (
            name, len(got), theirs * 1e3, idx * 1e3, theirs / idx, full * 1e3, full / idx,
            e.chunks_read, e.chunks, "index" if e.index == "used" else "scan"))


if __name__ == "__main__":
    main()
