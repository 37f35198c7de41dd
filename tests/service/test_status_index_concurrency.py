"""Status-list indexes stay unique when many writers allocate at once (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from certsvc.store import db
from certsvc.store.models import Organisation, OrgKind, StatusListRecord
from issuers.status_index import RESERVE_BLOCK, allocate_status_index, allocate_status_indexes

from .support import make_org

WRITERS = 8
PER_WRITER = 25


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_parallel_writers_never_share_an_index(database_url: str) -> None:
    engine = db.make_engine(database_url)
    factory = db.make_session_factory(engine)
    with factory() as session:
        org = make_org(session, "para-my", OrgKind.PROVIDER)
        session.commit()
        org_id = org.id
    taken: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(WRITERS)

    def writer() -> None:
        try:
            barrier.wait()
            for _ in range(PER_WRITER):
                with factory() as session:
                    record, idx = allocate_status_index(session, session.get(Organisation, org_id))
                    taken.append((record.list_number, idx))
                    session.commit()
        except BaseException as exc:  # collected and re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(taken) == WRITERS * PER_WRITER
    assert len(set(taken)) == len(taken)  # no duplicate index
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(StatusListRecord)) == 1
        handed_out = session.scalar(select(StatusListRecord.next_idx))
    # Indexes come from the blocks the process took: every one within them, few left over.
    assert handed_out is not None and max(i for _, i in taken) < handed_out
    assert handed_out - len(taken) < WRITERS * RESERVE_BLOCK
    engine.dispose()


def _provider(database_url: str, slug: str) -> tuple[Engine, sessionmaker[Session], int]:
    """An engine and session factory on the database, and a new provider's id."""
    engine = db.make_engine(database_url)
    factory = db.make_session_factory(engine)
    with factory() as session:
        org_id = make_org(session, slug, OrgKind.PROVIDER).id
        session.commit()
    return engine, factory, org_id


def _issue_index(factory: sessionmaker[Session], org_id: int) -> int:
    """The index one credential issued on its own takes, in a transaction of its own."""
    with factory() as session:
        _, idx = allocate_status_index(session, session.get(Organisation, org_id))
        session.commit()
    return idx


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_credentials_issued_one_by_one_take_their_indexes_from_a_block(database_url: str) -> None:
    """One transaction on the list's row serves RESERVE_BLOCK credentials of a process, not one each."""
    engine, factory, org_id = _provider(database_url, "block-my")
    taken = [_issue_index(factory, org_id) for _ in range(RESERVE_BLOCK + 2)]
    with factory() as session:
        handed_out = session.scalar(select(StatusListRecord.next_idx))
    # The first opens the list in the caller's transaction; then one block, then the next.
    assert taken == list(range(RESERVE_BLOCK + 2))
    assert handed_out == 1 + 2 * RESERVE_BLOCK
    engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_block_of_a_list_made_afresh_is_not_used(database_url: str) -> None:
    """A list row with the block's id but another creation time (a database made afresh) gets no index of it."""
    engine, factory, org_id = _provider(database_url, "afresh-my")
    assert [_issue_index(factory, org_id) for _ in range(2)] == [0, 1]  # the list, then a block of it
    with factory() as session:
        record = session.scalars(select(StatusListRecord)).one()
        session.execute(update(StatusListRecord).values(created_at=record.created_at - timedelta(days=1), next_idx=5))
        session.commit()
    # From the row, not from the block the process still holds (indexes 2 ...).
    assert _issue_index(factory, org_id) == 5
    engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_open_issuing_transaction_holds_no_lock_on_the_status_list(database_url: str) -> None:
    """A writer that took its indexes and is still signing, hashing or inserting must not make the next
    writer wait: indexes (a block, or a batch's) are taken in a short transaction of their own (the
    issue's "no lock held across Python work")."""
    engine, factory, org_id = _provider(database_url, "lock-my")
    _issue_index(factory, org_id)  # the provider's first credential opens its first list
    with factory() as first, factory() as second:
        # Each takes from the row itself, as a process taking a block or a batch does.
        (_, taken_first), *_ = allocate_status_indexes(first, first.get(Organisation, org_id), 3)
        # ``first`` stays open, as a request does while it signs and writes the credential.
        second.execute(text("SET LOCAL lock_timeout = '2s'"))
        (_, taken_second), *_ = allocate_status_indexes(second, second.get(Organisation, org_id), 3)
        assert taken_second == taken_first + 3
        second.commit()
        first.rollback()
    engine.dispose()
