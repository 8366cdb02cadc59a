"""Charts of the Gen-Z case study (Altair, aggregated data) and one image grid.

``accuracy_chart(accuracy)``
    Accuracy against cliché strength, one line per test condition.
``colour_share_chart(shares, *, ratio)``
    Each explainer's colour share relative to the control model, with the
    detection line.
``proxy_rank_chart(detections, *, methods, top_k)``
    Rank of the proxy in each tabular explainer's ranking, against strength.
``swap_figure(model, images, indices, class_names)``
    The same garments in their cliché colour and swapped: predictions and maps.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from xaibook.style import PALETTE, WIDTH, check_frame, check_rows, titled
from xaibook.cases.genz.tint import TintedImages, colour_axes

__all__ = ["accuracy_chart", "colour_share_chart", "proxy_rank_chart", "swap_figure"]

_CONDITIONS = {"clichéd": "clichéd (like the training data)",
               "independent": "Gen Z: colour independent of class",
               "reversed": "Gen Z: colours reversed"}


def _strength_axis() -> alt.X:
    return alt.X("strength:Q", title="Strength of the planted cliché",
                 scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".2f"))


def accuracy_chart(accuracy: pd.DataFrame, *, title: str = "The cliché pays off until the world changes",
                   subtitle: str | None = "Accuracy of the same CNN recipe, trained at each strength"
                   ) -> alt.Chart:
    """Accuracy (y) against strength (x), one line per test condition.

    ``accuracy`` has columns ``strength``, ``condition``, ``accuracy``
    (see :class:`xaibook.cases.genz.image_experiment.ImageExperiment`).
    """
    check_frame(accuracy, ["strength", "condition", "accuracy"], name="accuracy")
    data = accuracy.assign(condition=accuracy["condition"].map(lambda c: _CONDITIONS.get(c, c)),
                           accuracy=accuracy["accuracy"].astype(float).round(4))
    check_rows(data)
    domain = list(dict.fromkeys(data["condition"]))
    base = alt.Chart(data).encode(
        x=_strength_axis(),
        y=alt.Y("accuracy:Q", title="Accuracy on 1,000 test images" if "n" not in accuracy
                else f"Accuracy ({int(accuracy['n'].iloc[0]):,} test images)",
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("condition:N", title="Test set",
                        scale=alt.Scale(domain=domain, range=["#7f7f7f", PALETTE[0], "#e377c2"][:len(domain)]),
                        legend=alt.Legend(orient="bottom", direction="vertical")),
        tooltip=[alt.Tooltip("strength:Q", title="strength"), "condition:N",
                 alt.Tooltip("accuracy:Q", format=".1%")])
    return (base.mark_line() + base.mark_circle(size=45)).properties(
        width=WIDTH, height=260, title=titled(title, subtitle))


def colour_share_chart(shares: pd.DataFrame, *, ratio: float, names: Mapping[str, str] | None = None,
                       title: str = "Which explainers see colour?",
                       subtitle: str | None = None) -> alt.LayerChart:
    """Colour share relative to the control model (log scale), per explainer.

    ``shares`` has ``strength``, ``method``, ``colour_share`` and ``ratio``;
    the dashed line is the detection rule ``ratio``.
    """
    check_frame(shares, ["strength", "method", "colour_share", "ratio"], name="shares")
    names = dict(names or {})
    data = shares.assign(method=shares["method"].map(lambda m: names.get(m, m)),
                         ratio=shares["ratio"].astype(float).round(3),
                         colour_share=shares["colour_share"].astype(float).round(4))
    check_rows(data)
    domain = list(dict.fromkeys(data["method"]))
    subtitle = subtitle or (f"Colour share of each explainer's map, divided by the same explainer's share "
                            f"for the model trained without the cliché; dashed: detection at {ratio:g}×")
    base = alt.Chart(data).encode(
        x=_strength_axis(),
        y=alt.Y("ratio:Q", title="Colour share / control's (log scale)", scale=alt.Scale(type="log")),
        color=alt.Color("method:N", title="Explainer",
                        scale=alt.Scale(domain=domain, range=PALETTE[:len(domain)]),
                        legend=alt.Legend(orient="right")),
        tooltip=["method:N", alt.Tooltip("strength:Q", title="strength"),
                 alt.Tooltip("colour_share:Q", title="colour share", format=".3f"),
                 alt.Tooltip("ratio:Q", title="× control", format=".2f")])
    rule = alt.Chart(pd.DataFrame({"ratio": [ratio]})).mark_rule(strokeDash=[5, 4], color="#555") \
        .encode(y="ratio:Q")
    return (base.mark_line() + base.mark_circle(size=40) + rule).properties(
        width=WIDTH, height=260, title=titled(title, subtitle))


def proxy_rank_chart(detections: pd.DataFrame, *, methods: Sequence[str], top_k: int,
                     n_features: int | None = None,
                     title: str = "When does the proxy reach the top of the ranking?",
                     subtitle: str | None = None) -> alt.LayerChart:
    """Rank of the proxy (1 = most important; top of the chart) per explainer and strength."""
    check_frame(detections, ["method", "strength", "value"], name="detections")
    data = detections[detections["method"].isin(list(methods))][["method", "strength", "value"]]
    if data.empty:
        raise ValueError(f"no rows for methods {list(methods)}")
    data = data.assign(method=data["method"].astype(str), rank=data["value"].astype(int))
    check_rows(data)
    top = int(n_features or data["rank"].max())
    subtitle = subtitle or f"Rank of the proxy among the model's {top} features; dashed: top {top_k}"
    base = alt.Chart(data).encode(
        x=_strength_axis(),
        y=alt.Y("rank:Q", title="Rank of the proxy (1 = most important)",
                scale=alt.Scale(domain=[top, 1], nice=False), axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("method:N", title="Explainer",
                        scale=alt.Scale(domain=list(methods), range=PALETTE[:len(methods)])),
        tooltip=["method:N", alt.Tooltip("strength:Q", title="strength"), "rank:Q"])
    rule = alt.Chart(pd.DataFrame({"rank": [top_k + 0.5]})).mark_rule(strokeDash=[5, 4], color="#555") \
        .encode(y="rank:Q")
    return (base.mark_line() + base.mark_circle(size=40) + rule).properties(
        width=WIDTH, height=260, title=titled(title, subtitle))


def swap_figure(model, images: TintedImages, indices: Sequence[int], class_names: Sequence[str], *,
                title: str | None = None, dpi: int = 80):
    """The same garments in their colour and swapped: what the model says, what the maps show.

    Columns: each chosen image, then the same image with its colour swapped;
    column titles give the model's prediction. Rows: the image; Grad-CAM
    (one value per pixel); the gradient as usually shown (largest absolute
    value over the three channels); and the gradient's component along the
    colour axis (red: pinker raises the score, blue: bluer does).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from xaibook.vision.attribution import attribute, input_gradients
    from xaibook.vision.plots import map_grid

    if not isinstance(images, TintedImages):
        raise TypeError("images must be a TintedImages set")
    idx = np.asarray(list(indices), dtype=int)
    if idx.size == 0 or idx.min() < 0 or idx.max() >= len(images):
        raise ValueError(f"indices must be between 0 and {len(images) - 1}")
    swapped = images.swapped()
    x = np.concatenate([images.x[idx], swapped.x[idx]])
    colours = [images.palette[c] for c in np.concatenate([images.colour[idx], swapped.colour[idx]])]
    probs = model.predict(x, verbose=0)
    pred = probs.argmax(axis=1)
    colour_axis, _ = colour_axes()
    grads = input_gradients(model, x, pred)
    rows = {
        "image": x,
        "Grad-CAM": attribute(model, x, pred, "gradcam"),
        "gradient\n(as shown)": np.abs(grads).max(axis=-1),
        "gradient:\ncolour part": grads @ colour_axis,
    }
    labels = [f"{c}: {class_names[p]}\n({probs[i, p]:.0%})" for i, (c, p) in enumerate(zip(colours, pred))]
    return map_grid(rows, kinds={"image": "image", "gradient:\ncolour part": "signed"},
                    col_labels=labels, title=title, dpi=dpi)
