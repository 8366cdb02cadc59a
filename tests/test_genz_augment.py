"""Known-answer tests of the colour augmentations of xaibook.cases.genz.augment."""

import numpy as np
import pytest

from xaibook.cases.genz.augment import LUMINANCE, AugmentRecipe, augment
from xaibook.cases.genz.tint import make_cliched


@pytest.fixture(scope="module")
def tinted():
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, size=(200, 8, 8), dtype=np.uint8)
    labels = np.arange(200) % 10
    return make_cliched(grey, labels, 1.0, seed=0).x


def test_greyscale_removes_colour(tinted):
    out = augment(tinted, "greyscale", 1.0, seed=0)
    assert np.allclose(out[..., 0], out[..., 1]) and np.allclose(out[..., 1], out[..., 2])
    np.testing.assert_allclose(out[..., 0], tinted @ LUMINANCE, rtol=1e-5, atol=1e-6)


def test_probability_and_identity(tinted):
    np.testing.assert_array_equal(augment(tinted, "none", 1.0, seed=0), tinted)
    np.testing.assert_array_equal(augment(tinted, "greyscale", 0.0, seed=0), tinted)
    out = augment(tinted, "greyscale", 0.5, seed=1)
    changed = np.any(out != tinted, axis=(1, 2, 3))
    assert 0.35 < changed.mean() < 0.65
    # fixed seed: the same augmented set (and so the same cache key)
    np.testing.assert_array_equal(out, augment(tinted, "greyscale", 0.5, seed=1))


def test_channel_permutation_keeps_values(tinted):
    out = augment(tinted, "channel permutation", 1.0, seed=0)
    np.testing.assert_allclose(np.sort(out, axis=-1), np.sort(tinted, axis=-1))
    changed = np.any(out != tinted, axis=(1, 2, 3))
    # 5 of 6 permutations change a tinted image
    assert 0.7 < changed.mean() < 0.95


def test_errors(tinted):
    with pytest.raises(ValueError, match="RGB"):
        augment(tinted[..., 0], "greyscale", 1.0, seed=0)
    with pytest.raises(ValueError, match="unknown augmentation"):
        augment(tinted, "hue", 1.0, seed=0)
    with pytest.raises(ValueError, match="probability"):
        augment(tinted, "greyscale", 1.5, seed=0)
    with pytest.raises(ValueError):
        AugmentRecipe(kinds=("none",))
    with pytest.raises(ValueError):
        AugmentRecipe(probabilities=(0.0,))


def test_runs_put_the_control_first():
    runs = AugmentRecipe(seeds=(0, 1)).runs()
    assert runs[:2] == [("none", 0.0, 0), ("none", 0.0, 1)]
    assert len(runs) == 2 + 2 * 2 * 2


def test_train_augmented_caches_and_evaluates(tmp_path):
    """A tiny CNN, trained once and loaded from the cache the second time."""
    from xaibook.cases.genz.augment import evaluate_models, train_augmented
    from xaibook.cases.genz.image_experiment import ImageData, ImageRecipe
    from xaibook.vision.cnn import CNNRecipe, TrainingSettings

    rng = np.random.default_rng(0)
    data = ImageData(rng.integers(0, 256, (80, 28, 28), dtype=np.uint8), np.arange(80) % 10,
                     rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), np.arange(30) % 10)
    image = ImageRecipe(n_train=80, n_test=30, n_explain=5, n_background=5,
                        cnn=CNNRecipe(input_shape=(28, 28, 3), conv_filters=(4,), dense_units=8),
                        training=TrainingSettings(epochs=1, batch_size=32, validation_size=0))
    recipe = AugmentRecipe(n_train=60, seeds=(0,), probabilities=(1.0,), kinds=("greyscale",),
                           image=image)
    first = train_augmented(data, recipe, "greyscale", 1.0, 0, cache_dir=tmp_path)
    again = train_augmented(data, recipe, "greyscale", 1.0, 0, cache_dir=tmp_path)
    assert not first.from_cache and again.from_cache and first.key == again.key
    other = train_augmented(data, recipe, "none", 0.0, 0, cache_dir=tmp_path)
    assert other.key != first.key
    scores = evaluate_models({("greyscale", 1.0, 0): again}, data, recipe)
    assert set(scores["condition"]) == {"clichéd", "independent", "reversed", "swap flips"}
    assert scores["value"].between(0, 1).all()
    with pytest.raises(ValueError, match="exceeds"):
        train_augmented(data, AugmentRecipe(n_train=500, image=image), "none", 0.0, 0,
                        cache_dir=tmp_path)
