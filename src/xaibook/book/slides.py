"""Turn chapters into offline reveal.js slide decks (``xaibook slides``).

The decks come from the same sources as the book: the executed notebooks the
book build leaves in ``_build/jupyter_execute/`` (a chapter not built yet is
executed here with nbclient). Then

* chapter headings become slides: ``#`` and ``##`` start a slide, ``###`` and
  deeper a vertical sub-slide; a section too long for one slide continues on
  sub-slides (outputs of one cell are split too), so nothing is cut off;
* MyST syntax the notebook format does not know is rendered: glued values
  (``{glue:text}`` and friends), admonitions, math, figures, cross-references;
* cells tagged ``remove-cell`` (``remove-input``, ``remove-output``) are left
  out as on the book's pages, and ``--hide-code`` hides all code, keeping the
  outputs;
* everything a deck loads is local: reveal.js comes from the pinned PyPI
  package ``sphinx-revealjs`` (which ships reveal.js's ``dist/``), MathJax,
  Vega and the chart loader from the book's own ``_static/`` (filled by
  ``scripts/vendor_assets.py``). No CDN, no web fonts: ``check_offline``
  lists any remote script, style sheet, font or image a deck would load.

Output, by default in ``_build/slides/``: ``<chapter>.slides.html`` per
chapter and one shared ``_assets/`` folder; the folder can be copied to a USB
stick and opened with ``file://``. ``--pdf`` also prints each deck to
``<chapter>.pdf`` with headless Chromium (reveal.js's ``?print-pdf`` view);
by hand: open the deck with ``?print-pdf`` appended to its URL and print to
PDF from the browser.

Examples::

    xaibook slides                    # every chapter of _toc.yml
    xaibook slides data --hide-code   # one chapter, outputs only
    xaibook slides data --pdf         # and data.pdf
"""

from __future__ import annotations

import base64
import html
import math
import mimetypes
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from xaibook.book.browser import find_chromium
from xaibook.book.notebooks import glued_outputs
from xaibook.book.notebooks import Chapter, book_root, resolve_chapters

__all__ = [
    "ASSETS",
    "DEFAULT_THEME",
    "reveal_dir",
    "install_assets",
    "executed_notebook",
    "myst_to_markdown",
    "slide_notebook",
    "export_deck",
    "check_offline",
    "find_chromium",
    "print_pdf",
    "write_deck",
    "deck_name",
    "slide_words",
]

ASSETS = "_assets"
DEFAULT_THEME = "white"
#: Rough capacity of one slide, in lines of body text (see ``_cost``).
DEFAULT_BUDGET = 23.0
WIDTH, HEIGHT = 1280, 800

# --- assets ------------------------------------------------------------------------


def reveal_dir() -> Path:
    """reveal.js (``dist/``, ``plugin/``) as shipped by the pinned ``sphinx-revealjs``."""
    try:
        import sphinx_revealjs
    except ImportError as exc:  # pragma: no cover - the pinned environment has it
        raise RuntimeError("reveal.js comes from the Python package sphinx-revealjs; "
                           "install the pinned environment (make setup)") from exc
    path = Path(sphinx_revealjs.__file__).resolve().parent / "_static" / "revealjs"
    if not (path / "dist" / "reveal.js").is_file():
        raise RuntimeError(f"sphinx-revealjs at {path} has no dist/reveal.js")
    return path


def reveal_version() -> str:
    head = (reveal_dir() / "dist" / "reveal.js").read_text(encoding="utf-8")[:300]
    match = re.search(r"reveal\.js (\d+\.\d+\.\d+)", head)
    return match.group(1) if match else "unknown"


def _remote(url: str) -> bool:
    url = url.strip().strip("'\"")
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.I)) and not url.lower().startswith("file:")


def _css_remote_refs(css: str) -> list[str]:
    refs = re.findall(r"url\(\s*([^)]+?)\s*\)", css) + re.findall(r"@import\s+[\"']([^\"']+)[\"']", css)
    return [r.strip("'\"") for r in refs if _remote(r)]


def _copy(src: Path, dst: Path) -> None:
    if src.is_dir():
        for item in src.rglob("*"):
            if item.is_file():
                _copy(item, dst / item.relative_to(src))
        return
    if dst.is_file() and dst.stat().st_size == src.stat().st_size and dst.stat().st_mtime >= src.stat().st_mtime:
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


#: Files of the book's own browser libraries (filled by ``scripts/vendor_assets.py``
#: from pinned npm packages), found by name wherever the book keeps them.
_BOOK_LIBS = {
    "mathjax": "tex-mml-chtml.js",
    "vega": "vega.min.js",
    "vega-lite": "vega-lite.min.js",
    "vega-embed": "vega-embed.min.js",
    "charts": "xaibook-charts.js",
}
_LIB_FOLDERS = ("_extra", "_static", "_build/html/_static")


def book_libs(root: Path) -> dict[str, Path]:
    """Where the book's copies of MathJax, Vega and its chart loader are."""
    found: dict[str, Path] = {}
    for folder in _LIB_FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for key, name in _BOOK_LIBS.items():
            if key not in found:
                hit = next(iter(sorted(base.rglob(name), key=lambda p: len(p.parts))), None)
                if hit is not None:
                    found[key] = hit
    return found


def _ensure_vendor(root: Path) -> dict[str, Path]:
    """The book's libraries, running ``scripts/vendor_assets.py`` first if some are missing."""
    found = book_libs(root)
    script = root / "scripts" / "vendor_assets.py"
    if len(found) < len(_BOOK_LIBS) and script.is_file():
        print(f"fetching the pinned browser libraries: {script.name}", file=sys.stderr)
        subprocess.run([sys.executable, str(script)], check=False, cwd=root)
        found = book_libs(root)
    return found


