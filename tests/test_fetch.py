"""Finding, verifying and caching data files; every failure mode says how to fix it."""

from __future__ import annotations

import gzip

import pytest

from xaibook.book.cli import main as cli
from xaibook.data import ChecksumError, DatasetUnavailableError, fetch_file, verify_cache

KEY = "german/german.data"
GOOD = b"A11 6 A34 A43 1169 A65 A75 4 A93 A101 4 A121 67 A143 A152 2 A173 1 A192 A201 1\n"


def test_mirror_copy_is_verified_and_cached(data_env):
    data_env.publish(KEY, GOOD)
    path = fetch_file(KEY)
    assert path == data_env.cache / KEY
    assert path.read_bytes() == GOOD


def test_cached_copy_is_used_without_mirror(data_env, monkeypatch):
    data_env.publish(KEY, GOOD)
    fetch_file(KEY)
    monkeypatch.delenv("XAIBOOK_DATA_MIRROR")
    assert fetch_file(KEY).read_bytes() == GOOD


def test_offline_without_copy_names_dataset_places_and_fixes(data_env):
    with pytest.raises(DatasetUnavailableError) as err:
        fetch_file(KEY)
    message = str(err.value)
    assert "Dataset 'german'" in message
    assert str(data_env.cache / KEY) in message          # where it looked: cache
    assert str(data_env.mirror / KEY) in message         # ... and mirror
    assert "XAIBOOK_OFFLINE" in message                  # why the network was not tried
    assert "XAIBOOK_DATA_MIRROR" in message              # how to fix it
    assert "archive.ics.uci.edu" in message


def test_mirror_with_wrong_digest_is_never_used(data_env):
    data_env.publish(KEY, GOOD)
    (data_env.mirror / KEY).write_bytes(GOOD.replace(b"A11", b"A12"))
    with pytest.raises(ChecksumError) as err:
        fetch_file(KEY)
    assert "wrong digest" in str(err.value)
    assert not (data_env.cache / KEY).exists()


def test_corrupt_cache_entry_is_replaced_from_mirror(data_env):
    data_env.publish(KEY, GOOD)
    cached = fetch_file(KEY)
    cached.write_bytes(b"corrupted")
    assert fetch_file(KEY).read_bytes() == GOOD


def test_corrupt_cache_and_no_source_fails_loudly(data_env, monkeypatch):
    data_env.publish(KEY, GOOD)
    fetch_file(KEY).write_bytes(b"corrupted")
    (data_env.mirror / KEY).unlink()
    with pytest.raises(DatasetUnavailableError, match="wrong digest, will be replaced"):
        fetch_file(KEY)
    assert (data_env.cache / KEY).read_bytes() == b"corrupted"  # not silently read either


def test_gzipped_file_checked_on_decompressed_bytes(data_env):
    key = "fashion-mnist/t10k-labels-idx1-ubyte"
    raw = bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 9])
    data_env.publish(key, raw, gz=True)
    assert fetch_file(key).read_bytes() == raw


def test_gzipped_file_from_debian_folder(data_env, monkeypatch, tmp_path):
    key = "fashion-mnist/t10k-labels-idx1-ubyte"
    raw = bytes([0, 0, 8, 1, 0, 0, 0, 1, 7])
    data_env.publish(key, raw, gz=True)
    (data_env.mirror / (key + ".gz")).unlink()
    debian = tmp_path / "debian"
    debian.mkdir()
    (debian / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(raw, mtime=0))
    monkeypatch.setenv("XAIBOOK_FASHION_MNIST_DIR", str(debian))
    assert fetch_file(key).read_bytes() == raw


def test_gzipped_wrong_content_and_broken_gzip(data_env):
    key = "fashion-mnist/t10k-labels-idx1-ubyte"
    data_env.publish(key, b"\x00\x00\x08\x01\x00\x00\x00\x01\x07", gz=True)
    path = data_env.mirror / (key + ".gz")
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x08"))
    with pytest.raises(ChecksumError, match="decompressed"):
        fetch_file(key)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DatasetUnavailableError, match="unreadable gzip"):
        fetch_file(key)
    assert not (data_env.cache / key).exists()


def test_missing_fashion_mnist_suggests_debian_package(data_env):
    with pytest.raises(DatasetUnavailableError, match="apt-get install dataset-fashion-mnist"):
        fetch_file("fashion-mnist/train-labels-idx1-ubyte")


def test_unknown_key():
    with pytest.raises(KeyError, match="Unknown data file"):
        fetch_file("adult/nope.csv")


def test_verify_cache_and_cli(data_env, capsys):
    data_env.publish(KEY, GOOD)
    assert verify_cache()[KEY] == "missing"
    assert cli(["data", "fetch", "german"]) == 0
    assert verify_cache()[KEY] == "ok"
    (data_env.cache / KEY).write_bytes(b"x")
    assert verify_cache()[KEY] == "wrong digest"
    assert cli(["data", "verify"]) == 1
    assert cli(["data", "fetch", "adult"]) == 1   # offline, not in mirror
    err = capsys.readouterr().err
    assert "FAILED adult" in err and "How to fix it" in err
    assert cli(["data", "fetch", "nonsense"]) == 2
