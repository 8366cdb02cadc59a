"""Sanity-check references: HOG similarity, independent randomization, the
different-image band, noise ceilings and the Quantus cross-check."""

from __future__ import annotations

import numpy as np
import pytest

from xaibook.vision import sanity

from test_vision_models import images, region_model, tiny_cnn


def trained_like(seed: int = 0):
    """tiny_cnn with weights moved away from its (seeded) initial draw, as training would.

    ``keras.models.clone_model`` rebuilds a model with its initializers; for
    tiny_cnn those are seeded, so a clone of the untrained model has the same
    weights and could not tell "kept the trained weights" from "drew fresh ones".
    """
    model = tiny_cnn(seed=seed)
    model.set_weights([1.5 * w + 0.01 for w in model.get_weights()])
    return model


def weights(model):
    return {layer.name: [w.copy() for w in layer.get_weights()] for layer in model.layers
            if layer.weights}


# --- HOG ------------------------------------------------------------------------


def test_hog_similarity_known_answers():
    rng = np.random.default_rng(0)
    a = rng.random((3, 16, 16))
    np.testing.assert_allclose(sanity.hog_similarity(a, a), 1.0)
    np.testing.assert_allclose(sanity.hog_similarity(a, 3 * a), 1.0)      # scale-free
    np.testing.assert_allclose(sanity.hog_similarity(a, np.zeros_like(a)), 0.0)  # no gradient
    # a vertical bar against a horizontal one: edges at right angles
    v = np.zeros((16, 16))
    v[:, 7:9] = 1
    assert sanity.hog_similarity(v, v.T)[0] < 0.5 < sanity.hog_similarity(v, np.roll(v, 1, axis=1))[0]
    noise = rng.random((20, 16, 16))
    assert abs(sanity.hog_similarity(noise, rng.random((20, 16, 16))).mean()) < 0.2
    with pytest.raises(ValueError, match="too small"):
        sanity.hog_similarity(a[:, :6, :6], a[:, :6, :6])
    with pytest.raises(ValueError, match="equal shape"):
        sanity.hog_similarity(a, a[:2])


def test_map_similarity_has_hog_and_nan_for_tiny_maps():
    rng = np.random.default_rng(1)
    a = rng.random((2, 12, 12))
    table = sanity.map_similarity(a, a)
    assert list(table.columns) == ["image", *sanity.METRICS]
    np.testing.assert_allclose(table["hog"], 1.0)
    assert sanity.map_similarity(a[:, :5, :5], a[:, :5, :5])["hog"].isna().all()


# --- randomization orders -----------------------------------------------------


def test_independent_randomization_touches_one_layer_per_stage(monkeypatch):
    model = trained_like()
    before = weights(model)
    seen = []

    def explain(m, x, y, method, **kw):
        seen.append(weights(m))
        from xaibook.vision.attribution import attribute
        return attribute(m, x, y, method=method)

    result = sanity.independent_randomization(model, images(3), 0, methods=["gradient"],
                                              seed=0, explain=explain)
    assert result.order == "independent"
    assert result.stages == ("original", "logits", "dense", "conv2", "conv1")
    for stage, state in zip(result.stages[1:], seen[1:]):
        for name, ws in state.items():
            same = all(np.array_equal(a, b) for a, b in zip(ws, before[name]))
            assert same == (name != stage), (stage, name)
    for name, ws in weights(model).items():   # the model itself is untouched
        assert all(np.array_equal(a, b) for a, b in zip(ws, before[name]))
    cascade = sanity.cascading_randomization(model, images(3), 0, methods=["gradient"], seed=0)
    assert cascade.order == "cascading"
    # the first stage of both orders is the same model
    np.testing.assert_allclose(result.maps["logits"]["gradient"], cascade.maps["logits"]["gradient"])
    assert set(result.table("hog").columns) == set(result.stages)
    # reusing the cascade's original maps and first stage gives the same result
    seen.clear()
    reused = sanity.independent_randomization(model, images(3), 0, methods=["gradient"], seed=0,
                                              explain=explain, reuse=cascade)
    assert len(seen) == 3                      # only dense, conv2 and conv1 were explained
    for stage in result.stages:
        np.testing.assert_allclose(reused.maps[stage]["gradient"], result.maps[stage]["gradient"])
    np.testing.assert_allclose(reused.scores[list(sanity.METRICS)], result.scores[list(sanity.METRICS)])
    with pytest.raises(ValueError, match="reuse"):
        sanity.independent_randomization(model, images(3), 0, methods=["gradient"], layers=["dense"],
                                         reuse=cascade)
    with pytest.raises(ValueError, match="metric"):
        result.summary("pearson")


def test_randomize_layers_permute_keeps_values_and_other_layers():
    model = trained_like()
    rand = sanity.randomize_layers(model, ["dense"], seed=3, how="permute")
    old, new = model.get_layer("dense").get_weights()[0], rand.get_layer("dense").get_weights()[0]
    assert not np.array_equal(old, new)
    np.testing.assert_array_equal(np.sort(old, axis=0), np.sort(new, axis=0))  # rows shuffled
    expected = np.random.RandomState(4).permutation(old)
    np.testing.assert_array_equal(new, expected)
    np.testing.assert_array_equal(model.get_layer("conv1").get_weights()[0],
                                  rand.get_layer("conv1").get_weights()[0])
    with pytest.raises(ValueError, match="how"):
        sanity.randomize_layers(model, ["dense"], how="shuffle")


