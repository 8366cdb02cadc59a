"""County modelling: exclusions, two-party shares, swings, weighted CV, ALE, ecological inference."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from xaibook.cases.elections.counties import (
    DEMOGRAPHIC_FEATURES, SWING, TARGET, WITH_PAST_FEATURES, _DEMOGRAPHIC_SOURCES, _HIGH_SCHOOL_SOURCE,
    UniformSwingRegressor, ale_frame, between_state_share, counties_for_share_of_votes, county_table,
    cross_validate_counties, ecological_bounds, feature_set, feature_vintages, goodman_regression,
    grouped_permutation_importance, national_swing, per_state_scores, plot_cv_scores,
    plot_importance_folds, plot_pd_ale, two_party_share, unreliable_counties)
from xaibook.data.elections import CERTIFIED_2016, national_totals, repeated_statewide_states
from xaibook.tabular.models import SerialHistGradientBoostingRegressor


def election_frame(n_states=10, per_state=30, seed=0, alaska=True):
    """A synthetic frame with the columns of load_elections().

    Two-party GOP share 2016 = 2012 share + 3 points - 2 * bachelors fraction + noise.
    With ``alaska``, state "AK" has 4 counties without 2012 results and one repeated total.
    """
    rng = np.random.default_rng(seed)
    rows = [{"fips": (s + 10) * 1000 + c + 1, "state_abbr": f"S{s}", "area_name": f"County {c} of S{s}"}
            for s in range(n_states) for c in range(per_state)]
    frame = pd.DataFrame(rows)
    n = len(frame)
    for source, _ in _DEMOGRAPHIC_SOURCES.values():
        frame[source] = rng.uniform(0, 100, n)
    frame[_HIGH_SCHOOL_SOURCE] = rng.uniform(60, 100, n)
    frame["population_per_square_mile_2010"] = 10 ** rng.uniform(-1.5, 4, n)
    votes12 = rng.integers(1_000, 100_000, n).astype(float)
    gop12 = rng.uniform(0.2, 0.8, n)
    bachelors = frame[_DEMOGRAPHIC_SOURCES["bachelors_pct"][0]] / 100
    gop16 = np.clip(gop12 + 0.03 - 0.02 * bachelors + rng.normal(0, 0.01, n), 0.01, 0.99)
    votes16 = votes12 * 1.05
    frame["votes_gop_2012"], frame["votes_dem_2012"] = gop12 * votes12, (1 - gop12) * votes12
    frame["votes_gop_2016"], frame["votes_dem_2016"] = gop16 * votes16, (1 - gop16) * votes16
    frame["total_votes_2012"], frame["total_votes_2016"] = votes12 * 1.02, votes16 * 1.04
    frame["per_gop_2012"] = frame["votes_gop_2012"] / frame["total_votes_2012"]
    if alaska:
        ak = frame.iloc[:4].copy()
        ak["fips"] = [2013, 2016, 2020, 2050]
        ak["state_abbr"] = "AK"
        ak["area_name"] = [f"Borough {i}" for i in range(4)]
        ak[["per_gop_2012", "votes_gop_2012", "votes_dem_2012"]] = np.nan
        ak["total_votes_2016"], ak["votes_gop_2016"], ak["votes_dem_2016"] = 300.0, 160.0, 110.0
        frame = pd.concat([frame, ak], ignore_index=True)
    return frame


class Report:
    def __init__(self, frame):
        self.no_2012 = frame.loc[frame["per_gop_2012"].isna(), ["fips", "state_abbr", "area_name"]]


@pytest.fixture(scope="module")
def frame():
    return election_frame()


@pytest.fixture(scope="module")
def table(frame):
    return county_table(frame, Report(frame))


def fast_model():
    return SerialHistGradientBoostingRegressor(max_iter=60, max_leaf_nodes=8, random_state=0)


# ------------------------------------------------------------------ known answers
def test_two_party_share_known_values():
    assert two_party_share([60, 1, 45], [40, 3, 45]).tolist() == [60.0, 25.0, 50.0]
    with pytest.raises(ValueError, match="undefined"):
        two_party_share([0], [0])
    with pytest.raises(ValueError, match="non-negative"):
        two_party_share([-1], [2])


def test_weighted_vs_unweighted_swing_three_counties():
    # two small counties swing +10 to the GOP, one big county swings -5
    # 2012: 40/100, 40/100, 600/1000 ; 2016: 50/100, 50/100, 550/1000
    s = national_swing([40, 40, 600], [60, 60, 400], [50, 50, 550], [50, 50, 450])
    assert s.county_average == pytest.approx((10 + 10 - 5) / 3)  # +5: places moved right
    assert s.share_2012 == pytest.approx(100 * 680 / 1200)
    assert s.share_2016 == pytest.approx(100 * 650 / 1200)
    assert s.national == pytest.approx(100 * (650 - 680) / 1200)  # -2.5: voters moved left
    with pytest.raises(ValueError, match="same length"):
        national_swing([1], [1], [1, 2], [1, 2])


def test_uniform_swing_weighted_known():
    X = pd.DataFrame({"gop_two_party_2012": [40.0, 40.0, 60.0]})
    y = np.array([50.0, 50.0, 55.0])
    assert UniformSwingRegressor().fit(X, y).swing_ == pytest.approx(5.0)
    w = UniformSwingRegressor().fit(X, y, sample_weight=[100, 100, 1000])
    assert w.swing_ == pytest.approx((1000 + 1000 - 5000) / 1200)
    with pytest.raises(ValueError, match="not fitted"):
        UniformSwingRegressor().predict(X)


def test_counties_for_share_of_votes():
    assert counties_for_share_of_votes([50, 30, 10, 10], 0.5) == 1
    assert counties_for_share_of_votes([10, 10, 30, 50], 0.8) == 2
    assert counties_for_share_of_votes([1, 1, 1, 1], 1.0) == 4
    with pytest.raises(ValueError):
        counties_for_share_of_votes([], 0.5)


def test_ecological_bounds_known_values():
    # hand-computed: g = 0.9, r = 0.8 -> [(0.8 - 0.1)/0.9, 0.8/0.9] = [0.7778, 0.8889]
    b = ecological_bounds([0.5, 0.9, 0.1, 0.0], [0.5, 0.8, 0.95, 0.4])
    assert list(b.columns) == ["lower", "upper", "width"]
    assert b.loc[0, ["lower", "upper"]].tolist() == [0.0, 1.0]
    assert b.loc[1, "lower"] == pytest.approx(7 / 9)
    assert b.loc[1, "upper"] == pytest.approx(8 / 9)
    assert b.loc[2, ["lower", "upper"]].tolist() == pytest.approx([0.5, 1.0])
    assert b.loc[3].isna().all()
    with pytest.raises(ValueError, match="fractions"):
        ecological_bounds([50.0], [0.5])
    with pytest.raises(ValueError, match="shape"):
        ecological_bounds([0.5, 0.5], [0.5])


def test_goodman_recovers_constant_rates_and_fails_when_they_vary():
    rng = np.random.default_rng(0)
    g = rng.uniform(0, 1, 400)
    r = 0.1 * g + 0.7 * (1 - g)
    res = goodman_regression(g, r)
    assert (res.group_rate, res.rest_rate) == pytest.approx((0.1, 0.7))
    assert res.possible and res.n == 400
    # aggregation bias: the rest vote less GOP where the group is large -> impossible estimate
    r2 = 0.1 * g + 0.9 * (1 - g) * (1 - g)
    assert not goodman_regression(g, r2).possible
    weighted = goodman_regression(g, r, weights=rng.uniform(1, 10, 400))
    assert weighted.group_rate == pytest.approx(0.1)
    with pytest.raises(ValueError, match="fractions"):
        goodman_regression([50.0, 20.0], [0.5, 0.4])
    with pytest.raises(ValueError, match="same everywhere"):
        goodman_regression([0.5, 0.5], [0.5, 0.4])


class Additive:
    """f(a, b) = a**2 + 3 b: ALE of b is 3 b (centred), of a is a**2 (centred)."""

    def predict(self, X):
        return X["a"].to_numpy() ** 2 + 3 * X["b"].to_numpy()


def test_ale_known_additive_function():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, 2000)
    X = pd.DataFrame({"a": a, "b": a + rng.normal(0, 0.05, 2000)})  # strongly correlated
    ale_b = ale_frame(Additive(), X, "b", bins=10)
    slope = np.polyfit(ale_b["value"], ale_b["effect"], 1)[0]
    assert slope == pytest.approx(3.0, rel=1e-9)
    centred = ale_b["effect"] - (3 * ale_b["value"] - 3 * ale_b["value"]).mean()
    assert np.allclose(np.diff(ale_b["effect"]), 3 * np.diff(ale_b["value"]))
    ale_a = ale_frame(Additive(), X, "a", bins=10)
    # exact at the edges up to a constant
    d = ale_a["effect"] - ale_a["value"] ** 2
    assert np.ptp(d) == pytest.approx(0, abs=1e-12)
    assert int(ale_a["count"].sum()) == 2000
    # centred: the row-weighted mean of the curve is 0
    mid = (ale_a["effect"].to_numpy()[:-1] + ale_a["effect"].to_numpy()[1:]) / 2
    assert np.sum(mid * ale_a["count"].to_numpy()[1:]) == pytest.approx(0, abs=1e-9)
    assert centred is not None
    with pytest.raises(ValueError, match="constant"):
        ale_frame(Additive(), X.assign(b=1.0), "b")
    with pytest.raises(ValueError, match="column"):
        ale_frame(Additive(), X, "zzz")


# ------------------------------------------------------------------ table
def test_feature_sets_and_vintages():
    assert feature_set("demographic") == DEMOGRAPHIC_FEATURES
    assert set(feature_set("with_past")) - set(DEMOGRAPHIC_FEATURES) == {"gop_two_party_2012"}
    assert "high_school_pct" not in DEMOGRAPHIC_FEATURES  # nested band replaced
    v = feature_vintages()
    assert set(v.index) == set(WITH_PAST_FEATURES)
    assert "?" not in set(v["vintage"])
    with pytest.raises(ValueError, match="unknown feature set"):
        feature_set("leaky")


def test_alaska_excluded_and_repeated_state_counted_once(frame, table):
    assert set(table.excluded["state_abbr"]) == {"AK"}
    assert table.excluded["reason"].str.contains("statewide").all()
    assert repeated_statewide_states(frame) == ["AK"]
    totals = national_totals(frame)
    rest = frame[frame["state_abbr"] != "AK"]
    assert totals["gop"] == int(rest["votes_gop_2016"].sum() + 160)
    assert totals["total"] == int(rest["total_votes_2016"].sum() + 300)
    assert set(CERTIFIED_2016) == {"dem", "gop", "total"}
    assert len(unreliable_counties(frame)) == 4


def test_table_units(frame, table):
    row = table.data.iloc[0]
    src = frame.iloc[0]
    assert row[TARGET] == pytest.approx(100 * src["votes_gop_2016"] / (src["votes_gop_2016"] + src["votes_dem_2016"]))
    assert row[SWING] == pytest.approx(row[TARGET] - row["gop_two_party_2012"])
    assert row["no_high_school_pct"] == pytest.approx(100 - src[_HIGH_SCHOOL_SOURCE])
    assert row["votes_2016"] == pytest.approx(src["votes_gop_2016"] + src["votes_dem_2016"])
    with pytest.raises(ValueError, match="lacks columns"):
        county_table(frame.drop(columns="votes_gop_2012"))


# ------------------------------------------------------------------ CV
def test_cv_schemes_targets_and_weights(table):
    lev = cross_validate_counties(fast_model(), table, "with_past", schemes=("county",))
    swing = cross_validate_counties(LinearRegression(), table, "demographic", target="swing")
    base = cross_validate_counties(UniformSwingRegressor(), table, "with_past", weighted=True)
    p = swing.predictions
    assert (p.groupby("scheme")["fips"].nunique() == len(table.data)).all()
    for _, fold in p[p["scheme"] == "state"].groupby("fold"):
        train_states = set(table.groups) - set(fold["state"])
        assert not set(fold["state"]) & train_states or len(train_states) > 0
    s = swing.summary()
    assert {"r2_level", "r2_change", "mae", "r2_level_w", "r2_change_w", "mae_w"} <= set(s.columns)
    # the planted swing (-2 points per bachelors fraction) is learnable from demographics
    assert s.loc["county", "r2_change"] > 0.15
    # the persistence baseline explains levels but nothing of the change
    b = base.summary()
    assert b.loc["county", "r2_level"] > 0.9
    assert b.loc["county", "r2_change"] < 0.05
    assert lev.summary().loc["county", "r2_level"] > 0.9
    a = cross_validate_counties(fast_model(), table, "demographic", seed=3, weighted=True)
    c = cross_validate_counties(fast_model(), table, "demographic", seed=3, weighted=True)
    pd.testing.assert_frame_equal(a.predictions, c.predictions)
    with pytest.raises(ValueError, match="target"):
        cross_validate_counties(fast_model(), table, target="votes")
    with pytest.raises(ValueError, match="n_splits"):
        cross_validate_counties(fast_model(), table, n_splits=1)


def test_per_state_and_grouped_importance(table):
    cv = cross_validate_counties(LinearRegression(), table, "demographic", target="swing", schemes=("state",))
    per = per_state_scores(cv.predictions)
    assert per["counties"].sum() == len(table.data)
    assert {"mean_residual", "vote_weighted_residual", "mae"} <= set(per.columns)
    with pytest.raises(ValueError, match="one scheme"):
        per_state_scores(cross_validate_counties(LinearRegression(), table).predictions)
    imp = grouped_permutation_importance(LinearRegression(), table, target="swing", n_repeats=2)
    top = imp.groupby("feature")["importance"].mean().idxmax()
    assert top == "bachelors_pct"
    assert imp["fold"].nunique() == 5
    spec = plot_importance_folds(imp, title="t").to_dict()
    assert spec["width"] <= 340


def test_between_state_share():
    states = ["a"] * 3 + ["b"] * 3
    assert between_state_share(pd.DataFrame({"state": states, "residual": [1, 1, 1, -1, -1, -1]})) == pytest.approx(1)
    assert between_state_share(pd.DataFrame({"state": states, "residual": [2, 0, 0, 0, 0, 0]})) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="constant"):
        between_state_share(pd.DataFrame({"state": states, "residual": [0.0] * 6}))


def test_charts_are_phone_narrow(table):
    results = {"persistence": cross_validate_counties(UniformSwingRegressor(), table, "with_past"),
               "linear": cross_validate_counties(LinearRegression(), table)}
    spec = plot_cv_scores(results).to_dict()
    assert spec["title"]["text"] and spec["width"] <= 200
    with pytest.raises(TypeError, match="CVResult"):
        plot_cv_scores({"x": 1})
    model = LinearRegression().fit(table.X(), table.data[SWING])
    chart, frame = plot_pd_ale(model, table.X(), ["bachelors_pct", "poverty_pct"], title="t")
    assert set(frame["method"]) == {"ALE", "partial dependence"}
    s = chart.to_dict()
    assert s["columns"] == 2 and s["spec"]["width"] * 2 <= 300


@pytest.mark.slow
def test_real_elections_table():
    from xaibook.data import load_elections

    frame, report = load_elections(return_report=True)
    table = county_table(frame, report)
    assert set(table.excluded["state_abbr"]) == {"AK"}
    assert table.groups.nunique() == 50  # 49 states and DC
    assert "DC" in set(table.groups)
    assert table.data[TARGET].between(0, 100).all()
    totals = national_totals(frame)
    assert totals["total"] < CERTIFIED_2016["total"]  # unofficial, early count
