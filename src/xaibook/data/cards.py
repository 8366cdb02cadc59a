"""Dataset cards: what each dataset is, computed from the verified files."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xaibook.data.registry import DATASET_FILES, REGISTRY

__all__ = ["DatasetCard", "dataset_card", "dataset_cards", "cards_table", "card_markdown", "DATASETS"]


@dataclass(frozen=True)
class _About:
    title: str
    citation: str
    license: str
    target: str | None
    protected: tuple[str, ...]
    caveats: tuple[str, ...]


_ABOUT = {
    "adult": _About(
        "UCI Adult (census income)",
        "Kohavi & Becker (1996), extract of the 1994 US Current Population Survey",
        "CC BY 4.0",
        "income", ("sex", "race", "age"),
        ("Collected in 1994: wages, occupations and the meaning of the income "
         "threshold ($50K) have moved a lot since.",
         "Ding et al. (2021) showed the $50K cut makes the task an artefact of the "
         "extract; they published newer census-based tasks (folktables).",
         "Sampling weights (fnlwgt) are not a feature about the person."),
    ),
    "compas": _About(
        "ProPublica COMPAS two-year recidivism",
        "Larson, Mattu, Kirchner & Angwin (2016), 'Machine Bias', ProPublica",
        "ProPublica data, published for analysis (no explicit licence)",
        "two_year_recid", ("race", "sex", "age"),
        ("One county (Broward, Florida), 2013–2014 screenings.",
         "The outcome is a new *arrest* within two years, not a new crime: policing "
         "patterns are baked into the label.",
         "Barenstein (2019): people screened after about April 2014 appear only if "
         "re-arrested (non-recidivists without two years of follow-up were dropped); "
         "keep screenings up to 2014-04-01 (two years before records end, 2016-04-01).",
         "Bao et al. (2021) argue against using it as a fairness benchmark."),
    ),
    "german": _About(
        "UCI Statlog German credit",
        "Hofmann (1994), Statlog project, UCI Machine Learning Repository",
        "CC BY 4.0",
        "credit_risk", ("personal_status_sex", "age", "foreign_worker"),
        ("Sex is not recorded: the personal-status codes, read with Grömping's (2019) "
         "corrected meanings, mix women with single men in one code (A92), so sex is "
         "unknown for 310 applicants; the UCI code table is wrong.",
         "The sample over-represents bad credits (300 of 1,000) by design; only granted "
         "loans have an outcome (selective labels).",
         "1,000 applicants from 1970s southern Germany: tiny and old."),
    ),
    "elections": _About(
        "US county-level presidential results 2012/2016 + county facts",
        "Results compiled by T. McGovern from public sources; US Census QuickFacts",
        "Public data (results compilation: see its repository)",
        "per_gop_2016", (),
        ("Unofficial counts from about mid-November 2016, not certified returns (its "
         "repository says they are not authoritative): late-counted ballots, which lean "
         "Democratic, are missing, so shares in late-counting states are biased; the file's "
         "national total is below the certified 136,669,276 votes (FEC, Federal Elections 2016).",
         "Counties, not people: ecological inference caveats apply.",
         "Alaska reports by district: its rows repeat the state totals and lack 2012 "
         "(counted once in the winner tally).",
         "Census facts mix vintages: 2010 census, ACS 2009–2013, 2014 estimates."),
    ),
    "fashion-mnist": _About(
        "Fashion-MNIST",
        "Xiao, Rasul & Vollgraf (2017), Zalando Research",
        "MIT",
        "label", (),
        ("Grey-scale 28x28 product photos: no colour, no people.",
         "Classes such as shirt and T-shirt overlap visually."),
    ),
    "maps": _About(
        "US counties TopoJSON (vega-datasets us-10m)",
        "US Census Bureau cartographic boundaries via vega-datasets 2.11.0",
        "Public domain (US Census)", None, (), ("Map geometry only.",),
    ),
}

#: Datasets that have cards, in the order the book presents them.
DATASETS = ["adult", "compas", "german", "elections", "fashion-mnist"]


@dataclass(frozen=True)
class DatasetCard:
    """A dataset's vital statistics, computed from the verified files."""

    name: str
    title: str
    rows: dict[str, int]
    n_columns: int
    target: str | None
    target_balance: dict[str, int] = field(default_factory=dict)
    protected: tuple[str, ...] = ()
    citation: str = ""
    license: str = ""
    sources: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        return sum(self.rows.values())


