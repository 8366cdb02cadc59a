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

        ```{code-cell} ipython3
        :tags: [remove-cell]

        y = 3
        ```

        Here x is {glue:text}`x` {cite:p}`angwin2016machine`, a {term}`proxy`.

        ```{code-cell} ipython3
        :tags: [remove-cell]

        z = 4
        ```

        ```{glue:figure} pic
        :alt: a picture

        A caption.
        ```

        ````{exercise} Try
        :label: first-ex-1

        Do it.
        ````

        ````{solution-start} first-ex-1
        :class: dropdown
        ````

        ```{code-cell} ipython3
        print('solved')
        ```

        ````{solution-end}
        ````
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
    from xaibook.book.imports import cell_python, imports

    code = cell_python("%matplotlib inline\n!ls\nimport yaml\n")
    assert imports(code) == {"yaml"}


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


# --- the runtime environment ---------------------------------------------------------


def test_runtime_files_are_generated_from_the_pins():
    """requirements-runtime.txt & co. are what `--runtime-requirements` writes now."""
    expected = nbx.runtime_requirements(ROOT)
    for name in nbx.RUNTIME_FILES:
        assert (ROOT / name).read_text() == expected[name], (
            f"{name} is stale: run .venv/bin/xaibook notebooks --runtime-requirements")


def test_runtime_set_is_lean_complete_and_pinned():
    pins = nbx._pins(ROOT)
    constraints = nbx.runtime_pins(ROOT)
    lower = {nbx._canonical(n) for n in constraints}
    for name, version in constraints.items():
        assert pins[nbx._canonical(name)][1] == version  # the tested versions
    # the build tools and PDPbox's declared-but-unused dependencies stay out
    for heavy in ("sphinx", "jupyter-book", "pytest", "playwright", "xgboost", "nvidia-nccl-cu12", "myst-nb"):
        assert heavy not in lower
    # every undeclared import and what PDPbox really imports are in
    assert {"six", "plotly", "pqdm", "pdpbox", "ipykernel", "tensorflow", "fairml"} <= lower
    binder = (ROOT / "binder" / "requirements.txt").read_text().lower()
    assert "pdpbox==" not in binder and "six==" in binder
    assert "--ignore-requires-python" not in (ROOT / "src/xaibook/book/notebooks.py").read_text()


# --- the setup cell ------------------------------------------------------------------


def run_install_cell(source: str, monkeypatch, *, colab: bool, versions=None) -> list[list[str]]:
    import importlib.metadata

    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: calls.append(list(args)))
    monkeypatch.delenv("XAIBOOK_INSTALL", raising=False)
    monkeypatch.delenv("XAIBOOK_PIP_SPEC", raising=False)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    monkeypatch.setitem(sys.modules, "myst_nb", sys.modules.get("myst_nb"))  # restored after
    if versions is not None:
        real = importlib.metadata.version

        def fake(dist):
            if dist in versions:
                if versions[dist] is None:
                    raise importlib.metadata.PackageNotFoundError(dist)
                return versions[dist]
            return real(dist)
        monkeypatch.setattr(importlib.metadata, "version", fake)
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    namespace = {}
    exec(compile(source, "<install cell>", "exec"), namespace)
    return calls, namespace


def test_install_cell_does_nothing_outside_colab(monkeypatch):
    cell = nbx.install_cell({"nosuch": "1.0"}, "xaibook @ git+https://x/y@z")
    calls, _ = run_install_cell(cell.source, monkeypatch, colab=False)
    assert calls == []


def test_install_cell_installs_the_tested_versions_on_colab(monkeypatch):
    cell = nbx.install_cell({"nosuch": "1.0", "numpy": "2.4.6", "six": "1.17.0"},
                            "xaibook @ git+https://x/y@z")
    calls, _ = run_install_cell(cell.source, monkeypatch, colab=True,
                                versions={"nosuch": None, "numpy": "1.26.0", "six": "1.17.0"})
    assert len(calls) == 1  # xaibook is installed here (editable), so not again
    args = calls[0]
    assert args[:4] == [sys.executable, "-m", "pip", "install"]
    assert "--no-deps" in args and "--ignore-requires-python" not in args
    assert "nosuch==1.0" in args and "numpy==2.4.6" in args  # missing, and other version
    assert "six==1.17.0" not in args  # already the tested version
    assert cell.metadata["tags"] == [nbx.INSTALL_TAG]
    assert cell.metadata["jupyter"]["source_hidden"] and cell.metadata["cellView"] == "form"


