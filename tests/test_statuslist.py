"""Token Status List: the draft's vectors, our own signed lists, and hostile input."""

from __future__ import annotations

import json
import random
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from certsvc.credentials.b64 import b64url_decode, b64url_encode
from certsvc.credentials.errors import (
    BadSignature,
    DisallowedAlgorithm,
    DisallowedHeader,
    InputTooLarge,
    Malformed,
    StatusListError,
    UnknownKey,
)
from certsvc.credentials.keys import PublicKey, SigningKey
from certsvc.credentials.statuslist import (
    Status,
    StatusList,
    VerifiedStatusList,
    parse_status_list_token,
    referenced_status,
    sign_status_list,
)

VECTORS = Path(__file__).parent / "vectors"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LIST_URI = "https://provider.example/statuslists/1"
KID_URI = "https://provider.example/keys/1"


def load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


EXAMPLES = load("tsl_status_list_examples.json")["examples"]
APPENDIX_C = load("tsl_test_vectors_appendix_c.json")["cases"]
TOKEN_VECTOR = load("tsl_status_list_token.json")
DRAFT_TOKEN = TOKEN_VECTOR["status_list_token_jwt"]


@pytest.fixture(scope="module")
def es256_key() -> SigningKey:
    return SigningKey.generate("ES256")


@pytest.fixture(scope="module")
def ed25519_key() -> SigningKey:
    return SigningKey.generate()


def lookup_for(key: SigningKey, kid: str = KID_URI):
    return {kid: key.public}.get


def draft_lookup(kid: str) -> PublicKey | None:
    jwk = TOKEN_VECTOR["status_list_signing_key"]["jwk_public"]
    return PublicKey.from_jwk(jwk) if kid == "12" else None


