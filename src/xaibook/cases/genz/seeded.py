"""The Gen-Z image experiment repeated over seeds, with thresholds from a null.

One seed of :mod:`xaibook.cases.genz.image_experiment` shows *what* happens;
this module asks *how reliably*. For every seed (which draws the training
subset, the colours and the network's initialisation, dropout and batches)
and every strength a smaller CNN (:data:`SEEDED_CNN`) is trained on a subset
(:class:`SeededRecipe`), cached by recipe, seed and data, and measured:

* model-level: accuracy on clichéd, independent and reversed colours, the
  Gen-Z accuracy drop (clichéd minus reversed) and the colour-swap flip rate;
* explainers told where colour lives: the colour share (pink-minus-blue axis,
  :func:`~xaibook.cases.genz.colour_stats.colour_share`) of the plain
  gradient, guided backprop and *signed* SmoothGrad, and colour-aware LIME
  (hidden superpixels shown in the other colour,
  :func:`xaibook.vision.attribution.swap_fill`), summarised by the mean sum
  of its superpixel weights, and the colour share of Grad-CAM's channel
  weights taken at the input
  (:func:`~xaibook.cases.genz.colour_stats.input_channel_weights`, a
  colour-aware Grad-CAM);
* an explainer **not told** which colours to look at: the chromatic share of
  the gradient (:func:`~xaibook.cases.genz.colour_stats.chromatic_share`);
* TCAV (:mod:`xaibook.vision.tcav`) of a "pink" concept for one pink-cliché
  and one blue-cliché class, against random-colour concept sets.

Each statistic has its own threshold, the ``null_q`` quantile of its values in
the strength-0 runs (:func:`xaibook.stats.null_threshold`): a flip rate and an
accuracy drop are never held to the same number. TCAV is judged by its own
random-concept null (t-test, Bonferroni over the tests of a seed). The onset
of a method is computed per seed (:func:`xaibook.cases.genz.detection.onsets`),
so it is a distribution over seeds, not one number.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import time
from pathlib import Path
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xaibook.stats import null_threshold
from xaibook.vision._tf import keras
from xaibook.vision.attribution import input_gradients, lime_explain, swap_fill
from xaibook.vision.cnn import CNNRecipe, TrainingSettings, cache_key, load_or_train, model_dir
from xaibook.vision.tcav import bonferroni, fit_cavs, tcav
from xaibook.cases.genz.colour_stats import (accuracy_by_condition, channel_weight_colour_share,
                                             chromatic_share, colour_share, input_channel_weights,
                                             predicted_labels, swap_flip_rate)
from xaibook.cases.genz.detection import Detection, Threshold, detection_table, onsets
from xaibook.cases.genz.tint import CLICHE, PALETTE, make_cliched, make_genz, tint
from xaibook.cases.genz.store import write_json

__all__ = ["SEEDED_CNN", "SEEDED_TRAINING", "SeededRecipe", "SeededExperiment", "STATISTICS",
           "seeded_data", "seed_models", "run_seeded_experiment", "seeded_detections",
           "onset_distribution"]

#: A smaller network than part two's (half the filters and dense units), so
#: that five seeds x six strengths train in a few minutes on two cores.
SEEDED_CNN = CNNRecipe(input_shape=(28, 28, 3), conv_filters=(16, 32), dense_units=64)
#: Three epochs on the subset, no validation split.
SEEDED_TRAINING = TrainingSettings(epochs=3, batch_size=128, learning_rate=3e-3,
                                   validation_size=0, seed=0)

#: Statistic -> (readable name, higher means "uses colour").
STATISTICS = {
    "accuracy_drop": "Gen-Z accuracy drop",
    "flip_rate": "colour-swap test",
    "share_gradient": "Gradient colour share",
    "share_guided_backprop": "Guided backprop colour share",
    "share_smoothgrad_signed": "Signed SmoothGrad colour share",
    "lime_colour": "Colour-aware LIME",
    "cam_input_colour": "Grad-CAM weights at the input (colour share)",
    "chromatic_gradient": "Gradient chromatic share (un-hinted)",
}


@dataclass(frozen=True)
class SeededRecipe:
    """Everything that determines the seeded experiment's numbers.

    Parameters
    ----------
    strengths : tuple of float, starting at 0 (the null runs).
    seeds : tuple of int, at least 5 (a null needs 5 values).
    n_train, n_test : training subset and test images per seed.
    n_explain : test images explained per model (in their cliché colour).
    smoothgrad_samples, smoothgrad_noise : signed SmoothGrad settings.
    lime_images, lime_samples : colour-aware LIME: images and perturbations.
    tcav_layer : layer whose activations define the CAVs.
    tcav_classes : classes whose score TCAV differentiates (one pink-cliché,
        one blue-cliché class).
    tcav_concept, tcav_random_sets, tcav_set_size : concept images, random
        concept sets (at least 10) and their size. With 40 images per set and
        10 sets (the first version) the CAVs' held-out accuracy at ``pool2``
        was about 0.7 and the t-test against the random-vs-random null
        (whose scores sit near 0 or 1) rarely survived Bonferroni; Kim et al.
        (2018) use many random runs, so 20 sets of 100 images are used.
    tcav_small : (sets, images) of the smaller TCAV that is also run, on the
        first sets and images of the same pools, to show what set size does.
    null_q : quantile of the strength-0 values used as threshold.
    alpha : TCAV significance level after Bonferroni.
    """

    strengths: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 0.9, 1.0)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    n_train: int = 4000
    n_test: int = 1000
    n_explain: int = 50
    smoothgrad_samples: int = 8
    smoothgrad_noise: float = 0.15
    lime_images: int = 6
    lime_samples: int = 150
    tcav_layer: str = "pool2"
    tcav_classes: tuple[int, ...] = (3, 1)      # dress (pink cliché), trouser (blue cliché)
    tcav_concept: int = 100
    tcav_random_sets: int = 20
    tcav_set_size: int = 100
    tcav_small: tuple[int, int] = (10, 40)
    null_q: float = 0.95
    alpha: float = 0.05
    cnn: CNNRecipe = SEEDED_CNN
    training: TrainingSettings = SEEDED_TRAINING

    def __post_init__(self):
        s = tuple(float(v) for v in self.strengths)
        if not s or s[0] != 0.0 or list(s) != sorted(set(s)) or s[-1] > 1:
            raise ValueError("strengths must start at 0 (the null runs), increase and stay <= 1")
        object.__setattr__(self, "strengths", s)
        if len(set(self.seeds)) < 5:
            raise ValueError(f"at least 5 distinct seeds are needed for a null, got {self.seeds}")
        if self.tcav_random_sets < 3:
            raise ValueError("TCAV needs at least 3 random concept sets (the book uses 20)")
        n_sets, n_img = self.tcav_small
        if not (3 <= n_sets <= self.tcav_random_sets and 3 <= n_img <= min(self.tcav_set_size,
                                                                             self.tcav_concept)):
            raise ValueError("tcav_small must take at least 3 of the random sets and at least 3 "
                             "images, no more than the full TCAV has")
        if self.n_explain > self.n_test or self.lime_images > self.n_explain:
            raise ValueError("n_explain cannot exceed n_test, nor lime_images n_explain")


@dataclass(frozen=True)
class SeededData:
    """Grey images of one seed: training subset, test subset, TCAV pool."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    x_pool: np.ndarray
    y_pool: np.ndarray


