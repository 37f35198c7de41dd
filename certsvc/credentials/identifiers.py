"""The URIs the service mints: organisations, keys, qualifications, credentials, lists.

They are short on purpose: every character of them travels in the QR code.
"""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
PUBLIC_ID_CHARS = 8


def new_public_id() -> str:
    """Return a random credential id (40 bits, Crockford base32)."""
    # Five random bytes are exactly eight base32 digits: one draw from the OS, not eight.
    number = int.from_bytes(secrets.token_bytes(5 * PUBLIC_ID_CHARS // 8), "big")
    return "".join(_ALPHABET[(number >> (5 * i)) & 31] for i in range(PUBLIC_ID_CHARS - 1, -1, -1))


def org_uri(base: str, slug: str) -> str:
    return f"{base}/o/{slug}"


def key_uri(base: str, slug: str, key_number: int) -> str:
    """Name a key in JWS headers; verifiers resolve it through the trust list only."""
    return f"{org_uri(base, slug)}#k{key_number}"


def qualification_uri(base: str, slug: str, code: str) -> str:
    return f"{org_uri(base, slug)}/q/{code}"


def credential_uri(base: str, public_id: str) -> str:
    return f"{base}/c/{public_id}"


def status_list_uri(base: str, slug: str, list_number: int) -> str:
    return f"{org_uri(base, slug)}/status/{list_number}"


def trust_list_uri(base: str, slug: str) -> str:
    return f"{org_uri(base, slug)}/trust-list"
