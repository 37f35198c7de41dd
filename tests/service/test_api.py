"""The /api/v1 JSON API: learners, credentials, embassy and provider actions, QR images, auth and isolation."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws
from sqlalchemy import func, select

from certsvc.accounts import api_tokens
from certsvc.qr.image import decode_image
from certsvc.store import db, keystore
from certsvc.store.models import AuditEntry, Credential, Learner, Organisation, OrgKind, Qualification, Role

from .support import make_org, make_user

API = "/api/v1"


@dataclass
class ApiWorld:
    """Two providers and two embassies in Malaysia, an authority, and a token for each."""

    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def _qualification(org: Organisation, code: str) -> Qualification:
    return Qualification(
        provider_id=org.id,
        code=code,
        name=f"Qualification {code}",
        description=f"SKM level 2 certificate in {code}",
        framework="SKM",
        level="2",
        isco_code="7212",
        isco_title="Welders and flamecutters",
        asean_level=2,
    )


@pytest.fixture
def world(app: Flask) -> ApiWorld:
    orgs = {
        "weld": ("weld-my", OrgKind.PROVIDER, {}),
        "cook": ("cook-my", OrgKind.PROVIDER, {}),
        "ph": ("ph-kl", OrgKind.EMBASSY, {"country": "PH", "host_country": "MY"}),
        "id": ("id-kl", OrgKind.EMBASSY, {"country": "ID", "host_country": "MY"}),
        "tesda": ("ph-tesda", OrgKind.AUTHORITY, {"country": "PH"}),
    }
    tokens = {}
    with db.session_factory(app)() as session:
        for who, (slug, kind, extra) in orgs.items():
            org = make_org(session, slug, kind, **extra)
            user = make_user(session, org, f"officer@{slug}.example")
            tokens[who] = api_tokens.create_token(session, user, "api", actor="test").secret
            if who == "weld":
                session.add_all([_qualification(org, "SMAW2"), _qualification(org, "CARE2")])
                viewer = make_user(session, org, "viewer@weld-my.example", Role.VIEWER)
                tokens["weld-viewer"] = api_tokens.create_token(session, viewer, "ro", actor="test").secret
            if who == "cook":
                session.add(_qualification(org, "COOK2"))
        session.commit()
    return ApiWorld(tokens)


LEARNER = {
    "name": "Maria Santos Dela Cruz",
    "birth_date": "1990-05-17",
    "nationality": "PH",
    "id_number": "P1234567A",
    "sex": "F",
    "external_id": "L-0001",
}
ASSESSMENT = {
    "method": "practical_test",
    "evidence_summary": "Bed bath, transfers and medication log observed; passed.",
    "assessed_on": "2026-02-02",
    "assessor": "A. Rahman",
}


def post(client: FlaskClient, world: ApiWorld, who: str, path: str, body: Any = None) -> Any:
    return client.post(API + path, json=body, headers=world.headers(who))


def get(client: FlaskClient, world: ApiWorld, who: str, path: str) -> Any:
    return client.get(API + path, headers=world.headers(who))


def issue(client: FlaskClient, world: ApiWorld, who: str = "weld", **changes: Any) -> dict[str, Any]:
    """Issue a training credential with an inline learner; return the answer's JSON."""
    body = {"learner": dict(LEARNER), "qualification_code": "SMAW2", "kind": "training", **changes}
    response = post(client, world, who, "/credentials", body)
    assert response.status_code == 201, response.json
    return dict(response.json)


def count(app: Flask, model: type) -> int:
    with db.session_factory(app)() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def active_jwk(app: Flask, slug: str) -> dict[str, Any]:
    with db.session_factory(app)() as session:
        org = session.scalars(select(Organisation).where(Organisation.slug == slug)).one()
        record = keystore.active_key_record(session, org.id)
        assert record is not None
        return dict(record.public_jwk)


# -- learners ----------------------------------------------------------------------------------


