#!/usr/bin/env python3
"""Put the browser libraries the book needs into ``_extra/_static/libs/``.

The built site must work with no network (a laptop during a talk), so every
script, style sheet and font a page loads is served from the site itself.
The libraries come from real npm packages pinned exactly in
``scripts/vendor/package.json``; ``scripts/vendor/package-lock.json`` records
the integrity hash of every tarball, and ``npm ci`` refuses a tarball that
does not match it.

Why ``_extra``: Jupyter Book adds *every* ``.js`` and ``.css`` file under
``_static/`` to *every* page, which would load all of MathJax and Vega
everywhere. ``_extra/`` is a Sphinx ``html_extra_path`` (see ``_config.yml``):
its contents are copied into the site as they are, so the files end up in
``_build/html/_static/libs/`` and each page loads only what it uses
(MathJax through ``mathjax_path``, Vega through ``xaibook.book.sphinxext``).

What is copied (relative to ``_extra/_static/libs/``, i.e. the site's
``_static/libs/``):

* ``vega/vega.min.js``, ``vega-lite/vega-lite.min.js``,
  ``vega-embed/vega-embed.min.js``: one shared copy that every Altair chart
  uses (see ``xaibook.book.altair_setup``), instead of a bundle inlined per chart.
* ``mathjax/``: MathJax 3's ``tex-mml-chtml.js`` with the pieces it loads
  lazily (TeX extensions, menu, accessibility, CHTML web fonts), and the
  speech rule engine's locale maps (``mathjax/sre/``) with the
  ``wicked-good-xpath`` polyfill, fetched only when a reader turns on speech
  or the explorer in MathJax's menu, from the site like everything else.
* each package's LICENSE.

The step is idempotent and fast when nothing changed: ``VENDORED.json``
records the lock file's hash and the SHA-256 of every file, so a second run
(and every book build, which calls this through ``xaibook.book.sphinxext``) is a
no-op that needs no network. When the lock changed or a file is missing, the
packages are installed with ``npm ci`` into a cache folder outside the
repository (``$XAIBOOK_VENDOR_CACHE`` or ``~/.cache/xaibook/vendor``), which
then also serves later runs offline.

Usage::

    python scripts/vendor_assets.py            # install if needed
    python scripts/vendor_assets.py --check    # exit 1 if not up to date
    python scripts/vendor_assets.py --force    # re-copy from a fresh npm ci
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PINS = Path(__file__).resolve().parent / "vendor"
DEST = ROOT / "_extra" / "_static" / "libs"
STAMP = "VENDORED.json"

# (package, path inside the package, destination inside DEST).
# A path ending in "/" copies the folder recursively.
FILES = [
    ("vega", "build/vega.min.js", "vega/vega.min.js"),
    ("vega", "LICENSE", "vega/LICENSE"),
    ("vega-lite", "build/vega-lite.min.js", "vega-lite/vega-lite.min.js"),
    ("vega-lite", "LICENSE", "vega-lite/LICENSE"),
    ("vega-embed", "build/vega-embed.min.js", "vega-embed/vega-embed.min.js"),
    ("vega-embed", "LICENSE", "vega-embed/LICENSE"),
    ("mathjax", "es5/tex-mml-chtml.js", "mathjax/tex-mml-chtml.js"),
    ("mathjax", "es5/input/", "mathjax/input/"),
    ("mathjax", "es5/output/chtml/fonts/woff-v2/", "mathjax/output/chtml/fonts/woff-v2/"),
    ("mathjax", "es5/ui/", "mathjax/ui/"),
    ("mathjax", "es5/a11y/", "mathjax/a11y/"),
    ("mathjax", "es5/adaptors/", "mathjax/adaptors/"),
    # MathJax's speech and explorer (menu > Accessibility): the speech rule
    # engine's locale maps, at MathJax's default [sre] path, and the XPath
    # polyfill it would otherwise fetch from a CDN (configured in _config.yml).
    ("mathjax", "es5/sre/", "mathjax/sre/"),
    ("mathjax", "LICENSE", "mathjax/LICENSE"),
    ("wicked-good-xpath", "dist/wgxpath.install.js", "wicked-good-xpath/wgxpath.install.js"),
    ("wicked-good-xpath", "LICENSE", "wicked-good-xpath/LICENSE"),
]

#: Packages installed for the checks only, never copied into the site.
CHECK_ONLY = ("axe-core",)

# Where pages find them (relative to _static/), for xaibook.book.sphinxext.
MATHJAX_PATH = "libs/mathjax/tex-mml-chtml.js"
VEGA_SCRIPTS = [
    "libs/vega/vega.min.js",
    "libs/vega-lite/vega-lite.min.js",
    "libs/vega-embed/vega-embed.min.js",
]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pinned_versions() -> dict[str, str]:
    """The exact versions in scripts/vendor/package.json."""
    return dict(json.loads((PINS / "package.json").read_text())["dependencies"])


def lock_digest() -> str:
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        h.update((PINS / name).read_bytes())
    return h.hexdigest()


def _cache_root() -> Path:
    env = os.environ.get("XAIBOOK_VENDOR_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    return Path(base) / "xaibook" / "vendor"


def status(dest: Path = DEST, verify: bool = False) -> str | None:
    """None when ``dest`` holds exactly what the pins say, else the reason."""
    stamp = dest / STAMP
    if not stamp.is_file():
        return f"{stamp} is missing"
    try:
        record = json.loads(stamp.read_text())
    except ValueError:
        return f"{stamp} is unreadable"
    if record.get("lock") != lock_digest():
        return "scripts/vendor/package*.json changed since the last vendoring"
    for rel, meta in record.get("files", {}).items():
        path = dest / rel
        if not path.is_file() or path.stat().st_size != meta["size"]:
            return f"{path} is missing or changed"
        if verify and _sha256(path) != meta["sha256"]:
            return f"{path} does not match its recorded SHA-256"
    return None


def npm_install(cache: Path | None = None) -> Path:
    """``npm ci`` the pinned packages into a cache folder; return node_modules."""
    cache = (cache or _cache_root()) / lock_digest()[:16]
    modules = cache / "node_modules"
    ok = cache / ".complete"
    if ok.is_file() and modules.is_dir():
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "vendor_assets: npm is needed once to fetch the pinned browser libraries "
            "(apt-get install -y nodejs npm), or copy a filled _extra/_static/libs/ here."
        )
    if cache.exists():
        shutil.rmtree(cache)
    cache.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(PINS / name, cache / name)
    cmd = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    print("vendor_assets: " + " ".join(cmd[1:]) + f"  (in {cache})", file=sys.stderr)
    subprocess.run(cmd, cwd=cache, check=True, stdout=sys.stderr)
    pins = pinned_versions()
    for pkg, version in pins.items():
        got = json.loads((modules / pkg / "package.json").read_text())["version"]
        if got != version:
            raise SystemExit(f"vendor_assets: npm installed {pkg} {got}, pinned {version}")
    ok.write_text(json.dumps(pins) + "\n")
    return modules


def axe_script(cache: Path | None = None) -> Path:
    """``axe.min.js`` of the pinned axe-core (installed by :func:`npm_install`).

    ``$XAIBOOK_AXE`` overrides. Used by the site check, which injects it into
    every page; it is never part of the site.
    """
    env = os.environ.get("XAIBOOK_AXE")
    if env:
        return Path(env)
    return npm_install(cache) / "axe-core" / "axe.min.js"


def _copy_list(modules: Path) -> list[tuple[Path, str]]:
    out = []
    for pkg, src, dst in FILES:
        base = modules / pkg / src
        if src.endswith("/"):
            for path in sorted(p for p in base.rglob("*") if p.is_file()):
                out.append((path, dst + path.relative_to(base).as_posix()))
        else:
            out.append((base, dst))
    return out


def vendor(dest: Path = DEST, force: bool = False, quiet: bool = False) -> bool:
    """Make ``dest`` hold the pinned files. Returns True if anything was copied."""
    if not force and status(dest) is None:
        if not quiet:
            print(f"vendor_assets: {dest.relative_to(ROOT)} is up to date", file=sys.stderr)
        return False
    modules = npm_install()
    for sub in ("vega", "vega-lite", "vega-embed", "mathjax", "wicked-good-xpath"):
        shutil.rmtree(dest / sub, ignore_errors=True)
    files = {}
    for src, rel in _copy_list(modules):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        files[rel] = {"size": target.stat().st_size, "sha256": _sha256(target)}
    record = {
        "note": "Written by scripts/vendor_assets.py; do not edit.",
        "lock": lock_digest(),
        "packages": pinned_versions(),
        "files": files,
    }
    (dest / STAMP).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    total = sum(f["size"] for f in files.values())
    print(
        f"vendor_assets: copied {len(files)} files ({total / 1e6:.1f} MB) "
        f"into {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest}",
        file=sys.stderr,
    )
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only check; exit 1 if out of date")
    ap.add_argument("--verify", action="store_true", help="with --check: also compare SHA-256")
    ap.add_argument("--force", action="store_true", help="re-copy even if up to date")
    args = ap.parse_args(argv)
    if args.check:
        reason = status(verify=args.verify)
        print(f"vendor_assets: {reason or 'up to date'}", file=sys.stderr)
        return 1 if reason else 0
    vendor(force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
