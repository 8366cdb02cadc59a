"""Chapters are re-executed when the package changes, and only then."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

from xaibook.book.fingerprint import fingerprint
from xaibook.book.sphinxext import MARKER, inject_fingerprint

NOTEBOOK = textwrap.dedent("""\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---

    # Page

    ```{code-cell} ipython3
    import time
    print("stamp", time.time_ns())
    ```
    """)


def test_fingerprint_tracks_content_and_versions(tmp_path):
    (tmp_path / "mod.py").write_text("x = 1\n")
    first = fingerprint([tmp_path], distributions=["numpy"])
    assert first == fingerprint([tmp_path], distributions=["numpy"])
    (tmp_path / "mod.py").write_text("x = 2\n")
    assert fingerprint([tmp_path], distributions=["numpy"]) != first
    assert fingerprint([tmp_path], distributions=[]) != fingerprint([tmp_path], distributions=["numpy"])
    (tmp_path / "__pycache__").mkdir()
    before = fingerprint([tmp_path])
    (tmp_path / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"junk")
    assert fingerprint([tmp_path]) == before
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "slides.py").write_text("# tooling, not a chapter dependency\n")
    assert fingerprint([tmp_path]) == before


def test_default_fingerprint_covers_the_package():
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint())


def test_inject_only_into_notebooks():
    text = inject_fingerprint(NOTEBOOK, "abc")
    assert text.startswith("---\n") and f"{MARKER} abc" in text
    assert text.index(MARKER) < text.index("# Page")
    assert ":tags: [remove-cell]" in text
    plain = "# Just markdown\n"
    assert inject_fingerprint(plain, "abc") == plain
    front_only = "---\ntitle: x\n---\n# No kernel\n"
    assert inject_fingerprint(front_only, "abc") == front_only


def _build(src, out):
    result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    html = (out / "index.html").read_text()
    assert MARKER not in html, "the fingerprint cell must be hidden from readers"
    return re.search(r"stamp (\d+)", html).group(1)


@pytest.mark.slow
def test_package_change_reexecutes_chapter_and_nothing_else_does(tmp_path):
    src, out, pkg = tmp_path / "src", tmp_path / "out", tmp_path / "pkg"
    src.mkdir()
    pkg.mkdir()
    (pkg / "module.py").write_text("VALUE = 1\n")
    (src / "index.md").write_text(NOTEBOOK)
    (src / "conf.py").write_text(textwrap.dedent(f"""\
        extensions = ["myst_nb", "xaibook.book.sphinxext"]
        nb_execution_mode = "cache"
        nb_execution_cache_path = {str(tmp_path / "cache")!r}
        nb_execution_raise_on_error = True
        xaibook_fingerprint_paths = [{str(pkg)!r}]
        """))
    first = _build(src, out)
    assert _build(src, out) == first                    # nothing changed: cached
    (src / "index.md").write_text(NOTEBOOK.replace("# Page", "# Page\n\nMore prose."))
    assert _build(src, out) == first                    # prose edit: outputs reused
    (pkg / "module.py").write_text("VALUE = 2\n")
    assert _build(src, out) != first                    # package edit: re-executed
