"""Organisations' signing keys: create, rotate, mark compromised, load, publish as JWKS.

Private keys are stored as PKCS#8 PEM encrypted (PBES2, AES-256-CBC) under a password
derived from the configured key-encryption key (KEK) with HKDF-SHA256 and the key's kid,
so every key has its own password and a row copied onto another kid does not decrypt.
After decryption the public key must still have the stored kid.
"""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.credentials.errors import CertsvcError, KeyMaterialError
from certsvc.credentials.keys import Algorithm, SigningKey
from certsvc.store import audit
from certsvc.store.models import KeyState, Organisation, SigningKeyRecord, utcnow

HKDF_INFO = b"certsvc signing key v1:"
#: Prefix of the HKDF info of keys derived for other purposes than signing keys.
PURPOSE_INFO = b"certsvc derived key v1:"
SEAL_NONCE_BYTES = 12
JWKS_MEDIA_TYPE = "application/jwk-set+json"


class KeyNotFound(CertsvcError):
    """No signing key with that kid belongs to the organisation."""

    code = "key_not_found"
    http_status = 404


class InvalidKeyRequest(CertsvcError):
    """A key operation was asked with invalid arguments."""

    code = "invalid_key_request"
    http_status = 400


class NoActiveKey(CertsvcError):
    """The organisation has no active signing key."""

    code = "no_active_key"
    http_status = 409


@functools.lru_cache(maxsize=64)
def derived_key(kek: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose (claim-secret HMAC, sealed claim slips), derived from the KEK with HKDF.

    Never stored: whoever holds the database alone cannot recompute it. Cached, since a
    request may derive it for every credential it issues.
    """
    if not kek:
        raise KeyMaterialError("no key-encryption key configured")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE_INFO + purpose.encode("ascii"))
    return hkdf.derive(kek.encode("utf-8"))


def seal(kek: str, purpose: str, plaintext: bytes) -> bytes:
    """Encrypt ``plaintext`` with AES-256-GCM under the KEK's key for ``purpose`` (bound in as associated data)."""
    nonce = os.urandom(SEAL_NONCE_BYTES)
    return nonce + AESGCM(derived_key(kek, purpose)).encrypt(nonce, plaintext, purpose.encode("ascii"))


def unseal(kek: str, purpose: str, sealed: bytes) -> bytes:
    """Decrypt what ``seal`` made for the same purpose; KeyMaterialError if the KEK or purpose differs."""
    nonce, body = sealed[:SEAL_NONCE_BYTES], sealed[SEAL_NONCE_BYTES:]
    try:
        return AESGCM(derived_key(kek, purpose)).decrypt(nonce, body, purpose.encode("ascii"))
    except InvalidTag as exc:
        raise KeyMaterialError("sealed data does not open with this key-encryption key", purpose=purpose) from exc


def key_password(kek: str, kid: str) -> bytes:
    """Derive the per-key PKCS#8 password from the KEK and the key's kid."""
    if not kek:
        raise KeyMaterialError("no key-encryption key configured")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO + kid.encode("ascii"))
    return hkdf.derive(kek.encode("utf-8")).hex().encode("ascii")


def add_signing_key(
    session: Session,
    org: Organisation,
    kek: str,
    *,
    alg: Algorithm = "EdDSA",
    actor: str,
    now: datetime | None = None,
) -> SigningKeyRecord:
    """Generate a key for ``org`` and store it as its active key (the org must have none)."""
    now = now or utcnow()
    key = SigningKey.generate(alg)
    record = SigningKeyRecord(
        org_id=org.id,
        kid=key.kid,
        alg=key.alg,
        public_jwk=dict(key.public.jwk),
        encrypted_private_key=key.to_encrypted_pem(key_password(kek, key.kid)),
        state=KeyState.ACTIVE,
        not_before=now,
        created_at=now,
    )
    session.add(record)
    session.flush()
    audit.append(session, "key.created", actor=actor, org_id=org.id, subject=key.kid, details={"alg": key.alg}, now=now)
    return record


def rotate_signing_key(
    session: Session,
    org: Organisation,
    kek: str,
    *,
    actor: str,
    alg: Algorithm | None = None,
    now: datetime | None = None,
) -> SigningKeyRecord:
    """Retire the active key (kept for verification) and make a new one active."""
    now = now or utcnow()
    _lock_org(session, org)
    old = active_key_record(session, org.id, required=False)
    if old is not None:
        old.state, old.not_after = KeyState.RETIRED, now
        session.flush()
    new_alg: Algorithm = alg or ("ES256" if old is not None and old.alg == "ES256" else "EdDSA")
    record = add_signing_key(session, org, kek, alg=new_alg, actor=actor, now=now)
    details = {"retired": old.kid if old else None, "active": record.kid}
    audit.append(session, "key.rotated", actor=actor, org_id=org.id, subject=record.kid, details=details, now=now)
    return record


