"""The origin authority's pages: accreditations, embassies, national catalogue, equivalences, trust list.

Thin views: parse a form, call one function of ``certsvc.authority`` or
``certsvc.national_catalogue`` (which audit and publish), commit, redirect. Everyone of an
authority may look; admins and officers may change, and only they see the forms (templates
read ``can_edit``). Ids of other countries' records are answered 404 by the domain functions.
A refused change re-shows its page with an error summary linking to the field at fault.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from certsvc.accounts.access import current_principal, password_hasher, require_org_role, require_principal
from certsvc.accounts.organisations import OrganisationError
from certsvc.accounts.users import AccountError, check_role
from certsvc.authority import accreditations, changes, embassies, national_catalogue, publishing
from certsvc.authority.forms import (
    AccreditForm,
    ActionForm,
    DateActionForm,
    EnrolEmbassyForm,
    EquivalenceForm,
    NationalQualificationForm,
    ReasonForm,
)
from certsvc.credentials.errors import CertsvcError
from certsvc.store import db
from certsvc.store.models import NationalQualification, Organisation, OrgKind, Role, utcnow
from certsvc.web.form_errors import SESSION_EXPIRED, Problem, problems_of
from certsvc.web.form_rules import first_error
from certsvc.web.i18n import gettext as _

bp = Blueprint("authority", __name__, url_prefix="/authority")
AUTHORITY = (OrgKind.AUTHORITY,)
EDITORS = (Role.ADMIN, Role.OFFICER)
#: Errors a form can show next to itself (bad dates, overlaps, duplicates); others go to the error page.
FORM_ERRORS = (changes.AuthorityError, OrganisationError, AccountError)
#: The form field a domain error's ``field`` names, where the two differ.
FORM_FIELDS = {"qualification": "qualifications", "email": "admin_email", "password": "admin_password"}


@bp.context_processor
def _editor() -> dict[str, bool]:
    """``can_edit``: whether the signed-in user may change things (admins and officers)."""
    principal = current_principal()  # error pages render without one
    editor = principal is not None and principal.role in EDITORS and principal.org.kind is OrgKind.AUTHORITY
    return {"can_edit": editor}


@bp.get("/")
@require_org_role(kinds=AUTHORITY)
def overview() -> ResponseReturnValue:
    """The authority's home: what it administers at a glance, and the latest trust list."""
    session, org = db.get_session(), _authority()
    return render_template(
        "authority/overview.html",
        accreditations=accreditations.list_accreditations(session, org),
        embassies=embassies.list_embassies(session, org),
        catalogue=national_catalogue.national_catalogue(session, org),
        rules=national_catalogue.list_equivalences(session, org),
        latest=publishing.latest_trust_list(session, org),
        today=date.today(),
    )


@bp.route("/accreditations", methods=["GET", "POST"], endpoint="accreditations")
@require_org_role(kinds=AUTHORITY)
def accreditations_page() -> ResponseReturnValue:
    """List accreditations; accredit providers for named qualifications over a date range."""
    session, org = db.get_session(), _authority()
    form = AccreditForm(qualifications=_qualification_choices(session))
    if request.method == "POST":
        _require_editor()
        if form.validate_on_submit():
            assert form.valid_from.data is not None
            return _apply(
                lambda change: accreditations.accredit(
                    session, org, form.qualifications.data or [], form.valid_from.data, form.valid_until.data, change
                ),
                _("Accreditation recorded."),
                ".accreditations",
                lambda problem, status: _accreditations_page(form, problem, status),
            )
        return _accreditations_page(form, None, 400)
    return _accreditations_page(form, None, 200)