def _counts(values) -> dict[str, int]:
    series = pd.Series(values)
    counts = series.value_counts(sort=False).sort_index()
    return {str(k): int(v) for k, v in counts.items()}


def _measure(name: str):
    from xaibook.data import (load_adult, load_compas, load_elections, load_fashion_mnist,
                   load_german)

    if name == "adult":
        train, test = load_adult("train"), load_adult("test")
        both = pd.concat([train["income"], test["income"]])
        return {"train": len(train), "test": len(test)}, train.shape[1], _counts(both.astype(str))
    if name == "compas":
        df = load_compas()
        labels = df["two_year_recid"].map({0: "no re-arrest", 1: "re-arrested"})
        return {"all": len(df)}, df.shape[1], _counts(labels)
    if name == "german":
        df = load_german()
        return {"all": len(df)}, df.shape[1], _counts(df["credit_risk"].astype(str))
    if name == "elections":
        from xaibook.data.elections import repeated_statewide_states

        df = load_elections()
        repeated = df["state_abbr"].isin(repeated_statewide_states(df))
        once = pd.concat([df[~repeated], df[repeated].drop_duplicates("state_abbr")])
        winner = np.where(once["per_gop_2016"] > once["per_dem_2016"], "GOP ahead", "Dem ahead")
        return {"counties": len(df)}, df.shape[1], _counts(winner)
    if name == "fashion-mnist":
        data = load_fashion_mnist()
        labels = np.concatenate([data.y_train, data.y_test])
        return ({"train": len(data.y_train), "test": len(data.y_test)}, 28 * 28,
                {data.class_names[k]: int(v) for k, v in enumerate(np.bincount(labels))})
    raise KeyError(f"No card for dataset {name!r}; known: {DATASETS}")


def dataset_card(name: str) -> DatasetCard:
    """Compute the card of one dataset (loads and verifies its files)."""
    rows, n_columns, balance = _measure(name)
    about = _ABOUT[name]
    return DatasetCard(
        name=name, title=about.title, rows=rows, n_columns=n_columns, target=about.target,
        target_balance=balance, protected=about.protected, citation=about.citation,
        license=about.license, sources=tuple(REGISTRY[k].url for k in DATASET_FILES[name]),
        caveats=about.caveats,
    )


def dataset_cards(names=None) -> list[DatasetCard]:
    """The cards of the named datasets (default: all of :data:`DATASETS`)."""
    return [dataset_card(name) for name in (names or DATASETS)]


def cards_table(cards) -> pd.DataFrame:
    """Cards as one compact frame, one row per dataset (indexed by title)."""
    records = [{
        "dataset": card.title,
        "rows": f"{card.n_rows:,}",
        "columns": card.n_columns,
        "target": card.target or "—",
        "protected attributes": ", ".join(card.protected) or "—",
        "licence": card.license,
    } for card in cards]
    return pd.DataFrame.from_records(records).set_index("dataset")


def _balance_text(balance: dict[str, int]) -> str:
    values = set(balance.values())
    if len(balance) > 3 and len(values) == 1:
        return f"{values.pop():,} in each of {len(balance)} classes"
    return ", ".join(f"{k}: {v:,}" for k, v in balance.items())


def card_markdown(card: DatasetCard) -> str:
    """The card as Markdown, for display in a chapter (``IPython.display.Markdown``)."""
    rows = ", ".join(f"{k} {v:,}" for k, v in card.rows.items())
    balance = _balance_text(card.target_balance)
    protected = ", ".join(f"`{p}`" for p in card.protected) or "none recorded"
    sources = "<br>".join(f"<{s}>" for s in card.sources)
    caveats = "\n".join(f"- {c}" for c in card.caveats)
    target = f"`{card.target}`" if card.target else "—"
    return (
        f"**{card.title}**\n\n"
        "| | |\n|---|---|\n"
        f"| rows | {card.n_rows:,} ({rows}) |\n"
        f"| columns | {card.n_columns} |\n"
        f"| target | {target} |\n"
        f"| target balance | {balance} |\n"
        f"| protected attributes | {protected} |\n"
        f"| provenance | {card.citation} |\n"
        f"| licence | {card.license} |\n"
        f"| files | {sources} |\n\n"
        f"Known caveats:\n\n{caveats}\n"
    )
