"""Damaged files (tests/fixtures/hostile) from Python: exceptions naming file and node, never
a crash of the interpreter or a wrong answer."""

import os

import pytest

import outcore

HOSTILE = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "hostile")


def path(name):
    return os.path.join(HOSTILE, name)


def test_a_damaged_attribute_is_an_exception_not_a_segfault():
    with outcore.open_file(path("attr-version-v2725.h5")) as f:
        with pytest.raises(outcore.HDF5ExtError, match="attribute message"):
            f.root.t.attrs.TITLE


def test_a_damaged_chunk_index_is_an_exception_not_a_wrong_count():
    with outcore.open_file(path("btree-key-v996.h5")) as f:
        with pytest.raises(outcore.HDF5ExtError, match="damaged chunk index"):
            f.root.t.count_where("col1 < 50")
    with outcore.open_file(path("btree-key-v500.h5")) as f:
        with pytest.raises(outcore.HDF5ExtError, match="damaged chunk index"):
            outcore.Expr("sum(c)", uservars={"c": f.root.c}).eval()


def test_a_dataspace_beyond_its_maximum_is_an_exception_not_an_abort():
    with outcore.open_file(path("dataspace-beyond-max-v1536.h5")) as f:
        with pytest.raises(outcore.HDF5ExtError, match="damaged dataspace"):
            f.get_node("/c2")


def test_a_member_outside_its_record_is_an_exception_not_a_panic():
    with outcore.open_file(path("member-offset-v2026.h5")) as f:
        with pytest.raises(outcore.HDF5ExtError, match="damaged datatype"):
            f.root.t.read_where("col2 > 0.5")
