"""Allocating status-list indexes: unique and safe under concurrent writers.

On PostgreSQL indexes are taken in a short transaction of their own, committed at once, so the
list's row lock is never held while the caller signs, hashes and writes its credential: the
writers of one provider proceed in parallel. A credential issued on its own takes its index
from a block of ``RESERVE_BLOCK`` that its process took in one such transaction, so most
single issues touch the list's row not at all. An index taken but never used (a writer that
failed, a process that stopped with part of its block left) is a harmless gap: the entry
carries no credential (it reads "valid" like any index of a real valid credential, and online
the service knows no credential there). SQLite has one writer at a time anyway, so there the
index is taken in the caller's transaction and stays gap-free.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Update, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from certsvc.store.models import Organisation, StatusListRecord

LIST_SIZE = 2**17  # 131,072 entries: 32 KiB at two bits each before compression
BITS = 2
#: How long the short transaction waits for the list's row before leaving the index to the caller's.
OWN_LOCK_TIMEOUT_MS = 2000
#: Indexes a process takes at once for credentials issued one by one (PostgreSQL).
RESERVE_BLOCK = 32


@dataclass
class _Reserve:
    """The rest of a block a process took: indexes ``next`` to ``end - 1`` of one list."""

    record_id: int
    #: Tells the list apart from another one given the same id (a database made afresh).
    created_at: datetime
    next: int
    end: int


#: By process, database and organisation: the blocks with indexes left, oldest first.
_RESERVES: dict[tuple[int, str, int], list[_Reserve]] = {}
_RESERVES_LOCK = threading.Lock()


def allocate_status_index(session: Session, org: Organisation) -> tuple[StatusListRecord, int]:
    """Take the next free index in the org's newest list, opening a new list when it is full."""
    return _from_reserve(session, org.id) or allocate_status_indexes(session, org, 1)[0]


def allocate_status_indexes(session: Session, org: Organisation, count: int) -> list[tuple[StatusListRecord, int]]:
    """Take ``count`` consecutive free indexes at once (for a cohort): one UPDATE instead of one per credential."""
    taken = _in_own_transaction(session, org.id, count)
    if taken is not None:
        return taken
    return [_take_one(session, org.id)] if count == 1 else _take_block(session, org.id, count)


def _from_reserve(session: Session, org_id: int) -> tuple[StatusListRecord, int] | None:
    """An index of one of this process's blocks for the org (taking a new block when none is left); None on
    SQLite, or where the caller's own transaction must take it."""
    bind = session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name == "sqlite":
        return None
    # By process too: a forked worker must not hand out its parent's indexes again.
    key = (os.getpid(), bind.url.render_as_string(hide_password=True), org_id)
    with _RESERVES_LOCK:
        blocks = _RESERVES.setdefault(key, [])
        while blocks and blocks[0].next >= blocks[0].end:
            blocks.pop(0)
        found = blocks[0] if blocks else None
        if found is not None:
            idx, found.next = found.next, found.next + 1
    if found is None:
        return _new_reserve(session, key, org_id)
    # Read from the row, not the session's copy (which may predate the block): the row moved past
    # the block when it was taken; anything else is a list of another database made afresh.
    row = session.execute(
        select(StatusListRecord.created_at, StatusListRecord.next_idx).where(StatusListRecord.id == found.record_id)
    ).first()
    if row is None or row.created_at != found.created_at or row.next_idx < found.end:
        with _RESERVES_LOCK:
            _RESERVES.pop(key, None)
        return None
    record = session.get(StatusListRecord, found.record_id)
    assert record is not None
    return record, idx


def _new_reserve(session: Session, key: tuple[int, str, int], org_id: int) -> tuple[StatusListRecord, int] | None:
    taken = _in_own_transaction(session, org_id, RESERVE_BLOCK)
    if taken is None:
        return None
    record, first = taken[0]
    with _RESERVES_LOCK:
        # Kept beside any block another thread took meanwhile: no index of either is lost.
        _RESERVES.setdefault(key, []).append(_Reserve(record.id, record.created_at, first + 1, first + len(taken)))
    return record, first


