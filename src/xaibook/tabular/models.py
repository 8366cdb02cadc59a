"""Tabular model recipes and the checks every explainer shares.

Models in this book are scikit-learn pipelines that take a raw pandas frame
with the dataset's own column names (categoricals as pandas categoricals or
strings, numbers as numbers) and encode it themselves. Explanations are then
given in terms of those original features, which is what readers want.

API
---
``split_xy(frame, target, *, positive=None, drop=())``
    Features and target; ``positive`` turns the target into 0/1.
``fill_missing(X, *, value="unknown")``
    Make missing categorical values an explicit category.
``train_test_split_frame(X, y, *, test_size=0.25, random_state=0, stratify=True)``
    A seeded, stratified split that keeps frames and index labels.
``make_preprocessor(X, *, scale=True)``
    One-hot encoding (one encoder per categorical column) + scaled numbers.
``make_linear_pipeline(X, *, task="classification", C=1.0, alpha=1.0)``
    Logistic regression (classification) or ridge (regression).
``make_boosting_pipeline(X, *, task="classification", random_state=0, ...)``
    Histogram gradient boosting on the same encoding.
``evaluate(models, X, y, *, threshold=0.5)``
    One row per model, one column per metric (accuracy as a fraction, ROC AUC,
    Brier score, ...; R², MAE and RMSE for regression).
``bootstrap_metrics(model, X, y, *, n_boot=500, level=0.95)``
    Percentile bootstrap intervals of test metrics (small test sets are noisy).
``calibration_frame(models, X, y, *, n_bins=10)`` and ``plot_calibration(frame)``
    Reliability curves: predicted probability against observed frequency.
``predict_score(model, X)``
    Positive-class probability (classifiers) or prediction (regressors).
``check_model_input(model, X, *, allow_nan=False)``
    Clear errors for an unfitted model, mismatched feature names or NaNs.
``encoded_features(model, X)``
    The matrix the final estimator sees, its column names and which original
    feature each column comes from.
``FrameCodec`` and ``CodedModel``
    Lossless numeric coding of a mixed-type frame, and a model wrapper that
    decodes it before predicting: how numeric-only tools (eli5, LIME, SHAP's
    model-agnostic explainers) explain pipelines on original features.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import altair as alt
import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from xaibook.style import PALETTE, WIDTH, check_frame, titled

__all__ = [
    "TASKS", "split_xy", "fill_missing", "train_test_split_frame", "categorical_columns",
    "make_preprocessor", "make_linear_pipeline", "make_boosting_pipeline", "evaluate",
    "bootstrap_metrics", "calibration_frame", "plot_calibration", "predict_score", "task_of", "check_model_input",
    "check_target", "EncodedFeatures", "encoded_features", "FrameCodec", "CodedModel",
    "SerialLogisticRegression", "SerialHistGradientBoostingClassifier",
    "SerialHistGradientBoostingRegressor", "serial_threads",
]

TASKS = ("classification", "regression")


# ---------------------------------------------------------------- data helpers
def split_xy(frame: pd.DataFrame, target: str, *, positive=None, drop: Iterable[str] = ()):
    """Split a frame into features ``X`` and target ``y``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data, target included.
    target : str
        Name of the target column.
    positive : scalar, optional
        For classification: the favourable/positive label. ``y`` becomes the
        integer indicator ``frame[target] == positive`` (named ``target``).
    drop : iterable of str
        Further columns to leave out of ``X`` (e.g. a split marker, or a
        protected attribute for "fairness through unawareness").

    Returns
    -------
    X : pandas.DataFrame
    y : pandas.Series
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, not {type(frame).__name__}")
    drop = list(drop)
    missing = [c for c in [target, *drop] if c not in frame.columns]
    if missing:
        raise KeyError(f"column(s) {missing} not in the frame; it has {list(frame.columns)}")
    y = frame[target]
    if y.isna().any():
        raise ValueError(f"target '{target}' has {int(y.isna().sum())} missing value(s)")
    if positive is not None:
        if not (y == positive).any():
            raise ValueError(f"positive label {positive!r} never occurs in '{target}'; "
                             f"values are {sorted(map(str, pd.unique(y)))}")
        y = (y == positive).astype("int64").rename(target)
    X = frame.drop(columns=[target, *drop])
    return X, y


