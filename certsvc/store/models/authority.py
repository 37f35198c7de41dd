"""What an origin authority keeps besides its trust list: the national qualification catalogue and
the record of which embassies it has enrolled or removed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certsvc.store.models.base import Base, UTCDateTime, utcnow
from certsvc.store.models.credentials import Credential
from certsvc.store.models.orgs import Organisation
from certsvc.store.models.wallet import VerificationEvent


class NationalQualification(Base):
    """A qualification of the authority's own national framework, aligned to ISCO-08."""

    __tablename__ = "national_qualifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    framework: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    isco_code: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("authority_id", "code"),)

    def __repr__(self) -> str:
        return f"<NationalQualification {self.code}>"


class EmbassyEnrolment(Base):
    """An authority's record of one of its embassies.

    An embassy of the authority's country appears in the trust list unless its
    enrolment says it was removed (``removed_at``); embassies created before
    enrolments were recorded have no row and stay listed.
    """

    __tablename__ = "embassy_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    embassy_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removal_reason: Mapped[str | None] = mapped_column(Text)

    embassy: Mapped[Organisation] = relationship(foreign_keys=[embassy_id])


# The indicators (certsvc/indicators.py) aggregate over every credential. A credential row
# is several kilobytes (payload and both JWS), so these covering indexes hold every column
# the aggregations read, led by the join key: the queries never touch the wide rows.
Index(
    "ix_credentials_indicators",
    Credential.learner_id,
    Credential.issued_at,
    Credential.provider_id,
    Credential.qualification_code,
    Credential.kind,
    Credential.state,
    Credential.embassy_id,
    Credential.cosigned_at,
    Credential.revoked_at,
    Credential.withdrawn_at,
    Credential.id,  # SQLite has it in every index; PostgreSQL needs it for index-only scans
)
# Rejections are few; their reason codes (and notes) are read from this small partial index.
Index(
    "ix_credentials_rejected",
    Credential.learner_id,
    Credential.issued_at,
    Credential.provider_id,
    Credential.reject_code,
    Credential.reject_reason,
    sqlite_where=text("state = 'rejected'"),
    postgresql_where=text("state = 'rejected'"),
)
Index(
    "ix_verification_events_credential_country_at",
    VerificationEvent.credential_id,
    VerificationEvent.country,
    VerificationEvent.at,
)
