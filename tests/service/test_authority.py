"""Origin authorities: accreditation dates and trust-list versions end to end, embassies, the national
catalogue and equivalences, the audit trail, and who may administer what."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certsvc.authority import accreditations, embassies, national_catalogue, publishing
from certsvc.authority.changes import AuthorityConflict, AuthorityError, Change, NotFound
from certsvc.authority.national_catalogue import NationalQualificationData
from certsvc.credentials.statuslist import parse_status_list_token
from certsvc.credentials.trustlist import TrustList, parse_trust_list
from certsvc.demo.seed import DEMO_PASSWORD, seed
from certsvc.store import audit, db
from certsvc.store.credential_records import qr_text_of
from certsvc.store.models import (
    Accreditation,
    AuditEntry,
    Credential,
    Learner,
    NationalQualification,
    Organisation,
    OrgKind,
    Qualification,
    Role,
    TrustListVersion,
)
from certsvc.store.signers import signer_for
from certsvc.store.status_lists import status_list_token
from issuers import lifecycle
from issuers.issuance import LearnerData, issue_credential, register_learner
from verifier.pipeline import verify
from verifier.result import Verdict

from .support import CHEAP_HASHER, KEK, PASSWORD, csrf_token, login, make_user

BASE = "https://skills.example.org"
SEEDED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)  # the seed issues its samples 20 days earlier
CHECKED = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ADMIN = "admin@ph-tesda.example"


@pytest.fixture
def world(db_session: Session) -> Session:
    """The demo's three corridors, seeded on 2026-03-01 (trust lists at version 1)."""
    seed(db_session, kek=KEK, base_url=BASE, hasher=CHEAP_HASHER, now=SEEDED)
    db_session.commit()
    return db_session


def org(session: Session, slug: str) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.slug == slug))
    assert found is not None
    return found


def change(at: datetime, actor: str = ADMIN) -> Change:
    return Change(actor=actor, now=at, base_url=BASE, kek=KEK)


def accreditation_of(session: Session, provider: str, code: str) -> Accreditation:
    found = session.scalar(
        select(Accreditation)
        .join(Qualification, Qualification.id == Accreditation.qualification_id)
        .join(Organisation, Organisation.id == Qualification.provider_id)
        .where(Organisation.slug == provider, Qualification.code == code)
        .order_by(Accreditation.id.desc())
    )
    assert found is not None
    return found


def qualification_of(session: Session, provider: str, code: str) -> Qualification:
    return accreditation_of(session, provider, code).qualification


def credential_of(session: Session, holder: str) -> Credential:
    found = session.scalar(select(Credential).join(Learner).where(Learner.name == holder).order_by(Credential.id))
    assert found is not None
    return found


def issue(session: Session, code: str, on: datetime, *, cosign: bool = True, name: str = "Rosa Dizon") -> Credential:
    """Issue (and co-sign a day later) a KLWA credential for a new Filipino learner."""
    provider, embassy = org(session, "klwa"), org(session, "ph-kl")
    learner = register_learner(
        session, provider, LearnerData(name, date(1994, 1, 2), "PH", f"P{on:%m%d%H}X", "F"), actor="test"
    )
    signer = signer_for(session, provider, KEK, BASE)
    qualification = qualification_of(session, "klwa", code)
    credential = issue_credential(
        session, provider, learner, qualification, signer=signer, base_url=BASE, now=on, actor="test"
    )
    if cosign:
        cosigner = signer_for(session, embassy, KEK, BASE)
        lifecycle.cosign(session, embassy, credential, signer=cosigner, now=on + timedelta(days=1), actor="test")
    return credential


def published_status_lists(session: Session, trust_list: TrustList, at: datetime) -> dict[str, Any]:
    """Every provider's status list as published now, verified with the trust list's keys."""

    def lookup(kid: str) -> Any:
        found = trust_list.key(kid)
        return found[1].public if found else None

    lists = {}
    for slug in ("klwa",):
        token, _ = status_list_token(session, org(session, slug), 1, base_url=BASE, kek=KEK, now=at)
        verified = parse_status_list_token(token, lookup, at)
        lists[verified.uri] = verified
    return lists


def versions(session: Session, slug: str = "ph-tesda") -> list[TrustListVersion]:
    return publishing.trust_list_versions(session, org(session, slug))


def check(session: Session, credential: Credential, version: TrustListVersion) -> tuple[Verdict, list[str]]:
    trust_list = parse_trust_list(version.token)
    result = verify(
        qr_text_of(credential, BASE), [trust_list], published_status_lists(session, trust_list, CHECKED), CHECKED
    )
    return result.status, result.to_dict()["reasons"]


