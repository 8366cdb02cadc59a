"""Sphinx extension: fast, accessible pages (issue 16).

Add ``xaibook.book.siteperf`` to the book's extensions, after
``xaibook.book.sphinxext``. On every HTML page it

* keeps MathJax (its configuration and its script) only on pages that hold
  math, loads it there only when the first formula comes near the viewport
  (``xaibook_lazy_mathjax``, default True), and points MathJax's speech rule
  engine at the site's own copy of its XPath polyfill and locale maps
  (``_static/libs/mathjax/sre/``, ``_static/libs/wicked-good-xpath/``), so a
  reader who turns on speech or the explorer in MathJax's menu stays on the
  site;
* drops Vega, Vega-Lite and Vega-Embed from the page's ``<head>``:
  ``xaibook-charts.js`` loads them itself when the first chart comes near the
  viewport (charts are drawn lazily, see ``_extra/_static/xaibook-charts.js``);
* gives every chart placeholder the size of the chart it will hold (an inner
  box ``width: min(Wpx, 100% - 38px); aspect-ratio: W / H``), computed at
  build time by the site's pinned Vega in Node (``chartsize.mjs``), so a chart
  drawn lazily, above or below the reader, moves no text (no layout shift),
  at any column width (a chart wider than the column scales down by the same
  ratio as its placeholder; on a phone, a single-view chart is drawn as wide
  as the card instead, its text at full size, and its placeholder is the
  card's width and the chart's height, and a grid of panels is drawn in one
  column, its placeholder sized for that layout by the same ``phoneSpec``). Sizes are cached by spec in the
  doctree folder; without Node, placeholders keep the CSS minimum height;
* moves every chart spec over 16 kB (its data, mostly) out of the page into
  ``_static/charts/<digest>.js``, loaded when the chart is drawn
  (``xaibook_external_specs``, default True), so the page's HTML is its text;
* loads the theme's and extensions' scripts deferred (they only wire up
  buttons and toggles once the page is parsed) instead of blocking the first
  paint; ``documentation_options.js`` stays in order, inline scripts read it;
* lets cell-output images load lazily and gives them their pixel size
  (``width``/``height`` from the PNG), so they take their place before they
  load;
* lets table headers that are column names (``acc_low``, ``eo_gap``) break
  after their underscores (``<wbr>``), so a wide pandas table fits the text
  column at desktop width instead of scrolling sideways;
* makes the page's own HTML pass axe-core: the empty corner cell of a pandas
  table header becomes a data cell (``empty-table-header``), and myst-nb's
  code-cell toggles are named by their visible text ("Show code cell
  source") instead of a different ``aria-label`` (``label-content-name-mismatch``),
  and bibliography entries are list items (``aria-required-children``).

The theme's Font Awesome script (1.4 MB, it redraws every icon as SVG) is
left out by the template override ``_templates/static/webpack-macros.html``:
the theme's style sheet already draws the same icons with Font Awesome's web
fonts, and after the build :mod:`xaibook.book.iconfonts` cuts those fonts to
the icons the site uses (300 kB -> 7 kB; ``xaibook_subset_icons``, default
True).

Config values: ``xaibook_siteperf`` (default True) switches it all off;
``xaibook_presize_charts`` (default True) only the chart sizes,
``xaibook_lazy_mathjax`` (default True) only MathJax's lazy loading.
"""

from __future__ import annotations

import hashlib
import html as _html
import json
import re
import shutil
import subprocess
from pathlib import Path

__all__ = ["setup", "has_math", "fix_table_headers", "fix_toggle_labels", "fix_citation_roles",
           "presize_charts", "chart_sizes", "wrap_header_names", "lazy_images", "png_size",
           "MATHJAX_LOADER", "INPUT_ROW_PX", "PHONE_CHART_PX", "KEEP_BLOCKING", "VEGA_LIBS",
           "EMBED_ACTIONS_PX", "externalize_specs", "spec_script", "SPEC_INLINE_MAX",
           "SRE_XPATH"]

#: Loaded on demand by xaibook-charts.js (paths relative to _static/).
VEGA_LIBS = (
    "libs/vega/vega.min.js",
    "libs/vega-lite/vega-lite.min.js",
    "libs/vega-embed/vega-embed.min.js",
)
#: The XPath polyfill MathJax's speech rule engine would fetch from a CDN.
SRE_XPATH = "libs/wicked-good-xpath/wgxpath.install.js"
SRE_MAPS = "libs/mathjax/sre/mathmaps"

