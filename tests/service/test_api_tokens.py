"""API tokens: shown once, stored as SHA-256 only, authenticate as Bearer, revocable, audited."""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from certsvc.accounts import api_tokens
from certsvc.store import db
from certsvc.store.models import ApiToken, AuditEntry, Role, User

from .support import csrf_token, login, make_org, make_user, seed

SECRET_ON_PAGE = re.compile(r'<p class="secret" id="new-token">(cst_[A-Za-z0-9_-]+)</p>')


def create_via_page(client: FlaskClient, name: str = "payroll sync") -> str:
    response = client.post("/account/tokens", data={"name": name, "csrf_token": csrf_token(client, "/account/tokens")})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    match = SECRET_ON_PAGE.search(response.get_data(as_text=True))
    assert match, "the new token is shown on the creation response"
    return match.group(1)


def test_token_shown_once_and_stored_hashed(app: Flask, client: FlaskClient) -> None:
    seed(app)
    login(client)
    secret = create_via_page(client)
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in listing and secret[:12] in listing  # later only the prefix
    with db.session_factory(app)() as session:
        rows = session.execute(text("SELECT * FROM api_tokens")).mappings().all()
        assert len(rows) == 1
        assert secret not in repr(dict(rows[0]))  # in no column
        assert rows[0]["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
        actions = session.scalars(select(AuditEntry.action)).all()
        assert "token.created" in actions


def test_bearer_token_authenticates_api_clients(app: Flask, client: FlaskClient) -> None:
    seed(app)
    login(client)
    secret = create_via_page(client)
    machine = app.test_client()
    response = machine.get("/api/v1/account", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.json == {
        "email": "officer@weld.example",
        "role": "officer",
        "org": {"slug": "weld-my", "name": "Weld My", "kind": "provider"},
        "via": "token",
    }
    assert "Set-Cookie" not in response.headers


def test_revoked_token_is_rejected(app: Flask, client: FlaskClient) -> None:
    seed(app)
    login(client)
    secret = create_via_page(client)
    with db.session_factory(app)() as session:
        token_id = session.scalars(select(ApiToken.id)).one()
    response = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/account/tokens")}
    )
    assert response.status_code == 302
    rejected = app.test_client().get("/api/v1/account", headers={"Authorization": f"Bearer {secret}"})
    assert rejected.status_code == 401
    assert rejected.json["code"] == "invalid_token"
    assert rejected.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    with db.session_factory(app)() as session:
        assert "token.revoked" in session.scalars(select(AuditEntry.action)).all()


def test_bad_authorization_headers(client: FlaskClient) -> None:
    for header in ["Bearer cst_unknown", "Bearer nonsense", "Basic dXNlcjpwdw==", "Bearer "]:
        response = client.get("/api/v1/account", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.is_json


def test_pages_refuse_bearer_tokens_even_for_form_less_posts(app: Flask) -> None:
    with db.session_factory(app)() as session:
        user = make_user(session, make_org(session))
        first = api_tokens.create_token(session, user, "one", actor="test")
        second = api_tokens.create_token(session, user, "two", actor="test")
        session.commit()
    bearer = {"Authorization": f"Bearer {first.secret}"}
    revoke = app.test_client().post(f"/account/tokens/{second.record.id}/revoke", headers=bearer)
    assert revoke.status_code == 403 and revoke.json["code"] == "token_not_accepted"
    assert app.test_client().get("/account", headers=bearer).status_code == 403
    with db.session_factory(app)() as session:
        assert session.get(ApiToken, second.record.id).revoked_at is None  # type: ignore[union-attr]
    # The API itself takes the token without a CSRF token.
    assert app.test_client().get("/api/v1/account", headers=bearer).json["via"] == "token"


def test_tokens_of_inactive_users_and_other_orgs(db_session: Session) -> None:
    own = make_org(db_session)
    other = make_org(db_session, "cook-my")
    user = make_user(db_session, own)
    stranger = make_user(db_session, other, "admin@cook.example", Role.ADMIN)
    token = api_tokens.create_token(db_session, user, "ci", actor="test")
    principal = api_tokens.principal_for_token(db_session, token.secret)
    assert principal.org.slug == "weld-my" and principal.via == "token"
    stranger_principal = api_tokens.principal_for_token(
        db_session, api_tokens.create_token(db_session, stranger, "x", actor="test").secret
    )
    with pytest.raises(api_tokens.TokenError):  # an admin of another org cannot revoke it
        api_tokens.revoke_token(db_session, stranger_principal, token.record.id)
    user_row = db_session.get(User, user.id)
    assert user_row is not None
    user_row.active = False
    with pytest.raises(api_tokens.InvalidToken):  # an inactive user's tokens stop working
        api_tokens.principal_for_token(db_session, token.secret)


def test_token_form_needs_csrf(app: Flask, client: FlaskClient) -> None:
    seed(app)
    login(client)
    assert client.post("/account/tokens", data={"name": "no csrf"}).status_code == 400
    with db.session_factory(app)() as session:
        assert session.scalars(select(ApiToken)).all() == []
