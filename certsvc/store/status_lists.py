"""Status lists built from the database: the signed list of revoked, suspended and withdrawn credentials.

A signed list is kept in a per-process cache and served again until its stamp changes:
the list's own version (bumped by any status change of its credentials), the number of
indexes assigned (a new credential), or the trust version (e.g. a new signing key). The
stamp is read from the database on every request, in one indexed query, so a change made
through any node is served by every node at once. A cached token is signed anew once half
its ttl has passed, so that what is served is always fresh for at least half the ttl.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from certsvc.credentials import identifiers
from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.statuslist import StatusList, sign_status_list
from certsvc.store.credential_records import status_value
from certsvc.store.models import Credential, CredentialState, DocumentVersion, Organisation, StatusListRecord
from certsvc.store.models.documents import TRUST
from certsvc.store.signers import signer_for

STATUS_TTL = 300
#: Where an app keeps its StatusListCache (``app.extensions``).
CACHE_EXTENSION = "certsvc.status_list_cache"


class DocumentNotFound(CertsvcError):
    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class SignedStatusList:
    """A signed status list and what it was signed from."""

    token: str
    ttl: int
    signed_at: datetime
    stamp: tuple[int, int, int]

    def max_age(self, now: datetime) -> int:
        """Seconds a cache may still keep the token: what remains of its ttl."""
        return max(0, self.ttl - int((now - self.signed_at).total_seconds()))


class StatusListCache:
    """Signed status lists by list id, valid while their stamp is unchanged and half their ttl is left."""

    def __init__(self) -> None:
        self._lists: dict[int, SignedStatusList] = {}
        self._lock = threading.Lock()

    def get(self, list_id: int, stamp: tuple[int, int, int], now: datetime) -> SignedStatusList | None:
        """The cached list, if it was signed from ``stamp`` and is not past half its ttl."""
        with self._lock:
            found = self._lists.get(list_id)
        if found is None or found.stamp != stamp or now - found.signed_at >= timedelta(seconds=found.ttl / 2):
            return None
        return found

    def put(self, list_id: int, signed: SignedStatusList) -> None:
        """Keep a freshly signed list."""
        with self._lock:
            self._lists[list_id] = signed


def status_list_token(
    session: Session,
    org: Organisation,
    list_number: int,
    *,
    base_url: str,
    kek: str,
    now: datetime,
    cache: StatusListCache | None = None,
) -> tuple[str, int]:
    """The current signed state of one of ``org``'s status lists, with how long caches may keep it."""
    record = session.scalar(
        select(StatusListRecord).where(StatusListRecord.org_id == org.id, StatusListRecord.list_number == list_number)
    )
    if record is None:
        raise DocumentNotFound("no such status list")
    stamp = (record.version, record.next_idx, trust_version(session))
    found = cache.get(record.id, stamp, now) if cache is not None else None
    if found is None:
        found = _sign(session, org, record, stamp, base_url=base_url, kek=kek, now=now)
        if cache is not None:
            cache.put(record.id, found)
    return found.token, found.max_age(now)


def cached_token(
    session: Session, slug: str, list_number: int, cache: StatusListCache, now: datetime
) -> tuple[str, int] | None:
    """The cached token of ``slug``'s list if its stamp is unchanged: one indexed query, no signing."""
    trust = select(DocumentVersion.version).where(DocumentVersion.name == TRUST).scalar_subquery()
    row = session.execute(
        select(StatusListRecord.id, StatusListRecord.version, StatusListRecord.next_idx, trust)
        .join(Organisation, Organisation.id == StatusListRecord.org_id)
        .where(Organisation.slug == slug, StatusListRecord.list_number == list_number)
    ).first()
    if row is None:
        return None
    list_id, version, next_idx, trust_now = row
    found = cache.get(list_id, (version, next_idx, trust_now or 0), now)
    return None if found is None else (found.token, found.max_age(now))


def trust_version(session: Session) -> int:
    """How many times anything a trust list holds has changed (0 before the first change)."""
    return session.scalar(select(DocumentVersion.version).where(DocumentVersion.name == TRUST)) or 0


def _sign(
    session: Session,
    org: Organisation,
    record: StatusListRecord,
    stamp: tuple[int, int, int],
    *,
    base_url: str,
    kek: str,
    now: datetime,
) -> SignedStatusList:
    statuses = StatusList(record.size, bits=record.bits)
    changed = session.scalars(
        select(Credential).where(
            Credential.status_list_id == record.id,
            or_(
                Credential.state.in_([CredentialState.REVOKED, CredentialState.SUSPENDED]),
                Credential.withdrawn_at.is_not(None),
            ),
        )
    )
    for credential in changed:
        statuses.set(credential.status_idx, status_value(credential))
    signer = signer_for(session, org, kek, base_url)
    uri = identifiers.status_list_uri(base_url, org.slug, record.list_number)
    signed_at = now.replace(microsecond=0)
    token = sign_status_list(
        statuses, signer.key, signer.kid_uri, uri, signed_at, ttl_seconds=record.ttl, assigned=record.next_idx
    )
    return SignedStatusList(token, record.ttl, signed_at, stamp)


def status_list_numbers(session: Session) -> list[tuple[Organisation, int]]:
    """Every status list that exists, with its organisation."""
    rows = session.execute(
        select(StatusListRecord.org_id, StatusListRecord.list_number).order_by(StatusListRecord.id)
    ).all()
    return [(org, number) for org_id, number in rows if (org := session.get(Organisation, org_id)) is not None]
