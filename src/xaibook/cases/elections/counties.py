"""County-level election modelling: feature sets, exclusions, honest evaluation.

The election data (:func:`xaibook.data.load_elections`) describe US
counties: 2012 and 2016 presidential results joined with census QuickFacts.
This module turns that join into a modelling table and evaluates regressors
on it without fooling ourselves:

* :data:`DEMOGRAPHIC_FEATURES` (education, race and ethnicity, age, income,
  poverty, housing, density) versus :data:`LEAKY_FEATURES`, which add the
  2012 vote shares. The 2012 result is almost the 2016 result, so a model
  that sees it scores a near-perfect R² while explaining nothing new.
* :func:`county_table` drops counties whose results cannot be trusted (Alaska
  reports by election district, not by borough: the file has no 2012 results
  there and repeats the statewide 2016 totals on every borough) and says why.
* :func:`cross_validate_counties` scores a model on held-out counties
  (shuffled K-fold) and on held-out states (``GroupKFold``): neighbouring
  counties resemble each other, so the second is the harder, more honest test.
* :class:`UniformSwingRegressor` is the "nothing new" baseline: last
  election's share plus one national swing.

All shares are in percent (0–100), like the census percentages.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import GroupKFold, KFold

__all__ = [
    "DEMOGRAPHIC_FEATURES", "PAST_VOTE_FEATURES", "LEAKY_FEATURES", "FEATURE_LABELS",
    "TARGET", "TARGET_LABEL", "CountyTable", "CVResult", "UniformSwingRegressor",
    "SCHEMES", "county_table", "unreliable_counties", "feature_set", "cross_validate_counties",
    "between_state_share", "ecological_bounds", "plot_cv_scores",
]

# readable name -> (source column in load_elections(), label for charts)
_DEMOGRAPHIC_SOURCES: dict[str, tuple[str, str]] = {
    "bachelors_pct": ("bachelors_degree_or_higher_percent_of_persons_age_25_2009_2013",
                      "Bachelor's degree or higher, % of adults 25+"),
    "high_school_pct": ("high_school_graduate_or_higher_percent_of_persons_age_25_2009_2013",
                        "High school or higher, % of adults 25+"),
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
_DENSITY_SOURCE = "population_per_square_mile_2010"
_DENSITY_FLOOR = 0.1  # people per square mile; keeps log10 finite

#: Census features that describe who lives in a county (no past votes).
DEMOGRAPHIC_FEATURES: list[str] = [*_DEMOGRAPHIC_SOURCES, "log10_density"]
#: The previous election's shares, in percent.
PAST_VOTE_FEATURES: list[str] = ["gop_share_2012", "dem_share_2012"]
#: The original analysis' predictor set: demographics plus the 2012 result.
LEAKY_FEATURES: list[str] = DEMOGRAPHIC_FEATURES + PAST_VOTE_FEATURES
#: Target column: Republican share of the 2016 vote, in percent.
TARGET = "gop_share_2016"
TARGET_LABEL = "Republican share 2016, %"
#: Chart labels for every feature and the target.
FEATURE_LABELS: dict[str, str] = {
    **{name: label for name, (_, label) in _DEMOGRAPHIC_SOURCES.items()},
    "log10_density": "Population density, log10(people per sq. mile)",
    "gop_share_2012": "Republican share 2012, %",
    "dem_share_2012": "Democratic share 2012, %",
    TARGET: TARGET_LABEL,
}

_REQUIRED = (["fips", "state_abbr", "area_name", "per_gop_2016", "per_gop_2012", "per_dem_2012",
              "total_votes_2016", _DENSITY_SOURCE]
             + [source for source, _ in _DEMOGRAPHIC_SOURCES.values()])


def feature_set(name: str) -> list[str]:
    """Feature names of a named set: ``"demographic"`` or ``"leaky"``.

    >>> feature_set("leaky")[-2:]
    ['gop_share_2012', 'dem_share_2012']
    """
    sets = {"demographic": DEMOGRAPHIC_FEATURES, "leaky": LEAKY_FEATURES}
    if name not in sets:
        raise ValueError(f"unknown feature set {name!r}; choose one of {sorted(sets)}")
    return list(sets[name])


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
    figure instead of county results (Alaska reports by election district).

    Parameters
    ----------
    frame : pandas.DataFrame
        The joined election frame.
    report : JoinReport, optional
        Its join report; without it, missing 2012 shares are found in ``frame``.

    Returns
    -------
    pandas.DataFrame
        ``fips``, ``state_abbr``, ``area_name``, ``reason``; one row per county.
    """
    _check_columns(frame, ["fips", "state_abbr", "area_name", "per_gop_2012", "total_votes_2016"],
                   "the election frame")
    if report is not None:
        if not hasattr(report, "no_2012"):
            raise TypeError("report must be the JoinReport returned by load_elections(return_report=True)")
        no_2012 = set(report.no_2012["fips"])
    else:
        no_2012 = set(frame.loc[frame["per_gop_2012"].isna(), "fips"])
    per_state = frame.groupby("state_abbr")["total_votes_2016"].agg(["nunique", "size"])
    repeated = set(per_state.index[(per_state["nunique"] == 1) & (per_state["size"] > 1)])

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
        feature of :data:`LEAKY_FEATURES`, :data:`TARGET` and
        ``swing_2012_2016`` (change in the Republican share, points).
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
        """The target, :data:`TARGET`."""
        return self.data[TARGET]

    @property
    def groups(self) -> pd.Series:
        """The state of each county, for group-wise cross-validation."""
        return self.data["state"]


