"""Bulk inserts (COPY on PostgreSQL): rows read back as an INSERT stores them, ids in order, SQLAlchemy's errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certsvc.demo.seed import seed
from certsvc.store import bulk
from certsvc.store.models import AuditEntry, Learner, Organisation, Sex

from .support import CHEAP_HASHER, KEK

BASE = "https://skills.example.org"
#: Text COPY must carry unchanged: a Burmese name, tabs, backslashes, line breaks, quotes, commas.
AWKWARD = 'ဒေါ်အေးအေးမြင့် \t back\\slash\nline "quoted", comma'


@pytest.fixture
def provider_session(db_session: Session) -> tuple[Session, Organisation]:
    seed(db_session, kek=KEK, base_url=BASE, hasher=CHEAP_HASHER, now=datetime.now(UTC))
    db_session.commit()
    provider = db_session.scalars(select(Organisation).where(Organisation.slug == "klwa")).one()
    return db_session, provider


def learner_row(provider: Organisation, external_id: str, **values: Any) -> dict[str, Any]:
    row = {
        "provider_id": provider.id,
        "external_id": external_id,
        "name": "Ma Aye Aye Myint",
        "birth_date": date(1990, 2, 28),
        "nationality": "MM",
        "id_number_hash": "sha256$" + "0" * 64,
        "id_number_salt": "salt",
        "sex": Sex.FEMALE,
    }
    return {**row, **values}


def stored(session: Session, learner_id: int) -> tuple[Any, ...]:
    found = session.get(Learner, learner_id)
    assert found is not None
    return (found.name, found.birth_date, found.nationality, found.sex, found.language, found.id_number_hash)


def test_rows_read_back_as_an_insert_stores_them(provider_session: tuple[Session, Organisation]) -> None:
    session, provider = provider_session
    table = Learner.__table__
    before = datetime.now(UTC)
    values = {"name": AWKWARD, "sex": Sex.UNSPECIFIED}
    [bulk_id] = bulk.insert_rows(session, table, [learner_row(provider, "BULK-1", **values)], return_ids=True)
    [insert_id] = session.scalars(insert(table).returning(table.c.id), [learner_row(provider, "INS-1", **values)])
    session.commit()
    session.expire_all()
    assert stored(session, bulk_id) == stored(session, insert_id)
    assert stored(session, bulk_id)[0] == AWKWARD and stored(session, bulk_id)[3] is Sex.UNSPECIFIED
    created = session.get(Learner, bulk_id).created_at  # type: ignore[union-attr]
    assert created.tzinfo is not None and before - timedelta(seconds=1) <= created <= datetime.now(UTC)  # the default
    assert session.get(Learner, bulk_id).language == "en"  # type: ignore[union-attr]  # the column's default


def test_json_and_time_columns_round_trip(provider_session: tuple[Session, Organisation]) -> None:
    session, provider = provider_session
    at = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    details = {"note": AWKWARD, "nested": {"list": [1, "two", None, True]}, "empty": {}}
    row = {
        "at": at,
        "actor": "bulk",
        "org_id": provider.id,
        "action": "bulk.test",
        "subject": AWKWARD,
        "details": details,
    }
    bulk.insert_rows(session, AuditEntry.__table__, [row, {**row, "action": "bulk.second"}])
    session.commit()
    entries = session.scalars(select(AuditEntry).where(AuditEntry.actor == "bulk").order_by(AuditEntry.id)).all()
    assert [(e.action, e.at, e.subject, e.details, e.seq) for e in entries] == [
        ("bulk.test", at, AWKWARD, details, None),
        ("bulk.second", at, AWKWARD, details, None),
    ]  # not chained by the insert itself: the chainer does that after the commit


def test_ids_come_back_in_row_order_and_later_inserts_follow(provider_session: tuple[Session, Organisation]) -> None:
    session, provider = provider_session
    rows = [learner_row(provider, f"ORDER-{n:03d}", name=f"Worker {n}") for n in range(120)]
    ids = bulk.insert_rows(session, Learner.__table__, rows, return_ids=True)
    later = Learner(**learner_row(provider, "LATER"))
    session.add(later)
    session.commit()
    assert len(set(ids)) == 120
    names = {i: n for i, n in session.execute(select(Learner.id, Learner.name).where(Learner.id.in_(ids)))}
    assert [names[i] for i in ids] == [f"Worker {n}" for n in range(120)]
    assert later.id > max(ids)  # the table's own sequence moved on


@pytest.mark.parametrize("return_ids", [True, False])
def test_a_unique_violation_is_an_integrity_error_and_stores_nothing(
    provider_session: tuple[Session, Organisation], return_ids: bool
) -> None:
    session, provider = provider_session
    count = select(func.count(Learner.id)).where(Learner.external_id.like("DUP-%"))
    rows = [learner_row(provider, f"DUP-{n:03d}") for n in range(bulk.COPY_WITH_IDS_FROM)]
    with pytest.raises(IntegrityError):
        bulk.insert_rows(session, Learner.__table__, [*rows, rows[5]], return_ids=return_ids)  # COPY on PostgreSQL
    session.rollback()
    assert session.scalar(count) == 0
    bulk.insert_rows(session, Learner.__table__, rows, return_ids=return_ids)  # the session goes on
    session.commit()
    assert session.scalar(count) == len(rows)


@pytest.mark.parametrize("count", [1, bulk.COPY_WITH_IDS_FROM - 1, bulk.COPY_WITH_IDS_FROM])
def test_few_or_many_rows_come_back_with_their_ids(provider_session: tuple[Session, Organisation], count: int) -> None:
    # Below the threshold an INSERT ... RETURNING, from it COPY (on PostgreSQL): the same rows either way.
    session, provider = provider_session
    rows = [learner_row(provider, f"N{count}-{n:03d}", name=AWKWARD + str(n)) for n in range(count)]
    ids = bulk.insert_rows(session, Learner.__table__, rows, return_ids=True)
    session.commit()
    assert [stored(session, i)[0] for i in ids] == [AWKWARD + str(n) for n in range(count)]


def test_nothing_to_insert_costs_nothing(provider_session: tuple[Session, Organisation]) -> None:
    session, _ = provider_session
    assert bulk.insert_rows(session, Learner.__table__, [], return_ids=True) == []


WANTED = [[], ["E-7"], [AWKWARD, "E-2", "none such"], [f"E-{n}" for n in range(0, 1200, 2)]]


@pytest.mark.parametrize("wanted", WANTED, ids=["none", "one", "awkward", "six hundred"])
def test_one_of_matches_exactly_the_values_given(
    provider_session: tuple[Session, Organisation], wanted: list[str]
) -> None:
    session, provider = provider_session
    names = [f"E-{n}" for n in range(1000)] + [AWKWARD]
    bulk.insert_rows(session, Learner.__table__, [learner_row(provider, name) for name in names])
    session.commit()
    found = session.scalars(select(Learner.external_id).where(bulk.one_of(session, Learner.external_id, wanted)))
    assert sorted(found) == sorted(set(wanted) & set(names))
