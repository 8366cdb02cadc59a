"""The Gen-Z case study: plant a cliché, break the model, see who notices.

``xaibook.cases.genz.tint``
    Colour Fashion-MNIST with a cliché of controllable strength; Gen-Z test
    sets where colour is independent of the class or reversed.
``xaibook.cases.genz.proxy``
    Plant a proxy bias of controllable strength in a tabular dataset.
``xaibook.cases.genz.detection``
    Thresholds, the method × strength detection table and its prose.
``xaibook.cases.genz.colour_stats``
    Colour share of an attribution map, colour-swap flip rate, accuracy by condition.
``xaibook.cases.genz.image_experiment``
    One cached CNN per strength, Gen-Z accuracy, explainers' colour shares
    (imports TensorFlow; not imported here).
``xaibook.cases.genz.seeded``
    The image experiment over five seeds with smaller CNNs: thresholds from
    the strength-0 runs, onsets per seed, colour-aware LIME, an un-hinted
    chromatic share and TCAV (imports TensorFlow; not imported here).
``xaibook.cases.genz.patch``
    A localised cliché: a coloured patch in a corner tied to a group of
    classes; the share of a map's mass in its box; patch-toggle and move tests.
``xaibook.cases.genz.patched``
    The patch over five seeds: null and patched CNNs, flip tests and the
    spatial explainers' mass in the box against the null models (imports
    TensorFlow; not imported here).
``xaibook.cases.genz.tabular_experiment``
    Planted proxy at several strengths: explainer ranks and group metrics
    (cached on disk by :func:`~xaibook.cases.genz.tabular_experiment.cached_tabular_experiment`).
``xaibook.cases.genz.plots``
    The chapter's charts and the colour-swap figure.
``xaibook.cases.genz.store``
    The experiments' measurements written atomically as JSON beside the models.
"""

from xaibook.cases.genz.detection import (Detection, Threshold, detection_grid, detection_table, join_names,
                        onset_sentence, onsets)
from xaibook.cases.genz.proxy import ProxyBias, expected_parity_difference, plant_proxy_bias, proxy_threshold
from xaibook.cases.genz.tint import (CLICHE, GENZ_MODES, PALETTE, TintedImages, cliche_agreement, cliche_colours,
                   colour_axes, colour_group_correlation, genz_colours, make_cliched, make_genz,
                   tint)

__all__ = [
    "CLICHE", "Detection", "GENZ_MODES", "PALETTE", "ProxyBias", "Threshold", "TintedImages",
    "cliche_agreement", "cliche_colours", "colour_axes", "colour_group_correlation",
    "detection_grid", "detection_table", "expected_parity_difference", "genz_colours",
    "join_names", "make_cliched", "make_genz", "onset_sentence", "onsets", "plant_proxy_bias",
    "proxy_threshold", "tint",
]
