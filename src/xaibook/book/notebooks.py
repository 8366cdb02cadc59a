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
from pathlib import Path

from xaibook.book.imports import (cell_python, distribution, import_closure, imports,
                                  packages_distributions)

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


def _third_party(names: set[str], own: str, package_dir: Path) -> set[str]:
    """Third-party modules imported by ``names``, following ``own`` package code."""
    return set(import_closure(names, own, package_dir).outside)


def _import_name(dotted: str, dist: str) -> str:
    """Module to look for on Colab before installing ``dist``."""
    top = dotted.split(".")[0]
    if len(set(packages_distributions().get(top, []))) > 1:
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
            names |= imports(cell_python(cell.source))
    needs: dict[str, str] = {}
    for dotted in sorted(_third_party(names, own, package_dir)):
        dist = distribution(dotted)
        if dist is None or dist.lower() == own:
            continue
        module = _import_name(dotted, dist)
        if module in needs:
            continue
        version = importlib.metadata.version(dist)
        needs[module] = f"{dist}=={version}"
    return dict(sorted(needs.items(), key=lambda kv: kv[1].lower()))


# --- the runtime environment (Binder, Colab, the CI's fresh environments) --------

#: Installed without their declared dependencies. PDPbox 0.3.0 declares Sphinx,
#: pytest, numpydoc, sphinx-rtd-theme and xgboost (which brings a 470 MB CUDA
#: library) as install requirements but imports none of them; what it does
#: import is listed here and installed in their place.
NO_DEPS = {"pdpbox": ("joblib", "matplotlib", "numpy", "pandas", "plotly", "pqdm", "psutil",
                      "scikit-learn", "tqdm")}
#: Libraries imported by a library that does not declare them.
UNDECLARED = {"fairml": ("six",)}
#: What a notebook needs besides the chapters' imports: a kernel, and what
#: Binder's postBuild needs to export the notebooks itself when it cannot
#: download the published ones (jupytext, PyYAML).
KERNEL = ("ipykernel", "jupytext", "pyyaml")
#: Imports of the chapters that the exported notebook replaces (see SETUP_TAG).
SHIMMED = {"myst-nb"}
RUNTIME_FILES = ("requirements-runtime.txt", "constraints-runtime.txt", "binder/requirements.txt")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(root: Path) -> dict[str, tuple[str, str]]:
    """``{canonical name: (name, version)}`` of the root ``requirements.txt``."""
    pins = {}
    path = root / "requirements.txt"
    for line in (path.read_text(encoding="utf-8") if path.is_file() else "").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = (part.strip() for part in line.split("==", 1))
            pins[_canonical(name)] = (name, version)
    return pins


def _requires(dist: str) -> list[str]:
    """Declared runtime requirements of an installed distribution (markers evaluated)."""
    from packaging.requirements import Requirement

    key = _canonical(dist)
    if key in NO_DEPS:
        return list(NO_DEPS[key])
    found = []
    for text in importlib.metadata.requires(dist) or []:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            found.append(_canonical(req.name))
    return found + list(UNDECLARED.get(key, ()))


def chapter_distributions(root: Path | None = None) -> set[str]:
    """Canonical names of the distributions the chapters import (directly or via xaibook)."""
    import jupytext

    root = book_root(root)
    direct: set[str] = set()
    for chapter in toc_chapters(root):
        for requirement in chapter_requirements(jupytext.read(chapter.source)).values():
            direct.add(_canonical(requirement.split("==")[0]))
    return direct - SHIMMED


def runtime_closure(direct, pins) -> set[str]:
    """``direct`` and everything they need, by declared requirements (see NO_DEPS)."""
    seen: set[str] = set()
    pending = [_canonical(d) for d in direct]
    while pending:
        name = pending.pop()
        if name in seen or name in {"setuptools", "wheel", "pip"}:
            continue
        seen.add(name)
        dist = pins.get(name, (name,))[0]
        try:
            pending.extend(_requires(dist))
        except importlib.metadata.PackageNotFoundError:
            raise LookupError(f"{dist} is needed by the chapters but not installed here; "
                              "run make setup") from None
    return seen


def runtime_requirements(root: Path | None = None) -> dict[str, str]:
    """The text of the runtime files (``RUNTIME_FILES``), from the pinned environment.

    * ``requirements-runtime.txt``: what the chapters import (directly or through
      ``xaibook``), a kernel, and the undeclared imports (``UNDECLARED``);
    * ``constraints-runtime.txt``: those and everything they need, each pinned
      at its ``requirements.txt`` version;
    * ``binder/requirements.txt``: the constraints as requirements, less the
      ``NO_DEPS`` libraries that ``binder/postBuild`` installs without their
      declared (unused) dependencies.
    """
    root = book_root(root)
    pins = _pins(root)
    direct = chapter_distributions(root) | set(KERNEL)
    for lib, extra in (*UNDECLARED.items(), *NO_DEPS.items()):
        if lib in direct:
            direct |= set(extra)
    closure = runtime_closure(direct, pins)
    missing = sorted(closure - set(pins))
    if missing:
        raise LookupError(f"not pinned in requirements.txt: {', '.join(missing)}")

    def lines(names):
        return "".join(f"{pins[n][0]}=={pins[n][1]}\n" for n in sorted(names, key=lambda n: pins[n][0].lower()))

    head = ("# Generated by `xaibook notebooks --runtime-requirements` from requirements.txt\n"
            "# (same pins; do not edit by hand). The lean environment of Binder, Colab and the\n"
            "# CI's fresh-environment notebook runs: only what the chapters import, no build tools.\n")
    nodeps = ", ".join(sorted(pins[n][0] for n in NO_DEPS))
    return {
        "requirements-runtime.txt": head + "# What the chapters import, a kernel, and undeclared imports (six for fairml).\n"
        f"# Install: pip install -r requirements-runtime.txt -c constraints-runtime.txt, then\n"
        f"#          pip install --no-deps -c constraints-runtime.txt {nodeps}\n"
        + lines(direct - set(NO_DEPS)),
        "constraints-runtime.txt": head + "# Every library the runtime needs, with what those need, pinned.\n"
        + lines(closure),
        "binder/requirements.txt": head + f"# Copy of constraints-runtime.txt less {nodeps}, which binder/postBuild\n"
        "# installs with --no-deps (repo2docker reads only binder/).\n"
        + lines(closure - set(NO_DEPS)),
    }