#: Loads MathJax when a formula comes within 600 px of the viewport, when the
#: page is printed, or when ``window.xaibookLoadMath()`` is called (the site
#: check; it returns a promise that settles once MathJax has typeset the page).
MATHJAX_LOADER = """(function () {
  var started = null;
  function load() {
    if (!started) started = new Promise(function (resolve) {
      var s = document.createElement("script");
      s.src = %(src)r; s.async = true;
      s.onload = function () {
        var m = window.MathJax;
        (m && m.startup && m.startup.promise ? m.startup.promise : Promise.resolve())
          .then(resolve, resolve);
      };
      s.onerror = resolve;
      document.head.appendChild(s);
    });
    return started;
  }
  window.xaibookLoadMath = load;
  window.addEventListener("beforeprint", load);
  function watch() {
    var math = document.querySelectorAll(".math");
    if (!math.length) return;
    if (!("IntersectionObserver" in window)) { load(); return; }
    var io = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { io.disconnect(); load(); }
    }, { rootMargin: "600px 0px" });
    math.forEach(function (el) { io.observe(el); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
})();"""
_MATH = re.compile(r'class="math[ "]|<math[ >]|\\\(|\\\[|\$\$')
_EMPTY_TH = re.compile(r"<th(\s[^>]*)?>(?:\s|&nbsp;|&#160;|<p>\s*</p>)*</th>")
_TOGGLE = '<summary aria-label="Toggle hidden content">'


def has_math(body: str) -> bool:
    """Whether a page body holds anything MathJax would typeset."""
    return bool(_MATH.search(body or ""))


def fix_table_headers(body: str) -> str:
    """Empty ``<th>`` cells (pandas' corner cell) become ``<td>``: a header
    cell must name its column or row (axe-core ``empty-table-header``)."""
    return _EMPTY_TH.sub(lambda m: f"<td{m.group(1) or ''}></td>", body)


_TH_TEXT = re.compile(r"(<th(?:\s[^>]*)?>)([^<]*_[^<]*)(</th>)")


def wrap_header_names(body: str) -> str:
    """Table header cells may break after an underscore (``acc_<wbr>low``)."""
    return _TH_TEXT.sub(lambda m: m.group(1) + m.group(2).replace("_", "_<wbr>") + m.group(3), body)


def fix_citation_roles(body: str) -> str:
    """docutils writes a bibliography as ``role="list"`` holding
    ``role="doc-biblioentry"`` (a deprecated role): make the entries list
    items, which a list must contain (axe-core ``aria-required-children``)."""
    return body.replace('role="doc-biblioentry"', 'role="listitem"')


def fix_toggle_labels(body: str) -> str:
    """myst-nb's hidden-cell toggles: let the visible prompt name the button."""
    return body.replace(_TOGGLE, "<summary>")


#: Vega-Embed's right padding for its "..." menu (``.vega-embed.has-actions``).
EMBED_ACTIONS_PX = 38
#: A grid of panels (hconcat, concat, a facet with several columns) wider
#: than this is drawn in one column on a phone (xaibook-charts.js'
#: ``phoneSpec``; xaibook.css sizes its placeholder ``--xb-pw`` wide with
#: aspect ratio ``--xb-par``): the card of a 390-px phone holds about 310 px.
PHONE_CHART_PX = 320
#: Height of one row of Vega's parameter inputs below a chart (a slider, a
#: set of radio buttons) in a desktop-wide column; xaibook.css reserves
#: ``--xb-inputs`` such rows below the placeholder, two per input on a phone
#: (where it puts each input's name on its own line).
INPUT_ROW_PX = 26
_CHART_SIZER = Path(__file__).with_name("chartsize.mjs")
_CHART = re.compile(
    r'(?P<open><div class="xaibook-chart"(?P<attrs>[^>]*)>)(?P<inner>.*?)</div>'
    r'(?P<gap>\s*)(?P<spec><script type="application/json" class="xaibook-chart-spec"'
    r'[^>]*>(?P<payload>.*?)</script>)', re.S)


