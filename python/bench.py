"""outcore's Python API against numexpr and PyTables, side by side in one process.

    scripts/python-dev --release                       # an optimised extension
    .venv-peers/bin/python ../shared/bench/peers.py gen DIR --rows 10000000 --filters none
    .venv-peers/bin/python python/bench.py DIR [--filters none,zlib,blosc]

Prints one line per workload: best-of-3 seconds for the peer and for outcore, and the ratio.
M1..M5 are peers.py's in-memory expressions over 10M float64; S1k/S10k the per-call time of
`a*b+c` on small arrays (NumPy too); Q1..Q4 and E1 peers.py's queries and expression on the
files peers.py wrote, through outcore's PyTables face.
"""

import argparse
import os
import sys
import time

import numexpr as ne
import numpy as np
import tables

import outcore

COND = "(((col4 >= lim1) & (col4 < lim2)) | ((col2 > lim3) & (col2 < lim4)) & ((col1 + 3.1*col2 + col3*col4) > lim5))"
LIMS = dict(lim1=20.0, lim2=30.0, lim3=40.0, lim4=50.0, lim5=3000.0)
MEM = {
    "M1": "a*b+c",
    "M2": "sin(a)**2+cos(b)**2",
    "M3": "exp(-a*a)*log1p(b)",
    "M4": "where(a>0.5, sqrt(a), b**3)",
    "M5": "(a>0.2)&(b<0.7)|(a+b>1.5)",
}


def best(fn, repeat=3, number=1):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        ts.append((time.perf_counter() - t0) / number)
    return min(ts)


def line(name, theirs, ours, peer):
    if theirs < 0.01:
        t, o, unit = theirs * 1e6, ours * 1e6, "us"
    else:
        t, o, unit = theirs, ours, "s "
    print(f"{name:10} {peer:9} {t:10.4f} {unit}  outcore {o:10.4f} {unit}  ratio {theirs / ours:6.2f}x", flush=True)


def memory():
    rng = np.random.default_rng(1)
    n = 10_000_000
    d = {"a": rng.random(n), "b": rng.random(n), "c": rng.random(n)}
    for name, ex in MEM.items():
        line(name, best(lambda: ne.evaluate(ex, local_dict=d)), best(lambda: outcore.evaluate(ex, local_dict=d)), "numexpr")
    # Into preallocated outputs (what the Rust bench `cargo bench --bench mem` times).
    for name, ex in MEM.items():
        out = ne.evaluate(ex, local_dict=d)
        line(name + " out=", best(lambda: ne.evaluate(ex, local_dict=d, out=out)), best(lambda: outcore.evaluate(ex, local_dict=d, out=out)), "numexpr")
    for n, label in ((1000, "S1k"), (10_000, "S10k")):
        d = {"a": rng.random(n), "b": rng.random(n), "c": rng.random(n)}
        reps = 2000 if n == 1000 else 500
        t_ne = best(lambda: ne.evaluate("a*b+c", local_dict=d), number=reps)
        t_oc = best(lambda: outcore.evaluate("a*b+c", local_dict=d), number=reps)
        a, b, c = d["a"], d["b"], d["c"]
        t_np = best(lambda: a * b + c, number=reps)
        line(label, t_ne, t_oc, "numexpr")
        line(label, t_np, t_oc, "numpy")


def files(folder, filters):
    for flt in filters:
        path = os.path.join(folder, f"bench_{flt}.h5")
        if not os.path.exists(path):
            print(f"{path}: missing (make it with peers.py gen)", file=sys.stderr)
            continue
        with tables.open_file(path, "a") as pt:
            t = pt.root.t
            q1 = best(lambda: sum(1 for _ in t.where(COND, LIMS)))
            q5 = best(lambda: [r["col2"] for r in t.where(COND, LIMS)])
            q2 = best(lambda: t.get_where_list(COND, LIMS))
            q3 = best(lambda: t.read_where(COND, LIMS))

            def q4():
                if "dest" in pt.root:
                    pt.remove_node("/dest")
                d = pt.create_table("/", "dest", t.description)
                t.append_where(d, COND, LIMS)
                pt.flush()

            q4t = best(q4)
            pt.remove_node("/dest")

            def e1():
                e = tables.Expr("a*b+c", uservars={"a": pt.root.a, "b": pt.root.b, "c": pt.root.c})
                e.set_output(pt.root.out)
                e.eval()

            e1t = best(e1)
        with outcore.open_file(path, "a") as oc:
            t = oc.root.t
            o1 = best(lambda: sum(1 for _ in t.where(COND, LIMS)))
            o5 = best(lambda: [r["col2"] for r in t.where(COND, LIMS)])
            o2 = best(lambda: t.get_where_list(COND, LIMS))
            o3 = best(lambda: t.read_where(COND, LIMS))

            def oq4():
                if "/dest" in oc:
                    oc.remove_node("/dest")
                d = oc.create_table("/", "dest", t.dtype)
                t.append_where(d, COND, LIMS)
                oc.flush()

            o4 = best(oq4)
            oc.remove_node("/dest")

            def oe1():
                e = outcore.Expr("a*b+c", uservars={"a": oc.root.a, "b": oc.root.b, "c": oc.root.c})
                e.set_output(oc.root.out)
                e.eval()

            oe = best(oe1)
        for name, a, b in (("Q1", q1, o1), ("Q2", q2, o2), ("Q3", q3, o3), ("Q4", q4t, o4), ("Q5", q5, o5), ("E1", e1t, oe)):
            line(f"{name}/{flt}", a, b, "PyTables")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("folder", nargs="?")
    p.add_argument("--filters", default="none")
    args = p.parse_args()
    memory()
    if args.folder:
        files(args.folder, args.filters.split(","))


if __name__ == "__main__":
    main()
