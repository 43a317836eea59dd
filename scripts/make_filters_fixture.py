"""Writes tests/fixtures/pytables/filters.h5 with PyTables: small CArrays under each filter
pipeline whose naming `outcore ls` is tested on (blosc2 ones too), and one under bzip2, a
filter outcore does not decode. Run with .venv-peers/bin/python."""

import os

import numpy as np
import tables

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "tests", "fixtures", "pytables", "filters.h5")
x = np.arange(1000.0)
with tables.open_file(path, "w") as f:
    f.create_carray("/", "zlib", obj=x, chunkshape=(500,), filters=tables.Filters(1, "zlib", shuffle=True))
    f.create_carray("/", "blosc_lz4", obj=x, chunkshape=(500,), filters=tables.Filters(5, "blosc:lz4", shuffle=False, bitshuffle=True))
    f.create_carray("/", "fletcher", obj=x, chunkshape=(500,), filters=tables.Filters(0, fletcher32=True))
    f.create_carray("/", "blosc2_zstd", obj=x, chunkshape=(500,), filters=tables.Filters(5, "blosc2:zstd", shuffle=False, bitshuffle=True))
    f.create_carray("/", "blosc2", obj=x, chunkshape=(500,), filters=tables.Filters(3, "blosc2", shuffle=True, fletcher32=True))
    f.create_carray("/", "plain", obj=x)
    f.create_carray("/", "bzip2", obj=x, chunkshape=(500,), filters=tables.Filters(5, "bzip2"))
