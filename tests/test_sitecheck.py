"""Offline pages (issue 8): the Altair renderer, the vendored libraries and
the site checker itself (on small synthetic sites; the real book is checked
by scripts/check_site.sh after `make book`)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from xaibook.book import altair_setup, sitecheck
from xaibook.book.sphinxext import ALTAIR_SETUP, VEGA_SCRIPTS, inject_fingerprint

ROOT = Path(__file__).resolve().parent.parent


def _vendor_assets():
    spec = importlib.util.spec_from_file_location("vendor_assets", ROOT / "scripts" / "vendor_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- pinned libraries --------------------------------------------------------

def test_pinned_vega_matches_altair():
    alt = pytest.importorskip("altair")
    pins = _vendor_assets().pinned_versions()
    assert pins["vega-lite"] == alt.VEGALITE_VERSION
    assert pins["vega"].split(".")[0] == alt.VEGA_VERSION.split(".")[0]
    assert pins["vega-embed"].split(".")[0] == alt.VEGAEMBED_VERSION.split(".")[0]
    assert pins["mathjax"].startswith("3."), "Sphinx's mathjax3_config expects MathJax 3"


def test_lockfile_pins_exact_versions_with_integrity():
    pins = _vendor_assets().pinned_versions()
    lock = json.loads((ROOT / "scripts" / "vendor" / "package-lock.json").read_text())
    for name, version in pins.items():
        assert version.count(".") == 2 and version[0].isdigit(), f"{name} must be pinned exactly"
        entry = lock["packages"][f"node_modules/{name}"]
        assert entry["version"] == version
        assert entry["integrity"].startswith("sha512-")


def test_vendor_status_reports_missing(tmp_path):
    va = _vendor_assets()
    assert va.status(tmp_path) is not None
    (tmp_path / va.STAMP).write_text(json.dumps({"lock": va.lock_digest(), "files": {
        "a.js": {"size": 3, "sha256": "0" * 64}}}))
    assert "a.js" in va.status(tmp_path)
    (tmp_path / "a.js").write_text("abc")
    assert va.status(tmp_path) is None
    assert "SHA-256" in va.status(tmp_path, verify=True)


def test_sphinxext_and_vendor_agree_on_paths():
    va = _vendor_assets()
    assert list(VEGA_SCRIPTS[:3]) == va.VEGA_SCRIPTS
    config = (ROOT / "_config.yml").read_text()
    assert f"mathjax_path: {va.MATHJAX_PATH}" in config
    assert va.DEST == ROOT / "_extra" / "_static" / "libs"
    assert not list((ROOT / "_static").rglob("*.js")), (
        "Jupyter Book loads every .js under _static/ on every page; put scripts in _extra/_static")


# --- the Altair renderer -----------------------------------------------------

SPEC = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "title": "Income by sex",
        "data": {"values": [{"x": "a</script><script>alert(1)</script>", "y": 1}]},
        "mark": "bar", "encoding": {"x": {"field": "x", "type": "nominal"}}}


def test_chart_html_is_deterministic_and_inert():
    html = altair_setup.chart_html(SPEC)
    assert html == altair_setup.chart_html(dict(SPEC))
    assert 'class="xaibook-chart"' in html and 'aria-label="Income by sex"' in html
    # no executable inline script, and data cannot close the JSON script tag
    assert "<script>" not in html and html.count("</script>") == 1
    payload = html.split('data-for="', 1)[1].split(">", 1)[1].rsplit("</script>", 1)[0]
    data = json.loads(payload)
    assert data["spec"]["data"]["values"][0]["x"].startswith("a</script>")
    assert data["spec"]["description"] == "Income by sex"
    assert data["options"]["actions"]["editor"] is False
    assert "cdn" not in html.lower() and "jsdelivr" not in html


def test_chart_title_of_compound_charts():
    assert altair_setup.chart_title({"hconcat": [{"mark": "bar"}, {"title": {"text": ["A", "B"]}}]}) == "A B"
    assert altair_setup.chart_title({"facet": {}, "spec": {"title": "T"}}) == "T"
    assert altair_setup.chart_title({"mark": "bar"}) == ""


def test_enable_makes_altair_use_the_renderer():
    alt = pytest.importorskip("altair")
    import pandas as pd

    before = alt.renderers.active
    try:
        altair_setup.enable()
        chart = alt.Chart(pd.DataFrame({"x": [1, 2]}), title="Two points").mark_point().encode(x="x")
        bundle = chart._repr_mimebundle_()
        bundle = bundle[0] if isinstance(bundle, tuple) else bundle
        assert 'class="xaibook-chart"' in bundle["text/html"]
        assert "cdn.jsdelivr" not in bundle["text/html"]
        assert bundle["text/plain"] == "<Chart: Two points>"
        assert any(k.startswith("application/vnd.vegalite.v") for k in bundle)
    finally:
        alt.renderers.enable(before)


def test_hidden_cell_runs_the_setup_line():
    nb = "---\nkernelspec:\n  name: python3\n---\n# Page\n"
    text = inject_fingerprint(nb, "abc", (ALTAIR_SETUP,))
    cell = text.split("```{code-cell} ipython3", 1)[1].split("```", 1)[0]
    assert ":tags: [remove-cell]" in cell and ALTAIR_SETUP in cell
    exec(compile(ALTAIR_SETUP, "<setup>", "exec"), {})  # the line itself runs


# --- the checker's pure parts ------------------------------------------------

@pytest.mark.parametrize("text", [
    "Traceback (most recent call last):\n  File ...\nValueError: bad",
    "/x.py:3: FutureWarning: the default will change",
    "UserWarning: X does not have valid feature names",
    "WARNING:tensorflow:5 out of the last 5 calls",
    "Warning: Maximum number of iterations has been exceeded.",
    " 45%|████▌     | 45/100 [00:01<00:02, 30.1it/s]",
    "Epoch 1/3\n 12/100 [==>...........................] - ETA: 3s - loss: 0.5",
    "1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.8",
])
def test_output_problems_flags_noise(text):
    assert sitecheck.output_problems(text)


@pytest.mark.parametrize("text", [
    "accuracy    0.853\nrecall      0.61", "Mean absolute error: 0.3",
    "| sex | 50% |\n| F | 0.11 |", "warning signs in the data", "ConvergenceWarn", "",
])
def test_output_problems_accepts_clean_output(text):
    assert sitecheck.output_problems(text) == []


def _write(path: Path, body: str, head: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                    f"<title>{path.stem}</title>{head}</head>"
                    f"<body><article class='bd-article'>{body}</article></body></html>")
    return path


def test_static_problems_finds_remote_loads(tmp_path):
    page = _write(tmp_path / "p.html", """
        <a href="https://example.org/paper.pdf">a link is fine</a>
        <img src="https://example.org/x.png" alt="x">
        <script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"</script>
        <script type="text/x-thebe-config">{"binderUrl": "https://mybinder.org"}</script>
        <style>@import url("https://fonts.googleapis.com/css?family=Roboto");</style>""",
        head='<script src="https://cdn.jsdelivr.net/npm/vega@6"></script>'
             '<link rel="stylesheet" href="//cdn.example.org/x.css">'
             '<link rel="stylesheet" href="_static/local.css">')
    problems = sitecheck.static_problems(page)
    text = "\n".join(problems)
    assert "cdn.jsdelivr.net/npm/vega@6" in text and "//cdn.example.org/x.css" in text
    assert "https://example.org/x.png" in text and "unpkg.com/thebe" in text
    assert "fonts.googleapis.com" in text
    assert "paper.pdf" not in text and "mybinder" not in text and "local.css" not in text


def test_css_problems_ignores_comments_and_svg_namespaces(tmp_path):
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "a.css").write_text(
        "/* see https://fontawesome.com */ .x{background:url('data:image/svg+xml;"
        "xmlns=http://www.w3.org/2000/svg')} @font-face{src:url(https://fonts.gstatic.com/a.woff2)}")
    problems = sitecheck.css_problems(tmp_path)
    assert len(problems) == 1 and "fonts.gstatic.com" in problems[0]


def test_link_problems(tmp_path):
    _write(tmp_path / "book" / "a.html", '<h2 id="takeaways">T</h2>')
    page = _write(tmp_path / "book" / "b.html", """
        <span id="here"></span>
        <a href="a.html#takeaways">ok</a> <a href="#here">ok</a> <a href="../index.html">missing</a>
        <a href="a.html#nope">bad anchor</a> <a href="#gone">bad local anchor</a>
        <a href="mailto:x@y.z">mail</a> <a href="https://example.org/#x">external</a>""")
    problems = sitecheck.link_problems(tmp_path, page)
    assert len(problems) == 3, problems
    assert any("index.html" in p for p in problems)
    assert any("a.html#nope" in p for p in problems) and any("#gone" in p for p in problems)


def test_find_pages_skips_assets(tmp_path):
    for rel in ["index.html", "book/a.html", "_static/x.html", "_sources/y.html", "search.html"]:
        _write(tmp_path / rel, "")
    found = [p.relative_to(tmp_path).as_posix() for p in sitecheck.find_pages(tmp_path)]
    assert found == ["book/a.html", "index.html", "search.html"]


# --- the browser pass, on a synthetic site -----------------------------------

def _browser_or_skip():
    pytest.importorskip("playwright.sync_api")
    if not sitecheck.find_chromium():
        pytest.skip("no Chromium (apt-get install -y chromium)")


def _vendored_libs_or_skip() -> Path:
    va = _vendor_assets()
    if va.status() is not None:
        if not shutil.which("npm"):
            pytest.skip("vendored libraries missing and no npm to fetch them")
        try:
            va.vendor(quiet=True)
        except (SystemExit, Exception) as exc:  # no registry
            pytest.skip(f"could not vendor the pinned libraries: {exc}")
    return va.DEST


def _node_modules_or_skip() -> Path:
    """The pinned npm packages (Vega in Node), or skip."""
    if shutil.which("node") is None:
        pytest.skip("node not installed")
    try:
        return _vendor_assets().npm_install()
    except (SystemExit, Exception) as exc:  # noqa: BLE001 - no npm / no network
        pytest.skip(f"pinned npm packages not available: {exc}")


def _chart_site(tmp_path: Path) -> Path:
    """A site folder with the vendored libraries and xaibook-charts.js, or skip."""
    _browser_or_skip()
    libs = _vendored_libs_or_skip()
    site = tmp_path / "site"
    shutil.copytree(libs, site / "_static" / "libs")
    shutil.copy(ROOT / "_extra" / "_static" / "xaibook-charts.js", site / "_static")
    return site


@pytest.mark.browser
def test_browser_pass_on_a_synthetic_site(tmp_path):
    site = _chart_site(tmp_path)
    scripts = "".join(f'<script defer src="../_static/{s}"></script>' for s in VEGA_SCRIPTS)
    mathjax = '<script defer src="../_static/libs/mathjax/tex-mml-chtml.js"></script>'
    chart = altair_setup.chart_html({
        "title": "Bars", "data": {"values": [{"a": "x", "b": 1}, {"a": "y", "b": 2}]},
        "mark": "bar", "encoding": {"x": {"field": "a", "type": "nominal", "title": "Letter"},
                                    "y": {"field": "b", "type": "quantitative", "title": "Count"}}})
    _write(site / "book" / "good.html", textwrap.dedent(f"""
        <h1>Good</h1><p><strong>Key message:</strong> it works.</p>
        <p><span class="math notranslate nohighlight">\\(a^2+b^2\\)</span></p>
        <div class="cell"><div class="cell_output"><div class="output text_html">{chart}</div></div></div>
        <div class="cell"><div class="cell_output"><div class="output text_html">{chart}</div></div></div>
        <div class="cell"><div class="cell_output"><div class="output text_plain">accuracy 0.85</div></div></div>
        <h2 id="takeaways">Takeaways</h2><a href="bad.html">next</a>"""), head=mathjax + scripts)
    _write(site / "book" / "bad.html", """
        <h1>Bad</h1><div class="cell"><div class="cell_output">
        <div class="output text_plain">UserWarning: something</div></div></div>
        <div class="xaibook-chart" id="c1"></div>
        <script type="application/json" class="xaibook-chart-spec" data-for="c1">{"spec": not json}</script>
        <img src="missing.png" alt="missing.png">
        <script>console.error("boom"); fetch("https://example.org/track").catch(() => {});</script>
        <a href="good.html#nowhere">x</a>
        <table><thead><tr><th></th><th>rate</th></tr></thead><tbody><tr><th>a</th><td>1</td></tr></tbody></table>
        <button></button>
        <div class="cell_output"><img alt="A wide picture" style="width:1500px;max-width:none"
          src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs="></div>""",
        head='<script src="https://cdn.jsdelivr.net/npm/vega@6"></script>'
             '<script src="../_static/xaibook-charts.js"></script>')
    _write(site / "index.html", '<a href="book/good.html">start</a>')

    lines = []
    results = {r.page: r for r in sitecheck.check_site(site, timeout_s=20, log=lines.append)}
    good, bad = results["book/good.html"], results["book/bad.html"]
    assert good.failures == [], good.failures  # axe-clean, charts fit at both widths
    assert good.charts == 2 and good.math == 1 and good.advice == []  # same chart twice: both drawn
    text = "\n".join(bad.failures)
    for expected in ["cdn.jsdelivr.net", "request leaves the machine", "example.org/track",
                     "console error: boom", "warning", "chart c1 not rendered",
                     "image missing.png did not load", "broken anchor",
                     "axe minor empty-table-header", "axe critical button-name",
                     "at 1280px: image", "at 390px: image", "is 1500px wide"]:
        assert expected in text, (expected, text)
    assert "no alt text" in "\n".join(bad.advice)
    assert results["index.html"].ok()
    assert any(line.startswith("FAIL book/bad.html") for line in lines)