def test_register_list_and_get_learners(app: Flask, client: FlaskClient, world: ApiWorld) -> None:
    created = post(client, world, "weld", "/learners", LEARNER)
    assert created.status_code == 201
    learner = created.json
    assert created.headers["Location"] == f"{API}/learners/{learner['id']}"
    assert created.headers["Cache-Control"] == "no-store"
    assert {k: learner[k] for k in ("name", "birth_date", "nationality", "sex", "external_id")} == {
        k: v for k, v in LEARNER.items() if k != "id_number"
    }
    assert "P1234567A" not in created.get_data(as_text=True)  # the ID number is never echoed
    assert not {"id_number", "id_number_hash", "id_number_salt"} & set(learner)

    again = post(client, world, "weld", "/learners", LEARNER)  # same external id: the same learner
    assert again.status_code == 200 and again.json["id"] == learner["id"]
    conflict = post(client, world, "weld", "/learners", {**LEARNER, "id_number": "X999", "birth_date": "1991-01-01"})
    assert conflict.status_code == 409 and conflict.json["code"] == "external_id_conflict"
    assert conflict.json["differing"] == ["birth_date", "id_number"]
    assert count(app, Learner) == 1

    for n in range(3):
        post(client, world, "weld", "/learners", {**LEARNER, "external_id": f"L-1{n}", "name": f"Learner {n}"})
    post(client, world, "cook", "/learners", {**LEARNER, "external_id": "COOK-1"})
    page = get(client, world, "weld", "/learners?limit=2&offset=1").json
    assert page["total"] == 4 and page["limit"] == 2 and page["offset"] == 1 and page["next_offset"] == 3
    assert [item["name"] for item in page["items"]] == ["Learner 0", "Learner 1"]
    assert get(client, world, "weld", "/learners?external_id=L-12").json["items"][0]["name"] == "Learner 2"
    assert get(client, world, "weld-viewer", f"/learners/{learner['id']}").json["name"] == LEARNER["name"]
    assert get(client, world, "cook", f"/learners/{learner['id']}").status_code == 404
    assert get(client, world, "cook", "/learners").json["total"] == 1


# -- issuing -----------------------------------------------------------------------------------


def test_issue_training_credential_is_idempotent(app: Flask, client: FlaskClient, world: ApiWorld) -> None:
    first = issue(client, world, external_id="C-0001")
    assert first["state"] == "awaiting_cosign" and first["status"] == "valid"
    assert first["kind"] == "training" and first["qualification_code"] == "SMAW2"
    assert first["holder"] == {"name": LEARNER["name"], "birth_date": "1990-05-17", "nationality": "PH"}
    assert first["embassy"] == {"slug": "ph-kl", "name": "Ph Kl"}
    assert first["external_id"] == "C-0001" and first["cosigned_at"] is None
    assert first["qr_text"].startswith("HTTPS://SKILLS.EXAMPLE.ORG/V#")
    assert first["links"]["qr_png"] == f"{API}/credentials/{first['id']}/qr.png"
    compact = first["credential"]["compact"]
    assert len(compact) == 1
    general = json.loads(first["credential"]["general_json"])
    assert len(general["signatures"]) == 1 and compact[0].split(".")[1] == general["payload"]
    token = jwcrypto_jws.JWS()
    token.deserialize(compact[0])
    token.verify(jwcrypto_jwk.JWK(**active_jwk(app, "weld-my")), alg="EdDSA")
    payload = json.loads(token.payload)
    assert payload["credentialSubject"]["name"] == LEARNER["name"]
    assert "P1234567A" not in json.dumps(first)
    assert set(first["claim"]) == {"code", "pin"}  # the wallet claim, shown once in the 201

    repeat = post(
        client,
        world,
        "weld",
        "/credentials",
        {"learner": LEARNER, "qualification_code": "SMAW2", "kind": "training", "external_id": "C-0001"},
    )
    assert repeat.status_code == 200 and repeat.json["id"] == first["id"] and "claim" not in repeat.json
    different = post(
        client,
        world,
        "weld",
        "/credentials",
        {"learner": LEARNER, "qualification_code": "CARE2", "kind": "training", "external_id": "C-0001"},
    )
    assert different.status_code == 409 and different.json["differing"] == ["qualification_code"]
    assert count(app, Credential) == 1 and count(app, Learner) == 1


def test_issue_prior_skills_for_registered_learner(app: Flask, client: FlaskClient, world: ApiWorld) -> None:
    learner_id = post(client, world, "weld", "/learners", LEARNER).json["id"]
    body = {"learner_id": learner_id, "qualification_code": "CARE2", "kind": "prior_skills", "assessment": ASSESSMENT}
    response = post(client, world, "weld", "/credentials", body)
    assert response.status_code == 201, response.json
    credential = response.json
    assert credential["kind"] == "prior_skills" and credential["learner_id"] == learner_id
    token = jwcrypto_jws.JWS()
    token.deserialize(credential["credential"]["compact"][0])
    token.verify(jwcrypto_jwk.JWK(**active_jwk(app, "weld-my")), alg="EdDSA")
    evidence = json.loads(token.payload)["evidence"][0]
    assert evidence["genre"] == "practical_test" and evidence["narrative"] == ASSESSMENT["evidence_summary"]
    with db.session_factory(app)() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "credential.assessment_recorded")).one()
        assert entry.subject == credential["id"] and entry.details == {"assessor": "A. Rahman"}


