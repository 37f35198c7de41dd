"""The JSON API for machine clients of providers and embassies, under ``/api/v1``.

Each view checks who asks and what was sent, calls one domain function and answers JSON.
A provider's token sees only its own learners and credentials, an embassy's token only
credentials of its nationals; anything else is answered 404, so ids are not disclosed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from certsvc.accounts.access import public, require_org_role, require_principal
from certsvc.credentials.trustlist import TrustList
from certsvc.qr.image import render_png, render_svg
from certsvc.qr.transport import encode_qr_text
from certsvc.store import db
from certsvc.store.credential_records import (
    VERIFY_PATH,
    cosigned_of,
    published_trust_lists,
    qr_text_of,
    status_value,
)
from certsvc.store.models import Credential, Learner, Organisation, OrgKind, Role, utcnow
from certsvc.store.signers import signer_for
from certsvc.wallet import claims
from certsvc.web import openapi
from issuers import api_batch as batch
from issuers import api_docs, lifecycle
from issuers import api_records as records
from issuers import api_schemas as schemas

bp = Blueprint("api", __name__, url_prefix="/api/v1")
openapi.add_paths(api_docs.PATHS, schemas=api_docs.SCHEMAS, tags=api_docs.TAGS)

WRITERS = (Role.ADMIN, Role.OFFICER)
PROVIDER = (OrgKind.PROVIDER,)
EMBASSY = (OrgKind.EMBASSY,)
PROVIDER_OR_EMBASSY = (OrgKind.PROVIDER, OrgKind.EMBASSY)
DOCS_MAX_AGE = 300
T = TypeVar("T")
_CODE_SPAN = re.compile(r"`([^`]+)`")


@bp.after_request
def _private(response: Response) -> Response:
    # Answers carry personal data: no shared or browser cache keeps them.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# -- learners --------------------------------------------------------------------------------


@bp.post("/learners")
@require_org_role(*WRITERS, kinds=PROVIDER)
def create_learner() -> ResponseReturnValue:
    """Register a learner (200 with the existing one on a repeated external_id)."""
    principal = require_principal()
    data = schemas.learner_data(_body(schemas.LEARNER_FIELDS), utcnow().date())
    session = db.get_session()
    learner, created = _committed(
        session, lambda: records.find_or_register_learner(session, principal.org, data, actor=principal.actor)
    )
    return _answer(learner_json(learner), created, url_for(".get_learner", learner_id=learner.id))


@bp.get("/learners")
@require_org_role(kinds=PROVIDER)
def list_learners() -> ResponseReturnValue:
    """List the provider's learners, oldest first."""
    principal = require_principal()
    query = schemas.parse_query(request.args, schemas.PAGE_PARAMETERS + schemas.LEARNER_FILTERS)
    statement = select(Learner).where(Learner.provider_id == principal.org.id)
    if query["external_id"]:
        statement = statement.where(Learner.external_id == query["external_id"])
    return jsonify(_page(db.get_session(), statement.order_by(Learner.id), query, learner_json))


@bp.get("/learners/<int(max=2147483647):learner_id>")  # ids are 32-bit in the database
@require_org_role(kinds=PROVIDER)
def get_learner(learner_id: int) -> ResponseReturnValue:
    """Return one of the provider's learners."""
    principal = require_principal()
    return jsonify(learner_json(records.own_learner(db.get_session(), principal.org, learner_id, "learner_id")))


# -- credentials -----------------------------------------------------------------------------


@bp.post("/credentials")
@require_org_role(*WRITERS, kinds=PROVIDER)
def create_credential() -> ResponseReturnValue:
    """Issue a credential (200 with the existing one on a repeated external_id)."""
    principal = require_principal()
    wanted = schemas.credential_request(_body(schemas.CREDENTIAL_FIELDS), utcnow().date())
    session = db.get_session()
    kek, base_url = current_app.config["KEY_ENCRYPTION_KEY"], current_app.config["BASE_URL"]

    made: list[claims.ClaimSecrets] = []

    def issue() -> tuple[Credential, bool]:
        credential, created = records.issue_once(
            session,
            principal.org,
            wanted,
            signer=lambda: signer_for(session, principal.org, kek, base_url),
            base_url=base_url,
            now=utcnow(),
            actor=principal.actor,
        )
        made.clear()
        if created:  # the learner's wallet claim code and PIN, answered once in this 201
            made.append(claims.create_claim(session, credential, kek=kek, actor=principal.actor))
        return credential, created

    credential, created = _committed(session, issue)
    body = credential_json(credential, principal.org, full=True)
    if created and made:
        body["claim"] = {"code": made[0].code, "pin": made[0].pin}
    return _answer(body, created, url_for(".get_credential", public_id=credential.public_id))


