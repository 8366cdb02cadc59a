#!/usr/bin/env bash
# Check the offline slides, after the book is built (`make book`):
#
# 1. `xaibook slides` turns every chapter of _toc.yml into a reveal.js deck
#    (from _build/jupyter_execute) and fails if any deck would load a script,
#    style sheet, font or image from the network (xaibook.book.slides.check_offline);
#    the produced HTML is also grepped for http(s) URLs in <script>/<link> tags.
# 2. One deck with --hide-code --pdf: no code in it, and a PDF with one page
#    per slide through headless Chromium.
# 3. The browser tests (tests/browser/): decks open in headless Chromium with
#    the network off, slides render (math and charts too), keyboard navigation
#    moves to the next slide. XAIBOOK_REQUIRE_BROWSER=1: no Chromium = failure.
#
#   scripts/check_slides.sh [CHAPTER]     (the --pdf deck; default: data)
#
# Needs: the pinned environment (.venv), Chromium (apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
OUT=${XAIBOOK_SLIDES_OUT:-_build/slides}
CHAPTER=${1:-data}
start=$(date +%s)
step() { echo; echo "=== slides [$(( $(date +%s) - start ))s] $*"; }
fail() { echo "check_slides: FAILED: $*" >&2; exit 1; }

command -v chromium >/dev/null || command -v chromium-browser >/dev/null || [ -n "${XAIBOOK_CHROMIUM:-}" ] \
  || fail "no Chromium: apt-get install -y chromium"

step "1. a deck per chapter, nothing loaded from the network"
"$BIN/xaibook" slides --out "$OUT"
for deck in "$OUT"/*.slides.html; do
  if grep -Eo '<(script|link)[^>]*(src|href)="(https?:)?//[^"]*"' "$deck"; then
    fail "$deck loads from the network"
  fi
done
echo "ok: $(ls "$OUT"/*.slides.html | wc -l) deck(s) in $OUT, assets in $OUT/_assets ($(du -sh "$OUT/_assets" | cut -f1))"

step "2. --hide-code and --pdf ($CHAPTER)"
"$BIN/xaibook" slides "$CHAPTER" --hide-code --pdf --out "$OUT/hide-code"
deck="$OUT/hide-code/$CHAPTER.slides.html"
if grep -q '<div class="jp-CodeMirrorEditor' "$deck"; then fail "--hide-code left code in $deck"; fi
pdf="$OUT/hide-code/$CHAPTER.pdf"
head -c 4 "$pdf" | grep -q '%PDF' || fail "$pdf is not a PDF"
pages=$("$BIN/python" -c 'import re, sys; print(len(re.findall(rb"/Type\s*/Page[^s]", open(sys.argv[1], "rb").read())))' "$pdf")
[ "$pages" -ge 2 ] || fail "$pdf has $pages page(s)"
echo "ok: $pdf, $pages pages"

step "3. browser tests, network off"
XAIBOOK_REQUIRE_BROWSER=1 "$BIN/python" -m pytest -p no:cacheprovider -q tests/browser/test_slides_browser.py

step "done: slides checked"
