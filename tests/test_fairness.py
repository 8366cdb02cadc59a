"""Group metrics: a planted disparity is measured exactly."""

import numpy as np
import pandas as pd
import pytest

from xaibook.tabular.fairness import (fairness_differences, fairness_report, group_metrics,
                              plot_group_metrics)
from xaibook.tabular.models import make_linear_pipeline


def planted():
    """Group A: 100 people, 50 deserving; B: 100 people, 50 deserving.

    A: TPR 0.9 (45 of 50), FPR 0.3 (15 of 50) -> selection 0.60, precision 0.75.
    B: TPR 0.5 (25 of 50), FPR 0.1 (5 of 50)  -> selection 0.30, precision 25/30.
    """
    def block(tp, fn, fp, tn):
        y_true = [1] * (tp + fn) + [0] * (fp + tn)
        y_pred = [1] * tp + [0] * fn + [1] * fp + [0] * tn
        return y_true, y_pred
    ta, pa = block(45, 5, 15, 35)
    tb, pb = block(25, 25, 5, 45)
    sex = ["A"] * 100 + ["B"] * 100
    return np.array(ta + tb), np.array(pa + pb), pd.Series(sex, name="sex")


def test_group_metrics_exact():
    y, p, sex = planted()
    g = group_metrics(y, p, sex).set_index("group")
    assert g.loc["A", "selection_rate"] == pytest.approx(0.60)
    assert g.loc["B", "selection_rate"] == pytest.approx(0.30)
    assert g.loc["A", "true_positive_rate"] == pytest.approx(0.9)
    assert g.loc["B", "false_negative_rate"] == pytest.approx(0.5)
    assert g.loc["A", "false_positive_rate"] == pytest.approx(0.3)
    assert g.loc["B", "false_positive_rate"] == pytest.approx(0.1)
    assert g.loc["A", "precision"] == pytest.approx(0.75)
    assert g.loc["B", "precision"] == pytest.approx(25 / 30)
    assert g.loc["A", "count"] == 100 and (g["attribute"] == "sex").all()


def test_differences_exact():
    y, p, sex = planted()
    d = fairness_differences(y, p, sex).loc["sex"]
    assert d["demographic_parity_difference"] == pytest.approx(0.30)
    assert d["demographic_parity_ratio"] == pytest.approx(0.5)
    assert d["equalized_odds_difference"] == pytest.approx(0.4)  # max(TPR gap 0.4, FPR gap 0.2)
    assert d["equal_opportunity_difference"] == pytest.approx(0.4)


def test_several_attributes_evaluated_separately():
    y, p, sex = planted()
    other = pd.Series(["x", "y"] * 100, name="other")
    g = group_metrics(y, p, pd.concat([sex, other], axis=1))
    assert list(dict.fromkeys(g["attribute"])) == ["sex", "other"]
    assert g.groupby("attribute")["count"].sum().eq(200).all()
    d = fairness_differences(y, p, {"sex": sex, "other": other})
    assert list(d.index) == ["sex", "other"]


def test_validation():
    y, p, sex = planted()
    with pytest.raises(ValueError, match="binary"):
        group_metrics(y, p * 2, sex)
    with pytest.raises(ValueError, match="rows"):
        group_metrics(y, p, sex[:-1])
    with pytest.raises(ValueError, match="missing"):
        group_metrics(y, p, sex.where(sex.index > 0))


def test_report_from_model_and_plot():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=300), "g": rng.choice(["m", "f"], 300)})
    y = (X["x"] + (X["g"] == "m") + rng.normal(scale=0.5, size=300) > 0.5).astype(int)
    model = make_linear_pipeline(X).fit(X, y)
    rep = fairness_report(model, X, y, X[["g"]])
    assert set(rep.by_group["group"]) == {"m", "f"}
    assert rep.metric("g", "m", "selection_rate") > rep.metric("g", "f", "selection_rate")
    assert rep.differences.loc["g", "demographic_parity_difference"] == pytest.approx(
        abs(rep.metric("g", "m", "selection_rate") - rep.metric("g", "f", "selection_rate")))
    spec = plot_group_metrics(rep.by_group, title="Fair?").to_dict()
    assert spec["title"]["text"] == "Fair?"
    both = pd.concat([rep.by_group.assign(model="one"), rep.by_group.assign(model="two")])
    assert "xOffset" in str(plot_group_metrics(both).to_dict())
    with pytest.raises(ValueError, match="threshold"):
        fairness_report(model, X, y, X[["g"]], threshold=1.5)


