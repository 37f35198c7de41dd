"""The hash-chained audit log and its head (the last entry's sequence number and hash)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from certsvc.store.models.base import Base, UTCDateTime


class AuditEntry(Base):
    """One appended change of state; ``hash`` covers the entry and ``prev_hash``.

    Written with ``seq``, ``prev_hash`` and ``hash`` empty; the chainer fills them (in the
    order entries were inserted) right after the writer's commit (certsvc.store.audit).
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(320))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(320))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    #: Entries not chained yet: the chainer finds them without scanning the log.
    __table_args__ = (
        Index("ix_audit_entries_pending", "id", sqlite_where=text("seq IS NULL"), postgresql_where=text("seq IS NULL")),
    )

    def __repr__(self) -> str:
        return f"<AuditEntry {self.seq} {self.action} {self.subject}>"


class AuditHead(Base):
    """Single row naming the chain's last entry: serialises the chainer and reveals a cut-off tail."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
