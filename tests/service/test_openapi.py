"""The OpenAPI document: valid OpenAPI 3.1, covers every /api/v1 route, examples match schemas; the docs page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from certsvc.app import create_app
from certsvc.store import db
from certsvc.web import openapi

from .support import settings_for

API = "/api/v1"
_CONVERTER = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>")


@pytest.fixture(scope="module")
def docs_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app; the document and the docs page never touch the database, so one backend is enough."""
    path = Path(tmp_path_factory.mktemp("openapi")) / "unused.sqlite3"
    app = create_app(settings_for(f"sqlite:///{path}"))
    yield app
    db.dispose(app)


@pytest.fixture(scope="module")
def document(docs_app: Flask) -> dict[str, Any]:
    response = docs_app.test_client().get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" in response.headers["Cache-Control"]
    return dict(response.json)


def openapi_path(rule: str) -> str:
    """Flask's ``/x/<string(maxlength=32):public_id>`` as OpenAPI's ``/x/{public_id}``."""
    return _CONVERTER.sub(r"{\1}", rule)


def api_routes(app: Flask) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API + "/"):
            for method in rule.methods or ():
                if method not in ("HEAD", "OPTIONS"):
                    routes.add((openapi_path(rule.rule), method.lower()))
    return routes


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)  # openapi-spec-validator picks the 3.1 validator from the "openapi" member
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert document["security"] == [{"bearerAuth": []}]
    assert document["servers"] == [{"url": "https://skills.example.org"}]


def test_every_api_route_is_documented_and_nothing_else(docs_app: Flask, document: dict[str, Any]) -> None:
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        if path.startswith(API + "/")
        for method in item
        if method in openapi.METHODS
    }
    routes = api_routes(docs_app)
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "documented operations without a route"
    assert {
        ("/api/v1/credentials/{public_id}/cosign", "post"),
        ("/api/v1/credentials/{public_id}/qr.png", "get"),
        ("/api/v1/learners", "post"),
    } <= documented


def test_operations_declare_bodies_errors_and_security(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, op in item.items():
            assert op.get("summary") and op.get("operationId"), (path, method)
            assert any(status.startswith("2") for status in op["responses"]), (path, method)
            public = op.get("security") == []
            if path.startswith((f"{API}/learners", f"{API}/credentials")):  # ours; other parts add public ones
                assert not public, (path, method)
            if path in (f"{API}/openapi.json", f"{API}/docs"):
                assert public, path
            if not public:
                assert {"401", "403"} <= set(op["responses"]), (path, method)
            if "{public_id}" in path:
                assert "404" in op["responses"], (path, method)
    credentials = document["paths"]["/api/v1/credentials"]
    assert credentials["post"]["requestBody"]["required"] is True
    assert {p["name"] for p in credentials["get"]["parameters"]} == {"limit", "offset", "state", "kind", "external_id"}


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    # Local "#/components/..." references resolve against a root that carries the components.
    return Draft202012Validator({**schema, "components": document["components"]})


def test_examples_match_their_schemas(document: dict[str, Any]) -> None:
    checked = 0
    for path, item in document["paths"].items():
        for method, op in item.items():
            media = [op.get("requestBody", {}).get("content", {}).get("application/json", {})]
            for response in op["responses"].values():
                media.append(openapi.resolve(document, response).get("content", {}).get("application/json", {}))
            for entry in media:
                examples = [entry["example"]] if "example" in entry else []
                examples += [example["value"] for example in entry.get("examples", {}).values()]
                for example in examples:
                    errors = list(_validator(document, entry["schema"]).iter_errors(example))
                    assert not errors, (path, method, [e.message for e in errors])
                    checked += 1
    assert checked >= 20


def test_request_schemas_refuse_what_the_api_refuses(document: dict[str, Any]) -> None:
    credential_input = _validator(document, {"$ref": "#/components/schemas/CredentialInput"})
    good = {"learner_id": 3, "qualification_code": "SMAW2", "kind": "training"}
    assert credential_input.is_valid(good)
    assert not credential_input.is_valid({**good, "kind": "diploma"})
    assert not credential_input.is_valid({**good, "surprise": 1})
    assert not credential_input.is_valid({"qualification_code": "SMAW2", "kind": "training"})  # no learner
    assert not credential_input.is_valid({**good, "kind": "prior_skills"})  # no assessment
    assessment = {"method": "interview", "evidence_summary": "Observed.", "assessed_on": "2026-01-02"}
    assert credential_input.is_valid({**good, "kind": "prior_skills", "assessment": assessment})
    assert not credential_input.is_valid({**good, "assessment": assessment})  # training has none


def test_docs_page_renders_every_operation_without_external_resources(
    docs_app: Flask, document: dict[str, Any]
) -> None:
    client: FlaskClient = docs_app.test_client()
    response = client.get(f"{API}/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path, item in document["paths"].items():
        assert path in page
        for op in item.values():
            assert op["summary"] in page
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no CDN or external resource"
    assert "Example request: Prior skills of a registered learner" in page and "&#34;evidence_summary&#34;" in page
    assert "<code>external_id</code>" in page  # descriptions' code spans are rendered, escaped
    assert "learner.birth_date" in page  # nested request fields are listed


def test_add_paths_registers_merges_and_refuses_conflicts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openapi, "_paths", {})
    monkeypatch.setattr(openapi, "_schemas", {})
    monkeypatch.setattr(openapi, "_tags", {})
    verify = openapi.operation(
        "Verify a credential",
        tag="Verification",
        operation_id="verify",
        public=True,
        request=openapi.json_body({"$ref": "#/components/schemas/VerifyRequest"}, {"credential": "eyJ..."}),
        responses={
            "200": openapi.json_response("The verdict.", {"type": "object"}, {"verdict": "recognised"}),
            **openapi.error_responses(400, 413),
        },
    )
    schema = {"type": "object", "required": ["credential"], "properties": {"credential": {"type": "string"}}}
    openapi.add_paths(
        {"/api/v1/verify": {"post": verify}}, schemas={"VerifyRequest": schema}, tags={"Verification": "x"}
    )
    openapi.add_paths({"/api/v1/verify": {"post": verify}})  # the same again: harmless
    openapi.add_paths({"/api/v1/verify": {"get": {**verify, "operationId": "verifyGet"}}})  # another method merges
    with pytest.raises(openapi.RegistrationConflict):
        openapi.add_paths({"/api/v1/verify": {"post": {**verify, "summary": "Something else"}}})
    with pytest.raises(openapi.RegistrationConflict):
        openapi.add_paths({}, schemas={"VerifyRequest": {"type": "string"}})
    with pytest.raises(ValueError, match="starts with"):
        openapi.add_paths({"api/v1/x": {}})
    document = openapi.build_document()
    validate(document)
    assert set(document["paths"]["/api/v1/verify"]) == {"get", "post"}
    assert document["paths"]["/api/v1/verify"]["post"]["security"] == []
    assert "servers" not in document
    [view, _] = openapi.operations(document)
    assert view.public and view.request_examples and view.request_fields[0].name == "credential"
