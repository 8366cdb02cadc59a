"""The localised cliché over seeds: do spatial explainers point at a patch the model uses?

For every seed a "null" model (the patch on a random half of the training
images, whatever the class: strength 0) and a "patched" model (the patch on
exactly the :data:`~xaibook.cases.genz.patch.PATCH_GROUP` classes: strength 1)
are trained with the seeded experiment's small CNN
(:data:`xaibook.cases.genz.seeded.SEEDED_CNN`) on the same garments, whose
colours are drawn independently of the class, so the patch is the only
planted shortcut. Models are cached by recipe, seed and data
(:func:`xaibook.vision.cnn.load_or_train`), the measurements beside them.

Per model:

* explainer-free references: accuracy under the rule and with the rule
  reversed (patch on the *other* group), and the patch-toggle, patch-removal
  and patch-move flip rates (:func:`~xaibook.cases.genz.patch.patch_flip_rates`);
* for each spatial explainer, the mean share of its map's absolute mass in
  the patch's box (:func:`~xaibook.cases.genz.patch.box_mass`), on the same
  test garments of the patch group shown *with* the patch, explaining the
  predicted class.

The null model sees the same patch just as often but cannot profit from it,
so its mass in the box is the floor an explainer has for "a bright square in
a corner" that the model does not use; a statistic's threshold is the
``null_q`` quantile of its null-model values over the seeds
(:func:`xaibook.stats.null_threshold`).
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from xaibook.stats import null_threshold
from xaibook.vision._tf import keras
from xaibook.vision.attribution import (gradcam, input_gradients, lime_explain, logits_model,
                                        shap_all_classes)
from xaibook.vision.cnn import CNNRecipe, TrainingSettings, cache_key, load_or_train, model_dir
from xaibook.cases.genz.patch import (PATCH_GROUP, box_area_share, box_mass, make_patched,
                                      patch_flip_rates)
from xaibook.cases.genz.seeded import SEEDED_CNN, SEEDED_TRAINING, _signed_smoothgrad
from xaibook.cases.genz.tint import make_genz
from xaibook.cases.genz.store import write_json

__all__ = ["PatchRecipe", "PatchExperiment", "MASS_METHODS", "REFERENCES", "patch_models",
           "run_patch_experiment", "patch_summary", "example_maps"]

#: Spatial explainers scored by their mass in the patch box: key -> readable name.
MASS_METHODS = {
    "gradient": "Gradient (saliency)",
    "smoothgrad": "Signed SmoothGrad",
    "gradcam": "Grad-CAM (last conv layer)",
    "gradcam++": "Grad-CAM++ (last conv layer)",
    "lime": "LIME (superpixels hidden in black)",
    "shap": "SHAP (gradient)",
}
#: Explainer-free references: key -> readable name.
REFERENCES = {
    "accuracy_drop": "Accuracy drop, rule reversed",
    "flip_toggle": "Patch-toggle test",
    "flip_move": "Patch-move test",
}


@dataclass(frozen=True)
class PatchRecipe:
    """Everything that determines the patch experiment's numbers.

    Parameters
    ----------
    seeds : at least 5 distinct seeds.
    n_train, n_test : training subset and test images per seed.
    n_explain : test garments of the patch group (shown with the patch) explained.
    corner, move_to, size : where the patch is, where the move test puts it, its side.
    smoothgrad_samples, smoothgrad_noise : signed SmoothGrad settings.
    lime_images, lime_samples : LIME (black fill): images and perturbations.
    shap_samples, n_background : SHAP GradientExplainer samples per image, background images.
    null_q : quantile of the null models' values used as threshold.
    """

    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    n_train: int = 4000
    n_test: int = 1000
    n_explain: int = 30
    corner: str = "top-left"
    move_to: str = "bottom-right"
    size: int = 4
    smoothgrad_samples: int = 8
    smoothgrad_noise: float = 0.15
    lime_images: int = 10
    lime_samples: int = 150
    shap_samples: int = 16
    n_background: int = 20
    null_q: float = 0.95
    cnn: CNNRecipe = SEEDED_CNN
    training: TrainingSettings = SEEDED_TRAINING

    def __post_init__(self):
        if len(set(self.seeds)) < 5:
            raise ValueError(f"at least 5 distinct seeds are needed for a null, got {self.seeds}")
        if self.lime_images > self.n_explain:
            raise ValueError("lime_images cannot exceed n_explain")
        if self.corner == self.move_to:
            raise ValueError("the move test needs another corner")

    @property
    def strengths(self) -> tuple[float, float]:
        """The null (0) and the patched (1) strength."""
        return (0.0, 1.0)


@dataclass(frozen=True)
class _SeedData:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def _seed_data(fashion, recipe: PatchRecipe, seed: int) -> _SeedData:
    rng = np.random.default_rng(30_000 + seed)
    train = np.sort(rng.permutation(len(fashion.x_train))[:recipe.n_train])
    test = np.sort(rng.permutation(len(fashion.x_test))[:recipe.n_test])
    return _SeedData(fashion.x_train[train], fashion.y_train[train], fashion.x_test[test],
                     fashion.y_test[test])


def _training_images(data: _SeedData, recipe: PatchRecipe, seed: int, s: float):
    garments = make_genz(data.x_train, data.y_train, "independent", seed=100 * seed + 11).x
    return make_patched(garments, data.y_train, s, seed=100 * seed + 12, corner=recipe.corner,
                        size=recipe.size)


def patch_models(fashion, recipe: PatchRecipe, seed: int, *, cache_dir=None) -> dict:
    """The seed's null and patched CNNs (cached): strength -> TrainedCNN."""
    data = _seed_data(fashion, recipe, seed)
    out = {}
    for s in recipe.strengths:
        train = _training_images(data, recipe, seed, s)
        out[s] = load_or_train(recipe.cnn, dataclasses.replace(recipe.training, seed=int(seed)),
                               train.x, train.y, cache_dir=cache_dir,
                               name=f"genz-patch-seed{seed}-s{s:g}")
        del train
    return out


