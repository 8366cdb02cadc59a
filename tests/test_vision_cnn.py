"""The CNN recipe, its training and the model cache, on tiny data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from xaibook.vision import cnn
from xaibook.vision.cnn import CNNRecipe, TrainingSettings

TINY = CNNRecipe(input_shape=(10, 10, 1), n_classes=3, conv_filters=(2,), dense_units=4)
FAST = TrainingSettings(epochs=1, batch_size=16, validation_size=8, seed=0)


def _data(n=48, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.integers(0, 60, size=(n, 10, 10, channels)).astype(np.uint8)
    for k in range(3):                      # class k: a bright band at rows 3k..3k+2
        x[y == k, 3 * k:3 * k + 3] = 250
    return (x[..., 0] if channels == 1 else x), y


def test_build_names_shapes_and_functional_api():
    model = cnn.build_cnn(cnn.FASHION_RECIPE)
    names = [layer.name for layer in model.layers]
    assert names == ["image", "conv1", "pool1", "conv2", "pool2", "flatten", "dropout1", "dense",
                     "dropout2", "logits", "probs"]
    assert model.output_shape == (None, 10)
    assert list(model.output_names) == ["probs"]          # what tf-keras-vis reads
    rgb = cnn.build_cnn(cnn.FASHION_RECIPE.with_input_shape((28, 28, 3)))
    assert rgb.input_shape == (None, 28, 28, 3)
    assert cnn.FASHION_RECIPE.conv_layers == ("conv1", "conv2")


def test_build_is_deterministic_per_seed():
    a, b, c = (cnn.build_cnn(TINY, seed=s) for s in (1, 1, 2))
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


@pytest.mark.parametrize("kwargs, match", [
    ({"input_shape": (28, 28)}, "input_shape"),
    ({"n_classes": 1}, "n_classes"),
    ({"conv_filters": ()}, "conv_filters"),
    ({"dropout": 1.0}, "dropout"),
    ({"input_shape": (6, 6, 1), "conv_filters": (2, 2)}, "too small"),
])
def test_recipe_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CNNRecipe(**kwargs)


def test_settings_validation():
    with pytest.raises(ValueError):
        TrainingSettings(epochs=0)
    with pytest.raises(ValueError):
        TrainingSettings(learning_rate=0)


def test_preprocess():
    x = np.full((2, 4, 4), 255, np.uint8)
    out = cnn.preprocess(x)
    assert out.shape == (2, 4, 4, 1) and out.dtype == np.float32 and out.max() == 1.0
    with pytest.raises(ValueError, match="wants"):
        cnn.preprocess(x, (4, 4, 3))
    with pytest.raises(TypeError):
        cnn.preprocess(x.astype(np.int32))
    with pytest.raises(ValueError, match="shape"):
        cnn.preprocess(np.zeros(4))


def test_cache_key_changes_with_recipe_settings_and_data():
    x, y = _data()
    key = cnn.cache_key(TINY, FAST, x, y)
    assert key == cnn.cache_key(TINY, FAST, x.copy(), y.copy())
    assert key != cnn.cache_key(CNNRecipe(**{**TINY.__dict__, "dense_units": 5}), FAST, x, y)
    assert key != cnn.cache_key(TINY, TrainingSettings(epochs=2, batch_size=16, validation_size=8), x, y)
    x2 = x.copy()
    x2[0, 0, 0] += 1
    assert key != cnn.cache_key(TINY, FAST, x2, y)


def test_load_or_train_trains_once_then_loads(tmp_path):
    x, y = _data()
    first = cnn.load_or_train(TINY, FAST, x, y, cache_dir=tmp_path, name="tiny")
    assert not first.from_cache
    assert first.path.exists() and first.path.with_suffix(".json").exists()
    assert set(first.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    meta = json.loads(first.path.with_suffix(".json").read_text())
    assert meta["key"] == first.key
    second = cnn.load_or_train(TINY, FAST, x, y, cache_dir=tmp_path, name="tiny")
    assert second.from_cache and second.key == first.key
    assert second.train_seconds == pytest.approx(first.train_seconds)
    xp = cnn.preprocess(x)
    np.testing.assert_allclose(second.model.predict(xp, verbose=0), first.model.predict(xp, verbose=0),
                               rtol=1e-6, atol=1e-7)
    hist = second.history_frame()
    assert set(hist.columns) == {"epoch", "metric", "split", "value"}
    # a recipe change trains a new model next to the old one
    other = cnn.load_or_train(CNNRecipe(**{**TINY.__dict__, "dense_units": 5}), FAST, x, y,
                              cache_dir=tmp_path, name="tiny")
    assert not other.from_cache and other.key != first.key
    assert len(list(tmp_path.glob("tiny-*.keras"))) == 2
    assert not list(tmp_path.glob(".*tmp*"))


def test_training_is_deterministic(tmp_path):
    x, y = _data()
    a, _ = cnn.train_cnn(TINY, FAST, x, y)
    b, _ = cnn.train_cnn(TINY, FAST, x, y)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_rgb_recipe_trains(tmp_path):
    x, y = _data(channels=3)
    trained = cnn.load_or_train(TINY.with_input_shape((10, 10, 3)), FAST, x, y, cache_dir=tmp_path)
    assert trained.model.input_shape == (None, 10, 10, 3)


def test_training_data_validation():
    x, y = _data()
    with pytest.raises(ValueError, match="labels"):
        cnn.train_cnn(TINY, FAST, x, y[:-1])
    with pytest.raises(ValueError, match="labels must be integers"):
        cnn.train_cnn(TINY, FAST, x, y + 5)
    with pytest.raises(ValueError, match="no training data"):
        cnn.train_cnn(TINY, TrainingSettings(validation_size=len(x)), x, y)
    with pytest.raises(ValueError, match="name"):
        cnn.load_or_train(TINY, FAST, x, y, name="a/b")


def test_model_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv(cnn.ENV_MODEL_DIR, str(tmp_path / "m"))
    assert cnn.model_dir() == tmp_path / "m"
    monkeypatch.delenv(cnn.ENV_MODEL_DIR)
    monkeypatch.setenv("XAIBOOK_DATA_DIR", str(tmp_path / "d"))
    assert cnn.model_dir() == tmp_path / "d" / "models"


def test_evaluation():
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0])
    probs = np.eye(3)[y_pred] * 0.8 + 0.2 / 3
    probs[1, 1] = 0.9
    ev = cnn.Evaluation(y_true, y_pred, probs, ("a", "b", "c"))
    assert ev.accuracy == pytest.approx(4 / 6)
    conf = ev.confusion()
    assert conf.loc["a", "b"] == 1 and conf.loc["c", "a"] == 1 and conf.to_numpy().sum() == 6
    pairs = ev.confused_pairs()
    assert len(pairs) == 2 and set(pairs["count"]) == {1}
    assert list(ev.mistakes(0, 1)) == [1]
    assert ev.per_class()["recall"].tolist() == pytest.approx([0.5, 1.0, 0.5])


def test_evaluate_and_tables():
    x, y = _data(n=9)
    model = cnn.build_cnn(TINY)
    ev = cnn.evaluate(model, x, y, ["a", "b", "c"])
    assert ev.probs.shape == (9, 3)
    with pytest.raises(ValueError, match="class names"):
        cnn.evaluate(model, x, y, ["a", "b"])
    layers = cnn.layer_table(model)
    assert layers["weights"].sum() == model.count_params()
    assert set(cnn.settings_table(TINY, FAST)["part"]) == {"recipe", "training"}


@pytest.mark.slow
def test_fashion_cnn_meets_the_aim():
    from xaibook.data import load_fashion_mnist

    data = load_fashion_mnist()
    trained = cnn.fashion_cnn()
    ev = cnn.evaluate(trained.model, data.x_test, data.y_test, data.class_names)
    assert ev.accuracy >= 0.91
