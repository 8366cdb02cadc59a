"""Local explanations: LIME for chosen people, SHAP for everyone.

LIME fits a small linear model around one person, from predictions on
perturbed copies of them; its answer is a list of rules ("sex=Male",
"age > 47") with weights. SHAP splits one prediction into additive
contributions of the features, relative to an average person (the
background); averaging their sizes over many people gives a global ranking.

Both work on original features of a pipeline: LIME through
:class:`~xaibook.tabular.models.FrameCodec` (categories as codes, decoded before
predicting); SHAP through the pipeline's encoding, summing the contributions
of all one-hot columns of a categorical feature (exact for tree and linear
models, whose SHAP values are additive over columns).

LIME's ``as_html()`` embeds about 1.2 MB of JavaScript per explanation;
here explanations are tidy frames drawn as small Altair charts instead.

API
---
``counterfactual_rows(row, column, values)``
    Copies of one person differing only in ``column`` (e.g. sex).
``lime_explanations(model, X_train, rows, *, num_features=6, num_samples=2000, random_state=0)``
    Tidy frame: ``row``, ``rule``, ``feature``, ``weight``, ``prediction``, ...
``plot_lime(frame, *, title=...)``
    One bar chart per explained row.
``shap_values(model, X, *, background, method="auto", random_state=0)``
    :class:`ShapResult`: per-person, per-original-feature contributions.
``plot_shap_importance(result)``, ``plot_shap_local(result, row)``, ``plot_shap_by_value(result, feature)``
    Global ranking (mean |SHAP|), one person's waterfall-style bars, and the
    average contribution per value of one feature.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from xaibook.style import NEGATIVE, POSITIVE, check_frame, check_rows, signed_color, titled
from xaibook.tabular.models import serial_threads
from xaibook.tabular.models import (CodedModel, FrameCodec, categorical_columns, check_model_input,
                     encoded_features, predict_score, task_of)

#: Panel width of the local charts: with 180 px of labels they fit a 640 px column.
PANEL_WIDTH = 340

__all__ = ["counterfactual_rows", "lime_explanations", "plot_lime", "ShapResult", "shap_values",
           "plot_shap_importance", "plot_shap_local", "plot_shap_by_value"]


@contextlib.contextmanager
def _quiet(seed=None):
    """Silence warnings and stray output; seed numpy's global RNG and restore it after."""
    state = np.random.get_state()
    if seed is not None:
        np.random.seed(seed)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()), serial_threads():
            warnings.simplefilter("ignore")
            yield
    finally:
        np.random.set_state(state)


# ------------------------------------------------------------------- rows
def counterfactual_rows(row, column: str, values) -> pd.DataFrame:
    """Copies of one person that differ only in ``column``.

    Parameters
    ----------
    row : pandas.DataFrame with one row, or pandas.Series
        The person (original features).
    column : str
        The feature to change.
    values : iterable
        The values to give it (categories must exist in a categorical column).

    Returns
    -------
    pandas.DataFrame
        One row per value, dtypes kept, indexed ``"<label> (<column>=<value>)"``.
    """
    if isinstance(row, pd.Series):
        row = row.to_frame().T.astype(row.index.to_series().map(lambda _: object).to_dict())
    if not isinstance(row, pd.DataFrame) or len(row) != 1:
        raise ValueError("row must be a one-row DataFrame (e.g. X.loc[[label]]) or a Series")
    if column not in row.columns:
        raise KeyError(f"'{column}' is not a column; columns are {list(row.columns)}")
    label = row.index[0]
    out = []
    for v in values:
        r = row.copy()
        if isinstance(r[column].dtype, pd.CategoricalDtype) and v not in r[column].cat.categories:
            raise ValueError(f"{v!r} is not a category of '{column}': {list(r[column].cat.categories)}")
        r[column] = pd.Series([v], index=r.index).astype(row[column].dtype)
        r.index = [f"{label} ({column}={v})"]
        out.append(r)
    return pd.concat(out)


