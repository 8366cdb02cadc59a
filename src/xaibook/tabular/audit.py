"""FairML's ``audit_model``, described as the installed code (fairml 0.1.1.5) runs it.

What ``fairml.audit_model`` does, read from ``fairml/orthogonal_projection.py``
and ``fairml/utils.py``:

* **Direct** step, for each column ``j``: set the whole column to the
  constant **zero** (the "constant-zero" strategy is hard-coded in the loop;
  the random row FairML draws at every run is passed along and ignored) and
  record the mean squared change of the predictions.
* **Total** step: in that same matrix, replace every *other* column ``k`` by
  ``x_k - (x_k . x_j / x_j . x_j) x_j``, a projection on the original column
  ``j`` **without centring** (no intercept), and record the change again.
* **Sign**: add the column's range to every row of column ``j``; +1 if the
  mean prediction rises, -1 otherwise. The sign multiplies the total result.
* ``number_of_runs`` repeats the identical computation: every run gives the
  same numbers, so one run is enough (the default here is 1).

On raw inputs both steps are odd: zero is an arbitrary value for a number
(age 0), and for one-hot columns zeroing ``sex_Male`` (and leaving
``sex_Female``) makes rows that belong to no category, while an uncentred
projection on a dummy subtracts a multiple of the dummy *inside* its group
only. This module therefore audits **centred** inputs (``center=True``, the
default): every encoded column, numbers and dummies alike, has its mean on the
audited rows subtracted before FairML sees it, and the predict function adds
the means back before calling the model. Then

* "set to zero" means "set to the column's mean" (for a dummy, to the share
  of that category: a fractional value no real person has, documented as
  such; a tree model reads it as 0 or 1 depending on its split);
* the projection of centred columns is the least-squares removal of the
  linear association with column ``j`` (a regression with an intercept).

"Total" dependence is therefore "how much do predictions move when column
``j`` and everything *linearly* predictable from it in the other columns is
set to its average"; it is **not** a measure of dependence "through proxies":
non-linear proxies survive the projection, and a large total value can as well
come from removing legitimate correlates. Rankings on a few hundred rows move
from subsample to subsample; :func:`audit_stability` measures by how much.

FairML needs a numeric matrix without missing values, so the audit runs on
the columns the final estimator sees (one-hot columns such as ``sex_Male`` and
scaled numbers). With collinear one-hot sets (``relationship_Husband`` is
almost ``marital_status_Married-civ-spouse`` and ``sex_Male`` together) a
dummy's sign is that of its own coefficient *given the others*; it can be
negative even when the category goes with high predictions, because the
married and sex columns already carry the effect.

API
---
``audit_model(model, X, *, number_of_runs=1, max_samples=1000, random_state=0, center=True)``
    :class:`AuditResult` with a tidy ``frame`` per encoded column:
    ``column``, ``feature`` (the original one), ``dependence`` (total,
    signed), ``direct`` and ``relative`` (total, as % of the largest).
``audit_stability(model, X, *, n_subsamples=10, max_samples=500, ...)``
    The audit repeated on seeded subsamples: rank of every column per
    subsample, and a summary (median rank, range, share in the top ``k``).
``plot_audit(result, *, top=15)``
    FairML's own dependence plot (matplotlib, bars scaled to ±100).
``AuditResult.by_feature()``
    The column with the largest dependence for each original feature.
"""

from __future__ import annotations

import contextlib
import io
import random
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xaibook.tabular.models import serial_threads
from xaibook.tabular.models import encoded_features, task_of

__all__ = ["AuditResult", "audit_model", "audit_stability", "plot_audit"]


