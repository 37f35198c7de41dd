"""Audit log: a hash chain that reveals any edited or deleted entry, and says where."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from certsvc.store import audit, db
from certsvc.store.audit_commands import audit_group
from certsvc.store.models import AuditEntry

from .support import empty_database

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def write_entries(session: Session, count: int = 5) -> None:
    for n in range(count):
        audit.append(
            session, "credential.issued", actor="officer@weld.example", subject=f"CRED{n}",
            details={"n": n, "name": "José Rizal"}, now=T0 + timedelta(seconds=n),
        )  # fmt: skip
    session.commit()


def kinds(report: audit.ChainReport) -> list[tuple[int, str]]:
    return [(p.seq, p.kind) for p in report.problems]


def test_intact_chain_verifies(db_session: Session) -> None:
    write_entries(db_session)
    report = audit.verify_chain(db_session)
    assert report.ok and report.entries == 5 and report.head_seq == 5
    entries = db_session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert entries[0].prev_hash == audit.GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert audit.verify_chain(db_session, anchor=(3, entries[2].hash)).ok


def test_empty_log_verifies(db_session: Session) -> None:
    assert audit.verify_chain(db_session).ok


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("UPDATE audit_entries SET subject = 'CRED9' WHERE seq = 3", [(3, "edited")]),
        ("UPDATE audit_entries SET details = '{\"n\": 99}' WHERE seq = 2", [(2, "edited")]),
        ("UPDATE audit_entries SET at = :later WHERE seq = 4", [(4, "edited")]),
        ("DELETE FROM audit_entries WHERE seq = 3", [(3, "missing")]),
        ("DELETE FROM audit_entries WHERE seq = 1", [(1, "missing")]),
        ("DELETE FROM audit_entries WHERE seq >= 4", [(4, "head_mismatch")]),
        ("DELETE FROM audit_entries", [(1, "head_mismatch")]),
    ],
)
def test_tampering_is_detected_and_located(
    db_session: Session, engine: Engine, sql: str, expected: list[tuple[int, str]]
) -> None:
    write_entries(db_session)
    with engine.begin() as connection:
        connection.execute(text(sql), {"later": T0 + timedelta(days=1)} if ":later" in sql else {})
    db_session.expire_all()
    report = audit.verify_chain(db_session)
    assert not report.ok
    assert kinds(report) == expected


def test_rewritten_entry_with_recomputed_hash_breaks_the_next_link(db_session: Session, engine: Engine) -> None:
    write_entries(db_session)
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.seq == 2)).one()
    entry.subject = "FORGED"
    forged_hash = audit.entry_hash(entry)
    db_session.rollback()
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET subject = 'FORGED', hash = :h WHERE seq = 2"), {"h": forged_hash}
        )
    db_session.expire_all()
    assert kinds(audit.verify_chain(db_session)) == [(3, "broken_link")]


def test_external_anchor_catches_a_rewritten_log(db_session: Session) -> None:
    write_entries(db_session)
    report = audit.verify_chain(db_session, anchor=(3, "f" * 64))
    assert kinds(report) == [(3, "anchor_mismatch")]


def test_cli_verify(db_session: Session, engine: Engine, database_url: str) -> None:
    write_entries(db_session)
    runner = CliRunner()
    ok = runner.invoke(audit_group, ["verify", "--database-url", database_url])
    assert ok.exit_code == 0 and "audit log OK: 5 entries" in ok.output
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET actor = 'someone else' WHERE seq = 2"))
    failed = runner.invoke(audit_group, ["verify", "--database-url", database_url])
    assert failed.exit_code == 1
    assert "entry 2: edited" in failed.output


def test_cli_verify_through_flask(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "0 entries" in result.output


def test_concurrent_appends_keep_one_chain(postgres_url: str) -> None:
    """Eight writers on PostgreSQL (SQLite serialises writers itself): no duplicate, nothing lost."""
    empty_database(postgres_url)
    engine = db.make_engine(postgres_url, pool_size=8)
    factory = db.make_session_factory(engine)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                with factory() as session:
                    audit.append(session, "test.concurrent", actor=f"writer{n}", subject=str(i))
                    session.commit()
        except BaseException as exc:  # collected and re-raised by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 80
        assert audit.verify_chain(session).ok
    engine.dispose()


WRITER = """
import sys
from certsvc.store import audit, db
engine = db.make_engine(sys.argv[1])
factory = db.make_session_factory(engine)
n = 0
while True:
    with factory() as session:
        if n % 3 == 0:
            audit.append_many(session, [("test.bulk", f"{n}:{i}", {}) for i in range(300)], actor="w", org_id=None)
        else:
            audit.append(session, "test.one", actor="w", subject=str(n))
        session.commit()
    n += 1
    print(n, flush=True)