# ------------------------------------------------------------------- LIME
def lime_explanations(model, X_train, rows, *, num_features: int = 6, num_samples: int = 2_000,
                      random_state: int = 0, max_train: int | None = 5_000) -> pd.DataFrame:
    """Explain named rows with LIME, in terms of original features.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        Binary classifier (explains the positive-class probability) or regressor.
    X_train : pandas.DataFrame
        Data LIME learns feature distributions from (a seeded subsample of
        ``max_train`` rows).
    rows : pandas.DataFrame
        The people to explain (chosen, not drawn at random); their index
        labels name them in the output.
    num_features : int
        Rules kept per explanation.
    num_samples : int
        Perturbed samples per explanation.
    random_state : int
        Seed; every row gets the same seed, so explaining a row alone or with
        others gives the same answer.

    Returns
    -------
    pandas.DataFrame
        One row per (explained row, rule): ``row`` (label), ``rule`` (LIME's
        text, e.g. ``sex=Male`` or ``age > 47.00``), ``feature``, ``value``
        (the person's value), ``weight`` (effect on the prediction; positive
        pushes it up), ``prediction`` (the model's), ``local_prediction``
        (the surrogate's), ``intercept`` and ``score`` (the surrogate's R²
        on the perturbed samples: low means the local linear story is poor).
    """
    X_train = check_model_input(model, X_train)
    rows = check_model_input(model, rows)
    task = task_of(model)
    if max_train is not None and len(X_train) > max_train:
        X_train = X_train.sample(n=max_train, random_state=random_state)
    codec = FrameCodec(X_train)
    coded_train = codec.encode(X_train)
    coded_rows = codec.encode(rows)
    wrapped = CodedModel(model, codec)
    cat_idx = [i for i, c in enumerate(codec.columns) if c in codec.categories]
    with _quiet():
        from lime.lime_tabular import LimeTabularExplainer

    def make_explainer():
        # A fresh explainer per row: LIME shares one RandomState between its
        # sampler and discretizer, so reusing it would make a row's
        # explanation depend on the rows explained before it.
        return LimeTabularExplainer(
            coded_train.to_numpy(), mode=task, feature_names=list(codec.columns),
            categorical_features=cat_idx,
            categorical_names={i: [str(v) for v in codec.categories[codec.columns[i]]] for i in cat_idx},
            class_names=["negative", "positive"] if task == "classification" else None,
            discretize_continuous=True, discretizer="quartile", random_state=random_state)

    predict_fn = wrapped.predict_proba if task == "classification" else wrapped.predict
    label = 1 if task == "classification" else 0
    records = []
    for i, name in enumerate(rows.index):
        with _quiet(random_state):
            exp = make_explainer().explain_instance(coded_rows.iloc[i].to_numpy(), predict_fn,
                                             labels=(label,) if task == "classification" else None,
                                             num_features=num_features, num_samples=num_samples)
        key = label if label in exp.local_exp else next(iter(exp.local_exp))
        pred = float(predict_score(model, rows.iloc[[i]])[0])
        local = np.ravel(exp.local_pred)[0] if exp.local_pred is not None else np.nan
        intercept = exp.intercept[key] if isinstance(exp.intercept, dict) else exp.intercept
        for (feat_idx, weight), (rule, _) in zip(exp.local_exp[key], exp.as_list(label=key)):
            feat = codec.columns[feat_idx]
            records.append({"row": str(name), "rule": rule, "feature": feat,
                            "value": str(rows.iloc[i][feat]), "weight": float(weight),
                            "prediction": pred, "local_prediction": float(local),
                            "intercept": float(intercept), "score": float(exp.score)})
    return pd.DataFrame.from_records(records)


def plot_lime(frame: pd.DataFrame, *, title: str = "LIME: what pushed each prediction",
              subtitle: str | None = None, x_title: str = "LIME weight (effect on predicted probability)",
              width: int = PANEL_WIDTH):
    """One horizontal bar chart per explained row, rules ordered by size of effect."""
    check_frame(frame, ["row", "rule", "weight", "prediction"], name="LIME frame")
    check_rows(frame)
    panels = []
    lim = float(frame["weight"].abs().max()) * 1.05 or 1.0
    for name in dict.fromkeys(frame["row"]):
        d = frame[frame["row"] == name].copy()
        d["direction"] = np.where(d["weight"] >= 0, "up", "down")
        d["weight"] = d["weight"].round(4)
        order = d.reindex(d["weight"].abs().sort_values(ascending=False).index)["rule"].tolist()
        pred = d["prediction"].iloc[0]
        panels.append(alt.Chart(d[["rule", "weight", "direction", "value"]]).mark_bar().encode(
            x=alt.X("weight:Q", title=x_title, scale=alt.Scale(domain=[-lim, lim])),
            y=alt.Y("rule:N", sort=order, title=None, axis=alt.Axis(labelLimit=180)),
            color=signed_color(),
            tooltip=["rule:N", "value:N", alt.Tooltip("weight:Q", format=".4f")],
        ).properties(width=width, height=22 * len(d) + 10,
                     title=f"{name}: predicted {pred:.2f}"))
    chart = panels[0] if len(panels) == 1 else alt.vconcat(*panels)
    return chart.properties(title=titled(title, subtitle))


