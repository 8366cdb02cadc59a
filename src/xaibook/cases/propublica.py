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

from xaibook.tabular.importance import count_safe_bins, cramers_v
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
    ).properties(width=400, height=220, title=title)


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
    return (band + line).properties(width=400, height=260, title=title)


# ---------------------------------------------------------------------------
# Second edition (issue 13): the two-year file's construction flaw, rates with
# bootstrap intervals, a pooled calibration test, rare-count associations.
# ---------------------------------------------------------------------------

#: Last day of ProPublica's criminal-record collection ("through April 1,
#: 2016", Larson et al. 2016, methodology). Nobody screened after
#: ``DATA_END - 2 years`` can have two full years of follow-up.
DATA_END = pd.Timestamp("2016-04-01")

__all__ += ["DATA_END", "two_year_correction", "recidivism_by_quarter",
            "plot_recidivism_by_quarter", "RATE_NAMES", "score_rate_intervals",
            "plot_rate_intervals", "PooledCalibration", "pooled_calibration",
            "count_safe_bins", "cramers_v", "safe_associations", "format_association",
            "signed"]


def two_year_correction(frame: pd.DataFrame, *, data_end=DATA_END, years: int = 2,
                        date: str = "compas_screening_date",
                        outcome: str = "two_year_recid") -> FilterResult:
    """Keep only people who *could* be followed for ``years`` full years.

    Barenstein (2019) showed that ProPublica's two-year file dropped people
    screened late (after about April 2014) who had **not** reoffended, because
    they lacked two years of follow-up, but kept those who had: their
    re-arrest was already on record. Among people screened late the recorded
    recidivism rate is therefore close to 100%. The correction drops
    everybody screened after ``data_end - years``, *whatever their outcome*,
    so that the kept rows all had the same chance to be observed.

    Parameters
    ----------
    frame : pandas.DataFrame
        The two-year file (raw or after :func:`filter_propublica`).
    data_end : date-like, default=:data:`DATA_END`
        Last day criminal records were collected.
    years : int, default=2
        Follow-up each kept person must have had.
    date : str
        Screening-date column.
    outcome : str
        Binary outcome column, only used to count what the step removes.

    Returns
    -------
    FilterResult
        Kept rows, and a ``steps`` table (``step``, ``removed``,
        ``remaining``, ``removed_reoffended``, ``removed_not_reoffended``).
    """
    _require(frame, [date, outcome], "two_year_correction")
    if not isinstance(years, (int, np.integer)) or years < 1:
        raise ValueError(f"years must be a positive integer, got {years!r}")
    try:
        end = pd.Timestamp(data_end)
    except (TypeError, ValueError) as err:
        raise ValueError(f"data_end must be a date such as '2016-04-01', got {data_end!r}") from err
    when = pd.to_datetime(frame[date], errors="coerce")
    if when.isna().any():
        raise ValueError(f"column {date!r} has {int(when.isna().sum())} missing or unreadable "
                         "dates; drop or fix those rows first")
    cutoff = end - pd.DateOffset(years=int(years))
    keep = (when <= cutoff).to_numpy()
    y = _binary(frame[outcome], outcome)
    steps = pd.DataFrame([
        {"step": "input", "removed": 0, "remaining": len(frame),
         "removed_reoffended": 0, "removed_not_reoffended": 0},
        {"step": f"screened by {cutoff:%Y-%m-%d}",
         "removed": int((~keep).sum()), "remaining": int(keep.sum()),
         "removed_reoffended": int(((~keep) & (y == 1)).sum()),
         "removed_not_reoffended": int(((~keep) & (y == 0)).sum())},
    ])
    return FilterResult(data=frame.loc[keep].copy(), steps=steps)


def _wilson(k, n, z=1.96):
    k, n = np.asarray(k, float), np.asarray(n, float)
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return p, centre - half, centre + half


