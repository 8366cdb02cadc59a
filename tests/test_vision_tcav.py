"""TCAV on a tiny model whose score depends on one known direction of its activations."""

from __future__ import annotations

import numpy as np
import pytest

from xaibook.vision import tcav as T
from xaibook.vision._tf import keras

D = 8


def known_model():
    """Input (D,) -> layer "act" (identity, linear) -> relu -> logits.

    Class 0's logit is relu(act[0]) + 0.2 * sum of relu(act[1:]) * signs; so
    moving activations along +e0 always raises it.
    """
    inputs = keras.Input((D,))
    act = keras.layers.Dense(D, use_bias=False, name="act")
    hidden = keras.layers.Activation("relu")(act(inputs))
    logits = keras.layers.Dense(2, use_bias=False, name="logits")
    out = logits(hidden)
    model = keras.Model(inputs, keras.layers.Activation("softmax", name="probs")(out))
    act.set_weights([np.eye(D, dtype=np.float32)])
    w = np.zeros((D, 2), np.float32)
    w[0, 0] = 1.0
    w[1:, 0] = 0.2 * np.where(np.arange(1, D) % 2, 1, -1)
    logits.set_weights([w])
    return model


def _noise(n, rng):
    return rng.uniform(0.1, 1.0, size=(n, D)).astype(np.float32)


def test_concept_along_the_known_direction_scores_one_random_scores_chance():
    rng = np.random.default_rng(0)
    model = known_model()
    concept = _noise(40, rng)
    concept[:, 0] += 2.0                        # the concept: large activation 0
    randoms = [_noise(40, rng) for _ in range(12)]
    class_images = _noise(60, rng)
    res = T.tcav(model, class_images, 0, concept, randoms, "act")
    assert res.scores.shape == res.null_scores.shape == (12,)
    assert res.mean > 0.95
    assert np.all(res.cav_accuracy > 0.9)
    assert 0.2 < res.null_mean < 0.8
    assert res.p_value < 0.01
    # the opposite concept (small activation 0) lowers the score
    anti = _noise(40, rng)
    anti[:, 0] = 0.0
    low = T.tcav(model, class_images, 0, anti, randoms, "act")
    assert low.mean < 0.05


def test_cav_points_towards_the_concept():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(30, 3)) + [3, 0, 0]
    b = rng.normal(size=(30, 3))
    cav = T.concept_activation_vector(a, b)
    assert cav.vector[0] > 0.8 and cav.accuracy >= 0.85
    np.testing.assert_allclose(np.linalg.norm(cav.vector), 1.0)


def test_directional_derivative_is_gradient_dot_cav():
    model = known_model()
    x = np.full((2, D), 0.5, np.float32)
    e0 = np.eye(D)[0]
    np.testing.assert_allclose(T.directional_derivatives(model, x, 0, "act", e0), [1.0, 1.0],
                               atol=1e-6)
    e1 = np.eye(D)[1]
    np.testing.assert_allclose(T.directional_derivatives(model, x, 0, "act", e1), [0.2, 0.2],
                               atol=1e-6)


def test_errors_and_bonferroni():
    model = known_model()
    x = np.ones((3, D), np.float32)
    with pytest.raises(ValueError, match="no layer"):
        T.layer_activations(model, x, "nope")
    with pytest.raises(ValueError, match="at least 3 random sets"):
        T.tcav(model, x, 0, x, [x, x], "act")
    with pytest.raises(ValueError, match="same d"):
        T.concept_activation_vector(np.ones((5, 2)), np.ones((5, 3)))
    with pytest.raises(ValueError, match="entries"):
        T.directional_derivatives(model, x, 0, "act", np.ones(3))
    np.testing.assert_allclose(T.bonferroni([0.01, 0.2, 0.5]), [0.03, 0.6, 1.0])
    np.testing.assert_allclose(T.bonferroni([0.01], n_tests=10), [0.1])


def test_shared_cavs_give_the_same_result_as_fitting_them_per_class():
    rng = np.random.default_rng(3)
    model = known_model()
    concept = _noise(30, rng)
    concept[:, 0] += 2.0
    randoms = [_noise(30, rng) for _ in range(5)]
    class_images = _noise(20, rng)
    cavs = T.fit_cavs(model, concept, randoms, "act", seed=7)
    for label in (0, 1):
        alone = T.tcav(model, class_images, label, concept, randoms, "act", seed=7)
        shared = T.tcav(model, class_images, label, concept, randoms, "act", seed=7, cavs=cavs)
        np.testing.assert_array_equal(alone.scores, shared.scores)
        np.testing.assert_array_equal(alone.null_scores, shared.null_scores)
        assert alone.p_value == shared.p_value or (np.isnan(alone.p_value) and np.isnan(shared.p_value))
    with pytest.raises(ValueError, match="one concept and one null"):
        T.tcav(model, class_images, 0, concept, randoms, "act", cavs=(cavs[0][:2], cavs[1][:2]))
