"""Tooling that builds, exports and checks the book. No chapter imports it,
so editing it re-executes no chapter.

``xaibook.book.sphinxext``
    Sphinx extension: the hidden first cell of each chapter (fingerprint,
    Altair setup), offline assets, per-page scripts.
``xaibook.book.fingerprint``
    The per-chapter fingerprint that decides what re-executes.
``xaibook.book.altair_setup``
    The Altair renderer that writes each chart for the site's own Vega copy.
``xaibook.book.notebooks``
    Export chapters as ``.ipynb`` for Colab and Binder.
``xaibook.book.slides``
    Offline reveal.js decks.
``xaibook.book.sitecheck``
    Browser test of the built site (headless Chromium, network off).
``xaibook.book.cli``, ``xaibook.book.datacli``
    The ``xaibook`` command line (``xaibook data``, ``slides``, ``notebooks``).
"""
