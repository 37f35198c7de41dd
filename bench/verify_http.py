"""Benchmark: POST /api/v1/verify over HTTP under gunicorn, against a trivial endpoint, and as the database grows.

1. A seeded SQLite database filled to 1,000 credentials with bulk inserts (copies of the
   seeded credentials' rows under new ids and status indexes, 1 % of them revoked), served by
   gunicorn with 2 workers (gthread, so the client keeps its connections alive) on 127.0.0.1.
   A Python load client (threads, one keep-alive http.client connection each, bounded in time)
   measures the throughput of POST /api/v1/verify (a co-signed credential's QR text) and of
   GET /healthz ({"status": "ok"}) in short alternating rounds; ``http_verify_vs_trivial`` is
   the median of the per-round ratios verify / trivial (target >= 0.7; also printed under its
   older name ``verify_http_vs_trivial``). Pairing the rounds
   keeps the figure steady on a machine whose load changes. The same credential is verified
   again and again, as a reloaded page or a much-scanned certificate is: each process
   remembers its reading and signature checks (``verifier/memo.py``). A third gunicorn on the
   same database remembers nothing (``VERIFY_MEMO_SIZE=0``): ``http_verify_vs_trivial_first_seen``
   is the ratio when every verification is of a credential the process has not seen.
2. A copy of that database filled to 100,000 credentials is served by a second gunicorn, and
   sequential verifications alternate between the two. ``verify_time_100k_vs_1k`` is the median
   latency at 100k divided by the one at 1k (target: no growth, about 1).
3. The production database: a fresh PostgreSQL schema (in CERTSVC_BENCH_POSTGRES_URL, default
   the local ``test`` database) seeded the same way, served by a fourth gunicorn, measured as in 1
   (``http_verify_vs_trivial_postgres``).

The last line is one JSON object with ``http_verify_vs_trivial``, ``http_verify_vs_trivial_first_seen``,
``verify_time_100k_vs_1k`` and ``http_verify_vs_trivial_postgres``.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from ops import support as ops_support

from certsvc.accounts import users
from certsvc.app import create_app
from certsvc.credentials.identifiers import new_public_id
from certsvc.demo.seed import seed
from certsvc.store import db, db_commands
from certsvc.store.credential_records import qr_text_of
from certsvc.store.models import Credential, Learner, Organisation

HOST = "127.0.0.1"
SECRET_KEY = "bench-secret-key-" + "s" * 32
KEK = "bench-key-encryption-key-" + "k" * 32
HOLDER = "Maria Santos Dela Cruz"
CLIENT_THREADS = 4
ROUNDS = 8
ROUND_SECONDS = 1.5
LATENCY_REQUESTS = 400
SIZES = (1_000, 100_000)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def settings(folder: Path, port: int) -> dict[str, str]:
    """The service's environment; ``port`` makes BASE_URL (the origin the QR codes name)."""
    return {
        "CERTSVC_INSTANCE_PATH": str(folder),
        "CERTSVC_SECRET_KEY": SECRET_KEY,
        "CERTSVC_KEY_ENCRYPTION_KEY": KEK,
        "CERTSVC_DATABASE_URL": f"sqlite:///{folder / 'certsvc.sqlite3'}",
        "CERTSVC_BASE_URL": f"http://{HOST}:{port}",
        # The load comes from one address; the rate limit is not what is measured here.
        "CERTSVC_VERIFY_RATE_LIMIT": "100000000 per minute",
    }


def prepare(folder: Path, port: int, database_url: str | None = None) -> str:
    """Migrate and seed the database (SQLite in ``folder`` unless given); return a co-signed credential's QR text."""
    env = settings(folder, port)
    url = database_url or env["CERTSVC_DATABASE_URL"]
    db_commands.upgrade(url)
    app = create_app(
        {"SECRET_KEY": SECRET_KEY, "KEY_ENCRYPTION_KEY": KEK, "DATABASE_URL": url, "BASE_URL": env["CERTSVC_BASE_URL"]}
    )
    with db.session_factory(app)() as session:
        seed(
            session,
            kek=KEK,
            base_url=env["CERTSVC_BASE_URL"],
            hasher=users.make_password_hasher(1, 1024, 1),
            now=datetime.now(UTC),
        )
        session.commit()
        credential = (
            session.query(Credential)
            .join(Learner, Learner.id == Credential.learner_id)
            .join(Organisation, Organisation.id == Credential.provider_id)
            .filter(Learner.name == HOLDER, Organisation.slug == "klwa")
            .one()
        )
        text = qr_text_of(credential, env["CERTSVC_BASE_URL"])
    db.dispose(app)
    return text


