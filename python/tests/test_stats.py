"""Chunk statistics from Python: ``Table.index_stats``, ``Table.explain`` and
``will_query_use_indexing``, on a time-sorted table PyTables wrote; answers equal PyTables'."""

import numpy as np
import pytest
import tables

import outcore

N = 50_000
CHUNK = 1000


class Reading(tables.IsDescription):
    time = tables.Int64Col(pos=0)
    value = tables.Float64Col(pos=1)
    ok = tables.BoolCol(pos=2)
    station = tables.StringCol(4, pos=3)


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "readings.h5"
    rng = np.random.default_rng(5)
    with tables.open_file(p, "w") as f:
        t = f.create_table("/", "r", Reading, chunkshape=(CHUNK,), filters=tables.Filters(1, "zlib"))
        rows = np.zeros(N, dtype=t.dtype)
        rows["time"] = 1_700_000_000_000 + 10 * np.arange(N)
        rows["value"] = rng.normal(size=N)
        rows["value"][::97] = np.nan
        rows["ok"] = (np.arange(N) // CHUNK) == 7
        rows["station"] = b"S1"
        t.append(rows)
    return p


def test_without_statistics_every_chunk_is_read(path):
    with outcore.open_file(path) as f:
        e = f.root.r.explain("time < 1700000000100")
        assert (e.statistics, e.chunks_read, e.chunks, e.rows_read) == ("none", 50, 50, N)
        assert f.root.r.will_query_use_indexing("time < 1700000000100") == frozenset()


def test_statistics_skip_chunks_and_answers_equal_pytables(path):
    with outcore.open_file(path, "a") as f:
        assert f.root.r.index_stats() == N // CHUNK
    cond = "(time >= lo) & (time < hi)"
    lo, hi = 1_700_000_000_000 + 10 * 12_345, 1_700_000_000_000 + 10 * 12_845
    with outcore.open_file(path) as f, tables.open_file(path) as pt:
        t = f.root.r
        e = t.explain(cond, {"lo": lo, "hi": hi})
        assert (e.statistics, e.columns, e.chunks_read, e.rows_read) == ("used", ("time",), 1, CHUNK)
        assert "reads       1 of 50 chunks (2.00%)" in str(e)
        assert t.will_query_use_indexing(cond, {"lo": lo, "hi": hi}) == frozenset({"time"})
        # Names from the caller's frame, as PyTables looks them up.
        assert t.explain(cond).chunks_read == 1
        assert list(t.get_where_list(cond)) == list(pt.root.r.get_where_list(cond))
        assert t.read_where(cond).tobytes() == pt.root.r.read_where(cond).tobytes()
        for c in ["ok", "~ok & (time < 1700000001000)", "value > 3", "value != value", "(value < -2) | ok"]:
            got, want = t.get_where_list(c), pt.root.r.get_where_list(c)
            np.testing.assert_array_equal(got, want, err_msg=c)
        assert t.explain("ok").chunks_read == 1
        # NaNs are in every chunk: `value != value` reads them all, and finds them all.
        assert t.explain("value != value").chunks_read == 50
        # A string column has no statistics: the condition reads everything.
        e = t.explain("station == b'S1'")
        assert (e.statistics, e.chunks_read) == ("unused", 50)


def test_appends_keep_statistics_and_pytables_appends_leave_them_ignored(path):
    with outcore.open_file(path, "a") as f:
        f.root.r.index_stats(["time", "ok"])
        rows = f.root.r.read(0, 10)
        rows["time"] = 5
        f.root.r.append(rows)
        f.root.r.flush()
        e = f.root.r.explain("time < 100")
        assert (e.statistics, e.rows_read) == ("used", 10)
        assert len(f.root.r.read_where("time < 100")) == 10
    with tables.open_file(path, "a") as pt:
        pt.root.r.append(pt.root.r.read(0, 3))
    with outcore.open_file(path) as f:
        e = f.root.r.explain("time < 100")
        assert e.statistics == "ignored" and "another program" in e.reason
        assert e.rows_read == e.rows == N + 13
        assert len(f.root.r.read_where("time < 100")) == 10


def test_statistics_need_a_writable_file(path):
    with outcore.open_file(path) as f:
        # As PyTables' create_index on a read-only file: FileModeError (a ValueError).
        with pytest.raises(outcore.FileModeError, match=r"readings.h5:/r: the file is open read-only \(mode r\)"):
            f.root.r.index_stats()


def test_row_updates_are_batched_and_all_land(path):
    """``row.update()`` is written in batches: thousands of rows, a loop left early, and a
    query or read right after see every update, as PyTables does."""
    with outcore.open_file(path, "a") as f:
        t = f.root.r
        t.index_stats()
        for row in t.where("value > 0"):
            row["value"] = 100.0 + row.nrow
            row.update()
        assert t.count_where("value >= 100") == len(t.get_where_list("value >= 100"))
        for row in t.where("time < 1700000000100"):
            row["ok"] = True
            row.update()
            if row.nrow == 3:
                break
        assert list(t.get_where_list("ok & (time < 1700000000100)")) == [0, 1, 2, 3]
    with tables.open_file(path) as pt:
        v = pt.root.r.col("value")
        hit = v >= 100
        np.testing.assert_array_equal(v[hit], 100.0 + np.flatnonzero(hit))
        assert hit.sum() > 20_000
        assert list(pt.root.r.col("ok")[:5]) == [True, True, True, True, False]
