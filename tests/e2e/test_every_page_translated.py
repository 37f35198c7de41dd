"""Every page of every role, in Spanish, Filipino and Burmese, with no English sentence left on screen.

Each role signs in through the pages (the demo users), switches language with the page's own
switcher, then visits every page of its area: the area's pages without arguments and one
page of every kind linked from them (a learner, a credential, a batch, a catalogue entry...).
What the user sees (visible text and the labels a screen reader reads) is compared with the
English messages of the source: a text that is an English message, or holds an English
phrase of one, whose catalogue translation says otherwise, is English left behind.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from werkzeug.exceptions import HTTPException

from certsvc.demo.seed import DEMO_PASSWORD
from certsvc.web import catalogue
from certsvc.web.i18n import load_languages

from .conftest import LiveServer, running_service
from .journey_support import Journey, open_journey
from .test_journey_migrant import read_slip, slip_for_a_cosigned_credential
from .test_journey_provider import cohort_csv

LANGUAGES = ["es", "fil", "my"]
#: The demo's staff users and the areas of the service they work in.
STAFF = {
    "provider": ("officer@klwa.example", ("/provider", "/account")),
    "embassy": ("officer@ph-kl.example", ("/embassy", "/account")),
    "authority": ("admin@ph-tesda.example", ("/authority", "/indicators", "/account")),
}
#: Pages anyone reaches: the front door, the checker, a verdict, the public records.
PUBLIC = ["/", "/verify", "/login", "/o/klwa", "/o/ph-tesda", "/o/ph-kl", "/indicators/ph-tesda"]
NOT_PAGES = (".csv", ".json", ".png", ".svg", ".pdf", ".ico", ".js", ".css", ".webmanifest")
WALLET_PASSWORD = "my-wallet-password-1"
_phones = itertools.count(1)

#: Visible text nodes and what a screen reader reads of the elements on screen.
READ_TEXT = """() => {
  const seen = [];
  const shown = (el) => el && el.checkVisibility && el.checkVisibility({visibilityProperty: true});
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    const parent = node.parentElement;
    if (!text || !parent || parent.closest("script, style, code, pre, .languages")) continue;
    if (shown(parent) || parent.closest(".visually-hidden")) seen.push(text);
  }
  for (const el of document.querySelectorAll("[aria-label], [placeholder], [title], img[alt], input[type=submit]")) {
    if (el.closest(".languages")) continue;
    for (const name of ["aria-label", "placeholder", "title", "alt", "value"]) {
      const value = el.getAttribute(name);
      if (value && (name !== "value" || el.type === "submit")) seen.push(value.trim());
    }
  }
  seen.push(document.title);
  return seen;
}"""

#: The innermost elements that stick out to the right of the screen (what makes a page scroll sideways).
TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth, out = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(".table-scroll, [role=region]")) continue;  // lists scroll inside their own region
    const box = el.getBoundingClientRect();
    const sticksOut = (e) => e.getBoundingClientRect().right > width + 1;
    if (box.width > 0 && sticksOut(el) && ![...el.children].some(sticksOut)) {
      const text = el.textContent.trim().slice(0, 60);
      out.push(`${el.tagName.toLowerCase()}.${el.className} "${text}" ends at ${Math.round(box.right)}`);
    }
  }
  return out.slice(0, 5);
}"""


class English:
    """The source's English messages, to find on a page shown in ``code``."""

    def __init__(self, code: str) -> None:
        translated = load_languages()[code].messages
        self.whole: set[str] = set()
        self.phrases: dict[str, str] = {}
        for msgid in catalogue.known_messages(catalogue.extract()):
            local = translated.get(msgid, msgid)
            if local == msgid:
                continue  # the same in both languages (a code, a name): nothing to find
            pieces = [p.strip(" .,:;()…“”") for p in re.split(r"%\(\w+\)[sd]|%[sd]", msgid)]
            if len(pieces) == 1:
                self.whole.add(pieces[0])
            for piece in pieces:
                # A phrase of several words is English wherever it shows; one word only when it is all there is.
                if len(piece.split()) >= 3 and piece not in local:
                    self.phrases[piece] = msgid

    def left_in(self, texts: list[str]) -> list[str]:
        found = []
        for text in texts:
            bare = text.strip(" .,:;()…“”*")
            if bare in self.whole:
                found.append(text)
                continue
            found += [
                f"{phrase!r} (of {msgid!r}) in {text!r}" for phrase, msgid in self.phrases.items() if phrase in text
            ]
        return sorted(set(found))


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A seeded service of this module's own: its wallets and claims disturb no other test."""
    with running_service(tmp_path_factory.mktemp("every-page")) as live:
        yield live


