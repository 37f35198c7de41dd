"""Embassy officers in the browser: the co-sign queue, review, co-sign, reject and withdraw.

An embassy sees only credentials of its own nationals that were routed to it or to no
embassy yet; anything else is answered 404, as if it did not exist.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from certsvc.accounts.access import require_org_role, require_principal
from certsvc.store import db
from certsvc.store.models import Credential, CredentialState, Learner, Organisation, OrgKind, Qualification, Role
from certsvc.store.signers import Signer, signer_for
from certsvc.web.i18n import gettext as _
from certsvc.web.i18n import ngettext
from certsvc.web.pages import MAX_PUBLIC_ID, PAGE_SIZE, page_number
from issuers import issuance, lifecycle
from issuers.forms import ActionForm, ReasonForm
from issuers.lifecycle import NotYours, ReasonRequired, StateConflict

bp = Blueprint("embassy", __name__, url_prefix="/embassy")

MAX_SELECTION = 200
reads = require_org_role(kinds=(OrgKind.EMBASSY,))
writes = require_org_role(Role.ADMIN, Role.OFFICER, kinds=(OrgKind.EMBASSY,))


@bp.get("/")
@reads
def queue() -> ResponseReturnValue:
    """Credentials of the embassy's nationals awaiting its co-signature, oldest first."""
    return _queue_page()


@bp.post("/cosign")
@writes
def cosign_selection() -> ResponseReturnValue:
    """Co-sign every selected credential, all or none."""
    principal, session, form = require_principal(), db.get_session(), ActionForm()
    unverified_ids = list(dict.fromkeys(request.form.getlist("credential")))
    if not form.validate_on_submit() or not unverified_ids:
        return _queue_page(error=_("Select at least one credential to co-sign.")), 400
    if len(unverified_ids) > MAX_SELECTION:
        return _queue_page(error=_("Select at most %(n)s credentials at once.", n=MAX_SELECTION)), 400
    selected = [_own_credential(public_id, for_update=True) for public_id in unverified_ids]
    signer = _signer()
    now = datetime.now(UTC)
    try:
        for found in selected:
            lifecycle.cosign(session, principal.org, found, signer=signer, now=now, actor=principal.actor)
    except StateConflict as exc:
        session.rollback()
        return _queue_page(error=_("Nothing was co-signed: %(reason)s", reason=exc.message)), exc.http_status
    session.commit()
    flash(ngettext("%(num)s credential co-signed.", "%(num)s credentials co-signed.", len(selected)))
    return redirect(url_for(".queue"))


@bp.get("/cosigned")
@reads
def cosigned() -> ResponseReturnValue:
    """Credentials this embassy co-signed, newest first, with their withdrawal state."""
    embassy, page = require_principal().org, page_number()
    listed = (
        db.get_session()
        .scalars(
            _scoped(embassy)
            .where(Credential.embassy_id == embassy.id, Credential.cosign_jws.is_not(None))
            .order_by(Credential.cosigned_at.desc(), Credential.id.desc())
            .limit(PAGE_SIZE + 1)
            .offset((page - 1) * PAGE_SIZE)
        )
        .all()
    )
    return render_template(
        "embassy/cosigned.html",
        credentials=listed[:PAGE_SIZE],
        page=page,
        has_next=len(listed) > PAGE_SIZE,
        qualifications=_qualification_names(listed),
    )


@bp.get("/credentials/<public_id>")
@reads
def credential(public_id: str) -> ResponseReturnValue:
    """Everything the embassy needs to decide: holder, qualification, provider, dates, kind and evidence."""
    return _detail_page(_own_credential(public_id))


@bp.post("/credentials/<public_id>/cosign")
@writes
def cosign(public_id: str) -> ResponseReturnValue:
    """Co-sign one credential."""
    principal, session = require_principal(), db.get_session()
    found = _own_credential(public_id, for_update=True)
    if not ActionForm().validate_on_submit():
        return _detail_page(found), 400
    try:
        lifecycle.cosign(session, principal.org, found, signer=_signer(), now=datetime.now(UTC), actor=principal.actor)
    except StateConflict as exc:
        session.rollback()
        return _detail_page(_own_credential(public_id), error=exc.message), exc.http_status
    session.commit()
    flash(_("Credential %(id)s co-signed.", id=found.public_id))
    return redirect(url_for(".queue"))


@bp.post("/credentials/<public_id>/reject")
@writes
def reject(public_id: str) -> ResponseReturnValue:
    """Refuse to co-sign, with a reason the provider sees."""
    return _with_reason(public_id, "reject")


