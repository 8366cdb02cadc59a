"""FairML's ``audit_model``: how much does the model depend on each input?

In plain words, FairML takes every input column in turn and asks two
questions. *Direct* dependence: if everyone had the same value in this column
(a value copied from one random person), how much would the predictions
change? *Total* dependence: the same, but after also removing from every
other column its linear relation to this one (an orthogonal projection), so
that proxies can no longer smuggle the information back in. A column whose
total dependence is large matters to the model, either itself or through
what other columns say about it. The sign says in which direction raising
the column moves predictions. FairML reports the median over several runs.

FairML needs a numeric matrix without missing values, and its projection
only makes sense for numbers, so the audit runs on the columns the final
estimator sees (one-hot columns such as ``sex_Male`` and scaled numbers).
FairML draws its random rows with Python's global ``random`` module and
checks the model with numpy's global RNG; both are seeded here and restored
afterwards.

API
---
``audit_model(model, X, *, number_of_runs=10, max_samples=1000, random_state=0)``
    :class:`AuditResult` with a tidy ``frame`` per encoded column:
    ``column``, ``feature`` (the original one), ``dependence`` (total,
    signed), ``direct`` and ``relative`` (total, as % of the largest).
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
from threadpoolctl import threadpool_limits

from xaibook.tabular.models import encoded_features, task_of

__all__ = ["AuditResult", "audit_model", "plot_audit"]


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
                threadpool_limits(1):
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


def audit_model(model, X, *, number_of_runs: int = 10, max_samples: int | None = 1_000,
                random_state: int = 0, distance_metric: str = "mse") -> AuditResult:
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
        FairML's repetitions (each copies a different random person's values).
    random_state : int
        Seed for the subsample and for FairML's random draws.
    distance_metric : {"mse", "accuracy"}
        FairML's measure of change in the predictions.

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
    data = pd.DataFrame(enc.matrix, columns=names)
    constant = [c for c in names if data[c].nunique() < 2]
    data = data.drop(columns=constant)
    kept = list(data.columns)
    if not kept:
        raise ValueError("every encoded column is constant in X: nothing to audit")

    full = enc.matrix.copy()
    positions = [names.index(c) for c in kept]

    def predict(matrix):
        Z = np.repeat(full[:1], len(matrix), axis=0) if len(matrix) != len(full) else full.copy()
        Z[:, positions] = matrix
        with threadpool_limits(1):
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
