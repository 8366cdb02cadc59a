"""Sanity checks for saliency maps (Adebayo et al., 2018).

The *cascading model-randomization test*: re-initialise the weights of a
trained network layer by layer, from the output towards the input, and after
each step compute the maps again. A method whose maps explain what the model
*learned* must change as the learned weights are destroyed; a method whose
maps barely change is showing something else (often just the image's edges).

Similarity to the original map is measured per image by the Spearman rank
correlation (of absolute values, and signed) and by SSIM (structural
similarity of the maps scaled to ``[0, 1]``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xaibook.vision._tf import keras, quiet
from xaibook.vision.attribution import _batch, attribute, normalize_maps

__all__ = [
    "SanityResult", "cascading_randomization", "different_image_null", "label_randomization",
    "shuffled_labels", "edge_map", "map_similarity",
    "method_agreement",
    "randomize_layers", "trainable_layers",
]


def trainable_layers(model) -> list[str]:
    """Names of the layers with weights, from the output back to the input."""
    return [layer.name for layer in reversed(model.layers) if layer.weights]


def _fresh(initializer, seed: int):
    config = initializer.get_config()
    if "seed" in config:
        config = {**config, "seed": seed}
    return initializer.__class__.from_config(config)


def randomize_layers(model, layers: Sequence[str], *, seed: int = 0):
    """A copy of ``model`` whose ``layers`` are re-initialised.

    Each weight gets a fresh draw from the layer's own initializer (e.g.
    ``kernel_initializer`` for a kernel, zeros for a bias), seeded with
    ``seed`` plus the layer's position, so equal seeds give equal copies.
    ``model`` itself is not changed.

    Returns
    -------
    keras.Model
    """
    names = {layer.name for layer in model.layers}
    unknown = [name for name in layers if name not in names]
    if unknown:
        raise ValueError(f"no layer named {', '.join(map(repr, unknown))} in the model")
    with quiet():
        clone = keras.models.clone_model(model)
        clone.set_weights(model.get_weights())
    for position, layer in enumerate(clone.layers):
        if layer.name not in layers:
            continue
        for variable in layer.weights:
            short = variable.name.split("/")[-1].split(":")[0]
            initializer = getattr(layer, f"{short}_initializer", None)
            if initializer is None:
                raise ValueError(f"layer {layer.name!r} has no initializer for {short!r}")
            value = _fresh(initializer, seed + 1000 * position)(variable.shape, dtype=variable.dtype)
            variable.assign(value)
    return clone


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import rankdata

    ra, rb = rankdata(a.ravel()), rankdata(b.ravel())
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def map_similarity(a, b) -> pd.DataFrame:
    """Similarity of two stacks of maps, image by image.

    Parameters
    ----------
    a, b : array-like
        ``(n, h, w)`` (or one ``(h, w)`` map each).

    Returns
    -------
    pandas.DataFrame
        One row per image: ``spearman_abs`` (rank correlation of absolute
        values), ``spearman`` (of signed values) and ``ssim`` (of the
        absolute maps scaled to ``[0, 1]``). A constant map shares no
        ranking with anything: its correlations are 0.
    """
    from skimage.metrics import structural_similarity

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim == 2:
        a, b = a[None], b[None]
    if a.shape != b.shape or a.ndim != 3:
        raise ValueError(f"maps must be two (n, h, w) stacks of equal shape, got {a.shape} "
                         f"and {b.shape}")
    na, nb = normalize_maps(a), normalize_maps(b)
    side = min(a.shape[1:])
    win = 7 if side >= 7 else (side if side % 2 else side - 1)  # odd, at most 7
    rows = []
    for i in range(len(a)):
        ssim = (structural_similarity(na[i], nb[i], data_range=1.0, win_size=win)
                if win >= 3 else float("nan"))
        rows.append({"image": i, "spearman_abs": _spearman(np.abs(a[i]), np.abs(b[i])),
                     "spearman": _spearman(a[i], b[i]), "ssim": float(ssim)})
    return pd.DataFrame(rows)


def method_agreement(maps: dict, *, metric: str = "spearman_abs") -> pd.DataFrame:
    """Mean similarity between every pair of methods' maps of the same images.

    Parameters
    ----------
    maps : dict of str to array
        Method name to ``(n, h, w)`` maps, all of the same images.
    metric : {"spearman_abs", "spearman", "ssim"}

    Returns
    -------
    pandas.DataFrame
        Square and symmetric, methods in the order given; 1 on the diagonal.
    """
    if metric not in ("spearman_abs", "spearman", "ssim"):
        raise ValueError(f"unknown metric {metric!r}")
    names = list(maps)
    out = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            value = map_similarity(maps[a], maps[b])[metric].mean()
            out.loc[a, b] = out.loc[b, a] = value
    return out


def different_image_null(maps: dict, *, metric: str = "spearman_abs", shift: int = 1) -> pd.Series:
    """The floor a sanity score must be read against: similarity of maps of *different* images.

    For each method, image ``i``'s map (trained model) is compared with image
    ``i + shift``'s (cyclically), and the median similarity is returned. Two
    maps of different garments share the black background, the centred
    garment and the pixels no map can light up after the last pooling; a
    randomized model's map that is "still 0.5 correlated" with the trained
    one means little if different garments already correlate that much.

    Parameters
    ----------
    maps : dict of str to array
        method -> ``(n, h, w)`` maps of ``n >= 2`` images.
    metric : {"spearman_abs", "spearman", "ssim"}
    """
    if metric not in ("spearman_abs", "spearman", "ssim"):
        raise ValueError(f"metric must be 'spearman_abs', 'spearman' or 'ssim', got {metric!r}")
    out = {}
    for method, m in maps.items():
        m = np.asarray(m, dtype=np.float64)
        if m.ndim != 3 or len(m) < 2:
            raise ValueError(f"maps of {method!r} must be (n, h, w) with n >= 2, got {m.shape}")
        if shift % len(m) == 0:
            raise ValueError("shift must pair each image with a different one")
        out[method] = float(map_similarity(m, np.roll(m, shift, axis=0))[metric].median())
    return pd.Series(out, name=f"different images ({metric})")


def shuffled_labels(labels, *, seed: int = 0) -> np.ndarray:
    """A seeded permutation of ``labels``: same class counts, no link to the images."""
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) < 2:
        raise ValueError(f"labels must be a 1-d array of at least 2 labels, got shape {y.shape}")
    return np.random.default_rng(seed).permutation(y)


def label_randomization(trained, randomized, images, labels, methods: Sequence[str] = (
        "gradient", "smoothgrad", "guided_backprop", "gradcam"), *,
        method_options: dict | None = None) -> pd.DataFrame:
    """Adebayo et al.'s data-randomization test: maps of a model trained on real labels
    against those of the same recipe trained on shuffled labels (:func:`shuffled_labels`).

    A model trained on shuffled labels can only memorise; a method whose maps
    look the same for both is not explaining what the real model learned.

    Parameters
    ----------
    trained, randomized : keras.Model
        same architecture; trained on real and on shuffled labels.
    images, labels : the images to explain and the class explained for each.
    methods : methods of :func:`xaibook.vision.attribution.attribute`.
    method_options : dict, optional
        method -> keyword arguments.

    Returns
    -------
    pandas.DataFrame
        one row per method and image: ``method``, ``image``, ``spearman_abs``,
        ``spearman``, ``ssim`` (see :func:`map_similarity`).
    """
    method_options = dict(method_options or {})
    if tuple(trained.input_shape) != tuple(randomized.input_shape):
        raise ValueError("the two models must take the same input")
    x = _batch(trained, images)
    rows = []
    for method in methods:
        kw = method_options.get(method, {})
        a = attribute(trained, x, labels, method=method, **kw)
        b = attribute(randomized, x, labels, method=method, **kw)
        rows.append(map_similarity(a, b).assign(method=method))
    out = pd.concat(rows, ignore_index=True)
    return out[["method", "image", "spearman_abs", "spearman", "ssim"]]


def edge_map(images) -> np.ndarray:
    """Sobel edge magnitude of each image (summed over channels); ``(n, h, w)``.

    A reference for how much of a saliency map an edge detector, which
    knows nothing about the model, would already give.
    """
    from skimage.filters import sobel

    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise ValueError(f"images must be (n, h, w) or (n, h, w, c), got {x.shape}")
    return np.stack([sum(sobel(img[..., c]) for c in range(img.shape[-1])) for img in x])


@dataclass(frozen=True)
class SanityResult:
    """Result of :func:`cascading_randomization`.

    Attributes
    ----------
    stages : tuple of str
        ``"original"``, then the name of each layer as it is randomised
        (randomisation is cumulative: stage ``"conv2"`` has every layer
        from the output down to ``conv2`` re-initialised).
    methods : tuple of str
    maps : dict
        ``maps[stage][method]``: ``(n, h, w)`` array.
    scores : pandas.DataFrame
        One row per stage (after the original), method and image, with the
        columns of :func:`map_similarity` and ``step`` (1 = top layer).
    """

    stages: tuple[str, ...]
    methods: tuple[str, ...]
    maps: dict = field(repr=False)
    scores: pd.DataFrame = field(repr=False)

    def summary(self, metric: str = "spearman_abs") -> pd.DataFrame:
        """Mean and spread of ``metric`` per stage and method (long format),
        including the original model (similarity 1 by definition)."""
        if metric not in ("spearman_abs", "spearman", "ssim"):
            raise ValueError(f"unknown metric {metric!r}")
        grouped = self.scores.groupby(["step", "stage", "method"], sort=False)[metric]
        out = grouped.agg(mean="mean", low=lambda s: s.quantile(0.25),
                          high=lambda s: s.quantile(0.75)).reset_index()
        first = pd.DataFrame({"step": 0, "stage": self.stages[0], "method": list(self.methods),
                              "mean": 1.0, "low": 1.0, "high": 1.0})
        return pd.concat([first, out], ignore_index=True).assign(metric=metric)

    def table(self, metric: str = "spearman_abs") -> pd.DataFrame:
        """Mean ``metric``: one row per method, one column per stage."""
        s = self.summary(metric)
        return (s.pivot(index="method", columns="stage", values="mean")
                .reindex(index=list(self.methods), columns=list(self.stages)))


def cascading_randomization(model, images, labels, methods: Sequence[str] = (
        "gradient", "smoothgrad", "guided_backprop", "deconvnet", "gradcam", "gradcam++"), *,
        layers: Sequence[str] | None = None, seed: int = 0,
        method_options: dict | None = None,
        explain: Callable | None = None) -> SanityResult:
    """Adebayo et al.'s cascading randomization test.

    Parameters
    ----------
    model : keras.Model
        The trained network.
    images : array-like
        Images as the model takes them.
    labels : int or array-like of int
        Class explained per image; the same classes are explained at every
        stage (not the randomised model's predictions).
    methods : sequence of str
        Names accepted by :func:`xaibook.vision.attribution.attribute`.
    layers : sequence of str, optional
        Layers to randomise, in order; default :func:`trainable_layers`
        (output first).
    seed : int
        Seed of the re-initialisation.
    method_options : dict, optional
        ``{method: {option: value}}`` passed to :func:`attribute`.
    explain : callable, optional
        ``explain(model, images, labels, method, **options)``; defaults to
        :func:`attribute`.

    Returns
    -------
    SanityResult
    """
    x = _batch(model, images)
    method_options = method_options or {}
    explain = explain or attribute
    layers = list(trainable_layers(model) if layers is None else layers)
    if not layers:
        raise ValueError("the model has no layers with weights to randomise")
    methods = tuple(methods)
    stages = ("original", *layers)
    maps = {"original": {m: explain(model, x, labels, m, **method_options.get(m, {}))
                         for m in methods}}
    rows = []
    for step in range(1, len(stages)):
        randomized = randomize_layers(model, layers[:step], seed=seed)
        maps[stages[step]] = {}
        for m in methods:
            new = explain(randomized, x, labels, m, **method_options.get(m, {}))
            maps[stages[step]][m] = new
            sim = map_similarity(maps["original"][m], new)
            rows.append(sim.assign(step=step, stage=stages[step], method=m))
    scores = pd.concat(rows, ignore_index=True)[
        ["step", "stage", "method", "image", "spearman_abs", "spearman", "ssim"]]
    return SanityResult(stages, methods, maps, scores)
