"""Two real app processes (`certsvc serve`) on one PostgreSQL schema and one Redis behave as one service."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from certsvc.credentials.b64 import b64url_decode

from .support import (
    EMBASSY,
    EMBASSY_LOGIN,
    KEK,
    PASSWORD,
    PROVIDER,
    PROVIDER_LOGIN,
    REDIS_URL,
    Node,
    World,
    bearer,
    claim_code_for,
    create_schema,
    credential_request,
    drop_schema,
    flush_redis,
    form_token,
    free_port,
    learner,
    node_env,
    require_postgres,
    seed_world,
    start_node,
    wallet_present,
)

STATUS_TTL = 3
HOLDER = "Zenaida Quiapo Marikina"
ID_NUMBER = "QX7341902Z"
WALLET_LOGIN = "+639171234567"
WALLET_PASSWORD = "holder-password-2026"


@dataclass
class Cluster:
    a: Node
    b: Node
    world: World
    metrics_port: int


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Nodes A and B on one fresh schema and Redis database 14; B reads its KEK from a file."""
    require_postgres()
    flush_redis()
    schema, url = create_schema()
    folder = tmp_path_factory.mktemp("cluster")
    nodes: list[Node] = []
    try:
        world = seed_world(url, status_ttl=STATUS_TTL)
        kek_file = folder / "kek"
        kek_file.write_text(KEK + "\n")
        kek_file.chmod(0o600)
        shared = {
            "REDIS_URL": REDIS_URL,
            "RATE_LIMIT_PREFIX": f"certsvc-ops-{secrets.token_hex(4)}",
            "VERIFY_BATCH_RATE_LIMIT": "4 per minute",
            "METRICS_ENABLED": True,
        }
        port_a, port_b, metrics_port = free_port(), free_port(), free_port()
        env_a = node_env(folder / "a", url, port_a, **shared)
        env_b = node_env(
            folder / "b",
            url,
            port_b,
            KEY_ENCRYPTION_KEY=None,
            KEY_ENCRYPTION_KEY_FILE=str(kek_file),
            METRICS_ALLOW=["192.0.2.0/24"],
            METRICS_PORT=metrics_port,
            **shared,
        )
        env_b.pop("CERTSVC_KEY_ENCRYPTION_KEY", None)
        nodes.append(start_node("a", folder / "a", env_a, port_a))
        nodes.append(start_node("b", folder / "b", env_b, port_b))
        for node in nodes:
            node.wait_ready()
        yield Cluster(nodes[0], nodes[1], world, metrics_port)
    finally:
        for node in nodes:
            node.stop()
        drop_schema(schema)


def issue(node: Node, world: World, name: str, id_number: str) -> dict[str, Any]:
    body = credential_request(learner(name, id_number), f"ops-{secrets.token_hex(6)}")
    response = node.post("/api/v1/credentials", json=body, headers=bearer(world.provider_token))
    assert response.status_code == 201, response.text
    return dict(response.json())


def cosign(node: Node, world: World, public_id: str) -> dict[str, Any]:
    response = node.post(f"/api/v1/credentials/{public_id}/cosign", headers=bearer(world.embassy_token))
    assert response.status_code == 200, response.text
    return dict(response.json())


def verdict(node: Node, qr_text: str, **kw: Any) -> str:
    response = node.post("/api/v1/verify", json={"credential": qr_text}, **kw)
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


def wait_for_verdict(node: Node, qr_text: str, expected: str, timeout: float) -> float:
    """Poll until the node gives ``expected``; return the seconds it took."""
    started = time.monotonic()
    while True:
        found = verdict(node, qr_text)
        if found == expected:
            return time.monotonic() - started
        assert time.monotonic() - started < timeout, f"{node.name} still says {found} after {timeout}s"
        time.sleep(0.2)


def login(node: Node, email: str) -> requests.Session:
    browser = requests.Session()
    response = browser.post(
        node.url + "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": form_token(browser, node.url + "/login")},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code in (302, 303), response.text[:300]
    return browser


