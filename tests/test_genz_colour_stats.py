"""Colour-vs-shape statistics on synthetic maps and toy 'models' with known behaviour."""

import numpy as np
import pytest

from xaibook.cases.genz import colour_axes, make_cliched
from xaibook.cases.genz.colour_stats import accuracy_by_condition, colour_share, swap_flip_rate

COLOUR, SHAPE = colour_axes()


def _maps(colour_weight, shape_weight, n=3):
    rng = np.random.default_rng(0)
    amp = rng.random((n, 5, 5, 1))
    return amp * (colour_weight * COLOUR + shape_weight * SHAPE)


def test_pure_colour_and_pure_shape_maps():
    assert np.allclose(colour_share(_maps(1, 0)), 1.0)
    assert np.allclose(colour_share(_maps(0, 1)), 0.0)
    assert np.allclose(colour_share(_maps(1, 1)), 0.5)
    assert colour_share(_maps(1, 1), per_image=False) == pytest.approx(0.5)


def test_orthogonal_part_is_ignored_and_zero_map_is_nan():
    off = np.cross(COLOUR, SHAPE)
    maps = _maps(1, 1) + 5 * off
    assert np.allclose(colour_share(maps), 0.5)
    assert np.isnan(colour_share(np.zeros((1, 2, 2, 3))))[0]


def test_maps_without_channels_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="no colour channel"):
        colour_share(np.zeros((2, 5, 5)))
    with pytest.raises(ValueError, match="shape"):
        colour_share(np.zeros((2, 5, 5, 4)))


def _images(n=200):
    rng = np.random.default_rng(1)
    labels = np.tile(np.arange(10), n // 10)
    grey = rng.integers(50, 256, size=(n, 4, 4), dtype=np.uint8)
    return make_cliched(grey, labels, 1.0, seed=0)


def _colour_model(x):
    """Predicts 'pink' (class 3, a pink-cliché class) or 'blue' (class 1) from the red channel."""
    red_minus_blue = x[..., 0].mean(axis=(1, 2)) - x[..., 2].mean(axis=(1, 2))
    return np.where(red_minus_blue > 0, 3, 1)


def _shape_model(x):
    """Uses brightness along the shape axis only: colour swaps change nothing."""
    return ((x @ SHAPE).mean(axis=(1, 2)) > 0.6).astype(int)


def test_swap_flip_rate_separates_colour_from_shape_models():
    images = _images()
    assert swap_flip_rate(_colour_model, images) == 1.0
    assert swap_flip_rate(_shape_model, images) == 0.0


def test_accuracy_by_condition():
    images = _images()
    oracle = lambda x: np.eye(10)[images.y]  # noqa: E731 - scores that are always right
    table = accuracy_by_condition(oracle, {"cliched": images, "reversed": images.swapped()})
    assert list(table["condition"]) == ["cliched", "reversed"]
    assert np.allclose(table["accuracy"], 1.0) and list(table["n"]) == [200, 200]
    with pytest.raises(TypeError):
        accuracy_by_condition(oracle, {"raw": images.x})
    with pytest.raises(ValueError, match="no test sets"):
        accuracy_by_condition(oracle, {})
