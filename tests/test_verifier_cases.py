"""The verification pipeline against valid baselines and a table of tampered, forged and malformed inputs."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import random
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import jwt
import pytest
from conftest import BASE, ISSUED, NOW, VERIFY_URL, World

from certsvc.credentials.b64 import b64url_decode, b64url_encode
from certsvc.credentials.cosigned import CoSignedCredential, Signature, sign_credential
from certsvc.credentials.errors import CertsvcError, InputTooLarge, QRDecodeError
from certsvc.credentials.jws import header_bytes
from certsvc.credentials.keys import PublicKey, SigningKey
from certsvc.credentials.openbadge import encode_payload
from certsvc.credentials.statuslist import (
    Status,
    StatusList,
    VerifiedStatusList,
    parse_status_list_token,
    sign_status_list,
)
from certsvc.credentials.trustlist import Accreditation, KeyState, Organisation, OrgKind, TrustedKey, TrustList
from certsvc.demo.world import status_uri
from certsvc.qr.transport import FORMAT_VERSION, MAX_DIGITS, decode_bytes, encode_qr_text
from verifier.inputs import MAX_INPUT_CHARS, read_credential
from verifier.issued import IssuedRecord, RecordLookup
from verifier.pipeline import verify
from verifier.reasons import INVALIDATING, Reason
from verifier.result import Verdict

_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
WELDING_RECOGNITION = "Recognised in the Philippines as Shielded Metal Arc Welding NC II (PQF level 2) by TESDA."

# --- building inputs --------------------------------------------------------------------------


def _compacts(credential: CoSignedCredential) -> str:
    return "\n".join(credential.compacts())


def _payload(credential: CoSignedCredential) -> dict[str, Any]:
    return json.loads(credential.payload)


def _provider_kid(w: World) -> str:
    return w.ph.provider.kid_uri(BASE)


def _embassy_kid(w: World) -> str:
    return w.ph.embassy.kid_uri(BASE)


def _sign_raw(protected: bytes, payload: bytes, key: SigningKey) -> str:
    """A compact JWS over any header bytes, signed with a real key."""
    signing_input = f"{b64url_encode(protected)}.{b64url_encode(payload)}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode('ascii')))}"


def _with_header(w: World, header: Mapping[str, Any]) -> str:
    """A co-signed credential whose provider signature has ``header``, signed by the provider's key."""
    credential = w.credential()
    protected = json.dumps(dict(header), separators=(",", ":")).encode()
    return _sign_raw(protected, credential.payload, w.ph.provider.key) + "\n" + credential.compact(1)


def _header_plus(w: World, **members: Any) -> str:
    return _with_header(w, {"alg": "EdDSA", "kid": _provider_kid(w), "typ": "JWT", **members})


def _alg(name: str) -> Callable[[World], str]:
    return lambda w: _with_header(w, {"alg": name, "kid": _provider_kid(w), "typ": "JWT"})


def _hs256_with_public_key(w: World) -> str:
    """The classic confusion: HMAC keyed with the provider's public key bytes."""
    credential = w.credential()
    protected = header_bytes("HS256", _provider_kid(w))
    signing_input = f"{b64url_encode(protected)}.{credential.payload_b64}"
    secret = b64url_decode(w.ph.provider.key.public.jwk["x"])
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url_encode(mac)}\n{credential.compact(1)}"


def _resigned(w: World, change: Callable[[dict[str, Any]], None], cosign: bool = True) -> CoSignedCredential:
    """A credential whose payload ``change`` edited, then signed again by the real provider (and embassy)."""
    payload = _payload(w.credential())
    change(payload)
    credential = sign_credential(encode_payload(payload), w.ph.provider.key, _provider_kid(w))
    return credential.with_cosignature(w.ph.embassy.key, _embassy_kid(w)) if cosign else credential


def _edited_payload(old: str, new: str) -> Callable[[World], str]:
    """Replace text in the payload bytes, keeping both original signatures."""

    def build(w: World) -> str:
        credential = w.credential()
        assert old.encode() in credential.payload
        payload = credential.payload.replace(old.encode(), new.encode(), 1)
        return _compacts(CoSignedCredential(payload, credential.signatures))

    return build


def _change_name(w: World) -> str:
    return _edited_payload('"name":"Maria', '"name":"Mario')(w)


def _unpaired_surrogate_resigned(w: World) -> str:
    """A name with a JSON escape of half a character (``\\ud800``), signed by the real provider and embassy."""
    payload = w.credential().payload
    assert b'"name":"Maria' in payload
    edited = payload.replace(b'"name":"Maria', b'"name":"\\ud800Maria', 1)
    credential = sign_credential(edited, w.ph.provider.key, _provider_kid(w))
    return _compacts(credential.with_cosignature(w.ph.embassy.key, _embassy_kid(w)))


def _flip_signature(index: int) -> Callable[[World], str]:
    def build(w: World) -> str:
        credential = w.credential()
        sigs = list(credential.signatures)
        value = bytearray(sigs[index].value)
        value[10] ^= 0x01
        sigs[index] = Signature(sigs[index].protected, bytes(value))
        return _compacts(CoSignedCredential(credential.payload, tuple(sigs)))

    return build


def _truncated_signature(w: World) -> str:
    credential = w.credential()
    provider, embassy = credential.signatures
    truncated = Signature(provider.protected, provider.value[:-1])
    return _compacts(CoSignedCredential(credential.payload, (truncated, embassy)))


def _cosigned_by(key: Callable[[World], SigningKey], kid: Callable[[World], str]) -> Callable[[World], str]:
    return lambda w: _compacts(w.credential(cosign=False).with_cosignature(key(w), kid(w)))


def _cosignature_of_other_payload(w: World) -> str:
    return w.credential().compact(0) + "\n" + w.credential().compact(1)


def _cosignature_of_other_payload_in_file(w: World) -> str:
    credential, other = w.credential(), w.credential()
    return CoSignedCredential(credential.payload, (credential.signatures[0], other.signatures[1])).to_json()


def _swapped_signatures(w: World) -> str:
    provider, embassy = w.credential().compacts()
    return f"{embassy}\n{provider}"


def _unknown_provider_key(w: World) -> str:
    fresh = SigningKey.generate()
    payload = w.credential().payload
    credential = sign_credential(payload, fresh, w.ph.provider.org_id(BASE) + "#k2")
    return _compacts(credential.with_cosignature(w.ph.embassy.key, _embassy_kid(w)))


