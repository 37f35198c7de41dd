"""Load benchmark: `certsvc serve` (gunicorn) on PostgreSQL under mixed traffic at a fixed arrival rate.

Traffic (by request): 90 % ``POST /api/v1/verify`` of the seeded credentials' QR texts, 8 % wallet
pages, 2 % issuance through ``POST /api/v1/credentials`` with a provider's API token. The wallet
pages are a signed-in holder's list (``GET /wallet/``) and credential pages (``GET /wallet/c/<id>``)
of two credentials claimed into the wallet (kept out of the verify traffic). In a version without
the wallet the 8 % are public read pages instead: the QR landing page ``GET /V`` and the
provider's signed status list ``GET /o/klwa/status/1``.

Open loop: request *i* is scheduled at ``t0 + i / rate`` whatever happened before, and its
latency is measured from that scheduled time (a slow server is not allowed to slow the
client down and hide its own queueing). Everything runs on 127.0.0.1 and is bounded in time.

Phases: a short warm-up; ``--rate`` (200) requests/s for ``--duration`` (60) s, printing
requests/s, p50, p95 and p99 and the errors (target: p95 < 50 ms, no errors); then stages of
``--stage-seconds`` at increasing rates until p95 reaches 100 ms, an error occurs or the client
cannot keep the schedule; the highest rate held with p95 under 100 ms is reported. The last line
is one JSON object with ``load_p95_ms_at_200rps``, ``load_errors`` and
``load_max_rps_p95_under_100ms``.

The database is a private PostgreSQL cluster made for the run (initdb in a temporary folder,
removed afterwards); where initdb is unavailable, a fresh schema in CERTSVC_BENCH_POSTGRES_URL
(default: the local ``test`` database), dropped afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import math
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import requests
from ops import support
from sqlalchemy import select

from certsvc.store import db
from certsvc.store.credential_records import qr_text_of
from certsvc.store.models import Credential, CredentialState

P95_TARGET_MS = 50.0
P95_LIMIT_MS = 100.0
VERIFY, PAGE, ISSUE = "verify", "page", "issue"
#: 100 slots: 90 verify, 8 page, 2 issue, spread out so every stretch of traffic has the same mix.
MIX = [ISSUE if i % 50 == 25 else PAGE if i % 12 == 6 and i < 96 else VERIFY for i in range(100)]
READ_PAGES = ["/V", "/o/klwa/status/1"]
WALLET_LOGIN, WALLET_PASSWORD = "holder@bench.example", "bench-holder-password"


@dataclass
class Stage:
    """One phase at one rate: every request's latency (from its scheduled time) and the failures."""

    rate: float
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    sent: int = 0
    elapsed: float = 0.0

    def percentile(self, q: float, kind: str | None = None) -> float:
        values = self.latencies_ms if kind is None else self.by_kind.get(kind, [])
        if not values:
            return math.inf
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1)]

    @property
    def achieved(self) -> float:
        return len(self.latencies_ms) / self.elapsed if self.elapsed else 0.0

    def line(self) -> str:
        return (
            f"{self.rate:6.0f} req/s for {self.seconds:.0f} s: sent {self.sent}, completed {len(self.latencies_ms)}, "
            f"achieved {self.achieved:.1f} req/s, errors {len(self.errors)}, "
            f"p50 {self.percentile(50):.1f} ms, p95 {self.percentile(95):.1f} ms, p99 {self.percentile(99):.1f} ms"
        )


