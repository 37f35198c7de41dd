"""Cohort import: validate a CSV into a batch, then issue its rows in chunks that each commit whole.

A batch keeps the uploaded file, so any process can run or resume it. Each chunk is one
transaction holding the learners, their credentials, the audit entries and the batch's
progress (``done``): a process killed mid-run loses at most the chunk in flight, and a
rerun continues after the last committed row. Rows whose external id already has a
credential of this provider are skipped, so nothing is ever issued twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.openbadge import Kind, PriorSkillsAssessment, hash_id_number
from certsvc.store import audit, bulk, keystore
from certsvc.store.models import (
    BatchState,
    Credential,
    ImportBatch,
    Learner,
    Organisation,
    OrgKind,
    Qualification,
    SealedClaimSlips,
    utcnow,
)
from certsvc.store.signers import Signer
from issuers import cohort_csv
from issuers.cohort_csv import CohortRow, CohortValidation
from issuers.issuance import CohortEntry, LearnerData, embassies_by_nationality, issue_cohort

CHUNK_SIZE = 100
#: External ids looked up per query when checking a whole file against the database.
LOOKUP_SIZE = 500
MAX_FILENAME = 255
MAX_ID = 2**31 - 1
RESUMABLE = (BatchState.VALIDATED, BatchState.RUNNING, BatchState.FAILED)

Progress = Callable[[int, int], None]


class CohortImportError(CertsvcError):
    """A batch cannot run: its rows conflict with the database or its state forbids it."""

    code = "cohort_import_failed"
    http_status = 409


class BatchNotFound(CertsvcError):
    """No such batch for this provider (another provider's batch is not disclosed)."""

    code = "not_found"
    http_status = 404


@dataclass
class CohortPreview:
    """What a file would do: its validation, and which of its rows were issued before."""

    validation: CohortValidation
    already_issued: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.validation.ok

    @property
    def new_rows(self) -> list[CohortRow]:
        return [row for row in self.validation.rows if row.external_id not in self.already_issued]


@dataclass(frozen=True)
class BatchProgress:
    """A batch's state as the status page and its JSON show it."""

    id: int
    filename: str
    state: BatchState
    total: int
    done: int
    issued: int
    errors: list[dict[str, Any]]

    @property
    def skipped(self) -> int:
        """Rows handled without issuing: their credential existed already."""
        return self.done - self.issued

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.done * 100 // self.total

    def as_dict(self) -> dict[str, Any]:
        """Return the progress as JSON-ready data."""
        return {
            "id": self.id,
            "filename": self.filename,
            "state": self.state.value,
            "total": self.total,
            "done": self.done,
            "issued": self.issued,
            "skipped": self.skipped,
            "percent": self.percent,
            "errors": self.errors,
        }


def qualification_codes(session: Session, provider: Organisation) -> list[str]:
    """The codes of the provider's qualifications, in the order they were created."""
    return list(
        session.scalars(
            select(Qualification.code).where(Qualification.provider_id == provider.id).order_by(Qualification.id)
        )
    )


def preview(session: Session, provider: Organisation, unverified_content: bytes, *, today: date) -> CohortPreview:
    """Validate a file for ``provider`` and find the rows issued before; raises CohortFileError."""
    _require_provider(provider)
    validation = cohort_csv.validate_cohort(unverified_content, set(qualification_codes(session, provider)), today)
    result = CohortPreview(validation)
    if validation.errors:
        return result
    issued, learners = _existing(session, provider, [row.external_id for row in validation.rows])
    result.already_issued = issued
    for row in validation.rows:
        learner = learners.get(row.external_id)
        if row.external_id not in issued and learner is not None and not _same_person(learner, row):
            validation.errors.append({"line": row.line, "column": "external_id", "message": _CONFLICT})
    return result


def create_batch(
    session: Session,
    provider: Organisation,
    filename: str,
    unverified_content: bytes,
    *,
    today: date,
    created_by_id: int | None = None,
) -> tuple[ImportBatch | None, CohortPreview]:
    """Validate a file; if every row is valid, store it as a batch awaiting confirmation (caller commits).

    A file with row errors stores nothing: the preview carries the errors to show.
    """
    checked = preview(session, provider, unverified_content, today=today)
    if not checked.ok:
        return None, checked
    batch = ImportBatch(
        provider_id=provider.id,
        created_by_id=created_by_id,
        filename=_clean_filename(filename),
        content=unverified_content,
        state=BatchState.VALIDATED,
        total=len(checked.validation.rows),
        done=0,
        errors=[],
    )
    session.add(batch)
    session.flush()
    return batch, checked


def find_unfinished(session: Session, provider: Organisation, content: bytes) -> ImportBatch | None:
    """The provider's newest unfinished batch of exactly this file, to resume instead of starting anew."""
    candidates = session.scalars(
        select(ImportBatch)
        .where(ImportBatch.provider_id == provider.id, ImportBatch.state.in_(RESUMABLE))
        .order_by(ImportBatch.id.desc())
    )
    return next((batch for batch in candidates if batch.content == content), None)


def get_batch(session: Session, provider: Organisation, batch_id: int) -> ImportBatch:
    """One of the provider's batches; any other id is not found."""
    _check_id(batch_id)
    batch = session.scalar(
        select(ImportBatch).where(ImportBatch.id == batch_id, ImportBatch.provider_id == provider.id)
    )
    if batch is None:
        raise BatchNotFound("no such import batch")
    return batch


def list_batches(session: Session, provider: Organisation, limit: int = 100) -> list[ImportBatch]:
    """The provider's batches, newest first."""
    return list(
        session.scalars(
            select(ImportBatch)
            .where(ImportBatch.provider_id == provider.id)
            .order_by(ImportBatch.id.desc())
            .limit(limit)
        )
    )


def batch_rows(session: Session, provider: Organisation, batch: ImportBatch, *, today: date) -> CohortPreview:
    """Re-read a stored batch's file as the preview page shows it."""
    return preview(session, provider, batch.content or b"", today=today)


def progress_of(session: Session, batch: ImportBatch) -> BatchProgress:
    """The batch's progress, with how many credentials it issued itself."""
    issued = session.scalar(select(func.count(Credential.id)).where(Credential.import_batch_id == batch.id)) or 0
    return BatchProgress(
        batch.id, batch.filename, batch.state, batch.total, batch.done, int(issued), list(batch.errors or [])
    )


def start(session: Session, provider: Organisation, batch_id: int, *, actor: str) -> ImportBatch:
    """Confirm a batch, or resume a stopped one: mark it running (audited); the caller commits, then runs it."""
    batch = _locked_batch(session, provider, batch_id)
    if batch.state is BatchState.DONE:
        raise CohortImportError("this batch is complete", reason="batch_done")
    action = "cohort.import_confirmed" if batch.state is BatchState.VALIDATED else "cohort.import_resumed"
    batch.state, batch.errors = BatchState.RUNNING, []
    details = {"filename": batch.filename, "rows": batch.total, "done": batch.done}
    audit.append(session, action, actor=actor, org_id=provider.id, subject=f"batch:{batch.id}", details=details)
    return batch


def run_batch(
    session: Session,
    provider: Organisation,
    batch_id: int,
    *,
    signer: Signer,
    base_url: str,
    actor: str,
    kek: str,
    clock: Callable[[], datetime] = utcnow,
    chunk_size: int = CHUNK_SIZE,
    on_progress: Progress | None = None,
    validated_rows: Sequence[CohortRow] | None = None,
) -> BatchProgress:
    """Issue a started batch's remaining rows, committing the session after every chunk of ``chunk_size``.

    ``validated_rows``: the rows of this batch's file as the caller validated them a moment
    ago (the command line, which creates the batch and runs it at once); without them, the
    stored file is validated again, since qualifications may have changed since the upload.

    Every credential gets a claim code and PIN; the chunk's codes and PINs are sealed under
    the KEK in the same transaction, for the provider to take once as claim slips.

    Safe to run again after a crash, and even alongside another run of the same batch: each
    chunk locks the batch row and starts after the last committed row. A row that cannot be
    issued marks the batch failed (its chunk rolled back, earlier chunks kept) and raises.
    """
    batch = _locked_batch(session, provider, batch_id)
    if batch.state is not BatchState.RUNNING:
        raise CohortImportError(f"the batch is {batch.state.value}, not started", reason="not_started")
    if validated_rows is not None and len(validated_rows) == batch.total:
        rows = list(validated_rows)
    else:
        rows = _validated_rows(session, provider, batch, clock().date())
    session.commit()
    context = _ChunkContext(provider, _qualifications(session, provider), embassies_by_nationality(session, provider))
    while True:
        batch = _locked_batch(session, provider, batch_id)
        chunk = rows[batch.done : batch.done + chunk_size]
        if not chunk or batch.state is not BatchState.RUNNING:
            break
        try:
            _issue_chunk(
                session, context, batch, chunk, signer=signer, base_url=base_url, actor=actor, kek=kek, now=clock()
            )
        except CertsvcError as exc:
            session.rollback()
            _fail(session, provider, batch_id, [{"line": exc.data.get("line"), "column": None, "message": exc.message}])
            raise
        batch.done += len(chunk)
        session.commit()
        if on_progress is not None:
            on_progress(batch.done, batch.total)
    if batch.state is BatchState.RUNNING:
        _finish(session, provider, batch, actor, clock())
    session.commit()
    return progress_of(session, batch)


def mark_failed(session: Session, provider: Organisation, batch_id: int, message: str) -> None:
    """Record that a run stopped on an unexpected error; the batch can be resumed (caller commits)."""
    batch = _locked_batch(session, provider, batch_id)
    if batch.state is not BatchState.DONE:
        batch.state, batch.errors = BatchState.FAILED, [{"line": None, "column": None, "message": message}]


@dataclass(frozen=True)
class _ChunkContext:
    provider: Organisation
    qualifications: dict[str, Qualification]
    embassies: dict[str, int]


_CONFLICT = "a different learner is registered under this external id"


def _issue_chunk(
    session: Session,
    context: _ChunkContext,
    batch: ImportBatch,
    rows: Sequence[CohortRow],
    *,
    signer: Signer,
    base_url: str,
    actor: str,
    kek: str,
    now: datetime,
) -> None:
    issued, learners = _existing(session, context.provider, [row.external_id for row in rows])
    entries = [_entry(row, context, learners.get(row.external_id)) for row in rows if row.external_id not in issued]
    if entries:
        made = issue_cohort(
            session,
            context.provider,
            entries,
            signer=signer,
            base_url=base_url,
            now=now,
            actor=actor,
            import_batch_id=batch.id,
            embassies=context.embassies,
            kek=kek,
        )
        secrets = [(m.credential_id, m.claim.code, m.claim.pin) for m in made if m.claim is not None]
        session.add(SealedClaimSlips(batch_id=batch.id, sealed=seal_slips(kek, batch.id, secrets), created_at=now))


def slips_purpose(batch_id: int) -> str:
    """The key purpose a batch's claim slips are sealed under: one key per batch."""
    return f"claim slips:{batch_id}"


def seal_slips(kek: str, batch_id: int, secrets: Sequence[tuple[int, str, str]]) -> bytes:
    """Encrypt (credential id, claim code, PIN) triples for the batch; only ``claim_slips`` opens them."""
    return keystore.seal(kek, slips_purpose(batch_id), json.dumps(list(secrets)).encode("ascii"))


def _entry(row: CohortRow, context: _ChunkContext, learner: Learner | None) -> CohortEntry:
    if learner is not None and not _same_person(learner, row):
        raise CohortImportError(f"line {row.line}: {_CONFLICT}", line=row.line, external_id=row.external_id)
    assessment = None
    if row.kind is Kind.PRIOR_SKILLS:
        assert row.assessment_method and row.evidence_summary and row.assessed_on  # validated
        assessment = PriorSkillsAssessment(row.assessment_method, row.evidence_summary, row.assessed_on)
    qualification = context.qualifications.get(row.qualification_code)
    if qualification is None:  # renamed or removed since the rows were validated
        message = f"line {row.line}: the qualification {row.qualification_code} is no longer one of yours"
        raise CohortImportError(message, line=row.line, reason="qualification_gone")
    data = LearnerData(
        row.name, row.birth_date, row.nationality, row.id_number, row.sex, row.external_id, language=row.language
    )
    return CohortEntry(
        learner=data,
        qualification=qualification,
        assessment=assessment,
        external_id=row.external_id,
        learner_record=learner,
        assessor=row.assessor if assessment is not None else None,
    )


def _existing(
    session: Session, provider: Organisation, external_ids: Sequence[str]
) -> tuple[set[str], dict[str, Learner]]:
    """External ids that already have a credential, and learners already registered under them."""
    issued: set[str] = set()
    learners: dict[str, Learner] = {}
    for part in _parts(external_ids, LOOKUP_SIZE):
        issued.update(
            session.scalars(
                select(Credential.external_id).where(
                    Credential.provider_id == provider.id, bulk.one_of(session, Credential.external_id, part)
                )
            ).all()  # type: ignore[arg-type]
        )
        found = session.scalars(
            select(Learner).where(Learner.provider_id == provider.id, bulk.one_of(session, Learner.external_id, part))
        )
        learners.update((learner.external_id, learner) for learner in found if learner.external_id)
    return issued, learners


def _same_person(learner: Learner, row: CohortRow) -> bool:
    return (
        learner.name == row.name
        and learner.birth_date == row.birth_date
        and learner.nationality == row.nationality
        and learner.id_number_hash == hash_id_number(row.id_number, learner.id_number_salt)
    )


def _validated_rows(session: Session, provider: Organisation, batch: ImportBatch, today: date) -> list[CohortRow]:
    """The stored file's rows, checked again (qualifications may have changed since the upload)."""
    try:
        validation = cohort_csv.validate_cohort(
            batch.content or b"", set(qualification_codes(session, provider)), today
        )
    except cohort_csv.CohortFileError as exc:
        _fail(session, provider, batch.id, [{"line": None, "column": None, "message": exc.message}])
        raise
    if validation.errors or len(validation.rows) != batch.total:
        _fail(session, provider, batch.id, validation.errors[: cohort_csv.MAX_ERRORS])
        raise CohortImportError("the stored file no longer validates", errors=len(validation.errors))
    return validation.rows


def _fail(session: Session, provider: Organisation, batch_id: int, errors: list[dict[str, Any]]) -> None:
    batch = _locked_batch(session, provider, batch_id)
    batch.state, batch.errors = BatchState.FAILED, errors
    session.commit()


def _finish(session: Session, provider: Organisation, batch: ImportBatch, actor: str, now: datetime) -> None:
    batch.state, batch.finished_at = BatchState.DONE, now
    issued = progress_of(session, batch).issued
    details = {"rows": batch.total, "issued": issued, "filename": batch.filename}
    audit.append(
        session, "cohort.imported", actor=actor, org_id=provider.id, subject=f"batch:{batch.id}", details=details,
        now=now,
    )  # fmt: skip


def _locked_batch(session: Session, provider: Organisation, batch_id: int) -> ImportBatch:
    # FOR UPDATE serialises runs of one batch on PostgreSQL (SQLite's BEGIN IMMEDIATE does it
    # for every writer); populate_existing re-reads ``done`` as the last commit left it.
    _check_id(batch_id)
    batch = session.scalar(
        select(ImportBatch)
        .where(ImportBatch.id == batch_id, ImportBatch.provider_id == provider.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if batch is None:
        raise BatchNotFound("no such import batch")
    return batch


def _check_id(batch_id: int) -> None:
    # An id from a URL may exceed what the database can compare (SQLite raises on 2**63).
    if not 0 < batch_id <= MAX_ID:
        raise BatchNotFound("no such import batch")


def _qualifications(session: Session, provider: Organisation) -> dict[str, Qualification]:
    found = session.scalars(select(Qualification).where(Qualification.provider_id == provider.id))
    return {q.code: q for q in found}


def _require_provider(org: Organisation) -> None:
    if org.kind is not OrgKind.PROVIDER:
        raise CohortImportError("only training providers import cohorts", reason="not_a_provider")


def _clean_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return (cleaned or "cohort.csv")[:MAX_FILENAME]


def _parts(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start_at in range(0, len(items), size):
        yield items[start_at : start_at + size]