def _es256_under_eddsa_kid(w: World) -> str:
    """An ES256 signature by a fresh key that names the provider's Ed25519 key."""
    fresh = SigningKey.generate("ES256")
    credential = w.credential()
    return _sign_raw(header_bytes("ES256", _provider_kid(w)), credential.payload, fresh) + "\n" + credential.compact(1)


def _issuer_mismatch(w: World) -> str:
    other = w.corridors[1].provider.org_id(BASE)

    def claim_other_issuer(payload: dict[str, Any]) -> None:
        payload["issuer"] = payload["iss"] = other

    return _compacts(_resigned(w, claim_other_issuer))


def _set(member: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        payload[member] = value

    return change


def _resigned_with(member: str, value: Callable[[dict[str, Any]], Any]) -> Callable[[World], str]:
    def build(w: World) -> str:
        return _compacts(_resigned(w, lambda p: p.__setitem__(member, value(p))))

    return build


def _nationality(country: str) -> Callable[[World], str]:
    def change(payload: dict[str, Any]) -> None:
        payload["credentialSubject"]["nationality"] = country

    return lambda w: _compacts(_resigned(w, change))


def _qr_bytes(w: World, credential: CoSignedCredential | None = None) -> bytes:
    digits = w.qr_text(credential or w.credential()).rpartition("#")[2]
    number = int(digits)
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def _qr_of_bytes(data: bytes) -> str:
    return f"{VERIFY_URL.upper()}#{int.from_bytes(data, 'big')}"


def _deflate_bomb() -> bytes:
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    return bomb.compress(b"a" * 1_000_000) + bomb.flush()


def _deflate_offset(data: bytes) -> int:
    """Where the DEFLATE stream starts in QR transport bytes, found without knowing the layout.

    Only with the prefix cut exactly there does a DEFLATE bomb put in place of the stream
    reach the inflater (and its size limit); any other cut is malformed before or during it.
    """
    bomb = _deflate_bomb()
    for offset in range(2, len(data)):
        try:
            decode_bytes(data[:offset] + bomb, BASE)
        except InputTooLarge:
            return offset
        except QRDecodeError:
            continue
    raise AssertionError("no DEFLATE stream found")


def _qr_corrupt_deflate(w: World) -> str:
    data = _qr_bytes(w)
    offset = _deflate_offset(data)
    # 0xFF starts a final block of the reserved type 3: no inflater accepts it.
    return _qr_of_bytes(data[:offset] + b"\xff" + data[offset + 1 :])


def _qr_deflate_bomb(w: World) -> str:
    data = _qr_bytes(w)
    return _qr_of_bytes(data[: _deflate_offset(data)] + _deflate_bomb())


def _qr_truncated_bytes(w: World) -> str:
    return _qr_of_bytes(_qr_bytes(w)[:-20])


def _qr_random_bytes(w: World) -> str:
    return _qr_of_bytes(bytes([FORMAT_VERSION]) + random.Random(7).randbytes(300))


def _qr_version(version: int) -> Callable[[World], str]:
    return lambda w: _qr_of_bytes(bytes([version]) + _qr_bytes(w)[1:])


def _qr_digits(edit: Callable[[str], str]) -> Callable[[World], str]:
    def build(w: World) -> str:
        prefix, _, digits = w.qr_text(w.credential()).rpartition("#")
        return f"{prefix}#{edit(digits)}"

    return build


def _qr_flipped_signature(w: World) -> str:
    credential = w.credential()
    provider, embassy = credential.signatures
    flipped = Signature(provider.protected, bytes([provider.value[0] ^ 0x80]) + provider.value[1:])
    return w.qr_text(CoSignedCredential(credential.payload, (flipped, embassy)))


def _qr_alg_none(w: World) -> str:
    credential = w.credential()
    provider, embassy = credential.signatures
    protected = json.dumps({"alg": "none", "kid": _provider_kid(w), "typ": "JWT"}, separators=(",", ":"))
    forged = Signature(protected.encode(), provider.value)
    return w.qr_text(CoSignedCredential(credential.payload, (forged, embassy)))


def _file_with_third_signature(w: World) -> str:
    document = json.loads(w.credential().to_json())
    document["signatures"].append(document["signatures"][1])
    return json.dumps(document)


def _file_with_unprotected_header(w: World) -> str:
    document = json.loads(w.credential().to_json())
    document["signatures"][0]["header"] = {"kid": _provider_kid(w)}
    return json.dumps(document)


def _duplicate_header_member(w: World) -> str:
    credential = w.credential()
    kid = _provider_kid(w)
    protected = f'{{"alg":"EdDSA","alg":"EdDSA","kid":"{kid}","typ":"JWT"}}'.encode()
    return _sign_raw(protected, credential.payload, w.ph.provider.key) + "\n" + credential.compact(1)


def _non_canonical_base64url(w: World) -> str:
    provider, embassy = w.credential().compacts()
    head, _, signature = provider.rpartition(".")
    # 64 signature bytes leave 4 unused bits in the last character: set one of them.
    last = _B64URL.index(signature[-1])
    assert last & 0x0F == 0
    tampered = signature[:-1] + _B64URL[last | 1]
    assert base64.urlsafe_b64decode(tampered + "==") == b64url_decode(signature)  # same bytes, other text
    return f"{head}.{tampered}\n{embassy}"


def _non_json_payload(w: World) -> str:
    return _compacts(sign_credential(b"not json at all", w.ph.provider.key, _provider_kid(w)))


def _array_payload(w: World) -> str:
    return _compacts(sign_credential(b"[1,2,3]", w.ph.provider.key, _provider_kid(w)))


def _non_utf8_header(w: World) -> str:
    credential = w.credential()
    return _sign_raw(b'{"alg":"EdDSA","kid":"\xff","typ":"JWT"}', credential.payload, w.ph.provider.key)


# --- trust lists, status lists and clocks for the cases that need other ones -----------------


def _ph(w: World) -> TrustList:
    return w.trust_lists[0]


def _with_provider(w: World, change: Callable[[Organisation], Organisation]) -> list[TrustList]:
    trust_list = _ph(w)
    organisations = tuple(change(o) if o.kind is OrgKind.PROVIDER else o for o in trust_list.organisations)
    return [dataclasses.replace(trust_list, organisations=organisations), *w.trust_lists[1:]]


def _provider_key(**changes: Any) -> Callable[[World], list[TrustList]]:
    def trust(w: World) -> list[TrustList]:
        return _with_provider(
            w, lambda o: dataclasses.replace(o, keys=tuple(dataclasses.replace(k, **changes) for k in o.keys))
        )

    return trust


#: The neutral point of Ed25519 as a public key, and the "signature" that passes for every message
#: under it in OpenSSL's check (R the neutral point, S = 0): no private key is needed to make it.
_NEUTRAL_POINT = b"\x01" + bytes(31)
_NEUTRAL_KID = "#neutral"


def _neutral_provider_key(w: World) -> list[TrustList]:
    """The provider also lists the neutral point as a key (a broken tool could write one)."""
    public = PublicKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(_NEUTRAL_POINT)})
    neutral = TrustedKey(w.ph.provider.org_id(BASE) + _NEUTRAL_KID, public, not_before=ISSUED - timedelta(days=1))
    return _with_provider(w, lambda o: dataclasses.replace(o, keys=(*o.keys, neutral)))


