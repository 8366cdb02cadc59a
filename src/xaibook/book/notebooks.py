"""Export the chapters as Jupyter notebooks (``xaibook notebooks``).

The chapters are MyST notebooks (``book/*.md``, read with jupytext). Binder
opens them as they are (jupytext is in its environment, see ``binder/``), but
Colab only opens ``.ipynb`` files from GitHub, and a reader who downloads a
chapter wants a notebook. This command writes one ``.ipynb`` per chapter
listed in ``_toc.yml``:

* the cells of the MyST source, with the outputs of the executed copy that
  the book build leaves in ``_build/jupyter_execute/`` when there is one
  (matched cell by cell on their source; pass ``--no-outputs`` to skip);
* a **first cell that installs the book's code on Colab**: the ``xaibook``
  package from GitHub, and the libraries the chapter imports (directly or
  through ``xaibook``) at the versions of the pinned environment, but only
  those Colab lacks. Anywhere else (Binder, the book's environment, a
  laptop) the cell does nothing. ``XAIBOOK_INSTALL=1`` forces it and
  ``XAIBOOK_PIP_SPEC`` replaces the package's pip requirement (for tests).

Publishing with the site (``--site _build/html``, after ``jupyter-book build``)
puts each notebook where the theme's download button already points
(``_build/html/_sources/<chapter>.ipynb``) and rewrites the page's Colab button,
which the theme builds as ``colab.research.google.com/github/ORG/REPO/blob/
BRANCH/<chapter>.md`` (a Markdown file Colab cannot open), into::

    https://colab.research.google.com/github/ORG/REPO/blob/gh-pages/_sources/<chapter>.ipynb

that is, the published notebook as GitHub serves it from the branch the site
is deployed from (``--pages-branch``, ``gh-pages`` by default; see
``.github/workflows/book.yml``). ORG/REPO come from ``repository.url`` in
``_config.yml``.

Examples::

    xaibook notebooks                      # all chapters -> _build/notebooks/
    xaibook notebooks data --out /tmp/nb   # one chapter
    xaibook notebooks --site _build/html   # publish into the built site
    xaibook notebooks --list               # chapter names, one a line
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import os
import re
import sys
from functools import lru_cache
from pathlib import Path

__all__ = [
    "INSTALL_TAG",
    "PAGES_BRANCH",
    "Chapter",
    "book_root",
    "toc_chapters",
    "resolve_chapters",
    "repository",
    "package_spec",
    "chapter_requirements",
    "install_cell",
    "export_notebook",
    "merge_outputs",
    "colab_url",
    "publish_to_site",
    "chapter_runtimes",
]

#: Tag of the generated first cell (so tools can find or drop it).
INSTALL_TAG = "xaibook-colab-install"
#: Branch the site is deployed to by the workflow; Colab opens notebooks from it.
PAGES_BRANCH = "gh-pages"
COLAB_URL = "https://colab.research.google.com"
_SUFFIXES = (".md", ".ipynb")


class Chapter:
    """One chapter of the book: its source file and Sphinx docname."""

    def __init__(self, root: Path, source: Path):
        self.root = root
        self.source = source
        self.docname = source.relative_to(root).with_suffix("").as_posix()

    @property
    def name(self) -> str:
        """Short name used on the command line (``book/data`` -> ``data``)."""
        return self.docname.split("/")[-1]

    def executed(self, build_dir: Path | None = None) -> Path:
        """Where ``jupyter-book build`` leaves the executed notebook."""
        build = build_dir or self.root / "_build"
        return build / "jupyter_execute" / f"{self.docname}.ipynb"

    def __repr__(self) -> str:
        return f"Chapter({self.docname!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Chapter) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)


def book_root(start: Path | str | None = None) -> Path:
    """The folder holding ``_toc.yml``: ``start`` (default: cwd) or a parent."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file():
            return folder
    raise FileNotFoundError(f"no _toc.yml in {here} or its parents; run from the book's root")