def seeded_data(fashion, recipe: SeededRecipe, seed: int) -> SeededData:
    """The seed's subsets of Fashion-MNIST; the TCAV pool is disjoint from the test subset."""
    rng = np.random.default_rng(10_000 + seed)
    train = np.sort(rng.permutation(len(fashion.x_train))[:recipe.n_train])
    order = rng.permutation(len(fashion.x_test))
    test = np.sort(order[:recipe.n_test])
    n_pool = recipe.tcav_concept + recipe.tcav_random_sets * recipe.tcav_set_size
    pool = order[recipe.n_test:recipe.n_test + n_pool]
    return SeededData(fashion.x_train[train], fashion.y_train[train], fashion.x_test[test],
                      fashion.y_test[test], fashion.x_test[pool], fashion.y_test[pool])


def _training(recipe, seed):
    return dataclasses.replace(recipe.training, seed=int(seed))


def seed_models(data: SeededData, recipe: SeededRecipe, seed: int, *, cache_dir=None) -> dict:
    """One cached CNN per strength for one seed: strength -> TrainedCNN."""
    out = {}
    for s in recipe.strengths:
        coloured = make_cliched(data.x_train, data.y_train, s, seed=100 * seed + 1)
        out[s] = load_or_train(recipe.cnn, _training(recipe, seed), coloured.x, coloured.y,
                               cache_dir=cache_dir, name=f"genz-seed{seed}-s{s:g}")
    return out


