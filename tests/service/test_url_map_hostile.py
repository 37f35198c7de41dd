"""Every route of the URL map under hostile input: no 500, browser routes take sessions only, personal pages no-store.

- Pathological JSON (nested 100,000 levels, huge numbers, duplicate members, other top-level
  types, bytes that are not UTF-8, unpaired surrogates, NaN) to every route and method, with
  and without API tokens: never a 5xx, and every JSON endpoint that reads a body answers 400
  with a reason.
- A NUL, a control character or a broken escape in any path segment or query value: 400.
- Every state-changing POST outside ``/api/`` refuses a bearer token and a missing CSRF token,
  and changes nothing; unauthenticated API writes answer 401.
- Every response of a route that looks at who asks carries ``Cache-Control: no-store``; the
  public documents that may be cached say so themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from certsvc.accounts import api_tokens
from certsvc.store import db
from certsvc.store.models import ApiToken, User

from .hostile_support import EMBASSY, Hostile, hostile_world, snapshot

DEPTH = 100_000
#: (name, body bytes): JSON no endpoint may answer with a server error.
PATHOLOGICAL = (
    ("nested arrays", b"[" * DEPTH + b"]" * DEPTH),
    ("nested objects", b'{"a":' * DEPTH + b"1" + b"}" * DEPTH),
    ("nested, unterminated", b"[" * DEPTH),
    ("nested inside a member", b'{"credential": ' + b"[" * DEPTH + b"]" * DEPTH + b"}"),
    ("a 5000-digit number", b'{"learner_id": ' + b"9" * 5000 + b"}"),
    ("an infinite number", b'{"learner_id": 1e999999, "credential": "x"}'),
    ("NaN", b'{"learner_id": NaN}'),
    ("duplicate members", b'{"credential": "a", "credential": "b", "reason": "x", "reason": "y"}'),
    ("an array", b"[1, 2, 3]"),
    ("a string", b'"credential"'),
    ("a number", b"42"),
    ("null", b"null"),
    ("true", b"true"),
    ("not UTF-8", b'{"reason": "\xff\xfe"}'),
    ("UTF-16", '{"reason": "x"}'.encode("utf-16")),
    ("a byte-order mark", b'\xef\xbb\xbf{"reason": "x"}'),
    ("an unpaired surrogate", b'{"reason": "\\ud800", "credential": "\\udc00"}'),
    ("a NUL escape", b'{"reason": "a\\u0000b", "credential": "\\u0000"}'),
    ("truncated", b'{"reason": "x'),
    ("empty", b""),
)
JSON_CODES = {"invalid_json", "bad_request", "invalid_field"}
#: POSTs that take no session or token, and so have no ambient authority a CSRF token would protect.
ANONYMOUS_POSTS = {"/verify", "/verify/id-check"}
#: Public documents and assets that are the same for everyone and say how long they may be cached.
CACHEABLE = re.compile(
    r"^/(o|orgs|indicators|c|\.well-known)/|/assets/|^/api/v1/(openapi\.json|docs)$|^/wallet/sw\.js$"
    r"|^/(favicon\.(svg|ico)|apple-touch-icon\.png|manifest\.webmanifest)$"
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Hostile]:
    with hostile_world(request.param, tmp_path_factory.mktemp("urlmap"), sqlite_template) as seeded:
        with db.session_factory(seeded.app)() as session:
            user = session.scalar(select(User).where(User.email == EMBASSY))
            assert user is not None
            seeded.ids["embassy_token"] = api_tokens.create_token(session, user, "hostile", actor="test").secret
            seeded.ids["token_id"] = session.scalars(select(ApiToken.id).order_by(ApiToken.id)).first()
            session.commit()
        yield seeded


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    rule: Rule

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


def path_values(world: Hostile) -> dict[str, Any]:
    ids = world.ids
    return {
        "public_id": ids["cosigned"],
        "learner_id": ids["learner"],
        "token_id": ids["token_id"],
        "batch_id": 1,
        "accreditation_id": 1,
        "embassy_id": ids["embassy"],
        "entry_id": ids["entry"],
        "rule_id": 1,
        "action": "suspend",
        "slug": "klwa",
        "code": "SMAW2",
        "number": 1,
        "sequence": 1,
        "key": "state",
        "name": "verify.js",
        "token": "no-such-share-link",
        "link_id": 1,
    }


def calls(app: Flask, world: Hostile, methods: tuple[str, ...] = ("GET", "POST")) -> list[Call]:
    """Every rule of the URL map with every method it takes, its variables filled with real ids."""
    values = path_values(world)
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:[^:>]+:)?{name}>", str(values[name]), path)
        assert "<" not in path, rule.rule
        found.extend(Call(method, path, rule) for method in sorted(rule.methods or ()) if method in methods)
    assert len(found) > 40
    return found


def clients_for(world: Hostile) -> dict[str, tuple[FlaskClient, dict[str, str]]]:
    """Who calls: nobody, each API token, and each signed-in role."""
    app = world.app
    return {
        "anonymous": (app.test_client(), {}),
        "provider token": (app.test_client(), {"Authorization": f"Bearer {world.token}"}),
        "embassy token": (app.test_client(), {"Authorization": f"Bearer {world.ids['embassy_token']}"}),
        **{role: (world.client(role), {}) for role in ("provider", "embassy", "authority", "wallet")},
    }


def test_pathological_json_never_makes_a_server_error(world: Hostile) -> None:
    failures, reasons = [], {}
    for call in calls(world.app, world, ("POST",)):
        for who, (client, headers) in clients_for(world).items():
            for name, body in PATHOLOGICAL:
                response = client.open(
                    call.path,
                    method=call.method,
                    data=body,
                    headers={**headers, "Content-Type": "application/json"},
                )
                if response.status_code >= 500:
                    failures.append(f"{who} {call.method} {call.path} with {name}: {response.status_code}")
                elif call.api and response.status_code == 400:
                    reasons.setdefault(call.path, set()).add(name)
                    answer = response.get_json()
                    if not (answer and answer.get("code") in JSON_CODES and answer.get("message")):
                        failures.append(f"{who} {call.method} {call.path} with {name}: no reason in {answer}")
    assert not failures, "\n".join(failures)
    # Every JSON endpoint read and refused every pathological body (some with a token that may write).
    api_posts = {c.path for c in calls(world.app, world, ("POST",)) if c.api}
    optional_body = {p for p in api_posts if p.endswith(("/cosign", "/reinstate"))}
    for path in api_posts:
        expected = {n for n, _ in PATHOLOGICAL} - ({"empty"} if path in optional_body else set())
        if path == "/api/v1/verify":
            expected.discard("a NUL escape")  # read as a credential: a 200 answer that it is malformed
        assert expected <= reasons.get(path, set()), (path, sorted(expected - reasons.get(path, set())))


@pytest.mark.parametrize("spoiled", ["%00", "%01", "%7F", "%C2%85", "%FF", "%E2%80%AE"])
def test_a_spoiled_path_or_query_is_a_400(world: Hostile, spoiled: str) -> None:
    failures = []
    for call in calls(world.app, world, ("GET",)):
        for who, (client, headers) in clients_for(world).items():
            segments = call.path.rsplit("/", 1)
            targets = [f"{call.path}?q={spoiled}&page={spoiled}"]
            if call.rule.arguments and segments[1]:
                targets.append(f"{segments[0]}/{segments[1]}{spoiled}")
            for target in targets:
                response = client.get(target, headers=headers)
                # A spoiled integer segment matches no route (404); anything else reaching a view is a 400.
                if response.status_code != 400 and not (response.status_code == 404 and "?" not in target):
                    failures.append(f"{who} GET {target}: {response.status_code}")
    assert not failures, "\n".join(failures[:40])


def test_browser_posts_refuse_bearer_tokens_and_missing_csrf_tokens(world: Hostile) -> None:
    before, failures = snapshot(world.app), []
    browser_posts = [c for c in calls(world.app, world, ("POST",)) if not c.api]
    assert len(browser_posts) >= 30
    for call in browser_posts:
        for token in (world.token, world.ids["embassy_token"]):
            response = world.app.test_client().post(call.path, headers={"Authorization": f"Bearer {token}"})
            if response.status_code not in (400, 401, 403):
                failures.append(f"bearer POST {call.path}: {response.status_code}")
        if call.path in ANONYMOUS_POSTS:
            continue
        for role in ("provider", "embassy", "authority", "wallet"):
            response = world.client(role).post(call.path, data={"reason": "x", "name": "x"})
            if response.status_code != 400:
                failures.append(f"{role} POST {call.path} without a CSRF token: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert snapshot(world.app) == before


def test_browser_pages_do_not_take_bearer_tokens(world: Hostile) -> None:
    """A page that looks at who asks looks at the session only; public pages ignore a token."""
    failures = []
    for call in calls(world.app, world, ("GET",)):
        view = world.app.view_functions[call.rule.endpoint]
        if call.api or getattr(view, "certsvc_public", False):
            continue
        response = world.app.test_client().get(call.path, headers={"Authorization": f"Bearer {world.token}"})
        if response.status_code != 403 or response.get_json()["code"] != "token_not_accepted":
            failures.append(f"bearer GET {call.path}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_unauthenticated_api_writes_answer_401(world: Hostile) -> None:
    for call in calls(world.app, world, ("POST",)):
        if not call.api or call.path.startswith("/api/v1/verify"):
            continue
        for client in (world.app.test_client(), world.client("provider")):  # a session cookie is no API login
            response = client.post(call.path, json={"reason": "x"})
            assert response.status_code == 401, (call.path, response.status_code, response.get_json())
            assert response.get_json()["code"] == "not_authenticated"
            assert response.headers["WWW-Authenticate"] == "Bearer"


def test_personal_responses_are_never_stored(world: Hostile) -> None:
    failures = []
    for call in calls(world.app, world, ("GET",)):
        if CACHEABLE.search(call.path):
            continue
        for who, (client, headers) in clients_for(world).items():
            response = client.get(call.path, headers=headers)
            if "no-store" not in response.headers.get("Cache-Control", ""):
                failures.append(
                    f"{who} GET {call.path}: {response.status_code} {response.headers.get('Cache-Control')}"
                )
    assert not failures, "\n".join(failures[:60]) + f"\n({len(failures)} in all)"


def test_cacheable_public_documents_say_so(world: Hostile) -> None:
    client = world.app.test_client()
    for call in calls(world.app, world, ("GET",)):
        if not CACHEABLE.search(call.path):
            continue
        response = client.get(call.path)
        if response.status_code == 200:
            assert response.headers.get("Cache-Control"), call.path
            assert "Set-Cookie" not in response.headers, call.path