def test_concurrent_creates_with_one_external_id_issue_once(app: Flask, world: ApiWorld) -> None:
    body = {"learner": LEARNER, "qualification_code": "SMAW2", "kind": "training", "external_id": "RACE-1"}
    statuses: list[int] = []
    ids: set[str] = set()
    start = threading.Barrier(4)

    def create() -> None:
        client = app.test_client()
        start.wait()
        response = client.post(f"{API}/credentials", json=body, headers=world.headers("weld"))
        statuses.append(response.status_code)
        ids.add(response.json.get("id", ""))

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 200, 201] and len(ids) == 1
    assert count(app, Credential) == 1 and count(app, Learner) == 1


# -- validation --------------------------------------------------------------------------------

GOOD = {"learner": LEARNER, "qualification_code": "SMAW2", "kind": "training"}
BAD_BODIES = [
    ({k: v for k, v in GOOD.items() if k != "kind"}, "kind", "is required"),
    ({**GOOD, "kind": "diploma"}, "kind", "must be one of training, prior_skills"),
    ({**GOOD, "kind": 3}, "kind", "must be a string"),
    ({**GOOD, "qualification_code": "x" * 65}, "qualification_code", "at most 64"),
    ({**GOOD, "qualification_code": "  "}, "qualification_code", "must not be empty"),
    ({**GOOD, "surprise": 1}, "surprise", "is not a known field"),
    ({**GOOD, "learner_id": 1}, "learner_id", "either learner_id or learner"),
    ({k: v for k, v in GOOD.items() if k != "learner"}, "learner_id", "either learner_id or learner"),
    ({**GOOD, "learner": None, "learner_id": True}, "learner_id", "must be an integer"),
    ({**GOOD, "learner": None, "learner_id": "7"}, "learner_id", "must be an integer"),
    ({**GOOD, "learner": "Maria"}, "learner", "must be a JSON object"),
    ({**GOOD, "learner": {**LEARNER, "name": "x" * 201}}, "learner.name", "at most 200"),
    ({**GOOD, "learner": {**LEARNER, "name": "Maria\nSantos"}}, "learner.name", "control characters"),
    ({**GOOD, "learner": {**LEARNER, "birth_date": "17/05/1990"}}, "learner.birth_date", "YYYY-MM-DD"),
    ({**GOOD, "learner": {**LEARNER, "birth_date": "1990-02-30"}}, "learner.birth_date", "YYYY-MM-DD"),
    ({**GOOD, "learner": {**LEARNER, "birth_date": "2999-01-01"}}, "learner.birth_date", "plausible"),
    ({**GOOD, "learner": {**LEARNER, "nationality": "Philippines"}}, "learner.nationality", "two-letter"),
    ({**GOOD, "learner": {**LEARNER, "id_number": "---"}}, "learner.id_number", "letters or digits"),
    ({**GOOD, "learner": {**LEARNER, "sex": "female"}}, "learner.sex", "must be one of F, M, X"),
    ({**GOOD, "learner": {**LEARNER, "external_id": "has space"}}, "learner.external_id", "letters, digits"),
    ({**GOOD, "external_id": "x" * 101}, "external_id", "1-100 letters"),
    ({**GOOD, "learner": {**LEARNER, "id_number": "P" * 65}}, "learner.id_number", "at most 64"),
    ({**GOOD, "kind": "prior_skills"}, "assessment", "is required for prior_skills"),
    ({**GOOD, "assessment": ASSESSMENT}, "assessment", "only prior_skills"),
    ({**GOOD, "kind": "prior_skills", "assessment": {**ASSESSMENT, "method": "vibes"}}, "assessment.method", "one of"),
    (
        {**GOOD, "kind": "prior_skills", "assessment": {**ASSESSMENT, "assessed_on": "2999-01-01"}},
        "assessment.assessed_on",
        "in the future",
    ),
    (
        {**GOOD, "kind": "prior_skills", "assessment": {**ASSESSMENT, "evidence_summary": "e" * 301}},
        "assessment.evidence_summary",
        "at most 300",
    ),
]


