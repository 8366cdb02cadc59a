"""FairML audit wrapper: planted dependence found, reproducible, no side effects."""

import random

import matplotlib
import matplotlib.figure
import numpy as np
import pandas as pd
import pytest

from xaibook.tabular.audit import audit_model, plot_audit
from xaibook.tabular.models import make_linear_pipeline


def synthetic(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"strong": rng.normal(size=n), "weak": rng.normal(size=n),
                      "noise": rng.normal(size=n),
                      "group": pd.Categorical(rng.choice(["a", "b"], size=n))})
    y = 4 * X["strong"] + 1 * X["weak"] + 2 * (X["group"] == "b")
    return X, y


@pytest.fixture(scope="module")
def model_and_data():
    X, y = synthetic()
    return make_linear_pipeline(X, task="regression", alpha=1e-6).fit(X, y), X


def test_planted_dependence_ranked(model_and_data):
    model, X = model_and_data
    res = audit_model(model, X, number_of_runs=5)
    dep = res.frame.set_index("column")["dependence"].abs()
    assert dep["strong"] > dep["weak"] > dep["noise"]
    assert dep["noise"] < 0.01 * dep["strong"]
    assert res.frame["column"].iloc[0] == "strong"
    assert res.relative_of("strong") == pytest.approx(100.0)
    assert set(res.frame["feature"]) == {"strong", "weak", "noise", "group"}
    assert res.frame.loc[res.frame["column"] == "strong", "dependence"].iloc[0] > 0  # raises y
    assert list(res.by_feature()["feature"]).count("group") == 1


def test_reproducible_and_no_global_side_effects(model_and_data):
    model, X = model_and_data
    random.seed(123)
    np.random.seed(123)
    py_before, np_before = random.random(), np.random.random()
    random.seed(123)
    np.random.seed(123)
    backend, style = matplotlib.get_backend(), matplotlib.rcParams["axes.facecolor"]
    a = audit_model(model, X, number_of_runs=3, random_state=1)
    assert random.random() == py_before and np.random.random() == np_before
    b = audit_model(model, X, number_of_runs=3, random_state=1)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    fig = plot_audit(a, top=3)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes[0].patches) == 3
    assert matplotlib.get_backend() == backend
    assert matplotlib.rcParams["axes.facecolor"] == style


def test_classifier_and_validation():
    X, y = synthetic()
    clf = make_linear_pipeline(X).fit(X, (y > 0).astype(int))
    res = audit_model(clf, X, number_of_runs=2, max_samples=100)
    assert res.frame["column"].iloc[0] == "strong"
    with pytest.raises(ValueError, match="number_of_runs"):
        audit_model(clf, X, number_of_runs=0)
    with pytest.raises(ValueError, match="missing values"):
        audit_model(clf, X.assign(weak=np.nan))


class _Recorder:
    """A linear 'model' on the encoded matrix that records every matrix it is given."""

    def __init__(self, coef):
        self.coef = np.asarray(coef, float)
        self.seen = []

    def predict(self, Z):
        Z = np.asarray(Z, float)
        self.seen.append(Z.copy())
        return Z @ self.coef


def test_fairml_inputs_centred_direct_is_variance():
    """Known answer: with centred inputs, FairML's direct step on f(x) = a.x sets column j
    to its mean, so the direct dependence is a_j^2 * var(x_j); uncentred it is a_j^2 * E[x_j^2]."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(5.0, 2.0, 400), "b": rng.normal(-3.0, 1.0, 400)})
    rec = _Recorder([1.5, -2.0])
    est = Pipeline([("prep", FunctionTransformer(lambda d: np.asarray(d, float),
                                                 feature_names_out="one-to-one")),
                    ("reg", rec)])
    est.fit = lambda *a, **k: est  # already "fitted"
    import xaibook.tabular.audit as audit_mod
    from xaibook.tabular import models as models_mod

    class Enc:
        final_estimator = rec
        names = ["a", "b"]
        matrix = X.to_numpy()

        def original_of(self):
            return ["a", "b"]

    orig_enc, orig_task = audit_mod.encoded_features, audit_mod.task_of
    audit_mod.encoded_features = lambda model, X: Enc()
    audit_mod.task_of = lambda model: "regression"
    try:
        cen = audit_model(est, X, max_samples=None, center=True).frame.set_index("column")
        raw = audit_model(est, X, max_samples=None, center=False).frame.set_index("column")
        # FairML's zero is the column's mean: some matrix seen has column a constant at its mean
        assert any(np.allclose(Z[:, 0], X["a"].mean()) for Z in rec.seen)
    finally:
        audit_mod.encoded_features, audit_mod.task_of = orig_enc, orig_task
    var = X.var(ddof=0)
    assert cen.loc["a", "direct"] == pytest.approx(1.5 ** 2 * var["a"], rel=1e-9)
    assert cen.loc["b", "direct"] == pytest.approx(2.0 ** 2 * var["b"], rel=1e-9)
    assert raw.loc["a", "direct"] == pytest.approx(1.5 ** 2 * (X["a"] ** 2).mean(), rel=1e-9)
    # signs follow the coefficients
    assert cen.loc["a", "dependence"] > 0 > cen.loc["b", "dependence"]


def test_fairml_dummies_set_to_category_share():
    """A zeroed centred dummy becomes the category's share, never an all-zero one-hot row."""
    X, y = synthetic()
    model = make_linear_pipeline(X, task="regression", alpha=1e-6).fit(X, y)
    seen = []
    final = model[-1]
    original = final.predict
    final.predict = lambda Z: (seen.append(np.asarray(Z).copy()), original(Z))[1]
    try:
        audit_model(model, X, max_samples=None)
    finally:
        del final.predict
    from xaibook.tabular.models import encoded_features
    enc = encoded_features(model, X)
    col = [i for i, n in enumerate(enc.names) if n.startswith("group_")]
    share = np.asarray(enc.matrix, float)[:, col].mean(axis=0)
    full = [Z for Z in seen if len(Z) == len(X)]
    assert full
    for Z in full:   # no row has every dummy of `group` at 0
        assert not np.any(np.all(np.isclose(Z[:, col], 0.0), axis=1))
    assert any(np.allclose(Z[:, col[0]], share[0]) for Z in full)


def test_number_of_runs_changes_nothing(model_and_data):
    model, X = model_and_data
    a = audit_model(model, X, number_of_runs=1).frame
    b = audit_model(model, X, number_of_runs=4, random_state=7).frame
    pd.testing.assert_frame_equal(a, b)


def test_audit_stability(model_and_data):
    from xaibook.tabular.audit import audit_stability
    model, X = model_and_data
    st = audit_stability(model, X, n_subsamples=4, max_samples=100, top=2)
    assert st["column"].iloc[0] == "strong"
    assert st.set_index("column").loc["strong", "share_top"] == 1.0
    assert set(st.columns) >= {"median_rank", "best_rank", "worst_rank", "share_top", "sign_agreement"}
    with pytest.raises(ValueError, match="at least twice"):
        audit_stability(model, X, max_samples=200)
