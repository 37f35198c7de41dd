"""Stored credentials as documents: the co-signed credential, its QR text and its status value."""

from __future__ import annotations

import threading
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from certsvc.credentials.cosigned import CoSignedCredential, parse_credential_text
from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.statuslist import Status
from certsvc.credentials.trustlist import TrustList, parse_trust_list
from certsvc.qr.transport import encode_qr_text
from certsvc.store.models import Credential, CredentialState, Organisation, OrgKind, TrustListVersion

VERIFY_PATH = "/v"
MAX_CACHED_COUNTRIES = 512
#: By database and country: the newest trust-list version id seen, and the trust lists then.
_PUBLISHED: dict[tuple[object, str], tuple[tuple[int, str] | None, list[TrustList]]] = {}
_PUBLISHED_LOCK = threading.Lock()
STATUS_OF_STATE = {
    CredentialState.REVOKED: Status.INVALID,
    CredentialState.SUSPENDED: Status.SUSPENDED,
}


def cosigned_of(credential: Credential) -> CoSignedCredential:
    """The credential with every signature it has (the provider's, and the embassy's once co-signed)."""
    text = credential.provider_jws
    if credential.cosign_jws and credential.state is not CredentialState.REJECTED:
        text += "\n" + credential.cosign_jws
    parsed, _ = parse_credential_text(text)
    return parsed


def qr_text_of(credential: Credential, base_url: str) -> str:
    """The QR text: the verification URL with the whole credential after '#'.

    When a published trust list of the holder's country carries the qualification's catalogue
    entry, the QR code pins it (and is much smaller); until then the entry travels in the code.
    """
    session = object_session(credential)
    trust_lists = published_trust_lists(session, credential) if session is not None else []
    return encode_qr_text(cosigned_of(credential), base_url + VERIFY_PATH, trust_lists)


def published_trust_lists(session: Session, credential: Credential) -> list[TrustList]:
    """The newest published trust list of each authority of the holder's country.

    Kept per process by country until another trust list is published anywhere (the newest
    version changes): answering an issue reads the newest version's row, not every version.
    """
    newest = session.execute(
        select(TrustListVersion.id, TrustListVersion.token).order_by(TrustListVersion.id.desc()).limit(1)
    ).first()
    newest_id = (newest[0], newest[1]) if newest is not None else None
    country = credential.learner.nationality
    with _PUBLISHED_LOCK:
        found = _PUBLISHED.get((session.get_bind().engine.url, country))
    if found is not None and found[0] == newest_id:
        return found[1]
    lists = _published_trust_lists(session, country)
    with _PUBLISHED_LOCK:
        if len(_PUBLISHED) > MAX_CACHED_COUNTRIES:
            _PUBLISHED.clear()
        _PUBLISHED[(session.get_bind().engine.url, country)] = (newest_id, lists)
    return lists


def _published_trust_lists(session: Session, country: str) -> list[TrustList]:
    newest = (
        select(TrustListVersion.authority_id, func.max(TrustListVersion.sequence).label("sequence"))
        .group_by(TrustListVersion.authority_id)
        .subquery()
    )
    # One query for every authority of the country (answering an issue must not cost a query per authority).
    tokens = session.scalars(
        select(TrustListVersion.token)
        .join(
            newest,
            (newest.c.authority_id == TrustListVersion.authority_id) & (newest.c.sequence == TrustListVersion.sequence),
        )
        .join(Organisation, Organisation.id == TrustListVersion.authority_id)
        .where(Organisation.kind == OrgKind.AUTHORITY, Organisation.country == country)
        .order_by(Organisation.id)
    )
    return [trust_list for token in tokens if (trust_list := _parsed(token)) is not None]


@lru_cache(maxsize=32)
def _parsed(token: str) -> TrustList | None:
    # Our own signed document, read back from our own database: checked against the key it names.
    try:
        return parse_trust_list(token)
    except CertsvcError:
        return None


def status_value(credential: Credential) -> Status:
    """The value the credential's entry has in its status list."""
    if credential.state in STATUS_OF_STATE:
        return STATUS_OF_STATE[credential.state]
    if credential.withdrawn_at is not None:
        return Status.COSIGNATURE_WITHDRAWN
    return Status.VALID
