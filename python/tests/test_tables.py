"""outcore's PyTables face against PyTables, in one process, on files PyTables wrote."""

import os
import shutil
import threading

import h5py
import numpy as np
import pytest
import tables

import outcore

N = 60_000


class Particle(tables.IsDescription):
    name = tables.StringCol(8, pos=0)
    energy = tables.Float32Col(pos=1)
    pid = tables.Int32Col(pos=2)
    ts = tables.Int64Col(pos=3)
    flag = tables.BoolCol(pos=4)
    small = tables.Int8Col(pos=5)
    vec = tables.Float64Col(shape=(3,), pos=6)

    class loc(tables.IsDescription):
        _v_pos = 7
        lat = tables.Float64Col(pos=0)
        lon = tables.Float64Col(pos=1)


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    p = tmp_path_factory.mktemp("pt") / "events.h5"
    rng = np.random.default_rng(3)
    with tables.open_file(p, "w") as f:
        g = f.create_group("/", "run", "a run")
        t = f.create_table(g, "events", Particle, "events", filters=tables.Filters(5, "zlib", shuffle=True), expectedrows=N)
        rows = np.zeros(N, dtype=t.dtype)
        rows["name"] = np.array([b"n%d" % (k % 13) for k in range(N)])
        rows["energy"] = rng.random(N) * 100
        rows["pid"] = rng.integers(0, 30, N)
        rows["ts"] = 1733000000123456768 + np.arange(N)
        rows["flag"] = rng.random(N) > 0.5
        rows["small"] = rng.integers(-100, 100, N)
        rows["vec"] = rng.random((N, 3))
        rows["loc"]["lat"] = rng.random(N) * 180 - 90
        rows["loc"]["lon"] = rng.random(N) * 360 - 180
        t.append(rows)
        t.attrs.calibrated = 1
        f.create_carray("/", "grid", obj=rng.random((200, 30)), filters=tables.Filters(1, "blosc"))
        ea = f.create_earray("/", "series", tables.Float64Atom(), (0,), filters=tables.Filters(3, "zlib"))
        ea.append(rng.random(5000))
        f.create_array("/", "small", obj=np.arange(10, dtype=np.int16))
        f.create_table("/", "dest", Particle)
    return p


@pytest.fixture
def pair(path):
    with tables.open_file(path) as pt, outcore.open_file(path) as oc:
        yield pt, oc


CONDITIONS = [
    "(energy > 50) & (pid == 3)",
    "energy < 1",
    "pid != 7",
    "flag",
    "~flag & (small < 0)",
    "(ts > 1733000000123460000) & (ts <= 1733000000123470000)",
    "name == b'n3'",
    "(lat > 0) | (energy > 99)",
    "sqrt(energy) > 5",
    "energy > 1000",
]


def _condvars(t, cond):
    return {"lat": t.cols.loc.lat} if "lat" in cond else None


@pytest.mark.parametrize("cond", CONDITIONS)
def test_read_where_and_get_where_list_match_pytables(pair, cond):
    pt, oc = pair
    T, O = pt.root.run.events, oc.root.run.events
    want = T.read_where(cond, _condvars(T, cond))
    got = O.read_where(cond, _condvars(O, cond))
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    w = T.get_where_list(cond, _condvars(T, cond))
    g = O.get_where_list(cond, _condvars(O, cond))
    assert g.dtype == np.int64 and w.dtype == np.int64
    np.testing.assert_array_equal(g, w)
    assert O.count_where(cond, _condvars(O, cond)) == len(w)
    rows = [(r.nrow, r["ts"], r["loc/lat"]) for r in O.where(cond, _condvars(O, cond))]
    want_rows = [(r.nrow, r["ts"], r["loc/lat"]) for r in T.where(cond, _condvars(T, cond))]
    assert rows == want_rows


