"""PD/ICE: planted dependencies are recovered exactly by linear models."""

import matplotlib.figure
import numpy as np
import pandas as pd
import pytest

from xaibook.tabular.dependence import (partial_dependence_frame, pdpbox_isolate, pdpbox_predict_plot,
                                pdpbox_target_plot, plot_partial_dependence)
from xaibook.tabular.models import make_boosting_pipeline, make_linear_pipeline


def synthetic(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "x": rng.normal(size=n),
        "years": rng.integers(0, 20, size=n),  # an integer column, as in real data
        "kind": pd.Categorical(rng.choice(["a", "b", "c"], size=n)),
    })
    y = 2.0 * X["x"] + 0.5 * X["years"] + X["kind"].map({"a": 0.0, "b": 3.0, "c": -1.0}).astype(float)
    return X, y + rng.normal(scale=0.01, size=n)


@pytest.fixture(scope="module")
def regression():
    X, y = synthetic()
    return make_linear_pipeline(X, task="regression", alpha=1e-6).fit(X, y), X, y


def test_planted_slopes_and_levels(regression):
    model, X, _ = regression
    pd_frame = partial_dependence_frame(model, X, ["x", "years", "kind"], n_ice=10)
    avg = pd_frame[pd_frame["kind"] == "average"]
    for feat, slope in [("x", 2.0), ("years", 0.5)]:
        d = avg[avg["feature"] == feat]
        fitted = np.polyfit(d["value"].astype(float), d["prediction"].astype(float), 1)[0]
        assert fitted == pytest.approx(slope, abs=0.01)
    levels = avg[avg["feature"] == "kind"].set_index("value")["prediction"]
    assert levels["b"] - levels["a"] == pytest.approx(3.0, abs=0.02)
    assert levels["c"] - levels["a"] == pytest.approx(-1.0, abs=0.02)
    # a linear model has parallel ICE curves: same shape for every person
    ice = pd_frame[(pd_frame["kind"] == "individual") & (pd_frame["feature"] == "x")]
    spread = ice.groupby("sample")["prediction"].apply(lambda s: s.iloc[-1] - s.iloc[0])
    assert spread.std() < 1e-6 and ice["sample"].nunique() == 10


def test_centered_curves_start_at_zero(regression):
    model, X, _ = regression
    f = partial_dependence_frame(model, X, "x", centered=True, n_ice=5)
    firsts = f.groupby(["kind", "sample"])["prediction"].first()
    np.testing.assert_allclose(firsts, 0.0, atol=1e-12)


def test_classifier_probabilities_and_interaction():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"x": rng.uniform(-3, 3, 800), "g": rng.choice(["u", "v"], 800)})
    y = (np.where(X["g"] == "u", X["x"], -X["x"]) + rng.normal(scale=0.3, size=800) > 0).astype(int)
    model = make_boosting_pipeline(X, max_iter=60).fit(X, y)
    f = partial_dependence_frame(model, X, "x", n_ice=40, random_state=0)
    assert f["prediction"].between(0, 1).all()
    avg = f[f["kind"] == "average"]["prediction"]
    assert avg.max() - avg.min() < 0.35  # the average hides the interaction...
    ice = f[f["kind"] == "individual"]
    rises = ice.groupby("sample")["prediction"].apply(lambda s: s.iloc[-1] - s.iloc[0])
    assert (rises > 0.5).any() and (rises < -0.5).any()  # ...ICE curves show it


def test_validation(regression):
    model, X, _ = regression
    with pytest.raises(ValueError, match="unknown feature"):
        partial_dependence_frame(model, X, ["nope"])
    with pytest.raises(ValueError, match="kind"):
        partial_dependence_frame(model, X, "x", kind="all")
    with pytest.raises(ValueError, match="missing values"):
        partial_dependence_frame(model, X.assign(x=np.nan), "x")


def test_plot(regression):
    model, X, _ = regression
    f = partial_dependence_frame(model, X, ["x", "kind"], n_ice=5)
    spec = plot_partial_dependence(f, title="PD").to_dict()
    assert spec["title"]["text"] == "PD" and len(spec["concat"]) == 2
    assert len(str(spec)) < 200_000


def test_pdpbox_matches_sklearn(regression):
    model, X, y = regression
    num = pdpbox_isolate(model, X, "x", num_grid_points=5, max_samples=None)
    assert isinstance(num.figure, matplotlib.figure.Figure)
    slope = np.polyfit(num.frame["value"], num.frame["prediction"], 1)[0]
    assert slope == pytest.approx(2.0, abs=0.01)
    cat = pdpbox_isolate(model, X, "kind", max_samples=None).frame.set_index("value")["prediction"]
    assert cat["b"] - cat["a"] == pytest.approx(3.0, abs=0.02)
    assert num._repr_png_()[:4] == b"\x89PNG"


def test_pdpbox_info_plots(regression):
    model, X, y = regression
    target = pdpbox_target_plot(X, y, "kind")
    means = y.groupby(X["kind"], observed=True).mean()
    got = target.frame.set_index("value")["target"]
    for k in ["a", "b", "c"]:
        assert got[k] == pytest.approx(means[k])
    pred = pdpbox_predict_plot(model, X, "years", num_grid_points=5)
    assert {"count", "pred_q2"} <= set(pred.frame.columns)
    assert pdpbox_predict_plot(model, X, "kind").frame["count"].sum() == len(X)


def test_pdpbox_labels_readable():
    """No "raw"/"pred dist" axis labels and no "[19.0, 24.0)"-style ticks."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from xaibook.tabular.dependence import _tidy_labels
    fig, (a, b) = plt.subplots(1, 2)
    a.set_ylabel("raw")
    b.set_ylabel("pred dist")
    b.set_xticks([0, 1])
    b.set_xticklabels(["[19.0, 24.0)", "[3175.000, 4720.5)"])
    _tidy_labels(fig)
    assert a.get_ylabel() == "Predicted probability" == b.get_ylabel()
    assert [t.get_text() for t in b.get_xticklabels()] == ["[19, 24)", "[3,175, 4,720)"]
    plt.close(fig)
