"""Learners, issued credentials, status lists and cohort import batches."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certsvc.credentials.openbadge import Kind
from certsvc.store.models.base import Base, UTCDateTime, str_enum, utcnow
from certsvc.store.models.orgs import Organisation


class Sex(StrEnum):
    """As travel documents print it (ICAO 9303); optional and for statistics only."""

    FEMALE = "F"
    MALE = "M"
    UNSPECIFIED = "X"


class CredentialState(StrEnum):
    AWAITING_COSIGN = "awaiting_cosign"
    COSIGNED = "cosigned"
    REJECTED = "rejected"
    REVOKED = "revoked"
    SUSPENDED = "suspended"


class BatchState(StrEnum):
    VALIDATED = "validated"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Learner(Base):
    """A worker registered by a provider; the ID document number only as a salted hash."""

    __tablename__ = "learners"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date] = mapped_column(Date)
    nationality: Mapped[str] = mapped_column(String(2))
    id_number_hash: Mapped[str] = mapped_column(String(128))
    id_number_salt: Mapped[str] = mapped_column(String(32))
    sex: Mapped[Sex | None] = mapped_column(str_enum(Sex, "sex"))
    #: The language the learner reads (a catalogue code: en, es, fil, my, ...): their claim slip's instructions.
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Organisation] = relationship()

    __table_args__ = (UniqueConstraint("provider_id", "external_id"),)


class StatusListRecord(Base):
    """One published status list of an organisation; ``next_idx`` is the next free index."""

    __tablename__ = "status_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    list_number: Mapped[int]
    bits: Mapped[int] = mapped_column(default=2)
    size: Mapped[int]
    next_idx: Mapped[int] = mapped_column(default=0)
    ttl: Mapped[int] = mapped_column(default=3600)
    #: Bumped whenever a credential of the list changes status (certsvc.store.models.documents).
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("org_id", "list_number"),)


class ImportBatch(Base):
    """A cohort CSV import; the file is kept so any process can resume an interrupted run."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    state: Mapped[BatchState] = mapped_column(str_enum(BatchState, "batch_state"))
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the provider took the batch's claim slips (their sealed codes and PINs are then erased).
    slips_taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SealedClaimSlips(Base):
    """One chunk's claim codes and PINs, encrypted under a key derived from the KEK, until the slips are taken.

    Written in the chunk's own transaction, so the sealed secrets always match the credentials
    that chunk committed; deleted when the provider takes the slips.
    """

    __tablename__ = "sealed_claim_slips"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Credential(Base):
    """An issued credential: payload bytes, provider JWS and, once co-signed, the embassy JWS."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind, "credential_kind"))
    qualification_code: Mapped[str] = mapped_column(String(64))
    state: Mapped[CredentialState] = mapped_column(str_enum(CredentialState, "credential_state"))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    provider_jws: Mapped[str] = mapped_column(Text)
    cosign_jws: Mapped[str | None] = mapped_column(Text)
    embassy_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    reject_code: Mapped[str | None] = mapped_column(String(40))  # a RejectionReason
    reject_reason: Mapped[str | None] = mapped_column(Text)  # the officer's note
    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"))
    status_idx: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cosigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(100))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)

    learner: Mapped[Learner] = relationship()
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
    embassy: Mapped[Organisation | None] = relationship(foreign_keys=[embassy_id])

    __table_args__ = (
        UniqueConstraint("status_list_id", "status_idx"),
        # Idempotent cohort import: one credential per provider and external id.
        UniqueConstraint("provider_id", "external_id"),
        Index("ix_credentials_provider_state", "provider_id", "state"),
        Index("ix_credentials_embassy_state", "embassy_id", "state"),
    )
