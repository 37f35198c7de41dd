"""Settings: defaults, then ``instance/config.py``, then ``CERTSVC_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Config, Flask, current_app, has_app_context

from certsvc.credentials.errors import CertsvcError

ENV_PREFIX = "CERTSVC"
INSTANCE_FILE = "config.py"
SQLITE_FILE = "certsvc.sqlite3"
MIN_SECRET_CHARS = 32
GENERATE_HINT = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'

DEFAULTS: dict[str, Any] = {
    # Public base URL: key ids, status list and trust list URIs are built from it.
    "BASE_URL": "http://127.0.0.1:5000",
    # None means SQLite in the instance folder; a postgresql:// URL selects PostgreSQL.
    "DATABASE_URL": None,
    # Deliberately no default: start-up fails without them (see require_secrets).
    "SECRET_KEY": None,
    "KEY_ENCRYPTION_KEY": None,
    "SIGNING_ALG": "EdDSA",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # A session ends 8 hours after login however active it is; not refreshing also
    # keeps Set-Cookie off responses that do not touch the session.
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    "SESSION_REFRESH_EACH_REQUEST": False,
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    # CSRF tokens live as long as the session instead of expiring after an hour.
    "WTF_CSRF_TIME_LIMIT": None,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_WINDOW_SECONDS": 15 * 60,
    # argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    "PASSWORD_HASH_TIME_COST": 3,
    "PASSWORD_HASH_MEMORY_KIB": 64 * 1024,
    "PASSWORD_HASH_PARALLELISM": 4,
    "CONTENT_SECURITY_POLICY": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    # Number of trusted reverse proxies in front of the app (0: use the socket address).
    "PROXY_COUNT": 0,
}


class ConfigError(CertsvcError):
    """The service cannot start with the configuration it was given."""

    code = "config_error"


def instance_path() -> str:
    """Return the instance folder: ``CERTSVC_INSTANCE_PATH``, else where Flask puts it for ``certsvc``."""
    configured = os.environ.get(f"{ENV_PREFIX}_INSTANCE_PATH")
    if configured:
        return os.path.abspath(configured)
    # ``instance/`` beside the package in a checkout, ``<prefix>/var/certsvc-instance`` when installed.
    return Flask("certsvc").instance_path


def load_settings(instance_folder: str, test_config: Mapping[str, Any] | None = None) -> Config:
    """Build the settings in order: defaults, instance file, environment, then ``test_config``."""
    settings = Config(instance_folder, DEFAULTS)
    if test_config is None:
        settings.from_pyfile(INSTANCE_FILE, silent=True)
    settings.from_prefixed_env(ENV_PREFIX)
    if test_config is not None:
        settings.update(test_config)
    read_secret_files(settings)
    settings["DATABASE_URL"] = database_url(settings["DATABASE_URL"], instance_folder)
    return settings


def read_secret_files(settings: Config) -> None:
    """Load SECRET_KEY and KEY_ENCRYPTION_KEY from the files ``<NAME>_FILE`` names (a mounted secret)."""
    for name in ("SECRET_KEY", "KEY_ENCRYPTION_KEY"):
        path = settings.get(f"{name}_FILE")
        if not path:
            continue
        if settings.get(name):
            raise ConfigError(f"set {name} or {name}_FILE, not both", setting=name)
        try:
            settings[name] = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE names {path}, which cannot be read ({exc.strerror})", setting=name) from exc


def write_instance_secrets(instance_folder: str, extra: Mapping[str, Any] | None = None) -> Path:
    """Create ``instance/config.py`` with fresh random secrets unless it exists (for the demo and first runs)."""
    path = Path(instance_folder) / INSTANCE_FILE
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Written by certsvc on first run. Keep this file private; losing KEY_ENCRYPTION_KEY",
        "# loses every stored signing key.",
        f"SECRET_KEY = {secrets.token_urlsafe(32)!r}",
        f"KEY_ENCRYPTION_KEY = {secrets.token_urlsafe(32)!r}",
        *(f"{name} = {value!r}" for name, value in (extra or {}).items()),
    ]
    # Created owner-only from the start, never briefly world-readable.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def instance_base_url(instance_folder: str) -> str | None:
    """The BASE_URL the instance was created with (from ``instance/config.py``), or None when there is none yet."""
    path = Path(instance_folder) / INSTANCE_FILE
    if not path.exists():
        return None
    settings = Config(instance_folder, {"BASE_URL": DEFAULTS["BASE_URL"]})
    settings.from_pyfile(INSTANCE_FILE)
    return normalise_base_url(str(settings["BASE_URL"]))


def normalise_base_url(unverified_url: str) -> str:
    """``scheme://host[:port]`` in lower case without a trailing slash; ConfigError for anything else."""
    url = unverified_url.strip().rstrip("/")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
        raise ConfigError(f"{unverified_url!r} is not a base URL such as http://127.0.0.1:5000", setting="BASE_URL")
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(
            f"{unverified_url!r} has more than a scheme, host and port; the service answers at the root of its address",
            setting="BASE_URL",
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def check_instance_base_url(instance_folder: str, wanted: str) -> None:
    """Refuse a base URL other than the one the instance was created with: its keys and QR codes name that one."""
    created_with = instance_base_url(instance_folder)
    if created_with is None or created_with == wanted:
        return
    raise ConfigError(
        f"the instance in {instance_folder} was created for {created_with}, not {wanted}: its key ids, "
        f"trust lists and QR codes name {created_with}. Keep using it with --base-url {created_with}, or start "
        f"afresh: delete {instance_folder} (or set {ENV_PREFIX}_INSTANCE_PATH to a new folder) and run again.",
        setting="BASE_URL",
        created_with=created_with,
        wanted=wanted,
    )


def configured_database_url() -> str:
    """Return DATABASE_URL: the current app's if there is one, else as the app would load it."""
    if has_app_context():
        return str(current_app.config["DATABASE_URL"])
    return str(load_settings(instance_path())["DATABASE_URL"])


def database_url(configured: str | None, instance_folder: str) -> str:
    """Return the SQLAlchemy URL: SQLite in the instance folder unless configured; psycopg 3 for PostgreSQL."""
    if not configured:
        return f"sqlite:///{Path(instance_folder) / SQLITE_FILE}"
    for scheme in ("postgres://", "postgresql://"):
        if configured.startswith(scheme):
            return "postgresql+psycopg://" + configured[len(scheme) :]
    return configured


def require_secrets(settings: Mapping[str, Any]) -> None:
    """Fail loudly when SECRET_KEY or the key-encryption key is missing or too short."""
    for name, what in (
        ("SECRET_KEY", "signs session cookies and CSRF tokens"),
        ("KEY_ENCRYPTION_KEY", "encrypts the organisations' private signing keys"),
    ):
        value = settings.get(name)
        if not isinstance(value, str) or len(value) < MIN_SECRET_CHARS:
            state = "is not set" if not value else f"is shorter than {MIN_SECRET_CHARS} characters"
            raise ConfigError(
                f"{name} {state}: it {what}. Set {ENV_PREFIX}_{name} or put {name} in "
                f"instance/{INSTANCE_FILE}; generate one with: {GENERATE_HINT}",
                setting=name,
            )
