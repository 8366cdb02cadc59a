"""Browser test of the built site: offline, error-free, every chart drawn.

``python -m xaibook.book.sitecheck _build/html`` serves the site on 127.0.0.1,
opens every page (discovered from the built site, not from a list) in
headless Chromium and fails a page on

* any request that leaves the machine (it is blocked and reported), any
  WebSocket, and any local request that fails (404, ...);
* any JavaScript console error or uncaught exception;
* any chart that does not render (every ``.xaibook-chart`` must end with an
  ``svg``/``canvas`` from Vega; charts written by Altair's default renderers,
  which load Vega from a CDN, are reported too), and any math MathJax did not
  typeset;
* any cell output showing a traceback, a warning or a progress bar (tqdm,
  Keras), or a Jupyter widget (which cannot work offline);
* a reference to another host in the HTML or CSS that would load something
  (``<script src>``, style sheets, fonts, images, CDN URLs inside inline
  scripts), even if the browser did not fetch it during the visit;
* a broken internal link or cross-reference (missing page or anchor).

For every reader (issue 16) it also fails a page on

* any critical or serious accessibility violation found by axe-core (all of
  its rules, the pinned ``axe.min.js`` injected into the page, no network),
  and any empty table header (``empty-table-header``);
* any chart (``.xaibook-chart``), figure or output image wider than the
  article column, at 1280 px and at 390 px, naming the chart.

Charts are drawn lazily by the site; the check draws them all first
(``window.xaibookDrawAll()``).

It also gives advice (failures with ``--strict``) on reader comforts: images
without alt text or caption, charts without a title or axis titles, a page
that scrolls sideways at phone width (390 px), a chart whose drawing moves
the text below it (its placeholder was not the chart's size; at 1280 and
390 px), a chart scaled down below 75% of its size to fit the column (its
text under 8 px; at 1280 and 390 px), a page that downloads the theme's full
icon fonts although the build cut them to the site's icons, more than one
visible search button, and chapters (pages with code cells) that do not open with a key
message or end with takeaways.

The browser is the system's Chromium (``XAIBOOK_CHROMIUM``, else
``chromium`` on the PATH), driven by Playwright; no browser is downloaded.
The last line printed is ``N passed, N failed`` (pages).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import shutil
import sys
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from xaibook.book.browser import CHROMIUM_ARGS, LOCAL_HOSTS, block_remote, find_chromium
from xaibook.book.browser import chromium as browser_session

__all__ = [
    "PageResult", "find_pages", "find_chromium", "output_problems", "static_problems",
    "link_problems", "serve", "check_site", "main", "axe_problems", "fit_problems",
    "find_axe", "AXE_FAIL_IMPACTS", "AXE_ALWAYS_FAIL", "shift_problems",
    "scale_problems", "MIN_CHART_SCALE",
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# --- what a cell output must not show ---------------------------------------

_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s*\w+(Error|Exception): ", re.M)
_WARNING = re.compile(r"\b[A-Z]\w*Warning\b|^\s*WARNING\b|^\s*Warning:|\bwarnings\.warn\b|^W\d{4} ", re.M)
_PROGRESS = [
    re.compile(r"\d{1,3}%\|"),                        # tqdm: " 45%|████  |"
    re.compile(r"\|[█▉▊▋▌▍▎▏#]{2,}[ ▏]*\|"),          # tqdm bar
    re.compile(r"\d+/\d+ \[\d{1,2}:\d{2}(:\d{2})?<"),  # tqdm "3/10 [00:01<00:03"
    re.compile(r"\b(it/s|s/it)\]"),                   # tqdm rate
    re.compile(r"\d+/\d+ \[=*>?\.*\]"),               # Keras 2 "12/100 [==>....]"
    re.compile(r"━{3,}"),                             # Keras 3 bar
    re.compile(r"\d+m?s/step\b"),                     # Keras 3 "2ms/step"
    re.compile(r"\bETA:? ?\d"),
]


def output_problems(text: str) -> list[str]:
    """Problems in the text of one cell output (empty list if it is clean)."""
    problems = []
    if _TRACEBACK.search(text):
        problems.append("shows a traceback or an error")
    if m := _WARNING.search(text):
        problems.append(f"shows a warning ({m.group(0).strip()!r})")
    for rx in _PROGRESS:
        if m := rx.search(text):
            problems.append(f"shows a progress bar ({m.group(0)!r})")
            break
    return problems


# --- static checks of the HTML ---------------------------------------------

_CDN_HOSTS = ("unpkg.com", "jsdelivr.net", "cdnjs.cloudflare.com", "googleapis.com",
              "gstatic.com", "code.jquery.com", "cdn.plot.ly", "mathjax.org", "bootstrapcdn.com",
              "fontawesome.com/releases", "kit.fontawesome.com", "polyfill.io", "require.js")
_RESOURCE_URL = re.compile(r"""https?://[^\s"'<>()\\]+""")
_RESOURCE_EXT = re.compile(r"\.(m?js|css|woff2?|ttf|otf|eot|wasm)(\?[^\s\"'<>]*)?$", re.I)
_CSS_URL = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*['"]?(https?:)?//([^'")\s]+)""", re.I)


