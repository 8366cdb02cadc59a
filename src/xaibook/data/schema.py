"""Schema checks shared by the parsers: expected columns and row counts."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from xaibook.data.errors import SchemaError

__all__ = ["read_table", "require_columns", "require_rows"]


def read_table(path, *, source: str, what: str = "a readable CSV file", **kwargs) -> pd.DataFrame:
    """``pandas.read_csv`` that turns a parse failure into a :class:`SchemaError`."""
    try:
        return pd.read_csv(path, **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{source}: not {what} ({exc})") from None


def require_columns(frame: pd.DataFrame, expected: Iterable[str], *, source: str) -> None:
    """Raise :class:`SchemaError` unless every expected column is present."""
    expected = list(expected)
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        extra = [c for c in frame.columns if c not in expected]
        raise SchemaError(
            f"{source}: missing column(s) {missing}. "
            f"Expected columns include {expected}; unexpected columns found: {extra[:20]}. "
            "The file may be from another version of the dataset or truncated; "
            "delete it and run `xaibook data fetch` to get the verified copy."
        )


def require_rows(frame: pd.DataFrame, expected: int | None, *, source: str) -> None:
    """Raise :class:`SchemaError` if ``expected`` is given and the count differs."""
    if expected is not None and len(frame) != expected:
        raise SchemaError(
            f"{source}: expected {expected:,} rows, found {len(frame):,}. "
            "The file may be truncated or from another version of the dataset; "
            "delete it and run `xaibook data fetch` to get the verified copy."
        )
