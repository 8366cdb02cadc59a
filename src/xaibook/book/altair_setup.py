"""Altair renderer that uses the site's own copy of Vega, for offline pages.

Altair's default renderers load Vega, Vega-Lite and Vega-Embed from a CDN
(so a page opened without network shows "Error loading script"), and its
inline template embeds the whole Vega bundle in every chart (megabytes per
chart). The ``"xaibook"`` renderer registered here emits neither: each chart
becomes

* a ``<div class="xaibook-chart">`` placeholder, and
* its Vega-Lite spec as ``<script type="application/json">`` (data, not code),

and the page loads one shared copy of the libraries from
``_static/vendor/`` plus ``_static/xaibook-charts.js``, which embeds every
placeholder. :mod:`xaibook.book.sphinxext` adds those scripts to exactly the pages
that hold a chart, and runs :func:`enable` in the hidden first cell of every
chapter, so chapters need no setup line.

The output also carries the Vega-Lite MIME type, so the same notebook shows
its charts natively in JupyterLab, and a plain-text fallback naming the chart.

API
---
``enable(**embed_options)``
    Register and switch on the renderer (idempotent).
``chart_html(spec, embed_options=None)``
    The HTML fragment for one Vega-Lite spec (a dict).
``chart_title(spec)``
    The title of a spec, or of its first titled sub-chart, or ``""``.
``chart_description(spec)``
    The chart's text alternative (its description, title or axes): the
    ``aria-label`` of the placeholder and of the drawn SVG.
"""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any

__all__ = ["RENDERER", "CHART_CLASS", "enable", "chart_html", "chart_title", "chart_description",
           "render"]

RENDERER = "xaibook"
CHART_CLASS = "xaibook-chart"
#: Vega-Embed options: SVG output (sharp, accessible), export buttons only
#: (the "Open in Vega Editor" action would leave the site).
DEFAULT_EMBED_OPTIONS: dict[str, Any] = {
    "renderer": "svg",
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}


def _title_text(title: Any) -> str:
    if isinstance(title, str):
        return title
    if isinstance(title, list):
        return " ".join(str(t) for t in title)
    if isinstance(title, dict):
        return _title_text(title.get("text", ""))
    return ""


def chart_title(spec: dict) -> str:
    """The chart's title, looking into compound charts when needed."""
    text = _title_text(spec.get("title"))
    if text:
        return text
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in spec.get(key, []) or []:
            if isinstance(sub, dict) and (text := chart_title(sub)):
                return text
    if isinstance(spec.get("spec"), dict):  # facet / repeat
        return chart_title(spec["spec"])
    return ""


def _axis_names(spec: dict) -> list[str]:
    """Titles (or fields) of the x and y channels, looking into sub-charts."""
    names: list[str] = []
    enc = spec.get("encoding") if isinstance(spec.get("encoding"), dict) else {}
    for channel in ("y", "x", "color"):
        ch = enc.get(channel)
        if isinstance(ch, dict):
            name = _title_text(ch.get("title")) or str(ch.get("field") or "")
            if name and name not in names:
                names.append(name)
    if names:
        return names
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in spec.get(key, []) or []:
            if isinstance(sub, dict) and (names := _axis_names(sub)):
                return names
    if isinstance(spec.get("spec"), dict):
        return _axis_names(spec["spec"])
    return names


def chart_description(spec: dict) -> str:
    """A text alternative for a chart: its ``description``, else its title,
    else what its axes show ("Chart: income, age"), else "Chart"."""
    if isinstance(spec.get("description"), str) and spec["description"].strip():
        return spec["description"].strip()
    title = chart_title(spec)
    if title:
        return title
    names = _axis_names(spec)
    return "Chart: " + ", ".join(names[:3]) if names else "Chart"


def _json_for_script(obj: Any) -> str:
    """JSON safe to put inside <script type="application/json">."""
    text = json.dumps(obj, separators=(",", ":"), sort_keys=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def chart_html(spec: dict, embed_options: dict | None = None) -> str:
    """HTML placeholder + JSON spec for one chart (no inline JavaScript).

    The element id is derived from the spec, so re-executing a chapter gives
    byte-identical output (no random ids churning the page or the cache).
    """
    options = {**DEFAULT_EMBED_OPTIONS, **(embed_options or {})}
    title = chart_title(spec) or "Chart"
    description = chart_description(spec)
    if "description" not in spec:
        # Vega's aria-label of the drawn SVG, for screen readers (axe-core svg-img-alt).
        spec = {**spec, "description": description}
    payload = _json_for_script({"spec": spec, "options": options})
    chart_id = "xaibook-chart-" + hashlib.sha256(payload.encode()).hexdigest()[:12]
    label = html.escape(description, quote=True)
    return (
        f'<div class="{CHART_CLASS}" id="{chart_id}" role="figure" aria-label="{label}">'
        f'<p class="xaibook-chart-fallback">{html.escape(title)} '
        "(interactive chart: needs JavaScript)</p></div>\n"
        f'<script type="application/json" class="xaibook-chart-spec" data-for="{chart_id}">'
        f"{payload}</script>"
    )


def render(spec: dict, **metadata: Any) -> dict:
    """Altair renderer: a MIME bundle with our HTML, the spec and a text fallback."""
    import altair as alt

    embed_options = metadata.pop("embed_options", None)
    title = chart_title(spec)
    return {
        "text/html": chart_html(spec, embed_options),
        f"application/vnd.vegalite.v{alt.SCHEMA_VERSION.split('.')[0].lstrip('v')}+json": spec,
        "text/plain": f"<Chart: {title}>" if title else "<Chart>",
    }


def enable(**embed_options: Any) -> None:
    """Register the ``"xaibook"`` Altair renderer and make it the active one."""
    import altair as alt

    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, render)
    if embed_options:
        alt.renderers.enable(RENDERER, embed_options=embed_options)
    else:
        alt.renderers.enable(RENDERER)
