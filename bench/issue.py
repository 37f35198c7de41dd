"""Benchmark: issue a cohort of 1,000 learners from CSV on SQLite and on PostgreSQL.

Each run gets a fresh database (a temporary SQLite file; a new PostgreSQL schema, dropped
afterwards), migrated and seeded with the demo world. A generated 1,000-row cohort CSV
is then imported by the code behind ``certsvc import-cohort`` (validation, batch,
chunked issuance with signing, status indexes, audit entries and a claim code and PIN for
every credential, sealed for the claim slips) and timed end to end. Each backend runs
three times; the median is reported, as credentials per second (targets: >= 1,500/s on
SQLite, >= 1,000/s on PostgreSQL). The last line is a JSON object with ``issue_per_s_sqlite`` and
``issue_per_s_postgres``.

PostgreSQL is taken from CERTSVC_BENCH_POSTGRES_URL (default: the local ``test`` database).
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from certsvc.accounts.users import make_password_hasher
from certsvc.demo.seed import seed
from certsvc.store import db, db_commands
from certsvc.store.models import Credential, CredentialClaim, ImportBatch
from issuers.cohort_commands import import_cohort
from issuers.cohort_csv import COLUMNS

ROWS = 1000
RUNS = 3
TARGETS = {"SQLite": 1500, "PostgreSQL": 1000}
PROVIDER = "klwa"
BASE_URL = "https://skills.example.org"
KEK = "bench-key-encryption-key-" + "k" * 32
POSTGRES_URL = os.environ.get("CERTSVC_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def cohort_csv(rows: int) -> bytes:
    """A cohort of ``rows`` Filipino workers: mostly welders and cooks, every fifth a prior-skills carer."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for n in range(rows):
        common = (f"BENCH-{n:05d}", f"Worker {n} Dela Cruz", f"19{70 + n % 30}-0{1 + n % 9}-1{n % 10}", "PH")
        person = (*common, f"P{1000000 + n}A", "FM"[n % 2])
        if n % 5 == 4:
            assessment = ("practical_test", "Bed bath, transfers and medication log observed; passed.", "2026-02-02")
            writer.writerow((*person, "CARE2", "prior_skills", *assessment, "A. Rahman"))
        else:
            writer.writerow((*person, ("SMAW2", "COOK2")[n % 2], "training", "", "", "", ""))
    return out.getvalue().encode("utf-8")


def prepare(url: str) -> None:
    """Migrate and seed a fresh database."""
    db_commands.upgrade(url)
    engine = db.make_engine(url)
    try:
        with db.make_session_factory(engine)() as session:
            seed(session, kek=KEK, base_url=BASE_URL, hasher=make_password_hasher(1, 1024, 1), now=datetime.now(UTC))
            session.commit()
    finally:
        engine.dispose()


def issued_by_import(url: str) -> int:
    engine = db.make_engine(url)
    try:
        with db.make_session_factory(engine)() as session:
            query = (
                select(func.count(Credential.id))
                .join(ImportBatch, Credential.import_batch_id == ImportBatch.id)
                .join(CredentialClaim, CredentialClaim.credential_id == Credential.id)  # each with its claim code
            )
            return int(session.scalar(query) or 0)
    finally:
        engine.dispose()


def measure(url: str, folder: Path) -> float:
    """Import the cohort into the database at ``url``; return credentials per second."""
    prepare(url)
    path = folder / "cohort.csv"
    path.write_bytes(cohort_csv(ROWS))
    with open(os.devnull, "w") as quiet, redirect_stderr(quiet), redirect_stdout(quiet):  # keep the report clean
        start = time.perf_counter()
        status = import_cohort(path, PROVIDER, url, dry_run=False, chunk_size=100)
        elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"import failed with exit status {status}")
    issued = issued_by_import(url)
    if issued != ROWS:
        raise SystemExit(f"expected {ROWS} credentials with claim codes, found {issued}")
    return ROWS / elapsed


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


def report(backend: str, rates: list[float]) -> float | None:
    """Print the runs and their median; return the median."""
    if not rates:
        print(f"{backend:10s} not measured")
        return None
    rate = statistics.median(rates)
    target = TARGETS[backend]
    verdict = "ok" if rate >= target else f"BELOW TARGET {target}/s"
    runs = ", ".join(f"{r:.0f}" for r in rates)
    print(f"{backend:10s} {ROWS} credentials: median {rate:5.0f} credentials/s ({verdict}; runs: {runs})")
    return rate


def main() -> int:
    os.environ["CERTSVC_KEY_ENCRYPTION_KEY"] = KEK
    os.environ["CERTSVC_BASE_URL"] = BASE_URL
    with tempfile.TemporaryDirectory(prefix="certsvc-bench-") as tmp:
        folder = Path(tmp)
        # An empty instance folder, so no local instance/config.py changes what is measured.
        os.environ["CERTSVC_INSTANCE_PATH"] = str(folder / "instance")
        sqlite_rates = [measure(f"sqlite:///{folder / f'bench-{run}.sqlite3'}", folder) for run in range(RUNS)]
        sqlite_rate = report("SQLite", sqlite_rates)
        postgres_rates = []
        try:
            for _ in range(RUNS):
                with postgres_schema() as url:
                    postgres_rates.append(measure(url, folder))
        except psycopg.OperationalError as exc:
            print(f"PostgreSQL at {POSTGRES_URL} unreachable: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        postgres_rate = report("PostgreSQL", postgres_rates)
    figures = {
        "rows": ROWS,
        "issue_per_s_sqlite": round(sqlite_rate, 1) if sqlite_rate is not None else None,
        "issue_per_s_postgres": round(postgres_rate, 1) if postgres_rate is not None else None,
    }
    print(json.dumps(figures))
    return 0 if postgres_rate is not None else 1


if __name__ == "__main__":
    sys.exit(main())
