"""Support for the verifier's service tests: a seeded database per backend and the seeded QR texts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from certsvc.app import create_app
from certsvc.demo.seed import seed
from certsvc.store import db, db_commands
from certsvc.store.credential_records import qr_text_of
from certsvc.store.models import Credential, Learner, Organisation

from .support import CHEAP_HASHER, KEK, settings_for

BASE = "https://skills.example.org"
PH_PROVIDER = "klwa"
#: No rate limit unless a test asks for one.
UNLIMITED = {"VERIFY_RATE_LIMIT": "100000 per minute", "VERIFY_BATCH_RATE_LIMIT": "100000 per minute"}


@dataclass
class Seeded:
    """A migrated, seeded database and the QR texts of its PH-corridor credentials by holder."""

    url: str
    qr: dict[str, str]

    def app(self, **overrides: Any) -> Flask:
        """A new app on this database (its own rate-limit counters and document cache)."""
        return create_app(settings_for(self.url, **{**UNLIMITED, **overrides}))


def seed_database(url: str) -> Seeded:
    """Seed the demo world into a migrated, empty database."""
    engine = db.make_engine(url)
    try:
        with db.make_session_factory(engine)() as session:
            seed(session, kek=KEK, base_url=BASE, hasher=CHEAP_HASHER, now=datetime.now(UTC))
            session.commit()
            rows = session.execute(
                select(Learner.name, Credential)
                .join(Credential, Credential.learner_id == Learner.id)
                .join(Organisation, Organisation.id == Credential.provider_id)
                .where(Organisation.slug == PH_PROVIDER)
            ).all()
            return Seeded(url, {name: qr_text_of(credential, BASE) for name, credential in rows})
    finally:
        engine.dispose()


@contextmanager
def seeded_sqlite(folder: Path, template: Path) -> Iterator[Seeded]:
    path = folder / "certsvc.sqlite3"
    shutil.copyfile(template, path)
    yield seed_database(f"sqlite:///{path}")


def migrated(url: str) -> None:
    db_commands.upgrade(url)
