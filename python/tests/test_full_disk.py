"""A full disk under Python's appends: the exception says so, and once the file is closed the
destination holds a prefix of the right rows that PyTables reads (a tmpfs; needs root)."""
import os
import subprocess

import numpy as np
import pytest
import tables

import outcore


@pytest.fixture
def tmpfs(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mnt
    subprocess.run(["umount", str(mnt)], capture_output=True)


def test_append_where_on_a_full_disk_leaves_a_prefix(tmp_path, tmpfs):
    src, dst = str(tmp_path / "src.h5"), str(tmpfs / "dst.h5")
    rng = np.random.default_rng(0)
    with tables.open_file(src, "w") as f:
        t = f.create_table("/", "t", {"a": tables.Int32Col(), "x": tables.Float64Col(), "y": tables.Float64Col()})
        a = np.empty(400_000, dtype=t.dtype)
        a["a"], a["x"], a["y"] = np.arange(400_000), rng.random(400_000), rng.random(400_000)
        t.append(a)
    with outcore.open_file(src) as f, outcore.open_file(dst, "w") as g:
        d = g.create_table("/", "d", f.root.t.dtype)
        with pytest.raises(outcore.exceptions.HDF5ExtError, match="no space left on device"):
            f.root.t.append_where(d, "a >= 0")
    with tables.open_file(dst) as h, tables.open_file(src) as s:
        got = h.root.d.read()
        assert 0 < len(got) < 400_000
        assert got.tobytes() == s.root.t.read(0, len(got)).tobytes()
    # Nothing more to cut: `outcore repair` agrees (where the command is built).
    root = os.path.join(os.path.dirname(__file__), "..", "..", "target")
    for b in ("debug", "release"):
        exe = os.path.join(root, b, "outcore")
        if os.path.exists(exe):
            r = subprocess.run([exe, "repair", dst + ":/d"], capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            assert r.stdout.strip() == "%s:/d keeps %d rows" % (dst, len(got))
            break
