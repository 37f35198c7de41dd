"""The migrant's wallet in a real browser: claim, show, print, share, offline, small screens, languages.

The wallet runs on its own seeded service (``running_service`` from the shared conftest), so
its new credentials, claims and co-signatures never disturb the other browser tests. Every
wallet page also passes axe-core without serious or critical violations.
"""

from __future__ import annotations

import io
import itertools
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from qr_support import decode_published
from sqlalchemy import delete, func, select

from certsvc.accounts import users
from certsvc.qr.image import decode_image
from certsvc.store.models import Credential, CredentialClaim, LoginFailure, Organisation, Qualification, ShareLink
from certsvc.store.signers import signer_for
from certsvc.wallet import claims
from issuers import lifecycle
from issuers.issuance import LearnerData, issue_credential, register_learner
from verifier import documents
from verifier.pipeline import verify

from .conftest import KEK, LiveServer, assert_accessible, running_service

PASSWORD = "wallet-password-1"
QUALIFICATION = "Shielded Metal Arc Welding"
CHEAP_HASHER = users.make_password_hasher(1, 1024, 1)
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def wallet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A seeded service of the wallet's own; an open QR page asks for changes every second."""
    with running_service(tmp_path_factory.mktemp("wallet"), WALLET_REFRESH_SECONDS=1) as live:
        yield live


@pytest.fixture(autouse=True)
def no_throttle_left_over(wallet_server: LiveServer) -> None:
    """Every browser comes from 127.0.0.1: one test's wrong codes must not throttle the next."""
    with wallet_server.session() as session:
        session.execute(delete(LoginFailure))
        session.commit()


def new_login() -> str:
    return f"+63917{next(_numbers):07d}"


def issue_fresh(live: LiveServer, name: str, *, cosign: bool = False) -> tuple[str, claims.ClaimSecrets]:
    """Issue a welding credential at the PH corridor's provider; return its id and claim code."""
    when = datetime.now(UTC) - timedelta(days=3)
    with live.session() as session:
        provider = session.scalar(select(Organisation).where(Organisation.slug == "klwa"))
        assert provider is not None
        qualification = session.scalar(
            select(Qualification).where(Qualification.provider_id == provider.id, Qualification.code == "SMAW2")
        )
        learner = register_learner(
            session, provider, LearnerData(name, date(1993, 4, 5), "PH", "P5550001Q"), actor="test"
        )
        credential = issue_credential(
            session,
            provider,
            learner,
            qualification,  # type: ignore[arg-type]
            signer=signer_for(session, provider, KEK, live.url),
            base_url=live.url,
            now=when,
            actor="test",
        )
        secrets = claims.create_claim(session, credential, hasher=CHEAP_HASHER)
        session.commit()
        public_id = credential.public_id
    if cosign:
        cosign_now(live, public_id)
    return public_id, secrets


def cosign_now(live: LiveServer, public_id: str) -> None:
    with live.session() as session:
        embassy = session.scalar(select(Organisation).where(Organisation.slug == "ph-kl"))
        credential = session.scalar(select(Credential).where(Credential.public_id == public_id))
        assert embassy is not None and credential is not None
        signer = signer_for(session, embassy, KEK, live.url)
        lifecycle.cosign(session, embassy, credential, signer=signer, now=datetime.now(UTC), actor="test")
        session.commit()


def claim_into_new_wallet(page: Any, live: LiveServer, secrets: claims.ClaimSecrets, login: str) -> None:
    """Claim through the pages: code and PIN, then open a wallet; ends on the credential page."""
    page.goto(live.url + "/wallet/claim")
    page.get_by_label("Claim code").fill(secrets.code.lower().replace("-", " "))
    page.get_by_label("PIN").fill(secrets.pin)
    page.get_by_role("button", name="Find my credential").click()
    expect(page.get_by_role("heading", name="We found your credential")).to_be_visible()
    page.locator("#register-login").fill(login)
    page.locator("#register-password").fill(PASSWORD)
    page.get_by_role("button", name="Open my wallet and add it").click()
    expect(page.locator("p.flash")).to_have_text("Added to your wallet.")


def signed_in_page(browser: Any, live: LiveServer, *, cosign: bool = True, **context_options: Any) -> tuple[Any, str]:
    """A new browser profile with a wallet holding one fresh credential; return its page and the id."""
    options = {"locale": "en-GB", "viewport": {"width": 412, "height": 915}, **context_options}
    context = browser.new_context(**options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    public_id, secrets = issue_fresh(live, f"Holder {next(_numbers)}", cosign=cosign)
    claim_into_new_wallet(page, live, secrets, new_login())
    return page, public_id


def qr_on_screen(page: Any) -> str:
    """Read the QR code the way an employer's phone would: from a screenshot of the page."""
    return decode_image(page.locator("figure.qr img").screenshot())


def verdict_of(live: LiveServer, qr_text: str) -> str:
    """Verify QR text with the service's own trust and status lists, as the verifier does."""
    decode_published(qr_text, live.app.config["DATABASE_URL"])  # the transport accepts it
    with live.app.app_context():
        current = documents.current()
    return verify(qr_text, current.trust_lists, current.status_lists, datetime.now(UTC)).status.value


def no_horizontal_scroll(page: Any) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]}px wide in a {widths[1]}px viewport"