@bp.post("/credentials/<public_id>/withdraw")
@writes
def withdraw(public_id: str) -> ResponseReturnValue:
    """Withdraw this embassy's co-signature, with a reason; the status list shows it."""
    return _with_reason(public_id, "withdraw")


WITH_REASON = {"reject": lifecycle.reject, "withdraw": lifecycle.withdraw}
DONE = {"reject": "Credential %(id)s rejected.", "withdraw": "Co-signature of credential %(id)s withdrawn."}
AFTER = {"reject": ".queue", "withdraw": ".cosigned"}


def _with_reason(public_id: str, action: str) -> ResponseReturnValue:
    principal, session = require_principal(), db.get_session()
    found = _own_credential(public_id, for_update=True)
    form = ReasonForm(prefix=action)
    if not form.validate_on_submit():
        return _detail_page(found, **{action: form}), 400
    try:
        WITH_REASON[action](
            session, principal.org, found, form.reason.data or "", now=datetime.now(UTC), actor=principal.actor
        )
    except (StateConflict, ReasonRequired) as exc:
        session.rollback()
        return _detail_page(_own_credential(public_id), error=exc.message, **{action: form}), exc.http_status
    session.commit()
    flash(_(DONE[action], id=found.public_id))
    return redirect(url_for(AFTER[action]))


# -- pages --------------------------------------------------------------------------------


def _queue_page(error: str | None = None) -> str:
    embassy, page = require_principal().org, page_number()
    listed = (
        db.get_session()
        .scalars(
            _scoped(embassy)
            .where(Credential.state == CredentialState.AWAITING_COSIGN)
            .order_by(Credential.issued_at, Credential.id)
            .limit(PAGE_SIZE + 1)
            .offset((page - 1) * PAGE_SIZE)
        )
        .all()
    )
    return render_template(
        "embassy/queue.html",
        credentials=listed[:PAGE_SIZE],
        page=page,
        has_next=len(listed) > PAGE_SIZE,
        qualifications=_qualification_names(listed),
        form=ActionForm(formdata=None),
        error=error,
    )


def _detail_page(found: Credential, error: str | None = None, **forms: ReasonForm) -> str:
    session = db.get_session()
    qualification = session.scalar(
        select(Qualification).where(
            Qualification.provider_id == found.provider_id, Qualification.code == found.qualification_code
        )
    )
    return render_template(
        "embassy/credential.html",
        credential=found,
        payload=json.loads(found.payload),
        qualification=qualification,
        assessor=issuance.assessor_of(session, found),
        error=error,
        action_form=ActionForm(formdata=None),
        reject_form=forms.get("reject") or ReasonForm(formdata=None, prefix="reject"),
        withdraw_form=forms.get("withdraw") or ReasonForm(formdata=None, prefix="withdraw"),
    )


# -- lookups, always inside the embassy's nationals ------------------------------------


def _in_scope(embassy: Organisation) -> ColumnElement[bool]:
    """The credentials an embassy may see: its nationals', routed to it or to no embassy."""
    return and_(
        Learner.nationality == embassy.country,
        or_(Credential.embassy_id.is_(None), Credential.embassy_id == embassy.id),
    )


def _scoped(embassy: Organisation) -> Select[Credential]:
    return (
        select(Credential)
        .join(Learner, Credential.learner_id == Learner.id)
        .options(contains_eager(Credential.learner), selectinload(Credential.provider))
        .where(_in_scope(embassy))
    )


def _own_credential(public_id: str, *, for_update: bool = False) -> Credential:
    if len(public_id) > MAX_PUBLIC_ID:
        raise NotYours("no such credential")
    query = _scoped(require_principal().org).where(Credential.public_id == public_id)
    if for_update:
        # Two officers acting at once: the second waits and then sees the first's result.
        query = query.with_for_update(of=Credential)
    found = db.get_session().scalar(query)
    if found is None:
        raise NotYours("no such credential")
    return found


def _qualification_names(credentials: Sequence[Credential]) -> dict[tuple[int, str], str]:
    """Qualification names by (provider, code) for the credentials on a page."""
    provider_ids = {c.provider_id for c in credentials}
    if not provider_ids:
        return {}
    rows = db.get_session().execute(
        select(Qualification.provider_id, Qualification.code, Qualification.name).where(
            Qualification.provider_id.in_(provider_ids)
        )
    )
    return {(provider_id, code): name for provider_id, code, name in rows}


def _signer() -> Signer:
    config = current_app.config
    return signer_for(db.get_session(), require_principal().org, config["KEY_ENCRYPTION_KEY"], config["BASE_URL"])