@pytest.mark.browser
def test_wide_chart_scales_down_to_the_column(tmp_path):
    """A chart wider than a phone is drawn scaled to its card: no sideways scroll."""
    site = _chart_site(tmp_path)
    shutil.copy(ROOT / "_static" / "xaibook.css", site / "_static")
    chart = altair_setup.chart_html({
        "title": "Wide", "width": 900, "height": 200,
        "data": {"values": [{"a": "x", "b": 1}, {"a": "y", "b": 2}]}, "mark": "bar",
        "encoding": {"x": {"field": "a", "type": "nominal", "title": "Letter"},
                     "y": {"field": "b", "type": "quantitative", "title": "Count"}}})
    _write(site / "book" / "wide.html",
           f"<h1>Wide</h1><p><strong>Key message:</strong> fits.</p>{chart}"
           '<h2 id="takeaways">Takeaways</h2>',
           head='<link rel="stylesheet" href="../_static/xaibook.css">'
                '<script defer src="../_static/xaibook-charts.js"></script>')
    _write(site / "index.html", '<a href="book/wide.html">start</a>')
    results = {r.page: r for r in sitecheck.check_site(site, timeout_s=20, log=lambda *_: None)}
    wide = results["book/wide.html"]
    assert wide.failures == [] and wide.charts == 1, wide.failures