# -- claiming and showing -------------------------------------------------------------------


def test_claim_then_the_qr_updates_by_itself_when_the_embassy_cosigns(browser: Any, wallet_server: LiveServer):
    live = wallet_server
    context = browser.new_context(locale="en-GB", viewport={"width": 412, "height": 915})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        public_id, secrets = issue_fresh(live, "Rosa Mae Dizon")
        page.goto(live.url + "/wallet/claim")
        assert_accessible(page, context="on the claim form")
        page.get_by_label("Claim code").fill(secrets.code)
        page.get_by_label("PIN").fill(secrets.pin)
        page.get_by_role("button", name="Find my credential").click()
        expect(page.get_by_role("heading", name="We found your credential")).to_be_visible()
        expect(page.locator(".card")).to_contain_text("Rosa Mae Dizon")
        assert_accessible(page, context="on the claim's second step")
        page.locator("#register-login").fill("+63 917 555 0101")
        page.locator("#register-password").fill(PASSWORD)
        page.get_by_role("button", name="Open my wallet and add it").click()

        expect(page).to_have_url(f"{live.url}/wallet/c/{public_id}")
        expect(page.get_by_role("heading", level=1)).to_have_text(QUALIFICATION)
        expect(page.locator(".state")).to_have_text("Awaiting embassy co-signature")
        expect(page.locator("figure.qr img")).to_have_attribute(
            "alt", f"QR code of your credential: {QUALIFICATION}. Show it to the employer to scan."
        )
        assert_accessible(page, context="on the credential page")
        before = qr_on_screen(page)
        assert len(decode_published(before, live.app.config["DATABASE_URL"]).signatures) == 1
        assert verdict_of(live, before) == "authentic"  # genuine, not yet co-signed

        # The embassy co-signs; the open page notices and shows the new QR with no action by the holder.
        cosign_now(live, public_id)
        expect(page.locator(".state")).to_have_text("Recognised", timeout=10_000)
        after = qr_on_screen(page)
        assert after != before and len(decode_published(after, live.app.config["DATABASE_URL"]).signatures) == 2
        assert verdict_of(live, after) == "recognized"

        page.get_by_role("link", name="Back to my credentials").click()
        expect(page.get_by_role("heading", name="My credentials")).to_be_visible()
        expect(page.locator(".card .state")).to_have_text("Recognised")
        expect(page.locator(".updated")).to_contain_text("Last updated:")
        assert_accessible(page, context="on the list")
    finally:
        context.close()


def test_wrong_and_reused_claim_codes_say_so_and_change_nothing(browser: Any, wallet_server: LiveServer) -> None:
    live = wallet_server
    page, public_id = signed_in_page(browser, live)
    try:
        with live.session() as session:
            claim = session.scalar(select(CredentialClaim).join(Credential).where(Credential.public_id == public_id))
            assert claim is not None
            owner = claim.wallet_user_id
        page.goto(live.url + "/wallet/claim")
        page.get_by_label("Claim code").fill("ZZZZZ-ZZZZZ")
        page.get_by_label("PIN").fill("123456")
        page.get_by_role("button", name="Find my credential").click()
        expect(page.get_by_role("alert")).to_have_text("The claim code or the PIN is wrong. Check both and try again.")
        expect(page.get_by_label("Claim code")).to_have_attribute("aria-invalid", "true")
        assert_accessible(page, context="on a wrong claim code")

        # Someone else tries the code that is already used: refused, the credential stays where it is.
        _, secrets = issue_fresh(live, "Used Twice")
        other = browser.new_context(locale="en-GB")
        try:
            first = other.new_page()
            claim_into_new_wallet(first, live, secrets, new_login())
            page.goto(live.url + "/wallet/claim")
            page.get_by_label("Claim code").fill(secrets.code)
            page.get_by_label("PIN").fill(secrets.pin)
            page.get_by_role("button", name="Find my credential").click()
            expect(page.get_by_role("alert")).to_have_text(
                "This claim code was used already. A claim code works only once."
            )
        finally:
            other.close()
        with live.session() as session:
            assert session.get(CredentialClaim, claim.credential_id).wallet_user_id == owner  # type: ignore[union-attr]
            mine = session.scalar(
                select(func.count()).select_from(CredentialClaim).where(CredentialClaim.wallet_user_id == owner)
            )
        assert mine == 1
    finally:
        page.context.close()


