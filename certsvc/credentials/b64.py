"""Base64url without padding, as JOSE uses it (RFC 7515 section 2)."""

from __future__ import annotations

import base64
import binascii

from certsvc.credentials.errors import Malformed

_B64URL_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_encode(data: bytes) -> str:
    """Encode bytes as unpadded base64url text."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(unverified_text: str) -> bytes:
    """Decode unpadded base64url, refusing padding, stray characters and non-canonical tails."""
    raw = unverified_text.encode("ascii", "replace")
    if not set(raw) <= _B64URL_ALPHABET or len(raw) % 4 == 1:
        raise Malformed("not base64url text")
    try:
        data = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except binascii.Error as exc:  # pragma: no cover - alphabet check catches these first
        raise Malformed("not base64url text") from exc
    # Unused trailing bits must be zero, so that one byte string has exactly one encoding:
    # the QR transport rebuilds the text from bytes and must get the signed text back.
    if b64url_encode(data) != unverified_text:
        raise Malformed("non-canonical base64url text")
    return data
