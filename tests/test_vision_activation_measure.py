"""What activation-maximization images are: class-mean likeness and agreement across seeds."""

from __future__ import annotations

import numpy as np
import pytest

from xaibook.vision.activation_max import ClassVisualization, class_likeness, seed_agreement


def two_class_data(n: int = 50, seed: int = 0):
    """Class 0: a bright left half; class 1: a bright top half (plus noise)."""
    rng = np.random.default_rng(seed)
    left = np.zeros((8, 8))
    left[:, :4] = 1
    top = left.T.copy()
    x = np.concatenate([left + rng.normal(0, 0.3, (n, 8, 8)), top + rng.normal(0, 0.3, (n, 8, 8))])
    return x[..., None], np.repeat([0, 1], n), left, top


def test_class_likeness_known_answers():
    x, y, left, top = two_class_data()
    table = class_likeness(np.stack([left, top, top]), [0, 1, 0], x, y)
    assert table["own"].iloc[0] > 0.95 and table["own"].iloc[1] > 0.95
    assert table["own_rank"].tolist() == [1, 1, 2]
    assert table["best_class"].tolist() == [0, 1, 1]
    assert table["own"].iloc[2] < table["best_other"].iloc[2]
    noise = np.random.default_rng(1).random((20, 8, 8))
    assert class_likeness(noise, [0] * 20, x, y)["own"].abs().mean() < 0.3
    assert class_likeness(np.zeros((1, 8, 8)), [0], x, y)["own"].iloc[0] == 0.0  # constant image
    with pytest.raises(ValueError, match="classes for"):
        class_likeness(np.stack([left]), [0, 1], x, y)
    with pytest.raises(ValueError, match="training images"):
        class_likeness(np.stack([left]), [5], x, y)


def vis(images, classes=(0, 1)):
    images = np.asarray(images, dtype=np.float32)[..., None]
    return ClassVisualization(images, tuple(classes), np.full((len(classes), 2), 0.5))


def test_seed_agreement_known_answers():
    _, _, left, top = two_class_data()
    rng = np.random.default_rng(0)
    same = [vis([left + rng.normal(0, 0.1, left.shape), top + rng.normal(0, 0.1, top.shape)])
            for _ in range(3)]
    table = seed_agreement(same)
    assert (table["same_class"] > 0.9).all() and (table["other_classes"] < 0).all()
    random = [vis(rng.random((2, 8, 8))) for _ in range(3)]
    assert seed_agreement(random)["same_class"].abs().max() < 0.4
    with pytest.raises(ValueError, match="two runs"):
        seed_agreement(same[:1])
    with pytest.raises(ValueError, match="same classes"):
        seed_agreement([same[0], vis([left, top], classes=(1, 0))])


def test_part_selects_images_classes_and_probabilities():
    _, _, left, top = two_class_data()
    both = ClassVisualization(np.stack([left, top, top, left])[..., None], (0, 1, 1, 0),
                              np.arange(8.0).reshape(4, 2))
    half = both.part(slice(2, 4))
    assert half.classes == (1, 0)
    np.testing.assert_array_equal(half.images[0, ..., 0], top)
    np.testing.assert_array_equal(half.probabilities, [[4, 5], [6, 7]])
    np.testing.assert_array_equal(half.target_probability, [5, 6])