def test_someone_elses_credential_is_not_found(browser: Any, wallet_server: LiveServer) -> None:
    live = wallet_server
    mine, _ = signed_in_page(browser, live)
    theirs_page, theirs = signed_in_page(browser, live)
    try:
        response = mine.goto(f"{live.url}/wallet/c/{theirs}")
        assert response.status == 404
        expect(mine.get_by_role("alert")).to_have_text("This credential is not in your wallet.")
        assert_accessible(mine, context="on the not-found page")
        assert mine.request.get(f"{live.url}/wallet/c/{theirs}/certificate.pdf").status == 404
    finally:
        mine.context.close()
        theirs_page.context.close()


# -- keeping: the printable certificate ---------------------------------------------------------


def test_printable_certificate_reads_right_and_its_qr_verifies(
    browser: Any, wallet_server: LiveServer, tmp_path: Path
) -> None:
    live = wallet_server
    page, public_id = signed_in_page(browser, live, accept_downloads=True)
    try:
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download the certificate to print (PDF)").click()
        download = download_info.value
        assert download.suggested_filename == f"certificate-{public_id}.pdf"
        path = tmp_path / "certificate.pdf"
        download.save_as(path)
        reader = PdfReader(path)
        assert len(reader.pages) == 1
        text = reader.pages[0].extract_text()
        with live.session() as session:
            credential = session.scalar(select(Credential).where(Credential.public_id == public_id))
            assert credential is not None
            holder, issued = credential.learner.name, credential.issued_at.date().isoformat()
        for expected in (
            holder,
            QUALIFICATION,
            "SKM level 2",
            "Training (skills gained abroad)",
            "Kuala Lumpur Welding Academy",
            "Philippine Embassy Kuala Lumpur",
            issued,
            f"{live.url}/verify",
        ):
            assert expected in text, expected
        (image,) = reader.pages[0].images
        buffer = io.BytesIO()
        image.image.save(buffer, format="PNG")
        assert verdict_of(live, decode_image(buffer.getvalue())) == "recognized"
        pdftoppm = shutil.which("pdftoppm")
        if pdftoppm:  # also as printed: rasterise the page at 150 dpi and scan it
            command = [pdftoppm, "-r", "150", "-png", "-singlefile", str(path), str(tmp_path / "page")]
            subprocess.run(command, check=True)  # noqa: S603 - our own arguments
            assert verdict_of(live, decode_image((tmp_path / "page.png").read_bytes())) == "recognized"
    finally:
        page.context.close()


# -- sharing ----------------------------------------------------------------------------------


def test_share_link_works_until_it_expires_or_is_stopped(browser: Any, wallet_server: LiveServer) -> None:
    live = wallet_server
    page, public_id = signed_in_page(browser, live)
    employer = browser.new_context(locale="en-GB")
    try:
        page.get_by_role("link", name="Share with a link").click()
        assert_accessible(page, context="on the share page")
        page.get_by_label("1 day").check()
        page.get_by_role("button", name="Make a link").click()
        url = page.locator("#new-link").inner_text().strip()
        assert url.startswith(live.url + "/s/")
        expect(page.locator(".links li")).to_contain_text("Works until")

        shared = employer.new_page()
        assert shared.goto(url).status == 200
        expect(shared.locator(".notice")).to_contain_text("It is the link that expires, not the credential.")
        expect(shared.locator(".state")).to_have_text("Recognised")
        assert verdict_of(live, qr_on_screen(shared)) == "recognized"
        assert_accessible(shared, context="on the shared page")

        with live.session() as session:
            link = session.scalar(select(ShareLink).join(Credential).where(Credential.public_id == public_id))
            assert link is not None
            link.expires_at = datetime.now(UTC) - timedelta(seconds=1)
            session.commit()
        response = shared.goto(url)
        assert response.status == 410
        expect(shared.get_by_role("heading", level=1)).to_have_text("This share link has expired")
        expect(shared.get_by_role("alert")).to_contain_text("does not mean the credential has expired")
        assert_accessible(shared, context="on an expired share link")

        page.reload()
        expect(page.locator(".links li")).to_contain_text("Expired on")
        page.get_by_role("button", name="Make a link").click()
        second = page.locator("#new-link").inner_text().strip()
        assert shared.goto(second).status == 200
        page.get_by_role("button", name="Stop this link").click()
        expect(page.locator("p.flash")).to_have_text("The link no longer works.")
        assert shared.goto(second).status == 410
        expect(shared.get_by_role("heading", level=1)).to_have_text("This share link was stopped")
        with live.session() as session:
            state = session.scalar(select(Credential.state).where(Credential.public_id == public_id))
        assert state.value == "cosigned"  # the credential itself is untouched
    finally:
        employer.close()
        page.context.close()