"""


@pytest.mark.parametrize("delay", [0.3, 0.55, 0.8, 1.1, 1.45])
def test_a_writer_killed_at_any_moment_leaves_a_chain_that_verifies(
    database_url: str, engine: Engine, db_session: Session, delay: float
) -> None:
    """SIGKILL a real writing process (mid-transaction, mid-chaining or between); the chain still verifies."""
    import signal
    import subprocess
    import sys
    import time

    write_entries(db_session, 3)  # a chain already there
    command = [sys.executable, "-c", WRITER, database_url]  # our own script and test database
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    output, _ = process.communicate(timeout=30)
    committed = int(output.split()[-1]) if output.split() else 0
    db_session.expire_all()
    before = audit.verify_chain(db_session)
    assert before.ok, before.problems  # the chained part verifies even with entries waiting
    db_session.rollback()
    audit.chain_now(engine)
    report = audit.verify_chain(db_session)
    assert report.ok and report.pending == 0, report.problems
    singles = db_session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "test.one"))
    bulk = db_session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "test.bulk"))
    assert bulk is not None and bulk % 300 == 0  # a transaction is all there or not at all
    assert (singles or 0) + bulk // 300 >= committed  # nothing a commit acknowledged is lost
    assert report.entries == 3 + (singles or 0) + bulk


def test_a_reordered_entry_is_detected(db_session: Session, engine: Engine) -> None:
    write_entries(db_session)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET seq = -1 WHERE seq = 2"))
        connection.execute(text("UPDATE audit_entries SET seq = 2 WHERE seq = 3"))
        connection.execute(text("UPDATE audit_entries SET seq = 3 WHERE seq = -1"))
    db_session.expire_all()
    assert kinds(audit.verify_chain(db_session)) == [
        (2, "broken_link"), (2, "edited"), (3, "broken_link"), (3, "edited"), (4, "broken_link"),
    ]  # fmt: skip


def test_appends_wait_for_no_lock(postgres_url: str) -> None:
    """A writer holding its transaction open (signing, say) does not hold up another writer's append."""
    empty_database(postgres_url)
    engine = db.make_engine(postgres_url)
    factory = db.make_session_factory(engine)
    try:
        with factory() as slow, factory() as quick:
            audit.append(slow, "test.slow", actor="slow")
            # Before: append locked the head, so this second writer waited for the first to finish.
            quick.execute(text("SET LOCAL lock_timeout = '2s'"))
            audit.append(quick, "test.quick", actor="quick")
            quick.commit()
            slow.commit()
        with factory() as session:
            report = audit.verify_chain(session)
            assert report.ok and report.entries == 2 and report.pending == 0
    finally:
        engine.dispose()


def test_more_entries_than_one_chaining_batch_are_chained_in_order(db_session: Session) -> None:
    # A cohort import appends thousands at once: the chainer takes them in batches, in insertion order.
    count = audit.CHAIN_BATCH + 321
    records = [("test.bulk", f"s{n:05d}", {"n": str(n)}) for n in range(count)]
    audit.append_many(db_session, records, actor="t", org_id=None)
    db_session.commit()
    report = audit.verify_chain(db_session)
    assert report.ok and report.entries == count and report.head_seq == count and report.pending == 0
    rows = db_session.execute(select(AuditEntry.seq, AuditEntry.subject).order_by(AuditEntry.id)).all()
    assert [seq for seq, _ in rows] == list(range(1, count + 1))
    assert [subject for _, subject in rows] == [f"s{n:05d}" for n in range(count)]
