"""Append-only audit log: each entry carries the SHA-256 of the previous one.

An entry's hash is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of
its fields and ``prev_hash``. A single head row names the last entry; appends lock it,
so concurrent writers queue, and a log cut off at the end no longer matches its head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from certsvc.store.models import AuditEntry, AuditHead, utcnow

GENESIS_HASH = "0" * 64
HEAD_ID = 1
MAX_LABEL = 320


@dataclass(frozen=True)
class ChainProblem:
    """One place where the stored chain disagrees with itself."""

    seq: int
    kind: str  # edited | missing | broken_link | head_mismatch | anchor_mismatch
    message: str


@dataclass
class ChainReport:
    """What ``verify_chain`` found: entries checked, the head, and every problem with its place."""

    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` the one way the chain hashes it."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def entry_hash(entry: AuditEntry) -> str:
    """Compute the hash an entry must carry, from its fields and ``prev_hash``."""
    body = {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "org_id": entry.org_id,
        "action": entry.action,
        "subject": entry.subject,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    return hashlib.sha256(canonical_json(body)).hexdigest()


def append(
    session: Session,
    action: str,
    *,
    actor: str,
    subject: str = "",
    org_id: int | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction, chained to the current head."""
    head = _locked_head(session)
    entry = AuditEntry(
        seq=head.seq + 1,
        at=now or utcnow(),
        actor=actor[:MAX_LABEL],
        org_id=org_id,
        action=action,
        subject=subject[:MAX_LABEL],
        # Stored exactly as hashed: round-trip through canonical JSON first.
        details=json.loads(canonical_json(details or {})),
        prev_hash=head.hash,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    head.seq, head.hash = entry.seq, entry.hash
    session.flush()
    return entry


def append_many(
    session: Session, records: Sequence[tuple[str, str, dict[str, str]]], *, actor: str, org_id: int | None
) -> None:
    """Append (action, subject, details) entries in order, as ``append`` would one by one.

    The first goes through ``append``, which locks the chain head; the others are chained
    after it and inserted in one statement, and the head moves once (cohort imports).
    """
    if not records:
        return
    action, subject, details = records[0]
    previous = append(session, action, actor=actor, org_id=org_id, subject=subject, details=details)
    head = session.get(AuditHead, HEAD_ID)
    assert head is not None  # locked (or created) by append just now
    rows = []
    for action, subject, details in records[1:]:
        entry = AuditEntry(
            seq=previous.seq + 1,
            at=utcnow(),
            actor=actor[:MAX_LABEL],
            org_id=org_id,
            action=action,
            subject=subject[:MAX_LABEL],
            details=dict(details),  # str to str: stored exactly as canonical JSON hashes it
            prev_hash=previous.hash,
        )
        entry.hash = entry_hash(entry)  # a transient object: hashed here, inserted below as plain rows
        rows.append({column: getattr(entry, column) for column in _COLUMNS})
        previous = entry
    if rows:
        session.execute(insert(AuditEntry), rows)
    head.seq, head.hash = previous.seq, previous.hash
    session.flush()


_COLUMNS = ("seq", "at", "actor", "org_id", "action", "subject", "details", "prev_hash", "hash")


def _locked_head(session: Session) -> AuditHead:
    head = session.scalar(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())
    if head is None:
        # The first migration inserts the head; this covers schemas made without it.
        head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS_HASH)
        session.add(head)
    return head


def verify_chain(session: Session, anchor: tuple[int, str] | None = None) -> ChainReport:
    """Check every entry's hash and link, the sequence, the head and an optional external anchor."""
    report = ChainReport()
    expected_seq, prev_hash = 1, GENESIS_HASH
    hash_at_anchor: str | None = None
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000))
    for entry in entries:
        report.problems.extend(_check_entry(entry, expected_seq, prev_hash))
        if anchor is not None and entry.seq == anchor[0]:
            hash_at_anchor = entry.hash
        report.entries += 1
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    report.head_seq, report.head_hash = expected_seq - 1, prev_hash
    report.problems.extend(_check_head(session, report.head_seq, report.head_hash))
    if anchor is not None and hash_at_anchor != anchor[1]:
        report.problems.append(
            ChainProblem(anchor[0], "anchor_mismatch", f"entry {anchor[0]} does not carry the anchored hash")
        )
    return report


def _check_entry(entry: AuditEntry, expected_seq: int, prev_hash: str) -> list[ChainProblem]:
    problems = []
    if entry.seq != expected_seq:
        missing = f"{expected_seq}" if entry.seq == expected_seq + 1 else f"{expected_seq}..{entry.seq - 1}"
        problems.append(ChainProblem(expected_seq, "missing", f"entries {missing} are missing (deleted)"))
    elif entry.prev_hash != prev_hash:
        problems.append(
            ChainProblem(entry.seq, "broken_link", f"entry {entry.seq} does not chain to entry {entry.seq - 1}")
        )
    if entry_hash(entry) != entry.hash:
        problems.append(ChainProblem(entry.seq, "edited", f"entry {entry.seq} was changed after it was written"))
    return problems


def _check_head(session: Session, last_seq: int, last_hash: str) -> list[ChainProblem]:
    head = session.get(AuditHead, HEAD_ID)
    if head is None or (head.seq == 0 and last_seq == 0):
        return []
    if (head.seq, head.hash) == (last_seq, last_hash):
        return []
    return [
        ChainProblem(
            last_seq + 1 if head.seq > last_seq else head.seq,
            "head_mismatch",
            f"the log ends at entry {last_seq} but its head names entry {head.seq} "
            "(entries deleted from the end, or the head was changed)",
        )
    ]
