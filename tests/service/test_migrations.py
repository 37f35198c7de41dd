"""Migrations create the whole schema on SQLite and PostgreSQL, match the models, and run from the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Engine, inspect

from certsvc.store import db, db_commands
from certsvc.store.db_commands import db as db_group
from certsvc.store.models import Base

from .support import create_schema, drop_schema, require_postgres

EXPECTED_TABLES = {
    "organisations", "signing_keys", "users", "api_tokens", "login_failures", "audit_entries", "audit_head",
    "learners", "credentials", "status_lists", "import_batches",
}  # fmt: skip


def test_migrations_create_every_table(engine: Engine, database_url: str) -> None:
    tables = set(inspect(engine).get_table_names())
    assert tables >= EXPECTED_TABLES
    assert "alembic_version" in tables
    assert db_commands.current_revision(database_url) == db_commands.head_revision()


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == [], "models changed without a migration: run `certsvc db revision -m ...`"


def test_credential_status_index_is_unique(engine: Engine) -> None:
    constraints = inspect(engine).get_unique_constraints("credentials")
    assert {"status_list_id", "status_idx"} in [set(c["column_names"]) for c in constraints]
    assert {"provider_id", "external_id"} in [set(c["column_names"]) for c in constraints]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    """An empty, never-migrated database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh' / 'certsvc.sqlite3'}"
        return
    require_postgres()
    schema, url = create_schema()
    yield url
    drop_schema(schema)


def test_downgrade_to_base_and_upgrade_again(fresh_url: str) -> None:
    db_commands.upgrade(fresh_url)
    db_commands.downgrade(fresh_url, "base")
    engine = db.make_engine(fresh_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        db_commands.upgrade(fresh_url)
        assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
    finally:
        engine.dispose()


def test_certsvc_db_upgrade_command(fresh_url: str) -> None:
    result = CliRunner().invoke(db_group, ["upgrade", "--database-url", fresh_url])
    assert result.exit_code == 0, result.output
    assert f"revision {db_commands.head_revision()}" in result.output


def test_db_upgrade_uses_configured_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTSVC_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("CERTSVC_DATABASE_URL", raising=False)
    result = CliRunner().invoke(db_group, ["upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "instance" / "certsvc.sqlite3").exists()
