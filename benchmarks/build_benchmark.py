#!/usr/bin/env python3
"""Build benchmark of the book (issue 8): prints a table, asserts nothing.

Copies the book's sources (tracked and untracked-but-not-ignored files, plus
the vendored browser libraries) into a scratch folder, so neither the
developer's ``_build`` nor other work is touched, and there measures:

The builds import the scratch copy of ``src/xaibook`` (``PYTHONPATH``), so
the measurement is of one snapshot even while the repository changes.

1. **cold build**: empty ``_build`` (no jupyter-cache, no doctrees), data
   present (``XAIBOOK_DATA_MIRROR`` / the data cache, as for ``make book``);
2. **no-op rebuild**: the same command again;
3. **prose edit**: one sentence appended to one chapter (``--chapter``), then
   rebuilt: which chapters were re-read and which were re-executed;
4. **code edit**: a comment added to that chapter's first code cell: only
   that chapter may re-execute;
5. **module edit**: a comment appended to one analysis module (``--module``,
   default ``src/xaibook/cases/propublica.py``): exactly the chapters whose
   per-chapter fingerprint includes it may re-execute (the expected set is
   computed with :func:`xaibook.book.fingerprint.chapter_fingerprint`);
6. **tooling edit**: a comment appended to ``src/xaibook/book/slides.py``:
   nothing may re-execute;
7. **second cold build** (edits reverted): its glued values must equal the
   first's, byte for byte;

with the wall time and the peak memory (resident set of the whole process
tree: Jupyter Book plus every kernel, sampled every 0.2 s) of each build,
then the size of every page with its own images and data (resources not
under ``_static/``), the shared assets, and the whole site.

Usage (from the repository root, with the book's environment)::

    .venv/bin/python benchmarks/build_benchmark.py            # full run
    .venv/bin/python benchmarks/build_benchmark.py --quick    # one cold build
    .venv/bin/python benchmarks/build_benchmark.py --json out.json

Targets (issue 8, 2-core CI machine): cold build <= 15 min including CNN
training; no-op rebuild <= 30 s; editing one chapter re-executes only that
chapter; no page over 2 MB; peak memory <= 6 GB; identical glued numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from xaibook.book.sitecheck import _PageParser, find_pages  # noqa: E402

MB = 1024 * 1024
TARGETS = {"cold": 15 * 60, "noop": 30, "page": 2 * MB, "memory": 6 * 1024 * MB}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --- running a build ---------------------------------------------------------

def _tree_rss(proc) -> int:
    import psutil

    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_build(cmd: list[str], cwd: Path, log: Path, env: dict | None = None) -> dict:
    """Run one build; returns wall seconds, peak tree RSS, exit code, output."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is in requirements.txt
        psutil = None
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        peak = 0
        done = threading.Event()

        def sample():
            nonlocal peak
            handle = psutil.Process(proc.pid)
            while not done.is_set():
                peak = max(peak, _tree_rss(handle))
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True) if psutil else None
        if sampler:
            sampler.start()
        code = proc.wait()
        done.set()
        if sampler:
            sampler.join()
    wall = time.perf_counter() - start
    text = ANSI.sub("", log.read_text(errors="replace"))
    return {"seconds": wall, "peak_rss": peak, "returncode": code, "output": text}


def reread_docs(output: str) -> list[str]:
    """Documents Sphinx re-read, from its 'reading sources... [ 50%] book/x' lines."""
    return sorted(set(re.findall(r"reading sources\.\.\. \[\s*\d+%\]\s+(\S+)", output)))


def executed_notebooks(cache_dir: Path, since: float) -> list[str]:
    """Notebooks jupyter-cache stored (i.e. executed) after ``since`` (epoch s)."""
    if not cache_dir.exists():
        return []
    from jupyter_cache import get_cache

    out = []
    for rec in get_cache(str(cache_dir)).list_cache_records():
        created = rec.created.replace(tzinfo=rec.created.tzinfo or timezone.utc).timestamp()
        if created >= since - 1:
            out.append(Path(rec.uri).stem)
    return sorted(out)


