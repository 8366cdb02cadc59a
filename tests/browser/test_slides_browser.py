"""Decks opened in headless Chromium with the network off, as a speaker would use them.

Playwright drives Debian's Chromium through the shared launcher
(:func:`xaibook.book.browser.chromium`: unresolvable host names, and every
request that would leave the machine aborted and recorded by
:func:`~xaibook.book.browser.block_remote`).

* a synthetic deck (always): math and charts render, → alone walks every slide
  and fragment, a focused slider does not keep the arrow keys, the speaker
  view (``S``) shows the notes, no slide overflows, and the PDF has one page
  per slide;
* the decks ``make slides`` / ``scripts/check_slides.sh`` built, in
  ``$XAIBOOK_SLIDES_DIR`` (default ``_build/slides``): no slide of any deck
  overflows; the talk in each language is walked with → only and every slide
  is seen; its notes are in the speaker view; a Spanish slide shows a decimal
  comma.

Skipped when no Chromium is installed, unless ``XAIBOOK_REQUIRE_BROWSER=1``
(``scripts/check_slides.sh`` sets it), where a missing browser fails.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from xaibook.book import slides as sl
from xaibook.book.browser import block_remote, chromium, find_chromium
from xaibook.book.notebooks import resolve_chapters
from xaibook.book.room import OVERFLOWING, open_deck, pdf_pages, print_pdf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_slides import make_demo_book  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SLIDES = Path(os.environ.get("XAIBOOK_SLIDES_DIR", ROOT / "_build" / "slides"))
pytestmark = pytest.mark.browser

if not find_chromium():
    if os.environ.get("XAIBOOK_REQUIRE_BROWSER") == "1":
        raise RuntimeError("XAIBOOK_REQUIRE_BROWSER=1 but no Chromium: apt-get install -y chromium")
    pytest.skip("no Chromium installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def context(browser):
    """A browser context whose requests may only be local files; checked at the end."""
    blocked: list[str] = []
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    block_remote(ctx, on_blocked=lambda r: blocked.append(r.url))
    errors: list[str] = []
    ctx.on("weberror", lambda e: errors.append(str(e.error)))
    ctx.blocked, ctx.errors = blocked, errors
    yield ctx
    ctx.close()
    assert blocked == [], f"the deck asked the network for: {blocked}"
    assert errors == [], errors


def here(page) -> str:
    return page.evaluate("(() => { const i = Reveal.getIndices(); return i.h + '/' + (i.v || 0); })()")


def walk_with_right_arrow(page, limit: int = 400) -> list[str]:
    """Press → (only) until the end; the slides seen, in order."""
    seen = [here(page)]
    for _ in range(limit):
        if page.evaluate("Reveal.isLastSlide() && !Reveal.availableFragments().next"):
            return seen
        page.keyboard.press("ArrowRight")
        if here(page) != seen[-1]:
            seen.append(here(page))
    raise AssertionError(f"→ did not reach the end in {limit} presses")


def all_slides(page) -> list[str]:
    return page.evaluate("""Reveal.getSlides().map(s => { const i = Reveal.getIndices(s);
                            return i.h + '/' + (i.v || 0); })""")


def speaker_notes(context, page) -> str:
    """Open the speaker view with S and return the notes it shows."""
    with context.expect_page(timeout=30_000) as popup_info:
        page.keyboard.press("s")
    popup = popup_info.value
    popup.wait_for_load_state()
    popup.wait_for_function("""(() => { const n = document.querySelector('.speaker-controls-notes .value');
                                return n && n.innerText.trim().length > 0; })()""", timeout=30_000)
    text = popup.evaluate("document.querySelector('.speaker-controls-notes .value').innerText")
    popup.close()
    return text


# --- the synthetic deck ------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_deck(tmp_path_factory):
    root = make_demo_book(tmp_path_factory.mktemp("book"))
    chapter = resolve_chapters(["demo"], root)[0]
    return sl.export_deck(chapter, root / "_build" / "slides", libs_root=ROOT)


def test_chromium_really_is_offline(context):
    page = context.new_page()
    with pytest.raises(Exception, match="ERR_"):
        page.goto("https://example.org/", timeout=15_000)
    assert context.blocked and context.blocked[0].startswith("https://example.org")
    context.blocked.clear()
    context.errors.clear()


def test_demo_deck_renders_and_right_arrow_walks_every_slide(context, demo_deck):
    libs = sl.book_libs(ROOT)
    if os.environ.get("XAIBOOK_REQUIRE_BROWSER") == "1":
        assert {"mathjax", "vega", "vega-lite", "vega-embed", "charts"} <= set(libs), sorted(libs)
    page = open_deck(context, demo_deck)
    if "mathjax" in libs:
        assert page.evaluate("document.querySelectorAll('mjx-container').length") > 0
    if "charts" in libs:
        assert page.evaluate("document.querySelectorAll('.xaibook-chart svg').length") > 0
    assert page.evaluate(OVERFLOWING) == []
    slides = all_slides(page)
    assert len(slides) >= 4 and any(not s.endswith("/0") for s in slides), slides  # sub-slides exist
    assert walk_with_right_arrow(page) == slides  # → alone visits every slide, in order
    assert page.evaluate("document.querySelectorAll('.fragment.visible').length") >= 1
    assert "Backup material" not in page.content()


def test_a_focused_slider_does_not_keep_the_arrow_keys(context, demo_deck):
    page = open_deck(context, demo_deck)
    page.evaluate("Reveal.slide(...Object.values(Reveal.getIndices(document.getElementById('demo-slider')"
                  ".closest('section'))))")
    page.focus("#demo-slider")
    before = here(page)
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.getElementById('demo-slider').value") == "5"
    assert here(page) != before or page.evaluate("Reveal.getIndices().f") is not None


def test_demo_notes_are_in_the_speaker_view(context, demo_deck):
    page = open_deck(context, demo_deck)
    notes_slide = page.evaluate("""(() => { const a = document.querySelector('aside.notes');
        const i = Reveal.getIndices(a.closest('section')); return [i.h, i.v || 0]; })()""")
    page.evaluate(f"Reveal.slide({notes_slide[0]}, {notes_slide[1]})")
    assert "say the number twice" in speaker_notes(context, page)
    assert not page.locator("aside.notes").first.is_visible()


def test_demo_deck_prints_one_pdf_page_per_slide(browser, context, demo_deck, tmp_path):
    pdf = print_pdf(demo_deck, tmp_path / "demo.pdf", browser=browser)
    assert pdf.read_bytes().startswith(b"%PDF")
    page = open_deck(context, demo_deck)
    assert pdf_pages(pdf) == page.evaluate("Reveal.getTotalSlides()")


def test_dark_theme_keeps_headings_visible(context, tmp_path_factory):
    root = make_demo_book(tmp_path_factory.mktemp("dark"))
    deck = sl.export_deck(resolve_chapters(["demo"], root)[0], root / "out", libs_root=ROOT, theme="black")
    page = open_deck(context, deck)
    colour = page.evaluate("getComputedStyle(document.querySelector('.reveal h1')).color")
    background = page.evaluate("getComputedStyle(document.querySelector('.reveal-viewport')).backgroundColor")
    assert colour in ("rgb(255, 255, 255)", "rgb(238, 238, 238)"), colour
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), background


# --- the decks make slides built -------------------------------------------------------------


def built_decks() -> list[Path]:
    return sorted(SLIDES.glob("*.slides.html")) if SLIDES.is_dir() else []


@pytest.mark.parametrize("deck", built_decks() or [None], ids=lambda d: d.name if d else "none")
def test_no_slide_of_a_built_deck_overflows(context, deck):
    if deck is None:
        pytest.skip(f"no decks in {SLIDES} (make slides)")
    assert sl.check_offline(deck) == []
    page = open_deck(context, deck)
    assert page.evaluate(OVERFLOWING) == [], f"{deck.name}: slides overflow"
    assert page.evaluate("Reveal.getConfig().navigationMode") == "linear"


TALKS = [SLIDES / f"talk.{lang}.slides.html" for lang in ("es", "en")]


@pytest.mark.parametrize("deck", TALKS, ids=lambda d: d.name)
def test_talk_walked_with_right_arrow_shows_every_slide_and_its_notes(context, deck):
    if not deck.is_file():
        if os.environ.get("XAIBOOK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{deck} was not built (make slides)")
        pytest.skip(f"{deck} not built (make slides)")
    page = open_deck(context, deck)
    slides = all_slides(page)
    assert 20 <= len(slides) <= 30, len(slides)
    assert walk_with_right_arrow(page) == slides
    page.evaluate("Reveal.slide(0, 0)")
    notes = speaker_notes(context, page)
    assert len(notes) > 40, notes
    if deck.name.startswith("talk.es"):
        # The slides' own text (charts draw their labels with Vega's Spanish locale).
        text = page.evaluate("""Array.from(Reveal.getSlides()).map(s => { const c = s.cloneNode(true);
            c.querySelectorAll('.xaibook-chart, aside.notes').forEach(e => e.remove());
            return c.textContent; }).join('\\n')""")
        assert re.search(r"\d,\d", text), "no decimal comma on any Spanish slide"
        assert not re.search(r"\b\d+\.\d+\s?%", text), "an English decimal point on a Spanish slide"
