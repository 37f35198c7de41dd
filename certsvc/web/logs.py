"""Structured JSON logs with a request id; no personal data, no credential text, no QR digits.

Every request gets an id: the caller's ``X-Request-ID`` when it looks like an id (a proxy's
UUID), else a fresh one; it is echoed in the response and stamped on every log line written
while the request runs. The app writes one line per request itself, naming the route by its
URL rule (``/api/v1/credentials/<public_id>``), never the raw path or query string: a path
such as ``/v/...`` or a query string could carry credential data. The gunicorn and werkzeug
access logs, which print the raw request line and the client's address, are replaced or
rewritten. As a second line of defence the formatter blanks anything shaped like a JWS,
a run of QR digits, a query string or the values psycopg prints in an error's DETAIL.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
ACCESS_LOGGER = "certsvc.request"
#: What a request id from outside may look like: a UUID, a hex or base64url token. Nothing longer.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
#: Routes probed every few seconds by load balancers and Prometheus: logged at DEBUG only.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
_HANDLER_MARK = "certsvc_json_handler"

_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Compact JWS (and JWT) text: base64url JSON header, payload, signature.
    (re.compile(r"eyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){1,2}"), "[jws]"),
    # QR digits and any other long run of digits (a timestamp in ms has 13).
    (re.compile(r"\d{16,}"), "[digits]"),
    # Long base64/base64url blobs (a credential in another transport, a signature).
    (re.compile(r"[A-Za-z0-9+/_=-]{120,}"), "[blob]"),
    # Query strings and fragments of paths and URLs.
    (re.compile(r"(/[^\s?#\"']*)[?#][^\s\"']*"), r"\1?[redacted]"),
    # The QR landing path with anything after it.
    (re.compile(r"(/[vV])/[^\s\"']+"), r"\1/[redacted]"),
    # psycopg's error detail repeats the values of a violated key; SQLAlchemy the parameters.
    (re.compile(r"DETAIL:[^\n]*"), "DETAIL: [redacted]"),
    (re.compile(r"\[parameters: [^\n]*"), "[parameters: redacted]"),
)


def scrub(text: str) -> str:
    """Blank credential text, QR digits, query strings and database error details in ``text``."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extra ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({k: scrub(v) if isinstance(v, str) else v for k, v in fields.items() if k not in entry})
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class RequestIdFilter(logging.Filter):
    """Stamp the current request's id on every record written while a request runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context():
            record.request_id = g.get("request_id")
        return True


class WerkzeugAccessFilter(logging.Filter):
    """Rewrite the development server's request lines: no client address, no query, no /v/ path."""

    _LINE = re.compile(r'^\S+ - - \[[^\]]*\] "(?P<line>[^"]*)" (?P<rest>.*)$', re.S)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        match = self._LINE.match(message)
        if match:
            method, _, target = match.group("line").partition(" ")
            path = target.split(" ")[0]
            record.msg = f'"{method} {scrub(path)}" {match.group("rest").strip()}'
            record.args = ()
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass  # always sys.stderr


def json_handler(stream: Any = None) -> logging.Handler:
    """A stream handler (the current stderr by default) writing JSON lines with request ids."""
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    setattr(handler, _HANDLER_MARK, True)
    return handler


def configure_logging(level: str | int = "INFO") -> None:
    """Send every log record of this process to stderr as JSON (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    root.addHandler(json_handler())
    root.setLevel(level if isinstance(level, int) else level.upper())
    # Alembic says which dialect it uses each time /readyz reads the revision.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, WerkzeugAccessFilter) for f in werkzeug.filters):
        werkzeug.addFilter(WerkzeugAccessFilter())


def init_app(app: Flask) -> None:
    """Give every request an id, log one line per request, and (outside tests) log JSON to stderr."""
    app.config.setdefault("LOG_LEVEL", "INFO")
    app.config.setdefault("LOG_JSON", True)
    if app.config["LOG_JSON"] and not app.testing:
        configure_logging(app.config["LOG_LEVEL"])
    # First of all hooks, so that a hook failing after it still has an id and a start time.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)


def request_id() -> str | None:
    """The current request's id."""
    found: str | None = g.get("request_id")
    return found


def sane_request_id(unverified: str | None) -> str | None:
    """Return ``unverified`` if it looks like a request id (8-64 letters, digits, . _ -), else None."""
    if unverified and _SANE_REQUEST_ID.fullmatch(unverified) and not re.search(r"\d{16,}", unverified):
        return unverified
    return None


def _start_request() -> None:
    g.request_started = time.perf_counter()
    g.request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex


def _finish_request(response: Response) -> Response:
    rid = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = rid
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 2) if started is not None else None
    route = request.url_rule.rule if request.url_rule is not None else None
    fields = {
        "method": request.method,
        "route": route,
        "status": response.status_code,
        "duration_ms": duration_ms,
    }
    level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
    logging.getLogger(ACCESS_LOGGER).log(level, "request", extra={"fields": fields, "request_id": rid})
    return response
