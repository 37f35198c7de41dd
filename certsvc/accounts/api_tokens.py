"""API tokens for machine clients: shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.accounts.users import Principal, check_role
from certsvc.credentials.errors import CertsvcError
from certsvc.store import audit
from certsvc.store.models import ApiToken, Role, User, utcnow
from certsvc.web.text_rules import TextRefused, TextRule, clean_text

TOKEN_PREFIX = "cst_"  # noqa: S105 - a public marker that makes leaked tokens easy to scan for
PREFIX_CHARS = 12  # "cst_" and 8 secret characters, enough to tell tokens apart on a list
MAX_NAME = 100
MAX_TOKEN_CHARS = 200
#: ``last_used_at`` is written at most this often, so API reads do not all become writes.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class InvalidToken(CertsvcError):
    """The bearer token is unknown, revoked or belongs to an inactive user."""

    code = "invalid_token"
    http_status = 401


class TokenError(CertsvcError):
    code = "invalid_token_request"
    http_status = 400


@dataclass(frozen=True)
class NewToken:
    """A freshly created token: ``secret`` is shown once and never stored."""

    record: ApiToken
    secret: str


def token_hash(secret: str) -> str:
    """Return the hex SHA-256 under which a token is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str, *, actor: str, now: datetime | None = None) -> NewToken:
    """Create a token acting as ``user``; return it with its secret (the only time it is known)."""
    try:
        name = " ".join(clean_text(name, TextRule(MAX_NAME)).split())
    except TextRefused as exc:
        raise TokenError(f"a token name {exc.message}", field="name") from None
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        org_id=user.org_id,
        user_id=user.id,
        name=name,
        token_hash=token_hash(secret),
        prefix=secret[:PREFIX_CHARS],
        created_at=now or utcnow(),
    )
    session.add(record)
    session.flush()
    details = {"name": name, "prefix": record.prefix, "user": user.email}
    audit.append(
        session,
        "token.created",
        actor=actor,
        org_id=user.org_id,
        subject=record.prefix,
        details=details,
        now=now,
    )
    return NewToken(record, secret)


def list_tokens(session: Session, principal: Principal) -> list[ApiToken]:
    """Return the tokens the principal may see: an admin sees the org's, others their own."""
    query = select(ApiToken).where(ApiToken.org_id == principal.org.id).order_by(ApiToken.id)
    if principal.role is not Role.ADMIN:
        query = query.where(ApiToken.user_id == principal.user.id)
    return list(session.scalars(query))


def revoke_token(session: Session, principal: Principal, token_id: int, *, now: datetime | None = None) -> ApiToken:
    """Revoke a token of the principal's org (its own, or any as admin); audited."""
    record = session.get(ApiToken, token_id)
    if record is None or record.org_id != principal.org.id:
        raise TokenError("no such token", token_id=token_id)
    if record.user_id != principal.user.id:
        check_role(principal, [Role.ADMIN])
    if record.revoked_at is None:
        record.revoked_at = now or utcnow()
        details = {"name": record.name, "user": record.user.email}
        audit.append(
            session,
            "token.revoked",
            actor=principal.actor,
            org_id=record.org_id,
            subject=record.prefix,
            details=details,
            now=now,
        )
    return record


def principal_for_token(session: Session, unverified_secret: str, *, now: datetime | None = None) -> Principal:
    """Return the principal a bearer token stands for, or raise InvalidToken."""
    now = now or utcnow()
    if not unverified_secret.startswith(TOKEN_PREFIX) or len(unverified_secret) > MAX_TOKEN_CHARS:
        raise InvalidToken("not a valid API token")
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(unverified_secret)))
    if record is None or record.revoked_at is not None or not record.user.active:
        raise InvalidToken("unknown or revoked API token")
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_GRANULARITY:
        record.last_used_at = now
    return Principal(user=record.user, org=record.user.org, via="token", token=record)
