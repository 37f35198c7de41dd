"""Rejection reasons come from a fixed list, so that the authority can count them: the domain rule, the
migration of earlier free-text reasons to "other", and the indicators counting by code."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from certsvc.demo.seed import seed
from certsvc.store import db, db_commands
from certsvc.store.models import REJECTION_LABELS, Credential, CredentialState, Learner, Organisation, RejectionReason
from issuers import lifecycle
from issuers.lifecycle import NotYours, ReasonRequired, StateConflict, UnknownRejectionReason

from .support import CHEAP_HASHER, KEK, create_schema, drop_schema, require_postgres
from .test_embassy_views import issue_for_ph
from .test_provider_views import AUTHORITY, BASE, EMBASSY_PH, sign_in

NOW = datetime.now(UTC)


def _awaiting(session: Session, nationality: str = "PH") -> Credential:
    credential = session.scalar(
        select(Credential)
        .join(Learner, Credential.learner_id == Learner.id)
        .where(Credential.state == CredentialState.AWAITING_COSIGN, Learner.nationality == nationality)
        .order_by(Credential.id)
        .limit(1)
    )
    assert credential is not None
    return credential


def _org(session: Session, slug: str) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.slug == slug))
    assert found is not None
    return found


def test_reject_takes_a_code_of_the_list_and_a_note(demo: Flask) -> None:
    with db.session_factory(demo)() as session:
        embassy, credential = _org(session, "ph-kl"), _awaiting(session)
        for code, note, error in [
            ("hours", "x", UnknownRejectionReason),
            ("", "x", UnknownRejectionReason),
            (RejectionReason.OTHER, "   ", ReasonRequired),
            ("duplicate", "x" * 501, ReasonRequired),
        ]:
            with pytest.raises(error):
                lifecycle.reject(session, embassy, credential, code, note, now=NOW, actor="test")
            assert credential.state is CredentialState.AWAITING_COSIGN and credential.reject_code is None
        with pytest.raises(NotYours):  # another embassy's nationals, whatever the reason
            lifecycle.reject(session, _org(session, "mm-sg"), credential, "duplicate", now=NOW, actor="test")
        lifecycle.reject(session, embassy, credential, "provider_concern", "  ", now=NOW, actor="test")
        assert (credential.reject_code, credential.reject_reason) == ("provider_concern", None)
        with pytest.raises(StateConflict):
            lifecycle.reject(session, embassy, credential, "duplicate", now=NOW, actor="test")


def test_every_code_has_one_label_and_the_pages_say_the_same(demo: Flask, client: FlaskClient) -> None:
    assert set(REJECTION_LABELS) == set(RejectionReason) and list(REJECTION_LABELS)[-1] is RejectionReason.OTHER
    [public_id] = issue_for_ph(demo)
    sign_in(client, EMBASSY_PH)
    page = client.get(f"/embassy/credentials/{public_id}").get_data(as_text=True)
    labels = [label.replace("'", "&#39;") for label in REJECTION_LABELS.values()]
    positions = [page.index(label) for label in labels]
    assert positions == sorted(positions)  # offered in the list's order, "other" last
    template = (Path(__file__).parents[2] / "templates" / "staff" / "_reasons.html").read_text()
    for code, label in REJECTION_LABELS.items():
        assert f'"{code.value}": _("{label}")' in template  # the templates' copy of the labels cannot drift


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded_url(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    """A fresh database at the newest revision with the demo world."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'certsvc.sqlite3'}"
        schema = None
    else:
        require_postgres()
        schema, url = create_schema()
    db_commands.upgrade(url)
    engine = db.make_engine(url)
    with db.make_session_factory(engine)() as session:
        seed(session, kek=KEK, base_url=BASE, hasher=CHEAP_HASHER, now=NOW)
        session.commit()
    engine.dispose()
    yield url
    if schema:
        drop_schema(schema)


def _rejections(connection: Connection) -> dict[int, tuple[str | None, str | None]]:
    query = select(Credential.id, Credential.reject_code, Credential.reject_reason).where(
        Credential.state == "rejected"
    )
    return {row_id: (code, note) for row_id, code, note in connection.execute(query)}


def test_free_text_reasons_from_before_the_list_migrate_to_other(seeded_url: str) -> None:
    engine = db.make_engine(seeded_url)
    try:
        with db.make_session_factory(engine)() as session:  # a second rejection, coded without a note
            lifecycle.reject(session, _org(session, "ph-kl"), _awaiting(session), "duplicate", now=NOW, actor="test")
            session.commit()
        with engine.begin() as connection:
            before = _rejections(connection)
        assert sorted(before.values()) == [
            ("duplicate", None),
            ("training_record_mismatch", "Training hours in the record do not match the attendance sheet."),
        ]
        db_commands.downgrade(seeded_url, "0003")
        with engine.begin() as connection:
            # Before the list, a reason was free text; the one without a note keeps its code as its text.
            reasons = text("SELECT reject_reason FROM credentials WHERE state = 'rejected' ORDER BY reject_reason")
            assert list(connection.scalars(reasons)) == [
                "Training hours in the record do not match the attendance sheet.",
                "duplicate",
            ]
            connection.execute(text("UPDATE credentials SET reject_reason = 'Hours do not add up.' "
                                    "WHERE reject_reason <> 'duplicate' AND state = 'rejected'"))  # fmt: skip
        db_commands.upgrade(seeded_url)
        with engine.begin() as connection:
            after = _rejections(connection)
        assert sorted(after.values()) == [("other", "Hours do not add up."), ("other", "duplicate")]
        assert db_commands.current_revision(seeded_url) == db_commands.head_revision()
    finally:
        engine.dispose()


def test_the_indicators_count_by_code_and_publish_no_note(demo: Flask, client: FlaskClient) -> None:
    ids = issue_for_ph(demo, 4)
    token = sign_in(client, EMBASSY_PH)
    for public_id, code, note in [
        (ids[0], "duplicate", ""),
        (ids[1], "duplicate", "Same person as KLWA-17."),
        (ids[2], "other", "The worker asked us to wait."),
        (ids[3], "other", "The worker asked us to wait."),
    ]:
        data = {"reject-csrf_token": token, "reject-reason_code": code, "reject-reason": note}
        assert client.post(f"/embassy/credentials/{public_id}/reject", data=data).status_code == 302
    authority = demo.test_client()
    sign_in(authority, AUTHORITY)
    page = authority.get("/authority/indicators").get_data(as_text=True)
    # The demo's rejection (training record) plus two duplicates and two "other": one bar per code.
    rows = list(
        csv.reader(io.StringIO(authority.get("/authority/indicators/rejection-reasons.csv").get_data(as_text=True)))
    )
    assert rows == [
        ["Reason", "Rejections"],
        ["Duplicate of a credential already co-signed", "2"],
        ["Training hours or attendance do not match the records", "1"],
        ["Other reason (explain in the note)", "2"],
    ]
    assert "Other reasons, as the embassies wrote them" in page and "The worker asked us to wait." in page
    public = client.get("/indicators/ph-tesda").get_data(as_text=True)
    assert "Duplicate of a credential already co-signed" in public
    assert "The worker asked us to wait." not in public and "KLWA-17" not in public