def mark_compromised(
    session: Session,
    org: Organisation,
    kid: str,
    since: datetime,
    kek: str,
    *,
    actor: str,
    now: datetime | None = None,
) -> SigningKeyRecord:
    """Mark a key compromised from ``since``; an active key is replaced by a fresh one first."""
    now = now or utcnow()
    if since.tzinfo is None or since > now:
        raise InvalidKeyRequest("the compromise date must be an aware datetime not in the future")
    record = _key_of(session, org, kid)
    if record.state is KeyState.ACTIVE:
        rotate_signing_key(session, org, kek, actor=actor, now=now)
    record.state, record.compromised_since = KeyState.COMPROMISED, since.astimezone(UTC)
    record.not_after = min(record.not_after or now, since)
    details = {"since": record.compromised_since.isoformat()}
    audit.append(session, "key.compromised", actor=actor, org_id=org.id, subject=kid, details=details, now=now)
    return record


def active_key_record(session: Session, org_id: int, *, required: bool = True) -> SigningKeyRecord | None:
    """Return the org's active key record (raise NoActiveKey if ``required`` and there is none)."""
    record = session.scalar(
        select(SigningKeyRecord).where(SigningKeyRecord.org_id == org_id, SigningKeyRecord.state == KeyState.ACTIVE)
    )
    if record is None and required:
        raise NoActiveKey("the organisation has no active signing key", org_id=org_id)
    return record


def load_active_signing_key(session: Session, org_id: int, kek: str) -> SigningKey:
    """Decrypt and return the org's active signing key."""
    record = active_key_record(session, org_id)
    assert record is not None
    return decrypt_signing_key(record, kek)


def decrypt_signing_key(record: SigningKeyRecord, kek: str) -> SigningKey:
    """Decrypt a stored key and check that it still is the key its kid names."""
    key = SigningKey.from_encrypted_pem(record.encrypted_private_key, key_password(kek, record.kid))
    if key.kid != record.kid:
        raise KeyMaterialError("the stored private key does not match its kid", kid=record.kid)
    return key


def rewrap_private_keys(
    session: Session, old_kek: str, new_kek: str, *, actor: str, now: datetime | None = None
) -> int:
    """Re-encrypt every stored private key under a new KEK; return how many were rewrapped."""
    records = session.scalars(select(SigningKeyRecord).order_by(SigningKeyRecord.id)).all()
    for record in records:
        key = decrypt_signing_key(record, old_kek)
        record.encrypted_private_key = key.to_encrypted_pem(key_password(new_kek, record.kid))
    audit.append(session, "keys.rewrapped", actor=actor, details={"count": len(records)}, now=now)
    return len(records)


def public_jwks(session: Session, org: Organisation) -> dict[str, Any]:
    """Return the org's JWKS: every key ever used, with state and validity as extra members."""
    records = session.scalars(
        select(SigningKeyRecord).where(SigningKeyRecord.org_id == org.id).order_by(SigningKeyRecord.id)
    )
    return {"keys": [public_entry(record) for record in records]}


def public_entry(record: SigningKeyRecord) -> dict[str, Any]:
    """A key's public JWK, kid its RFC 7638 thumbprint, with its state and validity as extra members."""
    entry: dict[str, Any] = {**record.public_jwk, "kid": record.kid, "alg": record.alg, "use": "sig"}
    entry["state"] = record.state.value
    entry["not_before"] = _iso(record.not_before)
    if record.not_after is not None:
        entry["not_after"] = _iso(record.not_after)
    if record.compromised_since is not None:
        entry["compromised_since"] = _iso(record.compromised_since)
    return entry


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _key_of(session: Session, org: Organisation, kid: str) -> SigningKeyRecord:
    record = session.scalar(
        select(SigningKeyRecord).where(SigningKeyRecord.org_id == org.id, SigningKeyRecord.kid == kid)
    )
    if record is None:
        raise KeyNotFound("no such key for this organisation", kid=kid, org=org.slug)
    return record


def _lock_org(session: Session, org: Organisation) -> None:
    # Serialise rotations of one organisation (PostgreSQL row lock; SQLite writes are serial).
    session.execute(select(Organisation.id).where(Organisation.id == org.id).with_for_update())
