"""The verifier's cached trust and status lists: built from the database, verified, refreshed by ttl."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from certsvc.store import db
from certsvc.store.models import Credential, Learner, Organisation
from verifier import counting
from verifier.documents import DocumentCache, PublishedDocuments, load_published, verify_documents
from verifier.pipeline import verify

from .support import KEK
from .verify_support import BASE, Seeded, seeded_sqlite

HOLDER = "Maria Santos Dela Cruz"


@pytest.fixture
def seeded(tmp_path: Path, sqlite_template: Path) -> Iterator[Seeded]:
    with seeded_sqlite(tmp_path, sqlite_template) as found:
        yield found


@pytest.fixture
def make_app(seeded: Seeded) -> Iterator[Any]:
    made: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        made.append(seeded.app(**overrides))
        return made[-1]

    yield build
    for app in made:
        counting.counter(app).flush()
        db.dispose(app)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def revoke(app: Flask, holder: str) -> None:
    from issuers import lifecycle

    with db.session_factory(app)() as session:
        credential = session.scalar(
            select(Credential)
            .join(Learner, Learner.id == Credential.learner_id)
            .join(Organisation, Organisation.id == Credential.provider_id)
            .where(Learner.name == holder, Organisation.slug == "klwa")
        )
        assert credential is not None
        lifecycle.revoke(session, credential.provider, credential, "test", now=datetime.now(UTC), actor="test")
        session.commit()


def loader(app: Flask, calls: list[int]) -> Any:
    def load() -> PublishedDocuments:
        calls.append(1)
        with db.session_factory(app)() as session:
            published = load_published(session, base_url=BASE, kek=KEK, now=datetime.now(UTC))
            session.commit()
            return published

    return load


def status_of(cache: DocumentCache, text: str) -> str:
    documents = cache.get()
    return verify(text, documents.trust_lists, documents.status_lists, datetime.now(UTC)).status.value


def test_documents_are_the_published_ones_verified(make_app: Any, seeded: Seeded) -> None:
    app = make_app()
    with db.session_factory(app)() as session:
        published = load_published(session, base_url=BASE, kek=KEK, now=datetime.now(UTC))
    assert len(published.trust_lists) == 3 and len(published.status_lists) == 3
    documents = verify_documents(published, datetime.now(UTC))
    assert {t.country for t in documents.trust_lists} == {"PH", "MM", "SV"}
    assert all(uri.startswith(BASE + "/o/") for uri in documents.status_lists)
    # A trust list not signed by a pinned anchor is left out, and so are the status lists only it vouched for.
    unanchored = PublishedDocuments(published.trust_lists, {}, published.status_lists)
    assert verify_documents(unanchored, datetime.now(UTC)).trust_lists == ()


def test_cache_reloads_only_when_the_ttl_has_passed(make_app: Any, seeded: Seeded) -> None:
    app, calls, clock = make_app(), [], Clock()
    cache = DocumentCache(loader(app, calls), clock=clock)
    assert status_of(cache, seeded.qr[HOLDER]) == "recognized"
    revoke(app, HOLDER)
    clock.now += cache.get().ttl - 1
    assert status_of(cache, seeded.qr[HOLDER]) == "recognized"  # the list in hand is still within its ttl
    assert len(calls) == 1
    clock.now += 2
    assert status_of(cache, seeded.qr[HOLDER]) == "invalid"
    assert len(calls) == 2


def test_max_age_caps_the_ttl_and_zero_reloads_every_time(make_app: Any, seeded: Seeded) -> None:
    app, calls, clock = make_app(), [], Clock()
    cache = DocumentCache(loader(app, calls), max_age=0, clock=clock)
    assert status_of(cache, seeded.qr[HOLDER]) == "recognized"
    revoke(app, HOLDER)
    assert status_of(cache, seeded.qr[HOLDER]) == "invalid"
    assert len(calls) == 2


def test_a_failed_reload_keeps_the_documents_in_hand(make_app: Any, seeded: Seeded) -> None:
    app, calls, clock = make_app(), [], Clock()
    load = loader(app, calls)
    broken = {"now": False}

    def flaky() -> PublishedDocuments:
        if broken["now"]:
            raise OperationalError("SELECT 1", {}, Exception("database is down"))
        return load()

    cache = DocumentCache(flaky, clock=clock)
    first = cache.get()
    broken["now"] = True
    clock.now += first.ttl + 1
    assert cache.get() is first
    cache.invalidate()
    with pytest.raises(OperationalError):
        cache.get()


def test_the_app_serves_a_revocation_at_once_though_its_documents_are_cached(make_app: Any, seeded: Seeded) -> None:
    cached = make_app()
    text = seeded.qr[HOLDER]
    assert cached.test_client().post("/api/v1/verify", json={"credential": text}).get_json()["status"] == "recognized"
    revoke(cached, HOLDER)
    # The documents in hand are still within their ttl, but the status comes from the credential's record.
    after = cached.test_client().post("/api/v1/verify", json={"credential": text}).get_json()
    assert after["status"] == "invalid" and after["reasons"] == ["revoked"]


def test_a_new_trust_version_reloads_the_documents_within_the_poll(make_app: Any, seeded: Seeded) -> None:
    app, calls, clock = make_app(), [], Clock()
    versions = [1]
    cache = DocumentCache(loader(app, calls), clock=clock, version=lambda: versions[0], poll_seconds=0.5)
    first = cache.get()
    assert cache.get() is first and len(calls) == 1
    versions[0] = 2
    assert cache.get() is first  # read again only once the poll interval has passed
    clock.now += 0.5
    assert cache.get() is not first and len(calls) == 2
    clock.now += 0.5
    assert len(calls) == 2 and cache.get() is cache.get()


def test_an_unreadable_trust_version_keeps_the_documents_in_hand(make_app: Any, seeded: Seeded) -> None:
    app, calls, clock = make_app(), [], Clock()
    state = {"fail": False}

    def version() -> int:
        if state["fail"]:
            raise OperationalError("SELECT version", {}, Exception("database is down"))
        return 1

    cache = DocumentCache(loader(app, calls), clock=clock, version=version, poll_seconds=0)
    first = cache.get()
    state["fail"] = True
    clock.now += 1
    assert cache.get() is first and len(calls) == 1
