"""xaibook: the code behind the executable book on bias and explainability.

The chapters in ``book/`` stay prose and short calls; everything reusable lives
here, in small modules named for what they do:

``xaibook.datasets``
    Verified, cached loaders for every dataset the book reads.
``xaibook.fingerprint``
    A digest of this package, used to invalidate executed chapters.
"""

__version__ = "0.1.0"
