"""Training providers in the browser: learners, issuing both kinds of credential, and each credential's life.

Every view works inside the signed-in provider: another organisation's learner or
credential is answered 404, as if it did not exist.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from certsvc.accounts.access import require_org_role, require_principal
from certsvc.qr import image
from certsvc.store import audit, db
from certsvc.store.credential_records import cosigned_of, qr_text_of
from certsvc.store.models import (
    Credential,
    CredentialClaim,
    CredentialState,
    Learner,
    Organisation,
    OrgKind,
    Qualification,
    Role,
)
from certsvc.store.signers import signer_for
from certsvc.wallet import claims
from certsvc.wallet.claims import ClaimSecrets
from certsvc.wallet.errors import WalletError
from certsvc.web.form_errors import SESSION_EXPIRED, problems_of
from certsvc.web.i18n import gettext as _
from certsvc.web.pages import MAX_PUBLIC_ID, PAGE_SIZE, page_number
from issuers import issuance, lifecycle, search
from issuers.forms import ActionForm, AssessmentForm, IssueForm, LearnerForm, ReasonForm, SearchForm
from issuers.issuance import IssuanceError
from issuers.lifecycle import NotYours, ReasonRequired, StateConflict

bp = Blueprint("provider", __name__, url_prefix="/provider")

MAX_ID = 2**63
NO_STORE = {"Cache-Control": "private, no-store"}
reads = require_org_role(kinds=(OrgKind.PROVIDER,))
writes = require_org_role(Role.ADMIN, Role.OFFICER, kinds=(OrgKind.PROVIDER,))


# -- dashboard and learners ---------------------------------------------------------------


@bp.get("/")
@reads
def dashboard() -> ResponseReturnValue:
    """Counts of the provider's credentials by state, and the way to each task."""
    provider, session = require_principal().org, db.get_session()
    rows = session.execute(
        select(Credential.state, func.count()).where(Credential.provider_id == provider.id).group_by(Credential.state)
    )
    counts = {state: 0 for state in CredentialState} | {state: n for state, n in rows}
    withdrawn = session.scalar(
        select(func.count()).where(Credential.provider_id == provider.id, Credential.withdrawn_at.is_not(None))
    )
    learners = session.scalar(select(func.count()).where(Learner.provider_id == provider.id))
    return render_template("provider/dashboard.html", counts=counts, withdrawn=withdrawn, learners=learners)


@bp.get("/learners")
@reads
def learners() -> ResponseReturnValue:
    """The provider's learners and the form to register one."""
    return _learners_page(LearnerForm(formdata=None))


@bp.post("/learners")
@writes
def register_learner() -> ResponseReturnValue:
    """Register a learner; the ID document number is kept only as a salted hash."""
    principal, session, form = require_principal(), db.get_session(), LearnerForm()
    if not form.validate_on_submit():
        return _learners_page(form), 400
    try:
        learner = issuance.register_learner(session, principal.org, form.learner_data(), actor=principal.actor)
    except IssuanceError as exc:
        session.rollback()
        field = exc.data.get("field")
        target = field if isinstance(field, str) else None
        return _learners_page(form, error=exc.message, target=target), exc.http_status
    session.commit()
    flash(_("Learner %(name)s registered.", name=learner.name))
    return redirect(url_for(".learner", learner_id=learner.id))


def _learners_page(form: LearnerForm, error: str | None = None, target: str | None = None) -> str:
    provider, session = require_principal().org, db.get_session()
    page, search_form = page_number(), SearchForm(request.args)
    wanted = search_form.query()
    query = select(Learner).where(Learner.provider_id == provider.id)
    if wanted:
        query = query.where(search.learner_found(session, provider.id, wanted))
    listed = session.scalars(
        query.order_by(Learner.created_at.desc(), Learner.id.desc()).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ).all()
    countries = session.scalars(
        select(Organisation.country)
        .where(Organisation.kind == OrgKind.EMBASSY)
        .distinct()
        .order_by(Organisation.country)
    ).all()
    return render_template(
        "provider/learners.html",
        form=form,
        search_form=search_form,
        search=wanted,
        learners=listed[:PAGE_SIZE],
        page=page,
        has_next=len(listed) > PAGE_SIZE,
        countries=countries,
        problems=problems_of([form, search_form], error=error, target=target),
    )


