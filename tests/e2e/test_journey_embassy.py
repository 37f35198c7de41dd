"""The embassy officer's whole job in a browser, on a phone and on a laptop, through its pages only.

Filter a long queue, co-sign all that match after one confirmation, select all on a page
and co-sign them (confirmed once too), reject one with a reason from the list (after forgetting to choose one),
and withdraw a co-signature. Every page is checked for console errors and serious
accessibility problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from certsvc.store.models import Credential, CredentialState, Organisation, Qualification
from certsvc.store.signers import signer_for
from issuers.issuance import LearnerData, issue_credential, register_learner

from .conftest import KEK, PH_PROVIDER, LiveServer, running_service
from .journeys import Journey, journey, viewport

__all__ = ["journey", "viewport"]  # the shared fixtures, used by name

EMBASSY_LOGIN = "officer@ph-kl.example"
#: The queue this journey works through, by qualification: how many wait.
WAITING = {"COOK2": 8, "SMAW2": 4}
#: Others in the queue that the filter must leave out.
OTHERS = 60


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A service of this module's own, its queue long enough to page."""
    with running_service(tmp_path_factory.mktemp("embassy-journey")) as live:
        _wait(live, "Queue Filler", {"CARE2": OTHERS}, days_ago=40)
        yield live


def _wait(live: LiveServer, stem: str, counts: dict[str, int], days_ago: int) -> list[str]:
    """Credentials of PH nationals from the KL provider, waiting for the embassy (the provider's work, done)."""
    made = []
    now = datetime.now(UTC) - timedelta(days=days_ago)
    with live.session() as session:
        provider = session.scalar(select(Organisation).where(Organisation.slug == PH_PROVIDER))
        assert provider is not None
        signer = signer_for(session, provider, KEK, live.url)
        for code, count in counts.items():
            qualification = session.scalar(
                select(Qualification).where(Qualification.provider_id == provider.id, Qualification.code == code)
            )
            assert qualification is not None
            for n in range(count):
                data = LearnerData(
                    f"{stem} {code} {n + 1}", date(1991, 3, 1) + timedelta(days=n), "PH", f"E{code}{n:05d}{stem[:3]}"
                )
                learner = register_learner(session, provider, data, actor="journey setup")
                credential = issue_credential(
                    session, provider, learner, qualification, signer=signer, base_url=live.url,
                    now=now + timedelta(minutes=len(made)), actor="journey setup",
                )  # fmt: skip
                made.append(credential.public_id)
        session.commit()
    return made


def _states(live: LiveServer, ids: list[str]) -> dict[str, CredentialState]:
    with live.session() as session:
        return dict(
            session.execute(select(Credential.public_id, Credential.state).where(Credential.public_id.in_(ids))).all()
        )


