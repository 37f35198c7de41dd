"""An employer's phone with no signal: it opened the verify page once, and QR links still get verdicts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from certsvc.credentials.cosigned import CoSignedCredential, sign_credential
from certsvc.credentials.keys import SigningKey
from certsvc.qr.transport import encode_qr_text
from certsvc.store.credential_records import cosigned_of

from .conftest import LiveServer
from .offline_support import visit_then_go_offline

COSIGNED = "Maria Santos Dela Cruz"
REVOKED = "Ramon Cruz Villanueva"
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser: Any) -> Iterator[tuple[Any, Any]]:
    context = browser.new_context(locale="en-GB", viewport=PHONE, is_mobile=True)
    context.set_default_timeout(15_000)
    yield context, context.new_page()
    context.close()


def forged_qr(live_server: LiveServer) -> str:
    """Maria's credential re-signed by a key that is not the provider's, under the provider's key id."""
    genuine = cosigned_of(live_server.credential(COSIGNED))
    kid = json.loads(genuine.signatures[0].protected)["kid"]
    forged = sign_credential(genuine.payload, SigningKey.generate(), kid)
    return encode_qr_text(
        CoSignedCredential(genuine.payload, (forged.signatures[0], genuine.signatures[1])), live_server.url + "/V"
    )


def open_link(page: Any, url: str) -> Any:
    """Open a QR link as the phone's camera app does: a new page load, not a change of fragment."""
    page.goto("about:blank")
    page.goto(url)
    result = page.locator("#result-slot .result")
    expect(result).to_be_visible()
    return result


