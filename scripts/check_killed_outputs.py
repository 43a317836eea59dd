#!/usr/bin/env python3
"""Reads destinations left by killed `outcore` runs with PyTables (tests/crash.rs), read-only,
and prints one JSON object per FILE:NODE argument: whether PyTables opened and read the node,
its rows, and a checksum of its values (tables: the sum of column col2; arrays: the sum of all
values), or the error PyTables gave.

Run: .venv-peers/bin/python scripts/check_killed_outputs.py FILE:NODE...
"""
import json
import sys
import warnings

import numpy as np
import tables as tb

warnings.simplefilter("ignore")
for arg in sys.argv[1:]:
    path, node = arg.rsplit(":", 1)
    try:
        with tb.open_file(path, "r") as f:
            leaf = f.get_node(node)
            values = leaf.read()
            total = values["col2"].sum() if isinstance(leaf, tb.Table) else values.sum()
            print(json.dumps({"arg": arg, "ok": True, "rows": int(leaf.nrows), "sum": float(total)}))
    except Exception as e:  # noqa: BLE001 - any failure to read is what we report
        print(json.dumps({"arg": arg, "ok": False, "error": f"{type(e).__name__}: {e}"}))
