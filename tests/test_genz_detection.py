"""Detection thresholds, table, grid, onsets and the sentence built from them."""

import math

import pandas as pd
import pytest

from xaibook.cases.genz import (Detection, Threshold, detection_grid, detection_table, join_names,
                          onset_sentence, onsets)

ABOVE = Threshold("share", 0.5, "above", "half")
BELOW = Threshold("ratio", 0.8, "below", "four-fifths rule")


def _table():
    values = {"A": [0.1, 0.6, 0.9], "B": [0.1, 0.2, 0.7], "C": [0.6, 0.1, 0.2],
              "D": [math.nan] * 3}
    dets = [Detection(m, s, v, ABOVE) for m, vs in values.items() for s, v in zip([0, 0.5, 1], vs)]
    return detection_table(dets)


def test_threshold_directions_and_nan():
    assert ABOVE.detects(0.51) and not ABOVE.detects(0.5) and not ABOVE.detects(math.nan)
    assert BELOW.detects(0.79) and not BELOW.detects(0.8)
    assert ABOVE.describe() == "share > 0.50" and BELOW.describe() == "ratio < 0.80"
    with pytest.raises(ValueError, match="direction"):
        Threshold("x", 1, "sideways")
    with pytest.raises(ValueError, match="number"):
        Threshold("x", math.nan)


def test_table_and_grid():
    table = _table()
    assert list(table.columns[:3]) == ["method", "strength", "statistic"]
    assert table["detected"].sum() == 4
    grid = detection_grid(table)
    assert list(grid.columns) == ["detected when", "s = 0", "s = 0.5", "s = 1"]
    assert grid.loc["A", "s = 1"] == "0.90 ✔" and grid.loc["A", "s = 0"] == "0.10 ·"
    assert grid.loc["D", "s = 0"] == "n/a"
    assert list(grid.index) == ["A", "B", "C", "D"]


def test_onsets_need_persistent_detection():
    on = onsets(_table())
    assert on["A"] == 0.5 and on["B"] == 1.0
    assert math.isnan(on["C"]) and math.isnan(on["D"])  # C's lone crossing at 0 doesn't count


def test_sentence_is_built_from_onsets():
    sentence = onset_sentence(onsets(_table()), subject={"A": "method A"})
    assert sentence == ("method A detects it from strength 0.5 on; B from 1 on; "
                        "C and D never do.")
    assert onset_sentence(pd.Series({"X": 0.1, "Y": 0.1})) == "X and Y detect it from strength 0.1 on."


def test_join_names():
    assert join_names([]) == "" and join_names(["a"]) == "a"
    assert join_names(["a", "b", "c"]) == "a, b and c"


def test_table_validation():
    with pytest.raises(ValueError, match="no detections"):
        detection_table([])
    with pytest.raises(ValueError, match="duplicate"):
        detection_table([Detection("A", 0, 1, ABOVE), Detection("A", 0, 2, ABOVE)])
    with pytest.raises(TypeError):
        detection_table([{"method": "A"}])
    with pytest.raises(ValueError, match="missing"):
        onsets(pd.DataFrame({"method": ["A"]}))


def test_inclusive_directions_and_formats():
    rank = Threshold("rank of the proxy", 3, "at most", fmt="{:.0f}")
    assert rank.detects(3) and rank.detects(1) and not rank.detects(4)
    assert Threshold("x", 0.1, "at least").detects(0.1)
    assert rank.describe() == "rank of the proxy ≤ 3"
    table = detection_table([Detection("PI", 0.0, 7, rank), Detection("PI", 0.5, 2, rank)])
    grid = detection_grid(table)
    assert list(grid.loc["PI"]) == ["rank of the proxy ≤ 3", "7 ·", "2 ✔"]


def test_custom_rule_text():
    t = Threshold("colour share", 0.0, text="cannot show colour")
    assert t.describe() == "cannot show colour"
    grid = detection_grid(detection_table([Detection("Grad-CAM", 0.0, math.nan, t)]))
    assert list(grid.loc["Grad-CAM"]) == ["cannot show colour", "n/a"]
