"""Interactive county choropleths with Altair that render offline.

The map geometry is the US counties TopoJSON of the data layer
(:func:`xaibook.data.load_us_counties_topojson`, ids are FIPS codes).
Pass it either

* as the ``dict`` itself: it is inlined **once** in the chart's top-level
  ``datasets`` (the counties and the states each as a compact string with
  only their own arcs) and shared by every panel, so a page works with no
  network and no extra file (about 0.75 MB per chart: draw all panels in one
  chart); or
* as a relative URL string to a copy served next to the page.

Only ``fips`` and the plotted columns of the values frame enter the chart.

Use :func:`county_maps` for any set of panels, :func:`prediction_maps` for the
usual actual / predicted / residual trio, and :func:`map_coverage` to find
the counties a map cannot draw. Shares run from blue (0 %) through white
(50 %) to red (100 %); residuals use a diverging scale centred on zero (red:
more Republican than predicted, blue: less), clamped at a high quantile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from xaibook.style import titled

__all__ = ["MapPanel", "MapCoverage", "county_maps", "map_coverage", "prediction_maps", "residual_limit",
           "subset_topology", "write_topology", "write_site_topology", "county_centroids", "vote_circles", "STATIC_TOPOLOGY",
           "TOPOLOGY_URL"]

#: Where the book serves the county TopoJSON, relative to the site root
#: (written at build time by :func:`write_topology` into ``_extra/``), and the
#: URL a chapter page in ``book/`` loads it from.
STATIC_TOPOLOGY = "_static/data/us-counties.json"
TOPOLOGY_URL = "../" + STATIC_TOPOLOGY

_KINDS = ("share", "residual")


@dataclass(frozen=True)
class MapPanel:
    """One map of a :func:`county_maps` chart.

    Attributes
    ----------
    column : str
        Column of the values frame to colour by.
    title : str
        Panel title.
    kind : {"share", "residual"}
        ``"share"``: blue-to-red over ``domain`` (default 0–100), white at its middle.
        ``"residual"``: diverging colours, symmetric around zero.
    label : str
        Legend and tooltip title (defaults to ``title``).
    domain : tuple of float, optional
        Colour domain; for residuals the half-width ``(−m, m)`` is taken from
        :func:`residual_limit` when not given.
    """

    column: str
    title: str
    kind: str = "share"
    label: str | None = None
    domain: tuple[float, float] | None = None

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"MapPanel kind must be one of {_KINDS}, got {self.kind!r}")
        if self.domain is not None and (len(self.domain) != 2 or not self.domain[0] < self.domain[1]):
            raise ValueError(f"MapPanel domain must be (low, high) with low < high, got {self.domain!r}")


def residual_limit(residuals, quantile: float = 0.98) -> float:
    """A symmetric colour limit for residuals: the ``quantile`` of ``|r|``, rounded up.

    Using a high quantile rather than the maximum keeps a few extreme counties
    from washing out every other colour (values beyond it are clamped).
    """
    values = np.abs(np.asarray(residuals, dtype=float))
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("residual_limit needs at least one finite residual")
    if not 0 < quantile <= 1:
        raise ValueError(f"quantile must be in (0, 1], got {quantile}")
    limit = float(np.quantile(values, quantile))
    return float(max(np.ceil(limit), 1.0))


@dataclass(frozen=True)
class MapCoverage:
    """How a set of FIPS codes matches the shapes of a TopoJSON object.

    Attributes
    ----------
    n_values : int
        Distinct FIPS codes given.
    n_shapes : int
        Shapes (with a geometry) in the object.
    without_shape : list of int
        FIPS codes that have no shape: their values cannot be drawn.
    without_value : list of int
        Shapes with no value: drawn grey.
    """

    n_values: int
    n_shapes: int
    without_shape: list
    without_value: list

    @property
    def n_drawn(self) -> int:
        """Values that get a coloured shape."""
        return self.n_values - len(self.without_shape)


def map_coverage(fips, topology: dict, feature: str = "counties") -> MapCoverage:
    """Which FIPS codes the map can draw, and which shapes will stay grey.

    The map and the data come from different sources and years: for example
    the vega-datasets map merges Virginia's independent cities into the
    surrounding counties and still has Alaska's pre-2008 boroughs. Check
    before drawing, and say in the text what the map cannot show.
    """
    if not isinstance(topology, dict) or feature not in topology.get("objects", {}):
        raise ValueError(f"topology must be a TopoJSON dict with the object {feature!r}")
    codes = pd.Series(fips)
    if codes.isna().any():
        raise ValueError("fips has missing values")
    codes = set(codes.astype("int64"))
    shapes = {int(g["id"]) for g in topology["objects"][feature].get("geometries", [])
              if g.get("type") and g.get("id") is not None}
    return MapCoverage(n_values=len(codes), n_shapes=len(shapes),
                       without_shape=sorted(codes - shapes), without_value=sorted(shapes - codes))


def _check_topology(topology) -> None:
    if isinstance(topology, str):
        if topology.startswith(("http://", "https://", "//")):
            raise ValueError("pass the TopoJSON dict or a relative URL: an absolute URL "
                             f"needs the network ({topology!r})")
        return
    if not isinstance(topology, dict) or topology.get("type") != "Topology":
        raise TypeError("topology must be the TopoJSON dict of load_us_counties_topojson() "
                        "or a relative URL string")
    missing = [o for o in ("counties", "states") if o not in topology.get("objects", {})]
    if missing:
        raise ValueError(f"topology lacks the objects {missing}")


def subset_topology(topology: dict, objects) -> dict:
    """A TopoJSON with only the named ``objects`` and the arcs they use.

    Arc indices are renumbered (``~i`` marks a reversed arc, as in the
    TopoJSON specification); ``transform`` and ``bbox`` are kept.

    >>> topo = {"type": "Topology", "arcs": [[[0, 0], [1, 1]], [[5, 5], [1, 0]], [[2, 2], [0, 1]]],
    ...         "objects": {"a": {"type": "LineString", "arcs": [~2]}}}
    >>> subset_topology(topo, ["a"])["arcs"], subset_topology(topo, ["a"])["objects"]["a"]["arcs"]
    ([[[2, 2], [0, 1]]], [-1])
    """
    if not isinstance(topology, dict) or topology.get("type") != "Topology":
        raise TypeError("topology must be a TopoJSON dict (type 'Topology')")
    objects = list(objects)
    missing = [o for o in objects if o not in topology.get("objects", {})]
    if missing:
        raise ValueError(f"topology lacks the objects {missing}")
    used: dict[int, int] = {}

    def collect(node):
        if isinstance(node, int):
            used.setdefault(node if node >= 0 else ~node, len(used))
        elif isinstance(node, list):
            for item in node:
                collect(item)

    def remap(node):
        if isinstance(node, int):
            return used[node] if node >= 0 else ~used[~node]
        return [remap(item) for item in node]

    def walk(geometry, fn):
        out = {k: v for k, v in geometry.items() if k not in ("arcs", "geometries")}
        if "arcs" in geometry:
            out["arcs"] = fn(geometry["arcs"])
        if "geometries" in geometry:
            out["geometries"] = [walk(g, fn) for g in geometry["geometries"]]
        return out

    for name in objects:
        walk(topology["objects"][name], lambda arcs: collect(arcs) or arcs)
    order = sorted(used, key=used.get)
    new = {k: v for k, v in topology.items() if k not in ("objects", "arcs")}
    new["objects"] = {name: walk(topology["objects"][name], remap) for name in objects}
    new["arcs"] = [topology["arcs"][i] for i in order]
    return new


def _sources(topology) -> dict:
    """Vega-Lite data for the ``counties`` and ``states`` features."""
    if isinstance(topology, str):
        return {f: alt.topo_feature(topology, f) for f in ("counties", "states")}
    # Inline, each feature as its own compact TopoJSON string holding only the
    # arcs it uses (Vega-Lite refuses one dataset read with two formats, and
    # parses a string by ``format``). Altair moves each string to the chart's
    # top-level ``datasets`` under a content hash, so every panel and layer
    # shares one copy; a string, unlike the nested dict, is hashed and
    # validated by Altair in milliseconds.
    return {f: alt.InlineData(values=json.dumps(subset_topology(topology, [f]), separators=(",", ":")),
                              format=alt.DataFormat(type="topojson", feature=f))
            for f in ("counties", "states")}


def _values_frame(values: pd.DataFrame, columns: list[str], tooltip: list[str], decimals: int) -> pd.DataFrame:
    if not isinstance(values, pd.DataFrame):
        raise TypeError(f"values must be a pandas DataFrame, got {type(values).__name__}")
    needed = ["fips", *columns, *tooltip]
    missing = [c for c in needed if c not in values.columns]
    if missing:
        raise ValueError(f"values lacks columns {missing}")
    keep = list(dict.fromkeys(needed))
    frame = values[keep].copy()
    if frame["fips"].isna().any():
        raise ValueError("values has missing FIPS codes")
    frame["fips"] = frame["fips"].astype("int64")
    if frame["fips"].duplicated().any():
        dups = frame.loc[frame["fips"].duplicated(), "fips"].head(5).tolist()
        raise ValueError(f"values has several rows per county (FIPS {dups}); pass one row per county")
    for column in dict.fromkeys(columns):
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise TypeError(f"column {column!r} must be numeric")
        frame[column] = frame[column].astype(float).round(decimals)
        if decimals == 0 or (frame[column] == frame[column].round()).all():
            frame[column] = frame[column].astype("int64") if frame[column].notna().all() else frame[column]
    return frame.reset_index(drop=True)


def _csv_data(frame: pd.DataFrame) -> alt.InlineData:
    """The values as one compact CSV string (no repeated keys), numbers parsed as numbers.

    Altair moves it to the chart's top-level ``datasets`` once, shared by every
    panel and layer that looks it up.
    """
    parse = {c: "number" for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])}
    text = frame.to_csv(index=False, lineterminator="\n", float_format="%.10g")
    return alt.InlineData(values=text, format=alt.DataFormat(type="csv", parse=parse))


def _panel(panel: MapPanel, values: pd.DataFrame, sources: dict, tooltip: list[str],
           width: int, height: int, data=None) -> alt.LayerChart:
    data = _csv_data(values) if data is None else data
    label = panel.label or panel.title
    if panel.kind == "residual":
        if panel.domain is not None:
            domain = list(panel.domain)
        else:
            limit = residual_limit(values[panel.column])
            domain = [-limit, limit]
        scale = alt.Scale(scheme="redblue", reverse=True, domain=domain, domainMid=0, clamp=True)
    else:
        low, high = panel.domain or (0, 100)
        scale = alt.Scale(scheme="redblue", reverse=True, domain=[low, high],
                          domainMid=(low + high) / 2, clamp=True)
    fields = list(dict.fromkeys([panel.column, *tooltip]))
    background = alt.Chart(sources["states"]).mark_geoshape(
        fill="#e6e6e6", stroke=None).project(type="albersUsa")
    counties = alt.Chart(sources["counties"]).mark_geoshape(stroke=None).transform_lookup(
        lookup="id", from_=alt.LookupData(data, key="fips", fields=fields),
    ).transform_filter(
        alt.datum[panel.column] != None  # noqa: E711  (Vega expression, not Python)
    ).encode(
        color=alt.Color(f"{panel.column}:Q", scale=scale,
                        legend=alt.Legend(title=label, orient="bottom", titleLimit=width,
                                          gradientLength=min(width - 40, 220))),
        tooltip=[alt.Tooltip(f"{c}:N" if c != panel.column else f"{c}:Q",
                             title=label if c == panel.column else c.replace("_", " "),
                             **({"format": ".1f"} if c == panel.column else {}))
                 for c in fields],
    ).project(type="albersUsa")
    borders = alt.Chart(sources["states"]).mark_geoshape(
        filled=False, stroke="white", strokeWidth=0.6).project(type="albersUsa")
    layers = [background, counties, borders]
    if panel.kind == "residual":
        # counties beyond the colour limit are clamped to the end colours:
        # outline them, so a saturated colour is not read as "exactly ±limit"
        layers.append(alt.Chart(sources["counties"]).mark_geoshape(
            filled=False, stroke="#222", strokeWidth=0.5).transform_lookup(
            lookup="id", from_=alt.LookupData(data, key="fips", fields=[panel.column]),
        ).transform_filter(
            f"isValid(datum[{panel.column!r}]) && abs(datum[{panel.column!r}]) > {domain[1]}"
        ).project(type="albersUsa"))
    return alt.layer(*layers).properties(title=panel.title, width=width, height=height)


def county_maps(values: pd.DataFrame, panels, *, topology, columns: int = 1, width: int = 330,
                height: int = 210, tooltip=("county",), title: str | None = None,
                subtitle: str | None = None, decimals: int = 1) -> alt.ConcatChart:
    """Several county choropleths in one chart, sharing one copy of the map.

    Parameters
    ----------
    values : pandas.DataFrame
        One row per county: ``fips`` and the panels' columns (plus ``tooltip``
        columns). Counties absent from it are drawn in grey.
    panels : sequence of MapPanel
        The maps, in reading order.
    topology : dict or str
        The TopoJSON dict (inlined once) or a relative URL to it.
    columns : int
        Panels per row.
    width, height : int
        Size of each panel, in pixels.
    tooltip : sequence of str
        Extra columns shown on hover (e.g. county name).
    title, subtitle : str, optional
        Title (and subtitle) of the whole chart.
    decimals : int
        Values are rounded to this many decimals (smaller pages).

    Returns
    -------
    altair.ConcatChart
        Independent colour scales and legends per panel.
    """
    panels = list(panels)
    if not panels or not all(isinstance(p, MapPanel) for p in panels):
        raise TypeError("panels must be a non-empty sequence of MapPanel")
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    _check_topology(topology)
    sources = _sources(topology)
    tooltip = list(tooltip)
    frame = _values_frame(values, [p.column for p in panels], tooltip, decimals)
    data = _csv_data(frame)
    charts = [_panel(p, frame, sources, tooltip, width, height, data) for p in panels]
    chart = alt.concat(*charts, columns=columns).resolve_scale(color="independent")
    chart = chart.configure_view(stroke=None)
    if title:
        chart = chart.properties(title=titled(title, subtitle))
    return chart


def prediction_maps(predictions: pd.DataFrame, *, topology, actual: str = "actual",
                    predicted: str = "predicted", residual: str = "residual",
                    label: str = "Republican share 2016, %", extra=(), **kwargs) -> alt.ConcatChart:
    """Actual share, predicted share and residual (actual − predicted) maps.

    Parameters
    ----------
    predictions : pandas.DataFrame
        One row per county with ``fips`` and the three columns.
    topology : dict or str
        See :func:`county_maps`.
    actual, predicted, residual : str
        Column names.
    label : str
        What the shares are.
    extra : sequence of MapPanel
        More panels appended after the three (e.g. another model's residuals).
    **kwargs
        Passed to :func:`county_maps`.
    """
    limit = residual_limit(pd.concat([predictions[c] for c in
                                      [residual, *[p.column for p in extra if p.kind == "residual"]]
                                      if c in predictions]))
    panels = [
        MapPanel(actual, "Actual", "share", label),
        MapPanel(predicted, "Predicted", "share", "Predicted share, %"),
        MapPanel(residual, "Residual (actual − predicted)", "residual", "Residual, points",
                 (-limit, limit)),
        *[MapPanel(p.column, p.title, p.kind, p.label, p.domain or ((-limit, limit) if p.kind == "residual" else None))
          for p in extra],
    ]
    return county_maps(predictions, panels, topology=topology, **kwargs)


def write_topology(dest, topology: dict) -> "Path":
    """Write the ``counties`` and ``states`` of ``topology``, compactly, to ``dest``.

    The book serves this one file (:data:`STATIC_TOPOLOGY`) and every map of
    the elections chapter loads it by URL (:data:`TOPOLOGY_URL`) instead of
    inlining the geometry in each chart. Written at build time from the
    verified data cache; never committed. Rewrites only when the content
    changed. Returns the path.
    """
    from pathlib import Path

    _check_topology(topology)
    if isinstance(topology, str):
        raise TypeError("write_topology needs the TopoJSON dict, not a URL")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(subset_topology(topology, ["counties", "states"]), separators=(",", ":"))
    if not dest.exists() or dest.read_text() != text:
        dest.write_text(text)
    return dest


def write_site_topology(srcdir) -> "Path":
    """Write the book's shared county TopoJSON under ``srcdir/_extra`` (see :func:`write_topology`).

    Called by the Sphinx extension at the start of every build
    (``xaibook_static_writers`` in ``_config.yml``), so the maps have their
    geometry even when the elections chapter is not re-executed.
    """
    from pathlib import Path

    from xaibook.data import load_us_counties_topojson

    return write_topology(Path(srcdir) / "_extra" / STATIC_TOPOLOGY, load_us_counties_topojson())


def _decode_arcs(topology: dict) -> list:
    """Absolute coordinates of every arc (delta-decoded and de-quantized)."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        a = np.asarray(arc, dtype=float)
        if transform:
            a = np.cumsum(a, axis=0) * np.asarray(transform["scale"]) + np.asarray(transform["translate"])
        arcs.append(a)
    return arcs


def county_centroids(topology: dict, feature: str = "counties") -> pd.DataFrame:
    """An approximate centre of every shape: the mean of its boundary points.

    Good enough to place a circle on a national map (not an area centroid).

    Returns
    -------
    pandas.DataFrame
        ``fips``, ``lon``, ``lat``.
    """
    _check_topology(topology)
    if isinstance(topology, str):
        raise TypeError("county_centroids needs the TopoJSON dict, not a URL")
    arcs = _decode_arcs(topology)
    rows = []

    def indices(node, out):
        if isinstance(node, int):
            out.append(node if node >= 0 else ~node)
        else:
            for item in node:
                indices(item, out)

    for g in topology["objects"][feature].get("geometries", []):
        if g.get("id") is None or not g.get("arcs"):
            continue
        used: list[int] = []
        indices(g["arcs"], used)
        points = np.concatenate([arcs[i] for i in used])
        lon, lat = points.mean(axis=0)
        rows.append({"fips": int(g["id"]), "lon": round(float(lon), 3), "lat": round(float(lat), 3)})
    return pd.DataFrame(rows)


def vote_circles(values: pd.DataFrame, *, topology, centroids: pd.DataFrame, size: str = "votes",
                 color: str = "share", label: str = "Republican two-party share, %",
                 tooltip=("county",), width: int = 330, height: int = 210, title: str | None = None,
                 subtitle: str | None = None, max_size: float = 600) -> alt.LayerChart:
    """Where the voters are: one circle per county, area proportional to ``size``.

    Colours as the share maps (blue–white–red, white at 50 %). Counties are
    drawn largest first, so small ones stay visible on top.

    Parameters
    ----------
    values : pandas.DataFrame
        ``fips``, ``size`` and ``color`` columns (plus ``tooltip``).
    topology : dict or str
        For the state outlines (dict or relative URL).
    centroids : pandas.DataFrame
        :func:`county_centroids` of the same map.
    """
    _check_topology(topology)
    tooltip = list(tooltip)
    frame = _values_frame(values, [size, color], tooltip, 1)
    if not isinstance(centroids, pd.DataFrame) or not {"fips", "lon", "lat"} <= set(centroids.columns):
        raise ValueError("centroids must be the frame of county_centroids()")
    frame = frame.merge(centroids, on="fips", how="inner").sort_values(size, ascending=False)
    # a tenth of a degree is below a pixel on a phone-sized national map; the
    # circles need no FIPS code (smaller pages)
    frame = frame.assign(lon=frame["lon"].round(1), lat=frame["lat"].round(1)).drop(columns="fips")
    sources = _sources(topology)
    background = alt.Chart(sources["states"]).mark_geoshape(
        fill="#f2f2f2", stroke="#999", strokeWidth=0.4).project(type="albersUsa")
    circles = alt.Chart(_csv_data(frame)).mark_circle(opacity=0.85, stroke="#555", strokeWidth=0.2).encode(
        longitude="lon:Q", latitude="lat:Q",
        size=alt.Size(f"{size}:Q", scale=alt.Scale(range=[0, max_size]), legend=None),
        color=alt.Color(f"{color}:Q", scale=alt.Scale(scheme="redblue", reverse=True, domain=[0, 100],
                                                      domainMid=50, clamp=True),
                        legend=alt.Legend(title=label, orient="bottom", titleLimit=width,
                                          gradientLength=min(width - 40, 220))),
        tooltip=[*[alt.Tooltip(f"{c}:N", title=c) for c in tooltip],
                 alt.Tooltip(f"{color}:Q", title=label, format=".1f"),
                 alt.Tooltip(f"{size}:Q", title=size, format=",.0f")],
    ).project(type="albersUsa")
    chart = alt.layer(background, circles).properties(width=width, height=height)
    chart = chart.configure_view(stroke=None)
    if title:
        chart = chart.properties(title=titled(title, subtitle))
    return chart
