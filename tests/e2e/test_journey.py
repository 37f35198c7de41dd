"""The whole journey in one browser: issue, co-sign, carry the QR, verify, revoke, verify again.

Issuing, co-signing and revoking go through the provider's and the embassy's web pages
(``/provider``, ``/embassy``), each signed in with its own demo login in its own browser
profile. The migrant claims the credential into a new wallet (``/wallet/claim``) with the claim
code and PIN from the provider's receipt, and the employer gets a screenshot of the QR code as
the wallet shows it on the phone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from certsvc.store.models import Credential

from .conftest import LiveServer

HOLDER = "Rosa Mabini Navarro"
PROVIDER_LOGIN = "officer@klwa.example"
EMBASSY_LOGIN = "officer@ph-kl.example"


def signed_in(browser: Any, live_server: LiveServer, email: str, password: str) -> Any:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def employer_checks(browser: Any, live_server: LiveServer, screenshot: Path) -> str:
    """A fresh browser with no account uploads the screenshot; return the verdict it shows."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(live_server.url + "/verify")
        page.set_input_files("#image", str(screenshot))
        page.get_by_role("button", name="Upload and check").click()
        heading = page.locator("#result-slot .verdict h2")
        expect(heading).to_be_visible()
        return str(heading.inner_text())
    finally:
        context.close()


def test_issue_cosign_verify_revoke_verify(browser: Any, live_server: LiveServer, demo_password: str, tmp_path: Path):
    # The provider registers the learner and issues a training credential.
    provider = signed_in(browser, live_server, PROVIDER_LOGIN, demo_password)
    provider.goto(live_server.url + "/provider/learners")
    provider.get_by_label("Full name").fill(HOLDER)
    provider.get_by_label("Birth date").fill("1994-03-05")
    provider.get_by_label(re.compile("^Nationality")).fill("PH")
    provider.get_by_label(re.compile("^ID document number")).fill("P7654321Z")
    provider.get_by_role("button", name="Register learner").click()
    expect(provider.get_by_role("heading", name=HOLDER)).to_be_visible()
    provider.get_by_role("button", name="Issue training credential").click()
    expect(provider.get_by_role("heading", name="Credential issued")).to_be_visible()
    public_id = re.search(r"/credentials/([0-9A-Z]+)/receipt", provider.url).group(1)  # type: ignore[union-attr]
    claim_code, pin = (text.strip() for text in provider.locator(".claim-once .secret").all_inner_texts())

    # The embassy co-signs it from its queue.
    embassy = signed_in(browser, live_server, EMBASSY_LOGIN, demo_password)
    embassy.goto(live_server.url + "/embassy/")
    embassy.locator(f"#select-{public_id}").check()
    embassy.get_by_role("button", name="Co-sign selected credentials").click()
    embassy.get_by_role("button", name="Co-sign 1 credential").click()  # the one confirmation
    expect(embassy.get_by_role("status").filter(has_text="1 credential co-signed.")).to_be_visible()
    expect(embassy.locator(f"#select-{public_id}")).to_have_count(0)

    # The migrant claims it into a new wallet; the employer gets a screenshot of the wallet's QR.
    migrant = browser.new_context(viewport={"width": 412, "height": 915}, is_mobile=True).new_page()
    migrant.goto(live_server.url + "/wallet/claim")
    migrant.get_by_label("Claim code").fill(claim_code)
    migrant.get_by_label("PIN").fill(pin)
    migrant.get_by_role("button", name="Find my credential").click()
    migrant.locator("#register-login").fill("+63 917 555 0101")
    migrant.locator("#register-password").fill("rosa-wallet-2026")
    migrant.get_by_role("button", name="Open my wallet and add it").click()
    qr = migrant.locator("figure.qr img")
    expect(qr).to_be_visible()
    screenshot = tmp_path / "wallet-screenshot.png"
    qr.screenshot(path=str(screenshot))
    with live_server.session() as session:
        credential = session.scalar(select(Credential).where(Credential.public_id == public_id))
        assert credential is not None and credential.cosign_jws  # the wallet shows the co-signed credential

    assert employer_checks(browser, live_server, screenshot) == "Recognised"

    # The provider revokes; the same screenshot is now refused.
    provider.goto(f"{live_server.url}/provider/credentials/{public_id}")
    revoke = provider.locator("form", has=provider.get_by_role("button", name="Revoke"))
    revoke.locator("textarea").fill("Issued to the wrong learner.")
    revoke.get_by_role("button", name="Revoke").click()
    expect(provider.get_by_text("Issued to the wrong learner.")).to_be_visible()

    assert employer_checks(browser, live_server, screenshot) == "Not valid: revoked"
    for page in (provider, embassy, migrant):
        page.context.close()