@pytest.fixture(scope="module")
def english() -> dict[str, English]:
    return {code: English(code) for code in LANGUAGES}


@pytest.fixture
def journey(browser: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Journey]:
    """A phone-sized profile: the narrowest screen is where translated text must still fit."""
    with open_journey(browser, "phone-360x740", tmp_path, request.node.name) as opened:
        yield opened


def switch_language(page: Any, code: str) -> None:
    """Choose the language with the page's switcher, as a user does; it is remembered."""
    page.locator(f'.languages a[hreflang="{code}"]').first.click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def sign_in(page: Any, live: LiveServer, email: str) -> None:
    page.goto(live.url + "/login")
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.locator('form.stacked button[type="submit"]').click()
    expect(page.locator("a.workspace")).to_be_visible()


def endpoint_of(live: LiveServer, path: str) -> str | None:
    try:
        endpoint, _args = live.app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return str(endpoint)


def area_pages(live: LiveServer, prefixes: tuple[str, ...]) -> list[str]:
    """The area's pages that take no argument (lists, dashboards, forms)."""
    found = []
    for rule in live.app.url_map.iter_rules():
        page = "GET" in (rule.methods or ()) and not rule.arguments and str(rule).startswith(prefixes)
        if page and not str(rule).endswith(NOT_PAGES):
            found.append(str(rule))
    return sorted(found)


def linked_pages(page: Any, live: LiveServer, prefixes: tuple[str, ...]) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        switcher = "lang=" in parts.query  # the language switcher: the same page in another language
        if (
            href.startswith(live.url)
            and parts.path.startswith(prefixes)
            and not parts.path.endswith(NOT_PAGES)
            and not switcher
        ):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def assert_translated(journey: Journey, english: English, where: str) -> None:
    page = journey.page
    texts = page.evaluate(READ_TEXT)
    left = english.left_in(texts)
    if left:
        journey.screenshot(f"english-left-{where}")
    assert not left, f"English left on {where}:\n" + "\n".join(left)
    wide = page.evaluate(TOO_WIDE)
    assert not wide, f"{where} is wider than the screen at: {wide}"


def visit_area(journey: Journey, live: LiveServer, english: English, prefixes: tuple[str, ...]) -> list[str]:
    """Every page of the area and one of each kind it links to; returns the pages visited."""
    queue = area_pages(live, prefixes)
    seen_endpoints: set[str] = set()
    visited = []
    while queue:
        path = queue.pop(0)
        endpoint = endpoint_of(live, urlsplit(path).path)
        if endpoint is None or endpoint in seen_endpoints:
            continue
        seen_endpoints.add(endpoint)
        probe = journey.page.request.get(live.url + path, max_redirects=0)
        if not probe.headers.get("content-type", "").startswith("text/html"):
            continue  # a download (credential file, QR code, CSV): not a page
        response = journey.page.goto(live.url + path)
        assert response is not None
        if response.status == 403:  # another role's page (an officer is not an admin)
            continue
        if response.status == 400 and "?" not in path:  # it needs a choice first: reached by a link below
            seen_endpoints.discard(endpoint)
            continue
        assert response.status < 400, f"{path} answered {response.status}"
        assert_translated(journey, english, path)
        visited.append(path)
        queue += linked_pages(journey.page, live, prefixes)
    return visited