def county_table(frame: pd.DataFrame, report=None, *, drop_unreliable: bool = True) -> CountyTable:
    """Build the modelling table from the joined election frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``load_elections()`` output.
    report : JoinReport, optional
        Its join report (recommended: it lists counties without 2012 results).
    drop_unreliable : bool
        Drop the counties of :func:`unreliable_counties` (default).

    Returns
    -------
    CountyTable
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
    for name, (source, _) in _DEMOGRAPHIC_SOURCES.items():
        data[name] = src[source].astype(float)
    data["log10_density"] = np.log10(src[_DENSITY_SOURCE].astype(float).clip(lower=_DENSITY_FLOOR))
    data["gop_share_2012"] = 100 * src["per_gop_2012"].astype(float)
    data["dem_share_2012"] = 100 * src["per_dem_2012"].astype(float)
    data[TARGET] = 100 * src["per_gop_2016"].astype(float)
    data["swing_2012_2016"] = data[TARGET] - data["gop_share_2012"]
    data = data.reset_index(drop=True)
    if drop_unreliable:
        bad = data[LEAKY_FEATURES + [TARGET]].isna().any(axis=1)
        if bad.any():
            raise ValueError(f"{int(bad.sum())} counties have missing values after exclusions, "
                             f"e.g. FIPS {data.loc[bad, 'fips'].head(5).tolist()}")
    return CountyTable(data=data, excluded=excluded if drop_unreliable else excluded.iloc[:0])


class UniformSwingRegressor(RegressorMixin, BaseEstimator):
    """Last election's share plus one average swing: the "nothing new" model.

    Parameters
    ----------
    column : str
        Feature holding the previous share (default ``"gop_share_2012"``).
    """

    def __init__(self, column: str = "gop_share_2012"):
        self.column = column

    def _past(self, X) -> np.ndarray:
        if not isinstance(X, pd.DataFrame) or self.column not in X.columns:
            raise ValueError(f"UniformSwingRegressor needs a DataFrame with column {self.column!r}")
        return X[self.column].to_numpy(dtype=float)

    def fit(self, X, y):
        past = self._past(X)
        self.swing_ = float(np.mean(np.asarray(y, dtype=float) - past))
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X) -> np.ndarray:
        if not hasattr(self, "swing_"):
            raise ValueError("UniformSwingRegressor is not fitted yet; call fit first")
        return self._past(X) + self.swing_


@dataclass(frozen=True)
class CVResult:
    """Cross-validated scores and out-of-fold predictions.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per scheme and fold: ``scheme``, ``fold``, ``n_train``,
        ``n_test``, ``r2``, ``mae`` (points of share).
    predictions : pandas.DataFrame
        One row per scheme and county: ``scheme``, ``fold``, ``fips``,
        ``state``, ``actual``, ``predicted``, ``residual`` (actual − predicted).
    """

    scores: pd.DataFrame
    predictions: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Per scheme: pooled out-of-fold R² and MAE, and the fold spread of R²."""
        rows = []
        for scheme, pred in self.predictions.groupby("scheme", sort=False):
            folds = self.scores[self.scores["scheme"] == scheme]["r2"]
            rows.append({"scheme": scheme,
                         "r2": r2_score(pred["actual"], pred["predicted"]),
                         "mae": mean_absolute_error(pred["actual"], pred["predicted"]),
                         "r2_fold_min": folds.min(), "r2_fold_max": folds.max()})
        return pd.DataFrame(rows).set_index("scheme")


SCHEMES = ("county", "state")


