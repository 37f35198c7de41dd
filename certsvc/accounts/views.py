"""Login, logout, the account page, API tokens and (for admins) the organisation's users."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import Length

from certsvc.accounts import api_docs, api_tokens, users
from certsvc.accounts.access import (
    attempt_counter,
    log_in,
    log_out,
    password_hasher,
    require_org_role,
    require_principal,
)
from certsvc.accounts.users import AccountError, InvalidLogin, LoginThrottled, ThrottlePolicy
from certsvc.store import db
from certsvc.store.models import Role, User
from certsvc.web import openapi
from certsvc.web.error_handlers import wants_json
from certsvc.web.form_rules import CheckedForm, Text
from certsvc.web.i18n import gettext as _
from certsvc.web.workspace import workspace_endpoint

bp = Blueprint("auth", __name__)
openapi.add_paths(api_docs.PATHS, schemas=api_docs.SCHEMAS, tags=api_docs.TAGS)


class LoginForm(CheckedForm):
    email = EmailField("Email", validators=[Text(users.MAX_EMAIL)])
    password = PasswordField("Password", validators=[Text(users.MAX_PASSWORD, verbatim=True)])
    next = HiddenField()


class TokenForm(CheckedForm):
    name = StringField("Token name", validators=[Text(api_tokens.MAX_NAME)])


class UserForm(CheckedForm):
    email = EmailField("Email", validators=[Text(users.MAX_EMAIL)])
    role = SelectField("Role", choices=[role.value for role in Role])
    password = PasswordField(
        "Initial password",
        validators=[Text(users.MAX_PASSWORD, verbatim=True), Length(users.MIN_PASSWORD, users.MAX_PASSWORD)],
    )


class ActionForm(CheckedForm):
    """A button that changes state: carries only the CSRF token."""


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the login form; on a correct email and password start a session."""
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if request.method == "POST" else 200
    session = db.get_session()
    try:
        user = users.authenticate(
            session,
            form.email.data or "",
            form.password.data or "",
            address=request.remote_addr or "unknown",
            hasher=password_hasher(),
            policy=_throttle_policy(),
        )
    except InvalidLogin:
        session.commit()  # the failure counts and is audited although the login did not happen
        return render_template("auth/login.html", form=form, error=_("Sign-in failed: wrong email or password.")), 200
    except LoginThrottled as exc:
        headers = {"Retry-After": str(exc.data["retry_after"])}
        minutes = -(-int(exc.data["retry_after"]) // 60)
        error = _(
            "Too many failed sign-in attempts for this account from your address. Try again in %(minutes)s minutes.",
            minutes=minutes,
        )
        return render_template("auth/login.html", form=form, error=error), 429, headers
    session.commit()
    log_in(user)
    # Each user lands where they work: the provider's dashboard, the embassy's queue, the authority's overview.
    return redirect(_safe_next(form.next.data) or url_for(workspace_endpoint(user.org.kind)))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session (POST with a CSRF token, so another site cannot log you out)."""
    log_out()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))


@bp.get("/account")
@require_org_role()
def account() -> ResponseReturnValue:
    """Show who is signed in (as JSON to a client that prefers it)."""
    me = _account_json()
    if wants_json():
        return jsonify(me)
    return render_template("auth/account.html", me=me)


@bp.get("/api/v1/account")
@require_org_role()
def api_account() -> ResponseReturnValue:
    """Who the API token acts as: its user, role and organisation."""
    return jsonify(_account_json())


def _account_json() -> dict[str, object]:
    principal = require_principal()
    return {
        "email": principal.user.email,
        "role": principal.role.value,
        "org": {"slug": principal.org.slug, "name": principal.org.name, "kind": principal.org.kind.value},
        "via": principal.via,
    }


@bp.route("/account/tokens", methods=["GET", "POST"])
@require_org_role()
def tokens() -> ResponseReturnValue:
    """List API tokens and create one; a new token's secret is shown once, on this response only."""
    principal, session, form = require_principal(), db.get_session(), TokenForm()
    new_token, status = None, 200
    if form.validate_on_submit():
        new_token = api_tokens.create_token(session, principal.user, form.name.data or "", actor=principal.actor)
        session.commit()
        form = TokenForm(formdata=None)
    elif request.method == "POST":
        status = 400
    listed = api_tokens.list_tokens(session, principal)
    page = render_template("auth/tokens.html", form=form, tokens=listed, new_token=new_token, revoke_form=ActionForm())
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/account/tokens/<int:token_id>/revoke")
@require_org_role()
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke an API token."""
    session = db.get_session()
    record = api_tokens.revoke_token(session, require_principal(), token_id)
    session.commit()
    flash(_("Token %(prefix)s… revoked.", prefix=record.prefix))
    return redirect(url_for("auth.tokens"))


@bp.route("/account/users", methods=["GET", "POST"], endpoint="users")
@require_org_role(Role.ADMIN)
def users_page() -> ResponseReturnValue:
    """List the organisation's users and add one (admins only)."""
    principal, session, form = require_principal(), db.get_session(), UserForm()
    error, status = None, 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            users.create_user(
                session,
                principal.org,
                email=form.email.data or "",
                password=form.password.data or "",
                role=form.role.data or Role.VIEWER,
                hasher=password_hasher(),
                actor=principal.actor,
            )
        except AccountError as exc:
            session.rollback()
            error, status = _(exc.message), exc.http_status
        else:
            session.commit()
            flash(_("User %(email)s added.", email=form.email.data))
            return redirect(url_for("auth.users"))
    members = session.scalars(select(User).where(User.org_id == principal.org.id).order_by(User.email))
    return render_template("auth/users.html", form=form, users=list(members), error=error), status


def _throttle_policy() -> ThrottlePolicy:
    config = current_app.config
    window = timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    return ThrottlePolicy(config["LOGIN_MAX_FAILURES"], window, counter=attempt_counter())


def _safe_next(target: str | None) -> str | None:
    """Return ``target`` only if it is a path on this site (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None
