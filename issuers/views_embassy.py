"""Embassy officers in the browser: the co-sign queue, review, co-sign (one or many), reject and withdraw.

An embassy sees only credentials of its own nationals that were routed to it or to no
embassy yet; anything else is answered 404, as if it did not exist. The queue is filtered
and searched with GET parameters. Officers co-sign the credentials they tick, or all those
matching the filter: that goes through one confirmation page saying how many it will touch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from certsvc.accounts.access import require_org_role, require_principal
from certsvc.store import db
from certsvc.store.models import Credential, Organisation, OrgKind, Qualification, Role
from certsvc.store.signers import Signer, signer_for
from certsvc.web.form_errors import problems_of
from certsvc.web.i18n import gettext as _
from certsvc.web.i18n import ngettext
from certsvc.web.pages import MAX_PUBLIC_ID, PAGE_SIZE, page_number
from issuers import cosign_queue, issuance, lifecycle
from issuers.cosign_queue import BulkOutcome
from issuers.forms import ActionForm, QueueFilterForm, ReasonForm, RejectForm, SearchForm
from issuers.lifecycle import NotYours, ReasonRequired, StateConflict, UnknownRejectionReason

bp = Blueprint("embassy", __name__, url_prefix="/embassy")

MAX_SELECTION = 200
#: How many of the credentials to co-sign the confirmation page names.
CONFIRM_LISTED = 20
FILTER_ARGS = ("q", "provider", "qualification", "issued_from", "issued_until")
#: An error summary's link to the first credential's box on the page (nothing was ticked).
FIRST_BOX = "first-box"
reads = require_org_role(kinds=(OrgKind.EMBASSY,))
writes = require_org_role(Role.ADMIN, Role.OFFICER, kinds=(OrgKind.EMBASSY,))


# -- the queue ----------------------------------------------------------------------------


@bp.get("/")
@reads
def queue() -> ResponseReturnValue:
    """Credentials of the embassy's nationals awaiting its co-signature, oldest first, filtered and searched."""
    return _queue_page(_filter_form(request.args))


@bp.get("/cosign/review")
@writes
def review_selection() -> ResponseReturnValue:
    """Say how many of the ticked credentials co-signing will touch, and ask once."""
    embassy, session = require_principal().org, db.get_session()
    form = _filter_form(request.args)
    unverified_ids = request.args.getlist("credential")
    if not unverified_ids:
        message = _("Select the credentials to co-sign, or co-sign all that match the filter.")
        return _queue_page(form, error=message, target=FIRST_BOX, status=400)
    if len(unverified_ids) > MAX_SELECTION:
        return _queue_page(form, error=_("Select at most %(n)s credentials at once.", n=MAX_SELECTION), status=400)
    ids = cosign_queue.selected(session, embassy, unverified_ids)
    return _confirm_page(form, ids, total=len(ids), up_to=None)


@bp.get("/cosign/all")
@writes
def review_all() -> ResponseReturnValue:
    """Say how many credentials co-signing all that match the filter will touch, and ask once."""
    embassy, session = require_principal().org, db.get_session()
    form = _filter_form(request.args)
    filters = form.queue_filter()
    total = cosign_queue.count(session, cosign_queue.awaiting(embassy, filters))
    if not total:
        return _queue_page(form, error=_("No credential matches the filter."), status=400)
    up_to = cosign_queue.newest_row(session, embassy, filters)
    ids = cosign_queue.matching_ids(session, embassy, filters, up_to=up_to)
    return _confirm_page(form, ids, total=total, up_to=up_to)


@bp.post("/cosign")
@writes
def cosign_selection() -> ResponseReturnValue:
    """Co-sign the selected credentials, or (confirmed) all matching a filter: each all-or-nothing, with a summary."""
    principal, session = require_principal(), db.get_session()
    form = _filter_form(request.form)
    if not ActionForm().validate_on_submit():
        return _queue_page(form, error=_("The form expired. Reload the page and try again."), status=400)
    if request.form.get("scope") == "all":
        up_to = _row_bound(request.form.get("up_to", ""))
        if up_to is None:
            return _queue_page(form, error=_("Review the credentials to co-sign again."), status=400)
        ids = cosign_queue.matching_ids(session, principal.org, form.queue_filter(), up_to=up_to)
        if not ids:
            return _queue_page(form, error=_("No credential matches the filter any more."), status=409)
        # Those the confirmation counted that are no longer waiting (a colleague acted first).
        gone = max(0, (_row_bound(request.form.get("expected", "")) or 0) - len(ids))
    else:
        unverified_ids = request.form.getlist("credential")
        if not unverified_ids:
            return _queue_page(form, error=_("Select at least one credential to co-sign."), status=400)
        if len(unverified_ids) > MAX_SELECTION:
            message = _("Select at most %(n)s credentials at once.", n=MAX_SELECTION)
            return _queue_page(form, error=message, status=400)
        ids, gone = cosign_queue.selected(session, principal.org, unverified_ids), 0
    outcome = _cosign_in_chunks(ids)
    if not outcome.cosigned:
        return _queue_page(form, error=_("Nothing was co-signed: %(why)s", why=_skipped_text(outcome)), status=409)
    flash(_outcome_text(outcome, gone))
    return redirect(url_for(".queue", **_filter_args(form)))


