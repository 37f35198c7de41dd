"""Stored credentials as documents: the co-signed credential, its QR text and its status value."""

from __future__ import annotations

from certsvc.credentials.cosigned import CoSignedCredential, parse_credential_text
from certsvc.credentials.statuslist import Status
from certsvc.qr.transport import encode_qr_text
from certsvc.store.models import Credential, CredentialState

VERIFY_PATH = "/v"
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
    """The QR text: the verification URL with the whole credential after '#'."""
    return encode_qr_text(cosigned_of(credential), base_url + VERIFY_PATH)


def status_value(credential: Credential) -> Status:
    """The value the credential's entry has in its status list."""
    if credential.state in STATUS_OF_STATE:
        return STATUS_OF_STATE[credential.state]
    if credential.withdrawn_at is not None:
        return Status.COSIGNATURE_WITHDRAWN
    return Status.VALID
