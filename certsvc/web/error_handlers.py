"""The one error handler: a CertsvcError ``code`` or an HTTP error as JSON for API clients, a page for browsers."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from certsvc.accounts.users import LoginThrottled, NotAuthenticated
from certsvc.credentials.errors import (
    CertsvcError,
    CredentialDataError,
    InputTooLarge,
    KeyMaterialError,
    VerificationError,
)
from certsvc.web import i18n

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
    500: "internal_error",
}
#: Status for core errors that carry none; subclasses declare ``http_status`` themselves.
CORE_STATUS: tuple[tuple[type[CertsvcError], int], ...] = (
    (InputTooLarge, 413),
    (VerificationError, 422),
    (CredentialDataError, 422),
    (KeyMaterialError, 500),
)


def init_app(app: Flask) -> None:
    """Register the handler for CertsvcError and every HTTP error."""
    app.register_error_handler(CertsvcError, handle_certsvc_error)
    app.register_error_handler(HTTPException, handle_http_error)


def wants_json() -> bool:
    """Return whether the client is an API client: /api/ or *.json path, bearer token, or JSON preferred."""
    if request.path.startswith("/api/") or request.path.endswith(".json") or request.headers.get("Authorization"):
        return True
    accept = request.accept_mimetypes
    best = accept.best_match(["text/html", "application/json"])
    return best == "application/json" and accept[best] > accept["text/html"]


def status_for(exc: CertsvcError) -> int:
    """Return the HTTP status for a CertsvcError."""
    declared = getattr(exc, "http_status", None)
    if isinstance(declared, int):
        return declared
    return next((status for cls, status in CORE_STATUS if isinstance(exc, cls)), 400)


def handle_certsvc_error(exc: CertsvcError) -> ResponseReturnValue:
    """Answer a CertsvcError by its code; browsers that must log in are sent to the login page."""
    if isinstance(exc, NotAuthenticated) and not wants_json():
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    status = status_for(exc)
    body = exc.as_dict() if status < 500 else {"code": exc.code, "message": "internal error"}
    return _respond(status, body, _headers_for(exc, status))


def handle_http_error(exc: HTTPException) -> HTTPException | tuple[Response | str, int, dict[str, str]]:
    """Answer an HTTP error (400, 403, 404, 405, 413, 429, 500, ...) in the client's format."""
    if exc.code is None or exc.code < 400:
        return exc  # routing redirects are HTTPExceptions too
    code = "csrf_failed" if isinstance(exc, CSRFError) else HTTP_CODES.get(exc.code, f"http_{exc.code}")
    message = exc.description or exc.name
    if isinstance(exc, InternalServerError):
        message = "internal error"
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return _respond(exc.code, {"code": code, "message": message}, headers)


def _headers_for(exc: CertsvcError, status: int) -> dict[str, str]:
    headers = {}
    if isinstance(exc, LoginThrottled):
        headers["Retry-After"] = str(exc.data.get("retry_after", 60))
    if status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.code}"' if exc.code == "invalid_token" else "Bearer"
    return headers


def _respond(status: int, body: dict[str, Any], headers: dict[str, str]) -> tuple[Response | str, int, dict[str, str]]:
    if wants_json():
        return jsonify({**body, "status": status}), status, headers
    title = i18n.gettext(HTTP_STATUS_CODES.get(status, "Error"))
    # The message is English (a parser's, a domain rule's); another language gets the status's own sentence.
    explanation = None if i18n.current_language().code == i18n.DEFAULT else i18n.gettext(_explanation(status))
    page = render_template("errors/error.html", status=status, title=title, error=body, explanation=explanation)
    return page, status, headers


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated where it is shown."""
    return message


#: Werkzeug's names of the statuses a page may answer with, marked so that each is translated.
_STATUS_TITLES = (
    N_("Bad Request"),
    N_("Unauthorized"),
    N_("Forbidden"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Conflict"),
    N_("Request Entity Too Large"),
    N_("Unsupported Media Type"),
    N_("Unprocessable Entity"),
    N_("Too Many Requests"),
    N_("Internal Server Error"),
    N_("Service Unavailable"),
    N_("Error"),
)
_EXPLANATIONS = {
    400: N_("The request could not be understood. Go back, check what you entered and try again."),
    401: N_("Sign in to see this page."),
    403: N_("Your account may not open this page."),
    404: N_("There is no such page. Check the address."),
    405: N_("This page cannot be used that way."),
    409: N_("This changed in the meantime. Reload the page and try again."),
    413: N_("What you sent is too large."),
    415: N_("This kind of file is not accepted."),
    422: N_("What you sent could not be used. Check it and try again."),
    429: N_("Too many requests. Wait a minute and try again."),
}


def _explanation(status: int) -> str:
    if status >= 500:
        return N_("Something went wrong on our side. Try again later.")
    return _EXPLANATIONS.get(status, _EXPLANATIONS[400])
