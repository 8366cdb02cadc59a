"""Tests for xaibook.cases.propublica: hand-made rows, then the real file (slow)."""

import numpy as np
import pandas as pd
import pytest

from xaibook.cases.propublica import (
    PROPUBLICA_SAMPLE_ROWS,
    calibration_by_decile,
    compare_published,
    filter_propublica,
    impossibility_table,
    score_error_rates,
    score_outcome_table,
)


def _frame():
    """Ten people; rows 6-9 fail one filter condition each."""
    return pd.DataFrame({
        "race": ["B", "B", "B", "W", "W", "W", "B", "W", "B", "W"],
        "decile_score": [9, 6, 2, 8, 3, 1, 5, 5, 5, 5],
        "score_text": pd.Categorical(["High", "Medium", "Low", "High", "Low", "Low",
                                      "Medium", "Medium", "Medium", None]),
        "two_year_recid": [1, 0, 1, 0, 1, 0, 1, 1, 1, 1],
        "days_b_screening_arrest": [0, -1, 30, -30, 2, 0, 31, np.nan, 0, 0],
        "is_recid": [1, 0, 1, 0, 1, 0, 1, 1, -1, 1],
        "c_charge_degree": pd.Categorical(["F", "M", "F", "F", "M", "F", "F", "F", "F", "O"]),
    })


def test_filter_steps_by_hand():
    result = filter_propublica(_frame())
    assert result.n_rows == 6
    assert result.data.index.tolist() == [0, 1, 2, 3, 4, 5]
    steps = result.steps
    assert steps["remaining"].tolist() == [10, 8, 7, 6, 6]
    # 31 days and a missing gap fail step 1; is_recid=-1 step 2; "O" step 3
    assert steps["removed"].tolist() == [0, 2, 1, 1, 0]


def test_filter_score_missing_and_na_text():
    frame = _frame().iloc[:6].copy()
    frame["score_text"] = frame["score_text"].astype(object)
    frame.loc[0, "score_text"] = "N/A"
    frame.loc[1, "score_text"] = None
    result = filter_propublica(frame)
    assert result.steps["removed"].tolist()[-1] == 2
    assert result.n_rows == 4


def test_filter_validation():
    with pytest.raises(ValueError, match="missing column"):
        filter_propublica(_frame().drop(columns="is_recid"))
    with pytest.raises(ValueError, match="max_days"):
        filter_propublica(_frame(), max_days=-1)
    with pytest.raises(TypeError, match="DataFrame"):
        filter_propublica([1, 2])


def test_score_error_rates_by_hand():
    data = filter_propublica(_frame()).data
    # B: (High,1) TP, (Medium,0) FP, (Low,1) FN ; W: (High,0) FP, (Low,1) FN, (Low,0) TN
    rates = score_error_rates(data)
    assert rates.index.tolist() == ["B", "W", "all"]
    assert rates.loc["B", ["tp", "fp", "tn", "fn"]].tolist() == [1, 1, 0, 1]
    assert rates.loc["B", "fpr"] == 1.0
    assert rates.loc["B", "fnr"] == 0.5
    assert rates.loc["W", ["tp", "fp", "tn", "fn"]].tolist() == [0, 1, 1, 1]
    assert rates.loc["W", "fpr"] == 0.5
    assert rates.loc["W", "fnr"] == 1.0
    assert rates.loc["all", "fpr"] == pytest.approx(2 / 3)
    assert rates.loc["all", "selection_rate"] == pytest.approx(3 / 6)


def test_score_error_rates_high_only_and_decile_cut():
    data = filter_propublica(_frame()).data
    high = score_error_rates(data, high="High")
    assert high.loc["B", "fp"] == 0  # the Medium no longer counts
    decile = score_error_rates(data, high=8)
    pd.testing.assert_frame_equal(high, decile)
    with pytest.raises(ValueError, match="high must be"):
        score_error_rates(data, high="Huge")
    with pytest.raises(ValueError, match="between 1 and 10"):
        score_error_rates(data, high=11)
    with pytest.raises(ValueError, match="not found"):
        score_error_rates(data, groups=["X"])


