"""County modelling: exclusions, feature sets, group-wise CV, leakage, ecological bounds."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from xaibook.cases.elections.counties import (DEMOGRAPHIC_FEATURES, LEAKY_FEATURES, TARGET, CountyTable,
                              CVResult, UniformSwingRegressor, _DEMOGRAPHIC_SOURCES,
                              between_state_share, county_table, cross_validate_counties,
                              ecological_bounds, feature_set, plot_cv_scores,
                              unreliable_counties)
from xaibook.tabular.importance import sklearn_permutation_importance
from xaibook.tabular.models import SerialHistGradientBoostingRegressor


def election_frame(n_states=10, per_state=30, seed=0, alaska=True):
    """A synthetic frame with the columns of load_elections().

    2016 share = 2012 share + 3 points + noise; the census columns are noise,
    except that ``bachelors`` lowers the share a little. With ``alaska``,
    state "AK" has 4 counties without 2012 results and one repeated total.
    """
    rng = np.random.default_rng(seed)
    states = [f"S{i}" for i in range(n_states)]
    rows = []
    for s_i, state in enumerate(states):
        for c in range(per_state):
            rows.append({"fips": (s_i + 10) * 1000 + c + 1, "state_abbr": state,
                         "area_name": f"County {c} of {state}"})
    frame = pd.DataFrame(rows)
    n = len(frame)
    for source, _ in _DEMOGRAPHIC_SOURCES.values():
        frame[source] = rng.uniform(0, 100, n)
    frame["population_per_square_mile_2010"] = 10 ** rng.uniform(-1.5, 4, n)
    gop12 = rng.uniform(0.2, 0.8, n)
    frame["per_gop_2012"] = gop12
    frame["per_dem_2012"] = 0.97 - gop12
    bachelors = frame[_DEMOGRAPHIC_SOURCES["bachelors_pct"][0]] / 100
    frame["per_gop_2016"] = np.clip(gop12 + 0.03 - 0.02 * bachelors + rng.normal(0, 0.01, n), 0, 1)
    frame["total_votes_2016"] = rng.integers(1_000, 100_000, n).astype(float)
    if alaska:
        ak = frame.iloc[:4].copy()
        ak["fips"] = [2013, 2016, 2020, 2050]
        ak["state_abbr"] = "AK"
        ak["area_name"] = [f"Borough {i}" for i in range(4)]
        ak[["per_gop_2012", "per_dem_2012"]] = np.nan
        ak["total_votes_2016"] = 246_588.0
        frame = pd.concat([frame, ak], ignore_index=True)
    return frame


class Report:
    """Stands in for JoinReport: only ``no_2012`` is read."""

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


# ------------------------------------------------------------------ feature sets
def test_feature_sets():
    assert feature_set("demographic") == DEMOGRAPHIC_FEATURES
    assert feature_set("leaky") == LEAKY_FEATURES
    assert set(LEAKY_FEATURES) - set(DEMOGRAPHIC_FEATURES) == {"gop_share_2012", "dem_share_2012"}
    assert not any("2012" in f or "2016" in f for f in DEMOGRAPHIC_FEATURES)
    feature_set("demographic").append("x")  # a copy: the module's list is unchanged
    assert "x" not in DEMOGRAPHIC_FEATURES
    with pytest.raises(ValueError, match="unknown feature set"):
        feature_set("everything")


# ------------------------------------------------------------------ exclusions
def test_alaska_excluded_with_both_reasons(frame, table):
    assert isinstance(table, CountyTable)
    assert list(table.excluded.columns) == ["fips", "state_abbr", "area_name", "reason"]
    assert sorted(table.excluded["fips"]) == [2013, 2016, 2020, 2050]
    assert table.excluded["reason"].str.contains("no 2012 results").all()
    assert table.excluded["reason"].str.contains("statewide").all()
    assert "AK" not in set(table.data["state"])
    assert len(table.data) == len(frame) - 4
    assert not table.data[LEAKY_FEATURES + [TARGET]].isna().any().any()


def test_repeated_totals_found_without_missing_2012():
    frame = election_frame(alaska=False)
    frame.loc[frame["state_abbr"] == "S3", "total_votes_2016"] = 5_000.0
    bad = unreliable_counties(frame)
    assert set(bad["state_abbr"]) == {"S3"}
    assert (bad["reason"] == "2016 totals repeat the statewide count on every county").all()
    # without a report, missing 2012 shares are read from the frame
    frame.loc[0, "per_gop_2012"] = np.nan
    assert "no 2012 results" in unreliable_counties(frame).set_index("fips").loc[10001, "reason"]


def test_table_units_and_columns(frame, table):
    row = table.data.iloc[0]
    src = frame.set_index("fips").loc[row["fips"]]
    assert row[TARGET] == pytest.approx(100 * src["per_gop_2016"])
    assert row["gop_share_2012"] == pytest.approx(100 * src["per_gop_2012"])
    assert row["swing_2012_2016"] == pytest.approx(row[TARGET] - row["gop_share_2012"])
    assert row["log10_density"] == pytest.approx(np.log10(max(src["population_per_square_mile_2010"], 0.1)))
    assert table.data["log10_density"].min() >= -1
    assert list(table.X().columns) == DEMOGRAPHIC_FEATURES
    assert list(table.X("leaky").columns) == LEAKY_FEATURES
    assert table.y.name == TARGET and len(table.groups) == len(table.data)
    with pytest.raises(ValueError, match="unknown features"):
        table.X(["bachelors_pct", "shoe_size"])


def test_table_input_errors(frame):
    with pytest.raises(ValueError, match="lacks columns"):
        county_table(frame.drop(columns="per_gop_2012"))
    with pytest.raises(TypeError, match="DataFrame"):
        county_table(frame.to_numpy())
    with pytest.raises(TypeError, match="JoinReport"):
        county_table(frame, report=object())
    broken = frame.copy()
    broken.loc[5, _DEMOGRAPHIC_SOURCES["poverty_pct"][0]] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        county_table(broken, Report(broken))


# ------------------------------------------------------------------ cross-validation
def test_state_folds_keep_states_disjoint(table):
    result = cross_validate_counties(LinearRegression(), table, n_splits=5)
    assert isinstance(result, CVResult)
    preds = result.predictions
    assert list(preds.columns) == ["scheme", "fold", "fips", "state", "actual", "predicted", "residual"]
    for scheme in ("county", "state"):
        p = preds[preds["scheme"] == scheme]
        assert sorted(p["fips"]) == sorted(table.data["fips"])  # each county predicted once
    by_state = preds[preds["scheme"] == "state"].groupby("state")["fold"].nunique()
    assert (by_state == 1).all()  # a state's counties are all in the same test fold
    by_county = preds[preds["scheme"] == "county"].groupby("state")["fold"].nunique()
    assert (by_county > 1).any()  # shuffled folds mix states
    scores = result.scores
    assert list(scores.columns) == ["scheme", "fold", "n_train", "n_test", "r2", "mae"]
    assert (scores.groupby("scheme")["n_test"].sum() == len(table.data)).all()
    assert (scores["n_train"] + scores["n_test"] == len(table.data)).all()
    assert np.allclose(preds["residual"], preds["actual"] - preds["predicted"])


def test_cv_is_deterministic(table):
    a = cross_validate_counties(fast_model(), table, "leaky", seed=3)
    b = cross_validate_counties(fast_model(), table, "leaky", seed=3)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.predictions, b.predictions)


def test_held_out_states_reveal_spatial_dependence():
    """A state effect that only a state-identifying feature carries is learnable
    from neighbours (shuffled folds) but not for an unseen state."""
    rng = np.random.default_rng(1)
    frame = election_frame(n_states=20, per_state=40, alaska=False, seed=1)
    effect = dict(zip(sorted(frame["state_abbr"].unique()), rng.normal(0, 0.15, 20)))
    code = dict(zip(sorted(frame["state_abbr"].unique()), rng.permutation(20) * 5.0))
    frame["per_gop_2016"] = np.clip(0.5 + frame["state_abbr"].map(effect) + rng.normal(0, 0.02, len(frame)), 0, 1)
    frame[_DEMOGRAPHIC_SOURCES["asian_pct"][0]] = frame["state_abbr"].map(code)  # a "where" proxy
    table = county_table(frame)
    summary = cross_validate_counties(fast_model(), table).summary()
    assert summary.loc["county", "r2"] > 0.8
    assert summary.loc["state", "r2"] < 0.2
    assert list(summary.columns) == ["r2", "mae", "r2_fold_min", "r2_fold_max"]


def test_planted_past_vote_dominates(table):
    """The target is the 2012 share plus a constant: the leaky features win, by far."""
    X, y = table.X("leaky"), table.y
    model = fast_model().fit(X, y)
    imp = sklearn_permutation_importance(model, X, y, n_repeats=3)
    assert imp["feature"].iloc[0] == "gop_share_2012"
    top = imp.set_index("feature")["importance"]
    census = top.drop(["gop_share_2012", "dem_share_2012"])
    assert top["gop_share_2012"] > 5 * census.max()
    leaky = cross_validate_counties(fast_model(), table, "leaky", schemes=("county",)).summary()
    honest = cross_validate_counties(fast_model(), table, "demographic", schemes=("county",)).summary()
    assert leaky.loc["county", "r2"] > 0.9 > honest.loc["county", "r2"]


def test_cv_input_errors(table):
    with pytest.raises(TypeError, match="CountyTable"):
        cross_validate_counties(LinearRegression(), table.data)
    with pytest.raises(ValueError, match="unknown schemes"):
        cross_validate_counties(LinearRegression(), table, schemes=("random",))
    with pytest.raises(ValueError, match="n_splits"):
        cross_validate_counties(LinearRegression(), table, n_splits=11)  # 10 states


# ------------------------------------------------------------------ uniform swing
def test_uniform_swing(table):
    X, y = table.X("leaky"), table.y
    model = UniformSwingRegressor().fit(X, y)
    assert model.swing_ == pytest.approx(float((y - X["gop_share_2012"]).mean()))
    assert np.allclose(model.predict(X), X["gop_share_2012"] + model.swing_)
    assert model.score(X, y) > 0.95
    with pytest.raises(ValueError, match="not fitted"):
        UniformSwingRegressor().predict(X)
    with pytest.raises(ValueError, match="gop_share_2012"):
        UniformSwingRegressor().fit(table.X("demographic"), y)


# ------------------------------------------------------------------ spatial share
def test_between_state_share():
    states = ["a"] * 3 + ["b"] * 3
    assert between_state_share(pd.DataFrame({"state": states, "residual": [1, 1, 1, -1, -1, -1]})) == pytest.approx(1)
    assert between_state_share(pd.DataFrame({"state": states, "residual": [1, 0, -1, 1, 0, -1]})) == pytest.approx(0)
    assert between_state_share(pd.DataFrame({"state": states, "residual": [2, 0, 0, 0, 0, 0]})) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="constant"):
        between_state_share(pd.DataFrame({"state": states, "residual": [0.0] * 6}))
    with pytest.raises(ValueError, match="columns"):
        between_state_share(pd.DataFrame({"residual": [1.0, 2.0]}))


# ------------------------------------------------------------------ ecological bounds
def test_ecological_bounds_known_values():
    b = ecological_bounds([0.5, 0.9, 0.1, 0.0], [0.5, 0.8, 0.95, 0.4])
    assert list(b.columns) == ["lower", "upper", "width"]
    assert b.loc[0, ["lower", "upper"]].tolist() == [0.0, 1.0]  # half the county: anything goes
    assert b.loc[1, "lower"] == pytest.approx((0.8 - 0.1) / 0.9)
    assert b.loc[1, "upper"] == pytest.approx(0.8 / 0.9)
    assert b.loc[2, ["lower", "upper"]].tolist() == pytest.approx([0.5, 1.0])  # r > 1 - g forces a floor
    assert b.loc[3].isna().all()
    assert (b["width"].dropna() >= 0).all()
    with pytest.raises(ValueError, match="fractions"):
        ecological_bounds([50.0], [0.5])
    with pytest.raises(ValueError, match="shape"):
        ecological_bounds([0.5, 0.5], [0.5])


# ------------------------------------------------------------------ chart
def test_plot_cv_scores(table):
    results = {"swing": cross_validate_counties(UniformSwingRegressor(), table, "leaky"),
               "linear": cross_validate_counties(LinearRegression(), table)}
    spec = plot_cv_scores(results).to_dict()
    assert spec["title"]["text"]
    assert len(spec["layer"]) == 2
    assert all(layer["encoding"]["x"]["title"] for layer in spec["layer"])
    with pytest.raises(TypeError, match="CVResult"):
        plot_cv_scores({"x": 1})


# ------------------------------------------------------------------ real data
@pytest.mark.slow
def test_real_elections_table():
    from xaibook.data import load_elections

    frame, report = load_elections(return_report=True)
    table = county_table(frame, report)
    assert set(table.excluded["state_abbr"]) == {"AK"}
    assert len(table.excluded) == len(report.no_2012)
    assert table.excluded["reason"].str.contains("statewide").all()
    assert len(table.data) == report.n_joined - len(report.no_2012)
    assert table.groups.nunique() == 50  # 49 states and DC
    assert table.data[TARGET].between(0, 100).all()
