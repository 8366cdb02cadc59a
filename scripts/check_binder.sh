#!/usr/bin/env bash
# Binder and Colab, tried as a student would: every chapter's exported notebook
# runs top to bottom in truly fresh virtual environments, with time and peak
# memory recorded per chapter.
#
#   scripts/check_binder.sh [CHAPTER ...]        (after `make book`; CI: .ci/run)
#
# 1. Static: binder/runtime.txt is the Python of pyproject.toml; the runtime
#    files (requirements-runtime.txt, constraints-runtime.txt,
#    binder/requirements.txt) are what `xaibook notebooks --runtime-requirements`
#    writes from requirements.txt; apt.txt, postBuild.
# 2. Export: `xaibook notebooks` from the book build's executed notebooks
#    (_build/jupyter_execute, or XAIBOOK_EXECUTED=DIR of DIR/<chapter>.ipynb),
#    and the readability test (no {glue, {cite, {term or glue:figure left; the
#    Gen Z garments as an output). The trained models (XAIBOOK_BINDER_MODEL_DIR,
#    default the model cache) are packed as the site publishes them, with their
#    SHA-256 digest.
# 3. Binder, Python 3.11 (binder/runtime.txt): a new venv, `pip install -r
#    binder/requirements.txt` as repo2docker does, then binder/postBuild with a
#    fresh empty $HOME, taking the models by digest (XAIBOOK_MODELS_FROM), then
#    every notebook on a kernel of that venv.
# 4. Colab, Python 3.12 (XAIBOOK_PY312): a new venv with only a kernel; the
#    notebooks' own setup cell installs everything (XAIBOOK_INSTALL=1, the
#    package from this checkout), the models are fetched by digest.
# 5. The table of time and peak memory (kernel and its children) per chapter
#    and Python; fails if a chapter errs, writes to stderr, retrains a model or
#    peaks above XAIBOOK_MEMORY_LIMIT_MB (default 1536, under mybinder.org's 2 GB).
#
# pip reuses its cache (~/.cache/pip) between the two venvs and between runs.
# Needs: .venv (`make setup`), the datasets (XAIBOOK_DATA_MIRROR or network),
# python3.11 and Python 3.12.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
WORK=${XAIBOOK_BINDER_WORK:-$ROOT/_build/binder-check}
# The first candidate that really runs: a pyenv shim can exist for a version that is
# installed but not selected ("pyenv: python3.12: command not found"), so `command -v`
# alone is not enough.
working_python() {
  local c
  for c in "$@"; do
    [ -n "$c" ] && "$c" -c 'import sys' >/dev/null 2>&1 && { echo "$c"; return 0; }
  done
  return 1
}
PY311=${XAIBOOK_PY311:-$(working_python "$(command -v python3.11)" /root/.pyenv/versions/3.11*/bin/python3.11 || true)}
PY312=${XAIBOOK_PY312:-$(working_python "$(command -v python3.12)" /root/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12 || true)}
LIMIT_MB=${XAIBOOK_MEMORY_LIMIT_MB:-1536}
MODELS=${XAIBOOK_BINDER_MODEL_DIR:-${XAIBOOK_MODEL_DIR:-${XAIBOOK_DATA_DIR:-$HOME/.cache/xaibook}/models}}
ONLY=${XAIBOOK_BINDER_ONLY:-}      # "3.11" or "3.12" to run one of the two
REUSE=${XAIBOOK_BINDER_REUSE:-0}   # 1: keep the venvs of an earlier run in $WORK (local reruns only)
export PIP_DISABLE_PIP_VERSION_CHECK=1 TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3} PYTHONHASHSEED=${PYTHONHASHSEED:-0}
start=$(date +%s)
step() { echo; echo "=== binder [$(( $(date +%s) - start ))s] $*"; }
fail() { echo "check_binder: FAILED: $*" >&2; exit 1; }
chapters=("$@")

