"""numexpr's face: ``evaluate``, ``re_evaluate``, ``validate``, ``NumExpr`` and the thread count.

Values are looked up as numexpr looks them up (``local_dict``, then ``global_dict``, by
default the caller's frame), converted as numexpr converts them (``numpy.asarray``; int8,
int16, uint8 and uint16 compute as int32, uint32 and int64/uint64 as int64, float16 as
float32, complex64 as complex128), and handed to the engine without a copy when they are
already of a type it computes in. The kernels run with the GIL released.
"""

import os
import sys
import threading
import weakref

import numpy as np

from . import _core
from .exceptions import UnsupportedSyntaxError

__all__ = [
    "evaluate",
    "re_evaluate",
    "validate",
    "NumExpr",
    "disassemble",
    "set_num_threads",
    "get_num_threads",
    "detect_number_of_cores",
]

_last = threading.local()
# Names by expression (numexpr caches them too).
_names = {}

_KEEP = {
    np.dtype(np.bool_),
    np.dtype(np.int32),
    np.dtype(np.int64),
    np.dtype(np.float32),
    np.dtype(np.float64),
    np.dtype(np.complex128),
}


def _compute_type(dt):
    """The type numexpr computes a NumPy type in (its ``getType``)."""
    kind, size = dt.kind, dt.itemsize
    if kind == "b":
        return np.dtype(np.bool_)
    if kind in "iu":
        if size > 4 or (kind == "u" and size == 4):
            return np.dtype(np.int64)
        return np.dtype(np.int32)
    if kind == "f":
        return np.dtype(np.float64) if size > 4 else np.dtype(np.float32)
    if kind == "c":
        return np.dtype(np.complex128)
    if kind == "S":
        return dt
    if kind == "U":
        raise ValueError("NumExpr 2 does not support Unicode as a dtype.")
    raise ValueError("unknown type %s" % dt.name)


def _arg(a):
    """A value as the engine takes it: an array of one of its types (or tagged bytes)."""
    if not isinstance(a, np.ndarray):
        a = np.asarray(a)
    dt = a.dtype
    # (_KEEP's types are native: a byte-swapped one is not equal to them.)
    if dt in _KEEP:
        # The engine reads aligned values only (a record's field may be unaligned).
        return a if a.flags.aligned else a.copy()
    t = _compute_type(dt)
    if t.kind == "S":
        n = t.itemsize
        if n == 0:
            a = a.astype("S1")
            n = 1
        raw = np.frombuffer(np.ascontiguousarray(a).tobytes(), dtype=np.uint8)
        return ("S", raw.reshape(a.shape + (n,)))
    return a.astype(t)


def _sanitizing(sanitize):
    # numexpr: None means yes unless NUMEXPR_SANITIZE=0.
    if sanitize is None:
        return os.environ.get("NUMEXPR_SANITIZE", "1") != "0"
    return bool(sanitize)


def _ref(out):
    # The last call is kept without keeping its output alive (as numexpr).
    return None if out is None else weakref.ref(out)


def _frame_values(names, local_dict, global_dict, depth):
    if local_dict is None:
        frame = sys._getframe(depth)
        local_dict = frame.f_locals
        if global_dict is None:
            global_dict = frame.f_globals
    values = []
    for name in names:
        # (`get`, not a caught KeyError: raising one costs more than the rest of the lookup.)
        v = local_dict.get(name, _MISSING)
        if v is _MISSING:
            if global_dict is None:
                # Only now the caller's globals (a frame is costly to look up).
                global_dict = sys._getframe(depth).f_globals
            v = global_dict[name]
        values.append(v)
    return values


_MISSING = object()


_CASTINGS = frozenset(("no", "equiv", "safe", "same_kind", "unsafe"))


def _check_casting(casting):
    if casting not in _CASTINGS:
        raise ValueError(
            "casting must be one of 'no', 'equiv', 'safe', 'same_kind', or 'unsafe'"
        )


