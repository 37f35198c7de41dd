"""Support for the operations tests: real `certsvc serve` processes, PostgreSQL schemas, a throwaway cluster.

- ``Node``: one `certsvc serve` (gunicorn) process group on a free 127.0.0.1 port, its JSON log
  in a file. Stopped with SIGTERM or killed with SIGKILL by its own process group id.
- ``create_schema`` / ``drop_schema``: a fresh schema in the shared PostgreSQL (never the whole
  database, never the server itself).
- ``ThrowawayPostgres``: a private PostgreSQL cluster (initdb as the ``postgres`` user in a
  temporary folder, its own port and socket folder) that the fault tests may stop and restart.
- ``seed_world``: the demo world (three corridors) plus an API token for a provider and an embassy.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from sqlalchemy import select
from sqlalchemy.engine import make_url

from certsvc.accounts import api_tokens, users
from certsvc.demo.seed import DEMO_PASSWORD, seed
from certsvc.store import db, db_commands
from certsvc.store.models import Credential, User

POSTGRES_URL = os.environ.get("CERTSVC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
#: Tests run in parallel processes (pytest-xdist); each takes a Redis database of its own, as it does a schema.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = os.environ.get("CERTSVC_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{14 - _WORKER}")
SECRET_KEY = "ops-secret-key-" + "s" * 32
KEK = "ops-key-encryption-key-" + "k" * 32
BASE_URL = "https://skills.example.org"
PROVIDER, EMBASSY = "klwa", "ph-kl"
PROVIDER_LOGIN, EMBASSY_LOGIN = f"officer@{PROVIDER}.example", f"officer@{EMBASSY}.example"
PASSWORD = DEMO_PASSWORD
IN_CI = os.environ.get("CI", "").lower() == "true"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def skip_or_fail(message: str) -> None:
    """Skip a test whose service is missing; under CI=true fail instead."""
    if IN_CI:
        pytest.fail(message + " (CI=true: these tests must run)", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- PostgreSQL and Redis --------------------------------------------------------------------------


def _connect(url: str, **kw: Any) -> psycopg.Connection[Any]:
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
        **kw,
    )


def require_postgres(url: str = POSTGRES_URL) -> None:
    """Skip (fail under CI) when PostgreSQL is unreachable."""
    try:
        _connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        skip_or_fail(f"PostgreSQL at {url} is unreachable: {str(exc).strip().splitlines()[0]}")


def create_schema(url: str = POSTGRES_URL) -> tuple[str, str]:
    """Create an empty uniquely named schema; return it and a URL whose search path is it."""
    schema = f"certsvc_ops_{secrets.token_hex(5)}"
    with _connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")  # type: ignore[arg-type]  # hex we made
    schema_url = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, schema_url.render_as_string(hide_password=False)


def drop_schema(schema: str, url: str = POSTGRES_URL) -> None:
    """Drop a schema made by create_schema."""
    with _connect(url, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")  # type: ignore[arg-type]


def flush_redis(url: str = REDIS_URL) -> None:
    """Empty the tests' Redis database (never database 0); skip (fail under CI) when Redis is down."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    if client.connection_pool.connection_kwargs.get("db", 0) == 0:
        raise RuntimeError("the ops tests never flush Redis database 0")
    try:
        client.flushdb()
    except redis.RedisError as exc:
        skip_or_fail(f"Redis at {url} is unreachable: {exc}")
    finally:
        client.close()


