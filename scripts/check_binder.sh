#!/usr/bin/env bash
# Check the Binder configuration (binder/) the way repo2docker uses it, and
# that chapters run top to bottom as notebooks.
#
#   scripts/check_binder.sh [CHAPTER ...]
#
# 1. binder/ reproduces the pinned environment: runtime.txt is the Python of
#    pyproject.toml, binder/requirements.txt is byte-identical to the root
#    requirements.txt (repo2docker reads only binder/ and does not follow
#    "-r ../requirements.txt"), apt.txt has dataset-fashion-mnist, postBuild
#    is an executable bash script.
# 2. A fresh virtual environment. To keep CI short it is layered on the
#    installed pinned environment (a .pth file adds that environment's
#    site-packages, like --system-site-packages would for a system Python),
#    and pip confirms, without any index, that every pin of
#    binder/requirements.txt is installed at exactly that version.
# 3. binder/postBuild runs in it as repo2docker runs it: in the repository
#    root, with a fresh empty $HOME (so the data and model caches start cold
#    and postBuild really trains the CNN; XAIBOOK_BINDER_MODEL_DIR=DIR reuses
#    the trained models in DIR instead, e.g. ~/.cache/xaibook/models after
#    `make book`, to save the training time). Then the caches it filled are
#    verified: every dataset, and the CNN loads from the cache without training.
# 4. Chapters run top to bottom as notebooks, in that environment and $HOME,
#    with `jupyter nbconvert --execute`: the .ipynb that `xaibook notebooks`
#    publishes for Colab (the chapter's cells as jupytext reads them, which is
#    also what Binder opens, plus the install cell first). By default only
#    chapters the last book build executed in at most XAIBOOK_BINDER_BUDGET_S
#    seconds (default 120; read from the book's jupyter-cache): the book build
#    has already executed every chapter with the same cells in the same pinned
#    environment, so the expensive ones are not run twice. Name chapters, or
#    set XAIBOOK_BINDER_BUDGET_S=inf, to run others.
#
# Needs: the pinned environment (.venv, `make setup`), the datasets (network,
# or XAIBOOK_DATA_MIRROR), and preferably a built book (`make book`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
WORK=${XAIBOOK_BINDER_WORK:-$ROOT/_build/binder-check}
BUDGET=${XAIBOOK_BINDER_BUDGET_S:-120}
start=$(date +%s)
step() { echo; echo "=== binder [$(( $(date +%s) - start ))s] $*"; }
fail() { echo "check_binder: FAILED: $*" >&2; exit 1; }

step "1. binder/ matches the pinned environment"
[ -f binder/runtime.txt ] || fail "binder/runtime.txt is missing"
runtime=$(tr -d '[:space:]' < binder/runtime.txt)
wanted=$("$PY" - <<'PY'
import re, tomllib
spec = tomllib.load(open("pyproject.toml", "rb"))["project"]["requires-python"]
low = re.search(r">=\s*(\d+\.\d+)", spec).group(1)
print(f"python-{low}")
PY
)
[ "$runtime" = "$wanted" ] || fail "binder/runtime.txt says '$runtime', pyproject.toml requires '$wanted'"
here=$("$PY" -c 'import sys; print(f"python-{sys.version_info[0]}.{sys.version_info[1]}")')
[ "$runtime" = "$here" ] || fail "binder/runtime.txt says '$runtime' but the pinned environment runs $here"
cmp -s requirements.txt binder/requirements.txt \
  || fail "binder/requirements.txt differs from requirements.txt; run: cp requirements.txt binder/requirements.txt"
grep -qx 'dataset-fashion-mnist' binder/apt.txt || fail "binder/apt.txt lacks dataset-fashion-mnist"
grep -qi '^jupytext==' binder/requirements.txt || fail "jupytext is not pinned: Binder could not open book/*.md as notebooks"
[ -x binder/postBuild ] || fail "binder/postBuild is not executable"
head -1 binder/postBuild | grep -q bash || fail "binder/postBuild has no bash shebang"
bash -n binder/postBuild
echo "ok: $runtime, $(grep -c '==' binder/requirements.txt) pins identical to requirements.txt, apt.txt, postBuild"