def chart_sizes(specs: list[dict], roots: list[Path], node_modules: Path,
                node: str | None = None, timeout: float = 600,
                charts_js: Path | None = None) -> list[tuple[int, ...] | None]:
    """The pixel size of the SVG Vega draws for each Vega-Lite spec, and how
    many parameters it binds to an HTML input (drawn below the SVG):
    ``(width, height, inputs)``; for a grid of panels that ``charts_js``
    (``xaibook-charts.js``, its ``phoneSpec``) redraws in one column on a
    phone, also that layout's ``(phone_width, phone_height)``.

    Runs ``chartsize.mjs`` with the pinned Vega in ``node_modules``; relative
    data URLs are read from the first of ``roots`` holding the file. An entry
    is None where a chart could not be laid out; every entry is None when
    Node is missing or fails.
    """
    node = node or shutil.which("node")
    if not specs:
        return []
    if not node or not _CHART_SIZER.is_file() or not Path(node_modules, "vega").is_dir():
        return [None] * len(specs)
    payload = json.dumps({"roots": [str(r) for r in roots], "specs": specs,
                          "charts_js": str(charts_js) if charts_js else None})
    try:
        proc = subprocess.run([node, str(_CHART_SIZER), str(node_modules)], input=payload,
                              capture_output=True, text=True, timeout=timeout)
        sizes = json.loads(proc.stdout) if proc.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError):
        sizes = None
    if not isinstance(sizes, list) or len(sizes) != len(specs):
        return [None] * len(specs)
    def row(s):
        if not (isinstance(s, list) and len(s) >= 2 and s[0] > 0 and s[1] > 0):
            return None
        out = (round(s[0]), round(s[1]), int(s[2]) if len(s) > 2 else 0)
        if len(s) >= 5 and s[3] > 0 and s[4] > 0:
            out += (round(s[3]), round(s[4]))
        return out

    return [row(s) for s in sizes]


def _spec_key(payload: str, charts_js: Path | None = None) -> str:
    """Cache key of a chart's size: the spec, the sizer and the phone layout."""
    tools = _CHART_SIZER.read_bytes() if _CHART_SIZER.is_file() else b""
    if charts_js is not None and Path(charts_js).is_file():
        tools += Path(charts_js).read_bytes()
    digest = hashlib.sha256(tools).hexdigest()[:8]
    return digest + hashlib.sha256(payload.encode()).hexdigest()[:24]


def presize_charts(body: str, sizer) -> str:
    """Give each chart placeholder of a page body the size of its chart.

    ``sizer(payloads)`` maps the JSON payloads (``{"spec", "options"}``) to
    ``(width, height[, inputs])`` or None. The placeholder's content (its no-JavaScript
    fallback) moves into a box of the chart's aspect ratio, as wide as the
    chart or the column (less Vega-Embed's menu), whichever is narrower.
    """
    matches = [m for m in _CHART.finditer(body) if "data-width=" not in m.group("attrs")]
    if not matches:
        return body
    sizes = sizer([m.group("payload") for m in matches])
    out, last = [], 0
    for m, size in zip(matches, sizes):
        if not size:
            continue
        w, h = size[:2]
        inputs = size[2] if len(size) > 2 else 0
        out.append(body[last:m.start()])
        opened = m.group("open")[:-1] + f' data-width="{w}" data-height="{h}">'
        below = f"; --xb-inputs: {inputs}" if inputs else ""
        fluid = " xb-fluid" if _is_single_view(m.group("payload")) else ""
        if len(size) >= 5 and w > PHONE_CHART_PX and size[3] < w:
            # A grid of panels wider than a phone's card: one column there.
            fluid = " xb-grid"
            below += f"; --xb-pw: {size[3]}px; --xb-par: {size[3]} / {size[4]}"
        box = (f'<div class="xaibook-chart-space{fluid}" style="width: min({w}px, 100% - '
               f'{EMBED_ACTIONS_PX}px); aspect-ratio: {w} / {h}; --xb-h: {h}px{below}">')
        out.append(f'{opened}{box}{m.group("inner")}</div></div>{m.group("gap")}{m.group("spec")}')
        last = m.end()
    out.append(body[last:])
    return "".join(out)


#: Chart specs larger than this (bytes of JSON, mostly their data) leave the
#: page for a script of their own, loaded when the chart is drawn.
SPEC_INLINE_MAX = 16_000
SPEC_DIR = "charts"
_SPEC_SCRIPT = re.compile(
    r'<script type="application/json" class="xaibook-chart-spec"(?P<attrs>[^>]*)>'
    r'(?P<payload>.*?)</script>', re.S)