@bp.get("/learners/<int:learner_id>")
@reads
def learner(learner_id: int) -> ResponseReturnValue:
    """One learner with their credentials and the two issue forms."""
    return _learner_page(_own_learner(learner_id))


@bp.post("/learners/<int:learner_id>/credentials")
@writes
def issue_training(learner_id: int) -> ResponseReturnValue:
    """Issue a training credential; it then waits for the embassy's co-signature."""
    target = _own_learner(learner_id)
    form = IssueForm(prefix="training", qualifications=_qualification_choices(target.provider_id))
    if not form.validate_on_submit():
        return _learner_page(target, issue_form=form), 400
    return _receipt_page(*_issue(target, form.qualification.data or ""))


@bp.post("/learners/<int:learner_id>/assessments")
@writes
def issue_prior_skills(learner_id: int) -> ResponseReturnValue:
    """Record a prior-skills assessment on arrival and issue its credential."""
    target = _own_learner(learner_id)
    form = AssessmentForm(prefix="prior", qualifications=_qualification_choices(target.provider_id))
    if not form.validate_on_submit():
        return _learner_page(target, assessment_form=form), 400
    return _receipt_page(*_issue(target, form.qualification.data or "", form))


def _issue(
    target: Learner, code: str, assessment_form: AssessmentForm | None = None
) -> tuple[Credential, ClaimSecrets]:
    principal, session, config = require_principal(), db.get_session(), current_app.config
    provider = principal.org
    signer = signer_for(session, provider, config["KEY_ENCRYPTION_KEY"], config["BASE_URL"])
    credential = issuance.issue_credential(
        session,
        provider,
        target,
        issuance.get_qualification(session, provider, code),
        signer=signer,
        base_url=config["BASE_URL"],
        now=datetime.now(UTC),
        actor=principal.actor,
        assessment=assessment_form.assessment() if assessment_form else None,
    )
    if assessment_form is not None:
        # The credential format has no place for the assessor: the audit log keeps who assessed.
        details = {"assessor": (assessment_form.assessor.data or "").strip()}
        audit.append(
            session,
            issuance.ASSESSMENT_RECORDED,
            actor=principal.actor,
            org_id=provider.id,
            subject=credential.public_id,
            details=details,
        )
    # The learner's wallet claim code and PIN, shown once on the receipt.
    claim = claims.create_claim(session, credential, kek=config["KEY_ENCRYPTION_KEY"], actor=principal.actor)
    session.commit()
    return credential, claim


def _receipt_page(found: Credential, claim: ClaimSecrets | None = None) -> ResponseReturnValue:
    """The receipt; with the claim code and PIN only as the answer to the POST that made them.

    The secrets go into this one response (never stored by a cache) and nowhere else: not
    in the session cookie, not in the database in clear. A reload shows the receipt without them.
    """
    payload = json.loads(found.payload)
    page = render_template("provider/receipt.html", credential=found, payload=payload, claim=claim)
    return page, 200, NO_STORE


def _learner_page(
    target: Learner, issue_form: IssueForm | None = None, assessment_form: AssessmentForm | None = None
) -> str:
    session = db.get_session()
    choices = _qualification_choices(target.provider_id)
    credentials = session.scalars(
        select(Credential).where(Credential.learner_id == target.id).order_by(Credential.issued_at.desc())
    ).all()
    return render_template(
        "provider/learner.html",
        learner=target,
        credentials=credentials,
        qualifications=_qualification_names(target.provider_id),
        issue_form=issue_form or IssueForm(formdata=None, prefix="training", qualifications=choices),
        assessment_form=assessment_form or AssessmentForm(formdata=None, prefix="prior", qualifications=choices),
        problems=problems_of([issue_form, assessment_form]),
    )


# -- credentials ------------------------------------------------------------------------