@pytest.mark.browser
def test_grid_of_panels_goes_to_one_column_on_a_phone(tmp_path):
    """A grid wider than a phone is redrawn one panel under another, at full
    size, in the place its placeholder reserved; a grid that is only scaled
    down is reported as too small to read."""
    from xaibook.book import siteperf

    site = _chart_site(tmp_path)
    modules = _node_modules_or_skip()
    js = ROOT / "_extra" / "_static" / "xaibook-charts.js"
    shutil.copy(ROOT / "_static" / "xaibook.css", site / "_static")
    panel = {"width": 240, "height": 150, "mark": "bar",
             "data": {"values": [{"a": "x", "b": 1}, {"a": "y", "b": 2}]},
             "encoding": {"x": {"field": "a", "type": "nominal", "title": "Letter"},
                          "y": {"field": "b", "type": "quantitative", "title": "Count"}}}
    grid = {"title": "Three panels", "hconcat": [panel, panel, panel]}
    sized = lambda payloads: siteperf.chart_sizes(  # noqa: E731
        [json.loads(p)["spec"] for p in payloads], [site], modules, charts_js=js)
    page = siteperf.presize_charts(altair_setup.chart_html(grid), sized)
    assert "xb-grid" in page
    head = ('<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="stylesheet" href="../_static/xaibook.css">'
            '<script defer src="../_static/xaibook-charts.js"></script>')
    _write(site / "book" / "grid.html", f"<h1>Grid</h1>{page}<p id='below'>Below.</p>", head=head)
    # The same grid without its phone size (as a build without Node writes it).
    plain = siteperf.presize_charts(altair_setup.chart_html(grid),
                                    lambda ps: [tuple(sized(ps)[0][:3])])
    _write(site / "book" / "plain.html", f"<h1>Plain</h1>{plain}", head=head)
    _write(site / "index.html", '<a href="book/grid.html">a</a> <a href="book/plain.html">b</a>')
    results = {r.page: r for r in sitecheck.check_site(site, timeout_s=20, log=lambda *_: None)}
    good, bad = results["book/grid.html"], results["book/plain.html"]
    assert good.failures == [] and good.advice == [], good.failures + good.advice
    assert bad.failures == [] and any("at 390px" in a and "of its size" in a for a in bad.advice), bad.advice


