"""``xaibook slides``: MyST rendering, slide layout, offline decks (no browser here).

The deck is opened in a real browser, with the network off, by
``tests/browser/test_slides_browser.py``.
"""

from __future__ import annotations

import base64
import json
import re
import textwrap
from pathlib import Path

import nbformat
import pytest

from xaibook.book import slides as sl
from xaibook.book.cli import main as cli_main
from xaibook.book.notebooks import resolve_chapters

ROOT = Path(__file__).resolve().parents[1]
PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

FRONT_MATTER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""

GLUE = {
    "rows": {"output_type": "display_data", "metadata": {"scrapbook": {"name": "rows"}},
             "data": {"text/plain": "'48,842'"}},
    "share": {"output_type": "display_data", "metadata": {"scrapbook": {"name": "share"}},
              "data": {"text/plain": "0.23912"}},
    "fig": {"output_type": "display_data", "metadata": {"scrapbook": {"name": "fig"}},
            "data": {"image/png": PNG_1PX, "text/plain": "<Figure>"}},
}


# --- MyST -> Markdown ----------------------------------------------------------------


def test_glue_roles_are_filled_in():
    text = "Adult has {glue:text}`rows` rows ({glue:text}`share:.1%`), {glue}`rows` again."
    out = sl.myst_to_markdown(text, GLUE)
    assert out == "Adult has 48,842 rows (23.9%), 48,842 again."


def test_missing_glue_is_visible_not_silent():
    assert "[nope?]" in sl.myst_to_markdown("{glue:text}`nope`", GLUE)


def test_roles_become_text():
    text = ("See {numref}`Figure %s <fig-x>`, {ref}`the intro <intro>`, {doc}`../book/data`, "
            "{math}`x^2`, {cite}`kohavi1996`, H{sub}`2`O, {term}`SHAP` and {abbr}`LIME (Local...)`.")
    out = sl.myst_to_markdown(text)
    assert out == ("See Figure %s, the intro, data, $x^2$, [kohavi1996], H<sub>2</sub>O, SHAP and LIME.")


def test_admonitions_math_and_code_blocks():
    text = textwrap.dedent("""\
        (my-label)=
        % a comment
        ````{warning}
        Careful with $y$:

        ```{math}
        :label: eq-1
        a = b
        ```
        ````

        :::{admonition} Custom title
        :class: tip
        Body with {glue:text}`rows`.
        :::

        ```{code-block} python
        {glue:text}`rows` stays code
        ```

        ```python
        x = 1
        ```
        """)
    out = sl.myst_to_markdown(text, GLUE)
    assert "(my-label)=" not in out and "a comment" not in out
    assert '<div class="xaibook-admonition warning">' in out
    assert "Careful with $y$:" in out and "$$\na = b\n$$" in out and ":label:" not in out
    assert '<p class="xaibook-admonition-title">Custom title</p>' in out
    assert "Body with 48,842." in out and ":class:" not in out
    assert "```python\n{glue:text}`rows` stays code\n```" in out
    assert "```python\nx = 1\n```" in out


def test_figures_and_images_are_embedded(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "dot.png").write_bytes(base64.b64decode(PNG_1PX))
    text = textwrap.dedent("""\
        ```{figure} img/dot.png
        :alt: a dot
        :width: 50%

        The caption.
        ```

        ![inline](img/dot.png) and ![gone](img/missing.png)

        ```{glue:figure} fig
        Glued caption.
        ```
        """)
    out = sl.myst_to_markdown(text, GLUE, tmp_path)
    assert out.count('src="data:image/png;base64,') == 3
    assert 'alt="a dot"' in out and "width:50%" in out and "The caption." in out
    assert "[image img/missing.png not found]" in out
    assert "Glued caption." in out


def test_links_to_chapters_become_text_and_web_links_stay():
    out = sl.myst_to_markdown("[the data](data.md), [top](#intro) and [UCI](https://archive.ics.uci.edu).")
    assert out == "the data, top and [UCI](https://archive.ics.uci.edu)."


