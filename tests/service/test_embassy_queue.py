"""The embassy's co-sign queue at scale: filter by provider, qualification and issue date, search by name or
credential number, page through, and co-sign all that match after one confirmation, each all-or-nothing."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certsvc.accounts.organisations import create_organisation
from certsvc.store import db
from certsvc.store.models import AuditEntry, Credential, CredentialState, Organisation, OrgKind, Qualification, Role
from certsvc.store.signers import signer_for
from issuers import lifecycle
from issuers.issuance import LearnerData, issue_credential, register_learner

from .staff_pages import assert_error_summary_links, error_summary
from .support import KEK, PASSWORD, csrf_token, make_user
from .test_embassy_views import awaiting_of, cosign_selection, states
from .test_provider_views import BASE, EMBASSY_PH, credential_of, sign_in

TODAY = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
#: (provider slug, qualification, days before today, how many, name stem)
BATCHES = [
    ("klwa", "SMAW2", 45, 6, "Welder Santos"),
    ("klwa", "COOK2", 35, 4, "Cook Reyes"),
    ("pcc", "CARE3", 10, 5, "Carer Bautista"),
]
VIEWER = "viewer@ph-kl.example"


def _second_provider(session: object) -> Organisation:
    """Penang Care College: a second Malaysian provider, whose PH learners also go to the KL embassy."""
    provider = create_organisation(
        session,  # type: ignore[arg-type]
        slug="pcc",
        name="Penang Care College",
        kind=OrgKind.PROVIDER,
        country="MY",
        kek=KEK,
        now=TODAY - timedelta(days=90),
    )
    session.add(  # type: ignore[attr-defined]
        Qualification(
            provider_id=provider.id,
            code="CARE3",
            name="Elderly Care Level 3",
            description="SKM level 3 certificate in elderly care",
            framework="SKM",
            level="3",
            isco_code="5322",
            isco_title="Home-based personal care workers",
            asean_level=3,
        )
    )
    return provider


def issue_many(app: Flask, batches: list[tuple[str, str, int, int, str]]) -> dict[str, list[str]]:
    """Issue PH nationals' credentials at the given providers and dates; return their ids by name stem."""
    made: dict[str, list[str]] = {}
    with db.session_factory(app)() as session:
        if session.scalar(select(Organisation.id).where(Organisation.slug == "pcc")) is None:
            _second_provider(session)
            session.flush()
        for slug, code, days_ago, count, stem in batches:
            provider = session.scalar(select(Organisation).where(Organisation.slug == slug))
            assert provider is not None
            qualification = session.scalar(
                select(Qualification).where(Qualification.provider_id == provider.id, Qualification.code == code)
            )
            assert qualification is not None
            signer = signer_for(session, provider, KEK, BASE)
            for n in range(count):
                data = LearnerData(f"{stem} {n + 1}", date(1990, 1, 1 + n % 28), "PH", f"P{days_ago:02d}{n:05d}X")
                learner = register_learner(session, provider, data, actor="test")
                credential = issue_credential(
                    session, provider, learner, qualification, signer=signer, base_url=BASE,
                    now=TODAY - timedelta(days=days_ago, minutes=-n), actor="test",
                )  # fmt: skip
                made.setdefault(stem, []).append(credential.public_id)
        session.commit()
    return made


@pytest.fixture
def queue(demo: Flask) -> dict[str, list[str]]:
    return issue_many(demo, BATCHES)