def _read_yaml(path: Path) -> dict:
    import yaml

    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def _toc_files(entry) -> list[str]:
    """Every ``file``/``root`` value in a ``_toc.yml`` structure, in order."""
    found: list[str] = []
    if isinstance(entry, dict):
        for key in ("root", "file"):
            if isinstance(entry.get(key), str):
                found.append(entry[key])
        for key in ("parts", "chapters", "sections", "subtrees", "entries"):
            for child in entry.get(key) or []:
                found.extend(_toc_files(child))
    elif isinstance(entry, list):
        for child in entry:
            found.extend(_toc_files(child))
    return found


def _is_notebook(path: Path) -> bool:
    """A MyST/ipynb file with a kernelspec (what Jupyter Book executes)."""
    import jupytext

    return "kernelspec" in jupytext.read(path).metadata


def toc_chapters(root: Path | None = None, *, notebooks_only: bool = True) -> list[Chapter]:
    """The chapters listed in ``_toc.yml``, in order.

    With ``notebooks_only`` (the default) pages without a kernelspec (plain
    Markdown, such as the introduction) are left out: they have no code.
    """
    root = book_root(root)
    chapters = []
    for docname in _toc_files(_read_yaml(root / "_toc.yml")):
        base = root / docname
        candidates = [base] if base.suffix in _SUFFIXES else [base.with_name(base.name + s) for s in _SUFFIXES]
        source = next((p for p in candidates if p.is_file()), None)
        if source is None:
            raise FileNotFoundError(f"_toc.yml lists {docname!r} but no {docname}.md/.ipynb exists")
        if notebooks_only and not _is_notebook(source):
            continue
        chapter = Chapter(root, source)
        if chapter not in chapters:
            chapters.append(chapter)
    return chapters


def resolve_chapters(names, root: Path | None = None) -> list[Chapter]:
    """Chapters named on the command line (``data``, ``book/data``, ``book/data.md``).

    No names means every notebook chapter of the table of contents.
    """
    chapters = toc_chapters(root)
    if not names:
        return chapters
    chosen = []
    for name in names:
        key = Path(name).with_suffix("").as_posix() if Path(name).suffix in _SUFFIXES else name
        key = key.removeprefix("./")
        hits = [c for c in chapters if key in (c.docname, c.name)]
        if not hits:
            known = ", ".join(c.name for c in chapters)
            raise LookupError(f"no notebook chapter {name!r} in _toc.yml; known: {known}")
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def repository(root: Path | None = None) -> tuple[str, str, str]:
    """``(org, repo, branch)`` from ``repository:`` in ``_config.yml``."""
    config = _read_yaml(book_root(root) / "_config.yml").get("repository") or {}
    url = str(config.get("url") or "")
    match = re.match(r"https?://github\.com/([^/]+)/([^/#?]+?)(?:\.git)?/?$", url)
    if not match:
        raise ValueError(f"_config.yml repository.url must be a GitHub repository URL, got {url!r}")
    return match.group(1), match.group(2), str(config.get("branch") or "main")


def package_spec(root: Path | None = None, ref: str | None = None) -> str:
    """pip requirement that installs this package from GitHub at ``ref``.

    ``ref`` defaults to ``$GITHUB_SHA`` (the commit the site is built from, in
    GitHub Actions) and then to the repository branch of ``_config.yml``.
    """
    org, repo, branch = repository(root)
    ref = ref or os.environ.get("GITHUB_SHA") or branch
    return f"xaibook @ git+https://github.com/{org}/{repo}@{ref}"


# --- which libraries a chapter needs --------------------------------------------


def _cell_python(source: str) -> str:
    """A code cell's source as plain Python (IPython magics translated)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - fall back to dropping magic lines
        return "\n".join(line for line in source.splitlines()
                         if not line.lstrip().startswith(("%", "!")))


def _imports(code: str, package: str | None = None) -> set[str]:
    """Absolute dotted names imported by ``code`` (relative ones resolved)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if not package:
                    continue
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if not module:
                continue
            names.add(module)
            # ``from pkg import sub`` may import the submodule ``pkg.sub``.
            names.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def _own_module_file(dotted: str, package_dir: Path) -> tuple[Path, str] | None:
    """The file of ``xaibook.a.b`` and the package it belongs to, if it exists."""
    parts = dotted.split(".")[1:]
    base = package_dir.joinpath(*parts) if parts else package_dir
    if base.is_dir() and (base / "__init__.py").is_file():
        return base / "__init__.py", dotted
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py"), dotted.rpartition(".")[0]
    return None


