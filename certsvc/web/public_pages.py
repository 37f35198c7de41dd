"""Every URI inside a credential answers: the credential, its issuer, its qualification (HTML or JSON).

Content negotiation: HTML for people (a request that prefers ``text/html``), JSON for
machines (anything else, including no ``Accept`` header at all).

- ``GET /o/<slug>``: the organisation's public profile; as JSON, its Open Badges ``Profile``
  that is at the same time the JWK Set of its keys (so a header ``kid`` such as
  ``{base}/o/klwa#k3`` dereferences with any JOSE library).
- ``GET /o/<slug>/q/<code>``: the qualification (``achievement.id``, ``criteria.id`` and our own
  framework alignments' ``targetUrl``): what it is and the level it sits at.
- ``GET /c/<public id>``: the credential's status right now, no personal data.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue

from certsvc.accounts import organisations
from certsvc.accounts.access import public
from certsvc.credentials.errors import CertsvcError
from certsvc.store import db
from certsvc.web import public_records
from certsvc.web.i18n import gettext as _
from certsvc.web.published_keys import key_set_response

bp = Blueprint("public_pages", __name__)
PAGE_MAX_AGE = 300
MAX_PUBLIC_ID = 32


class PublicRecordNotFound(CertsvcError):
    """No public record at this address."""

    code = "not_found"
    http_status = 404


@bp.get("/o/<slug>")
@public
def organisation(slug: str) -> ResponseReturnValue:
    """The organisation's profile: HTML for people, the Profile and JWK Set for machines."""
    session = db.get_session()
    org = organisations.get_organisation(session, slug)
    profile = public_records.organisation_profile(session, org, _base())
    if not wants_html():
        response = key_set_response(profile, "application/json")
        response.vary.add("Accept")
        return response
    return _page("public/organisation.html", profile=profile, max_age=PAGE_MAX_AGE)


@bp.get("/o/<slug>/q/<code>")
@public
def qualification(slug: str, code: str) -> ResponseReturnValue:
    """The qualification as an Achievement, with its level and who recognises it."""
    session = db.get_session()
    org = organisations.get_organisation(session, slug)
    try:
        record = public_records.qualification_record(session, org, code, _base())
    except public_records.NotPublished as exc:
        raise PublicRecordNotFound(_("There is no such qualification.")) from exc
    if not wants_html():
        return _json(record, PAGE_MAX_AGE)
    return _page("public/qualification.html", achievement=record, max_age=PAGE_MAX_AGE)


@bp.get("/c/<public_id>")
@public
def credential(public_id: str) -> ResponseReturnValue:
    """A credential's status right now (no personal data: only the QR code carries that)."""
    if len(public_id) > MAX_PUBLIC_ID or not public_id.isalnum():
        raise PublicRecordNotFound(_("There is no such credential."))
    try:
        status = public_records.credential_status(db.get_session(), public_id, _base())
    except public_records.NotPublished as exc:
        raise PublicRecordNotFound(_("There is no such credential.")) from exc
    if not wants_html():
        return _json(status, 0)
    return _page("public/credential.html", status=status, max_age=0)


def wants_html() -> bool:
    """Whether the client prefers HTML to JSON (browsers do; libraries and no Accept header do not)."""
    accepted = request.accept_mimetypes
    return accepted["text/html"] > accepted["application/json"]


def _json(body: dict[str, Any], max_age: int) -> Response:
    response = Response(json.dumps(body, separators=(",", ":"), ensure_ascii=False), mimetype="application/json")
    return _cacheable(response, max_age)


def _page(template: str, *, max_age: int, **context: Any) -> Response:
    return _cacheable(Response(render_template(template, **context), mimetype="text/html"), max_age)


def _cacheable(response: Response, max_age: int) -> Response:
    response.vary.add("Accept")
    response.headers["Access-Control-Allow-Origin"] = "*"
    if max_age:
        response.cache_control.public = True
        response.cache_control.max_age = max_age
    else:
        # A status is served as it is now: caches must ask again.
        response.cache_control.no_cache = True
    return response


def _base() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")
