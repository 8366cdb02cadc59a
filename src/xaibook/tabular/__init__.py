"""Models and explainers for tabular data (Adult, COMPAS, German credit).

``xaibook.tabular.models``
    Model recipes (linear, boosting), splits, evaluation, calibration, bootstrap.
``xaibook.tabular.importance``
    Permutation importance (eli5, scikit-learn) and feature associations.
``xaibook.tabular.dependence``
    Partial dependence and ICE (scikit-learn, pdpbox).
``xaibook.tabular.local``
    Local explanations: LIME, SHAP, counterfactual "twin" rows.
``xaibook.tabular.audit``
    The FairML audit and its chart.
``xaibook.tabular.fairness``
    Group metrics (fairlearn ``MetricFrame``) and their charts.
``xaibook.tabular.whatif``
    The static what-if explorer (threshold grid, scores, counterfactual flips).

Each module holds the charts of the analysis it computes. Importing this
package imports none of them: a chapter's fingerprint follows only the
modules it actually imports.
"""