def test_ranges_fields_and_condvars(pair):
    pt, oc = pair
    T, O = pt.root.run.events, oc.root.run.events
    lim = 40.0
    for kw in ({"start": 100, "stop": 40_000, "step": 3}, {"start": -5000, "stop": N}, {"stop": 10}):
        np.testing.assert_array_equal(O.read_where("energy > lim", **kw), T.read_where("energy > lim", **kw))
        np.testing.assert_array_equal(O.get_where_list("energy > lim", **kw), T.get_where_list("energy > lim", **kw))
    np.testing.assert_array_equal(
        O.read_where("energy > e", {"e": 90}, field="ts"), T.read_where("energy > e", {"e": 90}, field="ts")
    )
    np.testing.assert_array_equal(
        O.read_where("x > 0", {"x": O.cols.loc.lon}, field="loc/lat"),
        T.read_where("x > 0", {"x": T.cols.loc.lon}, field="loc/lat"),
    )


def test_a_start_alone_is_a_slice_start(pair):
    """Documented difference: PyTables' queries read one row when only `start` is given
    (its `Table.read` and Python's slices read to the end); outcore's read to the end."""
    pt, oc = pair
    T, O = pt.root.run.events, oc.root.run.events
    assert len(T.get_where_list("energy >= 0", start=-5000)) == 1
    np.testing.assert_array_equal(O.get_where_list("energy >= 0", start=-5000), np.arange(N - 5000, N))
    assert len(O.read(start=-5000)) == len(T.read(start=-5000)) == 5000


def test_reading_columns_rows_and_arrays(pair):
    pt, oc = pair
    T, O = pt.root.run.events, oc.root.run.events
    assert (O.nrows, O.colnames, O.coldtypes, O.dtype) == (T.nrows, T.colnames, T.coldtypes, T.dtype)
    assert O.colpathnames == T.colpathnames
    for name in ("energy", "ts", "name", "vec"):
        np.testing.assert_array_equal(O.col(name), T.col(name))
    np.testing.assert_array_equal(O.cols.loc.lat[:], T.cols.loc.lat[:])
    np.testing.assert_array_equal(O.cols.energy[10:20], T.cols.energy[10:20])
    np.testing.assert_array_equal(O.read(5, 500, 7), T.read(5, 500, 7))
    np.testing.assert_array_equal(O.read(field="pid"), T.read(field="pid"))
    np.testing.assert_array_equal(O[17], T[17])
    np.testing.assert_array_equal(O[-1], T[-1])
    np.testing.assert_array_equal(O[3:9], T[3:9])
    np.testing.assert_array_equal(O.read_coordinates([5, 2, 9]), T.read_coordinates([5, 2, 9]))
    assert [r["pid"] for r in O.iterrows(0, 100, 9)] == [r["pid"] for r in T.iterrows(0, 100, 9)]
    for name in ("grid", "series", "small"):
        a, b = pt.get_node("/" + name), oc.get_node("/" + name)
        assert (b.shape, b.dtype, type(b).__name__) == (a.shape, a.dtype, type(a).__name__)
        np.testing.assert_array_equal(b.read(), a.read())
        np.testing.assert_array_equal(b[3:9], a[3:9])
        np.testing.assert_array_equal(b[2], a[2])
    assert oc.root.grid.filters.complib == "blosc"
    assert O.attrs.calibrated == 1 and O.attrs.CLASS == "TABLE"
    assert O.title == "events" and oc.root.run._v_title == "a run"


def test_tree_matches_pytables(pair):
    pt, oc = pair
    assert [n._v_pathname for n in oc.walk_nodes()] == [n._v_pathname for n in pt.walk_nodes()]
    assert [n._v_pathname for n in oc.walk_nodes("/", "Leaf")] == [n._v_pathname for n in pt.walk_nodes("/", "Leaf")]
    assert [n._v_name for n in oc.list_nodes("/")] == [n._v_name for n in pt.list_nodes("/")]
    assert [type(n).__name__ for n in oc.list_nodes("/")] == [type(n).__name__ for n in pt.list_nodes("/")]
    assert oc.get_node("/run", "events")._v_pathname == "/run/events"
    assert "/run/events" in oc


