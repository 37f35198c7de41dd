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
