"""/healthz and /readyz, and the 503 a request gets when the database cannot be reached."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from certsvc.app import create_app
from certsvc.store import db, db_commands

from .support import World, app_settings, bearer, free_port


def make_app(database_url: str, **overrides: object) -> Flask:
    return create_app(app_settings(database_url, **overrides))


def unreachable_postgres() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"


def test_healthz_answers_without_the_database() -> None:
    app = make_app(unreachable_postgres())
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_200_when_database_migrations_and_keys_are_fine(seeded_sqlite: World) -> None:
    app = make_app(seeded_sqlite.database_url)
    response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "ready"
    assert body["checks"]["migrations"] == {
        "ok": True,
        "current": db_commands.head_revision(),
        "head": db_commands.head_revision(),
    }
    assert body["checks"]["signing_keys"] == {"ok": True, "sampled": 3}
    db.dispose(app)


def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    app = make_app(unreachable_postgres())
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not_ready"
    assert response.json["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert response.headers["Retry-After"] == "5"


def test_readyz_is_503_when_migrations_are_behind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    db_commands.upgrade(url, "0001")
    app = make_app(url)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    migrations = response.json["checks"]["migrations"]
    assert migrations["ok"] is False and migrations["current"] == "0001"
    db.dispose(app)


def test_readyz_is_503_when_signing_keys_do_not_decrypt(seeded_sqlite: World) -> None:
    app = make_app(seeded_sqlite.database_url, KEY_ENCRYPTION_KEY="another-key-encryption-key-" + "x" * 32)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    keys = response.json["checks"]["signing_keys"]
    assert keys["ok"] is False and len(keys["undecryptable"]) == keys["sampled"] == 3
    db.dispose(app)


def test_a_database_outage_is_a_503_with_retry_after_in_the_clients_format() -> None:
    app = make_app(unreachable_postgres(), DATABASE_RETRY_AFTER=7)
    client = app.test_client()
    api = client.get("/api/v1/credentials", headers=bearer("cst_whatever"))
    assert api.status_code == 503 and api.headers["Retry-After"] == "7"
    assert api.json["code"] == "database_unavailable" and api.json["status"] == 503
    page = client.get("/o/klwa/trust-list", headers={"Accept": "text/html"})
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "database_unavailable" in page.get_data(as_text=True)
    assert page.headers["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in page.headers