def sign_raw(key: SigningKey, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """Sign arbitrary header/payload JSON, for shapes our own signer never writes."""
    header_b64 = b64url_encode(json.dumps(header).encode())
    payload_b64 = b64url_encode(json.dumps(payload).encode())
    signature = key.sign(f"{header_b64}.{payload_b64}".encode())
    return f"{header_b64}.{payload_b64}.{b64url_encode(signature)}"


def valid_claims(**changes: Any) -> dict[str, Any]:
    claims = {
        "sub": LIST_URI,
        "iat": int(NOW.timestamp()),
        "ttl": 3600,
        "status_list": {"bits": 1, "lst": StatusList(16).encode_lst()},
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


# --- the draft's encoding examples (Section 4.1 / 4.2) -------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e['bits']}-bit")
def test_draft_lst_decodes_to_draft_statuses(example: dict[str, Any]) -> None:
    claim = example["status_list_json"]
    decoded = StatusList.decode(claim["bits"], claim["lst"])
    assert decoded.to_bytes() == bytes.fromhex(example["byte_array_hex"])
    statuses = example["statuses"]
    assert [decoded.get(i) for i in range(len(statuses))] == statuses
    # The byte array rounds up to whole bytes; the padding entries read as VALID.
    assert [decoded.get(i) for i in range(len(statuses), decoded.size)] == [0] * (decoded.size - len(statuses))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e['bits']}-bit")
def test_our_encoding_reproduces_draft_byte_array(example: dict[str, Any]) -> None:
    ours = StatusList.from_statuses(example["statuses"], bits=example["bits"])
    assert ours.to_bytes() == bytes.fromhex(example["byte_array_hex"])
    # Compressed bytes may differ between zlib builds; what must match is what they inflate to.
    assert zlib.decompress(b64url_decode(ours.encode_lst())) == ours.to_bytes()
    assert ours.to_claim()["bits"] == example["bits"]


def test_status_values() -> None:
    assert (Status.VALID, Status.INVALID, Status.SUSPENDED) == (0, 1, 2)


# --- Appendix C: 2**20 entries at 1, 2, 4 and 8 bits ---------------------------------


@pytest.mark.parametrize("case", APPENDIX_C, ids=lambda c: f"{c['bits']}-bit")
def test_appendix_c_large_lists(case: dict[str, Any]) -> None:
    claim = case["status_list_json"]
    decoded = StatusList.decode(claim["bits"], claim["lst"])
    assert decoded.size == case["size_entries"] == 2**20
    expected = dict(case["set_statuses_in_listing_order"])  # last listed value wins
    for idx, value in expected.items():
        assert decoded.get(idx) == value, idx
    others = sorted(set(range(decoded.size)) - expected.keys())
    for idx in [*random.Random(case["bits"]).sample(others, 5000), others[-1]]:
        assert decoded.get(idx) == Status.VALID, idx
    # Whole-list check: setting the listed statuses on an empty list gives the same bytes.
    ours = StatusList(decoded.size, case["bits"])
    for idx, value in expected.items():
        ours.set(idx, value)
    assert ours.to_bytes() == decoded.to_bytes()


# --- StatusList behaviour ------------------------------------------------------------


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_round_trip_set_encode_decode(bits: int) -> None:
    rng = random.Random(bits)
    statuses = [rng.randrange(2**bits) for _ in range(1001)]
    original = StatusList(len(statuses), bits)
    for idx, value in enumerate(statuses):
        original.set(idx, value)
    decoded = StatusList.decode(bits, original.encode_lst())
    assert [decoded.get(i) for i in range(len(statuses))] == statuses
    assert decoded.to_bytes() == original.to_bytes()


def test_set_overwrites_only_its_own_entry() -> None:
    status_list = StatusList.from_statuses([3, 3, 3, 3], bits=2)
    status_list.set(1, Status.VALID)
    status_list.set(2, Status.SUSPENDED)
    assert [status_list.get(i) for i in range(4)] == [3, 0, 2, 3]


@pytest.mark.parametrize("idx", [16, 17, 10**9, -1])
def test_get_outside_the_list_is_a_clear_error(idx: int) -> None:
    with pytest.raises(StatusListError) as info:
        StatusList(16).get(idx)
    assert info.value.code == "status_list_invalid"
    assert info.value.data["reason"] == "index_out_of_range"


@pytest.mark.parametrize(("bits", "value"), [(1, 2), (2, 4), (8, 256), (1, -1), (1, True)])
def test_set_refuses_values_that_do_not_fit(bits: int, value: int) -> None:
    with pytest.raises(StatusListError):
        StatusList(8, bits).set(0, value)


@pytest.mark.parametrize("bits", [0, 3, 16, True, "1"])
def test_unsupported_bits_refused(bits: Any) -> None:
    with pytest.raises(StatusListError):
        StatusList(8, bits)
    with pytest.raises(StatusListError):
        StatusList.decode(bits, StatusList(8).encode_lst())


# --- hostile lst values --------------------------------------------------------------


def _zlib(data: bytes) -> str:
    return b64url_encode(zlib.compress(data))


GARBAGE_LST = [
    pytest.param("", Malformed, id="empty"),
    pytest.param(None, Malformed, id="not-a-string"),
    pytest.param("not base64!", Malformed, id="not-base64url"),
    pytest.param("eNrbuRgAAhcBXQ==", Malformed, id="padded"),
    pytest.param(b64url_encode(b"just some bytes"), Malformed, id="not-zlib"),
    pytest.param(b64url_encode(zlib.compress(b"\x01" * 64)[:-6]), Malformed, id="truncated"),
    pytest.param(_zlib(b"\x01") + "AA", Malformed, id="trailing-data"),
    pytest.param(_zlib(b""), Malformed, id="empty-list"),
    pytest.param(b64url_encode(zlib.compress(b"\x00" * 100, wbits=-15)), Malformed, id="raw-deflate"),
]


@pytest.mark.parametrize(("unverified_lst", "error"), GARBAGE_LST)
def test_garbage_lst_gives_our_error(unverified_lst: Any, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        StatusList.decode(1, unverified_lst)
    assert info.value.code == "malformed"


@pytest.fixture(scope="module")
def zlib_bomb_lst() -> str:
    """100 MiB of zeros, compressed to about 100 KiB."""
    compressor = zlib.compressobj(9)
    chunk = bytes(2**20)
    parts = [compressor.compress(chunk) for _ in range(100)]
    parts.append(compressor.flush())
    return b64url_encode(b"".join(parts))


def test_zlib_bomb_is_refused_quickly(zlib_bomb_lst: str) -> None:
    assert len(zlib_bomb_lst) < 200_000
    started = time.perf_counter()
    with pytest.raises(InputTooLarge) as info:
        StatusList.decode(8, zlib_bomb_lst)
    assert time.perf_counter() - started < 2.0  # inflates at most 16 MiB, not 100 MiB
    assert info.value.code == "input_too_large"
    assert info.value.data["limit"] == 2**24


def test_max_entries_is_configurable() -> None:
    lst = StatusList(1024, bits=1).encode_lst()  # 128 bytes
    assert StatusList.decode(1, lst, max_entries=1024).size == 1024
    with pytest.raises(InputTooLarge):
        StatusList.decode(1, lst, max_entries=1016)
    with pytest.raises(InputTooLarge):
        StatusList.decode(8, lst, max_entries=127)


def test_overlong_lst_text_refused_before_decoding() -> None:
    with pytest.raises(InputTooLarge):
        StatusList.decode(1, "A" * 5000, max_entries=8)


# --- the draft's signed status list token (Section 5.1) ------------------------------


def test_draft_token_header_has_only_members_we_allow() -> None:
    header = json.loads(b64url_decode(DRAFT_TOKEN["jws"].split(".")[0]))
    assert header == DRAFT_TOKEN["expected_header"]
    # Had the draft added e.g. "cty", our parser would refuse the token (see the header test below).
    assert set(header) == {"alg", "kid", "typ"}


def test_draft_token_verifies_with_its_jwk() -> None:
    verified = parse_status_list_token(DRAFT_TOKEN["jws"], draft_lookup, now=NOW)
    expected = DRAFT_TOKEN["expected"]
    assert isinstance(verified, VerifiedStatusList)
    assert verified.uri == expected["sub"]
    assert verified.issued_at == datetime.fromtimestamp(expected["iat"], UTC)
    assert verified.expires_at == datetime.fromtimestamp(expected["exp"], UTC)
    assert verified.ttl == expected["ttl"]
    statuses = {int(i): v for i, v in DRAFT_TOKEN["expected_statuses"].items()}
    assert {i: verified.status_list.get(i) for i in statuses} == statuses


def test_draft_referenced_token_resolves_against_draft_list() -> None:
    payload = TOKEN_VECTOR["referenced_token_jwt_decoded_example"]["payload"]
    uri, idx = referenced_status(payload)
    verified = parse_status_list_token(DRAFT_TOKEN["jws"], draft_lookup, now=NOW)
    assert verified.status_of(uri, idx) == Status.INVALID
    with pytest.raises(StatusListError) as info:
        verified.status_of("https://example.com/statuslists/2", idx)
    assert info.value.data["reason"] == "uri_mismatch"


def test_draft_token_tampered_payload_fails() -> None:
    header_b64, _, signature_b64 = DRAFT_TOKEN["jws"].split(".")
    payload = dict(DRAFT_TOKEN["expected_payload"])
    payload["status_list"] = {"bits": 1, "lst": StatusList(16).encode_lst()}  # "un-revoke" all
    forged = f"{header_b64}.{b64url_encode(json.dumps(payload).encode())}.{signature_b64}"
    with pytest.raises(BadSignature):
        parse_status_list_token(forged, draft_lookup, now=NOW)


def test_draft_token_tampered_signature_fails() -> None:
    header_b64, payload_b64, signature_b64 = DRAFT_TOKEN["jws"].split(".")
    signature = bytearray(b64url_decode(signature_b64))
    signature[10] ^= 0x01
    forged = f"{header_b64}.{payload_b64}.{b64url_encode(bytes(signature))}"
    with pytest.raises(BadSignature):
        parse_status_list_token(forged, draft_lookup, now=NOW)


def test_draft_token_after_its_exp_is_expired() -> None:
    exp = datetime.fromtimestamp(DRAFT_TOKEN["expected"]["exp"], UTC)
    with pytest.raises(StatusListError) as info:
        parse_status_list_token(DRAFT_TOKEN["jws"], draft_lookup, now=exp)
    assert info.value.data["reason"] == "expired"
    parse_status_list_token(DRAFT_TOKEN["jws"], draft_lookup, now=exp - timedelta(seconds=1))


def test_draft_token_unknown_kid_fails() -> None:
    with pytest.raises(UnknownKey) as info:
        parse_status_list_token(DRAFT_TOKEN["jws"], lambda kid: None, now=NOW)
    assert info.value.data["kid"] == "12"


def test_draft_token_under_another_key_fails(es256_key: SigningKey) -> None:
    with pytest.raises(BadSignature):
        parse_status_list_token(DRAFT_TOKEN["jws"], lambda kid: es256_key.public, now=NOW)


def test_draft_token_under_key_of_other_type_fails(ed25519_key: SigningKey) -> None:
    with pytest.raises(DisallowedAlgorithm):
        parse_status_list_token(DRAFT_TOKEN["jws"], lambda kid: ed25519_key.public, now=NOW)


# --- our own status list tokens ------------------------------------------------------


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_sign_and_parse_round_trip(alg: str) -> None:
    key = SigningKey.generate(alg)
    status_list = StatusList(2**16, bits=2)
    status_list.set(7, Status.INVALID)
    status_list.set(40_000, Status.SUSPENDED)
    expires_at = NOW + timedelta(days=1)
    token = sign_status_list(status_list, key, KID_URI, LIST_URI, NOW, 3600, expires_at=expires_at)
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header == {"alg": alg, "kid": KID_URI, "typ": "statuslist+jwt"}
    claims = json.loads(b64url_decode(token.split(".")[1]))
    assert set(claims) == {"sub", "iat", "exp", "ttl", "status_list"}
    assert claims["status_list"] == {"bits": 2, "lst": status_list.encode_lst()}

    verified = parse_status_list_token(token, lookup_for(key), now=NOW + timedelta(hours=1))
    assert (verified.uri, verified.issued_at, verified.ttl) == (LIST_URI, NOW, 3600)
    assert verified.expires_at == expires_at
    assert verified.status_of(LIST_URI, 7) == Status.INVALID
    assert verified.status_of(LIST_URI, 40_000) == Status.SUSPENDED
    assert verified.status_of(LIST_URI, 8) == Status.VALID


def test_token_without_exp(ed25519_key: SigningKey) -> None:
    token = sign_status_list(StatusList(8), ed25519_key, KID_URI, LIST_URI, NOW, 60)
    assert "exp" not in json.loads(b64url_decode(token.split(".")[1]))
    far_future = NOW + timedelta(days=3650)
    assert parse_status_list_token(token, lookup_for(ed25519_key), now=far_future).expires_at is None


def test_our_expired_token_fails(ed25519_key: SigningKey) -> None:
    token = sign_status_list(
        StatusList(8), ed25519_key, KID_URI, LIST_URI, NOW, 60, expires_at=NOW + timedelta(hours=1)
    )
    with pytest.raises(StatusListError) as info:
        parse_status_list_token(token, lookup_for(ed25519_key), now=NOW + timedelta(hours=2))
    assert info.value.data["reason"] == "expired"


def test_wrong_typ_fails(ed25519_key: SigningKey) -> None:
    header = {"alg": "EdDSA", "kid": KID_URI, "typ": "JWT"}
    token = sign_raw(ed25519_key, header, valid_claims())
    with pytest.raises(DisallowedHeader) as info:
        parse_status_list_token(token, lookup_for(ed25519_key), now=NOW)
    assert info.value.data["reason"] == "typ"


@pytest.mark.parametrize("extra", [{"cty": "json"}, {"jwk": {"kty": "OKP"}}, {"x5c": ["AA"]}])
def test_header_with_other_members_is_refused(ed25519_key: SigningKey, extra: dict[str, Any]) -> None:
    header = {"alg": "EdDSA", "kid": KID_URI, "typ": "statuslist+jwt", **extra}
    token = sign_raw(ed25519_key, header, valid_claims())
    with pytest.raises(DisallowedHeader):
        parse_status_list_token(token, lookup_for(ed25519_key), now=NOW)


def test_unknown_kid_fails(ed25519_key: SigningKey) -> None:
    token = sign_status_list(StatusList(8), ed25519_key, KID_URI, LIST_URI, NOW, 60)
    with pytest.raises(UnknownKey):
        parse_status_list_token(token, lookup_for(ed25519_key, kid="https://other.example/k"), now=NOW)


def test_naive_now_refused(ed25519_key: SigningKey) -> None:
    token = sign_status_list(StatusList(8), ed25519_key, KID_URI, LIST_URI, NOW, 60)
    with pytest.raises(StatusListError):
        parse_status_list_token(token, lookup_for(ed25519_key), now=datetime(2026, 5, 1))


def test_zlib_bomb_in_signed_token_is_refused(ed25519_key: SigningKey, zlib_bomb_lst: str) -> None:
    claims = valid_claims(status_list={"bits": 1, "lst": zlib_bomb_lst})
    token = sign_raw(ed25519_key, {"alg": "EdDSA", "kid": KID_URI, "typ": "statuslist+jwt"}, claims)
    with pytest.raises(InputTooLarge):
        parse_status_list_token(token, lookup_for(ed25519_key), now=NOW)


BAD_CLAIMS = [
    pytest.param({"sub": None}, id="no-sub"),
    pytest.param({"sub": 5}, id="sub-not-string"),
    pytest.param({"iat": None}, id="no-iat"),
    pytest.param({"iat": "2026-05-01"}, id="iat-string"),
    pytest.param({"iat": True}, id="iat-bool"),
    pytest.param({"exp": float("nan")}, id="exp-nan"),
    pytest.param({"exp": 10**30}, id="exp-out-of-range"),
    pytest.param({"ttl": 0}, id="ttl-zero"),
    pytest.param({"ttl": "60"}, id="ttl-string"),
    pytest.param({"status_list": None}, id="no-status-list"),
    pytest.param({"status_list": "eNrbuRgAAhcBXQ"}, id="status-list-not-object"),
    pytest.param({"status_list": {"bits": 3, "lst": "eNrbuRgAAhcBXQ"}}, id="bits-3"),
    pytest.param({"status_list": {"bits": True, "lst": "eNrbuRgAAhcBXQ"}}, id="bits-bool"),
    pytest.param({"status_list": {"bits": 1}}, id="no-lst"),
    pytest.param({"status_list": {"bits": 1, "lst": "garbage!"}}, id="lst-garbage"),
]


@pytest.mark.parametrize("changes", BAD_CLAIMS)
def test_malformed_claims_in_signed_token(ed25519_key: SigningKey, changes: dict[str, Any]) -> None:
    token = sign_raw(
        ed25519_key,
        {"alg": "EdDSA", "kid": KID_URI, "typ": "statuslist+jwt"},
        valid_claims(**changes),
    )
    with pytest.raises(Malformed):
        parse_status_list_token(token, lookup_for(ed25519_key), now=NOW)


def test_sign_refuses_bad_arguments(ed25519_key: SigningKey) -> None:
    with pytest.raises(StatusListError):
        sign_status_list(StatusList(8), ed25519_key, KID_URI, LIST_URI, NOW, ttl_seconds=0)
    with pytest.raises(StatusListError):
        sign_status_list(StatusList(8), ed25519_key, KID_URI, LIST_URI, datetime(2026, 5, 1), 60)


# --- the credential's status claim ---------------------------------------------------


def test_referenced_status_reads_the_claim() -> None:
    payload = {"status": {"status_list": {"idx": 42, "uri": LIST_URI}}}
    assert referenced_status(payload) == (LIST_URI, 42)


@pytest.mark.parametrize("payload", [{}, {"status": {"other_mechanism": {}}}])
def test_referenced_status_absent(payload: dict[str, Any]) -> None:
    assert referenced_status(payload) is None


@pytest.mark.parametrize(
    "status",
    [
        "https://x",
        {"status_list": [0, "https://x"]},
        {"status_list": {"idx": -1, "uri": LIST_URI}},
        {"status_list": {"idx": "3", "uri": LIST_URI}},
        {"status_list": {"idx": 1.0, "uri": LIST_URI}},
        {"status_list": {"idx": True, "uri": LIST_URI}},
        {"status_list": {"idx": 3}},
        {"status_list": {"idx": 3, "uri": ""}},
        {"status_list": {"idx": 3, "uri": ["https://x"]}},
    ],
)
def test_referenced_status_malformed(status: Any) -> None:
    with pytest.raises(Malformed):
        referenced_status({"status": status})


# --- PyJWT, the signer and the assigned count ------------------------------------------


def test_pyjwt_reads_our_status_list(ed25519_key: SigningKey) -> None:
    import jwt

    token = sign_status_list(StatusList(16, bits=2), ed25519_key, KID_URI, LIST_URI, NOW, ttl_seconds=600)
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": KID_URI, "typ": "statuslist+jwt"}
    claims = jwt.decode(token, ed25519_key.public.jose_key, algorithms=["EdDSA"], options={"verify_iat": False})
    assert claims["sub"] == LIST_URI and claims["status_list"]["bits"] == 2


def test_the_verified_list_names_its_signer_and_the_assigned_count(ed25519_key: SigningKey) -> None:
    token = sign_status_list(StatusList(16), ed25519_key, KID_URI, LIST_URI, NOW, ttl_seconds=600, assigned=5)
    verified = parse_status_list_token(token, lookup_for(ed25519_key), NOW)
    assert verified.signer == KID_URI
    assert verified.assigned == 5
    assert [verified.was_assigned(i) for i in (0, 4, 5, 15)] == [True, True, False, False]
    assert verified.fresh_until() == NOW + timedelta(seconds=600)


def test_without_the_assigned_claim_nothing_is_said(ed25519_key: SigningKey) -> None:
    token = sign_status_list(StatusList(16), ed25519_key, KID_URI, LIST_URI, NOW, ttl_seconds=600)
    verified = parse_status_list_token(token, lookup_for(ed25519_key), NOW)
    assert verified.assigned is None and verified.was_assigned(3) is None


@pytest.mark.parametrize("assigned", [-1, 17, "3", True, 2.5])
def test_a_bad_assigned_claim_is_refused(ed25519_key: SigningKey, assigned: Any) -> None:
    token = sign_raw(
        ed25519_key, {"alg": "EdDSA", "kid": KID_URI, "typ": "statuslist+jwt"}, valid_claims(assigned=assigned)
    )
    with pytest.raises(Malformed):
        parse_status_list_token(token, lookup_for(ed25519_key), NOW)
    if not isinstance(assigned, str | float | bool):
        with pytest.raises(StatusListError):
            sign_status_list(StatusList(16), ed25519_key, KID_URI, LIST_URI, NOW, ttl_seconds=60, assigned=assigned)


@pytest.mark.parametrize("claim", ["sub", "iat", "status_list"])
def test_pyjwt_requires_the_claims(ed25519_key: SigningKey, claim: str) -> None:
    token = sign_raw(
        ed25519_key, {"alg": "EdDSA", "kid": KID_URI, "typ": "statuslist+jwt"}, valid_claims(**{claim: None})
    )
    with pytest.raises(Malformed):
        parse_status_list_token(token, lookup_for(ed25519_key), NOW)


def test_a_ttl_beyond_the_year_9999_never_ends(ed25519_key: SigningKey) -> None:
    token = sign_raw(ed25519_key, {"alg": "EdDSA", "kid": KID_URI, "typ": "statuslist+jwt"}, valid_claims(ttl=10**30))
    verified = parse_status_list_token(token, lookup_for(ed25519_key), NOW)
    assert verified.fresh_until() is None
