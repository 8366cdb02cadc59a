"""County choropleths: one shared copy of the map, offline, only the plotted data."""

import io
import json
import time

import numpy as np
import pandas as pd
import pytest

from xaibook.cases.elections.maps import (MapCoverage, MapPanel, county_maps, map_coverage, prediction_maps,
                          residual_limit, subset_topology)


def tiny_topology():
    """Two counties (1001, 1003) of one state (1), plus a 'land' object; no transform."""
    return {
        "type": "Topology",
        "arcs": [
            [[-87.0, 32.0], [-86.0, 32.0], [-86.0, 33.0]],  # 0: shared by both counties
            [[-86.0, 33.0], [-87.0, 33.0], [-87.0, 32.0]],  # 1: outer edge of 1001
            [[-86.0, 33.0], [-85.0, 33.0], [-85.0, 32.0], [-86.0, 32.0]],  # 2: outer edge of 1003
            [[-80.0, 40.0], [-79.0, 40.0], [-80.0, 40.0]],  # 3: used only by 'land'
        ],
        "objects": {
            "counties": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]], "id": 1001},
                {"type": "Polygon", "arcs": [[~0, 2]], "id": 1003},
                {"type": None, "id": 1005},
            ]},
            "states": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[1, 2]], "id": 1},
            ]},
            "land": {"type": "Polygon", "arcs": [[3]]},
        },
    }


def values():
    return pd.DataFrame({"fips": [1001, 1003], "county": ["A, AL", "B, AL"],
                         "actual": [61.234, 38.0], "predicted": [55.0, 45.55],
                         "residual": [6.234, -7.55], "unused": [1, 2]})


# ------------------------------------------------------------------ topology subset
def test_subset_topology_keeps_only_used_arcs():
    topo = tiny_topology()
    counties = subset_topology(topo, ["counties"])
    assert list(counties["objects"]) == ["counties"]
    assert counties["arcs"] == topo["arcs"][:3]
    geoms = counties["objects"]["counties"]["geometries"]
    assert geoms[1]["arcs"] == [[~0, 2]] and geoms[2] == {"type": None, "id": 1005}
    states = subset_topology(topo, ["states"])
    assert states["arcs"] == [topo["arcs"][1], topo["arcs"][2]]
    assert states["objects"]["states"]["geometries"][0]["arcs"] == [[0, 1]]  # renumbered
    assert topo["arcs"][3] not in subset_topology(topo, ["counties", "states"])["arcs"]
    with pytest.raises(ValueError, match="lacks the objects"):
        subset_topology(topo, ["rivers"])
    with pytest.raises(TypeError):
        subset_topology({"type": "FeatureCollection"}, ["counties"])


def test_subset_reversed_arc_renumbered():
    topo = {"type": "Topology", "arcs": [[[0, 0]], [[1, 1]], [[2, 2]]],
            "objects": {"a": {"type": "MultiLineString", "arcs": [[~2], [1]]}}}
    sub = subset_topology(topo, ["a"])
    assert sub["arcs"] == [[[2, 2]], [[1, 1]]]
    assert sub["objects"]["a"]["arcs"] == [[~0], [1]]


# ------------------------------------------------------------------ chart spec
def test_maps_inline_map_once_and_only_plotted_columns():
    chart = prediction_maps(values(), topology=tiny_topology(),
                            extra=[MapPanel("residual", "Again", "residual")], title="Maps")
    spec = chart.to_dict()
    assert len(spec["concat"]) == 4 and spec["title"]["text"] == "Maps"
    # one dataset per map feature + one for the values, however many panels
    datasets = spec["datasets"]
    assert len(datasets) == 3
    topo_sets = [json.loads(v) for v in datasets.values() if v.startswith("{")]
    assert sorted(list(t["objects"]) for t in topo_sets) == [["counties"], ["states"]]
    # the values travel as one compact CSV (no repeated keys), parsed as numbers
    table = pd.read_csv(io.StringIO(next(v for v in datasets.values() if v.startswith("fips"))))
    assert set(table.columns) == {"fips", "county", "actual", "predicted", "residual"}  # no "unused"
    assert table.loc[0, "actual"] == 61.2  # rounded
    assert '"parse"' in json.dumps(spec)
    # nothing to fetch: no URL anywhere in the spec
    text = json.dumps({k: v for k, v in spec.items() if k != "$schema"})
    assert '"url"' not in text and "http" not in text


