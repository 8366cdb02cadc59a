"""Bias mitigation with fairlearn, priced honestly on held-out data.

Every method is fitted on the training rows (post-processing on a validation
part of them) and judged on the held-out test rows, with bootstrap intervals
from :mod:`xaibook.stats`. What fairlearn 0.15 does (read from its source):

``ThresholdOptimizer`` (post-processing, Hardt, Price and Srebro 2016)
    keeps a fitted scorer and chooses, *per group*, a threshold on its score
    (or a random mix of two thresholds) that maximises accuracy subject to
    equal selection rates (demographic parity) or equal true- and
    false-positive rates (equalized odds) on the rows it is fitted on. Its
    ``predict`` needs the sensitive attribute of every row and a random state.
``ExponentiatedGradient`` (reductions, Agarwal et al. 2018)
    reweights and relabels the training rows by Lagrange multipliers and
    refits the base estimator up to ``max_iter`` times; the result is a
    *random mixture* of the fitted classifiers (``predict`` draws one per row).
    The sensitive attribute is needed to fit, not to predict.
``GridSearch`` (reductions)
    fits one reweighted/relabelled model per multiplier on a grid and keeps the
    one minimising ``(1 - w) * error + w * max constraint violation``
    (``constraint_weight`` ``w``). When the relabelled target has a single
    value, fairlearn fits a ``DummyClassifier`` that predicts that constant:
    the grid's far ends are often one-class models (see :func:`degeneracy`).
``CorrelationRemover`` (pre-processing)
    replaces each non-sensitive column by its residual after a least-squares
    regression on the centred sensitive columns, and drops the sensitive
    columns: it removes *linear correlation* with the group, not dependence.
    The sensitive attribute is needed at prediction time too (to transform).

None of them can repair a biased label: they equalise error rates measured
against the recorded outcome. :func:`run_mitigations` can take the real label
as well (known in a planted experiment) to show the difference.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from xaibook.stats import Interval, bootstrap, group_rates
from xaibook.tabular.models import make_preprocessor

__all__ = [
    "METHODS", "MitigationTask", "MethodResult", "Degeneracy", "MitigationResult",
    "prepare_task", "degeneracy", "error_rates", "run_mitigations", "tradeoff_curve",
    "tradeoff_chart", "summary_table", "proxy_flip_rate",
]

#: The methods compared, in table order, with what each needs at prediction time.
METHODS = {
    "unmitigated": "features only",
    "threshold, equalized odds": "features + sensitive attribute + random draw",
    "threshold, demographic parity": "features + sensitive attribute + random draw",
    "exponentiated gradient, equalized odds": "features + random draw (mixture)",
    "grid search, equalized odds": "features only",
    "correlation remover": "features + sensitive attribute (to transform)",
}


@dataclass(frozen=True)
class MitigationTask:
    """A binary task split for mitigation: encoded features, labels, groups.

    Attributes
    ----------
    name : str
    X_fit, X_val, X_test : pandas.DataFrame
        raw feature frames (the sensitive attribute is *not* among them);
        ``X_val`` is the part of the training rows kept for post-processing.
    y_fit, y_val, y_test : numpy.ndarray
        0/1 labels (the recorded outcome).
    s_fit, s_val, s_test : numpy.ndarray
        group labels (str).
    true_test : numpy.ndarray or None
        the real label of the test rows, when it is known (planted bias).
    """

    name: str
    X_fit: pd.DataFrame
    X_val: pd.DataFrame
    X_test: pd.DataFrame
    y_fit: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray
    s_fit: np.ndarray
    s_val: np.ndarray
    s_test: np.ndarray
    true_test: np.ndarray | None = None

    @property
    def groups(self) -> list[str]:
        return sorted(pd.unique(self.s_test))


def prepare_task(frame: pd.DataFrame, *, target: str, sensitive: str, features, name: str,
                 test_size: float = 0.3, val_size: float = 0.3, seed: int = 0,
                 true_label: str | None = None) -> MitigationTask:
    """Split a frame into fit / validation / test parts, stratified by group and label.

    Parameters
    ----------
    frame : pandas.DataFrame
        one row per person with ``target`` (0/1), ``sensitive`` and ``features``.
    target, sensitive : str
        label and group columns; ``sensitive`` must not be among ``features``.
    features : list of str
        the model's inputs.
    test_size, val_size : float
        held-out share of all rows; validation share of the remaining rows.
    true_label : str, optional
        column with the real label (planted experiments only).
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    features = list(features)
    missing = [c for c in [target, sensitive, *features] + ([true_label] if true_label else [])
               if c not in frame.columns]
    if missing:
        raise KeyError(f"column(s) {missing} not in the frame; it has {list(frame.columns)}")
    if sensitive in features:
        raise ValueError(f"{sensitive!r} is the sensitive attribute; leave it out of features "
                         "(the methods that use it get it separately)")
    y = frame[target].to_numpy()
    if set(np.unique(y)) - {0, 1}:
        raise ValueError(f"{target!r} must be 0/1, found {sorted(np.unique(y))[:5]}")
    s = frame[sensitive].astype(str).to_numpy()
    if len(np.unique(s)) < 2:
        raise ValueError(f"{sensitive!r} has a single group; mitigation needs two or more")
    strata = pd.Series(s).str.cat(pd.Series(y).astype(str), sep="|").to_numpy()
    idx = np.arange(len(frame))
    rest, test = train_test_split(idx, test_size=test_size, random_state=seed, stratify=strata)
    fit, val = train_test_split(rest, test_size=val_size, random_state=seed, stratify=strata[rest])
    X = frame[features].reset_index(drop=True)
    true = frame[true_label].to_numpy()[test].astype(int) if true_label else None
    return MitigationTask(name, X.iloc[fit], X.iloc[val], X.iloc[test],
                          y[fit].astype(int), y[val].astype(int), y[test].astype(int),
                          s[fit], s[val], s[test], true)


