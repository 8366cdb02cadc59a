"""Execute one chapter as the build does, without building the site.

    .venv/bin/python scripts/run_chapter.py book/adult.md [--keep out.ipynb]

Reads the MyST notebook (jupytext), adds the hidden setup cell the Sphinx
extension adds (Altair renderer), runs every cell in ``book/`` with a fresh
kernel, and prints the wall time, the number of glued values and any cell
error (exit 1). Meant for authors iterating on one chapter; the build itself
(``make book``) remains the judge.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from xaibook.book.sphinxext import ALTAIR_SETUP


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapter", type=Path)
    parser.add_argument("--keep", type=Path, help="write the executed notebook here")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    nb = jupytext.read(args.chapter)
    nb.cells.insert(0, nbformat.v4.new_code_cell(ALTAIR_SETUP))
    start = time.time()
    client = NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(args.chapter.parent.resolve())}})
    error = None
    try:
        client.execute()
    except CellExecutionError as exc:
        error = exc
    glued = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                if any(k.startswith("application/papermill.record/") for k in o.get("data", {})))
    if args.keep:
        nbformat.write(nb, args.keep)
    print(f"{args.chapter}: {time.time() - start:.0f} s, {glued} glue outputs")
    if error is not None:
        print(re.sub(r"\x1b\[[0-9;]*m", "", str(error))[-4000:], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