def _color_scales(spec):
    scales = []
    for panel in spec["concat"]:
        for layer in panel["layer"]:
            color = layer.get("encoding", {}).get("color")
            if color:
                scales.append(color["scale"])
    return scales


def test_scales_shares_and_diverging_residuals():
    spec = prediction_maps(values(), topology=tiny_topology()).to_dict()
    actual, predicted, residual = _color_scales(spec)
    assert actual["domain"] == predicted["domain"] == [0, 100]
    assert actual["domainMid"] == 50
    low, high = residual["domain"]
    assert low == -high and residual["domainMid"] == 0 and residual["clamp"] is True
    assert high == residual_limit(values()["residual"])
    assert residual["scheme"] == "redblue" and residual["reverse"] is True
    assert spec["resolve"]["scale"]["color"] == "independent"


def test_relative_url_topology():
    spec = county_maps(values(), [MapPanel("actual", "Actual")], topology="us-10m.json").to_dict()
    urls = {layer["data"]["url"] for layer in spec["concat"][0]["layer"]}
    assert urls == {"us-10m.json"}
    with pytest.raises(ValueError, match="network"):
        county_maps(values(), [MapPanel("actual", "Actual")], topology="https://example.org/us.json")


def test_input_errors():
    topo, panels = tiny_topology(), [MapPanel("actual", "Actual")]
    with pytest.raises(ValueError, match="several rows per county"):
        county_maps(pd.concat([values(), values()]), panels, topology=topo)
    with pytest.raises(ValueError, match="lacks columns"):
        county_maps(values(), [MapPanel("turnout", "Turnout")], topology=topo)
    with pytest.raises(TypeError, match="numeric"):
        county_maps(values(), [MapPanel("county", "Name")], topology=topo, tooltip=())
    with pytest.raises(TypeError, match="MapPanel"):
        county_maps(values(), ["actual"], topology=topo)
    with pytest.raises(TypeError, match="TopoJSON"):
        county_maps(values(), panels, topology={"type": "FeatureCollection"})
    with pytest.raises(ValueError, match="lacks the objects"):
        county_maps(values(), panels, topology={"type": "Topology", "objects": {"counties": {}}})
    with pytest.raises(ValueError, match="kind"):
        MapPanel("actual", "Actual", kind="sequential")
    with pytest.raises(ValueError, match="domain"):
        MapPanel("actual", "Actual", domain=(100, 0))


def test_residual_limit():
    assert residual_limit([-3.2, 1.0, 2.5], quantile=1) == 4.0
    assert residual_limit([0.1, -0.2]) == 1.0  # never below one point
    assert residual_limit(list(range(100)) + [1000], quantile=0.98) < 100  # outliers clamp
    with pytest.raises(ValueError, match="finite"):
        residual_limit([np.nan])
    with pytest.raises(ValueError, match="quantile"):
        residual_limit([1.0], quantile=0)


def test_map_coverage():
    cov = map_coverage([1001, 1001, 9999], tiny_topology())
    assert isinstance(cov, MapCoverage)
    assert cov.n_values == 2 and cov.n_shapes == 2  # 1005 has no geometry
    assert cov.without_shape == [9999] and cov.without_value == [1003]
    assert cov.n_drawn == 1
    with pytest.raises(ValueError, match="object"):
        map_coverage([1001], tiny_topology(), feature="zipcodes")


