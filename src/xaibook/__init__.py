"""xaibook: the code behind the executable book on bias and explainability.

The chapters in ``book/`` stay prose and short calls; everything reusable lives
here, in subpackages named for their job (each one's docstring lists its
modules):

``xaibook.data``
    Verified, cached loaders for every dataset, the data registry (digests)
    and the data cards.
``xaibook.tabular``
    Models and explainers for tables: model recipes, permutation importance,
    partial dependence, LIME/SHAP, the FairML audit, group fairness metrics
    and the what-if explorer.
``xaibook.vision``
    The Fashion-MNIST CNN and its explainers and sanity checks.
``xaibook.cases``
    The case studies built on those: ProPublica's COMPAS analysis, the US
    elections, and Gen Z (a planted cliché).
``xaibook.book``
    Tooling that builds and checks the book, not imported by any chapter:
    the Sphinx extension and per-chapter fingerprint, the Altair renderer,
    notebook and slide export, the site check and the ``xaibook`` CLI.
``xaibook.style``
    The shared chart style (palette, titles, frame checks). Every chart
    function lives beside the analysis it draws; this module holds only what
    they share.

Importing ``xaibook`` imports nothing else; import what you need from the
module that defines it (``from xaibook.tabular.models import evaluate``).
"""

__version__ = "0.2.0"