def test_remote_images_are_not_loaded():
    out = sl.myst_to_markdown("![logo](https://example.org/logo.png)")
    assert "<img" not in out and "https://example.org/logo.png" in out


def test_split_at_headings_ignores_code():
    pieces = sl._split_at_headings("Intro text\n\n## Two\n\n```\n# not a heading\n```\n### Three\nx")
    assert pieces == ["Intro text", "## Two\n\n```\n# not a heading\n```", "### Three\nx"]


# --- the slide notebook --------------------------------------------------------------------


def code(source, outputs=(), tags=()):
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)} if tags else {})
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def display(data, metadata=None):
    return {"output_type": "display_data", "data": data, "metadata": metadata or {}}


def executed_demo():
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    chart = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "title": "A chart",
             "mark": "bar", "data": {"values": [{"a": "x", "b": 1}, {"a": "y", "b": 2}]},
             "encoding": {"x": {"field": "a", "type": "nominal"}, "y": {"field": "b", "type": "quantitative"}}}
    nb.cells = [
        code("# fingerprint", tags=["remove-cell"]),
        nbformat.v4.new_markdown_cell("# Demo chapter\n\nIntro with $e^{i\\pi} + 1 = 0$ and "
                                      "{glue:text}`rows` rows.\n\n## First section\n\nSome words."),
        code("print('hello')", [stream("hello\n"), stream("warning!\n", "stderr")]),
        code("glue('rows', '48,842')", [display({"application/papermill.record/text/plain": "'48,842'"},
                                                {"scrapbook": {"name": "rows"}})], tags=["remove-input"]),
        nbformat.v4.new_markdown_cell("### A sub-section\n\n```{note}\nA note.\n```"),
        code("chart", [display({"application/vnd.vegalite.v6+json": chart, "text/plain": "<Chart>"})]),
        code("for i in range(6): show(i)", [display({"image/png": PNG_1PX, "text/plain": "img"})] * 6),
        code("secret()", [stream("shown\n")], tags=["hide-input"]),
        code("hidden_output()", [stream("not shown\n")], tags=["remove-output"]),
        nbformat.v4.new_markdown_cell("Speaker only: say the number twice.",
                                      metadata={"slideshow": {"slide_type": "notes"}}),
        nbformat.v4.new_markdown_cell("Backup material nobody sees.",
                                      metadata={"slideshow": {"slide_type": "skip"}}),
        nbformat.v4.new_markdown_cell("## Takeaways\n\n- one\n- two"),
        nbformat.v4.new_markdown_cell("- three, one click later",
                                      metadata={"slideshow": {"slide_type": "fragment"}}),
        code("slider", [display({"text/html": '<label>threshold <input type="range" id="demo-slider" '
                                              'min="0" max="10" value="5"></label>', "text/plain": "slider"})]),
    ]
    return nb


def slide_types(nb):
    return [(c.cell_type, c.metadata["slideshow"]["slide_type"], c.source.split("\n")[0][:30]) for c in nb.cells]


def test_headings_become_slides_and_sub_slides():
    nb = sl.slide_notebook(executed_demo(), GLUE)
    kinds = slide_types(nb)
    heads = [(k, s) for t, k, s in kinds if s.startswith("#")]
    assert heads == [("slide", "# Demo chapter"), ("slide", "## First section"),
                     ("subslide", "### A sub-section"), ("slide", "## Takeaways")]
    assert "fingerprint" not in json.dumps(nb)
    text = json.dumps(nb)
    assert "48,842 rows" in text
    assert "warning!" not in text  # stderr is removed, as in the book
    assert "not shown" not in text and "hidden_output" in text
    assert "papermill.record" not in text


