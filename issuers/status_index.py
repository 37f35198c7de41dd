"""Allocating status-list indexes: unique, gap-free per list, safe under concurrent writers."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certsvc.store.models import Organisation, StatusListRecord

LIST_SIZE = 2**17  # 131,072 entries: 32 KiB at two bits each before compression
BITS = 2


def allocate_status_index(session: Session, org: Organisation) -> tuple[StatusListRecord, int]:
    """Take the next free index in the org's newest list, opening a new list when it is full."""
    while True:
        current = _newest_list(session, org) or _open_list(session, org, 1)
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
        _open_list(session, org, current.list_number + 1)


def allocate_status_indexes(session: Session, org: Organisation, count: int) -> list[tuple[StatusListRecord, int]]:
    """Take ``count`` consecutive free indexes at once (for a cohort): one UPDATE instead of one per credential."""
    slots: list[tuple[StatusListRecord, int]] = []
    while len(slots) < count:
        wanted = count - len(slots)
        current = _newest_list(session, org) or _open_list(session, org, 1)
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
            slots.append(allocate_status_index(session, org))
    return slots


def _newest_list(session: Session, org: Organisation) -> StatusListRecord | None:
    return session.scalar(
        select(StatusListRecord)
        .where(StatusListRecord.org_id == org.id)
        .order_by(StatusListRecord.list_number.desc())
        .limit(1)
    )


def _open_list(session: Session, org: Organisation, number: int) -> StatusListRecord:
    try:
        with session.begin_nested():
            record = StatusListRecord(org_id=org.id, list_number=number, bits=BITS, size=LIST_SIZE, next_idx=0)
            session.add(record)
        return record
    except IntegrityError:
        # Another writer opened it first: use theirs.
        existing = session.scalar(
            select(StatusListRecord).where(StatusListRecord.org_id == org.id, StatusListRecord.list_number == number)
        )
        assert existing is not None
        return existing