def _neutral_key_forgery(w: World) -> str:
    """A credential "signed" under the neutral key without any private key, then co-signed for real."""
    header = header_bytes("EdDSA", w.ph.provider.org_id(BASE) + _NEUTRAL_KID)
    forged = CoSignedCredential(w.credential().payload, (Signature(header, _NEUTRAL_POINT + bytes(32)),))
    return w.qr_text(forged.with_cosignature(w.ph.embassy.key, _embassy_kid(w)))


def _accreditations(*accreditations: Callable[[World], Accreditation]) -> Callable[[World], list[TrustList]]:
    def trust(w: World) -> list[TrustList]:
        return _with_provider(w, lambda o: dataclasses.replace(o, accreditations=tuple(a(w) for a in accreditations)))

    return trust


def _welding_id(w: World) -> str:
    return w.ph.qualifications[0][0].id


def _pinned_qr(w: World) -> str:
    """A QR text pinned to the PH trust list's catalogue entry, as the service prints it."""
    return encode_qr_text(w.credential(), VERIFY_URL, w.trust_lists)


def _ph_without_catalogue(w: World) -> list[TrustList]:
    return [dataclasses.replace(t, catalogue=()) if t.country == "PH" else t for t in w.trust_lists]


def _no_equivalences(w: World) -> list[TrustList]:
    return [dataclasses.replace(_ph(w), equivalences=()), *w.trust_lists[1:]]


def _embassy_key_compromised(w: World) -> list[TrustList]:
    trust_list = _ph(w)

    def compromise(org: Organisation) -> Organisation:
        if org.kind is not OrgKind.EMBASSY:
            return org
        keys = tuple(dataclasses.replace(k, compromised_since=NOW - timedelta(days=1)) for k in org.keys)
        return dataclasses.replace(org, keys=keys)

    return [dataclasses.replace(trust_list, organisations=tuple(map(compromise, trust_list.organisations)))]


def _ph_lists_mm_embassy(w: World) -> list[TrustList]:
    """A PH trust list that also (wrongly, or for another purpose) lists Myanmar's embassy."""
    mm_embassy = w.corridors[1].embassy
    org = Organisation(
        mm_embassy.org_id(BASE),
        mm_embassy.name,
        OrgKind.EMBASSY,
        "MM",
        (TrustedKey(mm_embassy.kid_uri(BASE), mm_embassy.key.public, not_before=ISSUED - timedelta(days=90)),),
        "SG",
    )
    trust_list = _ph(w)
    return [dataclasses.replace(trust_list, organisations=(*trust_list.organisations, org))]


def _without_ph(w: World) -> list[TrustList]:
    return [t for t in w.trust_lists if t.country != "PH"]


def _with_embassy(w: World, change: Callable[[Organisation], Organisation]) -> list[TrustList]:
    trust_list = _ph(w)
    organisations = tuple(change(o) if o.kind is OrgKind.EMBASSY else o for o in trust_list.organisations)
    return [dataclasses.replace(trust_list, organisations=organisations), *w.trust_lists[1:]]


def _embassy_key(**changes: Any) -> Callable[[World], list[TrustList]]:
    def trust(w: World) -> list[TrustList]:
        return _with_embassy(
            w, lambda o: dataclasses.replace(o, keys=tuple(dataclasses.replace(k, **changes) for k in o.keys))
        )

    return trust


def _embassy_host(country: str | None) -> Callable[[World], list[TrustList]]:
    return lambda w: _with_embassy(w, lambda o: dataclasses.replace(o, host_country=country))


def _newer_ph_list_with_compromised_provider_key(w: World) -> list[TrustList]:
    """Given first, the old PH list (seq 1); later, seq 2, where the provider's key was compromised."""
    (newer, *_rest) = _provider_key(compromised_since=ISSUED - timedelta(days=1))(w)
    return [_ph(w), dataclasses.replace(newer, sequence=2), *w.trust_lists[1:]]


def _ph_status_list(
    w: World,
    key: SigningKey | None = None,
    kid: str | None = None,
    issued_at: datetime = NOW,
    ttl: int = 3600,
    assigned: int | None = None,
    statuses: Mapping[int, int] | None = None,
) -> dict[str, VerifiedStatusList]:
    """The PH provider's list at its usual URI, signed by ``key`` (the provider's by default)."""
    key = key or w.ph.provider.key
    kid = kid or _provider_kid(w)
    status_list = StatusList(1024, bits=2)
    for idx, value in (statuses or {}).items():
        status_list.set(idx, value)
    uri = status_uri(w.ph, BASE)
    token = sign_status_list(status_list, key, kid, uri, issued_at, ttl_seconds=ttl, assigned=assigned)
    verified = parse_status_list_token(token, {kid: key.public}.get, min(issued_at, NOW))
    return {**w.status_lists, uri: verified}


def _status_signed_by_other_provider(w: World) -> dict[str, VerifiedStatusList]:
    other = w.corridors[1].provider
    return _ph_status_list(w, other.key, other.kid_uri(BASE))


def _record_of(unverified: str, **changes: Any) -> IssuedRecord:
    """The service's record of exactly this credential, as it would read after ``changes``."""
    credential = read_credential(unverified)
    cosignature = credential.signatures[1] if len(credential.signatures) > 1 else None
    return dataclasses.replace(IssuedRecord(credential.payload, Status.VALID, cosignature), **changes)


