"""Import TensorFlow and Keras quietly, with the book's thread settings.

TensorFlow reads ``TF_CPP_MIN_LOG_LEVEL`` once, when it is first imported, so
this module sets it (unless the caller already did) *before* the import; every
module of :mod:`xaibook.vision` imports TensorFlow through here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

__all__ = ["tf", "keras", "quiet", "configure_tensorflow", "ENV_THREADS"]

#: Environment variable: number of CPU threads TensorFlow may use per op.
ENV_THREADS = "XAIBOOK_TF_THREADS"


@contextlib.contextmanager
def quiet():
    """Silence the known chatter of TensorFlow, Keras, SHAP and friends.

    Python warnings are suppressed and TensorFlow's Python logger is raised to
    ``ERROR`` for the duration of the block, then restored.
    """
    logger = tf.get_logger()
    level = logger.level
    absl = logging.getLogger("absl")
    absl_level = absl.level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logger.setLevel(logging.ERROR)
        absl.setLevel(logging.ERROR)
        try:
            yield
        finally:
            logger.setLevel(level)
            absl.setLevel(absl_level)


def configure_tensorflow(threads: int | None = None, *, deterministic: bool = True) -> None:
    """Pin TensorFlow's thread pools and make its ops deterministic.

    Parameters
    ----------
    threads : int, optional
        Threads per op (intra-op parallelism). Defaults to the environment
        variable ``XAIBOOK_TF_THREADS``, else the number of CPUs available to
        this process. Inter-op parallelism is set to 1 so that the order of
        floating-point reductions does not depend on scheduling.
    deterministic : bool
        Call :func:`tf.config.experimental.enable_op_determinism`.

    Notes
    -----
    Thread pools can only be set before TensorFlow runs its first op; later
    calls leave them as they are (silently), which is harmless.
    """
    if threads is None:
        env = os.environ.get(ENV_THREADS)
        threads = int(env) if env else len(os.sched_getaffinity(0))
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # the runtime is already initialised
        pass
    if deterministic:
        tf.config.experimental.enable_op_determinism()