def cross_validate_counties(model, table: CountyTable, features="demographic", *,
                            schemes=SCHEMES, n_splits: int = 5, seed: int = 0) -> CVResult:
    """Score ``model`` on held-out counties and on held-out states.

    Parameters
    ----------
    model : sklearn regressor
        Cloned and refitted on every training fold.
    table : CountyTable
        From :func:`county_table`.
    features : str or list of str
        A named set (``"demographic"``, ``"leaky"``) or explicit names.
    schemes : sequence of {"county", "state"}
        ``"county"``: shuffled K-fold, test counties are scattered across the
        map, so their neighbours are in training. ``"state"``: ``GroupKFold``
        on states, every test state is unseen as a whole.
    n_splits : int
        Folds per scheme.
    seed : int
        Shuffling seed of the county folds.

    Returns
    -------
    CVResult
    """
    if not isinstance(table, CountyTable):
        raise TypeError("table must be a CountyTable (see county_table)")
    unknown = [s for s in schemes if s not in SCHEMES]
    if unknown or not schemes:
        raise ValueError(f"unknown schemes {unknown}; choose from {SCHEMES}")
    n_states = table.groups.nunique()
    if not 2 <= n_splits <= min(len(table.data), n_states):
        raise ValueError(f"n_splits must be between 2 and {min(len(table.data), n_states)}, got {n_splits}")
    X, y, groups = table.X(features), table.y.to_numpy(), table.groups.to_numpy()
    splitters = {"county": KFold(n_splits, shuffle=True, random_state=seed),
                 "state": GroupKFold(n_splits)}
    scores, preds = [], []
    for scheme in schemes:
        for fold, (train, test) in enumerate(
                splitters[scheme].split(X, y, groups if scheme == "state" else None)):
            fitted = clone(model).fit(X.iloc[train], y[train])
            predicted = np.asarray(fitted.predict(X.iloc[test]), dtype=float)
            scores.append({"scheme": scheme, "fold": fold, "n_train": len(train), "n_test": len(test),
                           "r2": r2_score(y[test], predicted),
                           "mae": mean_absolute_error(y[test], predicted)})
            preds.append(pd.DataFrame({"scheme": scheme, "fold": fold,
                                       "fips": table.data["fips"].to_numpy()[test],
                                       "state": groups[test], "actual": y[test],
                                       "predicted": predicted, "residual": y[test] - predicted}))
    predictions = pd.concat(preds, ignore_index=True)
    return CVResult(scores=pd.DataFrame(scores), predictions=predictions)


_SCHEME_LABELS = {"county": "held-out counties", "state": "held-out states"}


def plot_cv_scores(results: dict, *, title: str = "Accuracy on data the model never saw",
                   subtitle: str | None = "R² of each cross-validation fold; bars: pooled out-of-fold R²"):
    """Fold-by-fold R² of several models under both validation schemes.

    Parameters
    ----------
    results : dict of {str: CVResult}
        Model name to its :func:`cross_validate_counties` result.

    Returns
    -------
    altair.LayerChart
        Bars of pooled R², dots for folds; one row per model, colour by scheme.
    """
    from xaibook.style import PALETTE, titled

    if not isinstance(results, dict) or not results or \
            not all(isinstance(r, CVResult) for r in results.values()):
        raise TypeError("results must be a non-empty dict of {model name: CVResult}")
    folds = pd.concat([r.scores.assign(model=name) for name, r in results.items()], ignore_index=True)
    pooled = pd.concat([r.summary().reset_index().assign(model=name) for name, r in results.items()],
                       ignore_index=True)
    for frame in (folds, pooled):
        frame["validation"] = frame["scheme"].map(_SCHEME_LABELS)
    order = list(results)
    low = float(min(0.0, folds["r2"].min()))
    y = alt.Y("model:N", sort=order, title=None)
    y_offset = alt.YOffset("validation:N", sort=list(_SCHEME_LABELS.values()))
    color = alt.Color("validation:N", sort=list(_SCHEME_LABELS.values()),
                      scale=alt.Scale(range=PALETTE[:2]), legend=alt.Legend(title="Validation", orient="bottom"))
    x = alt.X("r2:Q", title="R² (1 = perfect, 0 = predicting the mean)", scale=alt.Scale(domain=[low, 1]))
    bars = alt.Chart(pooled[["model", "validation", "r2", "mae"]]).mark_bar(opacity=0.35).encode(
        x=x, y=y, yOffset=y_offset, color=color,
        tooltip=["model", "validation", alt.Tooltip("r2:Q", title="pooled R²", format=".3f"),
                 alt.Tooltip("mae:Q", title="MAE, points", format=".2f")])
    dots = alt.Chart(folds[["model", "validation", "fold", "r2"]]).mark_point(filled=True, size=45).encode(
        x=x, y=y, yOffset=y_offset, color=color,
        tooltip=["model", "validation", "fold", alt.Tooltip("r2:Q", title="fold R²", format=".3f")])
    return alt.layer(bars, dots).properties(title=titled(title, subtitle), width=380,
                                            height=alt.Step(16))


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
