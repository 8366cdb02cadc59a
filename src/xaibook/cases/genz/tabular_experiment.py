"""Which tabular explainers and group metrics notice a planted proxy bias?

For each strength, :func:`run_tabular_experiment` plants the bias
(:func:`xaibook.cases.genz.proxy.plant_proxy_bias`), trains the same model on the
features *without* the protected attribute ("fairness through unawareness",
the proxy stays in), and asks each tool of the book's tabular part:

* explainers (:mod:`xaibook.tabular.importance`, :mod:`xaibook.tabular.dependence`,
  :mod:`xaibook.tabular.audit`, :mod:`xaibook.tabular.local`) rank the model's features; the
  statistic is the **rank of the proxy** among them (1 = most important);
* group metrics (:mod:`xaibook.tabular.fairness`) compare the protected groups,
  which the auditor knows but the model does not.

An explainer can only say that the model uses the proxy; that the proxy
stands for a protected attribute is something the auditor must know or
check (its correlation with the attribute is printed next to it). Group
metrics see the harm but not its cause. The two together make the case.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from xaibook.tabular.audit import audit_model
from xaibook.tabular.dependence import partial_dependence_frame
from xaibook.tabular.fairness import fairness_differences
from xaibook.tabular.importance import sklearn_permutation_importance
from xaibook.tabular.local import lime_explanations, shap_values
from xaibook.tabular.models import (fill_missing, make_boosting_pipeline, predict_score, split_xy,
                      train_test_split_frame)
from xaibook.cases.genz.detection import Detection, Threshold, detection_table
from xaibook.cases.genz.proxy import plant_proxy_bias
from xaibook.cases.genz.store import write_json

__all__ = ["TabularRecipe", "TabularExperiment", "EXPLAINERS", "GROUP_METRICS",
           "explainer_thresholds", "group_thresholds", "prepare_adult", "proxy_ranks",
           "run_tabular_experiment", "cached_tabular_experiment"]

#: The explainers compared, in table order.
EXPLAINERS = ("permutation importance", "partial dependence", "FairML", "LIME", "SHAP")
#: The group metrics compared: fairlearn's names -> what the table calls them.
GROUP_METRICS = {
    "demographic_parity_difference": "demographic parity difference",
    "demographic_parity_ratio": "disparate impact ratio",
    "equalized_odds_difference": "equalized odds difference (observed labels)",
    "equalized_odds_true": "equalized odds difference (real labels)",
}


@dataclass(frozen=True)
class TabularRecipe:
    """Everything that determines the tabular experiment's numbers.

    Parameters
    ----------
    strengths : sequence of float in [0, 1]
        shares of labels decided by the proxy.
    proxy_corr : float
        correlation between the proxy and the protected group.
    n_rows : int
        rows drawn (seeded) from the data.
    test_size : float
        held-out share; every statistic is computed on held-out rows.
    top_k : int
        an explainer "detects" the proxy when it ranks it among its ``top_k``
        most important features.
    n_eval : int
        held-out rows used by permutation importance (``n_repeats`` shuffles each).
    n_pdp : int
        rows averaged over by partial dependence (grid of ``pdp_grid`` points).
    n_shap, n_lime, n_audit : int
        rows explained by SHAP, by LIME (each a separate local fit with
        ``lime_samples`` perturbations) and audited by FairML (``audit_runs`` runs).
    seed : int
    """

    strengths: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.5)
    proxy_corr: float = 0.8
    n_rows: int = 6000
    test_size: float = 0.3
    top_k: int = 3
    n_eval: int = 1000
    n_repeats: int = 3
    n_pdp: int = 200
    pdp_grid: int = 8
    n_shap: int = 200
    n_lime: int = 15
    lime_samples: int = 500
    n_audit: int = 300
    audit_runs: int = 2
    seed: int = 0

    def __post_init__(self):
        if not self.strengths or any(not 0 <= s <= 1 for s in self.strengths):
            raise ValueError(f"strengths must be a non-empty list of numbers in [0, 1], got {self.strengths}")
        if list(self.strengths) != sorted(set(self.strengths)):
            raise ValueError("strengths must be increasing and distinct")
        if not 0 < self.proxy_corr < 1:
            raise ValueError("proxy_corr must be in (0, 1)")
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")


def explainer_thresholds(top_k: int) -> Threshold:
    """The explainers' rule: the proxy ranks among the ``top_k`` features."""
    return Threshold("rank of the proxy", top_k, "at most",
                     f"a reader scanning the explainer's ranking notices its top {top_k} features",
                     fmt="{:.0f}")


