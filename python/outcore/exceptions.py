"""Exceptions outcore raises beyond Python's own, named and based as PyTables' are."""


class HDF5ExtError(RuntimeError):
    """A file, node or chunk that cannot be read or written (damaged, not HDF5, read-only)."""


class NodeError(AttributeError, LookupError):
    """A problem with a node of a file's tree."""


class NoSuchNodeError(NodeError):
    """No node at the path asked for."""


class FileModeError(ValueError):
    """A write through a file opened read-only."""


class OperandTypeError(TypeError, NotImplementedError):
    """Operand types an operation or function does not take (``sin`` of bytes, a float
    condition in ``where``). numexpr raises TypeError for some of these mistakes and
    NotImplementedError ("couldn't find matching opcode") for others; this is both."""


class UnsupportedSyntaxError(ValueError):
    """A Python construct that is not part of numexpr's language (subscripts, lambdas,
    statements, ``;``): a ValueError, as numexpr's sanitizer raises; with
    ``sanitize=False`` outcore raises SyntaxError instead, as numexpr then does."""
