"""Activation maximization: the input each class score likes best.

Starting from a grey, slightly noisy image, gradient ascent changes the pixels
to raise one class's logit, while two regularisers keep the image plausible
(total variation: few sharp edges; an L2 norm: no runaway pixels) and random
jitter stops the optimisation from exploiting single pixels. The optimiser is
tf-keras-vis's :class:`~tf_keras_vis.activation_maximization.ActivationMaximization`,
with a seeded jitter so that equal seeds give equal images.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xaibook.vision._tf import keras, quiet, tf
from xaibook.vision.attribution import logits_model

__all__ = ["ClassVisualization", "activation_maximization", "cached_activation_maximization",
           "class_likeness", "seed_agreement"]


@dataclass(frozen=True)
class ClassVisualization:
    """Result of :func:`activation_maximization`.

    Attributes
    ----------
    images : numpy.ndarray
        ``(k, h, w, c)`` optimised inputs, in the model's input range.
    classes : tuple of int
        The class each image maximises.
    probabilities : numpy.ndarray
        ``(k, n_classes)`` the model's probabilities for each image.
    """

    images: np.ndarray = field(repr=False)
    classes: tuple[int, ...]
    probabilities: np.ndarray = field(repr=False)

    @property
    def target_probability(self) -> np.ndarray:
        """``(k,)`` probability of each image's own class."""
        return self.probabilities[np.arange(len(self.classes)), list(self.classes)]

    def part(self, index) -> "ClassVisualization":
        """The images selected by ``index`` (a slice or integer array), e.g. one of
        several starts per class optimised in one batch."""
        keep = np.arange(len(self.classes))[index]
        return ClassVisualization(self.images[keep], tuple(self.classes[i] for i in keep),
                                  self.probabilities[keep])


def _seeded_jitter(jitter: int, rng: np.random.Generator):
    with quiet():
        from tf_keras_vis.activation_maximization.input_modifiers import InputModifier

    class SeededJitter(InputModifier):
        """Shift the image to a random offset of at most ``jitter`` pixels.

        tf-keras-vis applies input modifiers to the optimised image itself, so
        its own ``Jitter`` makes the image drift in a random walk (and wrap
        around). This one keeps track of the offset and draws each step's
        *position* in ``[-jitter, jitter]``; :attr:`offset` undoes it.
        """

        offset = None

        def __call__(self, seed_input):
            ndim = len(seed_input.shape)
            target = rng.integers(-jitter, jitter + 1, size=ndim - 2)
            current = np.zeros(ndim - 2, dtype=int) if self.offset is None else self.offset
            self.offset = target
            shift = tuple(int(s) for s in target - current)
            return tf.roll(seed_input, shift=shift, axis=tuple(range(1, ndim - 1)))

    return SeededJitter()


