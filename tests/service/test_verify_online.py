"""The service's own verdict is never stale and knows what the service issued (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.credentials.cosigned import sign_credential
from certsvc.credentials.identifiers import credential_uri
from certsvc.credentials.keys import PublicKey
from certsvc.credentials.openbadge import encode_payload
from certsvc.credentials.statuslist import parse_status_list_token
from certsvc.credentials.trustlist import TrustAnchor, parse_trust_list
from certsvc.qr.transport import encode_qr_text
from certsvc.store import db, keystore
from certsvc.store.credential_records import cosigned_of
from certsvc.store.models import Credential, CredentialState, Learner, Organisation
from certsvc.store.signers import key_uri_of
from issuers import lifecycle
from verifier import counting
from verifier.pipeline import verify as run_pipeline

from .support import KEK, empty_database
from .verify_support import BASE, Seeded, seed_database, seeded_sqlite

COSIGNED = "Maria Santos Dela Cruz"
AWAITING = "Ana Lim Garcia"


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Seeded]:
    """A freshly seeded demo world for each test (these tests change it)."""
    if request.param == "sqlite":
        with seeded_sqlite(tmp_path, request.getfixturevalue("sqlite_template")) as found:
            yield found
        return
    url = request.getfixturevalue("postgres_url")
    empty_database(url)
    yield seed_database(url)


@pytest.fixture
def app(seeded: Seeded) -> Iterator[Flask]:
    """An app that caches its documents for their whole ttl (the production default)."""
    app = seeded.app()
    yield app
    counting.counter(app).flush()
    db.dispose(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def verdict(client: FlaskClient, text: str) -> dict[str, Any]:
    response = client.post("/api/v1/verify", json={"credential": text})
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


def change(app: Flask, holder: str, act: Callable[[Session, Credential], object]) -> None:
    """Change a PH credential through another session, as another node would."""
    with db.session_factory(app)() as session:
        credential = session.scalar(
            select(Credential)
            .join(Learner, Learner.id == Credential.learner_id)
            .where(Learner.name == holder, Credential.provider.has(Organisation.slug == "klwa"))
        )
        assert credential is not None
        act(session, credential)
        session.commit()


NOW = datetime.now(UTC)


def revoke(session: Session, credential: Credential) -> object:
    return lifecycle.revoke(session, credential.provider, credential, "in error", now=NOW, actor="t")


def suspend(session: Session, credential: Credential) -> object:
    return lifecycle.suspend(session, credential.provider, credential, "complaint", now=NOW, actor="t")


def reinstate(session: Session, credential: Credential) -> object:
    return lifecycle.reinstate(session, credential.provider, credential, now=NOW, actor="t")


def withdraw(session: Session, credential: Credential) -> object:
    assert credential.embassy is not None
    return lifecycle.withdraw(session, credential.embassy, credential, "mistake", now=NOW, actor="t")


def reject(session: Session, credential: Credential) -> object:
    embassy = session.scalar(select(Organisation).where(Organisation.slug == "ph-kl"))
    assert embassy is not None
    return lifecycle.reject(session, embassy, credential, "not_a_national", "not our passport", now=NOW, actor="t")


@pytest.mark.parametrize(
    ("steps", "status", "reasons"),
    [
        ([revoke], "invalid", ["revoked"]),
        ([suspend], "invalid", ["suspended"]),
        ([suspend, reinstate], "recognized", []),
        ([withdraw], "authentic", ["cosignature_withdrawn"]),
    ],
    ids=["revoke", "suspend", "reinstate", "withdraw"],
)
def test_a_status_change_counts_at_once_with_documents_cached(
    app: Flask, client: FlaskClient, seeded: Seeded, steps: list[Any], status: str, reasons: list[str]
) -> None:
    text = seeded.qr[COSIGNED]
    assert verdict(client, text)["status"] == "recognized"
    for step in steps:
        change(app, COSIGNED, step)
        found = verdict(client, text)
    assert (found["status"], found["reasons"]) == (status, reasons)


def test_the_embassy_declined_to_cosign(app: Flask, client: FlaskClient, seeded: Seeded) -> None:
    text = seeded.qr[AWAITING]
    assert verdict(client, text)["reasons"] == ["cosignature_missing"]
    change(app, AWAITING, reject)
    found = verdict(client, text)
    assert (found["status"], found["reasons"]) == ("authentic", ["cosignature_declined"])
    assert "declined" in next(c["detail"] for c in found["checks"] if c["name"] == "cosignature")


def forge_with_the_providers_key(app: Flask, idx: int | None = None) -> str:
    """A credential validly signed with the provider's (stolen) key and the embassy's, never issued, back-dated.

    It reuses a genuine credential's status index unless ``idx`` says another.
    """
    with db.session_factory(app)() as session:
        genuine = session.scalar(select(Credential).where(Credential.state == CredentialState.COSIGNED))
        assert genuine is not None
        payload = json.loads(genuine.payload)
        payload["id"] = payload["jti"] = credential_uri(BASE, "FORGED01")
        payload["credentialSubject"]["id"] = payload["sub"] = payload["id"] + "#holder"
        payload["credentialSubject"]["name"] = "Not A Real Graduate"
        if idx is not None:
            payload["status"]["status_list"]["idx"] = idx
        # Back-dated to just after the key came into use: the earliest date the key can vouch for.
        issued = _key_start(session, genuine.provider) + timedelta(seconds=1)
        payload["validFrom"], payload["nbf"] = issued.isoformat().replace("+00:00", "Z"), int(issued.timestamp())
        forged = sign_credential(encode_payload(payload), *_stolen(session, genuine.provider))
        assert genuine.embassy is not None
        forged = forged.with_cosignature(*_stolen(session, genuine.embassy))
        return encode_qr_text(forged, BASE + "/v")


def _key_start(session: Session, org: Organisation) -> datetime:
    record = keystore.active_key_record(session, org.id)
    assert record is not None
    return record.not_before.astimezone(UTC).replace(microsecond=0)


def _stolen(session: Session, org: Organisation) -> tuple[Any, str]:
    record = keystore.active_key_record(session, org.id)
    assert record is not None
    return keystore.decrypt_signing_key(record, KEK), key_uri_of(record, org, BASE)


def test_a_credential_the_service_never_issued_is_not_valid(app: Flask, client: FlaskClient) -> None:
    found = verdict(client, forge_with_the_providers_key(app))
    assert found["status"] == "invalid"
    assert found["reasons"] == ["credential_unknown"]
    assert next(c for c in found["checks"] if c["name"] == "provider_signature")["ok"]  # the signature itself holds


def test_offline_an_index_never_assigned_is_not_valid(app: Flask, client: FlaskClient) -> None:
    """The published documents alone: the forgery's status entry was never given to a credential."""
    forged = forge_with_the_providers_key(app, idx=999)
    now = datetime.now(UTC)
    anchors = {}
    trust_lists = []
    for slug in ("ph-tesda", "mm-nssa", "sv-insaforp"):
        anchors.update({a["uri"]: TrustAnchor.from_json(a) for a in client.get(f"/o/{slug}/anchor.json").get_json()})
        trust_lists.append(parse_trust_list(client.get(f"/o/{slug}/trust-list").get_data(as_text=True), anchors))
    token = client.get("/o/klwa/status/1").get_data(as_text=True)
    keys: dict[str, PublicKey] = {k.uri: k.public for t in trust_lists for o in t.organisations for k in o.keys}
    status_list = parse_status_list_token(token, keys.get, now)
    assert status_list.assigned is not None and status_list.assigned < 999
    result = run_pipeline(forged, trust_lists, {status_list.uri: status_list}, now).to_dict()
    assert result["status"] == "invalid" and result["reasons"] == ["status_unassigned"]