def _shap_maps(model, x, labels, background, recipe, seed):
    out = np.zeros(x.shape, dtype=np.float32)
    scores = logits_model(model).output
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        one = keras.Model(model.inputs, keras.layers.Lambda(lambda z, c=int(c): z[:, c:c + 1])(scores))
        out[idx] = shap_all_classes(one, x[idx], background, n_samples=recipe.shap_samples,
                                    seed=seed)[..., 0]
    return out


def _measure(model, recipe: PatchRecipe, seed: int, s: float, test, explain, background) -> dict:
    predict = lambda x: model.predict(x, batch_size=500, verbose=0)  # noqa: E731
    rule = make_patched(test.x, test.y, s, seed=100 * seed + 13, corner=recipe.corner,
                        size=recipe.size)
    reversed_ = make_patched(test.x, test.y, 0.0, corner=recipe.corner, size=recipe.size, seed=0,
                             has_patch=~np.isin(test.y, sorted(PATCH_GROUP)))
    acc_rule = float(np.mean(predict(rule.x).argmax(1) == test.y))
    acc_rev = float(np.mean(predict(reversed_.x).argmax(1) == test.y))
    flips = patch_flip_rates(predict, rule, move_to=recipe.move_to)
    row = {"seed": int(seed), "strength": float(s), "acc_rule": acc_rule, "acc_reversed": acc_rev,
           "accuracy_drop": acc_rule - acc_rev, "flip_toggle": flips["toggle"],
           "flip_removal": flips["removal"], "flip_move": flips["move"]}
    x = explain.x
    labels = predict(x).argmax(1)
    box = explain.box

    def mass(maps):
        return float(np.nanmean(box_mass(maps, box)))

    row["mass_gradient"] = mass(input_gradients(model, x, labels))
    row["mass_smoothgrad"] = mass(_signed_smoothgrad(model, x, labels, recipe, seed))
    row["mass_gradcam"] = mass(gradcam(model, x, labels))
    row["mass_gradcam++"] = mass(gradcam(model, x, labels, plus_plus=True))
    k = recipe.lime_images
    res = lime_explain(model, x[:k], labels[:k], num_samples=recipe.lime_samples, seed=seed,
                       segmentation="slic")
    row["mass_lime"] = mass(res.maps)
    row["lime_r2"] = float(np.median(res.r2))
    # does the patch get a superpixel of its own? (share of box pixels in segments inside the box)
    own = []
    for seg in res.segments:
        labs = np.unique(seg[box])
        own.append(float(all((seg[box] == g).sum() == (seg == g).sum() for g in labs)))
    row["lime_patch_segment"] = float(np.mean(own))
    row["mass_shap"] = mass(_shap_maps(model, x, labels, background, recipe, seed))
    row["pred_in_group"] = float(np.mean(np.isin(labels, sorted(PATCH_GROUP))))
    return row


