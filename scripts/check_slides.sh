#!/usr/bin/env bash
# Check the offline slides, after the book is built (`make book`):
#
# 1. `xaibook slides` builds the talk (talk/talk.yml) in Spanish and English and
#    every chapter of _toc.yml as a reveal.js deck (from _build/jupyter_execute),
#    and fails if any deck would load a script, style sheet, font or image from
#    the network (xaibook.book.slides.check_offline); the HTML is also grepped for
#    http(s) URLs in <script>/<link> tags.
# 2. --hide-code writes its own file (<chapter>.hide-code.slides.html), with no code.
# 3. The talk printed with --pdf: one page per slide, and the print fails when a
#    slide overflows (it would be cut).
# 4. The browser tests (tests/browser/), Playwright + Debian's Chromium with the
#    network off: → alone walks every slide of the talk, no slide of any deck
#    overflows, the speaker view shows the notes, Spanish slides have decimal
#    commas. XAIBOOK_REQUIRE_BROWSER=1: no Chromium = failure.
#
#   scripts/check_slides.sh [CHAPTER]     (the --hide-code deck; default: data)
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

step "1. the talk (es, en) and a deck per chapter, nothing loaded from the network"
"$BIN/xaibook" slides --out "$OUT"
[ -f "$OUT/talk.es.slides.html" ] && [ -f "$OUT/talk.en.slides.html" ] || fail "the talk decks were not built"
for deck in "$OUT"/*.slides.html; do
  if grep -Eo '<(script|link)[^>]*(src|href)="(https?:)?//[^"]*"' "$deck"; then
    fail "$deck loads from the network"
  fi
done
echo "ok: $(ls "$OUT"/*.slides.html | wc -l) deck(s) in $OUT, assets in $OUT/_assets ($(du -sh "$OUT/_assets" | cut -f1))"

step "2. --hide-code ($CHAPTER): its own file"
"$BIN/xaibook" slides "$CHAPTER" --hide-code --out "$OUT"
deck="$OUT/$CHAPTER.hide-code.slides.html"
[ -f "$deck" ] || fail "--hide-code did not write $deck"
if grep -q '<div class="jp-CodeMirrorEditor' "$deck"; then fail "--hide-code left code in $deck"; fi
grep -q '<div class="jp-CodeMirrorEditor' "$OUT/$CHAPTER.slides.html" || fail "--hide-code overwrote $OUT/$CHAPTER.slides.html"
echo "ok: $deck"

step "3. the talk as PDF (one page per slide, nothing cut)"
"$BIN/xaibook" slides talk --lang es --pdf --out "$OUT"
pdf="$OUT/talk.es.pdf"
head -c 4 "$pdf" | grep -q '%PDF' || fail "$pdf is not a PDF"
pages=$("$BIN/python" -c 'from xaibook.book.room import pdf_pages; import sys; print(pdf_pages(sys.argv[1]))' "$pdf")
[ "$pages" -ge 20 ] || fail "$pdf has $pages page(s)"
echo "ok: $pdf, $pages pages (one per slide: checked by xaibook slides --pdf)"

step "4. browser tests, network off"
XAIBOOK_REQUIRE_BROWSER=1 XAIBOOK_SLIDES_DIR="$OUT" "$BIN/python" -m pytest -p no:cacheprovider -q tests/browser/test_slides_browser.py

step "done: slides checked"
