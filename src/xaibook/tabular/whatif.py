"""A what-if explorer for decision thresholds that works in a static page.

A binary classifier's score becomes a decision at a threshold; each group's
false positive rate, false negative rate and selection rate depend on where
that threshold sits. This module precomputes, at build time, per-group
confusion counts on a grid of thresholds (a small aggregated table: groups x
thresholds, never individuals) and renders it as an Altair / Vega-Lite chart
whose sliders pick the current threshold in the browser, with no kernel.

Typical use, with any fitted binary classifier::

    from xaibook.tabular.whatif import model_scores, threshold_grid, whatif_chart

    scores = model_scores(model, X_test)                  # P(y = 1)
    grid = threshold_grid(y_test, scores, X_test["race"])  # tiny table
    whatif_chart(grid, title="Who is flagged, and who is wrongly flagged?")

or in one call ``whatif_explorer(y_test, scores, X_test["race"])``.

:func:`confusion_counts`
    Confusion counts and rates per group for fixed predictions.
:func:`model_scores`
    Positive-class scores of a fitted classifier.
:func:`threshold_grid`
    Per-group counts and rates on a grid of thresholds (:class:`ThresholdGrid`).
:func:`whatif_chart`, :func:`whatif_explorer`
    The interactive chart: one threshold for everyone, or one per group.
:func:`counterfactual_flip`
    The same people with one attribute changed (e.g. race flipped): how
    scores and decisions move (:class:`CounterfactualResult`).

Conventions: a person is predicted positive when ``score >= threshold``;
rates whose denominator is zero are ``NaN``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "METRIC_LABELS",
    "confusion_counts",
    "model_scores",
    "ThresholdGrid",
    "threshold_grid",
    "whatif_chart",
    "whatif_explorer",
    "CounterfactualResult",
    "counterfactual_flip",
]

#: Human-readable names of the rates computed by :func:`confusion_counts`.
METRIC_LABELS = {
    "selection_rate": "selection rate",
    "fpr": "false positive rate",
    "fnr": "false negative rate",
    "tpr": "true positive rate",
    "tnr": "true negative rate",
    "ppv": "precision (PPV)",
    "npv": "negative predictive value",
    "base_rate": "base rate",
    "accuracy": "accuracy",
}

_MODES = ("one threshold for everyone", "one threshold per group")


# --------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------

def _as_1d(values, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _binary_labels(y, name: str, pos_label) -> np.ndarray:
    arr = _as_1d(y, name)
    if pd.isna(arr).any():
        raise ValueError(f"{name} has missing values")
    uniq = pd.unique(arr)
    if len(uniq) > 2:
        raise ValueError(f"{name} must be binary, found {len(uniq)} distinct values: "
                         f"{sorted(map(str, uniq))[:5]}")
    if pos_label not in set(uniq.tolist()) and len(uniq) == 2:
        raise ValueError(f"pos_label={pos_label!r} is not one of {name}'s values "
                         f"{sorted(map(str, uniq))}")
    return (arr == pos_label).astype(int)


def _groups(sensitive_features, n: int) -> np.ndarray:
    if isinstance(sensitive_features, pd.DataFrame):
        raise ValueError("sensitive_features must be one column (a Series or 1-d array); "
                         "combine several columns into one first")
    g = _as_1d(sensitive_features, "sensitive_features")
    if len(g) != n:
        raise ValueError(f"sensitive_features has {len(g)} values, expected {n}")
    if pd.isna(g).any():
        raise ValueError("sensitive_features has missing values")
    return g.astype(object)


def _group_order(g: np.ndarray) -> list:
    return sorted(pd.unique(g).tolist(), key=str)


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    tp, fp, tn, fn = (frame[c].to_numpy(float) for c in ("tp", "fp", "tn", "fn"))
    n = tp + fp + tn + fn

    def ratio(a, b):
        out = np.full(np.shape(a), np.nan)
        np.divide(a, b, out=out, where=b > 0)
        return out

    frame["base_rate"] = ratio(tp + fn, n)
    frame["selection_rate"] = ratio(tp + fp, n)
    frame["fpr"] = ratio(fp, fp + tn)
    frame["fnr"] = ratio(fn, tp + fn)
    frame["tpr"] = ratio(tp, tp + fn)
    frame["tnr"] = ratio(tn, fp + tn)
    frame["ppv"] = ratio(tp, tp + fp)
    frame["npv"] = ratio(tn, tn + fn)
    frame["accuracy"] = ratio(tp + tn, n)
    return frame


# --------------------------------------------------------------------------
# counts for fixed predictions
# --------------------------------------------------------------------------

def confusion_counts(y_true, y_pred, sensitive_features, *, pos_label=1) -> pd.DataFrame:
    """Confusion counts and error rates per group.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True binary labels.
    y_pred : array-like of shape (n,)
        Predicted binary labels (same coding as ``y_true``).
    sensitive_features : array-like of shape (n,)
        Group of each person.
    pos_label : scalar, default=1
        The label counted as positive (e.g. "reoffended", "bad credit").

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted) with ``group``, ``n``, ``tp``, ``fp``,
        ``tn``, ``fn`` and the rates ``base_rate`` (share of true positives),
        ``selection_rate`` (share predicted positive), ``fpr`` = fp / (fp + tn),
        ``fnr`` = fn / (fn + tp), ``tpr``, ``tnr``, ``ppv`` = tp / (tp + fp),
        ``npv`` and ``accuracy``. A rate with an empty denominator is NaN.

    Examples
    --------
    >>> confusion_counts([1, 0, 0, 1], [1, 1, 0, 0], ["a", "a", "b", "b"])[["group", "fpr", "fnr"]]
      group  fpr  fnr
    0     a  1.0  0.0
    1     b  0.0  1.0
    """
    y = _binary_labels(y_true, "y_true", pos_label)
    p = _binary_labels(y_pred, "y_pred", pos_label)
    if len(p) != len(y):
        raise ValueError(f"y_pred has {len(p)} values, y_true {len(y)}")
    g = _groups(sensitive_features, len(y))
    rows = []
    for grp in _group_order(g):
        m = g == grp
        yy, pp = y[m], p[m]
        rows.append({"group": grp, "n": int(m.sum()),
                     "tp": int(((yy == 1) & (pp == 1)).sum()),
                     "fp": int(((yy == 0) & (pp == 1)).sum()),
                     "tn": int(((yy == 0) & (pp == 0)).sum()),
                     "fn": int(((yy == 1) & (pp == 0)).sum())})
    return _rates(pd.DataFrame(rows))


def model_scores(model, X) -> np.ndarray:
    """Scores for the positive class of a fitted binary classifier.

    Uses ``predict_proba(X)[:, 1]`` when available, otherwise
    ``decision_function(X)``.

    Parameters
    ----------
    model : estimator
        A fitted binary classifier (scikit-learn API).
    X : array-like or pandas.DataFrame
        Inputs.

    Returns
    -------
    numpy.ndarray of shape (n,)
    """
    classes = getattr(model, "classes_", None)
    if classes is not None and len(classes) != 2:
        raise ValueError(f"model must be a binary classifier, it has {len(classes)} classes")
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X))
        if proba.ndim != 2 or proba.shape[1] != 2:
            raise ValueError(f"predict_proba returned shape {proba.shape}, expected (n, 2)")
        return proba[:, 1]
    if hasattr(model, "decision_function"):
        return _as_1d(model.decision_function(X), "decision_function(X)").astype(float)
    raise TypeError(f"{type(model).__name__} has neither predict_proba nor decision_function")


# --------------------------------------------------------------------------
# threshold grid
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class ThresholdGrid:
    """Per-group confusion counts on an evenly spaced grid of thresholds.

    Attributes
    ----------
    table : pandas.DataFrame
        Long table, one row per (group, threshold): ``group``, ``threshold``,
        ``n``, ``tp``, ``fp``, ``tn``, ``fn`` and the rates of
        :func:`confusion_counts`.
    thresholds : numpy.ndarray
        The grid, increasing and evenly spaced.
    groups : list
        Group values (as strings), in display order.
    """

    table: pd.DataFrame
    thresholds: np.ndarray
    groups: list

    @property
    def step(self) -> float:
        """Spacing of the grid."""
        return float(self.thresholds[1] - self.thresholds[0]) if len(self.thresholds) > 1 else 1.0

    def nearest(self, threshold: float) -> float:
        """The grid value closest to ``threshold``."""
        return float(self.thresholds[np.argmin(np.abs(self.thresholds - threshold))])

    def closest(self, metric: str, target: float) -> pd.DataFrame:
        """For each group, the grid row whose ``metric`` is closest to ``target``.

        Use it to find per-group thresholds that equalise a rate, e.g.
        ``grid.closest("fpr", 0.2)``; ties go to the lowest threshold.

        Returns
        -------
        pandas.DataFrame
            One row per group, in :attr:`groups` order.
        """
        if metric not in self.table.columns or metric in ("group", "threshold"):
            raise ValueError(f"unknown metric {metric!r}; choose from {list(METRIC_LABELS)}")
        rows = []
        for grp in self.groups:
            sub = self.table[self.table["group"] == grp]
            dist = (sub[metric] - float(target)).abs()
            if dist.isna().all():
                raise ValueError(f"{metric} is undefined for group {grp!r} at every threshold")
            rows.append(sub.loc[dist.idxmin()])
        return pd.DataFrame(rows).reset_index(drop=True)

    def at(self, threshold, *, group=None) -> pd.DataFrame:
        """Rows at a threshold (snapped to the grid).

        Parameters
        ----------
        threshold : float or dict
            One threshold for everyone, or ``{group: threshold}``.
        group : optional
            Restrict to one group.
        """
        if isinstance(threshold, dict):
            unknown = set(map(str, threshold)) - set(self.groups)
            if unknown:
                raise ValueError(f"unknown group(s) {sorted(unknown)}; groups: {self.groups}")
            parts = [self.at(t, group=str(g)) for g, t in threshold.items()]
            return pd.concat(parts, ignore_index=True)
        t = self.nearest(float(threshold))
        rows = self.table[np.isclose(self.table["threshold"], t)]
        if group is not None:
            if str(group) not in self.groups:
                raise ValueError(f"unknown group {group!r}; groups: {self.groups}")
            rows = rows[rows["group"] == str(group)]
        return rows.reset_index(drop=True)


def _default_thresholds(scores: np.ndarray, n_thresholds: int) -> np.ndarray:
    lo, hi = float(np.min(scores)), float(np.max(scores))
    if lo >= 0 and hi <= 1:
        return np.linspace(0.0, 1.0, n_thresholds)
    uniq = np.unique(scores)
    if np.allclose(uniq, np.round(uniq)) and len(uniq) <= n_thresholds:
        # integer scores (e.g. COMPAS deciles): every cut, plus "nobody"
        return np.arange(np.round(lo), np.round(hi) + 2, 1.0)
    return np.linspace(lo, hi, n_thresholds)


def threshold_grid(y_true, scores, sensitive_features, *, thresholds=None,
                   n_thresholds: int = 101, pos_label=1) -> ThresholdGrid:
    """Per-group confusion counts for every threshold on a grid.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True binary labels.
    scores : array-like of shape (n,)
        Scores; a person is predicted positive when ``score >= threshold``.
    sensitive_features : array-like of shape (n,)
        Group of each person.
    thresholds : array-like, optional
        An increasing, evenly spaced grid (evenly spaced so that a slider can
        step through it). Default: ``n_thresholds`` points on [0, 1] for
        scores in [0, 1]; every integer cut for integer scores (e.g.
        deciles 1..10 give thresholds 1..11); otherwise ``n_thresholds``
        points between the smallest and largest score.
    n_thresholds : int, default=101
        Grid size when ``thresholds`` is not given.
    pos_label : scalar, default=1
        The label counted as positive.

    Returns
    -------
    ThresholdGrid
    """
    y = _binary_labels(y_true, "y_true", pos_label)
    s = _as_1d(scores, "scores")
    if len(s) != len(y):
        raise ValueError(f"scores has {len(s)} values, y_true {len(y)}")
    try:
        s = s.astype(float)
    except (TypeError, ValueError):
        raise ValueError("scores must be numeric") from None
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite (no NaN or infinity)")
    g = _groups(sensitive_features, len(y))
    if thresholds is None:
        if not isinstance(n_thresholds, (int, np.integer)) or n_thresholds < 2:
            raise ValueError(f"n_thresholds must be an integer >= 2, got {n_thresholds!r}")
        grid = _default_thresholds(s, n_thresholds)
    else:
        grid = _as_1d(thresholds, "thresholds").astype(float)
        if len(grid) < 2:
            raise ValueError("thresholds needs at least two values")
        diffs = np.diff(grid)
        if (diffs <= 0).any() or not np.allclose(diffs, diffs[0], rtol=1e-6, atol=1e-12):
            raise ValueError("thresholds must be increasing and evenly spaced")
    grid = np.round(grid, 10)
    parts = []
    for grp in _group_order(g):
        m = g == grp
        pos = np.sort(s[m & (y == 1)])
        neg = np.sort(s[m & (y == 0)])
        tp = len(pos) - np.searchsorted(pos, grid, side="left")
        fp = len(neg) - np.searchsorted(neg, grid, side="left")
        parts.append(pd.DataFrame({
            "group": str(grp), "threshold": grid, "n": int(m.sum()),
            "tp": tp, "fp": fp, "tn": len(neg) - fp, "fn": len(pos) - tp}))
    table = _rates(pd.concat(parts, ignore_index=True))
    return ThresholdGrid(table=table, thresholds=grid,
                         groups=[str(v) for v in _group_order(g)])


# --------------------------------------------------------------------------
# the chart
# --------------------------------------------------------------------------

def _js(value: str) -> str:
    """A JavaScript string literal (JSON is valid JavaScript)."""
    return json.dumps(value)


def whatif_chart(grid: ThresholdGrid, *, metrics=("selection_rate", "fpr", "fnr"),
                 default_threshold: float | None = None,
                 per_group_default: dict | None = None,
                 title: str = "What if the threshold were different?",
                 score_label: str = "threshold on the score",
                 group_label: str = "group",
                 width: int = 130, height: int = 120):
    """Interactive Altair chart of per-group rates as the threshold moves.

    The reader chooses "one threshold for everyone" or "one threshold per
    group" with radio buttons and moves sliders; the top panel shows each
    group's rates at the current threshold(s), the bottom panels show every
    rate along the whole grid with the current operating point marked. All
    of it runs in the browser (Vega-Lite expressions on a small table): the
    page needs no kernel.

    Parameters
    ----------
    grid : ThresholdGrid
        From :func:`threshold_grid`.
    metrics : sequence of str, default=("selection_rate", "fpr", "fnr")
        Columns of ``grid.table`` to show; keys of :data:`METRIC_LABELS`.
    default_threshold : float, optional
        Initial threshold (snapped to the grid); default 0.5 when on the
        grid's range, else the grid's middle value.
    per_group_default : dict, optional
        Initial per-group thresholds ``{group: threshold}``; default
        ``default_threshold`` for everyone.
    title : str
        Chart title.
    score_label : str
        Axis title for the threshold.
    group_label : str
        Legend title for the groups (e.g. "race").
    width, height : int
        Size of each bottom panel; the defaults keep the whole chart about
        560 pixels wide, the width of a book page.

    Returns
    -------
    altair.VConcatChart
    """
    import altair as alt

    if not isinstance(grid, ThresholdGrid):
        raise TypeError("grid must be a ThresholdGrid (see threshold_grid)")
    metrics = list(metrics)
    unknown = [m for m in metrics if m not in METRIC_LABELS]
    if not metrics or unknown:
        raise ValueError(f"unknown metric(s) {unknown}; choose from {list(METRIC_LABELS)}")
    lo, hi, step = float(grid.thresholds[0]), float(grid.thresholds[-1]), grid.step
    if default_threshold is None:
        default_threshold = 0.5 if lo <= 0.5 <= hi else float(np.median(grid.thresholds))
    start = grid.nearest(default_threshold)
    per_group_default = {str(k): v for k, v in (per_group_default or {}).items()}
    unknown = set(per_group_default) - set(grid.groups)
    if unknown:
        raise ValueError(f"per_group_default has unknown group(s) {sorted(unknown)}")

    decimals = max(0, int(np.ceil(-np.log10(step))) if step < 1 else 0)
    fmt = f".{decimals}f"
    cols = ["group", "threshold", "n", "tp", "fp", "tn", "fn"] + [
        m for m in metrics if m not in ("group", "threshold")]
    data = grid.table[cols].copy()
    data["threshold"] = data["threshold"].round(10)

    mode = alt.param(name="mode", value=_MODES[0],
                     bind=alt.binding_radio(options=list(_MODES), name="Decision rule: "))
    t_all = alt.param(name="t_all", value=start,
                      bind=alt.binding_range(min=lo, max=hi, step=step,
                                             name="Threshold (everyone): "))
    t_groups = []
    for i, grp in enumerate(grid.groups):
        value = grid.nearest(per_group_default.get(grp, start))
        t_groups.append(alt.param(
            name=f"t_g{i}", value=value,
            bind=alt.binding_range(min=lo, max=hi, step=step,
                                   name=f"Threshold ({grp}): ")))
    # nested ternary: the current group's own threshold
    expr = "t_all"
    for i in reversed(range(len(grid.groups))):
        expr = f"datum.group === {_js(grid.groups[i])} ? t_g{i} : ({expr})"
    current = f"mode === {_js(_MODES[1])} ? ({expr}) : t_all"
    at_current = f"abs(datum.threshold - datum.current) < {step / 2!r}"

    labels = {m: METRIC_LABELS[m] for m in metrics}
    label_expr = " : ".join(f"datum.key === {_js(m)} ? {_js(lab)}" for m, lab in labels.items())
    label_expr += " : datum.key"
    colour = alt.Color("group:N", title=group_label, sort=grid.groups,
                       legend=alt.Legend(orient="top", labelLimit=400))
    base = (alt.Chart(data)
            .transform_calculate(current=current)
            .transform_fold(metrics, as_=["key", "value"])
            .transform_calculate(metric=label_expr))

    now = base.transform_filter(at_current)
    bars = now.mark_bar().encode(
        x=alt.X("value:Q", title="rate at the current threshold",
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        y=alt.Y("metric:N", title=None, sort=list(labels.values())),
        yOffset=alt.YOffset("group:N", sort=grid.groups),
        color=colour,
        tooltip=[alt.Tooltip("group:N", title=group_label),
                 alt.Tooltip("metric:N", title="rate"),
                 alt.Tooltip("value:Q", title="value", format=".1%"),
                 alt.Tooltip("threshold:Q", title="threshold", format=fmt),
                 alt.Tooltip("n:Q", title="people")])
    text = now.mark_text(align="left", dx=3, fontSize=10).encode(
        x="value:Q", y=alt.Y("metric:N", sort=list(labels.values())),
        yOffset=alt.YOffset("group:N", sort=grid.groups),
        text=alt.Text("value:Q", format=".1%"), color=colour)
    top = (bars + text).properties(
        width=max(200, len(metrics) * (width + 40) + (len(metrics) - 1) * 12 - 110),
        height=max(90, 14 * len(metrics) * len(grid.groups)),
        title="Each group's rates at the current threshold(s)")

    panels = []
    for m in metrics:
        one = base.transform_filter(f"datum.key === {_js(m)}")
        line = one.mark_line().encode(
            x=alt.X("threshold:Q", title=score_label, scale=alt.Scale(domain=[lo, hi]),
                    axis=alt.Axis(titleLimit=width + 30)),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%")),
            color=colour,
            tooltip=[alt.Tooltip("group:N", title=group_label),
                     alt.Tooltip("threshold:Q", format=fmt),
                     alt.Tooltip("value:Q", title=labels[m], format=".1%")])
        point = one.transform_filter(at_current).mark_point(
            size=90, filled=True, stroke="black").encode(
            x="threshold:Q", y="value:Q", color=colour)
        panels.append((line + point).properties(width=width, height=height,
                                                title=labels[m].capitalize()))
    chart = alt.vconcat(top, alt.hconcat(*panels, spacing=12)).properties(title=title)
    return chart.add_params(mode, t_all, *t_groups)


def whatif_explorer(y_true, scores, sensitive_features, *, thresholds=None,
                    n_thresholds: int = 101, pos_label=1, **chart_kwargs):
    """:func:`threshold_grid` followed by :func:`whatif_chart`, in one call.

    Parameters are those of the two functions; returns the chart.
    """
    grid = threshold_grid(y_true, scores, sensitive_features, thresholds=thresholds,
                          n_thresholds=n_thresholds, pos_label=pos_label)
    return whatif_chart(grid, **chart_kwargs)


# --------------------------------------------------------------------------
# counterfactual flip
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class CounterfactualResult:
    """The outcome of :func:`counterfactual_flip`.

    Attributes
    ----------
    individual : pandas.DataFrame
        One row per person (index of ``X``): ``original``, ``flipped`` (the
        attribute's value before / after), ``score``, ``score_flipped``,
        ``delta`` (flipped − original), ``decision``, ``decision_flipped``
        (``score >= threshold``) and ``changed``.
    summary : pandas.DataFrame
        One row per original value that was flipped: ``flipped_to``, ``n``,
        ``mean_score``, ``mean_score_flipped``, ``mean_delta``,
        ``max_abs_delta``, ``flagged``, ``flagged_flipped``, ``newly_flagged``,
        ``no_longer_flagged`` and ``changed_share``.
    threshold : float
        The decision threshold used.
    """

    individual: pd.DataFrame
    summary: pd.DataFrame
    threshold: float


def counterfactual_flip(model, X: pd.DataFrame, column: str, mapping: dict, *,
                        threshold: float = 0.5) -> CounterfactualResult:
    """Score the same people with one attribute changed.

    Each row of ``X`` whose ``column`` value is a key of ``mapping`` gets the
    mapped value instead, everything else unchanged; the model scores both
    versions. A model that does not read ``column`` gives zero change — which
    says nothing about proxies: the other features still carry whatever
    information about ``column`` they had.

    Parameters
    ----------
    model : estimator
        A fitted binary classifier accepting ``X`` (e.g. a pipeline that
        encodes categoricals).
    X : pandas.DataFrame
        The people to score.
    column : str
        The attribute to change (e.g. ``"race"``).
    mapping : dict
        ``{original value: counterfactual value}``; rows with other values
        are left out of the result.
    threshold : float, default=0.5
        Decision threshold on the score (``score >= threshold`` is positive).

    Returns
    -------
    CounterfactualResult

    Examples
    --------
    >>> cf = counterfactual_flip(model, X_test, "race",  # doctest: +SKIP
    ...                          {"African-American": "Caucasian",
    ...                           "Caucasian": "African-American"})
    >>> cf.summary  # doctest: +SKIP
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
    if column not in X.columns:
        raise ValueError(f"column {column!r} not in X; columns: {list(X.columns)}")
    if not isinstance(mapping, dict) or not mapping:
        raise ValueError("mapping must be a non-empty dict {original: counterfactual}")
    original = X[column]
    present = set(pd.unique(original.astype(object).dropna()))
    missing = [k for k in mapping if k not in present]
    if missing:
        raise ValueError(f"mapping key(s) {missing} never occur in column {column!r}")
    if isinstance(original.dtype, pd.CategoricalDtype):
        bad = [v for v in mapping.values() if v not in original.cat.categories]
        if bad:
            raise ValueError(f"counterfactual value(s) {bad} are not categories of {column!r}")
    rows = original.astype(object).isin(list(mapping)).to_numpy()
    Xo = X.loc[rows]
    Xf = Xo.copy()
    new = Xo[column].astype(object).map(mapping)
    Xf[column] = (pd.Categorical(new, categories=original.cat.categories,
                                 ordered=original.cat.ordered)
                  if isinstance(original.dtype, pd.CategoricalDtype) else new.to_numpy())
    s0 = model_scores(model, Xo)
    s1 = model_scores(model, Xf)
    d0, d1 = s0 >= threshold, s1 >= threshold
    individual = pd.DataFrame({
        "original": Xo[column].astype(object).to_numpy(), "flipped": new.to_numpy(),
        "score": s0, "score_flipped": s1, "delta": s1 - s0,
        "decision": d0, "decision_flipped": d1, "changed": d0 != d1}, index=Xo.index)
    summary = (individual.groupby("original", sort=False)
               .agg(flipped_to=("flipped", "first"), n=("score", "size"),
                    mean_score=("score", "mean"),
                    mean_score_flipped=("score_flipped", "mean"),
                    mean_delta=("delta", "mean"),
                    max_abs_delta=("delta", lambda d: float(np.abs(d).max())),
                    flagged=("decision", "sum"),
                    flagged_flipped=("decision_flipped", "sum"),
                    newly_flagged=("changed", lambda c: int((c & ~individual.loc[c.index, "decision"]).sum())),
                    no_longer_flagged=("changed", lambda c: int((c & individual.loc[c.index, "decision"]).sum())),
                    changed_share=("changed", "mean")))
    summary = summary.reindex([k for k in mapping if k in summary.index])
    summary.index.name = column
    return CounterfactualResult(individual=individual, summary=summary,
                                threshold=float(threshold))
