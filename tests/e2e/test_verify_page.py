"""The employer's verification page in a real browser: QR link, upload, paste, verdicts, safety, languages."""

from __future__ import annotations

import io
import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFilter
from playwright.sync_api import expect
from sqlalchemy import select

from certsvc.qr.image import render_png
from certsvc.store.models import Organisation, Qualification
from certsvc.store.signers import signer_for
from issuers import lifecycle
from issuers.issuance import LearnerData, issue_credential, register_learner

from .conftest import KEK, LiveServer, assert_accessible

COSIGNED = "Maria Santos Dela Cruz"
PRIOR_SKILLS = "Jose Reyes Bautista"
AWAITING = "Ana Lim Garcia"
REVOKED = "Ramon Cruz Villanueva"
SCRIPT_NAME = "<script>window.__xss=1</script>"


def verdict(page: Any) -> Any:
    return page.locator("#result-slot .verdict h2")


def check_item(page: Any, label: str) -> Any:
    return page.locator("#result-slot li.check", has=page.locator("strong", has_text=label))


def phone_photo(png: bytes) -> bytes:
    """A printed QR photographed by a phone: on grey paper, turned 10 degrees, blurred, JPEG 60."""
    code = Image.open(io.BytesIO(png)).convert("L")
    paper = Image.new("L", (code.width + 360, code.height + 300), 236)
    paper.paste(code, (170, 130))
    photo = paper.rotate(10, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=120)
    photo = photo.filter(ImageFilter.GaussianBlur(1.2)).convert("RGB")
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=60)
    return buffer.getvalue()


def upload(page: Any, live_server: LiveServer, path: Path) -> None:
    page.goto(live_server.url + "/verify")
    page.set_input_files("#image", str(path))
    page.get_by_role("button", name="Upload and check").click()


# -- the QR link ---------------------------------------------------------------------------------


def test_qr_link_shows_recognised_with_every_check(page: Any, live_server: LiveServer) -> None:
    # The phone's camera app opens the QR text itself: upper-case URL, credential after '#'.
    page.goto(live_server.qr_text(COSIGNED))
    expect(verdict(page)).to_have_text("Recognised")
    result = page.locator("#result-slot .result")
    expect(result).to_have_attribute("data-status", "recognized")
    expect(page.locator(".recognition")).to_contain_text("Recognised in the Philippines as")
    expect(page.locator(".recognition")).to_contain_text("by TESDA.")
    expect(page.locator("li.check.failed")).to_have_count(0)
    expect(page.locator("li.check.ok")).to_have_count(9)  # with the issuing service's record
    expect(check_item(page, "Embassy co-signature")).to_contain_text("Co-signed by Philippine Embassy Kuala Lumpur")
    expect(page.locator(".details")).to_contain_text(COSIGNED)
    expect(page.locator(".prior-skills")).to_be_hidden()


def test_prior_skills_say_what_the_worker_brought(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.qr_text(PRIOR_SKILLS))
    expect(verdict(page)).to_have_text("Recognised")
    expect(page.locator(".prior-skills")).to_contain_text("skills the worker already had on arrival")
    expect(page.locator(".prior-skills")).to_contain_text("assessed by a practical test")


def test_revoked_is_not_valid_with_the_revocation_check_failed(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.qr_text(REVOKED))
    expect(verdict(page)).to_have_text("Not valid: revoked")
    expect(page.locator("#result-slot .result")).to_have_attribute("data-status", "invalid")
    failed = check_item(page, "Revocation")
    expect(failed).to_have_class("check failed")
    expect(failed).to_contain_text("revoked this credential")


def test_tampered_qr_is_not_valid_with_a_clear_reason(page: Any, live_server: LiveServer) -> None:
    text = live_server.qr_text(COSIGNED)
    prefix, digits = text.split("#")
    middle = len(digits) // 2
    tampered = f"{prefix}#{digits[:middle]}{(int(digits[middle]) + 1) % 10}{digits[middle + 1 :]}"
    page.goto(tampered)
    # Most changes break the compressed data; some still inflate, and then a signature no longer matches.
    expect(verdict(page)).to_have_text(re.compile(r"^Not valid: (the QR code is damaged|the signature does not|not a)"))
    failed = page.locator("li.check.failed")
    expect(failed.first).to_contain_text(re.compile(r"damaged or incomplete|does not match|not a readable"))