@dataclass
class ThrowawayPostgres:
    """A private PostgreSQL cluster in a temporary folder, which tests may stop and restart."""

    folder: Path
    port: int
    pg_ctl: str

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        command = [
            *_as_postgres(),
            self.pg_ctl,
            "-D",
            str(self.folder / "data"),
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-t",
            "30",
            *args,
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603 - our own pg_ctl command

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _as_postgres() -> list[str]:
    # As root, initdb and the server must run as the postgres user.
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def initdb_path() -> str | None:
    """PostgreSQL's initdb, if it can be run here (as root: through runuser as the postgres user)."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = binaries[-1] if binaries else shutil.which("initdb")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return None
    return initdb


def start_throwaway_postgres() -> ThrowawayPostgres:
    """initdb a cluster in a fresh temporary folder and start it on a free port."""
    initdb = initdb_path()
    if initdb is None:
        skip_or_fail("initdb is not available: cannot start a throwaway PostgreSQL")
    assert initdb is not None
    folder = Path(tempfile.mkdtemp(prefix="certsvc-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    command = [*_as_postgres(), initdb, "-D", str(folder / "data"), "-A", "trust", "-U", "postgres", "--no-sync"]
    try:
        subprocess.run([*command, "-E", "UTF8"], check=True, capture_output=True, timeout=120)  # noqa: S603 - initdb
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        skip_or_fail(f"initdb failed: {getattr(exc, 'stderr', b'') or exc}")
    cluster = ThrowawayPostgres(folder, free_port(), str(Path(initdb).with_name("pg_ctl")))
    cluster.start()
    return cluster


# -- the seeded world ------------------------------------------------------------------------------


@dataclass
class World:
    """A seeded database: its URL and API tokens of the PH corridor's provider and embassy."""

    database_url: str
    provider_token: str
    embassy_token: str


def seed_world(database_url: str, *, status_ttl: int | None = None) -> World:
    """Migrate, seed the demo world and make API tokens; ``status_ttl`` shortens every status list's ttl."""
    db_commands.upgrade(database_url)
    engine = db.make_engine(database_url)
    try:
        with db.make_session_factory(engine)() as session:
            hasher = users.make_password_hasher(1, 1024, 1)
            seed(session, kek=KEK, base_url=BASE_URL, hasher=hasher, now=datetime.now(UTC))
            tokens = []
            for email in (PROVIDER_LOGIN, EMBASSY_LOGIN):
                user = session.scalar(select(User).where(User.email == email))
                assert user is not None
                tokens.append(api_tokens.create_token(session, user, "ops tests", actor="test").secret)
            if status_ttl is not None:
                from certsvc.store.models import StatusListRecord

                for record in session.scalars(select(StatusListRecord)):
                    record.ttl = status_ttl
            session.commit()
    finally:
        engine.dispose()
    return World(database_url, tokens[0], tokens[1])


def learner(name: str, id_number: str, born: date = date(1991, 4, 12)) -> dict[str, Any]:
    """A learner body for the API."""
    return {"name": name, "birth_date": born.isoformat(), "nationality": "PH", "id_number": id_number}


def credential_request(holder: dict[str, Any], external_id: str) -> dict[str, Any]:
    """An issuance request body for the PH corridor's welding qualification."""
    return {"learner": holder, "qualification_code": "SMAW2", "kind": "training", "external_id": external_id}


# -- app processes ---------------------------------------------------------------------------------


@dataclass
class Node:
    """One `certsvc serve` process group."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", 15)
        return self.http.get(self.url + path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", 15)
        return self.http.post(self.url + path, **kw)

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()

    def wait_ready(self, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"node {self.name} exited:\n" + "\n".join(self.log_lines()[-30:]))
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"node {self.name} did not start:\n" + "\n".join(self.log_lines()[-30:]))

    def stop(self) -> None:
        """SIGTERM the process group (graceful), SIGKILL if it lingers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.http.close()

    def kill(self) -> None:
        """SIGKILL the master and its workers at once (a crashed machine)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)


def node_env(folder: Path, database_url: str, port: int, **settings: Any) -> dict[str, str]:
    """The environment of a node: only CERTSVC_* settings of our own, nothing inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CERTSVC_", "PROMETHEUS_"))}
    values: dict[str, Any] = {
        "INSTANCE_PATH": str(folder),
        "SECRET_KEY": SECRET_KEY,
        "KEY_ENCRYPTION_KEY": KEK,
        "DATABASE_URL": database_url,
        "BASE_URL": BASE_URL,
        "SESSION_COOKIE_SECURE": False,
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 1024,
        "PASSWORD_HASH_PARALLELISM": 1,
        "SERVE_BIND": f"127.0.0.1:{port}",
        "SERVE_WORKERS": 2,
        "SERVE_TIMEOUT": 20,
        "SERVE_GRACEFUL_TIMEOUT": 5,
        "VERIFY_RATE_LIMIT": "100000 per minute",
        "VERIFY_BATCH_RATE_LIMIT": "100000 per minute",
        **settings,
    }
    for name, value in values.items():
        if value is None:
            continue
        env[f"CERTSVC_{name}"] = value if isinstance(value, str) else json.dumps(value)
    # Inside the test's folder, so that even a killed node leaves nothing behind in /tmp.
    env["PROMETHEUS_MULTIPROC_DIR"] = str(folder / "metrics")
    return env


def start_node(name: str, folder: Path, env: dict[str, str], port: int) -> Node:
    """Start `certsvc serve` in its own process group; call ``wait_ready`` before using it."""
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from certsvc.cli import main; main()", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Node(name, port, process, log_path)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def app_settings(database_url: str, **overrides: Any) -> dict[str, Any]:
    """The configuration of an in-process test app."""
    return {
        "TESTING": True,
        "SECRET_KEY": SECRET_KEY,
        "KEY_ENCRYPTION_KEY": KEK,
        "DATABASE_URL": database_url,
        "BASE_URL": BASE_URL,
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 1024,
        "PASSWORD_HASH_PARALLELISM": 1,
        **overrides,
    }


def wallet_present() -> bool:
    """Whether this version has the holder's wallet (certsvc.wallet and its pages)."""
    return importlib.util.find_spec("certsvc.wallet.views") is not None


def claim_code_for(database_url: str, public_id: str) -> tuple[str, str]:
    """Make the claim code and PIN a provider hands the holder of ``public_id``."""
    from certsvc.wallet import claims

    engine = db.make_engine(database_url)
    try:
        with db.make_session_factory(engine)() as session:
            credential = session.scalar(select(Credential).where(Credential.public_id == public_id))
            assert credential is not None
            secrets_ = claims.create_claim(session, credential, hasher=users.make_password_hasher(1, 1024, 1))
            session.commit()
    finally:
        engine.dispose()
    return secrets_.code, secrets_.pin


def seed_wallet(database_url: str, login: str, password: str, public_ids: list[str]) -> None:
    """Open a wallet account holding ``public_ids`` (claimed with their codes, as a holder would)."""
    from certsvc.wallet import claims, holders

    hasher = users.make_password_hasher(1, 1024, 1)
    engine = db.make_engine(database_url)
    try:
        with db.make_session_factory(engine)() as session:
            user = holders.create_wallet_user(session, login, password, hasher=hasher)
            for public_id in public_ids:
                credential = session.scalar(select(Credential).where(Credential.public_id == public_id))
                assert credential is not None
                code, pin = claims.create_claim(session, credential, hasher=hasher)
                claims.claim(session, code, pin, user, hasher=hasher)
            session.commit()
    finally:
        engine.dispose()


def form_token(http: requests.Session, url: str) -> str:
    """GET a page with a form and return its CSRF token."""
    match = CSRF_FIELD.search(http.get(url, timeout=15).text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)
