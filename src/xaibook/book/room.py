"""What makes a deck work in a room: big charts, local numbers, fit, keys, PDF.

Used by every deck (:mod:`xaibook.book.slides` for chapters,
:mod:`xaibook.book.talk` for the talk):

``room_chart(spec, *, width, height, font, labels)``
    A copy of a Vega-Lite spec re-laid out for a slide: wide, with axis,
    legend, header and title fonts of at least ``font`` px, and its titles
    translated through ``labels`` (a ``{"English": "Español"}`` map).
``localize(text, lang)``
    Numbers in a glued string written for ``lang`` ("es": decimal comma,
    thin-space thousands, ``23,9 %``).
``format_value(text, spec, lang)``
    A glued value, formatted with a Python format ``spec`` when given, then
    localized.
``ROOM_JS``
    The deck's script: scale every slide to fit (a slide that still does not
    fit at 55 % is marked ``data-overflow``), and keep the presenter's keys
    (arrows, PageUp/PageDown, space) for navigation even when a chart's
    slider or a link has the focus.
``DECK_READY`` / ``OVERFLOWING``
    JavaScript expressions: the deck is laid out, math and charts drawn and
    slides fitted / the slides that overflow (their titles).
``open_deck(browser, deck, ...)`` and ``print_pdf(deck, pdf)``
    Playwright (through :func:`xaibook.book.browser.chromium`): open a deck
    with the network off, print it with reveal.js's ``?print-pdf`` view; the
    PDF is refused when a slide overflows or the page count is not the slide
    count.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

__all__ = ["SPANISH_LOCALE", "room_chart", "localize", "format_value", "ROOM_JS", "DECK_READY",
           "OVERFLOWING", "DeckError", "open_deck", "print_pdf", "pdf_pages"]

#: d3-format locale for Vega (``formatLocale`` embed option) in Spanish decks.
SPANISH_LOCALE = {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0€"],
                  "percent": "\u00a0%"}

_FONT_KEYS = ("labelFontSize", "titleFontSize", "fontSize")
_TEXT_KEYS = ("title", "text", "subtitle", "description")


class DeckError(RuntimeError):
    """A deck that cannot be shown as built (overflow, wrong PDF)."""


# --- charts ----------------------------------------------------------------------------


def _natural_size(spec: dict) -> tuple[float, float]:
    """Rough width and height of a Vega-Lite spec as the book draws it."""
    def num(value, default):
        return float(value) if isinstance(value, (int, float)) else default

    if "hconcat" in spec:
        sizes = [_natural_size(s) for s in spec["hconcat"]]
        return sum(w for w, _ in sizes) + 20 * (len(sizes) - 1), max(h for _, h in sizes)
    if "vconcat" in spec:
        sizes = [_natural_size(s) for s in spec["vconcat"]]
        return max(w for w, _ in sizes), sum(h for _, h in sizes) + 20 * (len(sizes) - 1)
    if "concat" in spec:
        cols = int(spec.get("columns") or len(spec["concat"]) or 1)
        sizes = [_natural_size(s) for s in spec["concat"]]
        rows = -(-len(sizes) // cols)
        return cols * max(w for w, _ in sizes), rows * max(h for _, h in sizes)
    if "facet" in spec or "repeat" in spec:
        inner = _natural_size(spec.get("spec", {}))
        cols = int(spec.get("columns") or 1)
        return cols * inner[0] + 20 * (cols - 1), 2 * inner[1]
    if "layer" in spec:
        sizes = [_natural_size(s) for s in spec["layer"]]
        return (num(spec.get("width"), max(w for w, _ in sizes)),
                num(spec.get("height"), max(h for _, h in sizes)))
    w, h = num(spec.get("width"), 300.0), num(spec.get("height"), 300.0)
    enc = spec.get("encoding") or {}
    if isinstance(enc.get("facet"), dict):  # wrapped facet channel: cells side by side
        cols = int(enc["facet"].get("columns") or 3)
        w, h = cols * w + 20 * (cols - 1), 2 * h
    if isinstance(enc.get("column"), dict):
        w = 3 * w
    if isinstance(enc.get("row"), dict):
        h = 2 * h
    return w, h


def _walk(node, fn, key=None):
    if isinstance(node, dict):
        for k in list(node):
            if k in ("data", "datasets", "values"):
                continue
            node[k] = _walk(node[k], fn, k)
        return node
    if isinstance(node, list):
        return [_walk(v, fn, key) for v in node]
    return fn(key, node)


def room_chart(spec: dict, *, width: float = 1080, height: float = 430, font: float = 18,
               labels: dict | None = None) -> dict:
    """A Vega-Lite spec re-laid out for a slide (see the module docstring)."""
    spec = copy.deepcopy(spec)
    w0, h0 = _natural_size(spec)
    sx = min(max(width / max(w0, 1), 0.6), 3.0)
    sy = min(max(height / max(h0, 1), 0.5), 2.5)
    labels = labels or {}

    def fix(key, value):
        if key == "width" and isinstance(value, (int, float)):
            return round(value * sx)
        if key == "height" and isinstance(value, (int, float)):
            return round(value * sy)
        if key in _FONT_KEYS and isinstance(value, (int, float)):
            return max(value, font)
        if key in _TEXT_KEYS and isinstance(value, str):
            return labels.get(value, value)
        return value

    def translate_titles(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("data", "datasets"):
                    continue
                if k in _TEXT_KEYS and isinstance(v, list):
                    node[k] = [labels.get(x, x) if isinstance(x, str) else x for x in v]
                else:
                    translate_titles(v)
        elif isinstance(node, list):
            for v in node:
                translate_titles(v)

    spec = _walk(spec, fix)
    if labels:
        translate_titles(spec)
    config = spec.setdefault("config", {})
    for part, keys in (("axis", ("labelFontSize", "titleFontSize")),
                       ("legend", ("labelFontSize", "titleFontSize")),
                       ("header", ("labelFontSize", "titleFontSize"))):
        block = config.setdefault(part, {})
        block[keys[0]] = max(block.get(keys[0], 0), font)
        block[keys[1]] = max(block.get(keys[1], 0), font + 2)
    for part, size in (("title", font + 4), ("text", font)):
        block = config.setdefault(part, {})
        block["fontSize"] = max(block.get("fontSize", 0), size)
    view = config.setdefault("view", {})
    view["continuousWidth"] = round(view.get("continuousWidth", 300) * sx)
    view["continuousHeight"] = round(view.get("continuousHeight", 300) * sy)
    return spec


# --- numbers -----------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.,])(-|−)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\s?%)?(?![\w])")


def localize(text: str, lang: str) -> str:
    """Numbers of an English-formatted string written the ``lang`` way."""
    if lang != "es":
        return text

    def one(m: re.Match) -> str:
        sign, whole, frac, pct = m.group(1) or "", m.group(2), m.group(3) or "", m.group(4)
        digits = whole.replace(",", "")
        if len(digits) >= 5:
            groups = []
            while digits:
                groups.insert(0, digits[-3:])
                digits = digits[:-3]
            whole = "\u202f".join(groups)
        else:
            whole = digits
        return sign + whole + ("," + frac[1:] if frac else "") + ("\u00a0%" if pct else "")

    text = _NUMBER.sub(one, text)
    # The words of the stats module's interval text ("95% CI a to b, n = ...").
    text = re.sub("(\\d+)\u00a0% CI\\b", lambda m: f"IC {m.group(1)}\u00a0%", text)
    return re.sub(r"(?<=\d) to (?=[-−+]?\d)", " a ", text)


def format_value(text: str, spec: str, lang: str) -> str:
    """A glued text value with an optional format spec (``.1%``, ``,.0f``), for ``lang``."""
    if spec:
        try:
            text = format(float(text), spec)
        except ValueError:
            pass
    return localize(text, lang)


# --- the deck's script ---------------------------------------------------------------------

#: Fitting, key guard. Runs once the deck is ready and its charts are drawn.
ROOM_JS = r"""
(function () {
  const MIN_SCALE = 0.55;
  function contentOf(section) {
    let box = section.querySelector(':scope > .xaibook-fit');
    if (!box) {
      box = document.createElement('div');
      box.className = 'xaibook-fit';
      for (const child of Array.from(section.childNodes)) {
        if (child.nodeType === 1 && child.matches('aside.notes')) continue;
        box.appendChild(child);
      }
      section.insertBefore(box, section.firstChild);
    }
    return box;
  }
  function fit(section, W, H) {
    const box = contentOf(section);
    const shown = section.style.display;
    section.style.display = 'block';
    box.style.transform = ''; box.style.width = '';
    section.removeAttribute('data-overflow');
    // Fragments take their space whether shown or not (reveal hides them with opacity).
    let k = 1;
    for (let i = 0; i < 8; i++) {
      const h = box.scrollHeight, wide = box.scrollWidth / Math.max(box.clientWidth, 1);
      if (h * k <= H + 1 && wide <= 1.005) break;
      let next = Math.min(k, H / h);
      if (wide > 1.005) next = Math.min(next, k / wide);
      k = Math.max(MIN_SCALE, next * 0.98);
      box.style.width = (100 / k) + '%';
      box.style.transform = 'scale(' + k + ')';
      if (k === MIN_SCALE && i > 0) break;
    }
    const over = box.scrollHeight * k > H + 2 || box.scrollWidth > box.clientWidth + 2;
    if (over) section.setAttribute('data-overflow', 'true');
    section.setAttribute('data-fit', k.toFixed(2));
    section.style.display = shown;
  }
  function fitAll() {
    const cfg = Reveal.getConfig();
    const W = cfg.width * (1 - 2 * 0.02), H = cfg.height - 20;
    document.querySelectorAll('.reveal .slides section:not(.stack)').forEach(s => fit(s, W, H));
    window.__xaibookFitted = true;
  }
  function chartsDone() {
    for (const c of document.querySelectorAll('.xaibook-chart')) {
      if (c.getAttribute('data-embedded') !== 'done' && !c.classList.contains('xaibook-chart-error')) return false;
    }
    return !(window.MathJax && MathJax.startup && MathJax.startup.promise && !window.__xaibookMathDone);
  }
  function whenReady() {
    // The book's chart loader draws lazily (near the viewport); a deck draws every chart.
    if (typeof window.xaibookDrawAll === 'function' && !window.__xaibookDrawing) {
      window.__xaibookDrawing = true;
      Promise.resolve(window.xaibookDrawAll()).catch(() => {});
    }
    if (window.MathJax && MathJax.startup && MathJax.startup.promise && !window.__xaibookMathWait) {
      window.__xaibookMathWait = true;
      MathJax.startup.promise.then(() => { window.__xaibookMathDone = true; });
    }
    if (chartsDone()) { fitAll(); Reveal.layout(); } else setTimeout(whenReady, 150);
  }
  window.xaibookFitAll = fitAll;
  Reveal.on('ready', () => setTimeout(whenReady, 50));

  // The presenter's keys always move the deck, even with a slider or a link focused.
  const NEXT = new Set(['ArrowRight', 'ArrowDown', 'PageDown', ' ', 'Spacebar']);
  const PREV = new Set(['ArrowLeft', 'ArrowUp', 'PageUp']);
  document.addEventListener('keydown', (e) => {
    const t = e.target;
    if (!t || t === document.body || t === document.documentElement || !t.closest) return;
    if (!t.closest('.reveal .slides')) return;
    if (!NEXT.has(e.key) && !PREV.has(e.key)) return;
    e.preventDefault(); e.stopImmediatePropagation();
    if (t.blur) t.blur();
    if (NEXT.has(e.key)) Reveal.next(); else Reveal.prev();
  }, true);
  // After a click or drag on a widget, give the focus back to the deck.
  const release = () => setTimeout(() => {
    const a = document.activeElement;
    if (a && a !== document.body && a.closest && a.closest('.reveal .slides') && a.blur) a.blur();
  }, 0);
  document.addEventListener('change', release, true);
  document.addEventListener('pointerup', release, true);
})();
"""

#: JavaScript: true once a deck is laid out, its math and charts drawn and its slides fitted.
DECK_READY = """(() => !!(window.Reveal && Reveal.isReady() && window.__xaibookFitted))()"""

#: JavaScript: the slides that overflow even scaled down ([] when none).
OVERFLOWING = """(() => Array.from(document.querySelectorAll('.reveal .slides section[data-overflow]'))
  .map(s => { const h = s.querySelector('h1, h2, h3, p'); return (h ? h.innerText : s.innerText).trim().slice(0, 80); }))()"""


# --- the browser -----------------------------------------------------------------------------


def open_deck(context, deck: Path, *, query: str = "", timeout: float = 120):
    """A new page of ``context`` showing ``deck``, ready (``DECK_READY``)."""
    page = context.new_page()
    page.goto(deck.resolve().as_uri() + query, wait_until="load", timeout=timeout * 1000)
    page.wait_for_function(DECK_READY, timeout=timeout * 1000)
    return page


def pdf_pages(pdf: Path) -> int:
    """Pages in a PDF (count of ``/Type /Page`` objects)."""
    return len(re.findall(rb"/Type\s*/Page[^s]", Path(pdf).read_bytes()))


def print_pdf(deck: Path, pdf: Path | None = None, *, timeout: float = 180, browser=None) -> Path:
    """Print a deck to PDF through reveal.js's ``?print-pdf`` view (Playwright + Chromium).

    Raises :class:`DeckError` when a slide overflows its page (it would be cut)
    or the PDF does not have one page per slide. ``browser``: a launched
    Playwright browser to use (default: start one with
    :func:`xaibook.book.browser.chromium`). By hand: open
    ``<deck>.slides.html?print-pdf`` in Chrome/Chromium and print to PDF
    (margins: none, background graphics: on).
    """
    from xaibook.book.browser import chromium

    pdf = Path(pdf or deck.with_suffix("").with_suffix(".pdf")).resolve()
    if browser is None:
        with chromium() as launched:
            total = _print(launched, deck, pdf, timeout)
    else:
        total = _print(browser, deck, pdf, timeout)
    pages = pdf_pages(pdf)
    if pages != total:
        raise DeckError(f"{pdf.name} has {pages} pages for {total} slides")
    return pdf


def _print(browser, deck: Path, pdf: Path, timeout: float) -> int:
    from xaibook.book.browser import block_remote

    blocked: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        block_remote(context, on_blocked=lambda r: blocked.append(r.url))
        page = open_deck(context, deck, timeout=timeout)
        total = page.evaluate("Reveal.getTotalSlides()")
        over = page.evaluate(OVERFLOWING)
        page.close()
        if over:
            raise DeckError(f"{deck.name}: {len(over)} slide(s) overflow even scaled down, "
                            f"the PDF would cut them: {over}; shorten or split them")
        page = open_deck(context, deck, query="?print-pdf", timeout=timeout)
        page.wait_for_function("document.querySelectorAll('.pdf-page').length > 0", timeout=timeout * 1000)
        over = page.evaluate(OVERFLOWING)
        if over:
            raise DeckError(f"{deck.name}: {len(over)} slide(s) overflow the PDF page: {over}")
        pdf.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    finally:
        context.close()
    if blocked:
        raise DeckError(f"{deck.name} asked the network for {blocked[:3]}")
    return total