# --- floor and ceiling -------------------------------------------------------


def test_different_image_band_brackets_the_null():
    rng = np.random.default_rng(0)
    shared = np.zeros((6, 10, 10))
    shared[:, 3:7, 3:7] = 1.0
    shared += rng.normal(scale=0.01, size=shared.shape)
    noise = rng.normal(size=(6, 10, 10))
    band = sanity.different_image_band({"blob": shared, "noise": noise})
    assert list(band.columns) == ["low", "median", "high", "pairs"]
    assert band.loc["blob", "pairs"] == 15
    assert band.loc["blob", "low"] > band.loc["noise", "high"]
    assert (band["low"] <= band["median"]).all() and (band["median"] <= band["high"]).all()
    with pytest.raises(ValueError, match="quantiles"):
        sanity.different_image_band({"noise": noise}, quantiles=(0.9, 0.1))
    with pytest.raises(ValueError, match="n >= 2"):
        sanity.different_image_band({"noise": noise[:1]})


def test_noise_ceiling_is_one_for_a_deterministic_explainer_and_below_for_a_sampled_one():
    model = tiny_cnn()
    x = images(3)
    det = sanity.noise_ceiling(model, x, 0, "gradient",
                               explain=lambda m, x, y, method, seed, **kw:
                               sanity.attribute(m, x, y, method=method))
    np.testing.assert_allclose(det[["spearman_abs", "spearman", "ssim", "hog"]], 1.0)
    sampled = sanity.noise_ceiling(model, x, 0, "smoothgrad", method_options={"n_samples": 4})
    assert (sampled["spearman_abs"] < 1).all() and (sampled["spearman_abs"] > 0).all()
    same_seed = sanity.noise_ceiling(model, x, 0, "smoothgrad", seeds=(5, 6),
                                     method_options={"n_samples": 4})
    assert not np.allclose(same_seed["spearman_abs"], sampled["spearman_abs"])
    given = sanity.attribute(model, x, 0, method="smoothgrad", n_samples=4, seed=0)
    reused = sanity.noise_ceiling(model, x, 0, "smoothgrad", method_options={"n_samples": 4},
                                  first=given)
    np.testing.assert_allclose(reused["spearman_abs"], sampled["spearman_abs"])
    with pytest.raises(ValueError, match="two different seeds"):
        sanity.noise_ceiling(model, x, 0, "smoothgrad", seeds=(1, 1))
    with pytest.raises(ValueError, match="seeds="):
        sanity.noise_ceiling(model, x, 0, "smoothgrad", method_options={"seed": 2})


# --- Quantus -----------------------------------------------------------------


def test_quantus_cascade_forgets_trained_weights_and_the_patched_one_matches_ours():
    pytest.importorskip("quantus")
    model = trained_like()
    before = weights(model)
    x, y = images(4), np.array([0, 1, 2, 0])
    # Quantus 0.6.0's own top-down generator starts from freshly drawn weights
    assert sanity.quantus_keeps_trained_weights(model) is False
    for order, ours in [("cascading", sanity.cascading_randomization),
                        ("independent", sanity.independent_randomization)]:
        theirs = sanity.quantus_mprt(model, x, y, "gradient", order=order, seed=42)
        mine = ours(model, x, y, methods=["gradient"], seed=42, how="permute").scores
        both = theirs.merge(mine[["stage", "image", "spearman_abs"]], on=["stage", "image"],
                            suffixes=("_quantus", "_ours"))
        assert len(both) == 4 * 4
        np.testing.assert_allclose(both["spearman_abs_quantus"], both["spearman_abs_ours"],
                                   atol=1e-12)
    unpatched = sanity.quantus_mprt(model, x, y, "gradient", seed=42, keep_trained=False)
    mine = sanity.cascading_randomization(model, x, y, methods=["gradient"], seed=42,
                                          how="permute").scores
    first = unpatched[unpatched["stage"] == "logits"]["spearman_abs"].to_numpy()
    assert not np.allclose(first, mine[mine["stage"] == "logits"]["spearman_abs"].to_numpy())
    import quantus  # the library's generator is restored after each call
    assert quantus.TensorFlowModel.get_random_layer_generator is not sanity._kept_weights_generator
    for name, ws in weights(model).items():   # the metric leaves the model as it was
        assert all(np.array_equal(a, b) for a, b in zip(ws, before[name]))


def test_quantus_keeps_trained_weights_on_a_model_equal_to_its_initial_draw():
    pytest.importorskip("quantus")
    # region_model's weights are set by hand and its initializers are unseeded:
    # a fresh clone differs from it; tiny_cnn untouched equals its seeded draw.
    assert sanity.quantus_keeps_trained_weights(tiny_cnn()) is True
    assert sanity.quantus_keeps_trained_weights(region_model()) is False
