"""Runs numexpr's own test suite (numexpr/tests/test_numexpr.py, as installed) with outcore's
evaluate, re_evaluate and validate in numexpr's place, and counts the tests that reach them.

Every failure must be a deliberate difference listed in known_differences.txt (each with its
reason, also in the README's differences table); any other failure fails this run, and so
does a listed test that now passes (so the list stays true). Prints the share that pass.
"""

import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))


def known():
    out = {}
    with open(os.path.join(here, "known_differences.txt")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                test, _, why = line.partition(" ")
                out[test] = why.strip()
    return out


def main():
    import numexpr.tests.test_numexpr as suite

    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        env = dict(os.environ, OUTCORE_NUMEXPR_SUITE_REPORT=report, PYTHONPATH=here)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "outcore_in_numexpr", "-p", "no:cacheprovider", suite.__file__]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp)
        if not os.path.exists(report):
            sys.stdout.write(proc.stdout[-5000:] + proc.stderr[-5000:])
            print("numexpr's suite did not finish")
            return 1
        with open(report) as f:
            results = json.load(f)
    # Test ids relative to the suite's file.
    results = {k.split("::", 1)[1]: v for k, v in results.items()}
    listed = known()
    failed = sorted(k for k, v in results.items() if v == "failed")
    passed = [k for k, v in results.items() if v == "passed"]
    unexpected = [k for k in failed if k not in listed]
    fixed = [k for k in listed if results.get(k) == "passed"]
    n = len(passed) + len(failed)
    share = 100.0 * len(passed) / max(n, 1)
    print(f"numexpr's suite on outcore: {len(passed)} of {n} evaluate-reaching tests pass ({share:.1f}%); "
          f"{len(failed)} fail, {len(failed) - len(unexpected)} of them listed differences")
    for k in unexpected:
        print("  unexpected failure:", k)
    for k in fixed:
        print("  listed as a difference but passes now (remove it from known_differences.txt):", k)
    return 1 if unexpected or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
