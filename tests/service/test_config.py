"""Configuration: defaults, instance file, CERTSVC_* environment; no default secrets; cookie flags."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from certsvc import config
from certsvc.app import create_app
from certsvc.config import ConfigError
from certsvc.store import db
from certsvc.store.models import Role

from .support import KEK, SECRET_KEY, login, seed, settings_for


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No CERTSVC_* variables from the outside; an empty instance folder."""
    for name in ("SECRET_KEY", "KEY_ENCRYPTION_KEY", "DATABASE_URL", "BASE_URL"):
        monkeypatch.delenv(f"CERTSVC_{name}", raising=False)
    instance = tmp_path / "instance"
    monkeypatch.setenv("CERTSVC_INSTANCE_PATH", str(instance))
    return instance


@pytest.mark.parametrize("missing", ["SECRET_KEY", "KEY_ENCRYPTION_KEY"])
def test_missing_secret_fails_loudly(missing: str) -> None:
    settings = {"SECRET_KEY": SECRET_KEY, "KEY_ENCRYPTION_KEY": KEK}
    del settings[missing]
    with pytest.raises(ConfigError, match=f"{missing} is not set.*CERTSVC_{missing}"):
        create_app(settings)


def test_no_secrets_at_all_fails_loudly() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


def test_short_secret_is_refused() -> None:
    with pytest.raises(ConfigError, match="KEY_ENCRYPTION_KEY is shorter than 32"):
        create_app({"SECRET_KEY": SECRET_KEY, "KEY_ENCRYPTION_KEY": "short"})


def test_environment_overrides_instance_file(clean_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment.mkdir()
    (clean_environment / "config.py").write_text(
        f"SECRET_KEY = {SECRET_KEY!r}\nKEY_ENCRYPTION_KEY = {KEK!r}\nBASE_URL = 'https://from-file.example'\n"
        "LOGIN_MAX_FAILURES = 7\n"
    )
    monkeypatch.setenv("CERTSVC_BASE_URL", "https://from-env.example")
    monkeypatch.setenv("CERTSVC_SESSION_COOKIE_SECURE", "false")
    app = create_app()
    assert app.config["BASE_URL"] == "https://from-env.example"
    assert app.config["LOGIN_MAX_FAILURES"] == 7  # from the instance file
    assert app.config["SESSION_COOKIE_SECURE"] is False  # parsed as JSON
    assert app.config["DATABASE_URL"] == f"sqlite:///{clean_environment / 'certsvc.sqlite3'}"


def test_secrets_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTSVC_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("CERTSVC_KEY_ENCRYPTION_KEY", KEK)
    monkeypatch.setenv("CERTSVC_DATABASE_URL", "postgresql://certsvc@db.internal/certsvc")
    app = create_app()
    assert app.config["SECRET_KEY"] == SECRET_KEY
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://certsvc@db.internal/certsvc"


def test_templates_come_from_the_templates_package() -> None:
    import templates

    assert (
        Path(create_app({"SECRET_KEY": SECRET_KEY, "KEY_ENCRYPTION_KEY": KEK}).template_folder or "")
        == Path(templates.__file__).parent
    )


def test_instance_secrets_written_once(clean_environment: Path) -> None:
    path = config.write_instance_secrets(str(clean_environment), {"SESSION_COOKIE_SECURE": False})
    first = path.read_text()
    assert path.stat().st_mode & 0o077 == 0
    assert config.write_instance_secrets(str(clean_environment)).read_text() == first  # never overwritten
    app = create_app()
    assert len(app.config["KEY_ENCRYPTION_KEY"]) >= 32 and app.config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h:5433/d", "postgresql+psycopg://u@h:5433/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////var/x.db", "sqlite:////var/x.db"),
    ],
)
def test_database_url_selects_psycopg3(given: str, expected: str) -> None:
    assert config.database_url(given, "/unused") == expected


def test_session_cookie_is_secure_httponly_lax(app_secure_cookies: FlaskClient) -> None:
    # Over HTTPS Flask-WTF also checks the Referer (WTF_CSRF_SSL_STRICT).
    response = login(app_secure_cookies, base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.fixture
def app_secure_cookies(database_url: str) -> Iterator[FlaskClient]:
    app = create_app(settings_for(database_url, SESSION_COOKIE_SECURE=True))
    seed(app, Role.OFFICER)
    yield app.test_client()
    db.dispose(app)
