"""UCI Adult (census income, Kohavi & Becker 1994)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xaibook.data.errors import SchemaError
from xaibook.data.fetch import fetch_file
from xaibook.data.schema import read_table, require_rows

__all__ = ["ADULT_COLUMNS", "ADULT_ROWS", "parse_adult", "load_adult"]

#: Column names, in file order (from ``adult.names``; dashes become underscores).
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
    "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
    "hours_per_week", "native_country", "income",
]
_NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
_CATEGORICAL = [c for c in ADULT_COLUMNS if c not in _NUMERIC and c != "income"]
#: Rows of the official train (``adult.data``) and test (``adult.test``) files.
ADULT_ROWS = {"train": 32_561, "test": 16_281}
_FILES = {"train": "adult/adult.data", "test": "adult/adult.test"}
INCOME_LEVELS = ["<=50K", ">50K"]


def parse_adult(path, *, expected_rows: int | None = None) -> pd.DataFrame:
    """Parse one Adult file (``adult.data`` or ``adult.test``) into a tidy frame.

    Handles the file format's quirks: no header, values after a comma start
    with a space, ``?`` marks a missing value, ``adult.test`` starts with a
    ``|1x3 Cross validator`` line and its labels end with a period.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`ADULT_COLUMNS`: integers for the numeric ones,
        pandas categoricals for the others (missing values as NaN), and
        ``income`` as an ordered categorical ``<=50K`` < ``>50K``.
    """
    path = Path(path)
    source = f"Adult file {path}"
    frame = read_table(
        path, source=source, what="a comma-separated Adult file", header=None,
        names=ADULT_COLUMNS, skipinitialspace=True, na_values="?", comment="|",
        skip_blank_lines=True, dtype=str,
    )
    if frame.empty:
        raise SchemaError(f"{source}: no data rows")
    if frame["income"].isna().any():
        bad = int(frame["income"].isna().sum())
        raise SchemaError(
            f"{source}: {bad} row(s) have fewer than {len(ADULT_COLUMNS)} fields; "
            f"expected the columns {ADULT_COLUMNS}"
        )
    income = frame["income"].str.rstrip(".")
    unknown = sorted(set(income) - set(INCOME_LEVELS))
    if unknown:
        raise SchemaError(f"{source}: unexpected income labels {unknown}; expected {INCOME_LEVELS}")
    for col in _NUMERIC:
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.isna().any():
            row = int(values.isna().to_numpy().nonzero()[0][0])
            raise SchemaError(
                f"{source}: column '{col}' must be numeric, found {frame[col].iloc[row]!r} "
                f"in data row {row + 1}"
            )
        frame[col] = values.astype("int64")
    for col in _CATEGORICAL:
        frame[col] = frame[col].astype("category")
    frame["income"] = pd.Categorical(income, categories=INCOME_LEVELS, ordered=True)
    require_rows(frame, expected_rows, source=source)
    return frame


def load_adult(split: str = "train") -> pd.DataFrame:
    """Load UCI Adult, verified against its SHA-256 digest.

    Parameters
    ----------
    split : {"train", "test", "all"}
        The official train file (32,561 rows), test file (16,281 rows), or both
        with a ``split`` column.

    Returns
    -------
    pandas.DataFrame
        See :func:`parse_adult`. Protected attributes: ``sex``, ``race``
        (and ``age``). Target: ``income``.
    """
    if split == "all":
        parts = [load_adult(s).assign(split=s) for s in ("train", "test")]
        frame = pd.concat(parts, ignore_index=True)
        for col in _CATEGORICAL:
            frame[col] = frame[col].astype("category")
        frame["split"] = frame["split"].astype("category")
        return frame
    if split not in _FILES:
        raise ValueError(f"split must be 'train', 'test' or 'all', not {split!r}")
    return parse_adult(fetch_file(_FILES[split]), expected_rows=ADULT_ROWS[split])
