"""One way to start the browser for every check of the book.

The site check, the slides' browser test and PDF printing all drive the
system's Chromium (Debian's ``chromium``; ``$XAIBOOK_CHROMIUM`` overrides)
through Playwright. No browser is ever downloaded.

API
---
``find_chromium()``
    Path of the Chromium/Chrome executable, or ``None``.
``CHROMIUM_ARGS``
    Flags for headless Chromium on CI machines (root, no GPU, no background
    network traffic).
``chromium(*, offline=True, args=())``
    Context manager: starts Playwright and yields a launched
    :class:`playwright.sync_api.Browser`. With ``offline`` every host name
    but the loopback ones resolves to nothing, so a page cannot reach the
    network even where a request slips past the page's routing.
``block_remote(context, *, allow_port=None, on_blocked=None)``
    Route every request of a browser context: ``file:``, ``data:``,
    ``blob:`` and loopback (on ``allow_port``, when given) go through,
    anything else is aborted and reported to ``on_blocked(request)``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit

__all__ = ["CHROMIUM_ARGS", "LOCAL_HOSTS", "OFFLINE_ARGS", "block_remote", "chromium",
           "find_chromium"]

CHROMIUM_ARGS = [
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-domain-reliability", "--no-first-run",
    "--no-default-browser-check", "--disable-extensions",
    "--disable-client-side-phishing-detection", "--disable-features=Translate,OptimizationHints,"
    "MediaRouter,DialMediaRouteProvider,InterestFeedContentSuggestions,AutofillServerCommunication",
    "--no-pings", "--disable-quic", "--disable-gpu", "--disable-dev-shm-usage",
    "--metrics-recording-only", "--password-store=basic", "--use-mock-keychain",
    "--mute-audio", "--allow-file-access-from-files",
]
#: Added when offline: no proxy lookup, and only loopback names resolve.
OFFLINE_ARGS = [
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def find_chromium() -> str | None:
    """Headless Chromium/Chrome: ``$XAIBOOK_CHROMIUM`` or the first on ``PATH``."""
    env = os.environ.get("XAIBOOK_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@contextmanager
def chromium(*, offline: bool = True, args: Sequence[str] = (),
             executable: str | None = None) -> Iterator:
    """Start Playwright with the system's Chromium and yield the browser.

    Raises
    ------
    SystemExit
        With an instruction to install Chromium when none is found, or
        Playwright when it is missing; never a bare traceback.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - pinned in requirements.txt
        raise SystemExit("xaibook: the Python package 'playwright' is missing "
                         "(pip install -r requirements.txt)") from exc
    executable = executable or find_chromium()
    if not executable:
        raise SystemExit("xaibook: Chromium not found (apt-get install -y chromium, or set "
                         "XAIBOOK_CHROMIUM); no browser is downloaded")
    flags = list(CHROMIUM_ARGS) + (OFFLINE_ARGS if offline else []) + list(args)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=flags,
                                     chromium_sandbox=False)
        try:
            yield browser
        finally:
            browser.close()


def block_remote(context, *, allow_port: int | None = None,
                 on_blocked: Callable | None = None, on_allowed: Callable | None = None) -> None:
    """Abort every request of ``context`` that would leave the machine."""

    def route(r):
        req = r.request
        parts = urlsplit(req.url)
        local = parts.scheme in ("file", "data", "blob", "about") or (
            parts.hostname in LOCAL_HOSTS and (allow_port is None or parts.port == allow_port))
        if local:
            if on_allowed is not None:
                on_allowed(req)
            r.continue_()
            return
        if on_blocked is not None:
            on_blocked(req)
        r.abort("blockedbyclient")

    context.route("**/*", route)