# -- accreditation dates, end to end through the verifier -----------------------------------


def test_credential_issued_before_an_accreditation_ends_stays_authentic_one_after_is_not(world: Session) -> None:
    tesda = org(world, "ph-tesda")
    before = credential_of(world, "Maria Santos Dela Cruz")  # SMAW2, issued 2026-02-09, co-signed
    assert before.qualification_code == "SMAW2"
    smaw = accreditation_of(world, "klwa", "SMAW2")
    accreditations.end_accreditation(
        world, tesda, smaw.id, date(2026, 2, 20), change(datetime(2026, 2, 21, tzinfo=UTC))
    )
    after = issue(world, "SMAW2", datetime(2026, 2, 25, 8, tzinfo=UTC))
    world.commit()

    v2, v1 = versions(world)
    assert (v2.sequence, v1.sequence) == (2, 1)
    assert parse_trust_list(v2.token).sequence == 2

    assert check(world, before, v2) == (Verdict.RECOGNIZED, [])
    status, reasons = check(world, after, v2)
    assert status is Verdict.INVALID
    assert "issuer_not_accredited" in reasons
    # Under version 1 the provider was still accredited on that day: the version decides.
    assert check(world, after, v1) == (Verdict.RECOGNIZED, [])


def test_suspension_covers_only_its_period_and_reinstatement_starts_a_new_accreditation(world: Session) -> None:
    tesda = org(world, "ph-tesda")
    care = accreditation_of(world, "klwa", "CARE2")
    accreditations.suspend_accreditation(world, tesda, care.id, date(2026, 3, 2), change(SEEDED))
    reinstated = accreditations.reinstate_accreditation(world, tesda, care.id, date(2026, 3, 6), change(SEEDED))
    issued = {day: issue(world, "CARE2", datetime(2026, 3, day, tzinfo=UTC), name=f"Worker {day}") for day in (1, 3, 7)}
    world.commit()

    current = versions(world)[0]
    assert current.sequence == 3
    assert reinstated.valid_from == date(2026, 3, 6) and reinstated.valid_until == care.valid_until
    assert check(world, issued[1], current)[0] is Verdict.RECOGNIZED
    assert "issuer_not_accredited" in check(world, issued[3], current)[1]  # issued while suspended
    assert check(world, issued[7], current)[0] is Verdict.RECOGNIZED


def test_every_change_signs_a_new_version_and_earlier_ones_stay(world: Session) -> None:
    tesda = org(world, "ph-tesda")
    first_token = versions(world)[0].token
    cook = qualification_of(world, "klwa", "COOK2")
    at = change(SEEDED)
    steps: list[Any] = [
        lambda: accreditations.end_accreditation(
            world, tesda, accreditation_of(world, "klwa", "COOK2").id, date(2026, 6, 30), at
        ),
        lambda: accreditations.accredit(world, tesda, [cook.id], date(2026, 7, 1), None, at),
        lambda: accreditations.suspend_accreditation(
            world, tesda, accreditation_of(world, "klwa", "COOK2").id, date(2026, 8, 1), at
        ),
        lambda: embassies.enrol_embassy(
            world, tesda, slug="ph-sg", name="Philippine Embassy Singapore", host_country="SG", change=at
        ),
        lambda: embassies.remove_embassy(world, tesda, org(world, "ph-sg").id, "Office closed.", at),
        lambda: embassies.reinstate_embassy(world, tesda, org(world, "ph-sg").id, at),
        lambda: national_catalogue.set_equivalence(
            world, tesda, cook.id, _national(world, tesda).id, at, note="Needs a practical test at home."
        ),
        lambda: national_catalogue.update_national_qualification(
            world,
            tesda,
            _national(world, tesda).id,
            NationalQualificationData("BREAD-NCII", "Bread and Pastry Production NC II (2026)", "PQF", "2", "7512"),
            at,
        ),
        lambda: national_catalogue.remove_equivalence(world, tesda, _rule(world, tesda, cook).id, at),
    ]
    sequence = versions(world)[0].sequence
    for step in steps:
        step()
        sequence += 1
        assert versions(world)[0].sequence == sequence, step
    world.commit()
    listed = versions(world)
    assert [v.sequence for v in listed] == list(range(sequence, 0, -1))
    assert listed[-1].token == first_token  # version 1 unchanged
    assert all(parse_trust_list(v.token).sequence == v.sequence for v in listed)


