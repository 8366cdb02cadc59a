"""Chapters are re-executed when the package changes, and only then."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

from xaibook.book.fingerprint import chapter_fingerprint, fingerprint
from xaibook.book.imports import code_cells
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


def _chapter(*imports_: str, stamp: str = "stamp") -> str:
    code = "".join(f"{line}\n" for line in imports_)
    return NOTEBOOK.replace("import time\n", f"import time\n{code}").replace('"stamp"', f'"{stamp}"')


def _toy_package(root):
    """toypkg: a (uses helper through a relative import), b, helper, book/tool."""
    pkg = root / "toypkg"
    (pkg / "book").mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""Imports nothing."""\n')
    (pkg / "a.py").write_text("from .helper import VALUE\n")
    (pkg / "b.py").write_text("B = 1\n")
    (pkg / "helper.py").write_text("VALUE = 1\n")
    (pkg / "book" / "__init__.py").write_text("")
    (pkg / "book" / "tool.py").write_text("TOOL = 1\n")
    return pkg


def test_code_cells_drop_options_and_keep_code():
    text = _chapter("import toypkg.a") + (
        "\n```{code-cell} ipython3\n:tags: [remove-cell]\n\nfrom toypkg import b\n```\n"
        "\n````{code-cell} ipython3\n---\ntags: [hide-input]\n---\nx = 1\n````\n")
    cells = code_cells(text)
    assert cells[1] == "from toypkg import b" and cells[2] == "x = 1"
    assert "import toypkg.a" in cells[0]


def test_chapter_fingerprint_follows_imports_transitively(tmp_path):
    pkg = _toy_package(tmp_path)

    def fp(text):
        return chapter_fingerprint(text, own="toypkg", package_dir=pkg)

    uses_a, uses_b = _chapter("import toypkg.a"), _chapter("from toypkg import b")
    first_a, first_b = fp(uses_a), fp(uses_b)
    assert first_a.modules == ("toypkg", "toypkg.a", "toypkg.helper")
    assert first_b.modules == ("toypkg", "toypkg.b")
    assert "myst-nb" in first_a.distributions
    (pkg / "helper.py").write_text("VALUE = 2\n")       # reached only through a
    assert fp(uses_a).digest != first_a.digest
    assert fp(uses_b).digest == first_b.digest
    (pkg / "book" / "tool.py").write_text("TOOL = 2\n")  # tooling: no chapter
    second_a = fp(uses_a).digest
    assert fp(_chapter("import toypkg.a", "import toypkg.book.tool")).digest == second_a
    assert fp(uses_b).digest == first_b.digest
    (pkg / "__init__.py").write_text('"""Edited."""\n')  # every importer runs it
    assert fp(uses_a).digest != second_a and fp(uses_b).digest != first_b.digest


def test_chapter_fingerprint_tracks_library_versions():
    with_numpy = chapter_fingerprint(_chapter("import numpy"))
    assert "numpy" in with_numpy.distributions
    assert "numpy" not in chapter_fingerprint(_chapter()).distributions
    assert with_numpy.digest != chapter_fingerprint(_chapter()).digest


def _build_stamps(src, out, env):
    result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(out)],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    stamps = {}
    for page in ("one", "two"):
        html = (out / f"{page}.html").read_text()
        assert MARKER not in html, "the fingerprint cell must be hidden from readers"
        stamps[page] = re.search(rf"{page} (\d+)", html).group(1)
    return stamps


@pytest.mark.slow
def test_module_edit_reexecutes_exactly_the_chapters_that_import_it(tmp_path):
    """A real Sphinx + myst-nb build with two chapters importing different modules."""
    import os

    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    pkg = _toy_package(tmp_path / "lib")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path / 'lib'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    (src / "index.md").write_text("# Book\n\n```{toctree}\none\ntwo\n```\n")
    (src / "one.md").write_text(_chapter("import toypkg.a", stamp="one"))
    (src / "two.md").write_text(_chapter("from toypkg import b", stamp="two"))
    (src / "conf.py").write_text(textwrap.dedent(f"""\
        extensions = ["myst_nb", "xaibook.book.sphinxext"]
        nb_execution_mode = "cache"
        nb_execution_cache_path = {str(tmp_path / "cache")!r}
        nb_execution_raise_on_error = True
        xaibook_fingerprint_package = "toypkg"
        xaibook_fingerprint_package_dir = {str(pkg)!r}
        xaibook_offline = False
        """))
    first = _build_stamps(src, out, env)
    assert _build_stamps(src, out, env) == first                     # nothing changed
    (src / "one.md").write_text(_chapter("import toypkg.a", stamp="one") + "\nMore prose.\n")
    assert _build_stamps(src, out, env) == first                     # prose edit: reused
    (pkg / "book" / "tool.py").write_text("TOOL = 2\n")
    assert _build_stamps(src, out, env) == first                     # tooling edit: none
    (pkg / "helper.py").write_text("VALUE = 2\n")
    second = _build_stamps(src, out, env)
    assert second["one"] != first["one"] and second["two"] == first["two"]
    (pkg / "b.py").write_text("B = 2\n")
    third = _build_stamps(src, out, env)
    assert third["one"] == second["one"] and third["two"] != second["two"]


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
