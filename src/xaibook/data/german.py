"""UCI Statlog German credit (Hofmann, 1994), decoded to readable values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xaibook.data.errors import SchemaError
from xaibook.data.fetch import fetch_file
from xaibook.data.schema import read_table, require_rows

__all__ = ["GERMAN_COLUMNS", "GERMAN_CODES", "GERMAN_CODES_UCI", "GERMAN_ROWS", "GROEMPING_PERSONAL_STATUS",
           "parse_german", "load_german"]

GERMAN_ROWS = 1_000

#: Readable column names, in file order (attributes 1–20 of ``german.doc``, then the class).
GERMAN_COLUMNS = [
    "checking_account", "duration_months", "credit_history", "purpose", "credit_amount",
    "savings", "employment_since", "installment_rate_pct", "personal_status_sex",
    "other_debtors", "residence_since", "property", "age", "other_installment_plans",
    "housing", "existing_credits", "job", "people_liable", "telephone", "foreign_worker",
    "credit_risk",
]

#: The UCI documentation's meaning of every attribute code.
GERMAN_CODES = {
    "checking_account": {
        "A11": "< 0 DM", "A12": "0 to < 200 DM",
        "A13": ">= 200 DM or salary assigned", "A14": "no checking account"},
    "credit_history": {
        "A30": "no credits / all paid back duly", "A31": "all credits at this bank paid back",
        "A32": "existing credits paid back duly", "A33": "delay in paying off in the past",
        "A34": "critical account / credits elsewhere"},
    "purpose": {
        "A40": "car (new)", "A41": "car (used)", "A42": "furniture/equipment",
        "A43": "radio/television", "A44": "domestic appliances", "A45": "repairs",
        "A46": "education", "A47": "vacation", "A48": "retraining", "A49": "business",
        "A410": "others"},
    "savings": {
        "A61": "< 100 DM", "A62": "100 to < 500 DM", "A63": "500 to < 1000 DM",
        "A64": ">= 1000 DM", "A65": "unknown / none"},
    "employment_since": {
        "A71": "unemployed", "A72": "< 1 year", "A73": "1 to < 4 years",
        "A74": "4 to < 7 years", "A75": ">= 7 years"},
    "personal_status_sex": {
        "A91": "male: divorced/separated", "A92": "female: divorced/separated/married",
        "A93": "male: single", "A94": "male: married/widowed", "A95": "female: single"},
    "other_debtors": {"A101": "none", "A102": "co-applicant", "A103": "guarantor"},
    "property": {
        "A121": "real estate", "A122": "savings agreement / life insurance",
        "A123": "car or other", "A124": "unknown / none"},
    "other_installment_plans": {"A141": "bank", "A142": "stores", "A143": "none"},
    "housing": {"A151": "rent", "A152": "own", "A153": "for free"},
    "job": {
        "A171": "unemployed / unskilled non-resident", "A172": "unskilled resident",
        "A173": "skilled employee / official",
        "A174": "management / self-employed / highly qualified"},
    "telephone": {"A191": "none", "A192": "yes, registered"},
    "foreign_worker": {"A201": "yes", "A202": "no"},
}

#: The UCI documentation's code table, kept as published (``coding="uci"``).
GERMAN_CODES_UCI = {k: dict(v) for k, v in GERMAN_CODES.items()}

#: Grömping (2019), *South German Credit Data: Correcting a Widely Used Data Set*
#: (Beuth University Report 4/2019): the meaning of the personal-status codes
#: from the original source (variable ``famges``, codes 1-4 = A91-A94). The
#: UCI table is wrong for A92-A94, and A92 mixes women with single men, so sex
#: cannot be derived from this attribute for 31% of the applicants.
GROEMPING_PERSONAL_STATUS = {
    "A91": "male: divorced/separated",
    "A92": "female: non-single, or male: single",
    "A93": "male: married/widowed",
    "A94": "female: single",
}
#: Sex implied by the corrected codes (``None``: not recoverable).
_SEX_GROEMPING = {"A91": "male", "A92": None, "A93": "male", "A94": "female"}
_SEX_UCI = {"A91": "male", "A92": "female", "A93": "male", "A94": "male", "A95": "female"}
GERMAN_CODES["personal_status_sex"] = dict(GROEMPING_PERSONAL_STATUS)
_NUMERIC = ["duration_months", "credit_amount", "installment_rate_pct", "residence_since",
            "age", "existing_credits", "people_liable"]
_ORDERED = {"checking_account", "savings", "employment_since"}


def parse_german(path, *, expected_rows: int | None = None,
                 coding: str = "groemping") -> pd.DataFrame:
    """Parse ``german.data`` (space separated, coded) into a readable frame.

    Every coded attribute becomes a categorical of the documented meanings
    (ordered where the codes are ordered, e.g. savings bands); the target
    ``credit_risk`` is ``"good"``/``"bad"`` (from the class 1/2).

    ``coding="groemping"`` (default) reads ``personal_status_sex`` with the
    corrected meanings of :data:`GROEMPING_PERSONAL_STATUS`; the added ``sex``
    column is then ``"male"``/``"female"`` where the code implies it and
    missing (NaN) for A92 ("female: non-single, or male: single"), where it is
    not recoverable. ``coding="uci"`` uses the UCI table as published (and the
    ``sex`` it implies, which mislabels single men as women and single women as
    married men).
    """
    if coding not in ("groemping", "uci"):
        raise ValueError(f"coding must be 'groemping' (corrected, Grömping 2019) or 'uci', "
                         f"got {coding!r}")
    tables = GERMAN_CODES if coding == "groemping" else GERMAN_CODES_UCI
    sex_of = _SEX_GROEMPING if coding == "groemping" else _SEX_UCI
    path = Path(path)
    source = f"German credit file {path}"
    raw = read_table(path, source=source, what="a space-separated German credit file",
                     sep=" ", header=None, dtype=str)
    if raw.shape[1] != len(GERMAN_COLUMNS):
        raise SchemaError(
            f"{source}: expected {len(GERMAN_COLUMNS)} space-separated fields per row "
            f"(20 attributes and the class), found {raw.shape[1]}"
        )
    raw.columns = GERMAN_COLUMNS
    frame = pd.DataFrame(index=raw.index)
    for col in GERMAN_COLUMNS[:-1]:
        if col in tables:
            codes = tables[col]
            unknown = sorted(set(raw[col].dropna()) - set(codes))
            if unknown:
                raise SchemaError(f"{source}: column '{col}' has unknown codes {unknown}; "
                                  f"expected {sorted(codes)}")
            frame[col] = pd.Categorical(raw[col].map(codes), categories=list(codes.values()),
                                        ordered=col in _ORDERED)
        else:
            values = pd.to_numeric(raw[col], errors="coerce")
            if values.isna().any():
                raise SchemaError(f"{source}: column '{col}' must be numeric")
            frame[col] = values.astype("int64")
    frame["sex"] = pd.Categorical(raw["personal_status_sex"].map(sex_of),
                                  categories=["female", "male"])
    target = raw["credit_risk"].map({"1": "good", "2": "bad"})
    if target.isna().any():
        raise SchemaError(f"{source}: the class column must be 1 (good) or 2 (bad)")
    frame["credit_risk"] = pd.Categorical(target, categories=["bad", "good"])
    require_rows(frame, expected_rows, source=source)
    return frame


def load_german(*, coding: str = "groemping") -> pd.DataFrame:
    """Load UCI German credit: 1,000 applicants, 700 good and 300 bad risks.

    Protected attributes: ``age``, ``foreign_worker`` and ``personal_status_sex``
    (personal status, read with Grömping's corrected codes by default; the
    derived ``sex`` is missing where the code does not determine it). Target:
    ``credit_risk``. See :func:`parse_german` for ``coding``.
    """
    return parse_german(fetch_file("german/german.data"), expected_rows=GERMAN_ROWS, coding=coding)
