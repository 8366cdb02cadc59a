"""The book's CNN: a recipe as data, built with the functional API, trained once.

A :class:`CNNRecipe` says what the network looks like, a
:class:`TrainingSettings` how it is trained. :func:`load_or_train` hashes both,
together with the training data, into a cache key: the first call trains and
saves the model under :func:`model_dir`, every later call with the same recipe,
settings and data loads it. Changing any of them (or :data:`CACHE_VERSION`,
bumped when the training code changes) trains a new model.

The network is built with the functional API on purpose: tf-keras-vis reads
``model.output_names``, which Keras 3 ``Sequential`` models lack. Its last two
layers are ``logits`` (a linear :class:`keras.layers.Dense`) and ``probs`` (a
softmax :class:`keras.layers.Activation`), so explainers can work on the
pre-softmax scores without cloning or patching the model.

The input shape is part of the recipe, so the same recipe trains on
28x28 grey images (Fashion-MNIST) or 28x28x3 coloured ones::

    recipe = FASHION_RECIPE.with_input_shape((28, 28, 3))
    trained = load_or_train(recipe, FASHION_TRAINING, x_rgb, y)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from xaibook.vision._tf import configure_tensorflow, keras, quiet

__all__ = [
    "CACHE_VERSION", "CNNRecipe", "ENV_MODEL_DIR", "Evaluation", "FASHION_RECIPE",
    "FASHION_TRAINING", "LOGITS_LAYER", "PROBS_LAYER", "TrainedCNN", "TrainingSettings",
    "build_cnn", "cache_key", "evaluate", "fashion_cnn", "layer_table", "load_or_train",
    "model_dir", "preprocess", "settings_table", "train_cnn",
]

#: Environment variable naming the folder for trained models.
ENV_MODEL_DIR = "XAIBOOK_MODEL_DIR"
#: Part of every cache key; bump it when the training code changes meaning.
CACHE_VERSION = 1
#: Name of the pre-softmax output layer.
LOGITS_LAYER = "logits"
#: Name of the softmax output layer.
PROBS_LAYER = "probs"


@dataclass(frozen=True)
class CNNRecipe:
    """What the network looks like.

    Each entry of ``conv_filters`` is a block: a ``kernel_size`` x
    ``kernel_size`` convolution (valid padding, ReLU) followed by 2x2 max
    pooling. Then come dropout, one ReLU dense layer of ``dense_units``,
    dropout again, the ``logits`` layer and the ``probs`` softmax.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)``; ``(28, 28, 1)`` for Fashion-MNIST,
        ``(28, 28, 3)`` for coloured images.
    n_classes : int
        Number of classes.
    conv_filters : tuple of int
        Filters of each convolutional block, input side first.
    kernel_size : int
        Side of the square convolution kernels.
    dense_units : int
        Width of the hidden dense layer.
    dropout : float
        Dropout rate before and after the dense layer, in ``[0, 1)``.
    """

    input_shape: tuple[int, int, int] = (28, 28, 1)
    n_classes: int = 10
    conv_filters: tuple[int, ...] = (32, 64)
    kernel_size: int = 3
    dense_units: int = 128
    dropout: float = 0.3

    def __post_init__(self):
        shape = tuple(int(s) for s in self.input_shape)
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(f"input_shape must be (height, width, channels), got {self.input_shape}")
        object.__setattr__(self, "input_shape", shape)
        object.__setattr__(self, "conv_filters", tuple(int(f) for f in self.conv_filters))
        if self.n_classes < 2:
            raise ValueError(f"n_classes must be at least 2, got {self.n_classes}")
        if not self.conv_filters or min(self.conv_filters) < 1:
            raise ValueError(f"conv_filters needs at least one positive entry, got {self.conv_filters}")
        if self.kernel_size < 1 or self.dense_units < 1:
            raise ValueError("kernel_size and dense_units must be positive")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        side = min(shape[:2])
        for _ in self.conv_filters:
            side = (side - self.kernel_size + 1) // 2
        if side < 1:
            raise ValueError(f"input_shape {shape} is too small for {len(self.conv_filters)} "
                             f"conv blocks of kernel {self.kernel_size}")

    def with_input_shape(self, input_shape) -> "CNNRecipe":
        """The same recipe for another input shape (e.g. ``(28, 28, 3)``)."""
        return dataclasses.replace(self, input_shape=tuple(input_shape))

    @property
    def conv_layers(self) -> tuple[str, ...]:
        """Names of the convolutional layers, input side first."""
        return tuple(f"conv{i + 1}" for i in range(len(self.conv_filters)))


@dataclass(frozen=True)
class TrainingSettings:
    """How the network is trained.

    Adam with a learning rate that starts at ``learning_rate`` and decays to
    zero along a cosine over all steps; sparse categorical cross-entropy.

    Parameters
    ----------
    epochs, batch_size : int
        Passes over the training data and images per step.
    learning_rate : float
        Peak learning rate.
    validation_size : int
        Training images held out (at random, with ``seed``) to monitor
        training; 0 uses them all for training.
    seed : int
        Seed of weights, dropout, shuffling and the validation split.
    """

    epochs: int = 16
    batch_size: int = 128
    learning_rate: float = 2e-3
    validation_size: int = 5_000
    seed: int = 0

    def __post_init__(self):
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be positive")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.validation_size < 0:
            raise ValueError(f"validation_size must be >= 0, got {self.validation_size}")


#: The recipe of the Fashion-MNIST chapters.
FASHION_RECIPE = CNNRecipe()
#: The training settings of the Fashion-MNIST chapters.
FASHION_TRAINING = TrainingSettings()


def preprocess(images, input_shape=None) -> np.ndarray:
    """Images as the network wants them: float32 in ``[0, 1]``, channels last.

    Parameters
    ----------
    images : array-like
        ``(n, h, w)`` or ``(n, h, w, c)``; unsigned 8-bit images are divided
        by 255, floating-point ones are taken as already scaled.
    input_shape : tuple of int, optional
        If given, ``(h, w, c)`` the result must match.

    Returns
    -------
    numpy.ndarray
        ``(n, h, w, c)`` float32.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4:
        raise ValueError(f"images must be (n, h, w) or (n, h, w, c), got shape {images.shape}")
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255.0
    elif np.issubdtype(images.dtype, np.floating):
        images = images.astype(np.float32, copy=False)
    else:
        raise TypeError(f"images must be uint8 or floating point, got {images.dtype}")
    if input_shape is not None and images.shape[1:] != tuple(input_shape):
        raise ValueError(f"images have shape {images.shape[1:]} per image, the model wants "
                         f"{tuple(input_shape)}")
    return images


