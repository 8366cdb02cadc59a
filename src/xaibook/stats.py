"""Uncertainty for every comparison in the book: bootstrap intervals and nulls.

One small toolkit that the tabular, vision, case-study and monitoring chapters
share, so that "a gap is real" means the same thing on every page: its 95%
interval excludes zero.

API
---
``Interval``
    A point estimate with a percentile interval; ``excludes_zero``, ``text()``.
``bootstrap(statistic, *arrays, n_boot=1000, seed=0, strata=None)``
    Percentile bootstrap of ``statistic(*resampled_arrays)`` (rows resampled
    together, optionally within strata).
``paired_difference(metric, y_true, pred_a, pred_b, ...)``
    Paired bootstrap of ``metric(y, a) - metric(y, b)`` on the same rows.
``group_rates(values, groups, ...)``
    Mean of a 0/1 (or any) outcome per group, each with its interval, and the
    signed gap of every group to a reference group with the interval of the
    gap (groups resampled jointly, so the gap's interval is not a guess from
    two overlapping ones).
``null_threshold(null_values, *, q=0.95)``
    The ``q`` quantile of a statistic under a null (e.g. seeds at strength 0,
    permuted labels): the threshold a "detection" must exceed.
``summarise(values, *, level=0.95)``
    Median and central ``level`` range of repeated results (seeds, splits).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Interval", "bootstrap", "paired_difference", "group_rates", "null_threshold",
           "summarise"]


@dataclass(frozen=True)
class Interval:
    """A point estimate and its ``level`` interval.

    Attributes
    ----------
    estimate : float
        The statistic on the full sample (or the median of repeats).
    low, high : float
        Interval bounds.
    level : float
        Coverage of the interval (0.95 by default).
    n : int
        Rows (or repeats) behind the estimate.
    """

    estimate: float
    low: float
    high: float
    level: float = 0.95
    n: int = 0

    @property
    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of zero."""
        return bool(self.low > 0 or self.high < 0)

    def text(self, fmt: str = "{:.3f}", *, percent: bool = False) -> str:
        """``'0.123 (95% CI 0.100 to 0.150)'``; ``percent`` scales by 100."""
        k = 100.0 if percent else 1.0
        unit = " pp" if percent else ""
        pct = f"{self.level:.0%}"
        return (f"{fmt.format(k * self.estimate)}{unit} ({pct} CI {fmt.format(k * self.low)} "
                f"to {fmt.format(k * self.high)})")

    def as_dict(self, prefix: str = "") -> dict:
        return {f"{prefix}estimate": self.estimate, f"{prefix}low": self.low,
                f"{prefix}high": self.high}


def _check_level(level: float) -> tuple[float, float]:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    return (1 - level) / 2, 1 - (1 - level) / 2


def _resample_index(n: int, rng: np.random.Generator, strata: np.ndarray | None) -> np.ndarray:
    if strata is None:
        return rng.integers(0, n, n)
    parts = []
    for value in np.unique(strata):
        members = np.flatnonzero(strata == value)
        parts.append(rng.choice(members, size=members.size, replace=True))
    return np.concatenate(parts)


def bootstrap(statistic: Callable[..., float], *arrays, n_boot: int = 1000, seed: int = 0,
              level: float = 0.95, strata=None) -> Interval:
    """Percentile bootstrap interval of ``statistic(*arrays)``.

    Parameters
    ----------
    statistic : callable
        Takes the arrays (same length, resampled by the same row index) and
        returns a float. Resamples where it returns NaN are ignored.
    *arrays : array-like
        Columns of the sample; numpy arrays, Series or frames.
    n_boot : int
        Number of resamples.
    seed : int
        Seed of the resampling (fixed: two runs give the same interval).
    level : float
        Coverage of the interval.
    strata : array-like, optional
        Resample within each stratum (keeps group sizes fixed).

    Returns
    -------
    Interval
    """
    lo_q, hi_q = _check_level(level)
    if not arrays:
        raise ValueError("bootstrap needs at least one array")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("all arrays must have the same length")
    if n == 0:
        raise ValueError("bootstrap of an empty sample")
    strata = None if strata is None else np.asarray(strata)

    def take(a, idx):
        return a.iloc[idx] if isinstance(a, (pd.Series, pd.DataFrame)) else np.asarray(a)[idx]

    rng = np.random.default_rng(seed)
    estimate = float(statistic(*arrays))
    draws = np.array([float(statistic(*(take(a, idx) for a in arrays)))
                      for idx in (_resample_index(n, rng, strata) for _ in range(n_boot))])
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return Interval(estimate, np.nan, np.nan, level, n)
    low, high = np.quantile(draws, [lo_q, hi_q])
    return Interval(estimate, float(low), float(high), level, n)


