"""How the verification API describes itself in the service's OpenAPI document."""

from __future__ import annotations

from typing import Any

from certsvc.web.openapi import error_responses, json_body, json_response, operation
from verifier.reasons import Reason

TAG = "Verification"
TAGS = {TAG: "Check credentials without an account: one, a batch of up to 100, or an ID document number."}
MAX_INPUT_CHARS = 64 * 1024
MAX_BATCH = 100

_QR_EXAMPLE = "HTTPS://SKILLS.EXAMPLE.ORG/V#1520713942076455…"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str, code: str, message: str, status: int) -> dict[str, Any]:
    example = {"code": code, "message": message, "status": status}
    return json_response(description, _ref("Error"), example)


_TOO_MANY = _error(
    "Too many requests from this client address; `Retry-After` says when to try again.",
    "too_many_requests",
    "Too many checks from your network. Wait a minute and try again.",
    429,
)
_UNREADABLE_IMAGE = _error(
    "The uploaded image holds no readable QR code (`no_qr_found`) or more than one (`multiple_qr_codes`), or "
    "is not a PNG or JPEG (`image_unreadable`): the request was well formed, its content cannot be verified.",
    "no_qr_found",
    "no QR code found in the image",
    422,
)
_TOO_LARGE = _error(
    f"A credential text is longer than {MAX_INPUT_CHARS} characters (`input_too_large`), an image larger "
    "than the upload limits (`image_too_large`), or the whole body too large (`payload_too_large`).",
    "input_too_large",
    "The input is too long to be a credential.",
    413,
)
#: A credential text: what a QR code, a link or a credential file holds (at least one visible character).
_CREDENTIAL_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_INPUT_CHARS, "pattern": "\\S"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "VerifyRequest": {
        "type": "object",
        "required": ["credential"],
        "properties": {
            "credential": {
                **_CREDENTIAL_TEXT,
                "description": "The QR text (verification URL with the credential after '#'), the credential "
                "file (General JWS JSON) or one or two compact JWS.",
            },
            "display": {
                "type": "boolean",
                "description": "Also return `display`: the result in words, in the language chosen by `?lang=` "
                "or Accept-Language (what the verification page shows).",
            },
        },
    },
    "VerifyImageRequest": {
        "type": "object",
        "required": ["image"],
        "properties": {
            "image": {
                "type": "string",
                "format": "binary",
                "contentMediaType": "image/*",
                "description": "A PNG or JPEG of the QR.",
            },
            "display": {"type": "string", "enum": ["1", "true"], "description": "As `display` in JSON."},
        },
    },
    "VerifyBatchRequest": {
        "type": "object",
        "required": ["credentials"],
        "properties": {
            "credentials": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_BATCH,
                "items": {"type": "string", "maxLength": MAX_INPUT_CHARS},
                "description": f"1 to {MAX_BATCH} credentials in any form `credential` accepts.",
            }
        },
    },
    "IdCheckRequest": {
        "type": "object",
        "required": ["credential", "id_number"],
        "properties": {
            "credential": _CREDENTIAL_TEXT,
            "id_number": {"type": "string", "maxLength": 64, "description": "The number on the worker's ID."},
        },
    },
    "IdCheckResult": {
        "type": "object",
        "required": ["match", "status"],
        "properties": {
            "match": {
                "type": "boolean",
                "description": "Whether the number is the one the credential holds (as a salted hash). "
                "Always false when the credential's issuer signature is not valid.",
            },
            "status": {"type": "string", "enum": ["recognized", "authentic", "invalid"]},
        },
    },
    "VerificationCheck": {
        "type": "object",
        "required": ["name", "ok", "detail", "reason"],
        "properties": {
            "name": {
                "type": "string",
                "enum": [
                    "well_formed",
                    "provider_signature",
                    "provider_key",
                    "accreditation",
                    "validity",
                    "status",
                    "cosignature",
                    "equivalence",
                ],
            },
            "ok": {"type": "boolean"},
            "detail": {"type": "string", "description": "The check in one plain English sentence."},
            "reason": {"type": ["string", "null"], "enum": [*(r.value for r in Reason), None]},
        },
    },
    "VerificationResult": {
        "type": "object",
        "required": ["status", "reasons", "checks", "summary", "recognition"],
        "properties": {
            "status": {
                "type": "string",
                "enum": ["recognized", "authentic", "invalid"],
                "description": "recognized: authentic, co-signed by the holder's embassy and mapped to a national "
                "qualification; authentic: issued by an accredited provider but not (yet) recognised; invalid.",
            },
            "reasons": {"type": "array", "items": {"type": "string", "enum": [r.value for r in Reason]}},
            "checks": {"type": "array", "items": _ref("VerificationCheck")},
            "summary": {
                "type": "object",
                "description": "The credential's details: holder, qualification, issuer and co-signer (names from "
                "the trust list), dates, kind, and for prior skills how they were assessed.",
            },
            "recognition": {
                "type": ["object", "null"],
                "description": "For a recognised credential: the national qualification and the statement.",
            },
            "display": {"type": "object", "description": "Only when asked for: the result in words."},
        },
    },
}