def _third_party(names: set[str], own: str, package_dir: Path) -> set[str]:
    """Third-party modules imported by ``names``, following ``own`` package code."""
    seen: set[Path] = set()
    pending = set(names)
    outside: set[str] = set()
    while pending:
        dotted = pending.pop()
        top = dotted.split(".")[0]
        if top != own:
            if top not in sys.stdlib_module_names and top != "__future__":
                outside.add(dotted)
            continue
        # importing xaibook.a.b also runs xaibook/__init__ and xaibook/a/__init__.
        parts = dotted.split(".")
        for i in range(1, len(parts) + 1):
            found = _own_module_file(".".join(parts[:i]), package_dir)
            if found is None or found[0] in seen:
                continue
            path, package = found
            seen.add(path)
            pending |= _imports(path.read_text(encoding="utf-8"), package)
    return outside


@lru_cache(maxsize=1)
def _packages_distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _distribution(dotted: str) -> str | None:
    """The installed distribution providing module ``dotted``, if any."""
    top = dotted.split(".")[0]
    dists = sorted(set(_packages_distributions().get(top, [])))
    if len(dists) <= 1:
        return dists[0] if dists else None
    # A namespace package (``google``...): find the distribution holding the module.
    parts = dotted.split(".")
    for depth in range(len(parts), 1, -1):
        rel = "/".join(parts[:depth])
        for dist in dists:
            files = importlib.metadata.distribution(dist).files or []
            if any(str(f).startswith(rel + "/") or str(f) == rel + ".py" for f in files):
                return dist
    return None


def _import_name(dotted: str, dist: str) -> str:
    """Module to look for on Colab before installing ``dist``."""
    top = dotted.split(".")[0]
    if len(set(_packages_distributions().get(top, []))) > 1:
        return ".".join(dotted.split(".")[:2])
    return top


def chapter_requirements(nb, *, own: str = "xaibook") -> dict[str, str]:
    """``{module: "dist==version"}`` for the libraries a notebook needs.

    Imports of the chapter's code cells are followed into the ``own``
    package's source, so a library used only inside ``xaibook`` counts too.
    Versions are those installed here, i.e. the pinned environment. Modules
    that are not installed (``google.colab`` outside Colab) are left out.
    """
    import xaibook

    package_dir = Path(xaibook.__file__).resolve().parent
    names: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            names |= _imports(_cell_python(cell.source))
    needs: dict[str, str] = {}
    for dotted in sorted(_third_party(names, own, package_dir)):
        dist = _distribution(dotted)
        if dist is None or dist.lower() == own:
            continue
        module = _import_name(dotted, dist)
        if module in needs:
            continue
        version = importlib.metadata.version(dist)
        needs[module] = f"{dist}=={version}"
    return dict(sorted(needs.items(), key=lambda kv: kv[1].lower()))


# --- the notebook -----------------------------------------------------------------

_INSTALL_TEMPLATE = '''\
# On Google Colab: install this book's code and the libraries this chapter uses
# (pinned to the versions the book is built with; only what Colab lacks).
# Anywhere else (Binder, the book's own environment) this cell does nothing.
import importlib.util, os, subprocess, sys

if "google.colab" in sys.modules or os.environ.get("XAIBOOK_INSTALL") == "1":
    _requirements = {requirements}
    _requirements["xaibook"] = os.environ.get("XAIBOOK_PIP_SPEC", {spec!r})
    _missing = [req for module, req in _requirements.items()
                if importlib.util.find_spec(module) is None]
    if _missing:
        print("Installing:", ", ".join(_missing))
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                        "--ignore-requires-python", *_missing], check=True)
        importlib.invalidate_caches()
'''


def _dict_literal(mapping: dict[str, str]) -> str:
    if not mapping:
        return "{}"
    body = "".join(f"\n        {k!r}: {v!r}," for k, v in mapping.items())
    return "{" + body + "\n    }"


