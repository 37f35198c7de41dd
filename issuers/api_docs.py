"""How ``/api/v1`` describes itself in the OpenAPI document: its paths, answers and examples.

Request bodies and query parameters come from the same field tuples that check requests
(:mod:`issuers.api_schemas`), so the document cannot drift from what the API accepts.
"""

from __future__ import annotations

from typing import Any

from certsvc.credentials.openbadge import Kind
from certsvc.store.models import CredentialState, RejectionReason
from certsvc.web.openapi import (
    binary_response,
    error_responses,
    json_body,
    json_response,
    operation,
    path_parameter,
)
from issuers import api_schemas as fields

PREFIX = "/api/v1"
PROVIDERS = "Provider"
EMBASSIES = "Embassy"
SHARED = "Credentials"
ABOUT = "About the API"
TAGS = {
    PROVIDERS: "Training providers and assessment centres: register learners, issue, revoke, suspend, reinstate.",
    EMBASSIES: "Embassies (labour offices): co-sign or reject credentials of their nationals, withdraw a co-signature.",
    SHARED: "Read credentials and their QR codes: a provider its own, an embassy those of its nationals.",
    ABOUT: "This document and its readable page; no token needed.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "type": [schema["type"], "null"],
        **{k: v for k, v in schema.items() if k != "type"},
        "description": description,
    }


_DATE_TIME = {"type": "string", "format": "date-time"}
_ORG = {
    "type": "object",
    "required": ["slug", "name"],
    "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
}
_LINKS = {
    "type": "object",
    "description": "Where to fetch related resources (paths on this server).",
    "additionalProperties": {"type": "string"},
}

LEARNER_EXAMPLE = {
    "id": 17,
    "external_id": "KLWA-L-0001",
    "name": "Maria Santos Dela Cruz",
    "birth_date": "1990-05-17",
    "nationality": "PH",
    "sex": "F",
    "created_at": "2026-03-01T08:30:00Z",
    "links": {"self": f"{PREFIX}/learners/17"},
}
_PROVIDER_JWS = (
    "eyJhbGciOiJFZERTQSIsImtpZCI6Imh0dHBzOi8vc2tpbGxzLmV4YW1wbGUub3JnL28va2x3YSNrMSIsInR5cCI6IkpXVCJ9"
    ".eyJAY29udGV4dCI6WyJodHRwczovL3d3dy53My5vcmcvbnMvY3JlZGVudGlhbHMvdjIi...0fQ.q8Jr0i...Ag"
)
_EMBASSY_JWS = (
    "eyJhbGciOiJFZERTQSIsImtpZCI6Imh0dHBzOi8vc2tpbGxzLmV4YW1wbGUub3JnL28vcGgta2wjazIiLCJ0eXAiOiJKV1QifQ"
    ".eyJAY29udGV4dCI6WyJodHRwczovL3d3dy53My5vcmcvbnMvY3JlZGVudGlhbHMvdjIi...0fQ.Zm9y...Bw"
)
CREDENTIAL_EXAMPLE = {
    "id": "7KQ2M9XD",
    "state": "cosigned",
    "status": "valid",
    "kind": "training",
    "qualification_code": "SMAW2",
    "holder": {"name": "Maria Santos Dela Cruz", "birth_date": "1990-05-17", "nationality": "PH"},
    "provider": {"slug": "klwa", "name": "Kuala Lumpur Welding Academy"},
    "embassy": {"slug": "ph-kl", "name": "Philippine Embassy Kuala Lumpur, Labour Office"},
    "issued_at": "2026-03-01T08:30:00Z",
    "cosigned_at": "2026-03-03T10:02:11Z",
    "withdrawn_at": None,
    "revoked_at": None,
    "reject_reason_code": None,
    "reject_reason": None,
    "reason": None,
    "learner_id": 17,
    "external_id": "KLWA-2026-001",
    "credential": {
        "general_json": '{"payload":"eyJAY29udGV4dCI6...","signatures":[{"protected":"eyJhbGciOi...",'
        '"signature":"q8Jr0i...Ag"},{"protected":"eyJhbGciOi...","signature":"Zm9y...Bw"}]}',
        "compact": [_PROVIDER_JWS, _EMBASSY_JWS],
    },
    "qr_text": "HTTPS://SKILLS.EXAMPLE.ORG/V#1040300772911085326047153...",
    "links": {
        "self": f"{PREFIX}/credentials/7KQ2M9XD",
        "qr_png": f"{PREFIX}/credentials/7KQ2M9XD/qr.png",
        "qr_svg": f"{PREFIX}/credentials/7KQ2M9XD/qr.svg",
    },
}
_SUMMARY_EXAMPLE = {k: v for k, v in CREDENTIAL_EXAMPLE.items() if k not in ("credential", "qr_text")}
ISSUED_EXAMPLE = {
    **CREDENTIAL_EXAMPLE,
    "state": "awaiting_cosign",
    "cosigned_at": None,
    "credential": {
        "general_json": '{"payload":"eyJAY29udGV4dCI6...","signatures":[{"protected":"eyJhbGciOi...",'
        '"signature":"q8Jr0i...Ag"}]}',
        "compact": [_PROVIDER_JWS],
    },
    "claim": {"code": "7KQ2M-9XDPA", "pin": "408215"},
}


