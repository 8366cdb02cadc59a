"""US county-level presidential results 2012/2016 joined with county facts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from xaibook.data.errors import SchemaError
from xaibook.data.fetch import fetch_file
from xaibook.data.schema import read_table, require_columns

__all__ = [
    "RESULT_COLUMNS", "JoinReport", "parse_results", "parse_county_facts",
    "join_results_facts", "load_elections", "load_us_counties_topojson",
    "CERTIFIED_2016", "repeated_statewide_states", "national_totals",
]

#: Certified national totals of the 2016 presidential election (FEC,
#: *Federal Elections 2016*, 2017): Clinton, Trump, all candidates.
CERTIFIED_2016 = {"dem": 65_853_514, "gop": 62_984_828, "total": 136_669_276}

RESULT_COLUMNS = [
    "combined_fips", "votes_dem_2016", "votes_gop_2016", "total_votes_2016",
    "per_dem_2016", "per_gop_2016", "state_abbr", "county_name", "total_votes_2012",
    "votes_dem_2012", "votes_gop_2012", "per_dem_2012", "per_gop_2012",
]
_RESULTS = "elections/US_County_Level_Presidential_Results_12-16.csv"
_FACTS = "elections/county_facts.csv"
_DICTIONARY = "elections/county_facts_dictionary.csv"


def readable_name(description: str) -> str:
    """Turn a census description into a column name.

    >>> readable_name("Persons 65 years and over, percent, 2014")
    'persons_65_years_and_over_percent_2014'
    """
    text = description.lower().replace("%", " percent ").replace("$1,000", "thousand_dollars")
    text = text.replace("'", "")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def parse_results(path) -> pd.DataFrame:
    """Parse the county results file; ``fips`` is the integer county code."""
    source = f"election results file {path}"
    frame = read_table(path, source=source)
    require_columns(frame, RESULT_COLUMNS, source=source)
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("Unnamed")])
    frame = frame.rename(columns={"combined_fips": "fips"})
    frame["fips"] = frame["fips"].astype("int64")
    return frame


def parse_county_facts(path, dictionary_path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Parse county facts, renaming census codes to readable names.

    Returns
    -------
    facts : pandas.DataFrame
        One row per county and per aggregate (the nation, each state).
    names : dict
        ``{code: readable_name}`` for every renamed column.
    """
    source = f"county facts file {path}"
    facts = read_table(path, source=source)
    dictionary = read_table(dictionary_path, source=f"county facts dictionary {dictionary_path}")
    require_columns(dictionary, ["column_name", "description"],
                    source=f"county facts dictionary {dictionary_path}")
    require_columns(facts, ["fips", "area_name", "state_abbreviation"], source=source)
    names = {code: readable_name(desc)
             for code, desc in zip(dictionary["column_name"], dictionary["description"])}
    missing = [c for c in names if c not in facts.columns]
    if missing:
        raise SchemaError(f"{source}: columns {missing} from the dictionary are missing")
    return facts.rename(columns=names), names


@dataclass
class JoinReport:
    """What the FIPS join of results and facts matched and what it did not.

    Attributes
    ----------
    n_results, n_facts_counties, n_joined : int
        County rows in the results, county rows in the facts, rows joined.
    results_only : pandas.DataFrame
        Result rows with no county facts (``fips``, ``state_abbr``, ``county_name``).
    facts_only : pandas.DataFrame
        County fact rows with no results (``fips``, ``area_name``, ``state_abbreviation``).
    aggregate_rows : int
        Fact rows that are the nation or a state, not a county (dropped).
    no_2012 : pandas.DataFrame
        Joined counties without 2012 results (Alaska reports by district, and
        its file repeats the statewide totals on every borough).
    """

    n_results: int
    n_facts_counties: int
    n_joined: int
    results_only: pd.DataFrame
    facts_only: pd.DataFrame
    aggregate_rows: int
    no_2012: pd.DataFrame = field(repr=False)

    def summary(self) -> str:
        return (f"{self.n_joined:,} counties joined; {len(self.results_only)} result rows "
                f"without facts, {len(self.facts_only)} county fact rows without results, "
                f"{self.aggregate_rows} national/state rows dropped, "
                f"{len(self.no_2012)} counties without 2012 results")


