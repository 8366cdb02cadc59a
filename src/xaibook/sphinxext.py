"""Sphinx extension: re-execute chapters when the package or libraries change.

Add ``xaibook.sphinxext`` to the book's extensions. Before each build it
computes :func:`xaibook.fingerprint.fingerprint` and

* marks every document outdated when the fingerprint changed since the last
  build (Sphinx would otherwise re-read only edited files);
* inserts, into every MyST notebook it reads, a first code cell (tagged
  ``remove-cell``, so readers never see it) that holds the fingerprint. The
  jupyter-cache key is the code of the notebook, so a new fingerprint means a
  cache miss and a fresh execution, while an unchanged package and an
  unchanged chapter reuse the cached outputs.

Config values: ``xaibook_fingerprint_paths`` (list of files or folders to
hash; empty means the installed package).
"""

from __future__ import annotations

import re

from .fingerprint import fingerprint

__all__ = ["setup", "inject_fingerprint"]

_FRONTMATTER = re.compile(r"\A---\n.*?\n---[ \t]*\n", re.DOTALL)
MARKER = "# xaibook fingerprint:"


def inject_fingerprint(text: str, digest: str) -> str:
    """Return a MyST notebook's text with a hidden fingerprint cell first.

    Text that is not a MyST notebook (no ``kernelspec`` front matter) is
    returned unchanged.
    """
    match = _FRONTMATTER.match(text)
    if not match or "kernelspec" not in match.group(0):
        return text
    cell = (
        "\n```{code-cell} ipython3\n:tags: [remove-cell]\n\n"
        f"{MARKER} {digest} (re-executes this chapter when src/xaibook changes)\n```\n"
    )
    return text[: match.end()] + cell + text[match.end():]


def _digest(app) -> str:
    paths = app.config.xaibook_fingerprint_paths or None
    return fingerprint(paths)


def _on_builder_inited(app):
    app.env.xaibook_new_fingerprint = _digest(app)


def _on_env_get_outdated(app, env, added, changed, removed):
    new = getattr(env, "xaibook_new_fingerprint", None) or _digest(app)
    old = getattr(env, "xaibook_fingerprint", None)
    env.xaibook_fingerprint = new
    if old is not None and old != new:
        return sorted(env.found_docs - set(added) - set(removed))
    return []


def _on_source_read(app, docname, source):
    digest = getattr(app.env, "xaibook_new_fingerprint", None) or _digest(app)
    source[0] = inject_fingerprint(source[0], digest)


def setup(app):
    app.add_config_value("xaibook_fingerprint_paths", [], "env")
    app.connect("builder-inited", _on_builder_inited)
    app.connect("env-get-outdated", _on_env_get_outdated)
    app.connect("source-read", _on_source_read)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
