"""Cohort import in the browser: upload a CSV, see every row's errors or the rows to issue, confirm, watch progress.

Confirming starts the import in a background thread of this process and answers at once;
the batch page follows it (refreshing itself while it runs) and machines poll
``/provider/imports/<id>/status``. All progress lives in the database, so if the process
stops mid-run the page offers to resume, and any process can continue the batch.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from certsvc.accounts.access import require_org_role, require_principal
from certsvc.credentials.errors import CertsvcError
from certsvc.pdf.claim_slips import render_claim_slips
from certsvc.store import db
from certsvc.store.models import BatchState, Organisation, OrgKind, Role, SealedClaimSlips
from certsvc.store.signers import signer_for
from certsvc.web.form_errors import Problem, problems_of
from certsvc.web.i18n import gettext as _
from issuers import claim_slips, cohort_csv, cohort_import
from issuers.claim_slips import SlipsAlreadyTaken, SlipsNotReady
from issuers.cohort_csv import CohortFileError

bp = Blueprint("imports", __name__, url_prefix="/provider/imports")

PREVIEW_ROWS = 200
#: How many of a file's problems the error summary names (the table below lists them all).
SUMMARY_PROBLEMS = 10
REFRESH_SECONDS = 2
NO_STORE = {"Cache-Control": "private, no-store"}
reads = require_org_role(kinds=(OrgKind.PROVIDER,))
writes = require_org_role(Role.ADMIN, Role.OFFICER, kinds=(OrgKind.PROVIDER,))


class UploadForm(FlaskForm):
    """Upload a cohort file: the file is checked by the view, then row by row."""

    file = FileField("Cohort file (.csv)")


class ActionForm(FlaskForm):
    """A button that changes state: carries only the CSRF token."""


@bp.get("")
@reads
def index() -> ResponseReturnValue:
    """The provider's batches with their progress, and the upload form."""
    return _index_page(UploadForm(formdata=None))


@bp.post("")
@writes
def upload() -> ResponseReturnValue:
    """Validate an uploaded file: every row's errors, or a batch awaiting confirmation."""
    principal, session, form = require_principal(), db.get_session(), UploadForm()
    if not form.validate_on_submit():
        return _index_page(form, error=_("The upload could not be read; choose the file again."), status=400)
    try:
        filename, content = _read_upload(form.file.data)
        batch, checked = cohort_import.create_batch(
            session, principal.org, filename, content, today=_today(), created_by_id=principal.user.id
        )
    except CertsvcError as exc:
        session.rollback()
        return _index_page(form, error=exc.message, status=400)
    if batch is None:
        session.rollback()
        page = render_template(
            "imports/preview.html",
            batch=None,
            filename=filename,
            preview=checked,
            form=UploadForm(formdata=None),
            problems=_file_problems(checked.validation.errors),
            **_limits(),
        )
        return page, 422, NO_STORE
    session.commit()
    return redirect(url_for(".batch", batch_id=batch.id), 303)


@bp.get("/template.csv")
@reads
def template() -> ResponseReturnValue:
    """The template CSV, with example rows that use the provider's own qualification codes."""
    codes = cohort_import.qualification_codes(db.get_session(), require_principal().org)
    headers = {"Content-Disposition": 'attachment; filename="cohort-template.csv"'}
    return Response(cohort_csv.template_csv(codes), mimetype="text/csv", headers=headers)


@bp.get("/<int:batch_id>")
@reads
def batch(batch_id: int) -> ResponseReturnValue:
    """A batch: its rows awaiting confirmation, its progress while it runs, or its outcome."""
    return _batch_page(batch_id)


def _batch_page(batch_id: int, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    provider, session = require_principal().org, db.get_session()
    found = cohort_import.get_batch(session, provider, batch_id)
    progress = cohort_import.progress_of(session, found)
    if found.state is BatchState.VALIDATED:
        checked = cohort_import.batch_rows(session, provider, found, today=_today())
        page = render_template("imports/preview.html", batch=found, filename=found.filename, preview=checked,
                               form=ActionForm(), **_limits())  # fmt: skip
        return page, 200, NO_STORE
    page = render_template(
        "imports/batch.html",
        batch=found,
        progress=progress,
        form=ActionForm(),
        refresh=REFRESH_SECONDS,
        status_url=url_for(".status", batch_id=found.id),
        slips_available=claim_slips.slips_available(session, provider, found.id),
        error=error,
    )
    return page, status, NO_STORE


@bp.get("/<int:batch_id>/status")
@reads
def status(batch_id: int) -> ResponseReturnValue:
    """The batch's progress as JSON: state, total, done, issued, skipped, errors."""
    session = db.get_session()
    found = cohort_import.get_batch(session, require_principal().org, batch_id)
    return jsonify(cohort_import.progress_of(session, found).as_dict()), 200, NO_STORE


@bp.post("/<int:batch_id>/confirm")
@writes
def confirm(batch_id: int) -> ResponseReturnValue:
    """Issue the batch's rows (nothing was issued before this confirmation)."""
    return _launch(batch_id)


@bp.post("/<int:batch_id>/resume")
@writes
def resume(batch_id: int) -> ResponseReturnValue:
    """Continue an interrupted or failed batch after its last committed row; issued rows are skipped."""
    return _launch(batch_id)


#: The two forms the claim slips come in: a printable PDF, or a CSV for the provider's own mail merge.
SLIP_FORMATS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


@bp.post("/<int:batch_id>/claim-slips")
@writes
def take_claim_slips(batch_id: int) -> ResponseReturnValue:
    """Download the batch's claim slips, once: the codes and PINs are erased as they are handed over."""
    principal, session, config = require_principal(), db.get_session(), current_app.config
    kind = request.form.get("format", "")
    if not ActionForm().validate_on_submit() or kind not in SLIP_FORMATS:
        return _batch_page(batch_id, error=_("The download could not be started; try again."), status=400)
    try:
        slips = claim_slips.take_slips(
            session,
            principal.org,
            batch_id,
            kek=config["KEY_ENCRYPTION_KEY"],
            now=datetime.now(UTC),
            actor=principal.actor,
        )
    except (SlipsAlreadyTaken, SlipsNotReady) as exc:
        session.rollback()
        return _batch_page(batch_id, error=exc.message, status=exc.http_status)
    if kind == "pdf":
        wallet_url = str(config["BASE_URL"]).rstrip("/") + url_for("wallet.claim")
        body: bytes | str = render_claim_slips(slips, wallet_url)
    else:
        # A byte-order mark, so that spreadsheet programs read Burmese and accented names as UTF-8.
        body = "\ufeff" + claim_slips.slips_csv(slips)
    # Only once the file is made are the sealed codes erased for good.
    session.commit()
    filename = f"claim-slips-batch-{batch_id}.{kind}"
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, content_type=SLIP_FORMATS[kind], headers=headers)


