"""The staff pages' shared stylesheet and script (provider, embassy, imports, authority), same origin.

Served from ``templates/staff/`` with a content digest in the address, so a new release is
fetched at once while an unchanged file stays cached.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Flask, url_for
from flask.typing import ResponseReturnValue

from certsvc.accounts.access import public
from certsvc.web import page_assets

bp = Blueprint("staff_assets", __name__, url_prefix="/staff/assets")

FOLDER = "staff"
ASSETS = frozenset({"staff.css", "staff.js"})
#: Long-lived: the address changes with the content (``?v=`` digest).
ASSET_MAX_AGE = 7 * 24 * 3600


@bp.get("/<name>")
@public
def asset(name: str) -> ResponseReturnValue:
    """One of the staff pages' assets."""
    return page_assets.asset_response(FOLDER, name, ASSETS, ASSET_MAX_AGE)


def staff_asset_url(name: str) -> str:
    """The address of a staff asset, carrying a digest of its content."""
    digest = hashlib.sha256(page_assets.asset_bytes(FOLDER, name)).hexdigest()[:12]
    return url_for("staff_assets.asset", name=name, v=digest)


def init_app(app: Flask) -> None:
    """Serve the assets and let templates link them with ``staff_asset_url``."""
    app.register_blueprint(bp)
    app.jinja_env.globals["staff_asset_url"] = staff_asset_url
