"""Append-only audit log: writers append without waiting; a chainer links the entries into one hash chain.

Each chained entry carries ``seq`` (1, 2, 3, ... without gaps), the previous entry's hash
and its own: SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of its
fields and ``prev_hash``. A single head row names the last chained entry.

Why two steps: a writer that had to lock the head for the length of its transaction
(signing, hashing, other queries) made every writer in the service queue behind it.
Now ``append`` only inserts the entry, with ``seq``, ``prev_hash`` and ``hash`` empty,
in the writer's own transaction; no lock is taken. Right after that transaction commits
(a session ``after_commit`` hook), ``chain_pending`` runs in a short transaction of its
own: it locks the head, takes every committed entry not yet chained in insertion order
(the primary key is a database sequence), numbers and hashes them, moves the head and
commits. Chaining costs microseconds per entry and takes entries of many writers at
once, so the lock is held briefly and never across a writer's work. On PostgreSQL a
writer that finds another chainer at work does not wait (``SKIP LOCKED``): every chainer
looks again after its commit, and the skipped writer's entries were committed before
that second look, so they are chained by it. On SQLite (one writer at a time anyway)
the hook waits, so a request's entries are chained before it returns.

Crash safety: a writer killed before its commit leaves nothing; killed after it, its
entries stay committed but unchained, and the next chaining (any writer's commit, or
``certsvc audit verify``) chains them. A chainer killed mid-way rolls back whole. So at
any moment the chained part verifies, and unchained entries are only waiting.

Tamper evidence: ``verify_chain`` recomputes every chained entry's hash and link and the
head, so an edited, deleted or reordered (renumbered) entry is found and located; an
external anchor (``--expect-head``) catches a log rewritten from some point on. Entries
are protected from the moment they are chained: the window is the few milliseconds
between a writer's commit and the chaining, and ``verify_chain`` reports how many wait.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, event, func, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from certsvc.store import bulk
from certsvc.store.models import AuditEntry, AuditHead, utcnow

log = logging.getLogger(__name__)
GENESIS_HASH = "0" * 64
HEAD_ID = 1
MAX_LABEL = 320
#: Entries chained per statement batch (a cohort import appends thousands).
CHAIN_BATCH = 2000
#: Session.info key: this session's transaction appended entries, so chain them after its commit.
_PENDING = "certsvc.audit.pending"


@dataclass(frozen=True)
class ChainProblem:
    """One place where the stored chain disagrees with itself."""

    seq: int
    kind: str  # edited | missing | broken_link | head_mismatch | anchor_mismatch
    message: str


@dataclass
class ChainReport:
    """What ``verify_chain`` found: entries checked, the head, entries still waiting, every problem with its place."""

    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    pending: int = 0
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` the one way the chain hashes it."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def entry_hash(entry: Any) -> str:
    """Compute the hash an entry must carry, from its fields, ``seq`` and ``prev_hash`` (an entry or a row)."""
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
    """Append one entry in the caller's transaction, without locking; it is chained after the commit."""
    entry = AuditEntry(
        at=now or utcnow(),
        actor=actor[:MAX_LABEL],
        org_id=org_id,
        action=action,
        subject=subject[:MAX_LABEL],
        # Stored exactly as hashed: round-trip through canonical JSON first.
        details=json.loads(canonical_json(details or {})),
    )
    # Inserted with the caller's next flush, in the order added (one multi-row INSERT for several).
    session.add(entry)
    _mark_pending(session, entry)
    return entry


def append_many(
    session: Session, records: Sequence[tuple[str, str, dict[str, str]]], *, actor: str, org_id: int | None
) -> None:
    """Append (action, subject, details) entries in order, in one statement (cohort imports)."""
    if not records:
        return
    at = utcnow()
    rows = [
        {
            "at": at,
            "actor": actor[:MAX_LABEL],
            "org_id": org_id,
            "action": action,
            "subject": subject[:MAX_LABEL],
            "details": dict(details),  # str to str: stored exactly as canonical JSON hashes it
        }
        for action, subject, details in records
    ]
    bulk.insert_rows(session, AuditEntry.__table__, rows)
    _mark_pending(session, None)


def _mark_pending(session: Session, entry: AuditEntry | None) -> None:
    pending: list[AuditEntry] = session.info.setdefault(_PENDING, [])
    if entry is not None:
        pending.append(entry)
    elif not pending:
        pending.append(None)  # type: ignore[arg-type]  # entries inserted in bulk: nothing to refresh


def chain_pending(connection: Connection, *, wait: bool = True) -> int | None:
    """Chain every committed entry not chained yet, in insertion order, in the connection's transaction.

    Locks the head and returns how many entries it chained; the caller commits. With
    ``wait=False`` (PostgreSQL) it returns None at once when another chainer holds the
    head: that chainer looks again after its commit (see ``chain_now``). Safe to run
    anywhere, at any time, from any number of processes.
    """
    head = _lock_head(connection, wait=wait)
    if head is None:
        return None
    head_seq, head_hash = head
    chained = 0
    table = AuditEntry.__table__
    while True:
        rows = connection.execute(
            select(table).where(table.c.seq.is_(None)).order_by(table.c.id).limit(CHAIN_BATCH)
        ).all()
        changes = []
        for row in rows:
            entry = _Linked(head_seq + 1, head_hash, row)
            head_seq, head_hash = entry.seq, entry_hash(entry)
            changes.append({"entry_id": row.id, "seq": head_seq, "prev_hash": entry.prev_hash, "hash": head_hash})
        if changes:
            _store_links(connection, changes)
        chained += len(rows)
        if len(rows) < CHAIN_BATCH:
            break
    if chained:
        connection.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(seq=head_seq, hash=head_hash))
    return chained