def activation_maximization(model, classes, *, steps: int = 512, learning_rate: float = 0.2,
                            tv_weight: float = 1.0, l2_weight: float = 0.0, jitter: int = 1,
                            input_range=(0.0, 1.0), start_logit: float = -2.0,
                            objective: str = "logit",
                            seed: int = 0) -> ClassVisualization:
    """Optimise one input image per class to maximise that class's logit.

    Parameters
    ----------
    model : keras.Model
        A classifier (the softmax, if any, is skipped: logits are maximised).
    classes : sequence of int
        Classes to visualise; one image each, optimised together (tf-keras-vis
        needs a seed batch as long as the list of scores).
    steps : int
        Gradient-ascent steps.
    learning_rate : float
        Adam's step size, in units of the input range.
    tv_weight, l2_weight : float
        Weights of the total-variation and L2-norm penalties (on the
        unconstrained values, see Notes).
    jitter : int
        Largest random shift, in pixels, of the image at each step (0: none);
        the returned images are shifted back.
    input_range : (float, float)
        Range of the model's inputs.
    start_logit : float
        Starting value of the unconstrained pixels (-2: a dark image, like
        Fashion-MNIST's black background, plus a little noise).
    objective : {"logit", "log_probability"}
        What is maximised: the class's raw logit (Simonyan et al.'s choice;
        may end in an image the model calls something else, since other
        logits can grow too) or its log-probability (raises the class and
        lowers the others, which favours faint, "minimal" images).
    seed : int
        Seed of the starting images and the jitter.

    Returns
    -------
    ClassVisualization

    Notes
    -----
    The pixels are optimised through a sigmoid: the model sees
    ``low + (high - low) * sigmoid(z)`` and gradient ascent moves ``z``. The
    images never leave the range the model was trained on. The penalties act
    on ``z``: the L2 norm pulls towards mid-grey (off by default), total
    variation towards smooth images.
    """
    with quiet():  # tf-keras-vis imports its own deprecated modules
        from tf_keras_vis.activation_maximization import ActivationMaximization
        from tf_keras_vis.activation_maximization.regularizers import Norm, TotalVariation2D
        from tf_keras_vis.utils.scores import CategoricalScore

    classes = [int(c) for c in np.atleast_1d(classes)]
    n_classes = int(model.output_shape[-1])
    if not classes or min(classes) < 0 or max(classes) >= n_classes:
        raise ValueError(f"classes must be a non-empty list of ints in [0, {n_classes})")
    if steps < 1 or learning_rate <= 0 or jitter < 0 or tv_weight < 0 or l2_weight < 0:
        raise ValueError("steps and learning_rate must be positive; jitter and weights >= 0")
    low, high = (float(v) for v in input_range)
    if not high > low:
        raise ValueError(f"input_range must be (low, high) with low < high, got {input_range}")
    rng = np.random.default_rng(seed)
    shape = (len(classes), *model.input_shape[1:])
    # Optimise unconstrained values z; the model sees low + (high - low) * sigmoid(z),
    # so every step stays inside the input range (tf-keras-vis clips only the result).
    z0 = (start_logit + rng.normal(0.0, 0.1, size=shape)).astype(np.float32)
    inputs = keras.Input(model.input_shape[1:])
    squashed = keras.layers.Rescaling(high - low, offset=low)(keras.layers.Activation("sigmoid")(inputs))
    scores = logits_model(model)(squashed)
    if objective == "log_probability":
        scores = keras.layers.Activation("log_softmax")(scores)
    elif objective != "logit":
        raise ValueError(f"objective must be 'log_probability' or 'logit', got {objective!r}")
    wrapper = keras.Model(inputs, scores)
    jitterer = _seeded_jitter(jitter, rng) if jitter else None
    modifiers = [jitterer] if jitterer else []
    regularizers = [TotalVariation2D(weight=tv_weight), Norm(weight=l2_weight, p=2)]
    visualizer = ActivationMaximization(wrapper, clone=False)
    with quiet():
        z = visualizer(CategoricalScore(classes), seed_input=z0, input_range=(None, None),
                       input_modifiers=modifiers, regularizers=regularizers, steps=steps,
                       optimizer=keras.optimizers.Adam(learning_rate))
        z = np.asarray(z, np.float64)
        if jitterer is not None and jitterer.offset is not None:  # undo the last shift
            z = np.roll(z, tuple(-int(o) for o in jitterer.offset), axis=tuple(range(1, z.ndim - 1)))
        images = (low + (high - low) / (1 + np.exp(-z))).astype(np.float32)
        probs = np.asarray(model(images, training=False))
    return ClassVisualization(images, tuple(classes), probs)


