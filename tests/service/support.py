"""Test support: settings, PostgreSQL schema handling, factories and a form-login helper."""

from __future__ import annotations

import os
import re
import secrets
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from certsvc.accounts import organisations, users
from certsvc.store import db
from certsvc.store.audit import GENESIS_HASH
from certsvc.store.models import Base, Organisation, OrgKind, Role, User

POSTGRES_URL = os.environ.get("CERTSVC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET_KEY = "test-secret-key-" + "s" * 32
KEK = "test-key-encryption-key-" + "k" * 32
PASSWORD = "correct horse battery"
OFFICER = "officer@weld.example"
#: argon2id at minimal cost: the tests check behaviour, not hashing strength.
CHEAP_HASHING = {"PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_KIB": 1024, "PASSWORD_HASH_PARALLELISM": 1}
CHEAP_HASHER = users.make_password_hasher(1, 1024, 1)
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def settings_for(database_url: str, **overrides: Any) -> dict[str, Any]:
    """Return a complete test configuration for ``database_url``."""
    return {
        "TESTING": True,
        "SECRET_KEY": SECRET_KEY,
        "KEY_ENCRYPTION_KEY": KEK,
        "DATABASE_URL": database_url,
        "BASE_URL": "https://skills.example.org",
        **CHEAP_HASHING,
        **overrides,
    }


# -- PostgreSQL -------------------------------------------------------------------------


def _connect(**kw: Any) -> psycopg.Connection[Any]:
    url = make_url(POSTGRES_URL)
    return psycopg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, dbname=url.database, **kw
    )


def require_postgres() -> None:
    """Skip when PostgreSQL is unreachable; under CI=true fail instead."""
    try:
        _connect(connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {POSTGRES_URL} is unreachable: {str(exc).strip().splitlines()[0]}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: the PostgreSQL tests must run)", pytrace=False)
        pytest.skip(message)


def create_schema() -> tuple[str, str]:
    """Create a uniquely named empty schema; return its name and a URL whose search path is it."""
    schema = f"certsvc_test_{secrets.token_hex(5)}"
    with _connect(autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")  # type: ignore[arg-type]  # name is hex we made
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, url.render_as_string(hide_password=False)


def drop_schema(schema: str) -> None:
    """Drop a schema made by create_schema, with everything in it."""
    with _connect(autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")  # type: ignore[arg-type]


def empty_database(url: str) -> None:
    """Delete every row but keep the schema; reset the audit head."""
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    engine = db.make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": GENESIS_HASH})
    engine.dispose()


# -- factories --------------------------------------------------------------------------


def make_org(session: Session, slug: str = "weld-my", kind: OrgKind = OrgKind.PROVIDER, **kw: Any) -> Organisation:
    """Create an organisation (with its first key) in ``session``."""
    values: dict[str, Any] = {"name": slug.replace("-", " ").title(), "country": "MY"}
    if kind is OrgKind.EMBASSY:
        values.update(country="PH", host_country="MY")
    values.update(kw)
    return organisations.create_organisation(session, slug=slug, kind=kind, kek=KEK, actor="test", **values)


def make_user(session: Session, org: Organisation, email: str = OFFICER, role: Role = Role.OFFICER) -> User:
    """Create a user whose password is PASSWORD."""
    return users.create_user(session, org, email=email, password=PASSWORD, role=role, hasher=CHEAP_HASHER, actor="test")


def seed(app: Flask, role: Role = Role.OFFICER, email: str = OFFICER, slug: str = "weld-my") -> tuple[int, int]:
    """Create an organisation and one user in the app's database; return their ids."""
    with db.session_factory(app)() as session:
        org = make_org(session, slug)
        user = make_user(session, org, email, role)
        session.commit()
        return org.id, user.id


def csrf_token(client: FlaskClient, path: str = "/login", **kw: Any) -> str:
    """GET ``path`` and return the CSRF token of its form."""
    page = client.get(path, **kw).get_data(as_text=True)
    match = CSRF_FIELD.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, email: str = OFFICER, password: str = PASSWORD, **kw: Any) -> Any:
    """Log in through the form, CSRF token included."""
    data = {"email": email, "password": password, "csrf_token": csrf_token(client, **kw)}
    return client.post("/login", data=data, **kw)