def test_install_cell_spec_can_be_overridden(monkeypatch):
    import importlib.metadata

    cell = nbx.install_cell({}, "xaibook @ git+https://x/y@z")
    monkeypatch.setenv("XAIBOOK_INSTALL", "1")
    monkeypatch.setenv("XAIBOOK_PIP_SPEC", "/some/path")
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, **k: calls.append(list(args)))
    monkeypatch.setitem(sys.modules, "myst_nb", sys.modules.get("myst_nb"))
    real = importlib.metadata.version

    def not_installed(dist):
        if dist == "xaibook":
            raise importlib.metadata.PackageNotFoundError(dist)
        return real(dist)
    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    exec(cell.source, {})
    assert calls[-1][-1] == "/some/path"


def test_setup_cell_replaces_myst_nb_glue(monkeypatch, capsys):
    cell = nbx.install_cell({}, "s")
    _, namespace = run_install_cell(cell.source, monkeypatch, colab=False)
    from myst_nb import glue  # the shim, in the notebook's kernel

    shown = []
    monkeypatch.setitem(namespace, "_display", shown.append)
    namespace["_glue"].__globals__["_display"] = shown.append
    glue("quiet", 41, display=False)
    glue("loud", 42)
    namespace["show_glued"]("quiet")
    assert shown == [42, 41]


# --- MyST resolved -------------------------------------------------------------------


BIB = r"""
@article{angwin2016machine,
  author = {Angwin, Julia and Larson, Jeff and Mattu, Surya and Kirchner, Lauren},
  title = {Machine Bias},
  journal = {ProPublica},
  year = {2016},
  url = {https://example.org/mb},
}
@misc{hofmann1994,
  author = {Hofmann, Hans},
  title = {Statlog ({German} Credit Data)},
  year = 1994,
}
@book{gromping,
  author = {Gr{\"o}mping, Ulrike and Smith, A.},
  title = "South German",
  year = {2019},
}
"""


def test_bibtex_and_author_year():
    bib = nbx.parse_bibtex(BIB)
    assert set(bib) == {"angwin2016machine", "hofmann1994", "gromping"}
    assert bib["hofmann1994"]["title"] == "Statlog (German Credit Data)"
    assert nbx.author_year(bib["angwin2016machine"]) == ("Angwin et al.", "2016")
    assert nbx.author_year(bib["hofmann1994"]) == ("Hofmann", "1994")
    assert nbx.author_year(bib["gromping"]) == ("Grömping and Smith", "2019")
    refs = nbx.bibliography_markdown(["hofmann1994", "angwin2016machine"], bib)
    assert refs.index("Angwin") < refs.index("Hofmann") and "<https://example.org/mb>" in refs


def make_ctx(**glue):
    return nbx._Context({k: {"text/plain": v} for k, v in glue.items()}, nbx.parse_bibtex(BIB),
                        {"sec-x": "The section"}, True)


def test_roles_become_plain_markdown():
    ctx = make_ctx(acc="0.8512", n="'1,000'", name="'COMPAS'")
    text = ("Accuracy {glue:text}`acc:.1%` on {glue:text}`n` rows of {glue}`name`, "
            "as {cite:t}`angwin2016machine` found {cite:p}`angwin2016machine,hofmann1994`; "
            "a {term}`proxy` or a {term}`protected attribute <protected-attribute>`; "
            "see {ref}`sec-x` and {ref}`this part <sec-x>`, $x$ and {math}`y^2`.")
    out = nbx.resolve_roles(text, ctx)
    assert out == ("Accuracy 85.1% on 1,000 rows of COMPAS, as Angwin et al. (2016) found "
                   "(Angwin et al., 2016; Hofmann, 1994); a proxy or a protected attribute; "
                   "see The section and this part, $x$ and $y^2$.")
    assert ctx.cited == ["angwin2016machine", "hofmann1994"]


