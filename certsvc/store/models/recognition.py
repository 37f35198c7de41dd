"""Qualifications providers award, and what origin authorities make of them: accreditation,
equivalence, and the signed trust-list versions they publish."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certsvc.credentials import identifiers
from certsvc.credentials.openbadge import Qualification as QualificationData
from certsvc.store.models.base import Base, UTCDateTime, utcnow
from certsvc.store.models.orgs import Organisation


class Qualification(Base):
    """A qualification a provider awards, as its national framework names it."""

    __tablename__ = "qualifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(400))
    framework: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    isco_code: Mapped[str] = mapped_column(String(4))
    isco_title: Mapped[str] = mapped_column(String(200))
    esco_uri: Mapped[str | None] = mapped_column(String(300))
    esco_title: Mapped[str | None] = mapped_column(String(200))
    asean_level: Mapped[int | None]
    framework_url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Organisation] = relationship()

    __table_args__ = (UniqueConstraint("provider_id", "code"),)

    def credential_data(self, base_url: str, slug: str) -> QualificationData:
        """The credential's view of this qualification (what issuing signs and the trust list's catalogue
        repeats); ``slug`` is the provider's, given so that a caller holding it loads no provider."""
        return QualificationData(
            id=identifiers.qualification_uri(base_url, slug, self.code),
            name=self.name,
            description=self.description,
            framework=self.framework,
            level=self.level,
            isco_code=self.isco_code,
            isco_title=self.isco_title,
            esco_uri=self.esco_uri,
            esco_title=self.esco_title,
            asean_level=self.asean_level,
            framework_url=self.framework_url,
        )


class Accreditation(Base):
    """An authority's accreditation of a provider for one qualification over a date range."""

    __tablename__ = "accreditations"

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    qualification_id: Mapped[int] = mapped_column(ForeignKey("qualifications.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    suspended_since: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    qualification: Mapped[Qualification] = relationship()


class Equivalence(Base):
    """An authority's rule: a foreign qualification counts as a national one."""

    __tablename__ = "equivalences"

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    qualification_id: Mapped[int] = mapped_column(ForeignKey("qualifications.id"), index=True)
    national_code: Mapped[str] = mapped_column(String(64))
    national_title: Mapped[str] = mapped_column(String(200))
    framework: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    qualification: Mapped[Qualification] = relationship()

    __table_args__ = (UniqueConstraint("authority_id", "qualification_id"),)


class TrustListVersion(Base):
    """One signed version of an authority's trust list; earlier versions stay downloadable."""

    __tablename__ = "trust_list_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    sequence: Mapped[int]
    token: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("authority_id", "sequence"),)
