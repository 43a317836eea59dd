#!/usr/bin/env python3
"""Opens a file written by outcore with PyTables and reports what PyTables sees, as JSON:
every node's class, title and (for leaves) shape, dtype and sum (tables: rows, column names and
the sum of each numeric column); then appends two rows of 7.0 to the EArray named by the second
argument and a copy of the first row to the Table named by the third, so that outcore can read
what PyTables wrote.

Run: .venv-peers/bin/python scripts/check_pytables_reads.py FILE [EARRAY_PATH [TABLE_PATH]]
"""
import json
import sys

import numpy as np
import tables as tb

out = {}
with tb.open_file(sys.argv[1], "a") as f:
    out["root_attrs"] = {"class": f.root._v_attrs.CLASS, "format": f.root._v_attrs.PYTABLES_FORMAT_VERSION}
    for node in f.walk_nodes("/"):
        info = {"class": type(node).__name__, "title": node._v_title}
        if isinstance(node, tb.Group) and node._v_filters.complevel:
            info["filters"] = f"{node._v_filters.complib}/{node._v_filters.complevel}/{int(node._v_filters.shuffle)}"
        if isinstance(node, tb.Table):
            rows = node.read()
            info.update(nrows=int(node.nrows), colnames=list(node.colpathnames),
                        sums={c: float(np.nansum(node.col(c))) for c in node.colpathnames
                              if node.coldtypes[c].kind in "biuf"})
        elif isinstance(node, tb.Leaf):
            values = node.read()
            info.update(shape=list(node.shape), dtype=str(node.dtype), sum=float(np.sum(values)),
                        filters=str(node.filters.complib) if node.filters.complevel else None)
            if isinstance(node, tb.EArray):
                info["extdim"] = int(node.extdim)
        out[node._v_pathname] = info
    if len(sys.argv) > 2 and sys.argv[2]:
        e = f.get_node(sys.argv[2])
        e.append(np.full((2,) + e.shape[1:], 7.0, dtype=e.dtype))
    if len(sys.argv) > 3:
        t = f.get_node(sys.argv[3])
        t.append(t[:1])
print(json.dumps(out, sort_keys=True, default=lambda o: o.decode() if isinstance(o, bytes) else str(o)))