def test_externalize_specs_moves_large_specs_out_of_the_page():
    from xaibook.book import siteperf

    small = altair_setup.chart_html({"title": "S", "mark": "bar"})
    big = altair_setup.chart_html({"title": "B", "mark": "bar",
                                   "data": {"values": [{"a": i} for i in range(3000)]}})
    stored = {}

    def write(key, payload):
        stored[key] = payload
        return f"../_static/charts/{key}.js"

    body = f"<p>x</p>{small}{big}"
    out = siteperf.externalize_specs(body, write)
    assert small in out and len(stored) == 1
    key, payload = next(iter(stored.items()))
    assert json.loads(payload)["spec"]["title"] == "B"
    assert f'data-src="../_static/charts/{key}.js" data-key="{key}"></script>' in out
    assert len(out) < len(body) - 30_000
    assert siteperf.externalize_specs(out, write) == out          # done once
    script = siteperf.spec_script(key, payload)
    assert script.startswith(f'(window.xaibookSpecs = window.xaibookSpecs || {{}})["{key}"] = {{')


def test_an_external_spec_from_another_host_is_reported(tmp_path):
    page = _write(tmp_path / "p.html",
                  '<script type="application/json" class="xaibook-chart-spec" '
                  'data-src="https://cdn.example.org/spec.js" data-key="k"></script>')
    assert sitecheck.static_problems(page) == ["<script> loads https://cdn.example.org/spec.js"]


@pytest.mark.browser
def test_external_spec_is_drawn(tmp_path):
    """A chart whose spec the build moved to a script of its own is drawn."""
    from xaibook.book import siteperf

    site = _chart_site(tmp_path)
    values = [{"a": f"x{i % 7}", "b": i % 5} for i in range(2000)]
    chart = altair_setup.chart_html({
        "title": "Large", "width": 300, "height": 150, "data": {"values": values}, "mark": "bar",
        "encoding": {"x": {"field": "a", "type": "nominal", "title": "Letter"},
                     "y": {"field": "b", "type": "quantitative", "aggregate": "sum",
                           "title": "Sum"}}})

    def write(key, payload):
        (site / "_static" / "charts").mkdir(parents=True, exist_ok=True)
        (site / "_static" / "charts" / f"{key}.js").write_text(siteperf.spec_script(key, payload))
        return f"../_static/charts/{key}.js"

    page = siteperf.externalize_specs(chart, write)
    assert "data-src=" in page
    _write(site / "book" / "big.html", f"<h1>Big</h1>{page}",
           head='<script defer src="../_static/xaibook-charts.js"></script>')
    _write(site / "index.html", '<a href="book/big.html">start</a>')
    results = {r.page: r for r in sitecheck.check_site(site, timeout_s=20, log=lambda *_: None)}
    big = results["book/big.html"]
    assert big.failures == [] and big.charts == 1, big.failures