def build_cnn(recipe: CNNRecipe = FASHION_RECIPE, *, seed: int = 0, name: str = "cnn"):
    """Build (not train) the network of ``recipe`` with the functional API.

    Layers are named ``conv1``, ``pool1``, ..., ``flatten``, ``dropout1``,
    ``dense``, ``dropout2``, ``logits`` and ``probs``; initial weights and
    dropout masks depend only on ``seed``.

    Returns
    -------
    keras.Model
        Uncompiled; outputs class probabilities.
    """
    layers = keras.layers
    inputs = keras.Input(recipe.input_shape, name="image")
    h = inputs
    for i, filters in enumerate(recipe.conv_filters, start=1):
        h = layers.Conv2D(filters, recipe.kernel_size, activation="relu", name=f"conv{i}",
                          kernel_initializer=keras.initializers.GlorotUniform(seed=seed + i))(h)
        h = layers.MaxPooling2D(2, name=f"pool{i}")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Dropout(recipe.dropout, seed=seed + 100, name="dropout1")(h)
    h = layers.Dense(recipe.dense_units, activation="relu", name="dense",
                     kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 101))(h)
    h = layers.Dropout(recipe.dropout, seed=seed + 102, name="dropout2")(h)
    logits = layers.Dense(recipe.n_classes, name=LOGITS_LAYER,
                          kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 103))(h)
    probs = layers.Activation("softmax", name=PROBS_LAYER)(logits)
    return keras.Model(inputs, probs, name=name)


def layer_table(model) -> pd.DataFrame:
    """One row per layer: name, type, output shape and number of weights."""
    rows = []
    for layer in model.layers:
        shape = layer.output.shape if hasattr(layer, "output") else None
        rows.append({"layer": layer.name, "type": type(layer).__name__,
                     "output shape": "x".join(str(s) for s in shape[1:]) if shape else "",
                     "weights": int(sum(int(np.prod(w.shape)) for w in layer.weights))})
    return pd.DataFrame(rows)


def settings_table(recipe: CNNRecipe, settings: TrainingSettings) -> pd.DataFrame:
    """Recipe and training settings as one two-column table."""
    rows = [("recipe", k, str(v)) for k, v in dataclasses.asdict(recipe).items()]
    rows += [("training", k, str(v)) for k, v in dataclasses.asdict(settings).items()]
    return pd.DataFrame(rows, columns=["part", "setting", "value"])