def paired_difference(metric: Callable[[np.ndarray, np.ndarray], float], y_true, pred_a, pred_b,
                      *, n_boot: int = 1000, seed: int = 0, level: float = 0.95,
                      strata=None) -> Interval:
    """Paired bootstrap of ``metric(y, pred_a) - metric(y, pred_b)``.

    Both models are scored on the same resampled rows, so the interval is
    that of the *difference* (much narrower than two separate intervals
    when the models agree on most rows).
    """
    y_true, pred_a, pred_b = (np.asarray(v) for v in (y_true, pred_a, pred_b))
    return bootstrap(lambda y, a, b: metric(y, a) - metric(y, b), y_true, pred_a, pred_b,
                     n_boot=n_boot, seed=seed, level=level, strata=strata)


def group_rates(values, groups, *, reference=None, n_boot: int = 1000, seed: int = 0,
                level: float = 0.95, mask=None, name: str = "rate") -> pd.DataFrame:
    """Per-group mean of ``values`` with intervals, and signed gaps to a reference.

    Parameters
    ----------
    values : array-like
        The outcome per row (e.g. 1 where the model said "high risk").
    groups : array-like
        Group label per row.
    reference : label, optional
        Group the gaps are measured against (``rate(group) - rate(reference)``);
        defaults to the largest group.
    mask : array-like of bool, optional
        Rows that enter the rate (e.g. ``y_true == 0`` for a false-positive
        rate). Resampling is over all rows, so group sizes vary as in a new
        sample.
    name : str
        Name of the rate, used in the ``metric`` column.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``group``, ``metric``, ``n`` (rows in the rate),
        ``rate``, ``low``, ``high``, ``gap``, ``gap_low``, ``gap_high`` and
        ``gap_real`` (the gap's interval excludes zero). The reference row has
        gap 0 and no interval.
    """
    lo_q, hi_q = _check_level(level)
    values = np.asarray(values, dtype=float)
    groups = np.asarray(groups)
    if values.shape != groups.shape:
        raise ValueError("values and groups must have the same length")
    mask = np.ones(values.size, bool) if mask is None else np.asarray(mask, bool)
    labels = list(pd.unique(groups))
    if reference is None:
        reference = max(labels, key=lambda g: int(np.sum((groups == g) & mask)))
    if reference not in labels:
        raise ValueError(f"reference group {reference!r} not among the groups {labels}")

    def rates(idx):
        v, g, m = values[idx], groups[idx], mask[idx]
        out = []
        for label in labels:
            sel = (g == label) & m
            out.append(v[sel].mean() if sel.any() else np.nan)
        return np.array(out)

    rng = np.random.default_rng(seed)
    full = rates(np.arange(values.size))
    draws = np.array([rates(rng.integers(0, values.size, values.size)) for _ in range(n_boot)])
    ref = labels.index(reference)
    gaps = draws - draws[:, [ref]]
    rows = []
    for i, label in enumerate(labels):
        finite = draws[:, i][np.isfinite(draws[:, i])]
        gfin = gaps[:, i][np.isfinite(gaps[:, i])]
        low, high = (np.quantile(finite, [lo_q, hi_q]) if finite.size else (np.nan, np.nan))
        if i == ref or gfin.size == 0:
            glow = ghigh = np.nan
        else:
            glow, ghigh = np.quantile(gfin, [lo_q, hi_q])
        rows.append({"group": label, "metric": name, "n": int(np.sum((groups == label) & mask)),
                     "rate": full[i], "low": low, "high": high,
                     "gap": full[i] - full[ref], "gap_low": glow, "gap_high": ghigh,
                     "gap_real": bool(np.isfinite(glow) and (glow > 0 or ghigh < 0))})
    return pd.DataFrame(rows)


def null_threshold(null_values: Sequence[float], *, q: float = 0.95) -> float:
    """The ``q`` quantile of a statistic's null distribution.

    A result counts as a detection only above this value: the threshold comes
    from runs where there is nothing to detect (strength 0, shuffled labels,
    clean batches), not from taste. With ``m`` null values the smallest
    attainable false-alarm rate is ``1 / (m + 1)``; fewer than 5 values are
    refused.
    """
    null_values = np.asarray(null_values, dtype=float)
    null_values = null_values[np.isfinite(null_values)]
    if null_values.size < 5:
        raise ValueError(f"a null needs at least 5 values, got {null_values.size}")
    if not 0 < q < 1:
        raise ValueError(f"q must be between 0 and 1, got {q}")
    return float(np.quantile(null_values, q, method="higher"))


def summarise(values: Sequence[float], *, level: float = 0.95) -> Interval:
    """Median and central ``level`` range of repeated results (seeds, splits)."""
    lo_q, hi_q = _check_level(level)
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("summarise needs at least one finite value")
    low, high = np.quantile(values, [lo_q, hi_q])
    return Interval(float(np.median(values)), float(low), float(high), level, int(values.size))
