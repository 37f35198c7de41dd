"""Public signed documents under each organisation's URI: status lists and trust lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue

from certsvc.accounts import organisations
from certsvc.accounts.access import public
from certsvc.authority import publishing
from certsvc.store import db, status_lists
from certsvc.store.models import OrgKind

bp = Blueprint("lists", __name__, url_prefix="/o")
STATUS_LIST_MEDIA_TYPE = "application/statuslist+jwt"
TRUST_LIST_MEDIA_TYPE = "application/trustlist+jwt"
VERSION_MAX_AGE = 365 * 24 * 3600


@bp.get("/<slug>/status/<int:number>")
@public
def status_list(slug: str, number: int) -> ResponseReturnValue:
    """Return a signed status list; caches may keep it for its ttl."""
    session = db.get_session()
    cache, now = status_list_cache(), _now()
    found = status_lists.cached_token(session, slug, number, cache, now)
    if found is None:
        org = organisations.get_organisation(session, slug)
        kek = current_app.config["KEY_ENCRYPTION_KEY"]
        found = status_lists.status_list_token(session, org, number, base_url=_base(), kek=kek, now=now, cache=cache)
    token, max_age = found
    return _document(token, STATUS_LIST_MEDIA_TYPE, max_age)


@bp.get("/<slug>/trust-list")
@public
def trust_list(slug: str) -> ResponseReturnValue:
    """Return the authority's newest trust list (a new version is signed when its contents change)."""
    session = db.get_session()
    authority = _authority(session, slug)
    version = publishing.publish_trust_list(
        session, authority, base_url=_base(), kek=current_app.config["KEY_ENCRYPTION_KEY"], now=_now()
    )
    session.commit()
    return _document(version.token, TRUST_LIST_MEDIA_TYPE, publishing.TRUST_TTL)


@bp.get("/<slug>/trust-list/<int:sequence>")
@public
def trust_list_version(slug: str, sequence: int) -> ResponseReturnValue:
    """Return one earlier version of the trust list (immutable)."""
    session = db.get_session()
    authority = _authority(session, slug)
    found = next((v for v in publishing.trust_list_versions(session, authority) if v.sequence == sequence), None)
    if found is None:
        raise status_lists.DocumentNotFound("no such trust list version")
    return _document(found.token, TRUST_LIST_MEDIA_TYPE, VERSION_MAX_AGE)


@bp.get("/<slug>/trust-list/versions")
@public
def trust_list_versions(slug: str) -> ResponseReturnValue:
    """List every published version, newest first."""
    session = db.get_session()
    authority = _authority(session, slug)
    versions = [
        {
            "sequence": v.sequence,
            "issued_at": v.issued_at.isoformat(),
            "url": f"{_base()}/o/{slug}/trust-list/{v.sequence}",
        }
        for v in publishing.trust_list_versions(session, authority)
    ]
    return _json({"authority": slug, "versions": versions}, status_lists.STATUS_TTL)


@bp.get("/<slug>/anchor.json")
@public
def anchor(slug: str) -> ResponseReturnValue:
    """The authority's keys as trust anchors, each bound to it and its country (for ``certsvc verify --anchor``)."""
    session = db.get_session()
    authority = _authority(session, slug)
    anchors = publishing.authority_anchors(session, authority, _base())
    return _json([a.to_json() for a in anchors], publishing.TRUST_TTL)


def status_list_cache() -> status_lists.StatusListCache:
    """This app's cache of signed status lists (shared with the verifier's documents)."""
    cache: status_lists.StatusListCache = current_app.extensions.setdefault(
        status_lists.CACHE_EXTENSION, status_lists.StatusListCache()
    )
    return cache


def _authority(session, slug: str):  # type: ignore[no-untyped-def]
    org = organisations.get_organisation(session, slug)
    if org.kind is not OrgKind.AUTHORITY:
        raise status_lists.DocumentNotFound("only origin authorities publish trust lists")
    return org


def _document(token: str, media_type: str, max_age: int) -> Response:
    response = Response(token, mimetype=media_type)
    return _cacheable(response, max_age)


def _json(body: object, max_age: int) -> Response:
    response = Response(json.dumps(body, separators=(",", ":")), mimetype="application/json")
    return _cacheable(response, max_age)


def _cacheable(response: Response, max_age: int) -> Response:
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    # Verifiers run on other origins (offline apps, other services).
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.add_etag()
    return response.make_conditional(request)


def _base() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def _now() -> datetime:
    return datetime.now(UTC)
