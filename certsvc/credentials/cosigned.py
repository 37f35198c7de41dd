"""A credential signed by its provider and, once co-signed, by an embassy over the same bytes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

from certsvc.credentials.b64 import b64url_decode, b64url_encode
from certsvc.credentials.errors import InputTooLarge, Malformed
from certsvc.credentials.jws import MAX_TOKEN_CHARS, CompactJWS, parse_compact, parse_json_object, sign_compact
from certsvc.credentials.keys import SigningKey

MAX_SIGNATURES = 2


@dataclass(frozen=True)
class Signature:
    """One signature: the raw protected header bytes and the raw signature bytes."""

    protected: bytes
    value: bytes


@dataclass(frozen=True)
class CoSignedCredential:
    """Payload bytes with the provider's signature first and the embassy's, if any, second."""

    payload: bytes
    signatures: tuple[Signature, ...]

    @cached_property
    def payload_b64(self) -> str:
        return b64url_encode(self.payload)

    @cached_property
    def _signed_payload(self) -> bytes:
        return b"." + self.payload_b64.encode("ascii")

    def signing_input(self, index: int) -> bytes:
        """The bytes signature ``index`` signs: its protected header and the payload, base64url, joined by a dot."""
        return b64url_encode(self.signatures[index].protected).encode("ascii") + self._signed_payload

    def compact(self, index: int) -> str:
        """Return signature ``index`` as a standard compact JWS."""
        sig = self.signatures[index]
        return f"{b64url_encode(sig.protected)}.{self.payload_b64}.{b64url_encode(sig.value)}"

    def compacts(self) -> list[str]:
        """Return every signature as its own compact JWS."""
        return [self.compact(i) for i in range(len(self.signatures))]

    def to_json(self) -> str:
        """Return the RFC 7515 General JWS JSON Serialization (the credential file)."""
        return json.dumps(
            {
                "payload": self.payload_b64,
                "signatures": [
                    {"protected": b64url_encode(s.protected), "signature": b64url_encode(s.value)}
                    for s in self.signatures
                ],
            },
            separators=(",", ":"),
        )

    def with_cosignature(self, key: SigningKey, kid_uri: str) -> CoSignedCredential:
        """Add a co-signature by ``key`` over the same payload bytes."""
        if len(self.signatures) >= MAX_SIGNATURES:
            raise Malformed("the credential is already co-signed")
        return CoSignedCredential(self.payload, (*self.signatures, _sign(self.payload, key, kid_uri)))

    def without_cosignature(self) -> CoSignedCredential:
        """Return the provider-signed credential alone."""
        return CoSignedCredential(self.payload, self.signatures[:1])


def sign_credential(payload: bytes, key: SigningKey, kid_uri: str) -> CoSignedCredential:
    """Sign payload bytes as the provider."""
    return CoSignedCredential(payload, (_sign(payload, key, kid_uri),))


def _sign(payload: bytes, key: SigningKey, kid_uri: str) -> Signature:
    # PyJWT signs; the credential keeps the raw header and signature bytes (the QR carries bytes).
    header_b64, _, signature_b64 = sign_compact(payload, key, kid_uri).split(".")
    return Signature(b64url_decode(header_b64), b64url_decode(signature_b64))


def parse_credential_text(unverified_text: str) -> tuple[CoSignedCredential, list[CompactJWS]]:
    """Parse a credential file (General JSON) or one or two compact JWS separated by white space or ``~``."""
    text = unverified_text.strip()
    if len(text) > 2 * MAX_TOKEN_CHARS:
        raise InputTooLarge("credential text too long", limit=2 * MAX_TOKEN_CHARS)
    if text.startswith("{"):
        compacts = _compacts_from_general_json(text)
    else:
        compacts = [part for part in text.replace("~", " ").split() if part]
    if not 1 <= len(compacts) <= MAX_SIGNATURES:
        raise Malformed("expected one provider signature and at most one co-signature")
    parsed = [parse_compact(c) for c in compacts]
    if any(p.payload_b64 != parsed[0].payload_b64 for p in parsed[1:]):
        raise Malformed("the co-signature covers a different payload", reason="payload_mismatch")
    sigs = tuple(Signature(b64url_decode(p.header_b64), p.signature) for p in parsed)
    return CoSignedCredential(parsed[0].payload, sigs), parsed


def _compacts_from_general_json(text: str) -> list[str]:
    # surrogatepass: half a character in the text becomes bytes the strict reader refuses, not a crash here.
    document = parse_json_object(text.encode("utf-8", "surrogatepass"), "credential file")
    payload = document.get("payload")
    signatures = document.get("signatures")
    if not isinstance(payload, str) or not isinstance(signatures, list):
        raise Malformed("a credential file needs 'payload' and 'signatures'")
    compacts = []
    for entry in signatures:
        if not isinstance(entry, dict) or set(entry) - {"protected", "signature"}:
            raise Malformed("each signature holds only 'protected' and 'signature'")
        protected, value = entry.get("protected"), entry.get("signature")
        if not isinstance(protected, str) or not isinstance(value, str):
            raise Malformed("signature members must be strings")
        compacts.append(f"{protected}.{payload}.{value}")
    return compacts