def test_planted_gap_covered_by_bootstrap_interval():
    """Known answer: selection rates of 0.30 (group a) and 0.50 (group b) planted exactly;
    the signed gap a - b = -0.20 lies inside its 95% interval, which excludes zero."""
    from xaibook.tabular.fairness import gap_text, group_rate_intervals
    rng = np.random.default_rng(1)
    n = 2_000
    groups = np.repeat(["a", "b"], n // 2)
    y_true = rng.integers(0, 2, n)
    y_pred = np.concatenate([rng.permutation(np.r_[np.ones(300), np.zeros(700)]),
                             rng.permutation(np.r_[np.ones(500), np.zeros(500)])]).astype(int)
    t = group_rate_intervals(y_true, y_pred, pd.Series(groups, name="g"), reference={"g": "b"},
                             metrics=("selection_rate", "false_negative_rate"), n_boot=300)
    row = t[(t["metric"] == "selection_rate") & (t["group"] == "a")].iloc[0]
    assert row["rate"] == pytest.approx(0.30) and row["gap"] == pytest.approx(-0.20)
    assert row["gap_low"] < -0.20 < row["gap_high"] and row["gap_high"] < 0 and row["gap_real"]
    assert row["low"] < 0.30 < row["high"] and row["n"] == 1_000 and row["n_ref"] == 1_000
    ref = t[(t["metric"] == "selection_rate") & (t["group"] == "b")].iloc[0]
    assert ref["gap"] == 0 and np.isnan(ref["gap_low"])
    # FNR counts only the truly positive rows
    fnr = t[(t["metric"] == "false_negative_rate") & (t["group"] == "a")].iloc[0]
    assert fnr["n"] == int((y_true[:1000] == 1).sum())
    assert gap_text(t, "g", "a", "selection_rate").startswith("-20.0 pp (95% CI -")
    with pytest.raises(KeyError, match="groups are"):
        gap_text(t, "g", "z", "selection_rate")
    with pytest.raises(ValueError, match="unknown metric"):
        group_rate_intervals(y_true, y_pred, groups, metrics=("nope",))


def test_no_gap_interval_covers_zero():
    from xaibook.tabular.fairness import group_rate_intervals
    rng = np.random.default_rng(2)
    g = rng.choice(["a", "b"], 1_000)
    y = rng.integers(0, 2, 1_000)
    p = rng.integers(0, 2, 1_000)
    t = group_rate_intervals(y, p, pd.Series(g, name="g"), n_boot=300)
    rows = t[t["gap_low"].notna()]
    assert ((rows["gap_low"] < 0) & (rows["gap_high"] > 0)).all()


def test_plot_group_intervals_fits_column():
    from xaibook.tabular.fairness import group_rate_intervals, plot_group_intervals
    rng = np.random.default_rng(3)
    g = rng.choice(["a", "b", "c"], 600)
    t = group_rate_intervals(rng.integers(0, 2, 600), rng.integers(0, 2, 600),
                             pd.Series(g, name="g"), n_boot=100)
    spec = plot_group_intervals(pd.concat([t.assign(model="m1"), t.assign(model="m2")])).to_dict()
    assert spec["columns"] == 2 and spec["spec"]["width"] <= 260


def test_repeated_split_gaps():
    from xaibook.tabular.fairness import repeated_split_gaps
    from xaibook.tabular.models import make_linear_pipeline
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"x": rng.normal(size=300), "g": rng.choice(["a", "b"], 300)})
    y = (X["x"] + (X["g"] == "a") + rng.normal(size=300) > 0.5).astype(int)
    out = repeated_split_gaps(make_linear_pipeline, X, y, X[["g"]], n_splits=3,
                              metrics=("selection_rate",))
    assert out["split"].nunique() == 3 and set(out["group"]) == {"a", "b"}
    ref = out["reference"].iloc[0]
    assert (out.loc[out["group"] == ref, "gap"] == 0).all()


def test_gap_change_known_answer():
    """Model a: gap -0.20 (0.30 vs 0.50); model b: no gap (0.50 vs 0.50): change +0.20."""
    from xaibook.tabular.fairness import gap_change
    rng = np.random.default_rng(5)
    g = np.repeat(["a", "b"], 1_000)
    t = rng.integers(0, 2, 2_000)
    pa = np.concatenate([rng.permutation(np.r_[np.ones(300), np.zeros(700)]),
                         rng.permutation(np.r_[np.ones(500), np.zeros(500)])]).astype(int)
    pb = np.concatenate([rng.permutation(np.r_[np.ones(500), np.zeros(500)]),
                         pa[1_000:]]).astype(int)
    iv = gap_change(t, pa, pb, g, group="a", reference="b", n_boot=200)
    assert iv.estimate == pytest.approx(0.20) and iv.low < 0.20 < iv.high and iv.excludes_zero
    with pytest.raises(ValueError, match="not among"):
        gap_change(t, pa, pb, g, group="z", reference="b")
