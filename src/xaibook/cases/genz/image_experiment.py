"""Train the book's CNN on clichéd colours, break it with Gen Z, ask the explainers.

For each strength of the cliché the same CNN recipe (:mod:`xaibook.vision.cnn`,
with an RGB input) is trained on the same Fashion-MNIST images, coloured by
:func:`xaibook.cases.genz.tint.make_cliched`; the models are cached by recipe, so a
rebuild loads them; so are the measurements below (beside the models, keyed
by recipe, methods and the models' own keys). Then, per strength:

* **accuracy** on a test set coloured like the training data (the world as it
  was), and on the two Gen-Z sets (colour independent of the class, colour
  reversed);
* an **explainer-free reference**: the share of predictions that change when
  only the colour of the same test images is swapped
  (:func:`xaibook.cases.genz.colour_stats.swap_flip_rate`). It needs no Gen-Z data,
  only the idea of asking "what if this dress were blue?";
* each **explainer**'s colour share (:func:`xaibook.cases.genz.colour_stats.colour_share`)
  on the same test images, computed from its *channel-resolved* output, and
  compared with the same explainer on the model trained without the cliché
  (strength 0), which does not use colour.

Explainers whose output has one value per pixel (Grad-CAM, Grad-CAM++, LIME
on superpixels) say where the evidence is, not what it is; they cannot show
a colour shortcut and are listed as such. The book's wrappers
(:func:`xaibook.vision.attribution.attribute`) reduce every map to one value per
pixel for display; here the gradient-based maps are taken before that
reduction (:func:`xaibook.vision.attribution.input_gradients`,
:func:`xaibook.vision.attribution.shap_all_classes`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from xaibook.vision._tf import keras
from xaibook.vision.attribution import input_gradients, logits_model, shap_all_classes
from xaibook.vision.cnn import (FASHION_RECIPE, CNNRecipe, TrainedCNN, TrainingSettings, load_or_train,
                                model_dir)
from xaibook.cases.genz.colour_stats import accuracy_by_condition, colour_share, predicted_labels, swap_flip_rate
from xaibook.cases.genz.detection import Detection, Threshold, detection_table
from xaibook.cases.genz.tint import TintedImages, make_cliched, make_genz
from xaibook.cases.genz.store import write_json

__all__ = [
    "GENZ_TRAINING", "CHANNEL_METHODS", "SPATIAL_METHODS", "ImageRecipe", "ImageData",
    "ImageExperiment", "image_data", "train_models", "channel_attributions",
    "run_image_experiment", "reference_thresholds",
]

#: Training settings of the case study: fewer epochs than part two, on a
#: subset, no validation split (the Gen-Z sets are the evaluation).
GENZ_TRAINING = TrainingSettings(epochs=3, batch_size=128, learning_rate=2e-3,
                                 validation_size=0, seed=0)

#: Explainers whose raw output has a colour-channel axis, in table order.
CHANNEL_METHODS = ("gradient", "smoothgrad", "guided_backprop", "deconvnet", "shap")
#: Explainers with one value per pixel: they cannot show colour.
SPATIAL_METHODS = ("gradcam", "gradcam++", "lime")
_NAMES = {"gradient": "Gradient (saliency)", "smoothgrad": "Signed SmoothGrad",
          "guided_backprop": "Guided backprop", "deconvnet": "Deconvnet", "shap": "SHAP (gradient)",
          "gradcam": "Grad-CAM (last conv layer)", "gradcam++": "Grad-CAM++ (last conv layer)",
          "lime": "LIME (superpixels hidden in black)"}


@dataclass(frozen=True)
class ImageRecipe:
    """Everything that determines the image experiment's numbers.

    Parameters
    ----------
    strengths : tuple of float in [0, 1]
        cliché strengths trained; must start at 0 (the control model).
    n_train, n_test : int
        Fashion-MNIST training images used (a seeded subset) and test images scored.
    n_explain : int
        test images explained (each shown in its cliché colour).
    n_background : int
        training images SHAP takes expectations over.
    smoothgrad_samples, smoothgrad_noise : int, float
        noisy copies per image and their noise (share of the value range).
    shap_samples : int
        SHAP GradientExplainer samples per image.
    ratio : float
        an explainer detects when its colour share exceeds ``ratio`` times the
        control model's.
    flip_threshold : float
        the swap test detects when more than this share of predictions flip.
    cnn : CNNRecipe
        the network (the book's recipe with an RGB input).
    training : TrainingSettings
    seed : int
        seed of the subset and of the colours.
    """

    strengths: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 0.9, 1.0)
    n_train: int = 8000
    n_test: int = 1000
    n_explain: int = 100
    n_background: int = 50
    smoothgrad_samples: int = 16
    smoothgrad_noise: float = 0.15
    shap_samples: int = 16
    ratio: float = 1.5
    flip_threshold: float = 0.05
    cnn: CNNRecipe = FASHION_RECIPE.with_input_shape((28, 28, 3))
    training: TrainingSettings = GENZ_TRAINING
    seed: int = 0

    def __post_init__(self):
        s = tuple(float(v) for v in self.strengths)
        if not s or s[0] != 0.0:
            raise ValueError("strengths must start at 0: the model without the cliché is the control")
        if list(s) != sorted(set(s)) or s[-1] > 1:
            raise ValueError(f"strengths must be increasing, distinct and at most 1, got {self.strengths}")
        object.__setattr__(self, "strengths", s)
        if self.cnn.input_shape[-1] != 3:
            raise ValueError("the CNN recipe must take RGB input, e.g. "
                             "FASHION_RECIPE.with_input_shape((28, 28, 3))")
        if min(self.n_train, self.n_test, self.n_explain, self.n_background) < 1:
            raise ValueError("image counts must be positive")
        if self.n_explain > self.n_test:
            raise ValueError("n_explain cannot exceed n_test")
        if self.ratio <= 1:
            raise ValueError("ratio must be above 1")


@dataclass(frozen=True)
class ImageData:
    """The grey images of the experiment (uint8) and their labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def image_data(fashion, recipe: ImageRecipe) -> ImageData:
    """Seeded subset of Fashion-MNIST (:func:`xaibook.data.load_fashion_mnist`)."""
    for attr in ("x_train", "y_train", "x_test", "y_test"):
        if not hasattr(fashion, attr):
            raise TypeError("fashion must be the FashionMNIST object of load_fashion_mnist()")
    if recipe.n_train > len(fashion.x_train) or recipe.n_test > len(fashion.x_test):
        raise ValueError("the recipe asks for more images than Fashion-MNIST has")
    rng = np.random.default_rng(recipe.seed)
    train = np.sort(rng.permutation(len(fashion.x_train))[:recipe.n_train])
    test = np.sort(rng.permutation(len(fashion.x_test))[:recipe.n_test])
    return ImageData(fashion.x_train[train], fashion.y_train[train],
                     fashion.x_test[test], fashion.y_test[test])


def _colour_seed(recipe: ImageRecipe, part: str) -> int:
    return recipe.seed * 1000 + {"train": 1, "test": 2, "genz": 3}[part]


def train_models(data: ImageData, recipe: ImageRecipe, *, cache_dir=None) -> dict[float, TrainedCNN]:
    """One CNN per strength, trained on the same images coloured at that strength (cached)."""
    models = {}
    for s in recipe.strengths:
        coloured = make_cliched(data.x_train, data.y_train, s, seed=_colour_seed(recipe, "train"))
        models[s] = load_or_train(recipe.cnn, recipe.training, coloured.x, coloured.y,
                                  cache_dir=cache_dir, name=f"genz-s{s:g}")
    return models


def channel_attributions(model, images: np.ndarray, labels: np.ndarray, method: str,
                         recipe: ImageRecipe, background: np.ndarray | None = None) -> np.ndarray:
    """Channel-resolved attribution maps ``(n, h, w, 3)`` of one explainer.

    ``gradient``, ``guided_backprop`` and ``deconvnet`` are
    :func:`~xaibook.vision.attribution.input_gradients` with the matching
    ReLU rule; ``smoothgrad`` averages the signed plain gradients over noisy
    copies (the book's :func:`~xaibook.vision.attribution.smoothgrad` reduces
    channels per copy, which would hide colour); ``shap`` takes
    :func:`~xaibook.vision.attribution.shap_all_classes` at each image's class.
    """
    if method not in CHANNEL_METHODS:
        raise ValueError(f"{method!r} has no channel-resolved output; choose one of {CHANNEL_METHODS}")
    if method in ("gradient", "guided_backprop", "deconvnet"):
        rule = {"gradient": "plain", "guided_backprop": "guided", "deconvnet": "deconvnet"}[method]
        return input_gradients(model, images, labels, rule=rule)
    if method == "smoothgrad":
        rng = np.random.default_rng(recipe.seed)
        sigma = recipe.smoothgrad_noise * (images.max(axis=(1, 2, 3), keepdims=True)
                                           - images.min(axis=(1, 2, 3), keepdims=True))
        total = np.zeros(images.shape, dtype=np.float64)
        for _ in range(recipe.smoothgrad_samples):
            noisy = (images + rng.normal(size=images.shape) * sigma).astype(np.float32)
            total += input_gradients(model, noisy, labels)
        return total / recipe.smoothgrad_samples
    if background is None:
        raise ValueError("SHAP needs background images")
    # shap_all_classes explains all ten class scores; explaining only the one
    # needed (a one-output view of the logits, per class) is ten times cheaper.
    out = np.zeros(images.shape, dtype=np.float64)
    scores = logits_model(model).output
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        one = keras.Model(model.inputs, keras.layers.Lambda(lambda z, c=int(c): z[:, c:c + 1])(scores))
        values = shap_all_classes(one, images[idx], background, n_samples=recipe.shap_samples,
                                  seed=recipe.seed)
        out[idx] = values[..., 0]
    return out


def reference_thresholds(recipe: ImageRecipe) -> dict[str, Threshold]:
    """Rules of the two model-level references (no explainer involved)."""
    return {
        "colour-swap test": Threshold(
            "share of predictions that flip", recipe.flip_threshold, "above",
            "same shapes, colours swapped: a colour-blind model flips none"),
        "Gen-Z accuracy drop": Threshold(
            "clichéd minus reversed accuracy", recipe.flip_threshold, "above",
            "measured only once the world has changed"),
    }


@dataclass(frozen=True)
class ImageExperiment:
    """Results of :func:`run_image_experiment`.

    Attributes
    ----------
    recipe : ImageRecipe
    accuracy : pandas.DataFrame
        ``strength``, ``condition`` (``clichéd``, ``independent``,
        ``reversed``), ``accuracy``, ``n``.
    reference : pandas.DataFrame
        per strength: ``flip_rate`` (colour swap) and ``accuracy_drop``
        (clichéd minus reversed).
    shares : pandas.DataFrame
        per strength and channel-resolved method: ``colour_share`` (pooled
        over the explained images), ``median_image_share``, ``ratio`` (to the
        control model's pooled share).
    detections : pandas.DataFrame
        :func:`xaibook.cases.genz.detection.detection_table` of references and explainers.
    models : dict
        strength -> :class:`~xaibook.vision.cnn.TrainedCNN`.
    explain : TintedImages
        the explained images (test images in their cliché colour).
    seconds : dict
        wall time per step; ``models_from_cache`` counts cached models.
    """

    recipe: ImageRecipe
    accuracy: pd.DataFrame
    reference: pd.DataFrame
    shares: pd.DataFrame
    detections: pd.DataFrame
    models: dict = field(repr=False)
    explain: TintedImages = field(repr=False)
    seconds: dict = field(default_factory=dict, repr=False)

    def method_name(self, method: str) -> str:
        """Readable name of an explainer key (``"gradcam"`` -> ``"Grad-CAM (last conv layer)"``)."""
        return _NAMES.get(method, method)


def run_image_experiment(data: ImageData, recipe: ImageRecipe = ImageRecipe(), *,
                         cache_dir=None, methods=CHANNEL_METHODS) -> ImageExperiment:
    """Train (or load) the models, score them on clichéd and Gen-Z sets, ask the explainers.

    Parameters
    ----------
    data : ImageData
        from :func:`image_data`.
    recipe : ImageRecipe
    cache_dir : path, optional
        model cache (default: :func:`xaibook.vision.cnn.model_dir`).
    methods : sequence of str
        channel-resolved explainers to run (subset of :data:`CHANNEL_METHODS`).
        :data:`SPATIAL_METHODS` are always listed, as unable to show colour.
    """
    if not isinstance(recipe, ImageRecipe):
        raise TypeError("recipe must be an ImageRecipe")
    unknown = [m for m in methods if m not in CHANNEL_METHODS]
    if unknown:
        raise ValueError(f"unknown or not channel-resolved methods {unknown}; "
                         f"choose from {CHANNEL_METHODS}")
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    models = train_models(data, recipe, cache_dir=cache_dir)
    seconds["models"] = time.perf_counter() - start
    seconds["models_from_cache"] = sum(m.from_cache for m in models.values())

    explain = make_cliched(data.x_test[:recipe.n_explain], data.y_test[:recipe.n_explain], 1.0,
                           seed=_colour_seed(recipe, "test"))
    acc_rows, ref_rows, share_rows = _cached_measures(data, recipe, models, tuple(methods), explain,
                                                      seconds, cache_dir)
    accuracy = pd.DataFrame(acc_rows)[["strength", "condition", "accuracy", "n"]]
    reference = pd.DataFrame(ref_rows)
    shares = pd.DataFrame(share_rows)
    if len(shares):
        control = shares[shares["strength"] == 0.0].set_index("method")["colour_share"]
        shares["ratio"] = shares["colour_share"] / shares["method"].map(control)

    refs = reference_thresholds(recipe)
    dets = [Detection("Gen-Z accuracy drop", row.strength, row.accuracy_drop,
                      refs["Gen-Z accuracy drop"], note="after the world changes")
            for row in reference.itertuples()]
    dets += [Detection("colour-swap test", row.strength, row.flip_rate, refs["colour-swap test"],
                       note="no explainer") for row in reference.itertuples()]
    for method in methods:
        rows = shares[shares["method"] == method]
        control = float(rows.loc[rows["strength"] == 0.0, "colour_share"].iloc[0])
        rule = Threshold("colour share", recipe.ratio * control, "above",
                         f"{recipe.ratio:g} × the share for the model trained without the cliché "
                         f"({control:.3f})", fmt="{:.3f}")
        dets += [Detection(_NAMES[method], row.strength, row.colour_share, rule)
                 for row in rows.itertuples()]
    no_channel = Threshold("colour share", 0.0, "above", "one value per pixel",
                           text="cannot show colour (one value per pixel)")
    dets += [Detection(_NAMES[method], s, float("nan"), no_channel, note="map has no colour channel")
             for method in SPATIAL_METHODS for s in recipe.strengths]
    return ImageExperiment(recipe, accuracy, reference, shares, detection_table(dets), models,
                           explain, seconds)


MEASURE_VERSION = 1


def _measure_all(data: ImageData, recipe: ImageRecipe, models: dict, methods, explain,
                 seconds: dict):
    """Accuracy, references and colour shares of every model (the expensive part)."""
    genz = {mode: make_genz(data.x_test, data.y_test, mode, seed=_colour_seed(recipe, "genz"))
            for mode in ("independent", "reversed")}
    rng = np.random.default_rng(recipe.seed)
    background = make_cliched(data.x_train, data.y_train, 0.0, seed=_colour_seed(recipe, "train")) \
        .x[rng.choice(len(data.x_train), recipe.n_background, replace=False)]

    acc_rows, ref_rows, share_rows = [], [], []
    start = time.perf_counter()
    for s, trained in models.items():
        predict = lambda x, m=trained.model: m.predict(x, batch_size=500, verbose=0)  # noqa: E731
        cliched = make_cliched(data.x_test, data.y_test, s, seed=_colour_seed(recipe, "test"))
        acc = accuracy_by_condition(predict, {"clichéd": cliched, **genz})
        acc_rows += [{**r, "strength": float(s), "n": int(r["n"]), "accuracy": float(r["accuracy"])}
                     for r in acc.to_dict("records")]
        by = acc.set_index("condition")["accuracy"]
        ref_rows.append({"strength": float(s), "flip_rate": swap_flip_rate(predict, cliched),
                         "accuracy_drop": float(by["clichéd"] - by["reversed"])})
    seconds["accuracy"] = time.perf_counter() - start

    for method in methods:
        start = time.perf_counter()
        for s, trained in models.items():
            labels = predicted_labels(lambda x, m=trained.model: m.predict(x, verbose=0), explain.x)
            maps = channel_attributions(trained.model, explain.x, labels, method, recipe, background)
            per_image = colour_share(maps)
            share_rows.append({"strength": float(s), "method": method,
                               "colour_share": colour_share(maps, per_image=False),
                               "median_image_share": float(np.nanmedian(per_image))})
        seconds[method] = time.perf_counter() - start

    return acc_rows, ref_rows, share_rows


def _cached_measures(data, recipe, models, methods, explain, seconds, cache_dir):
    """:func:`_measure_all`, cached beside the models by recipe, methods and model keys."""
    blob = json.dumps({"recipe": dataclasses.asdict(recipe), "methods": list(methods),
                       "models": [m.key for m in models.values()], "version": MEASURE_VERSION},
                      sort_keys=True, default=str)
    key = hashlib.sha256(blob.encode()).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir is not None else model_dir()
    path = folder / f"genz-image-measures-{key}.json"
    if path.exists():
        stored = json.loads(path.read_text())
        seconds["measures_from_cache"] = True
        return stored["accuracy"], stored["reference"], stored["shares"]
    acc, ref, shares = _measure_all(data, recipe, models, methods, explain, seconds)
    seconds["measures_from_cache"] = False
    write_json(path, {"accuracy": acc, "reference": ref, "shares": shares}, indent=1, default=float)
    return acc, ref, shares