def test_errors_are_pytables_exception_types(pair):
    _, oc = pair
    O = oc.root.run.events
    with pytest.raises(outcore.NoSuchNodeError):
        oc.get_node("/nothing")
    with pytest.raises(outcore.NoSuchNodeError, match="did you mean `/grid`"):
        oc.get_node("/gird")
    with pytest.raises(AttributeError):
        oc.root.nothing
    with pytest.raises(LookupError):
        oc.get_node("/run/nothing")
    with pytest.raises(NameError, match="nope"):
        O.read_where("nope > 1")
    with pytest.raises(TypeError, match="boolean"):
        O.read_where("energy + 1")
    with pytest.raises(SyntaxError):
        O.read_where("energy >")
    with pytest.raises(TypeError):
        O.read_where("energy > x", {"x": np.arange(3)})
    with pytest.raises(KeyError):
        O.read(field="nope")
    with pytest.raises(FileNotFoundError):
        outcore.open_file("/nonexistent/file.h5")
    # PyTables raises HDF5ExtError here (from HDF5, "no write intent on file") and
    # FileModeError for its other writes; outcore raises FileModeError for every one.
    with pytest.raises(outcore.FileModeError, match="read-only"):
        for row in O.where("pid == 1"):
            row["pid"] = 2
            row.update()


def test_updates_appends_and_append_where(tmp_path, path):
    p = tmp_path / "copy.h5"
    p.write_bytes(path.read_bytes())
    with outcore.open_file(p, "a") as oc:
        O = oc.root.run.events
        n = 0
        for row in O.where("pid == 5"):
            row["energy"] = -1
            row.update()
            n += 1
        added = O.append_where(oc.root.dest, "energy < 0")
        assert added == n
        t2 = oc.create_table("/", "made", np.dtype([("x", "<f8"), ("k", "<i4")]))
        t2.append([(1.5, 1), (2.5, 2)])
        t2.append(np.array([(3.5, 3)], dtype=t2.dtype))
        # PyTables' row-by-row appends: buffered, written before reads and at close.
        t3 = oc.create_table("/", "byrow", np.dtype([("i", "<i8"), ("sq", "<f8")]))
        row = t3.row
        assert row is t3.row
        for k in range(100_000):
            row["i"] = k
            row["sq"] = k * k
            row.append()
        assert t3.nrows == 100_000
        assert t3.read_where("i == 77")["sq"][0] == 77 * 77
        for k in range(5):
            row["i"] = -k
            row.append()
        assert row["sq"] == 0  # reset after append, as PyTables
        ea = oc.create_earray("/", "grow", np.dtype("f8"), (0, 2), filters=outcore.Filters(1, "zlib"))
        ea.append(np.ones((3, 2)))
        ca = oc.create_carray("/", "c", obj=np.arange(12.0).reshape(3, 4), filters=outcore.Filters(5, "blosc:lz4"))
        assert ca.shape == (3, 4)
    with tables.open_file(p) as pt:
        T = pt.root.run.events
        assert (T.col("energy") == -1).sum() == n
        np.testing.assert_array_equal(pt.root.dest.read(), T.read_where("energy < 0"))
        np.testing.assert_array_equal(pt.root.made.col("x"), [1.5, 2.5, 3.5])
        np.testing.assert_array_equal(pt.root.byrow.col("i")[:100_000], np.arange(100_000))
        np.testing.assert_array_equal(pt.root.byrow.col("i")[100_000:], -np.arange(5))
        assert not pt.root.byrow.col("sq")[100_000:].any()
        np.testing.assert_array_equal(pt.root.grow[:], np.ones((3, 2)))
        np.testing.assert_array_equal(pt.root.c[:], np.arange(12.0).reshape(3, 4))
    with h5py.File(p) as h:
        assert h["made"].shape == (3,)


