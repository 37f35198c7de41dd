"""Two `certsvc serve` nodes on one PostgreSQL issue at once: nothing lost, indexes unique, one audit chain."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from certsvc.store import audit, db
from certsvc.store.models import AuditEntry, Credential, CredentialClaim

from .support import (
    Node,
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

CLIENTS_PER_NODE = 4
ISSUES_PER_CLIENT = 15


@dataclass
class Pair:
    a: Node
    b: Node
    world: World


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    require_postgres()
    schema, url = create_schema()
    folder = tmp_path_factory.mktemp("issuing-pair")
    nodes: list[Node] = []
    try:
        world = seed_world(url)
        for name in ("a", "b"):
            port = free_port()
            env = node_env(folder / name, url, port, SERVE_WORKERS=2, SERVE_THREADS=2)
            nodes.append(start_node(name, folder / name, env, port))
        for node in nodes:
            node.wait_ready()
        yield Pair(nodes[0], nodes[1], world)
    finally:
        for node in nodes:
            node.stop()
        drop_schema(schema)


def test_two_nodes_issue_concurrently_and_lose_nothing(pair: Pair) -> None:
    url = pair.world.database_url
    engine = db.make_engine(url)
    with db.make_session_factory(engine)() as session:
        before = int(session.scalar(select(func.count(Credential.id))) or 0)
    answered: list[dict[str, Any]] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(2 * CLIENTS_PER_NODE)

    def client(node: Node, n: int) -> None:
        http = requests.Session()
        start.wait()
        for i in range(ISSUES_PER_CLIENT):
            tag = f"{node.name}{n}-{i}-{secrets.token_hex(3)}"
            body = credential_request(learner(f"Pair Holder {tag}", f"PX{n}{i}{secrets.randbelow(10**6):06d}"), tag)
            response = http.post(
                node.url + "/api/v1/credentials", json=body, headers=bearer(pair.world.provider_token), timeout=30
            )
            with lock:
                if response.status_code == 201 and response.json().get("claim"):
                    answered.append(response.json())
                else:
                    failures.append(f"{node.name}: HTTP {response.status_code} {response.text[:200]}")
        http.close()

    threads = [
        threading.Thread(target=client, args=(node, n)) for node in (pair.a, pair.b) for n in range(CLIENTS_PER_NODE)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    expected = 2 * CLIENTS_PER_NODE * ISSUES_PER_CLIENT
    assert len(answered) == expected
    try:
        with db.make_session_factory(engine)() as session:
            ids = [body["id"] for body in answered]
            stored = session.scalars(select(Credential).where(Credential.public_id.in_(ids))).all()
            assert len(stored) == expected  # every 201 is in the database
            assert int(session.scalar(select(func.count(Credential.id))) or 0) == before + expected
            slots = session.execute(select(Credential.status_list_id, Credential.status_idx)).all()
            assert len(set(slots)) == len(slots)  # status indexes unique across both nodes
            claimed = session.scalar(
                select(func.count(CredentialClaim.credential_id)).where(
                    CredentialClaim.credential_id.in_([c.id for c in stored])
                )
            )
            assert claimed == expected  # each with its claim code
            # Whatever the nodes left waiting is chained by the next chainer; the chain then verifies whole.
            report = audit.verify_chain(session)
            assert report.ok, report.problems
        audit.chain_now(engine)
        with db.make_session_factory(engine)() as session:
            report = audit.verify_chain(session)
            assert report.ok and report.pending == 0, report.problems
            issued = session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.action == "credential.issued", AuditEntry.subject.in_(ids)
                )
            )
            assert issued == expected
    finally:
        engine.dispose()