@bp.get("/credentials")
@reads
def credentials() -> ResponseReturnValue:
    """The provider's credentials, newest first: of one state, or found by name, ID number or credential number."""
    provider, session = require_principal().org, db.get_session()
    state = request.args.get("state", "")
    search_form = SearchForm(request.args)
    wanted = search_form.query()
    query = select(Credential).join(Learner, Credential.learner_id == Learner.id)
    query = query.where(Credential.provider_id == provider.id)
    if state in set(CredentialState):
        query = query.where(Credential.state == CredentialState(state))
    else:
        state = ""
    if wanted:
        query = query.where(or_(search.learner_found(session, provider.id, wanted), search.public_id_matches(wanted)))
    page = page_number()
    listed = session.scalars(
        query.options(selectinload(Credential.learner))
        .order_by(Credential.issued_at.desc(), Credential.id.desc())
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "provider/credentials.html",
        credentials=listed[:PAGE_SIZE],
        state=state,
        states=list(CredentialState),
        search_form=search_form,
        search=wanted,
        page=page,
        has_next=len(listed) > PAGE_SIZE,
        qualifications=_qualification_names(provider.id),
        problems=problems_of([search_form]),
    )


@bp.get("/credentials/<public_id>")
@reads
def credential(public_id: str) -> ResponseReturnValue:
    """One credential: what it says, its state, the embassy's answer, downloads and actions."""
    return _credential_page(_own_credential(public_id))


@bp.get("/credentials/<public_id>/receipt")
@reads
def receipt(public_id: str) -> ResponseReturnValue:
    """The issuance receipt: the credential id, its QR and what happens next."""
    return _receipt_page(_own_credential(public_id))


@bp.get("/credentials/<public_id>/qr.png")
@reads
def qr_png(public_id: str) -> ResponseReturnValue:
    """The credential's QR code as a PNG image."""
    text = qr_text_of(_own_credential(public_id), current_app.config["BASE_URL"])
    return Response(image.render_png(text), mimetype="image/png", headers=NO_STORE)


@bp.get("/credentials/<public_id>/qr.svg")
@reads
def qr_svg(public_id: str) -> ResponseReturnValue:
    """The credential's QR code as an SVG image, for print."""
    text = qr_text_of(_own_credential(public_id), current_app.config["BASE_URL"])
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="credential-{public_id}-qr.svg"'}
    return Response(image.render_svg(text), mimetype="image/svg+xml", headers=headers)


@bp.get("/credentials/<public_id>/file")
@reads
def credential_file(public_id: str) -> ResponseReturnValue:
    """The credential file: the General JWS JSON with every signature it has."""
    found = _own_credential(public_id)
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="credential-{found.public_id}.json"'}
    return Response(cosigned_of(found).to_json(), mimetype="application/jose+json", headers=headers)


@bp.post("/credentials/<public_id>/revoke")
@writes
def revoke(public_id: str) -> ResponseReturnValue:
    """Revoke for good, with a reason."""
    return _change(public_id, "revoke")


@bp.post("/credentials/<public_id>/suspend")
@writes
def suspend(public_id: str) -> ResponseReturnValue:
    """Suspend until reinstated, with a reason."""
    return _change(public_id, "suspend")


@bp.post("/credentials/<public_id>/reinstate")
@writes
def reinstate(public_id: str) -> ResponseReturnValue:
    """Lift a suspension."""
    return _change(public_id, "reinstate")


@bp.get("/credentials/<public_id>/claim-code")
@writes
def confirm_new_claim_code(public_id: str) -> ResponseReturnValue:
    """Ask before replacing a credential's claim code: the learner's printed one stops working."""
    found = _own_credential(public_id)
    return _claim_code_page(found, claim=_claim_of(found)), 200, NO_STORE


@bp.post("/credentials/<public_id>/claim-code")
@writes
def new_claim_code(public_id: str) -> ResponseReturnValue:
    """Give an unclaimed credential a new claim code and PIN, shown once in this answer."""
    principal, session = require_principal(), db.get_session()
    found = _own_credential(public_id, for_update=True)
    if not ActionForm().validate_on_submit():
        return _claim_code_page(found, claim=_claim_of(found), error=_(SESSION_EXPIRED)), 400, NO_STORE
    try:
        secrets = claims.replace_claim(
            session, found, kek=current_app.config["KEY_ENCRYPTION_KEY"], actor=principal.actor, now=datetime.now(UTC)
        )
    except WalletError as exc:
        session.rollback()
        return _claim_code_page(found, claim=_claim_of(found), error=exc.message), exc.http_status, NO_STORE
    session.commit()
    return _claim_code_page(found, secrets=secrets), 200, NO_STORE


