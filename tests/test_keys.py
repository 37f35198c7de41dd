"""Signing keys: Ed25519 and ES256, RFC 8037 / RFC 7515 vectors, JWK thumbprints, encrypted PEM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from joserfc import jws as joserfc_jws
from joserfc.jwk import OKPKey

from certsvc.credentials.b64 import b64url_decode, b64url_encode
from certsvc.credentials.errors import DisallowedAlgorithm, KeyMaterialError, WrongPassword
from certsvc.credentials.keys import ALLOWED_ALGS, PublicKey, SigningKey, jwk_thumbprint

VECTORS = Path(__file__).parent / "vectors"
RFC8037 = json.loads((VECTORS / "rfc8037_ed25519.json").read_text())
RFC7515_A3 = json.loads((VECTORS / "rfc7515_a3_es256.json").read_text())
PASSWORD = b"correct horse battery staple"
MESSAGE = b"eyJhbGciOiJFZERTQSJ9.aGVsbG8"


def _without_kid(jwk: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in jwk.items() if k != "kid"}


# --- generate, sign, verify ---


@pytest.mark.parametrize(
    ("alg", "jwk_members"),
    [("EdDSA", {"kty", "crv", "x", "kid"}), ("ES256", {"kty", "crv", "x", "y", "kid"})],
)
def test_generate_sign_verify(alg, jwk_members):
    key = SigningKey.generate(alg)
    assert key.alg == alg
    assert set(key.public.jwk) == jwk_members
    assert key.kid == key.public.kid == jwk_thumbprint(_without_kid(key.public.jwk))
    signature = key.sign(MESSAGE)
    assert len(signature) == 64  # Ed25519, or ES256 as raw R||S (not DER)
    assert key.public.verify(alg, signature, MESSAGE)
    assert not key.public.verify(alg, signature, MESSAGE + b"x")
    assert not key.public.verify(alg, bytes([signature[0] ^ 1]) + signature[1:], MESSAGE)
    assert not SigningKey.generate(alg).public.verify(alg, signature, MESSAGE)


def test_default_is_ed25519_and_keys_are_fresh():
    first, second = SigningKey.generate(), SigningKey.generate()
    assert first.alg == "EdDSA"
    assert first.public.jwk["crv"] == "Ed25519"
    assert first.kid != second.kid


def test_es256_signature_of_wrong_length_is_invalid_not_an_error():
    key = SigningKey.generate("ES256")
    signature = key.sign(MESSAGE)
    assert not key.public.verify("ES256", signature[:-1], MESSAGE)
    assert not key.public.verify("ES256", signature + b"\x00", MESSAGE)
    assert not key.public.verify("ES256", b"", MESSAGE)


def test_public_key_from_its_own_jwk_verifies():
    for alg in ("EdDSA", "ES256"):
        key = SigningKey.generate(alg)
        loaded = PublicKey.from_jwk(key.public.jwk)
        assert loaded.jwk == key.public.jwk
        assert loaded.verify(alg, key.sign(MESSAGE), MESSAGE)


def test_kid_is_recomputed_never_taken_from_the_jwk():
    jwk = {**RFC8037["jwk_public"], "kid": "https://evil.example/key"}
    assert PublicKey.from_jwk(jwk).kid == RFC8037["jwk_thumbprint_b64u"]


# --- RFC 8037 (Ed25519) ---


def test_rfc8037_a3_thumbprint():
    assert jwk_thumbprint(RFC8037["jwk_public"]) == RFC8037["jwk_thumbprint_b64u"]
    assert PublicKey.from_jwk(RFC8037["jwk_public"]).kid == RFC8037["jwk_thumbprint_b64u"]


def test_rfc8037_a4_signature_verifies():
    public = PublicKey.from_jwk(RFC8037["jwk_public"])
    signing_input = RFC8037["signing_input"].encode("ascii")
    signature = b64url_decode(RFC8037["signature_b64u"])
    assert signature == bytes.fromhex(RFC8037["signature_hex"])
    assert public.verify("EdDSA", signature, signing_input)
    assert public.verify("Ed25519", signature, signing_input)
    assert not public.verify("EdDSA", signature, signing_input + b"x")
    assert not public.verify("EdDSA", bytes([signature[0] ^ 1]) + signature[1:], signing_input)


def test_rfc8037_a4_resigning_reproduces_the_signature():
    private = ed25519.Ed25519PrivateKey.from_private_bytes(b64url_decode(RFC8037["jwk_private"]["d"]))
    signing_input = RFC8037["signing_input"].encode("ascii")
    expected = bytes.fromhex(RFC8037["signature_hex"])
    assert private.sign(signing_input) == expected
    ours = SigningKey(private)
    assert ours.sign(signing_input) == expected
    assert _without_kid(ours.public.jwk) == RFC8037["jwk_public"]
    assert ours.kid == RFC8037["jwk_thumbprint_b64u"]
    header_b64, payload_b64, _ = RFC8037["jws"].split(".")
    assert f"{header_b64}.{payload_b64}" == RFC8037["signing_input"]
    assert b64url_encode(ours.sign(signing_input)) == RFC8037["signature_b64u"]


# --- RFC 7515 A.3 (ES256) ---


def test_rfc7515_a3_es256_verifies():
    public = PublicKey.from_jwk(RFC7515_A3["jwk_public"])
    signing_input = RFC7515_A3["signing_input"].encode("ascii")
    signature = b64url_decode(RFC7515_A3["signature_b64u"])
    assert public.verify("ES256", signature, signing_input)
    assert not public.verify("ES256", signature, signing_input + b"x")
    assert not public.verify("ES256", signature[::-1], signing_input)


def test_rfc7515_a3_private_key_signs_for_its_public_key():
    jwk = RFC7515_A3["jwk_private"]
    private = ec.derive_private_key(int.from_bytes(b64url_decode(jwk["d"]), "big"), ec.SECP256R1())
    ours = SigningKey(private)
    assert _without_kid(ours.public.jwk) == RFC7515_A3["jwk_public"]
    signing_input = RFC7515_A3["signing_input"].encode("ascii")
    # ECDSA is randomised: a fresh signature differs from the vector but verifies under its key.
    signature = ours.sign(signing_input)
    assert PublicKey.from_jwk(RFC7515_A3["jwk_public"]).verify("ES256", signature, signing_input)


# --- algorithm names ---


def test_both_ed25519_names_are_accepted():
    key = SigningKey.generate("EdDSA")
    signature = key.sign(MESSAGE)
    assert key.public.verify("EdDSA", signature, MESSAGE)
    assert key.public.verify("Ed25519", signature, MESSAGE)
    assert SigningKey.generate("Ed25519").alg == "EdDSA"  # type: ignore[arg-type]


def test_joserfc_token_under_the_rfc9864_name_verifies():
    private = OKPKey.import_key(RFC8037["jwk_private"])
    token = joserfc_jws.serialize_compact({"alg": "Ed25519"}, b"payload", private, algorithms=["Ed25519"])
    header_b64, payload_b64, signature_b64 = token.split(".")
    assert json.loads(b64url_decode(header_b64)) == {"alg": "Ed25519"}
    public = PublicKey.from_jwk(RFC8037["jwk_public"])
    assert public.verify("Ed25519", b64url_decode(signature_b64), f"{header_b64}.{payload_b64}".encode())


@pytest.mark.parametrize(
    ("key_alg", "wrong_alg"),
    [
        ("EdDSA", "ES256"),
        ("ES256", "EdDSA"),
        ("ES256", "Ed25519"),
        ("EdDSA", "none"),
        ("EdDSA", "HS256"),
        ("ES256", "ES384"),
        ("EdDSA", "Ed448"),
        ("EdDSA", "RS256"),
        ("EdDSA", "eddsa"),
        ("EdDSA", ""),
    ],
)
def test_algorithm_must_match_the_key(key_alg, wrong_alg):
    key = SigningKey.generate(key_alg)
    with pytest.raises(DisallowedAlgorithm):
        key.public.verify(wrong_alg, key.sign(MESSAGE), MESSAGE)


def test_only_eddsa_and_es256_are_allowed():
    assert frozenset({"EdDSA", "Ed25519", "ES256"}) == ALLOWED_ALGS


@pytest.mark.parametrize("alg", ["HS256", "RS256", "ES384", "none", "Ed448"])
def test_generating_other_algorithms_is_refused(alg):
    with pytest.raises(DisallowedAlgorithm):
        SigningKey.generate(alg)  # type: ignore[arg-type]


# --- encrypted PEM ---


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_encrypted_pem_round_trip(alg):
    key = SigningKey.generate(alg)
    pem = key.to_encrypted_pem(PASSWORD)
    assert b"ENCRYPTED" in pem
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # not loadable without the password
        serialization.load_pem_private_key(pem, password=None)
    loaded = SigningKey.from_encrypted_pem(pem, PASSWORD)
    assert loaded.kid == key.kid
    assert loaded.alg == alg
    assert key.public.verify(alg, loaded.sign(MESSAGE), MESSAGE)


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_wrong_password_is_refused(alg):
    pem = SigningKey.generate(alg).to_encrypted_pem(PASSWORD)
    with pytest.raises(WrongPassword):
        SigningKey.from_encrypted_pem(pem, b"wrong password")
    with pytest.raises(WrongPassword):
        SigningKey.from_encrypted_pem(pem, b"")


def test_damaged_or_unencrypted_pem_is_refused():
    pem = SigningKey.generate().to_encrypted_pem(PASSWORD)
    with pytest.raises(WrongPassword):
        SigningKey.from_encrypted_pem(pem[:-80] + pem[-40:], PASSWORD)
    with pytest.raises(WrongPassword):
        SigningKey.from_encrypted_pem(b"not a pem", PASSWORD)
    clear = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(WrongPassword):
        SigningKey.from_encrypted_pem(clear, PASSWORD)


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_empty_password_is_refused(alg):
    with pytest.raises(KeyMaterialError) as caught:
        SigningKey.generate(alg).to_encrypted_pem(b"")
    assert not isinstance(caught.value, WrongPassword)


@pytest.mark.parametrize(
    "private",
    [
        lambda: ec.generate_private_key(ec.SECP384R1()),
        lambda: ed448.Ed448PrivateKey.generate(),
        lambda: rsa.generate_private_key(65537, 2048),
    ],
    ids=["P-384", "Ed448", "RSA"],
)
def test_encrypted_pem_of_other_key_types_is_refused(private):
    pem = private().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSWORD),
    )
    with pytest.raises(KeyMaterialError):
        SigningKey.from_encrypted_pem(pem, PASSWORD)


# --- refused key material ---


@pytest.mark.parametrize("vector", [RFC8037, RFC7515_A3], ids=["Ed25519", "P-256"])
def test_private_jwk_is_refused_as_public_key(vector):
    with pytest.raises(KeyMaterialError):
        PublicKey.from_jwk(vector["jwk_private"])


def test_p384_is_refused():
    with pytest.raises(KeyMaterialError):
        SigningKey(ec.generate_private_key(ec.SECP384R1()))
    numbers = ec.generate_private_key(ec.SECP384R1()).public_key().public_numbers()
    p384_jwk = {
        "kty": "EC",
        "crv": "P-384",
        "x": b64url_encode(numbers.x.to_bytes(48, "big")),
        "y": b64url_encode(numbers.y.to_bytes(48, "big")),
    }
    with pytest.raises(KeyMaterialError):
        PublicKey.from_jwk(p384_jwk)
    # The same coordinates labelled P-256 are refused too (wrong length).
    with pytest.raises(KeyMaterialError):
        PublicKey.from_jwk({**p384_jwk, "crv": "P-256"})


ED_X = RFC8037["jwk_public"]["x"]
EC_PUBLIC = RFC7515_A3["jwk_public"]


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "OKP", "crv": "Ed448", "x": ED_X},
        {"kty": "OKP", "crv": "X25519", "x": ED_X},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "OKP", "crv": "Ed25519"},
        {"kty": "OKP", "crv": "Ed25519", "x": ED_X[:-2]},
        {"kty": "OKP", "crv": "Ed25519", "x": ED_X + "="},
        {"kty": "OKP", "crv": "Ed25519", "x": 12345},
        {"crv": "Ed25519", "x": ED_X},
        {**EC_PUBLIC, "y": EC_PUBLIC["x"]},  # not on the curve
        {key: value for key, value in EC_PUBLIC.items() if key != "y"},
        {**EC_PUBLIC, "crv": "secp256k1"},
        {},
    ],
)
def test_unsupported_or_malformed_jwk_is_refused(jwk):
    with pytest.raises(KeyMaterialError):
        PublicKey.from_jwk(jwk)


@pytest.mark.parametrize("value", [None, "jwk", [RFC8037["jwk_public"]]])
def test_non_object_jwk_is_refused(value):
    with pytest.raises(KeyMaterialError):
        PublicKey.from_jwk(value)  # type: ignore[arg-type]


# --- Ed25519 signatures of the wrong length (keys of small order: tests/test_ed25519_points.py) ---


@pytest.mark.parametrize("signature", [b"", bytes(63), bytes(65), bytes(64)])
def test_ed25519_signature_of_wrong_length_or_zero_is_invalid_not_an_error(signature):
    public = PublicKey.from_jwk(RFC8037["jwk_public"])
    assert not public.verify("EdDSA", signature, RFC8037["signing_input"].encode("ascii"))
