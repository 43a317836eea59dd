"""PyTables' ``Expr``: an expression over NumPy arrays, file leaves and table columns,
evaluated out of core (the file's chunks streamed through the engine), into memory, into a
NumPy array, or into a CArray/EArray of a file."""

import sys

import numpy as np

from . import _core
from ._numexpr import _arg
from ._tables import Column, Leaf

__all__ = ["Expr"]


def _value(name, v):
    if isinstance(v, Column):
        if v.dtype.shape != ():
            raise NotImplementedError("variable ``%s`` refers to a multidimensional column" % name)
        return (v.table._raw, v.pathname)
    if isinstance(v, Leaf):
        return v._raw
    return _arg(v)


class Expr:
    """An expression to evaluate out of core (PyTables' ``tables.Expr``).

    Names are taken from ``uservars`` or, without it, from the caller's locals and globals.
    Operands may be NumPy arrays, scalars, Arrays/CArrays/EArrays of a file, and table
    columns (``table.cols.x``); operands of different lengths along the first axis are
    evaluated over the shortest, as PyTables does.
    """

    def __init__(self, expr, uservars=None, **kwargs):
        self.expression = expr
        names = _core.names(expr)
        if uservars is None:
            frame = sys._getframe(1)
            scopes = (frame.f_locals, frame.f_globals)
        else:
            scopes = (uservars,)
        values = []
        for n in names:
            for s in scopes:
                if n in s:
                    values.append(s[n])
                    break
            else:
                raise NameError("name ``%s`` is not defined" % n)
        self.names = names
        self.values = values
        self._args = [_value(n, v) for n, v in zip(names, values)]
        self.start = self.stop = self.step = None
        self.out = None
        self.append_mode = False
        self.o_start = self.o_stop = self.o_step = None

    def set_inputs_range(self, start=None, stop=None, step=None):
        """Reads only rows ``start:stop:step`` of the operands' first axis."""
        if step is not None and step <= 0:
            raise ValueError("step must be positive")
        self.start, self.stop, self.step = start, stop, step

    def set_output(self, out, append_mode=False):
        """Writes the result into ``out``: a NumPy array, or a CArray/EArray of a file
        (appended to, for an EArray with ``append_mode``)."""
        if append_mode and not (isinstance(out, Leaf) and type(out).__name__ == "EArray"):
            raise ValueError("append mode is only for EArrays")
        self.out = out
        self.append_mode = append_mode

    def set_output_range(self, start=None, stop=None, step=None):
        """Writes the result into rows ``start:stop:step`` of the output."""
        if self.out is None:
            raise IndexError("you need to pass an output object to `setOut()` first")
        if self.append_mode:
            raise NotImplementedError("you cannot set the output range when in append mode")
        self.o_start, self.o_stop, self.o_step = start, stop, step

    def _eval(self, start, stop, step, out=None):
        return _core.expr_eval(
            self.expression,
            self.names,
            self._args,
            start,
            stop,
            step,
            out=out,
            append=self.append_mode,
            out_start=self.o_start,
            out_stop=self.o_stop,
            out_step=self.o_step,
        )

    def eval(self):
        """Evaluates the expression: returns a new NumPy array, or the output set."""
        if isinstance(self.out, Leaf):
            self._eval(self.start, self.stop, self.step, out=self.out._raw)
            return self.out
        r = self._eval(self.start, self.stop, self.step)
        if self.out is None:
            return r
        sl = slice(self.o_start, self.o_stop, self.o_step)
        self.out[sl] = r
        return self.out

    def _main_len(self):
        n = None
        for v in self._args:
            if isinstance(v, tuple) and len(v) == 2 and not isinstance(v[0], str):
                m = v[0].shape[0]
            elif hasattr(v, "shape") and len(v.shape) > 0:
                m = v.shape[0]
            else:
                continue
            n = m if n is None else min(n, m)
        return n

    def __iter__(self):
        """The result's rows, computed a slab of rows at a time (memory stays flat)."""
        n = self._main_len()
        if n is None:
            yield from iter(self._eval(None, None, None).reshape(-1))
            return
        first, last, step = slice(self.start, self.stop, self.step).indices(n)
        slab = 1 << 16
        for lo in range(first, last, slab * step):
            hi = min(last, lo + slab * step)
            yield from self._eval(lo, hi, step)
