"""Activation maximization and the named-example helpers."""

from __future__ import annotations

import numpy as np
import pytest

from xaibook.vision import cnn
from xaibook.vision.activation_max import activation_maximization
from xaibook.vision.examples import confident_mistakes, first_of_each_class

from test_vision_models import region_mask, region_model


def test_activation_maximization_brightens_the_region_the_class_reads():
    model = region_model()
    vis = activation_maximization(model, [0], steps=60, learning_rate=0.3, tv_weight=0.0, seed=0)
    img = vis.images[0, ..., 0]
    assert vis.images.shape == (1, 12, 12, 1)
    assert 0.0 <= img.min() and img.max() <= 1.0
    assert img[region_mask()].mean() > 0.9
    assert img[~region_mask()].mean() < 0.3            # untouched: stays near the dark start
    assert vis.target_probability[0] > 0.99


def test_activation_maximization_batch_and_determinism():
    model = region_model()
    a = activation_maximization(model, [0, 1], steps=10, seed=3)
    b = activation_maximization(model, [0, 1], steps=10, seed=3)
    assert a.images.shape == (2, 12, 12, 1) and a.classes == (0, 1)
    assert a.probabilities.shape == (2, 2)
    np.testing.assert_array_equal(a.images, b.images)
    c = activation_maximization(model, [0], steps=5, objective="log_probability", seed=0)
    assert c.images.shape == (1, 12, 12, 1)


def test_activation_maximization_errors():
    model = region_model()
    with pytest.raises(ValueError, match="classes"):
        activation_maximization(model, [2])
    with pytest.raises(ValueError, match="objective"):
        activation_maximization(model, [0], steps=1, objective="softmax")
    with pytest.raises(ValueError, match="input_range"):
        activation_maximization(model, [0], input_range=(1, 0))


def test_first_of_each_class():
    assert first_of_each_class([2, 0, 2, 1], ["a", "b", "c", "d"]) == {"a": 1, "b": 3, "c": 0}


def test_confident_mistakes():
    y_true = np.array([0, 0, 0, 1])
    y_pred = np.array([1, 1, 0, 1])
    probs = np.array([[0.4, 0.6], [0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    ev = cnn.Evaluation(y_true, y_pred, probs, ("a", "b"))
    table = confident_mistakes(ev, [("a", "b"), ("b", "a")], per_pair=2)
    assert table["index"].tolist() == [1, 0]
    assert table["p_predicted"].tolist() == [0.9, 0.6]
    with pytest.raises(ValueError, match="unknown class"):
        confident_mistakes(ev, [("a", "z")])


def test_cached_activation_maximization_reads_back_and_keys_on_everything(tmp_path, monkeypatch):
    from xaibook.vision import activation_max

    model = region_model()
    first = activation_max.cached_activation_maximization(model, [0, 1], steps=5, seed=2,
                                                          cache_dir=tmp_path)
    files = list(tmp_path.glob("actmax-*.npz"))
    assert len(files) == 1
    fresh = activation_maximization(model, [0, 1], steps=5, seed=2)
    np.testing.assert_array_equal(first.images, fresh.images)

    def boom(*args, **kwargs):
        raise AssertionError("recomputed despite the cache")

    monkeypatch.setattr(activation_max, "activation_maximization", boom)
    again = activation_max.cached_activation_maximization(model, [0, 1], steps=5, seed=2,
                                                          cache_dir=tmp_path)
    np.testing.assert_array_equal(again.images, first.images)
    np.testing.assert_array_equal(again.probabilities, first.probabilities)
    assert again.classes == (0, 1)
    monkeypatch.undo()
    # another seed, other classes or other weights: another entry
    activation_max.cached_activation_maximization(model, [0, 1], steps=5, seed=3, cache_dir=tmp_path)
    activation_max.cached_activation_maximization(model, [1], steps=5, seed=2, cache_dir=tmp_path)
    files[0].write_bytes(b"not an npz")               # a broken entry is recomputed
    redo = activation_max.cached_activation_maximization(model, [0, 1], steps=5, seed=2,
                                                         cache_dir=tmp_path)
    np.testing.assert_array_equal(redo.images, first.images)
    model.set_weights([2 * w for w in model.get_weights()])   # same model, other weights
    activation_max.cached_activation_maximization(model, [0, 1], steps=5, seed=2, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("actmax-*.npz"))) == 4
