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


def test_feature_associations_keep_rare_counts_and_never_report_a_degenerate_table_as_0():
    rng = np.random.default_rng(1)
    group = rng.choice(["a", "b"], size=2000)
    # a rare count: ~95% zeros, more often non-zero in group b
    rare = np.where(rng.random(2000) < np.where(group == "b", 0.09, 0.01), rng.integers(1, 4, 2000), 0)
    X = pd.DataFrame({"group": group, "rare": rare, "constant": 1.0})
    assoc = feature_associations(X).set_index(["feature_a", "feature_b"])["cramers_v"]
    assert pd.qcut(X["rare"], 5, duplicates="drop").nunique() == 1      # the old artefact
    assert assoc[("group", "rare")] > 0.1
    assert np.isnan(assoc[("group", "constant")])                       # undefined, not 0
    assert np.isnan(feature_associations(X)["cramers_v"].iloc[-1])      # NaN sorted last


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


from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402


class _Median3(ClassifierMixin, BaseEstimator):
    """Predicts from the median of three copies of one signal: any single copy can be
    shuffled without changing a prediction; shuffling all three destroys the signal."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        m = np.median(np.asarray(X[["c1", "c2", "c3"]], float), axis=1)
        p = 1 / (1 + np.exp(-3 * m))
        return np.c_[1 - p, p]

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def test_grouped_permutation_known_answer():
    from sklearn.metrics import roc_auc_score
    from xaibook.tabular.importance import grouped_permutation_importance
    rng = np.random.default_rng(0)
    z = rng.normal(size=600)
    X = pd.DataFrame({"c1": z, "c2": z, "c3": z, "noise": rng.normal(size=600)})
    y = (z + 0.3 * rng.normal(size=600) > 0).astype(int)
    model = _Median3().fit(X, y)
    scorer = lambda est, X, y: roc_auc_score(y, est.predict_proba(X)[:, 1])  # noqa: E731
    imp = grouped_permutation_importance(
        model, X, y, {"c1": ["c1"], "c2": ["c2"], "c3": ["c3"], "copies": ["c1", "c2", "c3"]},
        scoring=scorer, n_repeats=3).set_index("feature")
    assert imp.loc[["c1", "c2", "c3"], "importance"].abs().max() < 1e-12   # alone: nothing
    assert imp.loc["copies", "importance"] > 0.3                            # together: the signal
    assert imp.loc["copies", "columns"] == "c1, c2, c3"
    with pytest.raises(ValueError, match="not in X"):
        grouped_permutation_importance(model, X, y, {"bad": ["nope"]}, scoring=scorer)


def test_drop_column_refit_known_answer():
    from xaibook.tabular.importance import drop_column_importance
    from xaibook.tabular.models import make_linear_pipeline
    rng = np.random.default_rng(1)
    z = rng.normal(size=800)
    X = pd.DataFrame({"a": z + 0.01 * rng.normal(size=800), "b": z + 0.01 * rng.normal(size=800),
                      "noise": rng.normal(size=800)})
    y = (z + 0.5 * rng.normal(size=800) > 0).astype(int)
    Xtr, Xte, ytr, yte = X[:500], X[500:], y[:500], y[500:]
    out = drop_column_importance(make_linear_pipeline, Xtr, ytr, Xte, yte,
                                 {"a": ["a"], "b": ["b"], "a and b": ["a", "b"]},
                                 n_boot=200).set_index("feature")
    assert abs(out.loc["a", "drop"]) < 0.01 and not out.loc["a", "drop_real"]
    assert out.loc["a and b", "drop"] > 0.2 and out.loc["a and b", "drop_real"]
    assert out.loc["a and b", "low"] <= out.loc["a and b", "drop"] <= out.loc["a and b", "high"]