_RESULT_EXAMPLE = {
    "status": "recognized",
    "reasons": [],
    "checks": [
        {"name": "provider_signature", "ok": True, "detail": "Issued and signed by Weld Academy (MY).", "reason": None}
    ],
    "summary": {"kind": "training", "holder": {"name": "Maria Santos Dela Cruz", "nationality": "PH"}},
    "recognition": {
        "statement": "Recognised in the Philippines as Shielded Metal Arc Welding NC II (PQF level 2) by TESDA."
    },
}

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/verify": {
        "post": operation(
            "Verify one credential",
            tag=TAG,
            public=True,
            operation_id="verifyCredential",
            description="Send the QR text, the verification URL or the credential as JSON, or a photo or "
            "screenshot of the QR code as multipart `image`. The answer is the verification result; a "
            "credential that fails a check is still a 200 answer with `status: invalid` and its reasons. "
            "Each verification is counted anonymously (time, verdict, kind, country; no address).",
            request={
                "required": True,
                "content": {
                    "application/json": {"schema": _ref("VerifyRequest"), "example": {"credential": _QR_EXAMPLE}},
                    "multipart/form-data": {"schema": _ref("VerifyImageRequest")},
                },
            },
            responses={
                "200": json_response("The verification result", _ref("VerificationResult"), _RESULT_EXAMPLE),
                **error_responses(400),
                "413": _TOO_LARGE,
                "422": _UNREADABLE_IMAGE,
                "429": _TOO_MANY,
            },
        )
    },
    "/api/v1/verify/batch": {
        "post": operation(
            f"Verify up to {MAX_BATCH} credentials",
            tag=TAG,
            public=True,
            operation_id="verifyCredentials",
            description="The results come in the order of the request.",
            request=json_body(_ref("VerifyBatchRequest"), {"credentials": [_QR_EXAMPLE]}),
            responses={
                "200": json_response(
                    "One result per credential", {"type": "array", "items": _ref("VerificationResult")}
                ),
                **error_responses(400),
                "413": _TOO_LARGE,
                "429": _TOO_MANY,
            },
        )
    },
    "/api/v1/verify/id-check": {
        "post": operation(
            "Check an ID document number against a credential",
            tag=TAG,
            public=True,
            operation_id="checkIdNumber",
            description="The credential holds the number only as a salted hash; this tells whether the number "
            "the worker shows is that one. The number is neither stored nor returned.",
            request=json_body(_ref("IdCheckRequest"), {"credential": _QR_EXAMPLE, "id_number": "P1234567A"}),
            responses={
                "200": json_response(
                    "Match or no match", _ref("IdCheckResult"), {"match": True, "status": "recognized"}
                ),
                **error_responses(400),
                "413": _TOO_LARGE,
                "429": _TOO_MANY,
            },
        )
    },
}
