"""Benchmark: issuing through the API on a real `certsvc serve` (gunicorn) on PostgreSQL, 8 concurrent clients.

Each run gets a fresh PostgreSQL schema (in CERTSVC_BENCH_POSTGRES_URL, default: the local
``test`` database), migrated and seeded with the demo world, and a provider API token. A
`certsvc serve` node starts on 127.0.0.1 with 1 or with 2 gunicorn workers (4 threads
each); 8 client threads, each on its own keep-alive connection, issue credentials as fast
as the server answers, for a fixed time after a warm-up, in two modes: one credential per
``POST /api/v1/credentials`` (a new learner and external id every time), and batches of 50
per ``POST /api/v1/credentials/batch``. A credential counts only in a 201 that carries its
claim code and PIN. Afterwards the database must hold the credentials counted, each with
its claim, unique status indexes, and an audit chain that verifies.

Printed per mode: credentials per second, p95 latency per request and per credential (a
batch's latency shared by its credentials) per worker count (median of the runs), and the
ratio of 2 workers to 1 (it must grow). Target: >= 300 credentials/s with 2 workers. The
last line is a JSON object: ``issue_api_per_s`` (batch mode, 2 workers), ``issue_api_p95_ms``
(per request), ``issue_api_p95_ms_per_credential``, ``issue_api_scaling_2_vs_1`` (batch
mode), and ``issue_api_single_per_s`` with its own p95 and scaling.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import group_cpu_seconds  # bench/load.py: CPU of a process group
from ops import support
from sqlalchemy import func, select

from certsvc.store import audit, db
from certsvc.store.models import Credential, CredentialClaim

CLIENTS = 8
BATCH_SIZE = 50
MODES = ("single", "batch")
TARGET_PER_S = 300.0
POSTGRES_URL = os.environ.get("CERTSVC_BENCH_POSTGRES_URL", support.POSTGRES_URL)


@dataclass
class Run:
    """One timed run: latencies of the counted issues, and what went wrong."""

    workers: int
    seconds: float
    #: Per counted request: its latency, and how many credentials it issued (1, or a batch's).
    latencies_ms: list[float] = field(default_factory=list)
    credentials: int = 0
    errors: list[str] = field(default_factory=list)
    #: CPU time of the app server (gunicorn master and workers) during the timed part.
    server_cpu_s: float = 0.0

    @property
    def cpu_ms_per_credential(self) -> float:
        return self.server_cpu_s * 1000 / max(1, self.credentials)

    @property
    def per_s(self) -> float:
        return self.credentials / self.seconds

    @property
    def p95_ms(self) -> float:
        if not self.latencies_ms:
            return math.inf
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def p95_ms_per_credential(self) -> float:
        # Every request of a mode carries the same number of credentials.
        return self.p95_ms * len(self.latencies_ms) / max(1, self.credentials)


class Client:
    """One keep-alive connection issuing credentials with a provider token."""

    def __init__(self, port: int, token: str, prefix: str) -> None:
        self.port, self.prefix, self.count = port, prefix, 0
        self.headers = {"Content-Type": "application/json", **support.bearer(token)}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def item(self) -> dict[str, object]:
        """A new learner and external id every time."""
        self.count += 1
        n = f"{self.prefix}-{self.count:06d}"
        holder = support.learner(f"Bench Holder {n}", f"B{abs(hash(n)) % 10**9:09d}{self.count}")
        return support.credential_request(holder, f"api-{n}")

    def issue(self, mode: str) -> tuple[int, int]:
        """Issue one credential or one batch; return the status and how many credentials came with a claim."""
        if mode == "single":
            status, body = self.post("/api/v1/credentials", self.item())
            return status, int(status == 201 and _claimed(body))
        status, body = self.post("/api/v1/credentials/batch", {"credentials": [self.item() for _ in range(BATCH_SIZE)]})
        answered = body.get("credentials")
        if status != 201 or not isinstance(answered, list):
            return status, 0
        return status, sum(1 for item in answered if isinstance(item, dict) and _claimed(item))

    def post(self, path: str, payload: dict[str, object]) -> tuple[int, dict[str, object]]:
        body = json.dumps(payload)
        for attempt in (1, 2):
            try:
                self.connection.request("POST", path, body, self.headers)
                response = self.connection.getresponse()
                data = response.read()
                return response.status, json.loads(data) if data else {}
            except (http.client.HTTPException, ConnectionError):
                # A kept-alive connection the server closed meanwhile: reconnect once.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _claimed(body: dict[str, object]) -> bool:
    claim = body.get("claim")
    return isinstance(claim, dict) and bool(claim.get("code")) and bool(claim.get("pin"))


@dataclass(frozen=True)
class Figures:
    """The medians of one mode and worker count over its runs."""

    per_s: float
    p95_ms: float
    p95_ms_per_credential: float
    cpu_ms: float

    @classmethod
    def of(cls, runs: list[Run]) -> Figures:
        return cls(
            statistics.median(r.per_s for r in runs),
            statistics.median(r.p95_ms for r in runs),
            statistics.median(r.p95_ms_per_credential for r in runs),
            statistics.median(r.cpu_ms_per_credential for r in runs),
        )


def drive(port: int, token: str, workers: int, seconds: float, warmup: float, tag: str, pgid: int, mode: str) -> Run:
    """Issue from CLIENTS threads for ``warmup`` then ``seconds``; count only the timed part."""
    run = Run(workers, seconds)
    cpu_mark: list[float] = []

    def mark_cpu() -> None:
        time.sleep(warmup)
        cpu_mark.append(group_cpu_seconds(pgid))

    lock = threading.Lock()
    start = time.perf_counter() + warmup
    stop = start + seconds

    def client(n: int) -> None:
        issuer = Client(port, token, f"{tag}{n}")
        while (now := time.perf_counter()) < stop:
            try:
                status, claimed = issuer.issue(mode)
            except Exception as exc:  # counted and reported, never hidden
                with lock:
                    run.errors.append(type(exc).__name__)
                continue
            took = (time.perf_counter() - now) * 1000
            expected = 1 if mode == "single" else BATCH_SIZE
            if now >= start:
                with lock:
                    if claimed == expected:
                        run.latencies_ms.append(took)
                        run.credentials += claimed
                    else:
                        run.errors.append(f"HTTP {status}, {claimed} of {expected} with claims")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    threads.append(threading.Thread(target=mark_cpu))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.server_cpu_s = group_cpu_seconds(pgid) - cpu_mark[0]
    return run


def check_database(database_url: str, before: int) -> tuple[int, bool]:
    """Credentials issued (each with a claim), whether status indexes are unique and the audit chain verifies."""
    engine = db.make_engine(database_url)
    try:
        audit.chain_now(engine)
        with db.make_session_factory(engine)() as session:
            issued = int(session.scalar(select(func.count(Credential.id))) or 0) - before
            with_claims = int(
                session.scalar(
                    select(func.count(Credential.id)).join(
                        CredentialClaim, CredentialClaim.credential_id == Credential.id
                    )
                )
                or 0
            )
            slots = session.execute(select(Credential.status_list_id, Credential.status_idx)).all()
            unique = len(set(slots)) == len(slots)
            chain_ok = audit.verify_chain(session).ok
            return issued, unique and chain_ok and with_claims == issued + before
    finally:
        engine.dispose()


def measure(
    workers: int, seconds: float, warmup: float, run_number: int, mode: str = "single", source: str | None = None
) -> Run:
    schema, url = support.create_schema(POSTGRES_URL)
    try:
        world = support.seed_world(url)
        engine = db.make_engine(url)
        with db.make_session_factory(engine)() as session:
            before = int(session.scalar(select(func.count(Credential.id))) or 0)
        engine.dispose()
        with TemporaryDirectory(prefix="certsvc-issue-api-") as folder:
            port = support.free_port()
            env = support.node_env(
                Path(folder),
                url,
                port,
                SERVE_WORKERS=workers,
                SERVE_THREADS=4,
                SERVE_KEEPALIVE=5,
                LOG_LEVEL="WARNING",
                # The configured argon2id cost, as in production (the baseline hashed each claim PIN with it).
                PASSWORD_HASH_TIME_COST=None,
                PASSWORD_HASH_MEMORY_KIB=None,
                PASSWORD_HASH_PARALLELISM=None,
            )
            if source is not None:  # the server runs another checkout's code (the baseline) on the same schema
                env["PYTHONPATH"] = source
                env["PYTHONDONTWRITEBYTECODE"] = "1"
            node = support.start_node("bench", Path(folder), env, port)
            try:
                node.wait_ready()
                tag = f"{mode[0]}w{workers}r{run_number}c"
                run = drive(port, world.provider_token, workers, seconds, warmup, tag, node.process.pid, mode)
            finally:
                node.stop()
        issued, consistent = check_database(url, before)
        # Every 201 counted must be in the database (warm-up issues are there too, so >=).
        if issued < run.credentials or not consistent:
            run.errors.append(f"database check failed: {issued} issued, consistent={consistent}")
        return run
    finally:
        support.drop_schema(schema, POSTGRES_URL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--baseline", metavar="SOURCE", default=None, help="Also run the server from this checkout (e.g. main), once."
    )
    args = parser.parse_args(argv)
    support.require_postgres(POSTGRES_URL)
    results: dict[tuple[str, int], list[Run]] = {(mode, w): [] for mode in MODES for w in (1, 2)}
    for run_number in range(args.runs):
        for workers in (1, 2):  # interleaved, so that machine noise falls on every figure
            for mode in MODES:
                results[mode, workers].append(measure(workers, args.seconds, args.warmup, run_number, mode))
    print(
        f"`certsvc serve` on PostgreSQL, {CLIENTS} concurrent clients, with claim codes: POST /api/v1/credentials "
        f"(single) and POST /api/v1/credentials/batch of {BATCH_SIZE} (batch)"
    )
    medians: dict[tuple[str, int], Figures] = {}
    errors = 0
    for (mode, workers), runs in results.items():
        figures = Figures.of(runs)
        medians[mode, workers] = figures
        errors += sum(len(r.errors) for r in runs)
        shown = ", ".join(f"{r.per_s:.0f}" for r in runs)
        problems = sorted({e for r in runs for e in r.errors})
        print(
            f"  {mode:6} {workers} worker(s): median {figures.per_s:6.1f} credentials/s, p95 {figures.p95_ms:7.1f} ms "
            f"per request, {figures.p95_ms_per_credential:6.2f} ms per credential, app server CPU "
            f"{figures.cpu_ms:.2f} ms per credential (runs: {shown}; errors: {problems or 'none'})"
        )
    if args.baseline:
        for workers in (1, 2):
            base = measure(workers, args.seconds, args.warmup, 99, source=args.baseline)
            single, batch = (medians[mode, workers].per_s / max(base.per_s, 0.001) for mode in MODES)
            print(
                f"  baseline ({args.baseline}), single, {workers} worker(s): {base.per_s:6.1f} credentials/s, "
                f"p95 {base.p95_ms:6.1f} ms; this code: single x{single:.1f}, batch x{batch:.1f}"
            )
    scaling = {
        mode: medians[mode, 2].per_s / medians[mode, 1].per_s if medians[mode, 1].per_s else 0.0 for mode in MODES
    }
    for mode in MODES:
        print(f"  {mode}: 2 workers vs 1: x{scaling[mode]:.2f} ({'grows' if scaling[mode] > 1 else 'DOES NOT GROW'})")
    batch, single = medians["batch", 2], medians["single", 2]
    print(f"  batch vs single, 2 workers: x{batch.per_s / max(single.per_s, 0.001):.1f}")
    verdict = "ok" if batch.per_s >= TARGET_PER_S else f"BELOW TARGET {TARGET_PER_S:.0f}/s"
    print(f"  batch, 2 workers: {verdict}")
    print(
        json.dumps(
            {
                "issue_api_per_s": round(batch.per_s, 1),
                "issue_api_p95_ms": round(batch.p95_ms, 1),
                "issue_api_p95_ms_per_credential": round(batch.p95_ms_per_credential, 2),
                "issue_api_scaling_2_vs_1": round(scaling["batch"], 2),
                "issue_api_per_s_1_worker": round(medians["batch", 1].per_s, 1),
                "issue_api_single_per_s": round(single.per_s, 1),
                "issue_api_single_p95_ms": round(single.p95_ms, 1),
                "issue_api_single_scaling_2_vs_1": round(scaling["single"], 2),
                "issue_api_errors": errors,
                "issue_api_server_cpu_ms_per_credential": round(batch.cpu_ms, 2),
                "issue_api_single_server_cpu_ms_per_credential": round(single.cpu_ms, 2),
            }
        )
    )
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
