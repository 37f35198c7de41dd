"""What every change an origin authority makes goes through: its errors, its audit entry, the trust list.

Every change is audited and then publishes the trust list: a new signed version (sequence
+1) whenever the list's contents changed. An authority only ever sees or touches what
belongs to its own country; anything else is answered as not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from certsvc.authority import publishing
from certsvc.credentials.errors import CertsvcError
from certsvc.store import audit
from certsvc.store.models import Organisation, OrgKind, TrustListVersion

MAX_REASON = 500


class AuthorityError(CertsvcError):
    """What the authority asked for is invalid."""

    code = "authority_invalid"
    http_status = 400


class AuthorityConflict(AuthorityError):
    """The change contradicts what is already recorded (overlap, duplicate, still in use)."""

    code = "authority_conflict"
    http_status = 409


class NotFound(CertsvcError):
    """No such thing, or it belongs to another country's authority (not disclosed)."""

    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class Change:
    """Who changes something and when, and what a new trust-list version is signed with."""

    actor: str
    now: datetime
    base_url: str
    kek: str


def record_change(
    session: Session,
    authority: Organisation,
    action: str,
    subject: str,
    change: Change,
    details: dict[str, Any] | None = None,
) -> TrustListVersion:
    """Audit a change, then publish the trust list (a new version only if its contents changed)."""
    audit_change(session, authority, action, subject, change, details)
    return publish(session, authority, change)


def audit_change(
    session: Session,
    authority: Organisation,
    action: str,
    subject: str,
    change: Change,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one audit entry for a change the authority made."""
    session.flush()
    audit.append(
        session, action, actor=change.actor, org_id=authority.id, subject=subject, details=details, now=change.now
    )


def publish(session: Session, authority: Organisation, change: Change) -> TrustListVersion:
    """Sign a new trust-list version if the contents changed; return the newest."""
    session.flush()
    return publishing.publish_trust_list(
        session, authority, base_url=change.base_url, kek=change.kek, now=change.now, actor=change.actor
    )


def require_authority(org: Organisation) -> None:
    """Raise NotFound unless ``org`` is an origin authority."""
    if org.kind is not OrgKind.AUTHORITY:
        raise NotFound("only origin authorities administer this")


def require_text(value: str, limit: int, field: str) -> None:
    """Raise AuthorityError unless ``value`` has 1 to ``limit`` characters."""
    if not value or len(value) > limit:
        raise AuthorityError(f"{field.replace('_', ' ')} must be 1 to {limit} characters", field=field)


def reason_text(reason: str) -> str:
    text = (reason or "").strip()
    if not text or len(text) > MAX_REASON:
        raise AuthorityError(f"give a reason of 1 to {MAX_REASON} characters", field="reason")
    return text
