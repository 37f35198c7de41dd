"""The migrant's wallet: accounts, claims of issued credentials, share links, verification counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certsvc.store.models.base import Base, UTCDateTime, utcnow
from certsvc.store.models.credentials import Credential


class WalletUser(Base):
    """A holder's wallet account, signed in with a phone number or an email address."""

    __tablename__ = "wallet_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CredentialClaim(Base):
    """The one-time claim code and PIN of a credential, and who claimed it."""

    __tablename__ = "credential_claims"

    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(255))
    failures: Mapped[int] = mapped_column(default=0)
    wallet_user_id: Mapped[int | None] = mapped_column(ForeignKey("wallet_users.id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    credential: Mapped[Credential] = relationship()


class ShareLink(Base):
    """A link a holder shares; it expires (the credential does not) and can be revoked."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"), index=True)
    wallet_user_id: Mapped[int] = mapped_column(ForeignKey("wallet_users.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    credential: Mapped[Credential] = relationship()


class VerificationEvent(Base):
    """One verification, counted anonymously: no address, no verifier identity."""

    __tablename__ = "verification_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    result: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id"))

    __table_args__ = (
        Index("ix_verification_events_credential_at", "credential_id", "at"),
        Index("ix_verification_events_at", "at"),
    )