def _signed_smoothgrad(model, x, labels, recipe, seed):
    rng = np.random.default_rng(seed)
    sigma = recipe.smoothgrad_noise * (x.max(axis=(1, 2, 3), keepdims=True)
                                       - x.min(axis=(1, 2, 3), keepdims=True))
    total = np.zeros(x.shape, dtype=np.float64)
    for _ in range(recipe.smoothgrad_samples):
        total += input_gradients(model, (x + rng.normal(size=x.shape) * sigma).astype(np.float32),
                                 labels)
    return total / recipe.smoothgrad_samples


def _tcav_sets(data: SeededData, recipe: SeededRecipe, seed: int):
    """Concept: pool garments tinted pink; random sets: pool garments in random RGB tints."""
    rng = np.random.default_rng(20_000 + seed)
    grey = data.x_pool.astype(np.float32) / 255.0
    k = recipe.tcav_concept
    concept = tint(grey[:k], np.asarray(PALETTE["pink"]))
    randoms = []
    for i in range(recipe.tcav_random_sets):
        part = grey[k + i * recipe.tcav_set_size:k + (i + 1) * recipe.tcav_set_size]
        randoms.append(tint(part, rng.uniform(0.2, 1.0, size=(len(part), 3))))
    return concept, randoms


def _measure(trained, data, recipe, seed, s, genz, explain, concept, randoms) -> dict:
    model = trained.model
    predict = lambda x: model.predict(x, batch_size=500, verbose=0)  # noqa: E731
    cliched = make_cliched(data.x_test, data.y_test, s, seed=100 * seed + 2)
    acc = accuracy_by_condition(predict, {"clichéd": cliched, **genz}).set_index("condition")["accuracy"]
    row = {"seed": seed, "strength": s, "acc_cliched": acc["clichéd"],
           "acc_independent": acc["independent"], "acc_reversed": acc["reversed"],
           "accuracy_drop": acc["clichéd"] - acc["reversed"],
           "flip_rate": swap_flip_rate(predict, cliched)}
    labels = predicted_labels(predict, explain.x)
    grad = input_gradients(model, explain.x, labels)
    row["share_gradient"] = colour_share(grad, per_image=False)
    row["chromatic_gradient"] = chromatic_share(grad, explain.x)
    # colour-aware Grad-CAM: CAM channel weights at the input (one per RGB channel)
    row["cam_input_colour"] = channel_weight_colour_share(
        input_channel_weights(model, explain.x, labels))
    row["share_guided_backprop"] = colour_share(
        input_gradients(model, explain.x, labels, rule="guided"), per_image=False)
    row["share_smoothgrad_signed"] = colour_share(
        _signed_smoothgrad(model, explain.x, labels, recipe, seed), per_image=False)
    # colour-aware LIME: a hidden superpixel shows the garment in the other colour
    lime_sum, lime_r2, lime_seg = [], [], []
    for i in range(recipe.lime_images):
        own, other = explain.palette[explain.colour[i]], explain.palette[1 - explain.colour[i]]
        res = lime_explain(model, explain.x[i:i + 1], labels[i:i + 1],
                           num_samples=recipe.lime_samples, seed=seed,
                           fill=swap_fill(PALETTE[own], PALETTE[other]), segmentation="slic")
        weights = [res.maps[0][res.segments[0] == g][0] for g in np.unique(res.segments[0])]
        lime_sum.append(float(np.sum(weights)))
        lime_r2.append(float(res.r2[0]))
        lime_seg.append(int(res.n_segments[0]))
    row.update(lime_colour=float(np.mean(lime_sum)), lime_r2=float(np.median(lime_r2)),
               lime_segments=float(np.median(lime_seg)))
    n_sets, n_img = recipe.tcav_small
    small_sets = (concept[:n_img], [r[:n_img] for r in randoms[:n_sets]])
    cavs = fit_cavs(model, concept, randoms, recipe.tcav_layer, seed=seed)
    small_cavs = fit_cavs(model, *small_sets, recipe.tcav_layer, seed=seed)
    for c in recipe.tcav_classes:
        idx = np.flatnonzero(genz["independent"].y == c)
        res = tcav(model, genz["independent"].x[idx], c, concept, randoms, recipe.tcav_layer,
                   seed=seed, cavs=cavs)
        row[f"tcav_{c}"] = res.mean
        row[f"tcav_null_{c}"] = res.null_mean
        row[f"tcav_p_{c}"] = res.p_value
        row[f"tcav_null_sd_{c}"] = float(np.std(res.null_scores))
        row[f"tcav_cav_acc_{c}"] = float(np.median(res.cav_accuracy))
        small = tcav(model, genz["independent"].x[idx], c, *small_sets, recipe.tcav_layer,
                     seed=seed, cavs=small_cavs)
        row[f"tcav_small_{c}"] = small.mean
        row[f"tcav_small_null_{c}"] = small.null_mean
        row[f"tcav_small_p_{c}"] = small.p_value
        row[f"tcav_small_cav_acc_{c}"] = float(np.median(small.cav_accuracy))
    return row


