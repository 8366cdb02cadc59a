"""Tiny Keras models with known attributions, shared by the tests of xaibook.vision."""

from __future__ import annotations

import numpy as np

from xaibook.vision._tf import keras

SIDE = 12
REGION = (slice(0, 4), slice(0, 4))  # the only pixels the region model looks at


def region_mask(side: int = SIDE) -> np.ndarray:
    mask = np.zeros((side, side), dtype=bool)
    mask[REGION] = True
    return mask


def region_model(channels: int = 1, side: int = SIDE):
    """Class 0's logit is the sum of the (ReLU'd) top-left 4x4 pixels; class 1's is 0.

    A 1x1 identity convolution (so Grad-CAM has a conv layer whose feature
    map is the image), a flatten, a dense layer that weights only the region,
    and a softmax.
    """
    inputs = keras.Input((side, side, channels))
    conv = keras.layers.Conv2D(1, 1, activation="relu", name="conv")
    h = conv(inputs)
    h = keras.layers.Flatten(name="flatten")(h)
    dense = keras.layers.Dense(2, name="logits")
    logits = dense(h)
    probs = keras.layers.Activation("softmax", name="probs")(logits)
    model = keras.Model(inputs, probs)
    conv.set_weights([np.ones((1, 1, channels, 1), np.float32), np.zeros(1, np.float32)])
    w = np.zeros((side * side, 2), np.float32)
    w[:, 0] = region_mask(side).ravel()
    dense.set_weights([w, np.zeros(2, np.float32)])
    return model


def images(n: int = 4, channels: int = 1, side: int = SIDE, seed: int = 0) -> np.ndarray:
    """Positive random images in [0.1, 1] (so every ReLU of the region model is on)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.1, 1.0, size=(n, side, side, channels)).astype(np.float32)


def tiny_cnn(channels: int = 1, side: int = SIDE, seed: int = 0):
    """A small random two-conv CNN (ReLUs, pooling, dense, softmax)."""
    inputs = keras.Input((side, side, channels))
    init = keras.initializers.GlorotUniform
    h = keras.layers.Conv2D(4, 3, activation="relu", name="conv1",
                            kernel_initializer=init(seed=seed))(inputs)
    h = keras.layers.Conv2D(6, 3, activation="relu", name="conv2",
                            kernel_initializer=init(seed=seed + 1))(h)
    h = keras.layers.MaxPooling2D(name="pool")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    h = keras.layers.Dense(8, activation="relu", name="dense",
                           kernel_initializer=init(seed=seed + 2))(h)
    logits = keras.layers.Dense(3, name="logits", kernel_initializer=init(seed=seed + 3))(h)
    probs = keras.layers.Activation("softmax", name="probs")(logits)
    return keras.Model(inputs, probs)


def mass_in_region(maps: np.ndarray, side: int = SIDE) -> np.ndarray:
    """Share of each map's absolute mass inside the region."""
    maps = np.abs(np.asarray(maps))
    total = maps.reshape(len(maps), -1).sum(axis=1)
    return maps[:, region_mask(side)].sum(axis=1) / np.where(total > 0, total, 1)


# --------------------------------------------------------------------------- the helpers' own checks

def test_region_model_logit_is_region_sum():
    from xaibook.vision.attribution import logits_model

    x = images(3)
    logits = np.asarray(logits_model(region_model())(x))
    np.testing.assert_allclose(logits[:, 0], x[:, :4, :4, 0].sum(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(logits[:, 1], 0.0)


def test_tiny_cnn_is_functional_with_output_names():
    model = tiny_cnn()
    assert model.output_shape == (None, 3)
    assert list(model.output_names) == ["probs"]