@bp.post("/accreditations/<int:accreditation_id>/<any(suspend, reinstate, end):action>")
@require_org_role(*EDITORS, kinds=AUTHORITY)
def change_accreditation(accreditation_id: int, action: str) -> ResponseReturnValue:
    """Suspend from a day, reinstate from a day, or end on a day."""
    session, org = db.get_session(), _authority()
    accreditations.get_accreditation(session, org, accreditation_id)  # 404 before looking at the form
    form, target = DateActionForm(), f"on-{accreditation_id}-{action}"
    if not form.validate_on_submit() or form.on.data is None:
        problem = Problem(_("Enter a date as YYYY-MM-DD."), target)
        return _accreditations_page(_accredit_form(session), problem, 400, failed=(accreditation_id, action))
    on: date = form.on.data
    actions = {
        "suspend": (accreditations.suspend_accreditation, _("Accreditation suspended.")),
        "reinstate": (accreditations.reinstate_accreditation, _("Accreditation reinstated.")),
        "end": (accreditations.end_accreditation, _("Accreditation end date set.")),
    }
    function, message = actions[action]
    return _apply(
        lambda change: function(session, org, accreditation_id, on, change),
        message,
        ".accreditations",
        lambda problem, status: _accreditations_page(
            _accredit_form(session), Problem(problem.message, target), status, failed=(accreditation_id, action)
        ),
    )


@bp.route("/embassies", methods=["GET", "POST"], endpoint="embassies")
@require_org_role(kinds=AUTHORITY)
def embassies_page() -> ResponseReturnValue:
    """List the country's embassies; enrol a new one."""
    session, org, form = db.get_session(), _authority(), EnrolEmbassyForm()
    if request.method == "POST":
        _require_editor()
        if not form.validate_on_submit():
            return _embassies_page(form, None, 400)
        first_admin = None
        if form.admin_email.data:
            if not form.admin_password.data:
                problem = Problem(_("Give the first administrator an initial password."), "admin_password")
                return _embassies_page(form, problem, 400)
            first_admin = embassies.FirstAdmin(form.admin_email.data, form.admin_password.data, password_hasher())
        return _apply(
            lambda change: embassies.enrol_embassy(
                session,
                org,
                slug=form.slug.data or "",
                name=form.name.data or "",
                host_country=(form.host_country.data or "").upper(),
                change=change,
                first_admin=first_admin,
            ),
            _("Embassy enrolled."),
            ".embassies",
            lambda problem, status: _embassies_page(form, problem, status),
        )
    return _embassies_page(form, None, 200)


@bp.post("/embassies/<int:embassy_id>/remove")
@require_org_role(*EDITORS, kinds=AUTHORITY)
def remove_embassy(embassy_id: int) -> ResponseReturnValue:
    """Take an embassy off the trust list, with a reason."""
    session, org = db.get_session(), _authority()
    embassies.get_embassy(session, org, embassy_id)
    form, target = ReasonForm(), f"reason-{embassy_id}"
    if not form.validate_on_submit():
        return _embassies_page(
            EnrolEmbassyForm(formdata=None), Problem(first_error(form) or _("Give a reason."), target), 400
        )
    return _apply(
        lambda change: embassies.remove_embassy(session, org, embassy_id, form.reason.data or "", change),
        _("Embassy removed from the trust list."),
        ".embassies",
        lambda problem, status: _embassies_page(
            EnrolEmbassyForm(formdata=None), Problem(problem.message, target), status
        ),
    )


@bp.post("/embassies/<int:embassy_id>/reinstate")
@require_org_role(*EDITORS, kinds=AUTHORITY)
def reinstate_embassy(embassy_id: int) -> ResponseReturnValue:
    """Put a removed embassy back on the trust list."""
    session, org = db.get_session(), _authority()
    if not ActionForm().validate_on_submit():
        return _embassies_page(EnrolEmbassyForm(formdata=None), Problem(_(SESSION_EXPIRED)), 400)
    return _apply(
        lambda change: embassies.reinstate_embassy(session, org, embassy_id, change),
        _("Embassy reinstated."),
        ".embassies",
        lambda problem, status: _embassies_page(EnrolEmbassyForm(formdata=None), problem, status),
    )