def _list_schema(item: str, description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": ["items", "total", "limit", "offset", "next_offset"],
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "total": {"type": "integer", "description": "Matching records in all pages."},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next_offset": {"type": ["integer", "null"], "description": "Offset of the next page; null on the last."},
        },
    }


SCHEMAS: dict[str, dict[str, Any]] = {
    "LearnerInput": fields.object_schema(fields.LEARNER_FIELDS, "A learner to register."),
    "CredentialInput": {
        **fields.object_schema(fields.CREDENTIAL_FIELDS, "A credential to issue; name the learner one of two ways."),
        "oneOf": [
            {"required": ["learner_id"], "properties": {"learner_id": {"type": "integer"}}},
            {"required": ["learner"]},
        ],
        # prior_skills needs an assessment, training has none.
        "if": {"properties": {"kind": {"const": "prior_skills"}}},
        "then": {"required": ["assessment"]},
        "else": {"not": {"required": ["assessment"]}},
    },
    "ReasonInput": fields.object_schema(fields.REASON_FIELDS, "The reason for a change of state."),
    "RejectInput": fields.object_schema(fields.REJECT_FIELDS, "Why the embassy refuses to co-sign."),
    "Learner": {
        "type": "object",
        "description": "A registered learner. The ID document number is never returned.",
        "required": ["id", "external_id", "name", "birth_date", "nationality", "sex", "created_at", "links"],
        "properties": {
            "id": {"type": "integer"},
            "external_id": {"type": ["string", "null"]},
            "name": {"type": "string"},
            "birth_date": {"type": "string", "format": "date"},
            "nationality": {"type": "string", "description": "ISO 3166-1 alpha-2."},
            "sex": {"type": ["string", "null"], "enum": ["F", "M", "X", None]},
            "created_at": _DATE_TIME,
            "links": _LINKS,
        },
    },
    "LearnerList": _list_schema("Learner", "A page of learners, oldest first."),
    "Credential": {
        "type": "object",
        "description": "A credential. Lists leave out `credential` and `qr_text`; only providers see "
        "`learner_id` and `external_id`.",
        "required": ["id", "state", "status", "kind", "qualification_code", "holder", "provider", "issued_at", "links"],
        "properties": {
            "id": {"type": "string", "description": "Public id; the credential's URI ends with it."},
            "state": {"type": "string", "enum": [s.value for s in CredentialState]},
            "status": {
                "type": "string",
                "enum": ["valid", "invalid", "suspended", "cosignature_withdrawn"],
                "description": "The value of the credential's entry in its published status list.",
            },
            "kind": {"type": "string", "enum": [k.value for k in Kind]},
            "qualification_code": {"type": "string"},
            "holder": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "birth_date": {"type": "string", "format": "date"},
                    "nationality": {"type": "string"},
                },
            },
            "provider": _ORG,
            "embassy": {"oneOf": [_ORG, {"type": "null"}], "description": "The embassy that co-signs, once known."},
            "issued_at": _DATE_TIME,
            "cosigned_at": _nullable(_DATE_TIME, "When the embassy co-signed."),
            "withdrawn_at": _nullable(_DATE_TIME, "When the embassy withdrew its co-signature."),
            "revoked_at": _nullable(_DATE_TIME, "When the provider revoked it."),
            "reject_reason_code": {
                "type": ["string", "null"],
                "enum": [*(reason.value for reason in RejectionReason), None],
                "description": "Why the embassy refused to co-sign, from the fixed list.",
            },
            "reject_reason": {"type": ["string", "null"], "description": "The embassy's note on its refusal."},
            "reason": {
                "type": ["string", "null"],
                "description": "Reason of the latest revocation, suspension or withdrawal.",
            },
            "learner_id": {"type": "integer"},
            "external_id": {"type": ["string", "null"]},
            "credential": {
                "type": "object",
                "description": "The signed credential: the provider's signature and, once co-signed, the embassy's "
                "over the same payload.",
                "properties": {
                    "general_json": {
                        "type": "string",
                        "description": "RFC 7515 General JWS JSON Serialization, as text (the credential file).",
                    },
                    "compact": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Each signature as a standard compact JWS, the provider's first.",
                    },
                },
            },
            "qr_text": {
                "type": "string",
                "description": "The QR code's text: the verification URL carrying the whole credential after '#'.",
            },
            "claim": {
                "type": "object",
                "description": "Only in the 201 answer that issues it: the code and PIN the worker claims the "
                "credential into a wallet with. Shown once, never stored; hand it to the worker.",
                "required": ["code", "pin"],
                "properties": {"code": {"type": "string"}, "pin": {"type": "string"}},
            },
            "links": _LINKS,
        },
    },
    "CredentialList": _list_schema("Credential", "A page of credentials (without JWS and QR text), oldest first."),
    "CredentialBatchInput": {
        "type": "object",
        "description": f"Up to {fields.MAX_BATCH} credentials to issue at once, each as `POST /credentials` takes it.",
        "required": [fields.BATCH_MEMBER],
        "properties": {
            fields.BATCH_MEMBER: {
                "type": "array",
                "minItems": 1,
                "maxItems": fields.MAX_BATCH,
                "items": _ref("CredentialInput"),
            }
        },
        "additionalProperties": False,
    },
    "CredentialBatch": {
        "type": "object",
        "description": "One answer per item, in the order of the request.",
        "required": [fields.BATCH_MEMBER],
        "properties": {
            fields.BATCH_MEMBER: {
                "type": "array",
                "items": {
                    "allOf": [_ref("Credential")],
                    "required": ["created"],
                    "properties": {
                        "created": {
                            "type": "boolean",
                            "description": "Issued by this request (with its `claim`); false for a repeated "
                            "`external_id`, answered with the credential issued before.",
                        }
                    },
                },
            }
        },
    },
}