@dataclass(frozen=True)
class Degeneracy:
    """Whether a set of predictions is degenerate (one class overall or in a group)."""

    degenerate: bool
    reason: str
    positive_rate: float
    group_positive_rate: dict


def degeneracy(pred, groups, *, y_true=None, tolerance: float = 0.0) -> Degeneracy:
    """Detect predictions that say one class (overall, or within a group).

    A "fair" model that calls everybody low risk has equal error rates and is
    useless; such results must be reported as failures, not as successes.

    Parameters
    ----------
    pred : array-like of 0/1
    groups : array-like
    y_true : array-like of 0/1, optional
        with labels, a model whose accuracy does not beat the constant
        "majority class" prediction also counts as degenerate.
    tolerance : float
        a positive rate within ``tolerance`` of 0 or 1 counts as one class.
    """
    pred = np.asarray(pred).astype(float)
    groups = np.asarray(groups)
    if pred.shape != groups.shape or pred.size == 0:
        raise ValueError("pred and groups must be non-empty and of the same length")
    rate = float(pred.mean())
    by = {str(g): float(pred[groups == g].mean()) for g in pd.unique(groups)}

    def one_class(r):
        return r <= tolerance or r >= 1 - tolerance

    if one_class(rate):
        label = "positive" if rate >= 0.5 else "negative"
        return Degeneracy(True, f"predicts {label} for every row", rate, by)
    stuck = [g for g, r in by.items() if one_class(r)]
    if stuck:
        return Degeneracy(True, f"predicts a single class within group(s) {stuck}", rate, by)
    if y_true is not None:
        y_true = np.asarray(y_true).astype(float)
        majority = max(y_true.mean(), 1 - y_true.mean())
        if np.mean(pred == y_true) <= majority:
            return Degeneracy(True, "no more accurate than always predicting the majority class",
                              rate, by)
    return Degeneracy(False, "predicts both classes in every group", rate, by)


