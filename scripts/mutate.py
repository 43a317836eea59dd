"""Structure-aware damage of real PyTables files, with the HDF5 library as the oracle.

    .venv-peers/bin/python scripts/mutate.py [--seconds N] [--jobs J] [--seed S] [--out DIR]

Each variant copies one seed file (tests/fixtures/pytables/*.h5, written by PyTables) and
damages one structure found in it: an object header (v1, found through the library, or v2
`OHDR`), a B-tree node (`TREE`, `BTHD`, `BTLF`), a heap (`HEAP`, `GCOL`, `FRHP`), a symbol
table node (`SNOD`) or a chunk's stored bytes (found through the library's chunk query).
With `hdf5plugin` installed beside h5py (`pip install hdf5plugin`), the library reads
blosc, blosc2, lz4, zstd and bzip2 leaves too; without it they have no oracle.
The damage is a field-sized overwrite (0, 1, all ones, a nearby or a huge value) or a few
flipped bits, placed inside the structure.

Then, for every leaf the intact seed has, `outcore read FILE:/leaf --npy` and, for tables,
`outcore query ... --count` run as child processes (10 s limit), and h5py reads the same
leaf in a child process of its own. Findings:

- panic: outcore exits 101 or prints "panicked";
- signal: outcore dies of a signal;
- hang: outcore runs past the limit (counted apart, as "long", when the damaged extent
  claims more than 1 GiB: rows never written read as the fill value, as HDF5 defines, and
  streaming that many takes long; the library refuses to allocate them);
- wrong: outcore exits 0 and the library read the same leaf to other values (or another
  count); the library refusing (an error or a crash of its own) is not a finding.

Each finding's file and commands are kept under DIR (default /tmp/outcore-mutate); the
summary prints variants, runs and findings per kind of structure.
"""

import argparse
import collections
import concurrent.futures
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = ["arrays.h5", "tables.h5", "query.h5", "filters.h5", "indexed.h5", "bigendian.h5", "expr.h5", "blosc2.h5"]
SIGNATURES = {b"OHDR": "ohdr", b"TREE": "btree", b"BTHD": "btree", b"BTLF": "btree",
              b"HEAP": "heap", b"GCOL": "heap", b"FRHP": "heap", b"SNOD": "snod"}
LIMIT = 10

ORACLE = r"""
import json, sys, numpy as np, h5py
try:
    import hdf5plugin  # blosc, blosc2, lz4, zstd, bzip2 for the library's reads
except ImportError:
    pass
path, outdir = sys.argv[1], sys.argv[2]
leaves = json.loads(sys.argv[3])
res = {}
try:
    f = h5py.File(path, "r")
except Exception as e:
    print(json.dumps({"open": str(e)[:200]})); sys.exit(0)
for i, (name, col) in enumerate(leaves):
    try:
        d = f[name]
        nbytes = int(np.prod(d.shape, dtype=np.float64) * d.dtype.itemsize)
        if nbytes > 1 << 30:
            res[name] = {"err": "refused: %d bytes" % nbytes, "bytes": nbytes}
            continue
        a = d[()]
        a = np.asarray(a)
        if a.dtype.names is None and a.dtype.byteorder not in "=|":
            a = a.astype(a.dtype.newbyteorder("="))
        if a.dtype.names is not None:
            a = a.astype([(n, a.dtype[n].newbyteorder("=") if a.dtype[n].byteorder not in "=|" else a.dtype[n]) for n in a.dtype.names])
        np.save(f"{outdir}/lib{i}.npy", a, allow_pickle=False)
        r = {"ok": True}
        if col:
            v = a[col]
            r["count"] = int(np.count_nonzero(v > 0.5))
        res[name] = r
    except Exception as e:
        res[name] = {"err": str(e)[:200]}
print(json.dumps(res))
"""


