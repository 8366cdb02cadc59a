"""The localised cliché on known-answer inputs: placement, the rule, box mass, flip tests,
and the null-threshold summary (no training)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xaibook.cases.genz.patch import (PATCH_GROUP, box_area_share, box_mass, make_patched,
                                      patch_box, patch_flip_rates, patch_rule, place_patch)


def test_patch_puts_exactly_the_colour_in_the_box_and_nothing_elsewhere():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 0.5, size=(3, 28, 28, 3)).astype(np.float32)
    box = patch_box("top-left", size=4, margin=1)
    assert box == (slice(1, 5), slice(1, 5))
    out = place_patch(x, [True, False, True], box, colour=(1.0, 0.85, 0.0))
    inside = np.zeros((28, 28), bool)
    inside[1:5, 1:5] = True
    for i in (0, 2):
        np.testing.assert_array_equal(out[i][inside], np.tile([1.0, 0.85, 0.0], (16, 1)).astype(np.float32))
        np.testing.assert_array_equal(out[i][~inside], x[i][~inside])
    np.testing.assert_array_equal(out[1], x[1])
    np.testing.assert_array_equal(x[0, 1:5, 1:5], x[0, 1:5, 1:5])      # input untouched
    assert patch_box("bottom-right", size=4, margin=1) == (slice(23, 27), slice(23, 27))
    assert patch_box("top-right", size=3, margin=0, shape=(10, 12)) == (slice(0, 3), slice(9, 12))
    with pytest.raises(ValueError, match="corner"):
        patch_box("middle")
    with pytest.raises(ValueError, match="fit"):
        patch_box("top-left", size=28, margin=1)


def test_rule_at_strength_one_is_the_group_and_at_zero_independent_of_it():
    y = np.tile(np.arange(10), 500)
    full = patch_rule(y, 1.0, seed=0)
    np.testing.assert_array_equal(full, np.isin(y, sorted(PATCH_GROUP)))
    none = patch_rule(y, 0.0, seed=0)
    in_group = np.isin(y, sorted(PATCH_GROUP))
    assert abs(none[in_group].mean() - 0.5) < 0.05 and abs(none[~in_group].mean() - 0.5) < 0.05
    half = patch_rule(y, 0.5, seed=1)
    assert abs(half[in_group].mean() - 0.75) < 0.05      # forced half the time, coin otherwise


def test_box_mass_is_one_inside_zero_outside_and_the_area_share_for_a_flat_map():
    box = patch_box("top-left")
    m = np.zeros((2, 28, 28))
    m[0, 1:5, 1:5] = -3.0               # signed values count by size
    m[1, 10:14, 10:14] = 1.0
    np.testing.assert_allclose(box_mass(m, box), [1.0, 0.0])
    flat = np.ones((1, 28, 28, 3))
    assert box_mass(flat, box, per_image=False) == pytest.approx(16 / 784)
    assert box_area_share(box) == pytest.approx(16 / 784)
    assert np.isnan(box_mass(np.zeros((1, 28, 28)), box)[0])
    # channels are summed by absolute value
    c = np.zeros((1, 28, 28, 3))
    c[0, 2, 2] = [1, -1, 0]
    c[0, 20, 20, 2] = 2
    assert box_mass(c, box)[0] == pytest.approx(0.5)


def test_flip_rates_of_a_model_that_reads_only_the_patch():
    rng = np.random.default_rng(0)
    y = np.arange(10).repeat(4)
    garments = rng.uniform(0, 0.3, size=(40, 28, 28, 3)).astype(np.float32)
    images = make_patched(garments, y, 1.0, seed=0)
    assert (images.has_patch == np.isin(y, sorted(PATCH_GROUP))).all()

    def patch_reader(x):      # class 1 if the top-left box is yellow, else 0
        return (x[:, 1:5, 1:5, 2].mean(axis=(1, 2)) < 0.05).astype(int)

    rates = patch_flip_rates(patch_reader, images, move_to="bottom-right")
    assert rates == {"toggle": 1.0, "removal": 1.0, "move": 1.0}

    def blind(x):
        return np.zeros(len(x), int)

    assert patch_flip_rates(blind, images) == {"toggle": 0.0, "removal": 0.0, "move": 0.0}
    np.testing.assert_array_equal(images.removed(), garments)


def test_summary_thresholds_from_the_null_models():
    from xaibook.cases.genz.patched import MASS_METHODS, REFERENCES, PatchRecipe, patch_summary

    recipe = PatchRecipe()
    rows = []
    for seed in recipe.seeds:
        for s in recipe.strengths:
            row = {"seed": seed, "strength": s}
            for stat in list(REFERENCES) + [f"mass_{k}" for k in MASS_METHODS]:
                row[stat] = 0.01 * seed + (0.5 if (s == 1.0 and stat != "mass_gradcam"
                                                   and not (stat == "mass_lime" and seed < 2)) else 0.0)
            rows.append(row)
    summary = patch_summary(pd.DataFrame(rows), recipe)
    assert summary.loc["flip_toggle", "threshold"] == pytest.approx(0.04)
    assert summary.loc["flip_toggle", "seeds_detecting"] == 5
    assert summary.loc["mass_gradcam", "seeds_detecting"] == 0
    assert summary.loc["mass_lime", "seeds_detecting"] == 3
    assert summary.loc["mass_shap", "diff_median"] == pytest.approx(0.5)
    assert summary.loc["mass_shap", "null_low"] == 0.0                   # the lowest seed
    assert summary.loc["mass_shap", "patched_high"] == pytest.approx(0.54)  # the highest seed
    with pytest.raises(ValueError, match="at least 5"):
        PatchRecipe(seeds=(0, 1))


def test_patch_model_keys_without_loading_match_what_patch_models_asks_for(monkeypatch):
    from types import SimpleNamespace

    import xaibook.cases.genz.patched as P
    from xaibook.vision.cnn import cache_key

    asked = []

    def fake_load(recipe, settings, images, labels, **kw):
        asked.append(cache_key(recipe, settings, images, labels))
        return SimpleNamespace(key=asked[-1])

    monkeypatch.setattr(P, "load_or_train", fake_load)
    rng = np.random.default_rng(0)
    fashion = SimpleNamespace(x_train=rng.integers(0, 255, size=(50, 28, 28), dtype=np.uint8),
                              y_train=np.arange(50) % 10,
                              x_test=rng.integers(0, 255, size=(20, 28, 28), dtype=np.uint8),
                              y_test=np.arange(20) % 10)
    recipe = P.PatchRecipe(n_train=40, n_test=20, n_explain=5, lime_images=2)
    P.patch_models(fashion, recipe, 2)
    assert P.patch_model_keys(fashion, recipe, 2) == asked and len(set(asked)) == 2