@pytest.fixture(scope="module")
def journey(cluster: Cluster) -> dict[str, Any]:
    """A full journey across the two nodes, with request ids we choose: issue, co-sign, verify, look."""
    a, b, world = cluster.a, cluster.b, cluster.world
    rid = f"journey-{secrets.token_hex(8)}"
    issued = issue(a, world, HOLDER, ID_NUMBER)
    public_id = issued["id"]
    cosigned = cosign(b, world, public_id)
    qr_text = cosigned["qr_text"]
    # A node's verifier may hold documents from before the issuance for up to the ttl.
    wait_for_verdict(a, qr_text, "recognized", STATUS_TTL + 5)
    wait_for_verdict(b, qr_text, "recognized", STATUS_TTL + 5)
    verdicts = {"a": verdict(a, qr_text), "b": verdict(b, qr_text, headers={"X-Request-ID": rid})}
    page = b.post("/verify", data={"credential": qr_text}, timeout=15)
    id_check = a.post("/api/v1/verify/id-check", json={"credential": qr_text, "id_number": ID_NUMBER})
    landing = a.get("/V")
    browser = login(a, PROVIDER_LOGIN)
    provider_page = browser.get(b.url + f"/provider/credentials/{public_id}", timeout=10)
    browser.get(b.url + f"/provider/credentials?q={HOLDER.replace(' ', '+')}", timeout=10)
    browser.get(a.url + f"/v/{qr_text.partition('#')[2][:40]}?id={ID_NUMBER}", timeout=10)
    return {
        "wallet": wallet_journey(a, b, world.database_url, public_id) if wallet_present() else None,
        "public_id": public_id,
        "qr_text": qr_text,
        "compacts": cosigned["credential"]["compact"],
        "verdicts": verdicts,
        "request_id": rid,
        "page": page,
        "id_check": id_check,
        "landing": landing,
        "provider_page": provider_page,
    }


def wallet_journey(a: Node, b: Node, database_url: str, public_id: str) -> dict[str, Any]:
    """The holder opens a wallet on B, claims the credential on A, and looks at it on B."""
    code, pin = claim_code_for(database_url, public_id)
    holder = requests.Session()
    token = form_token(holder, b.url + "/wallet/register")
    holder.post(
        b.url + "/wallet/register",
        data={"login": WALLET_LOGIN, "password": WALLET_PASSWORD, "csrf_token": token},
        timeout=15,
    )
    token = form_token(holder, a.url + "/wallet/claim")
    holder.post(a.url + "/wallet/claim", data={"code": code, "pin": pin, "csrf_token": token}, timeout=15)
    index = holder.get(b.url + "/wallet/", timeout=15)
    state = holder.get(b.url + f"/wallet/c/{public_id}/state.json", timeout=15)
    return {"index": index, "state": state, "secrets": [*code.split("-"), pin]}


def test_credential_issued_on_one_is_cosigned_on_the_other_and_verifies_on_both(journey: dict[str, Any]) -> None:
    assert journey["verdicts"] == {"a": "recognized", "b": "recognized"}
    assert journey["page"].status_code == 200 and "RECOGNI" in journey["page"].text.upper()
    assert journey["id_check"].json()["match"] is True
    assert journey["landing"].status_code == 200
    assert journey["provider_page"].status_code == 200 and HOLDER in journey["provider_page"].text
    if journey["wallet"] is not None:  # claimed through A, shown by B
        assert journey["wallet"]["index"].status_code == 200
        assert "Shielded Metal Arc Welding" in journey["wallet"]["index"].text
        assert journey["wallet"]["state"].json()["state"] == "recognised"


def test_a_login_on_one_node_is_accepted_by_the_other(cluster: Cluster) -> None:
    for first, second, email in ((cluster.a, cluster.b, PROVIDER_LOGIN), (cluster.b, cluster.a, EMBASSY_LOGIN)):
        browser = login(first, email)
        account = browser.get(second.url + "/account", allow_redirects=False, timeout=10)
        assert account.status_code == 200 and email in account.text
        anonymous = requests.get(second.url + "/account", allow_redirects=False, timeout=10)
        assert anonymous.status_code in (302, 303)


