#!/usr/bin/env python3
"""Does executing chapters in parallel shorten the cold build? (issue 12)

Runs ``jupyter-book build`` on a scratch copy of the book twice from empty
caches: once as ``make book`` does (one Sphinx process, chapters executed one
after another) and once with Sphinx's parallel reading (``jobs``), where
myst-nb executes the chapters of each reading process at the same time as the
others'. Prints the wall time, CPU time and peak memory of each.

Jupyter Book 1.x has no ``--jobs`` option, so the parallel run calls its
``build_sphinx`` with ``jobs`` set (the same function the CLI calls).

    .venv/bin/python benchmarks/parallel_build.py [--jobs 2] [--toc TOC]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_benchmark import executed_notebooks, make_workspace, run_build  # noqa: E402

RUNNER = """\
import functools, sys
import jupyter_book.cli.main as cli
from jupyter_book.sphinx import build_sphinx
cli.build_sphinx = functools.partial(build_sphinx, jobs={jobs})
sys.argv = ["jupyter-book", "build", ".", "-W", "-n", "--keep-going"]
cli.main()
"""


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--toc", type=Path, help="a _toc.yml with fewer chapters (faster)")
    args = ap.parse_args(argv)
    rows = []
    for label, jobs in (("serial (make book)", 1), (f"parallel, jobs={args.jobs}", args.jobs)):
        work = Path(tempfile.mkdtemp(prefix="xaibook-par-"))
        make_workspace(work)
        if args.toc:
            shutil.copy(args.toc, work / "_toc.yml")
        (work / "_run.py").write_text(RUNNER.format(jobs=jobs))
        env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(work / "src"),
                                                             os.environ.get("PYTHONPATH")]))}
        cpu0, t0 = _cpu_seconds(), time.time()
        r = run_build([sys.executable, "_run.py"], work, work / "build.log", env=env)
        cpu = _cpu_seconds() - cpu0
        executed = executed_notebooks(work / "_build" / ".jupyter_cache", t0)
        rows.append((label, r["seconds"], cpu, r["peak_rss"], r["returncode"], len(executed)))
        print(f"{label}: {r['seconds']:.0f} s wall, {cpu:.0f} s CPU, exit {r['returncode']}, "
              f"{len(executed)} executed", file=sys.stderr, flush=True)
        shutil.rmtree(work, ignore_errors=True)
    print("| build | wall | CPU time | CPU/wall | peak memory | chapters executed | exit |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, wall, cpu, peak, rc, n in rows:
        print(f"| {label} | {wall:.0f} s | {cpu:.0f} s | {cpu / wall:.2f} | "
              f"{peak / 2**30:.2f} GB | {n} | {rc} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