def glued_values(build: Path) -> dict[str, dict[str, str]]:
    """Every glued value of every executed notebook: {notebook: {name: text}}."""
    values: dict[str, dict[str, str]] = {}
    # myst-nb 1.x moves glued outputs out of the notebook into <name>.glue.json
    for path in sorted((build / "jupyter_execute").rglob("*.glue.json")):
        doc = path.relative_to(build / "jupyter_execute").as_posix()
        for name, output in json.loads(path.read_text()).items():
            values.setdefault(doc, {})[name] = json.dumps(output.get("data", output), sort_keys=True)
    for nb in sorted((build / "jupyter_execute").rglob("*.ipynb")):
        data = json.loads(nb.read_text())
        for cell in data.get("cells", []):
            for output in cell.get("outputs", []):
                meta = output.get("metadata", {}).get("scrapbook")
                if not meta:
                    continue
                bundle = output.get("data", {})
                text = bundle.get("text/plain") or json.dumps(bundle, sort_keys=True)
                if isinstance(text, list):
                    text = "".join(text)
                values.setdefault(nb.relative_to(build / "jupyter_execute").as_posix(), {})[
                    meta["name"]] = text
    return values


# --- sizes -------------------------------------------------------------------

def page_sizes(site: Path) -> list[dict]:
    """Each page: its HTML, its own resources, and the shared _static files it loads."""
    rows = []
    for page in find_pages(site):
        parser = _PageParser()
        parser.feed(page.read_text(errors="replace"))
        own, shared, seen = 0, 0, set()
        for _tag, url in parser.resources:
            if re.match(r"^[a-z]+:|^//", url):
                continue
            target = (page.parent / url.split("#")[0].split("?")[0]).resolve()
            if target in seen or not target.is_file():
                continue
            seen.add(target)
            size = target.stat().st_size
            rel = target.relative_to(site.resolve()).parts
            # _static/charts/: the page's own chart specs (xaibook.book.siteperf)
            if (rel[0] == "_static" and rel[1:2] != ("charts",)) or len(rel) == 1:
                # theme, libraries, searchindex.js
                shared += size
            else:
                own += size
        html = page.stat().st_size
        rows.append({"page": page.relative_to(site).as_posix(), "html": html,
                     "own_resources": own, "with_own": html + own, "shared_static": shared})
    return rows


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- the workspace -----------------------------------------------------------

