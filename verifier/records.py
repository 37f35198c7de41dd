"""What the issuing service knows of a credential: one indexed read of its row, for the online verdict.

The online verifier looks the credential up by the public id in its ``id``
(``{BASE_URL}/c/{public id}``). A credential this service did not issue, or whose payload
bytes differ from the ones it signed, has no record; the record's state is the status right
now (a revocation or withdrawal counts at once, on every node).

The look-up is one read on the driver's own cursor, with the statement compiled once per
database dialect (no ORM session, no result objects: they cost more than the query). On
PostgreSQL it runs in autocommit: a single SELECT needs no transaction around it. On SQLite it runs
on an engine of its own that never opens a transaction: the service's engine begins every one
``IMMEDIATE`` (it takes the write lock up front), and verifications, which only read, would
queue behind each other and behind every write for that lock. A single SELECT in SQLite's
autocommit mode reads one consistent snapshot; in WAL mode it never waits for a writer and
sees the last commit, so a revocation still counts at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from flask import Flask, current_app
from sqlalchemy import Connection, Dialect, Engine, bindparam, create_engine, select

from certsvc.credentials.b64 import b64url_decode
from certsvc.credentials.cosigned import Signature
from certsvc.credentials.errors import Malformed
from certsvc.credentials.identifiers import credential_uri
from certsvc.credentials.statuslist import Status
from certsvc.store import db
from certsvc.store.credential_records import STATUS_OF_STATE
from certsvc.store.models import Credential, CredentialState
from verifier.issued import IssuedRecord, RecordLookup

MAX_PUBLIC_ID = 32
READ_ENGINE_EXTENSION = "certsvc.verifier.read_engine"
_TABLE = Credential.__table__
_RECORD_QUERY = select(_TABLE.c.payload, _TABLE.c.state, _TABLE.c.withdrawn_at, _TABLE.c.cosign_jws).where(
    _TABLE.c.public_id == bindparam("public_id")
)
_ENGINE_LOCK = threading.Lock()


def record_lookup(connection: Connection, base_url: str) -> RecordLookup:
    """A lookup of credentials by id on ``connection`` (one query per credential, by the unique public id)."""
    prefix = credential_uri(base_url.rstrip("/"), "")
    sql, positional = _compiled(connection.dialect)

    def lookup(credential_id: str) -> IssuedRecord | None:
        public_id = credential_id[len(prefix) :] if credential_id.startswith(prefix) else ""
        if not public_id or len(public_id) > MAX_PUBLIC_ID or not public_id.isalnum():
            return None
        parameters = (public_id,) if positional else {"public_id": public_id}
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql, parameters)
            row = cursor.fetchone()
        except connection.dialect.loaded_dbapi.Error as exc:
            raise db.driver_error(connection, sql, parameters, exc) from exc
        finally:
            cursor.close()
        if row is None:
            return None
        payload, state, withdrawn_at, cosign_jws = row
        # The driver's values: the payload may come as a memoryview, the state as its stored value.
        return _record(bytes(payload), CredentialState(state), withdrawn_at, cosign_jws)

    return lookup


@contextmanager
def open_records() -> Iterator[RecordLookup]:
    """The current app's lookup, on a connection of its own in autocommit, back in the pool at once after."""
    with read_engine(current_app).connect() as connection:
        if connection.dialect.name != "sqlite":
            # No transaction: the one SELECT reads a consistent snapshot by itself, and the BEGIN
            # before it and the ROLLBACK on return to the pool were two more round trips.
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        yield record_lookup(connection, str(current_app.config["BASE_URL"]))


@lru_cache(maxsize=8)
def _compiled(dialect: Dialect) -> tuple[str, bool]:
    """The look-up's SQL in the dialect's parameter style, and whether it takes its parameter by position."""
    compiled = _RECORD_QUERY.compile(dialect=dialect)
    return str(compiled), bool(compiled.positiontup)


def read_engine(app: Flask) -> Engine:
    """The engine verifications read with: on SQLite one that never takes the write lock, else the app's."""
    found: Engine | None = app.extensions.get(READ_ENGINE_EXTENSION)
    if found is not None:
        return found
    with _ENGINE_LOCK:
        found = app.extensions.get(READ_ENGINE_EXTENSION)
        if found is None:
            engine: Engine = db.session_factory(app).kw["bind"]
            # A database in memory exists only on its own engine's connections.
            if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
                # No "begin" listener: the driver runs each SELECT on its own, in autocommit.
                timeout = db.SQLITE_BUSY_TIMEOUT_MS / 1000
                engine = create_engine(engine.url, hide_parameters=True, connect_args={"timeout": timeout})
            found = app.extensions[READ_ENGINE_EXTENSION] = engine
    return found


def _record(payload: bytes, state: CredentialState, withdrawn_at: object, cosign_jws: str | None) -> IssuedRecord:
    status = STATUS_OF_STATE.get(state, Status.COSIGNATURE_WITHDRAWN if withdrawn_at is not None else Status.VALID)
    declined = state is CredentialState.REJECTED
    return IssuedRecord(bytes(payload), Status(status), None if declined else _signature(cosign_jws), declined)


@lru_cache(maxsize=4096)
def _signature(compact: str | None) -> Signature | None:
    # Cached: a credential verified again reads the same co-signature from its record.
    if not compact:
        return None
    parts = compact.split(".")
    try:
        return Signature(b64url_decode(parts[0]), b64url_decode(parts[2]))
    except (IndexError, Malformed):
        return None