@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize("role", list(STAFF))
def test_every_staff_page_is_translated(
    journey: Journey, service: LiveServer, english: dict[str, English], role: str, code: str
) -> None:
    email, prefixes = STAFF[role]
    with journey.step("sign in and choose the language"):
        sign_in(journey.page, service, email)
        switch_language(journey.page, code)
    with journey.step("visit every page of the area"):
        visited = visit_area(journey, service, english[code], prefixes)
        assert len(visited) >= 4, visited


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_public_page_and_a_verdict_are_translated(
    journey: Journey, service: LiveServer, english: dict[str, English], code: str
) -> None:
    page = journey.page
    credential = service.credential("Maria Santos Dela Cruz")
    with journey.step("choose the language on the front door"):
        page.goto(service.url + "/")
        switch_language(page, code)
    for path in [*PUBLIC, f"/c/{credential.public_id}", f"/o/klwa/q/{_a_qualification_code(service)}"]:
        with journey.step(f"open {path}"):
            response = page.goto(service.url + path)
            assert response is not None and response.status < 400, path
            assert_translated(journey, english[code], path)
    with journey.step("open a worker's QR link"):
        page.goto(service.qr_text("Maria Santos Dela Cruz"))
        expect(page.locator("#result-slot .result")).to_have_attribute("data-status", "recognized")
        assert_translated(journey, english[code], "the verdict")


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_wallet_page_is_translated(
    journey: Journey, service: LiveServer, english: dict[str, English], code: str, tmp_path: Path
) -> None:
    page = journey.page
    wallet_url, claim_code, pin = read_slip(slip_for_a_cosigned_credential(service, tmp_path))
    with journey.step("open the slip's link and choose the language"):
        page.goto(wallet_url)
        switch_language(page, code)
        assert_translated(journey, english[code], "the claim form")
    with journey.step("find the credential"):
        page.locator('input[name="code"]').fill(claim_code)
        page.locator('input[name="pin"]').fill(pin)
        page.locator('input[name="pin"]').press("Enter")
        expect(page.locator(".card")).to_be_visible()
        assert_translated(journey, english[code], "the found credential")
    with journey.step("open a wallet with it"):
        form = page.locator('section[aria-labelledby="new-wallet"] form')
        form.locator('input[name="login"]').fill(f"+959 46 {next(_phones):06d}")
        form.locator('input[name="password"]').fill(WALLET_PASSWORD)
        form.locator('button[type="submit"]').click()
        expect(page.locator(".state")).to_be_visible()
        assert_translated(journey, english[code], "the credential in the wallet")
    with journey.step("every wallet page"):
        for path in ["/wallet", *linked_pages(page, service, ("/wallet/c/",))]:
            page.goto(service.url + path)
            assert_translated(journey, english[code], path)


def _a_qualification_code(live: LiveServer) -> str:
    from sqlalchemy import select

    from certsvc.store.models import Organisation, Qualification

    with live.session() as session:
        code = session.scalar(
            select(Qualification.code)
            .join(Organisation, Qualification.provider_id == Organisation.id)
            .where(Organisation.slug == "klwa")
        )
    assert code
    return str(code)


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_pages_behind_a_providers_actions_are_translated(
    journey: Journey, service: LiveServer, english: dict[str, English], code: str
) -> None:
    page = journey.page
    with journey.step("sign in and choose the language"):
        sign_in(page, service, STAFF["provider"][0])
        switch_language(page, code)
    with journey.step("issue a credential: the receipt with its claim code"):
        page.goto(service.url + "/provider/learners/7")
        page.locator('form[action$="/credentials"] button[type="submit"]').click()
        expect(page.locator("h1")).to_be_visible()
        assert "/receipt" in page.url or "/credentials/" in page.url, page.url
        assert_translated(journey, english[code], "the receipt")
    upload = {"name": f"cohort-{code}.csv", "mimeType": "text/csv"}
    with journey.step("upload a cohort with a mistake: the problems"):
        page.goto(service.url + "/provider/imports")
        page.locator('input[type="file"]').set_input_files(
            {**upload, "buffer": cohort_csv(f"tr{code}", with_mistakes=True, rows=8)}
        )
        page.locator('form[enctype] button[type="submit"]').click()
        expect(page.locator(".error-summary, [role=alert]").first).to_be_visible()
        assert_translated(journey, english[code], "the cohort's problems")
    with journey.step("upload it corrected: the preview"):
        page.locator('input[type="file"]').set_input_files(
            {**upload, "buffer": cohort_csv(f"tr{code}", with_mistakes=False, rows=8)}
        )
        page.locator('form[enctype] button[type="submit"]').click()
        expect(page.locator('form[action$="/confirm"]')).to_be_visible()
        assert_translated(journey, english[code], "the cohort's preview")
    with journey.step("confirm: the batch's progress"):
        page.locator('form[action$="/confirm"] button[type="submit"]').click()
        expect(page.locator("h1")).to_be_visible()
        assert re.search(r"/imports/\d+", page.url), page.url
        assert_translated(journey, english[code], "the import batch")


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_embassys_confirmation_page_is_translated(
    journey: Journey, service: LiveServer, english: dict[str, English], code: str
) -> None:
    page = journey.page
    with journey.step("sign in, choose the language, select a credential and ask to co-sign it"):
        sign_in(page, service, STAFF["embassy"][0])
        switch_language(page, code)
        page.goto(service.url + "/embassy/")
        page.locator('input[name="credential"]').first.check()
        page.locator('form[action$="/cosign/review"] button[type="submit"]').first.click()
        expect(page.locator('form[action$="/cosign"]')).to_be_visible()
        assert_translated(journey, english[code], "the confirmation page")
