"""`certsvc keys rewrap`: every private key under the new KEK, or (on any failure) every key under the old one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from certsvc.cli import main
from certsvc.store import db
from certsvc.store.keys_commands import undecryptable
from certsvc.store.models import AuditEntry, SigningKeyRecord

from .support import KEK, World, seed_world

NEW_KEK = "the-new-key-encryption-key-" + "n" * 32


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, seeded_sqlite: World) -> World:
    if request.param == "sqlite":
        return seeded_sqlite
    return seed_world(request.getfixturevalue("postgres_schema"))


def rewrap(world: World, tmp_path: Path, new_kek: str = NEW_KEK) -> tuple[int, str]:
    new_file = tmp_path / "new-kek"
    new_file.write_text(new_kek + "\n")
    env = {
        "CERTSVC_INSTANCE_PATH": str(tmp_path),
        "CERTSVC_KEY_ENCRYPTION_KEY": KEK,
        "CERTSVC_NEW_KEY_ENCRYPTION_KEY_FILE": str(new_file),
    }
    result = CliRunner().invoke(main, ["keys", "rewrap", "--database-url", world.database_url], env=env)
    return result.exit_code, result.output


def key_states(world: World) -> tuple[int, list[str], list[str]]:
    """How many keys there are, and which fail under the old and under the new KEK."""
    engine = db.make_engine(world.database_url, sqlite_begin="DEFERRED")
    with db.make_session_factory(engine)() as session:
        count = len(session.scalars(select(SigningKeyRecord)).all())
        states = count, undecryptable(session, KEK), undecryptable(session, NEW_KEK)
    engine.dispose()
    return states


def test_rewrap_moves_every_key_to_the_new_kek(world: World, tmp_path: Path) -> None:
    count, _, _ = key_states(world)
    code, output = rewrap(world, tmp_path)
    assert code == 0, output
    assert f"rewrapped {count} key(s)" in output
    total, under_old, under_new = key_states(world)
    assert under_new == [] and len(under_old) == total == count
    engine = db.make_engine(world.database_url)
    with db.make_session_factory(engine)() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "keys.rewrapped"))
        assert entry is not None and entry.details == {"count": count}
    engine.dispose()
    result = CliRunner().invoke(main, ["audit", "verify", "--database-url", world.database_url])
    assert result.exit_code == 0, result.output


def test_a_damaged_key_midway_leaves_every_key_under_the_old_kek(world: World, tmp_path: Path) -> None:
    engine = db.make_engine(world.database_url)
    with db.make_session_factory(engine)() as session:
        ids = session.scalars(select(SigningKeyRecord.id).order_by(SigningKeyRecord.id)).all()
        damaged = ids[len(ids) // 2]  # keys before it are rewrapped in the transaction first
        session.execute(
            update(SigningKeyRecord).where(SigningKeyRecord.id == damaged).values(encrypted_private_key=b"garbage")
        )
        session.commit()
    code, output = rewrap(world, tmp_path)
    assert code == 1 and "nothing was changed" in output
    total, under_old, under_new = key_states(world)
    assert len(under_old) == 1  # only the damaged one
    assert len(under_new) == total  # none moved
    with db.make_session_factory(engine)() as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "keys.rewrapped")) is None
    engine.dispose()


@pytest.mark.parametrize("new_kek", ["short", KEK])
def test_a_weak_or_unchanged_new_kek_is_refused(seeded_sqlite: World, tmp_path: Path, new_kek: str) -> None:
    code, output = rewrap(seeded_sqlite, tmp_path, new_kek)
    assert code == 2 and "new KEK" in output
    _, under_old, _ = key_states(seeded_sqlite)
    assert under_old == []