def _is_remote(url: str) -> bool:
    url = url.strip()
    if url.startswith("//"):
        return True
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname not in LOCAL_HOSTS


def _loads_from(url: str) -> bool:
    return bool(_RESOURCE_EXT.search(url)) or any(h in url for h in _CDN_HOSTS)


class _PageParser(HTMLParser):
    """Collects resource references, links, ids and inline scripts of a page."""

    RESOURCE_ATTRS = {"script": "src", "img": "src", "iframe": "src", "embed": "src",
                      "audio": "src", "video": "src", "track": "src", "object": "data",
                      "input": "src"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.resources: list[tuple[str, str]] = []   # (tag, url)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.inline_scripts: list[str] = []
        self.styles: list[str] = []
        self._in: str | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.ids.add(a["name"])
        if tag in self.RESOURCE_ATTRS and a.get(self.RESOURCE_ATTRS[tag]):
            self.resources.append((tag, a[self.RESOURCE_ATTRS[tag]]))
        if tag == "script" and a.get("data-src"):   # a chart spec loaded when drawn
            self.resources.append((tag, a["data-src"]))
        if tag in ("img", "source") and a.get("srcset"):
            for item in a["srcset"].split(","):
                if item.strip():
                    self.resources.append((tag, item.strip().split()[0]))
        if tag == "source" and a.get("src"):
            self.resources.append((tag, a["src"]))
        if tag == "video" and a.get("poster"):
            self.resources.append((tag, a["poster"]))
        if tag == "link" and a.get("href"):
            rel = a.get("rel", "").lower().split()
            if set(rel) & {"stylesheet", "preload", "modulepreload", "prefetch", "icon",
                           "shortcut", "manifest", "preconnect", "dns-prefetch", "apple-touch-icon"}:
                self.resources.append(("link " + " ".join(rel), a["href"]))
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "script" and not a.get("src"):
            kind = a.get("type", "").lower()
            if kind in ("", "text/javascript", "application/javascript", "module"):
                self._in, self._buf = "script", []
        if tag == "style":
            self._in, self._buf = "style", []
        if a.get("style") and "url(" in a["style"]:
            self.styles.append(a["style"])

    def handle_data(self, data):
        if self._in:
            self._buf.append(data)

    def handle_endtag(self, tag):
        if self._in and tag == self._in:
            text = "".join(self._buf)
            (self.inline_scripts if tag == "script" else self.styles).append(text)
            self._in = None


@functools.lru_cache(maxsize=None)
def _parse(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def static_problems(page: Path) -> list[str]:
    """References in one HTML file that would load something from another host."""
    p = _parse(page)
    problems = []
    for tag, url in p.resources:
        if _is_remote(url):
            verb = "connects to" if ("preconnect" in tag or "dns-prefetch" in tag) else "loads"
            problems.append(f"<{tag}> {verb} {url}")
    for body in p.inline_scripts:
        for url in _RESOURCE_URL.findall(body):
            if _is_remote(url) and _loads_from(url):
                problems.append(f"inline script refers to {url}")
    for css in p.styles:
        for scheme, rest in _CSS_URL.findall(css):
            problems.append(f"inline style loads {scheme}//{rest}")
    return sorted(set(problems))


def css_problems(site: Path) -> list[str]:
    """Remote @import / url() in the site's own style sheets (fonts!)."""
    problems = []
    for css in sorted(site.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # licences name URLs in comments
        for scheme, rest in _CSS_URL.findall(text):
            if not rest.startswith("www.w3.org/"):
                problems.append(f"{css.relative_to(site)} loads {scheme}//{rest}")
    return problems


def link_problems(site: Path, page: Path) -> list[str]:
    """Internal links of one page that point to a missing file or anchor."""
    problems = []
    for href in _parse(page).links:
        if not href or href.startswith(("mailto:", "tel:", "javascript:", "data:")):
            continue
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue
        path, frag = unquote(parts.path), unquote(parts.fragment)
        if path:
            target = (page.parent / path).resolve()
            if path.endswith("/") or target.is_dir():
                target = target / "index.html"
            try:
                target.relative_to(site.resolve())
            except ValueError:
                problems.append(f"link {href!r} points outside the site")
                continue
            if not target.is_file():
                problems.append(f"broken link {href!r} (no {target.relative_to(site.resolve())})")
                continue
        else:
            target = page
        if frag and target.suffix == ".html" and frag not in _parse(target).ids:
            problems.append(f"broken anchor {href!r}")
    return sorted(set(problems))


def find_pages(site: Path) -> list[Path]:
    """Every HTML page of the site (not under _static, _sources, _images...)."""
    pages = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site)
        if any(part.startswith(("_", ".")) for part in rel.parts[:-1]):
            continue
        pages.append(path)
    return pages


# --- serving ---------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401 - silence the access log
        pass


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``site`` on 127.0.0.1 on a free port; returns (server, base URL)."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


# --- the browser pass ------------------------------------------------------

# Charts are drawn lazily, images load lazily and a chapter's sections are laid
# out only near the viewport (content-visibility): the check wants it all.
_DRAW_ALL = """() => {
  if (!document.getElementById('xaibook-check-all')) {
    const s = document.createElement('style');
    s.id = 'xaibook-check-all';
    s.textContent = '.bd-article section { content-visibility: visible !important; }';
    document.head.appendChild(s);
  }
  document.querySelectorAll('img[loading="lazy"]').forEach(i => { i.loading = 'eager'; });
  if (typeof window.xaibookDrawAll === 'function') window.xaibookDrawAll();
  return true; }"""

# Heights of the chart cards not drawn yet (and, after drawing, of all):
# id -> [height, pre-sized by the build?]; charts inside a closed <details>
# (height 0) are left out.
_CARD_HEIGHTS = """() => Object.fromEntries([...document.querySelectorAll('.xaibook-chart')]
    .filter(e => e.getBoundingClientRect().height > 0
                 && (e.dataset.embedded !== 'done' || e.dataset.measured))
    .map(e => { e.dataset.measured = '1';
                return [e.id, [e.getBoundingClientRect().height, !!e.dataset.width]]; }))"""

_CHARTS_SETTLED = """() => [...document.querySelectorAll('.xaibook-chart')].every(
    e => e.dataset.embedded === 'done' || e.classList.contains('xaibook-chart-error'))
  && [...document.images].every(i => i.complete)"""

_INSPECT = r"""() => {
  const q = (s, root) => [...(root || document).querySelectorAll(s)];
  const charts = q('.xaibook-chart').map(el => ({
    id: el.id, ok: el.dataset.embedded === 'done' && !!el.querySelector('svg, canvas'),
    error: el.classList.contains('xaibook-chart-error') ? el.textContent : null,
    title: q('svg .role-title-text', el).map(t => t.textContent).join(' ').trim(),
    // Vega-Lite draws grid lines as extra, label-less axes: only count real ones.
    axes: q('svg .role-axis', el).filter(g => g.querySelector('.role-axis-label text')).length,
    axisTitles: q('svg .role-axis-title text', el).filter(t => t.textContent.trim()).length,
  }));
  const foreign = q('.vega-embed, [id^="altair-viz"]')
    .filter(el => !el.closest('.xaibook-chart') && !el.parentElement.closest('.vega-embed, [id^="altair-viz"]'))
    .map(el => ({id: el.id || el.className, ok: !!el.querySelector('svg, canvas')}));
  const math = q('span.math, div.math');
  const mathUntypeset = math.filter(el => !el.querySelector('mjx-container')).length;
  const mathErrors = q('mjx-merror').map(e => e.getAttribute('data-mjx-error') || e.textContent);
  const outputs = q('.cell_output .output, .cell_output > div').map(el => ({
    cls: el.className, text: el.innerText || ''}));
  const widgets = q('script[type="application/vnd.jupyter.widget-view+json"]').length;
  const article = document.querySelector('article, .bd-article, main') || document.body;
  const text = article.innerText || '';
  const images = q('img', article)
    .filter(img => !img.closest('.navbar-brand, .bd-header, .bd-sidebar-primary, .dropdown-menu'))
    .map(img => ({src: img.getAttribute('src') || '', alt: img.getAttribute('alt'),
      loaded: img.complete && img.naturalWidth > 0,
      caption: !!(img.closest('figure') && img.closest('figure').querySelector('figcaption')),
      inOutput: !!img.closest('.cell_output')}));
  const headings = q('h2', article).map(h => h.innerText.trim());
  return {charts, foreign, math: math.length, mathUntypeset, mathErrors, outputs, widgets,
    head: text.slice(0, 1200), headings, images,
    isChapter: !!document.querySelector('div.cell'),
    errorLoading: /Error loading script/.test(text)};
}"""

_OVERFLOW = r"""() => {
  const vw = document.documentElement.clientWidth, sw = document.documentElement.scrollWidth;
  if (sw <= vw + 1) return null;
  const seen = new Set(), worst = [];
  for (const el of document.querySelectorAll('.bd-article *')) {
    const r = el.getBoundingClientRect();
    if (r.right <= vw + 1 || r.width === 0) continue;
    let p = el.parentElement, clipped = false;
    while (p && p !== document.body) {
      const s = getComputedStyle(p);
      if (/(auto|scroll|hidden|clip)/.test(s.overflowX)) { clipped = true; break; }
      p = p.parentElement;
    }
    if (clipped) continue;
    const name = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.') : '');
    if (!seen.has(name)) { seen.add(name); worst.push(name + ' (' + Math.round(r.right) + 'px)'); }
    if (worst.length >= 3) break;
  }
  return {vw, sw, worst};
}"""


# Charts that fit (issue 16): every chart, figure and output image inside the
# article column, without a sideways scroll bar of its own.
_FIT = r"""() => {
  const article = document.querySelector('.bd-article, article, main');
  if (!article) return [];
  const right = article.getBoundingClientRect().right + 1;
  const name = el => {
    if (el.classList.contains('xaibook-chart')) {
      const t = [...el.querySelectorAll('svg .role-title-text')].map(x => x.textContent)
        .join(' ').trim() || el.getAttribute('aria-label') || '';
      return 'chart ' + el.id + (t ? ' "' + t.slice(0, 80) + '"' : '');
    }
    const img = el.tagName === 'IMG' ? el : el.querySelector('img');
    if (img) return 'image ' + (img.getAttribute('src') || '').split('/').pop();
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
  };
  const out = [];
  const items = [...article.querySelectorAll('.xaibook-chart, figure, .cell_output img')];
  for (const el of items) {
    if (el.closest('details:not([open])')) continue;   // a closed solution
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    let widest = r.right;
    for (const c of el.querySelectorAll('svg, canvas, img')) {
      const cr = c.getBoundingClientRect();
      if (cr.width > 0) widest = Math.max(widest, cr.right);
    }
    const scrolls = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0;
    if (widest > right || scrolls) {
      out.push(name(el) + ' is ' + Math.round(Math.max(widest - r.left, el.scrollWidth))
               + 'px wide, the column ' + Math.round(Math.min(r.width, right - r.left)) + 'px');
    }
  }
  return out;
}"""

# Charts drawn smaller than their own size (scaled to the card): id, title,
# the share of its width it is drawn at.
_SCALES = r"""() => [...document.querySelectorAll('.bd-article .xaibook-chart, article .xaibook-chart')]
  .filter(el => !el.closest('details:not([open])'))
  .map(el => {
    const svg = el.querySelector('svg.marks') || el.querySelector('svg');
    if (!svg) return null;
    const natural = parseFloat(svg.getAttribute('width'));
    const drawn = svg.getBoundingClientRect().width;
    if (!(natural > 0) || !(drawn > 0)) return null;
    const t = [...el.querySelectorAll('svg .role-title-text')].map(x => x.textContent)
      .join(' ').trim() || el.getAttribute('aria-label') || '';
    return {id: el.id, title: t.slice(0, 80), scale: drawn / natural};
  }).filter(Boolean)"""

#: A chart drawn below this share of its size (scaled down to fit the card)
#: has its 11-px labels under 8 px: too small to read (advice; fails --strict).
MIN_CHART_SCALE = 0.75


def scale_problems(items: list[dict], width: int, minimum: float = MIN_CHART_SCALE) -> list[str]:
    """Charts scaled down below ``minimum`` of their size at one viewport width."""
    return [f"at {width}px: chart {c['id']}" + (f' "{c["title"]}"' if c.get("title") else "")
            + f" is drawn at {c['scale']:.0%} of its size (text too small to read; "
            "a grid of panels should go to one column on a phone)"
            for c in items if c["scale"] < minimum]


#: axe-core impacts that fail a page; and rules that fail it whatever their impact.
AXE_FAIL_IMPACTS = ("critical", "serious")
AXE_ALWAYS_FAIL = ("empty-table-header",)

_AXE_RUN = """async () => {
  // The site gives scrollable regions their tab stops in idle time: finish.
  if (typeof window.xaibookTabStopsAll === 'function') window.xaibookTabStopsAll();
  // preload: false: axe would re-fetch style sheets and resolve their
  // @import against the page (a bogus 404 for /basic.css).
  const r = await axe.run(document, {resultTypes: ['violations'], iframes: false,
                                     preload: false});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


def find_axe() -> Path | None:
    """The pinned ``axe.min.js`` (``$XAIBOOK_AXE``, else installed by
    ``scripts/vendor_assets.py`` into its npm cache), or None."""
    env = os.environ.get("XAIBOOK_AXE")
    if env:
        return Path(env) if Path(env).is_file() else None
    candidates = [Path(__file__).resolve().parents[3] / "scripts" / "vendor_assets.py",
                  Path.cwd() / "scripts" / "vendor_assets.py"]
    script = next((c for c in candidates if c.is_file()), None)
    if script is None:
        return None
    import importlib.util
    spec = importlib.util.spec_from_file_location("_xaibook_vendor_assets", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        path = module.axe_script()
    except (SystemExit, Exception):  # npm missing and nothing cached
        return None
    return path if path.is_file() else None


def axe_problems(violations: list[dict]) -> list[str]:
    """The axe-core violations that fail a page, one line each."""
    problems = []
    for v in violations:
        if v.get("impact") in AXE_FAIL_IMPACTS or v.get("id") in AXE_ALWAYS_FAIL:
            where = ", ".join(v.get("targets") or [])
            problems.append(f"axe {v.get('impact')} {v['id']}: {v.get('help', '')} "
                            f"({v.get('nodes', 0)} element(s): {where})")
    return problems


def fit_problems(items: list[str], width: int) -> list[str]:
    """Charts/images wider than the article column at one viewport width."""
    return [f"at {width}px: {item}" for item in items]


@dataclass
class PageResult:
    page: str
    failures: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    charts: int = 0
    math: int = 0
    requests: int = 0

    def ok(self, strict: bool = False) -> bool:
        return not self.failures and not (strict and self.advice)


def _image_advice(images: list[dict]) -> list[str]:
    advice = []
    for img in images:
        src, alt = img["src"], (img["alt"] or "").strip()
        name = src.rsplit("/", 1)[-1]
        if not alt or alt == src or alt.endswith(name) or re.search(r"\.(png|jpe?g|svg|gif)$", alt):
            advice.append(f"image {name} has no alt text")
        if img["inOutput"] and not img["caption"]:
            advice.append(f"output image {name} has no caption (use a glued figure or mystnb.figure)")
    return advice


def shift_problems(before: dict, after: dict, width: int) -> list[str]:
    """Charts whose card changed height when drawn (the text below moved).

    ``before``/``after``: chart id -> [height, pre-sized?] of the card before
    drawing (the placeholder) and once drawn. A change of more than 8 px and
    8 % counts (the build sizes placeholders from text metrics computed
    without a browser: a chart wider than the column, scaled down, or one
    with inputs that wrap on a phone is off by up to about 7 %; a placeholder
    that is not pre-sized is off by hundreds of pixels); charts drawn at load
    (already drawn before) never count.
    """
    out = []
    for cid, (h0, sized) in before.items():
        if cid not in after or h0 <= 0:
            continue
        h1 = after[cid][0]
        if abs(h1 - h0) > max(8, 0.08 * max(h0, h1)):
            what = "its pre-sized placeholder" if sized else "its placeholder (not pre-sized)"
            out.append(f"at {width}px: chart {cid} is {h1:.0f}px tall drawn, {h0:.0f}px as "
                       f"{what}: drawing it moves the text below by {h1 - h0:+.0f}px")
    return out


def _visit(page, url: str, result: PageResult, timeout_ms: int,
           width: int | None = None) -> dict | None:
    try:
        page.goto(url, wait_until="load", timeout=timeout_ms)
    except Exception as exc:  # playwright TimeoutError, net errors
        result.failures.append(f"page did not load: {exc}".splitlines()[0])
        return None
    try:
        page.wait_for_load_state("networkidle", timeout=min(timeout_ms, 15_000))
    except Exception:
        pass  # a page that keeps polling is not an error in itself
    before = {}
    try:
        before = page.evaluate(_CARD_HEIGHTS)
    except Exception:
        pass
    try:
        page.evaluate(_DRAW_ALL)  # charts are drawn lazily; draw them all
        page.wait_for_function(_CHARTS_SETTLED, timeout=timeout_ms)
    except Exception:
        result.failures.append(f"charts still not drawn (or images not loaded) after "
                               f"{timeout_ms // 1000}s")
    if before and width:
        try:
            result.advice.extend(shift_problems(before, page.evaluate(_CARD_HEIGHTS), width))
        except Exception:
            pass
    try:
        # MathJax loads lazily too (xaibook.book.siteperf): load it and wait.
        page.evaluate("() => typeof window.xaibookLoadMath === 'function'"
                      " ? window.xaibookLoadMath().then(() => true) : null")
        page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise"
                      " ? MathJax.startup.promise.then(() => true) : null")
    except Exception as exc:
        result.failures.append(f"MathJax failed: {exc}".splitlines()[0])
    for attempt in range(3):  # a redirect page (index.html) may navigate under us
        try:
            return page.evaluate(_INSPECT)
        except Exception as exc:
            if attempt == 2:
                result.failures.append(f"could not inspect the page: {exc}".splitlines()[0])
                return None
            page.wait_for_load_state("load", timeout=timeout_ms)
    return None


def _judge(info: dict, result: PageResult) -> None:
    result.charts = len(info["charts"])
    result.math = info["math"]
    for chart in info["charts"]:
        if not chart["ok"]:
            result.failures.append(f"chart {chart['id']} not rendered"
                                   + (f": {chart['error']}" if chart["error"] else ""))
            continue
        if not chart["title"]:
            result.advice.append(f"chart {chart['id']} has no title")
        if chart["axes"] and not chart["axisTitles"]:
            # Some untitled axes are fine (a panel title says it); none at all is not.
            result.advice.append(f"chart {chart['id']} has no axis titles")
    for chart in info["foreign"]:
        result.failures.append(
            f"chart {chart['id']!r} written by another renderer"
            + ("" if chart["ok"] else " did not render")
            + " (use xaibook.book.altair_setup; Altair's default renderers load Vega from a CDN)")
    if info["mathUntypeset"]:
        result.failures.append(f"{info['mathUntypeset']} math element(s) not typeset by MathJax")
    for err in info["mathErrors"]:
        result.failures.append(f"MathJax error: {err}")
    if info["widgets"]:
        result.failures.append(f"{info['widgets']} Jupyter widget output(s): they need a kernel "
                               "(tqdm.auto progress bars are widgets; use disable=True)")
    if info["errorLoading"]:
        result.failures.append("page shows 'Error loading script'")
    seen = set()
    for out in info["outputs"]:
        if "stderr" in out["cls"]:
            seen.add("a stderr output is shown (stderr_output should remove it)")
        if "traceback" in out["cls"] or " error" in f" {out['cls']}":
            seen.add("an error output is shown")
        for problem in output_problems(out["text"]):
            seen.add(f"a cell output {problem}")
    result.failures.extend(sorted(seen))
    for img in info["images"]:
        if not img["loaded"]:
            result.failures.append(f"image {img['src']} did not load")
    result.advice.extend(_image_advice(info["images"]))
    if info["isChapter"]:
        if not re.search(r"key message", info["head"], re.I):
            result.advice.append("chapter does not open with a 'Key message'")
        if not any(h.lower().startswith("takeaway") for h in info["headings"]):
            result.advice.append("chapter has no 'Takeaways' section")


def _run_axe(pg, axe_source: str, r: PageResult) -> None:
    try:
        pg.add_script_tag(content=axe_source)
        violations = pg.evaluate(_AXE_RUN)
    except Exception as exc:
        r.failures.append(f"axe-core could not run: {exc}".splitlines()[0])
        return
    r.failures.extend(axe_problems(violations))


# Search buttons a reader sees (the theme can show one in a header bar and
# one in the sidebar).
_SEARCH_BUTTONS = """() => [...document.querySelectorAll('.search-button-field, .search-button__button')]
  .filter(b => { const r = b.getBoundingClientRect(), s = getComputedStyle(b);
                 return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; }).length"""


def _check_fit(pg, width: int, r: PageResult) -> None:
    try:
        items = pg.evaluate(_FIT)
        scales = pg.evaluate(_SCALES)
        searches = pg.evaluate(_SEARCH_BUTTONS)
    except Exception as exc:
        r.failures.append(f"could not measure the charts: {exc}".splitlines()[0])
        return
    r.failures.extend(fit_problems(items, width))
    r.advice.extend(scale_problems(scales, width))
    if searches > 1:
        r.advice.append(f"at {width}px: {searches} search buttons are visible (one is enough)")


def check_site(site: Path, *, strict: bool = False, phone: bool = True, timeout_s: int = 60,
               pages: list[Path] | None = None, chromium: str | None = None,
               log=print, axe: bool | Path = True) -> list[PageResult]:
    """Run every check on every page; returns one result per page.

    ``axe``: True finds the pinned axe-core (fails if it cannot), a path uses
    that ``axe.min.js``, False skips the accessibility audit.
    """
    site = Path(site).resolve()
    pages = pages if pages is not None else find_pages(site)
    if not pages:
        raise SystemExit(f"sitecheck: no HTML pages under {site}")
    chromium = chromium or find_chromium()
    if not chromium:
        raise SystemExit("sitecheck: Chromium not found (apt-get install -y chromium, "
                         "or set XAIBOOK_CHROMIUM); no browser is downloaded")
    axe_source = None
    if axe:
        axe_path = axe if isinstance(axe, Path) else find_axe()
        if axe_path is None or not Path(axe_path).is_file():
            raise SystemExit("sitecheck: axe-core not found: run `python scripts/vendor_assets.py` "
                             "(npm installs the pinned axe-core once), set XAIBOOK_AXE to an "
                             "axe.min.js, or pass --no-axe")
        axe_source = Path(axe_path).read_text(encoding="utf-8")
    site_wide = css_problems(site)
    results = {p: PageResult(p.relative_to(site).as_posix()) for p in pages}
    for page in pages:
        r = results[page]
        r.failures.extend(static_problems(page))
        r.failures.extend(link_problems(site, page))
    server, base = serve(site)
    port = server.server_address[1]
    current: dict[str, PageResult | None] = {"r": None}

    cut_icons = (site / "_static" / "xaibook-icons.css").is_file()

    def on_allowed(req):
        if current["r"] is not None:
            current["r"].requests += 1
            # With the icon fonts cut to the site's icons (xaibook.book.iconfonts),
            # a full font loads only for an icon the cut missed.
            name = urlsplit(req.url).path.rsplit("/", 1)[-1]
            if cut_icons and "/fontawesome/webfonts/" in req.url and name.startswith("fa-"):
                current["r"].advice.append(
                    f"the theme's full icon font {name} was downloaded: the page draws an "
                    "icon that the cut fonts (xaibook.book.iconfonts) do not hold")

    def on_blocked(req):
        if current["r"] is not None:
            current["r"].failures.append(
                f"request leaves the machine: {req.method} {req.url[:200]}")

    def attach(pg):
        def rec(msg):
            if current["r"] is not None:
                current["r"].failures.append(msg)
        pg.on("console", lambda m: m.type == "error" and rec(f"console error: {m.text[:300]}"))
        pg.on("pageerror", lambda e: rec(f"uncaught JavaScript error: {str(e)[:300]}"))
        pg.on("websocket", lambda ws: rec(f"WebSocket opened: {ws.url[:200]}"))
        pg.on("response", lambda resp: resp.status >= 400
              and urlsplit(resp.url).port == port
              and rec(f"HTTP {resp.status} for {resp.url.replace(base, '/')}"))
        pg.on("requestfailed", lambda req: urlsplit(req.url).port == port
              and rec(f"request failed: {req.url.replace(base, '/')} ({req.failure})"))

    try:
        with browser_session(executable=chromium) as browser:
            ctx = browser.new_context(viewport=DESKTOP, service_workers="block")
            block_remote(ctx, allow_port=port, on_blocked=on_blocked, on_allowed=on_allowed)
            phone_ctx = None
            if phone:
                phone_ctx = browser.new_context(viewport=PHONE, is_mobile=True,
                                                has_touch=True, service_workers="block")
                block_remote(phone_ctx, allow_port=port, on_blocked=on_blocked,
                             on_allowed=on_allowed)
            for page in pages:
                r = results[page]
                current["r"] = r
                url = base + r.page
                pg = ctx.new_page()
                attach(pg)
                info = _visit(pg, url, r, timeout_s * 1000, DESKTOP["width"])
                if info is not None:
                    _judge(info, r)
                    _check_fit(pg, DESKTOP["width"], r)
                    if axe_source is not None:
                        _run_axe(pg, axe_source, r)
                pg.close()
                if phone_ctx is not None:
                    pg = phone_ctx.new_page()
                    attach(pg)
                    if _visit(pg, url, r, timeout_s * 1000, PHONE["width"]) is not None:
                        _check_fit(pg, PHONE["width"], r)
                        over = pg.evaluate(_OVERFLOW)
                        if over:
                            r.advice.append(
                                f"scrolls sideways at {PHONE['width']}px (page {over['sw']}px wide): "
                                + ", ".join(over["worst"]))
                    pg.close()
                current["r"] = None
                r.failures = list(dict.fromkeys(r.failures))
                r.advice = list(dict.fromkeys(r.advice))
                _log_result(r, strict, log)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    if site_wide:
        first = results[pages[0]]
        first.failures.extend(f"site style sheet: {p}" for p in site_wide)
        log(f"FAIL site style sheets:\n" + "\n".join(f"       - {p}" for p in site_wide))
    return [results[p] for p in pages]


def _log_result(r: PageResult, strict: bool, log) -> None:
    status = "ok  " if r.ok(strict) else "FAIL"
    log(f"{status} {r.page}  ({r.charts} charts, {r.math} math, {r.requests} local requests)")
    for f in r.failures:
        log(f"       - {f}")
    for a in r.advice:
        log(f"       {'-' if strict else '~'} advice: {a}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m xaibook.book.sitecheck",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("site", nargs="?", default="_build/html", type=Path)
    ap.add_argument("--strict", action="store_true",
                    help="reader-comfort advice (alt text, titles, phone width, key "
                         "message/takeaways) fails the page too")
    ap.add_argument("--no-phone", action="store_true", help="skip the phone-width pass")
    ap.add_argument("--no-axe", action="store_true", help="skip the axe-core audit")
    ap.add_argument("--timeout", type=int, default=60, help="seconds per page and wait")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("pages", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    site = args.site
    if not (site / "index.html").is_file() and not find_pages(site):
        print(f"sitecheck: {site} is not a built site (run `make book` first)", file=sys.stderr)
        return 2
    results = check_site(site, strict=args.strict, phone=not args.no_phone,
                         timeout_s=args.timeout, axe=not args.no_axe,
                         pages=[p.resolve() for p in args.pages] or None)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=1) + "\n")
    failed = sum(not r.ok(args.strict) for r in results)
    advice = sum(len(r.advice) for r in results)
    if advice and not args.strict:
        print(f"({advice} advice item(s) on reader comforts; --strict makes them failures)")
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
