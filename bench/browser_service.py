"""What the browser benchmarks share: the seeded service as production runs it, and Debian's Chromium."""

from __future__ import annotations

import logging
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, running_service

#: The co-signed, recognised demo credential every browser benchmark opens.
HOLDER = "Maria Santos Dela Cruz"


class Served(NamedTuple):
    browser: Any
    #: The QR link of HOLDER's credential.
    qr_link: str
    #: The service's origin.
    url: str


@contextmanager
def served_to_chromium() -> Iterator[Served]:
    """Start the seeded service (documents cached for their ttl, as in production) and Chromium; stop both after."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with (
        tempfile.TemporaryDirectory() as folder,
        sync_playwright() as playwright,
        running_service(Path(folder), VERIFY_DOCUMENTS_MAX_AGE=None) as live,
    ):
        qr_link = live.qr_text(HOLDER)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield Served(browser, qr_link, live.url)
        finally:
            browser.close()