def _records(**changes: Any) -> Callable[[World, str], RecordLookup]:
    def lookup(w: World, unverified: str) -> RecordLookup:
        record = _record_of(unverified, **changes)
        credential_id = json.loads(record.payload)["id"]
        return {credential_id: record}.get

    return lookup


def _no_records(w: World, unverified: str) -> RecordLookup:
    return lambda credential_id: None


def _record_of_other_payload(w: World, unverified: str) -> RecordLookup:
    """The service knows the id, but with other payload bytes (a forgery reusing a real id)."""
    credential_id = json.loads(read_credential(unverified).payload)["id"]
    genuine = _record_of(_compacts(w.credential()))
    return {credential_id: genuine}.get


# --- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[World], str]
    reason: Reason
    verdict: Verdict = Verdict.INVALID
    trust: Callable[[World], Sequence[TrustList]] | None = None
    status: Callable[[World], Mapping[str, VerifiedStatusList]] | None = None
    now: datetime = NOW
    #: Online cases: what the issuing service's records say of the input.
    records: Callable[[World, str], RecordLookup] | None = None
    max_trust_list_age: timedelta | None = None


def _issued_day(days: int) -> date:
    return (ISSUED + timedelta(days=days)).date()


CASES = [
    # Header rules: algorithms
    Case("alg_none", _alg("none"), Reason.ALG_NOT_ALLOWED),
    Case("alg_none_in_qr", _qr_alg_none, Reason.ALG_NOT_ALLOWED),
    Case("alg_hs256_public_key_as_secret", _hs256_with_public_key, Reason.ALG_NOT_ALLOWED),
    Case("alg_rs256", _alg("RS256"), Reason.ALG_NOT_ALLOWED),
    Case("alg_es512", _alg("ES512"), Reason.ALG_NOT_ALLOWED),
    Case("alg_unknown", _alg("XYZ256"), Reason.ALG_NOT_ALLOWED),
    Case("alg_es256_under_ed25519_kid", _es256_under_eddsa_kid, Reason.BAD_SIGNATURE),
    Case("ed25519_neutral_key_forgery", _neutral_key_forgery, Reason.BAD_SIGNATURE, trust=_neutral_provider_key),
    # Header rules: keys named by the token, extensions, shape
    Case("header_jku", lambda w: _header_plus(w, jku=BASE + "/keys.json"), Reason.KEY_IN_HEADER),
    Case("header_x5u", lambda w: _header_plus(w, x5u=BASE + "/cert.pem"), Reason.KEY_IN_HEADER),
    Case("header_jwk", lambda w: _header_plus(w, jwk=w.ph.provider.key.public.jwk), Reason.KEY_IN_HEADER),
    Case("header_x5c", lambda w: _header_plus(w, x5c=["MIIBIjANBgkq"]), Reason.KEY_IN_HEADER),
    Case("header_unknown_crit", lambda w: _header_plus(w, crit=["exp"], exp=1), Reason.CRIT_NOT_SUPPORTED),
    Case("header_extra_member", lambda w: _header_plus(w, cty="vc"), Reason.HEADER_NOT_ALLOWED),
    Case("header_wrong_typ", lambda w: _header_plus(w, typ="vc+jwt"), Reason.HEADER_NOT_ALLOWED),
    Case(
        "header_missing_kid",
        lambda w: _with_header(w, {"alg": "EdDSA", "typ": "JWT"}),
        Reason.HEADER_NOT_ALLOWED,
    ),
    Case("header_duplicate_member", _duplicate_header_member, Reason.MALFORMED),
    Case("header_not_utf8", _non_utf8_header, Reason.MALFORMED),
    # Payload changed after signing (original signatures kept)
    Case("payload_name_changed", _change_name, Reason.BAD_SIGNATURE),
    # The new nationality selects Myanmar's trust list, which does not know the Malaysian provider.
    Case(
        "payload_nationality_changed",
        _edited_payload('"nationality":"PH"', '"nationality":"MM"'),
        Reason.ISSUER_UNKNOWN_KEY,
    ),
    Case("payload_qualification_changed", _edited_payload("/q/SMAW2", "/q/SMAW3"), Reason.BAD_SIGNATURE),
    # Half a character is not text: the name could be neither shown, stored nor printed.
    Case("payload_unpaired_surrogate", _edited_payload('"name":"Maria', '"name":"\\udfffMaria'), Reason.MALFORMED),
    Case("payload_unpaired_surrogate_resigned", _unpaired_surrogate_resigned, Reason.MALFORMED),
    # Signatures damaged
    Case("signature_bit_flip", _flip_signature(0), Reason.BAD_SIGNATURE),
    Case("signature_bit_flip_in_qr", _qr_flipped_signature, Reason.BAD_SIGNATURE),
    Case("signature_truncated", _truncated_signature, Reason.BAD_SIGNATURE),
    Case("signature_non_canonical_base64url", _non_canonical_base64url, Reason.MALFORMED),
    Case("cosignature_bit_flip", _flip_signature(1), Reason.COSIGNATURE_BAD),
    # Co-signatures that are there but do not count: never "awaiting co-signature"
    Case("cosignature_of_other_payload", _cosignature_of_other_payload, Reason.PAYLOAD_MISMATCH),
    Case("cosignature_of_other_payload_in_file", _cosignature_of_other_payload_in_file, Reason.COSIGNATURE_BAD),
    Case(
        "cosigner_unknown_key",
        _cosigned_by(lambda w: SigningKey.generate(), lambda w: w.ph.embassy.org_id(BASE) + "#k2"),
        Reason.COSIGNER_UNKNOWN_KEY,
    ),
    Case(
        "cosigner_is_the_provider",
        _cosigned_by(lambda w: w.ph.provider.key, _provider_kid),
        Reason.COSIGNER_NOT_EMBASSY,
    ),
    Case(
        "cosigner_is_the_authority",
        _cosigned_by(lambda w: w.ph.authority.key, lambda w: w.ph.authority.kid_uri(BASE)),
        Reason.COSIGNER_NOT_EMBASSY,
    ),
    Case(
        "cosigner_embassy_of_other_country",
        _cosigned_by(lambda w: w.corridors[1].embassy.key, lambda w: w.corridors[1].embassy.kid_uri(BASE)),
        Reason.COSIGNER_UNKNOWN_KEY,
    ),
    Case(
        "cosigner_embassy_of_other_country_listed",
        _cosigned_by(lambda w: w.corridors[1].embassy.key, lambda w: w.corridors[1].embassy.kid_uri(BASE)),
        Reason.COSIGNER_NOT_EMBASSY_OF_HOLDER_COUNTRY,
        trust=_ph_lists_mm_embassy,
    ),
    Case(
        "cosigner_embassy_sits_elsewhere",
        lambda w: _compacts(w.credential()),
        Reason.COSIGNER_NOT_IN_PROVIDER_COUNTRY,
        trust=_embassy_host("SG"),
    ),
    Case(
        "cosigner_embassy_without_host_country",
        lambda w: _compacts(w.credential()),
        Reason.COSIGNER_NOT_IN_PROVIDER_COUNTRY,
        trust=_embassy_host(None),
    ),
    Case(
        "cosigner_key_compromised",
        lambda w: _compacts(w.credential()),
        Reason.COSIGNER_KEY_COMPROMISED,
        trust=_embassy_key_compromised,
    ),
    Case(
        "cosigner_key_compromised_without_date",
        lambda w: _compacts(w.credential()),
        Reason.COSIGNER_KEY_COMPROMISED,
        trust=_embassy_key(state=KeyState.COMPROMISED),
    ),
    Case(
        "cosigner_key_retired_before_issue",
        lambda w: _compacts(w.credential()),
        Reason.COSIGNER_KEY_NOT_VALID_AT_ISSUE,
        trust=_embassy_key(state=KeyState.RETIRED, not_after=ISSUED - timedelta(days=1)),
    ),
    Case(
        "cosigner_key_not_yet_valid",
        lambda w: _compacts(w.credential()),
        Reason.COSIGNER_KEY_NOT_VALID_AT_ISSUE,
        trust=_embassy_key(not_before=NOW + timedelta(days=1)),
    ),
    Case("signatures_swapped", _swapped_signatures, Reason.ISSUER_UNKNOWN_KEY),
    # The provider and its key
    Case("provider_key_unknown", _unknown_provider_key, Reason.ISSUER_UNKNOWN_KEY),
    Case("provider_claims_other_issuer", _issuer_mismatch, Reason.ISSUER_MISMATCH),
    Case(
        "provider_not_accredited_on_issue_date",
        lambda w: _compacts(w.credential()),
        Reason.ISSUER_NOT_ACCREDITED,
        trust=_accreditations(lambda w: Accreditation(_welding_id(w), _issued_day(1))),
    ),
    Case(
        "provider_accredited_for_other_qualification",
        lambda w: _compacts(w.credential()),
        Reason.ISSUER_NOT_ACCREDITED,
        trust=_accreditations(lambda w: Accreditation(w.ph.qualifications[1][0].id, _issued_day(-100))),
    ),
    Case(
        "provider_accreditation_suspended_before_issue",
        lambda w: _compacts(w.credential()),
        Reason.ISSUER_NOT_ACCREDITED,
        trust=_accreditations(
            lambda w: Accreditation(_welding_id(w), _issued_day(-100), suspended_since=_issued_day(-1))
        ),
    ),
    Case(
        "provider_key_compromised_before_issue",
        lambda w: _compacts(w.credential()),
        Reason.KEY_COMPROMISED,
        trust=_provider_key(compromised_since=ISSUED - timedelta(days=1)),
    ),
    Case(
        "provider_key_not_yet_valid_at_issue",
        lambda w: _compacts(w.credential()),
        Reason.KEY_NOT_VALID_AT_ISSUE,
        trust=_provider_key(not_before=ISSUED + timedelta(days=1)),
    ),
    Case(
        "provider_key_retired_before_issue",
        lambda w: _compacts(w.credential()),
        Reason.KEY_NOT_VALID_AT_ISSUE,
        trust=_provider_key(not_after=ISSUED - timedelta(days=1)),
    ),
    # Claims that must mirror the credential, signed properly
    Case("claims_jti_not_id", _resigned_with("jti", lambda p: p["id"] + "X"), Reason.CLAIMS_INVALID),
    Case("claims_nbf_not_valid_from", _resigned_with("nbf", lambda p: p["nbf"] + 1), Reason.CLAIMS_INVALID),
    Case("claims_exp_not_valid_until", _resigned_with("exp", lambda p: p["exp"] + 86400), Reason.CLAIMS_INVALID),
    Case(
        "claims_valid_from_without_zone",
        _resigned_with("validFrom", lambda p: p["validFrom"].rstrip("Z")),
        Reason.CLAIMS_INVALID,
    ),
    Case("claims_not_open_badge", _resigned_with("type", lambda p: ["VerifiableCredential"]), Reason.CLAIMS_INVALID),
    Case(
        "claims_type_is_a_string",
        _resigned_with("type", lambda p: "VerifiableCredential OpenBadgeCredential"),
        Reason.CLAIMS_INVALID,
    ),
    Case(
        "claims_type_holds_a_non_string",
        _resigned_with("type", lambda p: ["VerifiableCredential", "OpenBadgeCredential", 7]),
        Reason.CLAIMS_INVALID,
    ),
    Case(
        "claims_context_of_vc_1",
        _resigned_with("@context", lambda p: ["https://www.w3.org/2018/credentials/v1", p["@context"][1]]),
        Reason.CLAIMS_INVALID,
    ),
    Case(
        "claims_context_without_open_badges",
        _resigned_with("@context", lambda p: p["@context"][:1]),
        Reason.CLAIMS_INVALID,
    ),
    Case("claims_nbf_as_string", _resigned_with("nbf", lambda p: str(p["nbf"])), Reason.CLAIMS_INVALID),
    Case("claims_nbf_as_true", _resigned_with("nbf", lambda p: True), Reason.CLAIMS_INVALID),
    Case(
        "claims_valid_from_not_rfc3339",
        _resigned_with("validFrom", lambda p: p["validFrom"].replace("T", " ")),
        Reason.CLAIMS_INVALID,
    ),
    Case(
        "claims_exp_without_valid_until",
        lambda w: _compacts(_resigned(w, lambda p: p.pop("validUntil"))),
        Reason.CLAIMS_INVALID,
    ),
    Case(
        "claims_nationality_lower_case",
        lambda w: _compacts(_resigned(w, lambda p: p["credentialSubject"].__setitem__("nationality", "ph"))),
        Reason.CLAIMS_INVALID,
    ),
    Case(
        "claims_subject_not_achievement_subject",
        lambda w: _compacts(_resigned(w, lambda p: p["credentialSubject"].__setitem__("type", ["Profile"]))),
        Reason.CLAIMS_INVALID,
    ),
    Case("payload_not_json", _non_json_payload, Reason.MALFORMED),
    Case("payload_with_nan", _resigned_with("nbf", lambda p: float("nan")), Reason.MALFORMED),
    Case("payload_json_array", _array_payload, Reason.MALFORMED),
    # Dates
    Case("not_yet_valid", lambda w: _compacts(w.credential()), Reason.NOT_YET_VALID, now=ISSUED - timedelta(days=1)),
    Case(
        "expired",
        lambda w: _compacts(w.credential()),
        Reason.EXPIRED,
        now=ISSUED + timedelta(days=5 * 365 + 1),
    ),
    # Status
    Case("revoked", lambda w: w.qr_text(w.credential(idx=4)), Reason.REVOKED),
    Case("suspended", lambda w: w.qr_text(w.credential(idx=5)), Reason.SUSPENDED),
    Case(
        "cosignature_withdrawn",
        lambda w: w.qr_text(w.credential(idx=6)),
        Reason.COSIGNATURE_WITHDRAWN,
        Verdict.AUTHENTIC,
    ),
    Case("status_list_missing", lambda w: w.qr_text(w.credential()), Reason.STATUS_UNKNOWN, status=lambda w: {}),
    Case("status_index_outside_list", lambda w: _compacts(w.credential(idx=5000)), Reason.STATUS_UNKNOWN),
    Case("status_claim_not_an_object", _resigned_with("status", lambda p: "valid"), Reason.STATUS_UNKNOWN),
    Case(
        "status_list_signed_by_another_provider",
        lambda w: _compacts(w.credential()),
        Reason.STATUS_LIST_UNTRUSTED,
        status=_status_signed_by_other_provider,
    ),
    Case(
        "status_list_signed_after_the_provider_key_was_compromised",
        lambda w: _compacts(w.credential()),
        Reason.STATUS_LIST_UNTRUSTED,
        trust=_provider_key(compromised_since=NOW - timedelta(days=1)),
    ),
    Case(
        "status_list_past_its_ttl",
        lambda w: _compacts(w.credential()),
        Reason.STATUS_STALE,
        now=NOW + timedelta(hours=2),
    ),
    Case(
        "status_revoked_in_a_stale_list",
        lambda w: _compacts(w.credential(idx=4)),
        Reason.REVOKED,
        now=NOW + timedelta(hours=2),
    ),
    Case(
        "status_index_never_assigned",
        lambda w: _compacts(w.credential(idx=10)),
        Reason.STATUS_UNASSIGNED,
        status=lambda w: _ph_status_list(w, assigned=10),
    ),
    Case(
        "status_list_older_than_the_credential",
        lambda w: _compacts(w.credential(idx=10)),
        Reason.STATUS_STALE,
        status=lambda w: _ph_status_list(w, issued_at=ISSUED - timedelta(hours=1), ttl=10**9, assigned=3),
    ),
    # Trust lists: the highest seq wins, and an old one confirms nothing
    Case(
        "trust_list_highest_seq_wins",
        lambda w: _compacts(w.credential()),
        Reason.KEY_COMPROMISED,
        trust=_newer_ph_list_with_compromised_provider_key,
    ),
    Case(
        "trust_list_older_than_allowed",
        lambda w: w.qr_text(w.credential()),
        Reason.TRUST_LIST_STALE,
        max_trust_list_age=timedelta(days=30),
    ),
    # Online: what the issuing service knows
    Case("online_never_issued", lambda w: w.qr_text(w.credential()), Reason.CREDENTIAL_UNKNOWN, records=_no_records),
    Case(
        "online_known_id_other_payload",
        lambda w: w.qr_text(w.credential()),
        Reason.CREDENTIAL_UNKNOWN,
        records=_record_of_other_payload,
    ),
    Case(
        "online_revoked_at_once",
        lambda w: w.qr_text(w.credential()),
        Reason.REVOKED,
        records=_records(status=Status.INVALID),
    ),
    Case(
        "online_suspended_at_once",
        lambda w: w.qr_text(w.credential()),
        Reason.SUSPENDED,
        records=_records(status=Status.SUSPENDED),
    ),
    Case(
        "online_withdrawn_at_once",
        lambda w: w.qr_text(w.credential()),
        Reason.COSIGNATURE_WITHDRAWN,
        Verdict.AUTHENTIC,
        records=_records(status=Status.COSIGNATURE_WITHDRAWN),
    ),
    Case(
        "online_embassy_declined",
        lambda w: w.qr_text(w.credential(cosign=False)),
        Reason.COSIGNATURE_DECLINED,
        Verdict.AUTHENTIC,
        records=_records(declined=True),
    ),
    Case(
        "online_cosignature_not_recorded",
        lambda w: w.qr_text(w.credential()),
        Reason.COSIGNATURE_NOT_RECORDED,
        records=_records(cosignature=None),
    ),
    # Recognition
    Case(
        "cosignature_missing",
        lambda w: w.qr_text(w.credential(cosign=False)),
        Reason.COSIGNATURE_MISSING,
        Verdict.AUTHENTIC,
    ),
    Case(
        "no_equivalence_rule",
        lambda w: w.qr_text(w.credential()),
        Reason.NO_EQUIVALENCE,
        Verdict.AUTHENTIC,
        trust=_no_equivalences,
    ),
    Case(
        "no_trust_list_for_holder_country", lambda w: w.qr_text(w.credential()), Reason.NO_TRUST_LIST, trust=_without_ph
    ),
    Case("holder_nationality_without_trust_list", _nationality("ID"), Reason.NO_TRUST_LIST),
    # Input forms and sizes
    Case("empty_input", lambda w: "", Reason.MALFORMED),
    Case("blank_input", lambda w: " \n\t ", Reason.MALFORMED),
    Case("oversized_input", lambda w: "A" * (MAX_INPUT_CHARS + 1), Reason.INPUT_TOO_LARGE),
    Case("compact_with_two_parts", lambda w: w.credential().compact(0).rpartition(".")[0], Reason.MALFORMED),
    Case("three_compacts", lambda w: _compacts(w.credential()) + "\n" + w.credential().compact(1), Reason.MALFORMED),
    Case("file_with_third_signature", _file_with_third_signature, Reason.MALFORMED),
    Case("file_with_unprotected_header", _file_with_unprotected_header, Reason.MALFORMED),
    Case("bare_digits", lambda w: w.qr_text(w.credential()).rpartition("#")[2], Reason.MALFORMED),
    # QR transport
    Case("qr_leading_zero", _qr_digits(lambda d: "0" + d), Reason.QR_MALFORMED),
    Case("qr_non_digits", _qr_digits(lambda d: d[:20] + "x" + d[21:]), Reason.QR_MALFORMED),
    Case("qr_empty_fragment", _qr_digits(lambda d: ""), Reason.QR_MALFORMED),
    # Dropping decimal digits divides the number by a power of ten, which moves every byte,
    # the version byte first: the decoder can only see a version it does not know.
    Case("qr_truncated_digits", _qr_digits(lambda d: d[:-30]), Reason.QR_UNSUPPORTED_VERSION),
    Case("qr_truncated_bytes", _qr_truncated_bytes, Reason.QR_MALFORMED),
    Case("qr_random_bytes", _qr_random_bytes, Reason.QR_MALFORMED),
    Case("qr_unsupported_version", _qr_version(FORMAT_VERSION + 1), Reason.QR_UNSUPPORTED_VERSION),
    Case("qr_corrupt_deflate", _qr_corrupt_deflate, Reason.QR_MALFORMED),
    Case("qr_deflate_bomb", _qr_deflate_bomb, Reason.INPUT_TOO_LARGE),
    # A pinned code decodes only with the trust list whose catalogue holds its entry.
    Case("qr_pinned_without_holder_trust_list", _pinned_qr, Reason.QR_CATALOGUE_UNKNOWN, trust=_without_ph),
    Case("qr_pinned_entry_not_in_catalogue", _pinned_qr, Reason.QR_CATALOGUE_UNKNOWN, trust=_ph_without_catalogue),
    Case("qr_too_many_digits", _qr_digits(lambda d: "9" * (MAX_DIGITS + 1)), Reason.INPUT_TOO_LARGE),
]