MEASURE_VERSION = 1


def _measures_path(recipe: PatchRecipe, seed: int, model_keys, cache_dir) -> Path:
    spec = {k: v for k, v in dataclasses.asdict(recipe).items() if k != "seeds"}
    blob = json.dumps({"recipe": spec, "seed": int(seed), "version": MEASURE_VERSION,
                       "models": list(model_keys)}, sort_keys=True, default=str)
    key = hashlib.sha256(blob.encode()).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir is not None else model_dir()
    return folder / f"genz-patch-measures-{seed}-{key}.json"


def patch_model_keys(fashion, recipe: PatchRecipe, seed: int) -> list:
    """The cache keys :func:`patch_models` would load or train, without loading anything."""
    data = _seed_data(fashion, recipe, seed)
    training = dataclasses.replace(recipe.training, seed=int(seed))
    keys = []
    for s in recipe.strengths:
        train = _training_images(data, recipe, seed, s)
        keys.append(cache_key(recipe.cnn, training, train.x, train.y))
    return keys


def _measures(fashion, recipe: PatchRecipe, seed: int, models: dict, cache_dir) -> list:
    path = _measures_path(recipe, seed, [m.key for m in models.values()], cache_dir)
    folder = path.parent
    if path.exists():
        return json.loads(path.read_text())
    data = _seed_data(fashion, recipe, seed)
    test = make_genz(data.x_test, data.y_test, "independent", seed=100 * seed + 14)
    group = np.flatnonzero(np.isin(data.y_test, sorted(PATCH_GROUP)))[:recipe.n_explain]
    explain = make_patched(test.x[group], test.y[group], 1.0, seed=0, corner=recipe.corner,
                           size=recipe.size, has_patch=np.ones(len(group), bool))
    rng = np.random.default_rng(40_000 + seed)
    bg_idx = rng.choice(len(data.x_train), recipe.n_background, replace=False)
    bg = make_genz(data.x_train[bg_idx], data.y_train[bg_idx], "independent", seed=seed).x
    # the background carries the patch as often as the null's training data (half the images)
    background = make_patched(bg, data.y_train[bg_idx], 0.0, seed=100 * seed + 15,
                              corner=recipe.corner, size=recipe.size).x
    rows = []
    for s, trained in models.items():
        rows.append(_measure(trained.model, recipe, seed, s, test, explain, background))
    write_json(path, rows, indent=1)
    return rows


@dataclass(frozen=True)
class PatchExperiment:
    """Results of :func:`run_patch_experiment`.

    Attributes
    ----------
    recipe : PatchRecipe
    runs : pandas.DataFrame
        one row per seed and strength (0: null model, 1: patched model).
    summary : pandas.DataFrame
        one row per statistic (see :func:`patch_summary`).
    area_share : float
        the box's share of the image: the mass of a map spread evenly.
    """

    recipe: PatchRecipe
    runs: pd.DataFrame
    summary: pd.DataFrame
    area_share: float
    seconds: dict = field(default_factory=dict, repr=False)


def patch_summary(runs: pd.DataFrame, recipe: PatchRecipe) -> pd.DataFrame:
    """Per statistic: null and patched medians and ranges, threshold, seeds detecting.

    Medians with the lowest (``_low``) and highest (``_high``) seed. The
    threshold is the ``null_q`` quantile of the null models' values; a seed
    detects when its patched model's value is above it. ``diff_*`` is the
    per-seed difference patched minus null.
    """
    stats = {**REFERENCES, **{f"mass_{k}": v for k, v in MASS_METHODS.items()}}
    null = runs[runs["strength"] == 0.0].set_index("seed").sort_index()
    hit = runs[runs["strength"] == 1.0].set_index("seed").sort_index()
    rows = []
    for stat, name in stats.items():
        thr = null_threshold(null[stat], q=recipe.null_q)
        d = hit[stat] - null[stat]
        rows.append({"statistic": stat, "name": name, "kind": "reference" if stat in REFERENCES
                     else "explainer", "null_median": null[stat].median(),
                     "null_low": null[stat].min(), "null_high": null[stat].max(),
                     "patched_median": hit[stat].median(), "patched_low": hit[stat].min(),
                     "patched_high": hit[stat].max(),
                     "diff_median": d.median(), "diff_low": d.min(), "diff_high": d.max(),
                     "threshold": thr, "seeds_detecting": int((hit[stat] > thr).sum()),
                     "seeds": int(len(hit))})
    return pd.DataFrame(rows).set_index("statistic")