# ------------------------------------------------------------------ real map
@pytest.mark.slow
def test_real_map_is_fast_and_small():
    from xaibook.data import load_us_counties_topojson

    topo = load_us_counties_topojson()
    counties = sorted({g["id"] for g in topo["objects"]["counties"]["geometries"] if g.get("type")})
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"fips": counties, "county": [f"c{i}" for i in counties],
                          "actual": rng.uniform(0, 100, len(counties))})
    frame["predicted"] = frame["actual"] + rng.normal(0, 5, len(frame))
    frame["residual"] = frame["actual"] - frame["predicted"]
    start = time.perf_counter()
    spec = prediction_maps(frame, topology=topo).to_dict()
    assert time.perf_counter() - start < 30  # the dict is never walked by Altair
    size = len(json.dumps(spec, separators=(",", ":")))
    assert size < 1_300_000
    assert len(spec["datasets"]) == 3
    # served once by URL (as in the book), a chart carries only its values
    url_spec = prediction_maps(frame, topology="../_static/data/us-counties.json").to_dict()
    assert len(json.dumps(url_spec, separators=(",", ":"))) < 250_000
    assert map_coverage(frame["fips"], topo).without_shape == []


# ------------------------------------------------------------------ second edition
def test_residual_panel_outlines_clamped_counties():
    from xaibook.cases.elections.maps import MapPanel as P
    spec = county_maps(values(), [P("residual", "r", "residual", "r", (-5, 5))],
                       topology="../_static/data/us-counties.json").to_dict()
    layers = spec["concat"][0]["layer"]
    assert len(layers) == 4
    outline = layers[-1]
    assert outline["mark"]["filled"] is False
    assert "abs(datum['residual']) > 5" in json.dumps(outline["transform"])
    assert spec["concat"][0]["width"] <= 340  # fits a 390 px phone


def test_url_topology_inlines_no_geometry():
    spec = county_maps(values(), [MapPanel("actual", "a")], topology="../_static/data/us-counties.json").to_dict()
    text = json.dumps(spec)
    assert '"arcs"' not in text
    assert text.count("../_static/data/us-counties.json") >= 2
    with pytest.raises(ValueError, match="absolute URL"):
        county_maps(values(), [MapPanel("actual", "a")], topology="https://example.org/x.json")


def test_write_topology_and_centroids(tmp_path):
    from xaibook.cases.elections.maps import county_centroids, vote_circles, write_topology

    path = write_topology(tmp_path / "d" / "us.json", tiny_topology())
    written = json.loads(path.read_text())
    assert set(written["objects"]) == {"counties", "states"}
    mtime = path.stat().st_mtime_ns
    write_topology(path, tiny_topology())
    assert path.stat().st_mtime_ns == mtime  # unchanged content: not rewritten
    c = county_centroids(tiny_topology()).set_index("fips")
    assert list(c.index) == [1001, 1003]
    # 1001: arcs 0 and 1 -> points (-87,32) (-86,32) (-86,33) (-86,33) (-87,33) (-87,32)
    assert c.loc[1001, "lon"] == pytest.approx(-86.5)
    assert c.loc[1001, "lat"] == pytest.approx(32.5)
    # quantized, delta-encoded arcs are decoded
    q = {"type": "Topology", "transform": {"scale": [0.5, 0.5], "translate": [10, 20]},
         "arcs": [[[0, 0], [2, 0], [0, 2], [-2, 0]]],
         "objects": {"counties": {"type": "GeometryCollection", "geometries": [
             {"type": "Polygon", "arcs": [[0]], "id": 7}]},
             "states": {"type": "GeometryCollection", "geometries": []}}}
    cq = county_centroids(q).iloc[0]
    assert (cq["lon"], cq["lat"]) == pytest.approx((10.5, 20.5))
    spec = vote_circles(values().assign(votes=[10, 1000]), topology="x.json",
                        centroids=county_centroids(tiny_topology()), size="votes", color="actual").to_dict()
    assert spec["width"] <= 340
    circles = spec["layer"][1]
    assert circles["encoding"]["color"]["scale"]["domainMid"] == 50
    with pytest.raises(ValueError, match="centroids"):
        vote_circles(values().assign(votes=1), topology="x.json", centroids=pd.DataFrame(),
                     size="votes", color="actual")
