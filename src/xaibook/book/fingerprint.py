"""Per-chapter fingerprint: a digest of everything a chapter's outputs depend on
besides its own code.

jupyter-cache keys a notebook on the source of its code cells only, so an edit
of ``src/xaibook`` or a library upgrade would leave stale outputs in the book.
:func:`chapter_fingerprint` reads the chapter's code cells, follows their
``xaibook`` imports through the package's source (transitively, with
:mod:`ast`: nothing is executed) and hashes

* the source of every package module the chapter runs (the data registry,
  which holds the SHA-256 of every data file, among them when the chapter
  loads data),
* the versions of the libraries those modules and the chapter import, plus
  myst-nb, which renders the outputs.

:mod:`xaibook.book.sphinxext` writes the digest into the chapter before
execution: editing a module re-executes exactly the chapters that import it,
and editing :mod:`xaibook.book` (tooling; never followed) re-executes none.

:func:`fingerprint` is the older, global digest of a set of folders, used when
the book sets ``xaibook_fingerprint_paths``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from xaibook.book.imports import cell_python, code_cells, distribution, import_closure, imports

__all__ = ["ChapterFingerprint", "PACKAGE_DIR", "TOOLING", "TRACKED_DISTRIBUTIONS",
           "chapter_fingerprint", "fingerprint"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]

#: Libraries whose version changes what a chapter computes or shows (the
#: global :func:`fingerprint`).
TRACKED_DISTRIBUTIONS = (
    "numpy", "pandas", "scikit-learn", "eli5", "lime", "shap", "fairml", "pdpbox",
    "tensorflow", "keras", "tf-keras-vis", "altair", "fairlearn", "myst-nb",
    "scikit-image", "scipy", "matplotlib",
)
#: Always part of a chapter's fingerprint: they render every chapter's outputs.
ALWAYS = ("myst-nb",)
#: Libraries a chapter uses through another (a chapter importing tf-keras-vis
#: also depends on the TensorFlow and Keras it runs on).
IMPLIED = {"tf-keras-vis": ("tensorflow", "keras"), "tensorflow": ("keras",),
           "shap": ("numba",), "pdpbox": ("matplotlib",), "fairlearn": ("scikit-learn",)}
_SUFFIXES = {".py", ".json", ".csv", ".txt", ".toml", ".yml", ".yaml"}
#: The subpackage that builds and checks the book (no chapter output depends
#: on it): editing it must not re-execute any chapter.
TOOLING = frozenset({"book"})


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


@dataclass(frozen=True)
class ChapterFingerprint:
    """What a chapter's outputs depend on besides its code.

    Attributes
    ----------
    digest : str
        16 hex characters; equal inputs give equal digests.
    modules : tuple of str
        The package modules the chapter runs (dotted names, sorted).
    distributions : dict
        ``{distribution: version}`` of the libraries it depends on.
    """

    digest: str
    modules: tuple
    distributions: dict


def chapter_fingerprint(text: str, *, own: str = "xaibook",
                        package_dir: Path | None = None) -> ChapterFingerprint:
    """Fingerprint one MyST notebook from its text.

    Parameters
    ----------
    text : str
        The chapter's source (MyST markdown with ``{code-cell}`` blocks).
    own : str
        The package whose source is followed.
    package_dir : path, optional
        Where that package's source lives (default: the installed ``xaibook``).

    Returns
    -------
    ChapterFingerprint
    """
    package_dir = PACKAGE_DIR if package_dir is None else Path(package_dir)
    tooling = {f"{own}.{name}" for name in TOOLING}

    def is_tooling(name: str) -> bool:
        return any(name == t or name.startswith(t + ".") for t in tooling)

    names: set[str] = set()
    for cell in code_cells(text):
        names |= imports(cell_python(cell))
    closure = import_closure({n for n in names if not is_tooling(n)}, own, package_dir)
    files = {name: path for name, path in closure.files.items() if not is_tooling(name)}
    dists = set(ALWAYS)
    for dotted in closure.outside:
        dist = distribution(dotted)
        if dist is not None:
            dists.add(dist)
    for dist in list(dists):
        dists.update(IMPLIED.get(dist.lower().replace("_", "-"), ()))
    versions = {d: _version(d) for d in sorted(dists, key=str.lower)}
    digest = hashlib.sha256()
    for name, path in sorted(files.items()):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    for dist, version in versions.items():
        digest.update(f"{dist}=={version}\0".encode())
    return ChapterFingerprint(digest.hexdigest()[:16], tuple(sorted(files)), versions)


def _files(paths: Iterable[Path]):
    for root in paths:
        root = Path(root)
        if root.is_file():
            yield root, root.name
        elif root.is_dir():
            for path in sorted(root.rglob("*")):
                if (path.is_file() and path.suffix in _SUFFIXES
                        and "__pycache__" not in path.parts
                        and path.relative_to(root).parts[0] not in TOOLING):
                    yield path, path.relative_to(root).as_posix()


def fingerprint(paths: Iterable[Path] | None = None,
                distributions: Iterable[str] = TRACKED_DISTRIBUTIONS) -> str:
    """Hash source files and library versions into one short hex digest.

    Parameters
    ----------
    paths : iterable of path, optional
        Files or folders to hash (folders: their source-like files,
        recursively, without the ``book`` tooling folder). Defaults to the
        installed ``xaibook`` package.
    distributions : iterable of str
        Installed distributions whose version enters the digest; missing
        ones count as ``"absent"``.

    Returns
    -------
    str
        16 hex characters; equal inputs give equal digests.
    """
    digest = hashlib.sha256()
    for path, name in _files([PACKAGE_DIR] if paths is None else paths):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    for dist in distributions:
        digest.update(f"{dist}=={_version(dist)}\0".encode())
    return digest.hexdigest()[:16]