class Client:
    """Requests over keep-alive connections, one per client thread (reconnecting when the server closes)."""

    def __init__(self, port: int, qr_texts: list[str], token: str, pages: list[str], cookie: str | None) -> None:
        self.port = port
        self.qr_texts = qr_texts
        self.token = token
        self.pages = pages
        self.page_headers = {"Cookie": cookie} if cookie else {}
        self.local = threading.local()
        self.counter = itertools.count()

    def request(self, kind: str) -> tuple[int, bytes]:
        n = next(self.counter)
        if kind == VERIFY:
            body = json.dumps({"credential": self.qr_texts[n % len(self.qr_texts)]})
            return self._send("POST", "/api/v1/verify", body, {"Content-Type": "application/json"})
        if kind == PAGE:
            return self._send("GET", self.pages[n % len(self.pages)], None, self.page_headers)
        external_id = f"bench-{secrets.token_hex(8)}"
        body = json.dumps(support.credential_request(support.learner(f"Bench Holder {n}", f"B{n:08d}"), external_id))
        headers = {"Content-Type": "application/json", **support.bearer(self.token)}
        return self._send("POST", "/api/v1/credentials", body, headers)

    def _send(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> tuple[int, bytes]:
        for attempt in (1, 2):
            connection = getattr(self.local, "connection", None)
            if connection is None:
                connection = self.local.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                if response.will_close:
                    connection.close()
                    self.local.connection = None
                return response.status, data
            except (http.client.HTTPException, ConnectionError):
                # A kept-alive connection the server closed meanwhile: reconnect once.
                connection.close()
                self.local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def run_stage(client: Client, rate: float, seconds: float, threads: int = 32) -> Stage:
    """Send ``rate`` requests/s for ``seconds`` on a fixed schedule; latency counts from the scheduled time."""
    stage = Stage(rate, seconds)
    total = int(rate * seconds)
    lock = threading.Lock()

    def one(kind: str, scheduled: float) -> None:
        try:
            status, data = client.request(kind)
            ok = status in (200, 201) if kind != ISSUE else status == 201
            error = None if ok else f"{kind}: HTTP {status} {data[:120]!r}"
        except (OSError, http.client.HTTPException) as exc:
            error = f"{kind}: {type(exc).__name__}: {exc}"
        latency = (time.perf_counter() - scheduled) * 1000
        with lock:
            if error:
                stage.errors.append(error)
            else:
                stage.latencies_ms.append(latency)
                stage.by_kind.setdefault(kind, []).append(latency)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for i in range(total):
            scheduled = started + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, MIX[i % len(MIX)], scheduled)
            stage.sent += 1
    stage.elapsed = time.perf_counter() - started
    return stage


@contextmanager
def database() -> Iterator[tuple[str, str]]:
    """A private PostgreSQL cluster (or, without initdb, a fresh schema in the shared one): URL and description."""
    if support.initdb_path() is None:
        shared = os.environ.get("CERTSVC_BENCH_POSTGRES_URL", support.POSTGRES_URL)
        schema, url = support.create_schema(shared)
        try:
            yield url, f"shared PostgreSQL, fresh schema {schema} (initdb is not available)"
        finally:
            support.drop_schema(schema, shared)
        return
    cluster = support.start_throwaway_postgres()
    try:
        yield cluster.url, f"private PostgreSQL cluster (initdb) on port {cluster.port}"
    finally:
        cluster.remove()


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) used so far by the live processes of a process group (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == pgid:  # fields after "(comm)": state, ppid, pgrp, ... utime (12), stime (13)
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def qr_texts_of(database_url: str, leave_out: set[str]) -> list[str]:
    """The QR texts of the seeded credentials, but ``leave_out`` (public ids)."""
    engine = db.make_engine(database_url)
    with db.make_session_factory(engine)() as session:
        credentials = session.scalars(select(Credential).order_by(Credential.id)).all()
        texts = [qr_text_of(c, support.BASE_URL) for c in credentials if c.public_id not in leave_out]
    engine.dispose()
    return texts


def wallet_credentials(database_url: str) -> list[str]:
    """Claim two co-signed credentials into a holder's wallet; return their public ids (none without a wallet)."""
    if not support.wallet_present():
        return []
    engine = db.make_engine(database_url)
    with db.make_session_factory(engine)() as session:
        public_ids = list(
            session.scalars(
                select(Credential.public_id)
                .where(Credential.state == CredentialState.COSIGNED, Credential.withdrawn_at.is_(None))
                .order_by(Credential.id)
                .limit(2)
            )
        )
    engine.dispose()
    support.seed_wallet(database_url, WALLET_LOGIN, WALLET_PASSWORD, public_ids)
    return public_ids


def wallet_session(url: str) -> str:
    """Sign the holder in through the wallet's form; return the session cookie to send."""
    http = requests.Session()
    token = support.form_token(http, url + "/wallet/signin")
    form = {"login": WALLET_LOGIN, "password": WALLET_PASSWORD, "csrf_token": token}
    response = http.post(url + "/wallet/signin", data=form, allow_redirects=False, timeout=15)
    if response.status_code not in (302, 303):
        raise RuntimeError(f"the holder could not sign in to the wallet: HTTP {response.status_code}")
    return "; ".join(f"{name}={value}" for name, value in http.cookies.items())


def step_up(client: Client, start: float, step: float, stage_seconds: float, max_rate: float) -> tuple[float, list]:
    """Raise the rate stage by stage; return the highest rate held (p95 < 100 ms, no errors, on schedule)."""
    best, stages = 0.0, []
    rate = start
    while rate <= max_rate:
        stage = run_stage(client, rate, stage_seconds)
        stages.append(stage)
        print("  step " + stage.line(), flush=True)
        held = not stage.errors and stage.percentile(95) < P95_LIMIT_MS and stage.achieved >= 0.95 * rate
        if not held:
            break
        best = rate
        rate += step
        time.sleep(1)  # let the server drain between stages
    return best, stages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--stage-seconds", type=float, default=8.0)
    parser.add_argument("--step", type=float, default=100.0)
    parser.add_argument("--max-rate", type=float, default=1500.0)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) + 1)
    parser.add_argument("--threads", type=int, default=4, help="Threads per worker (above 1: gthread, keep-alive).")
    args = parser.parse_args(argv)
    with database() as (database_url, where), TemporaryDirectory(prefix="certsvc-load-") as folder:
        world = support.seed_world(database_url)
        in_wallet = wallet_credentials(database_url)
        # The wallet's credentials stay out of the verify traffic: a holder's page is read, not verified.
        qr_texts = qr_texts_of(database_url, set(in_wallet))
        port = support.free_port()
        env = support.node_env(
            Path(folder),
            database_url,
            port,
            SERVE_WORKERS=args.workers,
            SERVE_THREADS=args.threads,
            SERVE_KEEPALIVE=5,
            LOG_LEVEL="WARNING",
            VERIFY_RATE_LIMIT="10000000 per minute",
        )
        node = support.start_node("bench", Path(folder), env, port)
        try:
            node.wait_ready()
            pages, cookie = READ_PAGES, None
            if in_wallet:
                pages = [page for public_id in in_wallet for page in ("/wallet/", f"/wallet/c/{public_id}")]
                cookie = wallet_session(node.url)
            client = Client(port, qr_texts, world.provider_token, pages, cookie)
            return _measure(args, client, where, len(qr_texts), lambda: group_cpu_seconds(node.process.pid))
        finally:
            node.stop()


