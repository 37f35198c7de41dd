"""Who is asking: the principal from a session cookie or a bearer token, CSRF, and role checks for views."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar

from argon2 import PasswordHasher
from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import CSRFProtect

from certsvc.accounts import api_tokens, users
from certsvc.accounts.attempts import DATABASE, AttemptCounter, RedisAttempts
from certsvc.accounts.users import NotAuthenticated, Principal
from certsvc.credentials.errors import CertsvcError
from certsvc.store import db
from certsvc.store.models import OrgKind, Role, User
from certsvc.web import request_rules

P = ParamSpec("P")
R = TypeVar("R")

csrf = CSRFProtect()


class TokenNotAccepted(CertsvcError):
    """An API token was sent to a page: pages take the session cookie only."""

    code = "token_not_accepted"
    http_status = 403


HASHER_EXTENSION = "certsvc.password_hasher"
ATTEMPTS_EXTENSION = "certsvc.attempt_counter"
API_PREFIX = "/api/"
SESSION_USER = "user_id"
SESSION_FINGERPRINT = "pw"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS_SECONDS = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    """Set up CSRF (checked for every cookie-authenticated write), principal loading and headers."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    request_rules.init_app(app)  # clean addresses first: nothing below looks at a NUL
    csrf.init_app(app)
    app.extensions[HASHER_EXTENSION] = users.make_password_hasher(
        app.config["PASSWORD_HASH_TIME_COST"],
        app.config["PASSWORD_HASH_MEMORY_KIB"],
        app.config["PASSWORD_HASH_PARALLELISM"],
    )
    redis_url = app.config.get("REDIS_URL")
    prefix = str(app.config.get("RATE_LIMIT_PREFIX") or "certsvc")
    app.extensions[ATTEMPTS_EXTENSION] = RedisAttempts(str(redis_url), prefix) if redis_url else DATABASE
    app.before_request(_load_principal)
    app.after_request(_security_headers)
    app.context_processor(lambda: {"principal": current_principal()})


def password_hasher() -> PasswordHasher:
    """Return the app's configured argon2id hasher."""
    hasher: PasswordHasher = current_app.extensions[HASHER_EXTENSION]
    return hasher


def attempt_counter() -> AttemptCounter:
    """Where this app counts sign-in and claim attempts: Redis when configured, else the database."""
    counter: AttemptCounter = current_app.extensions[ATTEMPTS_EXTENSION]
    return counter


def current_principal() -> Principal | None:
    """Return who makes this request (session user or API token), or None."""
    principal: Principal | None = g.get("principal")
    return principal


def require_principal() -> Principal:
    """Return the current principal or raise NotAuthenticated."""
    principal = current_principal()
    if principal is None:
        raise NotAuthenticated("sign in or send an API token")
    return principal


def require_org_role(
    *roles: Role | str, kinds: Iterable[OrgKind | str] = ()
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view: the caller must be signed in with one of ``roles`` in an org of one of ``kinds``."""
    wanted_kinds = tuple(kinds)

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            users.check_role(require_principal(), roles, wanted_kinds)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def public(view: Callable[P, R]) -> Callable[P, R]:
    """Mark a read-only view as public: no session or token is looked at, so no cookie is set or varied on."""
    view.certsvc_public = True  # type: ignore[attr-defined]
    return view


def anonymous(view: Callable[P, R]) -> Callable[P, R]:
    """Mark a view anyone may call with any method, such as the public verifier's POSTs."""
    # No session or token is looked at, so a request has no ambient authority to forge: no CSRF token.
    view.certsvc_anonymous = True  # type: ignore[attr-defined]
    return view


def log_in(user: User) -> None:
    """Start a fresh session for ``user`` (the old session's data, CSRF token included, is dropped)."""
    session.clear()
    session.permanent = True
    session[SESSION_USER] = user.id
    session[SESSION_FINGERPRINT] = _fingerprint(user)


def log_out() -> None:
    """End the session."""
    session.clear()


def _load_principal() -> None:
    """Load who asks: API routes take bearer tokens only, every other route the session only.

    A route under ``/api/`` never reads the session cookie, so no cookie gives ambient authority
    there (no CSRF token is needed, and a request without a token answers 401). Every other
    route refuses an ``Authorization`` header and checks the CSRF token of every write, so a
    leaked API token cannot drive the pages, and no page changes state without its form.
    """
    g.principal = None
    if request.routing_exception is not None:
        return  # let the 404 or 405 through rather than a CSRF or token error
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "certsvc_public", False) and request.method in ("GET", "HEAD", "OPTIONS"):
        return  # public documents ignore whatever credentials come with the request
    authorization = request.headers.get("Authorization")
    if not is_api_request():
        if authorization is not None:
            raise TokenNotAccepted("API tokens work on /api/ routes only; sign in to use the pages")
        if getattr(view, "certsvc_anonymous", False):
            return
        csrf.protect()
        g.principal = _principal_from_session()
        return
    if authorization is None or getattr(view, "certsvc_anonymous", False):
        return
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise api_tokens.InvalidToken("use Authorization: Bearer <token>")
    db_session = db.get_session()
    g.principal = api_tokens.principal_for_token(db_session, secret.strip())
    db_session.commit()  # keep last_used_at even when the request only reads


def is_api_request() -> bool:
    """Whether this request is for the JSON API (``/api/...``), whose callers authenticate with tokens."""
    return request.path == API_PREFIX.rstrip("/") or request.path.startswith(API_PREFIX)


def _principal_from_session() -> Principal | None:
    user_id = session.get(SESSION_USER)
    if user_id is None:
        return None
    user = db.get_session().get(User, user_id)
    # A deactivated user or a changed password ends existing sessions.
    if user is None or not user.active or session.get(SESSION_FINGERPRINT) != _fingerprint(user):
        session.clear()
        return None
    return Principal(user=user, org=user.org, via="session")


def _fingerprint(user: User) -> str:
    # The cookie is signed, not encrypted: carry a digest of the hash, not the hash.
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


def _security_headers(response: Any) -> Any:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    policy = current_app.config.get("CONTENT_SECURITY_POLICY")
    if policy:
        response.headers.setdefault("Content-Security-Policy", policy)
    # Only over HTTPS (directly, or as the trusted proxies say with PROXY_COUNT): browsers ignore it on http.
    if request.is_secure:
        seconds = int(current_app.config.get("HSTS_SECONDS", HSTS_SECONDS))
        response.headers.setdefault("Strict-Transport-Security", f"max-age={seconds}; includeSubDomains")
    _cache_rule(response)
    return response


def _cache_rule(response: Any) -> None:
    """No cache keeps a response unless it is a public document that says how long it may be kept.

    A route that looks at who asks (session or token) may show personal data: it is always
    ``no-store``, whatever the view said. A public route keeps its own Cache-Control (trust and
    status lists, keys, assets, the API description); without one it is ``no-store`` too.
    """
    view = current_app.view_functions.get(request.endpoint or "") if request.routing_exception is None else None
    public = getattr(view, "certsvc_public", False) and request.method in ("GET", "HEAD")
    cache_control = response.headers.get("Cache-Control", "")
    if public and cache_control:
        return
    if "no-store" not in cache_control:
        private = not public and bool(cache_control)
        response.headers["Cache-Control"] = "private, no-store" if private else "no-store"
