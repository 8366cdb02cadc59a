"""``xaibook notebooks``: chapters exported as notebooks for Colab and downloads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jupytext
import nbformat
import pytest

from xaibook.book import notebooks as nbx
from xaibook.book.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]

NOTEBOOK_FRONT_MATTER = """\
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


def make_book(tmp_path: Path) -> Path:
    """A tiny book: a plain intro, two notebook chapters in nested toc entries."""
    (tmp_path / "book").mkdir()
    (tmp_path / "_toc.yml").write_text(textwrap.dedent("""\
        format: jb-book
        root: book/intro
        parts:
          - caption: One
            chapters:
              - file: book/first
                sections:
                  - file: book/second.md
        """))
    (tmp_path / "_config.yml").write_text(textwrap.dedent("""\
        title: t
        repository:
          url: https://github.com/someorg/somebook
          branch: trunk
        """))
    (tmp_path / "book" / "intro.md").write_text("# Intro\n\nNo code here.\n")
    (tmp_path / "book" / "first.md").write_text(NOTEBOOK_FRONT_MATTER + textwrap.dedent("""\
        # First

        ```{code-cell} ipython3
        import json
        x = 1 + 1
        x
        ```

        Some text.

        ```{code-cell} ipython3
        :tags: [remove-cell]

        print(json.dumps({"x": x}))
        ```
        """))
    (tmp_path / "book" / "second.md").write_text(NOTEBOOK_FRONT_MATTER + "# Second\n\n"
                                                 "```{code-cell} ipython3\nprint('hi')\n```\n")
    return tmp_path


# --- the table of contents ------------------------------------------------------


def test_toc_lists_notebook_chapters_in_order(tmp_path):
    root = make_book(tmp_path)
    assert [c.docname for c in nbx.toc_chapters(root)] == ["book/first", "book/second"]
    everything = nbx.toc_chapters(root, notebooks_only=False)
    assert [c.docname for c in everything] == ["book/intro", "book/first", "book/second"]


def test_resolve_chapters_by_name_or_path(tmp_path):
    root = make_book(tmp_path)
    assert nbx.resolve_chapters(["second"], root)[0].docname == "book/second"
    assert nbx.resolve_chapters(["book/first.md", "first"], root) == nbx.resolve_chapters(["first"], root)
    with pytest.raises(LookupError, match="known: first, second"):
        nbx.resolve_chapters(["intro"], root)


def test_toc_entry_without_a_file_is_an_error(tmp_path):
    root = make_book(tmp_path)
    (root / "book" / "second.md").unlink()
    with pytest.raises(FileNotFoundError, match="book/second"):
        nbx.toc_chapters(root)


def test_real_book_chapters_are_notebooks():
    chapters = nbx.toc_chapters(ROOT)
    assert "data" in [c.name for c in chapters]
    for chapter in chapters:
        assert chapter.source.suffix in {".md", ".ipynb"}


def test_repository_and_package_spec(tmp_path, monkeypatch):
    root = make_book(tmp_path)
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    assert nbx.repository(root) == ("someorg", "somebook", "trunk")
    assert nbx.package_spec(root) == "xaibook @ git+https://github.com/someorg/somebook@trunk"
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    assert nbx.package_spec(root).endswith("@abc123")
    assert nbx.package_spec(root, ref="v1").endswith("@v1")


def test_real_config_names_a_github_repository():
    org, repo, branch = nbx.repository(ROOT)
    assert org and repo and branch == "main"


# --- requirements -------------------------------------------------------------------


