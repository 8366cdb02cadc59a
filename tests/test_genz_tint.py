"""Tinting Fashion-MNIST with a planted cliché: tiny synthetic images, known answers."""

import numpy as np
import pytest

from xaibook.cases.genz import (CLICHE, PALETTE, cliche_agreement, cliche_colours, colour_axes,
                          colour_group_correlation, genz_colours, make_cliched, make_genz, tint)

PINK, BLUE = 0, 1


def _data(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.tile(np.arange(10), n // 10)
    grey = rng.integers(0, 256, size=(n, 4, 4), dtype=np.uint8)
    return grey, labels


def _cliche_index(labels):
    return np.array([list(PALETTE).index(CLICHE[int(y)]) for y in labels])


def test_strength_one_makes_colour_the_cliche_group():
    _, labels = _data()
    colour = cliche_colours(labels, 1.0, seed=1)
    assert np.array_equal(colour, _cliche_index(labels))
    # colour predicts the cliché group perfectly: every class shows one colour only
    for label in range(10):
        assert len(np.unique(colour[labels == label])) == 1
    assert colour_group_correlation(labels, colour) == pytest.approx(1.0)


def test_strength_zero_colour_independent_of_class():
    _, labels = _data(20000)
    colour = cliche_colours(labels, 0.0, seed=2)
    # count: every class is about half pink, half blue
    pink_share = np.array([np.mean(colour[labels == k] == PINK) for k in range(10)])
    assert np.all(np.abs(pink_share - 0.5) < 0.04)
    assert abs(colour_group_correlation(labels, colour)) < 0.03


@pytest.mark.parametrize("strength", [0.25, 0.5, 0.9])
def test_intermediate_strength_gives_documented_agreement_and_correlation(strength):
    _, labels = _data(20000)
    colour = cliche_colours(labels, strength, seed=3)
    assert cliche_agreement(labels, colour) == pytest.approx((1 + strength) / 2, abs=0.015)
    assert colour_group_correlation(labels, colour) == pytest.approx(strength, abs=0.025)


def test_reversed_never_shows_the_cliche_and_independent_is_uniform():
    _, labels = _data(20000)
    rev = genz_colours(labels, "reversed", seed=4)
    assert cliche_agreement(labels, rev) == 0.0
    assert colour_group_correlation(labels, rev) == pytest.approx(-1.0)
    ind = genz_colours(labels, "independent", seed=4)
    assert cliche_agreement(labels, ind) == pytest.approx(0.5, abs=0.015)


def test_same_seed_same_colours():
    _, labels = _data()
    assert np.array_equal(cliche_colours(labels, 0.7, seed=5), cliche_colours(labels, 0.7, seed=5))
    assert not np.array_equal(cliche_colours(labels, 0.7, seed=5), cliche_colours(labels, 0.7, seed=6))


def test_tint_keeps_shape_and_background():
    grey = np.array([[[0, 255], [128, 0]]], dtype=np.uint8)
    rgb = tint(grey, np.array([PALETTE["pink"]]))
    assert rgb.shape == (1, 2, 2, 3) and rgb.dtype == np.float32
    assert np.all(rgb[0, 0, 0] == 0) and np.all(rgb[0, 1, 1] == 0)
    assert np.allclose(rgb[0, 0, 1], PALETTE["pink"])
    assert np.allclose(rgb[0, 1, 0], np.array(PALETTE["pink"]) * 128 / 255)


def test_make_sets_and_swap():
    grey, labels = _data(200)
    cliched = make_cliched(grey, labels, 1.0, seed=0)
    assert cliched.x.shape == (200, 4, 4, 3) and cliched.condition == "cliched s=1"
    swapped = cliched.swapped()
    assert np.array_equal(swapped.colour, 1 - cliched.colour)
    assert np.array_equal(swapped.y, cliched.y)
    # same shape: the brightness along the mean tint is unchanged by the swap
    colour_ax, shape_ax = colour_axes()
    assert np.allclose(cliched.x @ shape_ax, swapped.x @ shape_ax, atol=1e-3)
    assert not np.allclose(cliched.x @ colour_ax, swapped.x @ colour_ax)
    reversed_ = make_genz(grey, labels, "reversed", seed=0)
    assert np.allclose(reversed_.x, swapped.x)


def test_colour_axes_are_orthonormal():
    c, s = colour_axes()
    assert np.linalg.norm(c) == pytest.approx(1) and np.linalg.norm(s) == pytest.approx(1)
    assert abs(c @ s) < 1e-9
    pink, blue = np.array(PALETTE["pink"]), np.array(PALETTE["blue"])
    assert (pink - blue) @ c > 0


@pytest.mark.parametrize("bad, error", [(-0.1, ValueError), (1.5, ValueError), ("x", TypeError)])
def test_strength_validated(bad, error):
    with pytest.raises(error, match="strength"):
        cliche_colours(np.array([0, 1]), bad, seed=0)


def test_inputs_validated():
    with pytest.raises(ValueError, match="no cliché colour"):
        cliche_colours(np.array([0, 11]), 0.5, seed=0)
    with pytest.raises(TypeError, match="integers"):
        cliche_colours(np.array([0.5]), 0.5, seed=0)
    with pytest.raises(ValueError, match="mode"):
        genz_colours(np.array([0]), "sideways", seed=0)
    with pytest.raises(ValueError, match="shape"):
        tint(np.zeros((2, 3)), (1, 1, 1))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        tint(np.full((1, 2, 2), 2.0), (1, 1, 1))
    with pytest.raises(ValueError, match="colours"):
        tint(np.zeros((2, 2, 2)), np.zeros((3, 3)))
