"""The catalogue the service publishes in its trust lists, and the QR codes that pin it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certsvc.credentials.trustlist import parse_trust_list
from certsvc.qr.transport import decode_qr_text
from certsvc.store import db
from certsvc.store.credential_records import qr_text_of
from certsvc.store.models import Credential, CredentialState, Qualification
from verifier.pipeline import verify

from .test_published_lists import _documents, _seed

NOW = datetime.now(UTC)
PREFIX_LENGTH = len("HTTPS://SKILLS.EXAMPLE.ORG/V#")


def _flags(text: str) -> int:
    digits = text.rpartition("#")[2]
    number = int(digits)
    return number.to_bytes((number.bit_length() + 7) // 8, "big")[1]


def test_published_trust_lists_carry_the_catalogue_and_codes_pin_it(app: Flask, client: FlaskClient) -> None:
    _seed(app)
    trust_lists, status_lists = _documents(client)
    assert all(t.catalogue for t in trust_lists)
    with app.app_context():
        credential = db.get_session().scalar(select(Credential).where(Credential.state == CredentialState.COSIGNED))
        assert credential is not None
        text = qr_text_of(credential, app.config["BASE_URL"])
        assert _flags(text) & 2  # pinned: the achievement did not travel
        assert verify(text, trust_lists, status_lists, NOW).status.value == "recognized"


def test_an_edited_qualification_keeps_the_entry_old_codes_pin(app: Flask, client: FlaskClient) -> None:
    _seed(app)
    client.get("/o/ph-tesda/trust-list")  # published
    with app.app_context():
        session = db.get_session()
        credential = session.scalar(
            select(Credential).where(Credential.state == CredentialState.COSIGNED, Credential.provider.has(slug="klwa"))
        )
        assert credential is not None
        old_text = qr_text_of(credential, app.config["BASE_URL"])
        qualification = session.scalar(
            select(Qualification).where(
                Qualification.provider_id == credential.provider_id,
                Qualification.code == credential.qualification_code,
            )
        )
        assert qualification is not None
        qualification.description = qualification.description + " (revised syllabus)"
        session.commit()
    newer = parse_trust_list(client.get("/o/ph-tesda/trust-list").get_data(as_text=True))
    first = parse_trust_list(client.get("/o/ph-tesda/trust-list/1").get_data(as_text=True))
    assert newer.sequence > first.sequence
    assert set(first.catalogue) < set(newer.catalogue)  # the old entry stays beside the new one
    assert decode_qr_text(old_text, [newer]).payload == decode_qr_text(old_text, [first]).payload