def test_expr_out_of_core_matches_pytables(tmp_path, pair, path):
    pt, oc = pair
    T, O = pt.root.run.events, oc.root.run.events
    want = tables.Expr("energy * 2 + lat", uservars={"energy": T.cols.energy, "lat": T.cols.loc.lat}).eval()
    e = outcore.Expr("energy * 2 + lat", uservars={"energy": O.cols.energy, "lat": O.cols.loc.lat})
    got = e.eval()
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(np.fromiter(e, dtype=float), want)
    grid = oc.root.grid  # noqa: F841 (read by name from this frame)
    x = np.arange(30.0)
    np.testing.assert_allclose(outcore.Expr("grid * x + 1").eval(), pt.root.grid[:] * x + 1)
    e = outcore.Expr("sum(series)", uservars={"series": oc.root.series})
    np.testing.assert_allclose(e.eval(), pt.root.series[:].sum())
    e = outcore.Expr("series * 2", uservars={"series": oc.root.series})
    e.set_inputs_range(10, 100, 3)
    np.testing.assert_allclose(e.eval(), pt.root.series[10:100:3] * 2)
    out = np.zeros(200)
    e = outcore.Expr("series + 1", uservars={"series": oc.root.series})
    e.set_inputs_range(0, 100)
    e.set_output(out)
    e.set_output_range(100, 200)
    e.eval()
    np.testing.assert_allclose(out[100:], pt.root.series[:100] + 1)
    # Into a CArray of another file, which PyTables then reads.
    q = tmp_path / "out.h5"
    with outcore.open_file(q, "w") as w:
        dst = w.create_carray("/", "r", np.dtype("f8"), (T.nrows,))
        e = outcore.Expr("energy * 2", uservars={"energy": O.cols.energy})
        e.set_output(dst)
        assert e.eval() is dst
    with tables.open_file(q) as r:
        np.testing.assert_allclose(r.root.r[:], T.col("energy") * 2)


def test_rows_are_one_reused_object_as_pytables(pair):
    pt, oc = pair
    O = oc.root.run.events
    rows = list(O.where("pid == 3"))
    assert len({id(r) for r in rows}) == 1 and isinstance(rows[0], outcore.Row)
    first = next(iter(O.where("pid == 3"))).fetch_all_fields()
    np.testing.assert_array_equal(first, pt.root.run.events.read_where("pid == 3")[0])
    assert repr(next(iter(O.iterrows(5, 6)))) == "/run/events.row (Row), pointing to row #5"
    assert next(iter(O.iterrows(5, 6))).table is O
    with pytest.raises(KeyError):
        next(iter(O.where("pid == 3")))["nope"]


def test_tables_h5py_and_outcore_in_one_process(path):
    with tables.open_file(path) as pt, h5py.File(path, "r") as h, outcore.open_file(path) as oc:
        a = pt.root.run.events.read_where("pid == 4")
        b = oc.root.run.events.read_where("pid == 4")
        c = h["run/events"][:]
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(c[c["pid"] == 4], b)


def test_queries_from_many_threads(path):
    with outcore.open_file(path) as oc:
        O = oc.root.run.events
        want = {k: O.get_where_list("pid == k", {"k": k}) for k in range(8)}
        errors = []

        def work(k):
            for _ in range(5):
                if not np.array_equal(O.get_where_list("pid == k", {"k": k}), want[k]):
                    errors.append(k)

        ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert errors == []


def test_filters_are_pytables(tmp_path):
    p = tmp_path / "f.h5"
    x = np.arange(1000.0)
    with tables.open_file(p, "w") as f:
        f.create_carray("/", "a", obj=x, filters=tables.Filters(5, "blosc2:zstd", shuffle=False, bitshuffle=True))
        f.create_carray("/", "b", obj=x, filters=tables.Filters(1, "zlib", shuffle=True, fletcher32=True))
        f.create_carray("/", "c", obj=x)
    with tables.open_file(p) as pt, outcore.open_file(p) as oc:
        for name in "abc":
            a, b = pt.get_node("/" + name).filters, oc.get_node("/" + name).filters
            assert (b.complib, b.complevel, b.shuffle, b.bitshuffle, b.fletcher32) == (
                a.complib if a.complevel else "zlib",
                a.complevel,
                a.shuffle if a.complevel else b.shuffle,
                a.bitshuffle,
                a.fletcher32,
            ), name
        # PyTables' blosc2 leaf reads and computes as PyTables'.
        assert np.array_equal(oc.root.a.read(), x)
        assert outcore.Expr("sum(a)", uservars={"a": oc.root.a}).eval() == x.sum()