def externalize_specs(body: str, write, limit: int = SPEC_INLINE_MAX) -> str:
    """Move every chart spec over ``limit`` bytes out of the page body.

    ``write(key, payload) -> url`` stores one payload (``key``: its digest)
    and returns the URL the page loads it from. The spec's
    ``<script type="application/json">`` stays, empty, with ``data-src``
    (that URL) and ``data-key``; ``xaibook-charts.js`` loads the script when
    the chart comes near the viewport (a ``<script src>``, so it works from
    ``file://`` too) and reads the spec from ``window.xaibookSpecs[key]``.
    A page then carries its text, not its charts' data: the elections page
    went from 461 kB to about 150 kB of HTML, which a phone must fetch and
    parse before its first paint.
    """
    def move(m):
        payload = m.group("payload")
        if len(payload) <= limit or "data-src=" in m.group("attrs"):
            return m.group(0)
        key = hashlib.sha256(payload.encode()).hexdigest()[:16]
        url = write(key, payload)
        return (f'<script type="application/json" class="xaibook-chart-spec"{m.group("attrs")}'
                f' data-src="{_html.escape(url, quote=True)}" data-key="{key}"></script>')
    return _SPEC_SCRIPT.sub(move, body)


def spec_script(key: str, payload: str) -> str:
    """The script holding one externalized spec (payload: the page's JSON)."""
    return f'(window.xaibookSpecs = window.xaibookSpecs || {{}})["{key}"] = {payload};\n'


def _spec_writer(app, context):
    folder = Path(app.outdir) / "_static" / SPEC_DIR
    pathto = context.get("pathto")

    def write(key: str, payload: str) -> str:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{key}.js"
        if not target.is_file():
            tmp = target.with_suffix(f".{key[:6]}.tmp")
            tmp.write_text(spec_script(key, payload), encoding="utf-8")
            tmp.replace(target)
        rel = f"_static/{SPEC_DIR}/{key}.js"
        return pathto(rel, 1) if callable(pathto) else rel

    return write


_GRIDS = ("hconcat", "vconcat", "concat", "facet", "repeat")


def _is_single_view(payload: str) -> bool:
    """Whether a chart is one view (a mark or layers, no panels): on a phone
    xaibook-charts.js draws such a chart as wide as its card (Vega-Lite's
    ``width: "container"``), its height unchanged."""
    try:
        spec = json.loads(payload)["spec"]
    except (ValueError, KeyError, TypeError):
        return False

    def single(s) -> bool:
        if not isinstance(s, dict) or any(k in s for k in _GRIDS):
            return False
        enc = s.get("encoding") if isinstance(s.get("encoding"), dict) else {}
        if any(k in enc for k in ("row", "column", "facet")):
            return False
        return all(single(layer) for layer in s.get("layer", []) or [])

    return single(spec) and not isinstance(spec.get("width"), str)


def _sizer_for(app, pagename: str):
    """A ``presize_charts`` sizer for one page: cached sizes, else Node."""
    cache_file = Path(app.doctreedir) / "xaibook-chart-sizes.json"
    cache = getattr(app, "_xaibook_chart_sizes", None)
    if cache is None:
        try:
            cache = json.loads(cache_file.read_text())
        except (OSError, ValueError):
            cache = {}
        app._xaibook_chart_sizes = cache

    charts_js = _charts_js(app)

    def sizer(payloads: list[str]) -> list:
        keys = [_spec_key(p, charts_js) for p in payloads]
        todo = [i for i, k in enumerate(keys) if k not in cache]
        if todo:
            modules = _node_modules(app)
            specs = []
            for i in todo:
                try:
                    specs.append(json.loads(_html.unescape(payloads[i]) if "&quot;" in payloads[i]
                                            else payloads[i])["spec"])
                except (ValueError, KeyError, TypeError):
                    specs.append(None)
            page_dir = Path(pagename).parent
            roots = [Path(app.srcdir, p, page_dir) for p in (app.config.html_extra_path or [])]
            roots += [Path(app.outdir, page_dir), Path(app.srcdir, page_dir)]
            sizes = (chart_sizes(specs, roots, modules, charts_js=charts_js) if modules
                     else [None] * len(specs))
            for i, size in zip(todo, sizes):
                if size:
                    cache[keys[i]] = list(size)
            if any(sizes):
                try:
                    cache_file.parent.mkdir(parents=True, exist_ok=True)
                    cache_file.write_text(json.dumps(cache, sort_keys=True))
                except OSError:
                    pass
        return [tuple(cache[k]) if k in cache else None for k in keys]

    return sizer