def _check_training_data(recipe, images, labels):
    x = preprocess(images, recipe.input_shape)
    y = np.asarray(labels)
    if y.shape != (len(x),):
        raise ValueError(f"labels must have shape ({len(x)},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= recipe.n_classes:
        raise ValueError(f"labels must be integers in [0, {recipe.n_classes})")
    return x, y.astype(np.int64)


def train_cnn(recipe: CNNRecipe, settings: TrainingSettings, images, labels):
    """Train a fresh network; no cache.

    Parameters
    ----------
    recipe, settings : CNNRecipe, TrainingSettings
    images : array-like
        Training images, see :func:`preprocess`.
    labels : array-like of int
        Their classes.

    Returns
    -------
    model : keras.Model
    history : dict
        Per-epoch ``loss``, ``accuracy`` and, with a validation set,
        ``val_loss`` and ``val_accuracy``.
    """
    x, y = _check_training_data(recipe, images, labels)
    if settings.validation_size >= len(x):
        raise ValueError(f"validation_size {settings.validation_size} leaves no training data")
    configure_tensorflow()
    keras.utils.set_random_seed(settings.seed)
    order = np.random.default_rng(settings.seed).permutation(len(x))
    n_val = settings.validation_size
    val = order[:n_val]
    train = np.sort(order[n_val:])
    model = build_cnn(recipe, seed=settings.seed)
    steps = -(-len(train) // settings.batch_size) * settings.epochs
    schedule = keras.optimizers.schedules.CosineDecay(settings.learning_rate, steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with quiet():
        fit = model.fit(x[train], y[train], batch_size=settings.batch_size,
                        epochs=settings.epochs, verbose=0,
                        validation_data=(x[val], y[val]) if n_val else None)
    history = {k: [float(v) for v in vals] for k, vals in fit.history.items()}
    return model, history


def model_dir() -> Path:
    """Folder for trained models: ``XAIBOOK_MODEL_DIR`` or ``data_home()/models``."""
    env = os.environ.get(ENV_MODEL_DIR)
    if env:
        return Path(env).expanduser()
    from xaibook.data import data_home

    return data_home() / "models"


def cache_key(recipe: CNNRecipe, settings: TrainingSettings, images, labels) -> str:
    """Hash of recipe, settings, training data and :data:`CACHE_VERSION`.

    Returns
    -------
    str
        16 hex characters.
    """
    digest = hashlib.sha256()
    spec = {"version": CACHE_VERSION, "recipe": dataclasses.asdict(recipe),
            "settings": dataclasses.asdict(settings)}
    digest.update(json.dumps(spec, sort_keys=True).encode())
    for array in (np.asarray(images), np.asarray(labels)):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class TrainedCNN:
    """A trained network and where it came from.

    Attributes
    ----------
    model : keras.Model
        Outputs probabilities; its ``logits`` layer holds the scores.
    recipe, settings : CNNRecipe, TrainingSettings
    key : str
        Cache key (see :func:`cache_key`).
    path : pathlib.Path
        The saved ``.keras`` file.
    history : dict
        Per-epoch training metrics (see :func:`train_cnn`).
    train_seconds : float
        Wall-clock time the training took when it happened.
    from_cache : bool
        True if this call loaded the model instead of training it.
    """

    model: object
    recipe: CNNRecipe
    settings: TrainingSettings
    key: str
    path: Path
    history: dict = field(repr=False)
    train_seconds: float
    from_cache: bool

    def history_frame(self) -> pd.DataFrame:
        """The training history, one row per epoch and metric (long format)."""
        rows = []
        for metric, values in self.history.items():
            split = "validation" if metric.startswith("val_") else "training"
            for epoch, value in enumerate(values, start=1):
                rows.append({"epoch": epoch, "metric": metric.removeprefix("val_"),
                             "split": split, "value": value})
        return pd.DataFrame(rows)


def load_or_train(recipe: CNNRecipe, settings: TrainingSettings, images, labels, *,
                  cache_dir=None, name: str = "cnn", retrain: bool = False) -> TrainedCNN:
    """Load the model of this recipe, settings and data from the cache, or train it.

    Parameters
    ----------
    recipe, settings : CNNRecipe, TrainingSettings
    images, labels : array-like
        Training data (see :func:`train_cnn`); part of the cache key.
    cache_dir : path, optional
        Defaults to :func:`model_dir`.
    name : str
        Prefix of the file names (``{name}-{key}.keras`` and ``.json``).
    retrain : bool
        Train even if a cached model exists (and replace it).

    Returns
    -------
    TrainedCNN
    """
    if not name or any(c in name for c in "/\\"):
        raise ValueError(f"name must be a plain file-name prefix, got {name!r}")
    configure_tensorflow()
    key = cache_key(recipe, settings, images, labels)
    folder = Path(cache_dir) if cache_dir is not None else model_dir()
    path = folder / f"{name}-{key}.keras"
    meta_path = path.with_suffix(".json")
    if not retrain and path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        with quiet():
            model = keras.models.load_model(path, compile=False)
        return TrainedCNN(model, recipe, settings, key, path, meta["history"],
                          meta["train_seconds"], True)
    start = time.perf_counter()
    model, history = train_cnn(recipe, settings, images, labels)
    seconds = time.perf_counter() - start
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}-{key}.{os.getpid()}.tmp.keras"
    with quiet():
        model.save(tmp)
    meta = {"key": key, "recipe": dataclasses.asdict(recipe),
            "settings": dataclasses.asdict(settings), "history": history,
            "train_seconds": seconds, "keras": keras.__version__}
    tmp_meta = tmp.with_suffix(".json")
    tmp_meta.write_text(json.dumps(meta, indent=1))
    os.replace(tmp, path)
    os.replace(tmp_meta, meta_path)
    return TrainedCNN(model, recipe, settings, key, path, history, seconds, False)


def fashion_cnn(recipe: CNNRecipe = FASHION_RECIPE, settings: TrainingSettings = FASHION_TRAINING,
                *, cache_dir=None) -> TrainedCNN:
    """The Fashion-MNIST CNN of the book, trained on the 60,000 training images."""
    from xaibook.data import load_fashion_mnist

    data = load_fashion_mnist()
    return load_or_train(recipe, settings, data.x_train, data.y_train, cache_dir=cache_dir,
                         name="fashion-cnn")


@dataclass(frozen=True)
class Evaluation:
    """Predictions of a classifier on a labelled set.

    Attributes
    ----------
    y_true, y_pred : numpy.ndarray
        True and predicted classes, ``(n,)``.
    probs : numpy.ndarray
        Predicted probabilities, ``(n, k)``.
    class_names : tuple of str
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    probs: np.ndarray = field(repr=False)
    class_names: tuple[str, ...]

    @property
    def accuracy(self) -> float:
        """Share of correct predictions."""
        return float(np.mean(self.y_true == self.y_pred))

    def confusion(self) -> pd.DataFrame:
        """Counts, rows the true class and columns the predicted class."""
        k = len(self.class_names)
        counts = np.zeros((k, k), dtype=np.int64)
        np.add.at(counts, (self.y_true, self.y_pred), 1)
        names = list(self.class_names)
        return pd.DataFrame(counts, index=pd.Index(names, name="true"),
                            columns=pd.Index(names, name="predicted"))

    def per_class(self) -> pd.DataFrame:
        """Recall (share of each true class predicted right) and support."""
        conf = self.confusion().to_numpy()
        support = conf.sum(axis=1)
        return pd.DataFrame({"class": list(self.class_names), "support": support,
                             "recall": np.diag(conf) / np.maximum(support, 1)})

    def confused_pairs(self, top: int = 10) -> pd.DataFrame:
        """The most frequent (true, predicted) mistakes, most frequent first."""
        conf = self.confusion()
        long = conf.stack().rename("count").reset_index()
        long = long[(long["true"] != long["predicted"]) & (long["count"] > 0)]
        long = long.assign(share_of_true=long["count"] / conf.sum(axis=1).loc[long["true"]].to_numpy())
        return (long.sort_values(["count", "true", "predicted"], ascending=[False, True, True])
                .head(top).reset_index(drop=True))

    def mistakes(self, true: int, predicted: int) -> np.ndarray:
        """Indices of ``true``-class items predicted as ``predicted``,
        most confident mistake first."""
        idx = np.flatnonzero((self.y_true == true) & (self.y_pred == predicted))
        return idx[np.argsort(-self.probs[idx, predicted], kind="stable")]


def evaluate(model, images, labels, class_names, *, batch_size: int = 256) -> Evaluation:
    """Predict ``images`` with ``model`` and compare with ``labels``.

    ``batch_size`` 256: larger batches grow TensorFlow's allocator for good
    (1,000 images at a time cost a kernel about 170 MB more, which counts
    against Binder's 2 GB).
    """
    x = preprocess(images, model.input_shape[1:])
    y = np.asarray(labels).astype(np.int64)
    if y.shape != (len(x),):
        raise ValueError(f"labels must have shape ({len(x)},), got {y.shape}")
    with quiet():
        probs = model.predict(x, batch_size=batch_size, verbose=0)
    if probs.shape[1] != len(class_names):
        raise ValueError(f"the model has {probs.shape[1]} outputs but {len(class_names)} "
                         "class names were given")
    return Evaluation(y, probs.argmax(axis=1), probs, tuple(class_names))
