"""The ``xaibook`` command line.

Subcommands live in their own modules, each exposing ``add_arguments(parser)``
and ``run(args) -> int``; this file only wires them together:

``xaibook data fetch|verify|where``
    :mod:`xaibook.book.datacli` — prefetch and check the datasets for offline use.
``xaibook slides``
    :mod:`xaibook.book.slides` — turn chapters into offline reveal.js decks.
``xaibook notebooks``
    :mod:`xaibook.book.notebooks` — export chapters as ``.ipynb`` notebooks.
"""

from __future__ import annotations

import argparse
import importlib
import sys

_COMMANDS = {
    "data": ("xaibook.book.datacli", "fetch and verify the datasets"),
    "slides": ("xaibook.book.slides", "build offline reveal.js slides from chapters"),
    "notebooks": ("xaibook.book.notebooks", "export chapters as Jupyter notebooks"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xaibook", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in _COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        command = sub.add_parser(name, help=help_text, description=module.__doc__)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