# ------------------------------------------------------------------- SHAP
@dataclass(frozen=True)
class ShapResult:
    """SHAP values of some people, one column per original feature.

    Attributes
    ----------
    values : pandas.DataFrame
        Contributions (index: the explained rows; columns: original features).
        For every row, ``base_value + values.sum(axis=1)`` is the model's output.
    data : pandas.DataFrame
        The explained rows' original feature values.
    base_value : float
        The model's average output over the background data.
    output : str
        Units: ``"log-odds"`` (classifiers, tree/linear method),
        ``"probability"`` (classifiers, permutation method) or ``"prediction"``.
    method : str
        ``"tree"``, ``"linear"`` or ``"permutation"``.
    """

    values: pd.DataFrame
    data: pd.DataFrame
    base_value: float
    output: str
    method: str

    def importance(self) -> pd.DataFrame:
        """Global ranking: mean absolute contribution per feature (``feature``, ``mean_abs_shap``)."""
        out = self.values.abs().mean().rename("mean_abs_shap").rename_axis("feature").reset_index()
        return out.sort_values(["mean_abs_shap", "feature"], ascending=[False, True], ignore_index=True)

    def local(self, row) -> pd.DataFrame:
        """One person's contributions (``feature``, ``value``, ``shap``), largest first."""
        if row not in self.values.index:
            raise KeyError(f"row {row!r} was not explained")
        out = pd.DataFrame({"feature": self.values.columns,
                            "value": [str(v) for v in self.data.loc[row]],
                            "shap": self.values.loc[row].to_numpy(dtype=float)})
        return out.reindex(out["shap"].abs().sort_values(ascending=False).index).reset_index(drop=True)

    def output_of(self, row) -> float:
        """The model's output for ``row`` in :attr:`output` units (base value + contributions)."""
        return float(self.base_value + self.values.loc[row].sum())

    def by_value(self, feature: str, *, bins: int = 8) -> pd.DataFrame:
        """Average contribution of ``feature`` per value (categories, or quantile bins of numbers).

        Returns ``value``, ``mean_shap``, ``count``; shows *how* the model uses
        a feature, e.g. what being female adds or removes on average.
        Categories are sorted by ``mean_shap``; numeric bins (labelled
        ``"low to high"``, the lower bound excluded) stay in order.
        """
        if feature not in self.values.columns:
            raise KeyError(f"'{feature}' is not an explained feature")
        x = self.data[feature]
        if feature in categorical_columns(self.data) or x.nunique() <= bins:
            df = pd.DataFrame({"value": x.astype(str).to_numpy(), "shap": self.values[feature].to_numpy()})
            out = df.groupby("value", sort=False).agg(mean_shap=("shap", "mean"), count=("shap", "size"))
            return out.reset_index().sort_values("mean_shap", ignore_index=True)
        cut = pd.qcut(x, bins, duplicates="drop")
        df = pd.DataFrame({"bin": cut.to_numpy(), "shap": self.values[feature].to_numpy()})
        out = df.groupby("bin", observed=True).agg(mean_shap=("shap", "mean"), count=("shap", "size"))
        labels = [f"{iv.left:.4g} to {iv.right:.4g}" for iv in out.index]
        return pd.DataFrame({"value": labels, "mean_shap": out["mean_shap"].to_numpy(),
                             "count": out["count"].to_numpy()})


def _final_kind(final) -> str:
    name = type(final).__mro__
    names = {c.__name__ for c in name}
    if names & {"HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
                "GradientBoostingClassifier", "GradientBoostingRegressor",
                "RandomForestClassifier", "RandomForestRegressor",
                "DecisionTreeClassifier", "DecisionTreeRegressor",
                "ExtraTreesClassifier", "ExtraTreesRegressor"}:
        return "tree"
    if hasattr(final, "coef_") and hasattr(final, "intercept_"):
        return "linear"
    return "permutation"