def test_table_is_large_and_ids_unique() -> None:
    assert len(CASES) >= 35
    assert len({c.id for c in CASES}) == len(CASES)


def test_every_reason_code_is_in_the_table() -> None:
    covered = {c.reason for c in CASES}
    assert set(Reason) - covered == set()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(world: World, case: Case) -> None:
    unverified = case.build(world)
    trust = case.trust(world) if case.trust else world.trust_lists
    status = case.status(world) if case.status else world.status_lists
    records = case.records(world, unverified) if case.records else None
    result = verify(unverified, trust, status, case.now, records=records, max_trust_list_age=case.max_trust_list_age)
    assert case.reason in result.reasons, result.to_dict()
    assert result.status is case.verdict, result.to_dict()
    assert (case.verdict is Verdict.INVALID) == (case.reason in INVALIDATING)
    if case.verdict is not Verdict.RECOGNIZED:
        assert result.recognition is None
    json.dumps(result.to_dict())  # always JSON-ready
    cross_check_signatures_with_pyjwt(unverified, trust, result.to_dict(), forgery_pyjwt_takes=case.id in PYJWT_TAKES)


#: Forgeries PyJWT accepts (through OpenSSL's Ed25519 check) and we refuse: the case must stay one it takes.
PYJWT_TAKES = {"ed25519_neutral_key_forgery"}


