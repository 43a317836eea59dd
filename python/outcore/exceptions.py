"""Exceptions outcore raises beyond Python's own, named and based as PyTables' are."""


class HDF5ExtError(RuntimeError):
    """A file, node or chunk that cannot be read or written (damaged, not HDF5, read-only)."""


class NodeError(AttributeError, LookupError):
    """A problem with a node of a file's tree."""


class NoSuchNodeError(NodeError):
    """No node at the path asked for."""


class FileModeError(ValueError):
    """A write through a file opened read-only."""
