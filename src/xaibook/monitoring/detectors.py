"""Label-free drift statistics: compare a production batch with a reference sample.

Each function returns one number that grows with the difference between the
``reference`` sample (what the model was validated on) and a ``batch`` of
production data; none needs labels. Whether a value is an alarm is decided by
a threshold calibrated on clean batches
(:func:`xaibook.monitoring.streams.calibrate`), not by a p-value taken at face
value: the tests' assumptions (independent rows, continuous data) rarely hold
exactly, and a calibrated threshold has the false-alarm rate it claims.

The statistics follow the "failing loudly" study of dataset-shift detection
(Rabanser, Günnemann and Lipton 2019): univariate Kolmogorov–Smirnov tests on
each feature combined by their largest statistic, a chi-square test on the
distribution of predicted classes, and a classifier two-sample test
(Lopez-Paz and Oquab 2017): a classifier trained to tell reference rows from
batch rows is, on held-out rows, no better than chance when there is no shift.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["colour_features", "max_softmax", "ks_score", "chi2_score", "c2st_score",
           "mean_shift_score"]


def _2d(x, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"{name} must be (rows, features) with at least 2 rows, got {x.shape}")
    return x


def colour_features(images, *, threshold: float = 0.05) -> np.ndarray:
    """Per-image colour statistics: mean R, G, B over the garment's pixels.

    Pixels whose brightest channel is at most ``threshold`` are background.
    Returns an ``(n, 3)`` array (zeros for an all-background image).
    """
    x = np.asarray(images, dtype=float)
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"images must be RGB, shape (n, h, w, 3), got {x.shape}")
    mask = x.max(axis=-1) > threshold
    counts = np.maximum(mask.sum(axis=(1, 2)), 1)[:, None]
    return (x * mask[..., None]).sum(axis=(1, 2)) / counts


def max_softmax(probabilities) -> np.ndarray:
    """The model's confidence per row: its largest class probability."""
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 2:
        raise ValueError(f"probabilities must be (rows, classes), got {p.shape}")
    return p.max(axis=1)


def ks_score(reference, batch) -> float:
    """Largest two-sample Kolmogorov–Smirnov statistic over the columns."""
    ref, bat = _2d(reference, "reference"), _2d(batch, "batch")
    if ref.shape[1] != bat.shape[1]:
        raise ValueError(f"reference has {ref.shape[1]} columns, batch {bat.shape[1]}")
    return float(max(stats.ks_2samp(ref[:, j], bat[:, j]).statistic for j in range(ref.shape[1])))


def mean_shift_score(reference, batch) -> float:
    """Largest absolute standardised difference of column means (a cheap baseline)."""
    ref, bat = _2d(reference, "reference"), _2d(batch, "batch")
    sd = ref.std(axis=0, ddof=1)
    sd[sd == 0] = 1.0
    return float(np.max(np.abs(bat.mean(axis=0) - ref.mean(axis=0)) / sd * np.sqrt(len(bat))))


def chi2_score(reference_labels, batch_labels, *, n_classes: int) -> float:
    """Chi-square statistic of the two predicted-class distributions (2 x classes table)."""
    ref = np.bincount(np.asarray(reference_labels, dtype=int), minlength=n_classes)
    bat = np.bincount(np.asarray(batch_labels, dtype=int), minlength=n_classes)
    if len(ref) != n_classes or len(bat) != n_classes:
        raise ValueError(f"labels must be integers in [0, {n_classes})")
    table = np.vstack([ref, bat])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0
    return float(stats.chi2_contingency(table, correction=False).statistic)


def c2st_score(reference, batch, *, seed: int = 0, folds: int = 3) -> float:
    """Classifier two-sample test: held-out accuracy of telling batch from reference, minus 0.5.

    A logistic regression on standardised features, scored by stratified
    ``folds``-fold cross-validation on a balanced sample (as many reference rows
    as batch rows, drawn with ``seed``). About 0 without shift, up to 0.5.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ref, bat = _2d(reference, "reference"), _2d(batch, "batch")
    rng = np.random.default_rng(seed)
    ref = ref[rng.choice(len(ref), size=min(len(ref), len(bat)), replace=False)]
    X = np.vstack([ref, bat])
    y = np.r_[np.zeros(len(ref)), np.ones(len(bat))]
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    return float(cross_val_score(model, X, y, cv=cv, scoring="accuracy").mean() - 0.5)