def install_assets(out: Path, root: Path, theme: str = DEFAULT_THEME) -> dict[str, bool]:
    """Copy reveal.js, MathJax, Vega and the chart loader into ``out/_assets``.

    Returns which optional parts are present (``mathjax``, ``charts``); a deck
    without them still works, with math shown as TeX and charts as titles.
    Raises ``ValueError`` for a reveal.js theme that would load web fonts.
    """
    assets = out / ASSETS
    reveal = reveal_dir()
    theme_css = reveal / "dist" / "theme" / f"{theme}.css"
    if not theme_css.is_file():
        themes = sorted(p.stem for p in (reveal / "dist" / "theme").glob("*.css"))
        raise ValueError(f"unknown reveal.js theme {theme!r}; choose one of {themes}")
    remote = _css_remote_refs(theme_css.read_text(encoding="utf-8"))
    if remote:
        raise ValueError(f"reveal.js theme {theme!r} loads web fonts ({remote[0]}); "
                         "use an offline theme such as 'white' or 'black'")
    for rel in ("LICENSE", "dist/reveal.js", "dist/reveal.css", "dist/reset.css",
                f"dist/theme/{theme}.css", "dist/theme/fonts", "plugin/notes/notes.js"):
        _copy(reveal / rel, assets / "reveal" / rel)

    libs = _ensure_vendor(root)
    found = {"mathjax": False, "charts": False}
    if "mathjax" in libs:
        _copy(libs["mathjax"].parent, assets / "mathjax")
        found["mathjax"] = True
    chart_keys = ("vega", "vega-lite", "vega-embed", "charts")
    if all(k in libs for k in chart_keys):
        for key in chart_keys:
            _copy(libs[key], assets / "charts" / _BOOK_LIBS[key])
            licence = libs[key].parent / "LICENSE"
            if key != "charts" and licence.is_file():
                _copy(licence, assets / "charts" / f"LICENSE.{key}")
        found["charts"] = True
    return found


# --- the executed notebook -----------------------------------------------------------

_GLUE_PREFIX = "application/papermill.record/"
_ALTAIR_SETUP = ("try:\n    from xaibook.book.altair_setup import enable as _xb_altair\n"
                 "    _xb_altair()\n    del _xb_altair\nexcept ImportError:\n    pass")


def executed_path(chapter: Chapter, *, build_dir: Path | None = None,
                  notebooks: Path | None = None) -> Path:
    """Where the chapter's executed notebook is: ``notebooks/<docname>.ipynb`` or
    ``notebooks/<name>.ipynb`` when ``notebooks`` is given (e.g. written by
    ``scripts/run_chapter.py --keep``), else the book build's."""
    if notebooks is not None:
        for candidate in (Path(notebooks) / f"{chapter.docname}.ipynb", Path(notebooks) / f"{chapter.name}.ipynb"):
            if candidate.is_file():
                return candidate
    return chapter.executed(build_dir)


def executed_notebook(chapter: Chapter, *, build_dir: Path | None = None, timeout: int = 1800,
                      notebooks: Path | None = None):
    """``(notebook, glue)``: the chapter as executed by the book build.

    ``notebooks``: a folder of executed notebooks to read first (see
    :func:`executed_path`). When the build has not run yet, the chapter is executed here with nbclient
    (in its own folder, as the build does). ``glue`` maps glued names to
    their outputs (``{"data": {mimetype: value}, ...}``).
    """
    import jupytext
    import nbformat

    path = executed_path(chapter, build_dir=build_dir, notebooks=notebooks)
    if path.is_file():
        nb = nbformat.read(path, as_version=4)
        return nb, glued_outputs(nb, path)
    from nbclient import NotebookClient

    print(f"{chapter.docname}: not built yet ({path} missing); executing it", file=sys.stderr)
    nb = jupytext.read(chapter.source)
    # As the book build does (xaibook.book.sphinxext): charts through the book's offline renderer.
    nb.cells.insert(0, nbformat.v4.new_code_cell(_ALTAIR_SETUP, metadata={"tags": ["remove-cell"]}))
    NotebookClient(nb, timeout=timeout, kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
                   resources={"metadata": {"path": str(chapter.source.parent)}}).execute()
    return nb, glued_outputs(nb)


# --- MyST -> the Markdown nbconvert renders --------------------------------------------

_ADMONITIONS = {"admonition", "note", "tip", "hint", "important", "warning", "caution",
                "attention", "danger", "error", "seealso", "todo"}
_CONTAINERS = {"margin", "sidebar", "epigraph", "pull-quote", "highlights", "topic",
               "dropdown", "card", "grid", "grid-item", "grid-item-card", "tab-set",
               "tab-item", "div", "container", "rubric", "glossary", "list-table",
               "table", "csv-table", "prf:definition", "prf:example", "prf:theorem",
               "exercise", "solution", "centered", "compound"}
_SKIP = {"toctree", "tableofcontents", "bibliography", "index", "eval-rst", "include",
         "literalinclude", "code-cell", "raw", "only", "contents", "meta"}
_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*?)\s*$")
_DIRECTIVE_INFO = re.compile(r"^\{(?P<name>[^}\s]+)\}\s*(?P<arg>.*)$")
_ROLE = re.compile(r"\{(?P<role>[A-Za-z0-9_:+.-]+)\}(?P<tick>`+)(?P<content>.+?)(?P=tick)")
_LINK_INTERNAL = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]*)(?:\s+\"[^\"]*\")?\)")
_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_TITLE_SPLIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)


def _glue_value(glue: dict, key: str, *, inline: bool = True) -> str:
    """A glued output as Markdown/HTML (a visible marker if it is missing)."""
    name, _, fmt = key.partition(":")
    output = glue.get(name.strip())
    if output is None:
        return f"<code>[{html.escape(name)}?]</code>"
    data = output.get("data", {})
    if fmt or (inline and "text/plain" in data and not any(k.startswith("image/") for k in data)):
        text = str(data.get("text/plain", ""))
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1]
        if fmt:
            try:
                return format(float(text), fmt)
            except ValueError:
                return text
        return html.escape(text, quote=False)
    for mime in ("image/svg+xml", "image/png", "image/jpeg"):
        if mime in data:
            value = data[mime]
            if mime == "image/svg+xml":
                return value if isinstance(value, str) else "".join(value)
            return f'<img src="data:{mime};base64,{value}" alt="{html.escape(name)}">'
    if "text/html" in data:
        value = data["text/html"]
        return value if isinstance(value, str) else "".join(value)
    if "text/markdown" in data:
        return str(data["text/markdown"])
    if "text/latex" in data:
        return str(data["text/latex"])
    return html.escape(str(data.get("text/plain", "")).strip("'\""), quote=False)