#: Failed checks that come after the signature itself was found valid.
SIGNATURE_HELD = {
    Reason.ISSUER_MISMATCH,
    Reason.COSIGNER_NOT_EMBASSY,
    Reason.COSIGNER_NOT_EMBASSY_OF_HOLDER_COUNTRY,
    Reason.COSIGNER_NOT_IN_PROVIDER_COUNTRY,
    Reason.COSIGNER_KEY_COMPROMISED,
    Reason.COSIGNER_KEY_NOT_VALID_AT_ISSUE,
    Reason.COSIGNATURE_NOT_RECORDED,
    Reason.COSIGNATURE_WITHDRAWN,
}


def cross_check_signatures_with_pyjwt(
    unverified: str, trust: Sequence[TrustList], result: dict[str, Any], *, forgery_pyjwt_takes: bool = False
) -> None:
    """PyJWT, given the key the header's kid names in the trust lists, agrees with every signature verdict.

    ``forgery_pyjwt_takes``: the provider's signature is a forgery PyJWT accepts and we must refuse.
    """
    checks = {c["name"]: c for c in result["checks"]}
    try:
        credential = read_credential(unverified)
    except CertsvcError:
        return
    for index, name in ((0, "provider_signature"), (1, "cosignature")):
        check = checks.get(name)
        if index >= len(credential.signatures) or check is None:
            continue
        verdict = _pyjwt_verdict(credential.compact(index), trust)
        if check["ok"] or check["reason"] in SIGNATURE_HELD:
            assert verdict is True, (name, check)
        if check["reason"] in (Reason.BAD_SIGNATURE, Reason.COSIGNATURE_BAD):
            if forgery_pyjwt_takes and index == 0:
                assert verdict is True, (name, check)
            else:
                assert verdict is not True, (name, check)