def test_long_outputs_continue_on_sub_slides():
    nb = sl.slide_notebook(executed_demo(), GLUE)
    images = [c for c in nb.cells if c.cell_type == "code" and any("image/png" in o.get("data", {})
                                                                    for o in c.outputs)]
    assert len(images) > 1, "six images cannot share one slide"
    assert sum(len(c.outputs) for c in images) == 6
    assert images[0].source.startswith("for i in range(6)")
    for piece in images[1:]:
        assert piece.metadata["transient"]["remove_source"] is True
    continued = [c for c in nb.cells if "xaibook-continued" in c.source]
    assert continued and all(c.metadata["slideshow"]["slide_type"] == "subslide" for c in continued)
    assert "A sub-section (continued)" in continued[0].source


def test_hide_code_hides_every_input_but_keeps_outputs():
    nb = sl.slide_notebook(executed_demo(), GLUE, hide_code=True)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.metadata["transient"]["remove_source"] is True
            assert cell.outputs
    visible = sl.slide_notebook(executed_demo(), GLUE)
    secret = next(c for c in visible.cells if c.source == "secret()")
    assert secret.metadata["transient"]["remove_source"] is True  # hide-input tag


def test_bare_vega_lite_outputs_get_the_book_chart_placeholder():
    nb = sl.slide_notebook(executed_demo(), GLUE)
    chart = next(c for c in nb.cells if c.source == "chart")
    html = chart.outputs[0]["data"]["text/html"]
    assert 'class="xaibook-chart"' in html and "xaibook-chart-spec" in html


def test_every_cell_has_a_slide_type_and_the_deck_starts_with_a_slide():
    nb = sl.slide_notebook(executed_demo(), GLUE, budget=5)
    assert nb.cells[0].metadata["slideshow"]["slide_type"] == "slide"
    assert all(c.metadata["slideshow"]["slide_type"] in {"slide", "subslide", "-", "notes", "fragment"}
               for c in nb.cells)
    nbformat.validate(nb)


# --- the deck ---------------------------------------------------------------------------------


def make_demo_book(tmp_path: Path) -> Path:
    (tmp_path / "book").mkdir()
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/demo\n")
    (tmp_path / "_config.yml").write_text("title: t\nrepository:\n  url: https://github.com/o/r\n")
    (tmp_path / "book" / "demo.md").write_text(FRONT_MATTER + "# Demo chapter\n\n```{code-cell} ipython3\n1\n```\n")
    executed = tmp_path / "_build" / "jupyter_execute" / "book" / "demo.ipynb"
    executed.parent.mkdir(parents=True)
    nbformat.write(executed_demo(), executed)
    executed.with_suffix(".glue.json").write_text(json.dumps({"rows": GLUE["rows"]}))
    return tmp_path


@pytest.fixture(scope="module")
def demo_deck(tmp_path_factory):
    root = make_demo_book(tmp_path_factory.mktemp("book"))
    chapter = resolve_chapters(["demo"], root)[0]
    deck = sl.export_deck(chapter, root / "_build" / "slides", libs_root=ROOT)
    return deck


def test_deck_is_written_with_local_assets(demo_deck):
    html = demo_deck.read_text()
    assert demo_deck.name == "demo.slides.html"
    assert (demo_deck.parent / "_assets/reveal/dist/reveal.js").is_file()
    assert "<title>Demo chapter</title>" in html
    assert html.count("<section") >= 5
    assert "48,842 rows" in html
    assert "{glue" not in html


def test_deck_loads_nothing_from_the_network(demo_deck):
    assert sl.check_offline(demo_deck) == []
    html = demo_deck.read_text()
    for tag in re.findall(r"<(?:script|link|img)\b[^>]*>", html):
        assert not re.search(r"(?:src|href)=[\"'](?:https?:)?//", tag), tag


