"""The public verification API: one credential, a batch, and the ID-number check; no account needed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from certsvc.accounts.access import anonymous
from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.openbadge import id_number_matches
from certsvc.qr.image import decode_image
from certsvc.web import json_body, metrics, openapi
from verifier import api_docs, counting, documents, limits, records, web_messages
from verifier.inputs import read_credential
from verifier.memo import VerificationMemo
from verifier.pipeline import verify
from verifier.result import VerificationResult

bp = Blueprint("verify_api", __name__, url_prefix="/api/v1")
openapi.add_paths(api_docs.PATHS, schemas=api_docs.SCHEMAS, tags=api_docs.TAGS)
MAX_ID_NUMBER_CHARS = 64
MEMO_EXTENSION = "certsvc.verifier.memo"
#: Inputs whose reading and signature checks each process remembers (about 16 KiB each); 0 for none.
DEFAULT_MEMO_SIZE = 1024


def init_app(app: Flask) -> None:
    """Give the app its memory of verified inputs (``verifier/memo.py``), sized by VERIFY_MEMO_SIZE."""
    app.config.setdefault("VERIFY_MEMO_SIZE", DEFAULT_MEMO_SIZE)
    app.extensions[MEMO_EXTENSION] = VerificationMemo(int(app.config["VERIFY_MEMO_SIZE"]))
    app.register_blueprint(bp)


def memo() -> VerificationMemo:
    """The current app's memory of verified inputs."""
    found: VerificationMemo = current_app.extensions[MEMO_EXTENSION]
    return found


class BadVerifyRequest(CertsvcError):
    """The request does not hold what the endpoint needs."""

    code = "bad_request"
    http_status = 400


@bp.post("/verify")
@anonymous
def verify_one() -> ResponseReturnValue:
    """Verify one credential: JSON ``{"credential": text}`` or a multipart ``image`` of its QR code."""
    limits.check_rate("verify")
    unverified_text, display = _single_input()
    now = datetime.now(UTC)
    body = verify_and_count([unverified_text], now)[0].to_dict()
    if display:
        body["display"] = web_messages.result_view(body, checked_at=now, site=request.host)
    return jsonify(body)


@bp.post("/verify/batch")
@anonymous
def verify_batch() -> ResponseReturnValue:
    """Verify up to VERIFY_MAX_BATCH credentials: ``{"credentials": [text, ...]}``; results in order."""
    limits.check_rate("batch")
    unverified = _json_object().get("credentials")
    if not isinstance(unverified, list) or not all(isinstance(c, str) for c in unverified):
        raise BadVerifyRequest('send {"credentials": ["<QR text, URL or credential>", ...]}', field="credentials")
    if not 1 <= len(unverified) <= limits.max_batch():
        raise BadVerifyRequest(
            f"a batch holds 1 to {limits.max_batch()} credentials, not {len(unverified)}",
            field="credentials",
            limit=limits.max_batch(),
        )
    for text in unverified:
        limits.check_length(text)
    results = verify_and_count(unverified, datetime.now(UTC))
    return jsonify([r.to_dict() for r in results])


@bp.post("/verify/id-check")
@anonymous
def id_check() -> ResponseReturnValue:
    """Tell whether a typed ID document number is the one the credential holds (hashed); never echo it."""
    limits.check_rate("verify")
    data = _json_object()
    unverified_text, typed = data.get("credential"), data.get("id_number")
    if not isinstance(unverified_text, str) or not unverified_text.strip() or not isinstance(typed, str):
        raise BadVerifyRequest('send {"credential": "<QR text or credential>", "id_number": "<number>"}')
    if len(typed) > MAX_ID_NUMBER_CHARS:
        raise BadVerifyRequest(f"an ID number has at most {MAX_ID_NUMBER_CHARS} characters", field="id_number")
    limits.check_length(unverified_text)
    result, matches = check_id_number(unverified_text, typed, datetime.now(UTC))
    return jsonify({"match": matches, "status": result.status.value})


# -- shared with the page ----------------------------------------------------------------------


def verify_and_count(unverified_texts: list[str], now: datetime) -> list[VerificationResult]:
    """Verify each input against the cached documents and the service's records; count each anonymously."""
    docs = documents.current()
    with records.open_records() as lookup:
        results = [
            verify(text, docs.trust_lists, docs.status_lists, now, records=lookup, memo=memo())
            for text in unverified_texts
        ]
    counting.count(results, now)
    for result in results:
        metrics.record_verification(result)
    return results


def check_id_number(unverified_text: str, typed_number: str, now: datetime) -> tuple[VerificationResult, bool]:
    """Verify the credential (uncounted) and compare the typed number; only an authentic payload can match."""
    docs = documents.current()
    with records.open_records() as lookup:
        result = verify(unverified_text, docs.trust_lists, docs.status_lists, now, records=lookup, memo=memo())
    if not any(c.name == "provider_signature" and c.ok for c in result.checks):
        return result, False
    payload = json.loads(read_credential(unverified_text, docs.trust_lists).payload)
    return result, id_number_matches(payload, typed_number)


def read_image(upload: FileStorage) -> str:
    """Return the QR text of an uploaded photo or screenshot, within the upload limits."""
    max_bytes, max_pixels = limits.image_limits()
    # One byte over the limit is enough to know it is too large, without reading it all.
    return decode_image(upload.stream.read(max_bytes + 1), max_bytes=max_bytes, max_pixels=max_pixels)


def _single_input() -> tuple[str, bool]:
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        upload = request.files.get("image")
        display = request.form.get("display") in ("1", "true")
        if upload is not None:
            return read_image(upload), display
        text = request.form.get("credential")
    else:
        data = _json_object()
        text, display = data.get("credential"), data.get("display", False)
        if not isinstance(display, bool):
            raise BadVerifyRequest("display is true or false", field="display")
    if not isinstance(text, str) or not text.strip():
        raise BadVerifyRequest(
            'send JSON {"credential": "<QR text, URL or credential>"} or a multipart form with an "image" file',
            field="credential",
        )
    limits.check_length(text)
    return text, display


def _json_object() -> dict[str, Any]:
    # The shared loader: bounded depth and numbers, no duplicate members; its reason in our code.
    return json_body.request_object(error=BadVerifyRequest)