def leaves_of(path):
    """(path, first float column or None) of every leaf outcore and --npy can read."""
    out = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind != "O" and h5py.check_vlen_dtype(obj.dtype) is None:
                if obj.dtype.names:
                    if any(h5py.check_vlen_dtype(obj.dtype[n]) is not None or obj.dtype[n].kind == "O" for n in obj.dtype.names):
                        return
                    col = next((n for n in obj.dtype.names if obj.dtype[n].kind == "f" and obj.dtype[n].shape == ()), None)
                    out.append(("/" + name, col))
                else:
                    out.append(("/" + name, None))
        f.visititems(visit)
    return out


def structures(path):
    """(kind, address, length) of the structures found in a file."""
    data = open(path, "rb").read()
    found = []
    for sig, kind in SIGNATURES.items():
        at = data.find(sig)
        while at >= 0:
            found.append((kind, at, 64))
            at = data.find(sig, at + 1)
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            try:
                info = h5py.h5o.get_info(obj.id)
                if data[info.addr:info.addr + 4] != b"OHDR":
                    found.append(("ohdr1", info.addr, 64))
            except Exception:
                pass
            if isinstance(obj, h5py.Dataset) and obj.chunks:
                try:
                    for i in range(min(obj.id.get_num_chunks(), 8)):
                        c = obj.id.get_chunk_info(i)
                        found.append(("chunk", c.byte_offset, max(1, min(c.size, 4096))))
                except Exception:
                    pass
        f.visititems(visit)
    return found


def damage(data, at, length, rng):
    """A field-sized overwrite or flipped bits inside data[at:at+length]."""
    end = min(at + length, len(data))
    if end <= at:
        return "nothing"
    if rng.random() < 0.35:
        pos = rng.randrange(at, end)
        bits = rng.randint(1, 3)
        for _ in range(bits):
            data[pos] ^= 1 << rng.randrange(8)
        return f"flip {bits} bits at {pos}"
    width = rng.choice([1, 2, 4, 8])
    pos = rng.randrange(at, max(at + 1, end - width + 1))
    old = int.from_bytes(data[pos:pos + width], "little")
    top = (1 << (8 * width)) - 1
    new = rng.choice([0, 1, top, (old + rng.randint(1, 64)) & top, (old - rng.randint(1, 64)) & top,
                      old ^ (1 << rng.randrange(8 * width)), rng.randrange(top + 1) | (top >> 1) + 1])
    data[pos:pos + width] = new.to_bytes(width, "little")
    return f"set {width} bytes at {pos}: {old:#x} -> {new:#x}"


def agree(mine, theirs):
    """The same values, field by field: strings up to their first NUL (HDF5's null-terminated
    strings end there; the library drops what follows, outcore keeps the stored bytes, as
    PyTables), booleans by truth (a damaged byte may hold 2)."""
    if mine.dtype.names:
        if mine.dtype.names != theirs.dtype.names:
            return False
        return all(agree(mine[n], theirs[n]) for n in mine.dtype.names)
    if mine.dtype.kind == "S":
        cut = lambda a: [bytes(x).split(b"\0")[0] for x in a.reshape(-1).tolist()]
        return cut(mine) == cut(theirs)
    if mine.dtype.kind == "b":
        return np.array_equal(mine.view(np.uint8) != 0, np.asarray(theirs).astype(np.uint8) != 0)
    return mine.tobytes() == np.ascontiguousarray(theirs.astype(mine.dtype)).tobytes()


def run(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=LIMIT)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return "timeout", "", ""


