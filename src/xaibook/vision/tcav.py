"""Testing with concept activation vectors (TCAV; Kim et al., 2018), on Keras activations.

A *concept* (e.g. "pink garments") is given by example images. Its
**concept activation vector** (CAV) at a layer is the normal of a linear
classifier (logistic regression) that separates the layer's activations on
the concept images from those on *random* images, pointing towards the
concept. The **directional derivative** of a class score along the CAV says
whether moving the layer's activations towards the concept raises the score;
the **TCAV score** is the share of a class's images where it does.

A single TCAV score means nothing by itself: a CAV learned from any two
image sets gives some score. As in the paper, the concept is trained against
several random sets, and CAVs of *random against random* give a null
distribution of scores; a two-sided t-test compares the two, and the p-value
is Bonferroni-corrected for the number of tests made. The ``tcav`` package
implements this for TensorFlow 1 graphs only; this module is a small
re-implementation for Keras 3 functional models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from xaibook.vision._tf import keras, quiet, tf
from xaibook.vision.attribution import _batch, _labels, logits_model

__all__ = ["CAV", "TCAVResult", "layer_activations", "concept_activation_vector",
           "directional_derivatives", "layer_gradients", "tcav_score", "fit_cavs", "tcav",
           "bonferroni"]


def _layer_model(model, layer: str):
    base = logits_model(model)
    try:
        out = base.get_layer(layer).output
    except ValueError:
        names = [lay.name for lay in base.layers]
        raise ValueError(f"no layer {layer!r} in the model; layers: {names}") from None
    return keras.Model(base.inputs, [out, base.output])


def layer_activations(model, images, layer: str, *, batch_size: int = 256) -> np.ndarray:
    """Activations of ``layer`` for each image, flattened to ``(n, d)``."""
    net = _layer_model(model, layer)
    x = _batch(model, images)
    out = []
    with quiet():
        for i in range(0, len(x), batch_size):
            acts, _ = net(x[i:i + batch_size], training=False)
            out.append(np.asarray(acts).reshape(len(acts), -1))
    return np.concatenate(out).astype(np.float64)


@dataclass(frozen=True)
class CAV:
    """A concept activation vector.

    Attributes
    ----------
    vector : numpy.ndarray
        ``(d,)`` unit vector, pointing from the random set towards the concept.
    accuracy : float
        the linear classifier's accuracy on held-out activations (a CAV whose
        classifier is at chance describes nothing).
    """

    vector: np.ndarray
    accuracy: float


def concept_activation_vector(concept_acts, random_acts, *, seed: int = 0,
                              C: float = 1.0) -> CAV:
    """Fit a CAV: L2-regularised logistic regression (liblinear), concept (1) vs random (0).

    A third of the examples (stratified, seeded) is held out for the accuracy.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    a = np.asarray(concept_acts, dtype=np.float64)
    b = np.asarray(random_acts, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"activations must be two (n, d) arrays with the same d, got {a.shape} "
                         f"and {b.shape}")
    if min(len(a), len(b)) < 3:
        raise ValueError("a CAV needs at least 3 concept and 3 random examples")
    x = np.vstack([a, b])
    y = np.r_[np.ones(len(a)), np.zeros(len(b))]
    scale = x.std(axis=0).mean() or 1.0
    xtr, xte, ytr, yte = train_test_split(x / scale, y, test_size=1 / 3, stratify=y,
                                          random_state=seed)
    clf = LogisticRegression(C=C, solver="liblinear").fit(xtr, ytr)
    w = clf.coef_.ravel()
    norm = np.linalg.norm(w)
    if norm == 0:
        raise ValueError("the concept and random activations cannot be separated at all")
    return CAV(w / norm, float(clf.score(xte, yte)))


def layer_gradients(model, images, labels, layer: str) -> np.ndarray:
    """Gradient of each image's class score with respect to ``layer``'s activations; ``(n, d)``."""
    net = _layer_model(model, layer)
    x = _batch(model, images)
    y = _labels(labels, len(x), int(model.output_shape[-1]))
    xt = tf.convert_to_tensor(x)
    with quiet():
        with tf.GradientTape() as tape:
            acts, scores = net(xt, training=False)
            picked = tf.gather(scores, tf.convert_to_tensor(y), axis=1, batch_dims=1)
        grads = tape.gradient(picked, acts)
    return np.asarray(grads, dtype=np.float64).reshape(len(x), -1)


def directional_derivatives(model, images, labels, layer: str, cav) -> np.ndarray:
    """``d score_k / d activations . CAV`` for each image and its class ``k``; ``(n,)``."""
    vector = cav.vector if isinstance(cav, CAV) else np.asarray(cav, dtype=np.float64)
    grads = layer_gradients(model, images, labels, layer)
    if grads.shape[1] != vector.shape[0]:
        raise ValueError(f"the CAV has {vector.shape[0]} entries, layer {layer!r} has "
                         f"{grads.shape[1]} activations")
    return grads @ vector


