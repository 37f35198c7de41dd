"""The provider's claim-code pages: a cohort's claim slips taken once (PDF or CSV), a new code for one credential."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from certsvc.demo.seed import DEMO_PASSWORD
from certsvc.store import db
from certsvc.store.models import AuditEntry, Credential, CredentialClaim, Organisation, Role
from certsvc.wallet import claims
from certsvc.wallet.errors import ClaimUsed, WrongClaim
from certsvc.wallet.throttle import ThrottlePolicy

from .support import CHEAP_HASHER, KEK, PASSWORD, csrf_token, login, make_user
from .test_cohort_import import OFFICER, OTHER_OFFICER, PROVIDER, poll, upload, wait_until_settled, with_rows

CODE = re.compile(r"\b[0-9A-Z]{5}-[0-9A-Z]{5}\b")
#: Names a spreadsheet would run as formulas, and names in the scripts of our corridors.
NAMES = ("=HYPERLINK(\"https://evil.example\")", "+63 Ana Cruz", "-Ana Cruz", "@Ana Cruz", "Ma Thida Aung",
         "မသီတာအောင်", "Nguyễn Thị Hương", "María José Peña")  # fmt: skip
VIEWER = "viewer@klwa.example"


@pytest.fixture
def officer(demo: Flask) -> Iterator[FlaskClient]:
    client = demo.test_client()
    assert login(client, OFFICER, DEMO_PASSWORD).status_code == 302
    yield client
    wait_until_settled(demo)


def imported(client: FlaskClient, *names: str) -> str:
    """Import a cohort of these learners and wait until it is done; return the batch's page."""
    response = upload(client, with_rows(*({"name": name} for name in names)))
    assert response.status_code == 303, response.get_data(as_text=True)
    batch_path = str(response.headers["Location"])
    confirmed = client.post(batch_path + "/confirm", data={"csrf_token": csrf_token(client, batch_path)})
    assert confirmed.status_code == 303
    assert poll(client, batch_path)["state"] == "done"
    return batch_path


def take(client: FlaskClient, batch_path: str, kind: str) -> Any:
    token = csrf_token(client, batch_path)
    return client.post(batch_path + "/claim-slips", data={"csrf_token": token, "format": kind})


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def works(app: Flask, code: str, pin: str) -> bool:
    """Whether a claim code and PIN are the credential's own (checked, never used)."""
    with db.session_factory(app)() as session:
        try:
            claims.find_claim(session, code, pin, address="test", hasher=CHEAP_HASHER, policy=ThrottlePolicy(), kek=KEK)
        except WrongClaim:
            return False
        except ClaimUsed:
            return True  # right, but in a wallet already
        finally:
            session.rollback()
    return True


def test_the_claim_slips_download_once_as_a_pdf_and_the_page_says_when(officer: FlaskClient, demo: Flask) -> None:
    batch_path = imported(officer, *NAMES)
    listing = officer.get("/provider/imports").get_data(as_text=True)
    assert f'href="{batch_path}#claim-slips-title">Ready to download once</a>' in listing
    page = officer.get(batch_path).get_data(as_text=True)
    assert "Download claim slips (PDF)" in page and "Download claim slips (CSV)" in page
    assert "The codes can be downloaded once" in page

    response = take(officer, batch_path, "pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    batch_id = batch_path.rsplit("/", 1)[1]
    assert response.headers["Content-Disposition"] == f'attachment; filename="claim-slips-batch-{batch_id}.pdf"'
    text = pdf_text(response.data)
    for name in NAMES:
        assert name in text, name
    assert len(set(CODE.findall(text))) == len(NAMES)

    after = officer.get(batch_path).get_data(as_text=True)
    assert "Download claim slips" not in after
    assert re.search(r"The claim slips were downloaded on \d{4}-\d\d-\d\d \d\d:\d\d UTC", after)
    listing = officer.get("/provider/imports").get_data(as_text=True)
    assert "Ready to download once" not in listing and re.search(r"Downloaded on \d{4}-\d\d-\d\d", listing)
    again = take(officer, batch_path, "csv")  # the other form, afterwards: refused, and nothing changes
    assert again.status_code == 409 and "were taken on" in again.get_data(as_text=True)
    with db.session_factory(demo)() as session:
        taken = session.scalars(select(AuditEntry).where(AuditEntry.action == "cohort.claim_slips_taken")).all()
    assert len(taken) == 1 and taken[0].actor.endswith(OFFICER)


def test_the_claim_slips_csv_is_safe_in_a_spreadsheet_and_its_codes_work(officer: FlaskClient, demo: Flask) -> None:
    batch_path = imported(officer, *NAMES)
    response = take(officer, batch_path, "csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"].endswith('.csv"')
    assert response.data.startswith(b"\xef\xbb\xbf")  # spreadsheets read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    holders = [row["holder"] for row in rows]
    assert holders == [("'" + name if name[0] in "=+-@" else name) for name in NAMES]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())
    assert all(works(demo, row["claim_code"], row["pin"]) for row in rows)