def _pyjwt_verdict(compact: str, trust: Sequence[TrustList]) -> bool | None:
    """Whether PyJWT verifies ``compact`` under the key its kid names (None: no such key or alg)."""
    header = jwt.get_unverified_header(compact)
    found = next((t.key(header.get("kid", "")) for t in trust if t.key(header.get("kid", ""))), None)
    if found is None or header.get("alg") not in ("EdDSA", "ES256"):
        return None
    key = found[1].public
    try:
        jwt.PyJWS().decode_complete(compact, key.jose_key, algorithms=sorted(key.algs & {"EdDSA", "ES256"}))
    except (jwt.InvalidSignatureError, jwt.InvalidKeyError, jwt.InvalidAlgorithmError):
        return False
    return True


# --- valid baselines and input forms --------------------------------------------------------


def _recognized(world: World, unverified: str) -> dict[str, Any]:
    result = verify(unverified, world.trust_lists, world.status_lists, NOW)
    assert result.status is Verdict.RECOGNIZED, result.to_dict()
    assert result.reasons == []
    assert all(c.ok for c in result.checks)
    return result.to_dict()


def test_training_recognized(world: World) -> None:
    result = _recognized(world, world.qr_text(world.credential("training")))
    assert result["recognition"]["statement"] == WELDING_RECOGNITION
    assert result["recognition"]["national_code"] == "SMAW-NCII"
    assert result["summary"]["kind"] == "training"
    assert result["summary"]["holder"]["name"] == "Maria Santos Dela Cruz"
    assert result["summary"]["issuer"]["name"] == "Kuala Lumpur Welding Academy"
    assert result["summary"]["cosigner"]["name"] == world.ph.embassy.name
    checks = {c["name"] for c in result["checks"]}
    assert checks >= {
        "well_formed",
        "provider_signature",
        "provider_key",
        "accreditation",
        "validity",
        "status",
        "cosignature",
        "equivalence",
    }