def shown(page: str) -> str:
    """The page's text as a reader sees it: tags dropped, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def listed(page: str) -> set[str]:
    """The credentials a queue page offers to select."""
    return set(re.findall(r'name="credential" value="([0-9A-Z]+)"', page))


def test_filters_narrow_the_queue_and_say_how_many_match(
    demo: Flask, client: FlaskClient, queue: dict[str, list[str]]
) -> None:
    sign_in(client, EMBASSY_PH)
    everything = client.get("/embassy/").get_data(as_text=True)
    assert "16 credentials in the queue" in shown(everything)  # 15 new and the demo's Ana Lim Garcia
    with db.session_factory(demo)() as session:
        pcc = session.scalar(select(Organisation.id).where(Organisation.slug == "pcc"))
    assert f'<option value="{pcc}">Penang Care College (5)</option>' in everything

    by_provider = client.get(f"/embassy/?provider={pcc}").get_data(as_text=True)
    assert listed(by_provider) == set(queue["Carer Bautista"])
    assert "5 credentials match the filter" in shown(by_provider)
    # Once a provider is chosen, the qualifications offered are that provider's.
    assert "Elderly Care Level 3 (CARE3)" in by_provider and "Commercial Cookery (COOK2)" not in by_provider

    by_qualification = client.get("/embassy/?qualification=COOK2").get_data(as_text=True)
    assert listed(by_qualification) == set(queue["Cook Reyes"])

    start, end = (TODAY - timedelta(days=40)).date(), (TODAY - timedelta(days=30)).date()
    by_date = client.get(f"/embassy/?issued_from={start}&issued_until={end}").get_data(as_text=True)
    assert listed(by_date) == set(queue["Cook Reyes"])
    assert f'value="{start}"' in by_date  # the filter stays filled in

    combined = client.get(f"/embassy/?provider={pcc}&qualification=COOK2").get_data(as_text=True)
    assert listed(combined) == set() and "No credential matches the filter." in combined


def test_search_by_name_or_credential_number(demo: Flask, client: FlaskClient, queue: dict[str, list[str]]) -> None:
    sign_in(client, EMBASSY_PH)
    assert listed(client.get("/embassy/?q=welder+santos").get_data(as_text=True)) == set(queue["Welder Santos"])
    assert listed(client.get("/embassy/?q=SANTOS+3").get_data(as_text=True)) == {queue["Welder Santos"][2]}
    assert listed(client.get("/embassy/?q=Bautista").get_data(as_text=True)) == set(queue["Carer Bautista"])
    wanted = queue["Cook Reyes"][1]
    for typed in (wanted, wanted.lower(), wanted[:4], f" {wanted[:4]}-{wanted[4:]} "):
        found = listed(client.get("/embassy/", query_string={"q": typed}).get_data(as_text=True))
        assert wanted in found, typed
    assert listed(client.get("/embassy/?q=100%25").get_data(as_text=True)) == set()  # LIKE wildcards are literal
    # Another country's nationals never show, whatever is searched.
    mm = awaiting_of(demo, "MM")[0]
    assert listed(client.get("/embassy/", query_string={"q": mm}).get_data(as_text=True)) == set()


def test_the_pager_keeps_the_filter(demo: Flask, client: FlaskClient) -> None:
    issue_many(demo, [("klwa", "SMAW2", 5, 55, "Many Dela Cruz")])
    sign_in(client, EMBASSY_PH)
    first = client.get("/embassy/?q=dela+cruz&qualification=SMAW2").get_data(as_text=True)
    assert "55 credentials match the filter · showing 1 to 50" in shown(first)
    link = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert link is not None
    second = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "showing 51 to 55" in shown(second) and len(listed(second)) == 5
    assert not listed(first) & listed(second)


def test_cosign_all_matching_after_one_confirmation(
    demo: Flask, client: FlaskClient, queue: dict[str, list[str]]
) -> None:
    token = sign_in(client, EMBASSY_PH)
    queue_page = client.get("/embassy/?qualification=SMAW2").get_data(as_text=True)
    link = re.search(r'<a id="select-all-matching" href="([^"]+)">\s*Co-sign all 6 credentials matching', queue_page)
    assert link is not None
    confirm = client.get(link.group(1).replace("&amp;", "&"))
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Co-sign 6 credentials?" in page
    assert "Qualification: <strong>Shielded Metal Arc Welding (SMAW2)</strong>" in page
    assert all(public_id in page for public_id in queue["Welder Santos"])
    assert all(
        states(demo, queue["Welder Santos"])[p] is CredentialState.AWAITING_COSIGN for p in queue["Welder Santos"]
    )

    # Meanwhile a colleague co-signs one of them, and a new one matching the filter arrives.
    colleague = demo.test_client()
    colleague_token = sign_in(colleague, EMBASSY_PH)
    assert cosign_selection(colleague, colleague_token, [queue["Welder Santos"][0]]).status_code == 302
    late = issue_many(demo, [("klwa", "SMAW2", 1, 1, "Late Arrival")])["Late Arrival"]

    form = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page))
    assert form["scope"] == "all" and form["qualification"] == "SMAW2" and form["expected"] == "6"
    response = client.post("/embassy/cosign", data={**form, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/embassy/?qualification=SMAW2"
    assert set(states(demo, queue["Welder Santos"]).values()) == {CredentialState.COSIGNED}
    assert credential_of(demo, late[0]).state is CredentialState.AWAITING_COSIGN  # not shown, not touched
    assert set(states(demo, queue["Cook Reyes"]).values()) == {CredentialState.AWAITING_COSIGN}
    summary = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "5 credentials co-signed. 1 of those you confirmed was no longer awaiting co-signature" in shown(summary)
    with db.session_factory(demo)() as session:
        audited = session.scalars(
            select(AuditEntry.subject).where(
                AuditEntry.action == "credential.cosigned", AuditEntry.subject.in_(queue["Welder Santos"])
            )
        ).all()
        assert sorted(audited) == sorted(queue["Welder Santos"])  # once each, the colleague's included


def test_ticked_credentials_are_co_signed_after_one_confirmation(
    demo: Flask, client: FlaskClient, queue: dict[str, list[str]]
) -> None:
    token = sign_in(client, EMBASSY_PH)
    ticked = queue["Carer Bautista"][:3]
    page = client.get("/embassy/").get_data(as_text=True)
    assert 'action="/embassy/cosign/review"' in page and 'method="get"' in page
    review = client.get("/embassy/cosign/review", query_string={"credential": ticked, "q": "Bautista"})
    confirm = review.get_data(as_text=True)
    assert review.status_code == 200 and "Co-sign 3 credentials?" in shown(confirm)
    assert "the 3 credentials you selected" in shown(confirm)
    assert set(re.findall(r'<input type="hidden" name="credential" value="([0-9A-Z]+)">', confirm)) == set(ticked)
    assert set(states(demo, ticked).values()) == {CredentialState.AWAITING_COSIGN}  # asking changes nothing
    data = {"csrf_token": token, "credential": ticked, "q": "Bautista"}
    response = client.post("/embassy/cosign", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/embassy/?q=Bautista"
    assert set(states(demo, ticked).values()) == {CredentialState.COSIGNED}
    assert credential_of(demo, queue["Carer Bautista"][3]).state is CredentialState.AWAITING_COSIGN

    nothing = client.get("/embassy/cosign/review?q=Bautista")
    summary = assert_error_summary_links(nothing.get_data(as_text=True), [])
    assert nothing.status_code == 400 and summary.targets == [f"select-{queue['Carer Bautista'][3]}"]
    mm = awaiting_of(demo, "MM")[0]
    assert client.get("/embassy/cosign/review", query_string={"credential": [ticked[0], mm]}).status_code == 404
    too_many = client.get("/embassy/cosign/review", query_string={"credential": [f"X{n:07d}" for n in range(201)]})
    assert too_many.status_code == 400


def test_each_credential_is_all_or_nothing(demo: Flask, client: FlaskClient, queue: dict[str, list[str]]) -> None:
    """One credential that cannot be co-signed (suspended by its provider meanwhile) leaves the others going."""
    token = sign_in(client, EMBASSY_PH)
    ids = queue["Cook Reyes"]
    with db.session_factory(demo)() as session:
        provider = session.scalar(select(Organisation).where(Organisation.slug == "klwa"))
        target = session.scalar(select(Credential).where(Credential.public_id == ids[2]))
        assert provider is not None and target is not None
        lifecycle.suspend(session, provider, target, "Under review.", now=TODAY, actor="test")
        session.commit()
    response = cosign_selection(client, token, ids)
    assert response.status_code == 302
    got = states(demo, ids)
    assert got[ids[2]] is CredentialState.SUSPENDED
    assert [got[i] for i in ids if i != ids[2]] == [CredentialState.COSIGNED] * 3
    with db.session_factory(demo)() as session:
        suspended = session.scalar(select(Credential).where(Credential.public_id == ids[2]))
        assert suspended is not None and suspended.cosign_jws is None and suspended.embassy_id is not None
    page = client.get("/embassy/").get_data(as_text=True)
    assert f"3 credentials co-signed. 1 was left as it was: 1 suspended by the provider ({ids[2]})." in shown(page)


def test_confirming_needs_a_valid_bound_and_something_to_cosign(
    demo: Flask, client: FlaskClient, queue: dict[str, list[str]]
) -> None:
    token = sign_in(client, EMBASSY_PH)
    assert client.get("/embassy/cosign/all?q=nobody+at+all").status_code == 400
    data = {"csrf_token": token, "scope": "all", "q": "Cook Reyes"}
    for bound in ("", "-1", "1e9", "١٢", "9" * 30):
        response = client.post("/embassy/cosign", data={**data, "up_to": bound})
        assert response.status_code == 400, bound
    assert set(states(demo, queue["Cook Reyes"]).values()) == {CredentialState.AWAITING_COSIGN}
    assert client.post("/embassy/cosign", data={**data, "up_to": "0"}).status_code == 409  # nothing that old
    assert client.post("/embassy/cosign", data={"scope": "all", "q": "Cook", "up_to": "99"}).status_code == 400


def test_bad_filters_are_reported_and_ignored(demo: Flask, client: FlaskClient, queue: dict[str, list[str]]) -> None:
    sign_in(client, EMBASSY_PH)
    response = client.get("/embassy/?issued_from=2026-13-01&provider=abc&q=" + "x" * 101)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    summary = assert_error_summary_links(page, ["issued_from", "provider", "q"])
    assert "Issued from: Enter a date as YYYY-MM-DD." in summary.text_for("issued_from")
    assert len(listed(page)) == 16  # a filter that failed narrows nothing
    # Values past what a database column or a date can hold are refused, never looked up.
    for args, field in (
        ({"provider": "9" * 30}, "provider"),
        ({"provider": str(2**63)}, "provider"),
        ({"issued_until": "9999-12-31"}, "issued_until"),
        ({"issued_from": "0001-01-01"}, "issued_from"),
    ):
        refused = client.get("/embassy/", query_string=args)
        assert refused.status_code == 200, args
        assert_error_summary_links(refused.get_data(as_text=True), [field])
        assert len(listed(refused.get_data(as_text=True))) == 16
    token = csrf_token(client, "/embassy/")
    long_ids = {"csrf_token": token, "credential": ["X" * 10_000]}
    assert client.post("/embassy/cosign", data=long_ids).status_code == 404
    assert client.get("/embassy/cosign/review", query_string={"credential": "Y" * 5000}).status_code == 404
    backwards = client.get("/embassy/?issued_from=2026-05-01&issued_until=2026-04-01").get_data(as_text=True)
    assert "The end date is before the start date." in backwards
    # NUL bytes reach no query (PostgreSQL refuses them in text): the whole address is refused, clearly.
    nul = client.get("/embassy/", query_string={"q": "Welder\x00 Santos", "qualification": "SMAW2\x00"})
    assert nul.status_code == 400 and "characters that are not allowed" in nul.get_data(as_text=True)
    script = client.get("/embassy/", query_string={"q": "<script>alert(1)</script>"}).get_data(as_text=True)
    assert "<script>alert(1)" not in script and "&lt;script&gt;alert(1)&lt;/script&gt;" in script
    assert error_summary(script) is None


def test_a_viewer_sees_the_queue_without_any_action(demo: Flask, queue: dict[str, list[str]]) -> None:
    with db.session_factory(demo)() as session:
        embassy = session.scalar(select(Organisation).where(Organisation.slug == "ph-kl"))
        assert embassy is not None
        make_user(session, embassy, VIEWER, Role.VIEWER)
        session.commit()
    viewer = demo.test_client()
    sign_in(viewer, VIEWER, PASSWORD)
    page = viewer.get("/embassy/").get_data(as_text=True)
    assert "16 credentials in the queue" in shown(page) and "Welder Santos 1" in page
    assert listed(page) == set() and "Co-sign selected credentials" not in page and "select-all-matching" not in page
    assert viewer.get("/embassy/cosign/all").status_code == 403
    assert viewer.get("/embassy/cosign/review", query_string={"credential": queue["Cook Reyes"][0]}).status_code == 403
    detail = viewer.get(f"/embassy/credentials/{queue['Cook Reyes'][0]}").get_data(as_text=True)
    assert "<button" not in detail.split("<main>", 1)[1]


def test_the_phone_layout_names_every_cell_and_keeps_the_action(
    demo: Flask, client: FlaskClient, queue: dict[str, list[str]]
) -> None:
    sign_in(client, EMBASSY_PH)
    page = client.get("/embassy/").get_data(as_text=True)
    assert '<table class="stack">' in page
    for label in ("Credential id", "Qualification", "Provider", "Issued"):
        assert f'data-label="{label}"' in page
    assert page.count('<td class="row-action"><a href="/embassy/credentials/') == 16
    assert awaiting_of(demo, "PH")  # the demo world is in place
