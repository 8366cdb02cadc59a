"""Shared pytest fixtures.

Tests never touch the network or the user's cache unless they are marked
``slow`` (those read the real datasets through ``XAIBOOK_DATA_MIRROR``).
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import pytest

from xaibook.data import registry


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def data_env(tmp_path, monkeypatch):
    """An isolated cache, an empty mirror folder and no network.

    Returns a helper object with ``mirror`` and ``cache`` paths and a
    ``publish(key, data)`` method that writes a file into the mirror and
    registers its digest (``gz=True`` writes ``key + '.gz'`` and registers
    the digest of the decompressed bytes, as for Fashion-MNIST).
    """
    mirror = tmp_path / "mirror"
    cache = tmp_path / "cache"
    mirror.mkdir()
    monkeypatch.setenv("XAIBOOK_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("XAIBOOK_DATA_DIR", str(cache))
    monkeypatch.setenv("XAIBOOK_OFFLINE", "1")
    monkeypatch.setenv("XAIBOOK_FASHION_MNIST_DIR", str(tmp_path / "no-debian-package"))
    files = dict(registry.REGISTRY)
    monkeypatch.setattr(registry, "REGISTRY", files)
    # fetch.py imported the dict object itself: patch it there too.
    from xaibook.data import fetch
    monkeypatch.setattr(fetch, "REGISTRY", files)

    class Env:
        def __init__(self):
            self.mirror, self.cache = mirror, cache

        def publish(self, key: str, data: bytes, *, gz: bool = False, register: bool = True) -> Path:
            entry = files[key]
            path = mirror / (key + (".gz" if gz else ""))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(gzip.compress(data) if gz else data)
            if register:
                files[key] = registry.RemoteFile(key, entry.url, sha256(data), entry.gzipped)
            return path

    return Env()


def has_real_data() -> bool:
    return bool(os.environ.get("XAIBOOK_DATA_MIRROR")) or Path(
        os.path.expanduser("~/.cache/xaibook")).is_dir()