def shap_values(model, X, *, background, method: str = "auto", n_background: int = 100,
                random_state: int = 0, max_evals: int | None = None) -> ShapResult:
    """SHAP values of the rows of ``X`` per original feature.

    Parameters
    ----------
    model : fitted Pipeline (or estimator on numeric data)
    X : pandas.DataFrame
        The rows to explain.
    background : pandas.DataFrame
        The reference population ("an average person" is drawn from it); a
        seeded subsample of ``n_background`` rows is used. The tree method
        uses the training data recorded in the trees instead.
    method : {"auto", "tree", "linear", "permutation"}
        ``tree`` (exact path-dependent :class:`shap.TreeExplainer`) and
        ``linear`` (:class:`shap.LinearExplainer`) explain the final estimator
        on the encoded columns, in log-odds for classifiers, and sum the
        columns of each original feature. ``permutation`` is model-agnostic
        (:class:`shap.PermutationExplainer` on original features, probability
        units) and slower. ``auto`` picks from the final estimator.
    max_evals : int, optional
        Model evaluations per row for ``permutation`` (default ``10 * n_features + 1``).

    Returns
    -------
    ShapResult
    """
    X = check_model_input(model, X)
    background = check_model_input(model, background)
    task = task_of(model)
    if len(background) > n_background:
        background = background.sample(n=n_background, random_state=random_state)
    if method == "auto":
        try:
            method = _final_kind(model[-1])
        except (TypeError, KeyError, IndexError):
            method = "permutation"
    if method not in ("tree", "linear", "permutation"):
        raise ValueError("method must be 'auto', 'tree', 'linear' or 'permutation'")
    with _quiet(random_state):
        import shap
        if method in ("tree", "linear"):
            enc = encoded_features(model, X)
            if method == "tree":
                # Path-dependent TreeSHAP (the background comes from the trees'
                # own training counts). shap 0.51's interventional mode does
                # not add up exactly for histogram gradient boosting.
                explainer = shap.TreeExplainer(enc.final_estimator,
                                               feature_perturbation="tree_path_dependent",
                                               model_output="raw")
                raw = explainer.shap_values(enc.matrix)
            else:
                bg = encoded_features(model, background).matrix
                explainer = shap.LinearExplainer(enc.final_estimator,
                                                 shap.maskers.Independent(bg, max_samples=len(bg)))
                raw = explainer.shap_values(enc.matrix)
            raw = np.asarray(raw)
            if raw.ndim == 3:  # (n, m, classes) from some versions: keep the positive class
                raw = raw[..., -1]
            base = np.ravel(explainer.expected_value)[-1]
            values = pd.DataFrame({f: raw[:, idx].sum(axis=1) for f, idx in enc.groups.items()},
                                  index=X.index)
            output = "log-odds" if task == "classification" else "prediction"
        else:
            codec = FrameCodec(pd.concat([background, X]))
            wrapped = CodedModel(model, codec)
            masker = shap.maskers.Independent(codec.encode(background).to_numpy(), max_samples=len(background))
            explainer = shap.PermutationExplainer(wrapped.positive_score, masker, seed=random_state)
            m = X.shape[1]
            expl = explainer(codec.encode(X).to_numpy(), max_evals=max_evals or 10 * m + 1, silent=True)
            values = pd.DataFrame(expl.values, index=X.index, columns=X.columns)
            base = float(np.ravel(expl.base_values)[0])
            output = "probability" if task == "classification" else "prediction"
    values.columns.name = None
    return ShapResult(values[list(X.columns)], X.copy(), float(base), output, method)


def _units(result: ShapResult) -> str:
    return {"log-odds": "log-odds", "probability": "probability", "prediction": "prediction units"}[result.output]


def plot_shap_importance(result: ShapResult, *, top: int = 15, title: str = "SHAP: global importance",
                         subtitle: str | None = None) -> alt.Chart:
    """Bars of mean |SHAP| per feature: how much each feature moves predictions on average."""
    imp = result.importance().head(top)
    imp["mean_abs_shap"] = imp["mean_abs_shap"].round(5)
    return alt.Chart(imp).mark_bar(color=POSITIVE).encode(
        x=alt.X("mean_abs_shap:Q", title=f"Mean |SHAP value| ({_units(result)})"),
        y=alt.Y("feature:N", sort=imp["feature"].tolist(), title="Feature"),
        tooltip=["feature:N", alt.Tooltip("mean_abs_shap:Q", format=".4f")],
    ).properties(width=PANEL_WIDTH, height=22 * len(imp) + 10, title=titled(title, subtitle))


