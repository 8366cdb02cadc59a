"""Group fairness metrics with fairlearn's :class:`~fairlearn.metrics.MetricFrame`.

Each protected attribute (a column of ``sensitive``) is evaluated on its own:
for every group, how often the model says "yes" (selection rate), how often
it is right about those who deserve a "yes" (true positive rate) and how
often it wrongly says "yes" (false positive rate), and so on. The summary
differences are fairlearn's own:

* demographic-parity difference: largest gap in selection rate between groups;
* demographic-parity ratio: smallest selection rate divided by the largest;
* equalized-odds difference: the larger of the TPR gap and the FPR gap;
* equal-opportunity difference: the TPR gap alone.

API
---
``group_metrics(y_true, y_pred, sensitive)``
    Tidy frame: one row per attribute and group, one column per metric.
``fairness_differences(y_true, y_pred, sensitive)``
    One row per attribute with the differences above.
``fairness_report(model, X, y, sensitive, *, threshold=0.5)``
    Both, from a fitted model (:class:`FairnessReport`).
``plot_group_metrics(by_group, *, metrics=..., attributes=None)``
    Altair bars per group, panels wrapped two per row.
``group_rate_intervals(y_true, y_pred, sensitive, *, metrics=..., n_boot=500, seed=0)``
    Every group rate with its 95% bootstrap interval and the *signed* gap of
    each group to a reference group with the interval of the gap
    (:func:`xaibook.stats.group_rates`), with the group counts behind each.
``gap_text(table, attribute, group, metric)``
    One gap as prose: ``"-12.3 pp (95% CI -20.1 to -4.2; 59 vs 241 people)"``.
``plot_group_intervals(table, *, metrics=..., attributes=None)``
    Points with 95% interval bars per group, panels wrapped two per row.
``repeated_split_gaps(make_model, X, y, sensitive, *, n_splits=25, ...)``
    Refit on many stratified train/test splits and return every split's
    scores and signed gaps, to be reported as a distribution.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from xaibook.style import PALETTE, check_frame, check_rows, titled
from xaibook.tabular.models import check_model_input, check_target, predict_score, task_of

__all__ = ["METRICS", "METRIC_LABELS", "group_metrics", "fairness_differences", "FairnessReport",
           "fairness_report", "plot_group_metrics", "RATE_METRICS", "group_rate_intervals",
           "gap_text", "plot_group_intervals", "repeated_split_gaps"]

#: Metrics reported per group, in order.
METRICS = ["count", "selection_rate", "true_positive_rate", "false_positive_rate",
           "false_negative_rate", "precision", "accuracy"]
#: Readable names for charts and tables.
METRIC_LABELS = {
    "count": "People", "selection_rate": "Selection rate",
    "true_positive_rate": "True positive rate", "false_positive_rate": "False positive rate",
    "false_negative_rate": "False negative rate", "precision": "Precision", "accuracy": "Accuracy",
}


def _as_frame(sensitive, n: int) -> pd.DataFrame:
    if isinstance(sensitive, pd.Series):
        sensitive = sensitive.to_frame(name=sensitive.name or "group")
    elif isinstance(sensitive, dict):
        sensitive = pd.DataFrame(sensitive)
    elif not isinstance(sensitive, pd.DataFrame):
        sensitive = pd.DataFrame({"group": np.asarray(sensitive)})
    if sensitive.shape[1] == 0:
        raise ValueError("give at least one sensitive attribute")
    if len(sensitive) != n:
        raise ValueError(f"sensitive features have {len(sensitive)} rows but y has {n}")
    nan_cols = [c for c in sensitive.columns if sensitive[c].isna().any()]
    if nan_cols:
        raise ValueError(f"sensitive attribute(s) {nan_cols} have missing values")
    return sensitive.reset_index(drop=True)


def _binary(y, name: str) -> np.ndarray:
    y = np.asarray(y)
    if pd.isna(y).any():
        raise ValueError(f"{name} has missing values")
    values = set(np.unique(y).tolist())
    if not values <= {0, 1, True, False}:
        raise ValueError(f"{name} must be binary 0/1 (1 = the favourable/positive outcome), "
                         f"found values {sorted(map(str, values))[:5]}")
    return y.astype(int)


def _check(y_true, y_pred, sensitive):
    y_true = _binary(y_true, "y_true")
    y_pred = _binary(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} values but y_pred has {len(y_pred)}")
    return y_true, y_pred, _as_frame(sensitive, len(y_true))


def _metric_functions():
    from fairlearn.metrics import (count, false_negative_rate, false_positive_rate,
                                   selection_rate, true_positive_rate)
    from sklearn.metrics import accuracy_score, precision_score

    def precision(y_true, y_pred):
        return precision_score(y_true, y_pred, zero_division=np.nan)

    return {"count": count, "selection_rate": selection_rate,
            "true_positive_rate": true_positive_rate, "false_positive_rate": false_positive_rate,
            "false_negative_rate": false_negative_rate, "precision": precision,
            "accuracy": accuracy_score}


def _metric_frames(y_true, y_pred, sens):
    from fairlearn.metrics import MetricFrame
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for col in sens.columns:
            out[str(col)] = MetricFrame(metrics=_metric_functions(), y_true=y_true, y_pred=y_pred,
                                        sensitive_features=sens[col].astype(str).rename(str(col)))
    return out


def _by_group(frames) -> pd.DataFrame:
    parts = []
    for col, mf in frames.items():
        bg = mf.by_group.reset_index()
        bg = bg.rename(columns={bg.columns[0]: "group"})
        bg.insert(0, "attribute", col)
        parts.append(bg)
    out = pd.concat(parts, ignore_index=True)
    out["count"] = out["count"].astype(int)
    out["group"] = out["group"].astype(str)
    return out[["attribute", "group", *METRICS]]


def _differences(frames) -> pd.DataFrame:
    rows = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for col, mf in frames.items():
            diff, ratio = mf.difference(method="between_groups"), mf.ratio(method="between_groups")
            rows[col] = {
                # fairlearn's definitions (demographic_parity_difference/ratio,
                # equalized_odds_difference with agg="worst_case",
                # equal_opportunity_difference), read off the same MetricFrame
                "demographic_parity_difference": diff["selection_rate"],
                "demographic_parity_ratio": ratio["selection_rate"],
                "equalized_odds_difference": max(diff["true_positive_rate"], diff["false_positive_rate"]),
                "equal_opportunity_difference": diff["true_positive_rate"],
            }
    out = pd.DataFrame.from_dict(rows, orient="index").astype(float)
    out.index.name = "attribute"
    return out


def group_metrics(y_true, y_pred, sensitive) -> pd.DataFrame:
    """Per-group metrics of binary predictions, one protected attribute at a time.

    Parameters
    ----------
    y_true, y_pred : array-like of 0/1
        Observed outcome and prediction; 1 is the favourable/positive outcome
        (high income, good credit risk...).
    sensitive : Series, DataFrame or dict of array-likes
        One column per protected attribute (e.g. ``sex``, ``race``); each is
        evaluated separately, not their intersections (pass a combined column
        for those).

    Returns
    -------
    pandas.DataFrame
        Columns ``attribute``, ``group`` and :data:`METRICS` (``count``,
        ``selection_rate``, ``true_positive_rate``, ``false_positive_rate``,
        ``false_negative_rate``, ``precision`` (NaN for a group with no
        positive prediction) and ``accuracy``), computed by fairlearn's
        :class:`~fairlearn.metrics.MetricFrame`.
    """
    return _by_group(_metric_frames(*_check(y_true, y_pred, sensitive)))


def fairness_differences(y_true, y_pred, sensitive) -> pd.DataFrame:
    """fairlearn's summary disparities, one row per protected attribute.

    Returns
    -------
    pandas.DataFrame
        Index ``attribute``; columns ``demographic_parity_difference``,
        ``demographic_parity_ratio``, ``equalized_odds_difference`` and
        ``equal_opportunity_difference`` (0 means parity; for the ratio, 1).
        They are fairlearn's definitions, computed with
        :meth:`MetricFrame.difference` and :meth:`MetricFrame.ratio`
        (``method="between_groups"``).
    """
    return _differences(_metric_frames(*_check(y_true, y_pred, sensitive)))


@dataclass(frozen=True)
class FairnessReport:
    """Result of :func:`fairness_report`.

    Attributes
    ----------
    by_group : pandas.DataFrame
        See :func:`group_metrics`.
    differences : pandas.DataFrame
        See :func:`fairness_differences`.
    y_pred : numpy.ndarray
        The 0/1 predictions evaluated.
    """

    by_group: pd.DataFrame
    differences: pd.DataFrame
    y_pred: np.ndarray

    def metric(self, attribute: str, group: str, metric: str) -> float:
        """One number from ``by_group`` (handy for gluing into prose)."""
        row = self.by_group[(self.by_group["attribute"] == attribute)
                            & (self.by_group["group"] == str(group))]
        if row.empty:
            raise KeyError(f"no group {group!r} for attribute {attribute!r}")
        return float(row[metric].iloc[0])


def fairness_report(model, X, y, sensitive, *, threshold: float = 0.5) -> FairnessReport:
    """Predict with a fitted binary classifier and compute the group metrics.

    ``sensitive`` holds the protected attributes of the same rows; they need
    not be features of the model (that is the point of auditing a model
    trained "without" them). ``threshold`` is the probability above which a
    case is predicted positive.
    """
    X = check_model_input(model, X)
    if task_of(model) != "classification":
        raise ValueError("group fairness metrics need a binary classifier")
    y = check_target(y, X, task="classification")
    if not 0.0 < threshold < 1.0:
        raise ValueError("threshold must be between 0 and 1")
    y_pred = (predict_score(model, X) >= threshold).astype(int)
    frames = _metric_frames(*_check(y, y_pred, sensitive))
    return FairnessReport(_by_group(frames), _differences(frames), y_pred)


def plot_group_metrics(by_group: pd.DataFrame, *, metrics=("selection_rate", "true_positive_rate",
                                                            "false_positive_rate"),
                       attributes=None, title: str = "Group metrics",
                       subtitle: str | None = None, width: int = 200):
    """Bars of each metric per group, panels wrapped two per row, one block per attribute.

    Panels are at most 240 px wide so that two fit the text column (640 px).

    ``by_group`` comes from :func:`group_metrics` (several frames may be
    concatenated with an extra ``model`` column: bars are then grouped by model).
    """
    check_frame(by_group, ["attribute", "group", *metrics], name="by_group")
    attributes = list(dict.fromkeys(by_group["attribute"])) if attributes is None else list(attributes)
    keep = ["attribute", "group", "count", *(["model"] if "model" in by_group else [])]
    long = by_group[by_group["attribute"].isin(attributes)].melt(
        id_vars=[c for c in keep if c in by_group], value_vars=list(metrics),
        var_name="metric", value_name="value")
    long["metric"] = long["metric"].map(lambda m: METRIC_LABELS.get(m, m))
    long["value"] = long["value"].astype(float).round(4)
    check_rows(long)
    labels = [METRIC_LABELS.get(m, m) for m in metrics]
    charts = []
    for attr in attributes:
        data = long[long["attribute"] == attr]
        groups = list(dict.fromkeys(data["group"]))
        has_model = "model" in data
        enc = dict(
            x=alt.X("group:N", title="Group", sort=groups, axis=alt.Axis(labelAngle=-30, labelLimit=110)),
            y=alt.Y("value:Q", title="Rate", scale=alt.Scale(domain=[0, 1])),
            tooltip=["group:N", "metric:N", alt.Tooltip("value:Q", format=".3f"), "count:Q"]
            + (["model:N"] if has_model else []),
        )
        mark = {"color": PALETTE[0]}
        if has_model:
            models = list(dict.fromkeys(long["model"]))
            enc["color"] = alt.Color("model:N", title="Model",
                                     scale=alt.Scale(domain=models, range=(PALETTE * 3)[:len(models)]))
            enc["xOffset"] = alt.XOffset("model:N", sort=models)
            mark = {}
        chart = alt.Chart(data).mark_bar(**mark).encode(
            **enc, facet=alt.Facet("metric:N", title=f"{attr}", sort=labels, columns=2,
                                   header=alt.Header(labelFontWeight="bold")),
        ).properties(width=min(int(width), 240), height=140)
        charts.append(chart)
    out = charts[0] if len(charts) == 1 else alt.vconcat(*charts)
    return out.properties(title=titled(title, subtitle))


# ------------------------------------------------------- rates with intervals
#: Rates with a bootstrap interval: (values, rows that enter the rate) from (y_true, y_pred).
RATE_METRICS = {
    "selection_rate": lambda t, p: (p, np.ones(len(p), bool)),
    "true_positive_rate": lambda t, p: (p, t == 1),
    "false_positive_rate": lambda t, p: (p, t == 0),
    "false_negative_rate": lambda t, p: (1 - p, t == 1),
    "base_rate": lambda t, p: (t, np.ones(len(t), bool)),
}


def group_rate_intervals(y_true, y_pred, sensitive, *,
                         metrics=("selection_rate", "true_positive_rate", "false_positive_rate",
                                  "false_negative_rate"),
                         reference=None, n_boot: int = 500, seed: int = 0,
                         level: float = 0.95) -> pd.DataFrame:
    """Group rates with bootstrap intervals and signed gaps to a reference group.

    Each rate is computed by :func:`xaibook.stats.group_rates` (rows resampled
    jointly, so the interval of a gap is the bootstrap distribution of the
    gap itself, not a guess from two overlapping intervals).

    Parameters
    ----------
    y_true, y_pred : array-like of 0/1
        Observed outcome and prediction (1 = favourable).
    sensitive : Series, DataFrame or dict
        One column per protected attribute, each evaluated on its own.
    metrics : sequence of str
        Keys of :data:`RATE_METRICS`: ``selection_rate`` (share predicted 1),
        ``true_positive_rate`` (among y = 1), ``false_positive_rate`` (among
        y = 0), ``false_negative_rate`` (among y = 1) and ``base_rate`` (share
        with y = 1, the labels' own gap).
    reference : label or dict, optional
        Reference group per attribute (``{"sex": "Male"}``); default: the
        largest group of each attribute.
    n_boot, seed, level
        Bootstrap resamples, seed and coverage.

    Returns
    -------
    pandas.DataFrame
        One row per attribute, metric and group: ``attribute``, ``metric``,
        ``group``, ``reference``, ``n`` (rows entering the rate), ``n_ref``,
        ``rate``, ``low``, ``high``, ``gap`` (``rate - rate(reference)``,
        signed), ``gap_low``, ``gap_high`` and ``gap_real`` (the gap's
        interval excludes zero). The reference row has gap 0, no interval.
    """
    from xaibook.stats import group_rates
    y_true, y_pred, sens = _check(y_true, y_pred, sensitive)
    unknown = [m for m in metrics if m not in RATE_METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; choose from {sorted(RATE_METRICS)}")
    if int(n_boot) < 50:
        raise ValueError("n_boot must be at least 50 for a 95% interval")
    parts = []
    for col in sens.columns:
        groups = sens[col].astype(str).to_numpy()
        ref = reference.get(col) if isinstance(reference, dict) else reference
        if ref is None:
            ref = pd.Series(groups).value_counts().index[0]
        for metric in metrics:
            values, mask = RATE_METRICS[metric](y_true, y_pred)
            table = group_rates(values, groups, reference=str(ref), n_boot=int(n_boot), seed=seed,
                                level=level, mask=mask, name=metric)
            table.insert(0, "attribute", str(col))
            table["reference"] = str(ref)
            table["n_ref"] = int(table.loc[table["group"] == str(ref), "n"].iloc[0])
            parts.append(table)
    out = pd.concat(parts, ignore_index=True)
    out["group"] = out["group"].astype(str)
    return out[["attribute", "metric", "group", "reference", "n", "n_ref", "rate", "low", "high",
                "gap", "gap_low", "gap_high", "gap_real"]]


def _row(table: pd.DataFrame, attribute: str, group: str, metric: str) -> pd.Series:
    row = table[(table["attribute"] == attribute) & (table["group"] == str(group))
                & (table["metric"] == metric)]
    if row.empty:
        raise KeyError(f"no row for attribute {attribute!r}, group {group!r}, metric {metric!r}; "
                       f"groups are {sorted(set(table['group']))}")
    return row.iloc[0]


def gap_text(table: pd.DataFrame, attribute: str, group: str, metric: str, *,
             digits: int = 1) -> str:
    """One signed gap, in percentage points, with its interval and the counts behind it."""
    r = _row(table, attribute, group, metric)

    def f(v):
        v = 100 * float(v)
        v = 0.0 if round(v, digits) == 0 else v     # never print "-0.0"
        return f"{v:+.{digits}f}"

    return (f"{f(r['gap'])} pp (95% CI {f(r['gap_low'])} to {f(r['gap_high'])}; "
            f"{int(r['n']):,} vs {int(r['n_ref']):,} people)")


def rate_text(table: pd.DataFrame, attribute: str, group: str, metric: str, *,
              digits: int = 1) -> str:
    """One group rate as ``"23.4% (95% CI 20.1 to 26.0%, n = 512)"``."""
    r = _row(table, attribute, group, metric)
    return (f"{100 * r['rate']:.{digits}f}% (95% CI {100 * r['low']:.{digits}f} to "
            f"{100 * r['high']:.{digits}f}%, n = {int(r['n']):,})")


__all__.append("rate_text")


def plot_group_intervals(table: pd.DataFrame, *, metrics=None, attributes=None,
                         title: str = "Group rates with 95% intervals",
                         subtitle: str | None = None, width: int = 220) -> alt.Chart:
    """Each group's rate as a point with its 95% bootstrap interval.

    ``table`` comes from :func:`group_rate_intervals` (several may be
    concatenated with a ``model`` column: points are then offset by model).
    Panels (one per metric) wrap two per row and are at most 240 px wide, so
    with 120 px of group labels the chart fits a 640 px column and can be
    read on a phone.
    """
    check_frame(table, ["attribute", "metric", "group", "n", "rate", "low", "high"], name="table")
    metrics = list(dict.fromkeys(table["metric"])) if metrics is None else list(metrics)
    attributes = (list(dict.fromkeys(table["attribute"])) if attributes is None
                  else list(attributes))
    data = table[table["metric"].isin(metrics) & table["attribute"].isin(attributes)].copy()
    check_rows(data)
    data["metric_label"] = data["metric"].map(lambda m: METRIC_LABELS.get(m, m.replace("_", " ")
                                                                          .capitalize()))
    for c in ("rate", "low", "high"):
        data[c] = data[c].astype(float).round(4)
    labels = [METRIC_LABELS.get(m, m.replace("_", " ").capitalize()) for m in metrics]
    has_model = "model" in data
    charts = []
    for attr in attributes:
        d = data[data["attribute"] == attr]
        groups = list(dict.fromkeys(d["group"]))
        y = alt.Y("group:N", title=None, sort=groups, axis=alt.Axis(labelLimit=120))
        extra = {}
        color = alt.value(PALETTE[0])
        if has_model:
            models = list(dict.fromkeys(data["model"]))
            extra = {"yOffset": alt.YOffset("model:N", sort=models)}
            color = alt.Color("model:N", title="Model", legend=alt.Legend(orient="bottom"),
                              scale=alt.Scale(domain=models, range=(PALETTE * 3)[:len(models)]))
        tooltip = ["group:N", "metric_label:N", alt.Tooltip("rate:Q", format=".3f"),
                   alt.Tooltip("low:Q", format=".3f"), alt.Tooltip("high:Q", format=".3f"),
                   alt.Tooltip("n:Q", format=",d")] + (["model:N"] if has_model else [])
        base = alt.Chart().encode(y=y, color=color, tooltip=tooltip, **extra)
        layer = alt.layer(
            base.mark_rule(strokeWidth=2).encode(
                x=alt.X("low:Q", title="Rate (95% interval)", scale=alt.Scale(domain=[0, 1]),
                        axis=alt.Axis(format="%", tickCount=5)), x2="high:Q"),
            base.mark_point(filled=True, size=45).encode(x="rate:Q"),
            data=d,
        ).properties(width=min(int(width), 240), height=max(50, 22 * len(groups)
                                                            * (1 + 0.5 * has_model)))
        charts.append(layer.facet(
            facet=alt.Facet("metric_label:N", title=str(attr), sort=labels,
                            header=alt.Header(labelFontWeight="bold")), columns=2))
    out = charts[0] if len(charts) == 1 else alt.vconcat(*charts)
    return out.properties(title=titled(title, subtitle))


def repeated_split_gaps(make_model, X: pd.DataFrame, y, sensitive, *, n_splits: int = 25,
                        test_size: float = 0.3, threshold: float = 0.5, seed: int = 0,
                        metrics=("selection_rate", "true_positive_rate", "false_positive_rate",
                                 "false_negative_rate"), reference=None) -> pd.DataFrame:
    """Refit a model on many stratified train/test splits; every split's signed gaps.

    On small data (German credit's 1,000 rows) one split is one draw of many
    possible; this function returns the whole distribution, to be summarised
    with :func:`xaibook.stats.summarise`.

    Parameters
    ----------
    make_model : callable
        ``make_model(X_train)`` returns an unfitted estimator for the raw frame.
    X, y
        Features and 0/1 target.
    sensitive : DataFrame
        Protected attributes of the same rows (same index as ``X``); need not
        be features.
    n_splits, test_size, seed
        Number of splits (stratified on ``y``, seeds ``seed .. seed+n_splits-1``).
    reference : dict, optional
        Reference group per attribute; default: the largest group overall.

    Returns
    -------
    pandas.DataFrame
        One row per split, attribute, metric and group: ``split``,
        ``attribute``, ``metric``, ``group``, ``reference``, ``n``, ``rate``,
        ``gap`` (signed, to the reference), ``roc_auc`` and ``accuracy`` of the
        split's model.
    """
    from sklearn.metrics import accuracy_score, roc_auc_score
    from xaibook.tabular.models import train_test_split_frame
    if int(n_splits) < 2:
        raise ValueError("n_splits must be at least 2 to describe a distribution")
    y = pd.Series(np.asarray(y), index=X.index)
    sens = sensitive if isinstance(sensitive, pd.DataFrame) else pd.DataFrame(sensitive)
    if not sens.index.equals(X.index):
        raise ValueError("sensitive must have the same index as X (the same rows)")
    refs = {c: (reference or {}).get(c, sens[c].astype(str).value_counts().index[0])
            for c in sens.columns}
    rows = []
    for k in range(int(n_splits)):
        X_tr, X_te, y_tr, y_te = train_test_split_frame(X, y, test_size=test_size,
                                                        random_state=seed + k)
        model = make_model(X_tr).fit(X_tr, y_tr)
        score = predict_score(model, X_te)
        pred = (score >= threshold).astype(int)
        t = y_te.to_numpy().astype(int)
        auc, acc = roc_auc_score(t, score), accuracy_score(t, pred)
        for col in sens.columns:
            g = sens.loc[X_te.index, col].astype(str).to_numpy()
            for metric in metrics:
                values, mask = RATE_METRICS[metric](t, pred)
                rate = {}
                for label in pd.unique(g):
                    sel = (g == label) & mask
                    rate[label] = values[sel].mean() if sel.any() else np.nan
                for label, r in rate.items():
                    rows.append({"split": k, "attribute": str(col), "metric": metric,
                                 "group": str(label), "reference": refs[col],
                                 "n": int(((g == label) & mask).sum()), "rate": r,
                                 "gap": r - rate.get(refs[col], np.nan),
                                 "roc_auc": auc, "accuracy": acc})
    return pd.DataFrame(rows)


def plot_split_gaps(frame: pd.DataFrame, *, title: str = "Gaps over repeated splits",
                    subtitle: str | None = None, width: int = 400) -> alt.Chart:
    """One dot per split and metric (signed gap), with the median and central 95% of splits.

    ``frame`` is (a subset of) :func:`repeated_split_gaps` for one group,
    optionally with a ``model`` column (dots offset and coloured by model).
    """
    check_frame(frame, ["split", "metric", "gap"], name="frame")
    data = frame.copy()
    if "model" not in data:
        data["model"] = "model"
    data = data[np.isfinite(data["gap"].astype(float))]
    data["metric_label"] = data["metric"].map(lambda m: METRIC_LABELS.get(m, m))
    data["gap"] = data["gap"].astype(float).round(4)
    labels = list(dict.fromkeys(data["metric_label"]))
    models = list(dict.fromkeys(data["model"]))
    summ = (data.groupby(["metric_label", "model"])["gap"]
            .agg(median="median", low=lambda v: np.quantile(v, 0.025),
                 high=lambda v: np.quantile(v, 0.975)).reset_index().round(4))
    check_rows(data)
    y = alt.Y("metric_label:N", sort=labels, title=None, axis=alt.Axis(labelLimit=140))
    color = alt.Color("model:N", title="Model", legend=alt.Legend(orient="bottom"),
                      scale=alt.Scale(domain=models, range=(PALETTE * 3)[:len(models)]))
    off = alt.YOffset("model:N", sort=models)
    x = alt.X("gap:Q", title="Signed gap (percentage points of rate)", axis=alt.Axis(format="+%"))
    dots = alt.Chart(data[["metric_label", "model", "gap", "split"]]).mark_circle(
        size=22, opacity=0.55).encode(x=x, y=y, yOffset=off, color=color,
                                      tooltip=["metric_label:N", "model:N", "split:Q",
                                               alt.Tooltip("gap:Q", format="+.3f")])
    rules = alt.Chart(summ).mark_rule(strokeWidth=2).encode(
        x="low:Q", x2="high:Q", y=y, yOffset=off, color=color)
    ticks = alt.Chart(summ).mark_tick(thickness=3, size=14, color="#222").encode(
        x="median:Q", y=y, yOffset=off,
        tooltip=["metric_label:N", "model:N", alt.Tooltip("median:Q", format="+.3f")])
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#999", strokeDash=[4, 4]).encode(x="x:Q")
    return (zero + rules + dots + ticks).properties(
        width=min(int(width), 440), height=max(80, 26 * len(labels) * max(1, len(models)) ** 0.8),
        title=titled(title, subtitle))


__all__.append("plot_split_gaps")


def gap_change(y_true, pred_a, pred_b, groups, *, group, reference, metric: str = "selection_rate",
               n_boot: int = 300, seed: int = 0):
    """Paired bootstrap of how a signed gap changes between two models on the same rows.

    Returns the :class:`xaibook.stats.Interval` of
    ``gap_b - gap_a``, where ``gap = rate(group) - rate(reference)`` of ``metric``
    (see :data:`RATE_METRICS`) for predictions ``pred_a`` and ``pred_b``.
    Negative when model b's gap is lower (more negative); compare with the
    sign of the gaps themselves to read "narrower".
    """
    from xaibook.stats import bootstrap
    if metric not in RATE_METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose from {sorted(RATE_METRICS)}")
    t = _binary(y_true, "y_true")
    a, b = _binary(pred_a, "pred_a"), _binary(pred_b, "pred_b")
    g = np.asarray(groups).astype(str)
    if not (len(t) == len(a) == len(b) == len(g)):
        raise ValueError("y_true, pred_a, pred_b and groups must have the same length")
    for label in (group, reference):
        if str(label) not in set(g):
            raise ValueError(f"group {label!r} not among {sorted(set(g))}")

    def gap(t_, p_, g_):
        v, m = RATE_METRICS[metric](t_, p_)
        s1, s0 = (g_ == str(group)) & m, (g_ == str(reference)) & m
        if not s1.any() or not s0.any():
            return np.nan
        return v[s1].mean() - v[s0].mean()

    return bootstrap(lambda t_, a_, b_, g_: gap(t_, b_, g_) - gap(t_, a_, g_), t, a, b, g,
                     n_boot=n_boot, seed=seed)


__all__.append("gap_change")
