"""Security headers on every response; HSTS only over HTTPS as the trusted proxies report it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from certsvc.app import create_app
from certsvc.store import db

from .support import app_settings

BASELINE = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator:
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        app = create_app(app_settings(f"sqlite:///{tmp_path / 'empty.sqlite3'}", **overrides))
        made.append(app)
        return app

    yield make
    for app in made:
        db.dispose(app)


def assert_baseline(headers) -> None:  # type: ignore[no-untyped-def]
    for name, value in BASELINE.items():
        assert headers[name] == value, name
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy


def test_hsts_only_when_a_trusted_proxy_says_https(make_app) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"}
    untrusted = make_app().test_client().get("/login", headers=forwarded)
    assert "Strict-Transport-Security" not in untrusted.headers  # nobody trusted to say so
    behind_proxy = make_app(PROXY_COUNT=1).test_client()
    secure = behind_proxy.get("/login", headers=forwarded)
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    plain = behind_proxy.get("/login", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers
    assert_baseline(secure.headers)


def test_headers_on_an_internal_error_page_and_json(make_app) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    client = app.test_client()
    page = client.get("/boom", headers={"Accept": "text/html"})
    api = client.get("/boom", headers={"Accept": "application/json"})
    assert page.status_code == api.status_code == 500
    assert_baseline(page.headers)
    assert_baseline(api.headers)
    assert "X-Request-ID" in page.headers


@pytest.mark.parametrize("path", ["/login", "/verify", "/verify/assets/verify.js", "/api/v1/openapi.json", "/nowhere"])
def test_headers_on_pages_assets_api_and_not_found(make_app, path: str) -> None:
    assert_baseline(make_app().test_client().get(path).headers)
