"""What the staff journeys share: both screen sizes from one parametrised fixture, a page that watches the
console, checks every page it lands on with axe, and saves a screenshot of a step that fails.

Import the fixtures into a journey module (``from .journeys import journey, viewport``). With
``CERTSVC_JOURNEY_SHOTS=<folder>`` every checked page is also saved there, to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_PASSWORD, LiveServer, assert_accessible

#: The two screens every journey runs on: a small phone and a laptop.
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}


@dataclass
class Journey:
    """One user's browser: the page, what its console said, where a failed step's screenshot goes."""

    page: Any
    live: LiveServer
    size: str
    shots: Path
    console_errors: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        return str(self.live.url)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """One step of the journey; if it fails, a screenshot of the page as it was is kept."""
        try:
            yield
        except BaseException as exc:
            path = self.shots / f"{self.size}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
            self.page.screenshot(path=str(path), full_page=True)
            exc.add_note(f"step {name!r} failed at {self.page.url}; screenshot: {path}")
            raise

    def check_page(self, what: str) -> None:
        """The page as it is now: no console error so far, and no serious or critical axe violation."""
        assert self.console_errors == [], f"console errors by {what}: {self.console_errors}"
        self.fits_the_screen()
        assert_accessible(self.page, context=f"on {what} ({self.size})")
        self.checked.add(what)
        if folder := os.environ.get("CERTSVC_JOURNEY_SHOTS"):
            name = f"{self.size}-{len(self.checked):02d}-{re.sub(r'[^a-z0-9]+', '-', what.lower()).strip('-')}.png"
            self.page.screenshot(path=str(Path(folder) / name), full_page=True)

    def sign_in(self, email: str, password: str = DEMO_PASSWORD) -> None:
        """Fill in the sign-in page the browser is on, and send it."""
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("button", name="Sign out")).to_be_visible()

    def fits_the_screen(self) -> None:
        """Nothing makes the whole page scroll sideways (wide lists scroll inside their own region)."""
        overflow = self.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than the screen"


def _console_listener(journey: Journey) -> Any:
    def listen(message: Any) -> None:
        if message.type != "error":
            return
        location = (message.location or {}).get("url", "")
        # A refused form is answered 400/409/422 with the page showing why (what the journey checks):
        # Chromium reports that status of the page itself as a console error; it is not a fault.
        if message.text.startswith("Failed to load resource") and location == journey.page.url:
            return
        # The favicon arrives with the front door (public-side branch); until then /favicon.ico is 404.
        if location.endswith("/favicon.ico"):
            return
        journey.console_errors.append(f"{message.text} ({location})")

    return listen


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """The screen a journey runs on: ``phone`` (360×740) or ``desktop`` (1280×800)."""
    return str(request.param)


@pytest.fixture
def journey(browser: Any, live_server: LiveServer, viewport: str, tmp_path: Path) -> Iterator[Journey]:
    """A fresh browser profile at the parametrised size, watching its console."""
    context = browser.new_context(
        locale="en-GB", viewport=VIEWPORTS[viewport], accept_downloads=True, is_mobile=viewport == "phone"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    found = Journey(page, live_server, viewport, tmp_path)
    page.on("console", _console_listener(found))
    page.on("pageerror", lambda error: found.console_errors.append(f"uncaught: {error}"))
    yield found
    context.close()