# --- the notebook -----------------------------------------------------------------

_INSTALL_TEMPLATE = '''\
# @title Setup: run this cell first
# On Google Colab it installs this book's code and the exact library versions
# the book was built and tested with (one to three minutes; afterwards Colab
# may ask to restart the session: do so, then run all cells again).
# Anywhere else (Binder, the book's own environment) it installs nothing.
import importlib.metadata, os, subprocess, sys, tempfile, warnings

if "google.colab" in sys.modules or os.environ.get("XAIBOOK_INSTALL") == "1":
    _pins = {pins}
    _no_deps = {no_deps!r}  # installed without their declared (unused) dependencies

    def _version(dist):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    _wrong = [f"{{d}}=={{v}}" for d, v in _pins.items() if _version(d) != v]
    if _wrong:
        print(f"Installing {{len(_wrong)}} pinned libraries ...")
        # Every library this chapter needs is listed, so nothing else is resolved.
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *_wrong],
                       check=True)
    _spec = os.environ.get("XAIBOOK_PIP_SPEC", {spec!r})
    if _version("xaibook") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", _spec],
                       check=True)
    importlib.invalidate_caches()
    _models = {models!r}  # (URL, SHA-256) of the models the book build trained
    if _models:
        try:
            from pathlib import Path
            from xaibook.book.notebooks import fetch_models
            from xaibook.data import data_home
            _dir = Path(os.environ.get("XAIBOOK_MODEL_DIR") or data_home() / "models")
            if not any(_dir.glob("*.keras")):
                print(f"Fetching the trained models ({{len(fetch_models(*_models, _dir))}} files)")
        except Exception as exc:  # the chapter trains them instead
            print(f"Trained models not fetched ({{exc}}); the chapter trains them (minutes).")
    _stale = [m for m in ("numpy", "pandas", "scipy", "sklearn", "matplotlib", "tensorflow")
              if m in sys.modules and _wrong]
    if _stale:
        print("Libraries were already loaded at other versions: restart the session "
              "(Runtime > Restart session), then run all cells again.")

# Quiet libraries: no TensorFlow start-up logs, no progress-bar warnings.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYTHONHASHSEED", "0")
warnings.filterwarnings("ignore", module="tqdm")
warnings.filterwarnings("ignore", message=".*IProgress not found.*")
# Keras 3 warns when a functional model is called with a list for a one-input model
# (tf-keras-vis and SHAP do); the result is the same, the warning is noise for students.
warnings.filterwarnings("ignore", message=".*structure of `inputs` doesn't match.*",
                        category=UserWarning)
try:
    import absl.logging
    absl.logging.set_verbosity(absl.logging.ERROR)
except ImportError:
    pass


def _quiet_native_logs():
    """Drop TensorFlow's C++ log lines (written straight to file descriptor 2)."""
    import re, threading

    noise = re.compile(rb"^(WARNING: All log messages before absl|[IWEF]\\d{{4}} \\d\\d:\\d\\d:\\d\\d|"
                       rb"\\d{{4}}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+: [IWEF] |"
                       rb"To enable the following instructions|This TensorFlow binary)")
    if getattr(sys, "_xaibook_quiet", False):
        return
    sys._xaibook_quiet = True
    read, write = os.pipe()
    shown = os.dup(2)
    os.dup2(write, 2)

    def forward():
        with os.fdopen(read, "rb", buffering=0) as pipe:
            for line in iter(pipe.readline, b""):
                if not noise.match(line):
                    os.write(shown, line)

    threading.Thread(target=forward, daemon=True).start()


try:
    if "get_ipython" in dir(__builtins__) or "IPython" in sys.modules and get_ipython() is not None:
        _quiet_native_logs()  # in a kernel only
except (OSError, NameError):
    pass

# The book's build shows values computed in hidden cells in its text (myst-nb's
# `glue`); in this notebook the text already holds them, so `glue` only keeps
# the value (and shows it when asked to) and `show_glued` draws a figure again.
import types
from IPython.display import display as _display

_glued = {{}}


def _glue(name, variable, display=True):
    _glued[name] = variable
    if display:
        _display(variable)


def show_glued(name):
    """Show the figure or chart the hidden cells computed under ``name``."""
    _display(_glued[name])


sys.modules["myst_nb"] = types.SimpleNamespace(glue=_glue)
'''