def _data_uri(path: Path) -> str | None:
    if not path.is_file():
        return None
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _image_html(src: str, alt: str, base_dir: Path | None, width: str | None = None) -> str:
    if not _remote(src) and not src.startswith("data:") and base_dir is not None:
        uri = _data_uri((base_dir / src).resolve())
        if uri is None:
            return f"<p><em>[image {html.escape(src)} not found]</em></p>"
        src = uri
    elif _remote(src):
        # Offline decks load nothing from the network: show where it lives instead.
        return f'<p><em>[image: <a href="{html.escape(src)}">{html.escape(alt or src)}</a>]</em></p>'
    style = f' style="width:{html.escape(width)}"' if width else ""
    return f'<img src="{src}" alt="{html.escape(alt)}"{style}>'


def _role(match: re.Match, glue: dict) -> str:
    role, content = match.group("role"), match.group("content")
    if role == "glue" or role.startswith("glue:"):
        kind = role.partition(":")[2] or "any"
        return _glue_value(glue, content, inline=kind in {"text", "any"})
    if role == "math":
        return f"${content}$"
    if role in {"sub", "sup", "kbd"}:
        return f"<{role}>{html.escape(content)}</{role}>"
    if role == "abbr":
        return html.escape(content.split("(")[0].strip())
    if role.startswith("cite"):
        return f"[{html.escape(content)}]"
    if role == "eq":
        return f"({html.escape(content)})"
    titled = _TITLE_SPLIT.match(content)
    if titled:
        return titled.group("text")
    if role == "doc":
        return content.rsplit("/", 1)[-1]
    return content


def _inline(text: str, glue: dict, base_dir: Path | None) -> str:
    """Roles, internal links, local images; ``(label)=``, ``%`` and ``+++`` lines dropped."""
    kept = []
    for line in text.split("\n"):
        stripped = line.strip()
        if re.fullmatch(r"\([^()\s]+\)=", stripped) or stripped.startswith("%") or stripped.startswith("+++"):
            continue
        kept.append(line)
    text = "\n".join(kept)
    text = _ROLE.sub(lambda m: _role(m, glue), text)
    text = re.sub(r"(\$\$)\s*\([^()\s]+\)\s*$", r"\1", text, flags=re.M)  # $$ ... $$ (label)
    text = _IMAGE.sub(lambda m: _image_html(m.group("src"), m.group("alt"), base_dir), text)

    def link(m: re.Match) -> str:
        target = m.group("target")
        return m.group(0) if _remote(target) or target.startswith("mailto:") else m.group("text")

    return _LINK_INTERNAL.sub(link, text)


