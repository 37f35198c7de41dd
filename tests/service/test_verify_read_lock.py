"""Verifications only read: on SQLite they never wait for the write lock, and still see the last commit."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import make_url, select, text, update

from certsvc.credentials.identifiers import credential_uri
from certsvc.store import db
from certsvc.store.models import Credential, CredentialState
from verifier import counting, records

from .support import _connect, empty_database
from .verify_support import BASE, seed_database, seeded_sqlite

COSIGNED = "Maria Santos Dela Cruz"
#: Well below SQLite's busy timeout (15 s): a verification that waits for the lock misses it,
#: and one that does not has time to spare on a busy machine.
PATIENCE_SECONDS = 8.0


@pytest.fixture
def app_and_qr(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Flask, str]]:
    with seeded_sqlite(tmp_path, sqlite_template) as seeded:
        app = seeded.app()
        yield app, seeded.qr[COSIGNED]
        counting.counter(app).flush()
        db.dispose(app)


def _verify_in_thread(app: Flask, qr_text: str) -> tuple[threading.Thread, list[Any]]:
    answers: list[Any] = []

    def run() -> None:
        response = app.test_client().post("/api/v1/verify", json={"credential": qr_text})
        answers.append((response.status_code, response.get_json()))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, answers


def test_a_verification_does_not_wait_for_a_writer_holding_the_lock(app_and_qr: tuple[Flask, str]) -> None:
    app, qr_text = app_and_qr
    # Load the documents first: building them writes (a fresh trust list), and is not what is tested.
    assert app.test_client().post("/api/v1/verify", json={"credential": qr_text}).status_code == 200
    writer = db.session_factory(app).kw["bind"].connect()
    try:
        writer.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: this connection now holds the write lock
        thread, answers = _verify_in_thread(app, qr_text)
        thread.join(PATIENCE_SECONDS)
        assert answers, "the verification waited for the write lock"
        assert answers[0][0] == 200
        assert answers[0][1]["status"] == "recognized"
    finally:
        writer.rollback()
        writer.close()
        thread.join(30)


def test_a_verification_sees_a_revocation_committed_just_before(app_and_qr: tuple[Flask, str]) -> None:
    app, qr_text = app_and_qr
    client = app.test_client()
    assert client.post("/api/v1/verify", json={"credential": qr_text}).get_json()["status"] == "recognized"
    with db.session_factory(app)() as session:
        session.execute(update(Credential).values(state=CredentialState.REVOKED))
        session.commit()
    body = client.post("/api/v1/verify", json={"credential": qr_text}).get_json()
    assert body["status"] == "invalid"
    assert "revoked" in body["reasons"]


def test_dispose_closes_the_read_engine_too(app_and_qr: tuple[Flask, str]) -> None:
    app, _ = app_and_qr
    engine = records.read_engine(app)
    assert engine is not db.session_factory(app).kw["bind"]  # SQLite on a file: an engine of its own
    with engine.connect():
        pass
    assert engine.pool.checkedin() == 1
    db.dispose(app)
    assert engine.pool.checkedin() == 0


def test_a_verification_read_on_postgresql_leaves_no_transaction_open(postgres_url: str) -> None:
    # In autocommit the record's SELECT is all that goes to the server: no BEGIN before it and no
    # ROLLBACK when the connection goes back to the pool (two round trips of four, per verification).
    empty_database(postgres_url)
    name = f"certsvc-verify-read-{secrets.token_hex(4)}"
    url = make_url(postgres_url).update_query_dict({"application_name": name}).render_as_string(hide_password=False)
    seeded = seed_database(url)
    app = seeded.app()
    try:
        with db.session_factory(app)() as session:
            public_id = session.scalars(select(Credential.public_id)).first()
        db.dispose(app)  # only the verification's own connection is left to look at
        with app.test_request_context(), records.open_records() as lookup:
            assert lookup(credential_uri(BASE, str(public_id))) is not None
            with _connect() as observer:
                states = [row[0] for row in observer.execute(_STATES, (name,))]
        assert states == ["idle"]
    finally:
        db.dispose(app)


_STATES = "SELECT state FROM pg_stat_activity WHERE application_name = %s"
