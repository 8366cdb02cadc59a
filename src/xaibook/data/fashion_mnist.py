"""Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017) from its idx files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xaibook.data.errors import SchemaError
from xaibook.data.fetch import fetch_file

__all__ = ["FASHION_MNIST_CLASSES", "FashionMNIST", "read_idx", "load_fashion_mnist"]

#: Class names, by label (from the dataset's README).
FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
_SIZES = {"train": 60_000, "test": 10_000}
_PREFIX = {"train": "train", "test": "t10k"}


def read_idx(path, *, expected_ndim: int | None = None) -> np.ndarray:
    """Read an (uncompressed) idx file of unsigned bytes into an array."""
    path = Path(path)
    data = path.read_bytes()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise SchemaError(f"{path}: not an idx file of unsigned bytes (bad magic number)")
    ndim = data[3]
    if expected_ndim is not None and ndim != expected_ndim:
        raise SchemaError(f"{path}: expected {expected_ndim} dimensions, found {ndim}")
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(data) - header != int(np.prod(shape)):
        raise SchemaError(f"{path}: header announces shape {shape} but the file has "
                          f"{len(data) - header} bytes of data")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


@dataclass(frozen=True)
class FashionMNIST:
    """Fashion-MNIST arrays: uint8 images (n, 28, 28) and int labels (n,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...] = tuple(FASHION_MNIST_CLASSES)


def _load_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    prefix = _PREFIX[split]
    images = read_idx(fetch_file(f"fashion-mnist/{prefix}-images-idx3-ubyte"), expected_ndim=3)
    labels = read_idx(fetch_file(f"fashion-mnist/{prefix}-labels-idx1-ubyte"), expected_ndim=1)
    if images.shape != (_SIZES[split], 28, 28) or labels.shape != (_SIZES[split],):
        raise SchemaError(f"Fashion-MNIST {split}: expected {_SIZES[split]:,} images of 28x28, "
                          f"found images {images.shape} and labels {labels.shape}")
    return images, labels.astype(np.int64)


def load_fashion_mnist() -> FashionMNIST:
    """Load Fashion-MNIST: 60,000 training and 10,000 test images, 10 classes.

    The files are looked for in the cache, a mirror, Debian's
    ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``)
    and the canonical location, in that order; see
    :mod:`xaibook.data.fetch`.
    """
    x_train, y_train = _load_split("train")
    x_test, y_test = _load_split("test")
    return FashionMNIST(x_train, y_train, x_test, y_test)