def test_not_yet_cosigned_is_authentic_with_the_cosignature_check_failed(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.qr_text(AWAITING))
    expect(verdict(page)).to_have_text("Authentic but not recognised yet")
    failed = check_item(page, "Embassy co-signature")
    expect(failed).to_have_class("check failed")
    expect(failed).to_contain_text("Not yet co-signed")
    expect(page.locator("li.check.failed")).to_have_count(1)


# -- upload and paste ----------------------------------------------------------------------------


def test_upload_of_a_screenshot(page: Any, live_server: LiveServer, tmp_path: Path) -> None:
    screenshot = tmp_path / "wallet-screenshot.png"
    screenshot.write_bytes(render_png(live_server.qr_text(COSIGNED)))
    upload(page, live_server, screenshot)
    expect(verdict(page)).to_have_text("Recognised")
    expect(page.locator(".recognition")).to_contain_text("by TESDA.")


def test_upload_of_a_phone_photo_of_a_printed_certificate(page: Any, live_server: LiveServer, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(phone_photo(render_png(live_server.qr_text(COSIGNED), box_size=6)))
    upload(page, live_server, photo)
    expect(verdict(page)).to_have_text("Recognised")


def test_upload_without_a_qr_code_says_so(page: Any, live_server: LiveServer, tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    upload(page, live_server, blank)
    expect(page.locator("#verify-error")).to_contain_text("No QR code was found")


def test_paste_the_qr_text(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/verify")
    page.get_by_label("QR text or credential").fill(live_server.qr_text(REVOKED))
    page.get_by_role("button", name="Check", exact=True).click()
    expect(verdict(page)).to_have_text("Not valid: revoked")


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
@pytest.mark.parametrize("viewport", [(360, 740), (1280, 800)], ids=["phone", "desktop"])
def test_an_unreadable_paste_shows_no_empty_details_and_no_id_check(
    browser: Any, live_server: LiveServer, javascript: bool, viewport: tuple[int, int]
) -> None:
    width, height = viewport
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(live_server.url + "/verify")
        page.get_by_label("QR text or credential").fill("this is not a credential")
        page.get_by_role("button", name="Check", exact=True).click()
        expect(verdict(page)).to_have_text("Not valid: not a readable credential")
        result = page.locator("#result-slot .result") if javascript else page.locator(".result")
        expect(result.get_by_text("This is not a readable credential.")).to_be_visible()
        # Nothing was read, so there are no details to show and no ID number to compare with.
        details = result.get_by_role("heading", name="Details as written in the credential (not confirmed)")
        expect(details).to_be_hidden()
        expect(result.get_by_role("heading", name="Check the worker's ID document")).to_be_hidden()
        expect(result.get_by_label("ID document number")).to_be_hidden()
        expect(result.get_by_role("link", name="Check another credential")).to_be_visible()
        if folder := os.environ.get("CERTSVC_JOURNEY_SHOTS"):
            name = f"verify-unreadable-{width}-{'js' if javascript else 'nojs'}.png"
            page.screenshot(path=f"{folder}/{name}", full_page=True)

        # A readable credential that fails keeps both: what it says, and the ID check against it.
        page.get_by_label("QR text or credential").fill(live_server.qr_text(REVOKED))
        page.get_by_role("button", name="Check", exact=True).click()
        expect(verdict(page)).to_have_text("Not valid: revoked")
        expect(details).to_be_visible()
        expect(result.get_by_label("ID document number")).to_be_visible()
    finally:
        context.close()


def test_paste_works_without_javascript(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/verify")
        page.get_by_label("QR text or credential").fill(live_server.qr_text(COSIGNED))
        page.get_by_role("button", name="Check", exact=True).click()
        expect(verdict(page)).to_have_text("Recognised")
        page.get_by_label("ID document number").fill("P1234567A")
        page.get_by_role("button", name="Check the number").click()
        expect(page.locator(".id-result")).to_have_text("The number matches the credential.")
    finally:
        context.close()


# -- the ID check --------------------------------------------------------------------------------


def test_id_check_matches_and_never_shows_the_number(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.qr_text(COSIGNED))
    expect(verdict(page)).to_have_text("Recognised")
    assert "P1234567A" not in page.content()
    field = page.get_by_label("ID document number")
    field.fill("p 123 4567-a")
    page.get_by_role("button", name="Check the number").click()
    expect(page.locator(".id-result")).to_have_text("The number matches the credential.")
    field.fill("P0000000X")
    page.get_by_role("button", name="Check the number").click()
    expect(page.locator(".id-result")).to_have_text("The number does not match the credential.")
    assert "P1234567A" not in page.content()


# -- safety --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def script_named_qr(live_server: LiveServer) -> str:
    """A co-signed credential issued to a holder named like a script tag."""
    now = datetime.now(UTC) - timedelta(days=1)
    with live_server.session() as session:
        provider = session.scalar(select(Organisation).where(Organisation.slug == "klwa"))
        embassy = session.scalar(select(Organisation).where(Organisation.slug == "ph-kl"))
        assert provider is not None and embassy is not None
        qualification = session.scalars(select(Qualification).where(Qualification.provider_id == provider.id)).first()
        assert qualification is not None
        learner = register_learner(
            session, provider, LearnerData(SCRIPT_NAME, date(1991, 1, 2), "PH", "X9988776"), actor="test"
        )
        base = live_server.url
        credential = issue_credential(
            session,
            provider,
            learner,
            qualification,
            signer=signer_for(session, provider, KEK, base),
            base_url=base,
            now=now,
            actor="test",
        )
        lifecycle.cosign(
            session, embassy, credential, signer=signer_for(session, embassy, KEK, base), now=now, actor="t"
        )
        session.commit()
        return live_server.qr_text_of(credential)


def test_script_in_a_name_is_shown_as_text_on_the_qr_page(page: Any, script_named_qr: str) -> None:
    page.goto(script_named_qr)
    expect(verdict(page)).to_have_text("Recognised")
    expect(page.locator(".details dd").first).to_have_text(SCRIPT_NAME)
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_script_in_a_name_is_shown_as_text_when_pasted(
    page: Any, live_server: LiveServer, script_named_qr: str
) -> None:
    page.goto(live_server.url + "/verify")
    page.get_by_label("QR text or credential").fill(script_named_qr)
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator(".details dd").first).to_have_text(SCRIPT_NAME)
    assert page.evaluate("typeof window.__xss") == "undefined"


# -- languages, accessibility, small screens -----------------------------------------------------


@pytest.mark.parametrize(
    ("language", "name", "recognised"),
    [("es", "Español", "Reconocido"), ("fil", "Filipino", "Kinikilala"), ("my", "မြန်မာ", "အသိအမှတ်ပြုထားသည်")],
)
def test_language_switch_changes_the_verdict(
    page: Any, live_server: LiveServer, language: str, name: str, recognised: str
) -> None:
    page.goto(live_server.qr_text(COSIGNED))
    expect(verdict(page)).to_have_text("Recognised")
    page.locator(f'.languages a[hreflang="{language}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(verdict(page)).to_have_text(recognised)
    assert page.locator(f'.languages [lang="{language}"]').inner_text() == name


def test_browser_language_is_used(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(locale="es-ES")
    try:
        page = context.new_page()
        page.goto(live_server.qr_text(REVOKED))
        expect(verdict(page)).to_have_text("No válido: revocada")
    finally:
        context.close()


def test_no_serious_accessibility_violations(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/verify")
    assert_accessible(page, context="on /verify")
    page.goto(live_server.qr_text(COSIGNED))
    expect(verdict(page)).to_have_text("Recognised")
    assert_accessible(page, context="on a recognised result")
    page.goto(live_server.qr_text(REVOKED))
    expect(verdict(page)).to_contain_text("Not valid")
    assert_accessible(page, context="on a not-valid result")


@pytest.mark.parametrize("where", ["form", "result"])
def test_360_pixels_wide_without_horizontal_scroll(browser: Any, live_server: LiveServer, where: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    try:
        page = context.new_page()
        if where == "form":
            page.goto(live_server.url + "/verify")
        else:
            page.goto(live_server.qr_text(PRIOR_SKILLS))
            expect(verdict(page)).to_have_text("Recognised")
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"page is {widths[0]}px wide in a {widths[1]}px viewport"
    finally:
        context.close()


def test_printable_result(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.qr_text(COSIGNED))
    expect(verdict(page)).to_have_text("Recognised")
    page.emulate_media(media="print")
    expect(page.locator(".inputs")).to_be_hidden()
    expect(page.locator("header")).to_be_hidden()
    expect(verdict(page)).to_be_visible()
    expect(page.locator(".checked")).to_contain_text("Checked on")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
