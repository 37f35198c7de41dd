"""The employer's journey, through the pages only, on a 360 px phone and a desktop browser.

Open the worker's QR link, read the verdict; open a second QR and see the first verdict
gone while the second is checked; upload a photo of a printed certificate; paste QR text;
check the worker's ID number; and read the verdict in Burmese.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from certsvc.qr.image import render_png
from certsvc.store.models import Credential, Equivalence, Learner, Organisation

from .conftest import LiveServer
from .journey_support import SCREENS, Journey, open_journey
from .test_verify_page import phone_photo

COSIGNED = ("Maria Santos Dela Cruz", "P1234567A")
REVOKED = "Ramon Cruz Villanueva"
AWAITING = "Ana Lim Garcia"
VERIFY_API = "**/api/v1/verify*"


@pytest.fixture(params=list(SCREENS))
def journey(request: pytest.FixtureRequest, browser: Any, tmp_path: Path) -> Iterator[Journey]:
    with open_journey(browser, request.param, tmp_path, request.node.originalname) as opened:
        yield opened


def verdict(page: Any) -> Any:
    return page.locator("#result-slot").get_by_role("heading", level=2)


def test_employer_checks_qr_links_a_photo_pasted_text_and_an_id_number(
    journey: Journey, live_server: LiveServer, tmp_path: Path
) -> None:
    page = journey.page
    with journey.step("open the worker's QR link"):
        page.goto(live_server.qr_text(COSIGNED[0]))
        expect(verdict(page)).to_have_text("Recognised")
        expect(page.locator(".recognition")).to_contain_text("Recognised in the Philippines as")
        expect(page.locator("#result-slot .details")).to_contain_text(COSIGNED[0])
        journey.check("on the first verdict")
        journey.fits_the_screen("the verdict page")

    with journey.step("open a second QR link: the first verdict goes at once, the page says it is checking"):
        held: list[Any] = []
        page.route(VERIFY_API, lambda route: held.append(route))  # answered after the assertions below
        page.goto(live_server.qr_text(REVOKED))
        expect(page.get_by_text("Checking the credential…")).to_be_visible()
        expect(page.get_by_role("heading", name="Recognised")).to_have_count(0)
        expect(page.locator("#result-slot .result")).to_have_count(0)
        for _ in range(200):  # the route handler runs when Playwright next takes events: give it the chance
            if held:
                break
            page.wait_for_timeout(50)
        assert len(held) == 1
        held[0].continue_()
        page.unroute(VERIFY_API)
        expect(verdict(page)).to_have_text("Not valid: revoked")
        expect(page.get_by_text("Checking the credential…")).to_be_hidden()
        journey.check("on the second verdict")

    with journey.step("upload a phone photo of a printed certificate"):
        photo = tmp_path / "photo.jpg"
        photo.write_bytes(phone_photo(render_png(live_server.qr_text(COSIGNED[0]), box_size=6)))
        page.goto(live_server.url + "/")
        page.get_by_role("link", name="Check a credential").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check a skills credential")
        page.get_by_label("Photo or screenshot of the QR code").set_input_files(str(photo))
        page.get_by_role("button", name="Upload and check").click()
        expect(verdict(page)).to_have_text("Recognised")
        journey.check("on the verdict of an uploaded photo")

    with journey.step("paste the QR text"):
        page.get_by_label("QR text or credential").fill(live_server.qr_text(AWAITING))
        page.get_by_role("button", name="Check", exact=True).click()
        expect(verdict(page)).to_have_text("Authentic but not recognised yet")
        journey.check("on the verdict of pasted text")

    with journey.step("check the worker's ID number"):
        page.goto(live_server.qr_text(COSIGNED[0]))
        expect(verdict(page)).to_have_text("Recognised")
        page.get_by_label("ID document number").fill("P7654321Z")
        page.get_by_role("button", name="Check the number").click()
        expect(page.locator(".id-result")).to_have_text("The number does not match the credential.")
        page.get_by_label("ID document number").fill(COSIGNED[1].lower())
        page.get_by_role("button", name="Check the number").click()
        expect(page.locator(".id-result")).to_have_text("The number matches the credential.")
        journey.check("after the ID check")


def test_employer_reads_the_verdict_in_burmese_with_no_english_left(journey: Journey, live_server: LiveServer) -> None:
    page = journey.page
    with journey.step("open the QR link and switch to Burmese"):
        page.goto(live_server.qr_text(COSIGNED[0]))
        expect(verdict(page)).to_have_text("Recognised")
        page.locator('.languages a[hreflang="my"]').click()
        expect(page.locator("html")).to_have_attribute("lang", "my")
        expect(page.locator("#result-slot .result")).to_have_attribute("data-status", "recognized")
    with journey.step("no English is left, apart from the credential's own data"):
        text = page.locator("main").inner_text()  # the language switcher names each language in itself
        for value in credential_data(live_server, COSIGNED[0]):
            text = text.replace(value, " ")
        english = sorted(set(re.findall(r"[A-Za-z]{3,}", text)))
        assert not english, f"English left on the Burmese verdict page: {english}"


def credential_data(live: LiveServer, holder: str) -> list[str]:
    """What the credential itself says (names, titles, codes, dates, addresses): it stays as signed."""
    credential = live.credential(holder)
    with live.session() as session:
        provider = session.scalar(select(Organisation).where(Organisation.id == credential.provider_id))
        embassy = session.scalar(select(Organisation).where(Organisation.id == credential.embassy_id))
        learner = session.scalar(select(Learner).where(Learner.id == credential.learner_id))
        found = session.scalar(select(Credential).where(Credential.id == credential.id))
        assert provider and embassy and learner and found
        payload = bytes(found.payload).decode("utf-8") if not isinstance(found.payload, str) else found.payload
        national = [
            text
            for rule in session.scalars(select(Equivalence).where(Equivalence.qualification_id.is_not(None)))
            for text in (rule.national_title, rule.national_code, rule.framework)
        ]
    words = re.findall(r'"(?:name|description|title|framework|level|code|targetName)"\s*:\s*"([^"]+)"', payload)
    fixed = [learner.name, provider.name, embassy.name, credential.public_id, live.url, "127.0.0.1", "TESDA"]
    return sorted({*words, *fixed, *national, "SKM", "ISCO", "ESCO", "ASEAN", "QR", "ID", "PIN", "UTC"}, key=len)[::-1]
