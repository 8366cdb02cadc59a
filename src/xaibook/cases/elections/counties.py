"""County-level election modelling: two-party shares, swings, honest evaluation.

The election data (:func:`xaibook.data.load_elections`) describe US
counties: 2012 and 2016 presidential results joined with census QuickFacts
(unofficial counts from mid-November 2016; see the data card).

* :func:`county_table` builds the modelling table: Republican **two-party**
  shares (percent) and the swing 2012 -> 2016, exclusive education bands,
  vote counts for weighting; it drops Alaska's repeated statewide rows and
  says why.
* :func:`two_party_share`, :func:`national_swing` (county average vs
  vote-weighted national swing), :func:`counties_for_share_of_votes`.
* :class:`UniformSwingRegressor` is the persistence baseline (2012 share plus
  one uniform swing); :func:`cross_validate_counties` scores models of the
  level or of the swing on held-out counties and held-out states, fitted
  unweighted or with votes as ``sample_weight``; :meth:`CVResult.summary`
  reports R² of levels and of change, unweighted (places) and vote-weighted
  (voters).
* :func:`per_state_scores`, :func:`grouped_permutation_importance` (importance
  under the state-held-out scheme), :func:`ale_frame` and :func:`plot_pd_ale`
  (accumulated local effects beside partial dependence).
* :func:`ecological_bounds` (Duncan–Davis) and :func:`goodman_regression`:
  what aggregates allow, and a method that tries to infer more.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import Pipeline

__all__ = [
    "DEMOGRAPHIC_FEATURES", "PAST_VOTE_FEATURES", "WITH_PAST_FEATURES", "FEATURE_LABELS",
    "FEATURE_VINTAGES", "TARGET", "SWING", "TARGET_LABEL", "CountyTable", "CVResult",
    "UniformSwingRegressor", "SCHEMES", "county_table", "unreliable_counties", "feature_set",
    "two_party_share", "national_swing", "SwingSummary", "counties_for_share_of_votes",
    "cross_validate_counties", "per_state_scores", "grouped_permutation_importance",
    "ale_frame", "plot_pd_ale", "plot_importance_folds", "between_state_share",
    "ecological_bounds", "goodman_regression", "GoodmanResult", "plot_cv_scores",
    "feature_vintages",
]

# readable name -> (source column in load_elections(), label for charts)
_DEMOGRAPHIC_SOURCES: dict[str, tuple[str, str]] = {
    "bachelors_pct": ("bachelors_degree_or_higher_percent_of_persons_age_25_2009_2013",
                      "Bachelor's degree or higher, % of adults 25+"),
    "white_non_hispanic_pct": ("white_alone_not_hispanic_or_latino_percent_2014",
                               "White alone, not Hispanic, %"),
    "black_pct": ("black_or_african_american_alone_percent_2014", "Black or African American alone, %"),
    "hispanic_pct": ("hispanic_or_latino_percent_2014", "Hispanic or Latino, %"),
    "asian_pct": ("asian_alone_percent_2014", "Asian alone, %"),
    "native_american_pct": ("american_indian_and_alaska_native_alone_percent_2014",
                            "American Indian and Alaska Native alone, %"),
    "foreign_born_pct": ("foreign_born_persons_percent_2009_2013", "Foreign born, %"),
    "age_65_plus_pct": ("persons_65_years_and_over_percent_2014", "Aged 65 and over, %"),
    "under_18_pct": ("persons_under_18_years_percent_2014", "Under 18, %"),
    "median_income": ("median_household_income_2009_2013", "Median household income, $"),
    "poverty_pct": ("persons_below_poverty_level_percent_2009_2013", "Below poverty level, %"),
    "homeownership_pct": ("homeownership_rate_2009_2013", "Homeownership rate, %"),
}
_HIGH_SCHOOL_SOURCE = "high_school_graduate_or_higher_percent_of_persons_age_25_2009_2013"
_DENSITY_SOURCE = "population_per_square_mile_2010"
_DENSITY_FLOOR = 0.1  # people per square mile; keeps log10 finite

#: Census features that describe who lives in a county (no past votes). The
#: two education features are exclusive bands of adults 25+: no high-school
#: diploma, and a bachelor's degree or more (the census column "high school or
#: more" *contains* "bachelor's or more"; the third band, a diploma but no
#: bachelor's, is 100 minus the two).
DEMOGRAPHIC_FEATURES: list[str] = ["no_high_school_pct", *_DEMOGRAPHIC_SOURCES, "log10_density"]
#: The previous election, as one feature: the Republican two-party share 2012.
PAST_VOTE_FEATURES: list[str] = ["gop_two_party_2012"]
#: Demographics plus the 2012 result (a legitimate prior: persistence).
WITH_PAST_FEATURES: list[str] = DEMOGRAPHIC_FEATURES + PAST_VOTE_FEATURES
#: Level target: Republican share of the two-party vote 2016, in percent.
TARGET = "gop_two_party_2016"
#: Change target: two-party swing 2012 -> 2016, in points.
SWING = "swing_two_party"
TARGET_LABEL = "Republican two-party share 2016, %"
#: Chart labels for every feature and the targets.
FEATURE_LABELS: dict[str, str] = {
    "no_high_school_pct": "No high-school diploma, % of adults 25+",
    **{name: label for name, (_, label) in _DEMOGRAPHIC_SOURCES.items()},
    "log10_density": "Population density, log10(people per sq. mile)",
    "gop_two_party_2012": "Republican two-party share 2012, %",
    TARGET: TARGET_LABEL,
    SWING: "Swing to the Republicans 2012-2016, points",
}
#: Where each feature comes from and when it was measured.
FEATURE_VINTAGES: dict[str, str] = {
    "no_high_school_pct": "ACS 5-year 2009-2013",
    **{name: ("ACS 5-year 2009-2013" if source.endswith("2009_2013") else
              "2014 population estimates" if source.endswith("2014") else "?")
       for name, (source, _) in _DEMOGRAPHIC_SOURCES.items()},
    "log10_density": "2010 census",
    "gop_two_party_2012": "2012 results file",
}

_REQUIRED = (["fips", "state_abbr", "area_name", "votes_gop_2016", "votes_dem_2016",
              "votes_gop_2012", "votes_dem_2012", "total_votes_2016", "total_votes_2012",
              _DENSITY_SOURCE, _HIGH_SCHOOL_SOURCE]
             + [source for source, _ in _DEMOGRAPHIC_SOURCES.values()])


def feature_vintages() -> pd.DataFrame:
    """One row per model feature: label and census vintage."""
    return pd.DataFrame({"feature": list(FEATURE_VINTAGES),
                         "label": [FEATURE_LABELS[f] for f in FEATURE_VINTAGES],
                         "vintage": list(FEATURE_VINTAGES.values())}).set_index("feature")


def feature_set(name: str) -> list[str]:
    """Feature names of a named set: ``"demographic"`` or ``"with_past"``.

    >>> feature_set("with_past")[-1]
    'gop_two_party_2012'
    """
    sets = {"demographic": DEMOGRAPHIC_FEATURES, "with_past": WITH_PAST_FEATURES}
    if name not in sets:
        raise ValueError(f"unknown feature set {name!r}; choose one of {sorted(sets)}")
    return list(sets[name])


def two_party_share(gop, dem) -> np.ndarray:
    """Republican share of the two-party vote, ``gop / (gop + dem)``, in percent.

    >>> two_party_share([60, 1], [40, 3]).tolist()
    [60.0, 25.0]
    """
    g, d = np.asarray(gop, dtype=float), np.asarray(dem, dtype=float)
    if g.shape != d.shape:
        raise ValueError(f"gop and dem differ in shape: {g.shape} vs {d.shape}")
    if np.any(g < 0) or np.any(d < 0):
        raise ValueError("vote counts must be non-negative")
    total = g + d
    if np.any(total == 0):
        raise ValueError("a county has no votes for either party: its two-party share is undefined")
    return 100 * g / total


@dataclass(frozen=True)
class SwingSummary:
    """National swing two ways (points of the two-party Republican share).

    Attributes
    ----------
    county_average : float
        Unweighted mean of the county swings: what happened in the typical *place*.
    national : float
        Change of the national two-party share (every vote counts once): what
        happened among *voters*.
    share_2012, share_2016 : float
        National two-party Republican shares, in percent.
    """

    county_average: float
    national: float
    share_2012: float
    share_2016: float


def national_swing(gop_2012, dem_2012, gop_2016, dem_2016) -> SwingSummary:
    """County-average and vote-weighted national two-party swing.

    >>> s = national_swing([10, 900], [90, 100], [30, 800], [70, 200])
    >>> round(s.county_average, 1), round(s.national, 2)
    (5.0, -7.27)
    """
    arrays = [np.asarray(a, dtype=float) for a in (gop_2012, dem_2012, gop_2016, dem_2016)]
    if len({a.shape for a in arrays}) != 1 or arrays[0].size == 0:
        raise ValueError("the four vote arrays must be non-empty and of the same length")
    g12, d12, g16, d16 = arrays
    share_12 = 100 * g12.sum() / (g12.sum() + d12.sum())
    share_16 = 100 * g16.sum() / (g16.sum() + d16.sum())
    county = float(np.mean(two_party_share(g16, d16) - two_party_share(g12, d12)))
    return SwingSummary(county_average=county, national=float(share_16 - share_12),
                        share_2012=float(share_12), share_2016=float(share_16))


def counties_for_share_of_votes(votes, share: float = 0.5) -> int:
    """How many of the largest counties together cast ``share`` of all votes.

    >>> counties_for_share_of_votes([50, 30, 10, 10], 0.5)
    1
    """
    v = np.sort(np.asarray(votes, dtype=float))[::-1]
    if v.size == 0 or np.any(v < 0) or v.sum() == 0:
        raise ValueError("votes must be non-negative with a positive total")
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    return int(np.searchsorted(np.cumsum(v) / v.sum(), share - 1e-12) + 1)


def _check_columns(frame: pd.DataFrame, columns, what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}; expected the frame from "
                         "xaibook.data.load_elections()")


def unreliable_counties(frame: pd.DataFrame, report=None) -> pd.DataFrame:
    """Counties whose results cannot be used, and why.

    Two checks: the counties listed in ``report.no_2012`` (the join report of
    :func:`~xaibook.data.load_elections`) lack 2012 results; and a state
    whose every county reports the *same* 2016 vote total repeats a statewide
    figure instead of county results (Alaska reports by election district;
    see :func:`xaibook.data.elections.repeated_statewide_states`).

    Returns
    -------
    pandas.DataFrame
        ``fips``, ``state_abbr``, ``area_name``, ``reason``; one row per county.
    """
    from xaibook.data.elections import repeated_statewide_states

    _check_columns(frame, ["fips", "state_abbr", "area_name", "per_gop_2012", "total_votes_2016"],
                   "the election frame")
    if report is not None:
        if not hasattr(report, "no_2012"):
            raise TypeError("report must be the JoinReport returned by load_elections(return_report=True)")
        no_2012 = set(report.no_2012["fips"])
    else:
        no_2012 = set(frame.loc[frame["per_gop_2012"].isna(), "fips"])
    repeated = set(repeated_statewide_states(frame))
    reasons = []
    for fips, state in zip(frame["fips"], frame["state_abbr"]):
        why = []
        if fips in no_2012:
            why.append("no 2012 results")
        if state in repeated:
            why.append("2016 totals repeat the statewide count on every county")
        reasons.append("; ".join(why))
    out = frame[["fips", "state_abbr", "area_name"]].assign(reason=reasons)
    return out[out["reason"] != ""].reset_index(drop=True)


@dataclass(frozen=True)
class CountyTable:
    """The modelling table and what was left out of it.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per usable county: ``fips``, ``state``, ``county``, every
        feature of :data:`WITH_PAST_FEATURES`, :data:`TARGET`, :data:`SWING`
        and the vote counts ``votes_2012``, ``votes_2016`` (two-party votes).
    excluded : pandas.DataFrame
        Counties dropped, with a ``reason`` (see :func:`unreliable_counties`).
    """

    data: pd.DataFrame
    excluded: pd.DataFrame

    def X(self, features="demographic") -> pd.DataFrame:
        """The feature matrix for a named set or an explicit list of features."""
        names = feature_set(features) if isinstance(features, str) else list(features)
        unknown = [n for n in names if n not in self.data.columns]
        if unknown:
            raise ValueError(f"unknown features {unknown}")
        return self.data[names]

    @property
    def y(self) -> pd.Series:
        """The level target, :data:`TARGET`."""
        return self.data[TARGET]

    @property
    def votes(self) -> pd.Series:
        """Two-party votes cast in 2016: the weight of a county among voters."""
        return self.data["votes_2016"]

    @property
    def groups(self) -> pd.Series:
        """The state of each county, for group-wise cross-validation."""
        return self.data["state"]


def county_table(frame: pd.DataFrame, report=None, *, drop_unreliable: bool = True) -> CountyTable:
    """Build the modelling table from the joined election frame.

    Shares are two-party shares in percent, computed from the vote counts.
    """
    _check_columns(frame, _REQUIRED, "the election frame")
    excluded = unreliable_counties(frame, report)
    keep = ~frame["fips"].isin(excluded["fips"]) if drop_unreliable else np.ones(len(frame), bool)
    src = frame[keep]
    data = pd.DataFrame({
        "fips": src["fips"].astype("int64"),
        "state": src["state_abbr"].astype(str),
        "county": src["area_name"].astype(str),
    })
    data["no_high_school_pct"] = 100 - src[_HIGH_SCHOOL_SOURCE].astype(float)
    for name, (source, _) in _DEMOGRAPHIC_SOURCES.items():
        data[name] = src[source].astype(float)
    data["log10_density"] = np.log10(src[_DENSITY_SOURCE].astype(float).clip(lower=_DENSITY_FLOOR))
    if drop_unreliable:
        data["gop_two_party_2012"] = two_party_share(src["votes_gop_2012"], src["votes_dem_2012"])
        data[TARGET] = two_party_share(src["votes_gop_2016"], src["votes_dem_2016"])
        data[SWING] = data[TARGET] - data["gop_two_party_2012"]
    data["votes_2012"] = (src["votes_gop_2012"] + src["votes_dem_2012"]).astype(float)
    data["votes_2016"] = (src["votes_gop_2016"] + src["votes_dem_2016"]).astype(float)
    data = data.reset_index(drop=True)
    if drop_unreliable:
        bad = data[WITH_PAST_FEATURES + [TARGET]].isna().any(axis=1)
        if bad.any():
            raise ValueError(f"{int(bad.sum())} counties have missing values after exclusions, "
                             f"e.g. FIPS {data.loc[bad, 'fips'].head(5).tolist()}")
    return CountyTable(data=data, excluded=excluded if drop_unreliable else excluded.iloc[:0])


def _fit(model, X, y, sample_weight=None):
    """Fit ``model`` (an estimator or a Pipeline) with optional sample weights."""
    if sample_weight is None:
        return model.fit(X, y)
    if isinstance(model, Pipeline):
        return model.fit(X, y, **{f"{model.steps[-1][0]}__sample_weight": sample_weight})
    return model.fit(X, y, sample_weight=sample_weight)


class UniformSwingRegressor(RegressorMixin, BaseEstimator):
    """The persistence baseline: last election's share plus one uniform swing.

    Parameters
    ----------
    column : str
        Feature holding the previous share (default ``"gop_two_party_2012"``).

    Fitted with ``sample_weight`` (votes), the swing is the vote-weighted mean
    of the county swings; without, the county average.
    """

    def __init__(self, column: str = "gop_two_party_2012"):
        self.column = column

    def _past(self, X) -> np.ndarray:
        if not isinstance(X, pd.DataFrame) or self.column not in X.columns:
            raise ValueError(f"UniformSwingRegressor needs a DataFrame with column {self.column!r}")
        return X[self.column].to_numpy(dtype=float)

    def fit(self, X, y, sample_weight=None):
        past = self._past(X)
        self.swing_ = float(np.average(np.asarray(y, dtype=float) - past, weights=sample_weight))
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X) -> np.ndarray:
        if not hasattr(self, "swing_"):
            raise ValueError("UniformSwingRegressor is not fitted yet; call fit first")
        return self._past(X) + self.swing_


@dataclass(frozen=True)
class CVResult:
    """Cross-validated out-of-fold predictions.

    Attributes
    ----------
    predictions : pandas.DataFrame
        One row per scheme and county: ``scheme``, ``fold``, ``fips``,
        ``state``, ``votes``, ``past`` (2012 share), ``actual`` and
        ``predicted`` 2016 share (a swing model's prediction is added to
        ``past``), ``residual`` (actual − predicted).
    target : str
        What the model was fitted to: ``"level"`` or ``"swing"``.
    weighted : bool
        Whether it was fitted with votes as sample weights.
    """

    predictions: pd.DataFrame
    target: str = "level"
    weighted: bool = False

    def summary(self) -> pd.DataFrame:
        """Per scheme: R² of the 2016 level and of the change since 2012, and MAE.

        Columns ending in ``_w`` weight every county by its two-party votes
        (a question about voters); the others count every county once (places).
        """
        rows = []
        for scheme, p in self.predictions.groupby("scheme", sort=False):
            row = {"scheme": scheme}
            for suffix, w in (("", None), ("_w", p["votes"].to_numpy())):
                row["r2_level" + suffix] = r2_score(p["actual"], p["predicted"], sample_weight=w)
                row["r2_change" + suffix] = r2_score(p["actual"] - p["past"], p["predicted"] - p["past"],
                                                     sample_weight=w)
                row["mae" + suffix] = mean_absolute_error(p["actual"], p["predicted"], sample_weight=w)
            rows.append(row)
        return pd.DataFrame(rows).set_index("scheme")


SCHEMES = ("county", "state")


def cross_validate_counties(model, table: CountyTable, features="demographic", *, target: str = "level",
                            weighted: bool = False, schemes=SCHEMES, n_splits: int = 5,
                            seed: int = 0) -> CVResult:
    """Out-of-fold predictions on held-out counties and on held-out states.

    Parameters
    ----------
    model : sklearn regressor
        Cloned and refitted on every training fold.
    table : CountyTable
        From :func:`county_table`.
    features : str or list of str
        A named set (``"demographic"``, ``"with_past"``) or explicit names.
    target : {"level", "swing"}
        Fit the 2016 share, or its change since 2012 (predictions are then
        turned back into 2016 shares by adding the 2012 share).
    weighted : bool
        Fit with each county's two-party votes as ``sample_weight``.
    schemes : sequence of {"county", "state"}
        ``"county"``: shuffled K-fold; ``"state"``: ``GroupKFold`` on states,
        every test state unseen as a whole.
    n_splits : int
        Folds per scheme.
    seed : int
        Shuffling seed of the county folds.
    """
    if not isinstance(table, CountyTable):
        raise TypeError("table must be a CountyTable (see county_table)")
    if target not in ("level", "swing"):
        raise ValueError(f"target must be 'level' or 'swing', got {target!r}")
    unknown = [s for s in schemes if s not in SCHEMES]
    if unknown or not schemes:
        raise ValueError(f"unknown schemes {unknown}; choose from {SCHEMES}")
    n_states = table.groups.nunique()
    if not 2 <= n_splits <= min(len(table.data), n_states):
        raise ValueError(f"n_splits must be between 2 and {min(len(table.data), n_states)}, got {n_splits}")
    X, groups = table.X(features), table.groups.to_numpy()
    level = table.y.to_numpy(dtype=float)
    past = table.data["gop_two_party_2012"].to_numpy(dtype=float)
    votes = table.votes.to_numpy(dtype=float)
    y = level if target == "level" else level - past
    splitters = {"county": KFold(n_splits, shuffle=True, random_state=seed),
                 "state": GroupKFold(n_splits)}
    preds = []
    for scheme in schemes:
        for fold, (train, test) in enumerate(
                splitters[scheme].split(X, y, groups if scheme == "state" else None)):
            fitted = _fit(clone(model), X.iloc[train], y[train], votes[train] if weighted else None)
            predicted = np.asarray(fitted.predict(X.iloc[test]), dtype=float)
            if target == "swing":
                predicted = predicted + past[test]
            preds.append(pd.DataFrame({"scheme": scheme, "fold": fold,
                                       "fips": table.data["fips"].to_numpy()[test],
                                       "state": groups[test], "votes": votes[test], "past": past[test],
                                       "actual": level[test], "predicted": predicted,
                                       "residual": level[test] - predicted}))
    return CVResult(predictions=pd.concat(preds, ignore_index=True), target=target, weighted=weighted)


def per_state_scores(predictions: pd.DataFrame) -> pd.DataFrame:
    """Per state: counties, mean residual (counties) and vote-weighted residual, MAE.

    Parameters
    ----------
    predictions : pandas.DataFrame
        One scheme's rows of :attr:`CVResult.predictions`.
    """
    needed = {"state", "votes", "residual"}
    if not isinstance(predictions, pd.DataFrame) or not needed <= set(predictions.columns):
        raise ValueError(f"predictions must be a DataFrame with columns {sorted(needed)}")
    if "scheme" in predictions and predictions["scheme"].nunique() > 1:
        raise ValueError("pass the predictions of one scheme, e.g. p[p['scheme'] == 'state']")
    g = predictions.assign(wr=predictions["residual"] * predictions["votes"],
                           ar=predictions["residual"].abs())
    out = g.groupby("state").agg(counties=("residual", "size"), mean_residual=("residual", "mean"),
                                 wr=("wr", "sum"), votes=("votes", "sum"), mae=("ar", "mean"))
    out["vote_weighted_residual"] = out.pop("wr") / out["votes"]
    return out.sort_values("vote_weighted_residual")


def grouped_permutation_importance(model, table: CountyTable, features="demographic", *,
                                   target: str = "level", n_splits: int = 5, n_repeats: int = 3,
                                   seed: int = 0) -> pd.DataFrame:
    """Permutation importance under the state-held-out scheme.

    For each ``GroupKFold`` fold the model is fitted on the training states
    and its features are shuffled on the held-out states (scikit-learn's
    :func:`~sklearn.inspection.permutation_importance`, R² drop). Returns
    one row per feature and fold (``feature``, ``fold``, ``importance``),
    so the spread across folds is visible.
    """
    from sklearn.inspection import permutation_importance

    if target not in ("level", "swing"):
        raise ValueError(f"target must be 'level' or 'swing', got {target!r}")
    X = table.X(features)
    y = (table.y if target == "level" else table.data[SWING]).to_numpy(dtype=float)
    rows = []
    for fold, (train, test) in enumerate(GroupKFold(n_splits).split(X, y, table.groups)):
        fitted = clone(model).fit(X.iloc[train], y[train])
        result = permutation_importance(fitted, X.iloc[test], y[test], scoring="r2", n_repeats=n_repeats,
                                        random_state=seed, n_jobs=1)
        rows.append(pd.DataFrame({"feature": list(X.columns), "importance": result.importances_mean,
                                  "fold": fold}))
    return pd.concat(rows, ignore_index=True)


def plot_importance_folds(frame: pd.DataFrame, *, top: int = 8, title: str, subtitle: str | None = None,
                          x_title: str = "Drop in R² when shuffled", width: int = 200):
    """Mean importance (bar) and each fold (dots) of :func:`grouped_permutation_importance`."""
    from xaibook.style import PALETTE, titled

    if not isinstance(frame, pd.DataFrame) or not {"feature", "fold", "importance"} <= set(frame.columns):
        raise ValueError("frame must come from grouped_permutation_importance")
    mean = frame.groupby("feature")["importance"].mean().sort_values(ascending=False).head(top)
    data = frame[frame["feature"].isin(mean.index)].assign(
        label=lambda d: d["feature"].map(lambda f: _SHORT.get(f, f)))
    order = [_SHORT.get(f, f) for f in mean.index]
    y = alt.Y("label:N", sort=order, title=None)
    bars = alt.Chart(data).mark_bar(color=PALETTE[0], opacity=0.5).encode(
        x=alt.X("mean(importance):Q", title=x_title), y=y,
        tooltip=[alt.Tooltip("label:N", title="feature"),
                 alt.Tooltip("mean(importance):Q", title="mean over folds", format=".3f")])
    dots = alt.Chart(data).mark_point(color="#333", size=20).encode(
        x="importance:Q", y=y, tooltip=[alt.Tooltip("fold:O"), alt.Tooltip("importance:Q", format=".3f")])
    return alt.layer(bars, dots).properties(width=width, height=alt.Step(16),
                                            title=titled(title, subtitle))


#: Short feature labels for narrow (phone-width) charts.
_SHORT = {
    "no_high_school_pct": "No HS diploma %", "bachelors_pct": "Bachelor's+ %",
    "white_non_hispanic_pct": "White non-Hisp. %", "black_pct": "Black %", "hispanic_pct": "Hispanic %",
    "asian_pct": "Asian %", "native_american_pct": "Native Amer. %", "foreign_born_pct": "Foreign born %",
    "age_65_plus_pct": "65+ %", "under_18_pct": "Under 18 %", "median_income": "Median income $",
    "poverty_pct": "Poverty %", "homeownership_pct": "Home owners %", "log10_density": "log10 density",
    "gop_two_party_2012": "GOP 2-party 2012 %",
}


def ale_frame(model, X: pd.DataFrame, feature: str, *, bins: int = 20) -> pd.DataFrame:
    """First-order accumulated local effects of one numeric feature (Apley & Zhu, 2020).

    The feature's range is cut at its quantiles; within each interval the
    model's prediction is compared at the interval's two ends *for the rows
    that lie in it* (so no row is moved far from where data exist), the
    average differences are accumulated, and the curve is centred so that
    its mean over the rows is zero.

    Returns
    -------
    pandas.DataFrame
        ``feature``, ``value`` (interval edges), ``effect``; ``count`` rows per interval
        (0 at the first edge).
    """
    if not isinstance(X, pd.DataFrame) or feature not in X.columns:
        raise ValueError(f"X must be a DataFrame with the column {feature!r}")
    x = X[feature].to_numpy(dtype=float)
    if not np.isfinite(x).all():
        raise ValueError(f"{feature!r} has missing or infinite values")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)))
    if edges.size < 2:
        raise ValueError(f"{feature!r} is constant: no effect to accumulate")
    k = np.clip(np.searchsorted(edges, x, side="left") - 1, 0, edges.size - 2)
    low, high = X.copy(), X.copy()
    low[feature], high[feature] = edges[k], edges[k + 1]
    diff = np.asarray(model.predict(high), float) - np.asarray(model.predict(low), float)
    counts = np.bincount(k, minlength=edges.size - 1)
    mean_diff = np.bincount(k, weights=diff, minlength=edges.size - 1) / np.maximum(counts, 1)
    effect = np.concatenate([[0.0], np.cumsum(mean_diff)])
    # centre: subtract the data-weighted mean of the curve (mid-interval values)
    mid = (effect[:-1] + effect[1:]) / 2
    effect = effect - np.sum(mid * counts) / counts.sum()
    return pd.DataFrame({"feature": feature, "value": edges, "effect": effect,
                         "count": np.concatenate([[0], counts])})


def plot_pd_ale(model, X: pd.DataFrame, features, *, bins: int = 20, max_samples: int = 600,
                columns: int = 2, width: int = 130, height: int = 110, title: str,
                subtitle: str | None = None, y_title: str = "Effect, points"):
    """Partial dependence and ALE of each feature, both centred, side by side in one panel.

    Partial dependence (scikit-learn, via :func:`xaibook.tabular.dependence.partial_dependence_frame`)
    sets the feature to each grid value in every row, creating combinations
    that may not exist when features are correlated; ALE only moves rows
    within the interval where they lie. Both curves are centred on their
    mean, so the chart compares shapes.

    Returns
    -------
    chart : altair.FacetChart
    frame : pandas.DataFrame
        ``feature``, ``method``, ``value``, ``effect``.
    """
    from xaibook.style import PALETTE, titled
    from xaibook.tabular.dependence import partial_dependence_frame

    features = [features] if isinstance(features, str) else list(features)
    pd_frame = partial_dependence_frame(model, X, features, kind="average", max_samples=max_samples)
    parts = []
    for f in features:
        v = pd_frame[pd_frame["feature"] == f]
        parts.append(pd.DataFrame({"feature": f, "method": "partial dependence",
                                   "value": v["value"].astype(float).to_numpy(),
                                   "effect": (v["prediction"] - v["prediction"].mean()).to_numpy()}))
        a = ale_frame(model, X, f, bins=bins)
        parts.append(a[["feature", "value", "effect"]].assign(method="ALE"))
    frame = pd.concat(parts, ignore_index=True)
    frame["panel"] = frame["feature"].map(lambda f: _SHORT.get(f, f))
    chart = alt.Chart(frame).mark_line().encode(
        x=alt.X("value:Q", title=None, axis=alt.Axis(tickCount=4, format="~s")),
        y=alt.Y("effect:Q", title=y_title, axis=alt.Axis(format="~r")),
        color=alt.Color("method:N", scale=alt.Scale(range=PALETTE[:2]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["panel:N", "method:N", alt.Tooltip("value:Q", format=".1f"),
                 alt.Tooltip("effect:Q", format=".2f")],
    ).properties(width=width, height=height).facet(
        facet=alt.Facet("panel:N", title=None, sort=[_SHORT.get(f, f) for f in features]), columns=columns,
    ).resolve_scale(x="independent").properties(title=titled(title, subtitle))
    return chart, frame


_SCHEME_LABELS = {"county": "held-out counties", "state": "held-out states"}


def plot_cv_scores(results: dict, *, metric: str = "r2_level", title: str = "Accuracy on data the model never saw",
                   subtitle: str | None = None, x_title: str = "R²", width: int = 160):
    """Pooled out-of-fold scores of several models, both schemes, counties and voters.

    Parameters
    ----------
    results : dict of {str: CVResult}
    metric : str
        A column of :meth:`CVResult.summary` without the ``_w`` suffix; the chart
        shows it unweighted (each county once) and vote-weighted.
    """
    from xaibook.style import PALETTE, titled

    if not isinstance(results, dict) or not results or \
            not all(isinstance(r, CVResult) for r in results.values()):
        raise TypeError("results must be a non-empty dict of {model name: CVResult}")
    rows = []
    for name, r in results.items():
        s = r.summary()
        for scheme in s.index:
            for weight, col in (("counties", metric), ("voters", metric + "_w")):
                if col not in s.columns:
                    raise ValueError(f"unknown metric {metric!r}; choose from {list(s.columns)}")
                rows.append({"model": name, "validation": _SCHEME_LABELS[scheme], "weight": weight,
                             "score": float(s.loc[scheme, col])})
    data = pd.DataFrame(rows)
    low = float(min(0.0, data["score"].min()))
    high = float(max(1.0, data["score"].max())) if metric.startswith("r2") else float(data["score"].max())
    chart = alt.Chart(data).mark_point(filled=True, size=50).encode(
        x=alt.X("score:Q", title=x_title, scale=alt.Scale(domain=[low, high])),
        y=alt.Y("model:N", sort=list(results), title=None, axis=alt.Axis(labelLimit=150)),
        yOffset=alt.YOffset("validation:N"),
        color=alt.Color("validation:N", scale=alt.Scale(range=PALETTE[:2]),
                        legend=alt.Legend(title=None, orient="bottom", direction="vertical")),
        shape=alt.Shape("weight:N", legend=alt.Legend(title=None, orient="bottom", direction="vertical")),
        tooltip=["model", "validation", "weight", alt.Tooltip("score:Q", format=".3f")],
    ).properties(width=width, height=alt.Step(14), title=titled(title, subtitle))
    return chart


def between_state_share(predictions: pd.DataFrame, column: str = "residual") -> float:
    """Share of the variance of ``column`` that lies between states (0 to 1).

    The R² of state means: 0 when every state's counties average the same,
    1 when counties of a state are all alike. Large for residuals means the
    model's errors are shared by neighbours, i.e. spatial dependence the
    features do not capture.
    """
    if not isinstance(predictions, pd.DataFrame) or not {"state", column} <= set(predictions.columns):
        raise ValueError(f"predictions must be a DataFrame with columns 'state' and {column!r}")
    values = predictions[column].astype(float)
    if len(values) < 2 or values.isna().any():
        raise ValueError(f"{column!r} needs at least two values and no missing ones")
    total = float(((values - values.mean()) ** 2).sum())
    if total == 0:
        raise ValueError(f"{column!r} is constant: no variance to split")
    means = values.groupby(predictions["state"]).transform("mean")
    return float(((means - values.mean()) ** 2).sum() / total)


def ecological_bounds(group_share, outcome_share) -> pd.DataFrame:
    """What aggregate data allow about a group's behaviour (the method of bounds).

    If a fraction ``g`` of a county belongs to a group and a fraction ``r``
    of the county voted one way, the fraction of the group that voted that
    way can be anything in ``[max(0, (r - (1 - g)) / g), min(1, r / g)]``
    with no further assumption (Duncan and Davis, 1953). Fractions in [0, 1].

    Returns
    -------
    pandas.DataFrame
        ``lower``, ``upper`` and ``width`` (``upper - lower``), NaN where ``g`` is 0.
    """
    g = np.asarray(group_share, dtype=float)
    r = np.asarray(outcome_share, dtype=float)
    if g.shape != r.shape:
        raise ValueError(f"group_share and outcome_share differ in shape: {g.shape} vs {r.shape}")
    for name, v in (("group_share", g), ("outcome_share", r)):
        if np.any((v < 0) | (v > 1)):
            raise ValueError(f"{name} must be fractions in [0, 1] (did you pass percentages?)")
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(g > 0, np.maximum(0.0, (r - (1 - g)) / g), np.nan)
        upper = np.where(g > 0, np.minimum(1.0, r / g), np.nan)
    return pd.DataFrame({"lower": lower, "upper": upper, "width": upper - lower})


@dataclass(frozen=True)
class GoodmanResult:
    """Goodman's ecological regression of an outcome share on a group share.

    Attributes
    ----------
    group_rate, rest_rate : float
        Estimated outcome rate inside the group and outside it (fractions),
        valid only if these rates are the same in every unit (the *constancy*
        assumption); values outside [0, 1] show that it fails.
    n : int
        Units used.
    """

    group_rate: float
    rest_rate: float
    n: int

    @property
    def possible(self) -> bool:
        """Whether both rates are possible fractions."""
        return 0 <= self.group_rate <= 1 and 0 <= self.rest_rate <= 1


def goodman_regression(group_share, outcome_share, *, weights=None) -> GoodmanResult:
    """Goodman's (1953) ecological regression: ``r = b_rest + (b_group − b_rest) g``.

    If every unit's group votes one way at the same rate ``b_group`` and
    everyone else at ``b_rest``, the outcome share ``r`` is linear in the
    group share ``g``; a (weighted) least-squares line recovers both rates.
    Fractions in [0, 1].

    >>> g = [0.1, 0.5, 0.9]; r = [0.2 * x + 0.6 * (1 - x) for x in g]
    >>> res = goodman_regression(g, r); round(res.group_rate, 3), round(res.rest_rate, 3)
    (0.2, 0.6)
    """
    g = np.asarray(group_share, dtype=float)
    r = np.asarray(outcome_share, dtype=float)
    if g.shape != r.shape or g.ndim != 1:
        raise ValueError(f"group_share and outcome_share must be 1-D and equal in length: {g.shape} vs {r.shape}")
    for name, v in (("group_share", g), ("outcome_share", r)):
        if np.any((v < 0) | (v > 1)) or not np.isfinite(v).all():
            raise ValueError(f"{name} must be fractions in [0, 1] (did you pass percentages?)")
    if np.ptp(g) == 0:
        raise ValueError("group_share is the same everywhere: the regression has no slope to fit")
    w = np.ones_like(g) if weights is None else np.asarray(weights, dtype=float)
    design = np.column_stack([np.ones_like(g), g]) * np.sqrt(w)[:, None]
    (intercept, slope), *_ = np.linalg.lstsq(design, r * np.sqrt(w), rcond=None)
    return GoodmanResult(group_rate=float(intercept + slope), rest_rate=float(intercept), n=int(g.size))