@bp.route("/catalogue", methods=["GET", "POST"])
@require_org_role(kinds=AUTHORITY)
def catalogue() -> ResponseReturnValue:
    """List the national qualifications; add one."""
    session, org, form = db.get_session(), _authority(), NationalQualificationForm()
    if request.method == "POST":
        _require_editor()
        if not form.validate_on_submit():
            return _catalogue_page(form, None, 400)
        return _apply(
            lambda change: national_catalogue.add_national_qualification(session, org, form.data_for_domain(), change),
            _("National qualification added."),
            ".catalogue",
            lambda problem, status: _catalogue_page(form, problem, status),
        )
    return _catalogue_page(form, None, 200)


@bp.route("/catalogue/<int:entry_id>", methods=["GET", "POST"])
@require_org_role(kinds=AUTHORITY)
def catalogue_entry(entry_id: int) -> ResponseReturnValue:
    """Edit a national qualification (rules that map to it follow)."""
    session, org = db.get_session(), _authority()
    entry = national_catalogue.get_national_qualification(session, org, entry_id)
    form = NationalQualificationForm(obj=entry)
    if request.method == "POST":
        _require_editor()
        if not form.validate_on_submit():
            return _entry_page(form, entry, None, 400)
        return _apply(
            lambda change: national_catalogue.update_national_qualification(
                session, org, entry_id, form.data_for_domain(), change
            ),
            _("National qualification updated."),
            ".catalogue",
            lambda problem, status: _entry_page(form, entry, problem, status),
        )
    return _entry_page(form, entry, None, 200)


@bp.post("/catalogue/<int:entry_id>/delete")
@require_org_role(*EDITORS, kinds=AUTHORITY)
def delete_catalogue_entry(entry_id: int) -> ResponseReturnValue:
    """Delete a national qualification that no rule uses."""
    session, org = db.get_session(), _authority()
    if not ActionForm().validate_on_submit():
        return _catalogue_page(NationalQualificationForm(formdata=None), Problem(_(SESSION_EXPIRED)), 400)
    return _apply(
        lambda change: national_catalogue.delete_national_qualification(session, org, entry_id, change),
        _("National qualification deleted."),
        ".catalogue",
        lambda problem, status: _catalogue_page(NationalQualificationForm(formdata=None), problem, status),
    )


@bp.route("/equivalences", methods=["GET", "POST"])
@require_org_role(kinds=AUTHORITY)
def equivalences() -> ResponseReturnValue:
    """List the equivalence rules; set one (a qualification has at most one rule)."""
    session, org = db.get_session(), _authority()
    form = _equivalence_form(session, org)
    if request.method == "POST":
        _require_editor()
        if not form.validate_on_submit():
            return _equivalences_page(form, None, 400)
        return _apply(
            lambda change: national_catalogue.set_equivalence(
                session,
                org,
                form.qualification.data,
                form.national.data,
                change,
                level=form.level.data,
                note=form.note.data or "",
            ),
            _("Equivalence rule saved."),
            ".equivalences",
            lambda problem, status: _equivalences_page(form, problem, status),
        )
    return _equivalences_page(form, None, 200)


@bp.post("/equivalences/<int:rule_id>/delete")
@require_org_role(*EDITORS, kinds=AUTHORITY)
def delete_equivalence(rule_id: int) -> ResponseReturnValue:
    """Delete an equivalence rule."""
    session, org = db.get_session(), _authority()
    if not ActionForm().validate_on_submit():
        return _equivalences_page(_equivalence_form(session, org), Problem(_(SESSION_EXPIRED)), 400)
    return _apply(
        lambda change: national_catalogue.remove_equivalence(session, org, rule_id, change),
        _("Equivalence rule removed."),
        ".equivalences",
        lambda problem, status: _equivalences_page(_equivalence_form(session, org), problem, status),
    )


@bp.get("/trust-list")
@require_org_role(kinds=AUTHORITY)
def trust_list() -> ResponseReturnValue:
    """Every published version of the trust list, newest first, each downloadable."""
    session, org = db.get_session(), _authority()
    versions = publishing.trust_list_versions(session, org)
    return render_template("authority/trust_list.html", versions=versions)


# -- helpers ----------------------------------------------------------------------------


def _authority() -> Organisation:
    return require_principal().org


def _require_editor() -> None:
    check_role(require_principal(), EDITORS, AUTHORITY)


