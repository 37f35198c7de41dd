"""POST /api/v1/credentials/batch: many credentials in one request, all or nothing, each with its claim code."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws
from sqlalchemy import Engine, func, select

from certsvc.accounts import api_tokens
from certsvc.demo.seed import seed
from certsvc.store import audit, db
from certsvc.store.models import AuditEntry, Credential, CredentialClaim, Learner, TrustListVersion, User
from certsvc.wallet import claims

from .support import CHEAP_HASHER, KEK
from .test_api import API, ASSESSMENT, LEARNER, ApiWorld, active_jwk, count, post
from .test_api import world as world  # the fixture, shared with the single endpoint tests
from .test_claim_slips import wallet_user

BATCH = "/credentials/batch"
DEMO_PROVIDER = "officer@klwa.example"  # the demo world's PH corridor provider


def item(n: int, **changes: Any) -> dict[str, Any]:
    """A training credential for the n-th learner of a cohort, registered inline."""
    learner = {**LEARNER, "name": f"Worker {n}", "id_number": f"P{n:07d}", "external_id": f"L-{n:04d}"}
    return {"learner": learner, "qualification_code": "SMAW2", "kind": "training", **changes}


def cohort(size: int, start: int = 0) -> list[dict[str, Any]]:
    return [item(n) for n in range(start, start + size)]


def changed_nothing(app: Flask, before: tuple[int, int, int]) -> bool:
    return (count(app, Credential), count(app, Learner), count(app, AuditEntry)) == before


def snapshot(app: Flask) -> tuple[int, int, int]:
    return count(app, Credential), count(app, Learner), count(app, AuditEntry)


def test_a_batch_issues_every_credential_with_a_claim_code_that_works(
    app: Flask, client: FlaskClient, world: ApiWorld
) -> None:
    items = cohort(20)
    items[3] = {**items[3], "external_id": "KLWA-3"}
    items[5] = {**items[5], "kind": "prior_skills", "qualification_code": "CARE2", "assessment": ASSESSMENT}
    response = post(client, world, "weld", BATCH, {"credentials": items})
    assert response.status_code == 201, response.json
    assert response.headers["Cache-Control"] == "no-store"
    answered = response.json["credentials"]
    assert len(answered) == 20
    assert [c["holder"]["name"] for c in answered] == [f"Worker {n}" for n in range(20)]  # in order
    assert all(c["created"] and set(c["claim"]) == {"code", "pin"} for c in answered)
    assert answered[3]["external_id"] == "KLWA-3" and answered[5]["kind"] == "prior_skills"
    assert all(c["state"] == "awaiting_cosign" and c["qr_text"] for c in answered)
    # The same answer per item as the single endpoint gives: a JWS that verifies under the provider's key.
    token = jwcrypto_jws.JWS()
    token.deserialize(answered[0]["credential"]["compact"][0])
    token.verify(jwcrypto_jwk.JWK(**active_jwk(app, "weld-my")), alg="EdDSA")
    assert "P0000001" not in response.get_data(as_text=True)  # ID numbers are never echoed
    again = client.get(f"{API}/credentials/{answered[5]['id']}", headers=world.headers("weld")).json
    assert {k: v for k, v in again.items() if k != "claim"} == {
        k: v for k, v in answered[5].items() if k not in ("claim", "created")
    }  # the same credential and QR text as reading it back

    with db.session_factory(app)() as session:
        slots = [(c.status_list_id, c.status_idx) for c in session.scalars(select(Credential))]
        assert len(slots) == 20 and len(set(slots)) == 20  # status indexes unique
        assert session.scalar(select(func.count()).select_from(CredentialClaim)) == 20
        # A worker claims one into a wallet with the code and PIN from the answer.
        claim = answered[7]["claim"]
        holder = wallet_user(session)
        claimed = claims.claim(session, claim["code"], claim["pin"], holder, hasher=CHEAP_HASHER, kek=KEK)
        assert claimed.public_id == answered[7]["id"]
        session.commit()
    audit.chain_now(_engine(app))
    with db.session_factory(app)() as session:
        report = audit.verify_chain(session)
        assert report.problems == [] and report.pending == 0
        issued = session.scalar(select(func.count()).where(AuditEntry.action == "credential.issued"))
        assert issued == 20


def _engine(app: Flask) -> Engine:
    engine = db.session_factory(app).kw["bind"]
    assert isinstance(engine, Engine)
    return engine


def test_a_repeated_external_id_answers_the_credential_issued_before(
    app: Flask, client: FlaskClient, world: ApiWorld
) -> None:
    first = post(client, world, "weld", "/credentials", item(1, external_id="KLWA-1"))
    assert first.status_code == 201
    # The same learner again (by external id) for a second qualification, and a new one.
    again = post(
        client,
        world,
        "weld",
        BATCH,
        {"credentials": [item(1, external_id="KLWA-1"), item(1, qualification_code="CARE2"), item(2)]},
    )
    assert again.status_code == 201, again.json
    answered = again.json["credentials"]
    assert answered[0]["id"] == first.json["id"] and not answered[0]["created"] and "claim" not in answered[0]
    assert answered[1]["created"] and answered[1]["learner_id"] == first.json["learner_id"]
    assert answered[2]["created"] and answered[2]["learner_id"] != first.json["learner_id"]
    assert count(app, Credential) == 3 and count(app, Learner) == 2

    only_repeats = post(client, world, "weld", BATCH, {"credentials": [item(1, external_id="KLWA-1")]})
    assert only_repeats.status_code == 200 and not only_repeats.json["credentials"][0]["created"]


def test_a_learner_given_twice_in_one_batch_is_registered_once(
    app: Flask, client: FlaskClient, world: ApiWorld
) -> None:
    response = post(client, world, "weld", BATCH, {"credentials": [item(9), item(9, qualification_code="CARE2")]})
    assert response.status_code == 201, response.json
    ids = {c["learner_id"] for c in response.json["credentials"]}
    assert len(ids) == 1 and count(app, Learner) == 1 and count(app, Credential) == 2


def test_learner_id_items_carry_the_stored_hash(app: Flask, client: FlaskClient, world: ApiWorld) -> None:
    learner = post(client, world, "weld", "/learners", LEARNER).json
    response = post(
        client,
        world,
        "weld",
        BATCH,
        {"credentials": [{"learner_id": learner["id"], "qualification_code": "SMAW2", "kind": "training"}]},
    )
    assert response.status_code == 201, response.json
    assert response.json["credentials"][0]["learner_id"] == learner["id"]


def test_a_bad_item_refuses_the_whole_batch_and_changes_nothing(
    app: Flask, client: FlaskClient, world: ApiWorld
) -> None:
    before = snapshot(app)
    items = cohort(5)
    items[2] = {**items[2], "kind": "prior_skills"}  # no assessment
    items[4] = {**items[4], "colour": "blue"}
    response = post(client, world, "weld", BATCH, {"credentials": items})
    assert response.status_code == 400
    assert response.json["code"] == "invalid_field" and response.json["field"] == "credentials[2].assessment"
    problems = {(p["index"], p["field"]) for p in response.json["errors"]}
    assert problems == {(2, "assessment"), (4, "colour")}
    assert all(p["message"] for p in response.json["errors"])
    assert changed_nothing(app, before)


def test_an_unknown_qualification_or_learner_refuses_the_batch(
    app: Flask, client: FlaskClient, world: ApiWorld
) -> None:
    before = snapshot(app)
    items = [*cohort(3), {"learner_id": 999999, "qualification_code": "SMAW2", "kind": "training"}]
    items[1] = {**items[1], "qualification_code": "COOK2"}  # another provider's qualification
    # item 2 repeats a learner external id with other data: refused; item 0 repeats it with the same data
    items[2] = {**items[2], "learner": {**items[0]["learner"], "birth_date": "1980-01-01"}}
    response = post(client, world, "weld", BATCH, {"credentials": items})
    assert response.status_code == 422, response.json
    assert response.json["code"] == "batch_refused"
    problems = {(p["index"], p["field"]) for p in response.json["errors"]}
    assert problems == {(1, "qualification_code"), (2, "learner.external_id"), (3, "learner_id")}
    assert changed_nothing(app, before)


def test_one_external_id_twice_in_a_batch_is_refused(app: Flask, client: FlaskClient, world: ApiWorld) -> None:
    before = snapshot(app)
    items = [item(1, external_id="DUP"), item(2, external_id="DUP")]
    response = post(client, world, "weld", BATCH, {"credentials": items})
    assert response.status_code == 422
    assert {(p["index"], p["field"]) for p in response.json["errors"]} == {(0, "external_id"), (1, "external_id")}
    assert changed_nothing(app, before)


def test_batch_size_and_shape_limits(app: Flask, client: FlaskClient, world: ApiWorld) -> None:
    before = snapshot(app)
    too_many = [{"learner_id": 1, "qualification_code": "SMAW2", "kind": "training"}] * 101
    response = post(client, world, "weld", BATCH, {"credentials": too_many})
    assert response.status_code == 400 and response.json["field"] == "credentials"
    for body in ({"credentials": []}, {"credentials": {}}, {}, {"credentials": cohort(1), "extra": 1}, [1]):
        assert post(client, world, "weld", BATCH, body).status_code == 400, body
    assert post(client, world, "weld", BATCH, {"credentials": [1]}).json["errors"][0]["index"] == 0
    huge = client.post(
        API + BATCH,
        data=b'{"credentials": [' + b'{"kind": "training"},' * 4000 + b"{}]}",
        headers={**world.headers("weld"), "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    assert changed_nothing(app, before)


def test_only_provider_writers_issue_batches(app: Flask, client: FlaskClient, world: ApiWorld) -> None:
    before = snapshot(app)
    body = {"credentials": cohort(2)}
    assert post(client, world, "weld-viewer", BATCH, body).status_code == 403
    assert post(client, world, "ph", BATCH, body).status_code == 403
    assert client.post(API + BATCH, json=body).status_code in (400, 401)
    assert changed_nothing(app, before)


def test_parallel_batches_lose_nothing(app: Flask, world: ApiWorld) -> None:
    statuses: list[int] = []
    start = threading.Barrier(4)

    def create(part: int) -> None:
        client = app.test_client()
        start.wait()
        response = client.post(
            f"{API}{BATCH}", json={"credentials": cohort(25, part * 25)}, headers=world.headers("weld")
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=create, args=(part,)) for part in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 4
    with db.session_factory(app)() as session:
        slots = [(c.status_list_id, c.status_idx) for c in session.scalars(select(Credential))]
        assert len(slots) == 100 and len(set(slots)) == 100
        assert session.scalar(select(func.count()).select_from(CredentialClaim)) == 100
        assert session.scalar(select(func.count()).select_from(Learner)) == 100
    audit.chain_now(_engine(app))
    with db.session_factory(app)() as session:
        report = audit.verify_chain(session)
        assert report.problems == [] and report.pending == 0


def test_qr_texts_pin_the_published_trust_list_as_a_single_read_does(app: Flask, client: FlaskClient) -> None:
    # The demo world publishes the Philippines' trust list: each QR text pins its catalogue entry.
    with db.session_factory(app)() as session:
        seed(session, kek=KEK, base_url=app.config["BASE_URL"], hasher=CHEAP_HASHER, now=datetime.now(UTC))
        user = session.scalar(select(User).where(User.email == DEMO_PROVIDER))
        assert user is not None
        token = api_tokens.create_token(session, user, "batch", actor="test").secret
        session.commit()
        assert session.scalar(select(func.count()).select_from(TrustListVersion))
    headers = {"Authorization": f"Bearer {token}"}
    items = [item(n) for n in range(3)]
    response = client.post(API + BATCH, json={"credentials": items}, headers=headers)
    assert response.status_code == 201, response.json
    for answered in response.json["credentials"]:
        single = client.get(f"{API}/credentials/{answered['id']}", headers=headers).json
        assert answered["qr_text"] == single["qr_text"]
