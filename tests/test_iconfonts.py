"""The theme's icon fonts cut to the icons the site uses (xaibook.book.iconfonts)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from xaibook.book import iconfonts

CATALOG = ('.fa-rocket:before{content:"\\f135"}.fa-github-square:before,'
           '.fa-square-github:before{content:"\\f092"}.fa-moon:before{content:"\\f186"}'
           '.fa-anchor:before{content:"\\f13d"}')


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "_static" / "styles").mkdir(parents=True)
    # The catalog, plus one icon the theme's own rules draw (a literal PUA char).
    (site / "_static" / "styles" / "theme.css").write_text(
        CATALOG + ':root{--pst-icon-lightbulb:"\uf0eb"}', encoding="utf-8")
    (site / "_static" / "theme.js").write_text('el.classList.add("fa-moon")')
    (site / "index.html").write_text('<i class="fa-solid fa-rocket"></i>'
                                     '<i class="fa-brands fa-square-github"></i>'
                                     '<span class="fa-unknown-thing"></span>')
    # Scripts under libs/ (Vega, MathJax) are not scanned.
    (site / "_static" / "libs").mkdir()
    (site / "_static" / "libs" / "vega.js").write_text('"fa-anchor"')
    return site


def test_icon_table_reads_font_awesome_rules():
    table = iconfonts.icon_table(CATALOG + ".other{content:\"x\"}")
    assert table == {"fa-rocket": 0xF135, "fa-github-square": 0xF092,
                     "fa-square-github": 0xF092, "fa-moon": 0xF186, "fa-anchor": 0xF13D}


def test_used_codepoints_are_the_classes_named_and_the_css_icons(tmp_path):
    used = iconfonts.used_codepoints(_site(tmp_path))
    # rocket and square-github (HTML), moon (a script), lightbulb (the theme's CSS);
    # not the anchor (only in the catalog and in a vendored library).
    assert used == {0xF135, 0xF092, 0xF186, 0xF0EB}


def test_ranges_merge_runs():
    assert iconfonts._ranges([0xF003, 0xF004, 0xF005, 0xF010, 0xE163]) == "U+F003-F005, U+F010, U+E163"


def test_subset_icon_fonts_keeps_exactly_the_used_glyphs(tmp_path):
    ttlib = pytest.importorskip("fontTools.ttLib")
    theme = pytest.importorskip("pydata_sphinx_theme")
    fonts = Path(theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static" / "vendor" \
        / "fontawesome" / "webfonts"
    if not (fonts / "fa-solid-900.ttf").is_file():
        pytest.skip("pydata-sphinx-theme without its Font Awesome fonts")
    site = _site(tmp_path)
    dest = site / "_static" / "vendor" / "fontawesome" / "webfonts"
    dest.mkdir(parents=True)
    for name in ("fa-solid-900", "fa-brands-400"):
        for ext in (".ttf", ".woff2"):
            shutil.copy(fonts / f"{name}{ext}", dest)
    report = iconfonts.subset_icon_fonts(site)
    assert set(report) == {"fa-solid-900.woff", "fa-brands-400.woff"}
    solid = ttlib.TTFont(site / "_static" / "xaibook-icons" / "fa-solid-900.woff")
    brands = ttlib.TTFont(site / "_static" / "xaibook-icons" / "fa-brands-400.woff")
    assert set(solid.getBestCmap()) == {0xF135, 0xF186, 0xF0EB}
    assert set(brands.getBestCmap()) == {0xF092}
    assert report["fa-solid-900.woff"]["bytes"] < report["fa-solid-900.woff"]["full_bytes"] / 10
    css = (site / "_static" / "xaibook-icons.css").read_text()
    assert 'font-family: "Font Awesome 6 Free";' in css and "font-weight: 900;" in css
    assert "unicode-range: U+F0EB, U+F135, U+F186;" in css
    assert 'src: url("xaibook-icons/fa-brands-400.woff")' in css
    assert "unicode-range: U+F092;" in css


def test_nothing_to_cut_writes_an_empty_sheet(tmp_path):
    site = tmp_path / "site"
    (site / "_static").mkdir(parents=True)
    (site / "index.html").write_text("<p>no icons</p>")
    assert iconfonts.subset_icon_fonts(site) == {}
    assert "@font-face" not in (site / "_static" / "xaibook-icons.css").read_text()