def test_imports_are_followed_into_the_own_package(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("import numpy\n")
    (pkg / "sub" / "__init__.py").write_text("from . import helpers\nfrom ..other import thing\n")
    (pkg / "sub" / "helpers.py").write_text("import os\ndef f():\n    import yaml\n")
    (pkg / "other.py").write_text("from jinja2 import Template as thing\n")
    (pkg / "unused.py").write_text("import tensorflow\n")
    found = nbx._third_party({"pkg.sub", "pandas.api"}, "pkg", pkg)
    assert {name.split(".")[0] for name in found} == {"numpy", "yaml", "jinja2", "pandas"}


def test_cell_magics_do_not_break_the_import_scan():
    code = nbx._cell_python("%matplotlib inline\n!ls\nimport yaml\n")
    assert nbx._imports(code) == {"yaml"}


def test_data_chapter_requirements_are_pinned_to_the_environment():
    import importlib.metadata

    chapter = nbx.resolve_chapters(["data"], ROOT)[0]
    needs = nbx.chapter_requirements(jupytext.read(chapter.source))
    assert needs["myst_nb"] == f"myst-nb=={importlib.metadata.version('myst-nb')}"
    assert "pooch" in needs  # imported inside xaibook.data, not by the chapter
    assert not set(needs) & set(sys.stdlib_module_names)
    assert "xaibook" not in needs
    for requirement in needs.values():
        assert "==" in requirement


# --- the install cell ------------------------------------------------------------


def run_install_cell(source: str, monkeypatch, *, colab: bool) -> list[list[str]]:
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: calls.append(list(args)))
    monkeypatch.delenv("XAIBOOK_INSTALL", raising=False)
    monkeypatch.delenv("XAIBOOK_PIP_SPEC", raising=False)
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(source, "<install cell>", "exec"), {})
    return calls


def test_install_cell_does_nothing_outside_colab(monkeypatch):
    cell = nbx.install_cell({"no_such_module_xyz": "nosuch==1.0"}, "xaibook @ git+https://x/y@z")
    assert run_install_cell(cell.source, monkeypatch, colab=False) == []


def test_install_cell_installs_only_what_colab_lacks(monkeypatch):
    cell = nbx.install_cell({"no_such_module_xyz": "nosuch==1.0", "json": "json==0"},
                            "xaibook @ git+https://x/y@z")
    calls = run_install_cell(cell.source, monkeypatch, colab=True)
    assert len(calls) == 1
    args = calls[0]
    assert args[:4] == [sys.executable, "-m", "pip", "install"]
    assert "nosuch==1.0" in args
    assert "json==0" not in args  # importable already
    # xaibook is importable here (editable install), so it is not reinstalled.
    assert not any(a.startswith("xaibook @") for a in args)
    assert cell.metadata["tags"] == [nbx.INSTALL_TAG]


def test_install_cell_spec_can_be_overridden(monkeypatch):
    cell = nbx.install_cell({}, "xaibook @ git+https://x/y@z")
    namespace = {}
    monkeypatch.setenv("XAIBOOK_INSTALL", "1")
    monkeypatch.setenv("XAIBOOK_PIP_SPEC", "/some/path")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: None)
    exec(cell.source, namespace)
    assert namespace["_requirements"]["xaibook"] == "/some/path"


# --- export --------------------------------------------------------------------------


def test_export_puts_the_install_cell_first_and_keeps_the_chapter(tmp_path):
    root = make_book(tmp_path)
    chapter = nbx.resolve_chapters(["first"], root)[0]
    nb = nbx.export_notebook(chapter, spec="xaibook @ git+https://x/y@z")
    source = jupytext.read(chapter.source)
    assert nb.cells[0].metadata["tags"] == [nbx.INSTALL_TAG]
    assert [c.source for c in nb.cells[1:]] == [c.source for c in source.cells]
    assert [c.cell_type for c in nb.cells[1:]] == [c.cell_type for c in source.cells]
    assert nb.cells[4].metadata["tags"] == ["remove-cell"]
    assert "jupytext" not in nb.metadata
    assert nb.metadata["kernelspec"]["name"] == "python3"
    nbformat.validate(nb)
    # Stable: a second export is byte-identical.
    assert nbformat.writes(nb) == nbformat.writes(nbx.export_notebook(chapter, spec="xaibook @ git+https://x/y@z"))


def test_outputs_come_from_the_executed_notebook(tmp_path):
    root = make_book(tmp_path)
    chapter = nbx.resolve_chapters(["first"], root)[0]
    executed = jupytext.read(chapter.source)
    fingerprint = nbformat.v4.new_code_cell("# fingerprint", metadata={"tags": ["remove-cell"]})
    executed.cells.insert(0, fingerprint)
    code = [c for c in executed.cells if c.cell_type == "code"]
    code[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    code[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text='{"x": 2}\n')]
    target = chapter.executed()
    target.parent.mkdir(parents=True)
    nbformat.write(executed, target)

    nb = nbx.export_notebook(chapter, spec="s")
    outputs = [c.outputs for c in nb.cells if c.cell_type == "code"]
    assert outputs[0] == []  # the install cell
    assert outputs[1][0]["data"]["text/plain"] == "2"
    assert outputs[2][0]["text"] == '{"x": 2}\n'
    bare = nbx.export_notebook(chapter, spec="s", with_outputs=False)
    assert all(c.outputs == [] for c in bare.cells if c.cell_type == "code")


