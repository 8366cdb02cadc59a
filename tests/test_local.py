"""LIME and SHAP on synthetic data where the answer is known."""

import numpy as np
import pandas as pd
import pytest

from xaibook.tabular.local import (counterfactual_rows, lime_explanations, plot_lime, plot_shap_by_value,
                           plot_shap_importance, plot_shap_local, shap_values)
from xaibook.tabular.models import make_boosting_pipeline, make_linear_pipeline, predict_score


def synthetic(n=500, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "signal": rng.normal(size=n),
        "sex": pd.Categorical(rng.choice(["female", "male"], size=n)),
        "noise": rng.normal(size=n),
    })
    logit = 3 * X["signal"] + np.where(X["sex"] == "male", 1.5, -1.5)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, pd.Series(y, name="y")


@pytest.fixture(scope="module")
def models():
    X, y = synthetic()
    return X, y, make_linear_pipeline(X).fit(X, y), make_boosting_pipeline(X, max_iter=40).fit(X, y)


def test_counterfactual_rows_change_one_column(models):
    X, *_ = models
    pair = counterfactual_rows(X.loc[[7]], "sex", ["female", "male"])
    assert list(pair.index) == ["7 (sex=female)", "7 (sex=male)"]
    assert pair["sex"].tolist() == ["female", "male"]
    assert (pair[["signal", "noise"]].nunique() == 1).all()
    assert pair.dtypes.equals(X.dtypes)
    with pytest.raises(ValueError, match="not a category"):
        counterfactual_rows(X.loc[[7]], "sex", ["other"])


def test_lime_finds_the_planted_features(models):
    X, _, lin, _ = models
    rows = counterfactual_rows(X.loc[[3]], "sex", ["female", "male"])
    f = lime_explanations(lin, X, rows, num_features=3, num_samples=1000)
    assert set(f["row"]) == set(rows.index)
    for _, d in f.groupby("row"):
        top = d.reindex(d["weight"].abs().sort_values(ascending=False).index)["feature"].tolist()
        assert set(top[:2]) == {"signal", "sex"} and top[2] == "noise"
    male = f[(f["row"] == "3 (sex=male)") & (f["feature"] == "sex")]
    assert male["rule"].iloc[0] == "sex=male" and male["weight"].iloc[0] > 0
    np.testing.assert_allclose(f.groupby("row")["prediction"].first().sort_index(),
                               predict_score(lin, rows.sort_index()))


def test_lime_reproducible_row_by_row(models):
    X, _, lin, _ = models
    rows = X.loc[[1, 2]]
    both = lime_explanations(lin, X, rows, num_samples=500)
    alone = lime_explanations(lin, X, X.loc[[2]], num_samples=500)
    pd.testing.assert_frame_equal(both[both["row"] == "2"].reset_index(drop=True), alone)


def test_lime_regression():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = 5 * X["a"]
    model = make_linear_pipeline(X, task="regression").fit(X, y)
    f = lime_explanations(model, X, X.iloc[:1], num_features=2, num_samples=500)
    assert f.iloc[0]["feature"] == "a"


def test_lime_plot_small(models):
    X, _, lin, _ = models
    f = lime_explanations(lin, X, X.loc[[1, 2]], num_samples=300)
    spec = plot_lime(f, title="L").to_dict()
    assert spec["title"]["text"] == "L" and len(spec["vconcat"]) == 2
    assert len(str(spec)) < 20_000


@pytest.mark.parametrize("which", ["linear", "tree"])
def test_shap_additive_and_ranked(models, which):
    X, _, lin, gb = models
    model = lin if which == "linear" else gb
    res = shap_values(model, X.iloc[:60], background=X, n_background=80)
    assert res.method == which and res.output == "log-odds"
    p = predict_score(model, X.iloc[:60])
    np.testing.assert_allclose([res.output_of(i) for i in res.values.index], np.log(p / (1 - p)),
                               atol=1e-6)
    imp = res.importance()
    assert imp["feature"].iloc[-1] == "noise"
    by_sex = res.by_value("sex").set_index("value")["mean_shap"]
    assert by_sex["male"] > 0 > by_sex["female"]


def test_shap_linear_matches_formula(models):
    X, _, lin, _ = models
    res = shap_values(lin, X.iloc[:10], background=X, n_background=len(X))
    coef = lin[-1].coef_[0]
    Z = lin[:-1].transform(X)
    expected = coef[-2] * (Z[:10, -2] - Z[:, -2].mean())  # "signal" is the first numeric column
    np.testing.assert_allclose(res.values["signal"], expected, atol=1e-8)


def test_shap_permutation_is_model_agnostic(models):
    X, _, _, gb = models
    res = shap_values(gb, X.iloc[:2], background=X, method="permutation", n_background=20)
    assert res.output == "probability"
    np.testing.assert_allclose([res.output_of(i) for i in res.values.index],
                               predict_score(gb, X.iloc[:2]), atol=1e-6)
    again = shap_values(gb, X.iloc[:2], background=X, method="permutation", n_background=20)
    pd.testing.assert_frame_equal(res.values, again.values)


def test_shap_plots(models):
    X, _, lin, _ = models
    res = shap_values(lin, X.iloc[:50], background=X)
    assert plot_shap_importance(res).to_dict()["title"]["text"]
    spec = plot_shap_local(res, X.index[0]).to_dict()
    assert "from the average" in spec["title"]["text"]
    assert plot_shap_by_value(res, "signal").to_dict()["title"]["text"] == "How the model uses signal"
    with pytest.raises(KeyError):
        res.local("nobody")


def test_shap_by_value_compares_models(models):
    X, _, lin, gb = models
    a = shap_values(lin, X.iloc[:40], background=X)
    b = shap_values(gb, X.iloc[:40], background=X)
    spec = plot_shap_by_value({"linear": a, "boosting": b}, "sex", title="cmp").to_dict()
    assert spec["title"]["text"] == "cmp" and "yOffset" in str(spec["encoding"])