def fill(database: Path, total: int) -> float:
    """Copy the seeded credentials' rows until the table holds ``total``; return the seconds it took."""
    started = time.perf_counter()
    connection = sqlite3.connect(database)
    try:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(credentials)")]
        templates = connection.execute(f"SELECT {', '.join(columns)} FROM credentials ORDER BY id").fetchall()  # noqa: S608
        count, next_idx = connection.execute("SELECT COUNT(*), MAX(status_idx) + 1 FROM credentials").fetchone()
        at = {name: i for i, name in enumerate(columns)}
        insert = f"INSERT INTO credentials ({', '.join(columns[1:])}) VALUES ({', '.join('?' * (len(columns) - 1))})"  # noqa: S608
        rows = []
        rng = random.Random(7)
        for n in range(total - count):
            row = list(templates[n % len(templates)])
            row[at["public_id"]] = new_public_id() + f"{n:06d}"  # unique without a lookup
            row[at["status_idx"]] = next_idx + n
            row[at["external_id"]] = None
            if rng.random() < 0.01:
                row[at["state"]] = "revoked"
            rows.append(row[1:])
        with connection:
            connection.executemany(insert, rows)
            # Keep the allocator ahead of the copies, as if they had been issued normally.
            connection.execute("UPDATE status_lists SET next_idx = MAX(next_idx, ?)", (next_idx + len(rows),))
    finally:
        connection.close()
    return time.perf_counter() - started


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database consistently (its WAL included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


@contextmanager
def gunicorn(folder: Path, port: int, base_port: int, **config: str):  # type: ignore[no-untyped-def]
    """Serve the app in ``folder`` with gunicorn (2 workers) on ``port`` until the block ends.

    ``config``: more settings, by name without the ``CERTSVC_`` prefix.
    """
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", "2", "--worker-class", "gthread", "--threads", "4",
        "--bind", f"{HOST}:{port}", "--log-level", "warning",
        "certsvc.app:create_app()",
    ]  # fmt: skip
    # The app logs one JSON line per request; it is not what is measured here.
    log = (folder / f"gunicorn-{port}.log").open("ab")
    env = {**os.environ, **settings(folder, base_port), **{f"CERTSVC_{k}": v for k, v in config.items()}}
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection(HOST, port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


class Endpoint:
    def __init__(self, method: str, path: str, body: bytes | None = None) -> None:
        self.method, self.path, self.body = method, path, body
        self.headers = {"Content-Type": "application/json"} if body else {}


def request(connection: http.client.HTTPConnection, endpoint: Endpoint) -> int:
    try:
        return _send(connection, endpoint)
    except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
        # The server closes a keep-alive connection left idle for its keep-alive time (2 s), which
        # a busy machine can reach between two requests: open a new one, as any client does.
        connection.close()
        return _send(connection, endpoint)


def _send(connection: http.client.HTTPConnection, endpoint: Endpoint) -> int:
    connection.request(endpoint.method, endpoint.path, body=endpoint.body, headers=endpoint.headers)
    response = connection.getresponse()
    response.read()
    return response.status


def throughput(port: int, endpoint: Endpoint, seconds: float) -> float:
    """Requests per second that CLIENT_THREADS keep-alive clients get answered with 200 in ``seconds``."""
    done = [0] * CLIENT_THREADS
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    def client(slot: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.monotonic() < deadline:
            status = request(connection, endpoint)
            if status != 200:
                errors.append(f"{endpoint.path}: HTTP {status}")
                return
            done[slot] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENT_THREADS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(errors[0])
    return sum(done) / (time.monotonic() - started)


def paired_latencies(ports: tuple[int, int], endpoint: Endpoint, count: int) -> tuple[float, float]:
    """Median latencies of sequential requests to two servers, alternated so both see the same load."""
    connections = [http.client.HTTPConnection(HOST, port, timeout=10) for port in ports]
    for connection in connections:
        for _ in range(50):  # warm-up: both workers load their documents
            request(connection, endpoint)
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(count):
        for connection, found in zip(connections, samples, strict=True):
            started = time.perf_counter()
            if request(connection, endpoint) != 200:
                raise SystemExit("verification failed")
            found.append(time.perf_counter() - started)
    for connection in connections:
        connection.close()
    return statistics.median(samples[0]), statistics.median(samples[1])


def paired_throughput(port: int, first: Endpoint, second: Endpoint) -> tuple[list[float], list[float], float]:
    """Throughput of two endpoints in short alternating rounds; return both series and the median ratio."""
    throughput(port, first, 1.0)  # warm-up
    throughput(port, second, 1.0)
    rates: tuple[list[float], list[float]] = ([], [])
    for round_number in range(ROUNDS):
        # Swap the order every round, so a drift of the machine's load favours neither.
        order = ((0, first), (1, second)) if round_number % 2 == 0 else ((1, second), (0, first))
        for index, endpoint in order:
            rates[index].append(throughput(port, endpoint, ROUND_SECONDS))
    ratios = [a / b for a, b in zip(*rates, strict=True)]
    return rates[0], rates[1], statistics.median(ratios)


def check_verdict(port: int, endpoint: Endpoint) -> None:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    connection.request("POST", endpoint.path, body=endpoint.body, headers=endpoint.headers)
    status = json.loads(connection.getresponse().read())["status"]
    if status != "recognized":
        raise SystemExit(f"the benchmark credential verifies as {status!r}")


def on_postgres(folder: Path) -> tuple[list[float], list[float], float]:
    """Part 3: the verify/trivial pair on a seeded PostgreSQL schema of its own (dropped afterwards)."""
    postgres_url = os.environ.get("CERTSVC_BENCH_POSTGRES_URL", ops_support.POSTGRES_URL)
    schema, url = ops_support.create_schema(postgres_url)
    try:
        folder.mkdir()
        port = free_port()
        verify = Endpoint("POST", "/api/v1/verify", json.dumps({"credential": prepare(folder, port, url)}).encode())
        with gunicorn(folder, port, port, DATABASE_URL=url):
            check_verdict(port, verify)
            return paired_throughput(port, verify, Endpoint("GET", "/healthz"))
    finally:
        ops_support.drop_schema(schema, postgres_url)


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        small, large = Path(name) / "1k", Path(name) / "100k"
        small.mkdir()
        large.mkdir()
        port, other_port, forgetful_port = free_port(), free_port(), free_port()
        qr_text = prepare(small, port)
        verify = Endpoint("POST", "/api/v1/verify", json.dumps({"credential": qr_text}).encode())
        trivial = Endpoint("GET", "/healthz")

        print(f"fill to {SIZES[0]:,} credentials: {fill(small / 'certsvc.sqlite3', SIZES[0]):.1f} s")
        copy_database(small / "certsvc.sqlite3", large / "certsvc.sqlite3")
        print(f"fill a copy to {SIZES[1]:,} credentials: {fill(large / 'certsvc.sqlite3', SIZES[1]):.1f} s")
        with (
            gunicorn(small, port, port),
            gunicorn(large, other_port, port),
            gunicorn(small, forgetful_port, port, VERIFY_MEMO_SIZE="0"),
        ):
            for server in (port, other_port, forgetful_port):
                check_verdict(server, verify)
            verify_rates, trivial_rates, ratio = paired_throughput(port, verify, trivial)
            first_seen_rates, _, first_seen_ratio = paired_throughput(forgetful_port, verify, trivial)
            latency_small, latency_large = paired_latencies((port, other_port), verify, LATENCY_REQUESTS)
        postgres_rates, postgres_trivial_rates, postgres_ratio = on_postgres(Path(name) / "pg")
    for label, rates in (("POST /api/v1/verify", verify_rates), ("GET /healthz", trivial_rates)):
        print(f"{label:20s} median {statistics.median(rates):5.0f} req/s of {[round(r) for r in rates]}")
    print(f"median of the per-round ratios: {ratio:.3f} (target >= 0.7)")
    print(
        f"nothing remembered: POST /api/v1/verify median {statistics.median(first_seen_rates):5.0f} req/s, "
        f"ratio {first_seen_ratio:.3f}"
    )
    print(f"median verification latency: {latency_small * 1e3:.2f} ms with {SIZES[0]:,} credentials, "
          f"{latency_large * 1e3:.2f} ms with {SIZES[1]:,} (target: no growth)")  # fmt: skip
    print(
        f"on PostgreSQL: POST /api/v1/verify median {statistics.median(postgres_rates):5.0f} req/s, "
        f"GET /healthz {statistics.median(postgres_trivial_rates):5.0f} req/s, ratio {postgres_ratio:.3f}"
    )
    figures: dict[str, Any] = {
        "http_verify_vs_trivial": round(ratio, 3),
        "verify_http_vs_trivial": round(ratio, 3),
        "http_verify_vs_trivial_first_seen": round(first_seen_ratio, 3),
        "verify_time_100k_vs_1k": round(latency_large / latency_small, 3),
        "http_verify_vs_trivial_postgres": round(postgres_ratio, 3),
        "verify_rps": round(statistics.median(verify_rates)),
        "trivial_rps": round(statistics.median(trivial_rates)),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
