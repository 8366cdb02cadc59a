"""Charts and the swap figure: titles, axes, aggregated data, clear errors."""

import numpy as np
import pandas as pd
import pytest

from xaibook.cases.genz import Detection, Threshold, detection_table
from xaibook.cases.genz.plots import accuracy_chart, colour_share_chart, proxy_rank_chart


def _accuracy():
    return pd.DataFrame({"strength": [0, 0, 1, 1], "condition": ["clichéd", "reversed"] * 2,
                         "accuracy": [0.8, 0.8, 0.9, 0.1], "n": 100})


def test_accuracy_chart_has_title_and_axes():
    spec = accuracy_chart(_accuracy()).to_dict()
    assert spec["title"]["text"]
    enc = spec["layer"][0]["encoding"]
    assert enc["x"]["title"] and enc["y"]["title"] and enc["y"]["scale"]["domain"] == [0, 1]
    with pytest.raises(ValueError, match="accuracy"):
        accuracy_chart(_accuracy().drop(columns="accuracy"))


def test_colour_share_chart_draws_the_rule():
    shares = pd.DataFrame({"strength": [0, 1], "method": ["gradient"] * 2, "colour_share": [0.1, 0.3],
                           "ratio": [1.0, 3.0]})
    spec = colour_share_chart(shares, ratio=1.5, names={"gradient": "Gradient"}).to_dict()
    assert spec["title"]["text"]
    assert any(layer.get("mark", {}).get("type") == "rule" or layer.get("mark") == "rule"
               for layer in spec["layer"])


def test_proxy_rank_chart():
    rule = Threshold("rank", 3, "at most", fmt="{:.0f}")
    table = detection_table([Detection("SHAP", 0.0, 8, rule), Detection("SHAP", 0.5, 1, rule)])
    spec = proxy_rank_chart(table, methods=["SHAP"], top_k=3, n_features=14).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["scale"]["domain"] == [14, 1]
    with pytest.raises(ValueError, match="no rows"):
        proxy_rank_chart(table, methods=["LIME"], top_k=3)


def test_swap_figure_with_a_tiny_model():
    pytest.importorskip("tensorflow")
    from xaibook.cases.genz import make_cliched
    from xaibook.cases.genz.plots import swap_figure
    from xaibook.vision import CNNRecipe, build_cnn

    model = build_cnn(CNNRecipe(input_shape=(28, 28, 3), conv_filters=(4,), dense_units=8))
    rng = np.random.default_rng(0)
    images = make_cliched(rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), np.arange(4), 1.0, seed=0)
    fig = swap_figure(model, images, [0, 1], [f"class {k}" for k in range(10)])
    assert len(fig.axes) == 4 * 4  # 4 rows x (2 images + 2 swapped)
    with pytest.raises(ValueError, match="indices"):
        swap_figure(model, images, [9], [str(k) for k in range(10)])
