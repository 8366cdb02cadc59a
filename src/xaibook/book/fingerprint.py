"""A digest of everything an executed chapter depends on besides its own code.

jupyter-cache keys a notebook on the source of its code cells only, so editing
``src/xaibook`` or upgrading a library would leave stale outputs in the book.
:func:`fingerprint` hashes the package's source (which includes the data
registry, i.e. the SHA-256 of every data file) and the versions of the
libraries the chapters use; :mod:`xaibook.book.sphinxext` writes it into every
chapter before execution, so a change of either re-executes the chapters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

__all__ = ["fingerprint", "PACKAGE_DIR", "TRACKED_DISTRIBUTIONS", "TOOLING"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]

#: Libraries whose version changes what a chapter computes or shows.
TRACKED_DISTRIBUTIONS = (
    "numpy", "pandas", "scikit-learn", "eli5", "lime", "shap", "fairml", "pdpbox",
    "tensorflow", "keras", "tf-keras-vis", "altair", "fairlearn", "myst-nb",
    "scikit-image", "scipy", "matplotlib",
)
_SUFFIXES = {".py", ".json", ".csv", ".txt", ".toml", ".yml", ".yaml"}
#: The subpackage that builds and checks the book (no chapter output depends
#: on it): editing it must not re-execute any chapter.
TOOLING = frozenset({"book"})


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
    """Hash source files and library versions into a short hex digest.

    Parameters
    ----------
    paths : iterable of path, optional
        Files or folders to hash (folders: their source-like files,
        recursively). Defaults to the installed ``xaibook`` package.
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
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{dist}=={version}\0".encode())
    return digest.hexdigest()[:16]
