"""The public verification API and page on the service: inputs, batch, limits, escaping, counting, ID check."""

from __future__ import annotations

import io
import json
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from qr_support import decode_published
from sqlalchemy import func, inspect, select

from certsvc.credentials.b64 import b64url_encode
from certsvc.credentials.cosigned import CoSignedCredential
from certsvc.qr.image import render_png
from certsvc.qr.transport import encode_qr_text
from certsvc.store import db
from certsvc.store.credential_records import qr_text_of
from certsvc.store.models import Credential, Organisation, Qualification, VerificationEvent
from certsvc.store.signers import signer_for
from issuers import lifecycle
from issuers.issuance import LearnerData, issue_credential, register_learner
from verifier import counting, documents
from verifier.inputs import read_credential

from .support import KEK, empty_database
from .verify_support import BASE, Seeded, seed_database, seeded_sqlite

COSIGNED = "Maria Santos Dela Cruz"
PRIOR_SKILLS = "Jose Reyes Bautista"
AWAITING = "Ana Lim Garcia"
REVOKED = "Ramon Cruz Villanueva"
SUSPENDED = "Carlo Mendoza Aquino"
WITHDRAWN = "Grace Ann Ramos"
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """The demo world on each backend, seeded once for this module."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        with seeded_sqlite(tmp_path_factory.mktemp("verify"), template) as found:
            yield found
        return
    url = request.getfixturevalue("postgres_url")
    empty_database(url)
    yield seed_database(url)


@pytest.fixture(scope="module")
def on_sqlite(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Seeded]:
    """The demo world on SQLite only, for what does not depend on the database."""
    with seeded_sqlite(tmp_path_factory.mktemp("verify-sqlite"), sqlite_template) as found:
        yield found


@pytest.fixture
def make_app() -> Iterator[Any]:
    """Build apps on a seeded database; flush their counters and close them afterwards."""
    made: list[Flask] = []

    def build(seeded: Seeded, **overrides: Any) -> Flask:
        app = seeded.app(**overrides)
        made.append(app)
        return app

    yield build
    for app in made:
        counting.counter(app).flush()
        db.dispose(app)


@pytest.fixture
def app(make_app: Any, seeded: Seeded) -> Flask:
    return make_app(seeded)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def sqlite_client(make_app: Any, on_sqlite: Seeded) -> FlaskClient:
    return make_app(on_sqlite).test_client()


def verify(client: FlaskClient, text: str, **body: Any) -> Any:
    response = client.post("/api/v1/verify", json={"credential": text, **body})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def png_upload(data: bytes, name: str = "qr.png") -> dict[str, Any]:
    return {"image": (io.BytesIO(data), name)}


# -- one credential ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("holder", "status", "reasons"),
    [
        (COSIGNED, "recognized", []),
        (PRIOR_SKILLS, "recognized", []),
        (AWAITING, "authentic", ["cosignature_missing"]),
        (WITHDRAWN, "authentic", ["cosignature_withdrawn"]),
        (REVOKED, "invalid", ["revoked"]),
        (SUSPENDED, "invalid", ["suspended"]),
    ],
)
def test_json_verify_returns_the_pipeline_result(
    client: FlaskClient, seeded: Seeded, holder: str, status: str, reasons: list[str]
) -> None:
    result = verify(client, seeded.qr[holder])
    assert result["status"] == status
    assert result["reasons"] == reasons
    assert {c["name"] for c in result["checks"]} >= {"well_formed", "provider_signature", "status", "cosignature"}
    assert result["summary"]["holder"]["name"] == holder
    if status == "recognized":
        assert result["recognition"]["statement"].startswith("Recognised in the Philippines as")
        assert (
            result["recognition"]["statement"].endswith("by TESDA.")
            or "skills the worker brought" in (result["recognition"]["statement"])
        )
    assert "display" not in result


def test_the_api_needs_no_account_and_no_csrf_token(client: FlaskClient, seeded: Seeded) -> None:
    response = client.post("/api/v1/verify", json={"credential": seeded.qr[COSIGNED]})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_display_is_in_the_asked_language(sqlite_client: FlaskClient, on_sqlite: Seeded) -> None:
    english = verify(sqlite_client, on_sqlite.qr[REVOKED], display=True)["display"]
    assert english["title"] == "Not valid: revoked"
    prior = verify(sqlite_client, on_sqlite.qr[PRIOR_SKILLS], display=True)["display"]
    assert "skills the worker already had on arrival" in prior["prior_skills"]
    response = sqlite_client.post("/api/v1/verify?lang=es", json={"credential": on_sqlite.qr[REVOKED], "display": True})
    spanish = response.get_json()["display"]
    assert spanish["title"] == "No válido: revocada"
    assert any(not c["ok"] and c["sentence"] == "El proveedor ha revocado esta credencial." for c in spanish["checks"])


def test_unreadable_input_is_a_clear_invalid_result(sqlite_client: FlaskClient) -> None:
    result = verify(sqlite_client, "HTTPS://SKILLS.EXAMPLE.ORG/V#312345")
    assert result["status"] == "invalid"
    assert result["reasons"] == ["qr_unsupported_version"]
    result = verify(sqlite_client, "just some text", display=True)
    assert result["status"] == "invalid"
    assert result["display"]["title"].startswith("Not valid: ")


def test_multipart_image_of_the_qr_code(client: FlaskClient, seeded: Seeded) -> None:
    response = client.post("/api/v1/verify", data=png_upload(render_png(seeded.qr[COSIGNED])))
    assert response.status_code == 200
    assert response.get_json()["status"] == "recognized"


def test_images_without_a_qr_code_or_not_images(sqlite_client: FlaskClient) -> None:
    blank = io.BytesIO()
    Image.new("L", (64, 64), 255).save(blank, format="PNG")
    response = sqlite_client.post("/api/v1/verify", data=png_upload(blank.getvalue()))
    assert response.status_code == 422
    assert response.get_json()["code"] == "no_qr_found"
    response = sqlite_client.post("/api/v1/verify", data=png_upload(b"GIF89a not a png", "x.gif"))
    assert response.status_code == 422
    assert response.get_json()["code"] == "image_unreadable"


def test_a_picture_of_two_qr_codes_says_so(sqlite_client: FlaskClient, seeded: Seeded) -> None:
    """Verifying the first of two codes would let the one the employer did not look at decide."""
    codes = [Image.open(io.BytesIO(render_png(seeded.qr[name], box_size=3))) for name in list(seeded.qr)[:2]]
    both = Image.new("L", (codes[0].width + codes[1].width + 30, max(c.height for c in codes)), 255)
    both.paste(codes[0], (0, 0))
    both.paste(codes[1], (codes[0].width + 30, 0))
    picture = io.BytesIO()
    both.save(picture, format="PNG")
    response = sqlite_client.post("/api/v1/verify", data=png_upload(picture.getvalue()))
    assert response.status_code == 422
    assert response.get_json()["code"] == "multiple_qr_codes"
    page = sqlite_client.post("/verify", data=png_upload(picture.getvalue()))
    assert page.status_code == 422
    assert "more than one QR code" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"json": {}}, "credential"),
        ({"json": {"credential": 5}}, "credential"),
        ({"json": {"credential": "   "}}, "credential"),
        ({"json": ["not", "an", "object"]}, None),
        ({"data": "credential=x", "content_type": "text/plain"}, None),
        ({"data": "{not json", "content_type": "application/json"}, None),
        ({"data": {"credential": ""}}, "credential"),
    ],
)
def test_bad_requests_are_400_json(sqlite_client: FlaskClient, kwargs: dict[str, Any], field: str | None) -> None:
    response = sqlite_client.post("/api/v1/verify", **kwargs)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "bad_request" and body["status"] == 400 and body["message"]
    assert body.get("field") == field


# -- batch ---------------------------------------------------------------------------------------


def test_batch_of_100_in_order(client: FlaskClient, seeded: Seeded) -> None:
    texts = [seeded.qr[COSIGNED], seeded.qr[REVOKED], seeded.qr[AWAITING], "garbage"] * 25
    response = client.post("/api/v1/verify/batch", json={"credentials": texts})
    assert response.status_code == 200
    statuses = [r["status"] for r in response.get_json()]
    assert statuses == ["recognized", "invalid", "authentic", "invalid"] * 25


@pytest.mark.parametrize("body", [{"credentials": ["x"] * 101}, {"credentials": []}, {"credentials": "x"}, {}])
def test_batch_refuses_101_none_or_not_a_list(sqlite_client: FlaskClient, body: dict[str, Any]) -> None:
    response = sqlite_client.post("/api/v1/verify/batch", json=body)
    assert response.status_code == 400
    assert response.get_json()["field"] == "credentials"


# -- limits --------------------------------------------------------------------------------------


def test_input_longer_than_the_limit_is_413(make_app: Any, on_sqlite: Seeded) -> None:
    client = make_app(on_sqlite, VERIFY_MAX_INPUT_CHARS=1000).test_client()
    response = client.post("/api/v1/verify", json={"credential": "1" * 1001})
    assert response.status_code == 413
    assert response.get_json()["code"] == "input_too_large"
    response = client.post("/api/v1/verify/batch", json={"credentials": ["x", "1" * 1001]})
    assert response.status_code == 413


def test_image_too_many_bytes_or_pixels_is_413(make_app: Any, on_sqlite: Seeded) -> None:
    png = render_png(on_sqlite.qr[COSIGNED])
    client = make_app(on_sqlite, VERIFY_MAX_IMAGE_BYTES=len(png) - 1).test_client()
    response = client.post("/api/v1/verify", data=png_upload(png))
    assert response.status_code == 413
    assert response.get_json()["code"] == "image_too_large"
    client = make_app(on_sqlite, VERIFY_MAX_IMAGE_PIXELS=10_000).test_client()
    response = client.post("/api/v1/verify", data=png_upload(png))
    assert response.status_code == 413
    assert response.get_json()["code"] == "image_too_large"


def test_request_body_over_the_maximum_is_413_json_and_html(make_app: Any, on_sqlite: Seeded) -> None:
    client = make_app(on_sqlite, MAX_CONTENT_LENGTH=50_000).test_client()
    big = png_upload(b"\x89PNG\r\n\x1a\n" + b"\0" * 60_000)
    response = client.post("/api/v1/verify", data=big)
    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"
    page = client.post("/verify", data=png_upload(b"\x89PNG\r\n\x1a\n" + b"\0" * 60_000))
    assert page.status_code == 413
    assert "The file is too large" in page.get_data(as_text=True)


def test_rate_limit_in_memory_is_per_client_address(make_app: Any, on_sqlite: Seeded) -> None:
    client = make_app(on_sqlite, VERIFY_RATE_LIMIT="3 per minute").test_client()
    text = on_sqlite.qr[COSIGNED]
    for _ in range(3):
        assert client.post("/api/v1/verify", json={"credential": text}).status_code == 200
    refused = client.post("/api/v1/verify", json={"credential": text})
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "too_many_requests"
    assert "Wait a minute" in refused.get_json()["message"]
    assert int(refused.headers["Retry-After"]) > 0
    other = client.post("/api/v1/verify", json={"credential": text}, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 200
    page = client.post("/verify", data={"credential": text})
    assert page.status_code == 429
    assert "text/html" in page.content_type and "Wait a minute" in page.get_data(as_text=True)


def test_batch_has_its_own_limit(make_app: Any, on_sqlite: Seeded) -> None:
    client = make_app(on_sqlite, VERIFY_BATCH_RATE_LIMIT="1 per minute").test_client()
    assert client.post("/api/v1/verify/batch", json={"credentials": ["x"]}).status_code == 200
    assert client.post("/api/v1/verify/batch", json={"credentials": ["x"]}).status_code == 429
    assert client.post("/api/v1/verify", json={"credential": "x"}).status_code == 200


def require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable (CI=true: it must run): {exc}", pytrace=False)
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")


def test_rate_limit_in_redis_is_shared_by_every_process(
    make_app: Any, on_sqlite: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_redis()
    monkeypatch.setenv("CERTSVC_REDIS_URL", REDIS_URL)
    prefix = "certsvc-test-" + secrets.token_hex(4)
    # Two apps stand for two gunicorn workers or machines: they share the counts through Redis.
    first = make_app(on_sqlite, VERIFY_RATE_LIMIT="3 per minute", RATE_LIMIT_PREFIX=prefix).test_client()
    second = make_app(on_sqlite, VERIFY_RATE_LIMIT="3 per minute", RATE_LIMIT_PREFIX=prefix).test_client()
    text = on_sqlite.qr[COSIGNED]
    try:
        assert first.post("/api/v1/verify", json={"credential": text}).status_code == 200
        assert second.post("/api/v1/verify", json={"credential": text}).status_code == 200
        assert first.post("/api/v1/verify", json={"credential": text}).status_code == 200
        refused = second.post("/api/v1/verify", json={"credential": text})
        assert refused.status_code == 429
        assert refused.get_json()["code"] == "too_many_requests"
    finally:
        connection = redis.Redis.from_url(REDIS_URL)
        for key in connection.scan_iter(f"{prefix}*"):
            connection.delete(key)


def test_unreachable_redis_falls_back_to_counting_in_memory(
    make_app: Any, on_sqlite: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CERTSVC_REDIS_URL", "redis://127.0.0.1:1/0")
    client = make_app(on_sqlite, VERIFY_RATE_LIMIT="2 per minute").test_client()
    text = on_sqlite.qr[COSIGNED]
    assert [client.post("/api/v1/verify", json={"credential": text}).status_code for _ in range(3)] == [200, 200, 429]


# -- escaping ------------------------------------------------------------------------------------


def script_named_credential(app: Flask) -> str:
    """Issue and co-sign a credential whose holder is named like a script tag; return its QR text."""
    now = datetime.now(UTC)
    with db.session_factory(app)() as session:
        provider = session.scalar(select(Organisation).where(Organisation.slug == "klwa"))
        embassy = session.scalar(select(Organisation).where(Organisation.slug == "ph-kl"))
        assert provider is not None and embassy is not None
        qualification = session.scalars(select(Qualification).where(Qualification.provider_id == provider.id)).first()
        assert qualification is not None
        data = LearnerData('<script>alert("x")</script> & <b>bold</b>', date(1990, 1, 1), "PH", "Z1234")
        learner = register_learner(session, provider, data, actor="test")
        credential = issue_credential(
            session,
            provider,
            learner,
            qualification,
            signer=signer_for(session, provider, KEK, BASE),
            base_url=BASE,
            now=now,
            actor="test",
        )
        lifecycle.cosign(
            session, embassy, credential, signer=signer_for(session, embassy, KEK, BASE), now=now, actor="t"
        )
        session.commit()
        return qr_text_of(credential, BASE)


def test_credential_text_is_escaped_on_the_page(app: Flask, client: FlaskClient) -> None:
    text = script_named_credential(app)
    page = client.post("/verify", data={"credential": text}).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>alert" not in page and "<b>bold" not in page
    result = verify(client, text)
    assert result["summary"]["holder"]["name"] == '<script>alert("x")</script> & <b>bold</b>'


def test_half_a_character_in_a_credential_is_an_answer_not_a_server_error(
    app: Flask, client: FlaskClient, seeded: Seeded
) -> None:
    # A JSON escape of an unpaired surrogate ("\\ud800") is half a character: no page, log or
    # database can encode it. Anyone can put one in a credential's payload; every surface refuses it.
    with app.app_context():
        credential = read_credential(seeded.qr[COSIGNED], documents.current().trust_lists)
    payload = credential.payload.replace(b'"name":"', b'"name":"\\ud800', 1)
    forged = "\n".join(
        f"{b64url_encode(s.protected)}.{b64url_encode(payload)}.{b64url_encode(s.value)}" for s in credential.signatures
    )
    assert verify(client, forged)["reasons"] == ["malformed"]
    shown = client.post("/api/v1/verify", json={"credential": forged, "display": True})
    assert shown.status_code == 200 and shown.get_json()["reasons"] == ["malformed"]
    batch = client.post("/api/v1/verify/batch", json={"credentials": [forged]})
    assert batch.status_code == 200 and batch.get_json()[0]["reasons"] == ["malformed"]
    page = client.post("/verify", data={"credential": forged})
    assert page.status_code == 200
    assert "Not valid" in page.get_data(as_text=True)


# -- the page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/verify", "/v", "/V"])
def test_page_has_no_inline_script_and_works_without_it(sqlite_client: FlaskClient, path: str) -> None:
    response = sqlite_client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    scripts = [tag for tag in html.split("<script")[1:]]
    assert len(scripts) == 1 and scripts[0].lstrip().startswith('src="/verify/assets/verify.js"')
    assert 'enctype="multipart/form-data"' in html and 'name="credential"' in html
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'self' applies
    assert "Set-Cookie" not in response.headers


def test_assets_are_served_cacheable(sqlite_client: FlaskClient) -> None:
    script = sqlite_client.get("/verify/assets/verify.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert "innerHTML" not in script.get_data(as_text=True)
    assert "max-age" in script.headers["Cache-Control"]
    assert sqlite_client.get("/verify/assets/verify.css").mimetype == "text/css"
    assert sqlite_client.get("/verify/assets/base.html").status_code == 404


def test_pasted_form_renders_the_result_on_the_server(client: FlaskClient, seeded: Seeded) -> None:
    response = client.post("/verify", data={"credential": seeded.qr[PRIOR_SKILLS]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert 'data-status="recognized"' in html
    assert "skills the worker already had on arrival" in html
    upload = client.post("/verify", data=png_upload(render_png(seeded.qr[REVOKED])))
    assert "Not valid: revoked" in upload.get_data(as_text=True)


def test_form_errors_are_shown_on_the_page(sqlite_client: FlaskClient) -> None:
    blank = io.BytesIO()
    Image.new("L", (64, 64), 255).save(blank, format="PNG")
    response = sqlite_client.post("/verify", data=png_upload(blank.getvalue()))
    assert response.status_code == 422
    assert "No QR code was found in the picture" in response.get_data(as_text=True)
    assert sqlite_client.post("/verify", data={"credential": ""}).status_code == 400


def test_healthz(sqlite_client: FlaskClient) -> None:
    response = sqlite_client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_openapi_document_describes_the_verify_endpoints(sqlite_client: FlaskClient) -> None:
    document = sqlite_client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/verify", "/api/v1/verify/batch", "/api/v1/verify/id-check"):
        operation = document["paths"][path]["post"]
        assert operation["security"] == [] and "200" in operation["responses"] and "429" in operation["responses"]
    assert "multipart/form-data" in document["paths"]["/api/v1/verify"]["post"]["requestBody"]["content"]
    assert "VerificationResult" in document["components"]["schemas"]


# -- anonymous counting --------------------------------------------------------------------------


def test_each_verification_is_counted_anonymously(app: Flask, client: FlaskClient, seeded: Seeded) -> None:
    factory = db.session_factory(app)
    with factory() as session:
        before = session.scalar(select(func.max(VerificationEvent.id))) or 0
        cosigned_id = session.scalar(select(Credential.id).where(Credential.public_id == public_id(seeded, COSIGNED)))
    verify(client, seeded.qr[COSIGNED])
    verify(client, seeded.qr[PRIOR_SKILLS])
    verify(client, seeded.qr[REVOKED])
    verify(client, "garbage")
    client.post("/api/v1/verify/batch", json={"credentials": [seeded.qr[COSIGNED], seeded.qr[AWAITING]]})
    client.post("/api/v1/verify/id-check", json={"credential": seeded.qr[COSIGNED], "id_number": "P1234567A"})
    assert counting.counter(app).flush()
    with factory() as session:
        events = session.scalars(
            select(VerificationEvent).where(VerificationEvent.id > before).order_by(VerificationEvent.id)
        ).all()
        rows = [(e.result, e.kind, e.country) for e in events]
        assert rows == [
            ("recognized", "training", "PH"),
            ("recognized", "prior_skills", "PH"),
            ("invalid", "training", "PH"),
            ("invalid", None, None),
            ("recognized", "training", "PH"),
            ("authentic", "training", "PH"),
        ]
        assert events[0].credential_id == cosigned_id and events[4].credential_id == cosigned_id
        assert events[3].credential_id is None
        assert all(e.at is not None for e in events)
        assert counting.verification_count(session, cosigned_id) >= 2
    columns = {c["name"] for c in inspect(db.session_factory(app).kw["bind"]).get_columns("verification_events")}
    assert columns == {"id", "at", "result", "kind", "country", "credential_id"}


def test_a_tampered_credential_is_counted_without_a_credential_link(
    app: Flask, client: FlaskClient, seeded: Seeded
) -> None:
    # The holder's name changed under the original signatures: the payload says which credential it is.
    original = decode_published(seeded.qr[COSIGNED], seeded.url)
    edited = original.payload.replace(COSIGNED.encode(), b"Maria Santos Dela Crux")
    tampered = encode_qr_text(CoSignedCredential(edited, original.signatures), BASE + "/v")
    result = verify(client, tampered)
    assert result["status"] == "invalid" and result["reasons"][0] == "bad_signature"
    assert result["summary"]["id"].endswith(public_id(seeded, COSIGNED))
    assert counting.counter(app).flush()
    with db.session_factory(app)() as session:
        last = session.scalars(select(VerificationEvent).order_by(VerificationEvent.id.desc())).first()
        assert last is not None and last.result == "invalid" and last.credential_id is None


def public_id(seeded: Seeded, holder: str) -> str:
    return json.loads(decode_published(seeded.qr[holder], seeded.url).payload)["id"].rsplit("/", 1)[1]


# -- ID check ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "match"), [("P1234567A", True), ("p 123-4567 a", True), ("P1234567B", False)])
def test_id_check_api(client: FlaskClient, seeded: Seeded, typed: str, match: bool) -> None:
    response = client.post("/api/v1/verify/id-check", json={"credential": seeded.qr[COSIGNED], "id_number": typed})
    assert response.status_code == 200
    assert response.get_json() == {"match": match, "status": "recognized"}
    assert typed not in response.get_data(as_text=True)


def test_id_check_needs_an_authentic_credential(sqlite_client: FlaskClient, on_sqlite: Seeded) -> None:
    response = sqlite_client.post("/api/v1/verify/id-check", json={"credential": "garbage", "id_number": "P1234567A"})
    assert response.get_json() == {"match": False, "status": "invalid"}
    assert sqlite_client.post("/api/v1/verify/id-check", json={"credential": "x"}).status_code == 400
    long = {"credential": on_sqlite.qr[COSIGNED], "id_number": "9" * 65}
    assert sqlite_client.post("/api/v1/verify/id-check", json=long).status_code == 400


def test_id_check_form_shows_match_and_never_the_number(sqlite_client: FlaskClient, on_sqlite: Seeded) -> None:
    form = {"credential": on_sqlite.qr[COSIGNED], "id_number": "P1234567A"}
    html = sqlite_client.post("/verify/id-check", data=form).get_data(as_text=True)
    assert "The number matches the credential." in html and "P1234567A" not in html
    form["id_number"] = "X0000000"
    html = sqlite_client.post("/verify/id-check", data=form).get_data(as_text=True)
    assert "The number does not match the credential." in html and "X0000000" not in html
