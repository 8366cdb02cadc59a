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
    Altair bars per group, one panel per attribute.
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
           "fairness_report", "plot_group_metrics"]

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
    """Bars of each metric per group, one row of panels per protected attribute.

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
            **enc, column=alt.Column("metric:N", title=f"{attr}", sort=labels,
                                     header=alt.Header(labelFontWeight="bold")),
        ).properties(width=width, height=160)
        charts.append(chart)
    out = charts[0] if len(charts) == 1 else alt.vconcat(*charts)
    return out.properties(title=titled(title, subtitle))