@dataclass(frozen=True)
class SeededExperiment:
    """Results of :func:`run_seeded_experiment`.

    Attributes
    ----------
    recipe : SeededRecipe
    runs : pandas.DataFrame
        one row per seed and strength, every statistic (see :data:`STATISTICS`),
        the accuracies, LIME's median surrogate R² and segment count, and per
        TCAV class ``tcav_<k>`` (mean score over random sets), ``tcav_null_<k>``
        and ``tcav_p_<k>`` (uncorrected) and ``tcav_padj_<k>`` (Bonferroni).
    thresholds : dict
        statistic -> threshold from the strength-0 runs.
    detections : pandas.DataFrame
        seed, method, strength, value, detected.
    seconds : dict
    """

    recipe: SeededRecipe
    runs: pd.DataFrame
    thresholds: dict
    detections: pd.DataFrame
    seconds: dict = field(default_factory=dict, repr=False)


def seeded_detections(runs: pd.DataFrame, recipe: SeededRecipe):
    """Thresholds from the strength-0 runs and the per-seed detection table."""
    null = runs[runs["strength"] == 0.0]
    thresholds = {stat: null_threshold(null[stat], q=recipe.null_q) for stat in STATISTICS}
    rows = []
    for seed, part in runs.groupby("seed"):
        dets = []
        for stat, name in STATISTICS.items():
            rule = Threshold(stat, thresholds[stat], "above",
                             f"{recipe.null_q:.0%} quantile of the strength-0 runs", fmt="{:.3f}")
            dets += [Detection(name, r.strength, getattr(r, stat), rule) for r in part.itertuples()]
        for c in recipe.tcav_classes:
            rule = Threshold("Bonferroni p", recipe.alpha, "below", "random-concept null",
                             fmt="{:.3g}")
            for r in part.itertuples():
                # pink raises the pink-cliché class, lowers the blue one: only the direction
                # that the cliché predicts counts as detection
                sign = np.sign(getattr(r, f"tcav_{c}") - getattr(r, f"tcav_null_{c}"))
                expected = 1 if CLICHE[c] == "pink" else -1
                p = getattr(r, f"tcav_padj_{c}")
                dets.append(Detection(f"TCAV pink, class {c}", r.strength,
                                      p if sign == expected else 1.0, rule))
        rows.append(detection_table(dets).assign(seed=seed))
    return thresholds, pd.concat(rows, ignore_index=True)


def onset_distribution(detections: pd.DataFrame) -> pd.DataFrame:
    """Per method: onsets over seeds (median, min, max) and seeds that ever detect."""
    per_seed = {seed: onsets(part.drop(columns="seed")) for seed, part in detections.groupby("seed")}
    table = pd.DataFrame(per_seed)  # method x seed
    out = pd.DataFrame({
        "median": table.median(axis=1, skipna=True),
        "min": table.min(axis=1), "max": table.max(axis=1),
        "seeds_detecting": table.notna().sum(axis=1), "seeds": table.shape[1],
    })
    out.index.name = "method"
    return out.join(table.add_prefix("seed "))