def categorical_columns(X: pd.DataFrame) -> list[str]:
    """Columns treated as categorical: categorical, object, string and bool dtypes."""
    return [c for c in X.columns
            if isinstance(X[c].dtype, pd.CategoricalDtype) or X[c].dtype == object
            or pd.api.types.is_string_dtype(X[c].dtype) or pd.api.types.is_bool_dtype(X[c].dtype)]


def fill_missing(X: pd.DataFrame, *, value: str = "unknown") -> pd.DataFrame:
    """Return a copy of ``X`` whose missing categorical values are the category ``value``.

    Missing answers are information ("did not say"), not noise; making them an
    explicit category keeps every row and lets explainers (which refuse NaNs)
    show them. Numeric columns are left alone.
    """
    X = X.copy()
    for col in categorical_columns(X):
        if not X[col].isna().any():
            continue
        if isinstance(X[col].dtype, pd.CategoricalDtype):
            if value not in X[col].cat.categories:
                X[col] = X[col].cat.add_categories([value])
            X[col] = X[col].fillna(value)
        else:
            X[col] = X[col].fillna(value)
    return X


def train_test_split_frame(X, y, *, test_size: float = 0.25, random_state: int = 0,
                           stratify: bool = True):
    """Seeded train/test split that keeps frames, index labels and (optionally) class balance.

    Returns ``X_train, X_test, y_train, y_test`` like
    :func:`sklearn.model_selection.train_test_split`.
    """
    strat = y if stratify else None
    return train_test_split(X, y, test_size=test_size, random_state=random_state, stratify=strat)


# ------------------------------------------------------------------ pipelines
_SERIAL = threading.local()


@contextlib.contextmanager
def serial_threads():
    """``threadpool_limits(1)``, entered once per thread: nested uses cost nothing.

    Each ``threadpool_limits`` scans the loaded native libraries (about 20 ms);
    explainers call ``predict`` thousands of times, so only the outermost
    context pays for the scan and inner ones just run.
    """
    if getattr(_SERIAL, "depth", 0):
        _SERIAL.depth += 1
        try:
            yield
        finally:
            _SERIAL.depth -= 1
    else:
        _SERIAL.depth = 1
        try:
            with threadpool_limits(1):
                yield
        finally:
            _SERIAL.depth = 0


class _Serial:
    """Mixin: fit and predict on one thread.

    On small shared machines, OpenMP/BLAS thread pools fighting for two busy
    cores make histogram boosting 10x slower, and the book builds on such
    machines; one thread is both faster there and reproducible everywhere.
    """

    def fit(self, *args, **kwargs):
        with serial_threads():
            return super().fit(*args, **kwargs)

    def predict(self, X):
        with serial_threads():
            return super().predict(X)

    @available_if(lambda self: hasattr(super(_Serial, self), "predict_proba"))
    def predict_proba(self, X):
        with serial_threads():
            return super().predict_proba(X)

    @available_if(lambda self: hasattr(super(_Serial, self), "decision_function"))
    def decision_function(self, X):
        with serial_threads():
            return super().decision_function(X)


class SerialLogisticRegression(_Serial, LogisticRegression):
    """:class:`~sklearn.linear_model.LogisticRegression` that fits and predicts on one thread."""


class SerialHistGradientBoostingClassifier(_Serial, HistGradientBoostingClassifier):
    """:class:`~sklearn.ensemble.HistGradientBoostingClassifier` on one thread."""


class SerialHistGradientBoostingRegressor(_Serial, HistGradientBoostingRegressor):
    """:class:`~sklearn.ensemble.HistGradientBoostingRegressor` on one thread."""


def _check_task(task: str) -> str:
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, not {task!r}")
    return task