def test_rate_limits_are_shared_between_nodes(cluster: Cluster) -> None:
    # VERIFY_BATCH_RATE_LIMIT is 4 per minute per client address, counted in the shared Redis.
    body = {"credentials": ["not a credential"]}
    answers = [node.post("/api/v1/verify/batch", json=body).status_code for node in (cluster.a, cluster.b) * 3]
    assert answers[:4] == [200, 200, 200, 200]
    assert answers[4:] == [429, 429]


def status_list_claims(node: Node) -> dict[str, Any]:
    response = node.get(f"/o/{PROVIDER}/status/1")
    assert response.status_code == 200
    return dict(json.loads(b64url_decode(response.text.split(".")[1])))


def test_a_revocation_on_one_node_counts_on_the_other_within_a_second(cluster: Cluster) -> None:
    a, b, world = cluster.a, cluster.b, cluster.world
    public_id = issue(b, world, "Revoca Test Holder", "RV1234567")["id"]
    qr_text = cosign(a, world, public_id)["qr_text"]
    for node in (a, b):
        assert verdict(node, qr_text) == "recognized"  # at once: the record is read live
        status_list_claims(node)  # both nodes now hold the signed list in their caches
    revoked = a.post(
        f"/api/v1/credentials/{public_id}/revoke",
        json={"reason": "issued in error"},
        headers=bearer(world.provider_token),
    )
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    revoked_at = time.monotonic()
    assert wait_for_verdict(b, qr_text, "invalid", 1.0) <= 1.0
    assert verdict(a, qr_text) == "invalid"
    assert time.monotonic() - revoked_at <= 1.0
    # Each node's cached status list was dropped by the change: the next GET shows the revocation.
    for node in (b, a):
        claims = status_list_claims(node)
        assert claims["iat"] >= int(time.time()) - 5


def test_a_key_compromise_on_one_node_counts_on_the_other_within_a_second(cluster: Cluster) -> None:
    a, b, world = cluster.a, cluster.b, cluster.world
    public_id = issue(a, world, "Kompro Test Holder", "KP1234567")["id"]
    qr_text = cosign(b, world, public_id)["qr_text"]
    for node in (a, b):
        assert verdict(node, qr_text) == "recognized"
    # The embassy reports its key compromised from before the co-signature (through node A's database).
    compromise_embassy_key(world.database_url, since_seconds_ago=3600)
    started = time.monotonic()
    for node in (b, a):
        wait_for_verdict(node, qr_text, "invalid", 1.5)
    assert time.monotonic() - started <= 1.5


def compromise_embassy_key(database_url: str, since_seconds_ago: int) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from certsvc.store import db, keystore
    from certsvc.store.models import Organisation

    engine = db.make_engine(database_url)
    try:
        with db.make_session_factory(engine)() as session:
            embassy = session.scalar(select(Organisation).where(Organisation.slug == EMBASSY))
            assert embassy is not None
            record = keystore.active_key_record(session, embassy.id)
            assert record is not None
            since = datetime.now(UTC) - timedelta(seconds=since_seconds_ago)
            keystore.mark_compromised(session, embassy, record.kid, since, KEK, actor="ops-test")
            session.commit()
    finally:
        engine.dispose()


def test_readiness_and_liveness_on_both_nodes(cluster: Cluster) -> None:
    for node in (cluster.a, cluster.b):
        assert node.get("/healthz").json() == {"status": "ok"}
        ready = node.get("/readyz")
        assert ready.status_code == 200, ready.text
        checks = ready.json()["checks"]
        assert checks["database"]["ok"] and checks["migrations"]["ok"] and checks["signing_keys"]["ok"]
        assert checks["signing_keys"]["sampled"] >= 1