def test_prior_skills_recognized(world: World) -> None:
    result = _recognized(world, world.qr_text(world.credential("prior_skills")))
    assert result["summary"]["kind"] == "prior_skills"
    assert result["summary"]["assessment"]["method"] == "practical_test"
    assert result["recognition"]["statement"] == (
        "Recognised in the Philippines as Caregiving NC II (PQF level 2) by TESDA. "
        "It recognises skills the worker brought and had assessed."
    )


INPUT_FORMS = {
    "qr_text": lambda w, c: w.qr_text(c),
    "qr_url_lowercase_host": lambda w, c: _lower_scheme_and_host(w.qr_text(c)),
    "qr_url_all_lowercase": lambda w, c: w.qr_text(c).lower(),
    "qr_text_with_whitespace": lambda w, c: "  " + w.qr_text(c) + "\r\n",
    "credential_file": lambda w, c: c.to_json(),
    "compacts_newline": lambda w, c: "\n".join(c.compacts()),
    "compacts_tilde": lambda w, c: "~".join(c.compacts()),
}


def _lower_scheme_and_host(qr_text: str) -> str:
    scheme, _, rest = qr_text.partition("://")
    host, _, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}/{path}"


@pytest.mark.parametrize("form", sorted(INPUT_FORMS))
def test_every_input_form_is_recognized(world: World, form: str) -> None:
    credential = world.credential()
    result = _recognized(world, INPUT_FORMS[form](world, credential))
    assert result["summary"]["id"] == _payload(credential)["id"]


def test_single_compact_is_authentic_awaiting_cosignature(world: World) -> None:
    credential = world.credential()
    result = verify(credential.compact(0), world.trust_lists, world.status_lists, NOW)
    assert result.status is Verdict.AUTHENTIC
    assert result.reasons == [Reason.COSIGNATURE_MISSING]
    assert result.recognition is None
    # The mapping stays visible even though the credential is not recognised yet.
    assert result.summary["equivalent_to"]["national_code"] == "SMAW-NCII"


def test_rfc9864_algorithm_name_is_accepted(world: World) -> None:
    credential = world.credential()
    protected = header_bytes("Ed25519", _provider_kid(world))
    provider = _sign_raw(protected, credential.payload, world.ph.provider.key)
    _recognized(world, f"{provider}\n{credential.compact(1)}")


def test_other_corridors_recognized(world: World) -> None:
    from certsvc.demo.world import issue, sample_holder

    for corridor in world.corridors[1:]:
        qualification = corridor.qualifications[0][0]
        credential = issue(corridor, BASE, sample_holder(corridor.origin), qualification, 1, ISSUED)
        result = _recognized(world, world.qr_text(credential))
        assert result["recognition"]["country"] == corridor.origin


def test_trust_list_replace_does_not_touch_the_original(world: World) -> None:
    original = _ph(world)
    emptied = dataclasses.replace(original, equivalences=())
    assert emptied.equivalence(_welding_id(world)) is None
    assert original.equivalence(_welding_id(world)) is not None
    trimmed = dataclasses.replace(original, organisations=())
    assert trimmed.key(_provider_kid(world)) is None
    assert original.key(_provider_kid(world)) is not None


QR_REASONS = {Reason.QR_MALFORMED, Reason.QR_UNSUPPORTED_VERSION, Reason.INPUT_TOO_LARGE}


@pytest.mark.parametrize("seed", range(40))
def test_random_qr_data_gives_a_qr_reason(world: World, seed: int) -> None:
    rng = random.Random(seed)
    data = bytes([FORMAT_VERSION]) + rng.randbytes(rng.randrange(1, 600))
    for unverified in (_qr_of_bytes(data), f"{VERIFY_URL}#{rng.randrange(1, 10**200)}"):
        result = verify(unverified, world.trust_lists, world.status_lists, NOW)
        assert result.status is Verdict.INVALID
        assert set(result.reasons) <= QR_REASONS and result.reasons, result.to_dict()


def test_every_reason_and_check_has_words_for_the_page() -> None:
    from verifier import web_messages

    assert set(Reason) - set(web_messages.FAILED) == set()
    names = {c.name for case in CASES for c in _checks_of(case)}
    assert names - set(web_messages.CHECK_LABELS) == set()


def _checks_of(case: Case) -> list[Any]:
    from conftest import build_world

    world = _WORLD.setdefault("w", build_world({4: Status.INVALID}))
    unverified = case.build(world)
    records = case.records(world, unverified) if case.records else None
    trust = case.trust(world) if case.trust else world.trust_lists
    status = case.status(world) if case.status else world.status_lists
    return verify(
        unverified, trust, status, case.now, records=records, max_trust_list_age=case.max_trust_list_age
    ).checks


_WORLD: dict[str, World] = {}


_ODD: list[Any] = [None, True, 0, -1, 10**20, 1.5, "", "x", "PH", "2026-01-01T00:00:00Z", [], {}, ["x"], {"id": 1}]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _paths(v, (*path, k))] + [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _paths(v, (*path, i))] + [path]
    return [path]


@pytest.mark.parametrize("seed", range(300))
def test_a_resigned_payload_with_odd_members_never_crashes(world: World, seed: int) -> None:
    """Members of the payload replaced by odd values and signed again with the real keys: a verdict, never a crash."""
    rng = random.Random(seed)

    def spoil(payload: dict[str, Any]) -> None:
        for _ in range(rng.randint(1, 3)):
            *parents, last = rng.choice([p for p in _paths(payload) if p])
            target: Any = payload
            for step in parents:
                target = target[step]
            target[last] = rng.choice(_ODD)

    unverified = _compacts(_resigned(world, spoil))
    result = verify(unverified, world.trust_lists, world.status_lists, NOW)
    json.dumps(result.to_dict())
    if result.status is Verdict.RECOGNIZED:
        assert result.reasons == [] and all(c.ok for c in result.checks)
