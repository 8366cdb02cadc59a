"""ProPublica's "Machine Bias" analysis of COMPAS, as small reusable functions.

Larson, Mattu, Kirchner and Angwin (2016) filtered Broward County's two-year
COMPAS file, cut the decile score into "low" versus "medium or high" risk, and
compared the resulting error rates of Black and white defendants. This module
reproduces each step on the raw file returned by
:func:`xaibook.data.load_compas`:

:func:`filter_propublica`
    ProPublica's row filter, step by step, with the number of rows each
    condition removes.
:func:`score_outcome_table`
    COMPAS's score category against two-year recidivism, per group.
:func:`score_error_rates`
    False positive / false negative / selection rates per group when
    "medium or high" (or any cut of the decile score) counts as a positive
    prediction.
:func:`calibration_by_decile`
    Observed recidivism rate per decile score and group (calibration).
:func:`decile_counts`, :func:`plot_decile_distribution`
    How each group's decile scores are distributed.
:func:`plot_calibration_by_decile`
    The calibration table as a chart.
:func:`impossibility_table`
    Chouldechova's identity linking base rate, PPV, FNR and FPR: why equal
    calibration and equal error rates cannot hold at once when base rates
    differ.

Error rates are computed from confusion counts by
:func:`xaibook.tabular.whatif.confusion_counts`, the same code the what-if explorer
uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xaibook.tabular.whatif import confusion_counts

__all__ = [
    "PROPUBLICA_PUBLISHED",
    "PROPUBLICA_SAMPLE_ROWS",
    "FilterResult",
    "filter_propublica",
    "score_outcome_table",
    "score_error_rates",
    "calibration_by_decile",
    "impossibility_table",
    "compare_published",
    "decile_counts",
    "plot_decile_distribution",
    "plot_calibration_by_decile",
]

#: Rows in ProPublica's filtered two-year sample ("Compas Analysis.ipynb").
PROPUBLICA_SAMPLE_ROWS = 6_172

#: Error rates published by ProPublica (article and notebook), as fractions.
#: ``fpr``: among people who did not reoffend within two years, the share
#: labelled medium or high risk; ``fnr``: among those who did, the share
#: labelled low risk.
PROPUBLICA_PUBLISHED = {
    ("African-American", "fpr"): 0.449,
    ("Caucasian", "fpr"): 0.235,
    ("African-American", "fnr"): 0.280,
    ("Caucasian", "fnr"): 0.477,
}

_FILTER_COLUMNS = ["days_b_screening_arrest", "is_recid", "c_charge_degree", "score_text"]


def _require(frame: pd.DataFrame, columns, what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} expects a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; "
                         "expected ProPublica's compas-scores-two-years.csv layout")


@dataclass(frozen=True)
class FilterResult:
    """The outcome of :func:`filter_propublica`.

    Attributes
    ----------
    data : pandas.DataFrame
        The rows kept (original index preserved).
    steps : pandas.DataFrame
        One row per condition, applied in order: ``step`` (a description),
        ``removed`` (rows this condition removed among those left by the
        previous ones) and ``remaining``.
    """

    data: pd.DataFrame
    steps: pd.DataFrame

    @property
    def n_rows(self) -> int:
        """Number of rows kept."""
        return len(self.data)


def filter_propublica(frame: pd.DataFrame, *, max_days: int = 30) -> FilterResult:
    """Apply ProPublica's filter to the two-year COMPAS file.

    The conditions, in ProPublica's order (their R / pandas code):

    1. the COMPAS screening happened within ``max_days`` days of the arrest
       (``-max_days <= days_b_screening_arrest <= max_days``; a missing
       value fails the test), otherwise the score may refer to another case;
    2. ``is_recid != -1`` (a recidivism status was found);
    3. ``c_charge_degree != "O"`` (ordinary traffic offences, which do not
       lead to jail, are removed);
    4. a score is present (``score_text`` is not missing or ``"N/A"``).

    Parameters
    ----------
    frame : pandas.DataFrame
        The raw file, e.g. from :func:`xaibook.data.load_compas`.
    max_days : int, default=30
        Largest accepted gap, in days, between arrest and screening.

    Returns
    -------
    FilterResult
        The kept rows and a table of how many rows each step removed.
    """
    _require(frame, _FILTER_COLUMNS, "filter_propublica")
    if not isinstance(max_days, (int, np.integer)) or max_days < 0:
        raise ValueError(f"max_days must be a non-negative integer, got {max_days!r}")
    days = frame["days_b_screening_arrest"]
    score = frame["score_text"].astype(object)
    conditions = [
        (f"screened within {max_days} days of arrest",
         days.between(-max_days, max_days)),  # NaN -> False
        ("recidivism status known", frame["is_recid"] != -1),
        ("not an ordinary traffic offence",
         frame["c_charge_degree"].astype(object) != "O"),
        ("COMPAS score present", score.notna() & (score != "N/A")),
    ]
    keep = pd.Series(True, index=frame.index)
    rows = []
    for label, cond in conditions:
        new_keep = keep & cond.fillna(False).astype(bool)
        rows.append({"step": label, "removed": int(keep.sum() - new_keep.sum()),
                     "remaining": int(new_keep.sum())})
        keep = new_keep
    steps = pd.DataFrame([{"step": "two-year file", "removed": 0,
                           "remaining": len(frame)}] + rows)
    return FilterResult(data=frame.loc[keep].copy(), steps=steps)


def _groups(frame: pd.DataFrame, group: str, groups) -> list:
    present = list(pd.unique(frame[group].astype(object).dropna()))
    if groups is None:
        return sorted(present, key=str)
    groups = list(groups)
    unknown = [g for g in groups if g not in present]
    if unknown:
        raise ValueError(f"group value(s) {unknown} not found in column {group!r}; "
                         f"available: {sorted(present, key=str)}")
    return groups


def score_outcome_table(frame: pd.DataFrame, *, group: str = "race", groups=None,
                        score: str = "score_text",
                        outcome: str = "two_year_recid") -> pd.DataFrame:
    """Counts of COMPAS's score category against the outcome, per group.

    Parameters
    ----------
    frame : pandas.DataFrame
        Filtered COMPAS data.
    group : str, default="race"
        Column defining the groups.
    groups : sequence, optional
        Group values to keep, in display order (default: all, sorted).
    score : str, default="score_text"
        Score category column (Low / Medium / High).
    outcome : str, default="two_year_recid"
        Binary outcome column (1 = re-arrested within two years).

    Returns
    -------
    pandas.DataFrame
        Index ``(group, score)``; columns ``did not reoffend``, ``reoffended``,
        ``n`` and ``recidivism rate``.
    """
    _require(frame, [group, score, outcome], "score_outcome_table")
    keep = _groups(frame, group, groups)
    sub = frame[frame[group].astype(object).isin(keep)]
    y = _binary(sub[outcome], outcome)
    table = pd.crosstab([sub[group].astype(object), sub[score]], y)
    table = table.reindex(columns=[0, 1], fill_value=0)
    table.columns = ["did not reoffend", "reoffended"]
    table.index.names = [group, score]
    table["n"] = table.sum(axis=1)
    table["recidivism rate"] = table["reoffended"] / table["n"]
    order = {g: i for i, g in enumerate(keep)}
    return table.sort_index(level=0, key=lambda s: s.map(order), sort_remaining=False)


def _binary(values: pd.Series, name: str) -> np.ndarray:
    arr = np.asarray(values)
    uniq = set(pd.unique(arr[~pd.isna(arr)]))
    if not uniq <= {0, 1}:
        raise ValueError(f"column {name!r} must be binary 0/1, found values "
                         f"{sorted(uniq, key=str)[:5]}")
    if pd.isna(arr).any():
        raise ValueError(f"column {name!r} has missing values")
    return arr.astype(int)


def score_error_rates(frame: pd.DataFrame, *, group: str = "race", groups=None,
                      high: int | str = "Medium", score: str | None = None,
                      outcome: str = "two_year_recid") -> pd.DataFrame:
    """Per-group error rates of COMPAS's own score.

    A person counts as predicted to reoffend when labelled ``high`` or above:
    by default "Medium" or "High" (ProPublica's cut), equivalently decile
    score 5 or more. Pass an integer to cut the decile score instead
    (``high=8``: only "High").

    Parameters
    ----------
    frame : pandas.DataFrame
        Filtered COMPAS data.
    group : str, default="race"
        Column defining the groups.
    groups : sequence, optional
        Group values to report, in order (default: all, sorted).
    high : {"Medium", "High"} or int, default="Medium"
        Lowest score category, or lowest decile, counted as a positive
        prediction.
    score : str, optional
        Score column; defaults to ``score_text`` for a category and
        ``decile_score`` for an integer ``high``.
    outcome : str, default="two_year_recid"
        Binary outcome column.

    Returns
    -------
    pandas.DataFrame
        One row per group with ``n``, the confusion counts ``tp``, ``fp``,
        ``tn``, ``fn``, and ``base_rate``, ``selection_rate``, ``fpr``,
        ``fnr``, ``ppv``, ``npv`` (see :func:`xaibook.tabular.whatif.confusion_counts`);
        a last row ``"all"`` pools the listed groups.
    """
    if isinstance(high, str):
        levels = ["Low", "Medium", "High"]
        if high not in levels:
            raise ValueError(f"high must be one of {levels} or a decile 1-10, got {high!r}")
        score = score or "score_text"
        _require(frame, [group, score, outcome], "score_error_rates")
        rank = frame[score].astype(object).map({lv: i for i, lv in enumerate(levels)})
        if rank.isna().any():
            raise ValueError(f"column {score!r} has values outside {levels}")
        positive = rank >= levels.index(high)
    else:
        if not 1 <= int(high) <= 10:
            raise ValueError(f"a decile cut must be between 1 and 10, got {high!r}")
        score = score or "decile_score"
        _require(frame, [group, score, outcome], "score_error_rates")
        positive = frame[score] >= high
    keep = _groups(frame, group, groups)
    mask = frame[group].astype(object).isin(keep).to_numpy()
    y = _binary(frame[outcome], outcome)[mask]
    g = frame[group].astype(object).to_numpy()[mask]
    per = confusion_counts(y, positive.to_numpy()[mask].astype(int), g)
    per = per.set_index("group").loc[keep]
    pooled = confusion_counts(y, positive.to_numpy()[mask].astype(int),
                              np.full(len(y), "all"))
    out = pd.concat([per, pooled.set_index("group")])
    out.index.name = group
    return out


def calibration_by_decile(frame: pd.DataFrame, *, group: str = "race", groups=None,
                          score: str = "decile_score",
                          outcome: str = "two_year_recid",
                          z: float = 1.96) -> pd.DataFrame:
    """Observed recidivism rate for each score value and group.

    A score is *calibrated within groups* when people with the same score
    reoffend at the same rate whatever their group.

    Parameters
    ----------
    frame : pandas.DataFrame
        Filtered COMPAS data.
    group : str, default="race"
        Column defining the groups.
    groups : sequence, optional
        Group values to keep (default: all, sorted).
    score : str, default="decile_score"
        Integer score column.
    outcome : str, default="two_year_recid"
        Binary outcome column.
    z : float, default=1.96
        Normal quantile for the Wilson interval of each rate (95 %).

    Returns
    -------
    pandas.DataFrame
        Long table with columns ``group``, ``score``, ``n``, ``reoffended``,
        ``rate``, ``lower`` and ``upper`` (Wilson interval).
    """
    _require(frame, [group, score, outcome], "calibration_by_decile")
    if z <= 0:
        raise ValueError(f"z must be positive, got {z!r}")
    keep = _groups(frame, group, groups)
    sub = frame[frame[group].astype(object).isin(keep)]
    y = _binary(sub[outcome], outcome)
    out = (pd.DataFrame({"group": sub[group].astype(object).to_numpy(),
                         "score": sub[score].to_numpy(), "y": y})
           .groupby(["group", "score"], sort=False)["y"].agg(["size", "sum"])
           .reset_index().rename(columns={"size": "n", "sum": "reoffended"}))
    n, k = out["n"].to_numpy(float), out["reoffended"].to_numpy(float)
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    out["rate"], out["lower"], out["upper"] = p, centre - half, centre + half
    order = {g: i for i, g in enumerate(keep)}
    out = out.sort_values(["group", "score"], key=lambda s: s.map(order) if s.name == "group" else s)
    return out.reset_index(drop=True)


def impossibility_table(rates: pd.DataFrame) -> pd.DataFrame:
    """Chouldechova's identity applied to per-group rates.

    For any binary prediction, with base rate ``p``, positive predictive
    value ``PPV`` and false negative rate ``FNR``::

        FPR = p / (1 - p) * (1 - PPV) / PPV * (1 - FNR)

    So if two groups had the same PPV (calibration of the "high risk" label)
    and the same FNR, different base rates would force different FPRs. The
    table gives, for each group, the observed rates and the FPR the identity
    implies if PPV and FNR were set to the values pooled over all groups.

    Parameters
    ----------
    rates : pandas.DataFrame
        Output of :func:`score_error_rates` or
        :func:`xaibook.tabular.whatif.confusion_counts` indexed by group, with columns
        ``tp``, ``fp``, ``tn``, ``fn``. A row named ``"all"`` is used as the
        pooled reference if present, otherwise the counts are summed.

    Returns
    -------
    pandas.DataFrame
        Columns ``base_rate``, ``ppv``, ``fnr``, ``fpr`` (observed),
        ``fpr_identity`` (the identity evaluated at the observed rates; equal
        to ``fpr`` up to rounding) and ``fpr_if_equal_ppv_fnr``.
    """
    needed = ["tp", "fp", "tn", "fn"]
    if not isinstance(rates, pd.DataFrame) or any(c not in rates for c in needed):
        raise ValueError(f"rates must be a DataFrame with columns {needed}")
    counts = rates[needed].astype(float)
    if "all" in counts.index:
        pooled = counts.loc["all"]
        counts = counts.drop(index="all")
    else:
        pooled = counts.sum()

    def derive(c):
        n = c["tp"] + c["fp"] + c["tn"] + c["fn"]
        p = (c["tp"] + c["fn"]) / n
        ppv = c["tp"] / (c["tp"] + c["fp"])
        fnr = c["fn"] / (c["tp"] + c["fn"])
        fpr = c["fp"] / (c["fp"] + c["tn"])
        return p, ppv, fnr, fpr

    p, ppv, fnr, fpr = derive(counts)
    _, ppv_all, fnr_all, _ = derive(pooled)
    odds = p / (1 - p)
    return pd.DataFrame({
        "base_rate": p, "ppv": ppv, "fnr": fnr, "fpr": fpr,
        "fpr_identity": odds * (1 - ppv) / ppv * (1 - fnr),
        "fpr_if_equal_ppv_fnr": odds * (1 - ppv_all) / ppv_all * (1 - fnr_all),
    }, index=counts.index)


def compare_published(rates: pd.DataFrame) -> pd.DataFrame:
    """Our error rates next to ProPublica's published percentages.

    Parameters
    ----------
    rates : pandas.DataFrame
        Output of :func:`score_error_rates` (indexed by race, with ``fpr``
        and ``fnr``).

    Returns
    -------
    pandas.DataFrame
        One row per (group, metric) in :data:`PROPUBLICA_PUBLISHED` with
        ``published``, ``ours`` and ``difference`` (ours − published, in
        proportion units).
    """
    rows = []
    for (grp, metric), published in PROPUBLICA_PUBLISHED.items():
        if grp not in rates.index or metric not in rates.columns:
            raise ValueError(f"rates lacks {metric!r} for group {grp!r}")
        ours = float(rates.loc[grp, metric])
        rows.append({"group": grp, "metric": metric, "published": published,
                     "ours": ours, "difference": ours - published})
    return pd.DataFrame(rows)


def decile_counts(frame: pd.DataFrame, *, group: str = "race", groups=None,
                  score: str = "decile_score") -> pd.DataFrame:
    """Number and share of people at each score value, per group.

    Returns
    -------
    pandas.DataFrame
        Columns ``group``, ``score``, ``n`` and ``share`` (of the group).
    """
    _require(frame, [group, score], "decile_counts")
    keep = _groups(frame, group, groups)
    sub = frame[frame[group].astype(object).isin(keep)]
    out = (pd.DataFrame({"group": sub[group].astype(object).to_numpy(),
                         "score": sub[score].to_numpy()})
           .groupby(["group", "score"]).size().rename("n").reset_index())
    out["share"] = out["n"] / out.groupby("group")["n"].transform("sum")
    order = {g: i for i, g in enumerate(keep)}
    return out.sort_values(["group", "score"],
                           key=lambda s: s.map(order) if s.name == "group" else s
                           ).reset_index(drop=True)


def plot_decile_distribution(counts: pd.DataFrame, *, title: str = "COMPAS decile scores by group",
                             group_label: str = "race"):
    """Grouped bars of :func:`decile_counts`: share of each group per decile."""
    import altair as alt

    _require(counts, ["group", "score", "n", "share"], "plot_decile_distribution")
    groups = list(dict.fromkeys(counts["group"]))
    return alt.Chart(counts).mark_bar().encode(
        x=alt.X("score:O", title="COMPAS decile score (1 = lowest risk)"),
        xOffset=alt.XOffset("group:N", sort=groups),
        y=alt.Y("share:Q", title="share of the group", axis=alt.Axis(format="%")),
        color=alt.Color("group:N", title=group_label, sort=groups,
                        legend=alt.Legend(orient="top", labelLimit=400)),
        tooltip=[alt.Tooltip("group:N", title=group_label),
                 alt.Tooltip("score:O", title="decile"),
                 alt.Tooltip("n:Q", title="people"),
                 alt.Tooltip("share:Q", title="share", format=".1%")],
    ).properties(width=520, height=220, title=title)


def plot_calibration_by_decile(calibration: pd.DataFrame, *,
                               title: str = "Calibration: two-year recidivism per decile score",
                               group_label: str = "race"):
    """Observed recidivism rate per decile and group, with 95 % intervals.

    Parameters
    ----------
    calibration : pandas.DataFrame
        Output of :func:`calibration_by_decile`.
    """
    import altair as alt

    _require(calibration, ["group", "score", "n", "rate", "lower", "upper"],
             "plot_calibration_by_decile")
    groups = list(dict.fromkeys(calibration["group"]))
    base = alt.Chart(calibration).encode(
        x=alt.X("score:Q", title="COMPAS decile score", scale=alt.Scale(domain=[1, 10]),
                axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("group:N", title=group_label, sort=groups,
                        legend=alt.Legend(orient="top", labelLimit=400)))
    band = base.mark_area(opacity=0.2).encode(y="lower:Q", y2="upper:Q")
    line = base.mark_line(point=True).encode(
        y=alt.Y("rate:Q", title="re-arrested within two years", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("group:N", title=group_label),
                 alt.Tooltip("score:Q", title="decile"),
                 alt.Tooltip("n:Q", title="people"),
                 alt.Tooltip("rate:Q", title="rate", format=".1%"),
                 alt.Tooltip("lower:Q", title="95% low", format=".1%"),
                 alt.Tooltip("upper:Q", title="95% high", format=".1%")])
    return (band + line).properties(width=520, height=260, title=title)
