"""Faults under load: a node killed (the other serves, nothing lost) and PostgreSQL restarted (503s, then recovery)."""

from __future__ import annotations

import itertools
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import func, select

from certsvc.cli import main
from certsvc.store import db
from certsvc.store.credential_records import qr_text_of
from certsvc.store.models import AuditEntry, Credential

from .support import (
    BASE_URL,
    PROVIDER_LOGIN,
    Node,
    ThrowawayPostgres,
    World,
    bearer,
    create_schema,
    credential_request,
    drop_schema,
    free_port,
    learner,
    node_env,
    require_postgres,
    seed_world,
    start_node,
)
from .test_two_nodes import login

THREADS = 4
PAUSE = 0.02  # per thread between requests


@dataclass
class Outcome:
    """One logical request: what was asked, when, and the final answer (after any failover)."""

    op: str
    started: float
    finished: float = 0.0
    status: int | None = None
    code: str | None = None
    retry_after: str | None = None
    node: str | None = None
    failed_over: bool = False
    external_id: str | None = None
    error: str | None = None


@dataclass
class Load:
    """Threads sending requests until stopped, each operation drawn at random from ``ops``."""

    send: Callable[[requests.Session, str, int], Outcome]
    ops: list[str]
    outcomes: list[Outcome] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for n in range(THREADS):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _run(self, n: int) -> None:
        http = requests.Session()
        chooser = random.Random(n)
        for i in itertools.count():
            if self.stop_event.is_set():
                break
            outcome = self.send(http, chooser.choice(self.ops), n * 1_000_000 + i)
            self.outcomes.append(outcome)
            time.sleep(PAUSE)
        http.close()

    def stop(self) -> list[Outcome]:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=30)
        return self.outcomes


def qr_texts(database_url: str) -> list[str]:
    engine = db.make_engine(database_url, sqlite_begin="DEFERRED")
    with db.make_session_factory(engine)() as session:
        texts = [qr_text_of(c, BASE_URL) for c in session.scalars(select(Credential).order_by(Credential.id))]
    engine.dispose()
    return texts


def request_for(op: str, world: World, qrs: list[str], ident: str) -> tuple[str, str, dict[str, Any]]:
    """Method, path and keyword arguments of one operation; issuance is idempotent by external id."""
    if op == "issue":
        body = credential_request(learner(f"Load Holder {ident}", f"L{ident}"), ident)
        return "POST", "/api/v1/credentials", {"json": body, "headers": bearer(world.provider_token)}
    if op == "status":
        return "GET", "/o/klwa/status/1", {}
    return "POST", "/api/v1/verify", {"json": {"credential": random.choice(qrs)}}


def answer(outcome: Outcome, response: requests.Response) -> Outcome:
    outcome.finished = time.monotonic()
    outcome.status = response.status_code
    outcome.retry_after = response.headers.get("Retry-After")
    if response.headers.get("Content-Type", "").startswith("application/json") and response.status_code >= 400:
        outcome.code = response.json().get("code")
    elif response.status_code >= 500:
        outcome.code = "database_unavailable" if "database_unavailable" in response.text else "other"
    return outcome


def assert_audit_ok(database_url: str) -> None:
    result = CliRunner().invoke(main, ["audit", "verify", "--database-url", database_url])
    assert result.exit_code == 0, result.output


def assert_issued_once_and_complete(database_url: str, external_ids: set[str]) -> None:
    """Each external id issued exactly once, each credential with its one 'credential.issued' entry."""
    engine = db.make_engine(database_url)
    with db.make_session_factory(engine)() as session:
        rows = session.execute(
            select(Credential.external_id, func.count())
            .where(Credential.external_id.in_(external_ids))
            .group_by(Credential.external_id)
        ).all()
        assert {external_id: n for external_id, n in rows} == dict.fromkeys(external_ids, 1)
        public_ids = set(session.scalars(select(Credential.public_id)))
        audited = session.scalars(select(AuditEntry.subject).where(AuditEntry.action == "credential.issued")).all()
        assert sorted(audited) == sorted(public_ids)
    engine.dispose()


# -- one node killed ------------------------------------------------------------------------------


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[tuple[Node, Node, World]]:
    require_postgres()
    schema, url = create_schema()
    nodes: list[Node] = []
    try:
        world = seed_world(url)
        for name in ("a", "b"):
            port = free_port()
            nodes.append(start_node(name, tmp_path / name, node_env(tmp_path / name, url, port), port))
        for node in nodes:
            node.wait_ready()
        yield nodes[0], nodes[1], world
    finally:
        for node in nodes:
            node.stop()
        drop_schema(schema)


