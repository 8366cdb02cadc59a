"""Permutation importance on original features, with eli5 and with scikit-learn.

Permutation importance asks: how much worse does the model score when one
feature's values are shuffled across rows (so it carries no information,
while its distribution stays the same)? Both implementations here shuffle
*original* columns of the raw frame (all one-hot columns of a categorical
move together), so the answers are in the reader's terms.

eli5's :class:`~eli5.sklearn.PermutationImportance` only accepts a numeric
matrix; :func:`eli5_permutation_importance` gives it the frame coded by
:class:`xaibook.tabular.models.FrameCodec` and a :class:`~xaibook.tabular.models.CodedModel`
that decodes before predicting, so eli5's own table shows the original names.

Caveat: when two features carry the same information (Adult's ``education``
and ``education_num``; ``relationship`` and ``marital_status``), shuffling one
leaves the other intact and both look less important than they are; see
:func:`feature_associations`.

API
---
``sklearn_permutation_importance(model, X, y, *, scoring=None, n_repeats=5, random_state=0)``
    Tidy frame: ``feature``, ``importance`` (mean score drop), ``std``, ``method``, ``scoring``.
``eli5_permutation_importance(model, X, y, *, scoring=None, n_repeats=5, random_state=0)``
    :class:`Eli5Importance`: the same tidy ``frame`` plus eli5's rendered HTML table.
``compare_importances(*frames)``
    Side by side, one row per feature, one column per method, with ranks.
``feature_associations(X, *, bins=5, threshold=0.0)``
    Cramér's V for every pair of features (numbers binned into quantiles).
``plot_importance(frame, *, top=15, title=...)``
    Altair bar chart with ±1 std error bars (grouped when several methods).
``grouped_permutation_importance(model, X, y, groups, *, scoring=None, n_repeats=5)``
    Shuffle a *set* of columns with one shared permutation (rows of the set
    stay together, so no impossible combination is created inside the set).
``drop_column_importance(make_model, X_train, y_train, X_test, y_test, groups, ...)``
    Refit without each set of columns; the score lost, with a paired
    bootstrap interval over the test rows (:func:`xaibook.stats.paired_difference`).

Note: eli5's ``PermutationImportance`` and scikit-learn's
``permutation_importance`` implement the same algorithm (shuffle one column,
rescore, average over repeats); their agreement checks the plumbing, it is
not independent evidence.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import altair as alt
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance as _sk_permutation_importance
from sklearn.metrics import check_scoring

from xaibook.style import PALETTE, WIDTH, check_frame, check_rows, titled
from xaibook.tabular.models import serial_threads
from xaibook.tabular.models import CodedModel, FrameCodec, check_model_input, check_target, task_of

__all__ = ["Eli5Importance", "sklearn_permutation_importance", "eli5_permutation_importance",
           "compare_importances", "count_safe_bins", "cramers_v", "feature_associations",
           "plot_importance",
           "grouped_permutation_importance", "drop_column_importance"]

_COLUMNS = ["feature", "importance", "std", "method", "scoring"]


def _scoring_name(model, scoring) -> str:
    if scoring is None:
        return "accuracy" if task_of(model) == "classification" else "r2"
    return scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "custom")


def _check(model, X, y, n_repeats):
    X = check_model_input(model, X)
    y = check_target(y, X, task=task_of(model))
    if int(n_repeats) < 1:
        raise ValueError("n_repeats must be at least 1")
    return X, y


def _tidy(features, mean, std, method, scoring) -> pd.DataFrame:
    out = pd.DataFrame({"feature": list(features), "importance": np.asarray(mean, float),
                        "std": np.asarray(std, float), "method": method, "scoring": scoring})
    return out.sort_values(["importance", "feature"], ascending=[False, True], ignore_index=True)


def sklearn_permutation_importance(model, X, y, *, scoring=None, n_repeats: int = 5,
                                   random_state: int = 0) -> pd.DataFrame:
    """Permutation importance of every original feature with scikit-learn.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        Takes the raw frame ``X`` (original column names).
    X : pandas.DataFrame
        Held-out features (importance on training data measures memorisation).
    y : array-like
        Held-out target.
    scoring : str or callable, optional
        Any scikit-learn scorer; default: accuracy (classifiers) or R² (regressors).
    n_repeats : int
        Shuffles per feature.
    random_state : int
        Seed of the shuffles.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature``, ``importance`` (mean drop in score), ``std``,
        ``method`` (``"scikit-learn"``) and ``scoring``; most important first.
    """
    X, y = _check(model, X, y, n_repeats)
    with serial_threads():
        res = _sk_permutation_importance(model, X, y, scoring=scoring, n_repeats=int(n_repeats),
                                         random_state=random_state, n_jobs=1)
    return _tidy(X.columns, res.importances_mean, res.importances_std, "scikit-learn",
                 _scoring_name(model, scoring))


@dataclass(frozen=True)
class Eli5Importance:
    """Result of :func:`eli5_permutation_importance`.

    Attributes
    ----------
    frame : pandas.DataFrame
        Tidy importances (same columns as :func:`sklearn_permutation_importance`).
    html : str
        eli5's own rendering of the weights table; the object displays as it.
    estimator : eli5.sklearn.PermutationImportance
        The fitted eli5 object (``results_``, ``scores_``...).
    """

    frame: pd.DataFrame
    html: str = field(repr=False)
    estimator: object = field(repr=False)

    def _repr_html_(self) -> str:
        return self.html


def eli5_permutation_importance(model, X, y, *, scoring=None, n_repeats: int = 5,
                                random_state: int = 0, top: int | None = None) -> Eli5Importance:
    """Permutation importance of every original feature with eli5.

    eli5 shuffles columns of a numeric matrix; here that matrix is ``X`` coded
    by :class:`~xaibook.tabular.models.FrameCodec` (a categorical column becomes its
    category codes) and the model is wrapped to decode it before predicting.
    Shuffling codes is shuffling the original values, so the result means the
    same as :func:`sklearn_permutation_importance` and keeps the feature names.

    Parameters are as for :func:`sklearn_permutation_importance`; ``top``
    limits the rows of the rendered table.

    Notes
    -----
    eli5 reports ``std`` as the spread of the drops; its table shows ±2 std.
    """
    X, y = _check(model, X, y, n_repeats)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import eli5
        from eli5.sklearn import PermutationImportance
    codec = FrameCodec(X)
    coded = codec.encode(X)
    wrapped = CodedModel(model, codec)
    scorer = check_scoring(model, scoring=scoring)
    perm = PermutationImportance(wrapped, scoring=scorer, n_iter=int(n_repeats),
                                 random_state=random_state, cv="prefit")
    with warnings.catch_warnings(), serial_threads():
        warnings.simplefilter("ignore")
        perm.fit(coded, y)
        html = eli5.show_weights(perm, feature_names=list(X.columns), top=top).data
    frame = _tidy(X.columns, perm.feature_importances_, perm.feature_importances_std_, "eli5",
                  _scoring_name(model, scoring))
    return Eli5Importance(frame, html, perm)


def _frame_of(result):
    return result.frame if isinstance(result, Eli5Importance) else result


def compare_importances(*frames: pd.DataFrame) -> pd.DataFrame:
    """Put importance frames (or :class:`Eli5Importance` results) from different methods side by side.

    Returns one row per feature with one ``importance`` column per method
    (named after it) and its rank (``rank <method>``, 1 = most important),
    ordered by the first method.
    """
    if not frames:
        raise ValueError("give at least one importance frame")
    both = pd.concat([check_frame(_frame_of(f), _COLUMNS, name="importance frame") for f in frames])
    wide = both.pivot_table(index="feature", columns="method", values="importance", sort=False)
    methods = list(dict.fromkeys(both["method"]))
    wide = wide[methods]
    for m in methods:
        wide[f"rank {m}"] = wide[m].rank(ascending=False, method="min").astype(int)
    wide.columns.name = None
    return wide.sort_values(methods[0], ascending=False)


def count_safe_bins(values: pd.Series, *, bins: int = 5) -> pd.Series:
    """Bin one column for a contingency table without collapsing rare counts.

    * non-numeric or booleans, or at most ``bins`` distinct values: kept as
      categories;
    * numeric where one value (typically 0) holds more than ``1 / bins`` of
      the rows (juvenile counts: ~95% zeros): that value becomes its own
      category and the remaining rows are cut into up to ``bins - 1``
      quantile bins (so at worst "0" versus "> 0");
    * otherwise: ``bins`` quantile bins.

    Plain quantile binning with ``duplicates="drop"`` puts a column that is
    95% zeros into a single bin, and any association measured on it is then
    an artefact.
    """
    s = pd.Series(values)
    numeric = pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
    if not numeric or s.nunique() <= bins:
        return s.astype(str)
    counts = s.value_counts(normalize=True)
    if counts.iloc[0] > 1 / bins:
        mode = counts.index[0]
        out = pd.Series(f"= {mode:g}", index=s.index, dtype=object)
        rest = s[s != mode]
        if rest.nunique() <= max(bins - 1, 1):
            out[rest.index] = rest.map(lambda v: f"{v:g}")
        else:
            cut = pd.qcut(rest, bins - 1, duplicates="drop")
            out[rest.index] = cut.astype(str)
        return out
    return pd.qcut(s, bins, duplicates="drop").astype(str)


def cramers_v(a, b) -> float:
    """Cramér's V of two categorical series; NaN (not 0) when undefined.

    The statistic is undefined when either variable has a single level (a
    one-row or one-column table): then there is nothing to associate, and
    reporting 0 would claim an independence nobody measured.
    """
    a, b = pd.Series(a).astype(str), pd.Series(b).astype(str)
    if len(a) != len(b):
        raise ValueError("cramers_v: both series must have the same length")
    table = pd.crosstab(a.to_numpy(), b.to_numpy()).to_numpy(dtype=float)
    n = table.sum()
    if n == 0 or min(table.shape) < 2:
        return float("nan")
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    chi2 = ((table - expected) ** 2 / expected).sum()
    return float(np.sqrt(chi2 / n / (min(table.shape) - 1)))


def feature_associations(X: pd.DataFrame, *, bins: int = 5, threshold: float = 0.0,
                         columns=None) -> pd.DataFrame:
    """Strength of association between every pair of features (Cramér's V, 0 to 1).

    Numeric columns with more than ``bins`` distinct values are binned with
    :func:`count_safe_bins` first (quantile bins, but a value that holds more
    than ``1 / bins`` of the rows, such as the zeros of a rare count, keeps
    its own level), so one statistic serves every pair. A pair whose table
    is degenerate (one level) gets NaN, never 0: see :func:`cramers_v`.
    Correlated features share credit in permutation importance: shuffling one
    of a pair leaves the other to carry the information.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature_a``, ``feature_b``, ``cramers_v``, strongest first,
        keeping pairs with ``cramers_v >= threshold``; undefined pairs (NaN) last.
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame, not {type(X).__name__}")
    columns = list(X.columns if columns is None else columns)
    binned = {c: count_safe_bins(X[c], bins=bins) for c in columns}
    rows = [(a, b, cramers_v(binned[a], binned[b])) for a, b in itertools.combinations(columns, 2)]
    out = pd.DataFrame(rows, columns=["feature_a", "feature_b", "cramers_v"])
    out = out[(out["cramers_v"] >= threshold) | out["cramers_v"].isna()]
    return out.sort_values("cramers_v", ascending=False, ignore_index=True, na_position="last")


def plot_importance(frame: pd.DataFrame, *, top: int = 15,
                    title: str = "Permutation importance",
                    subtitle: str | None = None, x_title: str | None = None) -> alt.Chart:
    """Horizontal bars of mean importance with ±1 std error bars.

    ``frame`` is one or more concatenated results of the functions above;
    with several methods the bars are grouped by method. Only the ``top``
    features (by the largest importance across methods) are shown.
    """
    frame = check_frame(_frame_of(frame), _COLUMNS, name="importance frame")
    order = (frame.groupby("feature")["importance"].max().sort_values(ascending=False)
             .index[:top].tolist())
    data = check_rows(frame[frame["feature"].isin(order)].copy())
    data["low"] = data["importance"] - data["std"]
    data["high"] = data["importance"] + data["std"]
    methods = list(dict.fromkeys(data["method"]))
    names = {"roc_auc": "ROC AUC", "r2": "R²", "neg_mean_absolute_error": "−MAE",
             "neg_root_mean_squared_error": "−RMSE", "balanced_accuracy": "balanced accuracy"}
    scoring = ", ".join(names.get(s, s) for s in dict.fromkeys(data["scoring"]))
    x_title = x_title or f"Mean drop in {scoring} when shuffled"
    color = alt.Color("method:N", title="Method",
                      scale=alt.Scale(domain=methods, range=PALETTE[:len(methods)]))
    y = alt.Y("feature:N", sort=order, title="Feature")
    base = alt.Chart(data).encode(y=y)
    extra = {"yOffset": alt.YOffset("method:N", sort=methods)} if len(methods) > 1 else {}
    bars = base.mark_bar().encode(
        x=alt.X("importance:Q", title=x_title), color=color,
        tooltip=["feature:N", "method:N", alt.Tooltip("importance:Q", format=".4f"),
                 alt.Tooltip("std:Q", format=".4f")], **extra)
    err = base.mark_rule(color="#333").encode(x="low:Q", x2="high:Q", **extra)
    height = max(160, 22 * len(order) * max(1, len(methods)) ** 0.6)
    return (bars + err).properties(width=WIDTH, height=height, title=titled(title, subtitle))


def _check_groups(groups, columns) -> dict:
    if not isinstance(groups, dict) or not groups:
        raise ValueError("groups must be a non-empty dict: name -> list of column names")
    out = {}
    for name, cols in groups.items():
        cols = [cols] if isinstance(cols, str) else list(cols)
        missing = [c for c in cols if c not in columns]
        if not cols or missing:
            raise ValueError(f"group {name!r}: columns {missing or cols} are not in X "
                             f"(columns: {list(columns)})")
        out[str(name)] = cols
    return out


def grouped_permutation_importance(model, X, y, groups, *, scoring=None, n_repeats: int = 5,
                                   random_state: int = 0) -> pd.DataFrame:
    """Permutation importance of *sets* of columns, shuffled together.

    Each set's columns are permuted with one shared permutation of the rows,
    so the combination of values inside the set stays a real person's (a
    shuffled ``marital_status`` alone makes "husbands" who never married);
    only the link between the set and the other columns is broken. When
    columns carry the same information, each one shuffled alone looks
    unimportant while the set matters: this is the measure for them.

    Parameters
    ----------
    model : fitted estimator or Pipeline on the raw frame.
    X, y : held-out features and target.
    groups : dict
        Name -> list of columns (a single column is a set of one).
    scoring : str or callable, optional
        A scikit-learn scorer; default accuracy (classifier) or R².
    n_repeats, random_state
        Shuffles per set and their seed (the same permutations for every set).

    Returns
    -------
    pandas.DataFrame
        Columns ``feature`` (the set's name), ``importance`` (mean drop in
        score), ``std``, ``method`` (``"grouped permutation"``), ``scoring``
        and ``columns`` (the set, joined by ", "); most important first.
    """
    X, y = _check(model, X, y, n_repeats)
    groups = _check_groups(groups, X.columns)
    scorer = check_scoring(model, scoring=scoring)
    rng = np.random.default_rng(random_state)
    perms = [rng.permutation(len(X)) for _ in range(int(n_repeats))]
    with serial_threads():
        base = scorer(model, X, y)
        rows = []
        for name, cols in groups.items():
            drops = []
            for perm in perms:
                Xp = X.copy()
                for c in cols:
                    Xp[c] = X[c].to_numpy()[perm]
                drops.append(base - scorer(model, Xp, y))
            rows.append((name, np.mean(drops), np.std(drops), ", ".join(cols)))
    out = _tidy([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
                "grouped permutation", _scoring_name(model, scoring))
    return out.assign(columns=out["feature"].map({r[0]: r[3] for r in rows}))


def drop_column_importance(make_model, X_train, y_train, X_test, y_test, groups, *,
                           metric=None, n_boot: int = 300, seed: int = 0,
                           full_model=None) -> pd.DataFrame:
    """Refit without each set of columns and measure the score lost.

    Unlike permutation, nothing impossible is fed to a model: each reduced
    model is trained and tested on real rows. The loss is
    ``metric(full) - metric(reduced)`` on the same test rows, with a paired
    bootstrap interval (:func:`xaibook.stats.paired_difference`).

    Parameters
    ----------
    make_model : callable
        ``make_model(X_train_subset)`` returns an unfitted estimator.
    X_train, y_train, X_test, y_test
        Raw frames and 0/1 targets.
    groups : dict
        Name -> columns to remove together.
    metric : callable, optional
        ``metric(y_true, score)``; default ROC AUC on the positive-class score.
    full_model : fitted estimator, optional
        The model with every column (refitted when not given).

    Returns
    -------
    pandas.DataFrame
        ``feature`` (set name), ``columns``, ``score_full``, ``score_without``,
        ``drop``, ``low``, ``high`` (95% paired-bootstrap interval of the
        drop) and ``drop_real`` (the interval excludes zero).
    """
    from sklearn.metrics import roc_auc_score
    from xaibook.stats import paired_difference
    from xaibook.tabular.models import predict_score
    groups = _check_groups(groups, X_train.columns)
    metric = roc_auc_score if metric is None else metric
    y_test = np.asarray(y_test)
    full = full_model if full_model is not None else make_model(X_train).fit(X_train, y_train)
    s_full = predict_score(full, X_test)
    rows = []
    for name, cols in groups.items():
        Xtr, Xte = X_train.drop(columns=cols), X_test.drop(columns=cols)
        if Xtr.shape[1] == 0:
            raise ValueError(f"group {name!r} removes every column")
        s_red = predict_score(make_model(Xtr).fit(Xtr, y_train), Xte)
        iv = paired_difference(metric, y_test, s_full, s_red, n_boot=n_boot, seed=seed)
        rows.append({"feature": name, "columns": ", ".join(cols),
                     "score_full": metric(y_test, s_full), "score_without": metric(y_test, s_red),
                     "drop": iv.estimate, "low": iv.low, "high": iv.high,
                     "drop_real": iv.excludes_zero})
    return pd.DataFrame(rows)
