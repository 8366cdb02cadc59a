"""Errors raised by the data layer.

Every error says which dataset is concerned, what went wrong and how to fix
it, so a reader never has to decode a traceback from deep inside pandas.
"""

from __future__ import annotations

__all__ = ["DataError", "DatasetUnavailableError", "ChecksumError", "SchemaError"]


class DataError(RuntimeError):
    """Base class of every data-layer error."""


class DatasetUnavailableError(DataError):
    """No verified copy of a file could be found or downloaded."""


class ChecksumError(DataError):
    """A file's SHA-256 digest is not the one recorded in the registry."""


class SchemaError(DataError):
    """A file parsed, but its columns or row count are not what was expected."""
