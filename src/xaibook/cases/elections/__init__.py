"""US county election results, 2012 and 2016.

``xaibook.cases.elections.counties``
    The joined county table, feature sets, models and their scores,
    state-level residuals, ecological bounds.
``xaibook.cases.elections.maps``
    County choropleths (vote shares, predictions, residuals) drawn from the
    county TopoJSON.
"""