@pytest.mark.browser
def test_two_visible_search_buttons_are_reported(tmp_path):
    _browser_or_skip()
    site = tmp_path / "site"
    button = '<button class="btn search-button-field">Search</button>'
    _write(site / "two.html", f"<h1>Two</h1>{button}{button}")
    _write(site / "one.html", f"<h1>One</h1>{button}<div style='display:none'>{button}</div>")
    _write(site / "index.html", '<a href="two.html">a</a> <a href="one.html">b</a>')
    results = {r.page: r for r in sitecheck.check_site(site, timeout_s=20, axe=False,
                                                       log=lambda *_: None)}
    assert any("2 search buttons are visible" in a for a in results["two.html"].advice)
    assert not any("search buttons" in a for a in results["one.html"].advice)


def test_scale_problems_names_charts_too_small_to_read():
    items = [{"id": "a", "title": "PDP", "scale": 0.5}, {"id": "b", "title": "", "scale": 0.9}]
    got = sitecheck.scale_problems(items, 390)
    assert got == ['at 390px: chart a "PDP" is drawn at 50% of its size (text too small to read; '
                   "a grid of panels should go to one column on a phone)"]
    assert sitecheck.scale_problems(items, 390, minimum=0.4) == []


def test_axe_problems_keeps_serious_and_empty_headers():
    violations = [
        {"id": "color-contrast", "impact": "serious", "help": "Contrast", "nodes": 2,
         "targets": ["p.a", "p.b"]},
        {"id": "region", "impact": "moderate", "help": "Landmarks", "nodes": 1, "targets": ["div"]},
        {"id": "empty-table-header", "impact": "minor", "help": "Header", "nodes": 1,
         "targets": ["th"]},
        {"id": "aria-required-children", "impact": "critical", "help": "Children", "nodes": 1,
         "targets": ["ul"]},
    ]
    got = sitecheck.axe_problems(violations)
    assert [line.split()[2].rstrip(":") for line in got] == [
        "color-contrast", "empty-table-header", "aria-required-children"]
    assert "2 element(s): p.a, p.b" in got[0]


def test_siteperf_fixes_the_pages_own_html():
    from xaibook.book import siteperf

    table = ('<table class="dataframe"><thead><tr style="text-align: right;"><th></th>'
             '<th>rate</th><th class="blank level0" >&nbsp;</th></tr></thead></table>')
    fixed = siteperf.fix_table_headers(table)
    assert "<th></th>" not in fixed and "&nbsp;</th>" not in fixed
    assert "<td></td>" in fixed and '<td class="blank level0" ></td>' in fixed
    assert "<th>rate</th>" in fixed
    prose = '<tr class="row-odd"><th class="head"><p></p></th><th class="head"><p>a</p></th>'
    assert siteperf.fix_table_headers(prose).startswith('<tr class="row-odd"><td class="head"></td><th')
    head = '<th>acc_low</th><th class="x">eo_gap_high</th><th>rate</th><th><p>a_b</p></th>'
    assert siteperf.wrap_header_names(head) == (
        '<th>acc_<wbr>low</th><th class="x">eo_<wbr>gap_<wbr>high</th><th>rate</th><th><p>a_b</p></th>')
    toggle = '<summary aria-label="Toggle hidden content">\n<p class="collapsed">Show</p>'
    assert siteperf.fix_toggle_labels(toggle).startswith("<summary>\n")
    assert siteperf.has_math('<span class="math notranslate nohighlight">\\(x\\)</span>')
    assert siteperf.has_math("<div class=\"math notranslate\">$$x$$</div>")
    assert not siteperf.has_math("<p>Costs $3 and $4.</p>")
    loader = siteperf.MATHJAX_LOADER % {"src": "../_static/libs/mathjax/tex-mml-chtml.js"}
    assert "s.src = '../_static/libs/mathjax/tex-mml-chtml.js'" in loader
    assert "window.xaibookLoadMath = load" in loader and "IntersectionObserver" in loader


def test_chart_description_is_the_svg_label():
    assert altair_setup.chart_description({"title": "T"}) == "T"
    spec = {"hconcat": [{"mark": "bar", "encoding": {
        "x": {"field": "a", "title": "Letter"}, "y": {"field": "b"}}}]}
    assert altair_setup.chart_description(spec) == "Chart: b, Letter"
    assert 'aria-label="Chart: b, Letter"' in altair_setup.chart_html(spec)
    assert altair_setup.chart_description({"description": " Said ", "title": "T"}) == "Said"


