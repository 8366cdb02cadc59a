"""Partial dependence (PD) and individual conditional expectation (ICE).

An ICE curve takes one person, sweeps one feature over a grid and records the
model's prediction; the PD curve is the average of all ICE curves. Where ICE
curves are parallel, the PD curve tells the whole story; where they cross or
fan out, the feature interacts with others. Both answer "what does the
model do if we change X?", not "what happens in the world": when features
are correlated the sweep visits impossible people (a 20-year-old with 40
years of schooling).

Functions take a fitted pipeline and the raw frame with original column
names; categorical features are swept over their categories. Integer columns
are evaluated as floats (scikit-learn refuses integer columns because grid
values would be truncated).

API
---
``partial_dependence_frame(model, X, features, *, kind="both", grid_resolution=20, n_ice=50, ...)``
    Tidy frame of PD and ICE curves with scikit-learn: ``feature``, ``value``,
    ``kind`` (``average``/``individual``), ``sample``, ``prediction``.
``plot_partial_dependence(frame, *, features=None, columns=2, ...)``
    Altair panels: thin ICE lines and a bold PD line per feature.
``pdpbox_isolate(model, X, feature, *, num_grid_points=10, n_ice=100, ...)``
    pdpbox 0.3's :class:`~pdpbox.pdp.PDPIsolate` plot (matplotlib) and its PD values.
``pdpbox_target_plot(X, y, feature, ...)`` and ``pdpbox_predict_plot(model, X, feature, ...)``
    pdpbox's info plots: the observed target, and the model's predictions,
    per bucket of a feature (what the data say vs what the model says).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field

import altair as alt
import numpy as np
import pandas as pd
from sklearn.inspection import partial_dependence as _sk_partial_dependence

from xaibook.style import PALETTE, WIDTH, check_frame, check_rows, titled
from xaibook.tabular.models import serial_threads
from xaibook.tabular.models import categorical_columns, check_model_input, check_target, task_of

__all__ = ["partial_dependence_frame", "plot_partial_dependence", "PdpboxResult",
           "pdpbox_isolate", "pdpbox_target_plot", "pdpbox_predict_plot"]

#: pdpbox defaults to Arial, which is often not installed; use matplotlib's own font.
_STYLE = {"font_family": "DejaVu Sans"}
_FRAME_COLUMNS = ["feature", "value", "kind", "sample", "prediction", "categorical"]


def _floats(X: pd.DataFrame) -> pd.DataFrame:
    ints = [c for c in X.columns if pd.api.types.is_integer_dtype(X[c].dtype)
            and not pd.api.types.is_bool_dtype(X[c].dtype)]
    return X.astype({c: "float64" for c in ints}) if ints else X


def _check_features(X, features) -> list[str]:
    if isinstance(features, str):
        features = [features]
    features = list(features)
    if not features:
        raise ValueError("give at least one feature")
    unknown = [f for f in features if f not in X.columns]
    if unknown:
        raise ValueError(f"unknown feature(s) {unknown}; the model's features are {list(X.columns)}")
    return features


def _sample(X, n, random_state):
    if n is None or len(X) <= n:
        return X
    return X.sample(n=int(n), random_state=random_state)


def partial_dependence_frame(model, X, features, *, kind: str = "both", grid_resolution: int = 20,
                             percentiles=(0.05, 0.95), n_ice: int = 50, max_samples: int | None = 1_000,
                             centered: bool = False, random_state: int = 0) -> pd.DataFrame:
    """PD and ICE curves of original features with :func:`sklearn.inspection.partial_dependence`.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        Takes the raw frame; classifiers are read as the positive-class
        probability, regressors as their prediction.
    X : pandas.DataFrame
        Data to average over (a seeded subsample of ``max_samples`` rows).
    features : str or list of str
        Original feature names. Categorical ones are swept over their categories.
    kind : {"both", "average", "individual"}
        PD curve, ICE curves or both.
    grid_resolution : int
        Grid points for numeric features, between the ``percentiles`` of ``X``.
    n_ice : int
        ICE curves per feature (a seeded subsample of the rows).
    centered : bool
        Subtract each curve's value at the first grid point (c-ICE), which
        makes differences in shape easier to see.
    random_state : int
        Seed of the subsamples.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature``, ``value`` (grid value: float, or category label),
        ``kind`` (``average``/``individual``), ``sample`` (row label of the
        ICE curve's person; ``-1`` for the average), ``prediction`` and
        ``categorical``.
    """
    if kind not in ("both", "average", "individual"):
        raise ValueError("kind must be 'both', 'average' or 'individual'")
    X = check_model_input(model, X)
    features = _check_features(X, features)
    cats = set(categorical_columns(X))
    data = _floats(_sample(X, max_samples, random_state))
    ice_rows = _sample(data, n_ice, random_state)
    frames = []
    with warnings.catch_warnings(), serial_threads():
        warnings.simplefilter("ignore")
        for feat in features:
            is_cat = feat in cats
            common = dict(features=[feat], categorical_features=[feat] if is_cat else None,
                          grid_resolution=grid_resolution, percentiles=percentiles, method="brute")
            avg = _sk_partial_dependence(model, data, kind="average", **common)
            grid = avg["grid_values"][0]
            curves = []
            if kind in ("both", "average"):
                curves.append(pd.DataFrame({"value": grid, "kind": "average", "sample": -1,
                                            "prediction": avg["average"][0]}))
            if kind in ("both", "individual"):
                ind = _sk_partial_dependence(
                    model, ice_rows, kind="individual",
                    features=[feat], categorical_features=[feat] if is_cat else None,
                    custom_values={feat: grid}, method="brute")["individual"][0]
                labels = np.repeat(np.asarray(ice_rows.index), len(grid))
                curves.append(pd.DataFrame({"value": np.tile(grid, len(ice_rows)), "kind": "individual",
                                            "sample": labels, "prediction": ind.ravel()}))
            df = pd.concat(curves, ignore_index=True)
            if centered:
                first = df.groupby(["kind", "sample"], sort=False)["prediction"].transform("first")
                df["prediction"] = df["prediction"] - first
            df.insert(0, "feature", feat)
            df["categorical"] = is_cat
            if is_cat:
                df["value"] = df["value"].astype(str)
            else:
                df["value"] = df["value"].astype(float)
            frames.append(df[_FRAME_COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    out["value"] = out["value"].astype(object)
    return out


def _panel(data: pd.DataFrame, feature: str, y_title: str, width: int) -> alt.LayerChart:
    is_cat = bool(data["categorical"].iloc[0])
    cols = ["value", "sample", "prediction"]
    data = data.assign(prediction=data["prediction"].astype(float).round(4))
    avg = data.loc[data["kind"] == "average", cols]
    ice = data.loc[data["kind"] == "individual", cols]
    if not is_cat:
        avg, ice = (d.assign(value=d["value"].astype(float).round(4)) for d in (avg, ice))
    if is_cat:
        order = (avg.sort_values("prediction")["value"].tolist() if len(avg)
                 else sorted(data["value"].unique()))
        x = alt.X("value:N", title=feature, sort=order, axis=alt.Axis(labelAngle=-30, labelLimit=120))
    else:
        x = alt.X("value:Q", title=feature, scale=alt.Scale(zero=False))
    layers = []
    if len(ice):
        enc = dict(x=x, y=alt.Y("prediction:Q", title=y_title), detail="sample:N")
        mark = (alt.Chart(ice).mark_line(color="#888", opacity=0.2, strokeWidth=1) if not is_cat
                else alt.Chart(ice).mark_tick(color="#888", opacity=0.35, thickness=1))
        layers.append(mark.encode(**enc))
    if len(avg):
        enc = dict(x=x, y=alt.Y("prediction:Q", title=y_title),
                   tooltip=[alt.Tooltip("value", title=feature),
                            alt.Tooltip("prediction:Q", title="average", format=".3f")])
        if is_cat:
            layers.append(alt.Chart(avg).mark_point(filled=True, size=80, color=PALETTE[1]).encode(**enc))
        else:
            layers.append(alt.Chart(avg).mark_line(color=PALETTE[1], strokeWidth=3).encode(**enc))
    return alt.layer(*layers).properties(width=width, height=int(width * 0.7), title=feature)


def plot_partial_dependence(frame: pd.DataFrame, *, features=None, columns: int = 2,
                            title: str = "Partial dependence (bold) and ICE curves (grey)",
                            subtitle: str | None = None, y_title: str | None = None,
                            width: int | None = None):
    """One Altair panel per feature: ICE curves as thin grey lines, PD as a bold line.

    Categorical features show ICE values as ticks and the average as dots,
    categories sorted by the average. ``frame`` comes from
    :func:`partial_dependence_frame`.
    """
    check_frame(frame, _FRAME_COLUMNS, name="partial dependence frame")
    features = list(dict.fromkeys(frame["feature"])) if features is None else _as_list(features)
    unknown = [f for f in features if f not in set(frame["feature"])]
    if unknown:
        raise ValueError(f"feature(s) {unknown} are not in the frame")
    width = width or (WIDTH if columns == 1 else 300)
    y_title = y_title or "Predicted value"
    panels = []
    for feat in features:
        data = frame[frame["feature"] == feat].copy()
        check_rows(data)
        panels.append(_panel(data, feat, y_title, width))
    chart = panels[0] if len(panels) == 1 else alt.concat(*panels, columns=columns)
    return chart.properties(title=titled(title, subtitle))


def _as_list(x):
    return [x] if isinstance(x, str) else list(x)


# --------------------------------------------------------------------- pdpbox
@dataclass(frozen=True)
class PdpboxResult:
    """A pdpbox plot and the numbers behind it.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        pdpbox's plot (already closed in pyplot; display it as the cell's value).
    frame : pandas.DataFrame
        The values drawn: for :func:`pdpbox_isolate`, ``value`` and
        ``prediction`` (the PD curve); for the info plots, pdpbox's summary
        per feature bucket.
    obj : object
        The pdpbox object itself.
    """

    figure: object
    frame: pd.DataFrame
    obj: object = field(repr=False)

    def _repr_png_(self):
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=self.figure.dpi, bbox_inches="tight")
        return buf.getvalue()


@contextlib.contextmanager
def _quiet():
    """pdpbox prints messages and tqdm progress bars: keep them off the page."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()), serial_threads():
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _global_numpy_seed(seed):
    """pdpbox samples ICE lines with numpy's global RNG: seed it, then restore it."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _n_classes(model) -> int:
    if task_of(model) == "regression":
        return 0
    n = len(model.classes_)
    if n != 2:
        raise ValueError("only binary classifiers and regressors are supported")
    return n


def _onehot_view(X: pd.DataFrame, feature: str):
    """Frame with ``feature`` as pdpbox-style one-hot columns, and a transformer back."""
    values = X[feature]
    cats = (list(values.cat.categories) if isinstance(values.dtype, pd.CategoricalDtype)
            else sorted(pd.unique(values), key=str))
    present = [c for c in cats if (values == c).any()]
    names = [str(c) for c in present]
    if len(set(names)) < len(names) or set(names) & set(X.columns):
        names = [f"{feature}={c}" for c in present]
    dummies = pd.DataFrame({n: (values == c).astype(int).to_numpy() for n, c in zip(names, present)},
                           index=X.index)
    view = pd.concat([X.drop(columns=[feature]), dummies], axis=1)
    original = list(X.columns)
    dtype = values.dtype

    def back(df: pd.DataFrame) -> pd.DataFrame:
        idx = df[names].to_numpy().argmax(axis=1)
        col = pd.Series(np.asarray(present, dtype=object)[idx], index=df.index)
        if isinstance(dtype, pd.CategoricalDtype):
            col = col.astype(dtype)
        out = df.drop(columns=names)
        out[feature] = col
        return out[original]

    return view, names, [str(c) for c in present], back


#: pdpbox's terse axis labels, replaced by readable ones.
_AXIS_LABELS = {"raw": "Predicted probability", "pred dist": "Predicted probability",
                "Average target": "Observed share", "count": "People"}


def _tidy_number(match) -> str:
    v = float(match.group(0))
    return f"{v:,.0f}" if abs(v - round(v)) < 1e-9 or abs(v) >= 1000 else f"{v:.1f}"


def _tidy_labels(fig, regression: bool = False):
    """Readable pdpbox axes: no "raw"/"pred dist", no "3175.000" or "[19.0, 24.0)" ticks."""
    import re
    number = re.compile(r"-?\d+\.\d+")
    labels = dict(_AXIS_LABELS)
    if regression:
        labels.update({"raw": "Prediction", "pred dist": "Prediction"})
    for ax in fig.axes:
        if ax.get_ylabel() in labels:
            ax.set_ylabel(labels[ax.get_ylabel()])
        if ax.get_xlabel() in labels:
            ax.set_xlabel(labels[ax.get_xlabel()])
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        if any("[" in t or "(" in t for t in ticks):
            ax.set_xticks(ax.get_xticks())
            ax.set_xticklabels([number.sub(_tidy_number, t) for t in ticks])


def _finish(fig, title, rotate=False, regression=False):
    import matplotlib.pyplot as plt
    _tidy_labels(fig, regression)
    if rotate:
        for ax in fig.axes:
            for label in ax.get_xticklabels():
                label.set_rotation(25)
                label.set_horizontalalignment("right")
    if title:
        fig.suptitle(title, fontsize=12)
    plt.close(fig)
    return fig


def pdpbox_isolate(model, X, feature: str, *, num_grid_points: int = 10, n_ice: int = 100,
                   max_samples: int = 500, center: bool = False, random_state: int = 0,
                   dpi: int = 80, figsize=(8, 5), title: str | None = None) -> PdpboxResult:
    """pdpbox's PDP with ICE lines for one original feature of a pipeline.

    pdpbox 0.3 cannot infer the number of classes of a pipeline, so it is
    passed explicitly (0 for regressors). Categorical features are handed to
    pdpbox as its one-hot feature type and turned back into the original
    column before the model predicts. The figure uses matplotlib at ``dpi``.

    Returns
    -------
    PdpboxResult
        ``figure``, ``frame`` (``value``, ``prediction``: the PD curve) and
        the :class:`pdpbox.pdp.PDPIsolate` object.
    """
    X = check_model_input(model, X)
    _check_features(X, [feature])
    data = _floats(_sample(X, max_samples, random_state))
    n_classes = _n_classes(model)
    is_cat = feature in categorical_columns(X)
    if is_cat:
        view, names, labels, back = _onehot_view(data, feature)
        kwargs = dict(df=view, model_features=list(view.columns), feature=names,
                      data_transformer=back)
    else:
        kwargs = dict(df=data, model_features=list(data.columns), feature=feature,
                      num_grid_points=num_grid_points)
    from pdpbox import pdp
    with _quiet():
        obj = pdp.PDPIsolate(model=model, feature_name=feature, n_classes=n_classes,
                             n_jobs=1, **kwargs)
        frac = min(1.0, n_ice / len(data))
        with _global_numpy_seed(random_state):
            fig, _ = obj.plot(center=center, plot_lines=True, frac_to_plot=frac, plot_pts_dist=not is_cat,
                              engine="matplotlib", dpi=dpi, figsize=figsize, ncols=1,
                              plot_params=dict(_STYLE))
    grid = labels if is_cat else \
        list(np.asarray(obj.feature_info.grids, dtype=float))
    frame = pd.DataFrame({"value": grid, "prediction": obj.results[0].pdp})
    return PdpboxResult(_finish(fig, title, is_cat, n_classes == 0), frame, obj)


def pdpbox_target_plot(X, y, feature: str, *, num_grid_points: int = 10, dpi: int = 80,
                       figsize=(8, 5), title: str | None = None,
                       target_name: str = "target") -> PdpboxResult:
    """pdpbox's target plot: the observed average target per bucket of ``feature``.

    This is the data's answer (no model involved): compare it with
    :func:`pdpbox_predict_plot` and with the partial dependence.
    ``target_name`` labels the target axis; the returned frame calls the
    average ``target`` whatever the label.
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame, not {type(X).__name__}")
    _check_features(X, [feature])
    y = check_target(y, X)
    data = _floats(X[[feature]].copy())
    if data[feature].isna().any():
        raise ValueError(f"feature '{feature}' has missing values")
    if target_name in data.columns:
        raise ValueError(f"target_name {target_name!r} clashes with the feature's name")
    data[target_name] = np.asarray(y, dtype=float)
    is_cat = feature in categorical_columns(X)
    from pdpbox import info_plots
    with _quiet():
        if is_cat:
            view, names, _, _ = _onehot_view(data, feature)
            obj = info_plots.TargetPlot(view, names, feature, target_name)
        else:
            obj = info_plots.TargetPlot(data, feature, feature, target_name,
                                        num_grid_points=num_grid_points)
        fig, _, summary = obj.plot(engine="matplotlib", dpi=dpi, figsize=figsize, ncols=1,
                              plot_params=dict(_STYLE))
    return PdpboxResult(_finish(fig, title, is_cat), summary.rename(columns={target_name: "target"}), obj)