def test_invalid_fields_are_named_and_change_nothing(app: Flask, client: FlaskClient, world: ApiWorld) -> None:
    for body, field, message in BAD_BODIES:
        response = post(client, world, "weld", "/credentials", body)
        assert response.status_code == 400, (field, response.json)
        assert response.json["code"] == "invalid_field", field
        assert response.json["field"] == field, response.json
        assert message in response.json["message"], response.json
        assert {"field": field, "message": response.json["errors"][0]["message"]} in response.json["errors"]
    several = post(client, world, "weld", "/learners", {"name": "", "nationality": "ph"})
    assert [e["field"] for e in several.json["errors"]] == ["name", "birth_date", "nationality", "id_number"]
    reasonless = post(client, world, "weld", "/credentials/ABCDEFGH/revoke", {})
    assert reasonless.status_code == 400 and reasonless.json["field"] == "reason"
    missing_q = post(client, world, "weld", "/credentials", {**GOOD, "qualification_code": "NOPE"})
    assert missing_q.status_code == 404 and missing_q.json["field"] == "qualification_code"
    assert count(app, Credential) == 0 and count(app, Learner) == 0


NOT_JSON_OBJECTS = [
    (b"{not json", "application/json", 400, "invalid_json"),
    (b"", "application/json", 400, "invalid_json"),
    (b"[1, 2]", "application/json", 400, "invalid_json"),
    (b'{"kind": NaN}', "application/json", 400, "invalid_json"),
    (b"\xff\xfe\x00", "application/json", 400, "invalid_json"),
    (b"[" * 100_000, "application/json", 400, "invalid_json"),  # too deep says more than too large
    (b'{"kind": "' + b"x" * 70_000 + b'"}', "application/json", 413, "payload_too_large"),
    (b"[" * 50_000 + b"]" * 5_000, "application/json", 400, "invalid_json"),  # nesting beyond the recursion limit
    (b"name=Maria", "application/x-www-form-urlencoded", 400, "invalid_json"),
    (json.dumps(GOOD).encode(), "text/plain", 400, "invalid_json"),
]


def test_bodies_that_are_not_json_objects(app: Flask, client: FlaskClient, world: ApiWorld) -> None:
    for data, content_type, status, code in NOT_JSON_OBJECTS:
        headers = {**world.headers("weld"), "Content-Type": content_type}
        response = client.post(f"{API}/credentials", data=data, headers=headers)
        assert response.status_code == status and response.is_json, data[:20]
        assert response.json["code"] == code, data[:20]
    assert count(app, Credential) == 0


def test_invalid_query_parameters(client: FlaskClient, world: ApiWorld) -> None:
    for query, field in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("state=lost", "state"),
        ("kind=degree", "kind"),
    ]:
        response = get(client, world, "weld", f"/credentials?{query}")
        assert response.status_code == 400 and response.json["code"] == "invalid_parameter", query
        assert response.json["field"] == field


# -- authentication and authorisation ----------------------------------------------------------


def test_tokens_roles_and_organisation_kinds(app: Flask, client: FlaskClient, world: ApiWorld) -> None:
    credential_id = issue(client, world)["id"]
    no_token = client.get(f"{API}/credentials")
    assert no_token.status_code == 401 and no_token.json["code"] == "not_authenticated"
    assert no_token.headers["WWW-Authenticate"] == "Bearer"
    # Without a bearer token a write is a cookie request, so the CSRF check answers first.
    unauthenticated_write = client.post(f"{API}/credentials", json=GOOD)
    assert unauthenticated_write.status_code in (400, 401) and unauthenticated_write.is_json
    assert unauthenticated_write.json["code"] in ("csrf_failed", "not_authenticated")
    bad = client.get(f"{API}/credentials", headers={"Authorization": "Bearer cst_nonsense"})
    assert bad.status_code == 401 and bad.json["code"] == "invalid_token"

    forbidden = [
        ("weld", f"/credentials/{credential_id}/cosign", {}),  # a provider cannot co-sign
        ("ph", "/credentials", GOOD),  # an embassy cannot issue
        ("ph", f"/credentials/{credential_id}/revoke", {"reason": "x"}),
        ("weld-viewer", "/credentials", GOOD),  # a viewer only reads
        ("weld-viewer", "/learners", LEARNER),
    ]
    for who, path, body in forbidden:
        response = post(client, world, who, path, body)
        assert response.status_code == 403 and response.json["code"] == "forbidden", (who, path)
    assert get(client, world, "ph", "/learners").status_code == 403
    assert get(client, world, "tesda", "/credentials").status_code == 403
    assert get(client, world, "weld-viewer", f"/credentials/{credential_id}").status_code == 200

    with db.session_factory(app)() as session:
        record = session.scalars(
            select(api_tokens.ApiToken).where(api_tokens.ApiToken.prefix == world.tokens["weld"][:12])
        ).one()
        principal = api_tokens.principal_for_token(session, world.tokens["weld"])
        api_tokens.revoke_token(session, principal, record.id)
        session.commit()
    revoked = get(client, world, "weld", f"/credentials/{credential_id}")
    assert revoked.status_code == 401 and revoked.json["code"] == "invalid_token"


