"""The talk: one storyline deck from ``talk/talk.yml``, in Spanish or English.

``talk/talk.yml`` (outside the book's table of contents) is what a speaker
edits: a list of slides, each with its text in both languages, that *pulls*
glued numbers, glued figures and charts from the executed chapters:

.. code-block:: yaml

    title: {es: "Que la generación Z no rompa tus modelos", en: "Don't let Gen Z break your models"}
    labels: {es: {"Selection rate": "Tasa de selección"}}   # chart titles, per language
    slides:
      - kind: title                      # title slide (also: closing)
        title: {es: ..., en: ...}
        subtitle: {es: ..., en: ...}
      - title: {es: ..., en: ...}
        big: "{adult.ad_rich_men} / {adult.ad_rich_women}"   # one large line
        text: {es: "Markdown with {adult.ad_rich_all}", en: ...}
        points: {es: [a, b], en: [a, b]} # bullet points shown one click at a time (fragments)
        chart: {chapter: adult, title: "group metrics"}   # a chart, by (part of) its title
        figure: {chapter: genz, glue: gz_shop_figure}     # a glued figure
        notes: {es: ..., en: ...}        # speaker notes (S); default: the pulled section's prose
        section: {chapter: adult, heading: "Group fairness"}
        skip: true                       # kept in the source, not shown

``{chapter.key}`` pastes a glued value (``{chapter.key:.1%}`` formats a glued
number first); numbers come out in the deck's language (decimal comma in
Spanish). A key, chart or heading that the chapter does not have stops the
build with a message naming it and the chapter.

API: ``load_talk(path)``, ``talk_notebook(talk, lang, pull)``,
``export_talk(root, out, lang=..., ...)``.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from xaibook.book.notebooks import Chapter, resolve_chapters

__all__ = ["LANGS", "TalkError", "Pull", "load_talk", "talk_notebook", "export_talk", "talk_path"]

LANGS = ("es", "en")
_PLACEHOLDER = re.compile(r"\{(?P<chapter>[a-z][a-z0-9_]*)\.(?P<key>[A-Za-z0-9_]+)(?::(?P<fmt>[^{}]+))?\}")


class TalkError(ValueError):
    """The talk source asks for something the chapters do not have, or is malformed."""


def talk_path(root: Path) -> Path:
    return Path(root) / "talk" / "talk.yml"


def load_talk(path: Path) -> dict:
    """The talk source, checked for shape (every text in both languages)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise TalkError(f"no talk source at {path} (see the README section 'Giving the talk')")
    try:
        talk = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise TalkError(f"{path}: not valid YAML: {exc}") from exc
    slides = talk.get("slides")
    if not isinstance(slides, list) or not slides:
        raise TalkError(f"{path}: needs a non-empty 'slides:' list")
    for i, slide in enumerate(slides, 1):
        if not isinstance(slide, dict):
            raise TalkError(f"{path}: slide {i} is not a mapping")
        for key in ("title", "subtitle", "text", "points", "notes", "caption"):
            if key in slide and isinstance(slide[key], dict):
                missing = [lang for lang in LANGS if lang not in slide[key]]
                if missing:
                    raise TalkError(f"{path}: slide {i} ({key}) has no text for {', '.join(missing)}")
    talk["_path"] = str(path)
    return talk


def _text(value, lang: str):
    if isinstance(value, dict):
        return value.get(lang, "")
    return value if value is not None else ""