def test_check_offline_reports_remote_and_missing_resources(tmp_path):
    page = tmp_path / "deck.html"
    (tmp_path / "style.css").write_text("@import url(https://fonts.example/x.css);")
    page.write_text('<html><head><script src="https://cdn.example/reveal.js"></script>'
                    '<link rel="stylesheet" href="style.css"><link rel="stylesheet" href="gone.css">'
                    '<style>body { background: url("//cdn.example/bg.png") }</style></head>'
                    '<body><a href="https://example.org">a link is fine</a>'
                    '<img src="data:image/png;base64,AAAA"></body></html>')
    problems = sl.check_offline(page)
    assert any("cdn.example/reveal.js" in p for p in problems)
    assert any("fonts.example" in p for p in problems)
    assert any("missing file gone.css" in p for p in problems)
    assert any("bg.png" in p for p in problems)
    assert not any("example.org" in p for p in problems)


def test_themes_with_web_fonts_are_refused(tmp_path):
    with pytest.raises(ValueError, match="web fonts"):
        sl.install_assets(tmp_path, ROOT, theme="simple")
    with pytest.raises(ValueError, match="unknown reveal.js theme"):
        sl.install_assets(tmp_path, ROOT, theme="no-such-theme")


def test_reveal_comes_from_the_pinned_package():
    assert re.fullmatch(r"\d+\.\d+\.\d+", sl.reveal_version())
    assert "sphinx_revealjs" in str(sl.reveal_dir())


def test_cli_rejects_unknown_chapters(tmp_path, monkeypatch, capsys):
    root = make_demo_book(tmp_path)
    monkeypatch.chdir(root)
    assert cli_main(["slides", "nope"]) == 2
    assert "no notebook chapter 'nope'" in capsys.readouterr().err


def test_cli_builds_a_deck(tmp_path, monkeypatch, capsys):
    root = make_demo_book(tmp_path)
    monkeypatch.chdir(root)
    assert cli_main(["slides", "--hide-code", "--out", str(tmp_path / "out")]) == 0
    deck = tmp_path / "out" / "demo.hide-code.slides.html"  # its own file, never the normal deck
    assert not (tmp_path / "out" / "demo.slides.html").exists()
    assert str(deck) in capsys.readouterr().out
    assert "print(&#39;hello&#39;)" not in deck.read_text() and "hello" in deck.read_text()


# --- slide types, room fixes, words budget -------------------------------------------------


def test_notes_skip_and_fragment_are_honoured():
    nb = sl.slide_notebook(executed_demo(), GLUE)
    kinds = {c.source.split("\n")[0]: c.metadata["slideshow"]["slide_type"] for c in nb.cells}
    assert kinds["Speaker only: say the number twice."] == "notes"
    assert kinds["- three, one click later"] == "fragment"
    assert "Backup material" not in json.dumps(nb)


def test_notes_are_not_on_the_audience_slide(demo_deck):
    html = demo_deck.read_text()
    notes = re.search(r'<aside class="notes">(.*?)</aside>', html, re.S)
    assert notes and "say the number twice" in notes.group(1)
    assert 'class="fragment"' in html
    assert "Backup material" not in html


def test_deck_is_built_for_a_room(demo_deck):
    html = demo_deck.read_text()
    assert "navigationMode: 'linear'" in html
    assert "--xb-font: 28px" in html
    assert "stopImmediatePropagation" in html  # widgets do not keep the presenter's keys


def test_charts_are_re_laid_out_for_the_slide():
    from xaibook.book.room import room_chart

    spec = {"hconcat": [{"mark": "bar", "width": 200, "height": 150,
                         "encoding": {"x": {"field": "a", "axis": {"labelFontSize": 9, "title": "Share"}}}},
                        {"mark": "bar", "width": 200, "height": 150}],
            "title": {"text": "Rates", "fontSize": 11}}
    out = room_chart(spec, width=900, height=400, font=18, labels={"Share": "Proporción", "Rates": "Tasas"})
    assert out["hconcat"][0]["width"] > 400 and out["hconcat"][0]["height"] > 150
    assert out["hconcat"][0]["encoding"]["x"]["axis"]["labelFontSize"] == 18
    assert out["hconcat"][0]["encoding"]["x"]["axis"]["title"] == "Proporción"
    assert out["title"] == {"text": "Tasas", "fontSize": 18}
    assert out["config"]["axis"]["labelFontSize"] >= 18 and out["config"]["legend"]["labelFontSize"] >= 18
    assert spec["hconcat"][0]["width"] == 200  # the chapter's own spec is untouched