def _num(v: float, digits: int = 2) -> str:
    """A number for a title: never "-0.00"."""
    v = float(v)
    return f"{0.0 if round(v, digits) == 0 else v:.{digits}f}"


def plot_shap_local(result: ShapResult, row, *, top: int = 10, title: str | None = None,
                    subtitle: str | None = None) -> alt.Chart:
    """One person's contributions as a waterfall: from the base value to their prediction.

    The ``top`` largest contributions are drawn; the rest are summed into one bar.
    """
    loc = result.local(row)
    head, rest = loc.iloc[:top].copy(), loc.iloc[top:]
    head["label"] = head["feature"] + " = " + head["value"]
    if len(rest):
        head = pd.concat([head, pd.DataFrame({"feature": ["(others)"], "value": [""],
                                              "shap": [rest["shap"].sum()],
                                              "label": [f"{len(rest)} other features"]})],
                         ignore_index=True)
    head["end"] = result.base_value + head["shap"].cumsum()
    head["start"] = head["end"] - head["shap"]
    head["direction"] = np.where(head["shap"] >= 0, "up", "down")
    data = head[["label", "shap", "start", "end", "direction"]].round(4)
    order = data["label"].tolist()
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("start:Q", title=f"Model output ({_units(result)})", scale=alt.Scale(zero=False)),
        x2="end:Q", y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=180)),
        color=signed_color(),
        tooltip=["label:N", alt.Tooltip("shap:Q", format="+.3f")])
    base = alt.Chart(pd.DataFrame({"x": [round(result.base_value, 4)]})).mark_rule(
        strokeDash=[4, 4], color="#555").encode(x="x:Q")
    title = title or (f"SHAP for {row}: from the average ({_num(result.base_value)}) "
                      f"to {_num(result.output_of(row))}")
    return (base + bars).properties(width=PANEL_WIDTH, height=22 * len(data) + 10, title=titled(title, subtitle))


def plot_shap_by_value(result, feature: str, *, bins: int = 8, title: str | None = None,
                       subtitle: str | None = None) -> alt.Chart:
    """Average SHAP contribution of ``feature`` for each of its values (or quantile bins).

    ``result`` is a :class:`ShapResult`, or a dict ``{name: ShapResult}`` to
    compare models (e.g. with and without a protected attribute) side by side.
    """
    if isinstance(result, ShapResult):
        data = result.by_value(feature, bins=bins)
        units = _units(result)
        order = data["value"].tolist()
        extra = {}
    else:
        if not result:
            raise ValueError("give at least one ShapResult")
        parts = [r.by_value(feature, bins=bins).assign(model=name) for name, r in result.items()]
        data = pd.concat(parts, ignore_index=True)
        units = ", ".join(dict.fromkeys(_units(r) for r in result.values()))
        order = parts[0]["value"].tolist() + [v for p in parts[1:] for v in p["value"] if v not in
                                              set(parts[0]["value"])]
        names = list(result)
        extra = {"yOffset": alt.YOffset("model:N", sort=names),
                 "opacity": alt.Opacity("model:N", sort=names, title="Model",
                                        scale=alt.Scale(range=[1.0, 0.45][:len(names)] or [1.0]))}
    data["direction"] = np.where(data["mean_shap"] >= 0, "up", "down")
    data["mean_shap"] = data["mean_shap"].round(4)
    check_rows(data)
    tooltip = ["value:N", alt.Tooltip("mean_shap:Q", format="+.3f"), "count:Q"]
    if extra:
        tooltip.append("model:N")
    n = len(order) * (1 if not extra else len(result))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("mean_shap:Q", title=f"Average SHAP value ({units})"),
        y=alt.Y("value:N", sort=order, title=feature, axis=alt.Axis(labelLimit=180)),
        color=signed_color(), tooltip=tooltip, **extra,
    ).properties(width=PANEL_WIDTH, height=max(60, (22 if not extra else 14) * n + 10),
                 title=titled(title or f"How the model uses {feature}", subtitle))