def pdpbox_predict_plot(model, X, feature: str, *, num_grid_points: int = 10, dpi: int = 80,
                        figsize=(8, 5), title: str | None = None) -> PdpboxResult:
    """pdpbox's prediction plot: the model's actual predictions per bucket of ``feature``.

    Unlike partial dependence, nobody's feature is changed: it shows how
    predictions are distributed for the people who really are in each bucket,
    so it mixes in everything correlated with ``feature``.
    """
    X = check_model_input(model, X)
    _check_features(X, [feature])
    data = _floats(X)
    n_classes = _n_classes(model)
    is_cat = feature in categorical_columns(X)
    from pdpbox import info_plots
    with _quiet():
        if is_cat:
            view, names, _, _ = _onehot_view(data, feature)
            view = pd.concat([view, data[[feature]]], axis=1)
            cols = list(X.columns)

            def pred_func(m, df):
                return m.predict_proba(df[cols]) if n_classes else m.predict(df[cols])

            obj = info_plots.PredictPlot(view, names, feature, model, list(view.columns),
                                         pred_func=pred_func, n_classes=n_classes)
        else:
            obj = info_plots.PredictPlot(data, feature, feature, model, list(X.columns),
                                         n_classes=n_classes, num_grid_points=num_grid_points)
        fig, _, summary = obj.plot(engine="matplotlib", dpi=dpi, figsize=figsize, ncols=1,
                              plot_params=dict(_STYLE))
    return PdpboxResult(_finish(fig, title, is_cat, n_classes == 0), summary, obj)