def test_other_organisations_ids_are_not_found(app: Flask, client: FlaskClient, world: ApiWorld) -> None:
    ph_credential = issue(client, world)["id"]
    id_credential = issue(client, world, learner={**LEARNER, "nationality": "ID", "external_id": "L-ID"})["id"]
    cook_credential = issue(client, world, "cook", qualification_code="COOK2", learner={**LEARNER, "external_id": "K1"})
    weld_learner = post(client, world, "weld", "/learners", {**LEARNER, "external_id": "L-9"}).json["id"]

    for who, path in [
        ("cook", f"/credentials/{ph_credential}"),
        ("cook", f"/credentials/{ph_credential}/qr.png"),
        ("id", f"/credentials/{ph_credential}"),
        ("ph", f"/credentials/{id_credential}/qr.svg"),
        ("weld", "/credentials/NOSUCHID"),
        ("weld", f"/credentials/{'X' * 40}"),
    ]:
        response = get(client, world, who, path)
        assert response.status_code == 404 and response.json["code"] == "not_found", (who, path)
    for who, path, body in [
        ("cook", f"/credentials/{ph_credential}/revoke", {"reason": "not ours"}),
        ("id", f"/credentials/{ph_credential}/cosign", None),
        ("ph", f"/credentials/{id_credential}/reject", {"reason_code": "other", "reason": "not ours"}),
        ("cook", "/credentials", {"learner_id": weld_learner, "qualification_code": "COOK2", "kind": "training"}),
    ]:
        response = post(client, world, who, path, body)
        assert response.status_code == 404 and response.json["code"] == "not_found", (who, path)

    def listed(who: str) -> set[str]:
        return {item["id"] for item in get(client, world, who, "/credentials").json["items"]}

    assert listed("weld") == {ph_credential, id_credential}
    assert listed("cook") == {cook_credential["id"]}
    assert listed("ph") == {ph_credential, cook_credential["id"]}  # its nationals, whoever trained them
    assert listed("id") == {id_credential}
    embassy_view = get(client, world, "ph", f"/credentials/{ph_credential}").json
    assert "learner_id" not in embassy_view and "external_id" not in embassy_view


# -- lifecycle ---------------------------------------------------------------------------------


def test_embassy_cosigns_rejects_and_withdraws(app: Flask, client: FlaskClient, world: ApiWorld) -> None:
    first = issue(client, world)["id"]
    second = issue(client, world, learner={**LEARNER, "external_id": "L-2"})["id"]
    queue = get(client, world, "ph", "/credentials?state=awaiting_cosign").json
    assert {item["id"] for item in queue["items"]} == {first, second}

    cosigned = client.post(f"{API}/credentials/{first}/cosign", headers=world.headers("ph"))  # no body at all
    assert cosigned.status_code == 200, cosigned.json
    body = cosigned.json
    assert body["state"] == "cosigned" and body["cosigned_at"]
    provider_jws, embassy_jws = body["credential"]["compact"]
    assert provider_jws.split(".")[1] == embassy_jws.split(".")[1]  # the same payload bytes
    token = jwcrypto_jws.JWS()
    token.deserialize(embassy_jws)
    token.verify(jwcrypto_jwk.JWK(**active_jwk(app, "ph-kl")), alg="EdDSA")
    assert len(json.loads(body["credential"]["general_json"])["signatures"]) == 2

    again = post(client, world, "ph", f"/credentials/{first}/cosign", {})
    assert again.status_code == 409 and again.json["code"] == "state_conflict"
    assert post(client, world, "ph", f"/credentials/{first}/cosign", {"extra": 1}).status_code == 400

    withdrawn = post(client, world, "ph", f"/credentials/{first}/withdraw", {"reason": "Nationality being corrected."})
    assert withdrawn.status_code == 200
    assert withdrawn.json["status"] == "cosignature_withdrawn" and withdrawn.json["withdrawn_at"]
    assert post(client, world, "ph", f"/credentials/{first}/withdraw", {"reason": "again"}).status_code == 409

    # A rejection names a reason of the fixed list (the note is free text); "other" needs the note.
    for bad in ({"reason": "Hours do not match."}, {"reason_code": "hours"}, {"reason_code": "other"}):
        refused = post(client, world, "ph", f"/credentials/{second}/reject", bad)
        assert refused.status_code == 400, bad
    assert refused.json["code"] == "reason_required" and refused.json["field"] == "reason"
    body = {"reason_code": "training_record_mismatch", "reason": "Hours do not match."}
    rejected = post(client, world, "ph", f"/credentials/{second}/reject", body)
    assert rejected.status_code == 200 and rejected.json["state"] == "rejected"
    seen_by_provider = get(client, world, "weld", f"/credentials/{second}").json
    assert seen_by_provider["reject_reason"] == "Hours do not match."
    assert seen_by_provider["reject_reason_code"] == "training_record_mismatch"
    revoke_rejected = post(client, world, "weld", f"/credentials/{second}/revoke", {"reason": "too late"})
    assert revoke_rejected.status_code == 409 and revoke_rejected.json["code"] == "state_conflict"
    assert get(client, world, "ph", "/credentials?state=awaiting_cosign").json["total"] == 0
    with db.session_factory(app)() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"credential.cosigned", "credential.cosignature_withdrawn", "credential.rejected"} <= actions


