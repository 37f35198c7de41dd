"""Support for the hostile-input tests: a seeded demo world per backend, signed-in clients and a data snapshot.

A refused request must change nothing, so one seeded database serves a whole module: after each
refusal ``snapshot`` (row counts of every table and the audit head) must be what it was, and
``dirty_text`` finds any NUL, U+FFFD or direction override that reached a text column.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import String, Text, func, select
from sqlalchemy.orm import Session

from certsvc.accounts import api_tokens
from certsvc.app import create_app
from certsvc.demo.seed import DEMO_PASSWORD, seed
from certsvc.store import db, db_commands
from certsvc.store.models import (
    Base,
    Credential,
    CredentialState,
    Learner,
    NationalQualification,
    Organisation,
    User,
)
from certsvc.wallet import claims, holders

from .support import (
    CHEAP_HASHER,
    KEK,
    create_schema,
    csrf_token,
    drop_schema,
    login,
    require_postgres,
    settings_for,
)

BASE = "https://skills.example.org"
PROVIDER = "officer@klwa.example"
EMBASSY = "officer@ph-kl.example"
AUTHORITY = "admin@ph-tesda.example"
WALLET_LOGIN = "+639170000001"
WALLET_PASSWORD = "wallet-password-2026"
#: What must never reach a text column.
DIRTY = ("\x00", "\ufffd", "\u202e")
UNLIMITED = {"VERIFY_RATE_LIMIT": "100000 per minute", "VERIFY_BATCH_RATE_LIMIT": "100000 per minute"}


@dataclass
class Hostile:
    """A seeded app, the ids its routes are called with, and a signed-in client per role."""

    app: Flask
    ids: dict[str, Any]
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    token: str = ""

    def client(self, role: str) -> FlaskClient:
        """A client signed in as ``role`` (provider, embassy, authority, wallet) or anonymous."""
        if role not in self.clients:
            self.clients[role] = _signed_in(self.app, role)
        return self.clients[role]


@contextmanager
def hostile_world(backend: str, folder: Path, sqlite_template: Path, **settings: Any) -> Iterator[Hostile]:
    """A migrated database with the demo world, a wallet holding a credential and an API token."""
    schema = None
    if backend == "sqlite":
        path = folder / "hostile.sqlite3"
        shutil.copyfile(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        require_postgres()
        schema, url = create_schema()
        db_commands.upgrade(url)
    app = create_app(settings_for(url, **{**UNLIMITED, **settings}))
    try:
        with db.session_factory(app)() as session:
            seed(session, kek=KEK, base_url=BASE, hasher=CHEAP_HASHER, now=datetime.now(UTC))
            ids = _ids(session)
            token = api_tokens.create_token(session, _user(session, PROVIDER), "hostile", actor="test").secret
            session.commit()
        yield Hostile(app, ids, token=token)
    finally:
        db.dispose(app)
        if schema is not None:
            drop_schema(schema)


def _user(session: Session, email: str) -> User:
    found = session.scalar(select(User).where(User.email == email))
    assert found is not None, email
    return found


def _ids(session: Session) -> dict[str, Any]:
    """The records the routes act on: a learner, credentials in each state, an embassy, catalogue entries."""

    def credential(state: CredentialState, slug: str = "klwa") -> Credential:
        found = session.scalar(
            select(Credential)
            .join(Organisation, Organisation.id == Credential.provider_id)
            .where(Organisation.slug == slug, Credential.state == state)
            .order_by(Credential.id)
            .limit(1)
        )
        assert found is not None, state
        return found

    awaiting, cosigned = credential(CredentialState.AWAITING_COSIGN), credential(CredentialState.COSIGNED)
    holder = holders.create_wallet_user(session, WALLET_LOGIN, WALLET_PASSWORD, hasher=CHEAP_HASHER)
    code, pin = claims.create_claim(session, cosigned, hasher=CHEAP_HASHER)
    claims.claim(session, code, pin, holder, hasher=CHEAP_HASHER)
    klwa = session.scalar(select(Organisation).where(Organisation.slug == "klwa"))
    embassy = session.scalar(select(Organisation).where(Organisation.slug == "ph-kl"))
    authority = session.scalar(select(Organisation).where(Organisation.slug == "ph-tesda"))
    assert klwa is not None and embassy is not None and authority is not None
    entry = NationalQualification(
        authority_id=authority.id,
        code="HOSTILE-NC2",
        title="Hostile trade",
        framework="PQF",
        level="2",
        isco_code="7212",
    )
    session.add(entry)
    session.flush()
    learner = session.scalar(select(Learner.id).where(Learner.provider_id == klwa.id).order_by(Learner.id).limit(1))
    return {
        "learner": learner,
        "awaiting": awaiting.public_id,
        "cosigned": cosigned.public_id,
        "embassy": embassy.id,
        "entry": entry.id,
        "qualification_code": awaiting.qualification_code,
    }


def _signed_in(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    emails = {"provider": PROVIDER, "embassy": EMBASSY, "authority": AUTHORITY}
    if role in emails:
        response = login(client, emails[role], DEMO_PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    elif role == "wallet":
        data = {"csrf_token": csrf_token(client, "/wallet/signin"), "login": WALLET_LOGIN, "password": WALLET_PASSWORD}
        response = client.post("/wallet/signin", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def snapshot(app: Flask) -> dict[str, Any]:
    """Row counts of every table and the audit head: what a refused request must leave as it was."""
    with db.session_factory(app)() as session:
        counts: dict[str, Any] = {
            table.name: session.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables
        }
        counts.pop("login_failures", None)  # sign-in attempts count on purpose, even refused ones
        return counts


def dirty_text(app: Flask) -> list[str]:
    """Every text column value that holds NUL, U+FFFD or a direction override, as ``table.column``."""
    found = []
    with db.session_factory(app)() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for column in columns:
                for value in session.scalars(select(column).where(column.is_not(None))):
                    if isinstance(value, str) and any(mark in value for mark in DIRTY):
                        found.append(f"{table.name}.{column.name}")
    return found
