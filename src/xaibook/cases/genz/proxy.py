"""Plant a proxy bias of controllable strength in a tabular dataset.

The planted mechanism, with every quantity known:

* a protected attribute ``group`` is assigned at random (``P(group=1) = 1/2``),
  independent of every real feature and of the real label, so the *only*
  path from it to the label is the one planted here;
* a proxy feature ``proxy = r * (2*group - 1) + sqrt(1 - r**2) * noise``
  (standard normal noise) whose correlation with ``(2*group - 1)`` is exactly
  ``r = proxy_corr`` in expectation; it is otherwise pure noise;
* a biased "historical decision": a fraction ``strength`` of the labels,
  chosen at random, is replaced by ``proxy > q``, with ``q`` chosen so that
  the decision has the same positive rate as the real label.

So the new label depends on the protected attribute *only through the proxy*,
and at strength ``s`` the expected difference in positive rates between the
groups is ``s * (P(proxy > q | group=1) - P(proxy > q | group=0))``
(:func:`expected_parity_difference`). A model that never sees ``group`` can
still learn it from ``proxy``: "fairness through unawareness" does not help.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt

import numpy as np
import pandas as pd
from scipy.stats import norm
from scipy.optimize import brentq

from xaibook.cases.genz.checks import unit_interval

__all__ = ["ProxyBias", "plant_proxy_bias", "expected_parity_difference", "proxy_threshold"]


@dataclass(frozen=True)
class ProxyBias:
    """A dataset with a planted proxy bias.

    Attributes
    ----------
    frame : pandas.DataFrame
        the input frame plus the ``group`` and ``proxy`` columns, with the
        label column replaced by the biased label (0/1 ints).
    label, group, proxy : str
        column names.
    strength, proxy_corr : float
        the planted strength and proxy–group correlation.
    original_label : numpy.ndarray
        the real label (0/1), before planting.
    replaced : numpy.ndarray of bool
        which rows got the proxy decision instead of the real label.
    """

    frame: pd.DataFrame
    label: str
    group: str
    proxy: str
    strength: float
    proxy_corr: float
    original_label: np.ndarray
    replaced: np.ndarray

    def parity_difference(self) -> float:
        """Observed positive rate of group 1 minus that of group 0 (biased label)."""
        y = self.frame[self.label].to_numpy()
        g = self.frame[self.group].to_numpy()
        return float(y[g == 1].mean() - y[g == 0].mean())


def proxy_threshold(base_rate: float, proxy_corr: float) -> float:
    """The ``q`` with ``P(proxy > q) = base_rate`` for the planted proxy's distribution.

    The proxy is an equal mixture of ``N(+r, 1 - r**2)`` and ``N(-r, 1 - r**2)``.
    """
    base_rate = unit_interval(base_rate, "base_rate")
    r = unit_interval(proxy_corr, "proxy_corr")
    if base_rate in (0.0, 1.0):
        return float("inf") if base_rate == 0.0 else float("-inf")
    if r == 1.0:
        # proxy is +-1 exactly: any q in (-1, 1) gives rate 1/2.
        if base_rate != 0.5:
            raise ValueError("with proxy_corr=1 the proxy decision can only have rate 1/2")
        return 0.0
    sd = sqrt(1 - r * r)

    def excess(q: float) -> float:
        return 0.5 * (norm.sf((q - r) / sd) + norm.sf((q + r) / sd)) - base_rate

    return float(brentq(excess, -10.0, 10.0))


def expected_parity_difference(strength: float, proxy_corr: float, base_rate: float) -> float:
    """Expected positive-rate difference (group 1 minus group 0) at ``strength``.

    Parameters
    ----------
    strength : float in [0, 1]
        share of labels replaced by the proxy decision.
    proxy_corr : float in [0, 1]
        correlation between proxy and group.
    base_rate : float in (0, 1)
        positive rate of the real label (the proxy decision keeps it).
    """
    s = unit_interval(strength, "strength")
    r = unit_interval(proxy_corr, "proxy_corr")
    if r == 1.0:
        return s * 1.0 if base_rate == 0.5 else float("nan")
    q = proxy_threshold(base_rate, r)
    sd = sqrt(1 - r * r)
    return s * float(norm.sf((q - r) / sd) - norm.sf((q + r) / sd))


def plant_proxy_bias(frame: pd.DataFrame, label: str, strength: float, *, seed: int,
                     proxy_corr: float = 0.8, positive=1, group: str = "group",
                     proxy: str = "proxy") -> ProxyBias:
    """Add a random protected attribute and its proxy, and bias the label through the proxy.

    Parameters
    ----------
    frame : pandas.DataFrame
        the real data (features and label). Not modified.
    label : str
        name of the label column.
    strength : float in [0, 1]
        share of labels replaced by the proxy decision ``proxy > q``.
    seed : int
        seed for the group, the proxy noise and the rows replaced. The group
        and proxy depend on the seed only, not on ``strength``, so datasets at
        several strengths differ only in their labels (and the rows replaced
        at a lower strength are also replaced at a higher one).
    proxy_corr : float in [0, 1), default 0.8
        correlation between the proxy and the (centred) group.
    positive : scalar, default 1
        the value of ``label`` that counts as positive.
    group, proxy : str
        names of the added columns; must not exist in ``frame``.

    Returns
    -------
    ProxyBias
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if label not in frame.columns:
        raise KeyError(f"label column {label!r} not in frame (columns: {list(frame.columns)})")
    for name in (group, proxy):
        if name in frame.columns:
            raise ValueError(f"column {name!r} already exists in frame; choose another name")
    s = unit_interval(strength, "strength")
    r = unit_interval(proxy_corr, "proxy_corr")
    if r == 1.0:
        raise ValueError("proxy_corr must be below 1 (a proxy equal to the group is the group)")
    if len(frame) == 0:
        raise ValueError("frame is empty")
    y = (frame[label] == positive).to_numpy().astype(np.int64)
    if y.min() == y.max():
        raise ValueError(f"label {label!r} has a single class; no positive value {positive!r} or no other")

    rng = np.random.default_rng(seed)
    n = len(frame)
    g = rng.integers(0, 2, size=n)
    z = r * (2 * g - 1) + sqrt(1 - r * r) * rng.standard_normal(n)
    u = rng.random(n)
    q = proxy_threshold(float(y.mean()), r)
    decision = (z > q).astype(np.int64)
    replaced = u < s
    biased = np.where(replaced, decision, y)

    out = frame.copy()
    out[label] = biased
    out[group] = g
    out[proxy] = z
    return ProxyBias(out, label, group, proxy, s, r, y, replaced)
