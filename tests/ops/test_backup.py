"""Backup and restore: every credential still verifies and the audit chain holds, SQLite and PostgreSQL both ways."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from certsvc.cli import main
from certsvc.store import db, db_commands
from certsvc.store.backup import FORMAT, read_header
from certsvc.store.credential_records import qr_text_of
from certsvc.store.models import AuditEntry, Credential, Organisation
from certsvc.store.signers import signer_for
from issuers.issuance import LearnerData, get_qualification, issue_credential, register_learner
from verifier.documents import load_published, verify_documents
from verifier.pipeline import verify

from .support import BASE_URL, KEK, World


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def verdicts(url: str) -> dict[str, str]:
    """Every credential's verdict, verified as any outside verifier would, from the database's own lists."""
    now = datetime.now(UTC)
    engine = db.make_engine(url, sqlite_begin="DEFERRED")
    try:
        with db.make_session_factory(engine)() as session:
            documents = verify_documents(load_published(session, base_url=BASE_URL, kek=KEK, now=now), now)
            found = {
                c.public_id: verify(qr_text_of(c, BASE_URL), documents.trust_lists, documents.status_lists, now)
                for c in session.scalars(select(Credential).order_by(Credential.id))
            }
            session.rollback()
    finally:
        engine.dispose()
    return {public_id: result.status.value for public_id, result in found.items()}


def audit_ok(url: str) -> None:
    code, output = run("audit", "verify", "--database-url", url)
    assert code == 0 and "audit log OK" in output, output


def round_trip(source: str, target: str, file: Path) -> dict[str, str]:
    expected = verdicts(source)
    assert run("backup", str(file), "--database-url", source)[0] == 0
    code, output = run("restore", str(file), "--database-url", target)
    assert code == 0, output
    assert verdicts(target) == expected
    audit_ok(target)
    return expected


def test_sqlite_to_sqlite_round_trip(seeded_sqlite: World, tmp_path: Path) -> None:
    file = tmp_path / "backup.jsonl.gz"
    expected = round_trip(seeded_sqlite.database_url, f"sqlite:///{tmp_path / 'restored.sqlite3'}", file)
    assert "recognized" in expected.values() and "invalid" in expected.values() and len(expected) == 13
    header = read_header(file)
    assert header["format"] == FORMAT and header["revision"] == db_commands.head_revision()
    assert "key-encryption key is not in this backup" in header["note"]
    assert file.stat().st_mode & 0o077 == 0  # personal data inside: owner only
    with gzip.open(file, "rt") as lines:
        assert KEK not in lines.read()


def test_sqlite_to_postgresql_and_back(seeded_sqlite: World, postgres_schema: str, tmp_path: Path) -> None:
    expected = round_trip(seeded_sqlite.database_url, postgres_schema, tmp_path / "to-pg.jsonl.gz")
    # The sequences moved past the restored ids: new rows get fresh ids.
    engine = db.make_engine(postgres_schema)
    with db.make_session_factory(engine)() as session:
        provider = session.scalar(select(Organisation).where(Organisation.slug == "klwa"))
        assert provider is not None
        before = session.scalar(select(func.max(Credential.id)))
        learner = register_learner(
            session, provider, LearnerData("New Person", datetime(1990, 1, 1).date(), "PH", "N1", None, None), actor="t"
        )
        credential = issue_credential(
            session,
            provider,
            learner,
            get_qualification(session, provider, "SMAW2"),
            signer=signer_for(session, provider, KEK, BASE_URL),
            base_url=BASE_URL,
            now=datetime.now(UTC),
            actor="t",
        )
        session.commit()
        assert credential.id == before + 1
    engine.dispose()
    back = round_trip(postgres_schema, f"sqlite:///{tmp_path / 'back.sqlite3'}", tmp_path / "from-pg.jsonl.gz")
    assert {k: v for k, v in back.items() if k in expected} == expected and len(back) == len(expected) + 1


def test_restore_refuses_a_database_that_is_not_empty(seeded_sqlite: World, tmp_path: Path) -> None:
    file = tmp_path / "backup.jsonl.gz"
    assert run("backup", str(file), "--database-url", seeded_sqlite.database_url)[0] == 0
    code, output = run("restore", str(file), "--database-url", seeded_sqlite.database_url)
    assert code == 1 and "not empty" in output and "nothing was written" in output
    audit_ok(seeded_sqlite.database_url)


def test_restore_refuses_another_schema_revision(seeded_sqlite: World, tmp_path: Path) -> None:
    file = tmp_path / "backup.jsonl.gz"
    assert run("backup", str(file), "--database-url", seeded_sqlite.database_url)[0] == 0
    old = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    db_commands.upgrade(old, "0001")
    code, output = run("restore", str(file), "--database-url", old)
    assert code == 1 and "revision" in output


@pytest.mark.parametrize("damage", ["truncate", "counts", "garbage"])
def test_a_damaged_backup_writes_nothing(seeded_sqlite: World, tmp_path: Path, damage: str) -> None:
    file = tmp_path / "backup.jsonl.gz"
    assert run("backup", str(file), "--database-url", seeded_sqlite.database_url)[0] == 0
    with gzip.open(file, "rt") as handle:
        lines = handle.read().splitlines()
    if damage == "truncate":
        lines = lines[: len(lines) // 2]
    elif damage == "counts":
        end = json.loads(lines[-1])
        end["counts"]["credentials"] += 1
        lines[-1] = json.dumps(end)
    else:
        lines.insert(len(lines) // 2, '{"what": "ever"}')
    with gzip.open(file, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    code, output = run("restore", str(file), "--database-url", target)
    assert code == 1 and "nothing was written" in output
    engine = db.make_engine(target)
    with db.make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
        assert session.scalar(select(func.count()).select_from(Credential)) == 0
    engine.dispose()


def test_backup_of_a_database_without_schema_is_refused(tmp_path: Path) -> None:
    code, output = run("backup", str(tmp_path / "b.gz"), "--database-url", f"sqlite:///{tmp_path / 'none.sqlite3'}")
    assert code == 1 and "never migrated" in output
    assert not (tmp_path / "b.gz").exists() and not (tmp_path / "b.gz.partial").exists()
