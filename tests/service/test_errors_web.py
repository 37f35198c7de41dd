"""One error handler: JSON for API clients, an HTML page for browsers, same codes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from certsvc.app import create_app
from certsvc.credentials.errors import BadSignature, CertsvcError
from certsvc.store import db

from .support import settings_for

JSON = {"Accept": "application/json"}


@pytest.fixture
def error_app(database_url: str) -> Iterator[Flask]:
    """The app with a few routes that fail in known ways."""
    app = create_app(settings_for(database_url, PROPAGATE_EXCEPTIONS=False, MAX_CONTENT_LENGTH=1024))

    @app.get("/api/v1/boom")
    def boom() -> str:
        raise RuntimeError("secret detail that must not leak")

    @app.get("/api/v1/tampered")
    def tampered() -> str:
        raise BadSignature("the provider signature does not verify", signer="weld-my")

    @app.get("/broken")
    def broken() -> str:
        raise CertsvcError("something specific went wrong")

    @app.post("/api/v1/upload")
    def upload() -> str:
        from flask import request

        return str(len(request.get_data()))

    yield app
    db.dispose(app)


def test_not_found_json_for_api_path(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.is_json
    assert response.json["code"] == "not_found"


def test_not_found_html_for_browsers(client: FlaskClient) -> None:
    response = client.get("/nothing-here", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "404 Not Found" in response.get_data(as_text=True)


def test_accept_json_outside_api(client: FlaskClient) -> None:
    response = client.get("/nothing-here", headers=JSON)
    assert response.is_json and response.json["status"] == 404


def test_method_not_allowed_keeps_allow_header(client: FlaskClient) -> None:
    response = client.delete("/login", headers=JSON)
    assert response.status_code == 405 and response.json["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_certsvc_error_code_in_json_and_html(error_app: Flask) -> None:
    client = error_app.test_client()
    response = client.get("/api/v1/tampered")
    assert response.status_code == 422
    assert response.json == {
        "code": "bad_signature",
        "message": "the provider signature does not verify",
        "signer": "weld-my",
        "status": 422,
    }
    page = client.get("/broken")
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "something specific went wrong" in page.get_data(as_text=True)


def test_internal_error_does_not_leak(error_app: Flask) -> None:
    response = error_app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json == {"code": "internal_error", "message": "internal error", "status": 500}


def test_payload_too_large(error_app: Flask) -> None:
    response = error_app.test_client().post("/api/v1/upload", data=b"x" * 4096)
    assert response.status_code == 413 and response.json["code"] == "payload_too_large"


def test_csrf_failure_as_json(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "a@b.example", "password": "x"}, headers=JSON)
    assert response.status_code == 400 and response.json["code"] == "csrf_failed"


def test_unauthenticated_api_client_gets_401_not_a_redirect(client: FlaskClient) -> None:
    response = client.get("/account", headers=JSON)
    assert response.status_code == 401 and response.json["code"] == "not_authenticated"
    browser = client.get("/account/tokens")
    assert browser.status_code == 302 and browser.headers["Location"] == "/login?next=/account/tokens"


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