def install_cell(requirements: dict[str, str], spec: str):
    """The first cell of a Colab notebook (see the module docstring)."""
    import nbformat

    source = _INSTALL_TEMPLATE.format(requirements=_dict_literal(requirements), spec=spec)
    return nbformat.v4.new_code_cell(source, metadata={"tags": [INSTALL_TAG]})


_VEGALITE = re.compile(r"application/vnd\.vegalite\.v\d+\+json")


def _online_chart(output) -> None:
    """Swap the book's offline chart placeholder for Altair's standard HTML.

    The site draws charts with its own copy of Vega (``xaibook.book.altair_setup``);
    a notebook on Colab or in JupyterLab has no such copy, but has the network,
    so the published notebook shows the chart the way Altair does by default.
    """
    data = output.get("data") or {}
    spec_key = next((k for k in data if _VEGALITE.fullmatch(k)), None)
    if spec_key is None or "xaibook-chart" not in str(data.get("text/html", "")):
        return
    try:
        import altair as alt
        from altair.utils.html import spec_to_html

        digest = hashlib.sha256(json.dumps(data[spec_key], sort_keys=True).encode()).hexdigest()[:12]
        data["text/html"] = spec_to_html(
            data[spec_key], mode="vega-lite", vega_version=alt.VEGA_VERSION,
            vegalite_version=alt.VEGALITE_VERSION, vegaembed_version=alt.VEGAEMBED_VERSION,
            fullhtml=False, output_div=f"vis-{digest}")
    except Exception:  # noqa: BLE001 - without Altair, fall back on the spec and text
        data.pop("text/html", None)


def merge_outputs(nb, executed) -> int:
    """Copy outputs of ``executed`` into ``nb``'s code cells with the same source.

    Cells are matched in order; code cells only in ``executed`` (such as the
    build's fingerprint cell) are skipped. Returns the number of cells filled.
    """
    ran = [c for c in executed.cells if c.cell_type == "code"]
    filled = 0
    position = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for j in range(position, len(ran)):
            if ran[j].source.strip() == cell.source.strip():
                cell.outputs = ran[j].get("outputs", [])
                for output in cell.outputs:
                    _online_chart(output)
                cell.execution_count = ran[j].get("execution_count")
                position = j + 1
                filled += 1
                break
    return filled


def export_notebook(chapter: Chapter, *, spec: str | None = None, with_outputs: bool = True,
                    build_dir: Path | None = None):
    """The chapter as an ``nbformat`` notebook with the install cell first."""
    import jupytext
    import nbformat

    nb = jupytext.read(chapter.source)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    requirements = chapter_requirements(nb)
    nb.cells.insert(0, install_cell(requirements, spec or package_spec(chapter.root)))
    executed = chapter.executed(build_dir)
    if with_outputs and executed.is_file():
        merge_outputs(nb, nbformat.read(executed, as_version=4))
    nb.metadata.pop("jupytext", None)
    nb.metadata["colab"] = {"name": f"{chapter.name}.ipynb", "toc_visible": True}
    nb.metadata.setdefault("language_info", {"name": "python"})
    nb.nbformat, nb.nbformat_minor = 4, 5
    # Cell ids: stable across exports, so republishing gives the same bytes.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{chapter.name}-{i}"[:64]
    nbformat.validate(nb)
    return nb


def write_notebook(nb, path: Path) -> Path:
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        nbformat.write(nb, fh)
    return path


# --- publishing with the site ------------------------------------------------------


def colab_url(org: str, repo: str, branch: str, path: str) -> str:
    """Colab's URL for a notebook at ``path`` on ``branch`` of a GitHub repository."""
    return f"{COLAB_URL}/github/{org}/{repo}/blob/{branch}/{path}"