_PUBLIC_ID = path_parameter(
    "public_id",
    "The credential's public id (8 Crockford base32 characters; anything else is no credential: 404).",
    {"type": "string", "maxLength": 32, "pattern": "^[0-9A-Za-z]{1,32}$"},
    example="7KQ2M9XD",
)
_LEARNER_ID = path_parameter(
    "learner_id", "The learner's id.", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, example=17
)
_REASON_BODY = json_body(_ref("ReasonInput"), fields.example_of(fields.REASON_FIELDS))
_REJECT_BODY = json_body(_ref("RejectInput"), fields.example_of(fields.REJECT_FIELDS))
_CREDENTIAL_ANSWER = json_response("The credential after the change.", _ref("Credential"), CREDENTIAL_EXAMPLE)
_TRAINING_EXAMPLE = {
    "learner": fields.example_of(fields.LEARNER_FIELDS),
    "qualification_code": "SMAW2",
    "kind": "training",
    "external_id": "KLWA-2026-001",
}

_PRIOR_SKILLS_EXAMPLE = {
    "learner_id": 17,
    "qualification_code": "CARE2",
    "kind": "prior_skills",
    "assessment": fields.example_of(fields.ASSESSMENT_FIELDS),
    "external_id": "KLWA-2026-002",
}


def _action(
    summary: str, tag: str, op_id: str, description: str, *, reason: bool, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "post": operation(
            summary,
            tag=tag,
            operation_id=op_id,
            description=description,
            parameters=[_PUBLIC_ID],
            request=body or (_REASON_BODY if reason else None),
            responses={"200": _CREDENTIAL_ANSWER, **error_responses(400, 401, 403, 404, 409, 413)},
        )
    }


def _qr(media_type: str, op_id: str, what: str) -> dict[str, Any]:
    return {
        "get": operation(
            f"QR code as {what}",
            tag=SHARED,
            operation_id=op_id,
            description="The QR code of the credential with every signature it has; any phone camera opens the "
            "verification page from it, and it verifies offline too.",
            parameters=[_PUBLIC_ID],
            responses={
                "200": binary_response(f"The QR code ({what}).", media_type),
                **error_responses(400, 401, 403, 404),
            },
        )
    }


