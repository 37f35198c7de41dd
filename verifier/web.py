"""The public verification page: the QR landing URL, upload, paste, the result and the ID check.

The QR code opens ``/V#<digits>`` (the URL is upper-cased in the QR code; ``/v`` works too).
The fragment never reaches the server: the page's script reads it, posts it to the API and
shows the result. Without script the page offers the upload and paste forms, whose results
are rendered here on the server with the same template.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from certsvc.accounts.access import anonymous, public
from certsvc.credentials.errors import ImageError, ImageTooLarge, InputTooLarge
from certsvc.qr.errors import MultipleQRCodes
from certsvc.web import page_assets
from certsvc.web.i18n import gettext as _
from verifier import api, counting, documents, limits, offline_web, web_messages

bp = Blueprint("verify", __name__)
ASSETS = frozenset({"verify.js", "verify.css"})
ASSET_MAX_AGE = 24 * 3600


def init_app(app: Flask) -> None:
    """Register the verifier: limits, the document cache, the page and the API."""
    limits.init_app(app)
    documents.init_app(app)
    counting.init_app(app)
    app.register_blueprint(bp)
    api.init_app(app)
    app.register_blueprint(offline_web.bp)


@bp.get("/verify")
@public
def page() -> ResponseReturnValue:
    """The verification page with the scan, upload and paste inputs."""
    return _page()


@bp.get("/v")
@bp.get("/V")
@public
def landing() -> ResponseReturnValue:
    """Where the QR code leads: the page's script verifies the credential after '#'."""
    return _page(landing=True)


@bp.post("/verify")
@anonymous
def check() -> ResponseReturnValue:
    """Verify an uploaded picture of the QR code or pasted text, and show the result."""
    limits.check_rate("verify")
    try:
        upload = request.files.get("image")
        unverified_text = api.read_image(upload) if upload is not None else request.form.get("credential", "")
        if not unverified_text.strip():
            return _page(error=_("Choose a picture of the QR code or paste its text."), status=400)
        limits.check_length(unverified_text)
    except (RequestEntityTooLarge, ImageTooLarge, InputTooLarge):
        return _page(error=_("The file is too large. Use a photo or screenshot under 5 MB."), status=413)
    except MultipleQRCodes:
        return _page(error=_("The picture shows more than one QR code. Photograph one code at a time."), status=422)
    except ImageError:
        return _page(
            error=_("No QR code was found in the picture. Try a sharper photo, closer to the code."), status=422
        )
    now = datetime.now(UTC)
    result = api.verify_and_count([unverified_text], now)[0].to_dict()
    return _page(result=result, credential_text=unverified_text, now=now)


@bp.post("/verify/id-check")
@anonymous
def id_check() -> ResponseReturnValue:
    """Compare a typed ID document number with the credential's protected copy; never show the number."""
    limits.check_rate("verify")
    unverified_text = request.form.get("credential", "")
    typed = request.form.get("id_number", "")
    if not unverified_text.strip() or len(typed) > api.MAX_ID_NUMBER_CHARS:
        return _page(error=_("Check a credential first, then type the ID number."), status=400)
    limits.check_length(unverified_text)
    now = datetime.now(UTC)
    result, matches = api.check_id_number(unverified_text, typed, now)
    return _page(result=result.to_dict(), credential_text=unverified_text, now=now, id_match=matches)


@bp.get("/verify/assets/<name>")
@public
def asset(name: str) -> ResponseReturnValue:
    """The page's script and stylesheet (same origin: no CDN, no inline script)."""
    return page_assets.asset_response("verify", name, ASSETS, ASSET_MAX_AGE)


def _page(
    *,
    result: dict[str, Any] | None = None,
    credential_text: str | None = None,
    now: datetime | None = None,
    id_match: bool | None = None,
    error: str | None = None,
    landing: bool = False,
    status: int = 200,
) -> ResponseReturnValue:
    view = None
    if result is not None:
        view = web_messages.result_view(result, checked_at=now or datetime.now(UTC), site=request.host)
    html = render_template(
        "verify/page.html",
        view=view,
        credential_text=credential_text,
        id_match=id_match,
        error=error,
        landing=landing,
    )
    response = Response(html, status=status, mimetype="text/html")
    if view is not None:
        # A result shows personal data: no cache keeps it.
        response.headers["Cache-Control"] = "no-store"
    return response
