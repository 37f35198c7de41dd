"""The trust lists and status lists the page and the API feed to the pipeline, verified once and cached.

The service builds them from its own database with ``certsvc.authority.publishing`` and
``certsvc.store.status_lists`` (the same signed documents it serves under ``/o/<slug>/``),
verifies them as any outside verifier would (the trust lists against the authorities'
anchor keys, each status list against its provider's key in a trust list), and keeps the
parsed result until the shortest ``ttl`` among them has passed, or, sooner, until the trust
version (``certsvc.store.models.documents``) changes: it is read at most every
``VERIFY_DOCUMENTS_POLL_SECONDS`` (0.5 s), so a key compromised or an accreditation
withdrawn through any node counts on every node within a second. The status of each
credential is read live from its record (``verifier/records.py``), not from these lists.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from certsvc.authority import publishing
from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.keys import PublicKey
from certsvc.credentials.statuslist import VerifiedStatusList, parse_status_list_token
from certsvc.credentials.trustlist import TrustAnchor, TrustList, parse_trust_list
from certsvc.store import db
from certsvc.store.models import Organisation, OrgKind
from certsvc.store.status_lists import (
    CACHE_EXTENSION,
    STATUS_TTL,
    StatusListCache,
    status_list_numbers,
    status_list_token,
    trust_version,
)

log = logging.getLogger(__name__)
#: After a failed reload, the documents in hand are used this long before trying again.
RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class PublishedDocuments:
    """The signed documents as published: tokens with the anchors that check the trust lists."""

    trust_lists: list[str] = field(default_factory=list)
    anchors: dict[str, PublicKey | TrustAnchor] = field(default_factory=dict)
    status_lists: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VerificationDocuments:
    """Verified trust lists and status lists, as the pipeline takes them."""

    trust_lists: tuple[TrustList, ...]
    status_lists: Mapping[str, VerifiedStatusList]
    ttl: float


def load_published(
    session: Session, *, base_url: str, kek: str, now: datetime, cache: StatusListCache | None = None
) -> PublishedDocuments:
    """Sign (or reuse) every authority's trust list and every status list, as /o/<slug>/ serves them."""
    documents = PublishedDocuments()
    authorities = session.scalars(
        select(Organisation).where(Organisation.kind == OrgKind.AUTHORITY).order_by(Organisation.id)
    ).all()
    for authority in authorities:
        version = publishing.publish_trust_list(session, authority, base_url=base_url, kek=kek, now=now)
        documents.trust_lists.append(version.token)
        documents.anchors.update({a.uri: a for a in publishing.authority_anchors(session, authority, base_url)})
    for org, number in status_list_numbers(session):
        token, _max_age = status_list_token(session, org, number, base_url=base_url, kek=kek, now=now, cache=cache)
        documents.status_lists.append(token)
    return documents


def verify_documents(published: PublishedDocuments, now: datetime) -> VerificationDocuments:
    """Check the signatures of published documents; a document that fails is left out (and logged)."""
    trust_lists: list[TrustList] = []
    for token in published.trust_lists:
        try:
            trust_lists.append(parse_trust_list(token, published.anchors))
        except CertsvcError as exc:
            log.warning("trust list left out: %s", exc.message)

    def provider_key(kid: str) -> PublicKey | None:
        for trust_list in trust_lists:
            found = trust_list.key(kid)
            if found is not None and found[0].kind is OrgKind.PROVIDER:
                return found[1].public
        return None

    status_lists: dict[str, VerifiedStatusList] = {}
    for token in published.status_lists:
        try:
            verified = parse_status_list_token(token, provider_key, now)
        except CertsvcError as exc:
            # A provider no authority accredits: its credentials fail at the signature check anyway.
            log.info("status list left out: %s", exc.message)
            continue
        status_lists[verified.uri] = verified
    ttls = [t.ttl for t in trust_lists] + [s.ttl for s in status_lists.values() if s.ttl]
    return VerificationDocuments(tuple(trust_lists), status_lists, float(min(ttls, default=STATUS_TTL)))


