#!/usr/bin/env bash
# Browser test of the built book (issue 8): run after `make book`.
#
#   scripts/check_site.sh [SITE_DIR] [-- extra sitecheck options, e.g. --strict]
#
# Installs Debian's Chromium if it is missing (no browser is ever downloaded by
# a test tool), then serves SITE_DIR (default _build/html) on 127.0.0.1 and
# visits every page with xaibook.book.sitecheck. Exits non-zero when any page makes
# a request off the machine, logs a console error, leaves a chart undrawn,
# shows a traceback / warning / progress bar, has a broken link, has a critical
# or serious axe-core violation or an empty table header, or has a chart wider
# than the article column at 1280 or 390 px (and, with --strict as `make
# check-site` runs it, a chart whose drawing moves the text below it).
set -euo pipefail
cd "$(dirname "$0")/.."

site="${1:-_build/html}"
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
py="${PYTHON:-.venv/bin/python}"
[ -x "$py" ] || py=python3

if [ ! -f "$site/index.html" ]; then
  echo "check_site: no built site in $site (run 'make book' first)" >&2
  exit 2
fi

if [ -z "${XAIBOOK_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "check_site: installing Debian's chromium" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq chromium >/dev/null
fi

# axe-core (issue 16): the pinned npm package (scripts/vendor/package.json) is
# installed once with `npm ci` into ~/.cache/xaibook/vendor by
# scripts/vendor_assets.py (offline afterwards); XAIBOOK_AXE=/path/axe.min.js
# overrides.
if [ -z "${XAIBOOK_AXE:-}" ] && ! command -v npm >/dev/null 2>&1; then
  echo "check_site: installing Debian's nodejs and npm (for the pinned axe-core)" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq nodejs npm >/dev/null
fi

if ! "$py" -c "import playwright" 2>/dev/null; then
  echo "check_site: the Python package playwright is missing (it is in requirements.txt; run 'make setup')" >&2
  exit 2
fi

exec "$py" -m xaibook.book.sitecheck "$site" "$@"