def group_thresholds() -> dict[str, Threshold]:
    """Conventional cut-offs of the group metrics (stated, not tuned)."""
    return {
        "demographic parity difference": Threshold(
            "|selection-rate gap|", 0.1, "above", "a 10-point gap in selection rates"),
        "disparate impact ratio": Threshold(
            "lower / higher selection rate", 0.8, "below", "the four-fifths rule (US EEOC)"),
        "equalized odds difference (observed labels)": Threshold(
            "largest TPR/FPR gap", 0.1, "above", "a 10-point gap in error rates"),
        "equalized odds difference (real labels)": Threshold(
            "largest TPR/FPR gap", 0.1, "above", "the same, against labels only the experiment knows"),
    }


def prepare_adult(adult: pd.DataFrame, n_rows: int, *, seed: int) -> pd.DataFrame:
    """A seeded sample of UCI Adult ready for planting: 0/1 ``income``, no ``fnlwgt``.

    ``fnlwgt`` is a census sampling weight, not a property of the person;
    missing categories become the category ``"unknown"``.
    """
    if "income" not in adult.columns:
        raise KeyError("expected UCI Adult with an 'income' column (xaibook.data.load_adult)")
    if n_rows > len(adult):
        raise ValueError(f"asked for {n_rows} rows, the frame has {len(adult)}")
    frame = adult.drop(columns=[c for c in ("fnlwgt", "split") if c in adult.columns])
    frame = frame.sample(n=n_rows, random_state=seed).reset_index(drop=True)
    frame = fill_missing(frame)
    frame["income"] = frame["income"].astype(str).str.rstrip(".").eq(">50K").astype(np.int64)
    return frame


def proxy_ranks(scores: pd.Series, proxy: str) -> tuple[int, float]:
    """Rank (1 = largest) and value of ``proxy`` among feature ``scores`` (absolute values).

    Ties are broken against the proxy (it gets the worse rank).
    """
    if proxy not in scores.index:
        raise KeyError(f"{proxy!r} has no score")
    a = scores.abs().fillna(0.0)
    rank = int((a > a[proxy]).sum() + (a == a[proxy]).sum())
    return rank, float(a[proxy])


@dataclass(frozen=True)
class TabularExperiment:
    """Results of :func:`run_tabular_experiment`.

    Attributes
    ----------
    recipe : TabularRecipe
    summary : pandas.DataFrame
        one row per strength: accuracy (against observed and against real
        labels), the planted parity gap in the labels, the proxy–group
        correlation, the number of features.
    scores : pandas.DataFrame
        per strength, method and feature: the method's importance score.
    detections : pandas.DataFrame
        :func:`xaibook.cases.genz.detection.detection_table` for all explainers and metrics.
    seconds : dict
        wall time per step, summed over strengths.
    """

    recipe: TabularRecipe
    summary: pd.DataFrame
    scores: pd.DataFrame
    detections: pd.DataFrame
    seconds: dict = field(default_factory=dict, repr=False)


