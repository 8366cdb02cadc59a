"""Detection thresholds and the method × strength detection table.

Every detection is a number compared with a stated threshold: a
:class:`Threshold` says what is measured, the cut-off, in which direction and
why. :func:`detection_table` collects rows, :func:`detection_grid` lays them
out method × strength for the page, :func:`onsets` finds from which strength
on each method detects, and :func:`onset_sentence` turns that into prose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["Threshold", "Detection", "detection_table", "detection_grid", "onsets",
           "onset_sentence", "join_names"]

_DIRECTIONS = {"above": ">", "below": "<", "at least": "≥", "at most": "≤"}


@dataclass(frozen=True)
class Threshold:
    """A detection rule: ``statistic`` above (or below) ``value``.

    Parameters
    ----------
    statistic : str
        what is measured, in words (``"colour share of attribution"``).
    value : float
        the cut-off.
    direction : {"above", "below", "at least", "at most"}
        detected when the statistic is ``>``, ``<``, ``>=`` or ``<=`` ``value``.
    rationale : str
        why this cut-off (shown with the table).
    fmt : str
        format of the value and of statistics in tables (``"{:.0f}"`` for ranks).
    text : str, optional
        replaces the generated rule text (e.g. for a method that cannot
        compute the statistic at all).
    """

    statistic: str
    value: float
    direction: str = "above"
    rationale: str = ""
    fmt: str = "{:.2f}"
    text: str = ""

    def __post_init__(self):
        if self.direction not in _DIRECTIONS:
            raise ValueError(f"direction must be one of {list(_DIRECTIONS)}, got {self.direction!r}")
        if not isinstance(self.value, (int, float, np.number)) or math.isnan(float(self.value)):
            raise ValueError(f"threshold value must be a number, got {self.value!r}")

    def detects(self, statistic: float) -> bool:
        """Whether ``statistic`` crosses the threshold (NaN never does)."""
        if statistic is None or math.isnan(float(statistic)):
            return False
        x, v = float(statistic), float(self.value)
        return {"above": x > v, "below": x < v, "at least": x >= v, "at most": x <= v}[self.direction]

    def describe(self) -> str:
        """E.g. ``"colour share of attribution > 0.60"`` (or :attr:`text`)."""
        if self.text:
            return self.text
        return f"{self.statistic} {_DIRECTIONS[self.direction]} {self.fmt.format(self.value)}"

    def format(self, statistic: float) -> str:
        """A statistic in this threshold's format (``"n/a"`` for NaN)."""
        if statistic is None or math.isnan(float(statistic)):
            return "n/a"
        return self.fmt.format(statistic)


@dataclass(frozen=True)
class Detection:
    """One method at one strength: its statistic and whether it crosses the threshold."""

    method: str
    strength: float
    value: float
    threshold: Threshold
    note: str = ""

    @property
    def detected(self) -> bool:
        return self.threshold.detects(self.value)


def detection_table(detections: Iterable[Detection]) -> pd.DataFrame:
    """Tidy table, one row per method and strength.

    Columns: ``method, strength, statistic, value, threshold, rule, detected,
    note, shown`` (the value formatted as its threshold says).
    Methods keep their first-seen order (as a categorical).
    """
    rows = []
    for d in detections:
        if not isinstance(d, Detection):
            raise TypeError(f"expected Detection objects, got {type(d).__name__}")
        rows.append({
            "method": d.method, "strength": float(d.strength),
            "statistic": d.threshold.statistic, "value": float(d.value),
            "threshold": float(d.threshold.value), "rule": d.threshold.describe(),
            "detected": d.detected, "note": d.note, "shown": d.threshold.format(d.value),
        })
    if not rows:
        raise ValueError("no detections given")
    table = pd.DataFrame(rows)
    if table.duplicated(["method", "strength"]).any():
        dup = table.loc[table.duplicated(["method", "strength"]), ["method", "strength"]]
        raise ValueError(f"duplicate method/strength rows: {dup.to_dict('records')}")
    order = list(dict.fromkeys(table["method"]))
    table["method"] = pd.Categorical(table["method"], categories=order, ordered=True)
    return table.sort_values(["method", "strength"]).reset_index(drop=True)


def _format_cell(shown: str, detected: bool) -> str:
    if shown == "n/a":
        return shown
    return f"{shown} {'✔' if detected else '·'}"


def detection_grid(table: pd.DataFrame, strength_label: str = "s = {:g}") -> pd.DataFrame:
    """Method × strength grid of ``"value ✔"`` (detected) or ``"value ·"`` cells.

    A ``rule`` column states each method's threshold; ``n/a`` marks a
    statistic the method cannot compute.
    """
    _check_table(table)
    shown = table["shown"] if "shown" in table else table["value"].map("{:.2f}".format)
    cells = table.assign(cell=[_format_cell(v, d) for v, d in zip(shown, table["detected"])])
    grid = cells.pivot(index="method", columns="strength", values="cell")
    grid.columns = [strength_label.format(s) for s in grid.columns]
    rules = table.groupby("method", observed=True)["rule"].first()
    grid.insert(0, "detected when", rules)
    grid.index.name = None
    return grid


def _check_table(table: pd.DataFrame) -> None:
    missing = {"method", "strength", "value", "detected", "rule"} - set(table.columns)
    if missing:
        raise ValueError(f"not a detection table, missing columns {sorted(missing)}")


def onsets(table: pd.DataFrame) -> pd.Series:
    """Per method, the lowest strength from which it detects at every higher strength.

    NaN where the method does not detect at the highest strength tested.
    "From which strength on" needs the detection to persist: a single lucky
    crossing followed by misses does not count.
    """
    _check_table(table)
    out = {}
    for method, rows in table.groupby("method", observed=True, sort=False):
        rows = rows.sort_values("strength")
        detected = rows["detected"].to_numpy(bool)
        strengths = rows["strength"].to_numpy(float)
        onset = math.nan
        for i in range(len(detected) - 1, -1, -1):
            if not detected[i]:
                break
            onset = strengths[i]
        out[method] = onset
    return pd.Series(out, name="onset", dtype=float)


def join_names(names: Sequence[str]) -> str:
    """``["a"] -> "a"``, ``["a", "b", "c"] -> "a, b and c"``."""
    names = list(names)
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def onset_sentence(onset: pd.Series, fmt: str = "{:g}",
                   subject: Mapping[str, str] | None = None) -> str:
    """Prose from :func:`onsets`: who detects from which strength, who never does.

    E.g. ``"SHAP and permutation importance detect it from strength 0.1 on;
    PDP from 0.2 on; LIME never does."``
    """
    if not isinstance(onset, pd.Series):
        raise TypeError("onset must be the pandas Series returned by onsets()")
    subject = dict(subject or {})
    name = lambda m: subject.get(m, m)  # noqa: E731
    parts = []
    found = onset.dropna()
    for i, strength in enumerate(sorted(set(found))):
        methods = [name(m) for m in found.index[found == strength]]
        who = join_names(methods)
        if i == 0:
            verb = "detects" if len(methods) == 1 else "detect"
            parts.append(f"{who} {verb} it from strength {fmt.format(strength)} on")
        else:
            parts.append(f"{who} from {fmt.format(strength)} on")
    never = [name(m) for m in onset.index[onset.isna()]]
    if never:
        parts.append(f"{join_names(never)} never {'does' if len(never) == 1 else 'do'}")
    if not parts:
        return "No method was tested."
    return "; ".join(parts) + "."