def test_publish_to_site_writes_notebooks_and_fixes_colab_links(tmp_path):
    root = make_book(tmp_path)
    site = root / "_build" / "html"
    (site / "book").mkdir(parents=True)
    theme_link = "https://colab.research.google.com/github/someorg/somebook/blob/trunk/book/first.md"
    (site / "book" / "first.html").write_text(f'<a href="{theme_link}">Colab</a>'
                                              '<a href="../_sources/book/first.ipynb">.ipynb</a>')
    (site / "book" / "second.html").write_text("<p>no buttons</p>")
    chapters = nbx.toc_chapters(root)
    for _ in range(2):  # idempotent
        written = nbx.publish_to_site(chapters, site, spec="s")
    assert written == [site / "_sources/book/first.ipynb", site / "_sources/book/second.ipynb"]
    html = (site / "book" / "first.html").read_text()
    assert theme_link not in html
    assert ('href="https://colab.research.google.com/github/someorg/somebook/blob/gh-pages/'
            '_sources/book/first.ipynb"') in html
    nb = nbformat.read(site / "_sources/book/first.ipynb", as_version=4)
    assert nb.cells[0].metadata["tags"] == [nbx.INSTALL_TAG]


def test_publish_needs_the_built_pages(tmp_path):
    root = make_book(tmp_path)
    with pytest.raises(FileNotFoundError, match="build the book first"):
        nbx.publish_to_site(nbx.toc_chapters(root), root / "_build" / "html")


def test_cli_exports_and_lists(tmp_path, monkeypatch, capsys):
    root = make_book(tmp_path)
    monkeypatch.chdir(root)
    assert cli_main(["notebooks", "--list"]) == 0
    assert capsys.readouterr().out.split() == ["first", "second"]
    assert cli_main(["notebooks", "second", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "book" / "second.ipynb").is_file()
    assert cli_main(["notebooks", "nope"]) == 2


# --- the exported notebook runs top to bottom (as on Colab, less the install) -------


@pytest.mark.slow
def test_exported_data_chapter_runs_top_to_bottom(tmp_path):
    if not os.environ.get("XAIBOOK_DATA_MIRROR") and not Path("~/.cache/xaibook").expanduser().is_dir():
        pytest.skip("needs the datasets (XAIBOOK_DATA_MIRROR)")
    from nbclient import NotebookClient

    chapter = nbx.resolve_chapters(["data"], ROOT)[0]
    nb = nbx.export_notebook(chapter, with_outputs=False)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "book")}}).execute()
    assert nb.cells[0].outputs == []  # not on Colab: the install cell is silent
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o["output_type"] == "error"]
    assert errors == []
    assert any(o.get("data", {}).get("text/html") for c in nb.cells if c.cell_type == "code"
               for o in c.outputs)
    json.dumps(nb)  # serialisable


def test_chart_placeholders_become_standard_altair_html():
    spec = {"mark": "bar", "data": {"values": [{"a": 1}]}, "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    output = nbformat.v4.new_output("display_data", {
        "text/html": '<div class="xaibook-chart" id="xaibook-chart-1"></div>',
        "application/vnd.vegalite.v6+json": spec, "text/plain": "<Chart>"})
    nbx._online_chart(output)
    html = output["data"]["text/html"]
    assert "xaibook-chart" not in html and "vegaEmbed" in html
    assert output["data"]["application/vnd.vegalite.v6+json"] == spec
    again = nbformat.v4.new_output("display_data", {
        "text/html": '<div class="xaibook-chart" id="xaibook-chart-1"></div>',
        "application/vnd.vegalite.v6+json": spec, "text/plain": "<Chart>"})
    nbx._online_chart(again)
    assert again["data"]["text/html"] == html  # deterministic
    plain = nbformat.v4.new_output("display_data", {"text/html": "<b>table</b>"})
    nbx._online_chart(plain)
    assert plain["data"]["text/html"] == "<b>table</b>"
