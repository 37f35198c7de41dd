"""JSON log lines with request ids, and nothing in them that identifies a person or carries a credential."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from certsvc.app import create_app
from certsvc.store import db
from certsvc.web import logs
from certsvc.web.logs import (
    ACCESS_LOGGER,
    REQUEST_ID_HEADER,
    JsonFormatter,
    WerkzeugAccessFilter,
    json_handler,
    sane_request_id,
    scrub,
)

from .support import app_settings


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(app_settings(f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    yield app
    db.dispose(app)


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """What the app logs, as the JSON handler writes it."""
    stream = io.StringIO()
    handler = json_handler(stream)
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_response_carries_a_fresh_request_id(app: Flask, log_stream: io.StringIO) -> None:
    first, second = app.test_client().get("/verify"), app.test_client().get("/verify")
    ids = [first.headers[REQUEST_ID_HEADER], second.headers[REQUEST_ID_HEADER]]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", i) for i in ids) and ids[0] != ids[1]
    logged = lines(log_stream)
    assert [entry["request_id"] for entry in logged] == ids
    assert logged[0]["route"] == "/verify" and logged[0]["status"] == 200 and logged[0]["method"] == "GET"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("3f2b8c1e-7d4a-4c1b-9e2f-0a1b2c3d4e5f", True),
        ("req.abc_DEF-123", True),
        ("short", False),
        ("has spaces in it", False),
        ("x" * 65, False),
        ("12345678901234567890", False),  # a run of digits (QR digits?) is not an id
        ("Maria<script>", False),
    ],
)
def test_a_callers_request_id_is_honoured_only_when_sane(app: Flask, given: str, kept: bool) -> None:
    echoed = app.test_client().get("/healthz", headers={REQUEST_ID_HEADER: given}).headers[REQUEST_ID_HEADER]
    assert (echoed == given) is kept
    assert sane_request_id(given) == (given if kept else None)


def test_the_request_line_logs_the_route_never_the_path_or_query(app: Flask, log_stream: io.StringIO) -> None:
    client = app.test_client()
    client.get("/v/8402911234567890123456?id_number=P1234567A")
    client.get("/o/klwa/status/1?holder=Maria")
    text = log_stream.getvalue()
    assert "8402911234567890123456" not in text and "P1234567A" not in text and "Maria" not in text
    assert "klwa" not in text
    routes = [entry["route"] for entry in lines(log_stream)]
    assert routes == [None, "/o/<slug>/status/<int:number>"]


@pytest.mark.parametrize(
    ("message", "leak"),
    [
        ("token eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl seen", "eyJzdWIiOiJ4In0"),
        ("GET /V#1234567890123456789012345 200", "1234567890123456789012345"),
        ("POST /api/v1/verify?credential=abc 400", "credential=abc"),
        ("path /v/0123abc failed", "0123abc"),
        ("DETAIL:  Key (email)=(maria@example.org) already exists.", "maria@example.org"),
        ("[SQL: INSERT ...]\n[parameters: {'name': 'Maria Santos'}]", "Maria Santos"),
    ],
)
def test_the_formatter_blanks_what_must_never_be_logged(message: str, leak: str) -> None:
    assert leak not in scrub(message)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "%s", (message,), None)
    line = json.loads(JsonFormatter().format(record))
    assert leak not in line["msg"] and line["level"] == "error" and line["logger"] == "x"


def test_exceptions_are_scrubbed_too() -> None:
    try:
        raise ValueError("bad credential eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), __import__("sys").exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert "eyJzdWIiOiJ4In0" not in line["exc"] and "ValueError" in line["exc"]


def test_the_development_servers_request_lines_lose_address_query_and_qr_path() -> None:
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '203.0.113.9 - - [01/Jun/2026 12:00:00] "%s" %s %s\n',
        ("GET /v/998877665544332211?name=Maria HTTP/1.1", "404", "-"),
        None,
    )
    WerkzeugAccessFilter().filter(record)
    message = record.getMessage()
    assert "203.0.113.9" not in message and "Maria" not in message and "998877665544332211" not in message
    assert message.startswith('"GET ') and "404" in message  # named by its route, or "[no route]"


def test_the_request_ids_we_make_pass_the_scrubber_unchanged() -> None:
    """An id we make must never look like what logs never hold (a run of 16 digits is scrubbed as a number):
    a scrubbed id no longer finds its request."""
    made = [logs.new_request_id() for _ in range(20_000)]
    assert all(logs.scrub(rid) == rid and logs.sane_request_id(rid) == rid for rid in made)
    assert len(set(made)) == len(made)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(["eyJhbGciOiJFZERTQSJ9.", "?", "#", "/v/", "/V/", "DETAIL:", "[parameters: ", "/x?a=1"]),
            st.text(alphabet="0123456789", min_size=14, max_size=20),
            st.text(alphabet="AZaz09+/_=-", min_size=110, max_size=130),
        ),
        max_size=6,
    ).map("".join)
)
def test_the_quick_scrub_blanks_exactly_what_every_redaction_would(text: str) -> None:
    """The one-search shortcut never lets through what the seven substitutions would have blanked."""
    expected = text
    for pattern, replacement in logs._REDACTIONS:
        expected = pattern.sub(replacement, expected)
    assert scrub(text) == expected