def test_killing_one_node_under_load_loses_nothing(two_nodes: tuple[Node, Node, World]) -> None:
    a, b, world = two_nodes
    qrs = qr_texts(world.database_url)
    order = itertools.count()

    def send(http: requests.Session, op: str, n: int) -> Outcome:
        # A balancer: round robin, and on a refused or dropped connection the same request to the other node.
        first = (a, b) if next(order) % 2 == 0 else (b, a)
        ident = f"kill-{n}-{secrets.token_hex(3)}"
        method, path, kw = request_for(op, world, qrs, ident)
        outcome = Outcome(op, time.monotonic(), external_id=ident if op == "issue" else None)
        for node in first:
            try:
                response = http.request(method, node.url + path, timeout=15, **kw)
            except requests.ConnectionError as exc:
                outcome.failed_over, outcome.error = True, type(exc).__name__
                continue
            outcome.node = node.name
            return answer(outcome, response)
        return outcome

    load = Load(send, ["verify"] * 8 + ["issue"] * 2)
    load.start()
    time.sleep(1.5)
    killed_at = time.monotonic()
    a.kill()
    time.sleep(2.5)
    outcomes = load.stop()

    unanswered = [o for o in outcomes if o.status not in (200, 201)]
    assert unanswered == []
    after = [o for o in outcomes if o.started > killed_at + 0.2]
    assert len(after) > 20 and {o.node for o in after} == {"b"}
    assert any(o.failed_over for o in after)
    assert {o.op for o in after} == {"verify", "issue"}
    issued = {o.external_id for o in outcomes if o.op == "issue" and o.external_id}
    assert len(issued) > 5
    assert_issued_once_and_complete(world.database_url, issued)
    assert_audit_ok(world.database_url)
    assert b.get("/readyz").status_code == 200


# -- PostgreSQL restarted ------------------------------------------------------------------------


def test_postgres_restart_under_load(throwaway_postgres: Callable[[], ThrowawayPostgres], tmp_path: Path) -> None:
    cluster = throwaway_postgres()
    world = seed_world(cluster.url)
    qrs = qr_texts(world.database_url)
    port = free_port()
    node = start_node("solo", tmp_path / "solo", node_env(tmp_path / "solo", cluster.url, port), port)
    try:
        node.wait_ready()
        cookies = login(node, PROVIDER_LOGIN).cookies

        def send(http: requests.Session, op: str, n: int) -> Outcome:
            ident = f"pg-{n}-{secrets.token_hex(3)}"
            outcome = Outcome(op, time.monotonic(), node="solo", external_id=ident if op == "issue" else None)
            if op == "page":
                method, path, kw = "GET", "/provider/credentials", {"cookies": cookies}
            else:
                method, path, kw = request_for(op, world, qrs, ident)
            try:
                return answer(outcome, http.request(method, node.url + path, timeout=15, **kw))
            except requests.RequestException as exc:
                outcome.error = type(exc).__name__
                return outcome

        load = Load(send, ["verify"] * 3 + ["issue"] * 3 + ["status"] * 2 + ["page"] * 2)
        load.start()
        time.sleep(1.5)
        down_at = time.monotonic()
        cluster.stop()
        time.sleep(2.5)
        cluster.start()
        up_at = time.monotonic()
        time.sleep(5.0)
        outcomes = load.stop()
        # Recovered by itself: the same processes, never restarted, serve again.
        assert node.process.poll() is None
        assert "\n".join(node.log_lines()).count("Booting worker") == 2
        # A client retrying what got a 503 (same external id) gets exactly one credential.
        retried = [o for o in outcomes if o.op == "issue" and o.status == 503]
        for outcome in retried:
            _, path, kw = request_for("issue", world, qrs, str(outcome.external_id))
            retry = node.post(path, **kw)
            assert retry.status_code in (200, 201), retry.text
    finally:
        node.stop()

    assert [o for o in outcomes if o.error or o.status not in (200, 201, 503)] == []
    unavailable = [o for o in outcomes if o.status == 503]
    assert unavailable, "no request met the outage"
    assert all(o.code == "database_unavailable" and o.retry_after for o in unavailable)
    assert {o.op for o in unavailable} >= {"issue", "page"}
    # Only requests that met the outage: answered after it began (a request may wait in gunicorn's queue
    # before it runs, so its start can come earlier), started before recovery.
    outside = [(o.op, o.started - down_at, o.finished - down_at) for o in unavailable if not down_at <= o.finished]
    assert outside == [] and all(o.started <= up_at + 3.0 for o in unavailable)
    recovered = [o for o in outcomes if o.started > up_at + 3.0]
    assert len(recovered) > 20 and all(o.status in (200, 201) for o in recovered)
    # Nothing half-written.
    issued = {o.external_id for o in outcomes if o.op == "issue" and o.external_id}
    assert_issued_once_and_complete(world.database_url, issued)
    assert_audit_ok(world.database_url)
