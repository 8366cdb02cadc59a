"""Find, verify and cache the book's data files.

Every file is looked for, in order, in

1. the cache (``XAIBOOK_DATA_DIR``, by default the per-user cache folder that
   :func:`pooch.os_cache` picks, e.g. ``~/.cache/xaibook``);
2. a local mirror folder named by ``XAIBOOK_DATA_MIRROR`` (same layout as the
   registry keys, e.g. ``$XAIBOOK_DATA_MIRROR/adult/adult.data``);
3. for Fashion-MNIST, the folder where Debian's ``dataset-fashion-mnist``
   package puts it (``/usr/share/datasets/fashion-mnist``, or
   ``XAIBOOK_FASHION_MNIST_DIR``);
4. the canonical location on the network, unless ``XAIBOOK_OFFLINE=1``.

Whatever the source, the SHA-256 digest is checked before the file is used
(pooch does the download, the check and the atomic move into the cache). A
cached file whose digest is wrong is replaced, never read.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import tempfile
from pathlib import Path

import pooch

from xaibook.data.errors import ChecksumError, DatasetUnavailableError
from xaibook.data.registry import DATASET_FILES, REGISTRY, RemoteFile

__all__ = [
    "data_home",
    "mirror_dir",
    "fetch_file",
    "fetch_dataset",
    "verify_cache",
    "ENV_DATA_DIR",
    "ENV_MIRROR",
    "ENV_OFFLINE",
    "ENV_FASHION_DIR",
]

ENV_DATA_DIR = "XAIBOOK_DATA_DIR"
ENV_MIRROR = "XAIBOOK_DATA_MIRROR"
ENV_OFFLINE = "XAIBOOK_OFFLINE"
ENV_FASHION_DIR = "XAIBOOK_FASHION_MNIST_DIR"
DEBIAN_FASHION_DIR = "/usr/share/datasets/fashion-mnist"
_TIMEOUT_S = 30

# pooch announces every download on stderr; the book's pages must stay clean.
pooch.get_logger().setLevel(logging.WARNING)


def data_home() -> Path:
    """Folder where verified copies of the data files are cached."""
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env).expanduser() if env else Path(pooch.os_cache("xaibook"))


def mirror_dir() -> Path | None:
    """The local mirror folder named by ``XAIBOOK_DATA_MIRROR``, if any."""
    env = os.environ.get(ENV_MIRROR)
    return Path(env).expanduser().resolve() if env else None


def _offline() -> bool:
    return os.environ.get(ENV_OFFLINE, "").lower() in {"1", "true", "yes"}


def _sha256(path: Path) -> str:
    return pooch.file_hash(str(path), alg="sha256")


def _copy_from(source: Path):
    """A pooch downloader that copies a local file instead of downloading."""

    def copy(url, output_file, pooch_obj=None):  # noqa: ARG001 - pooch's signature
        with open(source, "rb") as src:
            if hasattr(output_file, "write"):
                shutil.copyfileobj(src, output_file)
            else:
                with open(output_file, "wb") as dst:
                    shutil.copyfileobj(src, dst)

    return copy


def _http():
    return pooch.HTTPDownloader(progressbar=False, timeout=_TIMEOUT_S)


def _hint(entry: RemoteFile) -> str:
    lines = [
        "How to fix it:",
        f"  - connect to the internet, so that {entry.url} can be downloaded"
        + (f" (and unset {ENV_OFFLINE})" if _offline() else ""),
        f"  - or set {ENV_MIRROR} to a folder holding '{entry.key}"
        + (".gz'" if entry.gzipped else "'")
        + " (in this project's CI: ../shared/datasets)",
    ]
    if entry.gzipped:
        lines.append(
            "  - or install Debian/Ubuntu's package: apt-get install dataset-fashion-mnist"
        )
    lines.append("  - then run: xaibook data verify")
    return "\n".join(lines)


def _fail(entry: RemoteFile, attempts: list[str], mismatch: bool):
    kind = ChecksumError if mismatch else DatasetUnavailableError
    what = (
        "no copy with the expected SHA-256 digest was found"
        if mismatch
        else "no copy was found"
    )
    tried = "\n".join(f"  - {a}" for a in attempts)
    raise kind(
        f"Dataset '{entry.dataset}': {what} for file '{entry.key}'.\n"
        f"Expected SHA-256: {entry.sha256}\nLooked in:\n{tried}\n{_hint(entry)}"
    )


def fetch_file(key: str) -> Path:
    """Return the path of a verified, cached copy of one registry file.

    Parameters
    ----------
    key : str
        A key of :data:`xaibook.data.registry.REGISTRY`, such as
        ``"adult/adult.data"``.

    Returns
    -------
    pathlib.Path
        The cached file; its SHA-256 digest (of the decompressed bytes, for
        gzipped files) matches the registry.

    Raises
    ------
    DatasetUnavailableError
        No source could provide the file. The message lists where it looked
        and how to fix it.
    ChecksumError
        Copies were found, but none had the expected digest; none was used.
    """
    try:
        entry = REGISTRY[key]
    except KeyError:
        raise KeyError(
            f"Unknown data file {key!r}; known files: {sorted(REGISTRY)}"
        ) from None
    if entry.gzipped:
        return _fetch_gzipped(entry)
    return _fetch_plain(entry)


def _cached_ok(target: Path, entry: RemoteFile, attempts: list[str]) -> bool:
    """Whether the cached copy is verified; if not, record why in ``attempts``."""
    if not target.is_file():
        attempts.append(f"cache {target}: absent")
        return False
    if _sha256(target) == entry.sha256:
        return True
    attempts.append(f"cache {target}: wrong digest, will be replaced")
    return False


def _fetch_plain(entry: RemoteFile) -> Path:
    target = data_home() / entry.key
    sources: list[tuple[str, object, str]] = []
    mirror = mirror_dir()
    if mirror is not None:
        candidate = mirror / entry.key
        if candidate.is_file():
            sources.append((f"mirror {candidate}", _copy_from(candidate), "mirror"))
    if not _offline():
        sources.append((f"network {entry.url}", _http(), "network"))

    mismatch = False
    attempts: list[str] = []
    if _cached_ok(target, entry, attempts):
        return target
    if mirror is not None and not (mirror / entry.key).is_file():
        attempts.append(f"mirror {mirror / entry.key}: absent")
    elif mirror is None:
        attempts.append(f"mirror: {ENV_MIRROR} is not set")
    if _offline():
        attempts.append(f"network: skipped because {ENV_OFFLINE} is set")

    for label, downloader, _ in sources:
        try:
            path = pooch.retrieve(
                entry.url,
                known_hash=f"sha256:{entry.sha256}",
                fname=target.name,
                path=target.parent,
                downloader=downloader,
                progressbar=False,
            )
            return Path(path)
        except ValueError as exc:  # pooch: digest mismatch
            mismatch = True
            attempts.append(f"{label}: wrong digest ({_short(exc)})")
        except Exception as exc:  # network and file-system failures
            attempts.append(f"{label}: {type(exc).__name__}: {_short(exc)}")
    _fail(entry, attempts, mismatch)


def _short(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fashion_dir() -> Path:
    return Path(os.environ.get(ENV_FASHION_DIR, DEBIAN_FASHION_DIR))


def _fetch_gzipped(entry: RemoteFile) -> Path:
    target = data_home() / entry.key
    mismatch = False
    attempts: list[str] = []
    if _cached_ok(target, entry, attempts):
        return target

    gz_name = Path(entry.key).name + ".gz"
    local = []
    mirror = mirror_dir()
    if mirror is not None:
        local.append(("mirror", mirror / (entry.key + ".gz")))
    local.append(("Debian package dataset-fashion-mnist", _fashion_dir() / gz_name))
    for label, candidate in local:
        if not candidate.is_file():
            attempts.append(f"{label} {candidate}: absent")
            continue
        outcome = _install_decompressed(candidate, target, entry.sha256)
        if outcome is None:
            return target
        mismatch = mismatch or outcome.startswith("wrong digest")
        attempts.append(f"{label} {candidate}: {outcome}")

    if _offline():
        attempts.append(f"network: skipped because {ENV_OFFLINE} is set")
    else:
        try:
            gz_path = pooch.retrieve(
                entry.url,
                known_hash=None,  # Only the decompressed digest is stable.
                fname=gz_name,
                path=target.parent,
                downloader=_http(),
                progressbar=False,
            )
            outcome = _install_decompressed(Path(gz_path), target, entry.sha256)
            if outcome is None:
                return target
            Path(gz_path).unlink(missing_ok=True)
            mismatch = mismatch or outcome.startswith("wrong digest")
            attempts.append(f"network {entry.url}: {outcome}")
        except Exception as exc:
            attempts.append(f"network {entry.url}: {type(exc).__name__}: {_short(exc)}")
    _fail(entry, attempts, mismatch)


def _install_decompressed(source: Path, target: Path, sha256: str) -> str | None:
    """Decompress ``source`` into ``target`` if its content digest matches.

    Returns None on success, else a short reason; ``target`` is only ever
    replaced atomically by a verified file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, gzip.open(source, "rb") as src:
            shutil.copyfileobj(src, out)
        digest = _sha256(tmp)
        if digest != sha256:
            return f"wrong digest of decompressed bytes ({digest})"
        os.replace(tmp, target)
        return None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        return f"unreadable gzip file ({type(exc).__name__}: {_short(exc)})"
    finally:
        tmp.unlink(missing_ok=True)


def fetch_dataset(name: str) -> dict[str, Path]:
    """Fetch and verify every file of one dataset; return paths by key."""
    try:
        keys = DATASET_FILES[name]
    except KeyError:
        raise KeyError(
            f"Unknown dataset {name!r}; known datasets: {sorted(DATASET_FILES)}"
        ) from None
    return {key: fetch_file(key) for key in keys}


def verify_cache() -> dict[str, str]:
    """Check every cached file against its digest without fetching anything.

    Returns
    -------
    dict
        ``{key: "ok" | "missing" | "wrong digest"}`` for every registry file.
    """
    status = {}
    for key, entry in REGISTRY.items():
        path = data_home() / key
        if not path.is_file():
            status[key] = "missing"
        else:
            status[key] = "ok" if _sha256(path) == entry.sha256 else "wrong digest"
    return status