def test_a_viewer_sees_the_slips_but_cannot_take_them(officer: FlaskClient, demo: Flask) -> None:
    batch_path = imported(officer, "Ana Cruz")
    with db.session_factory(demo)() as session:
        provider = session.scalar(select(Organisation).where(Organisation.slug == PROVIDER))
        assert provider is not None
        make_user(session, provider, email=VIEWER, role=Role.VIEWER)
        session.commit()
    viewer = demo.test_client()
    assert login(viewer, VIEWER, PASSWORD).status_code == 302
    page = viewer.get(batch_path).get_data(as_text=True)
    assert "Claim slips" in page and "Download claim slips (PDF)" not in page
    token = csrf_token(viewer, batch_path)
    assert viewer.post(batch_path + "/claim-slips", data={"csrf_token": token, "format": "pdf"}).status_code == 403
    assert "Download claim slips (PDF)" in officer.get(batch_path).get_data(as_text=True)  # still there


def test_a_bad_download_request_changes_nothing(officer: FlaskClient) -> None:
    batch_path = imported(officer, "Ana Cruz")
    assert take(officer, batch_path, "xlsx").status_code == 400
    no_token = officer.post(batch_path + "/claim-slips", data={"format": "pdf"})
    assert no_token.status_code == 400 and "csrf_failed" in no_token.get_data(as_text=True)
    assert officer.post("/provider/imports/999999/claim-slips", data={"format": "pdf"}).status_code in (400, 404)
    assert "Download claim slips (PDF)" in officer.get(batch_path).get_data(as_text=True)


def test_a_new_claim_code_replaces_the_old_one_after_a_confirmation(officer: FlaskClient, demo: Flask) -> None:
    batch_path = imported(officer, "Ana Cruz")
    rows = list(csv.DictReader(io.StringIO(take(officer, batch_path, "csv").data.decode("utf-8-sig"))))
    old = rows[0]
    credential_path = f"/provider/credentials/{old['credential']}"
    page = officer.get(credential_path).get_data(as_text=True)
    assert "Not yet in the holder" in page and f'href="{credential_path}/claim-code"' in page

    confirm = officer.get(credential_path + "/claim-code")
    assert confirm.status_code == 200 and "will stop working" in confirm.get_data(as_text=True)
    assert works(demo, old["claim_code"], old["pin"])  # asking changed nothing
    answer = officer.post(credential_path + "/claim-code", data={"csrf_token": csrf_token(officer, credential_path)})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "private, no-store"
    assert f'data-page-address="{credential_path}"' in html
    code, pin = re.findall(r'<span class="secret">([^<]+)</span>', html)
    assert code != old["claim_code"] and works(demo, code, pin)
    assert not works(demo, old["claim_code"], old["pin"])
    assert pin not in str(officer.get_cookie("session"))


def test_no_new_claim_code_once_the_credential_is_in_a_wallet(officer: FlaskClient, demo: Flask) -> None:
    batch_path = imported(officer, "Ana Cruz")
    row = next(csv.DictReader(io.StringIO(take(officer, batch_path, "csv").data.decode("utf-8-sig"))))
    with db.session_factory(demo)() as session:
        found = session.scalar(select(Credential).where(Credential.public_id == row["credential"]))
        assert found is not None
        claim = session.get(CredentialClaim, found.id)
        assert claim is not None
        claim.claimed_at = datetime.now(UTC)  # as the wallet does when the holder claims it
        session.commit()
    credential_path = f"/provider/credentials/{row['credential']}"
    page = officer.get(credential_path).get_data(as_text=True)
    assert "added this credential to their wallet" in page and "/claim-code" not in page
    refused = officer.post(credential_path + "/claim-code", data={"csrf_token": csrf_token(officer, credential_path)})
    assert refused.status_code == 409 and "already in its holder" in refused.get_data(as_text=True)
    assert works(demo, row["claim_code"], row["pin"])  # nothing changed


def test_only_the_providers_own_officers_replace_a_claim_code(officer: FlaskClient, demo: Flask) -> None:
    batch_path = imported(officer, "Ana Cruz")
    row = next(csv.DictReader(io.StringIO(take(officer, batch_path, "csv").data.decode("utf-8-sig"))))
    credential_path = f"/provider/credentials/{row['credential']}/claim-code"
    with db.session_factory(demo)() as session:
        provider = session.scalar(select(Organisation).where(Organisation.slug == PROVIDER))
        assert provider is not None
        make_user(session, provider, email=VIEWER, role=Role.VIEWER)
        session.commit()
    viewer, other = demo.test_client(), demo.test_client()
    assert login(viewer, VIEWER, PASSWORD).status_code == 302
    assert login(other, OTHER_OFFICER, DEMO_PASSWORD).status_code == 302
    for client, status in ((viewer, 403), (other, 404)):
        token = csrf_token(client, "/account")
        assert client.get(credential_path).status_code == status
        assert client.post(credential_path, data={"csrf_token": token}).status_code == status
    assert "/claim-code" not in viewer.get(credential_path.removesuffix("/claim-code")).get_data(as_text=True)
    assert works(demo, row["claim_code"], row["pin"])  # nothing changed
