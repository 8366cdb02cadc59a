"""The theme's icon fonts, cut to the icons the site uses (issue 16).

pydata-sphinx-theme draws its icons (the header's buttons, admonition
symbols) with Font Awesome's web fonts: three files of 275 kB together
(``fa-solid-900.woff2``, ``fa-brands-400.woff2``, ``fa-regular-400.woff2``)
for a few dozen glyphs. A phone on a slow network fetches them before the first
paint (the header's icons are on screen), and Lighthouse counts them in the
first and largest contentful paint: on a slow-4G simulation that alone is
about 1.6 s.

After the HTML build, :func:`subset_icon_fonts` finds the icons the site
uses:

* every ``fa-*`` class named in a page or script of the site, looked up in
  Font Awesome's own table (the ``.fa-name:before{content:"\\f135"}`` rules of
  the theme's style sheet);
* every Font Awesome code point a style sheet uses outside that table (the
  theme's ``--pst-icon-*`` variables, admonition symbols);

and writes each font cut to those code points (fontTools; WOFF, a few kB)
into ``_static/xaibook-icons/``, with ``_static/xaibook-icons.css`` declaring
them under the same family names, weights and styles *with a unicode-range*
of exactly the glyphs they hold. That style sheet comes after the theme's, so
the browser takes an icon from the small font; a code point outside the cut
(an icon a script adds that this scan missed) falls to the theme's full font,
which then loads as before: an icon is never missing, at worst slow. The
site check reports such a download.

API
---
``icon_table(css)``
    Font Awesome's class -> code point table in a style sheet's text.
``used_codepoints(site)``
    The code points the built site uses, and the fonts they come from.
``subset_icon_fonts(site)``
    Write the cut fonts and their style sheet; returns what it wrote.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["icon_table", "used_codepoints", "subset_icon_fonts", "ICONS_CSS", "ICONS_DIR",
           "FONT_FILES"]

ICONS_CSS = "xaibook-icons.css"
ICONS_DIR = "xaibook-icons"
#: The theme's Font Awesome fonts (relative to _static/) and their faces.
FONT_FILES = {
    "vendor/fontawesome/webfonts/fa-solid-900.woff2": ("Font Awesome 6 Free", 900),
    "vendor/fontawesome/webfonts/fa-regular-400.woff2": ("Font Awesome 6 Free", 400),
    "vendor/fontawesome/webfonts/fa-brands-400.woff2": ("Font Awesome 6 Brands", 400),
}

_RULE = re.compile(r"((?:\.fa-[a-z0-9-]+:{1,2}(?:before|after),?)+)\{content:\"([^\"]*)\"\}")
_CLASS = re.compile(r"\bfa-[a-z0-9]+(?:-[a-z0-9]+)*")
_ESCAPE = re.compile(r"\\([0-9a-fA-F]{4,6})\s?")


def _is_icon(cp: int) -> bool:
    return 0xE000 <= cp <= 0xF8FF or 0xF0000 <= cp <= 0x10FFFF


def _chars(text: str) -> set[int]:
    """Icon code points written in CSS text, literally or as ``\\f135``."""
    out = {ord(c) for c in text if _is_icon(ord(c))}
    out |= {int(h, 16) for h in _ESCAPE.findall(text) if _is_icon(int(h, 16))}
    return out


def icon_table(css: str) -> dict[str, int]:
    """``{"fa-rocket": 0xf135, ...}`` from Font Awesome's rules in ``css``."""
    table = {}
    for selectors, content in _RULE.findall(css):
        cps = _chars(content)
        if len(cps) != 1:
            continue
        cp = cps.pop()
        for name in re.findall(r"\.(fa-[a-z0-9-]+):", selectors):
            table[name] = cp
    return table


def used_codepoints(site: Path) -> set[int]:
    """Font Awesome code points the built site at ``site`` uses."""
    static = site / "_static"
    sheets = [p for p in static.rglob("*.css") if p.name != ICONS_CSS]
    table: dict[str, int] = {}
    used: set[int] = set()
    for sheet in sheets:
        css = sheet.read_text(encoding="utf-8", errors="replace")
        table.update(icon_table(css))
        used |= _chars(_RULE.sub("", css))          # icons the sheet itself draws
    names: set[str] = set()
    for path in list(site.rglob("*.html")) + list(static.rglob("*.js")):
        if "libs" in path.relative_to(site).parts:   # Vega, MathJax: no icons
            continue
        names |= set(_CLASS.findall(path.read_text(encoding="utf-8", errors="replace")))
    used |= {table[n] for n in names if n in table}
    return used


def _has_brotli() -> bool:
    try:
        import brotli  # noqa: F401
    except ImportError:
        return False
    return True


def _ranges(cps: list[int]) -> str:
    """A CSS unicode-range for sorted code points (runs merged)."""
    parts, start, prev = [], None, None
    for cp in cps:
        if start is None:
            start = prev = cp
        elif cp == prev + 1:
            prev = cp
        else:
            parts.append((start, prev))
            start = prev = cp
    if start is not None:
        parts.append((start, prev))
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in parts)


def subset_icon_fonts(site: Path) -> dict[str, dict]:
    """Cut the theme's icon fonts to the icons ``site`` uses.

    Writes ``_static/xaibook-icons/<font>.woff`` for every font of
    :data:`FONT_FILES` holding at least one used glyph, and
    ``_static/xaibook-icons.css`` (empty when there is nothing to cut).
    Returns ``{font: {"glyphs": n, "bytes": size, "full_bytes": size}}``.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    site = Path(site)
    static = site / "_static"
    used = used_codepoints(site)
    out_dir = static / ICONS_DIR
    rules, report = [], {}
    for rel, (family, weight) in FONT_FILES.items():
        src = static / rel
        if not src.is_file() or not used:
            continue
        # Reading WOFF2 needs brotli; the theme ships a TrueType copy beside it.
        ttf = src.with_suffix(".ttf")
        try:
            font = TTFont(ttf if ttf.is_file() or not _has_brotli() else src)
        except Exception:  # noqa: BLE001 - an unreadable font: leave the theme's
            continue
        have = sorted(cp for cp in used if cp in font.getBestCmap())
        if not have:
            continue
        options = subset.Options()
        options.flavor = "woff"
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        sub = subset.Subsetter(options)
        sub.populate(unicodes=have)
        sub.subset(font)
        out_dir.mkdir(parents=True, exist_ok=True)
        name = Path(rel).with_suffix(".woff").name
        target = out_dir / name
        font.flavor = "woff"
        font.save(target)
        report[name] = {"glyphs": len(have), "bytes": target.stat().st_size,
                        "full_bytes": src.stat().st_size}
        rules.append(
            "@font-face {\n"
            f'  font-family: "{family}";\n  font-style: normal;\n  font-weight: {weight};\n'
            "  font-display: block;\n"
            f'  src: url("{ICONS_DIR}/{name}") format("woff");\n'
            f"  unicode-range: {_ranges(have)};\n}}\n")
    head = ("/* Font Awesome cut to the icons this site uses (xaibook.book.iconfonts);\n"
            " * any other icon falls to the theme's full font. */\n")
    (static / ICONS_CSS).write_text(head + "".join(rules), encoding="utf-8")
    return report