def make_preprocessor(X: pd.DataFrame, *, scale: bool = True) -> ColumnTransformer:
    """One-hot encode categoricals and impute (and scale) numbers.

    Every categorical column gets its own :class:`~sklearn.preprocessing.OneHotEncoder`
    (named after the column), so every encoded column maps back to exactly one
    original feature (see :func:`encoded_features`). Unseen categories at
    prediction time encode as all zeros; missing values become their own column.
    Numbers get a median imputer and, if ``scale``, a standard scaler.
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame with named columns, not {type(X).__name__}")
    cats = categorical_columns(X)
    nums = [c for c in X.columns if c not in cats]
    bad = [c for c in nums if not pd.api.types.is_numeric_dtype(X[c].dtype)]
    if bad:
        raise TypeError(f"column(s) {bad} are neither numeric nor categorical")
    steps = [(f"onehot_{c}", OneHotEncoder(handle_unknown="ignore", sparse_output=False), [c])
             for c in cats]
    if nums:
        num = [("impute", SimpleImputer(strategy="median"))]
        if scale:
            num.append(("scale", StandardScaler()))
        steps.append(("numeric", Pipeline(num), nums))
    return ColumnTransformer(steps, remainder="drop", verbose_feature_names_out=False)


def make_linear_pipeline(X: pd.DataFrame, *, task: str = "classification", C: float = 1.0,
                         alpha: float = 1.0, max_iter: int = 2_000) -> Pipeline:
    """The simple model: one-hot encoding + logistic regression (or ridge for regression).

    Parameters
    ----------
    X : pandas.DataFrame
        Training features (only their columns and dtypes are read here).
    task : {"classification", "regression"}
    C : float
        Inverse L2 regularisation strength of the logistic regression.
    alpha : float
        L2 penalty of the ridge regression.
    """
    _check_task(task)
    if task == "classification":
        final = SerialLogisticRegression(C=C, max_iter=max_iter)
    else:
        final = Ridge(alpha=alpha)
    return Pipeline([("preprocess", make_preprocessor(X)), ("model", final)])


def make_boosting_pipeline(X: pd.DataFrame, *, task: str = "classification", random_state: int = 0,
                           max_iter: int = 200, learning_rate: float = 0.1,
                           max_leaf_nodes: int = 31, **params) -> Pipeline:
    """The stronger model: one-hot encoding + histogram gradient boosting.

    Early stopping is off so the model does not depend on a random validation
    split; ``random_state`` is fixed anyway. Extra keyword arguments go to
    :class:`~sklearn.ensemble.HistGradientBoostingClassifier` (or ``Regressor``).
    """
    _check_task(task)
    cls = (SerialHistGradientBoostingClassifier if task == "classification"
           else SerialHistGradientBoostingRegressor)
    final = cls(max_iter=max_iter, learning_rate=learning_rate, max_leaf_nodes=max_leaf_nodes,
                early_stopping=False, random_state=random_state, **params)
    return Pipeline([("preprocess", make_preprocessor(X, scale=False)), ("model", final)])


# ------------------------------------------------------------------ validation
def task_of(model) -> str:
    """``"classification"`` or ``"regression"`` for a fitted estimator or pipeline."""
    if is_classifier(model):
        return "classification"
    if is_regressor(model):
        return "regression"
    raise TypeError(f"{type(model).__name__} is neither a classifier nor a regressor")


def _check_fitted(model):
    if not hasattr(model, "predict"):
        raise TypeError(f"model must be a fitted estimator with predict(), not {type(model).__name__}")
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise NotFittedError(f"this {type(model).__name__} is not fitted yet: "
                             "call model.fit(X_train, y_train) before explaining it") from None


def check_model_input(model, X, *, allow_nan: bool = False) -> pd.DataFrame:
    """Validate a fitted model and a raw feature frame; return ``X`` in the model's column order.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the model is not fitted.
    TypeError
        If ``X`` is not a DataFrame.
    ValueError
        If ``X``'s columns differ from those the model was fitted on (the
        message names the missing and unexpected ones), if ``X`` is empty, or
        if it has missing values (unless ``allow_nan``).
    """
    _check_fitted(model)
    if not isinstance(X, pd.DataFrame):
        raise TypeError("X must be a pandas DataFrame with the original feature names, "
                        f"not {type(X).__name__}")
    if X.empty:
        raise ValueError("X has no rows")
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        names = list(names)
        missing = [c for c in names if c not in X.columns]
        extra = [c for c in X.columns if c not in names]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {missing}")
            if extra:
                parts.append(f"unexpected {extra}")
            raise ValueError("X's columns do not match the features the model was fitted on: "
                             + "; ".join(parts))
        X = X[names]
    if not allow_nan:
        nan_cols = [c for c in X.columns if X[c].isna().any()]
        if nan_cols:
            raise ValueError(f"X has missing values in {nan_cols}; impute them first "
                             "(for categorical columns, xaibook.tabular.models.fill_missing)")
    return X


def check_target(y, X, *, task: str | None = None) -> np.ndarray:
    """Validate a target against ``X``: same length, no NaNs, binary for classification."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be one-dimensional, got shape {y.shape}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    if pd.isna(y).any():
        raise ValueError(f"y has {int(pd.isna(y).sum())} missing value(s)")
    if task == "classification" and len(np.unique(y)) > 2:
        raise ValueError(f"binary classification needs two classes in y, found {len(np.unique(y))}")
    return y


