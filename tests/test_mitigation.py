"""Known-answer tests of xaibook.tabular.mitigation on small synthetic tables."""

import numpy as np
import pandas as pd
import pytest

from xaibook.tabular.mitigation import (degeneracy, error_rates, prepare_task, proxy_flip_rate,
                                        run_mitigations, summary_table, tradeoff_curve)


def biased_frame(n=1500, seed=0):
    """Group b gets positive labels far more often, through a proxy feature."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    proxy = (group == "b") * 1.5 + rng.normal(size=n)
    skill = rng.normal(size=n)
    logit = 1.2 * skill + 1.5 * (group == "b") - 0.8
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    colour = rng.choice(["red", "green"], n)
    return pd.DataFrame({"skill": skill, "proxy": proxy, "colour": colour, "group": group, "y": y})


@pytest.fixture(scope="module")
def result():
    task = prepare_task(biased_frame(), target="y", sensitive="group",
                        features=["skill", "proxy", "colour"], name="synthetic")
    return run_mitigations(task, n_boot=50, grid_size=7, eg_max_iter=10, with_rates=True)


def test_prepare_task_splits_without_overlap():
    task = prepare_task(biased_frame(), target="y", sensitive="group",
                        features=["skill", "proxy"], name="t")
    n = len(task.y_fit) + len(task.y_val) + len(task.y_test)
    assert n == 1500
    assert "group" not in task.X_fit.columns
    idx = set(task.X_fit.index) | set(task.X_val.index) | set(task.X_test.index)
    assert len(idx) == n


def test_prepare_task_errors():
    frame = biased_frame(100)
    with pytest.raises(ValueError, match="leave it out"):
        prepare_task(frame, target="y", sensitive="group", features=["group"], name="t")
    with pytest.raises(KeyError, match="not in the frame"):
        prepare_task(frame, target="y", sensitive="group", features=["nope"], name="t")
    with pytest.raises(ValueError, match="0/1"):
        prepare_task(frame.assign(y=frame["y"] + 1), target="y", sensitive="group",
                     features=["skill"], name="t")


def test_mitigation_reduces_known_disparity(result):
    base = result.methods["unmitigated"]
    # the planted disparity is large and real
    assert base.dp_gap.low > 0.15
    for m in ("threshold, demographic parity",):
        assert result.methods[m].dp_gap.estimate < base.dp_gap.estimate / 2
    for m in ("threshold, equalized odds", "exponentiated gradient, equalized odds"):
        assert result.methods[m].eo_gap.estimate < base.eo_gap.estimate


def test_rates_per_group(result):
    rates = result.methods["unmitigated"].rates
    assert set(rates["metric"]) == {"selection rate", "false positive rate", "false negative rate"}
    sel = rates[rates["metric"] == "selection rate"].set_index("group")["rate"]
    assert sel["b"] > sel["a"]


def test_summary_and_curve(result):
    table = summary_table(result)
    assert list(table["method"]) == list(result.methods)
    assert (table["acc_low"] <= table["accuracy"]).all()
    curve = tradeoff_curve(result)
    assert curve["selected"].sum() == 1
    assert len(curve) == len(result.grid.predictors_)


def test_prediction_wrappers_take_raw_frames(result):
    task = result.task
    p = result.predict["threshold, equalized odds"](task.X_test, task.s_test)
    np.testing.assert_array_equal(p, result.methods["threshold, equalized odds"].pred)
    rate = proxy_flip_rate(result.predict["unmitigated"], task.X_test, task.s_test, "proxy")
    assert 0 < rate < 1
    assert proxy_flip_rate(result.predict["unmitigated"], task.X_test, task.s_test,
                           "colour") < rate
    with pytest.raises(KeyError):
        proxy_flip_rate(result.predict["unmitigated"], task.X_test, task.s_test, "zzz")


def test_degeneracy_detection():
    g = np.array(["a", "b"] * 50)
    assert degeneracy(np.zeros(100), g).degenerate
    assert "every row" in degeneracy(np.ones(100), g).reason
    one_group = np.where(g == "a", 1, 0)
    d = degeneracy(one_group, g)
    assert d.degenerate and "within group" in d.reason
    mixed = np.tile([0, 1, 1, 0], 25)
    assert not degeneracy(mixed, g).degenerate
    # with labels: as accurate as the constant majority prediction -> degenerate
    y = np.r_[np.ones(80), np.zeros(20)].astype(int)
    pred = np.r_[np.ones(70), np.zeros(10), np.ones(10), np.zeros(10)].astype(int)
    assert degeneracy(pred, g, y_true=y).degenerate  # 80% accurate = majority
    assert not degeneracy(y, g, y_true=y).degenerate
    with pytest.raises(ValueError):
        degeneracy([], [])


def test_error_rates_known_values():
    y = np.array([0, 0, 1, 1] * 25)
    p = np.array([1, 0, 1, 0] * 25)
    g = np.array(["a"] * 100)
    g[50:] = "b"
    rates = error_rates(y, p, g, n_boot=20).set_index(["metric", "group"])["rate"]
    assert rates[("false positive rate", "a")] == pytest.approx(0.5)
    assert rates[("false negative rate", "b")] == pytest.approx(0.5)
    assert rates[("selection rate", "a")] == pytest.approx(0.5)
