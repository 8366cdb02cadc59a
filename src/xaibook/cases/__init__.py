"""Case studies built on :mod:`xaibook.tabular` and :mod:`xaibook.vision`.

``xaibook.cases.propublica``
    ProPublica's COMPAS analysis: their filter, decile scores, error rates
    and calibration by group, the impossibility arithmetic.
``xaibook.cases.elections``
    US county results 2012/2016: joined table, models of levels and swing,
    and the county maps (``counties``, ``maps``).
``xaibook.cases.genz``
    Gen Z: plant a cliché in Fashion-MNIST and in a table, break the model,
    see which explainer notices.

Importing this package imports none of them.
"""
