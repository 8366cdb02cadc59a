"""Cascading randomization and map similarity."""

from __future__ import annotations

import numpy as np
import pytest

from xaibook.vision import sanity

from test_vision_models import images, region_model, tiny_cnn


def test_map_similarity_known_values():
    rng = np.random.default_rng(0)
    a = rng.random((3, 12, 12))
    same = sanity.map_similarity(a, a)
    assert np.allclose(same[["spearman_abs", "spearman", "ssim"]], 1.0)
    flipped = sanity.map_similarity(a, -a)
    assert np.allclose(flipped["spearman_abs"], 1.0) and np.allclose(flipped["spearman"], -1.0)
    shuffled = sanity.map_similarity(a, rng.permuted(a.reshape(3, -1), axis=1).reshape(a.shape))
    assert np.all(np.abs(shuffled["spearman_abs"]) < 0.3)
    const = sanity.map_similarity(a, np.zeros_like(a))
    assert np.allclose(const["spearman_abs"], 0.0)
    with pytest.raises(ValueError, match="equal shape"):
        sanity.map_similarity(a, a[:2])


def test_randomize_layers_touches_only_named_layers():
    model = tiny_cnn()
    before = {layer.name: [w.copy() for w in layer.get_weights()] for layer in model.layers}
    rand = sanity.randomize_layers(model, ["logits", "dense"], seed=1)
    for layer in rand.layers:
        if not layer.weights:
            continue
        old = before[layer.name]
        new = layer.get_weights()
        if layer.name == "logits" or layer.name == "dense":
            assert not np.array_equal(old[0], new[0])
        else:
            for o, n in zip(old, new):
                np.testing.assert_array_equal(o, n)
    for layer in model.layers:  # the original is untouched
        for o, n in zip(before[layer.name], layer.get_weights()):
            np.testing.assert_array_equal(o, n)
    again = sanity.randomize_layers(model, ["logits", "dense"], seed=1)
    np.testing.assert_array_equal(again.get_layer("dense").get_weights()[0],
                                  rand.get_layer("dense").get_weights()[0])
    with pytest.raises(ValueError, match="no layer"):
        sanity.randomize_layers(model, ["nope"])


def test_trainable_layers_order():
    assert sanity.trainable_layers(tiny_cnn()) == ["logits", "dense", "conv2", "conv1"]


def test_cascade_on_the_region_model():
    # The region model's gradient is exactly the region; randomizing its
    # dense layer must scramble the gradient map, randomizing nothing must not.
    model = region_model()
    result = sanity.cascading_randomization(model, images(3), 0, methods=["gradient", "gradcam"],
                                            layers=["logits"], seed=0)
    assert result.stages == ("original", "logits")
    assert set(result.maps) == {"original", "logits"}
    table = result.table("spearman_abs")
    assert list(table.columns) == ["original", "logits"]
    assert table.loc["gradient", "original"] == 1.0
    assert table.loc["gradient", "logits"] < 0.5
    summary = result.summary("ssim")
    assert set(summary["stage"]) == {"original", "logits"}
    assert len(result.scores) == 2 * 3  # methods x images


def test_cascade_default_layers_and_options():
    model = tiny_cnn()
    calls = []

    def explain(m, x, y, method, **options):
        calls.append((method, options))
        return np.abs(np.asarray(x)[..., 0]) * (1 + len(calls))

    result = sanity.cascading_randomization(model, images(2), [0, 1], methods=["a"],
                                            method_options={"a": {"k": 1}}, explain=explain)
    assert result.stages == ("original", "logits", "dense", "conv2", "conv1")
    assert all(opts == {"k": 1} for _, opts in calls) and len(calls) == 5
    # maps proportional to the image: rank correlation 1 at every stage
    assert np.allclose(result.scores["spearman_abs"], 1.0)
    with pytest.raises(ValueError, match="unknown metric"):
        result.summary("kendall")


def test_method_agreement_and_edges():
    rng = np.random.default_rng(0)
    a = rng.random((2, 12, 12))
    table = sanity.method_agreement({"a": a, "b": 2 * a, "c": rng.random((2, 12, 12))})
    assert table.loc["a", "b"] == pytest.approx(1.0)
    assert np.allclose(np.diag(table), 1.0) and np.allclose(table, table.T)
    img = np.zeros((1, 12, 12))
    img[:, 4:8, 4:8] = 1
    edges = sanity.edge_map(img)
    assert edges.shape == (1, 12, 12)
    assert edges[0, 6, 6] == 0 and edges[0, 4, 6] > 0


def test_different_image_null_is_high_for_a_shared_pattern_and_low_for_noise():
    from xaibook.vision.sanity import different_image_null

    rng = np.random.default_rng(0)
    shared = np.zeros((4, 10, 10))
    shared[:, 3:7, 3:7] = 1.0
    shared += rng.normal(scale=0.01, size=shared.shape)     # same blob in every image
    noise = rng.normal(size=(4, 10, 10))
    null = different_image_null({"blob": shared, "noise": noise})
    assert null["blob"] > 0.3
    assert abs(null["noise"]) < 0.2
    signed = different_image_null({"noise": noise}, metric="spearman")
    assert abs(signed["noise"]) < 0.2
    with pytest.raises(ValueError, match="n >= 2"):
        different_image_null({"one": noise[:1]})
    with pytest.raises(ValueError, match="metric"):
        different_image_null({"noise": noise}, metric="pearson")


def test_label_randomization_on_a_tiny_trained_model():
    """A tiny model trained on a rule that reads one region has gradients there; the
    same recipe trained on shuffled labels does not."""
    from xaibook.vision._tf import keras
    from xaibook.vision.sanity import label_randomization, shuffled_labels

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(400, 8, 8, 1)).astype(np.float32)
    y = (x[:, :3, :3, 0].mean(axis=(1, 2)) > 0.5).astype(np.int64)

    def fit(labels):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                                  keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(2), keras.layers.Activation("softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, labels, epochs=40, batch_size=64, verbose=0)
        return model

    real, shuffled = fit(y), fit(shuffled_labels(y, seed=1))
    assert np.bincount(shuffled_labels(y, seed=1)).tolist() == np.bincount(y).tolist()
    table = label_randomization(real, shuffled, x[:10], y[:10], methods=["gradient"])
    assert set(table.columns) >= {"method", "spearman_abs", "spearman", "ssim"}
    grad_real = np.abs(A_saliency(real, x[:10], y[:10]))
    region = np.zeros((8, 8), bool)
    region[:3, :3] = True
    share = grad_real[:, region].sum() / grad_real.sum()
    grad_shuf = np.abs(A_saliency(shuffled, x[:10], y[:10]))
    share_shuf = grad_shuf[:, region].sum() / grad_shuf.sum()
    assert share > 0.3 > share_shuf                    # the region is 9/64 = 14% of pixels
    assert table["spearman_abs"].median() < 0.5
    with pytest.raises(ValueError, match="at least 2"):
        shuffled_labels([1])


def A_saliency(model, x, y):
    from xaibook.vision.attribution import saliency

    return saliency(model, x, y)