def recidivism_by_quarter(frame: pd.DataFrame, *, date: str = "compas_screening_date",
                          outcome: str = "two_year_recid") -> pd.DataFrame:
    """Recorded recidivism rate per quarter of screening, with Wilson 95% intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``quarter`` (``"2013 Q1"``), ``start`` (first day),
        ``n``, ``reoffended``, ``rate``, ``lower``, ``upper``.
    """
    _require(frame, [date, outcome], "recidivism_by_quarter")
    when = pd.to_datetime(frame[date], errors="coerce")
    if when.isna().all():
        raise ValueError(f"column {date!r} has no readable dates")
    y = _binary(frame[outcome], outcome)
    q = when.dt.to_period("Q")
    out = (pd.DataFrame({"q": q.to_numpy(), "y": y}).dropna()
           .groupby("q")["y"].agg(["size", "sum"]).reset_index()
           .rename(columns={"size": "n", "sum": "reoffended"}))
    out["quarter"] = [f"{p.year} Q{p.quarter}" for p in out["q"]]
    out["start"] = [p.start_time for p in out["q"]]
    out["rate"], out["lower"], out["upper"] = _wilson(out["reoffended"], out["n"])
    return out[["quarter", "start", "n", "reoffended", "rate", "lower", "upper"]]


def plot_recidivism_by_quarter(table: pd.DataFrame, *, cutoff=None,
                               title: str = "Recorded two-year recidivism by screening quarter"):
    """Points with 95% intervals per quarter, coloured by follow-up.

    ``cutoff`` is the last screening date with two full years of follow-up
    (``DATA_END - 2 years``); quarters ending after it are "incomplete".

    400 px wide, so it fits the text column and a phone screen.
    """
    import altair as alt

    _require(table, ["quarter", "n", "rate", "lower", "upper"], "plot_recidivism_by_quarter")
    data = table.copy()
    order = list(data["quarter"])
    if cutoff is not None:
        # a quarter has two full years of follow-up when it ends by the cutoff
        c = pd.Timestamp(cutoff)
        ends = pd.to_datetime(data["start"]) + pd.DateOffset(months=3) - pd.DateOffset(days=1)
        data["follow-up"] = np.where(ends <= c, "two full years", "incomplete")
    else:
        data["follow-up"] = "all"
    x = alt.X("quarter:O", sort=order, title="quarter of COMPAS screening",
              axis=alt.Axis(labelAngle=-45))
    color = alt.Color("follow-up:N", title="follow-up",
                      legend=alt.Legend(orient="top"),
                      scale=alt.Scale(domain=["two full years", "incomplete"] if cutoff is not None
                                      else ["all"],
                                      range=["#1f77b4", "#d62728"] if cutoff is not None
                                      else ["#555555"]))
    base = alt.Chart(data).encode(x=x, color=color)
    rule = base.mark_rule(strokeWidth=2).encode(
        y=alt.Y("lower:Q", title="re-arrested within two years",
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")), y2="upper:Q")
    point = base.mark_point(filled=True, size=60).encode(
        y="rate:Q",
        tooltip=["quarter:N", alt.Tooltip("n:Q", title="people", format=",d"),
                 alt.Tooltip("rate:Q", format=".1%"), alt.Tooltip("lower:Q", format=".1%"),
                 alt.Tooltip("upper:Q", format=".1%")])
    return (rule + point).properties(width=360, height=220, title=title)


#: Rates reported by :func:`score_rate_intervals`: name -> (values, mask) on (y, flagged).
RATE_NAMES = {
    "base_rate": "base rate (re-arrested)",
    "selection_rate": "flagged medium/high",
    "false_positive_rate": "false positive rate",
    "false_negative_rate": "false negative rate",
    "true_positive_rate": "true positive rate",
    "ppv": "PPV (flag right)",
    "npv": "NPV (low right)",
}


def _rate_inputs(metric, y, flag):
    ones = np.ones(len(y), bool)
    return {
        "base_rate": (y, ones),
        "selection_rate": (flag, ones),
        "false_positive_rate": (flag, y == 0),
        "false_negative_rate": (1 - flag, y == 1),
        "true_positive_rate": (flag, y == 1),
        "ppv": (y, flag == 1),
        "npv": (1 - y, flag == 0),
    }[metric]


def score_rate_intervals(frame: pd.DataFrame, *, group: str = "race", groups=None,
                         reference=None, flagged=None, high: int | str = "Medium",
                         outcome: str = "two_year_recid", metrics=None,
                         n_boot: int = 400, seed: int = 0) -> pd.DataFrame:
    """Per-group rates of a yes/no flag with 95% bootstrap intervals and signed gaps.

    Every rate and every gap (``rate(group) - rate(reference)``) comes from
    :func:`xaibook.stats.group_rates`, which resamples all rows jointly, so
    the gap's interval is the bootstrap distribution of the gap itself.

    Parameters
    ----------
    frame : pandas.DataFrame
        COMPAS rows (filtered).
    group : str
        Column defining the groups (build an intersection column, e.g.
        race × sex, beforehand).
    groups : sequence, optional
        Groups to keep, in order; default all.
    reference : label, optional
        Group the gaps are measured against; default the first of ``groups``
        (or the largest group).
    flagged : array-like of 0/1, optional
        The prediction per row of ``frame``; default COMPAS's own cut,
        ``score_text >= high`` (or ``decile_score >= high`` for an integer).
    metrics : sequence of str, optional
        Keys of :data:`RATE_NAMES`; default all.
    n_boot, seed
        Bootstrap resamples and seed (fixed: identical reruns).

    Returns
    -------
    pandas.DataFrame
        Columns ``attribute`` (= ``group``), ``metric``, ``group``,
        ``reference``, ``n`` (rows entering the rate), ``n_ref``, ``rate``,
        ``low``, ``high``, ``gap``, ``gap_low``, ``gap_high``, ``gap_real``.
    """
    from xaibook.stats import group_rates

    _require(frame, [group, outcome], "score_rate_intervals")
    keep = _groups(frame, group, groups)
    metrics = list(RATE_NAMES) if metrics is None else list(metrics)
    unknown = [m for m in metrics if m not in RATE_NAMES]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; choose from {list(RATE_NAMES)}")
    mask = frame[group].astype(object).isin(keep).to_numpy()
    if flagged is None:
        if isinstance(high, str):
            levels = ["Low", "Medium", "High"]
            if high not in levels:
                raise ValueError(f"high must be one of {levels} or a decile 1-10, got {high!r}")
            _require(frame, ["score_text"], "score_rate_intervals")
            rank = frame["score_text"].astype(object).map({lv: i for i, lv in enumerate(levels)})
            if rank.isna().any():
                raise ValueError("column 'score_text' has values outside Low/Medium/High")
            flag = (rank >= levels.index(high)).to_numpy().astype(int)
        else:
            _require(frame, ["decile_score"], "score_rate_intervals")
            flag = (frame["decile_score"].to_numpy() >= int(high)).astype(int)
    else:
        flag = np.asarray(flagged)
        if flag.shape != (len(frame),):
            raise ValueError(f"flagged must have one value per row ({len(frame)}), "
                             f"got shape {flag.shape}")
        flag = _binary(pd.Series(flag), "flagged")
    y = _binary(frame[outcome], outcome)[mask]
    flag = flag[mask]
    g = frame[group].astype(object).astype(str).to_numpy()[mask]
    ref = str(keep[0] if reference is None and groups is not None else
              (reference if reference is not None else pd.Series(g).value_counts().index[0]))
    parts = []
    for m in metrics:
        values, sel = _rate_inputs(m, y, flag)
        t = group_rates(values, g, reference=ref, n_boot=int(n_boot), seed=seed, mask=sel, name=m)
        t["n_ref"] = int(t.loc[t["group"] == ref, "n"].iloc[0])
        parts.append(t)
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "attribute", group)
    out["reference"] = ref
    order = {str(k): i for i, k in enumerate(keep)}
    out["_o"] = out["group"].map(order)
    out = out.sort_values(["metric", "_o"], key=lambda s: s.map({m: i for i, m in enumerate(metrics)})
                          if s.name == "metric" else s, kind="stable").drop(columns="_o")
    return out[["attribute", "metric", "group", "reference", "n", "n_ref", "rate", "low", "high",
                "gap", "gap_low", "gap_high", "gap_real"]].reset_index(drop=True)


def signed(value: float, digits: int = 1, *, scale: float = 100.0) -> str:
    """``+1.2`` / ``-3.4`` / ``0.0``: a signed number that never prints ``-0.0``."""
    v = scale * float(value)
    if round(v, digits) == 0:
        v = 0.0
    return f"{v:+.{digits}f}" if v != 0 else f"{0:.{digits}f}"


def plot_rate_intervals(table: pd.DataFrame, *, metrics=None, title: str = "",
                        color_by: str | None = None, width: int = 170):
    """Each group's rate as a point with its 95% interval, one panel per rate.

    Panels wrap two per row, 170 px wide by default (at most 260): about
    480 px in all, so the chart fits the text column and scales down only a
    little on a phone. ``table`` comes from :func:`score_rate_intervals`
    (several may be concatenated with a ``color_by`` column, e.g. a
    ``sample`` column, shown as colour and vertical offset).
    """
    import altair as alt

    _require(table, ["metric", "group", "n", "rate", "low", "high"], "plot_rate_intervals")
    metrics = list(dict.fromkeys(table["metric"])) if metrics is None else list(metrics)
    data = table[table["metric"].isin(metrics)].copy()
    data["rate_name"] = data["metric"].map(lambda m: RATE_NAMES.get(m, m))
    for c in ("rate", "low", "high"):
        data[c] = data[c].astype(float).round(4)
    labels = [RATE_NAMES.get(m, m) for m in metrics]
    groups = list(dict.fromkeys(data["group"]))
    extra, color = {}, alt.value("#1f77b4")
    if color_by is not None:
        kinds = list(dict.fromkeys(data[color_by]))
        extra = {"yOffset": alt.YOffset(f"{color_by}:N", sort=kinds)}
        color = alt.Color(f"{color_by}:N", title=None, sort=kinds,
                          legend=alt.Legend(orient="top", labelLimit=300),
                          scale=alt.Scale(range=["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]))
    tooltip = ["group:N", "rate_name:N", alt.Tooltip("rate:Q", format=".1%"),
               alt.Tooltip("low:Q", format=".1%"), alt.Tooltip("high:Q", format=".1%"),
               alt.Tooltip("n:Q", format=",d")]
    base = alt.Chart().encode(y=alt.Y("group:N", title=None, sort=groups,
                                      axis=alt.Axis(labelLimit=110)),
                              color=color, tooltip=tooltip, **extra)
    layer = alt.layer(
        base.mark_rule(strokeWidth=2).encode(
            x=alt.X("low:Q", title="rate (95% interval)", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%", tickCount=4)), x2="high:Q"),
        base.mark_point(filled=True, size=40).encode(x="rate:Q"),
        data=data,
    ).properties(width=min(int(width), 260),
                 height=max(50, 20 * len(groups) * (1 + (color_by is not None))))
    return layer.facet(facet=alt.Facet("rate_name:N", title=None, sort=labels), columns=2
                       ).properties(title=title)


@dataclass(frozen=True)
class PooledCalibration:
    """Result of :func:`pooled_calibration`.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        One row per model term: ``term``, ``coef`` (log-odds), ``se``,
        ``low``, ``high`` (Wald 95%), ``odds_ratio``, ``or_low``, ``or_high``.
    group_terms : pandas.DataFrame
        The rows of ``coefficients`` for the group indicators, plus
        ``excludes_zero`` (the score does not mean the same re-arrest odds
        for that group as for the reference).
    reference : str
        The reference group.
    n : int
        Rows in the fit.
    """

    coefficients: pd.DataFrame
    group_terms: pd.DataFrame
    reference: str
    n: int

    def term(self, group) -> pd.Series:
        """The row of ``group_terms`` for one group."""
        row = self.group_terms[self.group_terms["group"] == str(group)]
        if row.empty:
            raise KeyError(f"no group term for {group!r}; groups: {list(self.group_terms['group'])}")
        return row.iloc[0]


def _logit_fit(X: np.ndarray, y: np.ndarray, max_iter: int = 50):
    """Unpenalised logistic regression by Newton-Raphson; coefficients and covariance."""
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        eta = np.clip(X @ beta, -30, 30)
        p = 1 / (1 + np.exp(-eta))
        w = p * (1 - p)
        H = X.T @ (X * w[:, None])
        step = np.linalg.solve(H + 1e-10 * np.eye(len(beta)), X.T @ (y - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    eta = np.clip(X @ beta, -30, 30)
    p = 1 / (1 + np.exp(-eta))
    H = X.T @ (X * (p * (1 - p))[:, None])
    return beta, np.linalg.inv(H)


def pooled_calibration(frame: pd.DataFrame, *, group: str = "race", groups=None,
                       reference=None, score: str = "decile_score",
                       outcome: str = "two_year_recid", score_as: str = "categorical",
                       z: float = 1.96) -> PooledCalibration:
    """Test calibration within groups with one pooled logistic model.

    Fits ``logit P(outcome) = f(score) + b_g`` on all listed groups at once,
    where ``f`` is one coefficient per score value (``score_as="categorical"``)
    or a straight line in the score (``"linear"``), and ``b_g`` is an offset
    for each non-reference group. A calibrated score means the same odds of
    re-arrest whatever the group: ``b_g = 0``. The Wald 95% interval of
    ``b_g`` tests that directly, instead of eyeballing whether ten pairs of
    per-decile intervals overlap (overlapping intervals do not mean "no
    difference", and ten tests at once are not one test).

    Returns
    -------
    PooledCalibration
    """
    _require(frame, [group, score, outcome], "pooled_calibration")
    if score_as not in ("categorical", "linear"):
        raise ValueError(f"score_as must be 'categorical' or 'linear', got {score_as!r}")
    keep = [str(k) for k in _groups(frame, group, groups)]
    g_all = frame[group].astype(object).astype(str)
    mask = g_all.isin(keep).to_numpy()
    g = g_all.to_numpy()[mask]
    y = _binary(frame[outcome], outcome)[mask].astype(float)
    s = pd.to_numeric(frame[score], errors="coerce").to_numpy()[mask]
    if np.isnan(s).any():
        raise ValueError(f"column {score!r} has missing or non-numeric values")
    ref = str(reference) if reference is not None else (
        keep[0] if groups is not None else pd.Series(g).value_counts().index[0])
    if ref not in keep:
        raise ValueError(f"reference {ref!r} not among the groups {keep}")
    others = [k for k in keep if k != ref]
    if not others:
        raise ValueError("pooled_calibration needs at least two groups")
    cols, names = [np.ones(len(y))], ["intercept"]
    if score_as == "linear":
        cols.append(s - s.mean())
        names.append(f"{score} (per point)")
    else:
        levels = np.unique(s)
        for v in levels[1:]:
            cols.append((s == v).astype(float))
            names.append(f"{score} = {v:g}")
    for k in others:
        cols.append((g == k).astype(float))
        names.append(f"group: {k}")
    X = np.column_stack(cols)
    for k in others:
        if not (g == k).any():
            raise ValueError(f"group {k!r} has no rows")
    beta, cov = _logit_fit(X, y)
    se = np.sqrt(np.diag(cov))
    coef = pd.DataFrame({"term": names, "coef": beta, "se": se,
                         "low": beta - z * se, "high": beta + z * se})
    coef["odds_ratio"] = np.exp(coef["coef"])
    coef["or_low"], coef["or_high"] = np.exp(coef["low"]), np.exp(coef["high"])
    gt = coef[coef["term"].str.startswith("group: ")].copy()
    gt.insert(0, "group", [t[len("group: "):] for t in gt["term"]])
    gt["n"] = [int((g == k).sum()) for k in gt["group"]]
    gt["excludes_zero"] = (gt["low"] > 0) | (gt["high"] < 0)
    return PooledCalibration(coefficients=coef, group_terms=gt.reset_index(drop=True),
                             reference=ref, n=int(len(y)))


def safe_associations(X: pd.DataFrame, *, bins: int = 5, columns=None,
                      with_column: str | None = None) -> pd.DataFrame:
    """Cramér's V between pairs of features, with :func:`count_safe_bins`.

    Parameters
    ----------
    X : pandas.DataFrame
    bins : int
        Quantile bins for continuous columns.
    columns : sequence, optional
        Columns to use (default all).
    with_column : str, optional
        Only pairs that include this column (e.g. ``"race"``).

    Returns
    -------
    pandas.DataFrame
        ``feature_a``, ``feature_b``, ``levels_a``, ``levels_b`` (bins used),
        ``cramers_v`` (NaN where undefined), strongest first, NaN last.
    """
    import itertools

    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame, not {type(X).__name__}")
    columns = list(X.columns if columns is None else columns)
    missing = [c for c in columns + ([with_column] if with_column else []) if c not in X]
    if missing:
        raise ValueError(f"column(s) {missing} not in X; available: {list(X.columns)}")
    binned = {c: count_safe_bins(X[c], bins=bins) for c in columns}
    rows = []
    for a, b in itertools.combinations(columns, 2):
        if with_column is not None and with_column not in (a, b):
            continue
        if with_column is not None and b == with_column:
            a, b = b, a
        rows.append({"feature_a": a, "feature_b": b, "levels_a": binned[a].nunique(),
                     "levels_b": binned[b].nunique(),
                     "cramers_v": cramers_v(binned[a], binned[b])})
    out = pd.DataFrame(rows)
    return out.sort_values("cramers_v", ascending=False, na_position="last",
                           ignore_index=True)


def format_association(value: float, digits: int = 3) -> str:
    """Cramér's V as text; ``"n/a"`` where it is undefined (never ``0``)."""
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"
