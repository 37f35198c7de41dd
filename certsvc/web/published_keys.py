"""Public documents anyone may fetch without an account: each organisation's JWKS."""

from __future__ import annotations

import json

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from certsvc.accounts import organisations
from certsvc.accounts.access import public
from certsvc.store import db, keystore

bp = Blueprint("published", __name__, url_prefix="/orgs")
JWKS_MAX_AGE = 300


@bp.get("/<slug>/jwks.json")
@public
def jwks(slug: str) -> ResponseReturnValue:
    """Return the organisation's public keys, old and compromised ones included, with their state."""
    session = db.get_session()
    org = organisations.get_organisation(session, slug)
    body = json.dumps(keystore.public_jwks(session, org), sort_keys=True, separators=(",", ":"))
    response = Response(body, mimetype=keystore.JWKS_MEDIA_TYPE)
    response.cache_control.public = True
    response.cache_control.max_age = JWKS_MAX_AGE
    # Verifiers run in browsers and offline apps on other origins.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.add_etag()
    return response.make_conditional(request)