@bp.post("/credentials/batch")
@require_org_role(*WRITERS, kinds=PROVIDER)
def create_credentials() -> ResponseReturnValue:
    """Issue up to 100 credentials at once, all or nothing, through the cohort import's bulk path."""
    principal = require_principal()
    wanted = schemas.parse_batch(request.get_data(cache=False), request.mimetype or None, utcnow().date())
    session = db.get_session()
    kek, base_url = current_app.config["KEY_ENCRYPTION_KEY"], current_app.config["BASE_URL"]

    def issue() -> tuple[list[batch.BatchIssued], bool]:
        made = batch.issue_batch(
            session,
            principal.org,
            wanted,
            signer=lambda: signer_for(session, principal.org, kek, base_url),
            base_url=base_url,
            now=utcnow(),
            actor=principal.actor,
            kek=kek,
        )
        return made, any(item.claim is not None for item in made)

    made, created = _committed(session, issue)
    # One trust-list lookup per nationality, not per credential: it was most of a batch's answer.
    trust_lists: dict[str, list[TrustList]] = {}
    items = []
    for item in made:
        nationality = item.credential.learner.nationality
        if nationality not in trust_lists:
            trust_lists[nationality] = published_trust_lists(session, item.credential)
        body = credential_json(item.credential, principal.org, full=True, trust_lists=trust_lists[nationality])
        body["created"] = item.claim is not None
        if item.claim is not None:  # the learner's wallet claim code and PIN, answered once here
            body["claim"] = {"code": item.claim.code, "pin": item.claim.pin}
        items.append(body)
    return jsonify({"credentials": items}), 201 if created else 200


@bp.get("/credentials")
@require_org_role(kinds=PROVIDER_OR_EMBASSY)
def list_credentials() -> ResponseReturnValue:
    """List the credentials the caller may see, oldest first; filter by state, kind, external_id."""
    principal = require_principal()
    query = schemas.parse_query(request.args, schemas.PAGE_PARAMETERS + schemas.CREDENTIAL_FILTERS)
    statement = records.visible_credentials(principal.org)
    for name in ("state", "kind", "external_id"):
        if query[name]:
            statement = statement.where(getattr(Credential, name) == query[name])
    statement = statement.options(
        selectinload(Credential.learner), selectinload(Credential.provider), selectinload(Credential.embassy)
    ).order_by(Credential.id)
    org = principal.org
    return jsonify(_page(db.get_session(), statement, query, lambda c: credential_json(c, org, full=False)))


@bp.get("/credentials/<string(maxlength=32):public_id>")
@require_org_role(kinds=PROVIDER_OR_EMBASSY)
def get_credential(public_id: str) -> ResponseReturnValue:
    """Return a credential with its co-signed JWS and QR text."""
    principal = require_principal()
    credential = records.find_credential(db.get_session(), principal.org, public_id)
    return jsonify(credential_json(credential, principal.org, full=True))


@bp.get("/credentials/<string(maxlength=32):public_id>/qr.png")
@require_org_role(kinds=PROVIDER_OR_EMBASSY)
def qr_png(public_id: str) -> ResponseReturnValue:
    """Draw the credential's QR code as PNG."""
    return _qr(public_id, render_png, "image/png", "png")


@bp.get("/credentials/<string(maxlength=32):public_id>/qr.svg")
@require_org_role(kinds=PROVIDER_OR_EMBASSY)
def qr_svg(public_id: str) -> ResponseReturnValue:
    """Draw the credential's QR code as SVG."""
    return _qr(public_id, render_svg, "image/svg+xml", "svg")


@bp.post("/credentials/<string(maxlength=32):public_id>/cosign")
@require_org_role(*WRITERS, kinds=EMBASSY)
def cosign(public_id: str) -> ResponseReturnValue:
    """Co-sign, as the embassy of the holder's nationality."""

    def act(session: Session, org: Organisation, credential: Credential, _: dict[str, Any], actor: str) -> None:
        signer = signer_for(session, org, current_app.config["KEY_ENCRYPTION_KEY"], current_app.config["BASE_URL"])
        lifecycle.cosign(session, org, credential, signer=signer, now=utcnow(), actor=actor)

    return _change(public_id, schemas.NO_FIELDS, act)


