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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from certsvc.accounts import users
from certsvc.accounts.attempts import RedisAttempts, ThrottlePolicy
from certsvc.accounts.users import InvalidLogin, LoginThrottled
from certsvc.store import db
from certsvc.store.models import AuditEntry, LoginFailure

from .hostile_support import PROVIDER, WALLET_LOGIN, hostile_world
from .support import CHEAP_HASHER, PASSWORD, make_org, make_user

BURST = 30
#: argon2id slow enough (tens of ms) that a check-then-act gap is wide open, as in production.
SLOW_HASHING = {"PASSWORD_HASH_TIME_COST": 2, "PASSWORD_HASH_MEMORY_KIB": 16 * 1024, "PASSWORD_HASH_PARALLELISM": 1}
#: Plain http to the live server: the session cookie must come back without TLS.
LIVE = {**SLOW_HASHING, "SESSION_COOKIE_SECURE": False}
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


@dataclass
class Live:
    app: Flask
    url: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Live]:
    with hostile_world(request.param, tmp_path_factory.mktemp("races"), sqlite_template, **LIVE) as world:
        server: BaseWSGIServer = make_server("127.0.0.1", 0, world.app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Live(world.app, f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
            thread.join(10)


def burst(live: Live, page: str, action: str, fields: dict[str, str], size: int = BURST) -> list[requests.Response]:
    """``size`` fresh browsers each load ``page``, then all post ``fields`` to ``action`` at once."""
    sessions, tokens = [], []
    for _ in range(size):
        http = requests.Session()
        match = CSRF_FIELD.search(http.get(live.url + page, timeout=30).text)
        assert match, page
        sessions.append(http)
        tokens.append(match.group(1))
    start = threading.Barrier(size)

    def post(n: int) -> requests.Response:
        start.wait(30)
        data = {"csrf_token": tokens[n], **fields}
        return sessions[n].post(live.url + action, data=data, allow_redirects=False, timeout=120)

    with ThreadPoolExecutor(size) as pool:
        responses = list(pool.map(post, range(size)))
    for http in sessions:
        http.close()
    return responses


def checked(responses: list[requests.Response], wrong: str) -> int:
    """How many of the burst were checked and found ``wrong``; every other answer is a 429 saying when to retry."""
    for response in responses:
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) > 0
        else:
            assert wrong in response.text, (response.status_code, response.text[:300])
    return sum(1 for r in responses if r.status_code != 429)


def count(app: Flask, statement: Any) -> int:
    with db.session_factory(app)() as session:
        return int(session.scalar(statement) or 0)


def test_parallel_wrong_passwords_get_at_most_the_limit_of_checks(live: Live) -> None:
    responses = burst(live, "/login", "/login", {"email": PROVIDER, "password": "not the password"})
    limit, wrong = live.app.config["LOGIN_MAX_FAILURES"], "wrong email or password"
    assert 1 <= checked(responses, wrong) <= limit
    audited = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "login.failed")
    assert count(live.app, audited) == checked(responses, wrong)  # each check is one audited failure
    # Under contention a burst may check fewer than the limit (a refused attempt is not kept): top it up
    # one by one. Once the limit is used up, the right password is throttled too, from this address.
    used = checked(responses, wrong)
    for _ in range(limit - used):
        assert checked(burst(live, "/login", "/login", {"email": PROVIDER, "password": "still wrong"}, 1), wrong) == 1
    assert checked(burst(live, "/login", "/login", {"email": PROVIDER, "password": "still wrong"}, 1), wrong) == 0
    again = burst(live, "/login", "/login", {"email": PROVIDER, "password": "demo-password-2026"})
    assert checked(again, wrong) == 0


def test_parallel_wrong_claim_codes_get_at_most_the_limit_of_checks(live: Live) -> None:
    responses = burst(live, "/wallet/claim", "/wallet/claim", {"code": "ZZZZZ-ZZZZZ", "pin": "123456"})
    wrong = "The claim code or the PIN is wrong"
    assert 1 <= checked(responses, wrong) <= live.app.config["WALLET_CLAIM_MAX_FAILURES"]


def test_parallel_wrong_wallet_passwords_get_at_most_the_limit_of_checks(live: Live) -> None:
    responses = burst(live, "/wallet/signin", "/wallet/signin", {"login": WALLET_LOGIN, "password": "wrong-password"})
    wrong = "Wrong phone number, email or password"
    assert 1 <= checked(responses, wrong) <= live.app.config["WALLET_LOGIN_MAX_FAILURES"]
    # The refused attempts were not kept: only the checked ones count.
    wallet = select(func.count()).select_from(LoginFailure).where(LoginFailure.email.like("wallet login%"))
    assert count(live.app, wallet) == checked(responses, wrong)


def test_an_unreachable_redis_counts_in_the_database(db_session: Session) -> None:
    """A Redis outage neither opens the throttle nor breaks sign-in: the database counts meanwhile."""
    user = make_user(db_session, make_org(db_session))
    db_session.commit()
    policy = ThrottlePolicy(2, timedelta(minutes=15), counter=RedisAttempts("redis://127.0.0.1:9/0"))
    now = datetime.now(UTC)
    for _ in range(2):
        with pytest.raises(InvalidLogin):
            users.authenticate(
                db_session, user.email, "wrong", address="10.1.1.1", hasher=CHEAP_HASHER, policy=policy, now=now
            )
        db_session.commit()
    with pytest.raises(LoginThrottled):
        users.authenticate(
            db_session, user.email, PASSWORD, address="10.1.1.1", hasher=CHEAP_HASHER, policy=policy, now=now
        )
    assert db_session.scalar(select(func.count()).select_from(LoginFailure)) == 2
