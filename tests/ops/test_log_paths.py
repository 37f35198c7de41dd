"""No secret in a path reaches a log: request ids are scrubbed, gunicorn and the demo server name routes.

Share links (``/s/<token>``) carry their secret in the path; credential ids, token ids and QR
digits travel in paths too. The app has always logged the route instead of the path; here the
two servers' own logs are held to the same: gunicorn's error log (a failed or unreadable request,
and the per-request line it writes at debug level) and the development server behind
``certsvc demo``.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from certsvc.app import create_app
from certsvc.store import db
from certsvc.web.logs import (
    REQUEST_ID_HEADER,
    GunicornRequestFilter,
    JsonFormatter,
    WerkzeugAccessFilter,
    json_handler,
    remember_routes,
    route_of,
    sane_request_id,
)

from .support import Node, app_settings, free_port, node_env, seed_world, start_node

JWS_ID = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0"
SHARE_ROUTE = "/s/<string(maxlength=64):token>"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(app_settings(f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    remember_routes(app)
    yield app
    db.dispose(app)


def test_a_request_id_that_carries_a_credential_is_not_taken_nor_logged(app: Flask) -> None:
    assert sane_request_id(JWS_ID) is None
    echoed = app.test_client().get("/healthz", headers={REQUEST_ID_HEADER: JWS_ID}).headers[REQUEST_ID_HEADER]
    assert echoed != JWS_ID
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "request", (), None)
    record.request_id = JWS_ID
    line = json.loads(JsonFormatter().format(record))
    assert "eyJzdWIiOiJ4In0" not in line["request_id"]


def test_paths_are_named_by_their_routes(app: Flask) -> None:
    token = secrets.token_urlsafe(24)
    assert route_of(f"/s/{token}?x=1") == SHARE_ROUTE
    assert route_of("/wallet/c/7KQ2M9XD/qr.png") == "/wallet/c/<string(maxlength=32):public_id>/qr.png"
    assert route_of("/account/tokens/12/revoke", "POST") == "/account/tokens/<int:token_id>/revoke"
    assert route_of(f"/nowhere/{token}") == "[no route]"
    assert route_of("not a path") == "[path]"


def test_gunicorn_error_lines_name_the_route(app: Flask) -> None:
    token = secrets.token_urlsafe(24)
    failed = logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1, "Error handling request %s %s",
                               ("GET", f"/s/{token}?holder=Maria"), None)  # fmt: skip
    unreadable = logging.LogRecord(
        "gunicorn.error", logging.WARNING, __file__, 1,
        f"Invalid request from ip=203.0.113.9: Invalid HTTP request line: 'GET /s/{token} x y'", (), None,
    )  # fmt: skip
    for record in (failed, unreadable):
        GunicornRequestFilter().filter(record)
    assert failed.getMessage() == f"Error handling request GET {SHARE_ROUTE}"
    assert unreadable.getMessage() == "invalid request: Invalid HTTP request line"
    assert all(token not in r.getMessage() and "203.0.113.9" not in r.getMessage() for r in (failed, unreadable))


def test_the_demo_servers_request_lines_hold_no_share_link_token(app: Flask) -> None:
    """The development server (``certsvc demo``) logs each request by its route."""
    stream = io.StringIO()
    handler = json_handler(stream)
    werkzeug = logging.getLogger("werkzeug")
    added = WerkzeugAccessFilter()
    werkzeug.addFilter(added)
    werkzeug.addHandler(handler)
    old_level, werkzeug.level = werkzeug.level, logging.INFO
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    token = secrets.token_urlsafe(24)
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        requests.get(f"{base}/s/{token}", timeout=10)
        requests.get(f"{base}/wallet/c/7KQ2M9XD?download=1", timeout=10)
    finally:
        server.shutdown()
        thread.join(10)
        werkzeug.removeHandler(handler)
        werkzeug.removeFilter(added)
        werkzeug.level = old_level
    text = stream.getvalue()
    assert token not in text and "7KQ2M9XD" not in text and "127.0.0.1" not in text
    assert SHARE_ROUTE in text and "/wallet/c/<string(maxlength=32):public_id>" in text


@pytest.fixture
def debug_node(postgres_schema: str, tmp_path: Path) -> Iterator[Node]:
    """A `certsvc serve` node logging at DEBUG, where gunicorn's own request hook would print paths."""
    world = seed_world(postgres_schema)
    port = free_port()
    env = node_env(tmp_path, world.database_url, port, LOG_LEVEL="DEBUG", SERVE_WORKERS=1)
    node = start_node("debug", tmp_path, env, port)
    try:
        node.wait_ready()
        yield node
    finally:
        node.stop()


def test_gunicorns_log_holds_no_path_secret(debug_node: Node) -> None:
    token = secrets.token_urlsafe(24)
    assert debug_node.get(f"/s/{token}").status_code == 404
    debug_node.get(f"/wallet/c/{token[:20]}")
    with socket.create_connection(("127.0.0.1", debug_node.port), timeout=10) as raw:
        raw.sendall(f"GET /s/{token} HTTP/1.1 trailing junk\r\nHost: x\r\n\r\n".encode())
        assert raw.recv(1024).startswith(b"HTTP/1.1 400")
    debug_node.stop()
    text = "\n".join(debug_node.log_lines())
    assert token not in text and token[:20] not in text
    assert SHARE_ROUTE in text  # the app's own line for the request, by its route
    assert "invalid request: Invalid HTTP" in text
