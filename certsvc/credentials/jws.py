"""Compact JWS (RFC 7515) with a fixed header shape: ``alg``, ``kid`` and ``typ`` only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from certsvc.credentials.b64 import b64url_decode, b64url_encode
from certsvc.credentials.errors import DisallowedAlgorithm, DisallowedHeader, InputTooLarge, Malformed
from certsvc.credentials.keys import ALLOWED_ALGS, SigningKey

#: Header members that would let a token name its own key; never honoured.
KEY_BEARING_MEMBERS = frozenset({"jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256"})
HEADER_MEMBERS = ("alg", "kid", "typ")
MAX_TOKEN_CHARS = 64 * 1024


@dataclass(frozen=True)
class CompactJWS:
    """A parsed compact JWS whose header passed the shape checks (signature not yet checked)."""

    header_b64: str
    payload_b64: str
    signature_b64: str
    header: dict[str, Any]
    payload: bytes
    signature: bytes

    @property
    def signing_input(self) -> bytes:
        return f"{self.header_b64}.{self.payload_b64}".encode("ascii")

    @property
    def text(self) -> str:
        return f"{self.header_b64}.{self.payload_b64}.{self.signature_b64}"

    @property
    def alg(self) -> str:
        return str(self.header["alg"])

    @property
    def kid(self) -> str:
        return str(self.header["kid"])


def header_bytes(alg: str, kid: str, typ: str = "JWT") -> bytes:
    """Return the protected header we write, as compact JSON bytes."""
    return json.dumps({"alg": alg, "kid": kid, "typ": typ}, separators=(",", ":")).encode()


def sign_compact(payload: bytes, key: SigningKey, kid_uri: str, typ: str = "JWT") -> str:
    """Sign ``payload`` and return the compact JWS text."""
    header_b64 = b64url_encode(header_bytes(key.alg, kid_uri, typ))
    payload_b64 = b64url_encode(payload)
    signature = key.sign(f"{header_b64}.{payload_b64}".encode("ascii"))
    return f"{header_b64}.{payload_b64}.{b64url_encode(signature)}"


def parse_compact(unverified_token: str, typ: str = "JWT", max_chars: int = MAX_TOKEN_CHARS) -> CompactJWS:
    """Split and decode a compact JWS, enforcing the header rules; does not check the signature."""
    if len(unverified_token) > max_chars:
        raise InputTooLarge(f"token longer than {max_chars} characters", limit=max_chars)
    parts = unverified_token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise Malformed("a compact JWS has three non-empty dot-separated parts")
    header_b64, payload_b64, signature_b64 = parts
    header_raw = b64url_decode(header_b64)
    header = parse_header(header_raw, typ)
    return CompactJWS(
        header_b64,
        payload_b64,
        signature_b64,
        header,
        b64url_decode(payload_b64),
        b64url_decode(signature_b64),
    )


def parse_header(unverified_header: bytes, typ: str = "JWT") -> dict[str, Any]:
    """Parse a protected header and enforce the allowed algorithms and members."""
    return dict(_checked_header(unverified_header, typ))


@lru_cache(maxsize=256)
def _checked_header(unverified_header: bytes, typ: str) -> dict[str, Any]:
    # Cached: a verifier sees the same few headers (one per signing key) over and over.
    header = parse_json_object(unverified_header, "JWS header")
    named_keys = KEY_BEARING_MEMBERS & header.keys()
    if named_keys:
        raise DisallowedHeader(
            "the token names its own key; keys come only from the trust list",
            members=sorted(named_keys),
            reason="key_in_header",
        )
    if "crit" in header:
        raise DisallowedHeader("critical header extensions are not supported", reason="crit")
    alg = header.get("alg")
    if alg not in ALLOWED_ALGS:
        raise DisallowedAlgorithm(f"algorithm {alg!r} is not allowed", alg=str(alg))
    unknown = header.keys() - set(HEADER_MEMBERS)
    if unknown:
        raise DisallowedHeader("unexpected header members", members=sorted(unknown))
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise DisallowedHeader("the header must name its key with a string kid", reason="kid")
    if header.get("typ") != typ:
        raise DisallowedHeader(f"header typ must be {typ!r}", reason="typ")
    return header


def parse_json_object(unverified: bytes, what: str) -> dict[str, Any]:
    """Decode UTF-8 JSON that must be an object without duplicate member names."""
    try:
        value = json.loads(unverified.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Malformed(f"{what} is not valid UTF-8 JSON") from exc
    if not isinstance(value, dict):
        raise Malformed(f"{what} must be a JSON object")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member name")
    return result