@dataclass
class Pull:
    """Executed chapters, read once each, that the talk pulls from."""

    root: Path
    notebooks: Path | None = None
    build_dir: Path | None = None
    _cache: dict = field(default_factory=dict)

    def chapter(self, name: str) -> tuple[Chapter, object, dict]:
        from xaibook.book.slides import executed_notebook

        if name not in self._cache:
            try:
                chapter = resolve_chapters([name], self.root)[0]
            except LookupError as exc:
                raise TalkError(f"the talk pulls from chapter {name!r}, which is not in _toc.yml") from exc
            nb, glue = executed_notebook(chapter, build_dir=self.build_dir, notebooks=self.notebooks)
            self._cache[name] = (chapter, nb, glue)
        return self._cache[name]

    def glue(self, chapter: str, key: str) -> dict:
        _, _, glue = self.chapter(chapter)
        if key not in glue:
            near = sorted(k for k in glue if k.split("_")[0] == key.split("_")[0])[:12]
            raise TalkError(f"glue key {key!r} not found in chapter {chapter!r} "
                            f"(the chapter may have renamed it; keys there include: {', '.join(near) or 'none'}); "
                            f"edit the talk source")
        return glue[key]

    def value(self, chapter: str, key: str, fmt: str | None, lang: str) -> str:
        from xaibook.book.room import format_value

        data = self.glue(chapter, key).get("data", {})
        if "text/plain" not in data or any(k.startswith("image/") for k in data):
            raise TalkError(f"glue key {key!r} of chapter {chapter!r} is not a text value")
        text = str(data["text/plain"])
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1]
        return html.escape(format_value(text, fmt or "", lang), quote=False)

    def chart(self, chapter: str, title: str | list[str]) -> dict:
        """The first chart of the chapter whose title contains ``title`` (case-insensitive).

        ``title`` may be a list of alternatives (the first that matches wins), so
        a talk survives a chapter renaming a chart.
        """
        from xaibook.book.altair_setup import chart_title

        _, nb, glue = self.chapter(chapter)
        wanted = [title] if isinstance(title, str) else list(title)
        charts = []
        outputs = [o for c in nb.cells for o in c.get("outputs", [])] + list(glue.values())
        for output in outputs:
            for mime, spec in output.get("data", {}).items():
                if re.match(r"application/vnd\.vegalite\.v\d+\+json", mime):
                    charts.append((chart_title(spec), mime, spec))
        for want in wanted:
            for name, mime, spec in charts:
                if want.lower() in name.lower():
                    return {"output_type": "display_data", "metadata": {},
                            "data": {mime: spec, "text/plain": f"<Chart: {name}>"}}
        shown = title if isinstance(title, str) else " or ".join(map(repr, wanted))
        raise TalkError(f"no chart titled like {shown!r} in chapter {chapter!r}; "
                        f"its charts: {[n for n, _, _ in charts]}")

    def section(self, chapter: str, heading: str) -> str:
        """The book's prose of a section (Markdown), for default speaker notes."""
        from xaibook.book.slides import _HEADING, myst_to_markdown

        ch, nb, glue = self.chapter(chapter)
        level, lines = None, []
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            for line in cell.source.split("\n"):
                m = _HEADING.match(line)
                if m and level is not None and len(m.group(1)) <= level:
                    return myst_to_markdown("\n".join(lines), glue, ch.source.parent)
                if m and level is None and heading.lower() in m.group(2).lower():
                    level = len(m.group(1))
                    continue
                if level is not None:
                    lines.append(line)
        if level is None:
            raise TalkError(f"no section {heading!r} in chapter {chapter!r}")
        return myst_to_markdown("\n".join(lines), glue, ch.source.parent)


def _fill(text: str, pull: Pull, lang: str) -> str:
    return _PLACEHOLDER.sub(lambda m: pull.value(m.group("chapter"), m.group("key"), m.group("fmt"), lang),
                            str(text))


def _plain(markdown: str) -> str:
    """Prose for notes: no images, charts or HTML, first paragraphs only."""
    text = re.sub(r"<svg.*?</svg>|<script.*?</script>|<img[^>]*>|<[^>]+>", " ", markdown, flags=re.S)
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "\n\n".join(paragraphs[:4])


