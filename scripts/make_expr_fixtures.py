#!/usr/bin/env python3
"""Writes tests/fixtures/pytables/expr.h5 and expr.json: operands written by PyTables and what
`tables.Expr` computes from them.

Run: .venv-peers/bin/python scripts/make_expr_fixtures.py

expr.h5 holds /a (float64, zlib), /b (int16, blosc), /m (float32 (n, 3), zlib, chunks that
split the second dimension), /v (3,) float64 (a plain Array), /e (an int32 EArray) and a Table
/t (x float64, y int8, nested p/q int32, blosc). expr.json lists, for each case, the
expression, the names bound (a leaf path, or "/t.x" for a column), an optional inputs range,
and the result PyTables' Expr returns (dtype, shape, values). Reductions are left out:
tables.Expr gets them wrong (it returns one value per block), so their reference is NumPy's.
"""
import json
import os

import numpy as np
import tables as tb

HERE = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "pytables")
N = 777
rng = np.random.default_rng(11)


class P(tb.IsDescription):
    q = tb.Int32Col(pos=0)


class T(tb.IsDescription):
    x = tb.Float64Col(pos=0)
    y = tb.Int8Col(pos=1)
    p = P()


def main():
    path = os.path.join(HERE, "expr.h5")
    zlib = tb.Filters(5, "zlib", shuffle=True)
    blosc = tb.Filters(5, "blosc", shuffle=True)
    cases = []
    with tb.open_file(path, "w") as f:
        a = rng.random(N) * 10 - 5
        b = rng.integers(-300, 300, N).astype(np.int16)
        m = (rng.random((N, 3)) * 4).astype(np.float32)
        f.create_carray("/", "a", obj=a, chunkshape=(100,), filters=zlib)
        f.create_carray("/", "b", obj=b, chunkshape=(64,), filters=blosc)
        f.create_carray("/", "m", obj=m, chunkshape=(50, 2), filters=zlib)
        f.create_array("/", "v", obj=np.array([1.5, -2.0, 0.25]))
        e = f.create_earray("/", "e", tb.Int32Atom(), shape=(0,), chunkshape=(90,))
        e.append(rng.integers(-1000, 1000, N).astype(np.int32))
        t = f.create_table("/", "t", T, chunkshape=(61,), filters=blosc)
        rows = np.empty(N, dtype=t.dtype)
        rows["x"] = rng.random(N) * 100
        rows["y"] = rng.integers(-100, 100, N)
        rows["p"]["q"] = rng.integers(-50, 50, N)
        t.append(rows)
        f.flush()

        def node(name):
            if "." in name:
                table, col = name.split(".", 1)
                return f.get_node(table).cols._f_col(col)
            return f.get_node(name)

        def run(expr, binds, rng_=None):
            uservars = {k: node(v) for k, v in binds.items()}
            ex = tb.Expr(expr, uservars=uservars)
            if rng_ is not None:
                ex.set_inputs_range(*rng_)
            r = np.asarray(ex.eval())
            cases.append({
                "expr": expr,
                "binds": binds,
                "range": None if rng_ is None else list(rng_),
                "dtype": str(r.dtype),
                "shape": list(r.shape),
                "values": [None if np.isnan(x) else float(x) for x in r.ravel().astype(np.float64)],
            })

        run("a*b + 1", {"a": "/a", "b": "/b"})
        run("where(a > 0, sqrt(a), -a)", {"a": "/a"})
        run("b * 3 - e", {"b": "/b", "e": "/e"})
        run("m * v + 1", {"m": "/m", "v": "/v"})
        run("x * y + q", {"x": "/t.x", "y": "/t.y", "q": "/t.p/q"})
        run("(x > 50) & (q < 0)", {"x": "/t.x", "q": "/t.p/q"})
        run("a + x", {"a": "/a", "x": "/t.x"}, (10, 700, 3))
        run("m + 1", {"m": "/m"}, (5, 400, 7))
        run("b // 7 + b % 7", {"b": "/b"}, (100, None, 1))
        run("exp(a / 4) * cos(x)", {"a": "/a", "x": "/t.x"})
    with open(os.path.join(HERE, "expr.json"), "w") as out:
        json.dump({"rows": N, "cases": cases}, out)
        out.write("\n")


if __name__ == "__main__":
    main()