def _cache_key(model, classes, options: dict) -> str:
    """Digest of everything the images depend on: the model's architecture and
    weights, the classes and options, this module's source and the versions of
    the libraries that compute them."""
    import hashlib
    import importlib.metadata
    import json
    from pathlib import Path

    digest = hashlib.sha256()
    digest.update(json.dumps(model.to_json(), sort_keys=True).encode())
    for w in model.get_weights():
        digest.update(str(w.shape).encode())
        digest.update(np.ascontiguousarray(w).tobytes())
    versions = {lib: importlib.metadata.version(lib) for lib in ("tensorflow", "keras", "tf-keras-vis")}
    digest.update(json.dumps({"classes": [int(c) for c in classes], "options": options,
                              "versions": versions}, sort_keys=True, default=str).encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def cached_activation_maximization(model, classes, *, cache_dir=None,
                                   **options) -> ClassVisualization:
    """:func:`activation_maximization`, cached on disk beside the trained models.

    The key is a digest of the model (architecture and weights), the classes,
    ``options``, this module's source and the TensorFlow, Keras and
    tf-keras-vis versions, so any change recomputes. A cold run costs what
    :func:`activation_maximization` costs; a warm one (e.g. a chapter
    re-executed with the same model) reads a small ``.npz``.

    Parameters
    ----------
    model, classes, **options
        As :func:`activation_maximization`.
    cache_dir : path, optional
        Default :func:`xaibook.vision.cnn.model_dir`.
    """
    import os
    from pathlib import Path

    from xaibook.vision.cnn import model_dir

    classes = [int(c) for c in np.atleast_1d(classes)]
    folder = Path(cache_dir) if cache_dir is not None else model_dir()
    path = folder / f"actmax-{_cache_key(model, classes, options)}.npz"
    if path.exists():
        try:
            with np.load(path) as stored:
                if [int(c) for c in stored["classes"]] == classes:
                    return ClassVisualization(stored["images"], tuple(classes),
                                              stored["probabilities"])
        except (OSError, ValueError, KeyError):   # unreadable: compute again
            pass
    result = activation_maximization(model, classes, **options)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(tmp, images=result.images, classes=np.asarray(classes),
             probabilities=result.probabilities)
    os.replace(tmp, path)
    return result


def _flat(images) -> np.ndarray:
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 4:
        x = x.mean(axis=-1)
    if x.ndim != 3:
        raise ValueError(f"images must be (n, h, w) or (n, h, w, c), got {x.shape}")
    return x.reshape(len(x), -1)


def _corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of every row of ``a`` with every row of ``b`` (0 for a constant row)."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    out = (a @ b.T) / np.outer(np.where(na > 0, na, 1), np.where(nb > 0, nb, 1))
    out[na == 0] = 0
    out[:, nb == 0] = 0
    return out


def class_likeness(images, classes, train_images, train_labels) -> pd.DataFrame:
    """How much each image looks like the average training image of each class.

    Parameters
    ----------
    images : array-like
        ``(k, h, w[, c])`` images, e.g. :attr:`ClassVisualization.images`.
    classes : sequence of int
        The class each image stands for.
    train_images, train_labels : array-like
        Images (any scale: correlations are scale-free) and labels whose
        per-class means are the references.

    Returns
    -------
    pandas.DataFrame
        One row per image: ``class``, ``own`` (Pearson correlation of the
        image's pixels with its own class's mean image), ``best_other`` (the
        highest correlation with another class's mean), ``best_class`` (the
        class whose mean it resembles most) and ``own_rank`` (1: its own
        class's mean is the one it resembles most).
    """
    x = _flat(images)
    classes = np.asarray(classes, dtype=int)
    if len(classes) != len(x):
        raise ValueError(f"{len(classes)} classes for {len(x)} images")
    t, y = np.asarray(train_images), np.asarray(train_labels)
    labels = np.unique(y)
    if not set(classes) <= set(labels):
        raise ValueError("every class needs training images")
    # One class at a time, in the images' own dtype: no float copy of the whole training set.
    means = np.stack([_flat(t[y == k].mean(axis=0, dtype=np.float64)[None])[0] for k in labels])
    r = _corr(x, means)
    own_col = np.searchsorted(labels, classes)
    own = r[np.arange(len(x)), own_col]
    others = r.copy()
    others[np.arange(len(x)), own_col] = -np.inf
    return pd.DataFrame({"class": classes, "own": own, "best_other": others.max(axis=1),
                         "best_class": labels[r.argmax(axis=1)],
                         "own_rank": (r > own[:, None]).sum(axis=1) + 1})


def seed_agreement(runs) -> pd.DataFrame:
    """Do runs with different seeds find the same image for a class?

    Parameters
    ----------
    runs : sequence of ClassVisualization
        At least two runs over the same classes (different seeds).

    Returns
    -------
    pandas.DataFrame
        One row per class: ``same_class`` (mean Pearson correlation of the
        class's images over every pair of runs) and ``other_classes`` (mean
        correlation of the class's image in one run with the *other*
        classes' images in another run: the null that ``same_class`` must
        beat for the images to be specific to their class).
    """
    runs = list(runs)
    if len(runs) < 2:
        raise ValueError("need at least two runs")
    classes = runs[0].classes
    if any(r.classes != classes for r in runs):
        raise ValueError("every run must visualise the same classes in the same order")
    flat = [_flat(r.images) for r in runs]
    same, other = [], []
    k = len(classes)
    off = ~np.eye(k, dtype=bool)
    for i in range(len(runs)):
        for j in range(i + 1, len(runs)):
            r = _corr(flat[i], flat[j])
            same.append(np.diag(r))
            other.append(np.where(off, r, 0).sum(axis=1) / max(k - 1, 1))
    return pd.DataFrame({"class": list(classes), "same_class": np.mean(same, axis=0),
                         "other_classes": np.mean(other, axis=0)})
