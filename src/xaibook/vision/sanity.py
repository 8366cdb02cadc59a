"""Sanity checks for saliency maps (Adebayo et al., 2018).

The *cascading model-randomization test*: re-initialise the weights of a
trained network layer by layer, from the output towards the input, and after
each step compute the maps again. A method whose maps explain what the model
*learned* must change as the learned weights are destroyed; a method whose
maps barely change is showing something else (often just the image's edges).

Similarity to the original map is measured per image by the Spearman rank
correlation (of absolute values, and signed), by SSIM (structural
similarity of the maps scaled to ``[0, 1]``) and by the Pearson correlation
of their HOG features (histograms of oriented gradients), the three measures
of Adebayo et al. The test comes in two orders: *cascading* (from the output
down, layers stay random) and *independent* (one layer at a time, the others
trained). Scores are read against two references: a floor (maps of two
different garments, :func:`different_image_band`) and a ceiling (two runs of
a sampled explainer on the same model, :func:`noise_ceiling`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xaibook.vision._tf import keras, quiet
from xaibook.vision.attribution import _batch, attribute, normalize_maps

__all__ = [
    "METRICS", "SanityResult", "cascading_randomization", "different_image_band",
    "different_image_null", "edge_map", "hog_similarity", "independent_randomization",
    "label_randomization", "map_similarity", "method_agreement", "noise_ceiling",
    "quantus_keeps_trained_weights", "quantus_mprt", "randomize_layers", "shuffled_labels",
    "trainable_layers",
]

#: The similarity measures of :func:`map_similarity`.
METRICS = ("spearman_abs", "spearman", "ssim", "hog")


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: use one of {METRICS}")


def trainable_layers(model) -> list[str]:
    """Names of the layers with weights, from the output back to the input."""
    return [layer.name for layer in reversed(model.layers) if layer.weights]


def _fresh(initializer, seed: int):
    config = initializer.get_config()
    if "seed" in config:
        config = {**config, "seed": seed}
    return initializer.__class__.from_config(config)


def randomize_layers(model, layers: Sequence[str], *, seed: int = 0, how: str = "reinit"):
    """A copy of ``model`` whose ``layers`` are re-initialised.

    With ``how="reinit"`` each weight gets a fresh draw from the layer's own
    initializer (e.g. ``kernel_initializer`` for a kernel, zeros for a bias),
    seeded with ``seed`` plus the layer's position, so equal seeds give equal
    copies. With ``how="permute"`` each of the layer's trained weight arrays
    is shuffled along its first axis instead, exactly as Quantus 0.6.0's
    TensorFlow model does (a ``numpy.random.RandomState(seed + 1)`` per
    layer); with the same ``seed`` the copies equal Quantus's, which lets
    :func:`quantus_mprt` be checked against :func:`cascading_randomization`.
    ``model`` itself is not changed; the other layers keep its weights.

    Returns
    -------
    keras.Model
    """
    if how not in ("reinit", "permute"):
        raise ValueError(f"how must be 'reinit' or 'permute', got {how!r}")
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
        if how == "permute":
            rng = np.random.RandomState(seed + 1)
            layer.set_weights([rng.permutation(w) for w in layer.get_weights()])
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


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _hog(image: np.ndarray, cell: int) -> np.ndarray:
    from skimage.feature import hog

    return hog(image, orientations=9, pixels_per_cell=(cell, cell), cells_per_block=(2, 2),
               feature_vector=True)


def _map_stacks(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Two ``(n, h, w)`` float stacks of equal shape (one ``(h, w)`` map each is a stack of 1)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim == 2:
        a, b = a[None], b[None]
    if a.shape != b.shape or a.ndim != 3:
        raise ValueError(f"maps must be two (n, h, w) stacks of equal shape, got {a.shape} "
                         f"and {b.shape}")
    return a, b


def hog_similarity(a, b, *, cell: int = 4) -> np.ndarray:
    """Pearson correlation of the HOG features of two stacks of maps, image by image.

    The histograms of oriented gradients (:func:`skimage.feature.hog`; 9
    orientations, ``cell`` x ``cell`` pixel cells, 2 x 2 cell blocks) of the
    absolute maps scaled to ``[0, 1]`` (:func:`normalize_maps`) describe
    their local edge directions; Adebayo et al. (2018) compare maps by the
    Pearson correlation of these features. A map with no gradient (a
    constant) has all-zero features and correlation 0 with anything.

    Parameters
    ----------
    a, b : array-like
        ``(n, h, w)`` maps (or one ``(h, w)`` map each), ``h, w >= 2 * cell``.
    cell : int
        Side of a HOG cell in pixels.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` correlations in ``[-1, 1]``.
    """
    a, b = _map_stacks(a, b)
    if cell < 1 or min(a.shape[1:]) < 2 * cell:
        raise ValueError(f"maps of {a.shape[1:]} pixels are too small for 2 x 2 cells of {cell}")
    na, nb = normalize_maps(a), normalize_maps(b)
    return np.array([_pearson(_hog(na[i], cell), _hog(nb[i], cell)) for i in range(len(a))])


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
        values), ``spearman`` (of signed values), ``ssim`` (of the absolute
        maps scaled to ``[0, 1]``) and ``hog`` (:func:`hog_similarity`, NaN
        for maps under 8 pixels a side). A constant map shares no ranking
        with anything: its correlations are 0.
    """
    from skimage.metrics import structural_similarity

    a, b = _map_stacks(a, b)
    na, nb = normalize_maps(a), normalize_maps(b)
    side = min(a.shape[1:])
    win = 7 if side >= 7 else (side if side % 2 else side - 1)  # odd, at most 7
    hog = hog_similarity(a, b) if side >= 8 else np.full(len(a), np.nan)
    rows = []
    for i in range(len(a)):
        ssim = (structural_similarity(na[i], nb[i], data_range=1.0, win_size=win)
                if win >= 3 else float("nan"))
        rows.append({"image": i, "spearman_abs": _spearman(np.abs(a[i]), np.abs(b[i])),
                     "spearman": _spearman(a[i], b[i]), "ssim": float(ssim),
                     "hog": float(hog[i])})
    return pd.DataFrame(rows)


def method_agreement(maps: dict, *, metric: str = "spearman_abs") -> pd.DataFrame:
    """Mean similarity between every pair of methods' maps of the same images.

    Parameters
    ----------
    maps : dict of str to array
        Method name to ``(n, h, w)`` maps, all of the same images.
    metric : one of :data:`METRICS`

    Returns
    -------
    pandas.DataFrame
        Square and symmetric, methods in the order given; 1 on the diagonal.
    """
    _check_metric(metric)
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
    metric : one of :data:`METRICS`
    """
    _check_metric(metric)
    out = {}
    for method, m in maps.items():
        m = np.asarray(m, dtype=np.float64)
        if m.ndim != 3 or len(m) < 2:
            raise ValueError(f"maps of {method!r} must be (n, h, w) with n >= 2, got {m.shape}")
        if shift % len(m) == 0:
            raise ValueError("shift must pair each image with a different one")
        out[method] = float(map_similarity(m, np.roll(m, shift, axis=0))[metric].median())
    return pd.Series(out, name=f"different images ({metric})")


def different_image_band(maps: dict, *, metric: str = "spearman_abs",
                         quantiles=(0.05, 0.95)) -> pd.DataFrame:
    """The floor as a band: similarity of every pair of *different* images' maps.

    For each method, every map of the trained model is compared with the map
    of every other image (all ``n (n - 1) / 2`` pairs; the measures are
    symmetric). A sanity score inside the band is no more similar to the
    trained map than the map of another garment is.

    Parameters
    ----------
    maps : dict of str to array
        method -> ``(n, h, w)`` maps of ``n >= 2`` images.
    metric : one of :data:`METRICS`
    quantiles : (float, float)
        Lower and upper edge of the band, as quantiles of the pairs.

    Returns
    -------
    pandas.DataFrame
        Indexed by method: ``low``, ``median``, ``high`` and ``pairs``.
    """
    _check_metric(metric)
    lo, hi = quantiles
    if not 0 <= lo < hi <= 1:
        raise ValueError(f"quantiles must be 0 <= low < high <= 1, got {quantiles}")
    rows = {}
    for method, m in maps.items():
        m = np.asarray(m, dtype=np.float64)
        if m.ndim != 3 or len(m) < 2:
            raise ValueError(f"maps of {method!r} must be (n, h, w) with n >= 2, got {m.shape}")
        i, j = np.triu_indices(len(m), k=1)
        values = map_similarity(m[i], m[j])[metric]
        rows[method] = {"low": values.quantile(lo), "median": values.median(),
                        "high": values.quantile(hi), "pairs": len(values)}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "method"
    return out.astype({"pairs": int})


def noise_ceiling(model, images, labels, method: str, *, seeds=(0, 1),
                  method_options: dict | None = None,
                  explain: Callable | None = None, first=None) -> pd.DataFrame:
    """The ceiling a sanity score must be read against: two runs of one explainer.

    A sampled explainer (SHAP's expected gradients, LIME, SmoothGrad) gives
    a different map on every seed, for the *same* model. The similarity of
    two such runs is the most a randomized model's map could reach; a sanity
    score near it means "unchanged", however far below 1 it is.

    Parameters
    ----------
    model : keras.Model
    images, labels : the images to explain and the class explained for each.
    method : str
        A method of :func:`xaibook.vision.attribution.attribute` that takes ``seed``.
    seeds : (int, int)
        The two seeds compared.
    method_options : dict, optional
        Other keyword arguments of the method (not ``seed``).
    explain : callable, optional
        ``explain(model, images, labels, method, **options)``; default
        :func:`attribute`.
    first : array-like, optional
        The maps of the first seed, if already computed (e.g. the trained
        model's maps of :func:`cascading_randomization`); only the second
        seed is then run.

    Returns
    -------
    pandas.DataFrame
        One row per image, the columns of :func:`map_similarity` and
        ``method``. A deterministic method scores 1 everywhere.
    """
    seeds = tuple(seeds)
    if len(seeds) != 2 or seeds[0] == seeds[1]:
        raise ValueError(f"seeds must be two different seeds, got {seeds}")
    options = dict(method_options or {})
    if "seed" in options:
        raise ValueError("give the seeds in seeds=, not in method_options")
    explain = explain or attribute
    x = _batch(model, images)
    if first is None:
        first = explain(model, x, labels, method, seed=seeds[0], **options)
    second = explain(model, x, labels, method, seed=seeds[1], **options)
    return map_similarity(first, second).assign(method=method)


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
        one row per method and image: ``method``, ``image`` and the
        measures of :func:`map_similarity`.
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
    return out[["method", "image", *METRICS]]


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
    """Result of :func:`cascading_randomization` or :func:`independent_randomization`.

    Attributes
    ----------
    stages : tuple of str
        ``"original"``, then the name of each layer as it is randomised.
        In the cascading order randomisation is cumulative (stage ``"conv2"``
        has every layer from the output down to ``conv2`` re-initialised); in
        the independent order only the named layer is, the others keep their
        trained weights.
    methods : tuple of str
    maps : dict
        ``maps[stage][method]``: ``(n, h, w)`` array.
    scores : pandas.DataFrame
        One row per stage (after the original), method and image, with the
        columns of :func:`map_similarity` and ``step`` (1 = first layer
        randomised).
    order : {"cascading", "independent"}
    """

    stages: tuple[str, ...]
    methods: tuple[str, ...]
    maps: dict = field(repr=False)
    scores: pd.DataFrame = field(repr=False)
    order: str = "cascading"

    def summary(self, metric: str = "spearman_abs") -> pd.DataFrame:
        """Mean and spread (quartiles over images) of ``metric`` per stage and
        method (long format), including the original model (similarity 1 by
        definition)."""
        _check_metric(metric)
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


def _randomization_test(model, images, labels, methods, *, layers, seed, method_options,
                        explain, order, how, reuse=None) -> SanityResult:
    if order not in ("cascading", "independent"):
        raise ValueError(f"order must be 'cascading' or 'independent', got {order!r}")
    x = _batch(model, images)
    method_options = method_options or {}
    explain = explain or attribute
    layers = list(trainable_layers(model) if layers is None else layers)
    if not layers:
        raise ValueError("the model has no layers with weights to randomise")
    methods = tuple(methods)
    stages = ("original", *layers)
    if reuse is not None:
        if (len(reuse.stages) < 2 or reuse.stages[1] != layers[0]
                or not set(methods) <= set(reuse.methods)
                or len(next(iter(reuse.maps["original"].values()))) != len(x)):
            raise ValueError("reuse must be a result on the same images whose first randomised "
                             f"layer is {layers[0]!r} and which has every method")
        maps = {"original": {m: reuse.maps["original"][m] for m in methods}}
    else:
        maps = {"original": {m: explain(model, x, labels, m, **method_options.get(m, {}))
                             for m in methods}}
    rows = []
    for step in range(1, len(stages)):
        chosen = layers[:step] if order == "cascading" else [layers[step - 1]]
        maps[stages[step]] = {}
        if step == 1 and reuse is not None:   # one layer random: the same model in both orders
            for m in methods:
                maps[stages[1]][m] = reuse.maps[stages[1]][m]
                rows.append(map_similarity(maps["original"][m], maps[stages[1]][m])
                            .assign(step=1, stage=stages[1], method=m))
            continue
        randomized = randomize_layers(model, chosen, seed=seed, how=how)
        for m in methods:
            new = explain(randomized, x, labels, m, **method_options.get(m, {}))
            maps[stages[step]][m] = new
            sim = map_similarity(maps["original"][m], new)
            rows.append(sim.assign(step=step, stage=stages[step], method=m))
    scores = pd.concat(rows, ignore_index=True)[["step", "stage", "method", "image", *METRICS]]
    return SanityResult(stages, methods, maps, scores, order)


def cascading_randomization(model, images, labels, methods: Sequence[str] = (
        "gradient", "smoothgrad", "guided_backprop", "deconvnet", "gradcam", "gradcam++"), *,
        layers: Sequence[str] | None = None, seed: int = 0,
        method_options: dict | None = None,
        explain: Callable | None = None, how: str = "reinit") -> SanityResult:
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
    how : {"reinit", "permute"}
        How a layer is randomised (:func:`randomize_layers`).

    Returns
    -------
    SanityResult
    """
    return _randomization_test(model, images, labels, methods, layers=layers, seed=seed,
                               method_options=method_options, explain=explain,
                               order="cascading", how=how)


def independent_randomization(model, images, labels, methods: Sequence[str] = (
        "gradient", "smoothgrad", "guided_backprop", "deconvnet", "gradcam", "gradcam++"), *,
        layers: Sequence[str] | None = None, seed: int = 0,
        method_options: dict | None = None,
        explain: Callable | None = None, how: str = "reinit",
        reuse: SanityResult | None = None) -> SanityResult:
    """Adebayo et al.'s independent (layer-by-layer) randomization test.

    Each stage re-initialises *one* layer and keeps every other layer
    trained, so a stage measures how much the maps depend on that layer
    alone. The layers, seeds and draws are those of
    :func:`cascading_randomization` (same parameters): the first stage of
    both tests is the same model.

    Parameters
    ----------
    reuse : SanityResult, optional
        A :func:`cascading_randomization` result computed with the same
        model, images, labels, seed, ``how`` and options: its original maps
        and its first stage (the same model as this test's first stage) are
        taken from it instead of being computed again. Other parameters as
        :func:`cascading_randomization`.

    Returns
    -------
    SanityResult
        with ``order="independent"``.
    """
    return _randomization_test(model, images, labels, methods, layers=layers, seed=seed,
                               method_options=method_options, explain=explain,
                               order="independent", how=how, reuse=reuse)


# --- Quantus cross-check -----------------------------------------------------------


def quantus_keeps_trained_weights(model, *, seed: int = 42) -> bool:
    """Does Quantus's own TensorFlow randomisation keep the trained weights?

    Takes the first model that ``quantus.TensorFlowModel.get_random_layer_generator``
    yields in the cascading (``"top_down"``) order, where only the output
    layer should be random, and checks that every other layer still has
    ``model``'s weights. Quantus 0.6.0 clones the model with
    :func:`keras.models.clone_model`, which builds fresh, *untrained*
    weights, and never copies the trained ones back in that order (only the
    ``"independent"`` order does), so this returns ``False`` there.
    """
    import quantus

    wrapped = quantus.TensorFlowModel(model=model, channel_first=False)
    with quiet():
        name, randomized = next(iter(wrapped.get_random_layer_generator(order="top_down",
                                                                        seed=seed)))
    for layer in model.layers:
        if not layer.weights or layer.name == name:
            continue
        ours = layer.get_weights()
        theirs = randomized.get_layer(layer.name).get_weights()
        if any(not np.array_equal(a, b) for a, b in zip(ours, theirs)):
            return False
    return True


def _kept_weights_generator(self, order: str = "top_down", seed: int = 42):
    """Quantus 0.6.0's ``TensorFlowModel.get_random_layer_generator`` with one
    change: the clone starts from the trained weights (``set_weights``), so
    each stage randomises only the layers it names."""
    original = self.state_dict()
    randomized = keras.models.clone_model(self.model)
    randomized.set_weights(original)
    layers = [layer for layer in randomized.layers if len(layer.get_weights()) > 0]
    if order == "top_down":
        layers = layers[::-1]
    for layer in layers:
        if order == "independent":
            randomized.set_weights(original)
        rng = np.random.RandomState(seed + 1)  # = np.random.seed(seed + 1), as Quantus
        layer.set_weights([rng.permutation(w) for w in layer.get_weights()])
        yield layer.name, randomized


def quantus_mprt(model, images, labels, method: str, *, order: str = "cascading",
                 seed: int = 42, keep_trained: bool = True,
                 method_options: dict | None = None) -> pd.DataFrame:
    """Quantus's model-parameter-randomisation test (``quantus.MPRT``) on our maps.

    Quantus randomises a layer by permuting its weights (the same draws as
    :func:`randomize_layers` with ``how="permute"``), explains every image
    again and scores it against the trained model's map by the Spearman
    rank correlation of the absolute maps (Quantus's defaults: ``abs=True``,
    normalised by the maximum). Our maps come from :func:`attribute`.

    Parameters
    ----------
    model : keras.Model
    images, labels : the images to explain and the class explained for each.
    method : str
        A method of :func:`attribute`.
    order : {"cascading", "independent"}
        Quantus's ``"top_down"`` or ``"independent"`` layer order.
    seed : int
        Quantus's seed.
    keep_trained : bool
        Replace, for this call only, Quantus's TensorFlow layer generator by
        one that starts from the trained weights (see
        :func:`quantus_keeps_trained_weights`); ``False`` runs the library as
        it is.
    method_options : dict, optional
        Keyword arguments of the method.

    Returns
    -------
    pandas.DataFrame
        One row per stage and image: ``stage`` (the layer randomised last),
        ``image``, ``spearman_abs``.
    """
    import quantus

    if order not in ("cascading", "independent"):
        raise ValueError(f"order must be 'cascading' or 'independent', got {order!r}")
    options = dict(method_options or {})
    x = _batch(model, images)
    y = np.broadcast_to(np.asarray(labels, dtype=int), (len(x),)).copy()
    want = tuple(model.input_shape[1:])

    def explain(model, inputs, targets, **kwargs):
        batch = np.asarray(inputs)
        if batch.shape[1:] != want:  # Quantus hands the images over channel-first
            batch = np.moveaxis(batch, 1, -1)
        return attribute(model, batch, np.asarray(targets, dtype=int), method, **options)[:, None]

    metric = quantus.MPRT(layer_order="top_down" if order == "cascading" else "independent",
                          seed=seed, disable_warnings=True, display_progressbar=False)
    cls = quantus.TensorFlowModel
    original = cls.get_random_layer_generator
    if keep_trained:
        cls.get_random_layer_generator = _kept_weights_generator
    try:
        with quiet():
            scores = metric(model=model, x_batch=x, y_batch=y, a_batch=None,
                            explain_func=explain, channel_first=False)
    finally:
        cls.get_random_layer_generator = original
    rows = [{"stage": stage, "image": i, "spearman_abs": float(v)}
            for stage, values in scores.items() if stage != "original"
            for i, v in enumerate(values)]
    return pd.DataFrame(rows)