def runtime_pins(root: Path | None = None) -> dict[str, str]:
    """``{name: version}`` of ``constraints-runtime.txt`` (the Colab install cell's pins)."""
    root = book_root(root)
    path = root / "constraints-runtime.txt"
    pins = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if "==" in line:
                name, version = line.split("==", 1)
                pins[name.strip()] = version.strip()
    return pins


def _dict_literal(mapping: dict[str, str]) -> str:
    if not mapping:
        return "{}"
    body = "".join(f"\n        {k!r}: {v!r}," for k, v in mapping.items())
    return "{" + body + "\n    }"


def install_cell(requirements: dict[str, str], spec: str, no_deps=(), models=None):
    """The first cell of an exported notebook (see the module docstring).

    ``requirements`` maps distribution names to versions: every library the
    chapter needs, with what those need (Colab installs the ones whose version
    differs, with ``--no-deps``).
    """
    import nbformat

    source = _INSTALL_TEMPLATE.format(pins=_dict_literal(requirements), spec=spec,
                                      no_deps=tuple(sorted(no_deps)),
                                      models=tuple(models) if models else None)
    return nbformat.v4.new_code_cell(source, metadata={
        "tags": [INSTALL_TAG], "cellView": "form", "jupyter": {"source_hidden": True}})


def chapter_pins(nb, root: Path) -> dict[str, str]:
    """``{dist: version}`` a notebook needs: its imports, their closure, a kernel."""
    pins = _pins(root)
    direct = {_canonical(r.split("==")[0]) for r in chapter_requirements(nb).values()} - SHIMMED
    for lib, extra in UNDECLARED.items():
        if lib in direct:
            direct |= set(extra)
    try:
        closure = runtime_closure(direct | set(KERNEL), pins)
    except LookupError:
        closure = direct
    return {pins[n][0]: pins[n][1] for n in sorted(closure, key=lambda n: pins.get(n, (n,))[0].lower())
            if n in pins}


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


# --- MyST the notebook format does not know -----------------------------------------

#: Tag of cells the export folds or collapses (the book hides them).
SETUP_TAG = "xaibook-setup"
_RECORD = "application/papermill.record/"
_ROLE = re.compile(r"\{(?P<role>[a-zA-Z][\w:+-]*)\}`(?P<content>[^`]*)`")
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|:{3,})\{(?P<name>[^}]+)\}\s*(?P<arg>.*?)\s*$")
_TARGET = re.compile(r"^\s*\((?P<label>[^()\s]+)\)=\s*$")
_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*$")
_ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger",
                "error", "seealso", "admonition", "margin", "sidebar", "epigraph", "topic"}
_DROP = {"bibliography", "tableofcontents", "solution-end", "index", "glossary-end"}


def glued_outputs(executed, path: Path | None = None) -> dict[str, dict]:
    """``{key: output}`` of every value an executed notebook glued (myst-nb), mime prefixes stripped.

    A book build's notebook (``path`` in ``_build/jupyter_execute``) has its
    glue outputs moved by myst-nb into the ``<doc>.glue.json`` beside it; a
    notebook run elsewhere (``scripts/run_chapter.py --keep``) keeps them in
    its outputs. Both are read; an output in the notebook wins.
    """
    found: dict[str, dict] = {}
    glue_json = Path(path).with_suffix(".glue.json") if path is not None else None
    if glue_json is not None and glue_json.is_file():
        found.update(json.loads(glue_json.read_text(encoding="utf-8")))
    for cell in executed.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            name = ((output.get("metadata") or {}).get("scrapbook") or {}).get("name")
            if name:
                found[name] = output
    return {name: {**output, "data": {k.removeprefix(_RECORD): v
                                      for k, v in (output.get("data") or {}).items()}}
            for name, output in found.items()}


def glue_data(executed, path: Path | None = None) -> dict[str, dict]:
    """``{key: {mime: value}}`` of every glued value (see :func:`glued_outputs`)."""
    return {name: output["data"] for name, output in glued_outputs(executed, path).items()}


def _plain(text: str, fmt: str) -> str:
    """myst-nb's ``format_plain_text``: literal-eval, then format."""
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not fmt:
        return str(value)
    kind = fmt[-1]
    try:
        if kind == "s":
            value = str(value)
        elif kind in "bcdoxX":
            value = int(value)
        elif kind in "eEfFgGn%":
            value = float(value)
        return format(value, fmt)
    except (TypeError, ValueError):
        return str(value)


_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "c": "\u0327"}


def _latex_text(value: str) -> str:
    """BibTeX field text as Unicode: accents (``{\\"o}`` -> ö), no braces, one space."""
    import unicodedata

    value = re.sub(r"\\([\"'`^~]|c\s)\s*\{?([A-Za-z])\}?",
                   lambda m: unicodedata.normalize("NFC", m.group(2) + _ACCENTS[m.group(1).strip()]), value)
    value = value.replace("\\&", "&").replace("--", "\u2013").replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", value).strip()