def _launch(batch_id: int) -> ResponseReturnValue:
    principal, session = require_principal(), db.get_session()
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".batch", batch_id=batch_id), 303)
    cohort_import.start(session, principal.org, batch_id, actor=principal.actor)
    session.commit()
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    worker = threading.Thread(
        target=run_in_background,
        args=(app, principal.org.id, batch_id, principal.actor),
        name=f"cohort-import-{batch_id}",
        daemon=True,
    )
    worker.start()
    return redirect(url_for(".batch", batch_id=batch_id), 303)


def run_in_background(app: Flask, provider_id: int, batch_id: int, actor: str) -> None:
    """Run a batch with a session of its own; an unexpected error marks the batch failed (resumable)."""
    base_url = str(app.config["BASE_URL"]).rstrip("/")
    with db.session_factory(app)() as session:
        provider = session.get(Organisation, provider_id)
        assert provider is not None
        try:
            kek = app.config["KEY_ENCRYPTION_KEY"]
            signer = signer_for(session, provider, kek, base_url)
            cohort_import.run_batch(session, provider, batch_id, signer=signer, base_url=base_url, actor=actor, kek=kek)
        except CertsvcError as exc:
            # run_batch has recorded the failure on the batch, where the page shows it.
            app.logger.warning("cohort import batch %s failed: %s", batch_id, exc.message)
        except Exception:
            app.logger.exception("cohort import batch %s stopped", batch_id)
            session.rollback()
            cohort_import.mark_failed(session, provider, batch_id, "the import stopped on an internal error")
            session.commit()


def _read_upload(unverified_file: FileStorage | None) -> tuple[str, bytes]:
    if unverified_file is None or not unverified_file.filename:
        raise CohortFileError("choose a CSV file to upload")
    filename = unverified_file.filename
    if not filename.lower().endswith(".csv"):
        raise CohortFileError("the file must be a .csv file (save the spreadsheet as CSV UTF-8)")
    content = unverified_file.stream.read(cohort_csv.MAX_BYTES + 1)
    if len(content) > cohort_csv.MAX_BYTES:
        raise CohortFileError(f"the file is larger than {cohort_csv.MAX_BYTES // 1024} KiB; split the cohort")
    return filename, content


def _index_page(form: UploadForm, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    principal, session = require_principal(), db.get_session()
    batches = cohort_import.list_batches(session, principal.org)
    problems = problems_of([form], error=error, target="file")
    # Which listed batches still hold claim slips to download: one query, not one per row.
    waiting = set(
        session.scalars(
            select(SealedClaimSlips.batch_id).where(SealedClaimSlips.batch_id.in_([b.id for b in batches])).distinct()
        )
    )
    page = render_template(
        "imports/index.html", form=form, batches=batches, slips_waiting=waiting, problems=problems, **_limits()
    )
    return page, status, NO_STORE


def _file_problems(errors: list[dict[str, object]]) -> list[Problem]:
    """The error summary of a file with bad rows: the first few problems, each linking to its row of the table."""
    problems = [
        Problem(_row_problem(error), f"problem-{n}") for n, error in enumerate(errors[:SUMMARY_PROBLEMS], start=1)
    ]
    if len(errors) > SUMMARY_PROBLEMS:
        problems.append(Problem(_("… and %(n)s more problems, listed below.", n=len(errors) - SUMMARY_PROBLEMS)))
    problems.append(Problem(_("Correct the file and upload it again; nothing was issued."), "file"))
    return problems


def _row_problem(error: dict[str, object]) -> str:
    where = _("Line %(line)s", line=error.get("line"))
    if error.get("column"):
        where += f", {error['column']}"
    return f"{where}: {_(str(error.get('message')))}"


def _limits() -> dict[str, int]:
    return {"max_rows": cohort_csv.MAX_ROWS, "max_kib": cohort_csv.MAX_BYTES // 1024, "preview_rows": PREVIEW_ROWS}


def _today() -> date:
    return datetime.now(UTC).date()