def publish_to_site(chapters, site: Path, *, pages_branch: str = PAGES_BRANCH,
                    spec: str | None = None, with_outputs: bool = True) -> list[Path]:
    """Write each chapter's notebook into the built site and fix its Colab link.

    Returns the notebooks written. Raises ``FileNotFoundError`` when a
    chapter's page is missing (build the book first).
    """
    written = []
    for chapter in chapters:
        org, repo, branch = repository(chapter.root)
        page = site / f"{chapter.docname}.html"
        if not page.is_file():
            raise FileNotFoundError(f"{page} is missing; build the book first (make book)")
        target = site / "_sources" / f"{chapter.docname}.ipynb"
        nb = export_notebook(chapter, spec=spec, with_outputs=with_outputs,
                             build_dir=site.parent)
        written.append(write_notebook(nb, target))
        html = page.read_text(encoding="utf-8")
        new = colab_url(org, repo, pages_branch, f"_sources/{chapter.docname}.ipynb")
        old = re.compile(re.escape(f"{COLAB_URL}/github/{org}/{repo}/blob/") + r"[^\"'/]+/"
                         + re.escape(chapter.docname) + r"\.(?:md|ipynb)")
        html, count = old.subn(new, html)
        if count:
            page.write_text(html, encoding="utf-8")
        elif new not in html:  # (already rewritten by an earlier run: fine)
            print(f"note: no Colab button on {page} (launch_buttons.colab_url unset?)",
                  file=sys.stderr)
    return written


def chapter_runtimes(root: Path | None = None) -> dict[str, float]:
    """Seconds each chapter last took to execute, from the book's jupyter-cache."""
    root = book_root(root)
    config = _read_yaml(root / "_config.yml").get("execute") or {}
    cache_dir = root / config.get("cache", "_build/.jupyter_cache")
    if not cache_dir.is_dir():
        return {}
    from jupyter_cache import get_cache

    latest: dict[str, tuple] = {}
    for record in get_cache(str(cache_dir)).list_cache_records():
        seconds = (record.data or {}).get("execution_seconds")
        if seconds is None:
            continue
        uri = Path(record.uri).resolve()
        if uri not in latest or record.created > latest[uri][0]:
            latest[uri] = (record.created, float(seconds))
    times = {}
    for chapter in toc_chapters(root):
        if chapter.source.resolve() in latest:
            times[chapter.name] = latest[chapter.source.resolve()][1]
    return times


# --- command line -------------------------------------------------------------------


def add_arguments(parser) -> None:
    parser.add_argument("chapters", nargs="*", metavar="CHAPTER",
                        help="chapters to export (name such as 'data', or path); default: all in _toc.yml")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the notebooks (default: _build/notebooks)")
    parser.add_argument("--site", type=Path, default=None,
                        help="publish into this built site (e.g. _build/html) and fix its Colab buttons")
    parser.add_argument("--pages-branch", default=PAGES_BRANCH,
                        help=f"branch the site is deployed to, for Colab links (default: {PAGES_BRANCH})")
    parser.add_argument("--ref", default=None,
                        help="git ref the install cell installs xaibook from "
                             "(default: $GITHUB_SHA, else the branch in _config.yml)")
    parser.add_argument("--no-outputs", action="store_true",
                        help="do not copy outputs from _build/jupyter_execute")
    parser.add_argument("--list", action="store_true",
                        help="print the notebook chapters (with last run time if known) and exit")


def run(args) -> int:
    try:
        root = book_root()
        chapters = resolve_chapters(args.chapters, root)
    except (FileNotFoundError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        times = chapter_runtimes(root)
        for chapter in chapters:
            seconds = times.get(chapter.name)
            print(chapter.name if seconds is None else f"{chapter.name}\t{seconds:.1f}")
        return 0
    spec = package_spec(root, args.ref)
    if args.site is not None:
        try:
            paths = publish_to_site(chapters, args.site.resolve(), pages_branch=args.pages_branch,
                                    spec=spec, with_outputs=not args.no_outputs)
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    else:
        out = (args.out or root / "_build" / "notebooks").resolve()
        paths = []
        for chapter in chapters:
            nb = export_notebook(chapter, spec=spec, with_outputs=not args.no_outputs)
            paths.append(write_notebook(nb, out / f"{chapter.docname}.ipynb"))
    for path in paths:
        print(path)
    return 0
