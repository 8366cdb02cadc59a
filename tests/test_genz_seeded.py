"""The seeded Gen-Z machinery on synthetic numbers (no training): thresholds from the
strength-0 runs, per-seed onsets, the un-hinted chromatic share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xaibook.cases.genz.colour_stats import chromatic_share
from xaibook.cases.genz.seeded import STATISTICS, SeededRecipe, onset_distribution, seeded_detections


def _runs(recipe):
    rows = []
    for seed in recipe.seeds:
        for s in recipe.strengths:
            row = {"seed": seed, "strength": s}
            for i, stat in enumerate(STATISTICS):
                # null runs spread over [0, 0.1]; the effect grows with s and
                # starts later for later statistics
                row[stat] = 0.02 * seed + (s if s > 0.2 * i else 0.0)
            for c in recipe.tcav_classes:
                row.update({f"tcav_{c}": 0.5 + s / 2, f"tcav_null_{c}": 0.5,
                            f"tcav_padj_{c}": 0.001 if s >= 0.5 else 0.5})
            rows.append(row)
    return pd.DataFrame(rows)


def test_thresholds_come_from_the_null_runs_and_onsets_are_per_seed():
    recipe = SeededRecipe()
    thresholds, dets = seeded_detections(_runs(recipe), recipe)
    # each statistic's own threshold: the largest of its five null values
    assert thresholds["flip_rate"] == pytest.approx(0.08)
    assert set(dets["seed"]) == set(recipe.seeds)
    assert not dets.loc[dets["strength"] == 0.0, "detected"].any()
    onset = onset_distribution(dets)
    assert onset.loc["Gen-Z accuracy drop", "median"] == 0.25
    assert onset.loc["colour-swap test", "median"] == 0.25
    assert onset.loc["TCAV pink, class 3", "median"] == 0.5
    names = list(STATISTICS.values())
    assert (onset.loc[names[:5], "seeds_detecting"] == 5).all()
    assert (onset.loc[names[5:], "seeds_detecting"] == 0).all()   # effect starts above s = 1
    assert onset.loc[names[4], "median"] == 0.9
    assert onset.loc["Gen-Z accuracy drop", "seeds"] == 5


def test_recipe_needs_five_seeds_and_a_null():
    with pytest.raises(ValueError, match="at least 5"):
        SeededRecipe(seeds=(0, 1, 2))
    with pytest.raises(ValueError, match="start at 0"):
        SeededRecipe(strengths=(0.5, 1.0))
    with pytest.raises(ValueError, match="random concept sets"):
        SeededRecipe(tcav_random_sets=2)


def test_chromatic_share_is_zero_along_the_pixels_own_colour_and_one_across():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.2, 1, size=(2, 4, 4, 3))
    along = x * rng.uniform(-1, 1, size=(2, 4, 4, 1))
    assert chromatic_share(along, x) == pytest.approx(0.0, abs=1e-12)
    u = x / np.linalg.norm(x, axis=-1, keepdims=True)
    v = rng.normal(size=x.shape)
    across = v - (v * u).sum(-1, keepdims=True) * u
    assert chromatic_share(across, x) == pytest.approx(1.0)
    np.testing.assert_allclose(chromatic_share(across, x, per_image=True), [1.0, 1.0])
    # black pixels use the grey axis
    assert chromatic_share(np.ones((1, 2, 2, 3)), np.zeros((1, 2, 2, 3))) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="shape"):
        chromatic_share(along, x[..., :2])


def test_measurements_are_cached_by_recipe_seed_and_models(tmp_path, monkeypatch):
    from types import SimpleNamespace

    import xaibook.cases.genz.seeded as S

    calls = []

    def fake_measure(trained, data, recipe, seed, s, *rest):
        calls.append((seed, s))
        return {"seed": seed, "strength": s, "flip_rate": np.float64(s / 2)}

    monkeypatch.setattr(S, "_measure", fake_measure)
    monkeypatch.setattr(S, "_tcav_sets", lambda data, recipe, seed: (None, None))
    recipe = SeededRecipe(strengths=(0.0, 1.0))
    rng = np.random.default_rng(0)
    data = S.SeededData(*(rng.integers(0, 255, size=(60, 28, 28), dtype=np.uint8),
                          rng.integers(0, 10, size=60)) * 3)
    models = {0.0: SimpleNamespace(key="a"), 1.0: SimpleNamespace(key="b")}
    first = S._seed_rows(data, recipe, 0, models, tmp_path)
    again = S._seed_rows(data, recipe, 0, models, tmp_path)
    assert first == again and len(calls) == 2               # second call read the cache
    assert again[1]["flip_rate"] == 0.5
    S._seed_rows(data, recipe, 0, {0.0: SimpleNamespace(key="a"), 1.0: SimpleNamespace(key="c")},
                 tmp_path)
    assert len(calls) == 4                                   # a retrained model re-measures


def test_tcav_counts_only_the_direction_the_cliche_predicts():
    recipe = SeededRecipe()
    runs = _runs(recipe)
    dress, trouser = recipe.tcav_classes
    # both classes: concept score above the null and highly significant from s = 0.5
    for c in (dress, trouser):
        runs[f"tcav_{c}"] = 0.9
        runs[f"tcav_null_{c}"] = 0.5
    _, dets = seeded_detections(runs, recipe)
    onset = onset_distribution(dets)
    assert onset.loc[f"TCAV pink, class {dress}", "seeds_detecting"] == 5      # pink raises dresses
    assert onset.loc[f"TCAV pink, class {trouser}", "seeds_detecting"] == 0    # not trousers
    runs[f"tcav_{trouser}"] = 0.1                                              # pink lowers trousers
    _, dets = seeded_detections(runs, recipe)
    assert onset_distribution(dets).loc[f"TCAV pink, class {trouser}", "seeds_detecting"] == 5


def test_small_tcav_must_fit_inside_the_full_one():
    with pytest.raises(ValueError, match="tcav_small"):
        SeededRecipe(tcav_small=(30, 40))
    with pytest.raises(ValueError, match="tcav_small"):
        SeededRecipe(tcav_small=(10, 200))


def test_model_keys_without_loading_match_what_seed_models_asks_for(monkeypatch):
    from types import SimpleNamespace

    import xaibook.cases.genz.seeded as S
    from xaibook.vision.cnn import cache_key

    asked = []

    def fake_load(recipe, settings, images, labels, **kw):
        asked.append(cache_key(recipe, settings, images, labels))
        return SimpleNamespace(key=asked[-1])

    monkeypatch.setattr(S, "load_or_train", fake_load)
    recipe = SeededRecipe(strengths=(0.0, 1.0))
    rng = np.random.default_rng(0)
    data = S.SeededData(*(rng.integers(0, 255, size=(30, 28, 28), dtype=np.uint8),
                          rng.integers(0, 10, size=30)) * 3)
    S.seed_models(data, recipe, 3)
    assert S.seed_model_keys(data, recipe, 3) == asked
    assert len(set(asked)) == 2
