"""Sphinx extension: fast, accessible pages (issue 16).

Add ``xaibook.book.siteperf`` to the book's extensions, after
``xaibook.book.sphinxext``. On every HTML page it

* keeps MathJax (its configuration and its script) only on pages that hold
  math, and points MathJax's speech rule engine at the site's own copy of its
  XPath polyfill and locale maps (``_static/libs/mathjax/sre/``,
  ``_static/libs/wicked-good-xpath/``), so a reader who turns on speech or
  the explorer in MathJax's menu stays on the site;
* drops Vega, Vega-Lite and Vega-Embed from the page's ``<head>``:
  ``xaibook-charts.js`` loads them itself when the first chart comes near the
  viewport (charts are drawn lazily, see ``_extra/_static/xaibook-charts.js``);
* makes the page's own HTML pass axe-core: the empty corner cell of a pandas
  table header becomes a data cell (``empty-table-header``), and myst-nb's
  code-cell toggles are named by their visible text ("Show code cell
  source") instead of a different ``aria-label`` (``label-content-name-mismatch``),
  and bibliography entries are list items (``aria-required-children``).

The theme's Font Awesome script (1.4 MB, it redraws every icon as SVG) is
left out by the template override ``_templates/static/webpack-macros.html``:
the theme's style sheet already draws the same icons with Font Awesome's web
fonts.

Config value: ``xaibook_siteperf`` (default True) switches it all off.
"""

from __future__ import annotations

import re

__all__ = ["setup", "has_math", "fix_table_headers", "fix_toggle_labels", "fix_citation_roles",
           "VEGA_LIBS",
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


def fix_citation_roles(body: str) -> str:
    """docutils writes a bibliography as ``role="list"`` holding
    ``role="doc-biblioentry"`` (a deprecated role): make the entries list
    items, which a list must contain (axe-core ``aria-required-children``)."""
    return body.replace('role="doc-biblioentry"', 'role="listitem"')


def fix_toggle_labels(body: str) -> str:
    """myst-nb's hidden-cell toggles: let the visible prompt name the button."""
    return body.replace(_TOGGLE, "<summary>")


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


def setup(app):
    app.add_config_value("xaibook_siteperf", True, "html")
    # After sphinx.ext.mathjax (500) and xaibook.book.sphinxext (500) added theirs.
    app.connect("html-page-context", _on_html_page_context, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
