"""Shared Altair helpers: one look for every chart in the book.

Every chart function in :mod:`xaibook` takes a tidy, already aggregated frame
and returns an :class:`altair.Chart` (or a compound chart) with a title and
labelled axes. The helpers here keep those charts consistent and small.

API
---
``titled(text, subtitle=None)``
    An :class:`altair.TitleParams` in the book's style.
``check_frame(frame, columns, *, name="frame")``
    Raise a clear error when a chart is handed the wrong frame.
``check_rows(frame, *, limit=MAX_ROWS)``
    Refuse to embed more than ``limit`` rows in a page (aggregate first).
``PALETTE``, ``DIVERGING``
    Colours for categories and for signed contributions.
"""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import pandas as pd

__all__ = ["PALETTE", "DIVERGING", "POSITIVE", "NEGATIVE", "NEUTRAL", "MAX_ROWS",
           "WIDTH", "titled", "check_frame", "check_rows", "signed_color"]

#: Colour-blind-safe categorical palette (Tableau 10).
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
#: Colours for contributions that push a prediction up or down.
POSITIVE, NEGATIVE, NEUTRAL = "#d6604d", "#4393c3", "#999999"
DIVERGING = [NEGATIVE, POSITIVE]
#: Most rows a chart may embed; charts must be fed aggregated data.
MAX_ROWS = 5_000
#: Default width of a single panel, in pixels.
WIDTH = 420


def titled(text: str, subtitle: str | None = None) -> alt.TitleParams:
    """Return a left-anchored chart title with an optional subtitle."""
    kwargs = {"anchor": "start", "fontSize": 14}
    if subtitle:
        kwargs.update(subtitle=subtitle, subtitleColor="#555", subtitleFontSize=11)
    return alt.TitleParams(text, **kwargs)


def check_frame(frame, columns: Iterable[str], *, name: str = "frame") -> pd.DataFrame:
    """Check that ``frame`` is a DataFrame with ``columns``; return it.

    Raises
    ------
    TypeError
        If ``frame`` is not a :class:`pandas.DataFrame`.
    ValueError
        If columns are missing or the frame is empty.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {missing}; it has {list(frame.columns)}")
    if frame.empty:
        raise ValueError(f"{name} is empty: nothing to plot")
    return frame


def check_rows(frame: pd.DataFrame, *, limit: int = MAX_ROWS) -> pd.DataFrame:
    """Refuse frames longer than ``limit`` rows: charts embed their data."""
    if len(frame) > limit:
        raise ValueError(
            f"refusing to embed {len(frame):,} rows in a chart (limit {limit:,}); "
            "aggregate or subsample the frame first")
    return frame


def signed_color(field: str = "direction") -> alt.Color:
    """Colour encoding for a ``direction`` field with values ``up``/``down``."""
    return alt.Color(f"{field}:N", title="Pushes prediction",
                     scale=alt.Scale(domain=["down", "up"], range=DIVERGING))