# -- offline ----------------------------------------------------------------------------------

KEPT = """async (paths) => {
  const cache = await caches.open("certsvc-wallet-v1");
  for (const path of paths) { if (!(await cache.match(location.origin + path))) return false; }
  return true;
}"""


def test_list_and_qr_page_open_offline_and_say_when_they_were_updated(browser: Any, wallet_server: LiveServer) -> None:
    live = wallet_server
    page, public_id = signed_in_page(browser, live)
    try:
        qr_page = f"/wallet/c/{public_id}"
        page.goto(live.url + "/wallet")
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        # One visit to the list keeps it, every QR page and their pictures.
        page.wait_for_function(KEPT, arg=["/wallet", qr_page, qr_page + "/qr.png"])
        page.goto(live.url + qr_page)
        online_stamp = page.locator(".updated time").get_attribute("datetime")
        expect(page.locator("#offline-note")).to_be_hidden()
        page.wait_for_timeout(1100)  # so a fresh page would have a later stamp than the kept one

        page.context.set_offline(True)
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text(QUALIFICATION)
        expect(page.locator("#offline-note")).to_be_visible()
        expect(page.locator("#offline-note")).to_have_text("You are offline. This is the copy saved on this phone.")
        expect(page.locator(".updated")).to_contain_text("Last updated:")
        assert page.locator(".updated time").get_attribute("datetime") == online_stamp
        assert page.evaluate("document.querySelector('figure.qr img').naturalWidth") > 0
        assert verdict_of(live, qr_on_screen(page)) == "recognized"

        page.goto(live.url + "/wallet")
        expect(page.get_by_role("heading", name="My credentials")).to_be_visible()
        expect(page.locator(".updated")).to_contain_text("Last updated:")
        expect(page.locator(".card")).to_contain_text(QUALIFICATION)
        page.context.set_offline(False)

        # Signing out deletes the copies kept on the phone.
        page.goto(live.url + "/wallet")
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
        assert_accessible(page, context="on the signed-out page")
        page.wait_for_function("caches.keys().then(names => names.length === 0)")
    finally:
        page.context.close()


# -- small screens, languages, accessibility ----------------------------------------------------------


def test_every_wallet_page_fits_360_pixels(browser: Any, wallet_server: LiveServer) -> None:
    live = wallet_server
    page, public_id = signed_in_page(
        browser, live, viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    try:
        for path in ("/wallet", f"/wallet/c/{public_id}", f"/wallet/c/{public_id}/share", "/wallet/claim"):
            page.goto(live.url + path)
            no_horizontal_scroll(page)
        qr_width = page.goto(live.url + f"/wallet/c/{public_id}") and page.locator("figure.qr img").bounding_box()
        assert qr_width["width"] >= 320  # full width on the phone
        assert verdict_of(live, qr_on_screen(page)) == "recognized"
        button = page.get_by_role("link", name="Share with a link").bounding_box()
        assert button["height"] >= 44  # a thumb-sized target
    finally:
        page.context.close()


LANGUAGES = (
    ("es", "Español", "Mis credenciales"),
    ("fil", "Filipino", "Ang aking mga kredensyal"),
    ("my", "မြန်မာ", "ကျွန်ုပ်၏ အထောက်အထားများ"),
)


def test_language_switch(browser: Any, wallet_server: LiveServer) -> None:
    page, _ = signed_in_page(browser, wallet_server)
    try:
        page.goto(wallet_server.url + "/wallet")
        expect(page.get_by_role("heading", level=1)).to_have_text("My credentials")
        for language, name, heading in LANGUAGES:
            page.locator(f'.languages a[hreflang="{language}"]').click()
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            assert page.locator(f'.languages [lang="{language}"]').inner_text() == name
            assert_accessible(page, context=f"on the list in {language}")
        page.locator('.languages a[hreflang="en"]').click()
        expect(page.get_by_role("heading", level=1)).to_have_text("My credentials")
    finally:
        page.context.close()


def test_browser_language_is_used_and_account_pages_are_accessible(browser: Any, wallet_server: LiveServer) -> None:
    context = browser.new_context(locale="es-ES")
    try:
        page = context.new_page()
        page.goto(wallet_server.url + "/wallet/claim")
        expect(page.get_by_role("heading", level=1)).to_have_text("Añadir una credencial")
        page.goto(wallet_server.url + "/wallet/claim?lang=en")
        for path in ("/wallet/signin", "/wallet/register"):
            page.goto(wallet_server.url + path)
            assert_accessible(page, context=f"on {path}")
        page.get_by_label("Phone number or email").fill("not a phone")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Open my wallet").click()
        expect(page.get_by_role("alert")).to_contain_text("Enter a phone number with its country code")
        assert_accessible(page, context="on a refused account")
    finally:
        context.close()
