"""ProPublica's COMPAS two-year recidivism file (Larson et al., 2016)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xaibook.data.fetch import fetch_file
from xaibook.data.schema import read_table, require_columns, require_rows

__all__ = ["COMPAS_ROWS", "COMPAS_COLUMNS", "parse_compas", "load_compas"]

COMPAS_ROWS = 7_214
#: The columns the book relies on (the file has 53).
COMPAS_COLUMNS = [
    "id", "sex", "age", "age_cat", "race", "juv_fel_count", "juv_misd_count",
    "juv_other_count", "priors_count", "days_b_screening_arrest", "c_jail_in",
    "c_jail_out", "c_charge_degree", "c_charge_desc", "is_recid", "is_violent_recid",
    "decile_score", "score_text", "v_decile_score", "v_score_text", "two_year_recid",
]
_DATES = ["compas_screening_date", "dob", "c_jail_in", "c_jail_out", "c_offense_date",
          "c_arrest_date", "r_offense_date", "r_jail_in", "r_jail_out",
          "vr_offense_date", "screening_date", "v_screening_date", "in_custody",
          "out_custody"]
_CATEGORIES = ["sex", "age_cat", "race", "c_charge_degree", "score_text", "v_score_text"]


def parse_compas(path, *, expected_rows: int | None = None) -> pd.DataFrame:
    """Parse ``compas-scores-two-years.csv``.

    Dates become datetimes, the low-cardinality text columns categoricals; the
    file's duplicated columns (``decile_score.1``, ``priors_count.1``) are kept
    as pandas names them. No row is filtered here: ProPublica's filter belongs
    to the analysis and is applied, visibly, in the COMPAS chapter.
    """
    path = Path(path)
    source = f"COMPAS file {path}"
    frame = read_table(path, source=source)
    require_columns(frame, COMPAS_COLUMNS, source=source)
    for col in _DATES:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col], errors="coerce")
    for col in _CATEGORIES:
        frame[col] = frame[col].astype("category")
    require_rows(frame, expected_rows, source=source)
    return frame


def load_compas() -> pd.DataFrame:
    """Load ProPublica's two-year COMPAS file (7,214 people, 53 columns).

    Protected attributes: ``race``, ``sex``, ``age``. Outcome:
    ``two_year_recid``; COMPAS's own scores: ``decile_score`` (1–10) and
    ``score_text`` (Low / Medium / High).
    """
    return parse_compas(fetch_file("compas/compas-scores-two-years.csv"),
                        expected_rows=COMPAS_ROWS)
