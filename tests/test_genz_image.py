"""Image experiment plumbing on tiny synthetic data and hand-built models with known answers."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("tensorflow")

from xaibook.cases.genz import colour_axes, make_cliched  # noqa: E402
from xaibook.cases.genz.colour_stats import colour_share  # noqa: E402
from xaibook.cases.genz.image_experiment import (CHANNEL_METHODS, ImageRecipe,  # noqa: E402
                                           channel_attributions, image_data,
                                           run_image_experiment)
from xaibook.vision import CNNRecipe, TrainingSettings  # noqa: E402
from xaibook.vision._tf import keras  # noqa: E402

COLOUR, SHAPE = colour_axes()


def _linear_colour_model(axis):
    """logit_c = mean over pixels of <pixel, axis> * (c + 1): its gradient points along ``axis``."""
    inputs = keras.Input((6, 6, 3))
    conv = keras.layers.Conv2D(10, 1, use_bias=False, name="proj")
    h = keras.layers.GlobalAveragePooling2D()(conv(inputs))
    logits = keras.layers.Dense(10, use_bias=False, name="logits", trainable=False)(h)
    probs = keras.layers.Activation("softmax", name="probs")(logits)
    model = keras.Model(inputs, probs)
    w = np.zeros((1, 1, 3, 10), dtype=np.float32)
    w[0, 0, :, :] = axis[:, None] * np.arange(1, 11)[None, :]
    conv.set_weights([w])
    model.get_layer("logits").set_weights([np.eye(10, dtype=np.float32)])
    return model


def _images(n=8):
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 10
    return make_cliched(rng.integers(0, 256, (n, 6, 6), dtype=np.uint8), labels, 1.0, seed=0)


@pytest.mark.parametrize("method", ["gradient", "smoothgrad"])
@pytest.mark.parametrize("axis, share", [(COLOUR, 1.0), (SHAPE, 0.0)])
def test_gradient_maps_of_a_colour_model_are_all_colour(method, axis, share):
    model = _linear_colour_model(axis)
    imgs = _images()
    recipe = ImageRecipe(cnn=CNNRecipe(input_shape=(28, 28, 3)), smoothgrad_samples=2)
    maps = channel_attributions(model, imgs.x, imgs.y, method, recipe)
    assert maps.shape == imgs.x.shape
    assert np.allclose(colour_share(maps), share, atol=1e-6)


def test_shap_maps_have_channels():
    model = _linear_colour_model(COLOUR)
    imgs = _images()
    recipe = ImageRecipe(cnn=CNNRecipe(input_shape=(28, 28, 3)), shap_samples=4)
    maps = channel_attributions(model, imgs.x, imgs.y, "shap", recipe, background=imgs.x[:4])
    assert maps.shape == imgs.x.shape
    with pytest.raises(ValueError, match="background"):
        channel_attributions(model, imgs.x, imgs.y, "shap", recipe)
    with pytest.raises(ValueError, match="channel-resolved"):
        channel_attributions(model, imgs.x, imgs.y, "gradcam", recipe)


def test_recipe_validation():
    with pytest.raises(ValueError, match="start at 0"):
        ImageRecipe(strengths=(0.5, 1.0))
    with pytest.raises(ValueError, match="RGB"):
        ImageRecipe(cnn=CNNRecipe(input_shape=(28, 28, 1)))
    with pytest.raises(ValueError, match="n_explain"):
        ImageRecipe(n_test=5, n_explain=10)


def _fake_fashion(n_train=120, n_test=40):
    """Shape-free 'garments': random blobs; only colour can carry the class."""
    rng = np.random.default_rng(1)
    return SimpleNamespace(
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=np.arange(n_train) % 10,
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=np.arange(n_test) % 10)


def test_run_image_experiment_end_to_end_and_cached(tmp_path):
    recipe = ImageRecipe(strengths=(0.0, 1.0), n_train=120, n_test=40, n_explain=6, n_background=4,
                         smoothgrad_samples=2, shap_samples=2,
                         cnn=CNNRecipe(input_shape=(28, 28, 3), conv_filters=(4,), dense_units=8),
                         training=TrainingSettings(epochs=2, batch_size=32, validation_size=0))
    data = image_data(_fake_fashion(), recipe)
    ex = run_image_experiment(data, recipe, cache_dir=tmp_path, methods=("gradient", "shap"))
    assert ex.seconds["models_from_cache"] == 0
    assert set(ex.accuracy["condition"]) == {"clichéd", "independent", "reversed"}
    assert ex.accuracy["accuracy"].between(0, 1).all()
    assert list(ex.reference["strength"]) == [0.0, 1.0]
    assert ex.shares.loc[ex.shares["strength"] == 0, "ratio"].eq(1.0).all()
    methods = set(ex.detections["method"])
    assert {"colour-swap test", "Gen-Z accuracy drop", "Grad-CAM (last conv layer)",
            "LIME (superpixels hidden in black)"} <= methods
    cam = ex.detections["method"] == "Grad-CAM (last conv layer)"
    assert ex.detections.loc[cam, "detected"].eq(False).all()
    assert ex.seconds["measures_from_cache"] is False
    again = run_image_experiment(data, recipe, cache_dir=tmp_path, methods=("gradient",))
    assert again.seconds["models_from_cache"] == 2
    assert again.accuracy.equals(ex.accuracy)
    third = run_image_experiment(data, recipe, cache_dir=tmp_path, methods=("gradient", "shap"))
    assert third.seconds["measures_from_cache"] is True       # measurements read back
    pd.testing.assert_frame_equal(third.shares, ex.shares)
    pd.testing.assert_frame_equal(third.reference, ex.reference)
    with pytest.raises(ValueError, match="channel-resolved"):
        run_image_experiment(data, recipe, cache_dir=tmp_path, methods=("lime",))


def test_image_data_subset():
    recipe = ImageRecipe(n_train=50, n_test=20, n_explain=5)
    data = image_data(_fake_fashion(), recipe)
    assert data.x_train.shape == (50, 28, 28) and data.x_test.shape == (20, 28, 28)
    with pytest.raises(ValueError, match="more images"):
        image_data(_fake_fashion(10, 10), recipe)
    with pytest.raises(TypeError):
        image_data(object(), recipe)
    assert set(CHANNEL_METHODS) >= {"gradient", "shap"}