def predict_score(model, X) -> np.ndarray:
    """Positive-class probability for a binary classifier, the prediction for a regressor."""
    if task_of(model) == "classification":
        proba = model.predict_proba(X)
        if proba.shape[1] != 2:
            raise ValueError(f"only binary classifiers are supported, this one has {proba.shape[1]} classes")
        return proba[:, 1]
    return np.asarray(model.predict(X), dtype=float)


# ------------------------------------------------------------------ evaluation
def _as_models(models) -> dict:
    if isinstance(models, Mapping):
        if not models:
            raise ValueError("models is empty")
        return dict(models)
    return {type(models).__name__: models}


def evaluate(models, X, y, *, threshold: float = 0.5) -> pd.DataFrame:
    """Score fitted models on held-out data.

    Parameters
    ----------
    models : estimator or dict of {name: estimator}
        Fitted classifiers (binary) or regressors, all of the same task.
    X, y : held-out features and target (0/1 for classification).
    threshold : float
        Probability above which a case is predicted positive.

    Returns
    -------
    pandas.DataFrame
        One row per model (index ``model``). Classification: ``accuracy`` and
        ``balanced_accuracy`` (fractions, not percentages), ``roc_auc``,
        ``brier`` (mean squared error of the probability), ``log_loss``,
        ``positive_rate`` (share predicted positive) and ``n``. Regression:
        ``r2``, ``mae``, ``rmse`` and ``n``.
    """
    rows = {}
    for name, model in _as_models(models).items():
        Xc = check_model_input(model, X, allow_nan=True)
        task = task_of(model)
        yy = check_target(y, Xc, task=task)
        score = predict_score(model, Xc)
        if task == "classification":
            pred = (score >= threshold).astype(int)
            rows[name] = {
                "accuracy": skm.accuracy_score(yy, pred),
                "balanced_accuracy": skm.balanced_accuracy_score(yy, pred),
                "roc_auc": skm.roc_auc_score(yy, score),
                "brier": skm.brier_score_loss(yy, score),
                "log_loss": skm.log_loss(yy, np.clip(score, 1e-15, 1 - 1e-15), labels=[0, 1]),
                "positive_rate": float(pred.mean()),
                "n": len(yy),
            }
        else:
            rows[name] = {
                "r2": skm.r2_score(yy, score),
                "mae": skm.mean_absolute_error(yy, score),
                "rmse": float(np.sqrt(skm.mean_squared_error(yy, score))),
                "n": len(yy),
            }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "model"
    return out


