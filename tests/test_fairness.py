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