def _claim_code_page(found: Credential, **shown: object) -> str:
    return render_template("provider/claim_code.html", credential=found, form=ActionForm(formdata=None), **shown)


def _claim_of(found: Credential) -> CredentialClaim | None:
    return db.get_session().get(CredentialClaim, found.id)


#: Actions that take a reason, and the message shown once each is done.
WITH_REASON = {"revoke": lifecycle.revoke, "suspend": lifecycle.suspend}
DONE = {
    "revoke": "Credential %(id)s revoked.",
    "suspend": "Credential %(id)s suspended.",
    "reinstate": "Credential %(id)s reinstated.",
}


def _change(public_id: str, action: str) -> ResponseReturnValue:
    """Apply one lifecycle action from a POST form; a refused change re-shows the page and changes nothing."""
    principal, session = require_principal(), db.get_session()
    found = _own_credential(public_id, for_update=True)
    reason_form = ReasonForm(prefix=action) if action in WITH_REASON else None
    forms = {action: reason_form} if reason_form else {}
    if not (reason_form or ActionForm()).validate_on_submit():
        expired = None if reason_form else _(SESSION_EXPIRED)  # a reason form says what failed itself
        return _credential_page(found, error=expired, **forms), 400
    now, actor = datetime.now(UTC), principal.actor
    try:
        if reason_form is not None:
            WITH_REASON[action](session, principal.org, found, reason_form.reason.data or "", now=now, actor=actor)
        else:
            lifecycle.reinstate(session, principal.org, found, now=now, actor=actor)
    except (StateConflict, ReasonRequired) as exc:
        session.rollback()
        return _credential_page(_own_credential(public_id), error=exc.message, **forms), exc.http_status
    session.commit()
    flash(_(DONE[action], id=found.public_id))
    return redirect(url_for(".credential", public_id=found.public_id))


def _credential_page(found: Credential, error: str | None = None, **forms: ReasonForm) -> str:
    return render_template(
        "provider/credential.html",
        credential=found,
        payload=json.loads(found.payload),
        assessor=issuance.assessor_of(db.get_session(), found),
        revoke_form=forms.get("revoke") or ReasonForm(formdata=None, prefix="revoke"),
        suspend_form=forms.get("suspend") or ReasonForm(formdata=None, prefix="suspend"),
        action_form=ActionForm(formdata=None),
        claim=_claim_of(found),
        problems=problems_of(forms.values(), error=error),
    )


# -- lookups, always inside the provider -----------------------------------------------


def _own_learner(learner_id: int) -> Learner:
    # Ids past 64 bits exist nowhere, and SQLite would overflow on them.
    found = db.get_session().get(Learner, learner_id) if learner_id < MAX_ID else None
    if found is None or found.provider_id != require_principal().org.id:
        raise issuance.NotFound("no such learner")
    return found


def _own_credential(public_id: str, *, for_update: bool = False) -> Credential:
    if len(public_id) > MAX_PUBLIC_ID:
        raise NotYours("no such credential")
    query = select(Credential).where(
        Credential.public_id == public_id, Credential.provider_id == require_principal().org.id
    )
    if for_update:
        # Two officers acting at once: the second waits and then sees the first's result.
        query = query.with_for_update(of=Credential)
    found = db.get_session().scalar(query)
    if found is None:
        raise NotYours("no such credential")
    return found


def _qualification_choices(provider_id: int) -> list[tuple[str, str]]:
    return [(code, f"{name} ({code})") for code, name in _qualification_names(provider_id).items()]


def _qualification_names(provider_id: int) -> dict[str, str]:
    rows = db.get_session().execute(
        select(Qualification.code, Qualification.name)
        .where(Qualification.provider_id == provider_id)
        .order_by(Qualification.name)
    )
    return {state: n for state, n in rows}