def bootstrap_metrics(model, X, y, *, metrics=("accuracy", "roc_auc"), n_boot: int = 500,
                      level: float = 0.95, threshold: float = 0.5, random_state: int = 0) -> pd.DataFrame:
    """Percentile bootstrap intervals for test-set metrics of one fitted binary classifier.

    The test rows are resampled with replacement ``n_boot`` times (the model
    is not refitted), which shows how much a metric could move with another
    test sample of the same size.

    Parameters
    ----------
    metrics : iterable of {"accuracy", "balanced_accuracy", "roc_auc", "brier"}
    level : float
        Coverage of the interval (0.95: from the 2.5th to the 97.5th percentile).

    Returns
    -------
    pandas.DataFrame
        Index ``metric``; columns ``estimate`` (on the full test set), ``low``, ``high``.
    """
    funcs = {
        "accuracy": lambda t, s: skm.accuracy_score(t, s >= threshold),
        "balanced_accuracy": lambda t, s: skm.balanced_accuracy_score(t, s >= threshold),
        "roc_auc": skm.roc_auc_score,
        "brier": skm.brier_score_loss,
    }
    unknown = [m for m in metrics if m not in funcs]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; choose from {sorted(funcs)}")
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    Xc = check_model_input(model, X, allow_nan=True)
    if task_of(model) != "classification":
        raise ValueError("bootstrap_metrics needs a binary classifier")
    yy = check_target(y, Xc, task="classification")
    score = predict_score(model, Xc)
    rng = np.random.default_rng(random_state)
    rows = {}
    samples = {m: [] for m in metrics}
    for _ in range(int(n_boot)):
        idx = rng.integers(0, len(yy), len(yy))
        if len(np.unique(yy[idx])) < 2:
            continue
        for m in metrics:
            samples[m].append(funcs[m](yy[idx], score[idx]))
    alpha = (1 - level) / 2
    for m in metrics:
        low, high = np.quantile(samples[m], [alpha, 1 - alpha])
        rows[m] = {"estimate": funcs[m](yy, score), "low": low, "high": high}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "metric"
    return out


def calibration_frame(models, X, y, *, n_bins: int = 10, strategy: str = "quantile") -> pd.DataFrame:
    """Reliability curve of each fitted classifier.

    Returns a tidy frame with columns ``model``, ``bin``, ``mean_predicted``
    (average predicted probability in the bin), ``observed`` (share of
    positives in the bin) and ``count``.
    """
    if strategy not in ("quantile", "uniform"):
        raise ValueError("strategy must be 'quantile' or 'uniform'")
    frames = []
    for name, model in _as_models(models).items():
        Xc = check_model_input(model, X, allow_nan=True)
        if task_of(model) != "classification":
            raise ValueError(f"calibration needs a classifier; '{name}' is a regressor")
        yy = check_target(y, Xc, task="classification")
        score = predict_score(model, Xc)
        if strategy == "quantile":
            edges = np.unique(np.quantile(score, np.linspace(0, 1, n_bins + 1)))
        else:
            edges = np.linspace(0, 1, n_bins + 1)
        bins = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, len(edges) - 2)
        df = pd.DataFrame({"bin": bins, "score": score, "y": yy})
        agg = df.groupby("bin").agg(mean_predicted=("score", "mean"), observed=("y", "mean"),
                                    count=("y", "size")).reset_index()
        agg.insert(0, "model", name)
        frames.append(agg)
    return pd.concat(frames, ignore_index=True)


