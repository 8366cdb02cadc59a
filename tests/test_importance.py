"""Permutation importance: a pure-noise feature scores ~0, planted signals are found."""

import numpy as np
import pandas as pd
import pytest

from xaibook.tabular.importance import (compare_importances, eli5_permutation_importance,
                                feature_associations, plot_importance,
                                sklearn_permutation_importance)
from xaibook.tabular.models import make_boosting_pipeline, make_linear_pipeline


def synthetic(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "signal": rng.normal(size=n),
        "group": pd.Categorical(rng.choice(["a", "b"], size=n)),
        "noise": rng.normal(size=n),
    })
    logit = 3 * X["signal"] + np.where(X["group"] == "a", 2.0, -2.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, pd.Series(y, name="y")


@pytest.fixture(scope="module")
def model_and_data():
    X, y = synthetic()
    return make_linear_pipeline(X).fit(X, y), X, y


def test_noise_near_zero_and_signals_found(model_and_data):
    model, X, y = model_and_data
    for frame in (sklearn_permutation_importance(model, X, y, scoring="roc_auc"),
                  eli5_permutation_importance(model, X, y, scoring="roc_auc").frame):
        imp = frame.set_index("feature")["importance"]
        assert abs(imp["noise"]) < 0.01
        assert imp["signal"] > 0.1 and imp["group"] > 0.05
        assert frame["feature"].iloc[-1] == "noise"
        assert list(frame.columns) == ["feature", "importance", "std", "method", "scoring"]


def test_methods_agree_and_eli5_table_keeps_names(model_and_data):
    model, X, y = model_and_data
    sk = sklearn_permutation_importance(model, X, y, n_repeats=3)
    el = eli5_permutation_importance(model, X, y, n_repeats=3)
    both = compare_importances(sk, el)
    assert list(both.columns) == ["scikit-learn", "eli5", "rank scikit-learn", "rank eli5"]
    assert (both["rank scikit-learn"] == both["rank eli5"]).all()
    np.testing.assert_allclose(both["scikit-learn"], both["eli5"], atol=0.03)
    html = el._repr_html_()
    assert "signal" in html and "group" in html and "<table" in html
    assert len(html) < 50_000


def test_reproducible(model_and_data):
    model, X, y = model_and_data
    a = eli5_permutation_importance(model, X, y, random_state=3).frame
    b = eli5_permutation_importance(model, X, y, random_state=3).frame
    pd.testing.assert_frame_equal(a, b)


def test_regression_importance():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.normal(size=300), "noise": rng.normal(size=300),
                      "g": rng.choice(["p", "q"], size=300)})
    y = 2 * X["a"] + 3 * (X["g"] == "p") + rng.normal(scale=0.1, size=300)
    model = make_boosting_pipeline(X, task="regression", max_iter=50).fit(X, y)
    frame = sklearn_permutation_importance(model, X, y)
    imp = frame.set_index("feature")["importance"]
    assert frame["scoring"].iloc[0] == "r2"
    assert imp["a"] > 0.3 and imp["g"] > 0.3 and abs(imp["noise"]) < 0.02
    assert eli5_permutation_importance(model, X, y).frame["feature"].iloc[-1] == "noise"


def test_validation(model_and_data):
    model, X, y = model_and_data
    with pytest.raises(ValueError, match="rows"):
        sklearn_permutation_importance(model, X, y[:-1])
    with pytest.raises(ValueError, match="missing values"):
        eli5_permutation_importance(model, X.assign(noise=np.nan), y)
    with pytest.raises(ValueError, match="unexpected"):
        sklearn_permutation_importance(model, X.assign(other=0), y)


def test_feature_associations():
    rng = np.random.default_rng(0)
    a = rng.choice(["x", "y", "z"], size=500)
    X = pd.DataFrame({"a": a, "a_copy": pd.Series(a).map({"x": 1, "y": 2, "z": 3}),
                      "indep": rng.normal(size=500)})
    assoc = feature_associations(X).set_index(["feature_a", "feature_b"])["cramers_v"]
    assert assoc[("a", "a_copy")] == pytest.approx(1.0)
    assert assoc[("a", "indep")] < 0.15


def test_plot_importance(model_and_data):
    model, X, y = model_and_data
    frame = pd.concat([sklearn_permutation_importance(model, X, y, n_repeats=2),
                       eli5_permutation_importance(model, X, y, n_repeats=2).frame])
    spec = plot_importance(frame, title="T").to_dict()
    assert spec["title"]["text"] == "T"
    assert "Mean drop in accuracy" in str(spec)
    auc = pd.concat([sklearn_permutation_importance(model, X, y, scoring="roc_auc", n_repeats=2)])
    assert "Mean drop in ROC AUC" in str(plot_importance(auc).to_dict())
    with pytest.raises(ValueError, match="lacks"):
        plot_importance(frame.drop(columns="std"))
