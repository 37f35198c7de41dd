"""Share links: the holder lets someone see a credential's QR for 1, 7 or 30 days, and can withdraw it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.store import audit
from certsvc.store.models import Credential, ShareLink, WalletUser, utcnow
from certsvc.wallet.cards import own_credential
from certsvc.wallet.errors import BadShareExpiry, ShareLinkGone, ShareLinkUnknown
from certsvc.wallet.holders import wallet_actor

SHARE_DAYS = (1, 7, 30)


def create_share_link(
    session: Session, wallet_user: WalletUser, credential: Credential, days: int, *, now: datetime | None = None
) -> tuple[ShareLink, str]:
    """Make a link to the credential that expires after ``days`` (1, 7 or 30); return it and its token once."""
    if days not in SHARE_DAYS:
        raise BadShareExpiry("a share link lasts 1, 7 or 30 days", field="days")
    own_credential(session, wallet_user, credential.public_id)
    now = now or utcnow()
    token = secrets.token_urlsafe(18)
    link = ShareLink(
        token_hash=share_token_hash(token),
        credential_id=credential.id,
        wallet_user_id=wallet_user.id,
        expires_at=now + timedelta(days=days),
        created_at=now,
    )
    session.add(link)
    session.flush()
    details = {"days": days, "link": link.id}
    audit.append(
        session, "wallet.share_created", actor=wallet_actor(wallet_user), subject=credential.public_id, details=details
    )
    return link, token


def share_links(session: Session, wallet_user: WalletUser, credential: Credential) -> list[ShareLink]:
    """The holder's share links of one credential, newest first."""
    return list(
        session.scalars(
            select(ShareLink)
            .where(ShareLink.wallet_user_id == wallet_user.id, ShareLink.credential_id == credential.id)
            .order_by(ShareLink.created_at.desc(), ShareLink.id.desc())
        )
    )


def revoke_share_link(
    session: Session, wallet_user: WalletUser, credential: Credential, link_id: int, *, now: datetime | None = None
) -> ShareLink:
    """Stop a share link of the holder's credential from working (any other link is not found)."""
    link = session.get(ShareLink, link_id, with_for_update=True)
    if link is None or link.wallet_user_id != wallet_user.id or link.credential_id != credential.id:
        raise ShareLinkUnknown("no such share link")
    if link.revoked_at is None:
        link.revoked_at = now or utcnow()
        details = {"link": link.id}
        actor = wallet_actor(wallet_user)
        audit.append(session, "wallet.share_revoked", actor=actor, subject=credential.public_id, details=details)
    return link


def open_share_link(session: Session, unverified_token: str, *, now: datetime | None = None) -> ShareLink:
    """The live share link of a token; an expired or revoked one is ShareLinkGone (410)."""
    if not 16 <= len(unverified_token) <= 64:
        raise ShareLinkUnknown("no such share link")
    link = session.scalar(select(ShareLink).where(ShareLink.token_hash == share_token_hash(unverified_token)))
    if link is None:
        raise ShareLinkUnknown("no such share link")
    if link.revoked_at is not None:
        raise ShareLinkGone("the holder withdrew this share link", reason="revoked")
    if link.expires_at <= (now or utcnow()):
        raise ShareLinkGone("this share link has expired", reason="expired", expired_at=link.expires_at.isoformat())
    return link


def share_state(link: ShareLink, now: datetime) -> str:
    """``active``, ``expired`` or ``revoked``."""
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= now else "active"


def share_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
