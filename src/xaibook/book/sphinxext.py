"""Sphinx extension: re-execute exactly the chapters an edit touches.

Add ``xaibook.book.sphinxext`` to the book's extensions. For every MyST
notebook it computes :func:`xaibook.book.fingerprint.chapter_fingerprint`
(the package modules the chapter imports, transitively, and the versions of
the libraries they use) and

* marks a document outdated when its fingerprint changed since the last
  build (Sphinx would otherwise re-read only edited files);
* inserts, into the notebook it reads, a first code cell (tagged
  ``remove-cell``, so readers never see it) that holds the fingerprint. The
  jupyter-cache key is the code of the notebook, so a new fingerprint means a
  cache miss and a fresh execution of that chapter only, while a chapter whose
  modules and libraries are unchanged reuses its cached outputs.

Config values: ``xaibook_fingerprint_package`` (the package whose source is
followed, default ``"xaibook"``) and ``xaibook_fingerprint_package_dir``
(where its source lives; default the installed package);
``xaibook_fingerprint_paths`` (list of files or folders): when set, one
global digest of those paths is used for every chapter instead.

Offline pages (issue 8). With ``xaibook_offline`` (default True) it also

* makes sure ``_extra/_static/libs/`` (an ``html_extra_path``, copied to the
  site's ``_static/libs/``) holds the pinned browser libraries: runs
  ``scripts/vendor_assets.py`` beside the book when they are missing or out
  of date, a no-op otherwise;
* puts ``xaibook.book.altair_setup.enable()`` in the same hidden first cell, so
  every Altair chart is written for the site's own Vega copy;
* adds Vega, Vega-Lite, Vega-Embed and ``xaibook-charts.js`` to exactly
  the pages that hold such a chart (Jupyter Book would add every script
  under ``_static/`` to every page, hence ``_extra``);
* drops sphinx-thebe's scripts, which name a CDN copy of thebe, unless the
  Thebe launch button is switched on;
* sets the theme's ``default_mode`` (else a console error on a first visit).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from sphinx.errors import ExtensionError

from xaibook.book.fingerprint import chapter_fingerprint, fingerprint

__all__ = ["setup", "inject_fingerprint"]


_FRONTMATTER = re.compile(r"\A---\n.*?\n---[ \t]*\n", re.DOTALL)
MARKER = "# xaibook fingerprint:"


#: The line the hidden cell runs so Altair charts use the site's Vega copy.
ALTAIR_SETUP = "from xaibook.book.altair_setup import enable as _xb_altair; _xb_altair(); del _xb_altair"


def inject_fingerprint(text: str, digest: str, setup_lines: tuple[str, ...] = ()) -> str:
    """Return a MyST notebook's text with a hidden fingerprint cell first.

    ``setup_lines`` are extra lines of code for that cell (run before the
    chapter's own code). Text that is not a MyST notebook (no ``kernelspec``
    front matter) is returned unchanged.
    """
    match = _FRONTMATTER.match(text)
    if not match or "kernelspec" not in match.group(0):
        return text
    extra = "".join(f"{line}\n" for line in setup_lines)
    cell = (
        "\n```{code-cell} ipython3\n:tags: [remove-cell]\n\n"
        f"{MARKER} {digest} (re-executes this chapter when a module it imports changes)\n{extra}```\n"
    )
    return text[: match.end()] + cell + text[match.end():]


def _digest(app, docname: str) -> str:
    """The fingerprint of one document (cached for the build)."""
    cache = app.__dict__.setdefault("_xaibook_digests", {})
    if docname not in cache:
        paths = app.config.xaibook_fingerprint_paths
        if paths:
            cache[docname] = fingerprint(paths)
        else:
            path = Path(app.env.doc2path(docname))
            text = path.read_text(encoding="utf-8") if path.suffix == ".md" else ""
            package_dir = app.config.xaibook_fingerprint_package_dir or None
            cache[docname] = chapter_fingerprint(
                text, own=app.config.xaibook_fingerprint_package, package_dir=package_dir).digest
    return cache[docname]


def _on_builder_inited(app):
    app._xaibook_digests = {}
    if not isinstance(getattr(app.env, "xaibook_fingerprints", None), dict):
        app.env.xaibook_fingerprints = {}


def _on_env_get_outdated(app, env, added, changed, removed):
    old = env.xaibook_fingerprints
    outdated = []
    for docname in sorted(env.found_docs - set(added) - set(removed)):
        if old.get(docname) != _digest(app, docname):
            outdated.append(docname)
    return outdated


def _on_source_read(app, docname, source):
    digest = _digest(app, docname)
    app.env.xaibook_fingerprints[docname] = digest
    setup_lines = (ALTAIR_SETUP,) if app.config.xaibook_offline else ()
    source[0] = inject_fingerprint(source[0], digest, setup_lines)


def _on_env_purge_doc(app, env, docname):
    getattr(env, "xaibook_fingerprints", {}).pop(docname, None)


def _on_env_merge_info(app, env, docnames, other):
    env.xaibook_fingerprints.update(
        {d: other.xaibook_fingerprints[d] for d in docnames if d in other.xaibook_fingerprints})


def _on_doctree_read_outputs(app, doctree):
    """Give ``jupyter_execute/<doc>.ipynb`` its outputs when they came from the cache.

    myst-nb 1.4 writes the notebook it parsed, not the one its cache client
    merged the cached outputs into, so a chapter served from the execution
    cache leaves a notebook without outputs there, and the notebook export
    and the slides (which read it) would lose every glued value and chart.
    """
    if getattr(app.config, "nb_execution_mode", None) != "cache":
        return
    ipynb = Path(app.outdir).parent / "jupyter_execute" / f"{app.env.docname}.ipynb"
    if not ipynb.is_file():
        return
    import nbformat
    from jupyter_cache import get_cache

    nb = nbformat.read(ipynb, as_version=4)
    if any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"):
        return
    cache_path = Path(app.config.nb_execution_cache_path)
    if not cache_path.is_absolute():
        cache_path = Path(app.srcdir) / cache_path
    if not cache_path.exists():
        return
    try:
        _, merged = get_cache(str(cache_path)).merge_match_into_notebook(nb)
    except KeyError:  # not cached (e.g. a page without code)
        return
    nbformat.write(merged, ipynb)


# --- offline pages ---------------------------------------------------------

#: Scripts a page with charts loads, in order (paths relative to _static/).
VEGA_SCRIPTS = (
    "libs/vega/vega.min.js",
    "libs/vega-lite/vega-lite.min.js",
    "libs/vega-embed/vega-embed.min.js",
    "xaibook-charts.js",
)
CHART_MARKER = 'class="xaibook-chart"'


def _vendor_module(app):
    script = Path(app.confdir) / "scripts" / "vendor_assets.py"
    if not script.is_file():
        return None
    spec = importlib.util.spec_from_file_location("_xaibook_vendor_assets", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _on_builder_inited_offline(app):
    if not app.config.xaibook_offline or app.builder.format != "html":
        return
    module = _vendor_module(app)
    if module is not None:
        try:
            module.vendor(quiet=True)
        except (SystemExit, Exception) as exc:  # npm missing, no network, ...
            raise ExtensionError(
                f"xaibook: could not vendor the pinned browser libraries into "
                f"_extra/_static/libs ({exc}); run `python scripts/vendor_assets.py`"
            ) from exc


def _on_builder_inited_static(app):
    """Run each ``xaibook_static_writers`` entry (``"module:function"``) with the book's folder.

    Static files a page loads by URL (the elections maps' TopoJSON) are
    written before reading, so they exist even when the chapter that uses
    them is served from the execution cache.
    """
    import importlib

    for entry in app.config.xaibook_static_writers or ():
        module, _, name = entry.partition(":")
        try:
            getattr(importlib.import_module(module), name)(Path(app.confdir))
        except Exception as exc:  # missing data, offline machine, ...
            raise ExtensionError(f"xaibook: static file writer {entry} failed: {exc}") from exc


def _thebe_enabled(app) -> bool:
    options = app.config.html_theme_options or {}
    buttons = options.get("launch_buttons") or {}
    return bool(buttons.get("thebe"))


def _is_thebe_asset(asset) -> bool:
    filename = str(getattr(asset, "filename", asset) or "")
    body = str((getattr(asset, "attributes", None) or {}).get("body", ""))
    return "sphinx-thebe" in filename or "THEBE_JS_URL" in body


def _on_html_page_context(app, pagename, templatename, context, doctree):
    if not app.config.xaibook_offline:
        return
    # pydata-sphinx-theme logs a console error ("Got invalid theme mode") on a
    # reader's first visit unless the template knows a default mode.
    if not context.get("default_mode"):
        context["default_mode"] = "auto"
    if not _thebe_enabled(app):
        for key in ("script_files", "css_files"):
            files = context.get(key)
            if isinstance(files, list):
                files[:] = [f for f in files if not _is_thebe_asset(f)]
    body = context.get("body") or ""
    if CHART_MARKER in body:
        for i, path in enumerate(VEGA_SCRIPTS):
            app.builder.add_js_file(path, priority=800 + i, defer="defer")


def setup(app):
    app.add_config_value("xaibook_fingerprint_paths", [], "env")
    app.add_config_value("xaibook_fingerprint_package", "xaibook", "env")
    app.add_config_value("xaibook_fingerprint_package_dir", "", "env")
    app.add_config_value("xaibook_offline", True, "env")
    app.add_config_value("xaibook_static_writers", [], "env")
    app.connect("builder-inited", _on_builder_inited)
    app.connect("builder-inited", _on_builder_inited_offline)
    app.connect("builder-inited", _on_builder_inited_static)
    app.connect("env-get-outdated", _on_env_get_outdated)
    app.connect("source-read", _on_source_read)
    app.connect("env-purge-doc", _on_env_purge_doc)
    app.connect("doctree-read", _on_doctree_read_outputs)
    app.connect("env-merge-info", _on_env_merge_info)
    app.connect("html-page-context", _on_html_page_context)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
