"""The holder's wallet in the browser: claim, list, show the QR, download, print, share.

Holders sign in with their own wallet account (a phone number or an email address), kept
in the session under its own key, apart from the organisations' users. Every page is
built for a small phone first; a service worker keeps the list and the QR pages for
offline use. The public share page ``/s/<token>`` lives on a second blueprint.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField

from certsvc.accounts.access import attempt_counter, password_hasher, public
from certsvc.qr import image
from certsvc.store import db
from certsvc.store.credential_records import cosigned_of, qr_text_of
from certsvc.store.models import Credential, WalletUser
from certsvc.wallet import cards, claims, errors, holders, pdf, shares, throttle
from certsvc.wallet.errors import WalletError
from certsvc.web import error_handlers, page_assets
from certsvc.web.form_rules import CheckedForm, Text, first_error
from certsvc.web.i18n import current_language
from certsvc.web.i18n import gettext as _

P = ParamSpec("P")
R = TypeVar("R")

bp = Blueprint("wallet", __name__, url_prefix="/wallet")
share_bp = Blueprint("wallet_share", __name__)

SESSION_USER = "wallet_user"
SESSION_FINGERPRINT = "wallet_pw"
SESSION_PENDING = "wallet_pending"
SESSION_NEW_SHARE = "wallet_new_share"
PENDING_SECONDS = 30 * 60
PRIVATE = {"Cache-Control": "private, no-cache", "Vary": "Cookie"}
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
ASSETS = frozenset({"wallet.js", "wallet.css", "icon.svg"})
ASSET_MAX_AGE = 3600
QR_BOX = 10
PUBLIC_ID = "<string(maxlength=32):public_id>"

#: Messages for the holder, by error code (English msgids; translated when shown).
MESSAGES = {
    "claim_invalid": "The claim code or the PIN is wrong. Check both and try again.",
    "claim_locked": "This claim code is locked because a wrong PIN was entered too many times. "
    "Ask your training provider for a new claim code.",
    "claim_used": "This claim code was used already. A claim code works only once.",
    "claim_throttled": "Too many wrong claim codes from this device. Wait %(minutes)s minutes and try again.",
    "wallet_login_invalid": "Wrong phone number, email or password.",
    "wallet_login_throttled": "Too many wrong sign-in attempts. Wait %(minutes)s minutes and try again.",
    "wallet_account_exists": "A wallet with this phone number or email already exists. Sign in instead.",
    "login": "Enter a phone number with its country code (for example +63 917 123 4567) or an email address.",
    "password": "A password has at least 8 characters.",
    "not_found": "This credential is not in your wallet.",
    "share_expiry_invalid": "Choose how long the link works: 1 day, 7 days or 30 days.",
}
ALREADY_MINE = "This credential is already in your wallet."
PENDING_EXPIRED = "That took too long. Enter the claim code and PIN again."


class ClaimForm(CheckedForm):
    code = StringField(validators=[Text(40)])
    pin = StringField(validators=[Text(12)])


class SignInForm(CheckedForm):
    login = StringField(validators=[Text(holders.MAX_LOGIN)])
    password = PasswordField(validators=[Text(holders.MAX_PASSWORD, verbatim=True)])
    next = HiddenField()


class RegisterForm(CheckedForm):
    login = StringField(validators=[Text(holders.MAX_LOGIN)])
    password = PasswordField(validators=[Text(holders.MAX_PASSWORD, verbatim=True)])


class ShareForm(CheckedForm):
    days = StringField(default="7", validators=[Text(3)])


class ActionForm(CheckedForm):
    """A button that changes state: carries only the CSRF token."""


def init_app(app: Flask) -> None:
    """Register the wallet and its public share page."""
    app.config.setdefault("WALLET_CLAIM_MAX_FAILURES", 10)
    app.config.setdefault("WALLET_LOGIN_MAX_FAILURES", 10)
    app.config.setdefault("WALLET_THROTTLE_WINDOW_SECONDS", 15 * 60)
    # How often an open QR page asks whether the credential changed (the embassy co-signed).
    app.config.setdefault("WALLET_REFRESH_SECONDS", 60)
    app.register_blueprint(bp)
    app.register_blueprint(share_bp)


# -- the signed-in holder -------------------------------------------------------------------


@bp.before_request
def _load_wallet_user() -> None:
    g.wallet_user = None
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "certsvc_public", False):
        return  # the worker, manifest and assets: no session read, so no cookie or Vary: Cookie
    user_id = session.get(SESSION_USER)
    if user_id is None:
        return
    user = db.get_session().get(WalletUser, user_id)
    if user is None or session.get(SESSION_FINGERPRINT) != holders.session_fingerprint(user):
        _forget_wallet_user()
        return
    g.wallet_user = user


@bp.context_processor
def _template_values() -> dict[str, Any]:
    return {"wallet_user": g.get("wallet_user"), "messages": MESSAGES}


def signed_in(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Send holders who are not signed in to the wallet's sign-in page, then back."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if g.get("wallet_user") is None:
            return redirect(url_for("wallet.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def _user() -> WalletUser:
    user: WalletUser = g.wallet_user
    return user


def _log_in(user: WalletUser) -> None:
    session.permanent = True
    session[SESSION_USER] = user.id
    session[SESSION_FINGERPRINT] = holders.session_fingerprint(user)
    g.wallet_user = user


def _forget_wallet_user() -> None:
    for key in (SESSION_USER, SESSION_FINGERPRINT, SESSION_PENDING, SESSION_NEW_SHARE):
        session.pop(key, None)


def _throttle(name: str) -> throttle.ThrottlePolicy:
    config = current_app.config
    window = timedelta(seconds=config["WALLET_THROTTLE_WINDOW_SECONDS"])
    return throttle.ThrottlePolicy(config[name], window, counter=attempt_counter())


def _address() -> str:
    return request.remote_addr or "unknown"


def _message(exc: WalletError) -> str:
    """The holder's message for a wallet error, in their language."""
    if exc.code == "claim_used" and exc.data.get("mine"):
        return _(ALREADY_MINE)
    key = exc.data.get("field") if exc.code == "wallet_account_invalid" else exc.code
    minutes = -(-int(exc.data.get("retry_after", 60)) // 60)
    return _(MESSAGES.get(str(key), exc.message), minutes=minutes)


def _retry_headers(exc: WalletError) -> dict[str, str]:
    return {"Retry-After": str(exc.data["retry_after"])} if "retry_after" in exc.data else {}


@bp.errorhandler(WalletError)
def _wallet_error(exc: WalletError) -> ResponseReturnValue:
    if error_handlers.wants_json():
        return error_handlers.handle_certsvc_error(exc)
    page = render_template("wallet/error.html", message=_message(exc), status=exc.http_status)
    return page, exc.http_status, PRIVATE


# -- claiming -------------------------------------------------------------------------------


@bp.route("/claim", methods=["GET", "POST"])
def claim() -> ResponseReturnValue:
    """Step 1: the claim code and PIN. Step 2 (not signed in): sign in to or open a wallet."""
    form = ClaimForm()
    if request.method == "GET":
        if g.wallet_user is not None and session.get(SESSION_PENDING):
            return _finish_pending()
        return _claim_page(form)
    if not form.validate_on_submit():
        return _claim_page(form, error=first_error(form)), 400
    data = db.get_session()
    try:
        found = claims.find_claim(
            data,
            form.code.data or "",
            form.pin.data or "",
            address=_address(),
            hasher=password_hasher(),
            policy=_throttle("WALLET_CLAIM_MAX_FAILURES"),
            wallet_user=g.wallet_user,
            kek=current_app.config["KEY_ENCRYPTION_KEY"],
        )
    except WalletError as exc:
        data.commit()  # a wrong code or PIN counts although nothing was claimed
        return _claim_page(form, error=_message(exc)), exc.http_status, _retry_headers(exc)
    if g.wallet_user is not None:
        credential = claims.complete_claim(data, found, _user())
        data.commit()
        flash(_("Added to your wallet."))
        return redirect(url_for(".credential", public_id=credential.public_id))
    session[SESSION_PENDING] = {
        "credential": found.credential_id,
        "code": found.code_hash,
        "until": int(time.time()) + PENDING_SECONDS,
    }
    data.commit()
    return redirect(url_for(".claim"))


def _claim_page(form: ClaimForm, error: str | None = None) -> str:
    pending = _pending()
    card = None
    if pending is not None:
        credential = db.get_session().get(Credential, pending["credential"])
        card = cards.card_of(db.get_session(), credential, _now()) if credential else None
    return render_template(
        "wallet/claim.html",
        form=form,
        error=error,
        card=card,
        sign_in_form=SignInForm(formdata=None),
        register_form=RegisterForm(formdata=None),
    )


def _pending() -> dict[str, Any] | None:
    pending = session.get(SESSION_PENDING)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        session.pop(SESSION_PENDING, None)
        return None
    return pending


def _finish_pending() -> ResponseReturnValue:
    """Claim the code checked in step 1 for the holder who just signed in; then show it."""
    pending = _pending()
    session.pop(SESSION_PENDING, None)
    if pending is None:
        flash(_(PENDING_EXPIRED))
        return redirect(url_for(".claim"))
    data = db.get_session()
    try:
        found = claims.pending_claim(data, int(pending["credential"]), str(pending["code"]))
        credential = claims.complete_claim(data, found, _user())
    except WalletError as exc:
        data.rollback()
        flash(_message(exc))
        return redirect(url_for(".index"))
    data.commit()
    flash(_("Added to your wallet."))
    return redirect(url_for(".credential", public_id=credential.public_id))


# -- wallet accounts ------------------------------------------------------------------------


@bp.route("/signin", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    """Sign in with a phone number or email and a password."""
    form = SignInForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return _account_page("wallet/signin.html", form), 400 if request.method == "POST" else 200
    data = db.get_session()
    try:
        user = holders.authenticate_wallet_user(
            data,
            form.login.data or "",
            form.password.data or "",
            address=_address(),
            hasher=password_hasher(),
            policy=_throttle("WALLET_LOGIN_MAX_FAILURES"),
        )
    except WalletError as exc:
        data.commit()  # the failure counts
        page = _account_page("wallet/signin.html", form, error=_message(exc))
        return page, exc.http_status, _retry_headers(exc)
    data.commit()
    _log_in(user)
    if session.get(SESSION_PENDING):
        return _finish_pending()
    return redirect(_safe_next(form.next.data) or url_for(".index"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Open a wallet with a phone number or email and a password."""
    form = RegisterForm()
    if not form.validate_on_submit():
        return _account_page("wallet/register.html", form), 400 if request.method == "POST" else 200
    data = db.get_session()
    try:
        user = holders.create_wallet_user(
            data,
            form.login.data or "",
            form.password.data or "",
            hasher=password_hasher(),
            locale=current_language().code,
        )
    except WalletError as exc:
        data.rollback()
        return _account_page("wallet/register.html", form, error=_message(exc)), exc.http_status
    data.commit()
    _log_in(user)
    if session.get(SESSION_PENDING):
        return _finish_pending()
    flash(_("Your wallet is ready."))
    return redirect(url_for(".index"))


def _account_page(template: str, form: FlaskForm, error: str | None = None) -> str:
    # The account pages show one message above the form: a refused field's, when there is one.
    error = error or first_error(form)
    return render_template(template, form=form, error=error, pending=_pending() is not None)


@bp.post("/signout")
def sign_out() -> ResponseReturnValue:
    """Sign out; the page then deletes the copies kept on this phone for offline use."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".index"))
    _forget_wallet_user()
    g.wallet_user = None
    return render_template("wallet/signed_out.html"), 200, {"Cache-Control": "no-store"}


# -- the list and one credential -------------------------------------------------------------


@bp.get("/")
@bp.get("")
@signed_in
def index() -> ResponseReturnValue:
    """Every credential in the wallet with its state in words."""
    now = _now()
    listed = cards.wallet_credentials(db.get_session(), _user(), now)
    return render_template("wallet/index.html", cards=listed, now=now), 200, PRIVATE


@bp.get(f"/c/{PUBLIC_ID}")
@signed_in
def credential(public_id: str) -> ResponseReturnValue:
    """The full-width QR with what the credential says, its verifications and downloads."""
    now, data = _now(), db.get_session()
    card = cards.card_of(data, cards.own_credential(data, _user(), public_id), now)
    refresh = current_app.config["WALLET_REFRESH_SECONDS"]
    page = render_template("wallet/credential.html", card=card, now=now, refresh=refresh)
    return page, 200, PRIVATE


@bp.get(f"/c/{PUBLIC_ID}/state.json")
@signed_in
def state(public_id: str) -> ResponseReturnValue:
    """The credential's state, for the open QR page to notice a co-signature and reload."""
    data = db.get_session()
    found = cards.own_credential(data, _user(), public_id)
    card = cards.card_of(data, found, _now())
    body = {"state": card.state.value, "signatures": card.signatures}
    return Response(json.dumps(body), mimetype="application/json", headers={"Cache-Control": "no-store"})


@bp.get(f"/c/{PUBLIC_ID}/qr.png")
@signed_in
def qr_png(public_id: str) -> ResponseReturnValue:
    """The QR code as a PNG: carries the co-signature as soon as the embassy gives it."""
    found = cards.own_credential(db.get_session(), _user(), public_id)
    png = image.render_png(qr_text_of(found, _base_url()), box_size=QR_BOX)
    return _image(png, "image/png", f"credential-{public_id}-qr.png")


@bp.get(f"/c/{PUBLIC_ID}/qr.svg")
@signed_in
def qr_svg(public_id: str) -> ResponseReturnValue:
    """The QR code as an SVG, for print at any size."""
    found = cards.own_credential(db.get_session(), _user(), public_id)
    svg = image.render_svg(qr_text_of(found, _base_url()))
    return _image(svg, "image/svg+xml", f"credential-{public_id}-qr.svg")


def _image(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype, headers=PRIVATE)
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.add_etag()
    return response.make_conditional(request)


@bp.get(f"/c/{PUBLIC_ID}/credential.json")
@signed_in
def credential_file(public_id: str) -> ResponseReturnValue:
    """The credential file: General JWS JSON with the provider's and, once given, the embassy's signature."""
    found = cards.own_credential(db.get_session(), _user(), public_id)
    headers = {**PRIVATE, "Content-Disposition": f'attachment; filename="credential-{public_id}.json"'}
    return Response(cosigned_of(found).to_json(), mimetype="application/json", headers=headers)


@bp.get(f"/c/{PUBLIC_ID}/certificate.pdf")
@signed_in
def certificate(public_id: str) -> ResponseReturnValue:
    """The printable A4 certificate with the QR code and the verification address, in the page's language."""
    data, now = db.get_session(), _now()
    found = cards.own_credential(data, _user(), public_id)
    qr_png_bytes = image.render_png(qr_text_of(found, _base_url()), box_size=QR_BOX)
    card = cards.card_of(data, found, now)
    document = pdf.certificate_pdf(card, qr_png_bytes, _verify_url(), now, current_language().code)
    headers = {**PRIVATE, "Content-Disposition": f'attachment; filename="certificate-{public_id}.pdf"'}
    return Response(document, mimetype="application/pdf", headers=headers)


# -- share links ----------------------------------------------------------------------------


@bp.route(f"/c/{PUBLIC_ID}/share", methods=["GET", "POST"])
@signed_in
def share(public_id: str) -> ResponseReturnValue:
    """Make a share link with an expiry the holder chooses; list and revoke the links."""
    data = db.get_session()
    found = cards.own_credential(data, _user(), public_id)
    form = ShareForm()
    if request.method == "POST":
        if not form.validate_on_submit() or not (form.days.data or "").isdigit():
            return _share_page(found, form, error=_(MESSAGES["share_expiry_invalid"]), status=400)
        _link, token = shares.create_share_link(data, _user(), found, int(form.days.data or 0))
        data.commit()
        session[SESSION_NEW_SHARE] = {"credential": public_id, "url": f"{_base_url()}/s/{token}"}
        return redirect(url_for(".share", public_id=public_id))
    return _share_page(found, ShareForm(formdata=None))


@bp.post(f"/c/{PUBLIC_ID}/share/<int:link_id>/revoke")
@signed_in
def revoke_share(public_id: str, link_id: int) -> ResponseReturnValue:
    """Stop a share link working at once."""
    data = db.get_session()
    found = cards.own_credential(data, _user(), public_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".share", public_id=public_id))
    shares.revoke_share_link(data, _user(), found, link_id)
    data.commit()
    flash(_("The link no longer works."))
    return redirect(url_for(".share", public_id=public_id))


def _share_page(found: Credential, form: ShareForm, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    data, now = db.get_session(), _now()
    new_link = session.pop(SESSION_NEW_SHARE, None)
    if not isinstance(new_link, dict) or new_link.get("credential") != found.public_id:
        new_link = None
    page = render_template(
        "wallet/share.html",
        card=cards.card_of(data, found, now),
        links=[(link, shares.share_state(link, now)) for link in shares.share_links(data, _user(), found)],
        form=form,
        action_form=ActionForm(formdata=None),
        new_link=new_link,
        error=error,
    )
    return page, status, {"Cache-Control": "no-store"}


@share_bp.get("/s/<string(maxlength=64):token>")
@public
def shared(token: str) -> ResponseReturnValue:
    """The page a share link opens: the credential summary and QR, and when the LINK expires."""
    data, now = db.get_session(), _now()
    try:
        link = shares.open_share_link(data, token, now=now)
    except errors.ShareLinkGone as exc:
        return render_template("wallet/share_gone.html", reason=exc.data["reason"]), 410, NO_STORE
    except errors.ShareLinkUnknown:
        return render_template("wallet/share_gone.html", reason="unknown"), 404, NO_STORE
    card = cards.card_of(data, link.credential, now)
    qr_url = qr_text_of(link.credential, _base_url())
    page = render_template("wallet/shared.html", card=card, link=link, token=token, qr_url=qr_url)
    return page, 200, NO_STORE


@share_bp.get("/s/<string(maxlength=64):token>/qr.png")
@public
def shared_qr(token: str) -> ResponseReturnValue:
    """The QR code of a live share link."""
    try:
        link = shares.open_share_link(db.get_session(), token, now=_now())
    except (errors.ShareLinkGone, errors.ShareLinkUnknown) as exc:
        return Response(status=exc.http_status, headers=NO_STORE)
    png = image.render_png(qr_text_of(link.credential, _base_url()), box_size=QR_BOX)
    return Response(png, mimetype="image/png", headers=NO_STORE)


# -- offline: service worker, manifest, assets ----------------------------------------------


@bp.get("/sw.js")
@public
def service_worker() -> ResponseReturnValue:
    """The service worker; its scope is the whole wallet, ``/wallet`` included."""
    headers = {"Cache-Control": "no-cache", "Service-Worker-Allowed": url_for(".index")}
    return Response(page_assets.asset_bytes("wallet/assets", "sw.js"), mimetype="text/javascript", headers=headers)


@bp.get("/manifest.webmanifest")
@public
def manifest() -> ResponseReturnValue:
    """The web app manifest: the wallet can be added to the home screen."""
    body = {
        "name": _("My skills wallet"),
        "short_name": _("Skills wallet"),
        "start_url": url_for(".index"),
        "scope": url_for(".index"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b3d91",
        "lang": current_language().code,
        "icons": [{"src": url_for(".asset", name="icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")


@bp.get("/assets/<name>")
@public
def asset(name: str) -> ResponseReturnValue:
    """The wallet's script, stylesheet and icon (same origin: no CDN, no web fonts, no inline script)."""
    return page_assets.asset_response("wallet/assets", name, ASSETS, ASSET_MAX_AGE)


# -- the provider's receipt ------------------------------------------------------------------


# -- small things ---------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def _verify_url() -> str:
    return _base_url() + "/verify"


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the wallet (no open redirect)."""
    if not target or not target.startswith("/wallet") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None
