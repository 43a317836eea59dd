"""The Python side of outcore's demo: numexpr's evaluate and PyTables' read_where, then
outcore's, on the same 10M-element arrays and the same PyTables-written file."""

import os
import sys
import tempfile
import time

import numexpr as ne
import numpy as np
import tables

import outcore


def best(fn, repeat=3):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), r


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    rng = np.random.default_rng(0)
    a, b = rng.random(n), rng.random(n)
    ex = "where(a > 0.5, sqrt(a), b**3)"
    # The arrays named explicitly: inside a lambda, the caller's frame does not hold them.
    names = {"a": a, "b": b}
    t_ne, r_ne = best(lambda: ne.evaluate(ex, local_dict=names))
    t_oc, r_oc = best(lambda: outcore.evaluate(ex, local_dict=names))
    assert np.array_equal(r_ne, r_oc)
    print(f"evaluate({ex!r}) over {n:,} float64: numexpr {t_ne*1e3:.1f} ms, outcore {t_oc*1e3:.1f} ms (same values)")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "demo.h5")
        rows = np.zeros(n, dtype=[("energy", "<f8"), ("pid", "<i4"), ("t", "<i8")])
        rows["energy"] = a * 100
        rows["pid"] = (b * 30).astype(np.int32)
        rows["t"] = np.arange(n)
        with tables.open_file(path, "w") as f:
            f.create_table("/", "events", obj=rows, filters=tables.Filters(5, "blosc"))
        cond = "(energy > 90) & (pid == 3)"
        with tables.open_file(path) as f:
            t_pt, hits_pt = best(lambda: f.root.events.read_where(cond))
        with outcore.open_file(path) as f:
            t_oq, hits_oc = best(lambda: f.root.events.read_where(cond))
            count = f.root.events.count_where(cond)
        assert np.array_equal(hits_pt, hits_oc) and count == len(hits_oc)
        print(f"read_where({cond!r}) on a {n:,}-row PyTables table (blosc): PyTables {t_pt*1e3:.1f} ms, "
              f"outcore {t_oq*1e3:.1f} ms ({len(hits_oc):,} rows, same records and dtype)")


if __name__ == "__main__":
    main()