def _run(ex, names, args, out, casting):
    if out is None:
        return _core.evaluate(ex, names, args)
    if not isinstance(out, np.ndarray):
        raise TypeError("out must be a NumPy array, not %s" % type(out).__name__)
    rt = np.dtype(_core.result_dtype(ex, names, args))
    if not np.can_cast(rt, out.dtype, casting=casting):
        raise TypeError(
            "Iterator operand 0 dtype could not be cast from %r to %r according to the rule %r"
            % (rt, out.dtype, casting)
        )
    aliased = any(isinstance(x, np.ndarray) and np.may_share_memory(x, out) for x in args)
    direct = out.dtype == rt and out.flags.c_contiguous and out.flags.aligned and out.dtype.isnative
    if direct and out.flags.writeable and not aliased:
        return _core.evaluate(ex, names, args, out)
    if not out.flags.writeable:
        raise ValueError("output array is read-only")
    r = _core.evaluate(ex, names, args)
    np.copyto(out, r, casting="unsafe")
    return out


def validate(
    ex,
    local_dict=None,
    global_dict=None,
    out=None,
    order="K",
    casting="safe",
    _frame_depth=2,
    sanitize=None,
    **kwargs,
):
    """Checks ``ex`` with its values, as numexpr's ``validate``.

    Returns None when ``ex`` compiles for the values, else the exception (which is not
    raised); then ``re_evaluate`` runs it. Arguments as for :func:`evaluate`.
    """
    try:
        if not isinstance(ex, str):
            raise ValueError("must specify expression as a string")
        _check_casting(casting)
        names = _core.names(ex)
        values = _frame_values(names, local_dict, global_dict, _frame_depth)
        args = [_arg(v) for v in values]
        _core.result_dtype(ex, names, args)
        _last.state = (ex, names, _ref(out), casting)
    except Exception as e:
        return e
    return None


def evaluate(
    ex,
    local_dict=None,
    global_dict=None,
    out=None,
    order="K",
    casting="same_kind",
    sanitize=None,
    _frame_depth=3,
    disable_cache=False,
    **kwargs,
):
    r"""Evaluates a simple array expression element-wise, as numexpr's ``evaluate``.

    Parameters
    ----------
    ex : str
        An expression like ``"2*a+3*b"``. The values of ``a`` and ``b`` are taken from the
        calling function's frame (through ``sys._getframe()``), or from ``local_dict`` and
        ``global_dict``.
    local_dict : dict, optional
        A dictionary that replaces the local operands of the current frame.
    global_dict : dict, optional
        A dictionary that replaces the global operands of the current frame.
    out : NumPy array, optional
        An existing array to store the result in, of the result's shape. When it is
        C-contiguous and of the result's type the engine writes straight into it; otherwise
        the result is cast into it under ``casting``.
    order : {'C', 'F', 'A', 'K'}, optional
        Accepted for numexpr's signature; results are always C-ordered.
    casting : {'no', 'equiv', 'safe', 'same_kind', 'unsafe'}, optional
        What casts into ``out`` are allowed (NumPy's rules; default ``'same_kind'``).
    sanitize, disable_cache, optimization, truediv : optional
        Accepted for numexpr's signature. outcore parses the expression itself and never
        calls Python's ``eval``, so there is nothing to sanitize.

    Returns
    -------
    numpy.ndarray
        The result (0-dimensional for a full reduction such as ``sum(a)``).

    Raises
    ------
    SyntaxError
        The expression does not parse; the message shows it with a caret under the fault.
    KeyError
        A name that neither dictionary holds.
    TypeError
        Operands of types an operation does not take, or an unknown function.
    ValueError
        Shapes that do not broadcast, unsupported constructs, Unicode strings.
    """
    if not isinstance(ex, str):
        raise ValueError("must specify expression as a string")
    _check_casting(casting)
    try:
        names = _names.get(ex)
        if names is None:
            names = _core.names(ex)
            if len(_names) >= 256:
                _names.clear()
            _names[ex] = names
    except UnsupportedSyntaxError as e:
        if _sanitizing(sanitize):
            raise
        raise SyntaxError(str(e)) from None
    values = _frame_values(names, local_dict, global_dict, _frame_depth - 1)
    args = [_arg(v) for v in values]
    if len(names) == 1 and ex.strip() == names[0] and isinstance(args[0], tuple) and out is None:
        # A byte-string variable alone: its values (the engine computes numbers and masks).
        r = np.array(values[0], copy=True)
    else:
        r = _run(ex, names, args, out, casting)
    _last.state = (ex, names, _ref(out), casting)
    return r


