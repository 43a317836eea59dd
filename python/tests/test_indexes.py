"""PyTables' own indexes from Python: queries on tables PyTables indexed (every kind) give
the full scan's rows, ``explain`` and ``will_query_use_indexing`` say which index is used."""
import json
import pathlib

import numpy as np
import tables

import outcore

FIX = pathlib.Path(__file__).resolve().parents[2] / "tests/fixtures/pytables"


def test_indexed_queries_give_the_scans_rows():
    cases = json.loads((FIX / "indexes.json").read_text())
    used = 0
    with outcore.open_file(str(FIX / "indexes.h5")) as f, tables.open_file(str(FIX / "indexes.h5")) as p:
        for name, case in cases.items():
            t, pt = f.get_node("/" + name), p.get_node("/" + name)
            data = pt.read()
            for q in case["queries"]:
                cond = q["cond"]
                got = t.get_where_list(cond)
                # The scan's rows, from NumPy over PyTables' read of the whole table.
                want = np.nonzero(tables.Expr(cond, {c: data[c] for c in data.dtype.names}).eval())[0]
                assert got.tolist() == want.tolist(), (name, cond)
                assert t.read_where(cond).tobytes() == data[want].tobytes(), (name, cond)
                e = t.explain(cond)
                if e.index == "used":
                    used += 1
                    assert e.candidates >= len(want) and e.rows_read < e.rows
                    assert set(e.index_columns) <= t.will_query_use_indexing(cond)
    assert used > 30


def test_explain_names_the_index():
    with outcore.open_file(str(FIX / "indexes.h5")) as f:
        t = f.root.full_0_small
        e = t.explain("(s >= 50) & (s <= 51)")
        assert (e.index, e.indexes, e.candidates, e.chunks_read, e.rows_read) == ("used", ("s (full)",), 20, 2, 20)
        assert "PyTables' index of s (full): 20 candidate rows" in str(e)
        assert t.will_query_use_indexing("(s >= 50) & (s <= 51)") == frozenset({"s"})
        ix = t.cols.s.index
        assert (ix.kind, ix.optlevel, ix.nelements, ix.is_csi, ix.dirty) == ("full", 0, 700, False, False)
        assert f.root.csi.cols.f.index.is_csi and f.root.light_6_small.cols.g.index.kind == "light"
        assert t.cols.b.index is None
        assert f.root.dirty.cols.s.index.dirty and "is dirty" in f.root.dirty.cols.s.index.reason
        d = f.root.dirty.explain("s == 3")
        assert d.index == "unused" and "is dirty" in d.index_reasons[0]
        assert f.root.dirty.will_query_use_indexing("s == 3") == frozenset()


def test_create_csindex_writes_an_index_pytables_uses(tmp_path):
    path = str(tmp_path / "cs.h5")
    rng = np.random.default_rng(3)
    with tables.open_file(path, "w") as f:
        t = f.create_table("/", "t", {"x": tables.Float64Col(), "n": tables.Int32Col(), "ok": tables.BoolCol()})
        a = np.empty(100_000, dtype=t.dtype)
        a["x"], a["n"], a["ok"] = rng.random(100_000), rng.integers(0, 10**6, 100_000), rng.random(100_000) < 0.5
        t.append(a)
    with outcore.open_file(path, "a") as f:
        t = f.root.t
        assert not t.cols.x.is_indexed
        assert t.cols.x.create_csindex() == 100_000
        assert t.cols.n.create_index(kind="full") == 100_000
        assert t.cols.x.is_indexed and t.cols.n.is_indexed
        assert t.colindexed == {"n": True, "ok": False, "x": True} and t.indexed
        assert sorted(t.indexedcolpathnames) == ["n", "x"]
        try:
            t.cols.x.create_index()
        except NotImplementedError as e:
            assert "kind 'full'" in str(e)
        else:
            raise AssertionError("kind medium written")
        e = t.explain("(x > 0.5) & (x < 0.5001)")
        assert e.index == "used" and e.rows_read < 10_000
        ours = t.get_where_list("(x > 0.5) & (x < 0.5001)")
        by_n = t.read_sorted("n")
        some = t.read_sorted(t.cols.x, field="x", start=5, stop=500, step=3)
        try:
            t.read_sorted("ok")
        except ValueError as e:
            assert "no completely sorted index" in str(e)
        else:
            raise AssertionError("read_sorted without an index")
    with tables.open_file(path) as f:
        t = f.root.t
        assert t.cols.x.index.is_csi and t.cols.n.index.is_csi
        assert t.will_query_use_indexing("(x > 0.5) & (x < 0.5001)") == frozenset({"x"})
        assert sorted(t.get_where_list("(x > 0.5) & (x < 0.5001)").tolist()) == ours.tolist()
        assert np.array_equal(t.read_sorted("n", field="n"), np.sort(t.col("n")))
        assert np.array_equal(t.read_sorted("n")["n"], by_n["n"])
        assert np.array_equal(t.read_sorted("x", field="x", start=5, stop=500, step=3), some)
