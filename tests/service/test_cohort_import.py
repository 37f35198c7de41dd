"""Cohort import: every row validated first, nothing issued before confirmation, never twice, resumable."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from certsvc.credentials.b64 import b64url_encode
from certsvc.demo.seed import DEMO_PASSWORD, seed
from certsvc.store import audit, db
from certsvc.store.models import (
    AuditEntry,
    BatchState,
    Credential,
    ImportBatch,
    Learner,
    Organisation,
    Qualification,
)
from certsvc.store.signers import signer_for
from issuers import cohort_csv, cohort_import
from issuers.cohort_csv import COLUMNS, CohortFileError, template_csv, validate_cohort
from issuers.issuance import ASSESSMENT_RECORDED, LearnerData, register_learner
from issuers.status_index import allocate_status_index, allocate_status_indexes

from .support import CHEAP_HASHER, KEK, csrf_token, login

BASE = "https://skills.example.org"
TODAY = date(2026, 6, 1)
CODES = {"SMAW2", "COOK2", "CARE2"}
PROVIDER = "klwa"
OFFICER = "officer@klwa.example"
OTHER_OFFICER = "officer@jcsc.example"
ASSESSMENT = ("practical_test", "Bed bath, transfers and medication log observed; passed.", "2026-02-02", "A. Rahman")


# -- cohort files ---------------------------------------------------------------------------


def cohort(rows: int, *, prefix: str = "ROW", start: int = 0) -> bytes:
    """A valid cohort of ``rows`` Filipino workers; every fourth is a prior-skills carer."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for n in range(start, start + rows):
        person = (f"{prefix}-{n:05d}", f"Worker {n} Reyes", f"19{70 + n % 30}-0{1 + n % 9}-15", "PH", f"P{n:07d}Q", "F")
        if n % 4 == 3:
            writer.writerow((*person, "CARE2", "prior_skills", *ASSESSMENT))
        else:
            writer.writerow((*person, "SMAW2", "training", "", "", "", ""))
    return out.getvalue().encode()


