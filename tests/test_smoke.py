"""Every declared package imports and runs one tiny call in the pinned environment."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    y = (X["a"] > 0).astype(int)
    return X, y, LogisticRegression().fit(X, y)


def test_book_toolchain():
    import jupyter_book
    import myst_nb

    assert jupyter_book.__version__.startswith("1.")
    assert myst_nb.__version__.startswith("1.")


def test_altair():
    import altair as alt

    spec = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x").to_dict()
    assert spec["mark"]["type"] == "point"


def test_eli5(tiny):
    from eli5.sklearn import PermutationImportance

    X, y, model = tiny
    perm = PermutationImportance(model, random_state=0, n_iter=2).fit(X.values, y)
    assert perm.feature_importances_[0] > perm.feature_importances_[1]


def test_lime(tiny):
    from lime.lime_tabular import LimeTabularExplainer

    X, _, model = tiny
    explainer = LimeTabularExplainer(X.values, feature_names=list(X), random_state=0)
    exp = explainer.explain_instance(X.values[0], model.predict_proba, num_features=2, num_samples=200)
    assert len(exp.as_list()) == 2


def test_shap(tiny):
    import shap

    X, _, model = tiny
    values = shap.LinearExplainer(model, X).shap_values(X.iloc[:5])
    assert np.asarray(values).shape == (5, 2)


def test_fairml(tiny):
    from fairml import audit_model

    X, _, model = tiny
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        importances, _ = audit_model(model.predict, X, number_of_runs=1)
    median = importances.median()
    assert median["a"] > median["b"]


def test_pdpbox(tiny):
    from pdpbox import pdp

    X, _, model = tiny
    iso = pdp.PDPIsolate(model=model, df=X, model_features=list(X), feature="a",
                         feature_name="a", n_classes=2, num_grid_points=5)
    assert len(iso.results) == 1


def test_fairlearn():
    from fairlearn.metrics import MetricFrame, selection_rate

    frame = MetricFrame(metrics=selection_rate, y_true=[0, 1, 1, 0], y_pred=[1, 1, 0, 0],
                        sensitive_features=["a", "a", "b", "b"])
    assert frame.by_group.to_dict() == {"a": 1.0, "b": 0.0}


def test_tensorflow_and_tf_keras_vis():
    import keras
    import tensorflow as tf
    from tf_keras_vis.saliency import Saliency
    from tf_keras_vis.utils.scores import CategoricalScore

    inputs = keras.Input((4, 4, 1))
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, outputs)
    maps = Saliency(model)(CategoricalScore([0]), np.ones((1, 4, 4, 1), "float32"))
    assert maps.shape == (1, 4, 4) and tf.__version__.startswith("2.")


def test_pooch_and_skimage():
    import pooch
    import skimage

    assert pooch.__version__ and skimage.__version__
