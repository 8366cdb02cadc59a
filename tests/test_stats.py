"""Known-answer tests for xaibook.stats."""

import numpy as np
import pytest

from xaibook.stats import (Interval, bootstrap, group_rates, null_threshold, paired_difference,
                           summarise)


def test_bootstrap_covers_planted_mean_and_is_reproducible():
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 1.0, 400)
    a = bootstrap(np.mean, x, n_boot=500, seed=3)
    b = bootstrap(np.mean, x, n_boot=500, seed=3)
    assert a == b
    assert a.low < 2.0 < a.high
    assert a.high - a.low == pytest.approx(2 * 1.96 / np.sqrt(400), rel=0.25)


def test_group_rates_planted_gap_is_covered_and_real():
    rng = np.random.default_rng(0)
    groups = np.repeat(["a", "b"], [3000, 1000])
    p = np.where(groups == "a", 0.30, 0.50)          # planted gap b - a = 0.20
    y = rng.random(groups.size) < p
    table = group_rates(y, groups, n_boot=400, seed=0).set_index("group")
    assert table.loc["a", "gap"] == 0 and not table.loc["a", "gap_real"]
    assert table.loc["b", "gap_low"] < 0.20 < table.loc["b", "gap_high"]
    assert table.loc["b", "gap_real"]
    assert table.loc["b", "n"] == 1000


def test_group_rates_no_gap_is_not_real():
    rng = np.random.default_rng(5)
    groups = np.repeat(["a", "b"], 500)
    y = rng.random(1000) < 0.4
    table = group_rates(y, groups, reference="a", n_boot=400).set_index("group")
    assert table.loc["b", "gap_low"] < 0 < table.loc["b", "gap_high"]
    assert not table.loc["b", "gap_real"]


def test_group_rates_mask_counts_only_masked_rows():
    groups = np.array(["a", "a", "b", "b"])
    y = np.array([1, 0, 1, 1])
    mask = np.array([True, False, True, True])
    table = group_rates(y, groups, mask=mask, n_boot=50).set_index("group")
    assert table.loc["a", "rate"] == 1.0 and table.loc["a", "n"] == 1


def test_paired_difference_narrower_than_separate():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 2000)
    a = np.where(rng.random(2000) < 0.85, y, 1 - y)
    b = a.copy()
    flip = rng.choice(2000, 40, replace=False)
    b[flip] = 1 - y[flip]                               # b wrong on up to 40 more rows
    acc = lambda t, p: float(np.mean(t == p))           # noqa: E731
    diff = paired_difference(acc, y, a, b, n_boot=400)
    assert diff.estimate > 0 and diff.excludes_zero
    sep = bootstrap(lambda t, p: acc(t, p), y, a, n_boot=400)
    assert diff.high - diff.low < (sep.high - sep.low)


def test_null_threshold_and_summarise():
    assert null_threshold(np.arange(100), q=0.95) == 95
    with pytest.raises(ValueError, match="at least 5"):
        null_threshold([1, 2, 3])
    s = summarise([1, 2, 3, 4, 100])
    assert s.estimate == 3 and s.n == 5


def test_interval_text_and_excludes_zero():
    i = Interval(0.1, 0.05, 0.2)
    assert i.excludes_zero and "95% CI" in i.text()
    assert i.text("{:.1f}", percent=True) == "10.0 pp (95% CI 5.0 to 20.0)"
    assert not Interval(0.1, -0.01, 0.2).excludes_zero