def with_rows(*rows: dict[str, str]) -> bytes:
    """A cohort of the given rows: each starts from a valid training row and overrides some columns."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for n, changes in enumerate(rows):
        base = {"external_id": f"X-{n}", "name": "Ana Cruz", "birth_date": "1990-01-02", "nationality": "PH"}
        base |= {"id_number": f"P{n}", "qualification_code": "SMAW2", "kind": "training"}
        writer.writerow(base | changes)
    return out.getvalue().encode()


# -- validation (no database) -------------------------------------------------------------------


def test_template_validates_clean() -> None:
    checked = validate_cohort(template_csv(["SMAW2", "CARE2"]).encode(), CODES, TODAY)
    assert checked.ok and not checked.errors
    assert [row.kind.value for row in checked.rows] == ["training", "prior_skills"]
    assert checked.rows[1].assessor == "A. Rahman"


def test_every_error_of_a_row_is_reported_with_line_and_column() -> None:
    data = with_rows(
        {},
        {"birth_date": "17/05/1990", "nationality": "Philippines", "sex": "female", "qualification_code": "PLUMB9"},
        {"kind": "prior_skills", "assessment_method": "vibes", "assessed_on": "2999-01-01"},
        {"external_id": "X-0", "name": ""},
        {"evidence_summary": "seen"},
    )
    checked = validate_cohort(data, CODES, TODAY)
    assert not checked.ok and [row.line for row in checked.rows] == [2]
    found = {(e["line"], e["column"]) for e in checked.errors}
    assert found == {
        (3, "birth_date"),
        (3, "nationality"),
        (3, "sex"),
        (3, "qualification_code"),
        (4, "assessment_method"),
        (4, "evidence_summary"),
        (4, "assessed_on"),
        (4, "assessor"),
        (5, "name"),
        (6, "evidence_summary"),
    }
    assert checked.error_lines == 4
    assert all(isinstance(e["message"], str) and e["message"] for e in checked.errors)


def test_repeated_external_id_and_overlong_field() -> None:
    data = with_rows({"external_id": "A"}, {"external_id": "A"}, {"name": "x" * 201, "birth_date": "nope"})
    errors = validate_cohort(data, CODES, TODAY).errors
    assert {(e["line"], e["column"]) for e in errors} == {(3, "external_id"), (4, "name"), (4, "birth_date")}
    assert "repeats line 2" in next(e["message"] for e in errors if e["line"] == 3)


def test_semicolon_csv_from_a_spreadsheet_is_accepted() -> None:
    data = template_csv(["SMAW2", "CARE2"]).replace(",", ";").encode("utf-8-sig")
    assert validate_cohort(data, CODES, TODAY).ok


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfeh\x00i\x00", "not UTF-8"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "not a CSV text file"),
        (b"external_id,name\x00\n", "NUL"),
        (b"name,birth_date\nAna,1990-01-01\n", "lacks required columns"),
        (b"", "lacks required columns"),
        (",".join(COLUMNS).encode() + b"\n\n", "holds no rows"),
        (b"x" * (cohort_csv.MAX_BYTES + 1), "larger than"),
        (cohort(1) + b'"' + b"x" * 140_000 + b'"\r\n', "not a readable CSV"),
    ],
)
def test_unusable_files_are_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(CohortFileError, match=message):
        validate_cohort(data, CODES, TODAY)


def test_too_many_rows() -> None:
    with pytest.raises(CohortFileError, match="at most"):
        validate_cohort(cohort(cohort_csv.MAX_ROWS + 1), CODES, TODAY)


# -- the domain on both databases --------------------------------------------------------------


@pytest.fixture
def demo_session(db_session: Session) -> Session:
    seed(db_session, kek=KEK, base_url=BASE, hasher=CHEAP_HASHER, now=datetime.now(UTC))
    db_session.commit()
    return db_session


def provider_named(session: Session, slug: str = PROVIDER) -> Organisation:
    return session.scalars(select(Organisation).where(Organisation.slug == slug)).one()


def run(session: Session, provider: Organisation, batch_id: int, **kw: Any) -> cohort_import.BatchProgress:
    """Confirm (or resume) a batch and run it, as the CLI does."""
    signer = signer_for(session, provider, KEK, BASE)
    cohort_import.start(session, provider, batch_id, actor="test")
    session.commit()
    return cohort_import.run_batch(
        session, provider, batch_id, signer=signer, base_url=BASE, actor="test", kek=KEK, **kw
    )


def count(session: Session, statement: Any) -> int:
    return int(session.scalar(statement) or 0)


def test_import_issues_every_row_once_and_audits_it(demo_session: Session) -> None:
    session, provider = demo_session, provider_named(demo_session)
    before = count(session, select(func.count(Credential.id)))
    batch, checked = cohort_import.create_batch(session, provider, "c.csv", cohort(12), today=TODAY)
    assert batch is not None and checked.ok and len(checked.new_rows) == 12
    session.commit()
    assert count(session, select(func.count(Credential.id))) == before  # nothing before confirmation
    with pytest.raises(cohort_import.CohortImportError, match="not started"):
        cohort_import.run_batch(session, provider, batch.id, signer=signer_for(session, provider, KEK, BASE),
                                base_url=BASE, actor="test", kek=KEK)  # fmt: skip
    seen: list[tuple[int, int]] = []
    result = run(session, provider, batch.id, chunk_size=5, on_progress=lambda d, t: seen.append((d, t)))
    assert (result.state, result.done, result.issued, result.skipped) == (BatchState.DONE, 12, 12, 0)
    assert seen == [(5, 12), (10, 12), (12, 12)]
    issued = session.scalars(select(Credential).where(Credential.import_batch_id == batch.id)).all()
    assert sorted(c.external_id for c in issued) == [f"ROW-{n:05d}" for n in range(12)]
    assert all(c.embassy_id is not None for c in issued)  # queued for the Philippine embassy
    assert len({c.payload for c in issued}) == 12  # a fresh salt and id for each
    assert sum(c.kind.value == "prior_skills" for c in issued) == 3
    assert all(c.provider_jws.split(".")[1] == b64url_encode(c.payload) for c in issued)
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.org_id == provider.id)).all()
    assert actions.count("credential.issued") >= 12
    assert actions.count("cohort.import_confirmed") == actions.count("cohort.imported") == 1
    assessors = session.scalars(select(AuditEntry.details).where(AuditEntry.action == ASSESSMENT_RECORDED)).all()
    assert assessors.count({"assessor": "A. Rahman"}) == 3
    assert audit.verify_chain(session).ok


def test_rerun_issues_nothing_new(demo_session: Session) -> None:
    session, provider = demo_session, provider_named(demo_session)
    first, _ = cohort_import.create_batch(session, provider, "c.csv", cohort(6), today=TODAY)
    assert first is not None
    session.commit()
    run(session, provider, first.id)
    again, checked = cohort_import.create_batch(session, provider, "c.csv", cohort(8), today=TODAY)
    assert again is not None and len(checked.already_issued) == 6 and len(checked.new_rows) == 2
    session.commit()
    result = run(session, provider, again.id)
    assert (result.issued, result.skipped) == (2, 6)
    assert count(session, select(func.count(Credential.id)).where(Credential.external_id.like("ROW-%"))) == 8


def _rename_qualification(session: Session, provider: Organisation, code: str, new_code: str) -> None:
    found = session.scalars(
        select(Qualification).where(Qualification.provider_id == provider.id, Qualification.code == code)
    ).one()
    found.code = new_code
    session.commit()


def _stored_batch(session: Session, provider: Organisation, rows: int) -> tuple[ImportBatch, list[Any]]:
    """A batch of ``rows`` valid rows, stored and committed, with the rows as validated."""
    batch, checked = cohort_import.create_batch(session, provider, "c.csv", cohort(rows), today=TODAY)
    assert batch is not None
    session.commit()
    return batch, checked.validation.rows


def test_a_stored_file_is_validated_again_when_it_runs(demo_session: Session) -> None:
    session, provider = demo_session, provider_named(demo_session)
    batch, _ = _stored_batch(session, provider, 5)
    _rename_qualification(session, provider, "SMAW2", "SMAW9")  # after the upload, before the run
    with pytest.raises(cohort_import.CohortImportError, match="no longer validates"):
        run(session, provider, batch.id)
    session.rollback()
    assert batch.state is BatchState.FAILED
    assert count(session, select(func.count(Credential.id)).where(Credential.import_batch_id == batch.id)) == 0


def test_rows_the_caller_validated_are_issued_without_reading_the_file_again(demo_session: Session) -> None:
    session, provider = demo_session, provider_named(demo_session)
    batch, rows = _stored_batch(session, provider, 9)
    result = run(session, provider, batch.id, chunk_size=4, validated_rows=rows)
    assert (result.state, result.done, result.issued) == (BatchState.DONE, 9, 9)
    issued = session.scalars(select(Credential.external_id).where(Credential.import_batch_id == batch.id)).all()
    assert sorted(issued) == [f"ROW-{n:05d}" for n in range(9)]
    assert audit.verify_chain(session).ok


def test_a_qualification_gone_since_validation_fails_the_batch_at_its_row(demo_session: Session) -> None:
    session, provider = demo_session, provider_named(demo_session)
    batch, rows = _stored_batch(session, provider, 8)
    _rename_qualification(session, provider, "CARE2", "CARE9")  # between the caller's validation and the run
    with pytest.raises(cohort_import.CohortImportError, match="line 5: the qualification CARE2"):
        run(session, provider, batch.id, chunk_size=3, validated_rows=rows)
    session.rollback()
    # Line 5 (the fourth row, a carer) is in the second chunk: the first is kept, the second rolled back.
    assert (batch.state, batch.done) == (BatchState.FAILED, 3)
    assert [(e["line"], e["message"]) for e in batch.errors] == [
        (5, "line 5: the qualification CARE2 is no longer one of yours")
    ]
    assert count(session, select(func.count(Credential.id)).where(Credential.import_batch_id == batch.id)) == 3


def test_interrupted_run_keeps_whole_chunks_and_resumes(demo_session: Session) -> None:
    session, provider = demo_session, provider_named(demo_session)
    batch, _ = cohort_import.create_batch(session, provider, "c.csv", cohort(10), today=TODAY)
    assert batch is not None
    session.commit()

    def crash(done: int, _total: int) -> None:
        raise KeyboardInterrupt  # the process stops after the first chunk committed

    with pytest.raises(KeyboardInterrupt):
        run(session, provider, batch.id, chunk_size=4, on_progress=crash)
    session.rollback()
    assert (batch.state, batch.done) == (BatchState.RUNNING, 4)
    assert count(session, select(func.count(Credential.id)).where(Credential.import_batch_id == batch.id)) == 4
    assert cohort_import.find_unfinished(session, provider, cohort(10)) == batch
    result = run(session, provider, batch.id, chunk_size=4)
    assert (result.state, result.done, result.issued) == (BatchState.DONE, 10, 10)


def test_conflicting_learner_is_an_error_before_anything_is_issued(demo_session: Session) -> None:
    session, provider = demo_session, provider_named(demo_session)
    data = LearnerData("Somebody Else", date(1980, 1, 1), "PH", "Z999", external_id="ROW-00001")
    register_learner(session, provider, data, actor="test")
    same = LearnerData("Worker 0 Reyes", date(1970, 1, 15), "PH", "P0000000Q", "F", external_id="ROW-00000")
    register_learner(session, provider, same, actor="test")
    session.commit()
    batch, checked = cohort_import.create_batch(session, provider, "c.csv", cohort(3), today=TODAY)
    assert batch is None
    assert checked.validation.errors == [
        {"line": 3, "column": "external_id", "message": "a different learner is registered under this external id"}
    ]
    learner = session.scalars(select(Learner).where(Learner.external_id == "ROW-00001")).one()
    learner.external_id = "OTHER"  # once resolved, the same person registered earlier gets the credential
    session.commit()
    batch, _ = cohort_import.create_batch(session, provider, "c.csv", cohort(3), today=TODAY)
    assert batch is not None
    session.commit()
    assert run(session, provider, batch.id).issued == 3
    assert count(session, select(func.count(Learner.id)).where(Learner.external_id == "ROW-00000")) == 1


def test_status_indexes_are_allocated_as_a_block_across_lists(demo_session: Session) -> None:
    session, provider = demo_session, provider_named(demo_session)
    first, _ = allocate_status_index(session, provider)
    first.next_idx = first.size - 3  # nearly full: the block continues in a new list
    session.flush()
    slots = allocate_status_indexes(session, provider, 5)
    assert [(record.list_number, idx) for record, idx in slots] == [
        (first.list_number, first.size - 3),
        (first.list_number, first.size - 2),
        (first.list_number, first.size - 1),
        (first.list_number + 1, 0),
        (first.list_number + 1, 1),
    ]
    assert [idx for _, idx in allocate_status_indexes(session, provider, 2)] == [2, 3]


def test_only_providers_import(demo_session: Session) -> None:
    embassy = provider_named(demo_session, "ph-kl")
    with pytest.raises(cohort_import.CohortImportError):
        cohort_import.preview(demo_session, embassy, cohort(1), today=TODAY)


# -- the web flow on both databases ------------------------------------------------------------


@pytest.fixture
def officer(demo: Flask) -> Iterator[FlaskClient]:
    client = demo.test_client()
    assert login(client, OFFICER, DEMO_PASSWORD).status_code == 302
    yield client
    wait_until_settled(demo)


def token(client: FlaskClient) -> str:
    return csrf_token(client, "/provider/imports")


def upload(client: FlaskClient, data: bytes, filename: str = "cohort.csv", csrf: str | None = None) -> Any:
    # Encoded here rather than by the test client, which leaves large bodies in an unclosed temporary file.
    fields = {"csrf_token": csrf or token(client), "file": FileStorage(io.BytesIO(data), filename)}
    boundary, body = encode_multipart(fields)
    return client.post("/provider/imports", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def stored(app: Flask, statement: Any) -> int:
    with db.session_factory(app)() as session:
        return int(session.scalar(statement) or 0)


def wait_until_settled(app: Flask, timeout: float = 30) -> None:
    """Wait for background imports of this app to finish (or stop)."""
    deadline = time.monotonic() + timeout
    while stored(app, select(func.count(ImportBatch.id)).where(ImportBatch.state == BatchState.RUNNING)):
        assert time.monotonic() < deadline, "import still running"
        time.sleep(0.02)


def poll(client: FlaskClient, batch_path: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        status = client.get(batch_path + "/status").get_json()
        if status["state"] != "running" or time.monotonic() > deadline:
            return dict(status)
        time.sleep(0.02)


def test_template_download_validates_for_the_provider(officer: FlaskClient) -> None:
    response = officer.get("/provider/imports/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert validate_cohort(response.data, CODES, TODAY).ok


def test_row_errors_are_shown_and_nothing_is_stored(officer: FlaskClient, demo: Flask) -> None:
    credentials = stored(demo, select(func.count(Credential.id)))
    learners = stored(demo, select(func.count(Learner.id)))
    response = upload(officer, with_rows({}, {"birth_date": "1990-13-01", "nationality": "P1"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was issued" in page and 'id="row-errors"' in page
    assert "<td>3</td><td>birth_date</td><td>must be a date as YYYY-MM-DD</td>" in page
    assert "<td>3</td><td>nationality</td>" in page
    assert stored(demo, select(func.count(ImportBatch.id))) == 0
    assert stored(demo, select(func.count(Credential.id))) == credentials
    assert stored(demo, select(func.count(Learner.id))) == learners


def test_upload_preview_confirm_and_progress(officer: FlaskClient, demo: Flask) -> None:
    before = stored(demo, select(func.count(Credential.id)))
    response = upload(officer, cohort(30))
    assert response.status_code == 303
    batch_path = response.headers["Location"]
    preview = officer.get(batch_path).get_data(as_text=True)
    assert "All 30 rows are valid." in preview and "Issue 30 credential(s)" in preview and "ROW-00029" in preview
    assert stored(demo, select(func.count(Credential.id))) == before  # not before confirmation
    assert officer.get(batch_path + "/status").get_json()["state"] == "validated"

    confirmed = officer.post(batch_path + "/confirm", data={"csrf_token": token(officer)})
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == batch_path
    status = poll(officer, batch_path)
    assert status | {"id": 0} == {
        "id": 0, "filename": "cohort.csv", "state": "done", "total": 30, "done": 30, "issued": 30, "skipped": 0,
        "percent": 100, "errors": [],
    }  # fmt: skip
    assert stored(demo, select(func.count(Credential.id))) == before + 30
    page = officer.get(batch_path).get_data(as_text=True)
    assert "Import complete" in page and 'http-equiv="refresh"' not in page
    listing = officer.get("/provider/imports").get_data(as_text=True)
    assert batch_path in listing and "30 / 30" in listing

    again = upload(officer, cohort(30))  # the same file again: nothing new to issue
    again_path = again.headers["Location"]
    assert "0 credential(s) will be issued; 30 row(s) already have one" in officer.get(again_path).get_data(
        as_text=True
    )
    officer.post(again_path + "/confirm", data={"csrf_token": token(officer)})
    assert poll(officer, again_path)["skipped"] == 30
    assert stored(demo, select(func.count(Credential.id))) == before + 30


def test_running_batch_page_refreshes_itself_and_offers_resume(officer: FlaskClient, demo: Flask) -> None:
    batch_path = upload(officer, cohort(3)).headers["Location"]
    with db.session_factory(demo)() as session:  # as a server killed mid-run leaves it
        batch = session.get(ImportBatch, int(batch_path.rsplit("/", 1)[1]))
        assert batch is not None
        batch.state = BatchState.RUNNING
        session.commit()
    page = officer.get(batch_path).get_data(as_text=True)
    # With a script the page follows the status in place; without one it reloads itself (no timed
    # refresh for script users: axe counts that as a critical barrier).
    assert 'data-batch-status="' + batch_path + '/status"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert "Resume the import" in page
    officer.post(batch_path + "/resume", data={"csrf_token": token(officer)})
    assert poll(officer, batch_path)["issued"] == 3


BAD_UPLOADS = [
    (b"x" * (cohort_csv.MAX_BYTES + 1), "big.csv", "larger than"),
    ("name\nJosé\n".encode("latin-1"), "latin1.csv", "not UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv", "not UTF-8"),
    (b"PK\x03\x04", "cohort.xlsx", "must be a .csv file"),
    (b"hello, world\n", "notes.csv", "lacks required columns"),
    (b"", "", "choose a CSV file"),
]


def test_bad_uploads_get_a_clear_error_and_change_nothing(officer: FlaskClient, demo: Flask) -> None:
    for data, filename, message in BAD_UPLOADS:
        response = upload(officer, data, filename)
        assert response.status_code == 400, filename
        assert message in response.get_data(as_text=True), filename
    assert upload(officer, cohort(1), csrf="forged").status_code == 400
    assert stored(demo, select(func.count(ImportBatch.id))) == 0


def test_another_providers_batch_is_not_found(officer: FlaskClient, demo: Flask) -> None:
    batch_path = upload(officer, cohort(2)).headers["Location"]
    other = demo.test_client()
    assert login(other, OTHER_OFFICER, DEMO_PASSWORD).status_code == 302
    other_token = csrf_token(other, "/provider/imports")
    assert other.get(batch_path).status_code == 404
    assert other.get(batch_path + "/status").status_code == 404
    for action in ("confirm", "resume"):
        assert other.post(f"{batch_path}/{action}", data={"csrf_token": other_token}).status_code == 404
    assert batch_path not in other.get("/provider/imports").get_data(as_text=True)
    for missing in (0, 999_999, 2**63):
        assert officer.get(f"/provider/imports/{missing}/status").status_code == 404
    assert officer.get(batch_path + "/status").get_json()["state"] == "validated"


def test_imports_need_a_provider_login(demo: Flask) -> None:
    anonymous = demo.test_client()
    assert anonymous.get("/provider/imports").status_code == 302  # to the login page
    assert anonymous.get("/provider/imports/1/status", headers={"Accept": "application/json"}).status_code == 401
    embassy = demo.test_client()
    assert login(embassy, "officer@ph-kl.example", DEMO_PASSWORD).status_code == 302
    assert embassy.get("/provider/imports").status_code == 403
    assert embassy.get("/provider/imports/template.csv").status_code == 403
