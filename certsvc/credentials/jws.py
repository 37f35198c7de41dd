"""Compact JWS (RFC 7515) with a fixed header shape: ``alg``, ``kid`` and ``typ`` only.

Every token is signed by PyJWT, and signed documents (trust lists, status lists) are read
with PyJWT's ``decode``, algorithms fixed by the key and required claims named by the
caller. Our own header checks run first: PyJWT accepts header members (``jku``, ``jwk``,
``x5u``, ``cty``, …) that our format refuses, and it would let a token name its own key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
from jwt.algorithms import OKPAlgorithm

from certsvc.credentials.b64 import b64url_decode
from certsvc.credentials.errors import (
    BadSignature,
    DisallowedAlgorithm,
    DisallowedHeader,
    InputTooLarge,
    Malformed,
)
from certsvc.credentials.keys import ALLOWED_ALGS, PublicKey, SigningKey

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


def _pyjws() -> jwt.PyJWS:
    # Only our algorithms; RFC 9864's name "Ed25519" is the same algorithm as "EdDSA" with Ed25519 keys.
    signer = jwt.PyJWS(algorithms=sorted(ALLOWED_ALGS & {"EdDSA", "ES256"}))
    signer.register_algorithm("Ed25519", OKPAlgorithm())
    return signer


class _StrictJWT(jwt.PyJWT):
    """PyJWT with our JSON rules for claims: UTF-8, an object, no duplicate member names."""

    def __init__(self) -> None:
        super().__init__()
        self._jws = _pyjws()

    def _decode_payload(self, decoded: dict[str, Any]) -> dict[str, Any]:
        return parse_json_object(decoded["payload"], "token claims")


_JWS = _pyjws()
_JWT = _StrictJWT()
#: Times, issuers and subjects are checked by our own code against a ``now`` the caller gives
#: (verifying "as of" a past moment must work), so PyJWT checks signature and presence only.
_DECODE_OPTIONS = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}


def header_bytes(alg: str, kid: str, typ: str = "JWT") -> bytes:
    """Return the protected header we write, as compact JSON bytes."""
    return json.dumps({"alg": alg, "kid": kid, "typ": typ}, separators=(",", ":")).encode()


def sign_compact(payload: bytes, key: SigningKey, kid_uri: str, typ: str = "JWT") -> str:
    """Sign ``payload`` bytes with PyJWT under our fixed header (``alg``, ``kid``, ``typ``); return the compact JWS."""
    # PyJWT writes the header sorted and compact: byte for byte what header_bytes() gives.
    return _JWS.encode(payload, key.jose_key, algorithm=key.alg, headers={"kid": kid_uri, "typ": typ})


def decode_signed(jws: CompactJWS, key: PublicKey, required: Sequence[str]) -> dict[str, Any]:
    """Verify a parsed JWS with PyJWT under ``key`` (algorithms fixed by the key) and return its claims.

    ``required`` names the claims that must be present; their values are the caller's to check.
    """
    if jws.alg not in key.algs:
        raise DisallowedAlgorithm(f"algorithm {jws.alg!r} does not match the signing key", alg=jws.alg)
    # Our own check first: PyJWT's (OpenSSL's) takes Ed25519 keys and R of small order (keys.py).
    if not key.verify(jws.alg, jws.signature, f"{jws.header_b64}.{jws.payload_b64}".encode("ascii")):
        raise BadSignature("the signature is not valid", kid=jws.kid)
    options: dict[str, Any] = {**_DECODE_OPTIONS, "require": list(required)}
    try:
        decoded = _JWT.decode_complete(jws.text, key.jose_key, algorithms=sorted(key.algs), options=options)
    except jwt.InvalidSignatureError as exc:
        raise BadSignature("the signature is not valid", kid=jws.kid) from exc
    except jwt.MissingRequiredClaimError as exc:
        raise Malformed(f"claim {exc.claim!r} is required", reason=exc.claim) from exc
    except (jwt.InvalidAlgorithmError, jwt.InvalidKeyError) as exc:
        raise DisallowedAlgorithm(f"the token cannot be checked with this key ({exc})", alg=jws.alg) from exc
    except (jwt.PyJWTError, ValueError) as exc:
        raise Malformed(f"the token is malformed ({exc})") from exc
    claims: dict[str, Any] = decoded["payload"]
    return claims


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
    """Decode UTF-8 JSON that must be an object of text, without duplicate member names."""
    try:
        value = _STRICT_JSON.decode(unverified.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Malformed(f"{what} is not valid UTF-8 JSON") from exc
    if not isinstance(value, dict):
        raise Malformed(f"{what} must be a JSON object")
    # Valid UTF-8 holds no surrogate, so only an escape can make one: look closer only then.
    if _SURROGATE_ESCAPE.search(unverified) and holds_unpaired_surrogate(value):
        raise Malformed(f"{what} holds an unpaired surrogate escape (such as \\ud800), which is not text")
    return value


def holds_unpaired_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds half a character anywhere, in a member name or a string.

    JSON may escape an unpaired surrogate (``"\\ud800"``); Python and JavaScript read it into a
    string that no page, log, database or UTF-8 encoder can take (RFC 7493 forbids it).
    """
    pending = [value]
    while pending:  # a loop, not recursion: the value may nest as deep as its reader allowed
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii() and not _encodes(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # only a surrogate cannot be UTF-8
        return False
    return True


def _no_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (RFC 8259), though Python's json module reads them.
    raise ValueError(f"{name} is not a JSON value")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member name")
    return result


#: A JSON escape of a code unit in U+D800-U+DFFF (a backslash before it may make it text: the walk decides).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
#: Built once: ``json.loads`` with hooks builds a new decoder on every call, a visible share of a verification.
_STRICT_JSON = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