def test_template_override_matches_the_theme():
    """_templates/static/webpack-macros.html is the theme's, minus Font Awesome's script."""
    theme = pytest.importorskip("pydata_sphinx_theme")
    original = (Path(theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
                / "webpack-macros.html").read_text()
    ours = (ROOT / "_templates" / "static" / "webpack-macros.html").read_text()
    import re
    digests = set(re.findall(r"digest=(\w+)", original))
    assert digests == set(re.findall(r"digest=(\w+)", ours)), "theme upgraded: refresh the override"
    script = "_static/scripts/fontawesome.js"
    assert script in original and script not in ours
    for name in ("theme.css", "pydata-sphinx-theme.css", "bootstrap.js", "pydata-sphinx-theme.js"):
        assert name in ours
    for macro in ("head_pre_assets", "head_js_preload", "body_post"):
        assert f"macro {macro}()" in ours
    # The tab-stop shim intercepts exactly the theme's scrollable-region query.
    import json as _json
    theme_js = (Path(theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
                / "scripts" / "pydata-sphinx-theme.js").read_text()
    m = re.search(r'var SEL = (\[[^\]]*\])\.join\(", "\)', ours, re.S)
    assert m, "tab-stop shim missing from the override"
    ours_list = _json.loads(re.sub(r"\s+", " ", m.group(1)))
    assert (_json.dumps(ours_list, separators=(",", ":")) + '.join(", ")') in theme_js, \
        "theme upgraded: the scrollable-region selector changed"
    assert "tabIndex=e.scrollWidth>e.clientWidth||e.scrollHeight>e.clientHeight?0:-1" in theme_js
    button = (ROOT / "_templates" / "search-button-field.html").read_text()
    assert "aria-label=" not in button and "search-button__default-text" in button


def test_vendored_mathjax_speech_assets_are_listed():
    va = _vendor_assets()
    dests = [dst for _, _, dst in va.FILES]
    assert "mathjax/sre/" in dests and "wicked-good-xpath/wgxpath.install.js" in dests
    from xaibook.book import siteperf
    assert siteperf.SRE_XPATH == "libs/wicked-good-xpath/wgxpath.install.js"
    assert siteperf.SRE_MAPS.startswith("libs/mathjax/sre")
    assert "axe-core" in va.pinned_versions() and "axe-core" in va.CHECK_ONLY


# --- the Sphinx side -----------------------------------------------------------

CHART_NOTEBOOK = """---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# {title}

```{{code-cell}} ipython3
{code}
```
"""


@pytest.mark.slow
def test_sphinx_adds_vega_only_to_pages_with_charts(tmp_path):
    import re
    import subprocess
    import sys

    pytest.importorskip("altair")
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "index.md").write_text(CHART_NOTEBOOK.format(title="Index", code=(
        "import altair as alt, pandas as pd\n"
        "alt.Chart(pd.DataFrame({'x': [1, 2]}), title='T').mark_bar().encode(x='x')")) +
        "\n```{toctree}\nplain\n```\n")
    (src / "plain.md").write_text(CHART_NOTEBOOK.format(title="Plain", code="1 + 1"))
    (src / "conf.py").write_text(textwrap.dedent(f"""\
        extensions = ["myst_nb", "sphinx_thebe", "xaibook.book.sphinxext"]
        nb_execution_mode = "force"
        nb_execution_raise_on_error = True
        nb_ipywidgets_js = {{}}
        html_theme = "sphinx_book_theme"
        thebe_config = {{"repository_url": "https://github.com/x/y"}}
        xaibook_fingerprint_paths = [{str(tmp_path / "nothing")!r}]
        """))
    result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    index, plain = (out / "index.html").read_text(), (out / "plain.html").read_text()
    scripts = re.findall(r'<script defer="defer" src="_static/([^"?]+)', index)
    assert scripts == list(VEGA_SCRIPTS), scripts
    assert 'class="xaibook-chart"' in index and "vega.min.js" not in plain
    for html in (index, plain):
        assert "THEBE_JS_URL" not in html and "unpkg.com" not in html
        assert "cdn.jsdelivr.net" not in html and "require.min.js" not in html
        assert sitecheck.static_problems(out / "index.html") == []


# --- pre-sized chart placeholders (issue 16: no layout shift) -----------------

def test_presize_charts_wraps_the_fallback_in_a_box_of_the_chart_size():
    from xaibook.book import siteperf

    one = altair_setup.chart_html({"title": "A", "mark": "bar", "width": 500, "height": 100})
    two = altair_setup.chart_html({"title": "B", "mark": "bar", "width": 50, "height": 50})
    body = f"<p>x</p>{one}<p>y</p>{two}"
    seen = []

    def sizer(payloads):
        seen.extend(json.loads(p)["spec"]["title"] for p in payloads)
        return [(540, 130), None]          # the second chart could not be laid out

    out = siteperf.presize_charts(body, sizer)
    assert seen == ["A", "B"]
    assert out.count('data-width="540" data-height="130"') == 1
    assert ('class="xaibook-chart-space xb-fluid" style="width: min(540px, 100% - 38px); '
            'aspect-ratio: 540 / 130; --xb-h: 130px"') in out
    grid = altair_setup.chart_html({"title": "G", "hconcat": [{"mark": "bar"}, {"mark": "bar"}]})
    out_grid = siteperf.presize_charts(grid, lambda ps: [(600, 200)])
    assert 'class="xaibook-chart-space" style=' in out_grid      # panels are scaled, not fluid
    # The fallback moved into the box; the spec script still follows its placeholder.
    box = out.index('class="xaibook-chart-space')
    assert box < out.index("xaibook-chart-fallback") < out.index('class="xaibook-chart-spec"')
    assert out.count('xaibook-chart-space') == 1                # B left as it was
    assert two in out and out.startswith("<p>x</p>") and "<p>y</p>" in out
    again = []
    assert siteperf.presize_charts(out, lambda ps: again.extend(ps) or [None] * len(ps)) == out
    assert len(again) == 1                                    # a sized chart is not sized again
    assert siteperf.presize_charts("<p>no charts</p>", sizer) == "<p>no charts</p>"


def test_chart_sizes_runs_the_pinned_vega(tmp_path):
    """The build-time size of a chart is the size of the SVG Vega draws."""
    from xaibook.book import siteperf

    modules = _node_modules_or_skip()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "v.json").write_text(json.dumps([{"a": "x", "b": 1}, {"a": "y", "b": 2}]))
    bars = {"mark": "bar", "width": 300, "height": 120, "padding": 0,
            "config": {"axis": {"disable": True}, "view": {"stroke": None}},
            "encoding": {"x": {"field": "a", "type": "nominal"},
                         "y": {"field": "b", "type": "quantitative"}}}
    inline = {**bars, "data": {"values": [{"a": "x", "b": 1}]}}
    from_url = {**bars, "data": {"url": "data/v.json"}}
    slider = {**inline, "params": [{"name": "t", "value": 1, "bind": {"input": "range"}},
                                   {"name": "s", "select": "interval", "bind": "scales"}]}
    sizes = siteperf.chart_sizes([inline, from_url, {"mark": "nonsense"}, slider], [tmp_path],
                                 modules)
    assert sizes[0] == (300, 120, 0) and sizes[1] == (300, 120, 0)
    assert sizes[2] is None
    assert sizes[3] == (300, 120, 1)          # one HTML input below the chart
    body = siteperf.presize_charts(altair_setup.chart_html(slider), lambda ps: [sizes[3]])
    assert "; --xb-inputs: 1" in body
    css = (ROOT / "_static" / "xaibook.css").read_text()
    assert f"var(--xb-inputs, 0) * {siteperf.INPUT_ROW_PX}px" in css
    assert siteperf.chart_sizes([inline], [tmp_path], modules, node="/nonexistent/node") == [None]