def test_the_embassy_does_its_whole_job(journey: Journey) -> None:
    page, size = journey.page, journey.size
    stem = f"Embassy {size.title()}"
    mine = _wait(journey.live, stem, WAITING, days_ago=30)
    cooks, welders = mine[: WAITING["COOK2"]], mine[WAITING["COOK2"] :]

    with journey.step("sign in and land on the queue"):
        page.goto(journey.url + "/embassy/")
        journey.sign_in(EMBASSY_LOGIN)
        expect(page.get_by_role("heading", name="Co-sign queue", level=1)).to_be_visible()
        expect(page.get_by_role("status").filter(has_text="credentials in the queue")).to_be_visible()
        expect(page.get_by_role("link", name="Next page")).to_be_visible()  # more than a page waits
        journey.check_page("the co-sign queue")

    with journey.step("filter the queue"):
        filters = page.get_by_role("search", name="Filter the queue")
        filters.get_by_label("Name or credential number").fill(stem.lower())
        filters.get_by_label("Qualification").select_option(label="Commercial Cookery (COOK2)")
        filters.get_by_role("button", name="Apply filters").click()
        expect(page.get_by_role("status").filter(has_text="8 credentials match the filter")).to_be_visible()
        rows = page.get_by_role("region", name="Credentials awaiting co-signature").get_by_role("row")
        expect(rows).to_have_count(1 + WAITING["COOK2"])
        expect(page.get_by_role("link", name="Next page")).to_have_count(0)
        first_review = page.get_by_role("link", name=f"Review {cooks[0]}")
        expect(first_review).to_be_visible()
        box = first_review.bounding_box()
        assert box is not None and box["x"] + box["width"] <= page.viewport_size["width"], "the action is off-screen"
        journey.check_page("the filtered queue")

    with journey.step("co-sign all that match, after one confirmation"):
        page.get_by_role("link", name="Co-sign all 8 credentials matching the filter…").click()
        expect(page.get_by_role("heading", name="Co-sign 8 credentials?")).to_be_visible()
        expect(page.get_by_text("Commercial Cookery (COOK2)")).to_be_visible()
        journey.check_page("the confirmation")
        page.get_by_role("button", name="Co-sign 8 credentials").click()
        expect(page.get_by_role("status").filter(has_text="8 credentials co-signed.")).to_be_visible()
        expect(page.get_by_role("status").filter(has_text="No credential matches the filter.")).to_be_visible()
        assert set(_states(journey.live, cooks).values()) == {CredentialState.COSIGNED}
        assert set(_states(journey.live, welders).values()) == {CredentialState.AWAITING_COSIGN}
        journey.check_page("the queue after co-signing")

    with journey.step("reject one, forgetting the reason at first"):
        filters = page.get_by_role("search", name="Filter the queue")
        filters.get_by_label("Qualification").select_option(label="All qualifications")
        filters.get_by_role("button", name="Apply filters").click()
        expect(page.get_by_role("status").filter(has_text="4 credentials match the filter")).to_be_visible()
        page.get_by_role("link", name=f"Review {welders[0]}").click()
        expect(page.get_by_role("heading", name=re.compile(f"Credential {welders[0]}"))).to_be_visible()
        reject = page.get_by_role("form", name="Reject")
        reject.get_by_label("Note for the provider").fill("The attendance sheet shows 40 of 120 hours.")
        reject.get_by_role("button", name="Reject").click()
        summary = page.get_by_role("alert").filter(has_text="There is a problem")
        expect(summary).to_be_focused()
        journey.check_page("the reject form with an error")
        summary.get_by_role("link", name="Reason: Choose a reason.").click()
        expect(page.get_by_label("The holder's identity could not be confirmed")).to_be_focused()
        reject = page.get_by_role("form", name="Reject")
        reject.get_by_label("Training hours or attendance do not match the records").check()
        expect(reject.get_by_label("Note for the provider")).to_have_value(
            "The attendance sheet shows 40 of 120 hours."
        )
        reject.get_by_role("button", name="Reject").click()
        expect(page.get_by_role("status").filter(has_text=f"Credential {welders[0]} rejected.")).to_be_visible()
        assert _states(journey.live, [welders[0]])[welders[0]] is CredentialState.REJECTED

    with journey.step("select all on the page and co-sign them"):
        filters = page.get_by_role("search", name="Filter the queue")
        filters.get_by_label("Name or credential number").fill(stem)
        filters.get_by_role("button", name="Apply filters").click()
        expect(page.get_by_role("status").filter(has_text="3 credentials match the filter")).to_be_visible()
        page.get_by_label("Select all 3 on this page").check()
        expect(page.get_by_text("3 selected")).to_be_visible()
        journey.check_page("three selected")
        page.get_by_role("button", name="Co-sign selected credentials").click()
        expect(page.get_by_role("heading", name="Co-sign 3 credentials?")).to_be_visible()
        for public_id in welders[1:]:
            expect(page.get_by_role("row", name=re.compile(public_id))).to_be_visible()
        page.get_by_role("button", name="Co-sign 3 credentials").click()
        expect(page.get_by_role("status").filter(has_text="3 credentials co-signed.")).to_be_visible()
        assert set(_states(journey.live, welders[1:]).values()) == {CredentialState.COSIGNED}

    with journey.step("withdraw a co-signature"):
        page.get_by_role("link", name="Co-signed credentials").click()
        search = page.get_by_role("search", name="Search co-signed credentials")
        search.get_by_label("Name or credential number").fill(cooks[3])
        search.get_by_role("button", name="Search").click()
        listed = page.get_by_role("region", name="Co-signed credentials")
        expect(listed.get_by_role("row")).to_have_count(2)
        journey.check_page("the co-signed credentials found")
        listed.get_by_role("link", name=f"Withdraw co-signature {cooks[3]}").click()
        expect(page.get_by_role("heading", name="Withdraw co-signature")).to_be_visible()
        page.get_by_label("Reason").fill("The worker's nationality record is being corrected.")
        page.get_by_role("button", name="Withdraw co-signature").click()
        expect(
            page.get_by_role("status").filter(has_text=f"Co-signature of credential {cooks[3]} withdrawn.")
        ).to_be_visible()
        expect(page.get_by_role("row", name=re.compile(cooks[3])).get_by_text("Co-signature withdrawn")).to_be_visible()
        journey.check_page("the co-signed credentials after a withdrawal")


def test_signing_in_from_the_sign_in_page_lands_on_the_queue(journey: Journey) -> None:
    journey.page.goto(journey.url + "/login")
    journey.sign_in(EMBASSY_LOGIN)
    expect(journey.page).to_have_url(re.compile(r"/embassy/$"), timeout=3_000)