def test_several_qualifications_are_accredited_in_one_version(world: Session) -> None:
    nssa = org(world, "mm-nssa")
    codes = [qualification_of(world, "klwa", code).id for code in ("SMAW2", "COOK2")]
    granted = accreditations.accredit(world, nssa, codes, date(2026, 4, 1), date(2027, 3, 31), change(SEEDED))
    assert [a.qualification.code for a in granted] == ["SMAW2", "COOK2"]
    assert versions(world, "mm-nssa")[0].sequence == 2
    listed = parse_trust_list(versions(world, "mm-nssa")[0].token).organisation(f"{BASE}/o/klwa")
    assert listed is not None and len(listed.accreditations) == 2
    actions = world.scalars(select(AuditEntry.action).where(AuditEntry.org_id == nssa.id).order_by(AuditEntry.id))
    assert list(actions)[-3:] == ["accreditation.granted", "accreditation.granted", "trust_list.published"]


def test_a_catalogue_entry_alone_does_not_change_the_trust_list(world: Session) -> None:
    tesda = org(world, "ph-tesda")
    _national(world, tesda)
    assert versions(world)[0].sequence == 1


def test_removing_an_embassy_takes_its_cosignatures_out_of_recognition(world: Session) -> None:
    tesda, embassy = org(world, "ph-tesda"), org(world, "ph-kl")
    maria = credential_of(world, "Maria Santos Dela Cruz")
    embassies.remove_embassy(world, tesda, embassy.id, "Labour office moved.", change(SEEDED))
    removed = versions(world)[0]
    assert embassy.name not in [o.name for o in parse_trust_list(removed.token).organisations]
    status, reasons = check(world, maria, removed)
    # A co-signature by a key the trust list no longer holds cannot be told from a forgery: not valid.
    assert status is Verdict.INVALID and "cosigner_unknown_key" in reasons
    embassies.reinstate_embassy(world, tesda, embassy.id, change(SEEDED))
    assert check(world, maria, versions(world)[0])[0] is Verdict.RECOGNIZED


def test_a_new_embassy_is_enrolled_with_its_first_admin(world: Session) -> None:
    tesda = org(world, "ph-tesda")
    first = embassies.FirstAdmin("admin@ph-sg.example", "long enough password", CHEAP_HASHER)
    embassy = embassies.enrol_embassy(
        world,
        tesda,
        slug="ph-sg",
        name="Philippine Embassy Singapore",
        host_country="SG",
        change=change(SEEDED),
        first_admin=first,
    )
    assert (embassy.kind, embassy.country, embassy.host_country) == (OrgKind.EMBASSY, "PH", "SG")
    listed = parse_trust_list(versions(world)[0].token)
    assert any(o.name == embassy.name and o.keys for o in listed.organisations)
    assert [listing.embassy.slug for listing in embassies.list_embassies(world, tesda)] == ["ph-kl", "ph-sg"]


def test_updating_a_catalogue_entry_carries_into_the_rules_that_map_to_it(world: Session) -> None:
    tesda = org(world, "ph-tesda")
    entry = _national(world, tesda)
    cook = qualification_of(world, "klwa", "COOK2")
    national_catalogue.set_equivalence(world, tesda, cook.id, entry.id, change(SEEDED), level="3")
    national_catalogue.update_national_qualification(
        world,
        tesda,
        entry.id,
        NationalQualificationData("COOK-NC3", "Cookery NC III", "PQF", "3", "5120"),
        change(SEEDED),
    )
    rule = _rule(world, tesda, cook)
    assert (rule.national_code, rule.national_title, rule.level) == ("COOK-NC3", "Cookery NC III", "3")
    listed = parse_trust_list(versions(world)[0].token)
    assert listed.equivalence(f"{BASE}/o/klwa/q/COOK2").national_title == "Cookery NC III"
    with pytest.raises(AuthorityConflict):
        national_catalogue.delete_national_qualification(world, tesda, entry.id, change(SEEDED))