def _phone_spec(spec):
    """xaibook-charts.js' phoneSpec, run in Node."""
    if shutil.which("node") is None:
        pytest.skip("node not installed")
    js = ROOT / "_extra" / "_static" / "xaibook-charts.js"
    code = (f"const f = require({json.dumps(str(js))}).phoneSpec;"
            "const s = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
            "const out = f(s); process.stdout.write(JSON.stringify({same: out === s, out}));")
    proc = subprocess.run(["node", "-e", code], input=json.dumps(spec), capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout)


def test_phone_spec_puts_panels_in_one_column():
    bar = {"mark": "bar", "width": 150}
    wide = {"mark": "bar", "width": 340}
    phone_config = {"legend": {"orient": "bottom", "direction": "vertical"},
                    "axis": {"labelLimit": 150}}
    got = _phone_spec({"title": "T", "hconcat": [bar, bar], "spacing": 12})
    assert not got["same"]
    assert got["out"] == {"title": "T", "vconcat": [bar, bar], "spacing": 12, "config": phone_config}
    got = _phone_spec({"concat": [bar, bar, bar], "columns": 2})
    assert got["out"]["columns"] == 1 and len(got["out"]["concat"]) == 3
    # Nested: a vconcat holding a row of panels (the what-if explorer); plots
    # wider than a phone's panel are narrowed, long titles wrapped.
    title = {"text": "What pushed each prediction up or down, for two people", "subtitle": "s"}
    got = _phone_spec({"title": title, "vconcat": [wide, {"hconcat": [bar, bar]}]})
    assert got["out"]["vconcat"] == [{"mark": "bar", "width": 180}, {"vconcat": [bar, bar]}]
    assert got["out"]["title"] == {"text": ["What pushed each prediction up or",
                                            "down, for two people"], "subtitle": "s"}
    # A facet by column becomes a wrapped facet, one panel per line.
    got = _phone_spec({"facet": {"column": {"field": "g"}}, "spec": bar})
    assert got["out"] == {"facet": {"field": "g"}, "spec": bar, "columns": 1, "config": phone_config}
    got = _phone_spec({"facet": {"field": "g"}, "columns": 3, "spec": bar})
    assert got["out"]["columns"] == 1
    got = _phone_spec({**bar, "encoding": {"column": {"field": "g"}, "x": {"field": "a"}}})
    assert got["out"]["encoding"] == {"facet": {"field": "g"}, "x": {"field": "a"}}
    assert got["out"]["columns"] == 1
    # A legend in a row under the chart becomes a column; the chart's own
    # axis settings win over the phone's.
    legend = {"field": "m", "legend": {"orient": "bottom"}}
    got = _phone_spec({"vconcat": [{**bar, "encoding": {"color": legend}}],
                       "config": {"axis": {"labelLimit": 90}}})
    assert got["out"]["vconcat"][0]["encoding"]["color"]["legend"] == {
        "orient": "bottom", "direction": "vertical"}
    assert got["out"]["config"]["axis"] == {"labelLimit": 90}
    # A single view: the very same object (on a phone it is drawn card-wide).
    for spec in ({"layer": [bar, bar]}, bar, wide, {"mark": "bar", "title": title["text"]}):
        assert _phone_spec(spec)["same"], spec


