"""Benchmark: an embassy co-signs a queue of 380 credentials, in bulk and one by one, on SQLite and PostgreSQL.

Each run gets a fresh database (a temporary SQLite file; a new PostgreSQL schema, dropped
afterwards), migrated and seeded with the demo world, and 380 credentials of Filipino
workers waiting in the Kuala Lumpur embassy's queue. Through the embassy's pages (the app
in-process, signed in, CSRF tokens and all) it then co-signs either

- in bulk: the confirmation page of "all matching the filter", then its one POST (each
  credential in a savepoint of its own, committed a hundred at a time), or
- one by one, as before there was a bulk action: each credential's own co-sign POST.

Each way runs three times on each backend; medians are reported, with the bulk's speed-up
over one by one in the same run. The last line is a JSON object of the figures:
``cosign_bulk_per_s_<backend>``, ``cosign_bulk_380_s_<backend>`` (seconds for the whole
queue), ``cosign_one_by_one_per_s_<backend>`` and ``cosign_bulk_speedup_<backend>``.

PostgreSQL is taken from CERTSVC_BENCH_POSTGRES_URL (default: the local ``test`` database).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from certsvc.accounts.users import make_password_hasher
from certsvc.app import create_app
from certsvc.demo.seed import DEMO_PASSWORD, seed
from certsvc.store import db, db_commands
from certsvc.store.models import Credential, CredentialState, Organisation, Qualification
from certsvc.store.signers import signer_for
from issuers.issuance import LearnerData, issue_credential, register_learner

QUEUE = 380
RUNS = 3
PROVIDER, EMBASSY_LOGIN = "klwa", "officer@ph-kl.example"
BASE_URL = "https://skills.example.org"
KEK = "bench-key-encryption-key-" + "k" * 32
SECRET = "bench-secret-key-" + "s" * 32
POSTGRES_URL = os.environ.get("CERTSVC_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def prepare(url: str) -> list[str]:
    """Migrate and seed a fresh database, and fill the embassy's queue; return the waiting credentials."""
    db_commands.upgrade(url)
    engine = db.make_engine(url)
    now = datetime.now(UTC)
    try:
        with db.make_session_factory(engine)() as session:
            seed(session, kek=KEK, base_url=BASE_URL, hasher=make_password_hasher(1, 1024, 1), now=now)
            provider = session.scalar(select(Organisation).where(Organisation.slug == PROVIDER))
            assert provider is not None
            qualification = session.scalar(select(Qualification).where(Qualification.provider_id == provider.id))
            assert qualification is not None
            signer, made = signer_for(session, provider, KEK, BASE_URL), []
            for n in range(QUEUE):
                data = LearnerData(f"Bench Queue {n:03d}", date(1990, 1, 1) + timedelta(days=n), "PH", f"PB{n:07d}")
                learner = register_learner(session, provider, data, actor="bench")
                credential = issue_credential(
                    session, provider, learner, qualification, signer=signer, base_url=BASE_URL,
                    now=now - timedelta(days=10, minutes=-n), actor="bench",
                )  # fmt: skip
                made.append(credential.public_id)
            session.commit()
        return made
    finally:
        engine.dispose()