PATHS: dict[str, dict[str, Any]] = {
    f"{PREFIX}/learners": {
        "post": operation(
            "Register a learner",
            tag=PROVIDERS,
            operation_id="createLearner",
            description="Registers a learner. With an `external_id` already used for the same person, answers 200 "
            "with the existing learner; for different data, 409.",
            request=json_body(_ref("LearnerInput"), fields.example_of(fields.LEARNER_FIELDS)),
            responses={
                "201": json_response("Registered.", _ref("Learner"), LEARNER_EXAMPLE),
                "200": json_response("Already registered under this external_id.", _ref("Learner"), LEARNER_EXAMPLE),
                **error_responses(400, 401, 403, 409, 413),
            },
        ),
        "get": operation(
            "List learners",
            tag=PROVIDERS,
            operation_id="listLearners",
            parameters=fields.query_parameters(fields.PAGE_PARAMETERS + fields.LEARNER_FILTERS),
            responses={
                "200": json_response(
                    "A page of learners.",
                    _ref("LearnerList"),
                    {"items": [LEARNER_EXAMPLE], "total": 1, "limit": 50, "offset": 0, "next_offset": None},
                ),
                **error_responses(400, 401, 403),
            },
        ),
    },
    f"{PREFIX}/learners/{{learner_id}}": {
        "get": operation(
            "Get a learner",
            tag=PROVIDERS,
            operation_id="getLearner",
            parameters=[_LEARNER_ID],
            responses={
                "200": json_response("The learner.", _ref("Learner"), LEARNER_EXAMPLE),
                **error_responses(400, 401, 403, 404),
            },
        )
    },
    f"{PREFIX}/credentials": {
        "post": operation(
            "Issue a credential",
            tag=PROVIDERS,
            operation_id="createCredential",
            description="Signs a `training` or `prior_skills` credential; it then waits for the embassy of the "
            "holder's nationality to co-sign. Name the learner by `learner_id`, or register them inline with "
            "`learner`. Idempotent on `external_id`: a repeat answers 200 with the credential already issued and "
            "never issues twice (409 if the repeat asks for something different).",
            request=json_body(
                _ref("CredentialInput"),
                examples={
                    "training": ("Training, registering the learner inline", _TRAINING_EXAMPLE),
                    "prior_skills": ("Prior skills of a registered learner", _PRIOR_SKILLS_EXAMPLE),
                },
            ),
            responses={
                "201": json_response("Issued.", _ref("Credential"), ISSUED_EXAMPLE),
                "200": json_response("Already issued under this external_id.", _ref("Credential"), CREDENTIAL_EXAMPLE),
                **error_responses(400, 401, 403, 404, 409, 413),
            },
        ),
        "get": operation(
            "List credentials",
            tag=SHARED,
            operation_id="listCredentials",
            description="A provider lists its own credentials; an embassy those of its nationals "
            "(`state=awaiting_cosign` is its co-sign queue).",
            parameters=fields.query_parameters(fields.PAGE_PARAMETERS + fields.CREDENTIAL_FILTERS),
            responses={
                "200": json_response(
                    "A page of credentials.",
                    _ref("CredentialList"),
                    {"items": [_SUMMARY_EXAMPLE], "total": 1, "limit": 50, "offset": 0, "next_offset": None},
                ),
                **error_responses(400, 401, 403),
            },
        ),
    },
    f"{PREFIX}/credentials/batch": {
        "post": operation(
            "Issue credentials in a batch",
            tag=PROVIDERS,
            operation_id="createCredentialBatch",
            description=f"Issues up to {fields.MAX_BATCH} credentials in one request, all or nothing: each item is "
            "what `POST /credentials` takes, checked by the same rules. If any item is invalid, nothing is "
            "issued and the answer lists every problem in `errors`, each with the item's `index`, the `field` "
            "and a `message` (400 for items that do not fit the schema; 422 for an unknown qualification or "
            "learner, an `external_id` given twice in the batch or naming different data). Each new credential "
            "comes with its wallet claim code and PIN, shown once. An item whose `external_id` was issued "
            "before answers that credential (`created`: false) and issues nothing; 200 if no item issued one.",
            request=json_body(
                _ref("CredentialBatchInput"), {fields.BATCH_MEMBER: [_TRAINING_EXAMPLE, _PRIOR_SKILLS_EXAMPLE]}
            ),
            responses={
                "201": json_response(
                    "Issued.", _ref("CredentialBatch"), {fields.BATCH_MEMBER: [{**ISSUED_EXAMPLE, "created": True}]}
                ),
                "200": json_response(
                    "Every item was issued before under its external_id.",
                    _ref("CredentialBatch"),
                    {fields.BATCH_MEMBER: [{**CREDENTIAL_EXAMPLE, "created": False}]},
                ),
                **error_responses(400, 401, 403, 413),
                "422": json_response(
                    "Some items cannot be issued (`batch_refused`); `errors` names each. Nothing was issued.",
                    _ref("Error"),
                    {
                        "code": "batch_refused",
                        "message": "item 1: 'qualification_code' no qualification 'COOK2'; nothing was issued",
                        "status": 422,
                        "errors": [{"index": 1, "field": "qualification_code", "message": "no qualification 'COOK2'"}],
                    },
                ),
            },
        )
    },
    f"{PREFIX}/credentials/{{public_id}}": {
        "get": operation(
            "Get a credential",
            tag=SHARED,
            operation_id="getCredential",
            description="State, the signed credential (General JSON and each compact JWS) and the QR text.",
            parameters=[_PUBLIC_ID],
            responses={
                "200": json_response("The credential.", _ref("Credential"), CREDENTIAL_EXAMPLE),
                **error_responses(400, 401, 403, 404),
            },
        )
    },
    f"{PREFIX}/credentials/{{public_id}}/qr.png": _qr("image/png", "getCredentialQrPng", "PNG"),
    f"{PREFIX}/credentials/{{public_id}}/qr.svg": _qr("image/svg+xml", "getCredentialQrSvg", "SVG"),
    f"{PREFIX}/credentials/{{public_id}}/cosign": _action(
        "Co-sign",
        EMBASSIES,
        "cosignCredential",
        "Adds the embassy's signature over the same payload. Only a credential awaiting co-signature (else 409). "
        "The body may be empty.",
        reason=False,
    ),
    f"{PREFIX}/credentials/{{public_id}}/reject": _action(
        "Reject",
        EMBASSIES,
        "rejectCredential",
        "Refuses to co-sign with a reason code from the fixed list (counted by the authority's indicators) and "
        "a note the provider sees; `other` needs the note. Only a credential awaiting co-signature (else 409).",
        reason=True,
        body=_REJECT_BODY,
    ),
    f"{PREFIX}/credentials/{{public_id}}/withdraw": _action(
        "Withdraw the co-signature",
        EMBASSIES,
        "withdrawCosignature",
        "Withdraws an earlier co-signature; the status list shows it. Only a co-signed credential (else 409).",
        reason=True,
    ),
    f"{PREFIX}/credentials/{{public_id}}/revoke": _action(
        "Revoke",
        PROVIDERS,
        "revokeCredential",
        "Revokes for good; the status list shows it. A rejected or revoked credential cannot be revoked (409).",
        reason=True,
    ),
    f"{PREFIX}/credentials/{{public_id}}/suspend": _action(
        "Suspend",
        PROVIDERS,
        "suspendCredential",
        "Suspends until reinstated. Only a credential awaiting co-signature or co-signed (else 409).",
        reason=True,
    ),
    f"{PREFIX}/credentials/{{public_id}}/reinstate": _action(
        "Reinstate",
        PROVIDERS,
        "reinstateCredential",
        "Lifts a suspension: back to co-signed, or awaiting co-signature. Only a suspended credential (else 409). "
        "The body may be empty.",
        reason=False,
    ),
    f"{PREFIX}/openapi.json": {
        "get": operation(
            "This OpenAPI document",
            tag=ABOUT,
            operation_id="getOpenApi",
            public=True,
            responses={"200": json_response("The OpenAPI 3.1 document.", {"type": "object"}), **error_responses(400)},
        )
    },
    f"{PREFIX}/docs": {
        "get": operation(
            "Readable API documentation",
            tag=ABOUT,
            operation_id="getApiDocs",
            public=True,
            responses={
                "200": binary_response("This documentation as a web page.", "text/html", text=True),
                **error_responses(400),
            },
        )
    },
}
