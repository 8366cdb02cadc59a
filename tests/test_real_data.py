"""The real datasets: sizes and balances the book relies on (needs the mirror or network)."""

from __future__ import annotations

import numpy as np
import pytest

from xaibook import data as ds

pytestmark = pytest.mark.slow


def test_adult_sizes():
    train, test = ds.load_adult("train"), ds.load_adult("test")
    assert (len(train), len(test)) == (32_561, 16_281)
    assert set(train["income"].cat.categories) == {"<=50K", ">50K"}
    assert train["workclass"].isna().sum() == 1_836


def test_compas_size():
    df = ds.load_compas()
    assert df.shape == (7_214, 53)


def test_german_balance():
    df = ds.load_german()
    assert len(df) == 1_000
    assert df["credit_risk"].value_counts().to_dict() == {"good": 700, "bad": 300}
    # Corrected coding (Grömping 2019): A92 mixes non-single women and single men,
    # so sex is unknown for those 310; the UCI description's reading gives 690/310.
    assert df["sex"].value_counts().to_dict() == {"male": 598, "female": 92}
    assert df["sex"].isna().sum() == 310
    uci = ds.load_german(coding="uci")
    assert uci["sex"].value_counts().to_dict() == {"male": 690, "female": 310}


def test_elections_join():
    df, report = ds.load_elections(return_report=True)
    assert report.n_joined == len(df) == 3_141
    assert len(report.results_only) == 0
    assert len(report.no_2012) == 29 and set(report.no_2012["state_abbr"]) == {"AK"}
    assert "bachelors_degree_or_higher_percent_of_persons_age_25_2009_2013" in df


def test_fashion_mnist_sizes():
    data = ds.load_fashion_mnist()
    assert data.x_train.shape == (60_000, 28, 28) and data.x_test.shape == (10_000, 28, 28)
    assert np.bincount(data.y_test).tolist() == [1_000] * 10


def test_us_map():
    topo = ds.load_us_counties_topojson()
    assert {"counties", "states"} <= set(topo["objects"])


def test_cards():
    cards = {c.name: c for c in ds.dataset_cards()}
    assert cards["german"].target_balance == {"bad": 300, "good": 700}
    assert cards["adult"].rows == {"train": 32_561, "test": 16_281}
    table = ds.cards_table(cards.values())
    assert len(table) == 5 and "Fashion-MNIST" in table.index
    assert table.loc["UCI Statlog German credit", "rows"] == "1,000"
