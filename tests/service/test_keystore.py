"""Signing keys: made with the organisation, stored encrypted under the KEK, rotated, compromised, published."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certsvc.credentials.errors import KeyMaterialError, WrongPassword
from certsvc.credentials.keys import SigningKey
from certsvc.store import db, keystore
from certsvc.store.models import AuditEntry, KeyState, OrgKind, SigningKeyRecord

from .support import KEK, make_org

T0 = datetime(2026, 1, 10, tzinfo=UTC)
OTHER_KEK = "another-key-encryption-key-" + "z" * 32


def raw_private_bytes(key: SigningKey) -> bytes:
    return key._key.private_bytes(  # type: ignore[union-attr]
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def test_org_gets_an_active_key_when_created(db_session: Session) -> None:
    org = make_org(db_session, kind=OrgKind.EMBASSY, slug="ph-embassy-kl")
    record = keystore.active_key_record(db_session, org.id)
    assert record is not None and record.alg == "EdDSA" and record.state is KeyState.ACTIVE
    assert record.public_jwk["kid"] == record.kid
    key = keystore.load_active_signing_key(db_session, org.id, KEK)
    assert key.kid == record.kid
    assert [e.action for e in db_session.scalars(select(AuditEntry))] == ["org.created", "key.created"]


def test_es256_keys_are_supported(db_session: Session) -> None:
    org = make_org(db_session, alg="ES256")
    assert keystore.load_active_signing_key(db_session, org.id, KEK).alg == "ES256"


def test_private_key_is_stored_encrypted(db_session: Session) -> None:
    org = make_org(db_session)
    db_session.commit()
    key = keystore.load_active_signing_key(db_session, org.id, KEK)
    raw = raw_private_bytes(key)
    row = db_session.execute(text("SELECT * FROM signing_keys")).mappings().one()
    stored = bytes(row["encrypted_private_key"])
    assert stored.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    everything = b"".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row.values())
    for clear in (raw, raw.hex().encode(), base64.urlsafe_b64encode(raw).rstrip(b"="), b"PRIVATE KEY-----\n"):
        assert clear not in everything.replace(b"ENCRYPTED PRIVATE KEY-----\n", b"")
    assert '"d"' not in str(row["public_jwk"])


def test_wrong_kek_cannot_load_the_key(db_session: Session) -> None:
    org = make_org(db_session)
    with pytest.raises(WrongPassword):
        keystore.load_active_signing_key(db_session, org.id, OTHER_KEK)


def test_ciphertext_is_bound_to_its_kid(db_session: Session) -> None:
    first, second = make_org(db_session), make_org(db_session, "cook-my")
    a = keystore.active_key_record(db_session, first.id)
    b = keystore.active_key_record(db_session, second.id)
    assert a is not None and b is not None
    a.encrypted_private_key = b.encrypted_private_key  # a row swapped onto another kid
    with pytest.raises(KeyMaterialError):
        keystore.decrypt_signing_key(a, KEK)


def test_rotation_keeps_old_key_for_verification(db_session: Session) -> None:
    org = make_org(db_session, now=T0)
    old = keystore.active_key_record(db_session, org.id)
    assert old is not None
    new = keystore.rotate_signing_key(db_session, org, KEK, actor="test", now=T0 + timedelta(days=30))
    assert old.state is KeyState.RETIRED and old.not_after == T0 + timedelta(days=30)
    assert new.state is KeyState.ACTIVE and new.kid != old.kid
    assert keystore.load_active_signing_key(db_session, org.id, KEK).kid == new.kid
    jwks = keystore.public_jwks(db_session, org)
    assert [(k["kid"], k["state"]) for k in jwks["keys"]] == [(old.kid, "retired"), (new.kid, "active")]
    assert jwks["keys"][0]["not_after"] == "2026-02-09T00:00:00Z"
    assert "key.rotated" in db_session.scalars(select(AuditEntry.action)).all()


def test_mark_active_key_compromised_rotates(db_session: Session) -> None:
    org = make_org(db_session, now=T0)
    old = keystore.active_key_record(db_session, org.id)
    assert old is not None
    since = T0 + timedelta(days=3)
    keystore.mark_compromised(db_session, org, old.kid, since, KEK, actor="test", now=T0 + timedelta(days=5))
    assert old.state is KeyState.COMPROMISED and old.compromised_since == since and old.not_after == since
    active = keystore.active_key_record(db_session, org.id)
    assert active is not None and active.kid != old.kid
    entry = next(k for k in keystore.public_jwks(db_session, org)["keys"] if k["kid"] == old.kid)
    assert entry["state"] == "compromised" and entry["compromised_since"] == "2026-01-13T00:00:00Z"
    with pytest.raises(keystore.InvalidKeyRequest):
        keystore.mark_compromised(db_session, org, active.kid, T0 + timedelta(days=9), KEK, actor="t", now=T0)
    with pytest.raises(keystore.KeyNotFound):
        keystore.mark_compromised(db_session, org, "no-such-kid", since, KEK, actor="t", now=T0 + timedelta(days=5))


def test_database_allows_one_active_key_per_org(db_session: Session) -> None:
    org = make_org(db_session)
    record = keystore.active_key_record(db_session, org.id)
    assert record is not None
    clone = SigningKeyRecord(
        org_id=org.id, kid="another", alg="EdDSA", public_jwk={}, encrypted_private_key=b"x",
        state=KeyState.ACTIVE, not_before=T0,
    )  # fmt: skip
    db_session.add(clone)
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_rewrap_under_a_new_kek(db_session: Session) -> None:
    org = make_org(db_session)
    keystore.rotate_signing_key(db_session, org, KEK, actor="test")
    assert keystore.rewrap_private_keys(db_session, KEK, OTHER_KEK, actor="test") == 2
    assert keystore.load_active_signing_key(db_session, org.id, OTHER_KEK)
    with pytest.raises(WrongPassword):
        keystore.load_active_signing_key(db_session, org.id, KEK)


def test_jwks_endpoint_after_rotation(app: Flask, client: FlaskClient) -> None:
    with db.session_factory(app)() as session:
        org = make_org(session)
        old = keystore.active_key_record(session, org.id)
        assert old is not None
        new = keystore.rotate_signing_key(session, org, KEK, actor="test")
        session.commit()
    response = client.get("/orgs/weld-my/jwks.json")
    assert response.status_code == 200
    assert response.mimetype == "application/jwk-set+json"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    keys = {k["kid"]: k for k in response.json["keys"]}
    assert keys[old.kid]["state"] == "retired" and keys[new.kid]["state"] == "active"
    assert all(k["alg"] == "EdDSA" and "d" not in k for k in keys.values())
    again = client.get("/orgs/weld-my/jwks.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    missing = client.get("/orgs/nobody/jwks.json")
    assert missing.status_code == 404 and missing.json["code"] == "organisation_not_found"
