"""Status-list indexes stay unique when many writers allocate at once (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from certsvc.store import db
from certsvc.store.models import OrgKind, StatusListRecord
from issuers.status_index import RESERVE_BLOCK, allocate_status_index

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
                    from certsvc.store.models import Organisation

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


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_credentials_issued_one_by_one_take_their_indexes_from_a_block(database_url: str) -> None:
    """One transaction on the list's row serves RESERVE_BLOCK credentials of a process, not one each."""
    from certsvc.store.models import Organisation

    engine = db.make_engine(database_url)
    factory = db.make_session_factory(engine)
    with factory() as session:
        org_id = make_org(session, "block-my", OrgKind.PROVIDER).id
        session.commit()
    taken = []
    for _ in range(RESERVE_BLOCK + 2):
        with factory() as session:
            taken.append(allocate_status_index(session, session.get(Organisation, org_id))[1])
            session.commit()
    with factory() as session:
        handed_out = session.scalar(select(StatusListRecord.next_idx))
    # The first opens the list in its own transaction; then one block, then the next.
    assert taken == list(range(RESERVE_BLOCK + 2))
    assert handed_out == 1 + 2 * RESERVE_BLOCK
    engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_block_of_a_list_made_afresh_is_not_used(database_url: str) -> None:
    """A list row with the block's id but another creation time (a database made afresh) gets no index of it."""
    from datetime import timedelta

    from sqlalchemy import update

    from certsvc.store.models import Organisation

    engine = db.make_engine(database_url)
    factory = db.make_session_factory(engine)
    with factory() as session:
        org_id = make_org(session, "afresh-my", OrgKind.PROVIDER).id
        session.commit()
    for _ in range(2):  # the list, then a block of it
        with factory() as session:
            allocate_status_index(session, session.get(Organisation, org_id))
            session.commit()
    with factory() as session:
        record = session.scalars(select(StatusListRecord)).one()
        session.execute(update(StatusListRecord).values(created_at=record.created_at - timedelta(days=1), next_idx=5))
        session.commit()
    with factory() as session:
        _, idx = allocate_status_index(session, session.get(Organisation, org_id))
        session.commit()
    assert idx >= 5  # from the row, not the block the process still holds (indexes 2 ...)
    engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_open_issuing_transaction_holds_no_lock_on_the_status_list(database_url: str) -> None:
    """A writer that took its index and is still signing, hashing or inserting must not make the next
    writer wait: the index is taken in a short transaction of its own (the issue's "no lock held
    across Python work")."""
    from sqlalchemy import text

    from certsvc.store.models import Organisation

    engine = db.make_engine(database_url)
    factory = db.make_session_factory(engine)
    with factory() as session:
        org = make_org(session, "lock-my", OrgKind.PROVIDER)
        session.commit()
        org_id = org.id
    with factory() as session:  # the provider's first credential opens its first list
        allocate_status_index(session, session.get(Organisation, org_id))
        session.commit()
    with factory() as first, factory() as second:
        _, taken_first = allocate_status_index(first, first.get(Organisation, org_id))
        # ``first`` stays open, as a request does while it signs and writes the credential.
        second.execute(text("SET LOCAL lock_timeout = '2s'"))
        _, taken_second = allocate_status_index(second, second.get(Organisation, org_id))
        assert taken_second == taken_first + 1
        second.commit()
        first.rollback()
    engine.dispose()