#: PostgreSQL joins the batch's links to their rows in one statement: four arrays, one plan,
#: where one UPDATE per entry cost the server a statement each (a fifth of a cohort import).
_LINK_FROM_ARRAYS = text(
    "UPDATE audit_entries AS entry SET seq = link.seq, prev_hash = link.prev_hash, hash = link.hash"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:seqs AS bigint[]), CAST(:prev_hashes AS varchar[]),"
    " CAST(:hashes AS varchar[])) AS link(id, seq, prev_hash, hash) WHERE entry.id = link.id"
)


def _store_links(connection: Connection, changes: list[dict[str, Any]]) -> None:
    """Write each entry's ``seq``, ``prev_hash`` and ``hash``."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            _LINK_FROM_ARRAYS,
            {
                "ids": [c["entry_id"] for c in changes],
                "seqs": [c["seq"] for c in changes],
                "prev_hashes": [c["prev_hash"] for c in changes],
                "hashes": [c["hash"] for c in changes],
            },
        )
        return
    table = AuditEntry.__table__
    connection.execute(
        table.update()
        .where(table.c.id == bindparam("entry_id"))
        .values(seq=bindparam("seq"), prev_hash=bindparam("prev_hash"), hash=bindparam("hash")),
        changes,
    )


def _lock_head(connection: Connection, *, wait: bool) -> tuple[int, str] | None:
    """Lock the head row and read it (None: another chainer holds it and ``wait`` is false)."""
    if not wait and connection.dialect.name == "postgresql":
        found = connection.execute(
            select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID).with_for_update(skip_locked=True)
        ).one_or_none()
        exists = found is not None or connection.execute(select(AuditHead.id)).first() is not None
        if found is None and exists:
            return None
    else:
        # An UPDATE first: it takes the head's row lock on PostgreSQL and SQLite's write lock alike.
        found = connection.execute(
            update(AuditHead)
            .where(AuditHead.id == HEAD_ID)
            .values(seq=AuditHead.seq)
            .returning(AuditHead.seq, AuditHead.hash)
        ).one_or_none()
    if found is None:
        # The first migration inserts the head; this covers schemas made without it.
        connection.execute(insert(AuditHead).values(id=HEAD_ID, seq=0, hash=GENESIS_HASH))
        return 0, GENESIS_HASH
    return int(found[0]), str(found[1])


def chain_now(engine: Engine, *, wait: bool = True) -> int:
    """Chain the committed entries waiting, in transactions of their own; return how many.

    With ``wait=False`` a chainer busy elsewhere is left to it; whoever chains looks again
    after committing, so an entry committed while the head was busy is never left behind
    (it was committed before that chainer's second look).
    """
    total = 0
    # One connection for every step: each checkout of the pool costs a round trip (its ping).
    with engine.connect() as connection:
        while True:
            with connection.begin():
                chained = chain_pending(connection, wait=wait)
            if not chained or wait:
                return total + (chained or 0)
            total += chained
            if not _any_pending(connection):
                return total


def _any_pending(connection: Connection) -> bool:
    """Whether any committed entry waits: one statement, its transaction ended at once."""
    try:
        found = connection.execute(select(AuditEntry.id).where(AuditEntry.seq.is_(None)).limit(1)).first()
    finally:
        connection.rollback()
    return found is not None


@dataclass(frozen=True)
class _Linked:
    """A stored row seen with the place the chainer gives it."""

    seq: int
    prev_hash: str
    row: Any

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


def _chain_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction, and its lock, go on
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    try:
        # PostgreSQL writers do not queue for the head: a busy chainer takes their entries too.
        chain_now(engine, wait=False)
    except SQLAlchemyError as exc:
        # The entries are committed and wait; the next chaining takes them. Never fail the caller's commit.
        log.warning("audit entries left to the next chaining: %s", type(exc).__name__)
        return
    for entry in pending:
        if entry is not None and entry in session:
            session.expire(entry, ["seq", "prev_hash", "hash"])


def _forget_pending(session: Session, _previous: Any = None) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


def install(session_class: type[Session] = Session) -> None:
    """Chain after every commit of a session that appended (done once, at import)."""
    if not event.contains(session_class, "after_commit", _chain_after_commit):
        event.listen(session_class, "after_commit", _chain_after_commit)
        event.listen(session_class, "after_rollback", _forget_pending)


install()


def verify_chain(session: Session, anchor: tuple[int, str] | None = None) -> ChainReport:
    """Check every chained entry's hash and link, the sequence, the head and an optional external anchor."""
    report = ChainReport()
    expected_seq, prev_hash = 1, GENESIS_HASH
    hash_at_anchor: str | None = None
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.seq.is_not(None)).order_by(AuditEntry.seq).execution_options(yield_per=1000)
    )
    for entry in entries:
        assert entry.seq is not None
        report.problems.extend(_check_entry(entry, expected_seq, prev_hash))
        if anchor is not None and entry.seq == anchor[0]:
            hash_at_anchor = entry.hash
        report.entries += 1
        expected_seq, prev_hash = entry.seq + 1, entry.hash or ""
    report.head_seq, report.head_hash = expected_seq - 1, prev_hash
    report.pending = int(session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.seq.is_(None))) or 0)
    report.problems.extend(_check_head(session, report.head_seq, report.head_hash))
    if anchor is not None and hash_at_anchor != anchor[1]:
        report.problems.append(
            ChainProblem(anchor[0], "anchor_mismatch", f"entry {anchor[0]} does not carry the anchored hash")
        )
    return report


def _check_entry(entry: AuditEntry, expected_seq: int, prev_hash: str) -> list[ChainProblem]:
    assert entry.seq is not None
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
