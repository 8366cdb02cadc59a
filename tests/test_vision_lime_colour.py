"""Colour-aware LIME and the library guided backprop, on tiny known-answer models."""

from __future__ import annotations

import numpy as np
import pytest

from xaibook.vision import attribution as A
from xaibook.vision._tf import keras

from test_vision_models import images, region_model, tiny_cnn

PINK = (1.0, 0.42, 0.71)
BLUE = (0.52, 0.64, 1.0)


def colour_ratio_model(side: int = 8):
    """Class 0's score is the image's overall red-minus-blue over its brightness.

    Hiding a region with black leaves the ratio of a uniformly pink image
    unchanged (the model does not care *where* or *how much*, only *which
    colour*); showing a region in blue lowers it.
    """
    inputs = keras.Input((side, side, 3))

    def ratio(x):
        red = keras.ops.sum(x[..., 0], axis=(1, 2))
        blue = keras.ops.sum(x[..., 2], axis=(1, 2))
        total = keras.ops.sum(x, axis=(1, 2, 3)) + 1e-3
        score = (red - blue) / total
        return keras.ops.stack([score, -score], axis=1)

    return keras.Model(inputs, keras.layers.Lambda(ratio)(inputs))


def pink_images(n=2, side=8, seed=0):
    rng = np.random.default_rng(seed)
    grey = rng.uniform(0.5, 1.0, size=(n, side, side, 1))
    return (grey * np.asarray(PINK)).astype(np.float32)


def test_black_fill_lime_cannot_see_colour_but_colour_fill_can():
    model, x = colour_ratio_model(), pink_images()
    black = A.lime_explain(model, x, 0, num_samples=200, segmentation="grid", cell=4)
    colour = A.lime_explain(model, x, 0, num_samples=200, segmentation="grid", cell=4,
                            fill=A.swap_fill(PINK, BLUE))
    assert np.abs(black.maps).max() < 1e-3            # hiding in black changes nothing
    assert np.all(colour.maps > 0.01)                 # pink in every cell raises the score
    assert np.all(colour.n_segments == 4)
    assert np.all(colour.r2 > 0.9)                    # a linear surrogate fits this model


def test_swap_fill_recolours_and_keeps_grey_level():
    x = pink_images(1)[0]
    out = A.swap_fill(PINK, BLUE)(x)
    grey = x[..., 0] / PINK[0]
    np.testing.assert_allclose(out, grey[..., None] * np.asarray(BLUE), atol=1e-6)
    with pytest.raises(ValueError, match="RGB"):
        A.swap_fill((1, 0), BLUE)
    with pytest.raises(ValueError, match=r"\(h, w, 3\)"):
        A.swap_fill(PINK, BLUE)(x[..., 0])


def test_lime_map_unchanged_by_the_refactor():
    model, x = region_model(), images(1, seed=1)
    maps, segs = A.lime_map(model, x, 0, num_samples=100, segmentation="grid", cell=4,
                            return_segments=True)
    res = A.lime_explain(model, x, 0, num_samples=100, segmentation="grid", cell=4)
    np.testing.assert_array_equal(maps, res.maps)
    np.testing.assert_array_equal(segs, res.segments)


def test_bad_fill_is_refused():
    with pytest.raises(TypeError, match="fill must be"):
        A.lime_explain(colour_ratio_model(), pink_images(1), 0, fill="blue")


@pytest.mark.parametrize("channels", [1, 3])
def test_library_guided_backprop_agrees_with_own_override(channels):
    model, x = tiny_cnn(channels=channels), images(3, channels=channels)
    lib = A.guided_gradients_tfkv(model, x, [0, 1, 2])
    own = A.input_gradients(model, x, [0, 1, 2], rule="guided")
    np.testing.assert_allclose(lib, own, atol=1e-6)
    assert np.abs(own).max() > 0
    for signed in (False, True):
        np.testing.assert_allclose(A.guided_backprop(model, x, [0, 1, 2], signed=signed),
                                   A.guided_backprop(model, x, [0, 1, 2], signed=signed,
                                                     backend="own"), atol=1e-6)
    with pytest.raises(ValueError, match="backend"):
        A.guided_backprop(model, x, 0, backend="nope")