def error_rates(y_true, pred, groups, *, n_boot: int = 300, seed: int = 0) -> pd.DataFrame:
    """Selection, false-positive and false-negative rate per group, with intervals.

    :func:`xaibook.stats.group_rates` of each rate; the ``gap`` columns are
    each group's rate minus the largest group's, with the gap's interval.
    """
    y_true, pred, groups = np.asarray(y_true), np.asarray(pred).astype(float), np.asarray(groups)
    parts = [group_rates(pred, groups, n_boot=n_boot, seed=seed, name="selection rate"),
             group_rates(pred, groups, mask=y_true == 0, n_boot=n_boot, seed=seed,
                         name="false positive rate"),
             group_rates(1 - pred, groups, mask=y_true == 1, n_boot=n_boot, seed=seed,
                         name="false negative rate")]
    return pd.concat(parts, ignore_index=True)


def _accuracy(y, p):
    return float(np.mean(np.asarray(y) == np.asarray(p)))


def _eo_gap(y, p, g):
    """Equalized odds difference: the larger of the FPR and TPR gaps (max over group pairs)."""
    gaps = []
    for positive in (0, 1):
        rates = [p[(g == k) & (y == positive)].mean() for k in np.unique(g)
                 if np.any((g == k) & (y == positive))]
        if len(rates) < 2:
            return np.nan
        gaps.append(max(rates) - min(rates))
    return float(max(gaps))


def _dp_gap(p, g):
    rates = [p[g == k].mean() for k in np.unique(g)]
    return float(max(rates) - min(rates)) if len(rates) > 1 else np.nan


@dataclass(frozen=True)
class MethodResult:
    """One method's held-out predictions and scores.

    ``accuracy``, ``eo_gap`` (equalized odds difference) and ``dp_gap``
    (demographic parity difference) are bootstrap intervals on the test rows;
    ``*_true`` the same against the real label (when known).
    """

    method: str
    needs: str
    pred: np.ndarray = field(repr=False)
    accuracy: Interval
    eo_gap: Interval
    dp_gap: Interval
    rates: pd.DataFrame | None = field(repr=False)
    degeneracy: Degeneracy
    accuracy_true: Interval | None = None
    eo_gap_true: Interval | None = None


@dataclass(frozen=True)
class MitigationResult:
    """Everything :func:`run_mitigations` computed for one task."""

    task: MitigationTask = field(repr=False)
    methods: dict
    grid: object = field(repr=False)
    encoder: object = field(repr=False)
    predict: dict = field(repr=False)

    def table(self) -> pd.DataFrame:
        return summary_table(self)


def _encode(task: MitigationTask):
    enc = make_preprocessor(task.X_fit).fit(task.X_fit)
    return enc, {part: np.asarray(enc.transform(getattr(task, f"X_{part}")), dtype=float)
                 for part in ("fit", "val", "test")}


def _with_group(Z, s, groups):
    """Append one 0/1 column per group but the first (for CorrelationRemover)."""
    cols = [(s == g).astype(float)[:, None] for g in groups[1:]]
    return np.hstack([Z, *cols])