def tcav_score(derivatives) -> float:
    """Share of positive directional derivatives."""
    d = np.asarray(derivatives, dtype=np.float64)
    if d.size == 0:
        raise ValueError("no directional derivatives")
    return float(np.mean(d > 0))


def bonferroni(p_values, n_tests: int | None = None) -> np.ndarray:
    """Bonferroni-corrected p-values: ``min(1, p * m)``, ``m`` the number of tests."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size if n_tests is None else int(n_tests)
    if m < 1:
        raise ValueError("n_tests must be at least 1")
    return np.minimum(1.0, p * m)


@dataclass(frozen=True)
class TCAVResult:
    """TCAV of one concept for one class at one layer.

    Attributes
    ----------
    scores : numpy.ndarray
        TCAV score of the concept against each random set.
    null_scores : numpy.ndarray
        TCAV score of each random set against another random set.
    p_value : float
        two-sided Welch t-test of ``scores`` against ``null_scores``
        (uncorrected; see :func:`bonferroni`).
    cav_accuracy : numpy.ndarray
        held-out accuracy of each concept CAV.
    """

    scores: np.ndarray
    null_scores: np.ndarray
    p_value: float
    cav_accuracy: np.ndarray = field(repr=False)

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def null_mean(self) -> float:
        return float(np.mean(self.null_scores))


def fit_cavs(model, concept_images, random_sets: Sequence, layer: str, *,
             seed: int = 0) -> tuple[list, list]:
    """The CAVs :func:`tcav` fits, for reuse across classes.

    Returns ``(concept_cavs, null_cavs)``: for each random set ``i`` the CAV of
    the concept against it and the CAV of set ``i`` against set ``i + 1``
    (cyclically), each fitted with seed ``seed + i``. They depend on the model,
    the layer and the image sets, not on the class whose score is tested.
    """
    if len(random_sets) < 3:
        raise ValueError(f"TCAV needs at least 3 random sets for its null, got {len(random_sets)}")
    concept = layer_activations(model, concept_images, layer)
    randoms = [layer_activations(model, r, layer) for r in random_sets]
    concept_cavs, null_cavs = [], []
    for i, r in enumerate(randoms):
        concept_cavs.append(concept_activation_vector(concept, r, seed=seed + i))
        null_cavs.append(concept_activation_vector(r, randoms[(i + 1) % len(randoms)], seed=seed + i))
    return concept_cavs, null_cavs


def tcav(model, class_images, label: int, concept_images, random_sets: Sequence, layer: str,
         *, seed: int = 0, cavs: tuple[list, list] | None = None) -> TCAVResult:
    """TCAV score of a concept for one class, with a random-concept null.

    Parameters
    ----------
    model : keras.Model
    class_images : array-like
        images of the class whose score is differentiated.
    label : int
        that class.
    concept_images : array-like
        examples of the concept.
    random_sets : sequence of array-like
        at least 3 (the paper: many; the book uses 10 or more) sets of random
        images; each gives one concept CAV (concept vs set ``i``) and one null
        CAV (set ``i`` vs set ``i + 1``, cyclically).
    layer : str
        layer name whose activations define the CAVs.
    seed : int
    cavs : optional
        ``fit_cavs(model, concept_images, random_sets, layer, seed=seed)``,
        computed once and shared by several classes (same result, less work).
    """
    from scipy.stats import ttest_ind

    if len(random_sets) < 3:
        raise ValueError(f"TCAV needs at least 3 random sets for its null, got {len(random_sets)}")
    if cavs is None:
        cavs = fit_cavs(model, concept_images, random_sets, layer, seed=seed)
    concept_cavs, null_cavs = cavs
    if len(concept_cavs) != len(random_sets) or len(null_cavs) != len(random_sets):
        raise ValueError("cavs must hold one concept and one null CAV per random set")
    grads = layer_gradients(model, class_images, np.full(len(class_images), int(label)), layer)
    scores, null, acc = [], [], []
    for cav, rcav in zip(concept_cavs, null_cavs):
        acc.append(cav.accuracy)
        scores.append(tcav_score(grads @ cav.vector))
        null.append(tcav_score(grads @ rcav.vector))
    scores, null = np.asarray(scores), np.asarray(null)
    if np.ptp(scores) == 0 and np.ptp(null) == 0:
        p = 1.0 if scores[0] == null[0] else 0.0
    else:
        import warnings

        with warnings.catch_warnings():  # a concept scoring 1.0 every time has no variance
            warnings.simplefilter("ignore", RuntimeWarning)
            p = float(ttest_ind(scores, null, equal_var=False).pvalue)
    return TCAVResult(scores, null, p, np.asarray(acc))
