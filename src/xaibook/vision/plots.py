"""Figures for the vision chapters: image grids (matplotlib) and charts (Altair).

Grids are built on :class:`matplotlib.figure.Figure` directly, not through
``pyplot``, so they hold no global state, need no closing and are shown
exactly once when a notebook cell returns them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from xaibook.vision.attribution import normalize_maps

__all__ = ["agreement_heatmap", "confusion_heatmap", "history_chart", "map_grid",
           "sanity_chart", "shap_image_plot"]

_KINDS = ("image", "map", "signed")


def map_grid(rows: Mapping[str, np.ndarray], *, kinds: Mapping[str, str] | None = None,
             col_labels: Sequence[str] | None = None, title: str | None = None,
             cell: float = 1.15, dpi: int = 80, cmap: str = "inferno",
             signed_cmap: str = "RdBu_r", boundaries: Mapping[str, np.ndarray] | None = None,
             shared: Sequence[str] = ()):
    """A grid of images and maps: one row per entry of ``rows``.

    Parameters
    ----------
    rows : mapping of str to array
        Row label to ``(n_cols, h, w)`` (or ``(n_cols, h, w, c)`` images).
    kinds : mapping of str to {"image", "map", "signed"}, optional
        How to draw each row: an image in grey (or colour), a non-negative
        map scaled to its maximum (``cmap``), or a signed map scaled to
        ``[-1, 1]`` (``signed_cmap``, white = 0). Default ``"map"``.
    col_labels : sequence of str, optional
        Titles of the columns.
    title : str, optional
        Title of the figure.
    cell, dpi : float, int
        Size of a cell in inches and resolution.
    boundaries : mapping of str to array, optional
        Row label to ``(n_cols, h, w)`` integer segments whose outlines are
        drawn on that row (e.g. LIME's superpixels).
    shared : sequence of str
        Rows whose maps share one scale (the row's largest absolute value)
        instead of one scale per map, so that their strengths compare.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    if not rows:
        raise ValueError("rows is empty")
    kinds = dict(kinds or {})
    boundaries = dict(boundaries or {})
    arrays = {label: np.asarray(a) for label, a in rows.items()}
    n_cols = {len(a) for a in arrays.values()}
    if len(n_cols) != 1:
        raise ValueError(f"all rows need the same number of columns, got {sorted(n_cols)}")
    n_cols = n_cols.pop()
    if col_labels is not None and len(col_labels) != n_cols:
        raise ValueError(f"{len(col_labels)} column labels for {n_cols} columns")
    bad = {k: v for k, v in kinds.items() if v not in _KINDS}
    if bad:
        raise ValueError(f"kinds must be in {_KINDS}, got {bad}")
    n_rows = len(arrays)
    lines = max((str(c).count("\n") + 1 for c in col_labels), default=0) if col_labels else 0
    head = (0.3 if title else 0.0) + (0.05 + 0.13 * lines)
    width, height = cell * n_cols + 1.2, cell * n_rows + head
    fig = Figure(figsize=(width, height), dpi=dpi)
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for r, (label, stack) in enumerate(arrays.items()):
        kind = kinds.get(label, "map")
        if kind == "image":
            shown = stack.astype(np.float64)
            shown = shown[..., 0] if shown.ndim == 4 and shown.shape[-1] == 1 else shown
            if shown.max() > 1:
                shown = shown / 255.0
        elif label in shared:
            shown = normalize_maps(stack.reshape(1, -1, stack.shape[-1]),
                                   signed=kind == "signed").reshape(stack.shape)
        else:
            shown = normalize_maps(stack, signed=kind == "signed")
        for c in range(n_cols):
            ax = axes[r, c]
            if kind == "image":
                ax.imshow(shown[c], cmap="gray" if shown[c].ndim == 2 else None, vmin=0, vmax=1)
            elif kind == "signed":
                ax.imshow(shown[c], cmap=signed_cmap, vmin=-1, vmax=1)
            else:
                ax.imshow(shown[c], cmap=cmap, vmin=0, vmax=1)
            if label in boundaries:
                seg = np.asarray(boundaries[label][c])
                edge = np.zeros(seg.shape, dtype=bool)
                edge[:-1] |= seg[:-1] != seg[1:]
                edge[:, :-1] |= seg[:, :-1] != seg[:, 1:]
                ax.imshow(np.ma.masked_where(~edge, edge), cmap="autumn", alpha=0.8,
                          interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0 and col_labels is not None:
                ax.set_title(col_labels[c], fontsize=7)
            if c == 0:
                ax.set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    if title:
        # Pinned to the top edge: the default y=0.98 of a tall grid lands on the column labels.
        fig.suptitle(title, fontsize=9, y=1 - 0.03 / height, va="top")
    fig.subplots_adjust(left=1.1 / width, right=0.99, wspace=0.05, hspace=0.08,
                        top=1 - head / height, bottom=0.01)
    return fig


def shap_image_plot(values, images, labels, *, width: float = 10, dpi: int = 80):
    """SHAP's own ``image_plot`` for ``(n, h, w, c, k)`` values, as a closed figure.

    ``labels`` names the ``k`` classes. The figure is closed in ``pyplot``
    before it is returned, so a notebook shows it once (as the cell's value).
    """
    import matplotlib.pyplot as plt

    from xaibook.vision._tf import quiet

    values = np.asarray(values)
    if values.ndim != 5:
        raise ValueError(f"values must be (n, h, w, c, k), got shape {values.shape}")
    if len(labels) != values.shape[-1]:
        raise ValueError(f"{len(labels)} labels for {values.shape[-1]} classes")
    with quiet():
        import shap

        shap.image_plot([values[..., k] for k in range(values.shape[-1])], np.asarray(images),
                        labels=np.tile(np.asarray(labels), (len(values), 1)), width=width,
                        show=False)
    fig = plt.gcf()
    fig.set_dpi(dpi)
    plt.close(fig)
    return fig


def agreement_heatmap(agreement: pd.DataFrame, *, title: str = "Agreement between methods",
                      size: int = 300):
    """Altair heatmap of a square method-by-method similarity table."""
    import altair as alt

    order = [str(c) for c in agreement.index]
    long = agreement.rename_axis(index="method_a", columns="method_b").stack().rename("value")
    long = long.reset_index().astype({"method_a": str, "method_b": str})
    base = alt.Chart(long).encode(x=alt.X("method_b:N", sort=order, title="Method"),
                                  y=alt.Y("method_a:N", sort=order, title="Method"))
    rect = base.mark_rect().encode(
        color=alt.Color("value:Q", scale=alt.Scale(scheme="redblue", domain=[-1, 1], reverse=True),
                        title="Rank correlation"),
        tooltip=["method_a", "method_b", alt.Tooltip("value:Q", format=".2f")])
    text = base.mark_text(fontSize=9).encode(text=alt.Text("value:Q", format=".2f"))
    return (rect + text).properties(title=title, width=size, height=size)


def confusion_heatmap(confusion: pd.DataFrame, *, title: str = "Confusion matrix",
                      normalize: bool = True, size: int = 330):
    """Altair heatmap of a confusion matrix (rows: true class, columns: predicted).

    With ``normalize=True`` colours show the share of each true class; the
    text shows the counts. The colour scale stops at the largest mistake
    (off the diagonal), so the correct cells all look saturated.
    """
    import altair as alt

    if confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"confusion must be square, got {confusion.shape}")
    order = [str(c) for c in confusion.index]
    long = confusion.rename_axis(index="true", columns="predicted").stack().rename("count")
    long = long.reset_index().astype({"true": str, "predicted": str})
    totals = long.groupby("true")["count"].transform("sum")
    long["share"] = long["count"] / totals.where(totals > 0, 1)
    value = "share" if normalize else "count"
    # The diagonal dwarfs the mistakes: cap the colour scale at the largest
    # off-diagonal value so that the confusions show (the diagonal saturates).
    off = long.loc[long["true"] != long["predicted"], value]
    top = float(off.max()) if len(off) and off.max() > 0 else float(long[value].max() or 1)
    base = alt.Chart(long).encode(
        x=alt.X("predicted:N", sort=order, title="Predicted class"),
        y=alt.Y("true:N", sort=order, title="True class"))
    rect = base.mark_rect().encode(
        color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme="blues", domain=[0, top], clamp=True),
                        title=("Share of true class" if normalize else "Count") + " (capped)"),
        tooltip=["true", "predicted", "count", alt.Tooltip("share:Q", format=".1%")])
    text = base.mark_text(fontSize=9).encode(
        text="count:Q",
        color=alt.condition(alt.datum[value] > 0.6 * top, alt.value("white"), alt.value("black")))
    return (rect + text).properties(title=title, width=size, height=size)


