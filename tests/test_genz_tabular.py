"""Tabular proxy experiment on a small synthetic frame whose answers are known."""

import numpy as np
import pandas as pd
import pytest

from xaibook.cases.genz.tabular_experiment import (EXPLAINERS, TabularRecipe, prepare_adult, proxy_ranks,
                                             run_tabular_experiment)


def _frame(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    x1 = rng.standard_normal(n)
    return pd.DataFrame({
        "x1": x1,
        "x2": rng.standard_normal(n),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
        "income": (x1 + 0.3 * rng.standard_normal(n) > 0.5).astype(int),
    })


@pytest.fixture(scope="module")
def experiment():
    recipe = TabularRecipe(strengths=(0.0, 1.0), n_rows=2000, top_k=1, n_eval=200, n_pdp=100,
                           n_shap=50, n_lime=4, lime_samples=200, n_audit=100, audit_runs=2)
    return run_tabular_experiment(_frame(), recipe)


def test_full_strength_every_explainer_ranks_the_proxy_first(experiment):
    det = experiment.detections.set_index(["method", "strength"])
    for method in EXPLAINERS:
        assert det.loc[(method, 1.0), "value"] == 1, method
        assert det.loc[(method, 1.0), "detected"]


def test_no_bias_no_explainer_ranks_the_proxy_first(experiment):
    det = experiment.detections.set_index(["method", "strength"])
    for method in EXPLAINERS:
        assert det.loc[(method, 0.0), "value"] > 1, method


def test_group_metrics_follow_the_planted_gap(experiment):
    det = experiment.detections.set_index(["method", "strength"])
    assert det.loc[("demographic parity difference", 1.0), "detected"]
    assert det.loc[("disparate impact ratio", 1.0), "detected"]
    assert not det.loc[("demographic parity difference", 0.0), "detected"]
    summary = experiment.summary.set_index("strength")
    assert summary.loc[0.0, "labels_replaced"] == 0
    assert summary.loc[1.0, "label_parity_gap"] > 0.3
    assert summary["proxy_group_corr"].between(0.75, 0.85).all()
    assert set(experiment.scores["method"]) == set(EXPLAINERS)


def test_proxy_ranks_ties_count_against_the_proxy():
    assert proxy_ranks(pd.Series({"a": 3.0, "proxy": 1.0, "b": -2.0}), "proxy") == (3, 1.0)
    assert proxy_ranks(pd.Series({"a": 1.0, "proxy": 1.0}), "proxy")[0] == 2
    with pytest.raises(KeyError):
        proxy_ranks(pd.Series({"a": 1.0}), "proxy")


def test_prepare_adult_and_recipe_validation():
    raw = pd.DataFrame({"age": range(10), "fnlwgt": range(10), "workclass": [None, "Private"] * 5,
                        "income": [">50K", "<=50K."] * 5})
    out = prepare_adult(raw, 6, seed=0)
    assert "fnlwgt" not in out and set(out["income"]) <= {0, 1} and len(out) == 6
    assert not out["workclass"].isna().any()
    with pytest.raises(ValueError, match="rows"):
        prepare_adult(raw, 20, seed=0)
    with pytest.raises(ValueError, match="increasing"):
        TabularRecipe(strengths=(0.5, 0.1))
    with pytest.raises(ValueError, match="proxy_corr"):
        TabularRecipe(proxy_corr=1.0)
    with pytest.raises(ValueError, match="200 rows"):
        run_tabular_experiment(_frame(100), TabularRecipe())


def test_error_rate_parity_is_blind_when_the_labels_carry_the_bias(experiment):
    # at s=1 the model reproduces the biased labels: against them its errors
    # are balanced; against the real labels they are not.
    det = experiment.detections.set_index(["method", "strength"])
    assert not det.loc[("equalized odds difference (observed labels)", 1.0), "detected"]
    assert det.loc[("equalized odds difference (real labels)", 1.0), "detected"]


def test_cached_experiment_reads_back_the_same_tables(tmp_path):
    from xaibook.cases.genz.tabular_experiment import cached_tabular_experiment

    recipe = TabularRecipe(strengths=(0.0, 1.0), n_rows=600, top_k=1, n_eval=100, n_pdp=50,
                           n_shap=20, n_lime=2, lime_samples=100, n_audit=50, audit_runs=1)
    frame = _frame(600)
    first = cached_tabular_experiment(frame, recipe, cache_dir=tmp_path)
    again = cached_tabular_experiment(frame, recipe, cache_dir=tmp_path)
    assert first.seconds["from_cache"] is False and again.seconds["from_cache"] is True
    pd.testing.assert_frame_equal(first.summary, again.summary)
    pd.testing.assert_frame_equal(first.detections, again.detections)
    pd.testing.assert_frame_equal(first.scores, again.scores)
    other = cached_tabular_experiment(frame.assign(x2=frame["x2"] + 1), recipe, cache_dir=tmp_path)
    assert other.seconds["from_cache"] is False                    # other data, recomputed