def talk_notebook(talk: dict, lang: str, pull: Pull, *, font_scale: float = 1.0):
    """The talk as a slide notebook (slide types ``slide``, ``fragment``, ``notes``, ``skip``)."""
    import nbformat

    from xaibook.book.slides import _charts_as_html, _glue_value, chart_room

    if lang not in LANGS:
        raise TalkError(f"language {lang!r}: choose one of {', '.join(LANGS)}")
    labels = (talk.get("labels") or {}).get(lang, {})
    room = chart_room(lang, font_scale, labels)
    cells = []

    def add(source: str, kind: str) -> None:
        cells.append(nbformat.v4.new_markdown_cell(source, metadata={"slideshow": {"slide_type": kind}}))

    for i, slide in enumerate(talk["slides"], 1):
        where = f"{talk.get('_path', 'talk')}: slide {i}"
        kind = "skip" if slide.get("skip") else "slide"
        try:
            title = _fill(_text(slide.get("title"), lang), pull, lang)
            if slide.get("kind") in ("title", "closing"):
                sub = _fill(_text(slide.get("subtitle"), lang), pull, lang)
                add(f'<div class="xaibook-title-slide">\n\n# {title}\n\n'
                    f'<p class="xaibook-subtitle">{sub}</p>\n\n</div>', kind)
            else:
                add(f"## {title}", kind)
            if slide.get("big"):
                add(f'<p class="xaibook-big">{_fill(_text(slide["big"], lang), pull, lang)}</p>',
                    "-" if kind == "slide" else kind)
            if slide.get("text"):
                add(_fill(_text(slide["text"], lang), pull, lang), "-" if kind == "slide" else kind)
            for point in _text(slide.get("points"), lang) or []:
                add(f"- {_fill(point, pull, lang)}", "fragment" if kind == "slide" else kind)
            visual = ""
            if slide.get("chart"):
                ref = slide["chart"]
                output = pull.chart(ref["chapter"], ref["title"])
                _charts_as_html(output, room=room)
                visual = output["data"]["text/html"]
            elif slide.get("figure"):
                ref = slide["figure"]
                pull.glue(ref["chapter"], ref["glue"])
                _, _, glue = pull.chapter(ref["chapter"])
                visual = _glue_value(glue, ref["glue"], inline=False)
            if visual:
                caption = _fill(_text(slide.get("caption"), lang), pull, lang)
                cap = f'\n\n<div class="xaibook-caption">\n\n{caption}\n\n</div>' if caption else ""
                add(f'<div class="xaibook-figure">\n\n{visual}{cap}\n\n</div>', "-" if kind == "slide" else kind)
            notes = _fill(_text(slide.get("notes"), lang), pull, lang)
            if not notes and slide.get("section"):
                ref = slide["section"]
                notes = _plain(pull.section(ref["chapter"], ref["heading"]))
            if notes and kind == "slide":
                add(notes, "notes")
        except TalkError as exc:
            raise TalkError(f"{where}: {exc}") from None
        except (KeyError, TypeError) as exc:
            raise TalkError(f"{where}: malformed ({exc!r}); see the format in xaibook.book.talk") from None
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = cells
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"talk-cell-{i}"
    return nb


def export_talk(root: Path, out: Path, *, lang: str = "es", theme: str | None = None,
                font_scale: float = 1.0, notebooks: Path | None = None, build_dir: Path | None = None,
                source: Path | None = None, words: int | None = None, libs_root: Path | None = None,
                pull: Pull | None = None) -> Path:
    """Write ``out/talk.<lang>.slides.html``; warns about slides over the words budget."""
    from xaibook.book.slides import DEFAULT_THEME, TALK_FONT_PX, TALK_WORDS, deck_name, warn_words, write_deck

    talk = load_talk(source or talk_path(root))
    pull = pull or Pull(Path(root), notebooks=notebooks, build_dir=build_dir)
    nb = talk_notebook(talk, lang, pull, font_scale=font_scale)
    warn_words(nb, int(words or talk.get("words_per_slide") or TALK_WORDS), f"talk ({lang})")
    title = _text(talk.get("title"), lang) or "Talk"
    return write_deck(nb, Path(out) / deck_name("talk", lang=lang), title=title, root=libs_root or Path(root),
                      theme=theme or talk.get("theme") or DEFAULT_THEME, lang=lang,
                      font_px=TALK_FONT_PX * font_scale, name="talk")


def main_error(exc: Exception) -> int:  # pragma: no cover - used by the CLI
    print(f"error: {exc}", file=sys.stderr)
    return 2
