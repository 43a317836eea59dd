#!/usr/bin/env python3
"""PyTables' read() of /t and /a in the files of peers.py gen, best of 3, for comparison with
`OUTCORE_BENCH_DIR=DIR cargo bench --bench h5read`.

Run: .venv-peers/bin/python scripts/bench_read_peers.py DIR
"""
import json
import os
import sys
import time

import tables as tb

folder = sys.argv[1]
for filters in ("none", "zlib", "blosc"):
    with tb.open_file(os.path.join(folder, f"bench_{filters}.h5")) as f:
        for node in ("/t", "/a"):
            leaf = f.get_node(node)
            best = min((lambda t0: (leaf.read(), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(3))
            print(json.dumps({"workload": "read", "filters": filters, "node": node, "peer": "pytables", "seconds": best}))
