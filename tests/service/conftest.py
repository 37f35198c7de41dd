"""Fixtures for the service: every database-backed test runs on SQLite and on PostgreSQL.

PostgreSQL tests use a fresh schema per test session (dropped afterwards) in the
database named by CERTSVC_TEST_POSTGRES_URL (default: the local ``test`` database).
When PostgreSQL is unreachable they are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from certsvc.app import create_app
from certsvc.demo.seed import seed
from certsvc.store import db, db_commands

from .support import CHEAP_HASHER, KEK, create_schema, drop_schema, empty_database, require_postgres, settings_for

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL schema migrated once for this test session, dropped at the end."""
    require_postgres()
    schema, url = create_schema()
    try:
        db_commands.upgrade(url)
        yield url
    finally:
        drop_schema(schema)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "certsvc.sqlite3"
    db_commands.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """An empty, migrated database on the parametrised backend."""
    if backend == "sqlite":
        path = tmp_path / "certsvc.sqlite3"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    empty_database(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test's own engine; on SQLite its transactions are DEFERRED so a test's reads never block the app."""
    engine = db.make_engine(database_url, sqlite_begin="DEFERRED")
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session on the test database; the test commits what it wants kept."""
    with db.make_session_factory(engine)() as session:
        yield session


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(settings_for(database_url))
    yield app
    db.dispose(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def demo(app: Flask) -> Flask:
    """The app with the demo's three corridors: providers, embassies, authorities, users and credentials."""
    with app.app_context():
        session = db.get_session()
        seed(session, kek=KEK, base_url=app.config["BASE_URL"], hasher=CHEAP_HASHER, now=datetime.now(UTC))
        session.commit()
    return app
