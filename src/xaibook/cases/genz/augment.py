"""Fix the clichéd CNN by colour augmentation, and check whether the fix holds.

The Gen Z chapter's model learns that pink means dress. One cure is to make
colour useless during training: show every training image, with probability
``p``, in a colour it does not usually have. Two augmentations, applied once
per image with a fixed seed (so that the augmented training set, and with
it the cached model, is a function of the recipe):

``"greyscale"``
    the image becomes its luminance (ITU-R BT.601 weights) in all three
    channels: no colour at all.
``"channel permutation"``
    the RGB channels are permuted by one of the six permutations, drawn
    uniformly: pink becomes one of six other hues (and blue of six others).
    The two colours' channel *values* stay different (pink has a channel at
    0.42, blue none below 0.52), so a network can still tell them apart in
    principle: a dent, not necessarily a cure.

:func:`train_augmented` retrains the Gen Z recipe (:mod:`xaibook.cases.genz.image_experiment`)
on augmented clichéd images through :func:`xaibook.vision.cnn.load_or_train`
(cached by recipe, augmentation and seed); :func:`evaluate_models` scores each
model on the clichéd and both Gen-Z test sets and with the colour-swap test.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xaibook.cases.genz.colour_stats import predicted_labels
from xaibook.cases.genz.image_experiment import ImageData, ImageRecipe
from xaibook.cases.genz.tint import TintedImages, make_cliched, make_genz
from xaibook.vision.cnn import TrainedCNN, load_or_train

__all__ = ["AUGMENTATIONS", "AugmentRecipe", "augment", "train_augmented", "evaluate_models",
           "LUMINANCE"]

#: The augmentations, by name.
AUGMENTATIONS = ("none", "greyscale", "channel permutation")
#: Luminance weights of R, G, B (ITU-R BT.601).
LUMINANCE = np.array([0.299, 0.587, 0.114])
_PERMUTATIONS = np.array([[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])


def augment(images, kind: str, p: float, *, seed: int) -> np.ndarray:
    """Augment each RGB image with probability ``p`` (see the module docstring).

    Parameters
    ----------
    images : array, shape (n, h, w, 3), values in [0, 1]
    kind : one of :data:`AUGMENTATIONS`
    p : float in [0, 1]
        probability that an image is augmented.
    seed : int

    Returns
    -------
    numpy.ndarray (float32, same shape); ``kind="none"`` or ``p=0`` returns a copy.
    """
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"images must be RGB, shape (n, h, w, 3), got {x.shape}")
    if kind not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {kind!r}; choose from {AUGMENTATIONS}")
    if not 0 <= p <= 1:
        raise ValueError(f"p must be a probability in [0, 1], got {p}")
    out = x.copy()
    if kind == "none" or p == 0:
        return out
    rng = np.random.default_rng(seed)
    chosen = rng.random(len(x)) < p
    if kind == "greyscale":
        lum = (x[chosen] @ LUMINANCE.astype(np.float32))[..., None]
        out[chosen] = np.repeat(lum, 3, axis=-1)
    else:
        perms = _PERMUTATIONS[rng.integers(0, len(_PERMUTATIONS), len(x))]
        idx = np.flatnonzero(chosen)
        for i in idx:
            out[i] = x[i][..., perms[i]]
    return out


@dataclass(frozen=True)
class AugmentRecipe:
    """What the augmentation experiment trains.

    Parameters
    ----------
    cliche : float
        strength of the cliché in the training colours.
    kinds : tuple of str
        augmentations tried (besides the unaugmented control).
    probabilities : tuple of float
        augmentation strengths ``p``.
    seeds : tuple of int
        training seeds (weights, shuffling and the augmentation draws).
    n_train : int
        training images used (the first ``n_train`` of the Gen Z subset).
    image : ImageRecipe
        the Gen Z recipe (network, training settings, colours).
    """

    cliche: float = 0.9
    kinds: tuple[str, ...] = ("greyscale", "channel permutation")
    probabilities: tuple[float, ...] = (0.5, 1.0)
    seeds: tuple[int, ...] = (0, 1)
    n_train: int = 3000
    image: ImageRecipe = ImageRecipe()

    def __post_init__(self):
        bad = [k for k in self.kinds if k not in AUGMENTATIONS or k == "none"]
        if bad:
            raise ValueError(f"unknown augmentation(s) {bad}; choose from {AUGMENTATIONS[1:]}")
        if not self.probabilities or any(not 0 < q <= 1 for q in self.probabilities):
            raise ValueError("probabilities must be in (0, 1]")
        if not self.seeds:
            raise ValueError("need at least one seed")
        if not 0 <= self.cliche <= 1:
            raise ValueError(f"cliche must be in [0, 1], got {self.cliche}")

    def runs(self) -> list[tuple[str, float, int]]:
        """(kind, p, seed) of every model, the unaugmented control first."""
        out = [("none", 0.0, s) for s in self.seeds]
        out += [(k, q, s) for k in self.kinds for q in self.probabilities for s in self.seeds]
        return out


def train_augmented(data: ImageData, recipe: AugmentRecipe, kind: str, p: float, seed: int, *,
                    cache_dir=None) -> TrainedCNN:
    """Train (or load) the Gen Z CNN on augmented clichéd training images."""
    if recipe.n_train > len(data.x_train):
        raise ValueError(f"n_train {recipe.n_train} exceeds the {len(data.x_train)} images")
    img = recipe.image
    # the same colours as the Gen Z chapter's training set (its colour seed)
    coloured = make_cliched(data.x_train, data.y_train, recipe.cliche, seed=img.seed * 1000 + 1)
    x = augment(coloured.x[:recipe.n_train], kind, p, seed=seed)
    y = coloured.y[:recipe.n_train]
    settings = dataclasses.replace(img.training, seed=seed)
    tag = kind.replace(" ", "-")
    return load_or_train(img.cnn, settings, x, y, cache_dir=cache_dir,
                         name=f"genz-aug-{tag}-p{p:g}-c{recipe.cliche:g}")


def evaluate_models(models: dict, data: ImageData, recipe: AugmentRecipe) -> pd.DataFrame:
    """Accuracy on clichéd / independent / reversed test sets and the swap flip rate.

    Parameters
    ----------
    models : dict
        ``(kind, p, seed) -> TrainedCNN`` (or a keras model).

    Returns
    -------
    pandas.DataFrame
        one row per model and condition: ``kind``, ``p``, ``seed``,
        ``condition`` (``clichéd``, ``independent``, ``reversed``,
        ``swap flips``), ``value`` (accuracy, or share of predictions that
        change when the colours are swapped), ``correct`` (per-image 0/1
        array, for intervals; for the swap row: per-image flips).
    """
    img = recipe.image
    sets: dict[str, TintedImages] = {
        "clichéd": make_cliched(data.x_test, data.y_test, recipe.cliche, seed=img.seed * 1000 + 2),
        "independent": make_genz(data.x_test, data.y_test, "independent", seed=img.seed * 1000 + 3),
        "reversed": make_genz(data.x_test, data.y_test, "reversed", seed=img.seed * 1000 + 3),
    }
    rows = []
    for (kind, p, seed), trained in models.items():
        model = getattr(trained, "model", trained)

        def predict(x, m=model):
            return m.predict(x, batch_size=500, verbose=0)

        preds = {}
        for name, t in sets.items():
            preds[name] = predicted_labels(predict, t.x)
            correct = (preds[name] == t.y).astype(float)
            rows.append({"kind": kind, "p": p, "seed": seed, "condition": name,
                         "value": float(correct.mean()), "correct": correct})
        swapped = predicted_labels(predict, sets["clichéd"].swapped().x)
        flips = (swapped != preds["clichéd"]).astype(float)
        rows.append({"kind": kind, "p": p, "seed": seed, "condition": "swap flips",
                     "value": float(flips.mean()), "correct": flips})
    return pd.DataFrame(rows)
