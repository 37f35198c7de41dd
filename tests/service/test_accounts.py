"""Accounts: login and logout, CSRF, throttling kept in the database, audited failures, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certsvc.accounts import users
from certsvc.accounts.users import AccountError, AccountExists, InvalidLogin, LoginThrottled, ThrottlePolicy
from certsvc.store import db
from certsvc.store.models import AuditEntry, LoginFailure, Role, User

from .support import CHEAP_HASHER, OFFICER, PASSWORD, csrf_token, login, make_org, make_user, seed

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(max_failures=5, window=timedelta(minutes=15))


def authenticate(session: Session, password: str, *, address: str = "10.0.0.1", now: datetime = T0) -> User:
    return users.authenticate(session, OFFICER, password, address=address, hasher=CHEAP_HASHER, policy=POLICY, now=now)


# -- domain ------------------------------------------------------------------------------


def test_password_is_stored_as_argon2id(db_session: Session) -> None:
    user = make_user(db_session, make_org(db_session))
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_user_validation(db_session: Session) -> None:
    org = make_org(db_session)
    make_user(db_session, org)
    with pytest.raises(AccountExists):
        make_user(db_session, org, OFFICER.upper())  # emails compare case-insensitively
    with pytest.raises(AccountError, match="password"):
        users.create_user(
            db_session, org, email="x@y.example", password="short", role="viewer", hasher=CHEAP_HASHER, actor="t"
        )
    with pytest.raises(AccountError, match="role"):
        users.create_user(
            db_session, org, email="x@y.example", password=PASSWORD, role="root", hasher=CHEAP_HASHER, actor="t"
        )


def test_throttle_after_five_failures_then_window_passes(db_session: Session) -> None:
    make_user(db_session, make_org(db_session))
    for minute in range(5):
        with pytest.raises(InvalidLogin):
            authenticate(db_session, "wrong password", now=T0 + timedelta(minutes=minute))
    with pytest.raises(LoginThrottled) as throttled:
        authenticate(db_session, PASSWORD, now=T0 + timedelta(minutes=5))  # even the right password
    assert throttled.value.data["retry_after"] == 10 * 60 + 1
    # Another address is not throttled; the first is again once the oldest failure leaves the window.
    assert authenticate(db_session, PASSWORD, address="10.0.0.2", now=T0 + timedelta(minutes=5)).email == OFFICER
    assert authenticate(db_session, PASSWORD, now=T0 + timedelta(minutes=15, seconds=1)).email == OFFICER
    remaining = db_session.scalar(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.address == "10.0.0.1")
    )
    assert remaining == 0  # a successful login clears its failures


def test_login_failures_are_audited(db_session: Session) -> None:
    make_user(db_session, make_org(db_session))
    with pytest.raises(InvalidLogin):
        authenticate(db_session, "wrong password")
    with pytest.raises(InvalidLogin):
        users.authenticate(
            db_session, "nobody@x.example", "pw", address="10.0.0.9", hasher=CHEAP_HASHER, policy=POLICY, now=T0
        )
    failures = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "login.failed")).all()
    assert [(f.subject, f.details["reason"]) for f in failures] == [
        (OFFICER, "wrong_password"),
        ("nobody@x.example", "unknown_user"),
    ]


def test_inactive_user_cannot_log_in(db_session: Session) -> None:
    user = make_user(db_session, make_org(db_session))
    users.set_user_active(db_session, user, False, actor="test")
    with pytest.raises(InvalidLogin):
        authenticate(db_session, PASSWORD)


# -- web ---------------------------------------------------------------------------------


def test_login_and_logout(app: Flask, client: FlaskClient) -> None:
    seed(app)
    assert client.get("/account").status_code == 302  # not signed in: to the login page
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"] == "/provider/"  # the user's workspace
    page = client.get("/account")
    assert page.status_code == 200 and OFFICER in page.get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert client.get("/account").status_code == 302


def test_logout_needs_post_with_csrf(app: Flask, client: FlaskClient) -> None:
    seed(app)
    login(client)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200  # still signed in


def test_wrong_password_shows_error_and_is_audited(app: Flask, client: FlaskClient) -> None:
    seed(app)
    response = login(client, password="not the password")
    assert response.status_code == 200
    assert "wrong email or password" in response.get_data(as_text=True)
    with db.session_factory(app)() as session:
        assert (
            session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "login.failed")) == 1
        )


def test_login_throttled_to_429(app: Flask, client: FlaskClient) -> None:
    seed(app)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, password="not the password").status_code == 200
    response = login(client)  # right password, but throttled
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    other = login(app.test_client(), environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 302  # throttling is per email and address


def test_login_form_without_csrf_is_rejected(app: Flask, client: FlaskClient) -> None:
    seed(app)
    client.get("/login")
    response = client.post("/login", data={"email": OFFICER, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    bad = client.post("/login", data={"email": OFFICER, "password": PASSWORD, "csrf_token": "forged"})
    assert bad.status_code == 400


def test_login_redirects_only_to_local_paths(app: Flask, client: FlaskClient) -> None:
    seed(app)
    token = csrf_token(client)
    for target, expected in [("/account/tokens", "/account/tokens"), ("https://evil.example/", "/provider/"),
                             ("//evil.example", "/provider/")]:  # fmt: skip
        data = {"email": OFFICER, "password": PASSWORD, "csrf_token": token, "next": target}
        response = client.post("/login", data=data)
        assert response.headers["Location"] == expected
        token = csrf_token(client)


def test_deactivated_user_session_ends(app: Flask, client: FlaskClient) -> None:
    _, user_id = seed(app)
    login(client)
    with db.session_factory(app)() as session:
        user = session.get(User, user_id)
        assert user is not None
        users.set_user_active(session, user, False, actor="test")
        session.commit()
    assert client.get("/account").status_code == 302


def test_role_required_for_user_admin(app: Flask, client: FlaskClient) -> None:
    seed(app, Role.VIEWER)
    login(client)
    assert client.get("/account/users").status_code == 403
    assert client.get("/account/users", headers={"Accept": "application/json"}).json == {
        "code": "forbidden",
        "message": "your role does not allow this",
        "required_roles": ["admin"],
        "status": 403,
    }


def test_admin_adds_user_to_own_org(app: Flask, client: FlaskClient) -> None:
    org_id, _ = seed(app, Role.ADMIN, "admin@weld.example")
    login(client, "admin@weld.example")
    data = {"email": "new@weld.example", "role": "viewer", "password": PASSWORD,
            "csrf_token": csrf_token(client, "/account/users")}  # fmt: skip
    assert client.post("/account/users", data=data).status_code == 302
    with db.session_factory(app)() as session:
        user = session.scalar(select(User).where(User.email == "new@weld.example"))
        assert user is not None and user.org_id == org_id and user.role is Role.VIEWER
    data["csrf_token"] = csrf_token(client, "/account/users")
    again = client.post("/account/users", data=data)
    assert again.status_code == 409 and "a user with this email exists" in again.get_data(as_text=True)