def test_presize_marks_wide_grids_for_their_phone_layout():
    from xaibook.book import siteperf

    grid = altair_setup.chart_html({"title": "G", "hconcat": [{"mark": "bar"}, {"mark": "bar"}]})
    out = siteperf.presize_charts(grid, lambda ps: [(640, 200, 0, 310, 420)])
    assert ('class="xaibook-chart-space xb-grid" style="width: min(640px, 100% - 38px); '
            'aspect-ratio: 640 / 200; --xb-h: 200px; --xb-pw: 310px; --xb-par: 310 / 420"') in out
    narrow = siteperf.presize_charts(grid, lambda ps: [(300, 200, 0, 150, 420)])
    assert "xb-grid" not in narrow and "--xb-pw" not in narrow   # fits a phone as it is
    css = (ROOT / "_static" / "xaibook.css").read_text()
    assert ".xaibook-chart-space.xb-grid" in css and "var(--xb-par)" in css


def test_chart_sizes_gives_the_phone_layout_of_a_grid(tmp_path):
    from xaibook.book import siteperf

    modules = _node_modules_or_skip()
    bars = {"mark": "bar", "width": 300, "height": 120, "padding": 0,
            "data": {"values": [{"a": "x", "b": 1}]},
            "config": {"axis": {"disable": True}, "view": {"stroke": None}},
            "encoding": {"x": {"field": "a", "type": "nominal"},
                         "y": {"field": "b", "type": "quantitative"}}}
    panels = {k: v for k, v in bars.items() if k not in ("config", "padding")}
    grid = {"hconcat": [panels, panels], "spacing": 20, "padding": 0,
            "config": {"axis": {"disable": True}, "view": {"stroke": None}}}
    js = ROOT / "_extra" / "_static" / "xaibook-charts.js"
    sizes = siteperf.chart_sizes([bars, grid], [tmp_path], modules, charts_js=js)
    assert sizes[0] == (300, 120, 0)                       # one view: no phone layout
    assert sizes[1] == (620, 120, 0, 180, 260)   # side by side; one under the other, 180 px wide
    assert siteperf.chart_sizes([grid], [tmp_path], modules)[0] == (620, 120, 0)


def test_chart_sizes_cut_long_labels_at_their_limit(tmp_path):
    """Vega cuts a label at its labelLimit (with an ellipsis): the build-time
    size must too (it measured the whole label: placeholders 40 px too wide)."""
    from xaibook.book import siteperf

    modules = _node_modules_or_skip()

    def bars(limit):
        return {"mark": "bar", "width": 100, "padding": 0,
                "data": {"values": [{"a": "credit_history=critical account / credits elsewhere",
                                     "b": 1}]},
                "encoding": {"y": {"field": "a", "type": "nominal", "title": None,
                                   "axis": {"labelLimit": limit}},
                             "x": {"field": "b", "type": "quantitative", "title": None}}}

    cut, whole = siteperf.chart_sizes([bars(150), bars(400)], [tmp_path], modules)
    # plot + tick and padding (7 px) + the label: at most its limit; else all of it
    assert 100 + 7 + 140 <= cut[0] <= 100 + 7 + 150
    assert whole[0] > 100 + 7 + 200


def test_shift_problems_names_charts_that_move_the_text():
    before = {"a": [300.0, True], "b": [192.0, False], "c": [100.0, True], "d": [0.0, True]}
    after = {"a": [302.0, True], "b": [400.0, False], "c": [80.0, True], "d": [50.0, True]}
    out = sitecheck.shift_problems(before, after, 390)
    assert len(out) == 2
    assert out[0].startswith("at 390px: chart b is 400px tall drawn, 192px as its placeholder "
                             "(not pre-sized)") and out[0].endswith("by +208px")
    assert "chart c" in out[1] and "pre-sized placeholder" in out[1] and "by -20px" in out[1]