def _charts_js(app) -> Path | None:
    """The site's ``_static/xaibook-charts.js`` (in an ``html_extra_path``)."""
    for extra in app.config.html_extra_path or []:
        path = Path(app.confdir, extra, "_static", "xaibook-charts.js")
        if path.is_file():
            return path
    return None


def _node_modules(app) -> Path | None:
    """The pinned npm packages (``scripts/vendor_assets.py``'s cache), or None."""
    if hasattr(app, "_xaibook_node_modules"):
        return app._xaibook_node_modules
    found = None
    script = Path(app.confdir) / "scripts" / "vendor_assets.py"
    if script.is_file():
        import importlib.util
        spec = importlib.util.spec_from_file_location("_xaibook_vendor_assets", script)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
            found = Path(module.npm_install())
        except (SystemExit, Exception):  # npm missing and nothing cached
            found = None
    app._xaibook_node_modules = found
    return found


#: Scripts that must run where they stand: inline scripts in <head> read them.
KEEP_BLOCKING = ("documentation_options.js",)
_IMG = re.compile(r"<img\s[^>]*>")


def png_size(path: Path) -> tuple[int, int] | None:
    """Width and height of a PNG file (from its IHDR chunk), or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def lazy_images(body: str, size_of=lambda src: None) -> str:
    """Every ``<img>`` loads lazily and decodes off the main thread; an image
    without ``width``/``height`` gets ``size_of(src)`` when known (the CSS
    keeps ``max-width: 100%; height: auto``, so the box has the image's
    aspect ratio before it loads)."""
    def fix(m):
        tag = m.group(0)
        extra = []
        if " loading=" not in tag:
            extra.append('loading="lazy"')
        if " decoding=" not in tag:
            extra.append('decoding="async"')
        if " width=" not in tag and " height=" not in tag:
            src = re.search(r'\ssrc="([^"]+)"', tag)
            size = size_of(src.group(1)) if src else None
            if size:
                extra.append(f'width="{size[0]}" height="{size[1]}"')
        if not extra:
            return tag
        return "<img " + " ".join(extra) + tag[4:]
    return _IMG.sub(fix, body)


def _image_sizer(app):
    """``src -> (w, h)`` for the builder's images (PNG files only)."""
    images = getattr(app.builder, "images", None) or {}
    by_name = {Path(dest).name: src for src, dest in images.items()}
    imgdir = Path(app.outdir) / getattr(app.builder, "imagedir", "_images")

    def size_of(src: str):
        name = src.split("?")[0].rsplit("/", 1)[-1]
        if not name.lower().endswith(".png"):
            return None
        candidates = [imgdir / name]
        if name in by_name:
            candidates.insert(0, Path(app.srcdir) / by_name[name])
        for path in candidates:
            size = png_size(path)
            if size:
                return size
        return None

    return size_of


def _deferred(files: list) -> None:
    """Replace each blocking external script by the same script, deferred."""
    try:
        from sphinx.builders.html._assets import _JavaScript
    except ImportError:  # another Sphinx: leave the scripts as they are
        return
    for i, asset in enumerate(files):
        attrs = dict(getattr(asset, "attributes", None) or {})
        name = _filename(asset)
        if (not name or attrs.get("body") or "defer" in attrs or "async" in attrs
                or attrs.get("type") == "module" or name.split("?")[0].endswith(KEEP_BLOCKING)
                or "://" in name):
            continue
        attrs["defer"] = "defer"
        files[i] = _JavaScript(getattr(asset, "filename", name),
                               priority=getattr(asset, "priority", 500), **attrs)


def _filename(asset) -> str:
    """An asset's path relative to _static/ (the builder stores '_static/...')."""
    name = str(getattr(asset, "filename", asset) or "")
    return name[len("_static/"):] if name.startswith("_static/") else name


def _is_mathjax(asset, mathjax_path: str) -> bool:
    body = str((getattr(asset, "attributes", None) or {}).get("body", ""))
    return (bool(mathjax_path) and _filename(asset) == mathjax_path) or body.startswith(
        ("window.MathJax", "MathJax.Hub.Config"))