def _split_options(body: list[str]) -> tuple[dict, list[str]]:
    options: dict[str, str] = {}
    if body and body[0].strip() == "---":
        try:
            end = next(i for i in range(1, len(body)) if body[i].strip() == "---")
        except StopIteration:
            return options, body
        import yaml

        try:
            parsed = yaml.safe_load("\n".join(body[1:end])) or {}
            options = {str(k): str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else {}
        except yaml.YAMLError:
            options = {}
        return options, body[end + 1:]
    i = 0
    while i < len(body) and (m := re.match(r"^\s*:([\w-]+):\s*(.*)$", body[i])):
        options[m.group(1)] = m.group(2)
        i += 1
    return options, body[i:]


def _directive(name: str, arg: str, body: list[str], glue: dict, base_dir: Path | None) -> str:
    options, content_lines = _split_options(body)
    content = "\n".join(content_lines).strip("\n")
    inner = lambda text: myst_to_markdown(text, glue, base_dir)  # noqa: E731
    if name in _SKIP:
        return ""
    if name in {"math", "latex"}:
        return f"$$\n{content}\n$$"
    if name in {"code-block", "code", "sourcecode", "parsed-literal"}:
        return f"```{arg.split()[0] if arg else ''}\n{content}\n```"
    if name in {"image", "figure"}:
        img = _image_html(arg.strip(), options.get("alt", ""), base_dir, options.get("width"))
        caption = f'\n\n<div class="xaibook-caption">\n\n{inner(content)}\n\n</div>' if content else ""
        return f'<div class="xaibook-figure">\n\n{img}{caption}\n\n</div>'
    if name == "glue" or name.startswith("glue:"):
        value = _glue_value(glue, arg.strip(), inline=False)
        caption = f'\n\n<div class="xaibook-caption">\n\n{inner(content)}\n\n</div>' if content else ""
        return f'<div class="xaibook-figure">\n\n{value}{caption}\n\n</div>'
    if name in _ADMONITIONS:
        kind = name if name != "admonition" else "note"
        title = arg if name == "admonition" and arg else name.capitalize()
        if name != "admonition" and arg:
            content = f"{arg}\n\n{content}"
        return (f'<div class="xaibook-admonition {kind}">\n<p class="xaibook-admonition-title">'
                f"{html.escape(title)}</p>\n\n{inner(content)}\n\n</div>")
    # Any other directive (margin, dropdown, card...): its title and content.
    title = f"<p><strong>{html.escape(arg)}</strong></p>\n\n" if arg else ""
    return f'<div class="xaibook-block {html.escape(name)}">\n\n{title}{inner(content)}\n\n</div>'


def myst_to_markdown(text: str, glue: dict | None = None, base_dir: Path | None = None) -> str:
    """MyST Markdown to the CommonMark + HTML + ``$math$`` that nbconvert renders."""
    glue = glue or {}
    lines = text.split("\n")
    out: list[str] = []
    plain: list[str] = []

    def flush():
        if plain:
            out.append(_inline("\n".join(plain), glue, base_dir))
            plain.clear()

    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m:
            plain.append(lines[i])
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info")
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        body = lines[i + 1:j]
        directive = _DIRECTIVE_INFO.match(info)
        if directive:
            flush()
            out.append(_directive(directive.group("name"), directive.group("arg").strip(),
                                  body, glue, base_dir))
        elif fence[0] == ":":
            plain.extend(body)  # a colon fence without a directive name: its content
        else:
            flush()
            out.append("\n".join(lines[i:j + 1]))  # a code block: untouched
        i = j + 1
    flush()
    return "\n".join(out)


# --- the slide notebook --------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _split_at_headings(source: str) -> list[str]:
    """Markdown split so that every ATX heading (outside code) starts a piece."""
    pieces: list[list[str]] = [[]]
    fence = None
    for line in source.split("\n"):
        m = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif line.strip().startswith(fence):
                fence = None
        if fence is None and _HEADING.match(line) and any(l.strip() for l in pieces[-1]):
            pieces.append([])
        pieces[-1].append(line)
    return ["\n".join(p).strip("\n") for p in pieces if any(l.strip() for l in p)]


_CHARS_PER_LINE = 100  # of body text at the deck's font size, on a 1280 px slide


def _text_lines(text: str, width: int = _CHARS_PER_LINE) -> float:
    """Lines of preformatted text (code, streams): each source line is one."""
    total = 0.0
    for line in text.splitlines():
        total += max(1, math.ceil(len(line.rstrip()) / width)) if line.strip() else 0.5
    return total


def _rows_cost(html_text: str, cap: int = 30) -> float:
    """Height of the HTML tables' rows (long rows wrap), in lines of body text."""
    rows = re.findall(r"<tr[\s>].*?(?:</tr>|(?=<tr[\s>])|$)", html_text, flags=re.S)[:cap]
    return sum(0.85 * max(1, math.ceil(len(" ".join(re.sub(r"<[^>]+>", " ", r).split())) / 90))
               for r in rows)


def _markdown_cost(text: str) -> float:
    """Approximate height of rendered Markdown/HTML, in lines of body text."""
    images = len(re.findall(r"<img|<svg|!\[", text))
    text = re.sub(r"<img[^>]*>|<svg.*?</svg>|!\[[^\]]*\]\([^)]*\)", "", text, flags=re.S)
    cost = 12.0 * images + _rows_cost(text)
    text = re.sub(r"<table.*?</table>", "", text, flags=re.S)
    fences = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[ \t]*$", re.S | re.M)
    cost += sum(0.8 * m.group(0).count("\n") for m in fences.finditer(text))
    text = fences.sub("", text)
    for block in re.split(r"\n\s*\n", text):
        lines = [l for l in block.splitlines() if l.strip()]
        if not lines:
            continue
        first = lines[0].lstrip()
        if first.startswith("#"):
            cost += 1.8
            lines = lines[1:]
        if not lines:
            continue
        if lines[0].lstrip().startswith("|"):  # a Markdown table
            cost += 0.9 * len([l for l in lines if not re.match(r"^\s*\|?[\s:|-]+\|?\s*$", l)])
        elif re.match(r"^\s*([-*+]|\d+[.)])\s", lines[0]):  # a list: one entry per item
            items, current = [], ""
            for line in lines:
                if re.match(r"^\s*([-*+]|\d+[.)])\s", line):
                    if current:
                        items.append(current)
                    current = line.strip()
                else:
                    current += " " + line.strip()
            items.append(current)
            cost += sum(max(1, math.ceil(len(re.sub(r"<[^>]+>", "", i)) / (_CHARS_PER_LINE - 5)))
                        for i in items)
        else:  # a paragraph: reflowed
            chars = len(re.sub(r"<[^>]+>", "", " ".join(l.strip() for l in lines)))
            cost += max(1, math.ceil(chars / _CHARS_PER_LINE))
        cost += 0.6  # space between blocks
    return cost


def _output_cost(output) -> float:
    kind = output.get("output_type")
    if kind == "stream":
        return min(_text_lines(str(output.get("text", ""))) * 0.8, 12) + 1
    if kind == "error":
        return 8
    data = output.get("data", {})
    if "text/html" in data:
        value = str(data["text/html"]) if isinstance(data["text/html"], str) else "".join(data["text/html"])
        if "xaibook-chart" in value or "vega" in value:
            return 14
        if re.search(r"<tr[\s>]", value):
            return _rows_cost(value) + 1.5
        if "<img" in value or "<svg" in value:
            return 14
        return _markdown_cost(value) + 1
    if any(k.startswith("image/") for k in data):
        return 14
    if "text/markdown" in data:
        value = data["text/markdown"]
        return _markdown_cost(value if isinstance(value, str) else "".join(value)) + 1
    if "text/latex" in data:
        return 3
    return min(_text_lines(str(data.get("text/plain", ""))) * 0.8, 12) + 1


def _source_hidden(cell) -> bool:
    return bool(cell.metadata.get("transient", {}).get("remove_source"))


def _code_cost(source: str) -> float:
    return len(source.splitlines()) * 0.75 + 0.8


def _visible_outputs(outputs) -> list:
    kept = []
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            continue  # the book removes stderr too (execute.stderr_output: remove)
        if (output.get("metadata") or {}).get("scrapbook"):
            continue  # glue: shown where the text refers to it
        data = output.get("data")
        if data is not None:
            data = {k: v for k, v in data.items() if not k.startswith(_GLUE_PREFIX)}
            if not data:
                continue
            output["data"] = data
        kept.append(output)
    return kept


def _charts_as_html(output, *, room: dict | None = None) -> None:
    """Vega-Lite outputs get the book's chart placeholder, re-laid out for a slide.

    ``room``: keyword arguments of :func:`xaibook.book.room.room_chart` plus
    ``embed`` (Vega-Embed options, e.g. a ``formatLocale``); ``None`` keeps
    the book's layout.
    """
    data = output.get("data", {})
    spec_key = next((k for k in data if re.match(r"application/vnd\.vega(lite)?\.v\d+\+json", k)), None)
    if spec_key is None or ("text/html" in data and room is None):
        return
    from xaibook.book.altair_setup import chart_html
    from xaibook.book.room import room_chart

    spec = data[spec_key]
    if room is not None:
        room = dict(room)
        embed = room.pop("embed", None)
        data["text/html"] = chart_html(room_chart(spec, **room), embed)
    else:
        data["text/html"] = chart_html(spec)


def _own_type(cell) -> str:
    """The slide type an author gave the cell (Jupyter/RISE ``slideshow`` metadata)."""
    return str((cell.metadata.get("slideshow") or {}).get("slide_type") or "-")


def slide_notebook(nb, glue: dict | None = None, *, hide_code: bool = False,
                   base_dir: Path | None = None, budget: float = DEFAULT_BUDGET,
                   room: dict | None = None):
    """A copy of an executed chapter notebook, laid out as slides.

    Sets ``metadata.slideshow.slide_type`` on every cell ("slide" at ``#``/``##``
    headings, "subslide" at deeper headings and where a slide is full, "-"
    otherwise) and ``metadata.transient.remove_source`` on code whose input is
    hidden. Slide types an author set are honoured as Jupyter/RISE do:
    ``skip`` cells are left out, ``notes`` cells become speaker notes (not on
    the slide) and ``fragment`` cells appear one step at a time. ``room``:
    charts re-laid out for the slide (see :func:`_charts_as_html`).
    """
    import copy

    import nbformat

    glue = glue or {}
    cells = []
    for cell in copy.deepcopy(nb).cells:
        tags = set(cell.metadata.get("tags", []))
        if "remove-cell" in tags or cell.cell_type == "raw":
            continue
        own = _own_type(cell)
        if own == "skip":
            continue
        if cell.cell_type == "markdown":
            text = myst_to_markdown(cell.source, glue, base_dir)
            if own == "notes":
                cells.append(nbformat.v4.new_markdown_cell(text, metadata={"xaibook_own": "notes"}))
                continue
            for i, piece in enumerate(_split_at_headings(text)):
                cells.append(nbformat.v4.new_markdown_cell(
                    piece, metadata={"xaibook_own": own if i == 0 else "-"}))
            continue
        if cell.cell_type != "code":
            continue
        outputs = [] if "remove-output" in tags else _visible_outputs(cell.get("outputs", []))
        for output in outputs:
            _charts_as_html(output, room=room)
        cell.outputs = outputs
        cell.metadata = {"tags": sorted(tags)} if tags else {}
        cell.metadata["xaibook_own"] = own
        if hide_code or tags & {"remove-input", "hide-input", "hide-cell"}:
            cell.metadata["transient"] = {"remove_source": True}
            if not outputs:
                continue
        cells.append(cell)

    out = nbformat.v4.new_notebook(metadata={k: v for k, v in nb.metadata.items()
                                             if k in {"kernelspec", "language_info"}})
    out.cells = _layout(cells, hide_code, budget)
    for i, cell in enumerate(out.cells):
        cell["id"] = f"slide-cell-{i}"
        cell.metadata.pop("xaibook_own", None)
    return out


def _layout(cells, hide_code: bool, budget: float) -> list:
    """Set slide types; continue full slides on sub-slides, splitting long outputs."""
    import nbformat

    slides: list = []
    state = {"used": 0.0, "title": ""}

    def start(cell, kind: str) -> None:
        cell.metadata["slideshow"] = {"slide_type": kind}
        slides.append(cell)

    def continuation() -> str:
        """Start a sub-slide continuing the current section; returns the next cell's type."""
        state["used"] = 0.0
        if not state["title"]:
            return "subslide"
        note = nbformat.v4.new_markdown_cell(
            f'<p class="xaibook-continued">{html.escape(state["title"])} (continued)</p>')
        start(note, "subslide")
        state["used"] = 1.0
        return "-"

    for cell in cells:
        own = cell.metadata.get("xaibook_own", "-")
        if own == "notes":
            if slides:
                start(cell, "notes")
            continue
        if cell.cell_type == "markdown":
            heading = _HEADING.match(cell.source.split("\n", 1)[0])
            cost = _markdown_cost(cell.source)
            if heading:
                kind = "slide" if len(heading.group(1)) <= 2 else "subslide"
                state["title"] = re.sub(r"<[^>]+>", "", heading.group(2))
                state["used"] = 0.0
            elif not slides:
                kind = "slide"
            elif state["used"] > 0 and state["used"] + cost > budget:
                kind = continuation()
            else:
                kind = "-"
            if kind == "-" and own == "fragment":
                kind = "fragment"
            start(cell, kind)
            state["used"] += cost
            continue

        hidden = hide_code or _source_hidden(cell)
        source_cost = 0.0 if hidden else _code_cost(cell.source)
        outputs = list(cell.get("outputs", []))
        first = source_cost + (_output_cost(outputs[0]) if outputs else 0.0)
        if not slides:
            kind = "slide"
        elif state["used"] > 0 and state["used"] + first > budget:
            kind = continuation()
        else:
            kind = "-"
        if kind == "-" and own == "fragment":
            kind = "fragment"
        cell.outputs = []
        start(cell, kind)
        state["used"] += source_cost
        piece = cell
        for output in outputs:
            cost = _output_cost(output)
            # The first output stays with its code (checked above); later ones move
            # to a continuation slide when the current one is full.
            if piece.outputs and state["used"] + cost > budget:
                piece = nbformat.v4.new_code_cell("", metadata={"transient": {"remove_source": True}})
                start(piece, continuation())
            piece.outputs.append(output)
            state["used"] += cost
    return slides


# --- the deck -----------------------------------------------------------------------------

_CSS = """
:root {
  --jp-content-font-size1: var(--xb-font); --jp-ui-font-size1: calc(0.85 * var(--xb-font));
  --jp-code-font-size: calc(0.75 * var(--xb-font)); --jp-cell-prompt-width: 0px;
}
.reveal { font-size: var(--xb-font); }
/* The theme's background, light or dark (JupyterLab's body style would paint it white). */
html body.reveal-viewport, html body.jp-Notebook { background: var(--r-background-color) !important; }
.reveal .slides { text-align: left; }
.reveal .slides section { line-height: 1.3; }
html:not(.print-pdf) .reveal .slides section:not(.stack) {
  height: 100%; overflow: hidden; box-sizing: border-box;
}
.reveal .xaibook-fit { transform-origin: top left; }
/* Text takes the theme's colours, light or dark (JupyterLab's light theme would paint it dark). */
.reveal .jp-RenderedHTMLCommon, .reveal .jp-RenderedHTMLCommon p, .reveal .jp-RenderedHTMLCommon li,
.reveal .jp-RenderedHTMLCommon td, .reveal .jp-RenderedHTMLCommon th, .reveal .jp-OutputArea-output pre {
  color: var(--r-main-color); }
.reveal .jp-RenderedHTMLCommon :is(h1, h2, h3, h4, h5) { color: var(--r-heading-color); }
.reveal .jp-RenderedHTMLCommon a { color: var(--r-link-color); }
.reveal .jp-RenderedHTMLCommon h1 { font-size: 1.7em; } .reveal .jp-RenderedHTMLCommon h2 { font-size: 1.35em; }
.reveal .jp-RenderedHTMLCommon h3 { font-size: 1.15em; }
.reveal h1, .reveal h2, .reveal h3, .reveal h4 { text-transform: none; text-align: left; margin: 0.2em 0 0.5em; }
.reveal a.anchor-link { display: none; }
.reveal table { font-size: 0.8em; margin: 0.2em 0; }
.reveal .jp-RenderedHTMLCommon tbody tr, .reveal .jp-RenderedHTMLCommon tbody tr:nth-child(odd) { background: transparent; }
.reveal table th, .reveal table td { padding: 0.15em 0.5em; border-bottom: 1px solid #999; }
.reveal pre { font-size: 0.75em; box-shadow: none; margin: 0.2em 0; width: auto; }
.reveal .jp-OutputArea-output pre { max-height: none; overflow: visible; }
.reveal section img, .reveal section svg { max-height: 560px; max-width: 100%; }
.reveal .jp-Cell { padding: 0; margin-bottom: 0.3em; }
.reveal .jp-InputPrompt, .reveal .jp-OutputPrompt { display: none; }
.xaibook-continued { color: #888; font-style: italic; font-size: 0.7em !important; margin: 0 0 0.4em; }
.xaibook-admonition { border-left: 0.3em solid #4e79a7; background: #f3f6fa; padding: 0.3em 0.8em; margin: 0.4em 0; }
.reveal .xaibook-admonition, .reveal .xaibook-admonition p, .reveal .xaibook-admonition li { color: #222; }
.xaibook-admonition.warning, .xaibook-admonition.caution, .xaibook-admonition.danger,
.xaibook-admonition.error, .xaibook-admonition.attention { border-color: #e15759; background: #fdf2f2; }
.xaibook-admonition.tip, .xaibook-admonition.hint, .xaibook-admonition.important { border-color: #59a14f; background: #f2f8f1; }
.xaibook-admonition-title { font-weight: bold; margin: 0.2em 0; }
.reveal .xaibook-caption, .reveal .xaibook-caption p { font-size: 0.75em; color: var(--r-main-color); opacity: 0.8; }
.xaibook-chart { background: #fff; color: #222; display: inline-block; padding: 4px; border-radius: 4px; }
.xaibook-chart .xaibook-chart-fallback { color: #555; font-style: italic; }
.xaibook-figure { text-align: center; }
.xaibook-figure img { width: 100%; max-height: 520px; object-fit: contain; }
.xaibook-title-slide { margin-top: 18%; }
.xaibook-title-slide h1 { font-size: 1.9em !important; }
.xaibook-title-slide .xaibook-subtitle { font-size: 1.05em; opacity: 0.85; }
.xaibook-big { font-size: 1.6em; font-weight: bold; color: var(--r-heading-color); margin: 0.3em 0; }
"""

_TEMPLATE = r"""
{%- extends 'base.html.j2' -%}
{%- set x = resources.xaibook -%}
{%- block header -%}
<!DOCTYPE html>
<html lang="{{ x.lang }}">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1.0" />
<meta name="generator" content="xaibook slides (nbconvert, reveal.js {{ x.reveal_version }})" />
<title>{{ x.title | escape_html }}</title>
<link rel="stylesheet" href="{{ x.assets }}/reveal/dist/reset.css">
<link rel="stylesheet" href="{{ x.assets }}/reveal/dist/reveal.css">
<link rel="stylesheet" href="{{ x.assets }}/reveal/dist/theme/{{ x.theme }}.css" id="theme">
{% for css in resources.inlining.css -%}
<style type="text/css">
{{ css }}
</style>
{% endfor %}
{{ resources.include_css("static/index.css") }}
{{ resources.include_css("static/theme-light.css") }}
<style type="text/css">
:root { --xb-font: {{ x.font_px }}px; }
{{ x.css }}
</style>
{%- if x.mathjax %}
<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true},
  options: {ignoreHtmlClass: 'tex2jax_ignore', processHtmlClass: 'tex2jax_process'},
  startup: {typeset: true}
};
</script>
<script defer src="{{ x.assets }}/mathjax/tex-mml-chtml.js"></script>
{%- endif %}
{%- if x.charts %}
<script defer src="{{ x.assets }}/charts/vega.min.js"></script>
<script defer src="{{ x.assets }}/charts/vega-lite.min.js"></script>
<script defer src="{{ x.assets }}/charts/vega-embed.min.js"></script>
<script defer src="{{ x.assets }}/charts/xaibook-charts.js"></script>
{%- endif %}
</head>
{%- endblock header -%}

{%- block body_header -%}
<body class="jp-Notebook" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
<div class="reveal">
<div class="slides">
{%- endblock body_header -%}

{%- block body_footer -%}
</div>
</div>
<script src="{{ x.assets }}/reveal/dist/reveal.js"></script>
<script src="{{ x.assets }}/reveal/plugin/notes/notes.js"></script>
<script>
{{ x.room_js }}
Reveal.initialize({
  hash: true, controls: true, progress: true, center: false,
  navigationMode: 'linear',
  slideNumber: 'c/t', transition: 'none', backgroundTransition: 'none',
  width: {{ x.width }}, height: {{ x.height }}, margin: 0.02,
  pdfMaxPagesPerSlide: 1, pdfSeparateFragments: false,
  plugins: [RevealNotes]
});
</script>
</body>
{%- endblock body_footer -%}

{%- block footer -%}
</html>
{%- endblock footer -%}
"""

#: Base font size of the chapter decks and the talk (px on a 1280 x 800 slide), before --font-scale.
CHAPTER_FONT_PX = 28
TALK_FONT_PX = 34
#: Words a slide may show before the build warns (chapter decks / the talk).
CHAPTER_WORDS = 120
TALK_WORDS = 45


def chart_room(lang: str = "en", font_scale: float = 1.0, labels: dict | None = None) -> dict:
    """``room`` settings for :func:`slide_notebook`: wide charts, labels >= 18 px."""
    from xaibook.book.room import SPANISH_LOCALE

    room = {"width": 960, "height": 420, "font": round(18 * max(font_scale, 1.0)), "labels": labels or {}}
    if lang == "es":
        room["embed"] = {"formatLocale": SPANISH_LOCALE}
    return room


def slide_words(nb) -> list[tuple[str, int]]:
    """``(title, words)`` per slide (sub-slides too) of a slide notebook; notes not counted."""
    counts: list[list] = []
    for cell in nb.cells:
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind in ("notes", "skip"):
            continue
        if kind in ("slide", "subslide") or not counts:
            counts.append(["", 0])
        if cell.cell_type != "markdown":
            continue
        text = re.sub(r"<svg.*?</svg>|<script.*?</script>|<[^>]+>|\$[^$]*\$", " ", cell.source, flags=re.S)
        text = re.sub(r"data:[^\s\"')]+", " ", text)
        heading = _HEADING.match(text.strip().split("\n", 1)[0]) if text.strip() else None
        if heading and not counts[-1][0]:
            counts[-1][0] = heading.group(2)
        counts[-1][1] += len(re.findall(r"[^\W_]+(?:['’.,-][^\W_]+)*", text))
    return [(t, n) for t, n in counts]


def warn_words(nb, budget: int, name: str) -> list[str]:
    """Warn (stderr) about slides over the words-per-slide budget; returns the warnings."""
    warnings = [f"warning: {name}: slide {i} ({title or 'untitled'}) shows {n} words, over the budget of {budget}"
                for i, (title, n) in enumerate(slide_words(nb), 1) if n > budget]
    for line in warnings:
        print(line, file=sys.stderr)
    return warnings


def write_deck(slides, target: Path, *, title: str, root: Path, theme: str = DEFAULT_THEME,
               hide_code: bool = False, lang: str = "en", font_px: float = CHAPTER_FONT_PX,
               name: str | None = None, base_dir: Path | None = None) -> Path:
    """Write a slide notebook as an offline reveal.js deck (assets in ``target.parent/_assets``)."""
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    from xaibook.book.room import ROOM_JS

    out = target.parent
    out.mkdir(parents=True, exist_ok=True)
    found = install_assets(out, root, theme)
    config = Config()
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    config.SlidesExporter.exclude_input = hide_code
    config.SlidesExporter.reveal_url_prefix = f"{ASSETS}/reveal"
    exporter = SlidesExporter(config=config, template_file="xaibook_slides.html.j2",
                              extra_loaders=[DictLoader({"xaibook_slides.html.j2": _TEMPLATE})])
    resources = {
        "metadata": {"name": name or target.name, "path": str(base_dir or root)},
        "xaibook": {
            "assets": ASSETS, "theme": theme, "css": _CSS, "title": title, "lang": lang,
            "mathjax": found["mathjax"], "charts": found["charts"], "width": WIDTH, "height": HEIGHT,
            "reveal_version": reveal_version(), "font_px": f"{font_px:g}", "room_js": ROOM_JS,
        },
    }
    body, _ = exporter.from_notebook_node(slides, resources=resources)
    target.write_text(body, encoding="utf-8")
    return target


def deck_name(name: str, *, hide_code: bool = False, lang: str | None = None) -> str:
    """File name of a deck: ``<name>[.<lang>][.hide-code].slides.html``."""
    parts = [name] + ([lang] if lang else []) + (["hide-code"] if hide_code else [])
    return ".".join(parts) + ".slides.html"


def _title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                m = _HEADING.match(line)
                if m and len(m.group(1)) == 1:
                    return re.sub(r"<[^>]+>", "", m.group(2))
    return fallback


def export_deck(chapter: Chapter, out: Path, *, hide_code: bool = False, theme: str = DEFAULT_THEME,
                budget: float = DEFAULT_BUDGET, build_dir: Path | None = None,
                libs_root: Path | None = None, notebooks: Path | None = None,
                font_scale: float = 1.0, words: int = CHAPTER_WORDS) -> Path:
    """Write ``out/<chapter>.slides.html`` (``<chapter>.hide-code.slides.html`` with
    ``hide_code``) and the shared ``out/_assets``.

    ``libs_root`` is the book whose MathJax/Vega copies are used (default: the
    chapter's own book); ``notebooks`` a folder of executed notebooks to use
    first; ``font_scale`` multiplies every font (text and chart labels).
    """
    if font_scale <= 0:
        raise ValueError(f"font scale must be positive, got {font_scale}")
    nb, glue = executed_notebook(chapter, build_dir=build_dir, notebooks=notebooks)
    slides = slide_notebook(nb, glue, hide_code=hide_code, base_dir=chapter.source.parent,
                            budget=budget / max(font_scale, 0.5) * (24 / CHAPTER_FONT_PX) * 1.15,
                            room=chart_room("en", font_scale))
    warn_words(slides, words, chapter.name)
    target = Path(out) / deck_name(chapter.name, hide_code=hide_code)
    return write_deck(slides, target, title=_title(slides, chapter.name), root=libs_root or chapter.root,
                      theme=theme, hide_code=hide_code, lang="en", font_px=CHAPTER_FONT_PX * font_scale,
                      name=chapter.name, base_dir=chapter.source.parent)


# --- checks and PDF --------------------------------------------------------------------------


class _Refs(HTMLParser):
    """Every URL a page would load: scripts, styles, images, frames, media, CSS urls."""

    LOADS = {"script": "src", "img": "src", "iframe": "src", "embed": "src", "source": "src",
             "video": "src", "audio": "src", "input": "src", "object": "data"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str]] = []
        self._style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.LOADS and attrs.get(self.LOADS[tag]):
            self.refs.append((tag, attrs[self.LOADS[tag]]))
        if tag == "link" and attrs.get("href") and set((attrs.get("rel") or "").lower().split()) & {
                "stylesheet", "icon", "preload", "modulepreload", "manifest", "prefetch"}:
            self.refs.append(("link", attrs["href"]))
        if tag == "img" and attrs.get("srcset"):
            self.refs.extend(("img", s.split()[0]) for s in attrs["srcset"].split(","))
        if attrs.get("style"):
            self.refs.extend(("style", r) for r in re.findall(r"url\(\s*([^)]+?)\s*\)", attrs["style"]))
        self._style = tag == "style"

    def handle_endtag(self, tag):
        self._style = False

    def handle_data(self, data):
        if self._style:
            self.refs.extend(("style", r) for r in re.findall(r"url\(\s*([^)]+?)\s*\)", data))
            self.refs.extend(("style", r) for r in re.findall(r"@import\s+[\"']([^\"']+)[\"']", data))


