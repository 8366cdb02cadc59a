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