def _cosign_in_chunks(ids: Sequence[str]) -> BulkOutcome:
    """Co-sign ``ids`` a chunk per transaction, so the rows stay locked briefly and each chunk lands."""
    principal, session = require_principal(), db.get_session()
    signer, outcome = _signer(), BulkOutcome()
    for chunk in cosign_queue.chunks(ids):
        now = datetime.now(UTC)
        outcome.add(
            cosign_queue.cosign_each(session, principal.org, chunk, signer=signer, now=now, actor=principal.actor)
        )
        session.commit()
    return outcome


# -- co-signed credentials ------------------------------------------------------------------


@bp.get("/cosigned")
@reads
def cosigned() -> ResponseReturnValue:
    """Credentials this embassy co-signed, newest first, with their withdrawal state; searchable."""
    embassy, page = require_principal().org, page_number()
    search_form = SearchForm(request.args)
    wanted = cosign_queue.QueueFilter(search=search_form.query())
    query = cosign_queue.scoped(embassy).where(
        Credential.embassy_id == embassy.id, Credential.cosign_jws.is_not(None), *cosign_queue.filter_terms(wanted)
    )
    listed = (
        db.get_session()
        .scalars(
            query.order_by(Credential.cosigned_at.desc(), Credential.id.desc())
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
        search_form=search_form,
        search=wanted.search,
        problems=problems_of([search_form]),
    )


# -- one credential -----------------------------------------------------------------------


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
        return _detail_page(found, error=_("The form expired. Reload the page and try again.")), 400
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
    """Refuse to co-sign, with a reason from the fixed list and a note the provider sees."""
    principal, session = require_principal(), db.get_session()
    found = _own_credential(public_id, for_update=True)
    form = RejectForm(prefix="reject")
    if not form.validate_on_submit():
        return _detail_page(found, reject_form=form), 400
    try:
        lifecycle.reject(
            session,
            principal.org,
            found,
            form.reason_code.data or "",
            form.reason.data or "",
            now=datetime.now(UTC),
            actor=principal.actor,
        )
    except (StateConflict, ReasonRequired, UnknownRejectionReason) as exc:
        session.rollback()
        return _detail_page(_own_credential(public_id), error=exc.message, reject_form=form), exc.http_status
    session.commit()
    flash(_("Credential %(id)s rejected.", id=found.public_id))
    return redirect(url_for(".queue"))


@bp.post("/credentials/<public_id>/withdraw")
@writes
def withdraw(public_id: str) -> ResponseReturnValue:
    """Withdraw this embassy's co-signature, with a reason; the status list shows it."""
    principal, session = require_principal(), db.get_session()
    found = _own_credential(public_id, for_update=True)
    form = ReasonForm(prefix="withdraw")
    if not form.validate_on_submit():
        return _detail_page(found, withdraw_form=form), 400
    try:
        now, reason = datetime.now(UTC), form.reason.data or ""
        lifecycle.withdraw(session, principal.org, found, reason, now=now, actor=principal.actor)
    except (StateConflict, ReasonRequired) as exc:
        session.rollback()
        return _detail_page(_own_credential(public_id), error=exc.message, withdraw_form=form), exc.http_status
    session.commit()
    flash(_("Co-signature of credential %(id)s withdrawn.", id=found.public_id))
    return redirect(url_for(".cosigned"))


# -- pages --------------------------------------------------------------------------------


def _filter_form(values: MultiDict[str, str]) -> QueueFilterForm:
    """The queue's filter form, read from ``values`` and checked (its errors show in the summary)."""
    embassy, session = require_principal().org, db.get_session()
    providers = cosign_queue.providers_waiting(session, embassy)
    unverified_provider = values.get("provider", "")
    provider_id = int(unverified_provider) if unverified_provider.isdigit() and len(unverified_provider) < 10 else None
    qualifications = cosign_queue.qualifications_waiting(session, embassy, provider_id or None)
    form = QueueFilterForm(
        MultiDict({k: values.get(k, "") for k in FILTER_ARGS}), providers=providers, qualifications=qualifications
    )
    form.validate()
    return form


def _filter_args(form: QueueFilterForm) -> dict[str, str]:
    """The filter's valid, non-empty values, to carry into links and hidden fields."""
    filters = form.queue_filter()
    values = {
        "q": filters.search,
        "provider": str(filters.provider_id or ""),
        "qualification": filters.qualification,
        "issued_from": filters.issued_from.isoformat() if filters.issued_from else "",
        "issued_until": filters.issued_until.isoformat() if filters.issued_until else "",
    }
    return {name: value for name, value in values.items() if value}


def _queue_page(
    form: QueueFilterForm, error: str | None = None, target: str | None = None, status: int = 200
) -> ResponseReturnValue:
    embassy, session, page = require_principal().org, db.get_session(), page_number()
    filters = form.queue_filter()
    matching = cosign_queue.awaiting(embassy, filters)
    listed = session.scalars(matching.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    total = cosign_queue.count(session, matching)
    if target == FIRST_BOX:
        target = f"select-{listed[0].public_id}" if listed else None
    page_html = render_template(
        "embassy/queue.html",
        credentials=listed[:PAGE_SIZE],
        page=page,
        has_next=len(listed) > PAGE_SIZE,
        first=(page - 1) * PAGE_SIZE + 1,
        total=total,
        waiting=total if not filters.active else cosign_queue.count(session, cosign_queue.awaiting(embassy)),
        filtered=filters.active,
        filter_form=form,
        filter_args=_filter_args(form),
        qualifications=_qualification_names(listed),
        form=ActionForm(formdata=None),
        max_bulk=cosign_queue.MAX_BULK,
        problems=problems_of([form], error=error, target=target),
    )
    return page_html, status


def _confirm_page(form: QueueFilterForm, ids: list[str], *, total: int, up_to: int | None) -> ResponseReturnValue:
    embassy, session = require_principal().org, db.get_session()
    named = ids[:CONFIRM_LISTED]
    shown = session.scalars(cosign_queue.scoped(embassy).where(Credential.public_id.in_(named))).all()
    order = {public_id: n for n, public_id in enumerate(named)}
    return render_template(
        "embassy/confirm.html",
        scope="selected" if up_to is None else "all",
        ids=ids,
        shown=sorted(shown, key=lambda c: order[c.public_id]),
        total=total,
        up_to=up_to,
        filter_args=_filter_args(form),
        filter_form=form,
        qualifications=_qualification_names(shown),
        form=ActionForm(formdata=None),
        max_bulk=cosign_queue.MAX_BULK,
    )


def _detail_page(
    found: Credential,
    error: str | None = None,
    reject_form: RejectForm | None = None,
    withdraw_form: ReasonForm | None = None,
) -> str:
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
        action_form=ActionForm(formdata=None),
        reject_form=reject_form or RejectForm(formdata=None, prefix="reject"),
        withdraw_form=withdraw_form or ReasonForm(formdata=None, prefix="withdraw"),
        problems=problems_of([reject_form, withdraw_form], error=error),
    )


# -- what a bulk co-signing did, in words ------------------------------------------------------

#: The states a credential left as it was can be in, as the summary says them.
SKIPPED_STATES = {
    "cosigned": "already co-signed",
    "rejected": "rejected",
    "suspended": "suspended by the provider",
    "revoked": "revoked by the provider",
    cosign_queue.NO_LONGER_YOURS: "no longer in your queue",
}
LISTED_IDS = 10


def _outcome_text(outcome: BulkOutcome, gone: int = 0) -> str:
    """What was done, and what was not and why; ``gone``: confirmed ones no longer waiting by then."""
    parts = [ngettext("%(num)s credential co-signed.", "%(num)s credentials co-signed.", len(outcome.cosigned))]
    if outcome.skipped:
        left = ngettext("%(num)s was left as it was:", "%(num)s were left as they were:", outcome.skipped_count)
        parts.append(f"{left} {_skipped_text(outcome)}")
    if gone:
        parts.append(
            ngettext(
                "%(num)s of those you confirmed was no longer awaiting co-signature (a colleague may have acted).",
                "%(num)s of those you confirmed were no longer awaiting co-signature (a colleague may have acted).",
                gone,
            )
        )
    return " ".join(parts)


def _skipped_text(outcome: BulkOutcome) -> str:
    parts = []
    for why, ids in outcome.skipped.items():
        shown = ", ".join(ids[:LISTED_IDS]) + (" …" if len(ids) > LISTED_IDS else "")
        parts.append(f"{len(ids)} {_(SKIPPED_STATES.get(why, why))} ({shown})")
    return "; ".join(parts) + "."


# -- lookups, always inside the embassy's nationals ------------------------------------


def _own_credential(public_id: str, *, for_update: bool = False) -> Credential:
    if len(public_id) > MAX_PUBLIC_ID:
        raise NotYours("no such credential")
    query = cosign_queue.scoped(require_principal().org).where(Credential.public_id == public_id)
    if for_update:
        # Two officers acting at once: the second waits and then sees the first's result.
        query = query.with_for_update(of=Credential)
    found = db.get_session().scalar(query)
    if found is None:
        raise NotYours("no such credential")
    return found


def _row_bound(unverified: str) -> int | None:
    """The confirmation's bound on row ids (credentials added after it was shown are not touched)."""
    return int(unverified) if unverified.isascii() and unverified.isdigit() and len(unverified) < 19 else None


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
    embassy: Organisation = require_principal().org
    return signer_for(db.get_session(), embassy, config["KEY_ENCRYPTION_KEY"], config["BASE_URL"])