def test_directives_exercises_and_glued_figures():
    ctx = make_ctx(k="3")
    ctx.glue["fig"] = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
    source = textwrap.dedent("""\
        (sec-a)=
        ## A part

        ```{note}
        Worth {glue:text}`k` words.
        ```

        ```{glue:figure} fig
        :alt: a picture
        :name: fig-a

        The caption with {term}`proxy`.
        ```

        See {numref}`Figure %s <fig-a>`.

        ````{exercise} Try it
        :label: ch-ex-1

        Do {glue:text}`k` things.
        ````

        ````{solution-start} ch-ex-1
        :class: dropdown
        ````
        """)
    cells = nbx.resolve_markdown(source, ctx)
    kinds = [c.cell_type for c in cells]
    assert kinds == ["markdown", "code", "markdown", "markdown"]
    assert "(sec-a)=" not in cells[0].source and "> **Note**" in cells[0].source
    assert "Worth 3 words." in cells[0].source
    assert cells[1].source.startswith("show_glued('fig')")
    assert cells[1].outputs[0]["data"]["image/png"] == "iVBORw0KGgo="
    assert cells[2].source == "*Figure 1. The caption with proxy.*"
    assert "See Figure 1." in cells[3].source
    assert "### Exercise 1: Try it" in cells[3].source and "Do 3 things." in cells[3].source
    assert "Solution to Exercise 1" in cells[3].source
    assert ctx.in_solution == "Solution to Exercise 1"
    assert not any("{" in c.source for c in cells if c.cell_type == "markdown")


def test_export_resolves_myst_and_folds_bookkeeping(tmp_path):
    root = make_book(tmp_path)
    (root / "book" / "references.bib").write_text(BIB)
    chapter = nbx.resolve_chapters(["first"], root)[0]
    executed = jupytext.read(chapter.source)
    executed.cells.insert(0, nbformat.v4.new_code_cell("# fingerprint", metadata={"tags": ["remove-cell"]}))
    code = [c for c in executed.cells if c.cell_type == "code"]
    code[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    code[2].outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="2026-01-01 10:00:00.1: I tensorflow noise\n"),
        nbformat.v4.new_output("display_data", {"application/papermill.record/text/plain": "2"},
                               metadata={"scrapbook": {"name": "x", "mime_prefix": "application/papermill.record/"}})]
    for cell in code[3:]:
        cell.outputs = [nbformat.v4.new_output("display_data", {
            "application/papermill.record/image/png": "iVBORw0KGgo=",
            "application/papermill.record/text/plain": "<Figure>"},
            metadata={"scrapbook": {"name": "pic", "mime_prefix": "application/papermill.record/"}})]
    target = chapter.executed()
    target.parent.mkdir(parents=True)
    nbformat.write(executed, target)

    nb = nbx.export_notebook(chapter, spec="xaibook @ git+https://x/y@z")
    nbformat.validate(nb)
    text = json.dumps(nb)
    for raw in ("{glue", "{cite", "{term", "glue:figure", "papermill.record", "tensorflow noise"):
        assert raw not in text
    assert nb.cells[0].metadata["tags"] == [nbx.INSTALL_TAG]
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "x is 2 (Angwin et al., 2016)" in markdown and "a proxy" in markdown
    assert nb.cells[-1].source.startswith("## References") and "Machine Bias" in nb.cells[-1].source
    folded = [c for c in nb.cells if nbx.SETUP_TAG in c.metadata.get("tags", [])]
    assert len(folded) == 2  # two bookkeeping cells in a row became one (plus the later one)
    assert folded[0].metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    assert folded[0].source.startswith("# @title") and "json.dumps" in folded[0].source
    assert folded[0].outputs == []  # noise and glue records gone
    figure = next(c for c in nb.cells if "figure" in c.metadata.get("tags", []))
    assert figure.outputs[0]["data"]["image/png"] == "iVBORw0KGgo="
    solution = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert len(solution) == 1 and solution[0].metadata["jupyter"]["source_hidden"]
    assert "print('solved')" in solution[0].source
    assert nb.metadata["xaibook"]["unresolved_glue"] == []
    # Stable: a second export is byte-identical.
    assert nbformat.writes(nb) == nbformat.writes(nbx.export_notebook(chapter, spec="xaibook @ git+https://x/y@z"))
    bare = nbx.export_notebook(chapter, spec="s", with_outputs=False)
    assert all(c.outputs == [] for c in bare.cells if c.cell_type == "code")
    assert "x is 2" in "\n".join(c.source for c in bare.cells if c.cell_type == "markdown")