def _in_own_transaction(session: Session, org_id: int, count: int) -> list[tuple[StatusListRecord, int]] | None:
    """Take the indexes from the newest committed list in a short transaction of its own, committed at once;
    None where the caller's own transaction must do it.

    That is: on SQLite (one writer at a time anyway); when the org has no list yet or its newest has too
    little room (the list is opened in the caller's transaction, where its organisation may be new too);
    and when the row stays locked for long (by the caller's own transaction, which it would wait for).
    """
    bind = session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name == "sqlite":
        return None
    try:
        with Session(bind) as own, own.begin():
            own.execute(text(f"SET LOCAL lock_timeout = '{OWN_LOCK_TIMEOUT_MS}ms'"))
            current = _newest_list(own, org_id)
            if current is None:
                return None
            end = own.execute(_take(current.id, count)).scalar()
            if end is None:
                return None
            record_id = current.id
    except OperationalError:
        return None  # the lock was not free in time: take it in the caller's transaction, as before
    record = session.get(StatusListRecord, record_id)
    assert record is not None
    return [(record, idx) for idx in range(end - count, end)]


def _take(record_id: int, count: int) -> Update:
    """Move the list's next free index on by ``count`` if that many are left; RETURNING the new value."""
    return (
        update(StatusListRecord)
        .where(StatusListRecord.id == record_id, StatusListRecord.next_idx + count <= StatusListRecord.size)
        .values(next_idx=StatusListRecord.next_idx + count)
        .returning(StatusListRecord.next_idx)
    )


def _take_one(session: Session, org_id: int) -> tuple[StatusListRecord, int]:
    while True:
        current = _newest_list(session, org_id) or _open_list(session, org_id, 1)
        # One atomic UPDATE ... RETURNING: the row lock serialises writers on PostgreSQL and
        # SQLite, so no two transactions can receive the same index.
        taken = session.execute(
            update(StatusListRecord)
            .where(StatusListRecord.id == current.id, StatusListRecord.next_idx < StatusListRecord.size)
            .values(next_idx=StatusListRecord.next_idx + 1)
            .returning(StatusListRecord.next_idx)
        ).scalar()
        if taken is not None:
            return current, taken - 1
        _open_list(session, org_id, current.list_number + 1)


def _take_block(session: Session, org_id: int, count: int) -> list[tuple[StatusListRecord, int]]:
    slots: list[tuple[StatusListRecord, int]] = []
    while len(slots) < count:
        wanted = count - len(slots)
        current = _newest_list(session, org_id) or _open_list(session, org_id, 1)
        end = session.execute(
            update(StatusListRecord)
            .where(StatusListRecord.id == current.id, StatusListRecord.next_idx + wanted <= StatusListRecord.size)
            .values(next_idx=StatusListRecord.next_idx + wanted)
            .returning(StatusListRecord.next_idx)
        ).scalar()
        if end is not None:
            slots += [(current, idx) for idx in range(end - wanted, end)]
        else:
            # Too few left in this list for the whole block: fill it one by one, then open the next.
            slots.append(_take_one(session, org_id))
    return slots


def _newest_list(session: Session, org_id: int) -> StatusListRecord | None:
    return session.scalar(
        select(StatusListRecord)
        .where(StatusListRecord.org_id == org_id)
        .order_by(StatusListRecord.list_number.desc())
        .limit(1)
    )


def _open_list(session: Session, org_id: int, number: int) -> StatusListRecord:
    try:
        with session.begin_nested():
            record = StatusListRecord(org_id=org_id, list_number=number, bits=BITS, size=LIST_SIZE, next_idx=0)
            session.add(record)
        return record
    except IntegrityError:
        # Another writer opened it first: use theirs.
        existing = session.scalar(
            select(StatusListRecord).where(StatusListRecord.org_id == org_id, StatusListRecord.list_number == number)
        )
        assert existing is not None
        return existing
