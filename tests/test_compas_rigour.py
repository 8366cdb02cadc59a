"""Known-answer tests for the COMPAS second edition (issue 13): two-year
correction, rare-count associations, pooled calibration, rates with intervals."""

import numpy as np
import pandas as pd
import pytest

from xaibook.cases.propublica import (
    cramers_v,
    count_safe_bins,
    format_association,
    pooled_calibration,
    recidivism_by_quarter,
    safe_associations,
    score_rate_intervals,
    signed,
    two_year_correction,
)


def _screened():
    # data end 2016-04-01 -> cutoff 2014-04-01
    return pd.DataFrame({
        "compas_screening_date": pd.to_datetime([
            "2013-01-15", "2013-06-01", "2014-03-31", "2014-04-01",   # kept
            "2014-04-02", "2014-08-01", "2014-12-31", "2014-05-05"]),  # dropped
        "two_year_recid": [0, 1, 0, 1, 1, 1, 0, 0],
    })


def test_two_year_correction_known_counts():
    result = two_year_correction(_screened())
    assert result.n_rows == 4
    assert result.data.index.tolist() == [0, 1, 2, 3]
    step = result.steps.iloc[1]
    assert step["removed"] == 4
    # late people are dropped whatever their outcome: 2 reoffended, 2 did not
    assert step["removed_reoffended"] == 2
    assert step["removed_not_reoffended"] == 2
    assert "2014-04-01" in step["step"]


def test_two_year_correction_one_year():
    result = two_year_correction(_screened(), data_end="2015-06-01", years=1)
    assert sorted(result.data.index.tolist()) == [0, 1, 2, 3, 4, 7]
    frame = _screened()
    frame.loc[0, "compas_screening_date"] = pd.NaT
    with pytest.raises(ValueError, match="missing or unreadable"):
        two_year_correction(frame)
    with pytest.raises(ValueError, match="positive integer"):
        two_year_correction(_screened(), years=0)
    with pytest.raises(ValueError, match="missing column"):
        two_year_correction(_screened().drop(columns="two_year_recid"))


def test_recidivism_by_quarter_counts():
    table = recidivism_by_quarter(_screened()).set_index("quarter")
    assert table.loc["2014 Q2", "n"] == 3 and table.loc["2014 Q2", "reoffended"] == 2
    assert table.loc["2013 Q1", "rate"] == 0.0
    assert (table["lower"] <= table["rate"]).all() and (table["rate"] <= table["upper"]).all()


def test_rare_counts_not_collapsed():
    rng = np.random.default_rng(0)
    n = 2000
    group = rng.choice(["A", "B"], n)
    # 95% zeros overall; group B has five times more non-zero counts
    juv = np.where(rng.random(n) < np.where(group == "B", 0.08, 0.016),
                   rng.integers(1, 6, n), 0)
    X = pd.DataFrame({"group": group, "juv": juv})
    # plain quantile binning collapses the column into one bin
    assert pd.qcut(X["juv"], 5, duplicates="drop").nunique() == 1
    bins = count_safe_bins(X["juv"])
    assert bins.nunique() >= 2 and (bins == "= 0").sum() == (juv == 0).sum()
    table = safe_associations(X)
    v = table["cramers_v"].iloc[0]
    assert np.isfinite(v) and v > 0.05


def test_degenerate_association_is_nan_not_zero():
    X = pd.DataFrame({"a": ["x", "y"] * 10, "const": [0] * 20})
    assert np.isnan(cramers_v(X["a"], X["const"]))
    table = safe_associations(X)
    assert np.isnan(table["cramers_v"].iloc[0])
    assert format_association(table["cramers_v"].iloc[0]) == "n/a"
    assert format_association(0.1234) == "0.123"
    # a genuine independence still reads 0
    assert cramers_v(pd.Series(["a", "a", "b", "b"]), pd.Series(["u", "v", "u", "v"])) == 0.0


def _calibration_data(offset, n=6000, seed=1):
    rng = np.random.default_rng(seed)
    group = rng.choice(["W", "B"], n)
    score = rng.integers(1, 11, n)
    logit = -2.0 + 0.3 * score + offset * (group == "B")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"race": group, "decile_score": score, "two_year_recid": y})


@pytest.mark.parametrize("score_as", ["categorical", "linear"])
def test_pooled_calibration_planted_offset(score_as):
    result = pooled_calibration(_calibration_data(0.5), reference="W", score_as=score_as)
    term = result.term("B")
    assert term["excludes_zero"]
    assert term["low"] < 0.5 < term["high"]
    assert result.reference == "W" and result.n == 6000


def test_pooled_calibration_no_offset():
    hits = [pooled_calibration(_calibration_data(0.0, seed=s), reference="W")
            .term("B")["excludes_zero"] for s in range(10)]
    assert sum(hits) <= 2  # 5% false alarms expected
    with pytest.raises(ValueError, match="at least two groups"):
        pooled_calibration(_calibration_data(0.0), groups=["W"])


def test_score_rate_intervals_planted_gap():
    rng = np.random.default_rng(3)
    n = 4000
    g = rng.choice(["A", "B"], n)
    y = rng.integers(0, 2, n)
    flag = np.where(y == 0, rng.random(n) < np.where(g == "B", 0.4, 0.2), rng.random(n) < 0.6)
    frame = pd.DataFrame({"race": g, "two_year_recid": y})
    table = score_rate_intervals(frame, groups=["A", "B"], flagged=flag.astype(int),
                                 n_boot=200).set_index(["metric", "group"])
    fpr = table.loc[("false_positive_rate", "B")]
    assert fpr["gap_real"] and fpr["gap_low"] < 0.2 < fpr["gap_high"]
    assert fpr["n"] == ((g == "B") & (y == 0)).sum()
    assert not table.loc[("false_negative_rate", "B"), "gap_real"]
    assert table.loc[("false_positive_rate", "A"), "reference"] == "A"


def test_signed_never_minus_zero():
    assert signed(-0.00001) == "0.0"
    assert signed(0.0123) == "+1.2"
    assert signed(-0.0123) == "-1.2"


@pytest.mark.slow
def test_real_file_two_year_correction():
    from xaibook.cases.propublica import filter_propublica
    from xaibook.data import load_compas

    kept = filter_propublica(load_compas()).data
    quarters = recidivism_by_quarter(kept).set_index("quarter")
    # Barenstein (2019): late quarters are (almost) all recidivists
    assert (quarters.loc[["2014 Q2", "2014 Q3", "2014 Q4"], "rate"] > 0.95).all()
    assert (quarters.loc[["2013 Q1", "2013 Q2", "2013 Q3", "2013 Q4", "2014 Q1"], "rate"]
            < 0.45).all()
    corrected = two_year_correction(kept)
    assert corrected.n_rows == 5_304
    assert corrected.steps.iloc[1]["removed_not_reoffended"] == 0
    assert corrected.data["compas_screening_date"].max() <= pd.Timestamp("2014-04-01")
    # by sex the score is not calibrated: women re-offend less at equal deciles
    sex = pooled_calibration(corrected.data, group="sex", groups=["Male", "Female"])
    assert sex.term("Female")["high"] < 0