class DocumentCache:
    """Verified documents, reloaded when the shortest ttl among them (or ``max_age``) has passed."""

    def __init__(
        self,
        load: Callable[[], PublishedDocuments],
        *,
        max_age: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        version: Callable[[], int] | None = None,
        poll_seconds: float = 0.5,
    ) -> None:
        self._load = load
        self._max_age = max_age
        self._clock = clock
        self._now = now
        self._version = version
        self._poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._current: VerificationDocuments | None = None
        self._expires = 0.0
        self._loaded_version: int | None = None
        self._next_poll = 0.0

    def get(self) -> VerificationDocuments:
        """Return the current documents, reloading them first when they are due or the trust version moved."""
        changed = self._version_changed()
        with self._lock:
            if changed or self._current is None or self._clock() >= self._expires:
                self._reload()
            assert self._current is not None
            return self._current

    def _version_changed(self) -> bool:
        if self._version is None or self._clock() < self._next_poll:
            return False
        # One request per poll interval reads the version; the others use the documents in hand.
        self._next_poll = self._clock() + self._poll_seconds
        try:
            version = self._version()
        except SQLAlchemyError:
            log.warning("could not read the trust version; keeping the documents in hand")
            return False
        return self._loaded_version is not None and version != self._loaded_version

    def _reload(self) -> None:
        version = self._read_version()
        try:
            published = self._load()
        except (SQLAlchemyError, CertsvcError):
            if self._current is None:
                raise
            # Signed documents stay true until their ttl; a short outage should not stop verification.
            log.exception("reloading the verification documents failed; using the previous ones")
            self._expires = self._clock() + RETRY_SECONDS
            return
        self._current = verify_documents(published, self._now())
        self._expires = self._clock() + self._lifetime(self._current)
        self._loaded_version = version

    def _read_version(self) -> int | None:
        # Read before loading: documents loaded after it reflect at least this version.
        if self._version is None:
            return None
        try:
            return self._version()
        except SQLAlchemyError:
            return None

    def invalidate(self) -> None:
        """Drop the cached documents: the next ``get`` reloads them."""
        with self._lock:
            self._current = None

    def _lifetime(self, documents: VerificationDocuments) -> float:
        if self._max_age is None:
            return documents.ttl
        return min(documents.ttl, self._max_age)


# -- the app's cache ------------------------------------------------------------------------

EXTENSION = "certsvc.verifier_documents"


def init_app(app: Flask) -> None:
    """Give the app its document cache; VERIFY_DOCUMENTS_MAX_AGE caps the ttl (0: reload every time)."""
    app.config.setdefault("VERIFY_DOCUMENTS_MAX_AGE", None)
    app.config.setdefault("VERIFY_DOCUMENTS_POLL_SECONDS", 0.5)
    factory = db.session_factory(app)
    base_url = str(app.config["BASE_URL"]).rstrip("/")
    kek = app.config["KEY_ENCRYPTION_KEY"]
    status_cache: StatusListCache = app.extensions.setdefault(CACHE_EXTENSION, StatusListCache())

    def load() -> PublishedDocuments:
        attempts = 3
        while True:
            attempts -= 1
            with factory() as session:
                try:
                    published = load_published(
                        session, base_url=base_url, kek=kek, now=datetime.now(UTC), cache=status_cache
                    )
                    session.commit()  # a trust list whose contents changed was signed anew: keep it
                    return published
                except IntegrityError:
                    # Another process signed the same new trust list version first: take theirs.
                    session.rollback()
                    if not attempts:
                        raise

    def version() -> int:
        with factory() as session:
            return trust_version(session)

    max_age = app.config["VERIFY_DOCUMENTS_MAX_AGE"]
    app.extensions[EXTENSION] = DocumentCache(
        load,
        max_age=None if max_age is None else float(max_age),
        version=version,
        poll_seconds=float(app.config["VERIFY_DOCUMENTS_POLL_SECONDS"]),
    )


def cache() -> DocumentCache:
    """The current app's document cache."""
    found: DocumentCache = current_app.extensions[EXTENSION]
    return found


def current() -> VerificationDocuments:
    """The current app's verified documents, reloaded when due."""
    return cache().get()
