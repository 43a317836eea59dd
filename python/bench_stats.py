"""Chunk statistics benchmark: a time-sorted table, range queries of 1% and 0.01% of its
rows, outcore's full scan vs outcore with statistics vs PyTables (no index: its scan; and
with PyTables' own completely sorted index on `time`, if --csindex).

    .venv-peers/bin/python python/bench_stats.py /tmp/sorted.h5 --rows 100000000 [--csindex] [--cold]

The file is generated once (PyTables writes it: `time` int64 sorted, `value` float64, `id`
int32, zlib level 1) and reused. `--cold` drops the page cache before each timed query
(needs root); otherwise the best of three warm runs is reported. Build the extension with
`scripts/python-dev --release` first.
"""

import argparse
import os
import time

import numpy as np
import tables

import outcore


def generate(path, rows):
    desc = {"time": tables.Int64Col(pos=0), "value": tables.Float64Col(pos=1), "id": tables.Int32Col(pos=2)}
    rng = np.random.default_rng(1)
    with tables.open_file(path, "w") as f:
        t = f.create_table("/", "t", desc, filters=tables.Filters(1, "zlib", shuffle=True), expectedrows=rows)
        step = 1_000_000
        for start in range(0, rows, step):
            n = min(step, rows - start)
            a = np.zeros(n, dtype=t.dtype)
            # Readings every 10 ms, with jitter that keeps them sorted.
            a["time"] = 10 * np.arange(start, start + n) + rng.integers(0, 5, n)
            a["value"] = rng.normal(size=n)
            a["id"] = rng.integers(0, 1000, n)
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
    ap.add_argument("path")
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--csindex", action="store_true", help="also time PyTables with create_csindex on time")
    ap.add_argument("--cold", action="store_true", help="drop the page cache before each query (root)")
    a = ap.parse_args()
    if not os.path.exists(a.path):
        t0 = time.perf_counter()
        generate(a.path, a.rows)
        print("generated %s (%d rows) in %.1f s" % (a.path, a.rows, time.perf_counter() - t0))
    with outcore.open_file(a.path, "a") as f:
        zones = "/_p_outcore_zones_t"
        if zones in f:
            f.remove_node(zones)
    with tables.open_file(a.path) as pt:
        rows = pt.root.t.nrows
    span = 10 * rows
    cases = [("1%", 0.01), ("0.01%", 0.0001)]
    results = []
    for name, frac in cases:
        lo = int(span * 0.4)
        hi = lo + int(span * frac)
        cond = "(time >= %d) & (time < %d)" % (lo, hi)
        results.append((name, cond, {}))

    def ours(cond):
        with outcore.open_file(a.path) as f:
            return f.root.t.count_where(cond)

    def theirs(cond):
        with tables.open_file(a.path) as f:
            return len(f.root.t.get_where_list(cond))

    for name, cond, r in results:
        r["scan"] = timed(lambda: ours(cond), a.cold)
        r["pytables"] = timed(lambda: theirs(cond), a.cold)
    with outcore.open_file(a.path, "a") as f:
        t0 = time.perf_counter()
        f.root.t.index_stats(["time"])
        build = time.perf_counter() - t0
    for name, cond, r in results:
        r["stats"] = timed(lambda: ours(cond), a.cold)
        with outcore.open_file(a.path) as f:
            r["explain"] = f.root.t.explain(cond)
    if a.csindex:
        with tables.open_file(a.path, "a") as f:
            if not f.root.t.cols.time.is_indexed:
                t0 = time.perf_counter()
                f.root.t.cols.time.create_csindex()
                print("PyTables create_csindex(time): %.1f s" % (time.perf_counter() - t0))
        for name, cond, r in results:
            r["pytables_index"] = timed(lambda: theirs(cond), a.cold)
    print("rows %d, statistics written in %.2f s, %s cache" % (rows, build, "cold" if a.cold else "warm"))
    head = "| range | matches | chunks read | outcore scan | outcore + statistics | speedup | PyTables scan |"
    if a.csindex:
        head += " PyTables csindex |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for name, cond, r in results:
        n = r["scan"][1]
        assert n == r["stats"][1] == r["pytables"][1], (name, n, r["stats"][1], r["pytables"][1])
        e = r["explain"]
        line = "| %s | %d | %d of %d | %.1f ms | %.2f ms | %.0fx | %.0f ms |" % (
            name, n, e.chunks_read, e.chunks, 1e3 * r["scan"][0], 1e3 * r["stats"][0],
            r["scan"][0] / r["stats"][0], 1e3 * r["pytables"][0])
        if a.csindex:
            line += " %.1f ms |" % (1e3 * r["pytables_index"][0])
        print(line)


if __name__ == "__main__":
    main()
