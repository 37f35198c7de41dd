"""Liveness and readiness for load balancers and orchestrators, and the 503 for a database outage.

- ``/healthz``: the process is up and answers (no database work). 200 always.
- ``/readyz``: the database answers, its schema is at the migrations' head, and a sample of
  the active signing keys decrypts under the configured key-encryption key. 200 when all
  hold, 503 otherwise; the JSON body names each check.

A request that meets an unreachable database (PostgreSQL restarting, a dropped connection)
gets a 503 with ``Retry-After`` in the client's format instead of a 500. The engine pings
pooled connections before use (``pool_pre_ping``), so the app recovers by itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from alembic.runtime.migration import MigrationContext
from flask import Blueprint, Flask, Response, current_app, jsonify, render_template
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from certsvc.accounts.access import public
from certsvc.credentials.errors import CertsvcError
from certsvc.store import db, db_commands
from certsvc.store.keystore import decrypt_signing_key
from certsvc.store.models import KeyState, SigningKeyRecord
from certsvc.web import error_handlers

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
HEAD_EXTENSION = "certsvc.migrations_head"
DEFAULTS: dict[str, Any] = {
    # How many active signing keys /readyz decrypts (picked at random each time).
    "READYZ_KEY_SAMPLE": 3,
    # Seconds a client is asked to wait after a 503 for an unreachable database.
    "DATABASE_RETRY_AFTER": 5,
}


@dataclass
class Readiness:
    """The outcome of each readiness check, by name."""

    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(check["ok"] for check in self.checks.values())

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "not_ready", "checks": self.checks}


def init_app(app: Flask) -> None:
    """Register the probes and the 503 answer for database outages."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    app.extensions[HEAD_EXTENSION] = db_commands.head_revision()
    app.register_blueprint(bp)
    for error in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(error, handle_database_unavailable)


def check_readiness(engine: Engine, kek: str, head: str | None, *, key_sample: int) -> Readiness:
    """Check the database, the schema revision and that sampled active keys decrypt."""
    readiness = Readiness()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            readiness.checks["database"] = {"ok": True}
            current = MigrationContext.configure(connection).get_current_revision()
            readiness.checks["migrations"] = {"ok": current == head, "current": current, "head": head}
            if current == head:
                with Session(bind=connection) as session:
                    readiness.checks["signing_keys"] = _check_keys(session, kek, key_sample)
    except SQLAlchemyError as exc:
        readiness.checks["database"] = {"ok": False, "error": type(exc).__name__}
    return readiness


def _check_keys(session: Session, kek: str, sample: int) -> dict[str, Any]:
    records = session.scalars(
        select(SigningKeyRecord).where(SigningKeyRecord.state == KeyState.ACTIVE).order_by(func.random()).limit(sample)
    ).all()
    failed = []
    for record in records:
        try:
            decrypt_signing_key(record, kek)
        except CertsvcError:
            failed.append(record.kid)
    result: dict[str, Any] = {"ok": not failed, "sampled": len(records)}
    if failed:
        result["undecryptable"] = failed
    return result


@bp.get("/healthz")
@public
def healthz() -> Response:
    """The process is up."""
    return _no_store(jsonify({"status": "ok"}))


@bp.get("/readyz")
@public
def readyz() -> tuple[Response, int]:
    """Ready to serve: database reachable, migrations at head, signing keys decryptable."""
    engine = db.session_factory(current_app).kw["bind"]
    readiness = check_readiness(
        engine,
        current_app.config["KEY_ENCRYPTION_KEY"],
        current_app.extensions[HEAD_EXTENSION],
        key_sample=int(current_app.config["READYZ_KEY_SAMPLE"]),
    )
    response = _no_store(jsonify(readiness.as_dict()))
    if not readiness.ready:
        response.headers["Retry-After"] = str(current_app.config["DATABASE_RETRY_AFTER"])
    return response, 200 if readiness.ready else 503


def handle_database_unavailable(exc: Exception) -> tuple[Response | str, int, dict[str, str]]:
    """Answer 503 with Retry-After when the database cannot be reached; nothing was committed."""
    log.warning("database unavailable: %s", type(exc).__name__)
    retry = str(current_app.config.get("DATABASE_RETRY_AFTER", DEFAULTS["DATABASE_RETRY_AFTER"]))
    body = {
        "code": "database_unavailable",
        "message": "The service is briefly unavailable. Nothing was changed; try again in a few seconds.",
        "status": 503,
    }
    headers = {"Retry-After": retry, "Cache-Control": "no-store"}
    if error_handlers.wants_json():
        return jsonify(body), 503, headers
    page = render_template("errors/error.html", status=503, title="Service Unavailable", error=body)
    return page, 503, headers


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