def make_workspace(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    libs = ROOT / "_extra" / "_static" / "libs"
    if libs.is_dir():
        shutil.copytree(libs, dest / "_extra" / "_static" / "libs", dirs_exist_ok=True)


def first_code_cell_edit(text: str) -> str:
    return re.sub(r"(```\{code-cell\}[^\n]*\n(?::[^\n]*\n)*\n?)",
                  r"\1# benchmark: a code edit\n", text, count=1)


def expected_reexecution(work: Path, module: str) -> list[str]:
    """Chapters of the workspace whose fingerprint includes ``module`` (a path under src/)."""
    from xaibook.book.fingerprint import chapter_fingerprint

    dotted = ".".join(Path(module).relative_to("src").with_suffix("").parts)
    toc = (work / "_toc.yml").read_text()
    chapters = []
    for name in re.findall(r"file:\s*(\S+)", toc):
        path = work / (name if name.endswith(".md") else name + ".md")
        if path.is_file() and "```{code-cell}" in path.read_text():
            fp = chapter_fingerprint(path.read_text(), package_dir=work / "src" / "xaibook")
            if dotted in fp.modules:
                chapters.append(path.stem)
    return sorted(chapters)


def fmt_s(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min ({s:.0f} s)"


def fmt_b(n: int) -> str:
    return f"{n / MB:.2f} MB" if n >= 100 * 1024 else f"{n / 1024:.0f} kB"


# --- main --------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chapter", default=None,
                    help="chapter to edit (default: the first book/*.md in _toc.yml with code)")
    ap.add_argument("--module", default="src/xaibook/cases/propublica.py",
                    help="analysis module to edit for the per-module re-execution row")
    ap.add_argument("--workdir", type=Path, help="scratch folder (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    ap.add_argument("--quick", action="store_true", help="only the first cold build and sizes")
    ap.add_argument("--json", type=Path, help="also write all measurements here")
    ap.add_argument("--toc", type=Path, help="use this _toc.yml instead of the repository's")
    ap.add_argument("--build-cmd", default=None,
                    help="build command (default: jupyter-book build . -W -n --keep-going)")
    args = ap.parse_args(argv)

    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = args.build_cmd.split() if args.build_cmd else [str(jb), "build", ".", "-W", "-n", "--keep-going"]
    vendor = subprocess.run([sys.executable, str(ROOT / "scripts" / "vendor_assets.py")], cwd=ROOT)
    if vendor.returncode:
        return vendor.returncode

    work = args.workdir or Path(tempfile.mkdtemp(prefix="xaibook-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    make_workspace(work)
    if args.toc:
        shutil.copy(args.toc, work / "_toc.yml")
    build = work / "_build"
    logs = work / "_bench_logs"
    logs.mkdir(exist_ok=True)
    chapter = args.chapter
    if chapter is None:
        toc = (work / "_toc.yml").read_text()
        for name in re.findall(r"file:\s*(\S+)", toc):
            path = work / (name if name.endswith(".md") else name + ".md")
            if path.is_file() and "```{code-cell}" in path.read_text():
                chapter = path.relative_to(work).as_posix()
                break
    results: dict = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "git": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip(),
        "chapter": chapter, "steps": {},
    }
    print(f"benchmark: building in {work} ({results['machine']})", file=sys.stderr)
    # The builds (and their kernels) import the workspace's copy of xaibook,
    # so edits made meanwhile in the repository do not change the fingerprint
    # and re-execute chapters in the middle of the benchmark.
    frozen = {"PYTHONPATH": os.pathsep.join(filter(None, [str(work / "src"),
                                                            os.environ.get("PYTHONPATH")]))}

    def step(name: str) -> dict:
        print(f"benchmark: {name} ...", file=sys.stderr, flush=True)
        t0 = time.time()
        r = run_build(cmd, work, logs / f"{name}.log", env=frozen)
        r["reread"] = reread_docs(r["output"])
        r["executed"] = executed_notebooks(build / ".jupyter_cache", t0)
        del r["output"]
        results["steps"][name] = r
        print(f"benchmark: {name}: {fmt_s(r['seconds'])}, exit {r['returncode']}, "
              f"executed {r['executed'] or 'nothing'}", file=sys.stderr, flush=True)
        return r

    shutil.rmtree(build, ignore_errors=True)
    cold = step("cold")
    glue1 = glued_values(build)
    if not args.quick:
        step("noop")
        if chapter:
            path = work / chapter
            original = path.read_text()
            path.write_text(original.rstrip("\n") + "\n\nOne more sentence, added by the benchmark.\n")
            step("prose_edit")
            path.write_text(first_code_cell_edit(original))
            step("code_edit")
            path.write_text(original)
        for key, rel in (("module_edit", args.module), ("tooling_edit", "src/xaibook/book/slides.py")):
            module = work / rel
            if not module.is_file():
                continue
            results[f"{key}_target"] = rel
            results[f"{key}_expected"] = expected_reexecution(work, rel)
            original = module.read_text()
            module.write_text(original + "\n# benchmark: a module edit\n")
            step(key)
            module.write_text(original)
        shutil.rmtree(build, ignore_errors=True)
        step("cold2")
        glue2 = glued_values(build)
        results["glue_identical"] = glue1 == glue2
        results["glue_diff"] = sorted(
            f"{nb}:{k}" for nb in set(glue1) | set(glue2)
            for k in set(glue1.get(nb, {})) | set(glue2.get(nb, {}))
            if glue1.get(nb, {}).get(k) != glue2.get(nb, {}).get(k))
    results["glue_count"] = sum(len(v) for v in glue1.values())
    site = build / "html"
    results["pages"] = page_sizes(site) if site.is_dir() else []
    results["site_bytes"] = dir_size(site) if site.is_dir() else 0
    results["static_bytes"] = dir_size(site / "_static") if site.is_dir() else 0

    print(render_table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    if not args.keep and not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if cold["returncode"] == 0 else 1


def render_table(res: dict) -> str:
    steps = res["steps"]
    ok = lambda good: "yes" if good else "**NO**"  # noqa: E731
    lines = [f"Build benchmark, {res['when']} on {res['machine']} (commit {res['git']})", "",
             "| measurement | result | target | met |", "| --- | --- | --- | --- |"]
    if "cold" in steps:
        c = steps["cold"]
        lines.append(f"| cold build (empty caches, data present) | {fmt_s(c['seconds'])}, "
                     f"{len(c['executed'])} chapters executed | <= 15 min | {ok(c['seconds'] <= TARGETS['cold'] and c['returncode'] == 0)} |")
    if "noop" in steps:
        n = steps["noop"]
        lines.append(f"| no-op rebuild | {fmt_s(n['seconds'])}, executed: {', '.join(n['executed']) or 'none'} "
                     f"| <= 30 s | {ok(n['seconds'] <= TARGETS['noop'] and not n['executed'])} |")
    chap = Path(res["chapter"]).stem if res.get("chapter") else None
    for key, label in (("prose_edit", "rebuild after editing one chapter's prose"),
                       ("code_edit", "rebuild after editing one chapter's code")):
        if key in steps:
            e = steps[key]
            only = set(e["executed"]) <= {chap}
            lines.append(f"| {label} ({res['chapter']}) | {fmt_s(e['seconds'])}, re-executed: "
                         f"{', '.join(e['executed']) or 'none'} | only that chapter | {ok(only and e['returncode'] == 0)} |")
    for key, label in (("module_edit", "rebuild after editing one analysis module"),
                       ("tooling_edit", "rebuild after editing a tooling module")):
        if key in steps:
            e = steps[key]
            expected = res.get(f"{key}_expected", [])
            lines.append(f"| {label} ({res[f'{key}_target']}) | {fmt_s(e['seconds'])}, re-executed: "
                         f"{', '.join(e['executed']) or 'none'} | exactly the chapters importing it: "
                         f"{', '.join(expected) or 'none'} | "
                         f"{ok(sorted(e['executed']) == expected and e['returncode'] == 0)} |")
    peak = max((s["peak_rss"] for s in steps.values()), default=0)
    lines.append(f"| peak memory (whole process tree) | {peak / 1024 / MB:.2f} GB | <= 6 GB | {ok(peak <= TARGETS['memory'])} |")
    if "glue_identical" in res:
        diff = f" (differ: {', '.join(res['glue_diff'][:5])})" if res["glue_diff"] else ""
        lines.append(f"| glued values, two cold builds | {res['glue_count']} values, "
                     f"{'identical' if res['glue_identical'] else 'different'}{diff} | identical | {ok(res['glue_identical'])} |")
    pages = res["pages"]
    if pages:
        big = max(pages, key=lambda p: p["with_own"])
        lines.append(f"| largest page with its own images and data | {fmt_b(big['with_own'])} ({big['page']}) "
                     f"| <= 2 MB | {ok(big['with_own'] <= TARGETS['page'])} |")
    lines.append(f"| whole site | {fmt_b(res['site_bytes'])} (shared _static: {fmt_b(res['static_bytes'])}) | | |")
    lines += ["", "| page | HTML | own images/data | page total | shared files it loads (cached across pages) |",
              "| --- | --- | --- | --- | --- |"]
    for p in pages:
        lines.append(f"| {p['page']} | {fmt_b(p['html'])} | {fmt_b(p['own_resources'])} | "
                     f"{fmt_b(p['with_own'])} | {fmt_b(p['shared_static'])} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