def test_blosc2_written_by_outcore_reads_in_pytables(tmp_path):
    p = tmp_path / "b2.h5"
    x = np.linspace(0, 1, 5000)
    rows = np.zeros(3000, dtype=[("a", "i4"), ("b", "f8")])
    rows["a"] = np.arange(3000)
    rows["b"] = np.sqrt(rows["a"])
    libs = ["blosc2", "blosc2:lz4", "blosc2:lz4hc", "blosc2:zlib", "blosc2:zstd"]
    with outcore.open_file(p, "w") as f:
        for i, lib in enumerate(libs):
            fl = outcore.Filters(5, lib, shuffle=i % 2 == 0, bitshuffle=i % 2 == 1)
            f.create_carray("/", "c%d" % i, obj=x, filters=fl)
        f.create_table("/", "t", obj=rows, filters=outcore.Filters(9, "blosc2:zstd"))
        f.create_carray("/", "f32", obj=x, filters=outcore.Filters(1, "zlib", fletcher32=True))
        f.create_carray("/", "f32only", obj=x, filters=outcore.Filters(0, fletcher32=True))
    with tables.open_file(p) as pt:
        for name, level in [("f32", 1), ("f32only", 0)]:
            node = pt.get_node("/" + name)
            assert node.filters.fletcher32 and node.filters.complevel == level, name
            assert np.array_equal(node.read(), x)
    with outcore.open_file(p) as oc:
        oc_filters = [oc.get_node("/c%d" % i).filters for i in range(len(libs))]
    with tables.open_file(p) as pt:
        for i, lib in enumerate(libs):
            node = pt.get_node("/c%d" % i)
            # PyTables names blosc2's default codec when the file says it.
            assert node.filters.complib == {"blosc2": "blosc2:blosclz"}.get(lib, lib)
            assert node.filters.bitshuffle == (i % 2 == 1)
            assert oc_filters[i] == node.filters
            assert np.array_equal(node.read(), x)
        assert np.array_equal(pt.root.t.read(), rows)
        assert np.array_equal(pt.root.t.get_where_list("b > 50"), np.nonzero(rows["b"] > 50)[0])
    with outcore.open_file(p) as oc:
        assert np.array_equal(oc.root.t.get_where_list("b > 50"), np.nonzero(rows["b"] > 50)[0])


