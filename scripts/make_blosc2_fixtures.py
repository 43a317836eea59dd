"""Writes tests/fixtures/pytables/blosc2.h5 with PyTables: blosc2 leaves of every codec and
shuffle kind (CArrays of rank 1 with an odd edge chunk), CArrays and EArrays of rank 2 and 3
with chunks that do not divide the shape (b2nd chunks), Tables, and one chunk that HDF5
stored as it is (the filter skipped in its mask, written with h5py's direct chunk write).
Each leaf has an unfiltered twin under /plain with the same values, which the tests compare
against. Run with .venv-peers/bin/python."""

import os

import h5py
import numpy as np
import tables

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "tests", "fixtures", "pytables", "blosc2.h5")
rng = np.random.default_rng(26)
codecs = ["blosclz", "lz4", "lz4hc", "zlib", "zstd"]
shuffles = {"none": {}, "shuffle": {"shuffle": True}, "bitshuffle": {"shuffle": False, "bitshuffle": True}}


def filters(codec, shuffle, level=5):
    kw = {"shuffle": False, **shuffles[shuffle]}
    lib = "blosc2" if codec == "blosclz" else "blosc2:" + codec
    return tables.Filters(level, lib, **kw)


with tables.open_file(path, "w", title="blosc2 fixtures") as f:
    plain = f.create_group("/", "plain")
    x = np.cumsum(rng.normal(size=1000))
    for codec in codecs:
        for shuffle in shuffles:
            name = f"c_{codec}_{shuffle}"
            f.create_carray("/", name, obj=x, chunkshape=(300,), filters=filters(codec, shuffle))
    f.create_carray(plain, "c", obj=x, chunkshape=(300,))
    # Rank 2 and 3: b2nd chunks, edge chunks in every dimension.
    m = rng.integers(-1000, 1000, size=(50, 37)).astype(np.int32)
    f.create_carray("/", "m2", obj=m, chunkshape=(16, 10), filters=filters("zstd", "bitshuffle"))
    f.create_carray(plain, "m2", obj=m, chunkshape=(16, 10))
    c = rng.normal(size=(9, 8, 7)).astype(np.float32)
    f.create_carray("/", "m3", obj=c, chunkshape=(4, 3, 5), filters=filters("lz4", "shuffle"))
    f.create_carray(plain, "m3", obj=c, chunkshape=(4, 3, 5))
    e = np.arange(103 * 6, dtype=np.float64).reshape(103, 6) / 7
    for where, fl in [("/", filters("blosclz", "shuffle")), (plain, None)]:
        ea = f.create_earray(where, "e2", atom=tables.Float64Atom(), shape=(0, 6), chunkshape=(10, 6), filters=fl)
        ea.append(e[:50])
        ea.append(e[50:])
    e1 = rng.integers(0, 1 << 40, size=777)
    for where, fl in [("/", filters("zlib", "shuffle", 1)), (plain, None)]:
        ea = f.create_earray(where, "e1", atom=tables.Int64Atom(), shape=(0,), chunkshape=(100,), filters=fl)
        ea.append(e1)
    # Tables.
    n = 2000
    rows = np.zeros(n, dtype=[("id", "i4"), ("energy", "f8"), ("name", "S4"), ("flag", "?")])
    rows["id"] = np.arange(n)
    rows["energy"] = rng.gamma(2.0, 3.0, size=n)
    rows["name"] = [b"p%03d" % (i % 1000) for i in range(n)]
    rows["flag"] = rng.random(n) < 0.3
    f.create_table("/", "t_zstd", obj=rows, chunkshape=(333,), filters=filters("zstd", "shuffle"))
    f.create_table("/", "t_lz4", obj=rows, chunkshape=(256,), filters=filters("lz4", "bitshuffle", 9))
    f.create_table(plain, "t", obj=rows, chunkshape=(333,))
    # Incompressible values; chunk 0 is then rewritten as it is (filter skipped in the mask).
    r = rng.random(512)
    f.create_carray("/", "asis", obj=r, chunkshape=(256,), filters=filters("zstd", "shuffle"))
    f.create_carray(plain, "asis", obj=r, chunkshape=(256,))

with h5py.File(path, "r+") as h:
    d = h["asis"]
    d.id.write_direct_chunk((0,), h["plain/asis"][:256].tobytes(), filter_mask=1)
with h5py.File(path, "r") as h:
    assert h["asis"].id.get_chunk_info(0).filter_mask == 1

# PyTables reads the result, every leaf equal to its twin.
with tables.open_file(path) as f:
    for leaf in f.walk_nodes("/", "Leaf"):
        if leaf._v_parent._v_pathname == "/plain":
            continue
        name = leaf.name
        twin = {"t_zstd": "t", "t_lz4": "t"}.get(name, "c" if name.startswith("c_") else name)
        assert (leaf.read() == f.get_node("/plain", twin).read()).all(), name
print("wrote", os.path.normpath(path), os.path.getsize(path), "bytes")

# query_blosc2.h5: query.h5's rows (from scripts/make_query_fixtures.py) in blosc2 tables,
# so that the query differential test (query.json's coordinates) runs on blosc2 too.
src_path = os.path.join(here, "..", "tests", "fixtures", "pytables", "query.h5")
dst_path = os.path.join(here, "..", "tests", "fixtures", "pytables", "query_blosc2.h5")
with tables.open_file(src_path) as src, tables.open_file(dst_path, "w") as dst:
    t = src.root.tz
    t.copy(dst.root, "t2z", filters=filters("zstd", "shuffle"), chunkshape=(37,))
    t.copy(dst.root, "t2l", filters=filters("lz4", "bitshuffle"), chunkshape=(211,))
    for name in ["t2z", "t2l"]:
        assert dst.get_node("/", name).read().tobytes() == t.read().tobytes(), name
print("wrote", os.path.normpath(dst_path), os.path.getsize(dst_path), "bytes")

# expr_blosc2.h5: expr.h5's operands (scripts/make_expr_fixtures.py) under blosc2, chunks
# kept, so that the expression differential test (expr.json) runs on blosc2 too.
src_path = os.path.join(here, "..", "tests", "fixtures", "pytables", "expr.h5")
dst_path = os.path.join(here, "..", "tests", "fixtures", "pytables", "expr_blosc2.h5")
with tables.open_file(src_path) as src, tables.open_file(dst_path, "w") as dst:
    for leaf in src.walk_nodes("/", "Leaf"):
        parent = leaf._v_parent._v_pathname
        if parent != "/" and parent not in dst:
            dst.create_group(*parent.rsplit("/", 1), createparents=True)
        kw = {"filters": filters("zstd", "bitshuffle", 3), "chunkshape": leaf.chunkshape} if leaf.chunkshape else {}
        leaf.copy(dst.get_node(parent), leaf.name, **kw)
with tables.open_file(src_path) as src, tables.open_file(dst_path) as dst:
    for leaf in src.walk_nodes("/", "Leaf"):
        other = dst.get_node(leaf._v_pathname)
        assert other.read().tobytes() == leaf.read().tobytes(), leaf._v_pathname
        if leaf.chunkshape is not None:
            assert other.filters.complib == "blosc2:zstd" and other.chunkshape == leaf.chunkshape
print("wrote", os.path.normpath(dst_path), os.path.getsize(dst_path), "bytes")
