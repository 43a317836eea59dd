"""A pytest plugin that runs numexpr's own test suite with outcore in numexpr's place.

Loaded with ``-p outcore_in_numexpr`` before the suite is collected, it replaces
``numexpr.evaluate``, ``numexpr.re_evaluate`` and ``numexpr.validate`` by outcore's (the
test module imports them by name from numexpr), and records which tests reach them: those
are the tests this harness counts. ``run.py`` runs it and compares the failures with the
deliberate differences listed in ``known_differences.txt``.
"""

import json
import os

import numexpr
import numexpr.necompiler

import outcore

_reached = set()
_current = [None]
_results = {}


def _mark():
    if _current[0] is not None:
        _reached.add(_current[0])


def evaluate(ex, local_dict=None, global_dict=None, out=None, order="K", casting="same_kind", sanitize=None, _frame_depth=3, **kwargs):
    _mark()
    return outcore.evaluate(ex, local_dict, global_dict, out, order, casting, sanitize, _frame_depth + 1, **kwargs)


def re_evaluate(local_dict=None, global_dict=None, _frame_depth=2):
    _mark()
    return outcore.re_evaluate(local_dict, global_dict, _frame_depth + 1)


def validate(ex, local_dict=None, global_dict=None, out=None, order="K", casting="safe", _frame_depth=2, sanitize=None, **kwargs):
    _mark()
    return outcore.validate(ex, local_dict, global_dict, out, order, casting, _frame_depth + 1, sanitize, **kwargs)


for mod in (numexpr, numexpr.necompiler):
    mod.evaluate = evaluate
    mod.re_evaluate = re_evaluate
    mod.validate = validate
numexpr.set_num_threads = outcore.set_num_threads


def pytest_runtest_setup(item):
    _current[0] = item.nodeid


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome == "failed":
        prev = _results.get(report.nodeid, "passed")
        _results[report.nodeid] = "failed" if "failed" in (prev, report.outcome) else report.outcome


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("OUTCORE_NUMEXPR_SUITE_REPORT")
    if out:
        data = {k: v for k, v in _results.items() if k in _reached}
        with open(out, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