def test_outcore_imported_before_tables_and_h5py(path):
    """Each brings its own libhdf5 (PyTables' and h5py's wheels bundle theirs): in either
    import order the three read the same file in one process."""
    import subprocess
    import sys

    code = (
        "import outcore, tables, h5py, numpy as np, sys\n"
        "p = sys.argv[1]\n"
        "with outcore.open_file(p) as o, tables.open_file(p) as t, h5py.File(p) as h:\n"
        "    a = o.root.run.events.read_where('pid == 3')\n"
        "    assert np.array_equal(a, t.root.run.events.read_where('pid == 3'))\n"
        "    c = h['run/events'][:]\n"
        "    assert np.array_equal(c[c['pid'] == 3], a)\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    assert r.stdout.strip() == "ok", r.stderr


def test_vlarrays_read_as_pytables_reads_them():
    """PyTables' VLArrays of every atom (tests/fixtures/pytables/vlarrays.h5, from
    scripts/make_vlarray_fixture.py): the same rows, types and lengths."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "pytables", "vlarrays.h5")
    with tables.open_file(path) as pt, outcore.open_file(path) as oc:
        for node in pt.walk_nodes("/", "VLArray"):
            ours = oc.get_node(node._v_pathname)
            assert isinstance(ours, outcore.VLArray)
            assert ours.nrows == node.nrows and len(ours) == len(node)
            want, got = node.read(), ours.read()
            assert len(got) == len(want)
            for w, g in zip(want, got):
                if isinstance(w, np.ndarray):
                    assert g.dtype == w.dtype and g.shape == w.shape and np.array_equal(g, w), node._v_pathname
                else:
                    assert type(g) is type(w) and g == w, node._v_pathname
            # Ranges, one row, negative indexes, iteration.
            assert len(ours.read(1, None, 2)) == len(node.read(1, None, 2))
            last = ours[-1]
            assert (np.array_equal(last, node[-1]) if isinstance(last, np.ndarray) else last == node[-1])
            assert len(list(ours)) == node.nrows
        assert repr(oc.root.strs.atom) == "VLStringAtom()"
        assert oc.root.pairs.atom.shape == (2,)
        with pytest.raises(IndexError):
            oc.root.u8[5]


def test_vlarrays_written_by_outcore_read_in_pytables(tmp_path):
    p = tmp_path / "vl.h5"
    rows = [np.arange(3, dtype=np.int32), np.array([], dtype=np.int32), np.arange(100, dtype=np.int32)]
    with outcore.open_file(p, "w") as f:
        v = f.create_vlarray("/", "ints", tables.Int32Atom(), "some ints")
        for r in rows:
            v.append(r)
        f.create_vlarray("/", "pairs", tables.Float64Atom(shape=(2,)), obj=[[[1, 2], [3, 4]], np.zeros((0, 2))])
        f.create_vlarray("/", "strs", tables.VLStringAtom(), obj=[b"abc", b"", b"\x00\xff"])
        f.create_vlarray("/", "unis", "vlunicode", obj=["h\u00e9", "", "\U0001f600"])
        f.create_vlarray("/", "objs", tables.ObjectAtom(), obj=[{"a": 1}, [1, 2], None])
        with pytest.raises(TypeError):
            f.root.strs.append("not bytes")
        assert f.root.ints[2].tolist() == list(range(100))
    with tables.open_file(p) as pt:
        assert pt.root.ints.title == "some ints" and isinstance(pt.root.ints.atom, tables.Int32Atom)
        assert [r.tolist() for r in pt.root.ints.read()] == [r.tolist() for r in rows]
        assert [r.tolist() for r in pt.root.pairs.read()] == [[[1.0, 2.0], [3.0, 4.0]], []]
        assert pt.root.strs.read() == [b"abc", b"", b"\x00\xff"]
        assert pt.root.unis.read() == ["h\u00e9", "", "\U0001f600"]
        assert pt.root.objs.read() == [{"a": 1}, [1, 2], None]


def test_big_endian_arrays_and_tables_read_as_pytables_reads_them(tmp_path):
    src = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "pytables", "bigendian.h5")
    with tables.open_file(src) as pt, outcore.open_file(src) as oc:
        for name in ["c", "e"]:
            a, b = pt.get_node("/" + name), oc.get_node("/" + name)
            assert np.array_equal(b.read(), a.read()) and b.read().dtype == a.read().dtype, name
            assert np.array_equal(b[2:5], a[2:5]), name
        assert outcore.Expr("sum(c)", uservars={"c": oc.root.c}).eval() == pt.root.c.read().sum()
        for name in ["t", "n"]:
            a, b = pt.get_node("/" + name), oc.get_node("/" + name)
            assert b.read().dtype == a.read().dtype, name
            assert b.read().tobytes() == a.read().tobytes(), name
            assert b.read(5, 200, 7).tobytes() == a.read(5, 200, 7).tobytes(), name
        n_pt, n_oc = pt.root.n, oc.root.n
        cond = "(u16 > 20) & (pn < 3999999990) & ok"
        want = n_pt.read_where(cond, {"pn": n_pt.cols.pos.n})
        got = n_oc.read_where(cond, {"pn": n_oc.cols.pos.n})
        assert len(want) > 10 and got.tobytes() == want.tobytes()
        assert list(n_oc.get_where_list("real(z) > 300")) == list(n_pt.get_where_list("real(z) > 300"))
        assert [r["pos/lat"] for r in n_oc.where("i64 < -27000000")] == [
            r["pos/lat"] for r in n_pt.where("i64 < -27000000")
        ]
        assert np.array_equal(n_oc.col("v"), n_pt.col("v"))
        assert outcore.evaluate("sum(x)", {"x": n_oc.col("f32")}) == np.sum(n_pt.col("f32"), dtype=np.float64)
    dst = str(tmp_path / "be.h5")
    shutil.copy(src, dst)
    with outcore.open_file(dst, "r+") as oc:
        t = oc.root.t
        t.append([(1000 + i, -float(i)) for i in range(70)])
        for r in t.where("i == 7"):
            r["x"] = 0.5
            r.update()
        t.append_where(t, "i >= 1060")
    with tables.open_file(dst) as pt:
        t = pt.root.t
        assert t.byteorder == "big" and t.nrows == 180
        assert t.col("x")[7] == 0.5 and list(t.col("i")[100:170]) == list(range(1000, 1070))
        assert list(t.col("x")[170:]) == [-float(i) for i in range(60, 70)]