def check_offline(deck: Path) -> list[str]:
    """Remote resources the deck would load (empty list: fully offline).

    Checks the deck's HTML and the CSS files it links from ``_assets`` (reveal's
    theme and its font files); JavaScript ``import()`` of remote modules is
    caught by the ``https://`` scan of ``<script>`` bodies. Local files that are
    missing are reported too.
    """
    text = deck.read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(text)
    problems = []
    for tag, url in parser.refs:
        url = url.strip().strip("'\"")
        if _remote(url):
            problems.append(f"<{tag}> loads {url}")
        elif not url.startswith(("data:", "#", "blob:", "about:")):
            local = (deck.parent / url.split("?")[0].split("#")[0]).resolve()
            if not local.exists():
                problems.append(f"<{tag}> refers to missing file {url}")
            elif local.suffix == ".css":
                for ref in _css_remote_refs(local.read_text(encoding="utf-8", errors="replace")):
                    problems.append(f"{url} loads {ref}")
    for script in re.findall(r"<script(?![^>]*application/json)[^>]*>(.*?)</script>", text, re.S):
        for url in re.findall(r"(?:import\s*\(|from\s+)[\"']((?:https?:)?//[^\"']+)", script):
            problems.append(f"<script> imports {url}")
    return problems


def print_pdf(deck: Path, pdf: Path | None = None, **kwargs) -> Path:
    """Print a deck to PDF (see :func:`xaibook.book.room.print_pdf`)."""
    from xaibook.book.room import print_pdf as _print

    return _print(deck, pdf, **kwargs)