def _measure(
    args: argparse.Namespace, client: Client, where: str, credentials: int, server_cpu: Callable[[], float]
) -> int:
    kind = f"gthread workers x {args.threads} threads" if args.threads > 1 else "sync workers"
    print(f"server: `certsvc serve`, {args.workers} gunicorn {kind} on 127.0.0.1; database: {where}")
    if client.page_headers:
        pages = f"8% wallet pages of a signed-in holder ({', '.join(sorted(set(client.pages)))})"
    else:
        pages = f"8% read pages ({', '.join(client.pages)}; this version has no wallet)"
    print(
        f"mix: 90% POST /api/v1/verify ({credentials} seeded credentials), {pages}, "
        "2% POST /api/v1/credentials (API token); open loop, latency from schedule"
    )
    print(f"warm-up: {run_stage(client, args.rate / 2, args.warmup).line()}", flush=True)
    cpu_before = server_cpu()
    main_stage = run_stage(client, args.rate, args.duration)
    cpu_ms = (server_cpu() - cpu_before) * 1000 / max(1, len(main_stage.latencies_ms))
    verdict = "met" if main_stage.percentile(95) < P95_TARGET_MS and not main_stage.errors else "MISSED"
    print(f"main: {main_stage.line()}  (target p95 < {P95_TARGET_MS:.0f} ms, no errors: {verdict})", flush=True)
    for kind in (VERIFY, PAGE, ISSUE):
        count = len(main_stage.by_kind.get(kind, []))
        print(
            f"  {kind:6s} {count:6d} requests, p50 {main_stage.percentile(50, kind):.1f} ms, p95 "
            f"{main_stage.percentile(95, kind):.1f} ms, p99 {main_stage.percentile(99, kind):.1f} ms"
        )
    for error in main_stage.errors[:5]:
        print(f"  error: {error}")
    print(
        f"  app server CPU: {cpu_ms:.2f} ms per request (gunicorn master and workers; the machine has "
        f"{os.cpu_count()} CPUs shared with the client and PostgreSQL; load average now {os.getloadavg()[0]:.1f})"
    )
    print(f"step-up from {args.rate:.0f} req/s by {args.step:.0f} req/s, {args.stage_seconds:.0f} s per stage:")
    best, _ = step_up(client, args.rate, args.step, args.stage_seconds, args.max_rate)
    print(f"highest rate held with p95 < {P95_LIMIT_MS:.0f} ms and no errors: {best:.0f} req/s")
    figures = {
        "load_p95_ms_at_200rps": round(main_stage.percentile(95), 2),
        "load_errors": len(main_stage.errors),
        "load_max_rps_p95_under_100ms": best,
        "load_server_cpu_ms_per_request": round(cpu_ms, 3),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
