"""The front door ``/`` (check a credential, open my wallet, staff sign-in) and the site's icons."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, render_template, request
from flask.typing import ResponseReturnValue

from certsvc.accounts.access import current_principal, public
from certsvc.web import page_assets, workspace

bp = Blueprint("home", __name__)
#: The icons never change under one name: a day in every cache, then revalidated by ETag.
ICON_MAX_AGE = 24 * 3600
ICONS = {
    "favicon.svg": "image/svg+xml",
    "favicon.ico": "image/vnd.microsoft.icon",
    "apple-touch-icon.png": "image/png",
}


def init_app(app: Flask) -> None:
    """Register the front door and give every template its user's workspace link."""
    app.register_blueprint(bp)
    app.context_processor(lambda: {"workspace_url": workspace.workspace_url(current_principal())})


@bp.get("/")
def index() -> ResponseReturnValue:
    """The front door: employers check a credential, workers open their wallet, staff sign in."""
    # The page differs for signed-in staff (a link to their workspace): never shared between users.
    return render_template("home/index.html"), 200, {"Cache-Control": "private, no-cache", "Vary": "Cookie"}


@bp.get("/favicon.ico", defaults={"name": "favicon.ico"})
@bp.get("/favicon.svg", defaults={"name": "favicon.svg"})
@bp.get("/apple-touch-icon.png", defaults={"name": "apple-touch-icon.png"})
@public
def icon(name: str) -> ResponseReturnValue:
    """The site icon: SVG for browsers that take it, ICO and PNG for the others."""
    response = Response(page_assets.asset_bytes("home", name), mimetype=ICONS[name])
    response.cache_control.public = True
    response.cache_control.max_age = ICON_MAX_AGE
    response.add_etag()
    return response.make_conditional(request)