@bp.post("/credentials/<string(maxlength=32):public_id>/reject")
@require_org_role(*WRITERS, kinds=EMBASSY)
def reject(public_id: str) -> ResponseReturnValue:
    """Refuse to co-sign, with a reason code from the fixed list and a note the provider sees."""
    return _change(
        public_id,
        schemas.REJECT_FIELDS,
        lambda session, org, credential, body, actor: lifecycle.reject(
            session, org, credential, body["reason_code"], body["reason"] or "", now=utcnow(), actor=actor
        ),
    )


@bp.post("/credentials/<string(maxlength=32):public_id>/withdraw")
@require_org_role(*WRITERS, kinds=EMBASSY)
def withdraw(public_id: str) -> ResponseReturnValue:
    """Withdraw the embassy's co-signature, with a reason."""
    return _change(
        public_id,
        schemas.REASON_FIELDS,
        lambda session, org, credential, body, actor: lifecycle.withdraw(
            session, org, credential, body["reason"], now=utcnow(), actor=actor
        ),
    )


@bp.post("/credentials/<string(maxlength=32):public_id>/revoke")
@require_org_role(*WRITERS, kinds=PROVIDER)
def revoke(public_id: str) -> ResponseReturnValue:
    """Revoke for good, with a reason."""
    return _change(
        public_id,
        schemas.REASON_FIELDS,
        lambda session, org, credential, body, actor: lifecycle.revoke(
            session, org, credential, body["reason"], now=utcnow(), actor=actor
        ),
    )


@bp.post("/credentials/<string(maxlength=32):public_id>/suspend")
@require_org_role(*WRITERS, kinds=PROVIDER)
def suspend(public_id: str) -> ResponseReturnValue:
    """Suspend until reinstated, with a reason."""
    return _change(
        public_id,
        schemas.REASON_FIELDS,
        lambda session, org, credential, body, actor: lifecycle.suspend(
            session, org, credential, body["reason"], now=utcnow(), actor=actor
        ),
    )


@bp.post("/credentials/<string(maxlength=32):public_id>/reinstate")
@require_org_role(*WRITERS, kinds=PROVIDER)
def reinstate(public_id: str) -> ResponseReturnValue:
    """Lift a suspension."""
    return _change(
        public_id,
        schemas.NO_FIELDS,
        lambda session, org, credential, _, actor: lifecycle.reinstate(
            session, org, credential, now=utcnow(), actor=actor
        ),
    )


# -- the API's own description ---------------------------------------------------------------


@bp.get("/openapi.json")
@public
def openapi_document() -> ResponseReturnValue:
    """Serve the OpenAPI 3.1 document."""
    response = jsonify(openapi.build_document(current_app.config["BASE_URL"]))
    response.headers["Access-Control-Allow-Origin"] = "*"  # for API tools running on other origins
    return _cacheable(response)


@bp.get("/docs")
@public
def docs() -> ResponseReturnValue:
    """Show the API documentation, rendered from the OpenAPI document."""
    document = openapi.build_document(current_app.config["BASE_URL"])
    schemas_shown = {
        name: openapi.schema_fields(document, schema) for name, schema in document["components"]["schemas"].items()
    }
    page = render_template(
        "api/docs.html",
        document=document,
        operations=openapi.operations(document),
        schemas=schemas_shown,
        inline=_inline,
    )
    return _cacheable(Response(page, mimetype="text/html"))


# -- what the views call ---------------------------------------------------------------------


def learner_json(learner: Learner) -> dict[str, Any]:
    """A learner as the API shows it: never the ID number, its hash or its salt."""
    return {
        "id": learner.id,
        "external_id": learner.external_id,
        "name": learner.name,
        "birth_date": learner.birth_date.isoformat(),
        "nationality": learner.nationality,
        "sex": learner.sex.value if learner.sex else None,
        "created_at": _iso(learner.created_at),
        "links": {"self": url_for(".get_learner", learner_id=learner.id)},
    }