def test_three_qr_links_with_no_network(phone: tuple[Any, Any], live_server: LiveServer, tmp_path: Path) -> None:
    context, page = phone
    recognised, revoked, forged = live_server.qr_text(COSIGNED), live_server.qr_text(REVOKED), forged_qr(live_server)
    visit_then_go_offline(context, page, live_server.url + "/verify")

    result = open_link(page, recognised)
    expect(page.get_by_role("heading", name="Recognised", exact=True)).to_be_visible()
    expect(result).to_have_attribute("data-checked-by", "phone")
    expect(result.locator(".recognition")).to_contain_text("Recognised in the Philippines as")
    expect(result.locator(".checked")).to_have_text(
        re.compile(r"^Checked on this phone; lists as of \d{4}-\d\d-\d\d \d\d:\d\d UTC")
    )
    page.screenshot(path=str(tmp_path / "offline-recognised-360.png"), full_page=True)

    result = open_link(page, revoked)
    expect(page.get_by_role("heading", name="Not valid: revoked")).to_be_visible()
    expect(result.locator("li.check.failed", has_text="Revocation")).to_contain_text("revoked this credential")
    expect(result.locator(".checked")).to_contain_text("Checked on this phone")

    result = open_link(page, forged)
    expect(page.get_by_role("heading", name="Not valid: the signature does not match")).to_be_visible()
    expect(result.locator(".checked")).to_contain_text("Checked on this phone")
    page.screenshot(path=str(tmp_path / "offline-forged-360.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_online_the_server_still_answers(phone: tuple[Any, Any], live_server: LiveServer) -> None:
    _context, page = phone
    page.goto(live_server.url + "/verify")
    result = open_link(page, live_server.qr_text(COSIGNED))
    expect(result).to_have_attribute("data-checked-by", "server")
    expect(result.locator(".checked")).to_contain_text("Checked on ")
    expect(result.locator(".checked")).not_to_contain_text("this phone")


def test_a_server_that_fails_gives_the_phones_verdict(phone: tuple[Any, Any], live_server: LiveServer) -> None:
    context, page = phone
    visit_then_go_offline(context, page, live_server.url + "/verify")
    context.set_offline(False)
    page.route("**/api/v1/verify*", lambda route: route.fulfill(status=503, body="down"))
    result = open_link(page, live_server.qr_text(COSIGNED))
    expect(result).to_have_attribute("data-checked-by", "phone")
    expect(page.get_by_role("heading", name="Recognised", exact=True)).to_be_visible()


def test_pasted_text_is_checked_on_the_phone_with_no_network(phone: tuple[Any, Any], live_server: LiveServer) -> None:
    context, page = phone
    visit_then_go_offline(context, page, live_server.url + "/verify")
    page.goto("about:blank")
    page.goto(live_server.url + "/verify")
    page.get_by_label("QR text or credential").fill(live_server.qr_text(REVOKED))
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.get_by_role("heading", name="Not valid: revoked")).to_be_visible()
    expect(page.locator("#result-slot .result")).to_have_attribute("data-checked-by", "phone")


def test_a_server_that_does_not_answer_in_time_gives_the_phones_verdict(
    phone: tuple[Any, Any], live_server: LiveServer
) -> None:
    context, page = phone
    visit_then_go_offline(context, page, live_server.url + "/verify")
    context.set_offline(False)
    held: list[Any] = []
    page.route("**/api/v1/verify*", lambda route: held.append(route))  # never answered
    result = open_link(page, live_server.qr_text(COSIGNED))
    expect(result).to_have_attribute("data-checked-by", "phone")
    expect(result.locator(".checked")).to_contain_text("Checked on this phone")
    elapsed = page.evaluate("performance.getEntriesByName('certsvc-verdict')[0].startTime") / 1000
    assert 4 <= elapsed < 8, elapsed
    assert held


def test_a_phone_offline_past_the_status_lists_ttl_does_not_confirm_the_status(
    phone: tuple[Any, Any], live_server: LiveServer
) -> None:
    context, page = phone
    visit_then_go_offline(context, page, live_server.url + "/verify")
    later = page.evaluate(
        """async (text) => {
          const local = await import("/verify/assets/offline/local.js");
          const here = await local.verifyHere(text, "en", Date.now() + 2 * 3600 * 1000);
          return {reasons: here.result.reasons, title: here.view.title};
        }""",
        live_server.qr_text(COSIGNED),
    )
    assert later == {"reasons": ["status_stale"], "title": "Not valid: the status could not be confirmed as of now"}


def test_a_phone_refuses_a_trust_list_older_than_one_it_has_seen(
    phone: tuple[Any, Any], live_server: LiveServer
) -> None:
    context, page = phone
    visit_then_go_offline(context, page, live_server.url + "/verify")
    page.evaluate(
        """async () => {
          const lists = await caches.open("certsvc-verify-lists");
          const held = await (await lists.match("/verify/assets/offline/held.json")).json();
          for (const authority of Object.keys(held)) held[authority] += 1;  // a newer version was seen
          await lists.put("/verify/assets/offline/held.json", new Response(JSON.stringify(held)));
        }"""
    )
    result = open_link(page, live_server.qr_text(COSIGNED))
    expect(result).to_have_attribute("data-status", "invalid")
    expect(page.get_by_role("heading", name="Not valid: no trust list for the holder's country")).to_be_visible()


def test_a_spanish_phone_reads_the_offline_verdict_in_spanish(browser: Any, live_server: LiveServer) -> None:
    spanish = live_server.app.extensions["certsvc.languages"]["es"].messages
    context = browser.new_context(locale="es-ES", viewport=PHONE, is_mobile=True)
    try:
        page = context.new_page()
        visit_then_go_offline(context, page, live_server.url + "/verify")
        result = open_link(page, live_server.qr_text(COSIGNED))
        expect(result).to_have_attribute("data-checked-by", "phone")
        expect(page.get_by_role("heading", name=spanish["Recognised"], exact=True)).to_be_visible()
        checked = spanish.get(
            "Checked on this phone; lists as of %(date)s.", "Checked on this phone; lists as of %(date)s."
        )
        expect(result.locator(".checked")).to_contain_text(checked.split("%(date)s")[0].strip())
        expect(result.locator(".recognition")).not_to_contain_text("Recognised in")
    finally:
        context.close()