#: Changes the domain refuses, each with the error it raises (s: session, a: TESDA, acc: its SMAW2
#: accreditation, 2024-01-01 to 2030-12-31, q: that qualification).
INVALID: list[tuple[str, Any, type[Exception]]] = [
    (
        "ends-before-start",
        lambda s, a, acc, q: accreditations.accredit(s, a, [q.id], date(2026, 5, 1), date(2026, 4, 1), change(SEEDED)),
        AuthorityError,
    ),
    (
        "overlap",
        lambda s, a, acc, q: accreditations.accredit(s, a, [q.id], date(2029, 1, 1), None, change(SEEDED)),
        AuthorityConflict,
    ),
    (
        "end-before-start",
        lambda s, a, acc, q: accreditations.end_accreditation(s, a, acc.id, date(2023, 1, 1), change(SEEDED)),
        AuthorityError,
    ),
    (
        "suspend-after-end",
        lambda s, a, acc, q: accreditations.suspend_accreditation(s, a, acc.id, date(2031, 1, 1), change(SEEDED)),
        AuthorityError,
    ),
    (
        "not-suspended",
        lambda s, a, acc, q: accreditations.reinstate_accreditation(s, a, acc.id, date(2026, 5, 1), change(SEEDED)),
        AuthorityConflict,
    ),
    (
        "no-qualification",
        lambda s, a, acc, q: accreditations.accredit(s, a, [], date(2026, 1, 1), None, change(SEEDED)),
        AuthorityError,
    ),
    (
        "unknown-qualification",
        lambda s, a, acc, q: accreditations.accredit(s, a, [999_999], date(2026, 1, 1), None, change(SEEDED)),
        NotFound,
    ),
    (
        "isco-five-digits",
        lambda s, a, acc, q: national_catalogue.add_national_qualification(
            s, a, NationalQualificationData("X", "T", "PQF", "2", "72123"), change(SEEDED)
        ),
        AuthorityError,
    ),
    (
        "no-reason",
        lambda s, a, acc, q: embassies.remove_embassy(s, a, org(s, "ph-kl").id, " ", change(SEEDED)),
        AuthorityError,
    ),
]


def test_invalid_changes_are_refused_and_publish_nothing(world: Session) -> None:
    tesda = org(world, "ph-tesda")
    smaw = accreditation_of(world, "klwa", "SMAW2")
    for name, attempt, error in INVALID:
        with pytest.raises(error):
            attempt(world, tesda, smaw, smaw.qualification)
        world.rollback()
        assert versions(world)[0].sequence == 1, name


