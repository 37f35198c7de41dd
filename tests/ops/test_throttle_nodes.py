"""Throttles across nodes: two `certsvc serve` processes share the attempt counts (Redis, or the database).

Thirty browsers post a wrong password (then a wrong claim code) at once, half to node A and half to
node B. Each node runs two workers, so four processes race: the shared counter lets at most the
limit through. With ``REDIS_URL`` the counts live in Redis (and none in the database); without it
in PostgreSQL, which every node sees as well.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis
import requests
from sqlalchemy.engine import make_url

from .support import (
    PASSWORD,
    PROVIDER_LOGIN,
    REDIS_URL,
    Node,
    create_schema,
    drop_schema,
    flush_redis,
    free_port,
    node_env,
    require_postgres,
    seed_world,
    start_node,
)

BURST = 30
LOGIN_LIMIT, CLAIM_LIMIT = 5, 10
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
#: argon2id slow enough that a check-then-act gap would be wide open.
SLOW_HASHING = {"PASSWORD_HASH_TIME_COST": 2, "PASSWORD_HASH_MEMORY_KIB": 16 * 1024}


@dataclass
class Pair:
    a: Node
    b: Node
    database_url: str
    prefix: str | None


def start_pair(folder: Path, redis_url: str | None) -> tuple[Pair, str]:
    schema, url = create_schema()
    seed_world(url)
    prefix = f"certsvc-throttle-{secrets.token_hex(4)}" if redis_url else None
    shared = {
        **SLOW_HASHING,
        "REDIS_URL": redis_url,
        "RATE_LIMIT_PREFIX": prefix,
        "LOGIN_MAX_FAILURES": LOGIN_LIMIT,
        "WALLET_CLAIM_MAX_FAILURES": CLAIM_LIMIT,
    }
    nodes = []
    for name in ("a", "b"):
        port = free_port()
        nodes.append(start_node(name, folder / name, node_env(folder / name, url, port, **shared), port))
    pair = Pair(nodes[0], nodes[1], url, prefix)
    try:
        for node in nodes:
            node.wait_ready()
    except BaseException:
        stop_pair(pair, schema)
        raise
    return pair, schema


def stop_pair(pair: Pair, schema: str) -> None:
    for node in (pair.a, pair.b):
        node.stop()
    drop_schema(schema)


@pytest.fixture(scope="module", params=["redis", "database"])
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    require_postgres()
    redis_url = REDIS_URL if request.param == "redis" else None
    if redis_url:
        flush_redis()
    started, schema = start_pair(tmp_path_factory.mktemp(f"throttle-{request.param}"), redis_url)
    try:
        yield started
    finally:
        stop_pair(started, schema)


def burst(pair: Pair, path: str, fields: dict[str, str]) -> list[requests.Response]:
    """Half the browsers on each node load the form, then all post at once."""
    nodes = [pair.a if n % 2 else pair.b for n in range(BURST)]
    browsers, tokens = [], []
    for node in nodes:
        browser = requests.Session()
        match = CSRF_FIELD.search(browser.get(node.url + path, timeout=30).text)
        assert match, path
        browsers.append(browser)
        tokens.append(match.group(1))
    start = threading.Barrier(BURST)

    def post(n: int) -> requests.Response:
        start.wait(30)
        data = {"csrf_token": tokens[n], **fields}
        return browsers[n].post(nodes[n].url + path, data=data, allow_redirects=False, timeout=120)

    with ThreadPoolExecutor(BURST) as pool:
        responses = list(pool.map(post, range(BURST)))
    for browser in browsers:
        browser.close()
    return responses


def checked(responses: list[requests.Response], wrong: str) -> int:
    for response in responses:
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) > 0
        else:
            assert wrong in response.text, (response.status_code, response.text[:300])
    return sum(1 for r in responses if r.status_code != 429)


def failures_in_database(url: str) -> int:
    parsed = make_url(url)
    options = dict(parsed.query).get("options", "")
    with psycopg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, dbname=parsed.database, options=options
    ) as connection:
        row = connection.execute("SELECT count(*) FROM login_failures").fetchone()
        return int(row[0]) if row else 0


def redis_keys(prefix: str) -> list[bytes]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return list(client.scan_iter(f"{prefix}:attempts:*"))
    finally:
        client.close()


def test_two_nodes_share_the_sign_in_throttle(pair: Pair) -> None:
    wrong = "wrong email or password"
    responses = burst(pair, "/login", {"email": PROVIDER_LOGIN, "password": "not the password"})
    assert 1 <= checked(responses, wrong) <= LOGIN_LIMIT
    assert {r.url.split("/login")[0] for r in responses} == {pair.a.url, pair.b.url}
    if pair.prefix is not None:
        assert redis_keys(pair.prefix), "the counts are in Redis"
        assert failures_in_database(pair.database_url) == 0
    else:
        assert failures_in_database(pair.database_url) == checked(responses, wrong)
    # The right password waits out the window too, on either node.
    right = burst(pair, "/login", {"email": PROVIDER_LOGIN, "password": PASSWORD})
    assert checked(right, wrong) == 0


def test_two_nodes_share_the_claim_code_throttle(pair: Pair) -> None:
    responses = burst(pair, "/wallet/claim", {"code": "ZZZZZ-ZZZZZ", "pin": "123456"})
    assert 1 <= checked(responses, "The claim code or the PIN is wrong") <= CLAIM_LIMIT
