"""Parsers on tiny fixture files written in the real formats."""

from __future__ import annotations

import struct

import numpy as np
import pandas as pd
import pytest

from xaibook.data import SchemaError, load_fashion_mnist, load_german, parse_adult, parse_compas, parse_german
from xaibook.data.compas import COMPAS_COLUMNS
from xaibook.data.elections import join_results_facts, parse_county_facts, parse_results, readable_name
from xaibook.data.fashion_mnist import read_idx

ADULT_TRAIN = (
    "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K\n"
    "50, ?, 83311, Bachelors, 13, Married-civ-spouse, ?, Husband, White, Male, 0, 0, 13, ?, >50K\n"
    "\n"
)
ADULT_TEST = "|1x3 Cross validator\n" + ADULT_TRAIN.replace("<=50K", "<=50K.").replace(">50K\n", ">50K.\n")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("text", [ADULT_TRAIN, ADULT_TEST])
def test_adult_quirks(tmp_path, text):
    df = parse_adult(write(tmp_path, "adult", text), expected_rows=2)
    assert list(df["income"]) == ["<=50K", ">50K"]
    assert df["income"].cat.ordered
    assert df["age"].dtype == "int64" and df["capital_gain"].tolist() == [2174, 0]
    assert df["workclass"].dtype == "category"
    assert df.loc[1, ["workclass", "occupation", "native_country"]].isna().all()
    assert df.loc[0, "workclass"] == "State-gov"  # leading space stripped


def test_adult_wrong_row_count(tmp_path):
    with pytest.raises(SchemaError, match="expected 3 rows, found 2"):
        parse_adult(write(tmp_path, "adult", ADULT_TRAIN), expected_rows=3)


def test_adult_missing_column(tmp_path):
    text = "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, White, Male, 2174, 0, 40, United-States, <=50K\n"
    with pytest.raises(SchemaError, match="fewer than 15 fields"):
        parse_adult(write(tmp_path, "adult", text))


def test_adult_non_numeric_and_bad_label(tmp_path):
    with pytest.raises(SchemaError, match="'age' must be numeric"):
        parse_adult(write(tmp_path, "a", ADULT_TRAIN.replace("39,", "old,")))
    with pytest.raises(SchemaError, match="unexpected income labels"):
        parse_adult(write(tmp_path, "b", ADULT_TRAIN.replace("<=50K", "poor")))


GERMAN = (
    "A11 6 A34 A43 1169 A65 A75 4 A93 A101 4 A121 67 A143 A152 2 A173 1 A192 A201 1\n"
    "A12 48 A32 A43 5951 A61 A73 2 A92 A101 2 A121 22 A143 A152 1 A173 1 A191 A201 2\n"
)


def test_german_decoded(tmp_path):
    df = parse_german(write(tmp_path, "german.data", GERMAN), expected_rows=2)
    assert df["credit_risk"].tolist() == ["good", "bad"]
    # Grömping (2019): A93 is "male: married/widowed"; A92 mixes women and single men,
    # so sex is not recoverable there
    assert df["personal_status_sex"].tolist() == ["male: married/widowed",
                                                  "female: non-single, or male: single"]
    assert df.loc[0, "sex"] == "male" and pd.isna(df.loc[1, "sex"])
    assert df.loc[0, "checking_account"] == "< 0 DM"
    assert df.loc[1, "savings"] == "< 100 DM"
    assert df["savings"].cat.ordered
    assert df["credit_amount"].tolist() == [1169, 5951]


def test_german_uci_coding_and_single_women(tmp_path):
    uci = parse_german(write(tmp_path, "u.data", GERMAN), coding="uci")
    assert uci["personal_status_sex"].tolist() == ["male: single", "female: divorced/separated/married"]
    assert uci["sex"].tolist() == ["male", "female"]
    single_f = parse_german(write(tmp_path, "f.data", GERMAN.replace(" A93 ", " A94 ")))
    assert single_f.loc[0, "personal_status_sex"] == "female: single"
    assert single_f.loc[0, "sex"] == "female"
    with pytest.raises(ValueError, match="coding must be"):
        parse_german(write(tmp_path, "x.data", GERMAN), coding="south")


def test_german_bad_code_and_width(tmp_path):
    with pytest.raises(SchemaError, match="unknown codes \\['A19'\\]"):
        parse_german(write(tmp_path, "g1", GERMAN.replace("A11 ", "A19 ")))
    with pytest.raises(SchemaError, match="expected 21 space-separated fields"):
        parse_german(write(tmp_path, "g2", GERMAN.replace(" A201", "")))
    with pytest.raises(SchemaError, match="class column"):
        parse_german(write(tmp_path, "g3", GERMAN.replace("A201 1", "A201 3")))