def parse_bibtex(text: str) -> dict[str, dict[str, str]]:
    """A small BibTeX reader: ``{key: {field: value}}`` (braces and quotes removed)."""
    entries: dict[str, dict[str, str]] = {}
    for match in re.finditer(r"@(\w+)\s*\{\s*([^,\s]+)\s*,", text):
        kind, key = match.group(1).lower(), match.group(2)
        if kind in {"comment", "string", "preamble"}:
            continue
        i, depth, fields = match.end(), 1, {"ENTRYTYPE": kind}
        body_start = i
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[body_start:i - 1]
        pos = 0
        while True:
            field = re.compile(r"\s*(\w[\w-]*)\s*=\s*").match(body, pos)
            if not field:
                break
            pos = field.end()
            if pos < len(body) and body[pos] == "{":
                depth, start = 0, pos
                while pos < len(body):
                    depth += {"{": 1, "}": -1}.get(body[pos], 0)
                    pos += 1
                    if depth == 0:
                        break
                value = body[start + 1:pos - 1]
            elif pos < len(body) and body[pos] == '"':
                end = body.index('"', pos + 1)
                value, pos = body[pos + 1:end], end + 1
            else:
                end = re.compile(r"[,}]|$").search(body, pos).start()
                value, pos = body[pos:end].strip(), end
            fields[field.group(1).lower()] = _latex_text(value)
            comma = body.find(",", pos)
            if comma < 0:
                break
            pos = comma + 1
        entries[key] = fields
    return entries


def _surname(name: str) -> str:
    name = name.strip()
    if "," in name:
        return name.split(",")[0].strip()
    return name.split()[-1] if name.split() else name


def _authors(entry: dict) -> list[str]:
    raw = entry.get("author") or entry.get("editor") or entry.get("organization") or entry.get("title", "?")
    return [a.strip() for a in re.split(r"\s+and\s+", raw) if a.strip()]


def author_year(entry: dict) -> tuple[str, str]:
    """``("Angwin et al.", "2016")``: the author-year label of a BibTeX entry."""
    names = [_surname(a) if " " in a or "," in a else a for a in _authors(entry)]
    if len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return who, entry.get("year", "n.d.")


def bibliography_markdown(keys, bib: dict) -> str:
    """The "References" cell: each cited entry, author-year, sorted."""
    items = []
    for key in keys:
        entry = bib.get(key)
        if entry is None:
            continue
        authors = " and ".join(_authors(entry))
        venue = entry.get("journal") or entry.get("booktitle") or entry.get("publisher") or entry.get("howpublished") or ""
        url = entry.get("url") or (f"https://doi.org/{entry['doi']}" if entry.get("doi") else "")
        text = f"{authors} ({entry.get('year', 'n.d.')}). {entry.get('title', '')}."
        if venue:
            text += f" *{venue}*."
        if url:
            text += f" <{url}>"
        items.append((author_year(entry), f"- {text}"))
    items.sort(key=lambda item: (item[0][0].lower(), item[0][1]))
    return "## References\n\n" + "\n".join(line for _, line in items)


class _Context:
    """What resolving one chapter needs, and what it found on the way."""

    def __init__(self, glue: dict, bib: dict, labels: dict, with_outputs: bool):
        self.glue, self.bib, self.labels, self.with_outputs = glue, bib, labels, with_outputs
        self.cited: list[str] = []
        self.exercises: dict[str, int] = {}
        self.figures: dict[str, int] = {}
        self.in_solution: str | None = None
        self.missing: list[str] = []