def history_chart(history: pd.DataFrame, *, title: str = "Training history"):
    """Altair line chart of a long training history (epoch, metric, split, value)."""
    import altair as alt

    needed = {"epoch", "metric", "split", "value"}
    if not needed <= set(history.columns):
        raise ValueError(f"history needs columns {sorted(needed)}")
    return (alt.Chart(history).mark_line(point=True).encode(
        x=alt.X("epoch:O", title="Epoch"),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        color=alt.Color("split:N", title="Data"),
        tooltip=["epoch", "split", alt.Tooltip("value:Q", format=".4f")])
        .properties(width=260, height=180)
        .facet(column=alt.Column("metric:N", title=None))
        .resolve_scale(y="independent")
        .properties(title=title))


def sanity_chart(summary: pd.DataFrame, *, title: str = "Cascading randomization",
                 y_title: str = "Rank correlation with the original map",
                 null: pd.DataFrame | None = None, ceiling: pd.Series | None = None,
                 x_title: str = "Randomized down to layer (cumulative)", columns: int = 4):
    """Altair chart of :meth:`SanityResult.summary`: similarity per stage and method.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``step``, ``stage``, ``method``, ``mean``, ``low``, ``high`` (long format).
    null : pandas.DataFrame, optional
        The floor, indexed by method, with ``low`` and ``high``
        (:func:`xaibook.vision.sanity.different_image_band`). Given, the chart
        has one small panel per method with the band drawn in grey behind its
        line: a score inside the band is no more similar to the trained map
        than another garment's map is.
    ceiling : pandas.Series, optional
        Method -> the similarity of two runs of the method on the trained
        model (:func:`xaibook.vision.sanity.noise_ceiling`), drawn as a dashed
        line in the panels (needs ``null``).
    x_title, columns : str, int
        Title of the x axis; panels per row. In the per-method panels the
        axes are titled once, in the subtitle (a title under every small
        panel is wider than the panel and runs into its neighbour's).
    """
    import altair as alt

    needed = {"step", "stage", "method", "mean", "low", "high"}
    if not needed <= set(summary.columns):
        raise ValueError(f"summary needs columns {sorted(needed)}")
    if ceiling is not None and null is None:
        raise ValueError("a ceiling is drawn in the per-method panels: give null too")
    order = list(dict.fromkeys(summary.sort_values("step")["stage"]))
    x = alt.X("stage:N", sort=order, title=x_title,
              axis=alt.Axis(labelAngle=-40 if null is not None else 0))
    if null is None:
        base = alt.Chart(summary).encode(x=x, color=alt.Color("method:N", title="Method"))
        band = base.mark_errorbar(opacity=0.5).encode(y=alt.Y("low:Q", title=y_title), y2="high:Q")
        line = base.mark_line(point=True).encode(
            y=alt.Y("mean:Q", title=y_title),
            tooltip=["stage", "method", alt.Tooltip("mean:Q", format=".2f")])
        return (band + line).properties(title=title, width=420, height=260)
    missing = sorted(set(summary["method"]) - set(null.index))
    if missing or not {"low", "high"} <= set(null.columns):
        raise ValueError(f"null needs low and high for every method (missing: {missing})")
    data = summary.merge(null[["low", "high"]].rename(columns={"low": "null_low", "high": "null_high"}),
                         left_on="method", right_index=True)
    if ceiling is not None:
        data = data.assign(ceiling=data["method"].map(ceiling))
    methods = list(dict.fromkeys(summary["method"]))
    scale = alt.Scale(domain=[min(-0.2, float(data[["low", "null_low"]].min().min())), 1])
    subtitle = [f"y: {y_title}; x: {x_title[:1].lower() + x_title[1:]}",
                "Grey band: maps of different garments (the floor)"
                + ("; dashed red: two runs of the method (the ceiling)" if ceiling is not None else "")]
    x = alt.X("stage:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40))
    y_title = "similarity"
    y = alt.Y("mean:Q", title=y_title, scale=scale)
    floor = (alt.Chart().transform_filter(alt.datum.step == 0)
             .mark_rect(color="#999999", opacity=0.35)
             .encode(y=alt.Y("null_low:Q", title=y_title, scale=scale), y2="null_high:Q",
                     tooltip=[alt.Tooltip("null_low:Q", title="different garments from", format=".2f"),
                              alt.Tooltip("null_high:Q", title="to", format=".2f")]))
    bars = alt.Chart().mark_errorbar(color="#1f77b4").encode(
        x=x, y=alt.Y("low:Q", title=y_title, scale=scale), y2="high:Q")
    line = alt.Chart().mark_line(point=True, color="#1f77b4").encode(
        x=x, y=y, tooltip=["stage", "method", alt.Tooltip("mean:Q", format=".2f")])
    layers = [floor, bars, line]
    if ceiling is not None:
        layers.append(alt.Chart().transform_filter(alt.datum.step == 0)
                      .transform_filter("isValid(datum.ceiling)")
                      .mark_rule(strokeDash=[4, 3], color="#d62728")
                      .encode(y=alt.Y("ceiling:Q", title=y_title, scale=scale)))
    return (alt.layer(*layers, data=data).properties(width=150, height=130)
            .facet(facet=alt.Facet("method:N", sort=methods, title=None), columns=columns)
            .properties(title=alt.TitleParams(title, subtitle=subtitle)))