# --- command line ------------------------------------------------------------------------------


def add_arguments(parser) -> None:
    parser.add_argument("chapters", nargs="*", metavar="CHAPTER",
                        help="chapters (name such as 'data', or path) or 'talk' (talk/talk.yml); "
                             "default: every chapter of _toc.yml and the talk")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: _build/slides)")
    parser.add_argument("--hide-code", action="store_true",
                        help="show outputs only, no code (writes <chapter>.hide-code.slides.html)")
    parser.add_argument("--pdf", action="store_true",
                        help="also print each deck to PDF with headless Chromium (fails on overflow)")
    parser.add_argument("--theme", default=DEFAULT_THEME,
                        help=f"reveal.js theme without web fonts: white (light) or black (dark); "
                             f"default: {DEFAULT_THEME}")
    parser.add_argument("--lang", choices=("es", "en"), action="append", default=None,
                        help="language of the talk deck (repeatable; default: both)")
    parser.add_argument("--font-scale", type=float, default=1.0,
                        help="multiply every font, chart labels included (e.g. 1.2 for a big room)")
    parser.add_argument("--notebooks", type=Path, default=None,
                        help="folder of executed notebooks (<docname>.ipynb, e.g. from "
                             "scripts/run_chapter.py --keep) to use before _build/jupyter_execute")
    parser.add_argument("--words", type=int, default=None,
                        help=f"words per slide before a warning (default: talk {TALK_WORDS}, "
                             f"chapters {CHAPTER_WORDS})")
    parser.add_argument("--lines", type=float, default=DEFAULT_BUDGET,
                        help="lines of text that fit on one chapter slide before it continues "
                             f"(default: {DEFAULT_BUDGET:g})")


