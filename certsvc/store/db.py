"""Engine and per-request session; SQLite gets foreign keys, WAL and serialised write transactions."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
EXTENSION = "certsvc.db"
SQLITE_BUSY_TIMEOUT_MS = 15_000
SQLITE_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
POSTGRES_CONNECT_TIMEOUT = 5


def make_engine(url: str, *, sqlite_begin: str = "IMMEDIATE", **options: Any) -> Engine:
    """Create an engine for ``url``; SQLite files get their folder created and safe pragmas.

    On SQLite every transaction begins with ``BEGIN IMMEDIATE`` unless ``sqlite_begin``
    says ``DEFERRED`` (for tools and tests that only read while the app writes: in WAL
    mode a reader never blocks a writer, but an IMMEDIATE transaction left open does).
    """
    if sqlite_begin not in SQLITE_BEGIN_MODES:
        raise ValueError(f"sqlite_begin must be one of {sorted(SQLITE_BEGIN_MODES)}")
    parsed = make_url(url)
    # Error messages (and so logs) never carry the statement's parameters: they hold personal data.
    options.setdefault("hide_parameters", True)
    if parsed.get_backend_name() != "sqlite":
        if "connect_timeout" not in parsed.query:
            # An unreachable database fails a request within seconds (a 503) instead of hanging a worker.
            options.setdefault("connect_args", {"connect_timeout": POSTGRES_CONNECT_TIMEOUT})
        return create_engine(parsed, pool_pre_ping=True, **options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, **options)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", functools.partial(_sqlite_on_begin, f"BEGIN {sqlite_begin}"))
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL is still crash-safe (a power cut may lose the last commits, never
    # corrupt the file) and saves a disk sync on every commit.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_on_begin(statement: str, connection: Any) -> None:
    # IMMEDIATE takes the write lock up front, so two transactions that read then write
    # (audit chain head, status-list index) wait for each other instead of one failing.
    connection.exec_driver_sql(statement)


def driver_error(connection: Connection, statement: str, parameters: object, exc: Exception) -> DBAPIError:
    """A driver's own error, from work done on its raw connection, as SQLAlchemy raises it for every query.

    So a lost database is a 503 (certsvc.web.health) and a duplicate an IntegrityError, and a
    dead connection is invalidated, leaving the pool.
    """
    dialect = connection.dialect
    invalidated = dialect.is_disconnect(exc, connection.connection.dbapi_connection, None)
    if invalidated:
        connection.invalidate(exc)
    return DBAPIError.instance(
        statement,
        parameters,
        exc,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,
        connection_invalidated=invalidated,
        dialect=dialect,
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory used by the web tier and the CLI."""
    return sessionmaker(engine, expire_on_commit=False)


def init_app(app: Flask) -> None:
    """Create the engine from ``DATABASE_URL`` and close the request's session on teardown."""
    app.extensions[EXTENSION] = make_session_factory(make_engine(app.config["DATABASE_URL"]))
    app.teardown_appcontext(_close_session)


def session_factory(app: Flask) -> sessionmaker[Session]:
    """Return the app's session factory (for CLI commands and tests)."""
    factory: sessionmaker[Session] = app.extensions[EXTENSION]
    return factory


def get_session() -> Session:
    """Return this request's session, opening it on first use; views commit explicitly."""
    if "db_session" not in g:
        g.db_session = session_factory(current_app)()
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except SQLAlchemyError as exc:
        # The connection died under the request (the database restarted): its transaction died with it.
        # Drop the connection rather than fail a response that is already made.
        log.warning("discarding a broken database connection: %s", type(exc).__name__)
        session.invalidate()


def dispose(app: Flask) -> None:
    """Close every pooled connection of the app's engine, and of any other engine a part of the app keeps
    in ``app.extensions`` (the verifier's read-only SQLite engine)."""
    bind = session_factory(app).kw["bind"]
    bind.dispose()
    for extension in list(app.extensions.values()):
        if isinstance(extension, Engine) and extension is not bind:
            extension.dispose()