MEASURE_VERSION = 2


def _measures_path(recipe, seed, model_keys, cache_dir) -> Path:
    spec = {k: v for k, v in dataclasses.asdict(recipe).items() if k != "seeds"}
    blob = json.dumps({"recipe": spec, "seed": int(seed), "version": MEASURE_VERSION,
                       "models": list(model_keys)}, sort_keys=True, default=str)
    key = hashlib.sha256(blob.encode()).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir is not None else model_dir()
    return folder / f"genz-seeded-measures-{seed}-{key}.json"


def seed_model_keys(data: SeededData, recipe: SeededRecipe, seed: int) -> list:
    """The cache keys :func:`seed_models` would load or train, without loading anything."""
    keys = []
    for s in recipe.strengths:
        coloured = make_cliched(data.x_train, data.y_train, s, seed=100 * seed + 1)
        keys.append(cache_key(recipe.cnn, _training(recipe, seed), coloured.x, coloured.y))
    return keys


def _seed_rows(data, recipe, seed, models, cache_dir) -> list:
    """Measurements of one seed's models, cached beside the models.

    The key hashes the recipe (without the list of seeds), the seed, the
    trained models' own cache keys and :data:`MEASURE_VERSION`; any change
    re-measures.
    """
    path = _measures_path(recipe, seed, [m.key for m in models.values()], cache_dir)
    folder = path.parent
    if path.exists():
        return json.loads(path.read_text())
    genz = {mode: make_genz(data.x_test, data.y_test, mode, seed=100 * seed + 3)
            for mode in ("independent", "reversed")}
    explain = make_cliched(data.x_test[:recipe.n_explain], data.y_test[:recipe.n_explain], 1.0,
                           seed=100 * seed + 4)
    concept, randoms = _tcav_sets(data, recipe, seed)
    rows = [{k: (float(v) if isinstance(v, (np.floating, float)) else v) for k, v in
             _measure(trained, data, recipe, seed, s, genz, explain, concept, randoms).items()}
            for s, trained in models.items()]
    write_json(path, rows, indent=1)
    return rows


def run_seeded_experiment(fashion, recipe: SeededRecipe = SeededRecipe(), *,
                          cache_dir=None) -> SeededExperiment:
    """Train (or load) every seed x strength model and measure it (see the module doc)."""
    if not isinstance(recipe, SeededRecipe):
        raise TypeError("recipe must be a SeededRecipe")
    rows, seconds = [], {"train": 0.0, "measure": 0.0, "from_cache": 0}
    for seed in recipe.seeds:
        data = seeded_data(fashion, recipe, seed)
        cached = _measures_path(recipe, seed, seed_model_keys(data, recipe, seed), cache_dir)
        if cached.exists():  # measured before: the models need not even be loaded
            rows += json.loads(cached.read_text())
            seconds["measures_from_cache"] = seconds.get("measures_from_cache", 0) + 1
            continue
        start = time.perf_counter()
        models = seed_models(data, recipe, seed, cache_dir=cache_dir)
        seconds["train"] += time.perf_counter() - start
        seconds["from_cache"] += sum(m.from_cache for m in models.values())
        start = time.perf_counter()
        rows += _seed_rows(data, recipe, seed, models, cache_dir)
        del models
        keras.backend.clear_session()
        gc.collect()
        seconds["measure"] += time.perf_counter() - start
    runs = pd.DataFrame(rows)
    m = len(recipe.strengths) * len(recipe.tcav_classes)
    for c in recipe.tcav_classes:
        runs[f"tcav_padj_{c}"] = bonferroni(runs[f"tcav_p_{c}"], n_tests=m)
        if f"tcav_small_p_{c}" in runs:
            runs[f"tcav_small_padj_{c}"] = bonferroni(runs[f"tcav_small_p_{c}"], n_tests=m)
    thresholds, detections = seeded_detections(runs, recipe)
    return SeededExperiment(recipe, runs, thresholds, detections, seconds)
