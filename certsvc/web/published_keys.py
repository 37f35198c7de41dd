"""Public keys anyone may fetch without an account, in the forms JOSE libraries and Open Badges expect.

- ``GET /orgs/<slug>/jwks.json``: the organisation's keys with RFC 7638 thumbprints as ``kid``
  (the first published form, kept for verifiers that pinned it).
- ``GET /o/<slug>/.well-known/jwks.json`` and ``GET /.well-known/jwks.json`` (every organisation):
  RFC 7517 JWK Sets whose ``kid`` is the key's URI, ``{base}/o/{slug}#k{n}``, exactly as JWS
  headers name it; each JWK keeps its thumbprint in ``jkt``. ``GET /o/<slug>`` (the key URI
  without its fragment) answers machines with the organisation's Profile, which is the same
  JWK Set at once (``public_pages``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.accounts import organisations
from certsvc.accounts.access import public
from certsvc.store import db, keystore
from certsvc.store.models import Organisation, SigningKeyRecord
from certsvc.store.signers import key_uri_of

bp = Blueprint("published", __name__, url_prefix="/orgs")
well_known = Blueprint("well_known_keys", __name__)
JWKS_MAX_AGE = 300


def key_set_entries(session: Session, base_url: str, org: Organisation | None = None) -> list[dict[str, Any]]:
    """Every key ever used (by ``org``, or by everyone), as JWKs named by their URI, with state and validity."""
    statement = select(SigningKeyRecord, Organisation).join(Organisation, Organisation.id == SigningKeyRecord.org_id)
    if org is not None:
        statement = statement.where(SigningKeyRecord.org_id == org.id)
    rows = session.execute(statement.order_by(SigningKeyRecord.id)).all()
    return [_jwk(record, owner, base_url) for record, owner in rows]


def _jwk(record: SigningKeyRecord, org: Organisation, base_url: str) -> dict[str, Any]:
    # kid: the URI the JWS headers name; jkt: the RFC 7638 thumbprint (the kid of the first published
    # form, /orgs/<slug>/jwks.json).
    return {**keystore.public_entry(record), "kid": key_uri_of(record, org, base_url), "jkt": record.kid}


@bp.get("/<slug>/jwks.json")
@public
def jwks(slug: str) -> ResponseReturnValue:
    """Return the organisation's public keys, old and compromised ones included, with their state."""
    session = db.get_session()
    org = organisations.get_organisation(session, slug)
    return key_set_response(keystore.public_jwks(session, org))


@well_known.get("/.well-known/jwks.json")
@public
def service_key_set() -> ResponseReturnValue:
    """Every organisation's keys, named by the URIs JWS headers carry."""
    return key_set_response({"keys": key_set_entries(db.get_session(), _base())})


@well_known.get("/o/<slug>/.well-known/jwks.json")
@public
def organisation_key_set(slug: str) -> ResponseReturnValue:
    """One organisation's keys at ``{issuer}/.well-known/jwks.json``, named by the URIs JWS headers carry."""
    session = db.get_session()
    org = organisations.get_organisation(session, slug)
    return key_set_response({"keys": key_set_entries(session, _base(), org)})


def key_set_response(body: dict[str, Any], media_type: str = keystore.JWKS_MEDIA_TYPE) -> Response:
    """A cacheable, cross-origin JSON document (a key set or a profile holding one)."""
    response = Response(json.dumps(body, sort_keys=True, separators=(",", ":")), mimetype=media_type)
    response.cache_control.public = True
    response.cache_control.max_age = JWKS_MAX_AGE
    # Verifiers run in browsers and offline apps on other origins.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.add_etag()
    return response.make_conditional(request)


def _base() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")