def _explainer_scores(model, X_train, X_test, y_test, recipe: TabularRecipe, clock) -> dict[str, pd.Series]:
    seed = recipe.seed
    out = {}
    with clock("permutation importance"):
        rows = X_test.sample(n=min(recipe.n_eval, len(X_test)), random_state=seed)
        pi = sklearn_permutation_importance(model, rows, y_test.loc[rows.index],
                                            n_repeats=recipe.n_repeats, random_state=seed)
        out["permutation importance"] = pi.set_index("feature")["importance"]
    with clock("partial dependence"):
        pdf = partial_dependence_frame(model, X_test, list(X_test.columns), kind="average",
                                       grid_resolution=recipe.pdp_grid, percentiles=(0.0, 1.0),
                                       max_samples=recipe.n_pdp,
                                       random_state=seed)
        out["partial dependence"] = pdf.groupby("feature", sort=False)["prediction"].agg(
            lambda p: p.max() - p.min())
    with clock("FairML"):
        audit = audit_model(model, X_test, number_of_runs=recipe.audit_runs,
                            max_samples=recipe.n_audit,
                            random_state=seed)
        out["FairML"] = audit.frame.assign(size=audit.frame["dependence"].abs()) \
            .groupby("feature")["size"].max().reindex(X_test.columns).fillna(0.0)
    with clock("LIME"):
        rows = X_test.sample(n=min(recipe.n_lime, len(X_test)), random_state=seed)
        lime = lime_explanations(model, X_train, rows, num_features=len(X_test.columns),
                                 num_samples=recipe.lime_samples, random_state=seed)
        mean_abs = lime.assign(w=lime["weight"].abs()).groupby("feature")["w"].sum() / len(rows)
        out["LIME"] = mean_abs.reindex(X_test.columns).fillna(0.0)
    with clock("SHAP"):
        explained = X_test.sample(n=min(recipe.n_shap, len(X_test)), random_state=seed)
        shap = shap_values(model, explained, background=X_train, n_background=50,
                           random_state=seed)
        out["SHAP"] = shap.importance().set_index("feature")["mean_abs_shap"]
    return out


class _Clock:
    def __init__(self):
        self.seconds: dict[str, float] = {}

    def __call__(self, name):
        clock = self

        class _Timer:
            def __enter__(self):
                self.t = time.perf_counter()

            def __exit__(self, *exc):
                clock.seconds[name] = clock.seconds.get(name, 0.0) + time.perf_counter() - self.t
        return _Timer()


def run_tabular_experiment(frame: pd.DataFrame, recipe: TabularRecipe = TabularRecipe(), *,
                           label: str = "income", make_model=make_boosting_pipeline
                           ) -> TabularExperiment:
    """Plant the proxy bias at each strength, train, explain, measure, detect.

    Parameters
    ----------
    frame : pandas.DataFrame
        prepared data with a 0/1 ``label`` column (e.g. :func:`prepare_adult`).
    recipe : TabularRecipe
    label : str
    make_model : callable
        ``make_model(X_train)`` returns an unfitted scikit-learn pipeline
        (default: the book's gradient boosting recipe).

    Returns
    -------
    TabularExperiment
    """
    if not isinstance(recipe, TabularRecipe):
        raise TypeError("recipe must be a TabularRecipe")
    if len(frame) < 200:
        raise ValueError(f"the experiment needs at least 200 rows, got {len(frame)}")
    clock = _Clock()
    rank_rule = explainer_thresholds(recipe.top_k)
    metric_rules = group_thresholds()
    summary, scores, detections = [], [], []
    for s in recipe.strengths:
        planted = plant_proxy_bias(frame, label, s, seed=recipe.seed, proxy_corr=recipe.proxy_corr)
        data = planted.frame.assign(_real=planted.original_label)
        X, y = split_xy(data, label, drop=[planted.group, "_real"])
        X_train, X_test, y_train, y_test = train_test_split_frame(
            X, y, test_size=recipe.test_size, random_state=recipe.seed)
        group_test = data.loc[X_test.index, planted.group].to_numpy()
        real_test = data.loc[X_test.index, "_real"].to_numpy()
        with clock("training"):
            model = make_model(X_train).fit(X_train, y_train)
        y_pred = (predict_score(model, X_test) >= 0.5).astype(np.int64)

        for method, sc in _explainer_scores(model, X_train, X_test, y_test, recipe, clock).items():
            sc = sc.reindex(X_test.columns).astype(float)
            rank, value = proxy_ranks(sc, planted.proxy)
            scores.append(pd.DataFrame({"strength": s, "method": method, "feature": sc.index,
                                        "score": sc.to_numpy()}))
            detections.append(Detection(method, s, rank, rank_rule,
                                        note=f"proxy score {value:.4f}"))

        with clock("group metrics"):
            observed = fairness_differences(y_test.to_numpy(), y_pred, {"group": group_test}).iloc[0]
            real = fairness_differences(real_test, y_pred, {"group": group_test}).iloc[0]
        values = {
            "demographic parity difference": observed["demographic_parity_difference"],
            "disparate impact ratio": observed["demographic_parity_ratio"],
            "equalized odds difference (observed labels)": observed["equalized_odds_difference"],
            "equalized odds difference (real labels)": real["equalized_odds_difference"],
        }
        for name, value in values.items():
            detections.append(Detection(name, s, float(value), metric_rules[name]))

        g = data[planted.group].to_numpy()
        summary.append({
            "strength": s,
            "accuracy_observed": float(np.mean(y_pred == y_test.to_numpy())),
            "accuracy_real": float(np.mean(y_pred == real_test)),
            "labels_replaced": float(planted.replaced.mean()),
            "label_parity_gap": planted.parity_difference(),
            "prediction_parity_gap": float(y_pred[group_test == 1].mean() - y_pred[group_test == 0].mean()),
            "proxy_group_corr": float(np.corrcoef(2 * g - 1, data[planted.proxy])[0, 1]),
            "n_features": X.shape[1], "n_train": len(X_train), "n_test": len(X_test),
        })
    return TabularExperiment(recipe, pd.DataFrame(summary), pd.concat(scores, ignore_index=True),
                             detection_table(detections), dict(clock.seconds))