def book_labels(root: Path) -> dict[str, str]:
    """``{label: heading text}`` of every ``(label)=`` target above a heading in ``book/``."""
    labels = {}
    for path in sorted(root.glob("book/*.md")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            target = _TARGET.match(line)
            if target:
                following = next((l for l in lines[i + 1:] if l.strip()), "")
                heading = _HEADING.match(following)
                if heading:
                    labels[target.group("label")] = heading.group("title")
    return labels


def _display_text(content: str) -> tuple[str, str]:
    """``("text", "target")`` of a role's content ``text <target>`` (or the content twice)."""
    match = re.fullmatch(r"\s*(.*?)\s*<([^<>]+)>\s*", content, re.S)
    if match and match.group(1):
        return match.group(1), match.group(2)
    return content.strip(), content.strip()


def _glue_text(key_fmt: str, ctx: _Context, markdown: bool = False) -> str:
    key, _, fmt = key_fmt.partition(":")
    key = key.split("::")[-1].strip()
    data = ctx.glue.get(key)
    if data is None:
        ctx.missing.append(key)
        return f"`{key}`"
    if markdown and "text/markdown" in data:
        return str(data["text/markdown"]).strip()
    if "text/plain" not in data:
        return f"`{key}`"
    return _plain(str(data["text/plain"]), fmt.strip())


def resolve_roles(text: str, ctx: _Context) -> str:
    """Inline MyST roles as plain Markdown (glue values, citations, terms, refs)."""

    def one(match):
        role, content = match.group("role").lower(), match.group("content")
        if role in {"glue", "glue:", "glue:text", "glue:any"}:
            return _glue_text(content, ctx)
        if role == "glue:md":
            return _glue_text(content, ctx, markdown=True)
        if role.startswith("cite"):
            keys = [k.strip() for k in content.split(",") if k.strip()]
            labels = []
            for key in keys:
                if key not in ctx.cited:
                    ctx.cited.append(key)
                labels.append(author_year(ctx.bib[key]) if key in ctx.bib else (key, ""))
            if role in {"cite:t", "cite:ts", "cite:alt", "cite:label"}:
                return "; ".join(f"{who} ({year})" for who, year in labels)
            return "(" + "; ".join(f"{who}, {year}" for who, year in labels) + ")"
        if role in {"math", "m"}:
            return f"${content}$"
        if role in {"sub", "sup"}:
            return f"<{role}>{content}</{role}>"
        text, target = _display_text(content)
        if role in {"ref", "numref", "doc", "eq", "prf:ref"} and text == target:
            if target in ctx.exercises:
                return f"Exercise {ctx.exercises[target]}"
            if target in ctx.figures:
                return f"Figure {ctx.figures[target]}"
            return ctx.labels.get(target, target.replace("-", " "))
        if role == "numref" and "%s" in text:
            number = ctx.figures.get(target) or ctx.exercises.get(target) or ""
            return text.replace("%s", str(number)).strip()
        return text

    return _ROLE.sub(one, text)


def _split_directive(lines: list[str], start: int):
    """The directive opening at ``lines[start]``: (name, arg, options, body lines, next index)."""
    match = _FENCE.match(lines[start])
    fence = match.group("fence")
    end = start + 1
    closing = re.compile(r"^\s*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
    while end < len(lines) and not closing.match(lines[end]):
        end += 1
    body = lines[start + 1:end]
    options: dict[str, str] = {}
    if body and body[0].strip() == "---":  # YAML options block
        close = next((i for i in range(1, len(body)) if body[i].strip() == "---"), 0)
        for line in body[1:close]:
            key, _, value = line.partition(":")
            options[key.strip()] = value.strip()
        body = body[close + 1:]
    else:
        while body and re.match(r"^\s*:[\w-]+:", body[0]):
            key, _, value = body[0].strip()[1:].partition(":")
            options[key.strip()] = value.strip()
            body = body[1:]
    return match.group("name").strip(), match.group("arg"), options, body, end + 1


def _glued_output(data: dict):
    import nbformat

    output = nbformat.v4.new_output("display_data", data={k: v for k, v in data.items()}, metadata={})
    _online_chart(output)
    return output


def resolve_markdown(source: str, ctx: _Context) -> list:
    """One Markdown cell of MyST as a list of plain cells (a glued figure is a code cell)."""
    import nbformat

    cells: list = []
    buffer: list[str] = []

    def flush():
        text = "\n".join(buffer).strip("\n")
        buffer.clear()
        if text.strip():
            cells.append(nbformat.v4.new_markdown_cell(resolve_roles(text, ctx)))

    lines = source.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if _TARGET.match(line) or line.strip() == "+++" or re.match(r"^\s*%", line):
            i += 1
            continue
        if not _FENCE.match(line):
            buffer.append(line)
            i += 1
            continue
        name, arg, options, body, i = _split_directive(lines, i)
        inner = "\n".join(body).strip("\n")
        label = options.get("label") or options.get("name")
        if name in _DROP:
            if name == "solution-end":
                ctx.in_solution = None
            continue
        if name == "exercise":
            number = ctx.exercises.setdefault(label or f"exercise-{len(ctx.exercises) + 1}", len(ctx.exercises) + 1)
            buffer.append(f"### Exercise {number}" + (f": {arg}" if arg else ""))
            buffer.extend(["", inner, ""])
        elif name in {"solution-start", "solution"}:
            target = arg.strip()
            number = ctx.exercises.get(target, "")
            buffer.append(f"**Solution to Exercise {number}** (the cells below are collapsed: "
                          "try the exercise first, then expand them)" if name == "solution-start"
                          else f"**Solution to Exercise {number}**\n\n{inner}")
            if name == "solution-start":
                ctx.in_solution = f"Solution to Exercise {number}".strip()
        elif name.startswith("glue"):
            flush()
            key = arg.strip()
            number = len(ctx.figures) + 1
            ctx.figures[label or key] = number
            figure = nbformat.v4.new_code_cell(
                f"show_glued({key!r})  # the figure computed above", metadata={"tags": ["figure"]})
            data = ctx.glue.get(key)
            if data is None:
                ctx.missing.append(key)
            figure.outputs = [_glued_output(data)] if (data and ctx.with_outputs) else []
            cells.append(figure)
            caption = resolve_roles(inner, ctx).strip()
            cells.append(nbformat.v4.new_markdown_cell(f"*Figure {number}. {caption}*" if caption else f"*Figure {number}.*"))
        elif name == "figure":
            number = len(ctx.figures) + 1
            ctx.figures[label or arg] = number
            buffer.append(f"![{options.get('alt', '')}]({arg})")
            buffer.extend(["", f"*Figure {number}. {inner}*", ""])
        elif name == "math":
            buffer.extend(["$$", inner, "$$"])
        elif name in {"code-block", "code", "sourcecode", "mermaid"}:
            buffer.extend([f"```{arg}", inner, "```"])
        elif name == "dropdown":
            buffer.extend([f"<details><summary>{arg or 'More'}</summary>", "", inner, "", "</details>"])
        elif name in _ADMONITIONS or arg or inner:
            title = arg if name in {"admonition", "topic", "sidebar"} and arg else name.capitalize()
            nested = "\n\n".join(c.source for c in resolve_markdown(inner, ctx) if c.cell_type == "markdown")
            quoted = "\n".join(f"> {l}" if l.strip() else ">" for l in nested.splitlines())
            buffer.extend([f"> **{title}**", ">", quoted, ""])
    flush()
    return cells


_BOOKKEEPING = {
    "remove-cell": "Hidden in the book: computes values quoted in the text",
    "hide-cell": "Hidden in the book: computes values quoted in the text",
    "remove-input": "Code of the output below (hidden in the book)",
    "hide-input": "Code of the output below (hidden in the book)",
}
_NOISE = re.compile(r"(^|\n)(\S+ \d\d:\d\d:\d\d\.\d+: [IWE] |WARNING: All log messages before absl|"
                    r"E0000 |W0000 |I0000 |.*TqdmWarning|.*IProgress not found|.*oneDNN custom operations)")


def _clean_outputs(outputs) -> list:
    """Outputs without glue records, standard-error streams or library log lines."""
    kept = []
    for output in outputs:
        if output.get("output_type") == "stream":
            if output.get("name") == "stderr" or _NOISE.search(str(output.get("text", ""))):
                continue
        data = output.get("data")
        if data is not None:
            data = {k: v for k, v in data.items() if not k.startswith(_RECORD)}
            if not data:
                continue
            output["data"] = data
            output.get("metadata", {}).pop("scrapbook", None)
        kept.append(output)
    return kept


def _collapse(cell, title: str, *, outputs: bool) -> None:
    """Fold a code cell in JupyterLab (``jupyter.source_hidden``) and Colab (a form title)."""
    if not cell.source.lstrip().startswith("# @title"):
        cell.source = f"# @title {title}\n{cell.source}"
    cell.metadata["cellView"] = "form"
    hidden = cell.metadata.setdefault("jupyter", {})
    hidden["source_hidden"] = True
    if outputs:
        hidden["outputs_hidden"] = True


def readable_cells(nb, ctx: _Context) -> list:
    """The chapter's cells with MyST resolved and bookkeeping folded (see module docstring)."""
    out: list = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            out.extend(resolve_markdown(cell.source, ctx))
            continue
        if cell.cell_type != "code":
            out.append(cell)
            continue
        cell.outputs = _clean_outputs(cell.get("outputs", []))
        tags = set(cell.metadata.get("tags", []))
        if ctx.in_solution:
            _collapse(cell, ctx.in_solution, outputs=True)
            cell.metadata["tags"] = sorted(tags | {"solution"})
        elif tags & {"remove-cell", "hide-cell"}:
            previous = out[-1] if out else None
            if (previous is not None and previous.cell_type == "code"
                    and SETUP_TAG in previous.metadata.get("tags", []) and not previous.outputs):
                # consecutive bookkeeping cells become one
                previous.source += "\n\n" + cell.source
                previous.outputs = cell.outputs
                continue
            _collapse(cell, _BOOKKEEPING["remove-cell"], outputs=True)
            cell.metadata["tags"] = sorted(tags | {SETUP_TAG})
        elif tags & {"remove-input", "hide-input"}:
            _collapse(cell, _BOOKKEEPING["remove-input"], outputs=False)
        elif tags & {"remove-output", "hide-output"}:
            cell.metadata.setdefault("jupyter", {})["outputs_hidden"] = True
        out.append(cell)
    return out


def export_notebook(chapter: Chapter, *, spec: str | None = None, with_outputs: bool = True,
                    build_dir: Path | None = None, executed: Path | None = None,
                    models: tuple[str, str] | None = None):
    """The chapter as a readable ``nbformat`` notebook with the setup cell first.

    ``executed`` is the executed notebook (default: the one the book build left
    in ``_build/jupyter_execute``); it gives the outputs and the glued values.
    """
    import jupytext
    import nbformat

    nb = jupytext.read(chapter.source)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    requirements = chapter_pins(nb, chapter.root)
    executed = executed or chapter.executed(build_dir)
    glue = {}
    if executed.is_file():
        ran = nbformat.read(executed, as_version=4)
        glue = glue_data(ran, executed)
        if with_outputs:
            merge_outputs(nb, ran)
    if not with_outputs:
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
    bib_path = chapter.root / "book" / "references.bib"
    bib = parse_bibtex(bib_path.read_text(encoding="utf-8")) if bib_path.is_file() else {}
    ctx = _Context(glue, bib, book_labels(chapter.root), with_outputs)
    cells = readable_cells(nb, ctx)
    if ctx.cited:
        cells.append(nbformat.v4.new_markdown_cell(bibliography_markdown(ctx.cited, bib)))
    no_deps = [name for name in requirements if _canonical(name) in NO_DEPS]
    trains = any(_canonical(name) == "tensorflow" for name in requirements)
    nb.cells = [install_cell(requirements, spec or package_spec(chapter.root), no_deps,
                             models if trains else None), *cells]
    nb.metadata.pop("jupytext", None)
    nb.metadata["colab"] = {"name": f"{chapter.name}.ipynb", "toc_visible": True}
    nb.metadata.setdefault("language_info", {"name": "python"})
    commit = os.environ.get("GITHUB_SHA") or _git_head(chapter.root)
    nb.metadata["xaibook"] = {"chapter": chapter.name, "commit": commit,
                              "unresolved_glue": sorted(set(ctx.missing))}
    nb.nbformat, nb.nbformat_minor = 4, 5
    # Cell ids: stable across exports, so republishing gives the same bytes.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{chapter.name}-{i}"[:64]
    nbformat.validate(nb)
    return nb


def _git_head(root: Path) -> str | None:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


# --- running exported notebooks (the CI's fresh environments) -----------------------


def execute_notebook(path: Path, *, kernel: str, cwd: Path, timeout: int = 1800,
                     out: Path | None = None) -> dict:
    """Run a notebook top to bottom; its time, the kernel's peak memory, errors, stderr.

    Memory is the resident set of this process's children (the kernel and what
    it starts), sampled every 0.1 s.
    """
    import threading
    import time

    import nbformat
    import psutil
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    me = psutil.Process()
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.wait(0.1):
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.time()
    error = None
    try:
        NotebookClient(nb, timeout=timeout, kernel_name=kernel,
                       resources={"metadata": {"path": str(cwd)}}).execute()
    except CellExecutionError as exc:
        error = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))[-3000:]
    seconds = time.time() - start
    done.set()
    thread.join()
    # (the setup cell's pip may warn on stderr; every other cell must not)
    stderr = [str(o.get("text", ""))[:300] for c in nb.cells if c.cell_type == "code"
              and INSTALL_TAG not in c.metadata.get("tags", [])
              for o in c.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    if out is not None:
        write_notebook(nb, out)
    return {"notebook": str(path), "seconds": round(seconds, 1), "peak_mb": round(peak[0] / 2**20),
            "error": error, "stderr": stderr}


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


def site_url(root: Path | None = None) -> str:
    """Where the site is published: ``html.baseurl`` of ``_config.yml``, else GitHub Pages."""
    config = _read_yaml(book_root(root) / "_config.yml")
    base = str((config.get("html") or {}).get("baseurl") or "")
    if base:
        return base.rstrip("/") + "/"
    org, repo, _ = repository(root)
    return f"https://{org.lower()}.github.io/{repo}/"


BINDER_URL = "https://mybinder.org"


def binder_url(org: str, repo: str, ref: str, path: str) -> str:
    """mybinder.org's URL opening ``path`` in JupyterLab, for the repository at ``ref``."""
    return f"{BINDER_URL}/v2/gh/{org}/{repo}/{ref}?urlpath=lab/tree/{path}"


def publish_to_site(chapters, site: Path, *, pages_branch: str = PAGES_BRANCH,
                    spec: str | None = None, with_outputs: bool = True,
                    ref: str | None = None, model_dir: Path | None = None) -> list[Path]:
    """Write each chapter's notebook into the built site and fix its launch links.

    The Colab button opens the published ``.ipynb``; the Binder button opens
    the same notebook (``notebooks/<chapter>.ipynb``, written by
    ``binder/postBuild``) in an image of commit ``ref`` (default: the commit
    checked out), so the class's image is built once. The trained models of
    ``model_dir`` (default: the model cache) are published as
    ``models/models.tar`` with their digest, which the Colab setup cell checks.

    Returns the notebooks written. Raises ``FileNotFoundError`` when a
    chapter's page is missing (build the book first).
    """
    written = []
    models = None
    if chapters:
        root = chapters[0].root
        folder = Path(model_dir) if model_dir else _default_model_dir()
        if folder.is_dir() and any(folder.glob("*.keras")):
            _, digest = pack_models(folder, site / "models")
            models = (site_url(root) + f"models/{MODELS_ARCHIVE}", digest)
        ref = ref or os.environ.get("GITHUB_SHA") or _git_head(root) or repository(root)[2]
    for chapter in chapters:
        org, repo, branch = repository(chapter.root)
        page = site / f"{chapter.docname}.html"
        if not page.is_file():
            raise FileNotFoundError(f"{page} is missing; build the book first (make book)")
        target = site / "_sources" / f"{chapter.docname}.ipynb"
        nb = export_notebook(chapter, spec=spec, with_outputs=with_outputs,
                             build_dir=site.parent, models=models)
        written.append(write_notebook(nb, target))
        html = page.read_text(encoding="utf-8")
        new = colab_url(org, repo, pages_branch, f"_sources/{chapter.docname}.ipynb")
        old = re.compile(re.escape(f"{COLAB_URL}/github/{org}/{repo}/blob/") + r"[^\"'/]+/"
                         + re.escape(chapter.docname) + r"\.(?:md|ipynb)")
        html, count = old.subn(new, html)
        binder = re.compile(re.escape(f"{BINDER_URL}/v2/gh/{org}/{repo}/") + r"[^?\"']+\?urlpath=[^\"']*?"
                            + re.escape(chapter.docname) + r"\.(?:md|ipynb)")
        html, n_binder = binder.subn(binder_url(org, repo, ref, f"notebooks/{chapter.docname}.ipynb"), html)
        count += n_binder
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
    parser.add_argument("--executed", type=Path, default=None, metavar="DIR",
                        help="executed notebooks DIR/<chapter>.ipynb (e.g. from scripts/run_chapter.py "
                             "--keep) instead of _build/jupyter_execute: outputs and glued values")
    parser.add_argument("--runtime-requirements", action="store_true",
                        help="write requirements-runtime.txt, constraints-runtime.txt and "
                             "binder/requirements.txt from requirements.txt and exit")
    parser.add_argument("--execute", type=Path, default=None, metavar="DIR",
                        help="run the exported notebooks found in DIR top to bottom (kernel --kernel), "
                             "each in its chapter's folder; print time and peak memory as JSON lines")
    parser.add_argument("--pretrain", type=Path, default=None, metavar="DIR",
                        help="binder/postBuild: unless the model cache already holds trained models, "
                             "run the exported notebooks in DIR of the chapters named, so each trains "
                             "and caches the models it loads")
    parser.add_argument("--kernel", default="python3", help="kernel for --execute (default: python3)")
    parser.add_argument("--report", type=Path, default=None, help="with --execute: append JSON lines here")


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
    if args.runtime_requirements:
        for name, text in runtime_requirements(root).items():
            (root / name).write_text(text, encoding="utf-8")
            print(root / name)
        return 0
    if args.pretrain is not None:
        folder = _default_model_dir()
        if folder.is_dir() and any(folder.glob("*.keras")):
            print(f"trained models already in {folder}: nothing to train")
            return 0
        args.execute, args.report = args.pretrain, None
    if args.execute is not None:
        return _run_executions(chapters, args)
    spec = package_spec(root, args.ref)
    if args.site is not None:
        try:
            paths = publish_to_site(chapters, args.site.resolve(), pages_branch=args.pages_branch,
                                    spec=spec, with_outputs=not args.no_outputs, ref=args.ref)
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    else:
        out = (args.out or root / "_build" / "notebooks").resolve()
        paths = []
        for chapter in chapters:
            executed = args.executed / f"{chapter.name}.ipynb" if args.executed else None
            nb = export_notebook(chapter, spec=spec, with_outputs=not args.no_outputs,
                                 executed=executed)
            paths.append(write_notebook(nb, out / f"{chapter.docname}.ipynb"))
    for path in paths:
        print(path)
    return 0


def _run_executions(chapters, args) -> int:
    failed = 0
    for chapter in chapters:
        path = args.execute / f"{chapter.docname}.ipynb"
        if not path.is_file():
            print(f"error: {path} is missing (export first: xaibook notebooks --out {args.execute})",
                  file=sys.stderr)
            return 2
        result = execute_notebook(path, kernel=args.kernel, cwd=chapter.source.parent,
                                  out=path.with_suffix(".executed.ipynb"))
        result["chapter"] = chapter.name
        line = json.dumps(result)
        if args.report:
            with open(args.report, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        print(line, flush=True)
        failed += bool(result["error"])
    return 1 if failed else 0


# --- trained models, published with the site ----------------------------------------

MODELS_ARCHIVE = "models.tar"
#: What the model folder holds that a chapter reads instead of recomputing:
#: trained networks, their recipes and cached measurements (``.json``), and
#: cached activation-maximization images (``.npz``). Hidden files are
#: unfinished writes.
MODEL_SUFFIXES = (".keras", ".json", ".npz")


def pack_models(model_dir: Path, out_dir: Path) -> tuple[Path, str]:
    """Write ``out_dir/models.tar`` (every trained model, byte-stable) and its SHA-256.

    The site publishes it (``<site>/models/models.tar`` and ``models.tar.sha256``);
    :func:`fetch_models` (Colab's setup cell, Binder's ``postBuild``) checks the
    digest before unpacking, so a reader never trains what the build trained.
    """
    import tarfile

    files = sorted(p for p in Path(model_dir).iterdir()
                   if p.is_file() and p.suffix in MODEL_SUFFIXES and not p.name.startswith("."))
    if not files:
        raise FileNotFoundError(f"no trained models in {model_dir}; build the book first (make book)")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / MODELS_ARCHIVE
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in files:
            info = tar.gettarinfo(str(path), arcname=path.name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            with open(path, "rb") as fh:
                tar.addfile(info, fh)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    (out_dir / f"{MODELS_ARCHIVE}.sha256").write_text(f"{digest}  {MODELS_ARCHIVE}\n")
    return target, digest


def fetch_models(source: str, digest: str, model_dir: Path) -> list[Path]:
    """Download (or copy) ``models.tar`` from ``source``, check its SHA-256, unpack it.

    ``source`` is a URL or a local path. Raises ``ValueError`` on a wrong digest
    (nothing is unpacked then).
    """
    import tarfile
    import tempfile
    import urllib.request

    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / MODELS_ARCHIVE
        if re.match(r"https?://", source):
            with urllib.request.urlopen(source, timeout=120) as response, open(local, "wb") as fh:
                fh.write(response.read())
        else:
            local.write_bytes(Path(source).read_bytes())
        found = hashlib.sha256(local.read_bytes()).hexdigest()
        if found != digest:
            raise ValueError(f"{source}: SHA-256 {found}, expected {digest}; not unpacked "
                             "(the models will be trained instead)")
        model_dir.mkdir(parents=True, exist_ok=True)
        with tarfile.open(local) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and "/" not in m.name]
            tar.extractall(model_dir, members=members, filter="data")
    return [model_dir / m.name for m in members]


def _default_model_dir() -> Path:
    env = os.environ.get("XAIBOOK_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    from xaibook.data import data_home

    return data_home() / "models"
