"""In a real browser: text the service refuses gets a clear message by its field, and the corrected form goes through.

A name pasted with a hidden right-to-left override (it would display reversed on a certificate)
and a wallet login pasted with a control character are what people meet; NUL bytes and broken
encodings, which no keyboard types, are covered over HTTP in tests/service/test_form_text_rules.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import LiveServer, assert_accessible, running_service

PROVIDER_LOGIN = "officer@klwa.example"
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
OVERRIDE = "\u202e"


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A service of this module's own: the learners registered here change no other test's world."""
    with running_service(tmp_path_factory.mktemp("refused-text")) as live:
        yield live


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(request: pytest.FixtureRequest, browser: Any) -> Any:
    context = browser.new_context(locale="en-GB", viewport=VIEWPORTS[request.param])
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.viewport_name = request.param
    yield page
    context.close()


def test_a_name_with_a_hidden_direction_override_is_refused_by_its_field(
    sized_page: Any, own_server: LiveServer, demo_password: str, tmp_path: Path
) -> None:
    page = sized_page
    page.goto(own_server.url + "/login")
    page.get_by_label("Email").fill(PROVIDER_LOGIN)
    page.get_by_label("Password").fill(demo_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    holder = f"Analyn Dizon {page.viewport_name}"
    page.goto(own_server.url + "/provider/learners")
    page.get_by_label("Full name").fill(f"{holder}{OVERRIDE} Reyes")
    page.get_by_label("Birth date").fill("1992-07-14")
    page.get_by_label("Nationality").fill("PH")
    page.get_by_role("textbox", name="ID document number").fill(f"P77{page.viewport_name[:3].upper()}12")
    page.get_by_role("button", name="Register learner").click()
    message = page.locator("#name-error")
    expect(message).to_contain_text("Remove the invisible characters that change the direction of the text.")
    expect(page.get_by_label("Full name")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("link", name=holder)).to_have_count(0)
    page.get_by_label("Full name").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / f"refused-name-{page.viewport_name}.png"), full_page=True)
    assert_accessible(page, context="refused name")
    # Corrected, the same form registers the learner.
    page.get_by_label("Full name").fill(f"{holder} Reyes")
    page.get_by_role("button", name="Register learner").click()
    expect(page.get_by_role("heading", name=f"{holder} Reyes")).to_be_visible()


def test_a_wallet_login_with_a_control_character_says_so(sized_page: Any, own_server: LiveServer, tmp_path: Path):
    page = sized_page
    page.goto(own_server.url + "/wallet/signin")
    page.get_by_label("Phone number or email").fill("+63 917\u0007 123 4567")
    page.get_by_label("Password").fill("some password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Remove the control characters")
    page.screenshot(path=str(tmp_path / f"refused-login-{page.viewport_name}.png"), full_page=True)
