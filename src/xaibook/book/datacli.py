"""Prefetch and verify the book's datasets (``xaibook data ...``).

``fetch``  downloads (or copies from ``XAIBOOK_DATA_MIRROR``) every file,
           checks its SHA-256 digest and caches it, for offline use.
``verify`` checks the cache against the digests without fetching anything.
``where``  prints the cache folder and the mirror in use.
"""

from __future__ import annotations

import sys

from xaibook.data import DataError, data_home, fetch_dataset, mirror_dir, verify_cache
from xaibook.data.registry import DATASET_FILES


def add_arguments(parser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    fetch = actions.add_parser("fetch", help="fetch, verify and cache datasets")
    fetch.add_argument("names", nargs="*", metavar="DATASET",
                       help=f"datasets to fetch (default: all of {', '.join(DATASET_FILES)})")
    actions.add_parser("verify", help="check cached files against their digests")
    actions.add_parser("where", help="print the cache folder and the mirror in use")


def run(args) -> int:
    if args.action == "where":
        print(f"cache:  {data_home()}")
        print(f"mirror: {mirror_dir() or '(XAIBOOK_DATA_MIRROR not set)'}")
        return 0
    if args.action == "verify":
        status = verify_cache()
        for key, state in status.items():
            print(f"{state:>12}  {key}")
        bad = [k for k, s in status.items() if s != "ok"]
        if bad:
            print(f"\n{len(bad)} file(s) not verified; run `xaibook data fetch`.", file=sys.stderr)
            return 1
        print(f"\nAll {len(status)} files verified in {data_home()}.")
        return 0
    names = args.names or list(DATASET_FILES)
    unknown = [n for n in names if n not in DATASET_FILES]
    if unknown:
        print(f"Unknown dataset(s) {unknown}; known: {list(DATASET_FILES)}", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        try:
            paths = fetch_dataset(name)
        except DataError as exc:
            failed += 1
            print(f"FAILED {name}:\n{exc}\n", file=sys.stderr)
            continue
        for key, path in paths.items():
            print(f"ok  {key}  ->  {path}")
    return 1 if failed else 0
