"""What a chapter imports: its code cells, followed into the package's source.

Read, never run: the chapter's code cells and the package modules are parsed
with :mod:`ast`, so this is cheap enough to do for every chapter on every build.
Used by the per-chapter fingerprint (:mod:`xaibook.book.fingerprint`: which
modules an edit must re-execute) and by the notebook export
(:mod:`xaibook.book.notebooks`: which libraries a Colab notebook installs).

API
---
``code_cells(text)``
    The code of a MyST notebook's ``{code-cell}`` blocks, in order.
``cell_python(source)``
    A code cell as plain Python (IPython magics translated).
``imports(code, package=None)``
    Absolute dotted names imported by ``code`` (relative imports resolved).
``ImportClosure`` / ``import_closure(names, own="xaibook", package_dir=...)``
    The package files those names execute (``xaibook.a.b`` also runs
    ``xaibook/__init__`` and ``xaibook/a/__init__``), followed transitively,
    and the outside modules they import.
``distribution(dotted)``
    The installed distribution that provides a module.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["ImportClosure", "cell_python", "code_cells", "distribution", "import_closure",
           "imports", "own_module_file", "packages_distributions"]

_CODE_CELL = re.compile(r"^(`{3,})\{code-cell\}[^\n]*\n(.*?)^\1[ \t]*$", re.DOTALL | re.MULTILINE)
_OPTION = re.compile(r"^:[\w-]+:")


def code_cells(text: str) -> list[str]:
    """The code of every ``{code-cell}`` block of a MyST notebook (options dropped)."""
    cells = []
    for match in _CODE_CELL.finditer(text):
        lines = match.group(2).splitlines()
        if lines and lines[0].strip() == "---":          # YAML options block
            end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), 0)
            lines = lines[end + 1:]
        while lines and _OPTION.match(lines[0]):          # ':tags: [...]' options
            lines = lines[1:]
        cells.append("\n".join(lines).strip("\n"))
    return cells


def cell_python(source: str) -> str:
    """A code cell's source as plain Python (IPython magics translated)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - fall back to dropping magic lines
        return "\n".join(line for line in source.splitlines()
                         if not line.lstrip().startswith(("%", "!")))


def imports(code: str, package: str | None = None) -> set[str]:
    """Absolute dotted names imported by ``code`` (relative ones resolved).

    ``from pkg import name`` yields ``pkg`` and ``pkg.name`` (which may be a
    submodule); a file that does not parse yields nothing.
    """
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
            names.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def own_module_file(dotted: str, package_dir: Path) -> tuple[Path, str] | None:
    """The file of ``own.a.b`` under ``package_dir`` and its package, if it exists."""
    parts = dotted.split(".")[1:]
    base = package_dir.joinpath(*parts) if parts else package_dir
    if base.is_dir() and (base / "__init__.py").is_file():
        return base / "__init__.py", dotted
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py"), dotted.rpartition(".")[0]
    return None


@dataclass(frozen=True)
class ImportClosure:
    """What a set of imports executes.

    Attributes
    ----------
    files : dict
        ``{dotted module name: path}`` of every file of the own package that
        runs, transitively.
    outside : frozenset of str
        Dotted names imported from outside the package (standard library
        excluded).
    """

    files: dict
    outside: frozenset


def import_closure(names, own: str = "xaibook", package_dir: Path | None = None) -> ImportClosure:
    """Follow ``names`` through the source of package ``own``."""
    if package_dir is None:
        package_dir = Path(__file__).resolve().parents[1]
    files: dict[str, Path] = {}
    pending = set(names)
    outside: set[str] = set()
    while pending:
        dotted = pending.pop()
        top = dotted.split(".")[0]
        if top != own:
            if top not in sys.stdlib_module_names and top != "__future__":
                outside.add(dotted)
            continue
        parts = dotted.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            found = own_module_file(name, package_dir)
            if found is None or name in files:
                continue
            path, package = found
            files[name] = path
            pending |= imports(path.read_text(encoding="utf-8"), package)
    return ImportClosure(dict(sorted(files.items())), frozenset(outside))


@lru_cache(maxsize=1)
def packages_distributions() -> dict[str, list[str]]:
    """``{top-level module: [distributions]}`` of this environment (cached)."""
    return importlib.metadata.packages_distributions()


def distribution(dotted: str) -> str | None:
    """The installed distribution providing module ``dotted``, if any."""
    top = dotted.split(".")[0]
    dists = sorted(set(packages_distributions().get(top, [])))
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