def _sample(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.partition("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(line.rpartition(" ")[2])
    return total


def test_metrics_sum_the_workers_and_are_not_public(cluster: Cluster, journey: dict[str, Any]) -> None:
    a = cluster.a
    before = a.get("/metrics")
    assert before.status_code == 200 and before.headers["Content-Type"].startswith("text/plain")
    for _ in range(12):
        a.get(f"/o/{PROVIDER}/status/1")
    text = a.get("/metrics").text
    rule = "/o/<slug>/status/<int:number>"
    delta = _sample(text, "certsvc_http_requests_total", endpoint=rule) - _sample(
        before.text, "certsvc_http_requests_total", endpoint=rule
    )
    assert delta == 12  # two workers, one sum
    assert _sample(text, "certsvc_http_request_duration_seconds_count", endpoint=rule) >= 12
    assert _sample(text, "certsvc_verifications_total", result="recognized") >= 1
    assert _sample(text, "certsvc_credentials_issued_total", kind="training") >= 1
    assert 'certsvc_cosign_queue_depth{nationality="PH"}' in text
    assert "certsvc_database_up 1.0" in text
    assert journey["public_id"] not in text and "/o/klwa/" not in text  # endpoints by rule, never raw paths
    # B allows only 192.0.2.0/24: from here /metrics does not exist; its separate port serves them.
    assert cluster.b.get("/metrics").status_code == 404
    separate = requests.get(f"http://127.0.0.1:{cluster.metrics_port}/metrics", timeout=10)
    assert separate.status_code == 200 and "certsvc_http_requests_total" in separate.text
    assert "certsvc_cosign_queue_depth" in separate.text


PAGES = ["/login", "/verify", "/V", "/api/v1/docs"]


@pytest.mark.parametrize("path", [*PAGES, "/api/v1/openapi.json", "/healthz", "/no/such/page", "/api/v1/nothing"])
def test_security_headers_on_pages_api_and_errors(cluster: Cluster, path: str) -> None:
    response = cluster.b.get(path)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"]
    directives = dict(d.strip().partition(" ")[::2] for d in headers["Content-Security-Policy"].split(";"))
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    scripts = directives.get("script-src", directives["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "*" not in scripts
    assert "Strict-Transport-Security" not in headers  # plain http, no trusted proxy
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", headers["X-Request-ID"])


def test_security_headers_on_api_errors(cluster: Cluster) -> None:
    for response in (
        cluster.a.post("/api/v1/verify", data="nope", headers={"Content-Type": "text/plain"}),
        cluster.a.get("/api/v1/credentials", headers=bearer("cst_wrong")),
    ):
        assert response.status_code in (400, 401)
        assert response.headers["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in response.headers


def test_logs_are_json_with_request_ids_and_hold_nothing_personal(cluster: Cluster, journey: dict[str, Any]) -> None:
    time.sleep(0.5)  # let the workers' last lines reach the files
    lines = cluster.a.log_lines() + cluster.b.log_lines()
    entries = [json.loads(line) for line in lines if line.strip()]
    requests_logged = [e for e in entries if e["logger"] == "certsvc.request"]
    assert requests_logged and all(re.fullmatch(r"[\w.-]{8,64}", e["request_id"]) for e in requests_logged)
    ours = [e for e in requests_logged if e["request_id"] == journey["request_id"]]
    assert [(e["route"], e["status"]) for e in ours] == [("/api/v1/verify", 200)]
    assert {"method", "route", "status", "duration_ms"} <= set(ours[0])
    text = "\n".join(lines)
    digits = journey["qr_text"].partition("#")[2]
    forbidden = [HOLDER, *HOLDER.split(), ID_NUMBER, "1991-04-12", "?id=", "?q=", WALLET_LOGIN, WALLET_LOGIN[1:]]
    forbidden += [digits[i : i + 20] for i in range(0, len(digits) - 20, 20)]
    forbidden += (journey["wallet"] or {}).get("secrets", [])
    for compact in journey["compacts"]:
        forbidden += [part[:24] for part in compact.split(".") if part]
    leaked = [value for value in forbidden if value in text]
    assert leaked == []
    assert "127.0.0.1 - -" not in text  # no access-log line with the client's address