def _csrf(page: str) -> str:
    match = CSRF.search(page) or re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def signed_in(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    token = _csrf(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": EMBASSY_LOGIN, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client, _csrf(client.get("/account").get_data(as_text=True))


def in_bulk(client: FlaskClient, token: str, ids: list[str]) -> None:
    """The embassy's way now: confirm "all matching the filter", then one POST."""
    page = client.get("/embassy/cosign/all?q=bench+queue").get_data(as_text=True)
    assert f"Co-sign {len(ids)} credentials?" in page, "the confirmation counts the queue"
    response = client.post("/embassy/cosign", data={**dict(HIDDEN.findall(page)), "csrf_token": token})
    assert response.status_code == 302, response.status_code


def one_by_one(client: FlaskClient, token: str, ids: list[str]) -> None:
    """The way before a bulk action: each credential's own co-sign button."""
    for public_id in ids:
        response = client.post(f"/embassy/credentials/{public_id}/cosign", data={"csrf_token": token})
        assert response.status_code == 302, response.status_code


def measure(url: str, way: Callable[[FlaskClient, str, list[str]], None]) -> float:
    """Co-sign the whole queue of a fresh database ``way``; return the seconds it took."""
    ids = prepare(url)
    app = create_app({"SECRET_KEY": SECRET, "KEY_ENCRYPTION_KEY": KEK, "DATABASE_URL": url, "BASE_URL": BASE_URL,
                      "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_KIB": 1024, "PASSWORD_HASH_PARALLELISM": 1,
                      "SESSION_COOKIE_SECURE": False})  # fmt: skip
    try:
        with open(os.devnull, "w") as quiet, redirect_stderr(quiet):  # the request log would drown the report
            client, token = signed_in(app)
            start = time.perf_counter()
            way(client, token, ids)
            elapsed = time.perf_counter() - start
        with db.session_factory(app)() as session:
            done = session.scalar(
                select(func.count())
                .select_from(Credential)
                .where(Credential.public_id.in_(ids), Credential.state == CredentialState.COSIGNED)
            )
        if done != len(ids):
            raise SystemExit(f"expected {len(ids)} co-signed credentials, found {done}")
        return elapsed
    finally:
        db.dispose(app)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A new empty schema in the PostgreSQL database; yields a URL whose search path is it, then drops it."""
    url = make_url(POSTGRES_URL)
    params: dict[str, Any] = {"host": url.host, "port": url.port or 5432, "user": url.username}
    params["password"] = url.password
    schema = f"certsvc_bench_{secrets.token_hex(5)}"
    with psycopg.connect(**params, dbname=url.database, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")  # type: ignore[arg-type]  # hex we made
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**params, dbname=url.database, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")  # type: ignore[arg-type]


def runs(fresh: Callable[[], Any], way: Callable[[FlaskClient, str, list[str]], None]) -> list[float]:
    """Seconds of each run of ``way``, each on a database from ``fresh`` (a context manager of a URL)."""
    seconds = []
    for _ in range(RUNS):
        with fresh() as url:
            seconds.append(measure(url, way))
    return seconds


def report(backend: str, bulk: list[float], single: list[float]) -> dict[str, float]:
    """Print one backend's figures and return them for the JSON line."""
    bulk_s, single_s = statistics.median(bulk), statistics.median(single)
    print(f"{backend:10s} {QUEUE} credentials in bulk: median {bulk_s:.2f} s ({QUEUE / bulk_s:.0f}/s; "
          f"runs: {', '.join(f'{s:.2f}' for s in bulk)})")  # fmt: skip
    print(f"{backend:10s} {QUEUE} credentials one by one: median {single_s:.2f} s ({QUEUE / single_s:.0f}/s); "
          f"bulk is {single_s / bulk_s:.1f} times as fast")  # fmt: skip
    key = backend.lower().replace("postgresql", "postgres")
    return {
        f"cosign_bulk_per_s_{key}": round(QUEUE / bulk_s, 1),
        f"cosign_bulk_380_s_{key}": round(bulk_s, 3),
        f"cosign_one_by_one_per_s_{key}": round(QUEUE / single_s, 1),
        f"cosign_bulk_speedup_{key}": round(single_s / bulk_s, 2),
    }


def main() -> int:
    figures: dict[str, Any] = {"queue": QUEUE}
    with tempfile.TemporaryDirectory(prefix="certsvc-bench-") as tmp:
        folder = Path(tmp)
        os.environ["CERTSVC_INSTANCE_PATH"] = str(folder / "instance")  # no local instance/config.py
        counter = iter(range(10**6))

        @contextmanager
        def sqlite_file() -> Iterator[str]:
            yield f"sqlite:///{folder / f'bench-{next(counter)}.sqlite3'}"

        figures |= report("SQLite", runs(sqlite_file, in_bulk), runs(sqlite_file, one_by_one))
        try:
            figures |= report("PostgreSQL", runs(postgres_schema, in_bulk), runs(postgres_schema, one_by_one))
        except psycopg.OperationalError as exc:
            print(f"PostgreSQL at {POSTGRES_URL} unreachable: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
    print(json.dumps(figures))
    return 0 if "cosign_bulk_per_s_postgres" in figures else 1


if __name__ == "__main__":
    sys.exit(main())
