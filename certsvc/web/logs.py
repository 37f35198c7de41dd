"""Structured JSON logs with a request id; no personal data, no credential text, no QR digits.

Every request gets an id: the caller's ``X-Request-ID`` when it looks like an id (a proxy's
UUID), else a fresh one; it is echoed in the response and stamped on every log line written
while the request runs. The app writes one line per request itself, naming the route by its
URL rule (``/api/v1/credentials/<public_id>``), never the raw path or query string: a path
such as ``/v/...``, a share link ``/s/<token>`` or a query string could carry credential data
or a secret. The gunicorn and werkzeug logs, which print the raw request line and the client's
address, are replaced or rewritten to name the route (:func:`route_of`). A request id from
outside is taken only if the scrubber would leave it as it is, and is scrubbed when logged.
As a second line of defence the formatter blanks anything shaped like a JWS,
a run of QR digits, a query string or the values psycopg prints in an error's DETAIL.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, g, has_request_context, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map

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


#: Where any redaction could begin: text without one of these is returned as it is, after one search.
_REDACTABLE = re.compile(r"eyJ|\d{16}|[A-Za-z0-9+/_=-]{120}|[?#]|/[vV]/|DETAIL:|\[parameters: ")


def scrub(text: str) -> str:
    """Blank credential text, QR digits, query strings and database error details in ``text``."""
    # Most of what is logged (routes, methods, request ids, messages) holds nothing to blank:
    # one search instead of seven substitutions on every line.
    if not _REDACTABLE.search(text):
        return text
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
            entry["request_id"] = scrub(str(request_id))
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
    """Rewrite the development server's request lines: no client address, the route instead of the path."""

    _LINE = re.compile(r'^\S+ - - \[[^\]]*\] "(?P<line>[^"]*)" (?P<rest>.*)$', re.S)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        match = self._LINE.match(message)
        if match:
            method, _, target = match.group("line").partition(" ")
            path = target.split(" ")[0]
            record.msg = f'"{method} {route_of(path, method)}" {match.group("rest").strip()}'
            record.args = ()
        return True


class GunicornRequestFilter(logging.Filter):
    """Rewrite gunicorn's error-log lines about a request: its route, never its raw path or the client."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        if message.startswith("Error handling request") and record.args:
            args = list(record.args if isinstance(record.args, tuple) else (record.args,))
            method = str(args[0]) if len(args) == 2 else "GET"
            args[-1] = route_of(str(args[-1]), method)
            record.args = tuple(args)
        elif message.startswith("Invalid request from ip="):
            # "Invalid request from ip=<address>: Invalid Request Line '<the raw line>'": keep what kind of error.
            error = message.partition(": ")[2].split("'")[0].strip().rstrip(":")
            record.msg, record.args = f"invalid request: {error or 'unreadable'}", ()
        return True


_URL_MAPS: list[Map] = []


def remember_routes(app: Flask) -> None:
    """Name the paths this process logs by ``app``'s routes (the last app made in a process wins)."""
    _URL_MAPS[:] = [app.url_map]


def route_of(unverified_path: str, method: str = "GET") -> str:
    """The route a request path matches (``/s/<string(maxlength=64):token>``), or a placeholder: never the path."""
    path = urlsplit(unverified_path).path if unverified_path.startswith("/") else ""
    if not path or not _URL_MAPS:
        return "[path]"
    adapter = _URL_MAPS[-1].bind("localhost")
    for wanted in (method.upper(), None):
        try:
            rule, _ = adapter.match(path, method=wanted, return_rule=True)
            return str(rule.rule)
        except MethodNotAllowed:
            continue
        except HTTPException:  # NotFound, or a redirect to the slash-terminated route
            break
    return "[no route]"


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
    remember_routes(app)
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
    # Nothing the scrubber would blank (a JWS, a run of digits): an id must not smuggle what logs never hold.
    if unverified and _SANE_REQUEST_ID.fullmatch(unverified) and scrub(unverified) == unverified:
        return unverified
    return None


def new_request_id() -> str:
    """A fresh request id: 128 random bits in base64url, 22 characters.

    Not uuid4().hex: one id in about a hundred has a run of 16 decimal digits, which the scrubber
    blanks as a number, and the logged id then no longer finds its request.
    """
    return secrets.token_urlsafe(16)


def _start_request() -> None:
    g.request_started = time.perf_counter()
    g.request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()


def _finish_request(response: Response) -> Response:
    rid = g.get("request_id") or new_request_id()
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
