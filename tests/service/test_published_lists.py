"""Published documents: status lists and trust lists, built from the database, verified by the pipeline."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certsvc.accounts.access import password_hasher
from certsvc.credentials.b64 import b64url_decode
from certsvc.credentials.errors import UnknownKey
from certsvc.credentials.keys import PublicKey
from certsvc.credentials.statuslist import Status, parse_status_list_token
from certsvc.credentials.trustlist import TrustAnchor, parse_trust_list
from certsvc.demo.seed import seed
from certsvc.store import db
from certsvc.store.credential_records import qr_text_of
from certsvc.store.models import Credential, CredentialState, Organisation
from issuers.status_index import RESERVE_BLOCK
from verifier.pipeline import verify

NOW = datetime.now(UTC)


def _seed(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        seed(
            session,
            kek=app.config["KEY_ENCRYPTION_KEY"],
            base_url=app.config["BASE_URL"],
            hasher=password_hasher(),
            now=NOW,
        )
        session.commit()


def _documents(client: FlaskClient) -> tuple[list, dict]:
    anchors = {}
    trust_lists = []
    for slug in ("ph-tesda", "mm-nssa", "sv-insaforp"):
        for entry in client.get(f"/o/{slug}/anchor.json").get_json():
            anchors[entry["uri"]] = PublicKey.from_jwk(entry["jwk"])
        response = client.get(f"/o/{slug}/trust-list")
        assert response.status_code == 200
        assert response.mimetype == "application/trustlist+jwt"
        trust_lists.append(parse_trust_list(response.get_data(as_text=True), anchors))

    def lookup(kid: str) -> PublicKey | None:
        for trust_list in trust_lists:
            found = trust_list.key(kid)
            if found:
                return found[1].public
        return None

    status_lists = {}
    for slug in ("klwa", "jcsc", "hwi"):
        response = client.get(f"/o/{slug}/status/1")
        assert response.status_code == 200
        assert response.mimetype == "application/statuslist+jwt"
        assert response.cache_control.max_age == 3600 or response.cache_control.max_age > 0
        verified = parse_status_list_token(response.get_data(as_text=True), lookup, NOW)
        status_lists[verified.uri] = verified
    return trust_lists, status_lists


def test_every_seeded_credential_verifies_as_its_state_says(app: Flask, client: FlaskClient) -> None:
    _seed(app)
    trust_lists, status_lists = _documents(client)
    expected = {
        CredentialState.COSIGNED: "recognized",
        CredentialState.AWAITING_COSIGN: "authentic",
        CredentialState.REJECTED: "authentic",
        CredentialState.REVOKED: "invalid",
        CredentialState.SUSPENDED: "invalid",
    }
    with app.app_context():
        credentials = db.get_session().scalars(select(Credential)).all()
        assert {c.state for c in credentials} >= set(expected)
        for credential in credentials:
            result = verify(qr_text_of(credential, app.config["BASE_URL"]), trust_lists, status_lists, NOW)
            want = "authentic" if credential.withdrawn_at else expected[credential.state]
            assert result.status.value == want, (credential.state, result.to_dict()["reasons"])


def test_status_list_reflects_revocation_and_withdrawal(app: Flask, client: FlaskClient) -> None:
    _seed(app)
    _, status_lists = _documents(client)
    with app.app_context():
        session = db.get_session()
        for credential in session.scalars(select(Credential)):
            uri = f"{app.config['BASE_URL']}/o/{credential.provider.slug}/status/1"
            value = status_lists[uri].status_of(uri, credential.status_idx)
            if credential.state is CredentialState.REVOKED:
                assert value == Status.INVALID
            elif credential.state is CredentialState.SUSPENDED:
                assert value == Status.SUSPENDED
            elif credential.withdrawn_at is not None:
                assert value == Status.COSIGNATURE_WITHDRAWN
            else:
                assert value == Status.VALID


def test_trust_list_versions_are_kept_and_a_change_makes_a_new_one(app: Flask, client: FlaskClient) -> None:
    _seed(app)
    first = client.get("/o/ph-tesda/trust-list").get_data(as_text=True)
    assert client.get("/o/ph-tesda/trust-list").get_data(as_text=True) == first  # unchanged: same version
    with app.app_context():
        session = db.get_session()
        from certsvc.store.keystore import rotate_signing_key

        embassy = session.scalar(select(Organisation).where(Organisation.slug == "ph-kl"))
        rotate_signing_key(session, embassy, app.config["KEY_ENCRYPTION_KEY"], actor="test")
        session.commit()
    second = client.get("/o/ph-tesda/trust-list").get_data(as_text=True)
    assert second != first
    versions = client.get("/o/ph-tesda/trust-list/versions").get_json()["versions"]
    assert [v["sequence"] for v in versions] == [2, 1]
    assert client.get("/o/ph-tesda/trust-list/1").get_data(as_text=True) == first
    assert parse_trust_list(second).sequence == 2


def test_unknown_documents_are_404(app: Flask, client: FlaskClient) -> None:
    _seed(app)
    assert client.get("/o/klwa/status/99").status_code == 404
    assert client.get("/o/klwa/trust-list").status_code == 404  # a provider publishes no trust list
    assert client.get("/o/nobody/status/1").status_code == 404
    assert client.get("/o/ph-tesda/trust-list/99").status_code == 404


def _claims(token: str) -> dict:
    return json.loads(b64url_decode(token.split(".")[1]))


def _revoke_one(app: Flask) -> Credential:
    from issuers import lifecycle

    with db.session_factory(app)() as session:
        credential = session.scalar(
            select(Credential).where(
                Credential.state == CredentialState.COSIGNED, Credential.provider.has(Organisation.slug == "klwa")
            )
        )
        assert credential is not None
        lifecycle.revoke(session, credential.provider, credential, "test", now=datetime.now(UTC), actor="test")
        session.commit()
        return credential


def test_a_status_list_is_served_from_cache_until_a_status_changes_on_any_node(app: Flask, client: FlaskClient) -> None:
    _seed(app)
    first = client.get("/o/klwa/status/1")
    time.sleep(1.1)  # a list signed again would carry a later iat
    again = client.get("/o/klwa/status/1")
    assert again.get_data() == first.get_data()
    assert again.cache_control.max_age <= first.cache_control.max_age
    # Another node (another app, its own cache) revokes: this node's next GET shows it.
    from certsvc.app import create_app

    other = create_app(dict(app.config))
    try:
        revoked = _revoke_one(other)
    finally:
        db.dispose(other)
    after = client.get("/o/klwa/status/1").get_data(as_text=True)
    assert after != first.get_data(as_text=True)
    _, status_lists = _documents(client)
    uri = f"{app.config['BASE_URL']}/o/klwa/status/1"
    assert status_lists[uri].status_of(uri, revoked.status_idx) == Status.INVALID


def test_a_status_list_says_how_many_indexes_were_assigned(app: Flask, client: FlaskClient) -> None:
    _seed(app)
    with app.app_context():
        session = db.get_session()
        from certsvc.store.models import StatusListRecord

        record = session.scalar(
            select(StatusListRecord)
            .join(Organisation, Organisation.id == StatusListRecord.org_id)
            .where(Organisation.slug == "klwa")
        )
        assert record is not None
        issued = session.scalars(select(Credential.status_idx).where(Credential.status_list_id == record.id))
        highest = max(issued)
        assigned = record.next_idx
    claims = _claims(client.get("/o/klwa/status/1").get_data(as_text=True))
    # On PostgreSQL a process takes indexes in blocks: the rest of its block counts as assigned.
    assert claims["assigned"] == assigned and highest < assigned <= highest + 1 + RESERVE_BLOCK


def test_anchor_json_binds_each_key_to_its_authority_and_country(app: Flask, client: FlaskClient) -> None:
    _seed(app)
    entries = client.get("/o/ph-tesda/anchor.json").get_json()
    anchors = [TrustAnchor.from_json(e) for e in entries]
    assert anchors and all(a.country == "PH" and a.authority.endswith("/o/ph-tesda") for a in anchors)
    assert all(e["jwk"]["kid"] == e["uri"] for e in entries)
    token = client.get("/o/ph-tesda/trust-list").get_data(as_text=True)
    assert parse_trust_list(token, {a.uri: a for a in anchors}).country == "PH"
    mm_anchors = [TrustAnchor.from_json(e) for e in client.get("/o/mm-nssa/anchor.json").get_json()]
    with pytest.raises(UnknownKey):
        parse_trust_list(token, {a.uri: a for a in mm_anchors})
