#!/usr/bin/env python3
"""Site benchmark (issue 16): Lighthouse and axe-core on every page of the built book.

    .venv/bin/python benchmarks/site_benchmark.py [_build/html] [--preset desktop]
        [--runs 1] [--no-lighthouse] [--json out.json] [page.html ...]

Serves the built site on 127.0.0.1 with gzip, as GitHub Pages does (HTML,
JavaScript, CSS, JSON and SVG are compressed when the browser asks for it),
and for every page (or the ones named):

* runs Lighthouse 12.2.3 (npm ``lighthouse``, pinned with its lock file in
  ``scripts/vendor/lighthouse/``, installed once with ``npm ci`` into
  ``~/.cache/xaibook/lighthouse``; Node 20; Chrome at ``$CHROME_PATH`` or the
  system's Chromium), performance category only, mobile preset by default
  (simulated slow 4G and a 4x slower CPU): score, total blocking time (TBT),
  largest contentful paint (LCP), first contentful paint, cumulative layout
  shift;
* runs axe-core (the copy the site check uses, all rules) in headless
  Chromium, after every chart is drawn: violations by impact, and empty
  table headers.

It prints one markdown table (the README's) with the targets: performance
>= 90, TBT <= 200 ms, LCP <= 2.5 s, no critical or serious axe violation,
no empty table header. With ``--runs N`` each Lighthouse number is the median
of N runs. Slow (about half a minute per page and run); not a test.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import functools
import gzip
import hashlib
import http.server
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from xaibook.book import sitecheck  # noqa: E402
from xaibook.book.browser import CHROMIUM_ARGS, block_remote, chromium, find_chromium  # noqa: E402

PINS = ROOT / "scripts" / "vendor" / "lighthouse"
GZIP_TYPES = (".html", ".js", ".css", ".json", ".svg", ".txt", ".map", ".xml")
TARGETS = {"score": 90, "tbt_ms": 200, "lcp_s": 2.5}


# --- serving with gzip, as GitHub Pages does --------------------------------

class _GzipHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "max-age=600")  # GitHub Pages' default
        super().end_headers()

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        wants = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (wants and path.is_file() and path.suffix in GZIP_TYPES):
            return super().send_head()
        body = _compressed(path, path.stat().st_mtime_ns)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        import io
        return io.BytesIO(body)


@functools.lru_cache(maxsize=4096)
def _compressed(path: Path, mtime_ns: int) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=6)


def serve_gzip(site: Path):
    handler = functools.partial(_GzipHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


# --- Lighthouse ---------------------------------------------------------------

def _lock_digest() -> str:
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        h.update((PINS / name).read_bytes())
    return h.hexdigest()[:16]


def lighthouse_cli() -> Path:
    """``npm ci`` the pinned Lighthouse once; return its CLI entry point."""
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    cache = Path(os.environ.get("XAIBOOK_LIGHTHOUSE_CACHE") or Path(base) / "xaibook" / "lighthouse")
    cache = cache / _lock_digest()
    cli = cache / "node_modules" / "lighthouse" / "cli" / "index.js"
    if (cache / ".complete").is_file() and cli.is_file():
        return cli
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("site_benchmark: npm (Node 20) is needed for Lighthouse "
                         "(apt-get install -y nodejs npm), or run with --no-lighthouse")
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(PINS / name, cache / name)
    print(f"site_benchmark: npm ci lighthouse (in {cache})", file=sys.stderr)
    subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                   cwd=cache, check=True, stdout=sys.stderr)
    (cache / ".complete").write_text("ok\n")
    return cli


def run_lighthouse(cli: Path, url: str, preset: str, chrome: str,
                   keep: Path | None = None) -> dict:
    flags = [f for f in CHROMIUM_ARGS if f != "--disable-gpu"] + [
        "--headless=new", "--no-sandbox", "--disable-gpu",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = ["node", str(cli), url, "--quiet", "--output=json", f"--output-path={out}",
               "--only-categories=performance", "--chrome-flags=" + " ".join(flags),
               "--max-wait-for-load=90000"]
        if preset == "desktop":
            cmd.append("--preset=desktop")
        env = {**os.environ, "CHROME_PATH": chrome}
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not out.is_file():
            raise RuntimeError(f"lighthouse failed on {url}: {proc.stderr.strip()[-400:]}")
        report = json.loads(out.read_text())
        if keep is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(out, keep)
    audits = report["audits"]
    score = report["categories"]["performance"]["score"]
    return {
        "score": None if score is None else round(score * 100),
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "fcp_s": audits["first-contentful-paint"]["numericValue"] / 1000,
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "lcp_element": _lcp_element(audits),
        "top_tasks": _top_scripts(audits),
    }


def _lcp_element(audits: dict) -> str:
    """What the largest contentful paint was (Lighthouse's node snippet)."""
    try:
        for item in audits["largest-contentful-paint-element"]["details"]["items"]:
            for sub in item.get("items", [item]):
                node = sub.get("node")
                if node:
                    return (node.get("selector") or node.get("snippet") or "")[:80]
    except (KeyError, TypeError):
        pass
    error = (audits.get("largest-contentful-paint-element") or {}).get("errorMessage")
    if error:  # Lighthouse 12.2.3 cannot read Chromium 150's trace for this audit
        return "n/a: " + error[:70]
    return ""


def _top_scripts(audits: dict) -> list[str]:
    """The three scripts that kept the main thread busiest (bootup-time)."""
    try:
        items = audits["bootup-time"]["details"]["items"]
    except (KeyError, TypeError):
        return []
    items = sorted(items, key=lambda i: -float(i.get("total", 0)))[:3]
    return [f"{str(i.get('url', '')).rsplit('/', 1)[-1][:40]} {i.get('total', 0):.0f} ms" for i in items]


def _median(runs: list[dict]) -> dict:
    out = {k: statistics.median(r[k] for r in runs if r[k] is not None)
           for k in runs[0] if isinstance(runs[0][k], (int, float))}
    out.update({k: v for k, v in runs[0].items() if k not in out})  # descriptions: first run
    return out


# --- axe-core -------------------------------------------------------------------

def run_axe(base: str, pages: list[str], port: int, chrome: str) -> dict[str, dict]:
    axe_path = sitecheck.find_axe()
    if axe_path is None:
        raise SystemExit("site_benchmark: axe-core not found (python scripts/vendor_assets.py)")
    source = axe_path.read_text(encoding="utf-8")
    out = {}
    with chromium(executable=chrome) as browser:
        ctx = browser.new_context(viewport=sitecheck.DESKTOP, service_workers="block")
        block_remote(ctx, allow_port=port)
        for rel in pages:
            pg = ctx.new_page()
            pg.goto(base + rel, wait_until="load", timeout=90_000)
            pg.evaluate(sitecheck._DRAW_ALL)
            try:
                pg.wait_for_function(sitecheck._CHARTS_SETTLED, timeout=90_000)
            except Exception:
                pass
            pg.add_script_tag(content=source)
            violations = pg.evaluate(sitecheck._AXE_RUN)
            counts = {"critical": 0, "serious": 0, "moderate": 0, "minor": 0}
            rules = []
            for v in violations:
                counts[v["impact"] or "minor"] = counts.get(v["impact"] or "minor", 0) + 1
                rules.append(f"{v['id']} ({v['impact']})")
            counts["empty_th"] = sum(v["nodes"] for v in violations if v["id"] == "empty-table-header")
            counts["rules"] = rules
            out[rel] = counts
            pg.close()
    return out


# --- the table --------------------------------------------------------------------

def _fmt(row: dict, lh: bool) -> str:
    cells = [f"`{row['page']}`"]
    if lh:
        m = row.get("lh")
        if m is None:
            cells += ["n/a"] * 5
        else:
            cells += [f"{m['score']:.0f}", f"{m['tbt_ms']:.0f} ms", f"{m['lcp_s']:.1f} s",
                      f"{m['fcp_s']:.1f} s", f"{m['cls']:.3f}"]
    a = row["axe"]
    cells += [f"{a['critical']} / {a['serious']}", f"{a['moderate']} / {a['minor']}", str(a["empty_th"])]
    if lh and row.get("lh"):
        m = row["lh"]
        ok = (m["score"] >= TARGETS["score"] and m["tbt_ms"] <= TARGETS["tbt_ms"]
              and m["lcp_s"] <= TARGETS["lcp_s"])
    else:
        ok = not lh  # Lighthouse asked for but failed: not met
    ok = ok and a["critical"] == 0 and a["serious"] == 0 and a["empty_th"] == 0
    cells.append("yes" if ok else "no")
    return "| " + " | ".join(cells) + " |"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("site", nargs="?", default=ROOT / "_build" / "html", type=Path)
    ap.add_argument("pages", nargs="*", help="pages relative to the site (default: every page)")
    ap.add_argument("--preset", choices=("mobile", "desktop"), default="mobile")
    ap.add_argument("--runs", type=int, default=1, help="Lighthouse runs per page (median)")
    ap.add_argument("--no-lighthouse", action="store_true", help="axe-core only (fast)")
    ap.add_argument("--json", type=Path, help="also write the numbers as JSON")
    ap.add_argument("--reports", type=Path,
                    help="keep every Lighthouse JSON report in this folder (for profiling)")
    args = ap.parse_args(argv)
    site = args.site.resolve()
    if not (site / "index.html").is_file():
        print(f"site_benchmark: no built site in {site} (run `make book`)", file=sys.stderr)
        return 2
    chrome = os.environ.get("CHROME_PATH") or find_chromium() or "/usr/bin/chromium"
    pages = args.pages or [p.relative_to(site).as_posix() for p in sitecheck.find_pages(site)
                           if p.name != "index.html" or p.parent != site]
    server, base = serve_gzip(site)
    port = server.server_address[1]
    rows = []
    load_before = os.getloadavg()
    try:
        cli = None if args.no_lighthouse else lighthouse_cli()
        axe = run_axe(base, pages, port, chrome)
        for rel in pages:
            row = {"page": rel, "axe": axe[rel], "lh": None}
            if cli is not None:
                runs = []
                for k in range(args.runs):
                    keep = (args.reports / f"{rel.replace('/', '_')}.{k}.json"
                            if args.reports else None)
                    try:
                        runs.append(run_lighthouse(cli, base + rel, args.preset, chrome, keep))
                    except Exception as exc:  # noqa: BLE001 - reported in the table
                        print(f"site_benchmark: {exc}", file=sys.stderr)
                row["lh"] = _median(runs) if runs else None
            rows.append(row)
            m = row["lh"] or {}
            print(f"site_benchmark: {rel} done (load {os.getloadavg()[0]:.2f}; LCP element "
                  f"{m.get('lcp_element', '?')!r}; busiest scripts {m.get('top_tasks', [])})",
                  file=sys.stderr)
    finally:
        server.shutdown()
        server.server_close()
    # The commit of the checkout the site was built in (not this script's).
    commit = subprocess.run(["git", "-C", str(site), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", str(site), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    if commit != "?" and dirty:
        commit += " with uncommitted changes"
    lh = not args.no_lighthouse
    when = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    print(f"Site benchmark, {when} on {platform.machine()}, {os.cpu_count()} CPUs "
          f"(commit {commit}); Lighthouse 12.2.3 {args.preset} preset, "
          f"median of {args.runs} run(s), served with gzip on 127.0.0.1; axe-core "
          f"{_axe_version()} all rules; load average (1 min) {load_before[0]:.2f} at the "
          f"start, {os.getloadavg()[0]:.2f} at the end\n")
    head = ["page"]
    if lh:
        head += ["performance (>= 90)", "TBT (<= 200 ms)", "LCP (<= 2.5 s)", "FCP", "CLS"]
    head += ["axe critical / serious (0)", "axe moderate / minor", "empty table headers (0)",
             "met"]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for row in rows:
        print(_fmt(row, lh))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


def _axe_version() -> str:
    path = sitecheck.find_axe()
    try:
        return json.loads((path.parent / "package.json").read_text())["version"]
    except Exception:  # noqa: BLE001
        return "?"


if __name__ == "__main__":
    sys.exit(main())