#: Modules whose source is part of the cache key of :func:`cached_tabular_experiment`.
_KEY_MODULES = ("xaibook.cases.genz.tabular_experiment", "xaibook.cases.genz.proxy",
                "xaibook.cases.genz.detection", "xaibook.tabular.audit",
                "xaibook.tabular.dependence", "xaibook.tabular.fairness",
                "xaibook.tabular.importance", "xaibook.tabular.local", "xaibook.tabular.models")
_KEY_PACKAGES = ("scikit-learn", "shap", "lime", "fairml", "fairlearn", "numpy", "pandas")


def _cache_key(frame: pd.DataFrame, recipe: TabularRecipe, label: str) -> str:
    import dataclasses
    import hashlib
    import importlib
    import inspect
    import json
    from importlib import metadata

    digest = hashlib.sha256()
    versions = {}
    for name in _KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    digest.update(json.dumps({"recipe": dataclasses.asdict(recipe), "label": label,
                              "versions": versions}, sort_keys=True, default=str).encode())
    for module in _KEY_MODULES:
        digest.update(inspect.getsource(importlib.import_module(module)).encode())
    digest.update(json.dumps([str(c) for c in frame.columns] + [str(t) for t in frame.dtypes]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def cached_tabular_experiment(frame: pd.DataFrame, recipe: TabularRecipe = TabularRecipe(), *,
                              label: str = "income", cache_dir=None) -> TabularExperiment:
    """:func:`run_tabular_experiment` with the default model, cached on disk.

    The key hashes the recipe, the data, the label, the installed versions of
    the libraries involved and the *source* of the modules that compute the
    result (this one, the proxy, the detection rules and the tabular
    explainers), so any change to them recomputes. The cache folder is the
    model cache (``XAIBOOK_MODEL_DIR``, else ``data_home()/models``), as JSON
    beside the trained models (so it travels with them to Binder and Colab);
    ``seconds["from_cache"]`` says whether the result was read back.
    """
    import json
    import os
    from pathlib import Path

    if cache_dir is None:
        env = os.environ.get("XAIBOOK_MODEL_DIR")
        if env:
            folder = Path(env).expanduser()
        else:
            from xaibook.data import data_home

            folder = data_home() / "models"
    else:
        folder = Path(cache_dir)
    path = folder / f"genz-tabular-{_cache_key(frame, recipe, label)}.json"
    tables = ("summary", "scores", "detections")
    if path.exists():
        from io import StringIO

        stored = json.loads(path.read_text())
        read = {name: pd.read_json(StringIO(stored[name]), orient="table") for name in tables}
        return TabularExperiment(recipe, read["summary"], read["scores"], read["detections"],
                                 {**stored["seconds"], "from_cache": True})
    result = run_tabular_experiment(frame, recipe, label=label)
    blob = {name: getattr(result, name).to_json(orient="table") for name in tables}
    write_json(path, {**blob, "seconds": result.seconds})
    return TabularExperiment(result.recipe, result.summary, result.scores, result.detections,
                             {**result.seconds, "from_cache": False})