def variant(job):
    """Damages one copy and compares outcore with the library; returns findings."""
    seed, leaves, kind, at, length, k, outdir, outcore = job
    rng = random.Random(k)
    work = tempfile.mkdtemp(prefix=f"v{k}-", dir=outdir)
    path = os.path.join(work, f"v{k}.h5")
    data = bytearray(open(seed, "rb").read())
    what = damage(data, at, length, rng)
    open(path, "wb").write(data)
    findings = []
    runs = 0
    lib = run([sys.executable, "-c", ORACLE, path, work, json.dumps(leaves)])
    runs += 1
    libres = {}
    if lib[0] == 0:
        try:
            libres = json.loads(lib[1].strip().splitlines()[-1])
        except Exception:
            libres = {}
    for i, (name, col) in enumerate(leaves):
        npy = os.path.join(work, f"oc{i}.npy")
        cmds = [[outcore, "read", f"{path}:{name}", "--npy", npy]]
        if col:
            cmds.append([outcore, "query", f"{path}:{name}", f"{col} > 0.5", "--count"])
        for j, cmd in enumerate(cmds):
            rc, out, err = run(cmd)
            runs += 1
            verdict = None
            if rc == "timeout":
                claimed = libres.get(name, {}).get("bytes") or 0
                verdict = "long (the damaged extent claims %d bytes)" % claimed if claimed > 1 << 30 else "hang"
            elif rc < 0:
                verdict = f"signal {-rc}"
            elif rc == 101 or "panicked" in err:
                verdict = "panic"
            elif rc == 0:
                r = libres.get(name, {})
                if r.get("ok"):
                    if j == 0:
                        try:
                            mine = np.load(npy, allow_pickle=False)
                            theirs = np.load(os.path.join(work, f"lib{i}.npy"), allow_pickle=False)
                            same = mine.shape == theirs.shape and agree(mine, theirs)
                        except Exception as e:
                            same = False
                            err = f"comparing: {e}"
                        if not same:
                            verdict = "wrong"
                    elif j == 1 and out.strip() != str(r.get("count")):
                        verdict = f"wrong (count {out.strip()} vs the library's {r.get('count')})"
            if verdict:
                findings.append({"kind": kind, "verdict": verdict, "cmd": " ".join(cmd), "damage": what,
                                 "seed": os.path.basename(seed), "stderr": err[-300:], "file": path})
    if not findings:
        shutil.rmtree(work, ignore_errors=True)
    return kind, runs, findings


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--out", default="/tmp/outcore-mutate")
    ap.add_argument("--outcore", default=os.path.join(ROOT, "target", "release", "outcore"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    seeds = []
    for s in SEEDS:
        p = os.path.join(ROOT, "tests", "fixtures", "pytables", s)
        if os.path.exists(p):
            seeds.append((p, leaves_of(p), structures(p)))
    stats = collections.defaultdict(lambda: [0, 0, 0])
    allfound = []
    deadline = time.time() + a.seconds
    k = a.seed * 100000
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        pending = set()
        while time.time() < deadline or pending:
            while time.time() < deadline and len(pending) < a.jobs * 2:
                seed, leaves, structs = rng.choice(seeds)
                kind, at, length = rng.choice(structs)
                k += 1
                pending.add(pool.submit(variant, (seed, leaves, kind, at, length, k, a.out, a.outcore)))
            done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for d in done:
                kind, runs, found = d.result()
                st = stats[kind]
                st[0] += 1
                st[1] += runs
                st[2] += len(found)
                allfound.extend(found)
    print(f"seed {a.seed}, {a.seconds:.0f} s, {a.jobs} jobs")
    print(f"{'structure':10} {'variants':>9} {'runs':>8} {'findings':>9}")
    for kind, (v, r, n) in sorted(stats.items()):
        print(f"{kind:10} {v:9} {r:8} {n:9}")
    by = collections.Counter(f["verdict"].split(" (")[0] for f in allfound)
    by_kind = collections.Counter((f["kind"], f["verdict"].split(" (")[0]) for f in allfound)
    print("by structure:", dict(by_kind) or "none")
    print("findings:", dict(by) or "none")
    with open(os.path.join(a.out, "findings.json"), "w") as f:
        json.dump(allfound, f, indent=1)
    for f in allfound[:20]:
        print(f"- {f['verdict']}: {f['cmd']}  [{f['kind']} in {f['seed']}: {f['damage']}]  {f['stderr'][-160:]!r}")


if __name__ == "__main__":
    main()
