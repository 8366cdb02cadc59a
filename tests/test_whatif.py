"""Tests for xaibook.tabular.whatif on tiny data whose rates are computed by hand."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from xaibook.tabular.whatif import (
    ThresholdGrid,
    confusion_counts,
    counterfactual_flip,
    model_scores,
    threshold_grid,
    whatif_chart,
    whatif_explorer,
)

# Group a: 4 people, labels 1 1 0 0, scores .9 .4 .6 .1
# Group b: 4 people, labels 1 0 0 0, scores .8 .7 .3 .2
Y = np.array([1, 1, 0, 0, 1, 0, 0, 0])
S = np.array([0.9, 0.4, 0.6, 0.1, 0.8, 0.7, 0.3, 0.2])
G = np.array(["a"] * 4 + ["b"] * 4)


def test_confusion_counts_by_hand():
    pred = (S >= 0.5).astype(int)  # a: 1 0 1 0 ; b: 1 1 0 0
    out = confusion_counts(Y, pred, G).set_index("group")
    # a: tp=1 (0.9), fn=1 (0.4), fp=1 (0.6), tn=1 (0.1)
    assert out.loc["a", ["tp", "fp", "tn", "fn"]].tolist() == [1, 1, 1, 1]
    assert out.loc["a", "fpr"] == pytest.approx(1 / 2)
    assert out.loc["a", "fnr"] == pytest.approx(1 / 2)
    assert out.loc["a", "selection_rate"] == pytest.approx(2 / 4)
    assert out.loc["a", "ppv"] == pytest.approx(1 / 2)
    # b: tp=1 (0.8), fp=1 (0.7), tn=2, fn=0
    assert out.loc["b", ["tp", "fp", "tn", "fn"]].tolist() == [1, 1, 2, 0]
    assert out.loc["b", "fpr"] == pytest.approx(1 / 3)
    assert out.loc["b", "fnr"] == pytest.approx(0.0)
    assert out.loc["b", "base_rate"] == pytest.approx(1 / 4)
    assert out.loc["b", "accuracy"] == pytest.approx(3 / 4)


def test_confusion_counts_empty_denominator_is_nan():
    out = confusion_counts([0, 0], [1, 0], ["a", "a"])
    assert np.isnan(out.loc[0, "fnr"])  # no positives
    assert out.loc[0, "fpr"] == pytest.approx(0.5)


def test_confusion_counts_pos_label_strings():
    out = confusion_counts(["bad", "good"], ["bad", "bad"], ["x", "x"], pos_label="bad")
    assert out.loc[0, ["tp", "fp", "tn", "fn"]].tolist() == [1, 1, 0, 0]


@pytest.mark.parametrize("kwargs, message", [
    (dict(y_true=[0, 1, 2], y_pred=[0, 1, 1], sensitive_features=["a"] * 3), "binary"),
    (dict(y_true=[0, 1], y_pred=[0, 1, 1], sensitive_features=["a"] * 2), "y_pred has 3"),
    (dict(y_true=[0, 1], y_pred=[0, 1], sensitive_features=["a"]), "expected 2"),
    (dict(y_true=[0, 1], y_pred=[0, 1], sensitive_features=["a", None]), "missing"),
])
def test_confusion_counts_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        confusion_counts(**kwargs)


def test_threshold_grid_matches_hand_counts():
    grid = threshold_grid(Y, S, G, thresholds=[0.0, 0.25, 0.5, 0.75, 1.0])
    assert isinstance(grid, ThresholdGrid)
    assert grid.groups == ["a", "b"]
    assert grid.step == pytest.approx(0.25)
    t = grid.table.set_index(["group", "threshold"])
    # threshold 0: everybody positive
    assert t.loc[("a", 0.0), "selection_rate"] == 1.0
    assert t.loc[("a", 0.0), "fpr"] == 1.0 and t.loc[("a", 0.0), "fnr"] == 0.0
    # threshold 1: nobody (no score reaches 1)
    assert t.loc[("b", 1.0), "selection_rate"] == 0.0
    assert t.loc[("b", 1.0), "fnr"] == 1.0
    # threshold .5 agrees with confusion_counts
    direct = confusion_counts(Y, (S >= 0.5).astype(int), G).set_index("group")
    for grp in "ab":
        for col in ["tp", "fp", "tn", "fn", "fpr", "fnr", "selection_rate"]:
            assert t.loc[(grp, 0.5), col] == pytest.approx(direct.loc[grp, col])
    # threshold .25, group b: scores .8 .7 .3 positive -> tp 1, fp 2, tn 1
    assert t.loc[("b", 0.25), ["tp", "fp", "tn", "fn"]].tolist() == [1, 2, 1, 0]


def test_threshold_grid_is_inclusive_at_ties():
    grid = threshold_grid([1, 0], [0.5, 0.5], ["a", "a"], thresholds=[0.0, 0.5, 1.0])
    row = grid.at(0.5).iloc[0]
    assert (row.tp, row.fp) == (1, 1)  # score >= threshold is positive


def test_threshold_grid_defaults():
    probs = threshold_grid(Y, S, G)
    assert len(probs.thresholds) == 101 and probs.thresholds[0] == 0 and probs.thresholds[-1] == 1
    deciles = threshold_grid([0, 1, 1], [1, 5, 10], ["a", "a", "a"])
    assert deciles.thresholds.tolist() == list(range(1, 12))
    assert len(deciles.table) == 11


def test_grid_at_snaps_and_per_group():
    grid = threshold_grid(Y, S, G, thresholds=np.linspace(0, 1, 11))
    assert grid.nearest(0.52) == pytest.approx(0.5)
    rows = grid.at({"a": 0.5, "b": 0.8}).set_index("group")
    assert rows.loc["a", "threshold"] == pytest.approx(0.5)
    assert rows.loc["b", "selection_rate"] == pytest.approx(1 / 4)  # only .8
    with pytest.raises(ValueError, match="unknown group"):
        grid.at({"zzz": 0.5})


def test_grid_closest_equalises_a_rate():
    grid = threshold_grid(Y, S, G, thresholds=np.linspace(0, 1, 11))
    # group a (negatives .6, .1): FPR 1/2 at thresholds .2 .. .6, the lowest wins;
    # group b (negatives .7 .3 .2): FPR 2/3 only at .3, closest to .6
    rows = grid.closest("fpr", 0.6).set_index("group")
    assert rows.loc["a", "fpr"] == 0.5 and rows.loc["a", "threshold"] == pytest.approx(0.2)
    assert rows.loc["b", "fpr"] == pytest.approx(2 / 3)
    assert rows.loc["b", "threshold"] == pytest.approx(0.3)
    with pytest.raises(ValueError, match="unknown metric"):
        grid.closest("nope", 0.5)


@pytest.mark.parametrize("kwargs, message", [
    (dict(thresholds=[0.0, 0.1, 0.5]), "evenly spaced"),
    (dict(thresholds=[0.5, 0.0]), "increasing"),
    (dict(n_thresholds=1), "n_thresholds"),
])
def test_threshold_grid_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        threshold_grid(Y, S, G, **kwargs)


def test_threshold_grid_rejects_nan_scores():
    with pytest.raises(ValueError, match="finite"):
        threshold_grid([0, 1], [0.1, np.nan], ["a", "a"])


def _spec():
    grid = threshold_grid(Y, S, G, thresholds=np.linspace(0, 1, 11))
    return grid, whatif_chart(grid, group_label="grp", title="T").to_dict()


def test_chart_spec_has_params_and_tiny_data():
    grid, spec = _spec()  # to_dict validates against the Vega-Lite schema
    names = {p["name"] for p in spec["params"]}
    assert names == {"mode", "t_all", "t_g0", "t_g1"}
    params = {p["name"]: p for p in spec["params"]}
    assert params["t_all"]["bind"]["input"] == "range"
    assert params["t_all"]["bind"]["step"] == pytest.approx(0.1)
    assert params["mode"]["bind"]["input"] == "radio"
    assert params["t_all"]["value"] == pytest.approx(0.5)
    datasets = spec["datasets"]
    assert len(datasets) == 1
    (rows,) = datasets.values()
    assert len(rows) == 2 * 11  # groups x thresholds, no individuals
    assert "T" in json.dumps(spec["title"])


def _expressions(spec):
    """All calculate / filter expressions used in the spec, in order."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for tr in node.get("transform", []):
                if "calculate" in tr:
                    found.append(("calculate", tr["as"], tr["calculate"]))
                if "filter" in tr and isinstance(tr["filter"], str):
                    found.append(("filter", None, tr["filter"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def _eval_js(expr, datum, signals):
    """Evaluate the small subset of Vega expressions the chart uses."""
    import re

    src = expr.replace("===", "==")
    src = re.sub(r"datum\.(\w+)", lambda m: f"datum[{m.group(1)!r}]", src)
    # rewrite right-nested ternaries  c ? a : (rest)  into Python
    def ternary(s):
        s = s.strip()
        while s.startswith("(") and _matching(s, 0) == len(s) - 1:
            s = s[1:-1].strip()
        depth, q = 0, None
        for i, ch in enumerate(s):
            if q:
                if ch == q and s[i - 1] != "\\":
                    q = None
                continue
            if ch in "\"'":
                q = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "?" and depth == 0:
                cond = s[:i]
                rest = s[i + 1:]
                d2, q2 = 0, None
                for j, c2 in enumerate(rest):
                    if q2:
                        if c2 == q2:
                            q2 = None
                        continue
                    if c2 in "\"'":
                        q2 = c2
                    elif c2 in "(?":
                        d2 += 1
                    elif c2 == ")":
                        d2 -= 1
                    elif c2 == ":":
                        if d2 == 0:
                            return f"(({ternary(rest[:j])}) if ({cond}) else ({ternary(rest[j + 1:])}))"
                        d2 -= 1  # closes a nested '?'
                raise AssertionError("unbalanced ternary")
        return s

    return eval(ternary(src), {"abs": abs}, {"datum": datum, **signals})


def _matching(s, i):
    depth = 0
    for j in range(i, len(s)):
        depth += {"(": 1, ")": -1}.get(s[j], 0)
        if depth == 0:
            return j
    return -1


def _current_rows(spec, signals):
    """Apply the chart's 'current' calculate + filter to its data in Python."""
    exprs = _expressions(spec)
    current = next(e for kind, name, e in exprs if kind == "calculate" and name == "current")
    at_current = next(e for kind, _, e in exprs if kind == "filter" and "datum.current" in e)
    (rows,) = spec["datasets"].values()
    kept = []
    for row in rows:
        datum = dict(row)
        datum["current"] = _eval_js(current, datum, signals)
        if _eval_js(at_current, datum, signals):
            kept.append(datum)
    return kept


def test_chart_logic_selects_one_row_per_group_global_mode():
    grid, spec = _spec()
    signals = {"mode": "one threshold for everyone", "t_all": 0.3, "t_g0": 0.9, "t_g1": 0.9}
    kept = _current_rows(spec, signals)
    assert sorted(r["group"] for r in kept) == ["a", "b"]
    assert all(r["threshold"] == pytest.approx(0.3) for r in kept)
    expected = grid.at(0.3).set_index("group")
    for r in kept:
        assert r["fpr"] == pytest.approx(expected.loc[r["group"], "fpr"])


def test_chart_logic_per_group_mode_uses_each_groups_slider():
    grid, spec = _spec()
    signals = {"mode": "one threshold per group", "t_all": 0.5, "t_g0": 0.2, "t_g1": 0.8}
    kept = {r["group"]: r for r in _current_rows(spec, signals)}
    assert kept["a"]["threshold"] == pytest.approx(0.2)
    assert kept["b"]["threshold"] == pytest.approx(0.8)
    assert kept["b"]["selection_rate"] == pytest.approx(1 / 4)


def test_chart_group_names_with_quotes_are_escaped():
    g = np.array(['it\'s "a"'] * 4 + ["b"] * 4)
    grid = threshold_grid(Y, S, g, thresholds=np.linspace(0, 1, 11))
    spec = whatif_chart(grid).to_dict()
    kept = _current_rows(spec, {"mode": "one threshold per group", "t_all": 0.5,
                                "t_g0": 0.0, "t_g1": 1.0})
    by = {r["group"]: r["threshold"] for r in kept}
    assert grid.groups == ["b", 'it\'s "a"']  # sorted as strings
    assert by == {"b": 0.0, 'it\'s "a"': 1.0}


def test_chart_validation():
    grid = threshold_grid(Y, S, G)
    with pytest.raises(ValueError, match="unknown metric"):
        whatif_chart(grid, metrics=["nope"])
    with pytest.raises(TypeError, match="ThresholdGrid"):
        whatif_chart(grid.table)
    with pytest.raises(ValueError, match="unknown group"):
        whatif_chart(grid, per_group_default={"zzz": 0.2})


def test_whatif_explorer_one_call():
    chart = whatif_explorer(Y, S, G, metrics=["fpr"], default_threshold=0.7)
    spec = chart.to_dict()
    assert {p["name"]: p["value"] for p in spec["params"]}["t_all"] == pytest.approx(0.7)


def _toy_model():
    X = pd.DataFrame({"x": [0.0, 1, 2, 3, 0, 1, 2, 3],
                      "race": pd.Categorical(["A", "A", "A", "A", "B", "B", "B", "B"])})
    y = np.array([0, 0, 1, 1, 0, 1, 1, 1])

    class Model:
        """Score = sigmoid(x - 1.5 + 2 * [race == B]); reads race directly."""

        classes_ = np.array([0, 1])

        def predict_proba(self, X):
            z = X["x"].to_numpy(float) - 1.5 + 2.0 * (X["race"].astype(str) == "B")
            p = 1 / (1 + np.exp(-z))
            return np.column_stack([1 - p, p])

    return Model(), X, y


def test_model_scores_uses_predict_proba_and_decision_function():
    model, X, y = _toy_model()
    assert model_scores(model, X)[0] == pytest.approx(1 / (1 + np.exp(1.5)))
    lr = LogisticRegression().fit(X[["x"]], y)
    assert np.allclose(model_scores(lr, X[["x"]]), lr.predict_proba(X[["x"]])[:, 1])

    class OnlyDecision:
        classes_ = np.array([0, 1])

        def decision_function(self, X):
            return np.asarray(X["x"], float)

    assert model_scores(OnlyDecision(), X).tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    with pytest.raises(TypeError, match="neither"):
        model_scores(object(), X)


def test_counterfactual_flip_by_hand():
    model, X, _ = _toy_model()
    cf = counterfactual_flip(model, X, "race", {"A": "B", "B": "A"})
    ind = cf.individual
    # A -> B adds 2 to the logit; x=1, A: sigmoid(-0.5)=.378 -> sigmoid(1.5)=.818
    row = ind.loc[1]
    assert (row.original, row.flipped) == ("A", "B")
    assert row.score == pytest.approx(1 / (1 + np.exp(0.5)))
    assert row.score_flipped == pytest.approx(1 / (1 + np.exp(-1.5)))
    assert row.changed
    s = cf.summary
    assert s.index.tolist() == ["A", "B"]
    assert s.loc["A", "flipped_to"] == "B"
    # A: logits -1.5 -.5 .5 1.5 -> flagged 2; flipped .5 1.5 2.5 3.5 -> 4
    assert s.loc["A", "flagged"] == 2 and s.loc["A", "flagged_flipped"] == 4
    assert s.loc["A", "newly_flagged"] == 2 and s.loc["A", "no_longer_flagged"] == 0
    # B: logits .5 1.5 2.5 3.5 -> flipped -1.5 -.5 .5 1.5: two lose the flag
    assert s.loc["B", "no_longer_flagged"] == 2 and s.loc["B", "changed_share"] == 0.5
    assert s.loc["A", "mean_delta"] > 0 > s.loc["B", "mean_delta"]
    assert X["race"].tolist()[:1] == ["A"]  # input untouched


def test_counterfactual_flip_model_blind_to_column():
    lr_X = pd.DataFrame({"x": [0.0, 1, 2, 3], "race": ["A", "B", "A", "B"]})
    y = [0, 0, 1, 1]

    class Blind:
        classes_ = np.array([0, 1])

        def __init__(self):
            self.lr = LogisticRegression().fit(lr_X[["x"]], y)

        def predict_proba(self, X):
            return self.lr.predict_proba(X[["x"]])

    cf = counterfactual_flip(Blind(), lr_X, "race", {"A": "B"})
    assert len(cf.individual) == 2  # only the mapped rows
    assert np.allclose(cf.individual["delta"], 0)
    assert cf.summary.loc["A", "changed_share"] == 0


def test_counterfactual_flip_validation():
    model, X, _ = _toy_model()
    with pytest.raises(ValueError, match="not in X"):
        counterfactual_flip(model, X, "sex", {"A": "B"})
    with pytest.raises(ValueError, match="never occur"):
        counterfactual_flip(model, X, "race", {"C": "A"})
    with pytest.raises(ValueError, match="not categories"):
        counterfactual_flip(model, X, "race", {"A": "Z"})
    with pytest.raises(ValueError, match="non-empty"):
        counterfactual_flip(model, X, "race", {})
    with pytest.raises(TypeError, match="DataFrame"):
        counterfactual_flip(model, X.to_numpy(), "race", {"A": "B"})


# --- the explorer in a real browser, network off ----------------------------

def _browser_page_or_skip(tmp_path, chart):
    """Write a page holding ``chart`` and the vendored Vega libraries; skip if absent."""
    from pathlib import Path

    sync_api = pytest.importorskip("playwright.sync_api")
    from xaibook.book.browser import find_chromium

    chromium = find_chromium()
    if not chromium:
        pytest.skip("no Chromium (apt-get install -y chromium)")
    libs = Path(__file__).resolve().parent.parent / "_extra" / "_static" / "libs"
    scripts = [libs / "vega" / "vega.min.js", libs / "vega-lite" / "vega-lite.min.js",
               libs / "vega-embed" / "vega-embed.min.js"]
    if not all(p.exists() for p in scripts):
        pytest.skip("vendored Vega libraries missing (run scripts/vendor_assets.py)")
    tags = "".join(f'<script src="{p.as_uri()}"></script>' for p in scripts)
    page = tmp_path / "explorer.html"
    page.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'>{tags}</head><body>"
        "<div id='vis'></div><script>vegaEmbed('#vis', "
        f"{json.dumps(chart.to_dict())}, {{renderer: 'svg', actions: false}})"
        ".then(r => {{ window.ready = true; }})"
        ".catch(e => {{ window.failed = String(e); }});</script></body></html>")
    return sync_api, chromium, page


@pytest.mark.browser
def test_explorer_updates_in_a_browser_offline(tmp_path):
    """Move the real widgets; the bar labels show the hand-computed rates."""
    grid = threshold_grid(Y, S, G, thresholds=np.linspace(0, 1, 11))
    chart = whatif_chart(grid, title="Toy explorer")
    sync_api, chromium, page_path = _browser_page_or_skip(tmp_path, chart)
    from xaibook.book.browser import block_remote, chromium as browser_session

    remote = []
    with browser_session(executable=chromium) as browser:
        context = browser.new_context(offline=True)
        block_remote(context, on_blocked=lambda req: remote.append(req.url))
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(page_path.as_uri())
        page.wait_for_function("window.ready === true || window.failed !== undefined",
                               timeout=20_000)
        assert page.evaluate("window.failed === undefined"), page.evaluate("window.failed")

        def labels():
            # bar labels: group a (selection, FPR, FNR), then group b
            return page.eval_on_selector_all(
                "g.mark-text text", "ts => ts.map(t => t.textContent)"
                ".filter(s => /^\\d+\\.\\d%$/.test(s))")

        def slide(index, value):
            page.locator("input[type=range]").nth(index).evaluate(
                "(el, v) => { el.value = v;"
                " el.dispatchEvent(new Event('input', {bubbles: true})); }", value)

        # threshold 0.5 -- a: .9 .6 flagged; b: .8 .7 flagged
        assert labels() == ["50.0%", "50.0%", "50.0%", "50.0%", "33.3%", "0.0%"]
        slide(0, 0.8)  # everyone: a: .9 only; b: .8 only
        assert labels() == ["25.0%", "0.0%", "50.0%", "25.0%", "0.0%", "0.0%"]
        page.locator("input[type=radio]").nth(1).check()  # one threshold per group
        slide(1, 0.2)  # group a at .2: .9 .4 .6 flagged
        slide(2, 0.8)  # group b at .8
        assert labels() == ["75.0%", "50.0%", "0.0%", "25.0%", "0.0%", "0.0%"]
        assert errors == []
    assert remote == []