def run(args) -> int:
    from xaibook.book.room import DeckError
    from xaibook.book.talk import Pull, TalkError, export_talk, talk_path

    try:
        root = book_root()
        names = list(args.chapters)
        want_talk = not names or "talk" in names
        names = [n for n in names if n != "talk"]
        chapters = resolve_chapters(names, root) if (names or not args.chapters) else []
    except (FileNotFoundError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if want_talk and not args.chapters and not talk_path(root).is_file():
        want_talk = False
    out = (args.out or root / "_build" / "slides").resolve()
    status = 0
    decks = []
    try:
        if want_talk:
            pull = Pull(root, notebooks=args.notebooks)
            for lang in args.lang or ["es", "en"]:
                decks.append(export_talk(root, out, lang=lang, theme=args.theme, font_scale=args.font_scale,
                                         words=args.words, pull=pull))
        for chapter in chapters:
            decks.append(export_deck(chapter, out, hide_code=args.hide_code, theme=args.theme,
                                     budget=args.lines, notebooks=args.notebooks,
                                     font_scale=args.font_scale,
                                     **({"words": args.words} if args.words else {})))
    except (ValueError, TalkError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for deck in decks:
        problems = check_offline(deck)
        if problems:
            status = 1
            print(f"error: {deck} is not self-contained:\n  " + "\n  ".join(problems), file=sys.stderr)
        print(deck)
        if args.pdf:
            try:
                print(print_pdf(deck))
            except (DeckError, RuntimeError, TimeoutError) as exc:
                print(f"error: {exc}", file=sys.stderr)
                status = 1
            except SystemExit as exc:  # no Chromium / Playwright: the launcher's message
                print(f"error: {exc}", file=sys.stderr)
                return 1
    return status
