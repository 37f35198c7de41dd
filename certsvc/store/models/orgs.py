"""Organisations and their signing keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The trust list's own vocabulary, so rows convert to trust-list entries without mapping.
from certsvc.credentials.trustlist import KeyState, OrgKind
from certsvc.store.models.base import Base, UTCDateTime, str_enum, utcnow


class Organisation(Base):
    """A training provider, an embassy (labour office) or an origin authority.

    ``country`` is ISO 3166-1 alpha-2: for a provider the destination country where it
    trains; for an embassy the origin country whose nationals it serves (it sits in
    ``host_country``); for an authority its own country.
    """

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, "org_kind"))
    country: Mapped[str] = mapped_column(String(2))
    host_country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_organisations_kind_country", "kind", "country"),)

    def __repr__(self) -> str:
        return f"<Organisation {self.slug} {self.kind}>"


class SigningKeyRecord(Base):
    """One signing key of an organisation; the private key only as encrypted PKCS#8."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    encrypted_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[KeyState] = mapped_column(str_enum(KeyState, "key_state"), default=KeyState.ACTIVE)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    compromised_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Organisation] = relationship()

    __table_args__ = (
        # At most one active key per organisation, enforced by the database itself.
        Index(
            "uq_signing_keys_one_active",
            "org_id",
            unique=True,
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
    )

    def __repr__(self) -> str:
        return f"<SigningKeyRecord {self.kid} {self.state}>"