def test_publish_to_site_writes_notebooks_and_fixes_colab_links(tmp_path):
    root = make_book(tmp_path)
    site = root / "_build" / "html"
    (site / "book").mkdir(parents=True)
    theme_link = "https://colab.research.google.com/github/someorg/somebook/blob/trunk/book/first.md"
    binder_link = "https://mybinder.org/v2/gh/someorg/somebook/trunk?urlpath=lab/tree/book/first.md"
    (site / "book" / "first.html").write_text(f'<a href="{theme_link}">Colab</a>'
                                              f'<a href="{binder_link}">Binder</a>'
                                              '<a href="../_sources/book/first.ipynb">.ipynb</a>')
    (site / "book" / "second.html").write_text("<p>no buttons</p>")
    models = tmp_path / "models"
    models.mkdir()
    (models / "m-1.keras").write_bytes(b"weights")
    (models / "m-1.json").write_text("{}")
    (models / "actmax-1.npz").write_bytes(b"images")        # cached activation maximization
    (models / ".actmax-2.123.tmp.npz").write_bytes(b"half")  # an unfinished write
    (models / "notes.txt").write_text("not a model")
    chapters = nbx.toc_chapters(root)
    for _ in range(2):  # idempotent
        written = nbx.publish_to_site(chapters, site, spec="s", ref="abc123", model_dir=models)
    assert binder_link not in (site / "book" / "first.html").read_text()
    assert ("https://mybinder.org/v2/gh/someorg/somebook/abc123?urlpath=lab/tree/notebooks/book/first.ipynb"
            in (site / "book" / "first.html").read_text())
    digest = (site / "models" / "models.tar.sha256").read_text().split()[0]
    got = nbx.fetch_models(str(site / "models" / "models.tar"), digest, tmp_path / "fetched")
    assert sorted(p.name for p in got) == ["actmax-1.npz", "m-1.json", "m-1.keras"]
    with pytest.raises(ValueError, match="SHA-256"):
        nbx.fetch_models(str(site / "models" / "models.tar"), "0" * 64, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
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


# --- the real chapters, exported from the book build -------------------------------


def _exported_notebooks(tmp_path):
    folder = os.environ.get("XAIBOOK_EXPORTED")
    if folder:
        return sorted(Path(folder).rglob("*.ipynb"))
    chapters = nbx.toc_chapters(ROOT)
    if not all(c.executed().is_file() for c in chapters):
        if os.environ.get("XAIBOOK_REQUIRE_EXPORTED") == "1":
            pytest.fail("no executed chapters: build the book first (make book)")
        pytest.skip("needs the book build's executed chapters (_build/jupyter_execute) or XAIBOOK_EXPORTED")
    return [nbx.write_notebook(nbx.export_notebook(c, spec="s"), tmp_path / f"{c.name}.ipynb")
            for c in chapters]


def test_exported_notebooks_are_readable(tmp_path):
    """No MyST left for a student to decode; the Gen Z garments are an output."""
    paths = _exported_notebooks(tmp_path)
    if not paths and os.environ.get("XAIBOOK_REQUIRE_EXPORTED") == "1":
        pytest.fail("no exported notebooks")
    if not os.environ.get("XAIBOOK_EXPORTED"):
        assert {c.name for c in nbx.toc_chapters(ROOT)} <= {p.stem for p in paths}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        for raw in ("{glue", "{cite", "{term", "glue:figure", "{exercise", "{solution", "{ref}"):
            assert raw not in markdown, f"{path.name}: {raw!r} left in the text"
        assert nb.metadata["xaibook"]["unresolved_glue"] == [], path.name
        for cell in nb.cells:
            if cell.cell_type == "code" and nbx.INSTALL_TAG not in cell.metadata.get("tags", []):
                for output in cell.outputs:
                    assert output.get("name") != "stderr", f"{path.name}: stderr output"
                    assert not any(k.startswith("application/papermill") for k in output.get("data", {}))
        if path.stem == "genz":
            shop = [c for c in nb.cells if c.cell_type == "code" and "gz_shop_figure" in c.source
                    and "figure" in c.metadata.get("tags", [])]
            assert shop, "the garment figure (gz_shop_figure) is not a cell of the Gen Z notebook"
            assert any("image/png" in o.get("data", {}) for o in shop[0].outputs), (
                "the Gen Z notebook does not hold the garment figure as an output")


def test_glue_data_reads_the_glue_json_myst_nb_leaves_beside_the_notebook(tmp_path):
    """A book build keeps glued values in <doc>.glue.json, not in the notebook's outputs."""
    import json

    executed = tmp_path / "adult.ipynb"
    executed.write_text("{}")
    (tmp_path / "adult.glue.json").write_text(json.dumps({"rows": {
        "output_type": "display_data", "metadata": {"scrapbook": {"name": "rows"}},
        "data": {"text/plain": "'32,561'"}}}))
    empty = nbformat.v4.new_notebook()
    assert nbx.glue_data(empty, executed) == {"rows": {"text/plain": "'32,561'"}}
    assert nbx.glue_data(empty, tmp_path / "none.ipynb") == {}
