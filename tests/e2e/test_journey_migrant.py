"""The migrant's journey, through the pages only, on a 360 px phone and a desktop browser.

A Burmese worker gets a printed claim slip (rendered by ``certsvc.pdf.claim_slips``) for a
co-signed credential, scans its QR code to open the wallet, claims the credential with the
slip's code and PIN, shows the QR code, downloads the certificate (the Burmese name reads
back intact, in English and in Burmese) and shares a link that an employer opens. The same
from a cohort import: the training centre downloads the batch's claim slips through its pages,
and a learner claims with the code and PIN printed on theirs.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from certsvc.accounts import users
from certsvc.pdf.claim_slips import render_claim_slips
from certsvc.qr.image import decode_image
from certsvc.store.models import Credential, CredentialState, Organisation, Qualification
from certsvc.store.signers import signer_for
from certsvc.wallet import claims
from issuers import lifecycle
from issuers.issuance import LearnerData, issue_credential, register_learner
from verifier import documents
from verifier.pipeline import verify

from .conftest import DEMO_PASSWORD, KEK, LiveServer, running_service
from .journey_support import SCREENS, Journey, open_journey

HOLDER = "မောင်ကြည်ဝင်း"
QUALIFICATION = "Construction Trade Test: Electrical Wiring"
PASSWORD = "my-wallet-password-1"
COHORT_PROVIDER = "officer@jcsc.example"
CODE = re.compile(r"\b[0-9A-Z]{5}-[0-9A-Z]{5}\b")
PIN = re.compile(r"\b\d{6}\b")
_serial = count(1)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A seeded service of this journey's own, so its new wallets disturb no other browser test."""
    with running_service(tmp_path_factory.mktemp("migrant")) as live:
        yield live


@pytest.fixture(params=list(SCREENS))
def journey(request: pytest.FixtureRequest, browser: Any, tmp_path: Path) -> Iterator[Journey]:
    with open_journey(browser, request.param, tmp_path, request.node.originalname, accept_downloads=True) as opened:
        yield opened


def slip_for_a_cosigned_credential(live: LiveServer, tmp_path: Path) -> Path:
    """What the training centre hands the worker: a co-signed credential's printed claim slip."""
    n = next(_serial)
    when = datetime.now(UTC) - timedelta(days=3)
    with live.session() as session:
        provider = session.scalar(select(Organisation).where(Organisation.slug == "jcsc"))
        embassy = session.scalar(select(Organisation).where(Organisation.slug == "mm-sg"))
        assert provider is not None and embassy is not None
        qualification = session.scalar(
            select(Qualification).where(Qualification.provider_id == provider.id, Qualification.code == "ELEC2")
        )
        assert qualification is not None
        learner = register_learner(
            session, provider, LearnerData(HOLDER, date(1995, 7, 4), "MM", f"MD{n:07d}", "M"), actor="test"
        )
        credential = issue_credential(
            session,
            provider,
            learner,
            qualification,
            signer=signer_for(session, provider, KEK, live.url),
            base_url=live.url,
            now=when,
            actor="test",
        )
        cosigner = signer_for(session, embassy, KEK, live.url)
        lifecycle.cosign(session, embassy, credential, signer=cosigner, now=when + timedelta(hours=2), actor="test")
        secrets = claims.create_claim(session, credential, hasher=users.make_password_hasher(1, 1024, 1))
        session.commit()
        slip = claims.ClaimSlip(HOLDER, QUALIFICATION, credential.public_id, secrets.code, secrets.pin, "my")
    path = tmp_path / "claim-slip.pdf"
    path.write_bytes(render_claim_slips([slip], live.url + "/wallet/claim"))
    return path


def read_slip(path: Path) -> tuple[str, str, str]:
    """Read the slip as the worker does: the address from its QR code, the code and PIN from its text."""
    page = PdfReader(path).pages[0]
    text = page.extract_text()
    assert HOLDER in text.split("\n")
    buffer = io.BytesIO()
    page.images[0].image.save(buffer, format="PNG")
    (code,) = CODE.findall(text)
    (pin,) = PIN.findall(text)
    return decode_image(buffer.getvalue()), code, pin