def _import_fairml():
    """Import fairml without its side effects on matplotlib (Agg backend, ggplot style)."""
    import matplotlib
    backend = matplotlib.get_backend()
    with matplotlib.rc_context(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import fairml
    if matplotlib.get_backend() != backend:
        try:
            matplotlib.use(backend)
        except Exception:  # pragma: no cover - backend not switchable here
            pass
    return fairml


@contextlib.contextmanager
def _seeded(seed: int):
    py_state, np_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                serial_threads():
            warnings.simplefilter("ignore")
            yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


@dataclass(frozen=True)
class AuditResult:
    """Result of :func:`audit_model`.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per encoded column, largest absolute total dependence first:
        ``column``, ``feature``, ``dependence`` (median total dependence,
        signed), ``direct`` (median direct dependence) and ``relative``
        (``dependence`` as a percentage of the largest absolute one, as in
        FairML's plot).
    total, direct : dict
        FairML's raw results: every run's value per column.
    """

    frame: pd.DataFrame
    total: dict = field(repr=False)
    direct: dict = field(repr=False)

    def by_feature(self) -> pd.DataFrame:
        """For each original feature, its encoded column with the largest |dependence|."""
        f = self.frame.assign(size=self.frame["dependence"].abs())
        out = f.sort_values("size", ascending=False).groupby("feature", sort=False).head(1)
        return out.drop(columns="size").reset_index(drop=True)

    def relative_of(self, column: str) -> float:
        """``relative`` dependence of one encoded column (e.g. ``"sex_Male"``)."""
        row = self.frame[self.frame["column"] == column]
        if row.empty:
            raise KeyError(f"no encoded column {column!r}")
        return float(row["relative"].iloc[0])


def audit_model(model, X, *, number_of_runs: int = 1, max_samples: int | None = 1_000,
                random_state: int = 0, distance_metric: str = "mse",
                center: bool = True) -> AuditResult:
    """Run FairML's ``audit_model`` on a fitted pipeline.

    Parameters
    ----------
    model : fitted Pipeline
        Preprocessing steps then a binary classifier (audited on its
        positive-class probability) or a regressor.
    X : pandas.DataFrame
        Raw features (original names); a seeded subsample of ``max_samples``
        rows is encoded with the pipeline's preprocessing.
    number_of_runs : int
        FairML's repetitions. The installed FairML perturbs with a constant
        zero whatever row it draws, so every run gives the same result.
    random_state : int
        Seed for the subsample and for FairML's random draws.
    distance_metric : {"mse", "accuracy"}
        FairML's measure of change in the predictions.
    center : bool
        Subtract each encoded column's mean before FairML sees it (and add it
        back before predicting), so that FairML's "zero" is the column's mean
        and its projection removes the linear association with an intercept.
        ``False`` reproduces FairML on raw encoded inputs.

    Returns
    -------
    AuditResult
    """
    if int(number_of_runs) < 1:
        raise ValueError("number_of_runs must be at least 1")
    if max_samples is not None and len(X) > max_samples:
        X = X.sample(n=int(max_samples), random_state=random_state)
    enc = encoded_features(model, X)
    final = enc.final_estimator
    classifier = task_of(model) == "classification"
    names = enc.names
    data = pd.DataFrame(np.asarray(enc.matrix, dtype=float), columns=names)
    constant = [c for c in names if data[c].nunique() < 2]
    data = data.drop(columns=constant)
    kept = list(data.columns)
    if not kept:
        raise ValueError("every encoded column is constant in X: nothing to audit")

    full = np.asarray(enc.matrix, dtype=float).copy()
    positions = [names.index(c) for c in kept]
    means = data.mean().to_numpy() if center else np.zeros(len(kept))
    data = data - means if center else data

    def predict(matrix):
        Z = np.repeat(full[:1], len(matrix), axis=0) if len(matrix) != len(full) else full.copy()
        Z[:, positions] = np.asarray(matrix, dtype=float) + means
        with serial_threads():
            return final.predict_proba(Z)[:, 1] if classifier else np.asarray(final.predict(Z), float)

    fairml = _import_fairml()
    with _seeded(random_state):
        total, direct = fairml.audit_model(predict, data, distance_metric=distance_metric,
                                           number_of_runs=int(number_of_runs))
    tot, dire = total.median(), direct.median()
    original = dict(zip(names, enc.original_of()))
    frame = pd.DataFrame({"column": kept, "feature": [original[c] for c in kept],
                          "dependence": [float(tot[c]) for c in kept],
                          "direct": [float(dire[c]) for c in kept]})
    largest = frame["dependence"].abs().max()
    frame["relative"] = 100 * frame["dependence"] / largest if largest > 0 else 0.0
    frame = frame.reindex(frame["dependence"].abs().sort_values(ascending=False).index)
    return AuditResult(frame.reset_index(drop=True), dict(total), dict(direct))


def audit_stability(model, X, *, n_subsamples: int = 10, max_samples: int = 500,
                    random_state: int = 0, top: int = 10, center: bool = True) -> pd.DataFrame:
    """How stable is FairML's ranking? The audit on ``n_subsamples`` seeded subsamples.

    Returns
    -------
    pandas.DataFrame
        One row per encoded column: ``column``, ``feature``, ``median_rank``,
        ``best_rank``, ``worst_rank`` (1 = largest |total dependence|),
        ``share_top`` (share of subsamples where it is in the top ``top``),
        ``sign_agreement`` (share of subsamples with the majority sign) and
        ``median_relative``; ordered by median rank.
    """
    if int(n_subsamples) < 2:
        raise ValueError("n_subsamples must be at least 2 to measure stability")
    if len(X) < 2 * int(max_samples):
        raise ValueError(f"X has {len(X)} rows; subsamples of {max_samples} need at least "
                         f"twice as many to differ (lower max_samples)")
    parts = []
    for k in range(int(n_subsamples)):
        sub = X.sample(n=int(max_samples), random_state=random_state + k)
        res = audit_model(model, sub, max_samples=None, random_state=random_state + k,
                          center=center).frame
        parts.append(res.assign(rank=np.arange(1, len(res) + 1), subsample=k))
    allruns = pd.concat(parts, ignore_index=True)
    g = allruns.groupby(["column", "feature"])
    out = pd.DataFrame({
        "median_rank": g["rank"].median(), "best_rank": g["rank"].min(),
        "worst_rank": g["rank"].max(),
        "share_top": g["rank"].apply(lambda r: float((r <= top).sum()) / n_subsamples),
        "sign_agreement": g["dependence"].apply(
            lambda d: max((d > 0).mean(), (d <= 0).mean())),
        "median_relative": g["relative"].median(),
    }).reset_index()
    return out.sort_values(["median_rank", "column"], ignore_index=True)


def plot_audit(result: AuditResult, *, top: int = 15, title: str = "FairML: dependence per input",
               figsize=(7.5, 5), dpi: int = 80):
    """FairML's own dependence plot of the ``top`` columns (matplotlib figure, closed).

    Bars are scaled so the largest dependence is ±100; FairML colours
    positive dependence (raising the column raises the prediction) and
    negative dependence differently.
    """
    import matplotlib.pyplot as plt
    fairml = _import_fairml()
    head = result.frame.head(top)
    values = dict(zip(head["column"], head["dependence"]))
    with plt.rc_context({"figure.dpi": dpi}), warnings.catch_warnings(), \
            contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        with plt.style.context("ggplot"):
            fig = fairml.plot_dependencies(values, title=title, fig_size=figsize)
            if fig is not None:
                ax = fig.axes[0]
                ax.set_xlabel("Relative dependence (largest = 100)")
                fig.set_dpi(dpi)
                fig.tight_layout()
    if fig is None:
        raise ValueError("every dependence is zero: nothing to plot")
    plt.close(fig)
    return fig
