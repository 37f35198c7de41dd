"""Running our browser JavaScript modules in Debian's Chromium from tests.

``serve(mounts)`` serves folders as they are (``{"/qr/": Path(...)}``) on a free 127.0.0.1 port,
so that ES modules load from an http origin (a secure context: WebCrypto works) exactly as the
page loads them. ``ModulePage`` opens a blank page there and evaluates async functions that
import the modules; cases are passed in batches, as JSON, so that thousands run in one call.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

CHROMIUM = os.environ.get("CERTSVC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
BLANK = "/__blank__.html"


class _MountHandler(SimpleHTTPRequestHandler):
    """Static files from several folders, each under its own URL prefix; nothing else."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".bin": "application/octet-stream",
    }

    def __init__(self, *args: Any, mounts: Mapping[str, Path], **kwargs: Any) -> None:
        self.mounts = mounts
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, folder in self.mounts.items():
            if path.startswith(prefix):
                target = (folder / path[len(prefix) :]).resolve()
                if folder.resolve() in target.parents:
                    return str(target)
        return str(Path(os.devnull) / "missing")

    def do_GET(self) -> None:
        if self.path == BLANK:
            body = b"<!doctype html><title>modules</title>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(mounts: Mapping[str, Path]) -> Iterator[str]:
    """Serve ``mounts`` (URL prefix -> folder) on a free local port; yield the origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_MountHandler, mounts=mounts))
    thread = threading.Thread(target=server.serve_forever, name="js-modules", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def chromium(playwright: Any) -> Iterator[Any]:
    """Debian's Chromium, headless, launched from the session's Playwright (the ``playwright_instance`` fixture)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium is not installed at {CHROMIUM}")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


class ModulePage:
    """A blank page on the module server, to evaluate functions that import our modules."""

    def __init__(self, browser: Any, origin: str) -> None:
        self.origin = origin
        self.page = browser.new_page()
        self.page.set_default_timeout(60_000)
        self.page.goto(origin + BLANK)

    def run(self, source: str, argument: Any = None) -> Any:
        """Evaluate ``source``, an async JavaScript function of one JSON argument, and return its result."""
        return self.page.evaluate(source, argument)

    def close(self) -> None:
        """Close the page."""
        self.page.close()