def re_evaluate(local_dict=None, global_dict=None, _frame_depth=2):
    """Evaluates the last expression of this thread again with the current values of its
    names (numexpr's ``re_evaluate``)."""
    state = getattr(_last, "state", None)
    if state is None:
        raise RuntimeError(
            "A previous evaluate() execution was not found, please call `validate` or "
            "`evaluate` once before `re_evaluate`"
        )
    ex, names, out, casting = state
    out = out() if out is not None else None
    values = _frame_values(names, local_dict, global_dict, _frame_depth)
    return _run(ex, names, [_arg(v) for v in values], out, casting)


_SIG_TYPES = {
    bool: np.bool_,
    np.bool_: np.bool_,
    int: np.int32,
    np.int32: np.int32,
    np.int64: np.int64,
    float: np.float32,
    np.float32: np.float32,
    np.float64: np.float64,
    complex: np.complex128,
    np.complex128: np.complex128,
    bytes: None,
    str: None,
}


class NumExpr:
    """An expression compiled for a signature, as numexpr's ``NumExpr``: call it with its
    inputs in the signature's order.

    ``signature`` lists ``(name, type)`` with numexpr's type names: ``bool``, ``int``
    (int32), ``numpy.int64`` (numexpr's ``long``), ``float`` (float32), ``numpy.double``
    (float64, the default), ``complex``, ``bytes``. Arguments are cast to their signature's
    type. One object may be called from many threads at once.
    """

    def __init__(self, ex, signature=(), sanitize=None, **kwargs):
        if not isinstance(ex, str):
            raise ValueError("must specify expression as a string")
        names = _core.names(ex)
        sig = list(signature)
        known = {n for n, _ in sig}
        sig += [(n, np.float64) for n in names if n not in known]
        self.ex = ex
        self.signature = sig
        self.input_names = tuple(n for n, _ in sig)
        self._types = [_SIG_TYPES.get(t, t) for _, t in sig]
        if all(t is not None for t in self._types):
            sig_names = [(n, np.dtype(t).name) for (n, _), t in zip(sig, self._types)]
            self._program = _core.Program(ex, sig_names)
        else:
            self._program = None

    def _args(self, args):
        if len(args) != len(self.input_names):
            raise ValueError(
                "NumExpr %r takes %d arguments (%s), got %d"
                % (self.ex, len(self.input_names), ", ".join(self.input_names), len(args))
            )
        out = []
        for a, t in zip(args, self._types):
            a = np.asarray(a)
            if t is not None and a.dtype != np.dtype(t):
                a = a.astype(t)
            out.append(_arg(a))
        return out

    def __call__(self, *args, out=None, order="K", casting="safe", ex_uses_vml=False):
        _check_casting(casting)
        return _run(self.ex, list(self.input_names), self._args(args), out, casting)

    def run(self, *args, **kwargs):
        return self(*args, **kwargs)

    def disassemble(self):
        """The compiled program, printed."""
        if self._program is not None:
            return self._program.disassemble()
        raise TypeError("a signature with byte strings is compiled at the first call")

    def __repr__(self):
        return "NumExpr(%r, %r)" % (self.ex, self.signature)


def disassemble(nex):
    """The compiled program of a :class:`NumExpr`, printed (numexpr returns opcode tuples;
    outcore prints its register program)."""
    return nex.disassemble()


def set_num_threads(nthreads):
    """Sets the number of worker threads; returns the previous number."""
    return _core.set_num_threads(int(nthreads))


def get_num_threads():
    """The number of worker threads."""
    return _core.get_num_threads()


def detect_number_of_cores():
    """The number of cores of this machine."""
    return _core.detect_number_of_cores()
