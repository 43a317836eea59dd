"""outcore: numexpr's ``evaluate`` and PyTables' queries, run by a Rust engine.

Switching is a change of import::

    import outcore as ne          # numexpr's face
    r = ne.evaluate("2*a + 3*b")  # names from the caller's frame, as numexpr

    import outcore as tb          # PyTables' face
    with tb.open_file("data.h5") as f:
        hits = f.root.events.read_where("(energy > 10) & (pid == 22)")

Every evaluation and scan runs with the GIL released, on all cores, over arrays in memory or
HDF5 files far larger than memory; the files stay PyTables' and h5py's.
"""

import os as _os

from . import _core, _numexpr, _tables, exceptions
from ._expr import Expr
from ._numexpr import (
    NumExpr,
    detect_number_of_cores,
    disassemble,
    evaluate,
    get_num_threads,
    re_evaluate,
    set_num_threads,
    validate,
)
from ._tables import (
    Array,
    CArray,
    Column,
    Cols,
    EArray,
    Explain,
    File,
    Filters,
    Group,
    Leaf,
    Row,
    Table,
    VLArray,
    open_file,
)
from .exceptions import FileModeError, HDF5ExtError, NoSuchNodeError

__version__ = "0.1.0"

# A forked child has none of the parent's worker threads: it starts a pool of its own.
if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_core._after_fork)

__all__ = _numexpr.__all__ + _tables.__all__ + [
    "VLArray",
    "Expr",
    "exceptions",
    "HDF5ExtError",
    "NoSuchNodeError",
    "FileModeError",
]