def compas_frame(n=3):
    df = pd.DataFrame({c: range(n) for c in COMPAS_COLUMNS})
    df["race"] = ["African-American", "Caucasian", "Hispanic"][:n]
    df["c_jail_in"] = "2013-08-13 06:03:42"
    return df


def test_compas_parse_and_schema(tmp_path):
    path = tmp_path / "compas.csv"
    compas_frame().to_csv(path, index=False)
    df = parse_compas(path, expected_rows=3)
    assert df["race"].dtype == "category"
    assert pd.api.types.is_datetime64_any_dtype(df["c_jail_in"])
    compas_frame().drop(columns=["two_year_recid", "decile_score"]).to_csv(path, index=False)
    with pytest.raises(SchemaError, match=r"missing column\(s\) \['decile_score', 'two_year_recid'\]"):
        parse_compas(path)


def test_elections_join_reports_unmatched(tmp_path):
    results = pd.DataFrame({
        "Unnamed: 0": [0, 1, 2], "combined_fips": [1001, 2013, 99999],
        "votes_dem_2016": 1.0, "votes_gop_2016": 2.0, "total_votes_2016": 3.0,
        "per_dem_2016": 0.3, "per_gop_2016": 0.6, "state_abbr": ["AL", "AK", "ZZ"],
        "county_name": ["Autauga County", "Alaska", "Nowhere"], "total_votes_2012": [3.0, None, 1.0],
        "votes_dem_2012": 1.0, "votes_gop_2012": 2.0, "per_dem_2012": 0.3,
        "per_gop_2012": [0.6, None, 0.5],
    })
    facts = pd.DataFrame({"fips": [0, 1000, 1001, 2013, 1003], "area_name": ["US", "Alabama", "Autauga", "Aleutians", "Baldwin"],
                          "state_abbreviation": [None, None, "AL", "AK", "AL"], "PST045214": [9, 8, 1, 2, 3]})
    dictionary = pd.DataFrame({"column_name": ["PST045214"], "description": ["Population, 2014 estimate"]})
    results.to_csv(tmp_path / "r.csv", index=False)
    facts.to_csv(tmp_path / "f.csv", index=False)
    dictionary.to_csv(tmp_path / "d.csv", index=False)
    facts_df, names = parse_county_facts(tmp_path / "f.csv", tmp_path / "d.csv")
    assert names == {"PST045214": "population_2014_estimate"}
    joined, report = join_results_facts(parse_results(tmp_path / "r.csv"), facts_df)
    assert report.n_joined == 2 and joined["population_2014_estimate"].tolist() == [1, 2]
    assert report.results_only["fips"].tolist() == [99999]
    assert report.facts_only["fips"].tolist() == [1003]
    assert report.aggregate_rows == 2
    assert report.no_2012["fips"].tolist() == [2013]
    assert "2 counties joined" in report.summary()


def test_readable_name():
    assert readable_name("Bachelor's degree or higher, percent of persons age 25+, 2009-2013") == \
        "bachelors_degree_or_higher_percent_of_persons_age_25_2009_2013"


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_read_idx_roundtrip_and_errors(tmp_path):
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    path = tmp_path / "images"
    path.write_bytes(idx_bytes(images))
    np.testing.assert_array_equal(read_idx(path, expected_ndim=3), images)
    with pytest.raises(SchemaError, match="expected 1 dimensions"):
        read_idx(path, expected_ndim=1)
    path.write_bytes(idx_bytes(images)[:-5])
    with pytest.raises(SchemaError, match="header announces shape"):
        read_idx(path)
    path.write_bytes(b"\x1f\x8b" + b"\x00" * 20)
    with pytest.raises(SchemaError, match="magic number"):
        read_idx(path)


def test_fashion_mnist_wrong_size_is_a_schema_error(data_env):
    # A well-formed, digest-registered but too small file set.
    for prefix, n in [("train", 4), ("t10k", 2)]:
        data_env.publish(f"fashion-mnist/{prefix}-images-idx3-ubyte",
                         idx_bytes(np.zeros((n, 28, 28))), gz=True)
        data_env.publish(f"fashion-mnist/{prefix}-labels-idx1-ubyte",
                         idx_bytes(np.arange(n)), gz=True)
    with pytest.raises(SchemaError, match="expected 60,000 images"):
        load_fashion_mnist()


def test_loader_end_to_end_with_fixture_mirror(data_env):
    data_env.publish("german/german.data", GERMAN.encode())
    with pytest.raises(SchemaError, match="expected 1,000 rows, found 2"):
        load_german()


def test_unreadable_files_are_schema_errors(tmp_path):
    empty = write(tmp_path, "empty.csv", "")
    with pytest.raises(SchemaError, match="not a readable CSV file"):
        parse_compas(empty)
    with pytest.raises(SchemaError, match="not a space-separated German credit file"):
        parse_german(empty)
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 50)
    with pytest.raises(SchemaError):
        parse_adult(binary)
