"""A deck opened in headless Chromium with the network off: it renders and navigates.

Chromium runs in a network namespace without interfaces when the machine
allows it (root in CI), and always with DevTools' offline emulation and every
host name unresolvable; the test also checks that every URL the page asked
for is a local file. Driven over the DevTools protocol on a pipe
(:class:`xaibook.book.slides.Chromium`): no WebDriver, no port.

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
from xaibook.book.notebooks import resolve_chapters

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_slides import make_demo_book  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.browser

if not sl.find_chromium():
    if os.environ.get("XAIBOOK_REQUIRE_BROWSER") == "1":
        raise RuntimeError("XAIBOOK_REQUIRE_BROWSER=1 but no Chromium: apt-get install -y chromium")
    pytest.skip("no Chromium installed (apt-get install chromium)", allow_module_level=True)


def press(browser, session, key: str, code: int) -> None:
    """A real key press, as the keyboard sends it (keyDown then keyUp)."""
    for kind in ("rawKeyDown", "keyUp"):
        browser.send("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": key,
                                                "windowsVirtualKeyCode": code,
                                                "nativeVirtualKeyCode": code}, session=session)


def indices(browser, session) -> tuple[int, int]:
    value = browser.evaluate(session, "JSON.stringify(Reveal.getIndices())")
    h, v = re.search(r'"h":(\d+),"v":(\d+)', value).groups()
    return int(h), int(v)


def visible_slide(browser, session) -> dict:
    return browser.evaluate(session, """(() => {
      const s = Reveal.getCurrentSlide(); const r = s.getBoundingClientRect();
      const st = getComputedStyle(s);
      return {text: s.innerText.trim().slice(0, 200), width: r.width, height: r.height,
              display: st.display, visibility: st.visibility, hash: location.hash};
    })()""")


def check_local_only(browser, deck: Path) -> None:
    assert browser.requests, "no request recorded: the DevTools Network domain is not reporting"
    remote = [u for u in browser.requests if not u.startswith(("file://", "data:", "blob:", "about:"))]
    assert remote == [], f"the deck asked the network for: {remote}"
    assert browser.failed == [], f"resources failed to load: {browser.failed}"
    errors = [m for m in browser.console if m.startswith(("error", "exception"))]
    assert errors == [], errors
    assert any(u.startswith(deck.parent.as_uri()) and u.endswith("reveal.js") for u in browser.requests)


def drive_deck(deck: Path, first_heading: str, *, expect_math: bool, expect_chart: bool):
    with sl.Chromium() as browser:
        session = browser.open(deck.resolve().as_uri())
        browser.wait_for(session, sl.DECK_READY, timeout=60)
        total = browser.evaluate(session, "Reveal.getTotalSlides()")
        assert total >= 3

        slide = visible_slide(browser, session)
        assert slide["display"] != "none" and slide["visibility"] == "visible"
        assert slide["width"] > 300 and slide["height"] > 100
        norm = lambda text: re.sub(r"[^0-9a-z]+", "", text.lower())  # noqa: E731 - Markdown vs text
        assert norm(slide["text"]).startswith(norm(first_heading)), (slide["text"][:80], first_heading)
        assert indices(browser, session) == (0, 0)

        if expect_math:
            assert browser.evaluate(session, "document.querySelectorAll('mjx-container').length") > 0
        if expect_chart:
            assert browser.evaluate(session, "document.querySelectorAll('.xaibook-chart svg').length") > 0

        # Keyboard navigation: right moves to the next slide, left back.
        browser.send("Page.bringToFront", session=session)
        press(browser, session, "ArrowRight", 39)
        browser.wait_for(session, "Reveal.getIndices().h === 1", timeout=10)
        moved = visible_slide(browser, session)
        assert moved["text"] and moved["text"] != slide["text"]
        browser.wait_for(session, "location.hash.startsWith('#/1')", timeout=10)  # deep link updated
        press(browser, session, "ArrowLeft", 37)
        browser.wait_for(session, "Reveal.getIndices().h === 0", timeout=10)
        # Space walks every slide, vertical ones included, to the last.
        for _ in range(total - 1):
            press(browser, session, " ", 32)
        browser.wait_for(session, "Reveal.isLastSlide()", timeout=10)
        browser.pump(0.3)
        check_local_only(browser, deck)
        return total


@pytest.fixture(scope="module")
def demo_deck(tmp_path_factory):
    root = make_demo_book(tmp_path_factory.mktemp("book"))
    chapter = resolve_chapters(["demo"], root)[0]
    return sl.export_deck(chapter, root / "_build" / "slides", libs_root=ROOT)


def test_chromium_really_is_offline():
    with sl.Chromium() as browser:
        session = browser.new_page()
        browser.send("Page.navigate", {"url": "https://example.org/"}, session=session)
        browser.pump(2)
        href = browser.evaluate(session, "location.href")
        body = browser.evaluate(session, "document.body ? document.body.innerText : ''") or ""
        assert "Example Domain" not in body, href


def test_demo_deck_renders_and_navigates_offline(demo_deck):
    libs = sl.book_libs(ROOT)
    complete = {"mathjax", "vega", "vega-lite", "vega-embed", "charts"} <= set(libs)
    if os.environ.get("XAIBOOK_REQUIRE_BROWSER") == "1":
        assert complete, f"the book's MathJax/Vega copies are missing (make book): found {sorted(libs)}"
    drive_deck(demo_deck, "Demo chapter", expect_math="mathjax" in libs,
               expect_chart={"vega", "vega-lite", "vega-embed", "charts"} <= set(libs))


def test_demo_deck_prints_one_pdf_page_per_slide(demo_deck, tmp_path):
    pdf = sl.print_pdf(demo_deck, tmp_path / "demo.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    with sl.Chromium() as browser:
        session = browser.open(demo_deck.resolve().as_uri())
        browser.wait_for(session, sl.DECK_READY, timeout=60)
        total = browser.evaluate(session, "Reveal.getTotalSlides()")
    assert pages == total


def built_chapters():
    return [c for c in resolve_chapters([], ROOT) if c.executed().is_file()]


@pytest.mark.parametrize("chapter", built_chapters() or [None], ids=lambda c: c.name if c else "none")
def test_built_chapter_decks_render_and_navigate_offline(chapter, tmp_path_factory):
    """Every chapter the book build executed (``make book``), as a deck."""
    if chapter is None:
        pytest.skip("the book is not built yet (make book)")
    out = tmp_path_factory.getbasetemp() / "chapter-slides"
    deck = sl.export_deck(chapter, out)
    assert sl.check_offline(deck) == []
    html = deck.read_text()
    title = sl._title(sl.slide_notebook(sl.executed_notebook(chapter)[0]), chapter.name)
    drive_deck(deck, title, expect_math=False, expect_chart='class="xaibook-chart"' in html)
