"""Provider pages: register learners, issue both kinds of credential, receipt and QR, revoke/suspend/reinstate."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from qr_support import decode_published
from sqlalchemy import func, select

from certsvc.demo.seed import DEMO_PASSWORD
from certsvc.qr.image import decode_image
from certsvc.store import db
from certsvc.store.models import AuditEntry, Credential, CredentialState, Learner

from .support import csrf_token, login

BASE = "https://skills.example.org"
PROVIDER = "officer@klwa.example"
OTHER_PROVIDER = "officer@jcsc.example"
EMBASSY_PH = "officer@ph-kl.example"
EMBASSY_MM = "officer@mm-sg.example"
AUTHORITY = "admin@ph-tesda.example"
SCRIPT = "<script>alert(1)</script>"
RECEIPT = re.compile(r'data-page-address="/provider/credentials/([0-9A-Z]{8})/receipt"')


def sign_in(client: FlaskClient, email: str, password: str = DEMO_PASSWORD) -> str:
    """Log in and return the session's CSRF token."""
    response = login(client, email, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_token(client, "/account")


def query(app: Flask, statement: Any) -> Any:
    """Run one read in a fresh session of the app's database."""
    with db.session_factory(app)() as session:
        return session.execute(statement).scalars().all()


def credential_of(app: Flask, public_id: str) -> Credential:
    with db.session_factory(app)() as session:
        found = session.scalar(select(Credential).where(Credential.public_id == public_id))
        assert found is not None
        return found


def register(client: FlaskClient, token: str, name: str = "Rosa Mae Dizon", **fields: str) -> Any:
    data = {
        "csrf_token": token,
        "name": name,
        "birth_date": "1994-08-12",
        "nationality": "ph",
        "id_number": "P 9876-543 Z",
        "sex": "F",
        **fields,
    }
    return client.post("/provider/learners", data=data)


def learner_path(response: Any) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    path = response.headers["Location"]
    assert re.fullmatch(r"/provider/learners/\d+", path)
    return path


def issue_training(client: FlaskClient, token: str, learner: str, code: str = "SMAW2") -> Any:
    return client.post(f"{learner}/credentials", data={"training-csrf_token": token, "training-qualification": code})


def assess(client: FlaskClient, token: str, learner: str, **fields: str) -> Any:
    data = {
        "prior-csrf_token": token,
        "prior-qualification": "CARE2",
        "prior-method": "practical_test",
        "prior-evidence": "Bed bath, transfers and medication log observed; passed.",
        "prior-assessor": "Aisyah Rahman",
        "prior-assessed_on": (date.today() - timedelta(days=2)).isoformat(),
        **fields,
    }
    return client.post(f"{learner}/assessments", data=data)


def issued_id(response: Any) -> str:
    """The credential an issue form made: its receipt is the answer, and names its own address."""
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    match = RECEIPT.search(html)
    assert match, html
    return match.group(1)


def qr_credential(client: FlaskClient, public_id: str) -> Any:
    """Download the credential's PNG QR, read it back like a phone would, and decode the credential."""
    response = client.get(f"/provider/credentials/{public_id}/qr.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "no-store" in response.headers["Cache-Control"]
    return decode_published(decode_image(response.data), client.application.config["DATABASE_URL"])


# -- the whole flow ---------------------------------------------------------------------


def test_provider_flow_register_issue_both_kinds_and_download(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, PROVIDER)
    dashboard = client.get("/provider/").get_data(as_text=True)
    assert "Kuala Lumpur Welding Academy" in dashboard and 'href="/provider/imports"' in dashboard

    learner = learner_path(register(client, token))
    page = client.get(learner).get_data(as_text=True)
    assert "Rosa Mae Dizon" in page and "Prior-skills assessment on arrival" in page
    assert 'value="SMAW2"' in page and 'value="JCSC' not in page  # only the provider's own qualifications

    training = issued_id(issue_training(client, token, learner))
    receipt = client.get(f"/provider/credentials/{training}/receipt").get_data(as_text=True)
    assert training in receipt and "Awaiting embassy co-signature" in receipt
    assert f'src="/provider/credentials/{training}/qr.png"' in receipt
    assert "Philippine Embassy Kuala Lumpur" in receipt  # routed to the embassy of the learner's country

    decoded = qr_credential(client, training)
    payload = json.loads(decoded.payload)
    assert payload["credentialSubject"]["name"] == "Rosa Mae Dizon"
    assert payload["credentialSubject"]["nationality"] == "PH"
    assert payload["credentialSubject"]["achievement"]["name"] == "Shielded Metal Arc Welding"
    assert len(decoded.signatures) == 1  # the embassy has not co-signed yet

    prior = issued_id(assess(client, token, learner))
    stored = credential_of(demo, prior)
    assert stored.kind.value == "prior_skills" and stored.state is CredentialState.AWAITING_COSIGN
    evidence = json.loads(qr_credential(client, prior).payload)["evidence"][0]
    assert evidence == {
        "type": ["Evidence"],
        "genre": "practical_test",
        "narrative": "Bed bath, transfers and medication log observed; passed.",
    }
    detail = client.get(f"/provider/credentials/{prior}").get_data(as_text=True)
    assert "Aisyah Rahman" in detail and "Practical test" in detail and "Home-based Personal Care" in detail

    file = client.get(f"/provider/credentials/{training}/file")
    assert file.status_code == 200 and file.mimetype == "application/jose+json"
    assert f"credential-{training}.json" in file.headers["Content-Disposition"]
    assert len(json.loads(file.data)["signatures"]) == 1
    svg = client.get(f"/provider/credentials/{training}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data

    learner_page = client.get(learner).get_data(as_text=True)
    assert training in learner_page and prior in learner_page
    awaiting = client.get("/provider/credentials?state=awaiting_cosign").get_data(as_text=True)
    assert training in awaiting and prior in awaiting
    assert training not in client.get("/provider/credentials?state=revoked").get_data(as_text=True)
    assert client.get("/provider/credentials?state=nonsense").status_code == 200  # unknown filter: all


def test_revoke_suspend_reinstate(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, PROVIDER)
    learner = learner_path(register(client, token))
    public_id = issued_id(issue_training(client, token, learner))
    path = f"/provider/credentials/{public_id}"

    response = client.post(f"{path}/suspend", data={"suspend-csrf_token": token, "suspend-reason": "  "})
    assert response.status_code == 400 and "Give a reason." in response.get_data(as_text=True)
    assert credential_of(demo, public_id).state is CredentialState.AWAITING_COSIGN

    response = client.post(f"{path}/suspend", data={"suspend-csrf_token": token, "suspend-reason": "Under review."})
    assert response.status_code == 302 and response.headers["Location"] == path
    assert credential_of(demo, public_id).state is CredentialState.SUSPENDED
    page = client.get(path).get_data(as_text=True)
    assert "Suspended" in page and "Under review." in page and "Reinstate" in page

    assert client.post(f"{path}/reinstate", data={"csrf_token": token}).status_code == 302
    assert credential_of(demo, public_id).state is CredentialState.AWAITING_COSIGN
    response = client.post(f"{path}/reinstate", data={"csrf_token": token})
    assert response.status_code == 409  # not suspended any more
    assert "not suspended" in response.get_data(as_text=True)

    response = client.post(f"{path}/revoke", data={"revoke-csrf_token": token, "revoke-reason": ""})
    assert response.status_code == 400
    assert credential_of(demo, public_id).state is CredentialState.AWAITING_COSIGN
    response = client.post(f"{path}/revoke", data={"revoke-csrf_token": token, "revoke-reason": "Wrong course."})
    assert response.status_code == 302
    revoked = credential_of(demo, public_id)
    assert revoked.state is CredentialState.REVOKED and revoked.reason == "Wrong course."
    response = client.post(f"{path}/revoke", data={"revoke-csrf_token": token, "revoke-reason": "Again."})
    assert response.status_code == 409
    assert credential_of(demo, public_id).reason == "Wrong course."
    actions = query(demo, select(AuditEntry.action).where(AuditEntry.subject == public_id).order_by(AuditEntry.seq))
    lifecycle_actions = [a for a in actions if a.startswith("credential.")]
    assert lifecycle_actions == [
        "credential.issued",
        "credential.suspended",
        "credential.reinstated",
        "credential.revoked",
    ]
    audit_actor = query(demo, select(AuditEntry.actor).where(AuditEntry.action == "credential.revoked"))
    assert PROVIDER in audit_actor


# -- bad input ----------------------------------------------------------------------------


def count(app: Flask, model: Any) -> int:
    with db.session_factory(app)() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


BAD_LEARNERS = [
    ({"name": ""}, "This field is required."),
    ({"name": "   "}, "This field is required."),
    ({"birth_date": ""}, "This field is required."),
    ({"birth_date": "17/05/1990"}, "Enter a date as YYYY-MM-DD."),
    ({"birth_date": "1990-02-30"}, "Enter a date as YYYY-MM-DD."),
    ({"birth_date": (date.today() + timedelta(days=1)).isoformat()}, "The birth date is not plausible."),
    ({"nationality": "PHL"}, "Use a two-letter country code such as PH."),
    ({"nationality": ""}, "This field is required."),
    ({"id_number": ""}, "This field is required."),
    ({"id_number": "--- ---"}, "Type the letters and digits of the passport number."),
    ({"id_number": "ÄÖ"}, "Type the letters and digits of the passport number."),  # as the API refuses it
    ({"sex": "Q"}, "Not a valid choice."),
    ({"name": "x" * 201}, "The name is too long."),
]
BAD_ASSESSMENTS = [
    ({"prior-evidence": ""}, "This field is required."),
    ({"prior-evidence": "x" * 301}, "Keep the summary to 300 characters."),
    ({"prior-assessor": ""}, "This field is required."),
    ({"prior-assessed_on": "yesterday"}, "Enter a date as YYYY-MM-DD."),
    ({"prior-assessed_on": (date.today() + timedelta(days=3)).isoformat()}, "The date cannot be in the future."),
    ({"prior-method": "hearsay"}, "Not a valid choice."),
    ({"prior-qualification": "WELD-SG"}, "Not a valid choice."),  # not one of this provider's codes
]


def test_register_rejects_bad_input(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, PROVIDER)
    before = count(demo, Learner)
    for fields, message in BAD_LEARNERS:
        response = register(client, token, **fields)
        assert response.status_code == 400, fields
        assert message in response.get_data(as_text=True), fields
    assert count(demo, Learner) == before


def test_issue_and_assessment_reject_bad_input(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, PROVIDER)
    learner = learner_path(register(client, token))
    before = (count(demo, Credential), count(demo, AuditEntry))
    for fields, message in BAD_ASSESSMENTS:
        response = assess(client, token, learner, **fields)
        assert response.status_code == 400, fields
        page = response.get_data(as_text=True)
        assert message in page, fields
        assert 'aria-invalid="true"' in page
    response = issue_training(client, token, learner, code="NOPE")
    assert response.status_code == 400 and "Not a valid choice." in response.get_data(as_text=True)
    assert (count(demo, Credential), count(demo, AuditEntry)) == before


def test_script_in_a_name_is_escaped_everywhere(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, PROVIDER)
    learner = learner_path(register(client, token, name=SCRIPT))
    public_id = issued_id(issue_training(client, token, learner))
    pages = [
        "/provider/learners",
        learner,
        "/provider/credentials",
        f"/provider/credentials/{public_id}",
        f"/provider/credentials/{public_id}/receipt",
    ]
    for path in pages:
        page = client.get(path).get_data(as_text=True)
        assert SCRIPT not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
    # The embassy sees the same name escaped too.
    embassy = demo.test_client()
    sign_in(embassy, EMBASSY_PH)
    for path in ("/embassy/", f"/embassy/credentials/{public_id}"):
        page = embassy.get(path).get_data(as_text=True)
        assert SCRIPT not in page and "&lt;script&gt;" in page, path
    # Bad input re-shown in the form is escaped as well.
    page = register(client, token, name=SCRIPT, birth_date="bad").get_data(as_text=True)
    assert SCRIPT not in page


def test_missing_csrf_token_is_refused(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, PROVIDER)
    before = count(demo, Learner)
    data = {"name": "No Token", "birth_date": "1990-01-01", "nationality": "PH", "id_number": "P1"}
    response = client.post("/provider/learners", data=data)
    assert response.status_code == 400 and "csrf" in response.get_data(as_text=True).lower()
    response = client.post("/provider/learners", data={**data, "csrf_token": "forged"})
    assert response.status_code == 400
    assert count(demo, Learner) == before
    learner = learner_path(register(client, token))
    before = count(demo, Credential)
    assert client.post(f"{learner}/credentials", data={"training-qualification": "SMAW2"}).status_code == 400
    assert count(demo, Credential) == before


def test_pages_are_translated(demo: Flask, client: FlaskClient) -> None:
    sign_in(client, PROVIDER)
    page = client.get("/provider/learners?lang=es").get_data(as_text=True)
    assert "Registrar un alumno" in page and 'lang="es"' in page and "Fecha de nacimiento" in page
    page = client.get("/provider/?lang=my").get_data(as_text=True)
    assert "အခြေအနေအလိုက် လက်မှတ်များ" in page
    page = register(client, csrf_token(client, "/account"), name="").get_data(as_text=True)
    assert "ဤအကွက်ကို ဖြည့်ရန် လိုအပ်သည်။" in page  # form errors follow the chosen language


# -- secrets shown once stay out of the browser's cookie --------------------------------


def signed_session(client: FlaskClient) -> dict[str, Any]:
    """The provider's session cookie as the browser holds it, decoded (it is signed, not encrypted)."""
    app = client.application
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    decoded = app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]
    assert isinstance(decoded, dict)
    return decoded


def shown_secrets(html: str) -> tuple[str, str]:
    code, pin = re.findall(r'<span class="secret">([^<]+)</span>', html)
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code) and re.fullmatch(r"[0-9]{6}", pin)
    return code, pin


def test_the_claim_code_and_pin_never_ride_in_the_session_cookie(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, PROVIDER)
    learner = learner_path(register(client, token))
    issued = issue_training(client, token, learner)
    kept = json.dumps(signed_session(client))  # what the browser holds right after issuing
    page = issued if issued.status_code != 302 else client.get(issued.headers["Location"])
    code, pin = shown_secrets(page.get_data(as_text=True))
    assert pin not in kept and code not in kept and code.replace("-", "") not in kept
    # The receipt with the secrets is the answer to the POST itself, never stored by a cache.
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "private, no-store"
    public_id = issued_id(issued)
    assert pin not in json.dumps(signed_session(client))
    # Opened again (a reload after the page moved to its own address), the receipt shows no secret.
    again = client.get(f"/provider/credentials/{public_id}/receipt").get_data(as_text=True)
    assert public_id in again and pin not in again and "Claim code for the learner" not in again
