"""Status-list indexes stay unique when many writers allocate at once (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from certsvc.store import db
from certsvc.store.models import OrgKind, StatusListRecord
from issuers.status_index import allocate_status_index

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
    assert sorted(i for _, i in taken) == list(range(WRITERS * PER_WRITER))  # nothing lost
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(StatusListRecord)) == 1
    engine.dispose()
