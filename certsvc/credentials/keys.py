"""Signing keys: Ed25519 (default) and ES256, JWK export with RFC 7638 thumbprints."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

import nacl.bindings
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from nacl.exceptions import BadSignatureError

from certsvc.credentials.b64 import b64url_decode, b64url_encode
from certsvc.credentials.errors import DisallowedAlgorithm, KeyMaterialError, Malformed, WrongPassword

Algorithm = Literal["EdDSA", "ES256"]

#: JOSE names we accept for each key type. RFC 9864 renames EdDSA-with-Ed25519 to "Ed25519".
ED25519_ALGS = frozenset({"EdDSA", "Ed25519"})
ES256_ALGS = frozenset({"ES256"})
ALLOWED_ALGS = ED25519_ALGS | ES256_ALGS

_P256_COORD = 32
_ED25519_SIGNATURE = 64


@dataclass(frozen=True)
class PublicKey:
    """A verification key with its JWK form and RFC 7638 thumbprint."""

    jwk: dict[str, str]
    _key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
    #: An Ed25519 key's 32 bytes, which libsodium verifies with; None for P-256.
    _ed25519: bytes | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        raw = _raw_ed25519(self._key) if isinstance(self._key, ed25519.Ed25519PublicKey) else None
        object.__setattr__(self, "_ed25519", raw)

    @property
    def kid(self) -> str:
        return self.jwk["kid"]

    @property
    def algs(self) -> frozenset[str]:
        return ED25519_ALGS if self.jwk["kty"] == "OKP" else ES256_ALGS

    @property
    def jose_key(self) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey:
        """The key as JOSE libraries (PyJWT) take it."""
        return self._key

    @classmethod
    def from_jwk(cls, unverified_jwk: dict[str, Any]) -> PublicKey:
        """Load a public JWK (OKP/Ed25519 or EC/P-256); private members are refused."""
        if not isinstance(unverified_jwk, dict):
            raise KeyMaterialError("a JWK must be a JSON object")
        if "d" in unverified_jwk:
            raise KeyMaterialError("a public JWK must not carry private key material")
        try:
            key = _public_key_from_jwk(unverified_jwk)
        except (KeyError, TypeError, ValueError, AttributeError, Malformed) as exc:
            raise KeyMaterialError("unsupported or malformed JWK") from exc
        return cls(_public_jwk(key), key)

    def verify(self, alg: str, signature: bytes, signing_input: bytes) -> bool:
        """Return whether ``signature`` is valid over ``signing_input`` under ``alg``."""
        if alg not in self.algs:
            raise DisallowedAlgorithm(f"algorithm {alg!r} does not match this key", alg=alg)
        if self._ed25519 is not None:
            return _ed25519_verifies(self._ed25519, signature, signing_input)
        if len(signature) != 2 * _P256_COORD:
            return False
        r = int.from_bytes(signature[:_P256_COORD], "big")
        s = int.from_bytes(signature[_P256_COORD:], "big")
        try:
            self._key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True


def _ed25519_verifies(public: bytes, signature: bytes, message: bytes) -> bool:
    # libsodium rather than OpenSSL: half as fast again, and stricter. OpenSSL takes a key or an R
    # of small order: under the neutral point as key, R = that point and S = 0 pass for every
    # message. libsodium refuses a key or R of small order, a key not written canonically, and
    # S >= L (as OpenSSL does); the offline verifier applies the same rules (templates/verify/offline/jws.js).
    if len(signature) != _ED25519_SIGNATURE:
        return False
    try:
        nacl.bindings.crypto_sign_open(signature + message, public)
    except BadSignatureError:
        return False
    return True


class SigningKey:
    """A private signing key; serialised only encrypted under a caller's password."""

    def __init__(self, key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> None:
        if isinstance(key, ec.EllipticCurvePrivateKey) and not isinstance(key.curve, ec.SECP256R1):
            raise KeyMaterialError("only P-256 EC keys are supported")
        self._key = key
        public = key.public_key()
        self.public = PublicKey(_public_jwk(public), public)

    @classmethod
    def generate(cls, alg: Algorithm = "EdDSA") -> SigningKey:
        """Generate a fresh Ed25519 (default) or ES256 key."""
        if alg in ED25519_ALGS:
            return cls(ed25519.Ed25519PrivateKey.generate())
        if alg == "ES256":
            return cls(ec.generate_private_key(ec.SECP256R1()))
        raise DisallowedAlgorithm(f"cannot generate keys for {alg!r}", alg=alg)

    @property
    def alg(self) -> str:
        return "EdDSA" if isinstance(self._key, ed25519.Ed25519PrivateKey) else "ES256"

    @property
    def kid(self) -> str:
        return self.public.kid

    @property
    def jose_key(self) -> ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey:
        """The private key as JOSE libraries (PyJWT) take it; it never leaves the process."""
        return self._key

    def sign(self, signing_input: bytes) -> bytes:
        """Sign bytes; ES256 signatures come out as JOSE's raw R||S."""
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(signing_input)
        r, s = decode_dss_signature(self._key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(_P256_COORD, "big") + s.to_bytes(_P256_COORD, "big")

    def to_encrypted_pem(self, password: bytes) -> bytes:
        """Serialise as PKCS#8 PEM encrypted under ``password`` (never in clear)."""
        if not password:
            raise KeyMaterialError("a non-empty password is required to export a private key")
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password),
        )

    @classmethod
    def from_encrypted_pem(cls, pem: bytes, password: bytes) -> SigningKey:
        """Load a key written by :meth:`to_encrypted_pem`."""
        try:
            key = serialization.load_pem_private_key(pem, password=password)
        except (ValueError, TypeError) as exc:
            raise WrongPassword("cannot decrypt the private key (wrong password or damaged)") from exc
        if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
            raise KeyMaterialError("unsupported private key type")
        return cls(key)


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """Compute the RFC 7638 SHA-256 thumbprint of a public JWK."""
    members = ("crv", "kty", "x") if jwk["kty"] == "OKP" else ("crv", "kty", "x", "y")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode()).digest())


def _raw_ed25519(key: ed25519.Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _public_jwk(key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey) -> dict[str, str]:
    if isinstance(key, ed25519.Ed25519PublicKey):
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(_raw_ed25519(key))}
    else:
        numbers = key.public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url_encode(numbers.x.to_bytes(_P256_COORD, "big")),
            "y": b64url_encode(numbers.y.to_bytes(_P256_COORD, "big")),
        }
    jwk["kid"] = jwk_thumbprint(jwk)
    return jwk


def _public_key_from_jwk(jwk: dict[str, Any]) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey:
    if jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    if jwk["kty"] == "EC" and jwk["crv"] == "P-256":
        x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
        if len(x) != _P256_COORD or len(y) != _P256_COORD:
            raise ValueError("bad P-256 coordinate length")
        numbers = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1())
        return numbers.public_key()
    raise ValueError("unsupported key type")