step "1. binder/ and the runtime files"
runtime=$(tr -d '[:space:]' < binder/runtime.txt)
wanted=$("$PY" -c 'import re, tomllib; s = tomllib.load(open("pyproject.toml", "rb"))["project"]["requires-python"]; print("python-" + re.search(r">=\s*(\d+\.\d+)", s).group(1))')
[ "$runtime" = "$wanted" ] || fail "binder/runtime.txt says '$runtime', pyproject.toml requires '$wanted'"
"$PY" - <<'PY' || fail "runtime files are stale: run .venv/bin/xaibook notebooks --runtime-requirements"
from pathlib import Path
from xaibook.book import notebooks as nbx
stale = [n for n, text in nbx.runtime_requirements().items() if Path(n).read_text() != text]
assert not stale, stale
PY
grep -qx 'dataset-fashion-mnist' binder/apt.txt || fail "binder/apt.txt lacks dataset-fashion-mnist"
[ -x binder/postBuild ] && bash -n binder/postBuild || fail "binder/postBuild is not an executable bash script"
! grep -rq -- "--ignore-requires-python" binder src/xaibook/book/notebooks.py || fail "--ignore-requires-python is back"
echo "ok: $runtime; $(grep -c '==' constraints-runtime.txt) runtime pins (requirements.txt: $(grep -c '==' requirements.txt))"

step "2. readable notebooks, exported from the build; the trained models by digest"
if [ "$REUSE" = 1 ]; then
  find "$WORK" -mindepth 1 -maxdepth 1 ! -name 'venv-*' -exec rm -rf {} + 2>/dev/null || true
else
  rm -rf "$WORK"
fi
mkdir -p "$WORK"
export_args=(--out "$WORK/notebooks")
[ -n "${XAIBOOK_EXECUTED:-}" ] && export_args+=(--executed "$XAIBOOK_EXECUTED")
"$PY" -m xaibook.book.cli notebooks "${chapters[@]}" "${export_args[@]}" >/dev/null
if [ "${XAIBOOK_BINDER_READABLE:-1}" = 1 ]; then   # 0: only time the runs (chapters mid-edit, local)
  XAIBOOK_EXPORTED="$WORK/notebooks" XAIBOOK_REQUIRE_EXPORTED=1 "$PY" -m pytest -p no:cacheprovider -q \
    tests/test_notebooks.py -k exported_notebooks || fail "the exported notebooks are not readable"
