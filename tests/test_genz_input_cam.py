"""CAM-style channel weights at the input on a tiny linear model with a planted colour channel."""

from __future__ import annotations

import numpy as np
import pytest

from xaibook.cases.genz.colour_stats import channel_weight_colour_share, input_channel_weights
from xaibook.cases.genz.tint import PALETTE, colour_axes
from xaibook.vision._tf import keras


def linear_model(channel_weights):
    """Score of class 0 = sum over pixels of w_c * x_c (class 1: minus that)."""
    inputs = keras.Input((4, 4, 3))
    flat = keras.layers.Flatten()(inputs)
    dense = keras.layers.Dense(2, use_bias=False, name="logits")
    out = keras.layers.Activation("softmax", name="probs")(dense(flat))
    model = keras.Model(inputs, out)
    w = np.tile(np.asarray(channel_weights, np.float32), 16)
    dense.set_weights([np.stack([w, -w], axis=1)])
    return model


def test_planted_colour_channel_ranks_first():
    model = linear_model([0.1, 2.0, -0.3])        # green is the planted channel
    x = np.random.default_rng(0).uniform(size=(5, 4, 4, 3)).astype(np.float32)
    alpha = input_channel_weights(model, x, 0)
    assert alpha.shape == (5, 3)
    np.testing.assert_allclose(alpha, np.tile([0.1, 2.0, -0.3], (5, 1)), rtol=1e-5)
    assert (np.abs(alpha).argmax(axis=1) == 1).all()
    np.testing.assert_allclose(input_channel_weights(model, x, 1), -alpha, rtol=1e-5)


def test_colour_share_of_weights_along_and_across_the_palette():
    colour, shape = colour_axes(PALETTE)
    assert channel_weight_colour_share(np.tile(colour, (3, 1))) == pytest.approx(1.0)
    assert channel_weight_colour_share(np.tile(shape, (3, 1))) == pytest.approx(0.0, abs=1e-12)
    model = linear_model(colour)                   # a model that scores "pinker" only
    x = np.random.default_rng(1).uniform(size=(3, 4, 4, 3)).astype(np.float32)
    assert channel_weight_colour_share(input_channel_weights(model, x, 0)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape"):
        channel_weight_colour_share(np.ones((3, 4)))