def test_an_authority_cannot_touch_another_countrys_records(world: Session) -> None:
    nssa, tesda = org(world, "mm-nssa"), org(world, "ph-tesda")
    smaw = accreditation_of(world, "klwa", "SMAW2")
    entry = _national(world, tesda)
    rule = national_catalogue.set_equivalence(world, tesda, smaw.qualification_id, entry.id, change(SEEDED))
    world.commit()
    at = change(SEEDED, "admin@mm-nssa.example")
    attempts = [
        lambda: accreditations.end_accreditation(world, nssa, smaw.id, date(2026, 3, 1), at),
        lambda: accreditations.suspend_accreditation(world, nssa, smaw.id, date(2026, 3, 1), at),
        lambda: embassies.remove_embassy(world, nssa, org(world, "ph-kl").id, "not ours", at),
        lambda: embassies.remove_embassy(world, nssa, org(world, "klwa").id, "a provider", at),
        lambda: national_catalogue.update_national_qualification(
            world, nssa, entry.id, NationalQualificationData("A", "B", "C", "1", "1"), at
        ),
        lambda: national_catalogue.delete_national_qualification(world, nssa, entry.id, at),
        lambda: national_catalogue.remove_equivalence(world, nssa, rule.id, at),
        lambda: national_catalogue.set_equivalence(world, nssa, smaw.qualification_id, entry.id, at),
        lambda: accreditations.end_accreditation(world, org(world, "klwa"), smaw.id, date(2026, 3, 1), at),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
        world.rollback()
    assert versions(world, "mm-nssa")[0].sequence == 1
    assert versions(world)[0].sequence == 2  # only tesda's own rule above


def test_each_change_is_audited_and_the_chain_holds(world: Session) -> None:
    tesda = org(world, "ph-tesda")
    start = world.scalar(select(func.max(AuditEntry.seq)))
    smaw = accreditation_of(world, "klwa", "SMAW2")
    at = change(SEEDED)
    accreditations.suspend_accreditation(world, tesda, smaw.id, date(2026, 4, 1), at)
    accreditations.reinstate_accreditation(world, tesda, smaw.id, date(2026, 5, 1), at)
    accreditations.end_accreditation(world, tesda, smaw.id, date(2026, 4, 15), at)
    embassies.remove_embassy(world, tesda, org(world, "ph-kl").id, "Moved.", at)
    entry = _national(world, tesda)
    national_catalogue.set_equivalence(world, tesda, smaw.qualification_id, entry.id, at)
    world.commit()
    entries = world.scalars(select(AuditEntry).where(AuditEntry.seq > start).order_by(AuditEntry.seq)).all()
    actions = [e.action for e in entries]
    assert actions == [
        "accreditation.suspended",
        "trust_list.published",
        "accreditation.reinstated",
        "trust_list.published",
        "accreditation.ended",
        "trust_list.published",
        "embassy.removed",
        "trust_list.published",
        "national_qualification.added",
        "equivalence.changed",
        "trust_list.published",
    ]
    assert {e.actor for e in entries} == {ADMIN} and {e.org_id for e in entries} == {tesda.id}
    suspended = entries[0]
    assert suspended.subject == f"klwa/SMAW2#{smaw.id}" and suspended.details["suspended_since"] == "2026-04-01"
    assert entries[6].details == {"reason": "Moved."}
    assert audit.verify_chain(world).ok


def _national(session: Session, tesda: Organisation) -> NationalQualification:
    existing = session.scalar(
        select(NationalQualification).where(
            NationalQualification.authority_id == tesda.id, NationalQualification.code == "BREAD-NCII"
        )
    )
    if existing is not None:
        return existing
    # Not one the demo seeds (its catalogue holds what its equivalences map to).
    data = NationalQualificationData("BREAD-NCII", "Bread and Pastry Production NC II", "PQF", "2", "7512")
    return national_catalogue.add_national_qualification(session, tesda, data, change(SEEDED))


def _rule(session: Session, tesda: Organisation, qualification: Qualification) -> Any:
    return next(
        r for r in national_catalogue.list_equivalences(session, tesda) if r.qualification_id == qualification.id
    )


# -- the pages ------------------------------------------------------------------------------


@pytest.fixture
def site(app: Flask) -> Flask:
    """The app with the demo world and a TESDA viewer."""
    with db.session_factory(app)() as session:
        seed(session, kek=KEK, base_url=app.config["BASE_URL"], hasher=CHEAP_HASHER, now=datetime.now(UTC))
        make_user(session, org(session, "ph-tesda"), "viewer@ph-tesda.example", Role.VIEWER)
        session.commit()
    return app


def password_of(email: str) -> str:
    return PASSWORD if email.startswith("viewer@") else DEMO_PASSWORD


def ids(app: Flask) -> dict[str, int]:
    with db.session_factory(app)() as session:
        return {
            "accreditation": accreditation_of(session, "klwa", "SMAW2").id,
            "embassy": org(session, "ph-kl").id,
            "provider": org(session, "klwa").id,
            "qualification": qualification_of(session, "klwa", "COOK2").id,
        }


READ_PAGES = [
    "/authority/",
    "/authority/accreditations",
    "/authority/embassies",
    "/authority/catalogue",
    "/authority/equivalences",
    "/authority/trust-list",
    "/authority/indicators",
    "/authority/indicators/issued-by-kind.csv",
]


#: Who gets what on every authority page: authorities (any role) see their own; others are refused.
READERS = {
    ADMIN: 200,
    "viewer@ph-tesda.example": 200,
    "admin@mm-nssa.example": 200,
    "officer@klwa.example": 403,
    "officer@ph-kl.example": 403,
    None: 302,
}


def test_only_authorities_see_the_authority_pages(site: Flask) -> None:
    for email, status in READERS.items():
        client = site.test_client()
        if email:
            login(client, email, password_of(email))
        for path in READ_PAGES:
            response = client.get(path)
            assert response.status_code == status, (email, path)
            if status == 302:
                assert "/login" in response.headers["Location"]


def _posts(known: dict[str, int]) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"/authority/accreditations/{known['accreditation']}/end", {"on": "2026-12-31"}),
        (f"/authority/accreditations/{known['accreditation']}/suspend", {"on": "2026-12-01"}),
        (f"/authority/embassies/{known['embassy']}/remove", {"reason": "no"}),
        (f"/authority/embassies/{known['provider']}/remove", {"reason": "no"}),
        ("/authority/accreditations", {"qualifications": str(known["qualification"]), "valid_from": "2031-01-01"}),
        ("/authority/catalogue", {"code": "X1", "title": "X", "framework": "PQF", "level": "1", "isco_code": "1"}),
    ]