def test_score_outcome_table_by_hand():
    data = filter_propublica(_frame()).data
    table = score_outcome_table(data)
    assert table.loc[("W", "Low"), "n"] == 2
    assert table.loc[("W", "Low"), "recidivism rate"] == 0.5
    assert table.loc[("B", "High"), "reoffended"] == 1


def test_calibration_by_hand():
    frame = pd.DataFrame({"race": ["a"] * 4 + ["b"] * 2,
                          "decile_score": [1, 1, 1, 2, 1, 2],
                          "two_year_recid": [1, 0, 0, 1, 1, 0]})
    cal = calibration_by_decile(frame).set_index(["group", "score"])
    assert cal.loc[("a", 1), "n"] == 3
    assert cal.loc[("a", 1), "rate"] == pytest.approx(1 / 3)
    assert cal.loc[("b", 2), "rate"] == 0.0
    assert (cal["lower"] <= cal["rate"]).all() and (cal["rate"] <= cal["upper"]).all()
    # Wilson interval for 1/3 at z = 1.96
    z, n, p = 1.96, 3, 1 / 3
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    assert (cal.loc[("a", 1), "lower"] + cal.loc[("a", 1), "upper"]) / 2 == pytest.approx(centre)
    with pytest.raises(ValueError, match="binary"):
        calibration_by_decile(frame.assign(two_year_recid=[2, 0, 0, 1, 1, 0]))


def test_impossibility_identity_holds():
    counts = pd.DataFrame({"tp": [30, 10], "fp": [10, 10], "tn": [40, 70], "fn": [20, 10]},
                          index=["a", "b"])
    table = impossibility_table(counts)
    # a: p = 50/100, PPV = 30/40, FNR = 20/50 -> FPR = 1 * (1/3) * 0.6 = 0.2 = 10/50
    assert table.loc["a", "fpr"] == pytest.approx(0.2)
    assert np.allclose(table["fpr"], table["fpr_identity"])
    # pooled PPV = 40/60, FNR = 30/70; with equal PPV and FNR, FPR follows p/(1-p)
    # a: odds p/(1-p) = 1; (1 - PPV)/PPV = (20/60)/(40/60); 1 - FNR = 40/70
    assert table.loc["a", "fpr_if_equal_ppv_fnr"] == pytest.approx(1.0 * (20 / 40) * (40 / 70))
    ratio = table["fpr_if_equal_ppv_fnr"] / (table["base_rate"] / (1 - table["base_rate"]))
    assert np.allclose(ratio, ratio.iloc[0])
    with pytest.raises(ValueError, match="columns"):
        impossibility_table(counts.drop(columns="tp"))


def test_compare_published_requires_groups():
    with pytest.raises(ValueError, match="lacks"):
        compare_published(pd.DataFrame({"fpr": [0.1], "fnr": [0.2]}, index=["B"]))


@pytest.mark.slow
def test_real_file_reproduces_propublica():
    from xaibook.data import load_compas

    raw = load_compas()
    result = filter_propublica(raw)
    assert result.n_rows == PROPUBLICA_SAMPLE_ROWS
    groups = ["African-American", "Caucasian"]
    # ProPublica's published error rates are reproduced on the unfiltered file ...
    published = compare_published(score_error_rates(raw, groups=groups))
    assert published["difference"].abs().max() < 0.0006
    # ... and differ by a couple of points on the filtered sample
    filtered = compare_published(score_error_rates(result.data, groups=groups))
    assert filtered["difference"].abs().max() > 0.01


def test_decile_counts_and_charts():
    from xaibook.cases.propublica import decile_counts, plot_calibration_by_decile, plot_decile_distribution

    data = filter_propublica(_frame()).data
    counts = decile_counts(data)
    b = counts[counts["group"] == "B"]
    assert b["n"].sum() == 3 and b["share"].sum() == pytest.approx(1.0)
    spec = plot_decile_distribution(counts).to_dict()
    assert spec["encoding"]["y"]["title"] == "share of the group"
    spec = plot_calibration_by_decile(calibration_by_decile(data)).to_dict()
    assert "title" in spec
