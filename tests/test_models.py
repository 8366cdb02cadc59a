"""Tests for xaibook.tabular.models on tiny synthetic data."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError

from xaibook.tabular.models import (CodedModel, FrameCodec, calibration_frame, check_model_input,
                            encoded_features, evaluate, fill_missing, make_boosting_pipeline,
                            make_linear_pipeline, make_preprocessor, plot_calibration, predict_score,
                            split_xy, train_test_split_frame)


def frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    colour = pd.Categorical(rng.choice(["red", "green", "blue"], size=n))
    count = rng.integers(0, 10, size=n)
    logit = 2 * x + np.where(colour == "red", 1.5, -0.5)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame({"x": x, "colour": colour, "count": count, "label": y})


@pytest.fixture(scope="module")
def data():
    X, y = split_xy(frame(), "label", positive="yes")
    return X, y


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return make_linear_pipeline(X).fit(X, y), make_boosting_pipeline(X, max_iter=30).fit(X, y)


def test_split_xy_binary_target_and_drop():
    X, y = split_xy(frame(), "label", positive="yes", drop=["count"])
    assert list(X.columns) == ["x", "colour"]
    assert set(y.unique()) <= {0, 1} and y.name == "label"
    with pytest.raises(KeyError, match="nope"):
        split_xy(frame(), "nope")
    with pytest.raises(ValueError, match="never occurs"):
        split_xy(frame(), "label", positive="maybe")


def test_fill_missing_makes_a_category():
    X = pd.DataFrame({"c": pd.Categorical(["a", None, "b"]), "s": ["u", None, "v"], "n": [1.0, np.nan, 2]})
    out = fill_missing(X)
    assert out["c"].tolist() == ["a", "unknown", "b"] and "unknown" in out["c"].cat.categories
    assert out["s"].tolist() == ["u", "unknown", "v"]
    assert out["n"].isna().sum() == 1  # numbers untouched
    assert X["c"].isna().sum() == 1  # input untouched


def test_split_is_seeded_and_stratified(data):
    X, y = data
    a = train_test_split_frame(X, y, random_state=1)
    b = train_test_split_frame(X, y, random_state=1)
    assert a[0].index.equals(b[0].index)
    assert abs(a[2].mean() - a[3].mean()) < 0.02


def test_preprocessor_one_encoder_per_categorical(data):
    X, _ = data
    pre = make_preprocessor(X).fit(X)
    assert [name for name, *_ in pre.transformers] == ["onehot_colour", "numeric"]
    assert pre.transform(X).shape == (len(X), 3 + 2)


def test_pipelines_and_evaluate(data, fitted):
    X, y = data
    lin, gb = fitted
    assert is_classifier(lin) and is_classifier(gb)
    table = evaluate({"linear": lin, "boosting": gb}, X, y)
    assert list(table.index) == ["linear", "boosting"]
    assert {"accuracy", "roc_auc", "brier", "log_loss", "positive_rate", "n"} <= set(table.columns)
    assert ((table["accuracy"] > 0.6) & (table["accuracy"] <= 1)).all()  # a fraction, not a percent
    assert table.loc["linear", "roc_auc"] > 0.8
    clone(gb).fit(X, y)  # the one-thread estimators behave like sklearn's


def test_regression_pipelines():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=200), "g": rng.choice(["p", "q"], size=200)})
    y = 3 * X["a"] + (X["g"] == "p") + rng.normal(scale=0.1, size=200)
    for make in (make_linear_pipeline, make_boosting_pipeline):
        model = make(X, task="regression").fit(X, y)
        assert is_regressor(model)
        table = evaluate({"m": model}, X, y)
        assert list(table.columns) == ["r2", "mae", "rmse", "n"] and table.loc["m", "r2"] > 0.9
        assert predict_score(model, X).shape == (200,)
    with pytest.raises(ValueError, match="task"):
        make_linear_pipeline(X, task="ranking")


def test_check_model_input_errors(data, fitted):
    X, y = data
    lin, _ = fitted
    with pytest.raises(NotFittedError, match="not fitted"):
        check_model_input(make_linear_pipeline(X), X)
    with pytest.raises(ValueError, match=r"missing \['count'\]"):
        check_model_input(lin, X.drop(columns="count"))
    with pytest.raises(ValueError, match=r"unexpected \['extra'\]"):
        check_model_input(lin, X.assign(extra=1))
    with pytest.raises(ValueError, match="missing values in \\['x'\\]"):
        check_model_input(lin, X.assign(x=np.where(X.index == 3, np.nan, X["x"])))
    with pytest.raises(TypeError, match="DataFrame"):
        check_model_input(lin, X.to_numpy())
    reordered = check_model_input(lin, X[["count", "x", "colour"]])
    assert list(reordered.columns) == list(X.columns)


def test_calibration_frame(data, fitted):
    X, y = data
    cal = calibration_frame({"linear": fitted[0]}, X, y, n_bins=5)
    assert cal["count"].sum() == len(X) and len(cal) == 5
    assert (cal["observed"].between(0, 1)).all()
    chart = plot_calibration(cal)
    assert chart.to_dict()["title"]["text"]


def test_encoded_features_map_back(data, fitted):
    X, _ = data
    enc = encoded_features(fitted[0], X)
    assert enc.matrix.shape == (len(X), 5)
    assert sorted(i for idx in enc.groups.values() for i in idx) == list(range(5))
    assert len(enc.groups["colour"]) == 3 and enc.original_of().count("colour") == 3


def test_codec_roundtrip_and_coded_model(data, fitted):
    X, _ = data
    codec = FrameCodec(X)
    coded = codec.encode(X)
    assert all(dt.kind == "f" for dt in coded.dtypes)
    back = codec.decode(coded)
    pd.testing.assert_frame_equal(back, X.reset_index(drop=True), check_categorical=True)
    wrapped = CodedModel(fitted[1], codec)
    np.testing.assert_allclose(wrapped.predict_proba(coded.to_numpy()), fitted[1].predict_proba(X))
    assert list(wrapped.classes_) == [0, 1] and is_classifier(wrapped)
    with pytest.raises(ValueError, match="not seen"):
        codec.encode(X.assign(colour=pd.Categorical(["purple"] * len(X))))


def test_bootstrap_metrics(data, fitted):
    from xaibook.tabular.models import bootstrap_metrics
    X, y = data
    out = bootstrap_metrics(fitted[0], X, y, n_boot=200)
    assert list(out.index) == ["accuracy", "roc_auc"]
    assert ((out["low"] <= out["estimate"]) & (out["estimate"] <= out["high"])).all()
    assert (out["high"] - out["low"] < 0.2).all()
    pd.testing.assert_frame_equal(out, bootstrap_metrics(fitted[0], X, y, n_boot=200))
    with pytest.raises(ValueError, match="unknown metric"):
        bootstrap_metrics(fitted[0], X, y, metrics=["f1"])


@pytest.mark.slow
def test_german_credit_end_to_end():
    from xaibook.data import load_german
    from xaibook.tabular.fairness import fairness_report
    german = load_german()
    X, y = split_xy(german, "credit_risk", positive="good", drop=["sex"])
    X_train, X_test, y_train, y_test = train_test_split_frame(X, y, test_size=0.3, random_state=0)
    model = make_linear_pipeline(X_train).fit(X_train, y_train)
    table = evaluate({"linear": model}, X_test, y_test)
    assert 0.7 < table.loc["linear", "roc_auc"] < 0.95
    status = german.loc[X_test.index, ["personal_status_sex"]].astype(str)
    rep = fairness_report(model, X_test, y_test, status)
    # Grömping's corrected codes: four personal-status groups, one of them mixing sexes
    assert "female: non-single, or male: single" in set(rep.by_group["group"])
    assert german["sex"].isna().sum() == 310
