"""Throttles hold under parallel bursts: each attempt counts before it is checked, on SQLite and PostgreSQL.

Thirty clients, released at once by a barrier, send a wrong password (or a wrong claim code) to a
live threaded server. Before the fix they all checked the count before any recorded its failure:
30 wrong passwords got 20 checks (limit 5), 30 claim codes 23 (limit 10). Now at most the limit
are checked; every other answer is a 429 with Retry-After.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import BaseWSGIServer, make_server

from certsvc.store import db
from certsvc.store.models import AuditEntry, LoginFailure

from .hostile_support import PROVIDER, WALLET_LOGIN, hostile_world

BURST = 30
#: argon2id slow enough (tens of ms) that a check-then-act gap is wide open, as in production.
SLOW_HASHING = {"PASSWORD_HASH_TIME_COST": 2, "PASSWORD_HASH_MEMORY_KIB": 16 * 1024, "PASSWORD_HASH_PARALLELISM": 1}
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


@dataclass
class Live:
    app: Flask
    url: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Live]:
    with hostile_world(request.param, tmp_path_factory.mktemp("races"), sqlite_template, **SLOW_HASHING) as world:
        server: BaseWSGIServer = make_server("127.0.0.1", 0, world.app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Live(world.app, f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
            thread.join(10)


def burst(live: Live, page: str, action: str, fields: dict[str, str]) -> list[requests.Response]:
    """``BURST`` fresh browsers each load ``page``, then all post ``fields`` to ``action`` at once."""
    sessions, tokens = [], []
    for _ in range(BURST):
        http = requests.Session()
        match = CSRF_FIELD.search(http.get(live.url + page, timeout=30).text)
        assert match, page
        sessions.append(http)
        tokens.append(match.group(1))
    start = threading.Barrier(BURST)

    def post(n: int) -> requests.Response:
        start.wait(30)
        data = {"csrf_token": tokens[n], **fields}
        return sessions[n].post(live.url + action, data=data, allow_redirects=False, timeout=120)

    with ThreadPoolExecutor(BURST) as pool:
        responses = list(pool.map(post, range(BURST)))
    for http in sessions:
        http.close()
    return responses


def checked(responses: list[requests.Response]) -> int:
    """How many of the burst were checked (anything but a 429), after checking the 429s say when to retry."""
    for response in responses:
        assert response.status_code < 500, response.text[:300]
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) > 0
    return sum(1 for r in responses if r.status_code != 429)


def count(app: Flask, statement: Any) -> int:
    with db.session_factory(app)() as session:
        return int(session.scalar(statement) or 0)


def test_parallel_wrong_passwords_get_at_most_the_limit_of_checks(live: Live) -> None:
    responses = burst(live, "/login", "/login", {"email": PROVIDER, "password": "not the password"})
    limit = live.app.config["LOGIN_MAX_FAILURES"]
    assert 1 <= checked(responses) <= limit
    audited = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "login.failed")
    assert count(live.app, audited) == checked(responses)  # each check is one audited failure
    # The right password is throttled too now, from this address.
    again = burst(live, "/login", "/login", {"email": PROVIDER, "password": "demo-password-2026"})
    assert checked(again) == 0


def test_parallel_wrong_claim_codes_get_at_most_the_limit_of_checks(live: Live) -> None:
    responses = burst(live, "/wallet/claim", "/wallet/claim", {"code": "ZZZZZ-ZZZZZ", "pin": "123456"})
    assert 1 <= checked(responses) <= live.app.config["WALLET_CLAIM_MAX_FAILURES"]


def test_parallel_wrong_wallet_passwords_get_at_most_the_limit_of_checks(live: Live) -> None:
    responses = burst(live, "/wallet/signin", "/wallet/signin", {"login": WALLET_LOGIN, "password": "wrong-password"})
    assert 1 <= checked(responses) <= live.app.config["WALLET_LOGIN_MAX_FAILURES"]
    # The refused attempts were not kept: only the checked ones count.
    wallet = select(func.count()).select_from(LoginFailure).where(LoginFailure.email.like("wallet login%"))
    assert count(live.app, wallet) == checked(responses)