def _on_html_page_context(app, pagename, templatename, context, doctree):
    if not app.config.xaibook_siteperf or app.builder.format != "html":
        return
    body = context.get("body")
    if isinstance(body, str) and body:
        body = fix_citation_roles(fix_toggle_labels(fix_table_headers(body)))
        body = wrap_header_names(body)
        if 'class="xaibook-chart"' in body and app.config.xaibook_presize_charts:
            body = presize_charts(body, _sizer_for(app, pagename))
        if 'class="xaibook-chart-spec"' in body and app.config.xaibook_external_specs:
            body = externalize_specs(body, _spec_writer(app, context))
        if "<img" in body:
            body = lazy_images(body, _image_sizer(app))
        context["body"] = body
    files = context.get("script_files")
    if not isinstance(files, list):
        return
    mathjax_path = app.config.mathjax_path or ""
    math_here = has_math(body or "")
    if not math_here:
        files[:] = [f for f in files if not _is_mathjax(f, mathjax_path)]
    elif any(_is_mathjax(f, mathjax_path) for f in files):
        pathto = context.get("pathto")
        if callable(pathto) and mathjax_path and app.config.xaibook_lazy_mathjax:
            # MathJax (1 MB, and it typesets the whole page at once) loads when
            # the first formula comes near the viewport, like the charts.
            src = next((f for f in files if _filename(f) == mathjax_path), None)
            if src is not None:
                files.remove(src)
                url = pathto("_static/" + mathjax_path, 1)
                app.builder.add_js_file(None, priority=520, body=MATHJAX_LOADER % {"src": url})
        if callable(pathto):
            xpath = pathto("_static/" + SRE_XPATH, 1)
            maps = pathto("_static/" + SRE_MAPS, 1)
            # After Sphinx's `window.MathJax = {...}` (priority 500), before
            # MathJax itself runs (it is deferred).
            app.builder.add_js_file(
                None, priority=510,
                body=("window.MathJax=window.MathJax||{};(function(m){"
                      "var o=m.options=m.options||{};o.sre=o.sre||{};"
                      f"o.sre.xpath=new URL({xpath!r},document.baseURI).href;"
                      "var l=m.loader=m.loader||{};l.paths=l.paths||{};"
                      f"l.paths.sre=new URL({maps!r},document.baseURI).href;"
                      "})(window.MathJax);"))
    files[:] = [f for f in files if _filename(f) not in VEGA_LIBS]
    if pagename != "search":  # search.html loads searchtools.js in order, which needs doctools.js
        _deferred(files)


def _on_builder_inited(app):
    if app.config.xaibook_siteperf and app.config.xaibook_subset_icons \
            and app.builder.format == "html":
        from xaibook.book.iconfonts import ICONS_CSS
        app.add_css_file(ICONS_CSS, priority=800)   # after the theme's style sheets


def _on_build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    if not (app.config.xaibook_siteperf and app.config.xaibook_subset_icons):
        return
    from sphinx.util import logging

    from xaibook.book.iconfonts import subset_icon_fonts
    try:
        report = subset_icon_fonts(Path(app.outdir))
    except ImportError as exc:  # no fontTools: the theme's full fonts stay in use
        logging.getLogger(__name__).info(f"xaibook: icon fonts not cut ({exc})")
        return
    kb = sum(r["bytes"] for r in report.values()) / 1e3
    full = sum(r["full_bytes"] for r in report.values()) / 1e3
    glyphs = sum(r["glyphs"] for r in report.values())
    logging.getLogger(__name__).info(
        f"xaibook: icon fonts cut to the {glyphs} glyphs the site uses ({full:.0f} kB -> {kb:.0f} kB)")


def setup(app):
    app.add_config_value("xaibook_siteperf", True, "html")
    app.add_config_value("xaibook_subset_icons", True, "html")
    app.add_config_value("xaibook_external_specs", True, "html")
    app.connect("builder-inited", _on_builder_inited)
    app.connect("build-finished", _on_build_finished)
    app.add_config_value("xaibook_presize_charts", True, "html")
    app.add_config_value("xaibook_lazy_mathjax", True, "html")
    # After sphinx.ext.mathjax (500) and xaibook.book.sphinxext (500) added theirs.
    app.connect("html-page-context", _on_html_page_context, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
