"""Figure helpers: shapes, scaling options and chart specs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xaibook.vision import plots


def test_map_grid_layout():
    rng = np.random.default_rng(0)
    fig = plots.map_grid({"image": rng.random((3, 8, 8)), "map": rng.random((3, 8, 8)),
                          "signed": rng.normal(size=(3, 8, 8))},
                         kinds={"image": "image", "signed": "signed"}, col_labels=["a", "b\nc", "d"],
                         title="t", boundaries={"map": np.zeros((3, 8, 8), int)}, shared=["map"])
    assert len(fig.axes) == 9
    assert fig.axes[0].get_title() == "a"


def test_map_grid_shared_scale_keeps_relative_strength():
    maps = np.stack([np.ones((4, 4)), 0.1 * np.ones((4, 4))])
    fig = plots.map_grid({"m": maps}, shared=["m"])
    shown = [ax.images[0].get_array() for ax in fig.axes]
    assert shown[0].max() == pytest.approx(1.0) and shown[1].max() == pytest.approx(0.1)
    fig = plots.map_grid({"m": maps})
    assert [ax.images[0].get_array().max() for ax in fig.axes] == pytest.approx([1.0, 1.0])


def test_map_grid_errors():
    with pytest.raises(ValueError, match="same number"):
        plots.map_grid({"a": np.zeros((2, 4, 4)), "b": np.zeros((3, 4, 4))})
    with pytest.raises(ValueError, match="kinds"):
        plots.map_grid({"a": np.zeros((2, 4, 4))}, kinds={"a": "heat"})
    with pytest.raises(ValueError, match="column labels"):
        plots.map_grid({"a": np.zeros((2, 4, 4))}, col_labels=["x"])
    with pytest.raises(ValueError, match="empty"):
        plots.map_grid({})


def test_altair_charts_have_titles_and_axes():
    conf = pd.DataFrame([[5, 1], [2, 7]], index=["a", "b"], columns=["a", "b"])
    spec = plots.confusion_heatmap(conf, title="C").to_dict()
    assert spec["title"] == "C"
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Predicted class"
    hist = pd.DataFrame({"epoch": [1, 2, 1, 2], "metric": ["loss"] * 4,
                         "split": ["training", "training", "validation", "validation"],
                         "value": [1.0, 0.5, 1.1, 0.6]})
    assert plots.history_chart(hist, title="H").to_dict()["title"] == "H"
    summary = pd.DataFrame({"step": [0, 1], "stage": ["original", "logits"], "method": ["g", "g"],
                            "mean": [1.0, 0.5], "low": [1.0, 0.4], "high": [1.0, 0.6]})
    spec = plots.sanity_chart(summary, title="S").to_dict()
    assert spec["title"] == "S"
    null = pd.DataFrame({"low": [0.1], "high": [0.3]}, index=["g"])
    spec = plots.sanity_chart(summary, title="N", null=null, ceiling=pd.Series({"g": 0.8})).to_dict()
    assert spec["title"]["text"] == "N" and spec["facet"]["field"] == "method"
    # axes titled once, in the subtitle, not under every small panel
    assert spec["title"]["subtitle"][0].startswith("y: Rank correlation")
    assert "ceiling" in spec["title"]["subtitle"][1]
    assert spec["spec"]["layer"][2]["encoding"]["x"]["title"] is None
    marks = [layer["mark"]["type"] for layer in spec["spec"]["layer"]]
    assert marks == ["rect", "errorbar", "line", "rule"]
    values = next(iter(spec["datasets"].values()))
    assert {v["null_low"] for v in values} == {0.1} and {v["ceiling"] for v in values} == {0.8}
    with pytest.raises(ValueError, match="missing"):
        plots.sanity_chart(summary, null=null.rename(index={"g": "h"}))
    with pytest.raises(ValueError, match="null too"):
        plots.sanity_chart(summary, ceiling=pd.Series({"g": 0.8}))
    agreement = pd.DataFrame(np.eye(2), index=["a", "b"], columns=["a", "b"])
    assert plots.agreement_heatmap(agreement, title="A").to_dict()["title"] == "A"
    with pytest.raises(ValueError):
        plots.confusion_heatmap(conf.iloc[:1])
    with pytest.raises(ValueError):
        plots.history_chart(hist.drop(columns="split"))


def test_shap_image_plot_returns_closed_figure():
    import matplotlib.pyplot as plt

    values = np.random.default_rng(0).normal(size=(2, 8, 8, 1, 3))
    fig = plots.shap_image_plot(values, np.zeros((2, 8, 8, 1)), ["a", "b", "c"], width=6)
    assert not plt.get_fignums()
    assert len(fig.axes) >= 2 * 4
    with pytest.raises(ValueError, match="labels"):
        plots.shap_image_plot(values, np.zeros((2, 8, 8, 1)), ["a"])