def run_patch_experiment(fashion, recipe: PatchRecipe = PatchRecipe(), *,
                         cache_dir=None) -> PatchExperiment:
    """Train (or load) each seed's null and patched models and measure them (module doc).

    One seed's two models are in memory at a time; they are released (and the
    Keras session cleared) before the next seed.
    """
    import time

    if not isinstance(recipe, PatchRecipe):
        raise TypeError("recipe must be a PatchRecipe")
    rows, seconds = [], {"train": 0.0, "measure": 0.0, "from_cache": 0}
    for seed in recipe.seeds:
        cached = _measures_path(recipe, seed, patch_model_keys(fashion, recipe, seed), cache_dir)
        if cached.exists():  # measured before: the models need not even be loaded
            rows += json.loads(cached.read_text())
            seconds["measures_from_cache"] = seconds.get("measures_from_cache", 0) + 1
            continue
        start = time.perf_counter()
        models = patch_models(fashion, recipe, seed, cache_dir=cache_dir)
        seconds["train"] += time.perf_counter() - start
        seconds["from_cache"] += sum(m.from_cache for m in models.values())
        start = time.perf_counter()
        rows += _measures(fashion, recipe, seed, models, cache_dir)
        seconds["measure"] += time.perf_counter() - start
        del models
        keras.backend.clear_session()
        gc.collect()
    runs = pd.DataFrame(rows)
    box = make_patched(np.zeros((1, 28, 28, 3)), np.array([0]), 0.0, seed=0, corner=recipe.corner,
                       size=recipe.size).box
    return PatchExperiment(recipe, runs, patch_summary(runs, recipe), box_area_share(box), seconds)


def example_maps(fashion, recipe: PatchRecipe = PatchRecipe(), *, seed: int | None = None,
                 n: int = 5, cache_dir=None) -> dict:
    """Maps of the first ``n`` explained garments (with the patch) under one seed's two models.

    Returns a dict of ``(n, h, w[, 3])`` arrays: ``"image"``, and for the null
    and the patched model their Grad-CAM (``"gradcam null"``,
    ``"gradcam patched"``), the patched model's saliency (absolute gradient
    summed over channels) and LIME (black fill) maps, plus ``"segments"``
    (LIME's superpixels) and ``"labels"`` (the patched model's predictions).
    The models are released before returning.
    """
    seed = recipe.seeds[0] if seed is None else seed
    models = patch_models(fashion, recipe, seed, cache_dir=cache_dir)
    data = _seed_data(fashion, recipe, seed)
    test = make_genz(data.x_test, data.y_test, "independent", seed=100 * seed + 14)
    group = np.flatnonzero(np.isin(data.y_test, sorted(PATCH_GROUP)))[:n]
    x = make_patched(test.x[group], test.y[group], 1.0, seed=0, corner=recipe.corner,
                     size=recipe.size, has_patch=np.ones(len(group), bool)).x
    null, hit = models[0.0].model, models[1.0].model
    labels = hit.predict(x, verbose=0).argmax(1)
    null_labels = null.predict(x, verbose=0).argmax(1)
    lime = lime_explain(hit, x, labels, num_samples=recipe.lime_samples, seed=seed,
                        segmentation="slic")
    out = {"image": x, "gradcam null": gradcam(null, x, null_labels),
           "gradcam patched": gradcam(hit, x, labels),
           "saliency patched": np.abs(input_gradients(hit, x, labels)).sum(axis=-1),
           "lime patched": lime.maps, "segments": lime.segments, "labels": labels,
           "null labels": null_labels}
    del models, null, hit
    keras.backend.clear_session()
    gc.collect()
    return out