def test_numbers_are_written_the_spanish_way():
    from xaibook.book.room import format_value, localize

    assert localize("23.9%", "es") == "23,9\u00a0%"
    assert localize("48,842 rows, 1,000 and 0.905", "es") == "48\u202f842 rows, 1000 and 0,905"
    assert localize("-0.33 and +1.32", "es") == "-0,33 and +1,32"
    assert localize("23.9%", "en") == "23.9%"
    assert localize("25.8% (95% CI 25.2 to 26.7%, n = 10,860)", "es") == \
        "25,8\u00a0% (IC 95\u00a0% 25,2 a 26,7\u00a0%, n = 10\u202f860)"
    assert format_value("0.23912", ".1%", "es") == "23,9\u00a0%"
    assert format_value("0.23912", ".1%", "en") == "23.9%"


def test_words_per_slide_budget_warns(capsys):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## Short\n\nfew words", metadata={"slideshow": {"slide_type": "slide"}}),
                nbformat.v4.new_markdown_cell("## Long\n\n" + "word " * 60, metadata={"slideshow": {"slide_type": "slide"}}),
                nbformat.v4.new_markdown_cell("many " * 100, metadata={"slideshow": {"slide_type": "notes"}})]
    assert [n for _, n in sl.slide_words(nb)] == [3, 61]
    warnings = sl.warn_words(nb, 45, "demo")
    assert len(warnings) == 1 and "slide 2 (Long) shows 61 words" in warnings[0]
    assert "over the budget of 45" in capsys.readouterr().err


def test_executed_notebooks_can_come_from_a_folder(tmp_path):
    root = make_demo_book(tmp_path)
    chapter = resolve_chapters(["demo"], root)[0]
    other = tmp_path / "nbs" / "book"
    other.mkdir(parents=True)
    nb = executed_demo()
    nb.cells[1].source = "# From the folder"
    nbformat.write(nb, other / "demo.ipynb")
    got, _ = sl.executed_notebook(chapter, notebooks=tmp_path / "nbs")
    assert got.cells[1].source == "# From the folder"
    assert sl.executed_path(chapter, notebooks=tmp_path / "elsewhere") == chapter.executed()


# --- the talk ------------------------------------------------------------------------------

TALK = """\
title: {es: "Charla", en: "Talk"}
labels: {es: {"A chart": "Un gráfico"}}
slides:
  - kind: title
    title: {es: "Título", en: "Title"}
    subtitle: {es: "Sub", en: "Sub"}
    notes: {es: "Nota inicial", en: "Opening note"}
  - title: {es: "Cifras", en: "Numbers"}
    big: "{demo.share:.1%}"
    text: {es: "Filas: {demo.rows}", en: "Rows: {demo.rows}"}
    points: {es: ["uno", "dos"], en: ["one", "two"]}
    chart: {chapter: demo, title: "a chart"}
    section: {chapter: demo, heading: "First section"}
  - title: {es: "Reserva", en: "Backup"}
    skip: true
"""


def make_talk_book(tmp_path: Path, talk: str = TALK) -> Path:
    root = make_demo_book(tmp_path)
    glue = {"rows": GLUE["rows"], "share": GLUE["share"]}
    executed = root / "_build" / "jupyter_execute" / "book" / "demo.ipynb"
    executed.with_suffix(".glue.json").write_text(json.dumps(glue))
    (root / "talk").mkdir()
    (root / "talk" / "talk.yml").write_text(talk)
    return root


