"""The OpenAPI 3.1 document of the JSON API, assembled from the paths each part registers.

Plain Python (no Flask): a module that serves JSON endpoints registers their description
once, at import time, with :func:`add_paths`; the app serves :func:`build_document`, and
the docs page renders :func:`operations` of it.

Example, in a module that defines ``/api/v1/verify``::

    from certsvc.web import openapi

    openapi.add_paths(
        {
            "/api/v1/verify": {
                "post": openapi.operation(
                    "Verify a credential",
                    tag="Verification",
                    public=True,
                    request=openapi.json_body({"$ref": "#/components/schemas/VerifyRequest"}, example={...}),
                    responses={"200": openapi.json_response("The verdict", {"$ref": "..."}, example={...}),
                               **openapi.error_responses(400, 413)},
                )
            }
        },
        schemas={"VerifyRequest": {...}},
        tags={"Verification": "Check a credential without an account."},
    )
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from certsvc import __version__
from certsvc.web import date_patterns

OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME = "bearerAuth"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
TITLE = "Skills credential service API"
SHOWN_PATTERN_CHARS = 60
DESCRIPTION = (
    "JSON API for machine clients of training providers and embassies: register learners, "
    "issue credentials, co-sign or reject them, revoke, suspend and reinstate, and fetch the "
    "co-signed credential and its QR code.\n\n"
    "Authenticate with an API token (create one on your account page): "
    "`Authorization: Bearer cst_...`. A token acts as its user, in its organisation: a provider "
    "sees only its own learners and credentials, an embassy only credentials of its nationals; "
    "anything else answers 404.\n\n"
    "Every error is a JSON object with a stable `code`, a `message` and the HTTP `status`; "
    "errors about one field of the request name it in `field`.\n\n"
    "Text fields refuse control characters (NUL, line breaks outside multi-line fields), invisible "
    "direction overrides, U+FFFD and unpaired surrogates, and text that is only spaces; text is stored "
    "in Unicode NFC without surrounding spaces, and its length counts characters after that. Bodies "
    "nest at most 32 levels, numbers have at most 40 digits, and no member may appear twice."
)

_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error answer: a stable code, a readable message and the HTTP status.",
    "required": ["code", "message", "status"],
    "properties": {
        "code": {
            "type": "string",
            "description": "Stable, machine-readable error code.",
            "examples": ["invalid_field"],
        },
        "message": {"type": "string", "description": "What went wrong, for people."},
        "status": {"type": "integer", "description": "The HTTP status, repeated."},
        "field": {"type": "string", "description": "The request field at fault (dotted path), if one is."},
        "errors": {
            "type": "array",
            "description": "Every invalid field of the request, when several are.",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

#: Standard error answers, by status: (component name, description, example).
_ERRORS: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: (
        "BadRequest",
        "The request is not valid JSON (or nests deeper than 32 levels, repeats a member, holds a number of "
        "more than 40 digits), a field or parameter is missing or invalid (text with control characters, "
        "direction overrides or a broken encoding is invalid), or the address holds such characters.",
        {"code": "invalid_field", "message": "'name' is required", "field": "name", "status": 400},
    ),
    401: (
        "Unauthorized",
        "No API token (the API takes no session cookie), or an unknown or revoked one; `WWW-Authenticate` "
        "names the Bearer scheme.",
        {"code": "invalid_token", "message": "unknown or revoked API token", "status": 401},
    ),
    403: (
        "Forbidden",
        "Your organisation or role cannot do this.",
        {"code": "forbidden", "message": "your organisation cannot do this", "status": 403},
    ),
    404: (
        "NotFound",
        "No such record, or it belongs to another organisation.",
        {"code": "not_found", "message": "no such credential", "status": 404},
    ),
    409: (
        "Conflict",
        "The record is not in a state that allows this, or the external id is taken by different data.",
        {"code": "state_conflict", "message": "the credential is cosigned, not awaiting cosign", "status": 409},
    ),
    413: (
        "PayloadTooLarge",
        "The request body is too large.",
        {"code": "payload_too_large", "message": "the request body exceeds 65536 bytes", "status": 413},
    ),
}

_paths: dict[str, dict[str, Any]] = {}
_schemas: dict[str, dict[str, Any]] = {}
_tags: dict[str, str] = {}


class RegistrationConflict(ValueError):
    """Two modules described the same operation or schema differently."""


def add_paths(
    paths: Mapping[str, Mapping[str, Any]],
    *,
    schemas: Mapping[str, Mapping[str, Any]] | None = None,
    tags: Mapping[str, str] | None = None,
) -> None:
    """Register OpenAPI path items, the component schemas they reference and their tags.

    Paths are keyed as in OpenAPI (``/api/v1/credentials/{public_id}``) and hold operations
    by lower-case method. Registering the same thing twice is harmless; describing an
    existing operation or schema differently raises :class:`RegistrationConflict`.
    """
    for path, item in paths.items():
        if not path.startswith("/"):
            raise ValueError(f"an OpenAPI path starts with '/': {path!r}")
        registered = _paths.setdefault(path, {})
        for key, value in item.items():
            _merge(registered, key, value, f"{path} {key}")
    for name, schema in (schemas or {}).items():
        _merge(_schemas, name, schema, f"schema {name}")
    for name, description in (tags or {}).items():
        _merge(_tags, name, description, f"tag {name}")


def _merge(target: dict[str, Any], key: str, value: Any, what: str) -> None:
    if key in target and target[key] != value:
        raise RegistrationConflict(f"{what} is already registered with a different description")
    target[key] = copy.deepcopy(value)


def build_document(server_url: str | None = None, today: date | None = None) -> dict[str, Any]:
    """Return the complete OpenAPI 3.1 document of everything registered, date ranges as of ``today``."""
    components: dict[str, Any] = {
        "securitySchemes": {
            SECURITY_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token from your account page, sent as `Authorization: Bearer cst_...`.",
            }
        },
        "schemas": {"Error": copy.deepcopy(_ERROR_SCHEMA), **copy.deepcopy(_schemas)},
        "responses": {
            name: json_response(description, {"$ref": "#/components/schemas/Error"}, example)
            for name, description, example in _ERRORS.values()
        },
    }
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": TITLE, "version": __version__, "description": DESCRIPTION},
        "paths": {path: copy.deepcopy(_paths[path]) for path in sorted(_paths)},
        "components": components,
        "security": [{SECURITY_SCHEME: []}],
        "tags": [{"name": name, "description": text} for name, text in _tags.items()],
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    date_patterns.resolve_markers(document, today or datetime.now(UTC).date())
    return document


# -- helpers for describing operations ----------------------------------------------------


def operation(
    summary: str,
    *,
    tag: str,
    responses: Mapping[str, Any],
    operation_id: str | None = None,
    description: str | None = None,
    parameters: Iterable[Mapping[str, Any]] = (),
    request: Mapping[str, Any] | None = None,
    public: bool = False,
) -> dict[str, Any]:
    """Describe one operation; ``public`` ones need no token (``security: []``)."""
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": dict(responses)}
    if operation_id:
        op["operationId"] = operation_id
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = [dict(p) for p in parameters]
    if request is not None:
        op["requestBody"] = dict(request)
    if public:
        op["security"] = []
    return op


def json_body(
    schema: Mapping[str, Any],
    example: Any = None,
    *,
    examples: Mapping[str, tuple[str, Any]] | None = None,
    required: bool = True,
) -> dict[str, Any]:
    """A JSON request body with one ``example`` or several named ``examples`` ({name: (summary, value)})."""
    media: dict[str, Any] = {"schema": dict(schema)}
    if examples:
        media["examples"] = {name: {"summary": summary, "value": value} for name, (summary, value) in examples.items()}
    elif example is not None:
        media["example"] = example
    return {"required": required, "content": {"application/json": media}}


def json_response(description: str, schema: Mapping[str, Any], example: Any = None) -> dict[str, Any]:
    """A JSON response."""
    media: dict[str, Any] = {"schema": dict(schema)}
    if example is not None:
        media["example"] = example
    return {"description": description, "content": {"application/json": media}}


def binary_response(description: str, media_type: str, *, text: bool = False) -> dict[str, Any]:
    """A non-JSON response, such as an image."""
    schema: dict[str, Any] = {"type": "string"} if text else {"type": "string", "contentMediaType": media_type}
    return {"description": description, "content": {media_type: {"schema": schema}}}


def error_responses(*statuses: int) -> dict[str, Any]:
    """References to the standard error answers, by status."""
    return {str(status): {"$ref": f"#/components/responses/{_ERRORS[status][0]}"} for status in statuses}


def path_parameter(name: str, description: str, schema: Mapping[str, Any], example: Any = None) -> dict[str, Any]:
    """A required parameter in the URL path."""
    parameter: dict[str, Any] = {"name": name, "in": "path", "required": True, "description": description}
    parameter["schema"] = dict(schema)
    if example is not None:
        parameter["example"] = example
    return parameter


# -- a readable view of the document, for the docs page ----------------------------------


@dataclass(frozen=True)
class FieldRow:
    """One field of a body or one parameter, as the docs page lists it."""

    name: str
    type: str
    required: bool
    description: str
    location: str = "body"


@dataclass(frozen=True)
class ResponseView:
    status: str
    description: str
    media_type: str | None
    example: str | None


@dataclass
class OperationView:
    """One operation, flattened for a template."""

    method: str
    path: str
    summary: str
    description: str
    tag: str
    public: bool
    anchor: str
    parameters: list[FieldRow] = field(default_factory=list)
    request_fields: list[FieldRow] = field(default_factory=list)
    #: (summary, pretty JSON) of each request example.
    request_examples: list[tuple[str, str]] = field(default_factory=list)
    responses: list[ResponseView] = field(default_factory=list)


def operations(document: Mapping[str, Any]) -> list[OperationView]:
    """Flatten a document's operations (``$ref`` resolved) in path order."""
    views = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                views.append(_operation_view(document, path, method, item[method]))
    return views