def verdict_of(live: LiveServer, qr_text: str) -> str:
    with live.app.app_context():
        current = documents.current()
    return verify(qr_text, current.trust_lists, current.status_lists, datetime.now(UTC)).status.value


def test_migrant_claims_from_the_slip_shows_the_qr_prints_and_shares(
    journey: Journey, service: LiveServer, tmp_path: Path, browser: Any
) -> None:
    wallet_url, code, pin = read_slip(slip_for_a_cosigned_credential(service, tmp_path))
    claim_show_print_and_share(journey, service, tmp_path, browser, wallet_url, code, pin)


def claim_show_print_and_share(
    journey: Journey, service: LiveServer, tmp_path: Path, browser: Any, wallet_url: str, code: str, pin: str
) -> None:
    """The worker's part, from the slip in hand to an employer opening the shared link."""
    page = journey.page

    with journey.step("scan the slip's QR code and type the claim code and PIN"):
        page.goto(wallet_url)
        expect(page.get_by_role("heading", level=1)).to_have_text("Add a credential")
        journey.check("on the claim form")
        page.get_by_label("Claim code").fill(code)
        page.get_by_label("PIN").fill(pin)
        page.get_by_role("button", name="Find my credential").click()
        expect(page.get_by_role("heading", name="We found your credential")).to_be_visible()
        expect(page.locator(".card")).to_contain_text(HOLDER)
        journey.check("on the found credential")

    with journey.step("open a wallet and add the credential"):
        page.get_by_role("region", name="Open a new wallet").get_by_label("Phone number or email").fill(
            f"+959 45 {next(_serial):06d}"
        )
        page.get_by_role("region", name="Open a new wallet").get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Open my wallet and add it").click()
        expect(page.get_by_role("status").filter(has_text="Added to your wallet.")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_text(QUALIFICATION)

    with journey.step("show the QR code: an employer's phone reads a recognised credential"):
        qr = page.get_by_role("img", name=re.compile("^QR code of your credential"))
        expect(qr).to_be_visible()
        expect(page.locator(".state")).to_have_text("Recognised")
        box = qr.bounding_box()
        assert box is not None and box["width"] >= (300 if journey.phone else 280)
        assert verdict_of(service, decode_image(qr.screenshot())) == "recognized"
        journey.check("on the credential's QR page")
        journey.fits_the_screen("the QR page")

    with journey.step("download the certificate: the Burmese name prints intact"):
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the certificate to print (PDF)").click()
        english = certificate_lines(download.value, tmp_path / "certificate.pdf")
        assert HOLDER in english and QUALIFICATION in english
        page.locator('.languages a[hreflang="my"]').click()
        expect(page.locator("html")).to_have_attribute("lang", "my")
        with page.expect_download() as download:
            page.locator('a[href$="/certificate.pdf"]').click()
        burmese = certificate_lines(download.value, tmp_path / "certificate-my.pdf")
        assert HOLDER in burmese
        assert "ကိုင်ဆောင်သူ" in burmese and "Holder" in burmese  # in Burmese with the English beside
        page.locator('.languages a[hreflang="en"]').click()
        expect(page.locator("html")).to_have_attribute("lang", "en")

    with journey.step("share a link; an employer opens it"):
        page.get_by_role("link", name="Share with a link").click()
        journey.check("on the share page")
        page.get_by_label("7 days").check()
        page.get_by_role("button", name="Make a link").click()
        link = page.locator("#new-link").inner_text().strip()
        assert link.startswith(service.url + "/s/")
        employer = browser.new_context(locale="en-GB")
        try:
            shared = employer.new_page()
            shared.goto(link)
            expect(shared.locator(".state")).to_have_text("Recognised")
            expect(shared.get_by_text(HOLDER).first).to_be_visible()
        finally:
            employer.close()
        journey.check("after sharing")


def certificate_lines(download: Any, path: Path) -> list[str]:
    assert download.suggested_filename.startswith("certificate-") and download.suggested_filename.endswith(".pdf")
    download.save_as(path)
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text().split("\n")


def cohort_file(size: str) -> bytes:
    """A small cohort of Burmese electricians; the first reads Burmese, so their slip is printed in it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("external_id", "name", "birth_date", "nationality", "id_number", "sex", "qualification_code",
                     "kind", "language"))  # fmt: skip
    people = ((HOLDER, "my"), ("Ma Thida Aung", "my"), ("Ko Zaw Min", "en"))
    for n, (name, language) in enumerate(people):
        serial = next(_serial)
        writer.writerow((f"MM-{size}-{serial}", name, f"199{n}-03-0{n + 1}", "MM", f"MC{serial:07d}", "M", "ELEC2",
                         "training", language))  # fmt: skip
    return out.getvalue().encode()


def slips_of_an_imported_cohort(service: LiveServer, browser: Any, tmp_path: Path, size: str) -> Path:
    """The training centre imports the cohort and downloads its claim slips, through its pages."""
    context = browser.new_context(locale="en-GB", accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(service.url + "/provider/imports")
        page.get_by_label("Email").fill(COHORT_PROVIDER)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Cohort file (.csv)").set_input_files(
            {"name": f"electricians-{size}.csv", "mimeType": "text/csv", "buffer": cohort_file(size)}
        )
        page.get_by_role("button", name="Check the file").click()
        page.get_by_role("button", name="Issue 3 credential(s)").click()
        expect(page.locator("#batch-state")).to_contain_text("Done", timeout=60_000)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download claim slips (PDF)").click()
        path = tmp_path / "cohort-slips.pdf"
        download.value.save_as(path)
        return path
    finally:
        context.close()


def cosign_the_cohort(service: LiveServer) -> None:
    """The embassy co-signs what waits for it (its own journey does that through its pages)."""
    when = datetime.now(UTC)
    with service.session() as session:
        embassy = session.scalar(select(Organisation).where(Organisation.slug == "mm-sg"))
        assert embassy is not None
        waiting = session.scalars(
            select(Credential).where(
                Credential.embassy_id == embassy.id, Credential.state == CredentialState.AWAITING_COSIGN
            )
        ).all()
        cosigner = signer_for(session, embassy, KEK, service.url)
        for credential in waiting:
            lifecycle.cosign(session, embassy, credential, signer=cosigner, now=when, actor="test")
        session.commit()


def read_cohort_slip(path: Path, holder: str) -> tuple[str, str, str]:
    """Find the holder's slip among the cohort's (each begins with its heading) and read it like the worker."""
    reader = PdfReader(path)
    for page in reader.pages:
        for slip in page.extract_text().split("Your skills credential")[1:]:
            if holder in slip.split("\n"):
                buffer = io.BytesIO()
                page.images[0].image.save(buffer, format="PNG")
                (code,) = CODE.findall(slip)
                (pin,) = PIN.findall(slip)
                return decode_image(buffer.getvalue()), code, pin
    raise AssertionError(f"no slip names {holder}")


def test_migrant_claims_a_cohort_imported_credential_from_its_printed_slip(
    journey: Journey, service: LiveServer, tmp_path: Path, browser: Any
) -> None:
    """A learner of an imported cohort claims with the code and PIN read off the slip the provider downloaded."""
    slips = slips_of_an_imported_cohort(service, browser, tmp_path, journey.screen)
    cosign_the_cohort(service)
    wallet_url, code, pin = read_cohort_slip(slips, HOLDER)
    assert wallet_url == service.url + "/wallet/claim"
    claim_show_print_and_share(journey, service, tmp_path, browser, wallet_url, code, pin)