def credential_json(
    credential: Credential, viewer: Organisation, *, full: bool, trust_lists: list[TrustList] | None = None
) -> dict[str, Any]:
    """A credential as the API shows it; ``full`` adds the signed credential and its QR text.

    ``trust_lists`` are the published trust lists of the holder's country when the caller
    looked them up already (a batch does so once per nationality).
    """
    learner, embassy = credential.learner, credential.embassy
    body: dict[str, Any] = {
        "id": credential.public_id,
        "state": credential.state.value,
        "status": status_value(credential).name.lower(),
        "kind": credential.kind.value,
        "qualification_code": credential.qualification_code,
        "holder": {
            "name": learner.name,
            "birth_date": learner.birth_date.isoformat(),
            "nationality": learner.nationality,
        },
        "provider": {"slug": credential.provider.slug, "name": credential.provider.name},
        "embassy": {"slug": embassy.slug, "name": embassy.name} if embassy is not None else None,
        "issued_at": _iso(credential.issued_at),
        "cosigned_at": _iso(credential.cosigned_at),
        "withdrawn_at": _iso(credential.withdrawn_at),
        "revoked_at": _iso(credential.revoked_at),
        "reject_reason_code": credential.reject_code,
        "reject_reason": credential.reject_reason,
        "reason": credential.reason,
    }
    if viewer.kind is OrgKind.PROVIDER:
        body.update(learner_id=credential.learner_id, external_id=credential.external_id)
    if full:
        signed = cosigned_of(credential)
        body["credential"] = {"general_json": signed.to_json(), "compact": signed.compacts()}
        base_url = current_app.config["BASE_URL"]
        if trust_lists is None:
            body["qr_text"] = qr_text_of(credential, base_url)
        else:
            body["qr_text"] = encode_qr_text(signed, base_url + VERIFY_PATH, trust_lists)
    public_id = credential.public_id
    body["links"] = {
        "self": url_for(".get_credential", public_id=public_id),
        "qr_png": url_for(".qr_png", public_id=public_id),
        "qr_svg": url_for(".qr_svg", public_id=public_id),
    }
    return body


# -- plumbing --------------------------------------------------------------------------------


def _body(fields: tuple[schemas.Field, ...], *, optional: bool = False) -> dict[str, Any]:
    return schemas.parse_body(request.get_data(cache=False), request.mimetype or None, fields, optional=optional)


def _committed(session: Session, action: Callable[[], tuple[T, bool]]) -> tuple[T, bool]:
    """Run ``action`` and commit; if a concurrent request took the same external id, answer with its record."""
    try:
        result = action()
        session.commit()
    except IntegrityError:
        session.rollback()
        result = action()  # now finds the other request's record (or raises the real problem)
        session.commit()
    return result


def _change(
    public_id: str,
    fields: tuple[schemas.Field, ...],
    act: Callable[[Session, Organisation, Credential, dict[str, Any], str], Any],
) -> ResponseReturnValue:
    """Check the body, lock the credential, apply one lifecycle change and answer the credential."""
    principal = require_principal()
    body = _body(fields, optional=not fields)
    session = db.get_session()
    credential = records.find_credential(session, principal.org, public_id, for_update=True)
    act(session, principal.org, credential, body, principal.actor)
    session.commit()
    return jsonify(credential_json(credential, principal.org, full=True))


def _qr(public_id: str, render: Callable[[str], bytes], mimetype: str, extension: str) -> ResponseReturnValue:
    principal = require_principal()
    credential = records.find_credential(db.get_session(), principal.org, public_id)
    image = render(qr_text_of(credential, current_app.config["BASE_URL"]))
    response = Response(image, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="credential-{credential.public_id}.{extension}"'
    return response


def _page(
    session: Session, statement: Select[T], query: dict[str, Any], render: Callable[[T], dict[str, Any]]
) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    limit, offset = query["limit"], query["offset"]
    items = [render(row) for row in session.scalars(statement.limit(limit).offset(offset))]
    following = offset + len(items)
    return {
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": following if following < total else None,
    }


def _answer(body: dict[str, Any], created: bool, location: str) -> ResponseReturnValue:
    if created:
        return jsonify(body), 201, {"Location": location}
    return jsonify(body), 200


def _cacheable(response: Response) -> Response:
    response.cache_control.public = True
    response.cache_control.max_age = DOCS_MAX_AGE
    return response


def _inline(text: str) -> Markup:
    """Escape ``text`` and show its `code spans` as code (the only markup descriptions use)."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))  # noqa: S704 - escaped first


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    return str(moment.isoformat().replace("+00:00", "Z"))