#: Per user, the status of each change in _posts: TESDA's records by their ids, then new records.
WRITERS = {
    "admin@mm-nssa.example": [404, 404, 404, 404, 302, 302],  # others' ids unknown; its own records fine
    "viewer@ph-tesda.example": [403] * 6,
    "officer@klwa.example": [403] * 6,
    "officer@ph-kl.example": [403] * 6,
}


def test_changes_need_an_editor_of_the_same_country(site: Flask) -> None:
    known = ids(site)
    for email, expected in WRITERS.items():
        client = site.test_client()
        login(client, email, password_of(email))
        token = csrf_token(client, "/account/tokens")
        got = [client.post(path, data={**data, "csrf_token": token}).status_code for path, data in _posts(known)]
        assert got == expected, email
    with db.session_factory(site)() as session:
        assert versions(session)[0].sequence == 1  # TESDA's list untouched
        assert versions(session, "mm-nssa")[0].sequence == 2  # NSSA accredited for itself


def test_an_admin_administers_through_the_pages(site: Flask, client: FlaskClient) -> None:
    known = ids(site)
    login(client, ADMIN, DEMO_PASSWORD)
    first = client.get("/o/ph-tesda/trust-list/1").get_data(as_text=True)

    def post(path: str, **data: str) -> Any:
        return client.post(path, data={**data, "csrf_token": csrf_token(client, "/authority/catalogue")})

    response = post(
        "/authority/catalogue",
        code="BREAD-NCII",
        title="Bread and Pastry Production NC II",
        framework="PQF",
        level="2",
        isco_code="7512",
    )
    assert response.status_code == 302
    with db.session_factory(site)() as session:
        national_id = _national(session, org(session, "ph-tesda")).id
    response = post(
        "/authority/equivalences",
        qualification=str(known["qualification"]),
        national=str(national_id),
        level="",
        note="Practical test on return.",
    )
    assert response.status_code == 302
    assert "Trust list version 2 is current." in client.get("/authority/equivalences").get_data(as_text=True)
    assert post(f"/authority/accreditations/{known['accreditation']}/suspend", on="2026-12-01").status_code == 302
    overlap = post("/authority/accreditations", qualifications=str(known["qualification"]), valid_from="2027-01-01")
    assert overlap.status_code == 409 and "overlap" in overlap.get_data(as_text=True)
    bad = post(f"/authority/accreditations/{known['accreditation']}/end", on="not a date")
    assert bad.status_code == 400

    page = client.get("/authority/trust-list").get_data(as_text=True)
    assert "/o/ph-tesda/trust-list/3" in page and "/o/ph-tesda/trust-list/1" in page
    assert client.get("/o/ph-tesda/trust-list/1").get_data(as_text=True) == first
    latest = parse_trust_list(client.get("/o/ph-tesda/trust-list").get_data(as_text=True))
    assert latest.sequence == 3
    rule = latest.equivalence(f"{site.config['BASE_URL']}/o/klwa/q/COOK2")
    assert rule is not None and rule.note == "Practical test on return."
    accredited = latest.organisation(f"{site.config['BASE_URL']}/o/klwa")
    assert accredited is not None
    assert {a.suspended_since for a in accredited.accreditations} >= {date(2026, 12, 1)}


def test_embassies_are_enrolled_and_removed_through_the_pages(site: Flask, client: FlaskClient) -> None:
    login(client, ADMIN, DEMO_PASSWORD)
    token = csrf_token(client, "/authority/embassies")
    response = client.post(
        "/authority/embassies",
        data={
            "name": "Philippine Embassy Singapore",
            "slug": "ph-sg",
            "host_country": "sg",
            "admin_email": "admin@ph-sg.example",
            "admin_password": "long enough password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    duplicate = client.post(
        "/authority/embassies", data={"name": "Again", "slug": "ph-sg", "host_country": "SG", "csrf_token": token}
    )
    assert duplicate.status_code == 409
    with db.session_factory(site)() as session:
        embassy = org(session, "ph-sg")
        assert embassy.host_country == "SG"
    removed = client.post(f"/authority/embassies/{embassy.id}/remove", data={"reason": "Closed.", "csrf_token": token})
    assert removed.status_code == 302
    page = client.get("/authority/embassies").get_data(as_text=True)
    assert "Closed." in page
    latest = parse_trust_list(client.get("/o/ph-tesda/trust-list").get_data(as_text=True))
    assert "Philippine Embassy Singapore" not in [o.name for o in latest.organisations]
    # The new embassy's admin can sign in.
    client.post("/logout", data={"csrf_token": token})
    assert login(client, "admin@ph-sg.example", "long enough password").status_code == 302