def _change() -> changes.Change:
    config = current_app.config
    return changes.Change(
        actor=require_principal().actor,
        now=utcnow(),
        base_url=str(config["BASE_URL"]).rstrip("/"),
        kek=config["KEY_ENCRYPTION_KEY"],
    )


def _apply(
    action: Callable[[changes.Change], object],
    message: str,
    endpoint: str,
    on_error: Callable[[Problem, int], ResponseReturnValue],
) -> ResponseReturnValue:
    """Run one domain change; commit and redirect, or roll back and show the error by the form."""
    session = db.get_session()
    try:
        action(_change())
    except FORM_ERRORS as exc:
        session.rollback()
        return on_error(_problem(exc), int(getattr(exc, "http_status", 400)))
    latest = publishing.latest_trust_list(session, _authority())
    session.commit()
    if latest is not None:
        message = f"{message} " + _("Trust list version %(sequence)s is current.", sequence=latest.sequence)
    flash(message)
    return redirect(url_for(endpoint))


def _problem(exc: CertsvcError) -> Problem:
    """A domain refusal for the error summary, linking to the form field it names."""
    field = exc.data.get("field")
    return Problem(_(exc.message), FORM_FIELDS.get(field, field) if isinstance(field, str) else None)


def _qualification_choices(session: Session) -> list[tuple[int, str]]:
    return [
        (q.id, f"{q.name} · {q.code} ({q.provider.name}, {q.provider.country})")
        for q in accreditations.foreign_qualifications(session)
    ]


def _accredit_form(session: Session) -> AccreditForm:
    return AccreditForm(formdata=None, qualifications=_qualification_choices(session))


def _equivalence_form(session: Session, org: Organisation) -> EquivalenceForm:
    nationals = [
        (n.id, f"{n.code} · {n.title} ({n.framework} {n.level})")
        for n in national_catalogue.national_catalogue(session, org)
    ]
    return EquivalenceForm(qualifications=_qualification_choices(session), nationals=nationals)


def _accreditations_page(
    form: AccreditForm, problem: Problem | None, status: int, failed: tuple[int, str] | None = None
) -> ResponseReturnValue:
    """The accreditations; ``failed`` names the row and action whose date was refused."""
    session, org = db.get_session(), _authority()
    page = render_template(
        "authority/accreditations.html",
        form=form,
        accreditations=accreditations.list_accreditations(session, org),
        state_of=accreditations.accreditation_state,
        today=date.today(),
        failed=failed,
        failed_message=problem.message if failed and problem else None,
        problems=_problems(form, problem),
    )
    return page, status


def _embassies_page(form: EnrolEmbassyForm, problem: Problem | None, status: int) -> ResponseReturnValue:
    session, org = db.get_session(), _authority()
    listings = embassies.list_embassies(session, org)
    page = render_template(
        "authority/embassies.html", form=form, listings=listings, problem=problem, problems=_problems(form, problem)
    )
    return page, status


def _catalogue_page(form: NationalQualificationForm, problem: Problem | None, status: int) -> ResponseReturnValue:
    session, org = db.get_session(), _authority()
    entries = national_catalogue.national_catalogue(session, org)
    page = render_template("authority/catalogue.html", form=form, entries=entries, problems=_problems(form, problem))
    return page, status


def _entry_page(
    form: NationalQualificationForm, entry: NationalQualification, problem: Problem | None, status: int
) -> ResponseReturnValue:
    page = render_template("authority/catalogue_entry.html", form=form, entry=entry, problems=_problems(form, problem))
    return page, status


def _equivalences_page(form: EquivalenceForm, problem: Problem | None, status: int) -> ResponseReturnValue:
    session, org = db.get_session(), _authority()
    rules = national_catalogue.list_equivalences(session, org)
    page = render_template("authority/equivalences.html", form=form, rules=rules, problems=_problems(form, problem))
    return page, status


def _problems(form: FlaskForm, problem: Problem | None) -> list[Problem]:
    """A page's error summary: the form's own field errors (once validated), then the refusal."""
    return problems_of([form]) + ([problem] if problem else [])