fi
digest=$("$PY" -c "
from pathlib import Path; from xaibook.book.notebooks import pack_models
print(pack_models(Path('$MODELS'), Path('$WORK/models'))[1])") || fail "no trained models in $MODELS (make book first)"
echo "ok: models.tar $digest"
mapfile -t names < <("$PY" -m xaibook.book.cli notebooks "${chapters[@]}" --list | cut -f1)

# run_all TAG VENV_PYTHON [CHAPTER...]: the notebooks (default: every one) on a kernel of that
# venv; JSON lines in $WORK/report-TAG.jsonl
run_all() {
  local tag=$1 vpy=$2; shift 2
  local run=("$@"); [ ${#run[@]} -gt 0 ] || run=("${names[@]}")
  "$vpy" -m ipykernel install --prefix "$WORK/kernel-$tag" --name "xaibook-$tag" >/dev/null
  local before; before=$(ls "$XAIBOOK_MODEL_DIR" | sort | md5sum)
  JUPYTER_PATH="$WORK/kernel-$tag/share/jupyter" "$PY" -m xaibook.book.cli notebooks "${run[@]}" \
      --execute "$WORK/notebooks" --kernel "xaibook-$tag" --report "$WORK/report-$tag.jsonl" \
    | "$PY" -c 'import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print("  %-16s %7.1f s %6d MB %s" % (r["chapter"], r["seconds"], r["peak_mb"], "ERROR" if r["error"] else ""), flush=True)' \
    || { "$PY" -c "import json; [print(json.loads(l)['error']) for l in open('$WORK/report-$tag.jsonl') if json.loads(l)['error']]" >&2 || true
         fail "a chapter did not run top to bottom on Python $tag"; }
  [ "$(ls "$XAIBOOK_MODEL_DIR" | sort | md5sum)" = "$before" ] || fail "Python $tag: a chapter trained a model (not reused by digest)"
}

if [ "$ONLY" != "3.12" ]; then
step "3. Binder: Python 3.11, binder/requirements.txt, binder/postBuild, fresh \$HOME"
[ -n "$PY311" ] || fail "no working Python 3.11 (tried python3.11 on PATH and pyenv's); set XAIBOOK_PY311 to one"
[ "$REUSE" = 1 ] && [ -x "$WORK/venv-3.11/bin/python" ] || "$PY311" -m venv "$WORK/venv-3.11"
V311="$WORK/venv-3.11/bin/python"
t0=$(date +%s)
"$V311" -m pip install --quiet -r binder/requirements.txt
(
  export HOME="$WORK/home-3.11" PATH="$WORK/venv-3.11/bin:$PATH" PYTHONNOUSERSITE=1
  mkdir -p "$HOME"; unset XAIBOOK_DATA_DIR XAIBOOK_MODEL_DIR JUPYTER_CONFIG_DIR
  XAIBOOK_NOTEBOOK_DIR="$WORK/binder-notebooks" XAIBOOK_MODELS_FROM="$WORK/models/models.tar" \
    XAIBOOK_MODELS_SHA256="$digest" bash binder/postBuild > "$WORK/postBuild.log" 2>&1 \
    || { tail -30 "$WORK/postBuild.log" >&2; fail "binder/postBuild"; }
  grep -E "model files|nothing to train|notebooks from" "$WORK/postBuild.log"
  "$V311" -m pip check >/dev/null 2>&1 || "$V311" -m pip check | grep -v -i "^pdpbox" || true
  [ -n "$(ls "$WORK/binder-notebooks/book"/*.ipynb)" ] || fail "postBuild wrote no notebooks"
  echo "install + postBuild: $(( $(date +%s) - t0 )) s, venv $(du -sm "$WORK/venv-3.11" | cut -f1) MB"
  export XAIBOOK_MODEL_DIR="$HOME/.cache/xaibook/models"
  run_all 3.11 "$V311"
)
fi

if [ "$ONLY" != "3.11" ]; then
step "4. Colab: Python 3.12, only a kernel; the notebooks' setup cell installs the rest"
[ -n "$PY312" ] || fail "no working Python 3.12 (tried python3.12 on PATH, pyenv's and /usr/bin); set XAIBOOK_PY312 to one"
[ "$REUSE" = 1 ] && [ -x "$WORK/venv-3.12/bin/python" ] || "$PY312" -m venv "$WORK/venv-3.12"
V312="$WORK/venv-3.12/bin/python"
"$V312" -m pip install --quiet "$(grep -i '^ipykernel==' constraints-runtime.txt)" -c constraints-runtime.txt
(
  export HOME="$WORK/home-3.12" PATH="$WORK/venv-3.12/bin:$PATH" PYTHONNOUSERSITE=1
  mkdir -p "$HOME"; unset XAIBOOK_DATA_DIR JUPYTER_CONFIG_DIR
  export XAIBOOK_MODEL_DIR="$HOME/.cache/xaibook/models" XAIBOOK_INSTALL=1 XAIBOOK_PIP_SPEC="$ROOT"
  "$PY" -c "
from pathlib import Path; from xaibook.book.notebooks import fetch_models
print(f'  {len(fetch_models(\"$WORK/models/models.tar\", \"$digest\", Path(\"$XAIBOOK_MODEL_DIR\")))} model files by digest')"
  # XAIBOOK_BINDER_312_CHAPTERS: a subset for 3.12 (CI's time budget); default every chapter
  read -r -a only312 <<< "${XAIBOOK_BINDER_312_CHAPTERS:-}"
  run_all 3.12 "$V312" "${only312[@]}"
  echo "venv $(du -sm "$WORK/venv-3.12" | cut -f1) MB"
)
fi

step "5. time and peak memory per chapter"
"$PY" - "$WORK" "$LIMIT_MB" <<'PY'
import json, sys
from pathlib import Path
work, limit = Path(sys.argv[1]), int(sys.argv[2])
rows, bad = {}, []
for tag in ("3.11", "3.12"):
    path = work / f"report-{tag}.jsonl"
    for line in path.read_text().splitlines() if path.is_file() else []:
        r = json.loads(line)
        rows.setdefault(r["chapter"], {})[tag] = r
        if r["peak_mb"] > limit:
            bad.append(f"{r['chapter']} on {tag}: {r['peak_mb']} MB > {limit} MB")
        if r["stderr"]:
            bad.append(f"{r['chapter']} on {tag} wrote to stderr: {r['stderr'][0][:200]!r}")
print("| chapter | Binder (3.11): time | peak memory | Colab (3.12): time | peak memory |")
print("| --- | --- | --- | --- | --- |")
cell = lambda r: (f"{r['seconds']:.0f} s", f"{r['peak_mb'] / 1024:.2f} GB") if r else ("", "")
for chapter, by in rows.items():
    a, b = cell(by.get("3.11")), cell(by.get("3.12"))
    print(f"| {chapter} | {a[0]} | {a[1]} | {b[0]} | {b[1]} |")
if bad:
    sys.exit("check_binder: FAILED:\n  " + "\n  ".join(bad))
PY
step "done: every chapter ran in fresh Binder and Colab environments"
