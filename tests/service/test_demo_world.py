"""The demo's numbers add up: its catalogue, equivalences, overview counts and credentials are consistent."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certsvc.demo.catalogue import CORRIDORS
from certsvc.demo.seed import DEMO_PASSWORD, demo_claim, seed
from certsvc.store import db
from certsvc.store.models import (
    Accreditation,
    Credential,
    CredentialClaim,
    CredentialState,
    Equivalence,
    Learner,
    NationalQualification,
    Organisation,
    OrgKind,
    Qualification,
)

from .support import CHEAP_HASHER, KEK, login

BASE = "https://skills.example.org"
AUTHORITIES = [corridor.authority.slug for corridor in CORRIDORS]


def session_of(app: Flask) -> Session:
    return db.session_factory(app)()


def test_every_equivalence_maps_to_a_qualification_of_the_national_catalogue(demo: Flask) -> None:
    with session_of(demo) as session:
        rules = session.scalars(select(Equivalence)).all()
        assert rules
        for rule in rules:
            entry = session.scalar(
                select(NationalQualification).where(
                    NationalQualification.authority_id == rule.authority_id,
                    NationalQualification.code == rule.national_code,
                )
            )
            assert entry is not None, f"{rule.national_code} is not in its authority's catalogue"
            assert (entry.title, entry.framework) == (rule.national_title, rule.framework)
        # Every accredited qualification is recognised: each has its rule.
        accredited = set(session.scalars(select(Accreditation.qualification_id)))
        assert accredited == {rule.qualification_id for rule in rules}


@pytest.mark.parametrize("authority", AUTHORITIES)
def test_the_authority_overview_counts_what_its_tables_hold(demo: Flask, client: FlaskClient, authority: str) -> None:
    login(client, f"admin@{authority}.example", DEMO_PASSWORD)
    page = client.get("/authority/").get_data(as_text=True)
    shown = {label: int(n) for n, label in re.findall(r"<strong>(\d+)</strong>([^<]+)</a>", page)}
    with session_of(demo) as session:
        org = session.scalar(select(Organisation).where(Organisation.slug == authority))
        assert org is not None

        def count(model: type, *where: object) -> int:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        national = count(NationalQualification, NationalQualification.authority_id == org.id)
        rules = count(Equivalence, Equivalence.authority_id == org.id)
        distinct_targets = session.scalar(
            select(func.count(func.distinct(Equivalence.national_code))).where(Equivalence.authority_id == org.id)
        )
        assert shown["National qualifications"] == national == distinct_targets > 0
        assert shown["Equivalence rules"] == rules
        assert shown["Accreditations"] == count(Accreditation, Accreditation.authority_id == org.id)
    # The catalogue page lists as many as the overview says.
    catalogue = client.get("/authority/catalogue").get_data(as_text=True)
    for code in [q.national_code for c in CORRIDORS if c.authority.slug == authority for q in c.qualifications]:
        assert code in catalogue


def test_every_credential_state_is_there_to_try(demo: Flask) -> None:
    with session_of(demo) as session:
        states = set(session.scalars(select(Credential.state).distinct()))
        withdrawn = session.scalar(select(func.count()).where(Credential.withdrawn_at.is_not(None)))
        kinds = set(session.scalars(select(Credential.kind).distinct()))
    assert states == set(CredentialState)
    assert withdrawn
    assert {kind.value for kind in kinds} == {"training", "prior_skills"}


def test_learners_are_nationals_of_their_corridor_and_embassies_follow_the_co_signing_rule(demo: Flask) -> None:
    with session_of(demo) as session:
        for corridor in CORRIDORS:
            provider = session.scalar(select(Organisation).where(Organisation.slug == corridor.provider.slug))
            assert provider is not None
            learners = session.scalars(select(Learner).where(Learner.provider_id == provider.id)).all()
            assert learners and {learner.nationality for learner in learners} == {corridor.origin}
            credentials = session.scalars(select(Credential).where(Credential.provider_id == provider.id)).all()
            for credential in credentials:
                assert credential.embassy is not None
                assert credential.embassy.kind is OrgKind.EMBASSY
                assert credential.embassy.country == corridor.origin
                assert credential.embassy.host_country == provider.country
                qualification = session.scalar(
                    select(Qualification).where(
                        Qualification.provider_id == provider.id, Qualification.code == credential.qualification_code
                    )
                )
                assert qualification is not None
        # Burmese names print in their own script on the certificate: the demo has one.
        names = set(session.scalars(select(Learner.name)))
        assert any("\u1000" <= char <= "\u109f" for name in names for char in name)


def test_every_credential_can_be_claimed_and_the_printed_claim_is_unclaimed(demo: Flask) -> None:
    with session_of(demo) as session:
        credentials = session.scalar(select(func.count()).select_from(Credential))
        claims = session.scalar(select(func.count()).select_from(CredentialClaim))
        assert credentials == claims
        printed = demo_claim(session, KEK)
        assert printed is not None and printed.holder == "Maria Santos Dela Cruz"


def test_seeding_again_changes_no_count(demo: Flask) -> None:
    tables = (NationalQualification, Equivalence, Accreditation, Credential, Learner, Organisation, CredentialClaim)
    with session_of(demo) as session:
        before = [session.scalar(select(func.count()).select_from(t)) for t in tables]
        seed(session, kek=KEK, base_url=BASE, hasher=CHEAP_HASHER, now=datetime.now(UTC))
        session.commit()
        after = [session.scalar(select(func.count()).select_from(t)) for t in tables]
    assert before == after