def plot_calibration(frame: pd.DataFrame, *, title: str = "Calibration: predicted vs observed",
                     subtitle: str | None = "Points on the diagonal are well calibrated") -> alt.Chart:
    """Reliability diagram from :func:`calibration_frame`."""
    check_frame(frame, ["model", "mean_predicted", "observed", "count"])
    diag = alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})).mark_line(
        strokeDash=[4, 4], color="#999").encode(x="x:Q", y="y:Q")
    models = list(dict.fromkeys(frame["model"]))
    base = alt.Chart(frame).encode(
        x=alt.X("mean_predicted:Q", title="Mean predicted probability", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("observed:Q", title="Observed share of positives", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("model:N", title="Model",
                        scale=alt.Scale(domain=models, range=PALETTE[:len(models)])),
        tooltip=["model:N", alt.Tooltip("mean_predicted:Q", format=".3f"),
                 alt.Tooltip("observed:Q", format=".3f"), "count:Q"])
    return (diag + base.mark_line() + base.mark_circle(size=50)).properties(
        width=WIDTH, height=WIDTH * 0.8, title=titled(title, subtitle))


# ------------------------------------------------------- encoded feature space
@dataclass(frozen=True)
class EncodedFeatures:
    """What the final estimator of a pipeline sees.

    Attributes
    ----------
    matrix : numpy.ndarray
        The transformed features (dense, float).
    names : list of str
        Names of the transformed columns (e.g. ``sex_Male``).
    groups : dict of {str: list of int}
        For each original feature, the positions of the columns it became.
    final_estimator : estimator
        The pipeline's last step.
    """

    matrix: np.ndarray
    names: list
    groups: dict = field(repr=False)
    final_estimator: object = field(repr=False)

    def original_of(self) -> list[str]:
        """The original feature of every transformed column, in column order."""
        out = [None] * len(self.names)
        for feat, idx in self.groups.items():
            for i in idx:
                out[i] = feat
        return out


def _split_pipeline(model):
    if not isinstance(model, Pipeline) or len(model.steps) < 2:
        raise TypeError("expected a fitted Pipeline(preprocessing..., final estimator), "
                        f"got {type(model).__name__}")
    return model[:-1], model[-1]


def encoded_features(model, X) -> EncodedFeatures:
    """Transform ``X`` with the pipeline's preprocessing and map columns to original features.

    The mapping works when the preprocessing is a
    :class:`~sklearn.compose.ColumnTransformer` (as built by
    :func:`make_preprocessor`) whose parts each take one column, or map
    columns one to one, or when the preprocessing keeps the number of columns.
    """
    X = check_model_input(model, X)
    pre, final = _split_pipeline(model)
    Z = pre.transform(X)
    Z = np.asarray(Z.toarray() if hasattr(Z, "toarray") else Z, dtype=float)
    try:
        names = [str(n) for n in pre.get_feature_names_out()]
    except (AttributeError, ValueError):
        names = [f"x{i}" for i in range(Z.shape[1])]
    ct = next((s for s in pre if isinstance(s, ColumnTransformer)), None) if isinstance(pre, Pipeline) else None
    groups: dict[str, list[int]] = {}
    if ct is not None:
        for name, _, cols in ct.transformers_:
            if name == "remainder" and (isinstance(cols, str) or len(cols) == 0):
                continue
            sl = ct.output_indices_[name]
            idx = list(range(sl.start, sl.stop))
            cols = [X.columns[c] if isinstance(c, (int, np.integer)) else c for c in np.atleast_1d(cols)]
            if not idx:
                continue
            if len(cols) == 1:
                groups.setdefault(cols[0], []).extend(idx)
            elif len(cols) == len(idx):
                for c, i in zip(cols, idx):
                    groups.setdefault(c, []).append(i)
            else:
                raise ValueError(f"cannot map the outputs of transformer '{name}' back to its "
                                 f"{len(cols)} input columns; give each categorical column its own encoder")
    elif Z.shape[1] == X.shape[1]:
        groups = {c: [i] for i, c in enumerate(X.columns)}
    else:
        raise ValueError("cannot map the transformed columns back to original features")
    groups = {c: groups[c] for c in X.columns if c in groups}
    return EncodedFeatures(Z, names, groups, final)


# ---------------------------------------------------------- numeric coding
class FrameCodec:
    """Lossless numeric coding of a mixed-type frame.

    Categorical (and string/bool) columns become their integer category codes
    as floats; numeric columns stay numbers. :meth:`decode` restores the
    original dtypes and categories. Tools that only accept numeric matrices
    (eli5, LIME, SHAP's model-agnostic explainers) then work on original
    features through :class:`CodedModel`.

    Parameters
    ----------
    X : pandas.DataFrame
        A frame with the columns to code; categories are learned from it.
    """

    def __init__(self, X: pd.DataFrame):
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, not {type(X).__name__}")
        self.columns = list(X.columns)
        self.dtypes = X.dtypes.to_dict()
        self.categories: dict[str, pd.Index] = {}
        for c in categorical_columns(X):
            if isinstance(X[c].dtype, pd.CategoricalDtype):
                self.categories[c] = X[c].cat.categories
            else:
                self.categories[c] = pd.Index(sorted(pd.unique(X[c].dropna()), key=str))

    @property
    def categorical(self) -> list[str]:
        """Names of the coded categorical columns, in column order."""
        return [c for c in self.columns if c in self.categories]

    def encode(self, X: pd.DataFrame) -> pd.DataFrame:
        """Numeric (float) copy of ``X``; unknown categories raise ``ValueError``."""
        out = {}
        for c in self.columns:
            if c in self.categories:
                codes = pd.Categorical(X[c], categories=self.categories[c]).codes.astype(float)
                unknown = (codes < 0) & X[c].notna().to_numpy()
                if unknown.any():
                    raise ValueError(f"column '{c}' has values not seen when the codec was built: "
                                     f"{sorted(map(str, pd.unique(X[c][unknown])))[:5]}")
                codes[codes < 0] = np.nan
                out[c] = codes
            else:
                out[c] = X[c].to_numpy(dtype=float)
        return pd.DataFrame(out, index=X.index, columns=self.columns)

    def decode(self, Z) -> pd.DataFrame:
        """Inverse of :meth:`encode` (codes are rounded and clipped to valid categories)."""
        Z = pd.DataFrame(np.asarray(Z, dtype=float), columns=self.columns)
        out = {}
        for c in self.columns:
            if c in self.categories:
                cats = self.categories[c]
                codes = np.clip(np.rint(Z[c].fillna(-1).to_numpy()), -1, len(cats) - 1).astype(int)
                values = pd.Categorical.from_codes(codes, categories=cats)
                dtype = self.dtypes[c]
                if isinstance(dtype, pd.CategoricalDtype):
                    out[c] = pd.Series(values, index=Z.index)
                else:
                    out[c] = pd.Series(np.asarray(values, dtype=object), index=Z.index)
            else:
                values = Z[c]
                if pd.api.types.is_integer_dtype(self.dtypes[c]) and not values.isna().any():
                    values = np.rint(values).astype(self.dtypes[c])
                out[c] = values
        return pd.DataFrame(out, index=Z.index, columns=self.columns)

    def labels(self, column: str, codes) -> list[str]:
        """Category names for codes of a categorical ``column``."""
        cats = self.categories[column]
        return [str(cats[int(k)]) for k in np.atleast_1d(codes)]


class CodedModel(BaseEstimator):
    """A fitted model that accepts :class:`FrameCodec`-coded numeric input.

    It decodes the numbers back into the original frame and delegates to the
    wrapped model; it reports the wrapped model's classes and estimator type,
    so scikit-learn scorers treat it like the original.
    """

    def __init__(self, model, codec: FrameCodec):
        self.model = model
        self.codec = codec

    def fit(self, X=None, y=None):  # noqa: D401 - the wrapped model is already fitted
        """No-op: the wrapped model is already fitted."""
        return self

    def __sklearn_tags__(self):
        return self.model.__sklearn_tags__()

    def __sklearn_is_fitted__(self):
        return True

    @property
    def classes_(self):
        return self.model.classes_

    def _decode(self, Z):
        return self.codec.decode(Z)

    def predict(self, Z):
        return self.model.predict(self._decode(Z))

    @available_if(lambda self: hasattr(self.model, "predict_proba"))
    def predict_proba(self, Z):
        return self.model.predict_proba(self._decode(Z))

    @available_if(lambda self: hasattr(self.model, "decision_function"))
    def decision_function(self, Z):
        return self.model.decision_function(self._decode(Z))

    def score(self, Z, y, sample_weight=None):
        return self.model.score(self._decode(Z), y, sample_weight=sample_weight)

    def positive_score(self, Z) -> np.ndarray:
        """:func:`predict_score` on coded input."""
        return predict_score(self.model, self._decode(Z))
