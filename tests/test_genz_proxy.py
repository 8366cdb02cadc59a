"""Planted proxy bias: the documented correlations and rates, on synthetic frames."""

import numpy as np
import pandas as pd
import pytest

from xaibook.cases.genz import expected_parity_difference, plant_proxy_bias, proxy_threshold


def _frame(n=40000, rate=0.3, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.standard_normal(n), "income": (rng.random(n) < rate).astype(int)})


def test_strength_zero_keeps_labels_and_is_fair():
    frame = _frame()
    planted = plant_proxy_bias(frame, "income", 0.0, seed=1)
    assert np.array_equal(planted.frame["income"], frame["income"])
    assert not planted.replaced.any()
    assert abs(planted.parity_difference()) < 0.015
    assert "income" in frame and "group" not in frame  # input untouched


def test_strength_one_label_is_the_proxy_decision():
    frame = _frame()
    planted = plant_proxy_bias(frame, "income", 1.0, seed=1)
    q = proxy_threshold(frame["income"].mean(), 0.8)
    assert np.array_equal(planted.frame["income"], (planted.frame["proxy"] > q).astype(int))
    assert planted.frame["income"].mean() == pytest.approx(frame["income"].mean(), abs=0.01)


def test_proxy_has_documented_correlation_and_group_is_random():
    frame = _frame()
    planted = plant_proxy_bias(frame, "income", 0.5, seed=2, proxy_corr=0.6)
    g, z = planted.frame["group"], planted.frame["proxy"]
    assert np.corrcoef(2 * g - 1, z)[0, 1] == pytest.approx(0.6, abs=0.01)
    assert g.mean() == pytest.approx(0.5, abs=0.01)
    assert abs(np.corrcoef(g, frame["income"])[0, 1]) < 0.02  # independent of the real label
    assert abs(np.corrcoef(g, frame["x"])[0, 1]) < 0.02


@pytest.mark.parametrize("strength", [0.1, 0.3, 0.7])
def test_share_replaced_and_parity_follow_strength(strength):
    frame = _frame()
    planted = plant_proxy_bias(frame, "income", strength, seed=3)
    assert planted.replaced.mean() == pytest.approx(strength, abs=0.01)
    expected = expected_parity_difference(strength, 0.8, frame["income"].mean())
    assert planted.parity_difference() == pytest.approx(expected, abs=0.02)


def test_label_depends_on_group_only_through_proxy():
    # given the proxy, the group adds nothing: within narrow proxy bins rates match
    planted = plant_proxy_bias(_frame(200000), "income", 1.0, seed=4)
    f = planted.frame
    bins = pd.cut(f["proxy"], [-0.2, 0.0, 0.2, 0.4, 0.6])
    rates = f.groupby([bins, "group"], observed=True)["income"].mean().unstack()
    assert np.allclose(rates[0], rates[1], atol=0.03)


def test_strengths_are_nested_and_deterministic():
    frame = _frame(5000)
    low = plant_proxy_bias(frame, "income", 0.2, seed=5)
    high = plant_proxy_bias(frame, "income", 0.6, seed=5)
    assert np.array_equal(low.frame["proxy"], high.frame["proxy"])
    assert np.all(high.replaced[low.replaced])
    again = plant_proxy_bias(frame, "income", 0.2, seed=5)
    assert again.frame.equals(low.frame)


def test_expected_parity_is_linear_in_strength():
    full = expected_parity_difference(1.0, 0.8, 0.25)
    assert 0 < full < 1
    assert expected_parity_difference(0.4, 0.8, 0.25) == pytest.approx(0.4 * full)
    assert expected_parity_difference(0.0, 0.8, 0.25) == 0.0


def test_validation():
    frame = _frame(100)
    with pytest.raises(ValueError, match="strength"):
        plant_proxy_bias(frame, "income", 1.2, seed=0)
    with pytest.raises(KeyError, match="label"):
        plant_proxy_bias(frame, "nope", 0.1, seed=0)
    with pytest.raises(ValueError, match="already exists"):
        plant_proxy_bias(frame, "income", 0.1, seed=0, proxy="x")
    with pytest.raises(ValueError, match="single class"):
        plant_proxy_bias(frame.assign(income=0), "income", 0.1, seed=0)
    with pytest.raises(ValueError, match="below 1"):
        plant_proxy_bias(frame, "income", 0.1, seed=0, proxy_corr=1.0)
    with pytest.raises(TypeError, match="DataFrame"):
        plant_proxy_bias(frame.to_numpy(), "income", 0.1, seed=0)