def test_a_copy_with_a_cosignature_the_service_never_recorded_is_not_valid(app: Flask, client: FlaskClient) -> None:
    with db.session_factory(app)() as session:
        awaiting = session.scalar(select(Credential).where(Credential.state == CredentialState.AWAITING_COSIGN))
        assert awaiting is not None and awaiting.embassy is not None
        stolen = cosigned_of(awaiting).with_cosignature(*_stolen(session, awaiting.embassy))
    found = verdict(client, encode_qr_text(stolen, BASE + "/v"))
    assert (found["status"], found["reasons"]) == ("invalid", ["cosignature_not_recorded"])


def test_a_key_compromise_counts_on_a_node_with_cached_documents(seeded: Seeded) -> None:
    """The trust version moves in the compromising transaction; the verifier reloads within its poll."""
    app = seeded.app(VERIFY_DOCUMENTS_POLL_SECONDS=0)
    try:
        client = app.test_client()
        text = seeded.qr[COSIGNED]
        assert verdict(client, text)["status"] == "recognized"
        with db.session_factory(app)() as session:
            provider = session.scalar(select(Organisation).where(Organisation.slug == "klwa"))
            assert provider is not None
            record = keystore.active_key_record(session, provider.id)
            assert record is not None
            since = datetime.now(UTC) - timedelta(days=400)
            keystore.mark_compromised(session, provider, record.kid, since, KEK, actor="test")
            session.commit()
        found = verdict(client, text)
        assert found["status"] == "invalid" and "key_compromised" in found["reasons"]
    finally:
        counting.counter(app).flush()
        db.dispose(app)


@pytest.mark.parametrize("path", ["/api/v1/verify", "/api/v1/verify/batch", "/api/v1/verify/id-check"])
def test_deeply_nested_json_is_a_400_with_a_reason(client: FlaskClient, path: str) -> None:
    for body in ("[" * 100_000 + "]" * 100_000, '{"credential":' + "[" * 100_000 + "]" * 100_000 + "}"):
        response = client.post(path, data=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.get_data(as_text=True)[:200]
        error = response.get_json()
        assert error["code"] == "bad_request" and error["message"]
