"""Benchmark: the authority dashboard's queries over 100,000 credentials on SQLite and PostgreSQL.

Fills a freshly migrated database with synthetic organisations, learners, credentials (in
every state, over three years and five corridors) and verification events, then times
``indicators.figures`` for the Philippine authority: the whole dashboard unfiltered, and
filtered by one year and one corridor. Times are the median of several runs, in ms.

    .venv/bin/python bench/indicators.py [--credentials 100000] [--skip-postgres]

The last line is a JSON object of the figures, with the machine's load average: wall times on
a busy machine say more about the machine than about the queries (the CPU time does not).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from certsvc.accounts import organisations
from certsvc.authority import indicators
from certsvc.store import db, db_commands
from certsvc.store.models import (
    Credential,
    Learner,
    Organisation,
    OrgKind,
    Qualification,
    StatusListRecord,
    VerificationEvent,
)

KEK = "bench-key-encryption-key-" + "k" * 32
POSTGRES_URL = os.environ.get("CERTSVC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
START = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 3 * 365
RUNS = 7
CHUNK = 5_000
#: (provider slug, provider country, holder nationality, embassy slug, share of credentials)
CORRIDORS = (
    ("b-klwa", "MY", "PH", "b-ph-kl", 0.40),
    ("b-sgsc", "SG", "PH", "b-ph-sg", 0.20),
    ("b-hksc", "HK", "PH", "b-ph-hk", 0.15),
    ("b-jcsc", "SG", "MM", "b-mm-sg", 0.15),
    ("b-hwi", "US", "SV", "b-sv-hou", 0.10),
)
#: Incompressible stand-ins of the real sizes (PostgreSQL would compress repeated text away).
_POOL = random.Random(1)
PAYLOADS = [_POOL.randbytes(1708) for _ in range(32)]
SIGNED = [base64.urlsafe_b64encode(_POOL.randbytes(1846)).decode()[:2462] for _ in range(32)]
REASONS = (
    "Training hours do not match the attendance sheet.",
    "Passport number does not match our records.",
    "Assessment evidence missing.",
)


def populate(engine: Engine, count: int, seed: int = 7) -> None:
    """Insert ``count`` credentials (with learners and verification events) into a migrated database."""
    rng = random.Random(seed)
    with db.make_session_factory(engine)() as session:
        orgs = _organisations(session)
        session.commit()
    corridor_of = rng.choices(range(len(CORRIDORS)), weights=[c[4] for c in CORRIDORS], k=count)
    with engine.begin() as connection:
        for offset in range(0, count, CHUNK):
            learners, credentials, events = [], [], []
            for n in range(offset, min(offset + CHUNK, count)):
                learner, credential, verified = _row(rng, n, CORRIDORS[corridor_of[n]], orgs)
                learners.append(learner)
                credentials.append(credential)
                events.extend(verified)
            connection.execute(insert(Learner), learners)
            connection.execute(insert(Credential), credentials)
            if events:
                connection.execute(insert(VerificationEvent), events)


def _organisations(session: Session) -> dict[str, Any]:
    orgs: dict[str, Any] = {}
    for country in ("PH", "MM", "SV"):
        _org(session, f"b-auth-{country.lower()}", OrgKind.AUTHORITY, country)
    for provider_slug, provider_country, nationality, embassy_slug, _ in CORRIDORS:
        provider = _org(session, provider_slug, OrgKind.PROVIDER, provider_country)
        if session.scalar(select(Organisation.id).where(Organisation.slug == embassy_slug)) is None:
            _org(session, embassy_slug, OrgKind.EMBASSY, nationality, host_country=provider_country)
        embassy = session.scalar(select(Organisation).where(Organisation.slug == embassy_slug))
        assert embassy is not None
        codes = [f"Q{provider_slug[2:].upper()}{i}" for i in range(1, 5)]
        for code in codes:
            session.add(
                Qualification(
                    provider_id=provider.id,
                    code=code,
                    name=f"Qualification {code}",
                    description="Benchmark qualification",
                    framework="SKM",
                    level="2",
                    isco_code="7212",
                    isco_title="Welders and flamecutters",
                )
            )
        status_list = StatusListRecord(org_id=provider.id, list_number=1, bits=2, size=1_000_000)
        session.add(status_list)
        session.flush()
        orgs[provider_slug] = (provider.id, embassy.id, status_list.id, codes)
    return orgs


def _org(session: Session, slug: str, kind: OrgKind, country: str, host_country: str | None = None) -> Organisation:
    return organisations.create_organisation(
        session, slug=slug, name=slug, kind=kind, country=country, host_country=host_country, kek=KEK, actor="bench"
    )


def _row(rng: random.Random, n: int, corridor: tuple, orgs: dict[str, Any]) -> tuple[dict, dict, list[dict]]:
    provider_slug, _, nationality, _, _ = corridor
    provider_id, embassy_id, status_list_id, codes = orgs[provider_slug]
    issued = START + timedelta(days=rng.randrange(DAYS), seconds=rng.randrange(86400))
    learner = {
        "id": n + 1,
        "provider_id": provider_id,
        "name": f"Learner {n}",
        "birth_date": date(1970 + n % 35, 1 + n % 12, 1 + n % 28),
        "nationality": nationality,
        "id_number_hash": secrets.token_hex(16),
        "id_number_salt": "s",
        "sex": rng.choice(("F", "M", "F", "M", "X", None)),
        "created_at": issued,
    }
    state = rng.choices(("cosigned", "awaiting_cosign", "rejected", "revoked", "suspended"), weights=(70, 15, 7, 5, 3))[
        0
    ]
    cosigned = issued + timedelta(days=rng.uniform(0.5, 40)) if state in ("cosigned", "revoked", "suspended") else None
    credential = {
        "public_id": f"B{n:09d}",
        "provider_id": provider_id,
        "learner_id": n + 1,
        "kind": "prior_skills" if rng.random() < 0.25 else "training",
        "qualification_code": rng.choice(codes),
        "state": state,
        # Real sizes: the payload and both compact JWS are what make a row wide.
        "payload": PAYLOADS[n % 32],
        "provider_jws": SIGNED[n % 32],
        "cosign_jws": SIGNED[(n + 1) % 32] if cosigned else None,
        "embassy_id": embassy_id,
        "reject_reason": rng.choice(REASONS) if state == "rejected" else None,
        "status_list_id": status_list_id,
        "status_idx": n,
        "issued_at": issued,
        "cosigned_at": cosigned,
        "withdrawn_at": cosigned + timedelta(days=30) if cosigned and rng.random() < 0.02 else None,
        "revoked_at": issued + timedelta(days=rng.randrange(1, 200)) if state == "revoked" else None,
    }
    events = [
        {
            "at": issued + timedelta(days=rng.randrange(1, 400)),
            "result": "recognized",
            "kind": "qr",
            "country": nationality if rng.random() < 0.7 else "MY",
            "credential_id": n + 1,
        }
        for _ in range(rng.choice((0, 0, 1, 1, 2)))
    ]
    return learner, credential, events


def time_dashboard(engine: Engine) -> dict[str, float]:
    """Median milliseconds of the whole dashboard, unfiltered and filtered: wall time, and this
    process's CPU time (for SQLite that is the database's work too, and it does not grow when
    other programs compete for the machine)."""
    cases: dict[str, indicators.Filters] = {
        "all": indicators.Filters("PH"),
        "filtered": indicators.Filters("PH", date(2025, 1, 1), date(2025, 12, 31), provider_country="MY"),
    }
    factory = db.make_session_factory(engine)
    timings = {}
    for name, filters in cases.items():

        def run(filters: indicators.Filters = filters) -> object:
            with factory() as session:
                return indicators.figures(session, filters)

        timings[name], timings[f"{name}_cpu"] = _median_ms(run)
    return timings


def _median_ms(fn: Callable[[], object]) -> tuple[float, float]:
    fn()  # warm the caches
    wall, cpu = [], []
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return round(statistics.median(wall), 1), round(statistics.median(cpu), 1)


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    url = make_url(POSTGRES_URL)
    schema = f"certsvc_bench_{secrets.token_hex(4)}"
    params = {"host": url.host, "port": url.port or 5432, "user": url.username, "dbname": url.database}
    with psycopg.connect(**params, password=url.password, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")  # type: ignore[arg-type]  # hex we made
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**params, password=url.password, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[arg-type]


def bench(url: str, count: int, label: str) -> dict[str, float]:
    """Migrate, fill and time one database."""
    db_commands.upgrade(url)
    engine = db.make_engine(url)
    try:
        start = time.perf_counter()
        populate(engine, count)
        _analyze(engine)
        print(f"{label}: {count} credentials inserted in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        timings = time_dashboard(engine)
        print(f"{label}: dashboard {timings['all']} ms, filtered {timings['filtered']} ms", file=sys.stderr)
        return timings
    finally:
        engine.dispose()


def _analyze(engine: Engine) -> None:
    """Refresh statistics as the database's own maintenance would after a bulk load.

    Only our tables (a database-wide run contends with other schemas); on PostgreSQL also
    VACUUM, which autovacuum does in service and index-only scans need.
    """
    command = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("organisations", "learners", "credentials", "verification_events"):
            connection.exec_driver_sql(f"{command} {table}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--credentials", type=int, default=100_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    size = f"{args.credentials // 1000}k"
    result: dict[str, float] = {}
    with sqlite_database() as url:
        timings = bench(url, args.credentials, "sqlite")
    result[f"indicators_ms_sqlite_{size}"] = timings["all"]
    result[f"indicators_filtered_ms_sqlite_{size}"] = timings["filtered"]
    result[f"indicators_cpu_ms_sqlite_{size}"] = timings["all_cpu"]
    if not args.skip_postgres:
        with postgres_database() as url:
            timings = bench(url, args.credentials, "postgresql")
        result[f"indicators_ms_postgres_{size}"] = timings["all"]
        result[f"indicators_filtered_ms_postgres_{size}"] = timings["filtered"]
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