step "2. a fresh virtual environment with every pin of binder/requirements.txt"
rm -rf "$WORK"
mkdir -p "$WORK/home"
"$PY" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
base_site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
venv_site=$("$VPY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "import site; site.addsitedir('$base_site')" > "$venv_site/zz_xaibook_pinned_env.pth"
"$VPY" -m pip install --disable-pip-version-check --dry-run --no-index --quiet -r binder/requirements.txt \
  || fail "some pins of binder/requirements.txt are not installed (make setup)"
"$VPY" -m pip check >/dev/null || { "$VPY" -m pip check; fail "pip check"; }
echo "ok: every pin satisfied in $WORK/venv"

step "3. binder/postBuild, as repo2docker runs it (repository root, empty \$HOME)"
export HOME="$WORK/home"
unset XAIBOOK_DATA_DIR JUPYTER_CONFIG_DIR   # caches and Jupyter settings go to the fresh $HOME
if [ -n "${XAIBOOK_BINDER_MODEL_DIR:-}" ]; then
  export XAIBOOK_MODEL_DIR="$XAIBOOK_BINDER_MODEL_DIR"
  echo "note: trained models from $XAIBOOK_MODEL_DIR (XAIBOOK_BINDER_MODEL_DIR): the CNN is not retrained"
else
  unset XAIBOOK_MODEL_DIR
fi
export PATH="$WORK/venv/bin:$PATH"
export PYTHONNOUSERSITE=1 TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3} PYTHONHASHSEED=${PYTHONHASHSEED:-0}
bash binder/postBuild
where=$("$VPY" -c 'import xaibook, pathlib; print(pathlib.Path(xaibook.__file__).resolve().parent)')
[ "$where" = "$ROOT/src/xaibook" ] || fail "xaibook imports from $where, not the repository's src/xaibook"
"$WORK/venv/bin/xaibook" data verify >/dev/null || fail "postBuild left the data cache incomplete"
case "$("$WORK/venv/bin/xaibook" data where)" in
  *"$HOME"*) ;; *) fail "the data cache is not under the fresh \$HOME" ;;
esac
viewers="$HOME/.jupyter/labconfig/default_setting_overrides.json"
grep -q '"markdown": *"Jupytext Notebook"' "$viewers" || fail "$viewers does not open Markdown as notebooks"
grep -q '"myst": *"Jupytext Notebook"' "$viewers" || fail "$viewers does not open MyST as notebooks"
if [ -f src/xaibook/vision/cnn.py ]; then
  "$VPY" - <<'PY' || fail "the CNN is not in the cache postBuild filled"
from xaibook.vision.cnn import fashion_cnn
trained = fashion_cnn()
assert trained.from_cache, "fashion_cnn() trained again: postBuild did not cache the chapters' model"
print(f"ok: the chapters' CNN loads from the cache: {trained.path}")
PY
fi
echo "ok: package from src/, data cached and verified in \$HOME, .md opens as a notebook"

step "4. chapters as notebooks, top to bottom (jupyter nbconvert --execute)"
if [ "$#" -gt 0 ]; then
  chapters=("$@")
else
  mapfile -t chapters < <("$VPY" -m xaibook.book.cli notebooks --list | awk -v b="$BUDGET" -F'\t' '
    NF == 2 && (b == "inf" || $2 + 0 <= b + 0) { print $1 } NF == 1 { unknown = unknown " " $1 }
    END { if (unknown != "") print "note: never executed by the book build, skipped:" unknown > "/dev/stderr" }')
  if [ "${#chapters[@]}" -eq 0 ]; then
    echo "note: no run times in the book's jupyter-cache (book not built?); running the data chapter"
    chapters=(data)
  fi
fi
echo "chapters: ${chapters[*]}"
"$VPY" -m xaibook.book.cli notebooks "${chapters[@]}" --no-outputs --out "$WORK/colab" >/dev/null
mkdir -p "$WORK/executed"
for chapter in "${chapters[@]}"; do
  nb=$(find "$WORK/colab" -name "$chapter.ipynb" | head -1)
  [ -n "$nb" ] || fail "no exported notebook for $chapter"
  src=$(dirname "$ROOT/${nb#"$WORK/colab/"}")   # run in the chapter's folder, as the book does
  t0=$(date +%s)
  (cd "$src" && "$VPY" -m nbconvert --to notebook --execute --stdin \
      --ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.kernel_name=python3 \
      --output-dir "$WORK/executed" --output "$chapter" < "$nb" 2> "$WORK/executed/$chapter.log") \
    || { tail -40 "$WORK/executed/$chapter.log" >&2; fail "$chapter did not run top to bottom"; }
  echo "ok: $chapter ran top to bottom in $(( $(date +%s) - t0 ))s"
done

step "done: Binder configuration checked"