def join_results_facts(results: pd.DataFrame, facts: pd.DataFrame) -> tuple[pd.DataFrame, JoinReport]:
    """Inner-join results and county facts on FIPS and report the rest."""
    is_aggregate = facts["state_abbreviation"].isna()
    counties = facts[~is_aggregate]
    merged = results.merge(counties, on="fips", how="outer", indicator=True)
    joined = merged[merged["_merge"] == "both"].drop(columns="_merge").reset_index(drop=True)
    report = JoinReport(
        n_results=len(results),
        n_facts_counties=len(counties),
        n_joined=len(joined),
        results_only=merged.loc[merged["_merge"] == "left_only",
                                ["fips", "state_abbr", "county_name"]].reset_index(drop=True),
        facts_only=merged.loc[merged["_merge"] == "right_only",
                              ["fips", "area_name", "state_abbreviation"]].reset_index(drop=True),
        aggregate_rows=int(is_aggregate.sum()),
        no_2012=joined.loc[joined["per_gop_2012"].isna(),
                           ["fips", "state_abbr", "area_name"]].reset_index(drop=True),
    )
    return joined, report


def load_elections(*, return_report: bool = False):
    """County-level 2012/2016 presidential results joined with county facts.

    Parameters
    ----------
    return_report : bool
        Also return the :class:`JoinReport` of what did not match.

    Returns
    -------
    frame : pandas.DataFrame
        One row per county: the results columns (shares are fractions in
        [0, 1]) and the census QuickFacts with readable names.
    report : JoinReport
        Only if ``return_report``.
    """
    results = parse_results(fetch_file(_RESULTS))
    facts, _ = parse_county_facts(fetch_file(_FACTS), fetch_file(_DICTIONARY))
    joined, report = join_results_facts(results, facts)
    return (joined, report) if return_report else joined


def county_fact_names() -> dict[str, str]:
    """``{census code: readable column name}`` as used by :func:`load_elections`."""
    dictionary = pd.read_csv(fetch_file(_DICTIONARY))
    return {c: readable_name(d) for c, d in zip(dictionary["column_name"], dictionary["description"])}


def load_us_counties_topojson() -> dict:
    """The US states/counties TopoJSON (vega-datasets ``us-10m.json``), keyed by FIPS."""
    path: Path = fetch_file("maps/us-10m.json")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise SchemaError(f"map file {path}: not valid JSON ({exc})") from None


def repeated_statewide_states(frame: pd.DataFrame) -> list[str]:
    """States whose every county row repeats one statewide 2016 total.

    Alaska reports by election district, and the results file copies the
    statewide count onto each of its boroughs: summing or counting those rows
    counts Alaska many times over.
    """
    require_columns(frame, ["state_abbr", "total_votes_2016"], source="the election frame")
    per_state = frame.groupby("state_abbr")["total_votes_2016"].agg(["nunique", "size"])
    return sorted(per_state.index[(per_state["nunique"] == 1) & (per_state["size"] > 1)])


def national_totals(frame: pd.DataFrame) -> dict[str, int]:
    """2016 national totals of the results file, each repeated state counted once.

    Returns
    -------
    dict
        ``dem``, ``gop``, ``total`` votes (compare with :data:`CERTIFIED_2016`:
        the file holds unofficial counts from about mid-November 2016).
    """
    require_columns(frame, ["state_abbr", "votes_dem_2016", "votes_gop_2016", "total_votes_2016"],
                    source="the election frame")
    repeated = frame["state_abbr"].isin(repeated_statewide_states(frame))
    once = pd.concat([frame[~repeated], frame[repeated].drop_duplicates("state_abbr")])
    return {"dem": int(once["votes_dem_2016"].sum()), "gop": int(once["votes_gop_2016"].sum()),
            "total": int(once["total_votes_2016"].sum())}