def test_provider_suspends_reinstates_and_revokes(client: FlaskClient, world: ApiWorld) -> None:
    credential_id = issue(client, world, external_id="C-9")["id"]
    post(client, world, "ph", f"/credentials/{credential_id}/cosign")
    suspended = post(client, world, "weld", f"/credentials/{credential_id}/suspend", {"reason": "Under review."})
    assert suspended.json["state"] == "suspended" and suspended.json["status"] == "suspended"
    assert suspended.json["reason"] == "Under review."
    reinstated = post(client, world, "weld", f"/credentials/{credential_id}/reinstate")
    assert reinstated.status_code == 200 and reinstated.json["state"] == "cosigned"
    assert post(client, world, "weld", f"/credentials/{credential_id}/reinstate").status_code == 409
    revoked = post(client, world, "weld", f"/credentials/{credential_id}/revoke", {"reason": "Issued in error."})
    assert revoked.json["state"] == "revoked" and revoked.json["status"] == "invalid" and revoked.json["revoked_at"]
    assert post(client, world, "weld", f"/credentials/{credential_id}/revoke", {"reason": "x"}).status_code == 409
    assert post(client, world, "weld", f"/credentials/{credential_id}/suspend", {"reason": "x"}).status_code == 409
    listed = get(client, world, "weld", "/credentials?state=revoked&kind=training&external_id=C-9").json
    assert [item["id"] for item in listed["items"]] == [credential_id]
    assert "credential" not in listed["items"][0] and "qr_text" not in listed["items"][0]
    assert get(client, world, "weld", "/credentials?state=cosigned").json["total"] == 0


# -- QR images ---------------------------------------------------------------------------------


def test_qr_png_decodes_to_the_qr_text_and_svg_is_served(client: FlaskClient, world: ApiWorld) -> None:
    credential_id = issue(client, world)["id"]
    cosigned = post(client, world, "ph", f"/credentials/{credential_id}/cosign").json
    png = get(client, world, "weld", f"/credentials/{credential_id}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.headers["Cache-Control"] == "no-store"
    assert decode_image(png.data) == cosigned["qr_text"]
    svg = get(client, world, "ph", f"/credentials/{credential_id}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data and b"<script" not in svg.data


def test_an_evidence_summary_of_300_characters_is_signed_whole(client: FlaskClient, world: ApiWorld) -> None:
    """The QR transport carries 300 characters of evidence (issue 13): the API takes them all."""
    summary = ("Practical test observed by a qualified assessor; portfolio and employer reference checked. " * 4)[:299]
    summary += "."
    assessment = {**ASSESSMENT, "evidence_summary": summary}
    answer = issue(client, world, kind="prior_skills", qualification_code="CARE2", assessment=assessment)
    payload_b64 = answer["credential"]["compact"][0].split(".")[1]
    payload = json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
    assert payload["evidence"][0]["narrative"] == summary and len(summary) == 300
    assert answer["qr_text"].startswith("HTTPS://SKILLS.EXAMPLE.ORG/V#")