def schema_fields(document: Mapping[str, Any], schema: Mapping[str, Any], prefix: str = "") -> list[FieldRow]:
    """List an object schema's fields, nested objects and arrays of objects as dotted names."""
    schema = resolve(document, schema)
    required = set(schema.get("required", []))
    rows = []
    for name, unresolved in schema.get("properties", {}).items():
        prop = resolve(document, unresolved)
        label = type_label(document, unresolved)
        rows.append(FieldRow(prefix + name, label, name in required, prop.get("description", "")))
        items = resolve(document, prop.get("items", {}))
        if "properties" in prop:
            rows += schema_fields(document, prop, f"{prefix}{name}.")
        elif "properties" in items:
            rows += schema_fields(document, items, f"{prefix}{name}[].")
    return rows


def resolve(document: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local ``$ref`` pointers (``#/components/...``)."""
    seen = 0
    while "$ref" in node and seen < 16:
        ref = str(node["$ref"])
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node, seen = target, seen + 1
    return node


def type_label(document: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    """A short type description: ``string (date)``, ``one of: a, b``, ``array of Credential``."""
    if "$ref" in node:
        return str(node["$ref"]).rsplit("/", 1)[-1]
    if "enum" in node:
        return "one of: " + ", ".join(str(v) for v in node["enum"] if v is not None)
    types = node.get("type", "any")
    names = [types] if isinstance(types, str) else list(types)
    label = " | ".join(str(n) for n in names)
    if "format" in node:
        label += f" ({node['format']})"
    if "array" in names and "items" in node:
        label = label.replace("array", "array of " + type_label(document, node["items"]))
    limits = [f"{key} {node[key]}" for key in ("maxLength", "minimum", "maximum") if key in node]
    # Long patterns (the text rules', date ranges) are said in words by the descriptions instead.
    if "pattern" in node and len(str(node["pattern"])) <= SHOWN_PATTERN_CHARS:
        limits.append(f"pattern {node['pattern']}")
    return label + (f"; {', '.join(limits)}" if limits else "")


def _operation_view(document: Mapping[str, Any], path: str, method: str, op: Mapping[str, Any]) -> OperationView:
    view = OperationView(
        method=method.upper(),
        path=path,
        summary=op.get("summary", ""),
        description=op.get("description", ""),
        tag=(op.get("tags") or ["API"])[0],
        public=op.get("security") == [],
        anchor=op.get("operationId") or f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
    )
    for unresolved in op.get("parameters", []):
        parameter = resolve(document, unresolved)
        view.parameters.append(
            FieldRow(
                parameter["name"],
                type_label(document, parameter.get("schema", {})),
                bool(parameter.get("required")),
                parameter.get("description", ""),
                parameter.get("in", "query"),
            )
        )
    body = resolve(document, op.get("requestBody", {}))
    media = body.get("content", {}).get("application/json")
    if media:
        view.request_fields = schema_fields(document, media.get("schema", {}))
        view.request_examples = _examples(document, media)
    for status, unresolved in op.get("responses", {}).items():
        response = resolve(document, unresolved)
        content_by_type: dict[str, Any] = dict(response.get("content", {}))
        media_type = next(iter(content_by_type), None)
        content = content_by_type[media_type] if media_type else {}
        view.responses.append(
            ResponseView(status, response.get("description", ""), media_type, _pretty(content.get("example")))
        )
    return view


def _examples(document: Mapping[str, Any], media: Mapping[str, Any]) -> list[tuple[str, str]]:
    if "example" in media:
        return [("", json.dumps(media["example"], indent=2, ensure_ascii=False))]
    found = []
    for name, unresolved in media.get("examples", {}).items():
        example = resolve(document, unresolved)
        found.append((example.get("summary", name), json.dumps(example.get("value"), indent=2, ensure_ascii=False)))
    return found


def _pretty(example: Any) -> str | None:
    if example is None:
        return None
    return json.dumps(example, indent=2, ensure_ascii=False)
