"""Signing as an organisation: its active key, decrypted once per process, and the key's URI."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from certsvc.credentials import identifiers
from certsvc.credentials.keys import SigningKey
from certsvc.store import keystore
from certsvc.store.models import Organisation, SigningKeyRecord

_CACHE_SIZE = 256
#: Decrypted keys by (kid, KEK digest): a kid always names the same key.
_DECRYPTED: dict[tuple[str, str], SigningKey] = {}


@dataclass(frozen=True)
class Signer:
    """An organisation's active signing key with the URI that names it in JWS headers."""

    key: SigningKey
    kid_uri: str


def signer_for(session: Session, org: Organisation, kek: str, base_url: str) -> Signer:
    """Return the org's active key (decrypted keys are cached by kid: a kid never changes key)."""
    record = keystore.active_key_record(session, org.id)
    assert record is not None
    cache_key = (record.kid, hashlib.sha256(kek.encode()).hexdigest())
    key = _DECRYPTED.get(cache_key)
    if key is None:
        # PBES2 decryption costs milliseconds; issuing a cohort must not pay it per credential.
        key = keystore.decrypt_signing_key(record, kek)
        if len(_DECRYPTED) >= _CACHE_SIZE:
            _DECRYPTED.clear()
        _DECRYPTED[cache_key] = key
    return Signer(key, key_uri_of(record, org, base_url))


def key_uri_of(record: SigningKeyRecord, org: Organisation, base_url: str) -> str:
    """The URI of a stored key."""
    return identifiers.key_uri(base_url, org.slug, record.id)
