"""Watching a deployed model without labels: drift detectors, streams, calibration.

Chapters import from the defining modules: :mod:`xaibook.monitoring.detectors`
(two-sample statistics on inputs, outputs and explanations) and
:mod:`xaibook.monitoring.streams` (production streams with a growing shift,
false-alarm calibration on clean batches, detection delays).
"""
