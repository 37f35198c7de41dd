"""What the role journeys share: one browser profile per screen size, named steps, console and axe checks.

A journey module defines its fixture from ``open_journey`` (parametrised over ``SCREENS``),
wraps each user action in ``with journey.step("..."):`` and calls ``journey.check()`` on
every page it reaches. A failing step saves a full-page screenshot, named after the test,
the screen and the step, into ``CERTSVC_E2E_SCREENSHOTS`` (else the test's tmp folder),
and says where it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conftest import assert_accessible

#: The two screens every journey runs on: a small phone and a desktop browser.
SCREENS: dict[str, dict[str, Any]] = {
    "phone-360x740": {
        "viewport": {"width": 360, "height": 740},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop-1280x800": {"viewport": {"width": 1280, "height": 800}},
}


@dataclass
class Journey:
    """One user's browser profile at one screen size, with what its pages logged."""

    screen: str
    context: Any
    page: Any
    shots: Path
    name: str
    errors: list[str] = field(default_factory=list)

    @property
    def phone(self) -> bool:
        return self.screen.startswith("phone")

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        """A user action; on failure, a screenshot of every open page of the profile."""
        try:
            yield
        except BaseException as exc:
            saved = self.screenshot(what)
            exc.add_note(f"step {what!r} failed on {self.screen}; screenshots: {', '.join(saved)}")
            raise

    def screenshot(self, what: str) -> list[str]:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{self.name}-{self.screen}-{what}").strip("-")
        saved = []
        for n, page in enumerate(self.context.pages):
            path = self.shots / f"{slug}-{n}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                saved.append(str(path))
            except Exception as exc:  # a closed page must not hide the real failure
                saved.append(f"(page {n}: {exc})")
        return saved

    def check(self, where: str) -> None:
        """The page now on screen logged no error and has no serious or critical axe violation."""
        assert not self.errors, f"console errors {where} on {self.screen}: {self.errors}"
        assert_accessible(self.page, context=f"{where} on {self.screen}")

    def fits_the_screen(self, where: str) -> None:
        """No sideways scrolling: the page is no wider than the screen."""
        widths = self.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"{where} is {widths[0]} px wide on a {widths[1]} px screen"


def watch_console(page: Any, errors: list[str]) -> None:
    """Collect every console error and uncaught exception of ``page``."""
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))


@contextmanager
def open_journey(browser: Any, screen: str, tmp_path: Path, name: str, **options: Any) -> Iterator[Journey]:
    """A fresh profile (no cookies, English) at ``screen``; closed afterwards."""
    context = browser.new_context(locale="en-GB", **SCREENS[screen], **options)
    context.set_default_timeout(15_000)
    shots = Path(os.environ.get("CERTSVC_E2E_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    journey = Journey(screen, context, page, shots, name)
    watch_console(page, journey.errors)
    try:
        yield journey
    finally:
        context.close()
