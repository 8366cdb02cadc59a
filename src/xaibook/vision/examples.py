"""Fixed, named examples for the vision chapters (no random picks per run)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xaibook.vision.cnn import Evaluation

__all__ = ["first_of_each_class", "confident_mistakes"]


def first_of_each_class(labels, class_names) -> dict[str, int]:
    """Index of the first item of each class, by class name.

    A rule fixed before looking at any model or explanation: reproducible
    and free of cherry-picking. Classes with no item are left out.
    """
    labels = np.asarray(labels)
    out = {}
    for k, name in enumerate(class_names):
        hits = np.flatnonzero(labels == k)
        if len(hits):
            out[name] = int(hits[0])
    return out


def confident_mistakes(evaluation: Evaluation, pairs, *, per_pair: int = 1) -> pd.DataFrame:
    """The most confident mistakes of each (true, predicted) pair of class names.

    Parameters
    ----------
    evaluation : Evaluation
    pairs : sequence of (str, str)
        ``(true class, predicted class)`` names.
    per_pair : int
        Mistakes per pair, most confident (highest predicted probability) first.

    Returns
    -------
    pandas.DataFrame
        Columns ``index``, ``true``, ``predicted``, ``p_predicted``, ``p_true``;
        pairs without mistakes contribute no rows.
    """
    names = list(evaluation.class_names)
    rows = []
    for true, predicted in pairs:
        if true not in names or predicted not in names:
            raise ValueError(f"unknown class in pair {(true, predicted)}; classes are {names}")
        t, p = names.index(true), names.index(predicted)
        for i in evaluation.mistakes(t, p)[:per_pair]:
            rows.append({"index": int(i), "true": true, "predicted": predicted,
                         "p_predicted": float(evaluation.probs[i, p]),
                         "p_true": float(evaluation.probs[i, t])})
    return pd.DataFrame(rows, columns=["index", "true", "predicted", "p_predicted", "p_true"])