def test_talk_pulls_numbers_charts_and_notes_in_both_languages(tmp_path):
    from xaibook.book.talk import Pull, load_talk, talk_notebook

    root = make_talk_book(tmp_path)
    talk = load_talk(root / "talk" / "talk.yml")
    pull = Pull(root)
    es, en = talk_notebook(talk, "es", pull), talk_notebook(talk, "en", pull)
    text_es, text_en = json.dumps(es, ensure_ascii=False), json.dumps(en, ensure_ascii=False)
    assert "23,9\u00a0%" in text_es and "23.9%" in text_en
    assert "Filas: 48\u202f842" in text_es and "Rows: 48,842" in text_en
    assert "Un gráfico" in text_es and "A chart" in text_en
    kinds = [c.metadata["slideshow"]["slide_type"] for c in en.cells]
    assert kinds.count("slide") == 2 and kinds.count("fragment") == 2 and "skip" in kinds
    notes = [c.source for c in en.cells if c.metadata["slideshow"]["slide_type"] == "notes"]
    assert notes[0] == "Opening note"
    assert notes[1].startswith("Some words")  # the pulled section's book prose


def test_talk_names_a_missing_glue_key_and_its_chapter(tmp_path):
    from xaibook.book.talk import Pull, TalkError, load_talk, talk_notebook

    root = make_talk_book(tmp_path, TALK.replace("{demo.rows}", "{demo.renamed_rows}"))
    with pytest.raises(TalkError, match=r"slide 2: glue key 'renamed_rows' not found in chapter 'demo'"):
        talk_notebook(load_talk(root / "talk" / "talk.yml"), "en", Pull(root))
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    renamed = make_talk_book(tmp_path / "c", TALK.replace('title: "a chart"', 'title: ["renamed", "a chart"]'))
    assert "A chart" in json.dumps(talk_notebook(load_talk(renamed / "talk" / "talk.yml"), "en", Pull(renamed)))
    root2 = make_talk_book(tmp_path / "b", TALK.replace('title: "a chart"', 'title: "no such chart"'))
    with pytest.raises(TalkError, match="no chart titled like 'no such chart' in chapter 'demo'"):
        talk_notebook(load_talk(root2 / "talk" / "talk.yml"), "en", Pull(root2))


def test_talk_source_needs_both_languages(tmp_path):
    from xaibook.book.talk import TalkError, load_talk

    path = tmp_path / "talk.yml"
    path.write_text('slides:\n  - title: {es: "Solo español"}\n')
    with pytest.raises(TalkError, match="slide 1 \\(title\\) has no text for en"):
        load_talk(path)


def test_cli_builds_the_talk_in_both_languages(tmp_path, monkeypatch, capsys):
    root = make_talk_book(tmp_path)
    monkeypatch.chdir(root)
    assert cli_main(["slides", "talk", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    for lang in ("es", "en"):
        deck = tmp_path / "out" / f"talk.{lang}.slides.html"
        assert str(deck) in out and sl.check_offline(deck) == []
        assert f'<html lang="{lang}">' in deck.read_text()


def test_the_shipped_talk_is_well_formed():
    from xaibook.book.talk import _PLACEHOLDER, load_talk

    talk = load_talk(ROOT / "talk" / "talk.yml")
    slides = [s for s in talk["slides"] if not s.get("skip")]
    assert 20 <= len(slides) <= 30
    assert slides[0]["kind"] == "title" and slides[-1]["kind"] == "closing"
    chapters = {c.name for c in resolve_chapters([], ROOT)}
    source = "\n".join(line for line in (ROOT / "talk" / "talk.yml").read_text().splitlines()
                       if not line.lstrip().startswith("#"))
    refs = {m.group("chapter") for m in _PLACEHOLDER.finditer(source)}
    assert refs <= chapters, refs - chapters