def run_mitigations(task: MitigationTask, *, seed: int = 0, n_boot: int = 200,
                    grid_size: int = 15, eg_max_iter: int = 15,
                    methods=tuple(METHODS), with_rates: bool = False) -> MitigationResult:
    """Fit each method of :data:`METHODS` on ``task`` and score it on the test rows.

    The base estimator is a logistic regression on the one-hot encoded
    features (fast, and one model family for every method). The
    post-processing thresholds are fitted on the validation rows, everything
    else on the fit rows; the test rows are touched only to score.
    ``with_rates`` also computes each group's error rates with intervals
    (:func:`error_rates`) for every method (slower; otherwise ``rates`` is None).
    """
    from fairlearn.postprocessing import ThresholdOptimizer
    from fairlearn.preprocessing import CorrelationRemover
    from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient, GridSearch

    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from {list(METHODS)}")
    enc, Z = _encode(task)
    groups = task.groups

    def base():
        return LogisticRegression(max_iter=500)

    lr = base().fit(Z["fit"], task.y_fit)
    predict, grid = {}, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in methods:
            if method == "unmitigated":
                predict[method] = lambda Zx, s, m=lr: m.predict(Zx)
            elif method.startswith("threshold"):
                constraint = "equalized_odds" if "odds" in method else "demographic_parity"
                to = ThresholdOptimizer(estimator=lr, constraints=constraint, prefit=True,
                                        predict_method="predict_proba")
                to.fit(Z["val"], task.y_val, sensitive_features=task.s_val)
                predict[method] = lambda Zx, s, m=to: m.predict(Zx, sensitive_features=s,
                                                                random_state=seed)
            elif method.startswith("exponentiated"):
                eg = ExponentiatedGradient(base(), EqualizedOdds(), max_iter=eg_max_iter)
                eg.fit(Z["fit"], task.y_fit, sensitive_features=task.s_fit)
                predict[method] = lambda Zx, s, m=eg: m.predict(Zx, random_state=seed)
            elif method.startswith("grid"):
                grid = GridSearch(base(), EqualizedOdds(), grid_size=grid_size)
                grid.fit(Z["fit"], task.y_fit, sensitive_features=task.s_fit)
                predict[method] = lambda Zx, s, m=grid: m.predict(Zx)
            elif method == "correlation remover":
                n = Z["fit"].shape[1]
                ids = list(range(n, n + len(groups) - 1))
                cr = CorrelationRemover(sensitive_feature_ids=ids, alpha=1.0)
                cr.fit(_with_group(Z["fit"], task.s_fit, groups))
                model = base().fit(cr.transform(_with_group(Z["fit"], task.s_fit, groups)),
                                   task.y_fit)
                predict[method] = lambda Zx, s, m=model, c=cr: m.predict(
                    c.transform(_with_group(Zx, np.asarray(s), groups)))

    results = {}
    y, g = task.y_test, task.s_test
    for method in methods:
        p = np.asarray(predict[method](Z["test"], g)).astype(int)
        acc = bootstrap(_accuracy, y, p, n_boot=n_boot, seed=seed)
        eo = bootstrap(_eo_gap, y, p, g, n_boot=n_boot, seed=seed)
        dp = bootstrap(_dp_gap, p, g, n_boot=n_boot, seed=seed)
        acc_t = eo_t = None
        if task.true_test is not None:
            acc_t = bootstrap(_accuracy, task.true_test, p, n_boot=n_boot, seed=seed)
            eo_t = bootstrap(_eo_gap, task.true_test, p, g, n_boot=n_boot, seed=seed)
        results[method] = MethodResult(method, METHODS[method], p, acc, eo, dp,
                                       error_rates(y, p, g, n_boot=n_boot, seed=seed)
                                       if with_rates else None,
                                       degeneracy(p, g, y_true=y), acc_t, eo_t)
    wrapped = {m: (lambda X, s, f=predict[m]: np.asarray(
        f(np.asarray(enc.transform(X), dtype=float), np.asarray(s)))) for m in methods}
    return MitigationResult(task, results, grid, enc, wrapped)


def summary_table(result: MitigationResult) -> pd.DataFrame:
    """One row per method: accuracy and gaps with intervals, needs, degeneracy."""
    rows = []
    for m, r in result.methods.items():
        row = {"method": m, "accuracy": r.accuracy.estimate, "acc_low": r.accuracy.low,
               "acc_high": r.accuracy.high, "eo_gap": r.eo_gap.estimate,
               "eo_low": r.eo_gap.low, "eo_high": r.eo_gap.high, "dp_gap": r.dp_gap.estimate,
               "dp_low": r.dp_gap.low, "dp_high": r.dp_gap.high,
               "needs at prediction": r.needs, "degenerate": r.degeneracy.degenerate}
        if r.accuracy_true is not None:
            row.update({"accuracy_true": r.accuracy_true.estimate,
                        "eo_gap_true": r.eo_gap_true.estimate})
        rows.append(row)
    return pd.DataFrame(rows)


