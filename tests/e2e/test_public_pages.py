"""The public pages behind every URI of a credential, as a person who follows them sees them in a browser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import LiveServer, assert_accessible

COSIGNED = "Maria Santos Dela Cruz"
REVOKED = "Ramon Cruz Villanueva"
SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}


@pytest.fixture(params=sorted(SIZES))
def sized(request: pytest.FixtureRequest, browser: Any) -> Any:
    context = browser.new_context(locale="en-GB", viewport=SIZES[request.param])
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.size_name = request.param
    yield page
    context.close()


def shot(page: Any, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}-{page.size_name}.png"), full_page=True)


def test_from_the_credential_id_to_its_issuer_and_qualification(
    sized: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    page = sized
    credential = live_server.credential(COSIGNED)
    payload = json.loads(credential.payload)
    page.goto(payload["id"])
    expect(page.get_by_role("heading", name="Credential status")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Not revoked or suspended.")
    expect(page.get_by_role("status")).to_contain_text("Co-signed by the embassy.")
    expect(page.get_by_text(COSIGNED)).to_have_count(0)  # no personal data without the QR code
    assert_accessible(page, context="on the credential status page")
    shot(page, tmp_path, "credential")

    page.get_by_role("link", name="Kuala Lumpur Welding Academy").click()
    expect(page.get_by_role("heading", name="Kuala Lumpur Welding Academy", level=1)).to_be_visible()
    accreditations = page.get_by_role("region", name="Accreditations")
    expect(accreditations.get_by_role("row")).not_to_have_count(1)
    expect(page.get_by_role("region", name="Signing keys")).to_contain_text("/o/klwa#k")
    assert_accessible(page, context="on the issuer's profile")
    shot(page, tmp_path, "issuer")

    achievement = payload["credentialSubject"]["achievement"]
    accreditations.get_by_role("link", name=achievement["name"]).first.click()
    expect(page.get_by_role("heading", name=achievement["name"], level=1)).to_be_visible()
    expect(page.locator("#level")).to_have_text("SKM level 2")
    expect(page.get_by_text("recognises it as")).to_be_visible()
    assert_accessible(page, context="on the qualification page")
    shot(page, tmp_path, "qualification")


def test_a_revoked_credential_page_says_so(sized: Any, live_server: LiveServer) -> None:
    page = sized
    page.goto(json.loads(live_server.credential(REVOKED).payload)["id"])
    expect(page.get_by_role("status")).to_contain_text("Revoked by its issuer.")
    page.get_by_role("link", name="Check a credential").click()
    expect(page.get_by_role("heading", name="Check a skills credential")).to_be_visible()