def tradeoff_curve(result: MitigationResult) -> pd.DataFrame:
    """Every GridSearch model scored on the test rows: the accuracy–disparity trade-off.

    Columns: ``index`` (grid point), ``accuracy``, ``eo_gap``, ``dp_gap``,
    ``degenerate`` (one class, see :func:`degeneracy`), ``selected`` (the
    model GridSearch chose on the *fit* rows).
    """
    grid = result.grid
    if grid is None:
        raise ValueError("run_mitigations was run without 'grid search, equalized odds'")
    task = result.task
    Zt = np.asarray(result.encoder.transform(task.X_test), dtype=float)
    rows = []
    for i, est in enumerate(grid.predictors_):
        p = np.asarray(est.predict(Zt)).astype(int)
        rows.append({"index": i, "accuracy": _accuracy(task.y_test, p),
                     "eo_gap": _eo_gap(task.y_test, p, task.s_test),
                     "dp_gap": _dp_gap(p, task.s_test),
                     "degenerate": degeneracy(p, task.s_test, y_true=task.y_test).degenerate,
                     "selected": i == grid.best_idx_})
    return pd.DataFrame(rows)


def tradeoff_chart(curve: pd.DataFrame, methods: pd.DataFrame, *, title: str, width: int = 300,
                   height: int = 240):
    """Accuracy against the equalized odds gap: grid models (dots) and the methods (labels)."""
    import altair as alt

    grid = curve.assign(kind=np.where(curve["degenerate"], "grid model, degenerate",
                                      "grid model"))
    dots = alt.Chart(grid).mark_point(filled=True, size=40, opacity=0.6).encode(
        x=alt.X("eo_gap:Q", title="equalized odds gap", axis=alt.Axis(format=".2f")),
        y=alt.Y("accuracy:Q", title="test accuracy", scale=alt.Scale(zero=False),
                axis=alt.Axis(format=".2f")),
        shape=alt.Shape("kind:N", title=None, legend=alt.Legend(orient="bottom", columns=1)),
        color=alt.value("#999999"),
        tooltip=[alt.Tooltip("accuracy:Q", format=".3f"), alt.Tooltip("eo_gap:Q", format=".3f")])
    m = methods.rename(columns={"eo_gap": "eo"})
    points = alt.Chart(m).mark_point(filled=True, size=80).encode(
        x="eo:Q", y="accuracy:Q",
        color=alt.Color("method:N", title=None, legend=alt.Legend(orient="bottom", columns=1)),
        tooltip=["method", alt.Tooltip("accuracy:Q", format=".3f"),
                 alt.Tooltip("eo:Q", format=".3f")])
    bars = alt.Chart(m).mark_rule().encode(x="eo_low:Q", x2="eo_high:Q", y="accuracy:Q",
                                           color=alt.Color("method:N", legend=None))
    return alt.layer(dots, bars, points).resolve_scale(color="independent", shape="independent") \
        .properties(width=width, height=height, title=title)


def proxy_flip_rate(predict, X: pd.DataFrame, s, column: str, *, seed: int = 0,
                    per_row: bool = False):
    """Share of predictions that change when ``column`` is shuffled across rows.

    The table's colour-swap test: a model that ignores the proxy flips none.
    ``predict(X, s)`` is one entry of :attr:`MitigationResult.predict`.
    ``per_row=True`` returns the 0/1 flip of every row instead (for intervals).
    """
    if column not in X.columns:
        raise KeyError(f"{column!r} is not a feature; features are {list(X.columns)}")
    rng = np.random.default_rng(seed)
    shuffled = X.copy()
    shuffled[column] = rng.permutation(X[column].to_numpy())
    flips = (np.asarray(predict(X, s)) != np.asarray(predict(shuffled, s))).astype(float)
    return flips if per_row else float(flips.mean())
