"""The credential payload: Open Badges 3.0 schema, JWT proof format, hashed ID number, independent JOSE libraries."""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import BASE
from joserfc import jws as joserfc_jws
from joserfc.errors import BadSignatureError, SecurityWarning
from joserfc.jwk import OKPKey
from jsonschema.validators import validator_for
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from certsvc.credentials.b64 import b64url_decode
from certsvc.credentials.cosigned import parse_credential_text
from certsvc.credentials.errors import CredentialDataError, Malformed
from certsvc.credentials.jws import parse_compact
from certsvc.credentials.openbadge import (
    AssessmentMethod,
    CredentialSpec,
    Holder,
    Kind,
    PriorSkillsAssessment,
    build_payload,
    encode_payload,
    id_number_matches,
    kind_of,
)
from certsvc.demo.world import sample_assessment, sample_holder, status_uri

VECTORS = Path(__file__).parent / "vectors"
SCHEMA = json.loads((VECTORS / "ob3_schema" / "achievementcredential.json").read_text())
OB3_EXAMPLE = json.loads((VECTORS / "ob3_basic_credential.json").read_text())
KINDS = pytest.mark.parametrize("kind", ["training", "prior_skills"])
ID_NUMBER = "P1234567A"  # the number demo_world.sample_holder hashes

# RFC 3339 date-time, as the Open Badges schema's "format": "date-time" means. jsonschema checks
# that format only with an optional package, so the test brings its own strict checker.
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", re.ASCII)
FORMAT_CHECKER = jsonschema.FormatChecker()


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))  # rejects month 13, hour 25 and so on
    return True


def _validator() -> Any:
    cls = validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    return cls(SCHEMA, format_checker=FORMAT_CHECKER)


def _payload(credential: Any) -> dict[str, Any]:
    return json.loads(credential.payload)


def _mirrored(credential: dict[str, Any]) -> dict[str, Any]:
    """The JWT claims Open Badges 3.0 mirrors from the credential."""
    issuer = credential["issuer"]
    return {
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": credential["id"],
        "sub": credential["credentialSubject"]["id"],
    }


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


# --- Open Badges 3.0 JSON Schema ---


def test_schema_validator_is_the_schemas_own_draft():
    assert SCHEMA["$schema"].startswith("https://json-schema.org/draft/2019-09/")
    assert validator_for(SCHEMA) is jsonschema.Draft201909Validator
    assert {"date", "date-time"} <= set(FORMAT_CHECKER.checkers)


def test_schema_accepts_the_spec_example():
    assert list(_validator().iter_errors(OB3_EXAMPLE["credential_unsigned"])) == []
    assert list(_validator().iter_errors(OB3_EXAMPLE["vc_jwt_payload"])) == []


@KINDS
def test_payload_validates_against_the_ob3_schema(world, kind):
    payload = _payload(world.credential(kind))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(payload)]
    assert errors == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("validFrom",), "2026-13-01T00:00:00Z"),
        (("validFrom",), "2026-03-01"),
        (("validUntil",), "tomorrow"),
        (("credentialSubject", "activityEndDate"), "2026-02-30T00:00:00Z"),
        (("type",), ["VerifiableCredential"]),
        (("credentialSubject", "achievement", "criteria"), "see website"),
        (("credentialSubject", "identifier", 0, "hashed"), "yes"),
    ],
)
def test_schema_and_format_checker_catch_broken_payloads(world, path, value):
    payload = _payload(world.credential("prior_skills"))
    target = payload
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert list(_validator().iter_errors(payload)) != []


# --- JWT proof format (header and mirrored claims) ---


@KINDS
def test_headers_are_alg_kid_typ_only(world, kind):
    credential = world.credential(kind)
    compacts = credential.compacts()
    assert len(compacts) == 2
    signers = [world.ph.provider, world.ph.embassy]
    for compact, signer in zip(compacts, signers, strict=True):
        header = json.loads(b64url_decode(compact.split(".")[0]))
        assert header == {"alg": "EdDSA", "kid": signer.kid_uri(BASE), "typ": "JWT"}
        assert parse_compact(compact).header == header
    # The co-signature covers the very same payload bytes.
    assert len({c.split(".")[1] for c in compacts}) == 1


def test_mirroring_rule_reproduces_the_spec_example():
    example = OB3_EXAMPLE["vc_jwt_payload"]
    assert _mirrored(OB3_EXAMPLE["credential_unsigned"]) == {k: example[k] for k in ("iss", "jti", "sub")}


@KINDS
def test_jwt_claims_mirror_the_credential(world, kind):
    payload = _payload(world.credential(kind))
    assert {k: payload[k] for k in ("iss", "jti", "sub")} == _mirrored(payload)
    assert payload["iss"] == world.ph.provider.org_id(BASE)
    assert payload["nbf"] == _epoch(payload["validFrom"])
    assert payload["exp"] == _epoch(payload["validUntil"])
    assert payload["nbf"] < payload["exp"]
    assert payload["status"] == {"status_list": {"idx": 1, "uri": status_uri(world.ph, BASE)}}


@KINDS
def test_payload_bytes_are_compact_json(world, kind):
    credential = world.credential(kind)
    assert encode_payload(_payload(credential)) == credential.payload


# --- kind-specific content ---


def test_prior_skills_content(world):
    payload = _payload(world.credential("prior_skills"))
    assessment = sample_assessment()
    assert payload["evidence"] == [
        {"type": ["Evidence"], "genre": "practical_test", "narrative": assessment.evidence_summary}
    ]
    subject = payload["credentialSubject"]
    assert subject["achievement"]["achievementType"] == "ext:RecognitionOfPriorLearning"
    assert subject["activityEndDate"] == "2026-02-02T00:00:00Z"
    assert kind_of(payload) is Kind.PRIOR_SKILLS


def test_training_content(world):
    payload = _payload(world.credential("training"))
    assert payload["credentialSubject"]["achievement"]["achievementType"] == "Certificate"
    assert "evidence" not in payload
    assert "activityEndDate" not in payload["credentialSubject"]
    assert kind_of(payload) is Kind.TRAINING


@KINDS
def test_holder_and_achievement(world, kind):
    payload = _payload(world.credential(kind))
    subject = payload["credentialSubject"]
    assert subject["name"] == "Maria Santos Dela Cruz"
    assert subject["birthDate"] == "1990-05-17"
    assert subject["nationality"] == "PH"
    achievement = subject["achievement"]
    assert {"id", "type", "achievementType", "name", "description", "criteria", "alignment"} <= achievement.keys()
    frameworks = {a["targetFramework"]: a for a in achievement["alignment"]}
    assert set(frameworks) == {"ISCO-08", "SKM", "AQRF"}
    isco = frameworks["ISCO-08"]
    assert isco["targetUrl"] == "http://data.europa.eu/esco/isco/C" + isco["targetCode"]
    assert frameworks["AQRF"]["targetCode"] == "2"


# --- ID document number, only as a salted hash ---


@KINDS
def test_id_number_is_not_in_clear(world, kind):
    credential = world.credential(kind)
    for text in (credential.payload.decode(), *credential.compacts(), credential.to_json()):
        assert ID_NUMBER not in text.upper()
        assert "1234567" not in text
    identity = _payload(credential)["credentialSubject"]["identifier"][0]
    assert identity["hashed"] is True
    assert re.fullmatch(r"sha256\$[0-9a-f]{64}", identity["identityHash"])


@pytest.mark.parametrize(
    "typed",
    [
        ID_NUMBER,
        "p1234567a",
        "P 1234567 A",
        "P-1234567-A",
        " p-123 4567-a ",
        "\uff30\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff21",
    ],
)
def test_typed_id_number_matches(world, typed):
    assert id_number_matches(_payload(world.credential("training")), typed)


@pytest.mark.parametrize("typed", ["P1234567B", "P123456A", "1234567", "", "  --  ", "P12345678A"])
def test_other_id_number_does_not_match(world, typed):
    assert not id_number_matches(_payload(world.credential("training")), typed)


def test_same_number_hashes_differently_per_credential(world):
    first, second = (_payload(world.credential("training")) for _ in range(2))
    hashes = [p["credentialSubject"]["identifier"][0]["identityHash"] for p in (first, second)]
    assert hashes[0] != hashes[1]


def test_payload_without_identifier_matches_nothing(world):
    payload = _payload(world.credential("training"))
    del payload["credentialSubject"]["identifier"]
    assert not id_number_matches(payload, ID_NUMBER)
    assert not id_number_matches({}, ID_NUMBER)


# --- each signature verifies on its own with independent JOSE libraries ---


def _public_jwks(world) -> list[dict[str, str]]:
    return [world.ph.provider.key.public.jwk, world.ph.embassy.key.public.jwk]


@KINDS
def test_each_compact_verifies_with_jwcrypto(world, kind):
    credential = world.credential(kind)
    provider_jwk, embassy_jwk = _public_jwks(world)
    for compact, own, other in zip(
        credential.compacts(), (provider_jwk, embassy_jwk), (embassy_jwk, provider_jwk), strict=True
    ):
        token = jwcrypto_jws.JWS()
        token.deserialize(compact)
        token.verify(jwcrypto_jwk.JWK(**own), alg="EdDSA")
        assert token.payload == credential.payload
        with pytest.raises(jwcrypto_jws.InvalidJWSSignature):
            token.verify(jwcrypto_jwk.JWK(**other), alg="EdDSA")


@KINDS
def test_each_compact_verifies_with_pyjwt(world, kind):
    import jwt

    credential = world.credential(kind)
    keys = (world.ph.provider.key.public.jose_key, world.ph.embassy.key.public.jose_key)
    for compact, own, other in zip(credential.compacts(), keys, keys[::-1], strict=True):
        decoded = jwt.PyJWS().decode_complete(compact, own, algorithms=["EdDSA"])
        assert decoded["payload"] == credential.payload
        assert list(decoded["header"]) == ["alg", "kid", "typ"]
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.PyJWS().decode_complete(compact, other, algorithms=["EdDSA"])


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_credentials_are_signed_through_pyjwt_with_our_exact_header(alg):
    from certsvc.credentials.cosigned import sign_credential
    from certsvc.credentials.jws import header_bytes
    from certsvc.credentials.keys import SigningKey

    key = SigningKey.generate(alg)
    kid = BASE + "/o/klwa#k3"
    credential = sign_credential(b'{"a":1}', key, kid).with_cosignature(key, kid)
    assert [s.protected for s in credential.signatures] == [header_bytes(key.alg, kid)] * 2
    for compact in credential.compacts():
        assert parse_compact(compact).header == {"alg": alg, "kid": kid, "typ": "JWT"}
        assert key.public.verify(alg, b64url_decode(compact.rpartition(".")[2]), compact.rpartition(".")[0].encode())


def _joserfc_verify(compact: str, jwk: dict[str, str]) -> Any:
    # joserfc warns that RFC 9864 deprecates the name "EdDSA"; our tokens use it, as Open Badges does.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SecurityWarning, message=".*RFC 9864")
        return joserfc_jws.deserialize_compact(compact, OKPKey.import_key(jwk), algorithms=["EdDSA"])


@KINDS
def test_each_compact_verifies_with_joserfc(world, kind):
    credential = world.credential(kind)
    provider_jwk, embassy_jwk = _public_jwks(world)
    for compact, own, other in zip(
        credential.compacts(), (provider_jwk, embassy_jwk), (embassy_jwk, provider_jwk), strict=True
    ):
        result = _joserfc_verify(compact, own)
        assert result.payload == credential.payload
        assert set(result.protected) == {"alg", "kid", "typ"}
        with pytest.raises(BadSignatureError):
            _joserfc_verify(compact, other)


@KINDS
def test_provider_signature_alone_verifies(world, kind):
    credential = world.credential(kind, cosign=False)
    (compact,) = credential.compacts()
    assert _joserfc_verify(compact, world.ph.provider.key.public.jwk).payload == credential.payload


@KINDS
def test_general_json_verifies_with_jwcrypto_for_both_signatures(world, kind):
    credential = world.credential(kind)
    document = json.loads(credential.to_json())
    assert set(document) == {"payload", "signatures"}
    assert len(document["signatures"]) == 2
    for index, jwk in enumerate(_public_jwks(world)):
        token = jwcrypto_jws.JWS()
        token.deserialize(credential.to_json())
        token.verify(jwcrypto_jwk.JWK(**jwk), alg="EdDSA")
        # jwcrypto logs one entry per signature, in order: exactly this key's signature verified.
        assert [entry == "Success" for entry in token.verifylog] == [i == index for i in range(2)]
        assert token.payload == credential.payload
    stranger = jwcrypto_jwk.JWK.generate(kty="OKP", crv="Ed25519")
    token = jwcrypto_jws.JWS()
    token.deserialize(credential.to_json())
    with pytest.raises(jwcrypto_jws.InvalidJWSSignature):
        token.verify(stranger, alg="EdDSA")


@KINDS
def test_general_json_parses_back(world, kind):
    credential = world.credential(kind)
    parsed, compacts = parse_credential_text(credential.to_json())
    assert parsed == credential
    assert [c.text for c in compacts] == credential.compacts()
    assert parse_credential_text("~".join(credential.compacts()))[0] == credential


def test_half_a_character_in_a_credential_file_is_malformed_not_a_crash(world):
    # Text from a caller may hold an unpaired surrogate as it is; escaped, the strict reader refuses it too.
    document = json.loads(world.credential().to_json())
    for escaped, refusal in ((False, "not valid UTF-8 JSON"), (True, "holds an unpaired surrogate escape")):
        text = json.dumps({**document, "note": "\ud800"}, ensure_ascii=escaped)
        with pytest.raises(Malformed, match=refusal):
            parse_credential_text(text)


# --- bad specs ---


def _spec(world, kind: Kind = Kind.TRAINING, **changes: Any) -> CredentialSpec:
    welding, _, care = (q for q, _ in world.ph.qualifications)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    spec = CredentialSpec(
        credential_id=f"{BASE}/c/TEST0001",
        issuer_id=world.ph.provider.org_id(BASE),
        holder=sample_holder("PH"),
        qualification=care if kind is Kind.PRIOR_SKILLS else welding,
        kind=kind,
        valid_from=start,
        valid_until=start + timedelta(days=365),
        status_uri=status_uri(world.ph, BASE),
        status_idx=7,
        assessment=sample_assessment() if kind is Kind.PRIOR_SKILLS else None,
    )
    return dataclasses.replace(spec, **changes)


def _holder(**changes: Any) -> Holder:
    return dataclasses.replace(sample_holder("PH"), **changes)


def test_good_specs_build(world):
    for kind in Kind:
        payload = build_payload(_spec(world, kind))
        assert list(_validator().iter_errors(payload)) == []


NAIVE = datetime(2026, 3, 1)


@pytest.mark.parametrize(
    ("kind", "changes"),
    [
        (Kind.PRIOR_SKILLS, {"assessment": None}),
        (
            Kind.TRAINING,
            {"assessment": PriorSkillsAssessment(AssessmentMethod.INTERVIEW, "Interview", date(2026, 1, 5))},
        ),
        (Kind.TRAINING, {"valid_from": NAIVE, "valid_until": NAIVE + timedelta(days=30)}),
        (Kind.TRAINING, {"valid_until": NAIVE + timedelta(days=30)}),
        (Kind.TRAINING, {"valid_from": NAIVE}),
        (Kind.TRAINING, {"holder": _holder(nationality="PHL")}),
        (Kind.TRAINING, {"holder": _holder(nationality="P1")}),
        (Kind.TRAINING, {"holder": _holder(nationality="")}),
        (Kind.TRAINING, {"holder": _holder(name="")}),
        (Kind.TRAINING, {"holder": _holder(name="   ")}),
        (Kind.TRAINING, {"holder": _holder(name="x" * 201)}),
        (Kind.TRAINING, {"valid_until": datetime(2026, 2, 1, tzinfo=UTC)}),
        (Kind.TRAINING, {"valid_until": datetime(2026, 3, 1, tzinfo=UTC)}),
        (Kind.TRAINING, {"status_idx": -1}),
        (Kind.TRAINING, {"status_idx": 2**32}),
    ],
    ids=[
        "prior-skills-without-assessment",
        "training-with-assessment",
        "naive-datetimes",
        "naive-valid-until",
        "naive-valid-from",
        "nationality-three-letters",
        "nationality-digit",
        "nationality-empty",
        "empty-name",
        "blank-name",
        "name-too-long",
        "valid-until-before-valid-from",
        "valid-until-equals-valid-from",
        "negative-status-index",
        "status-index-too-large",
    ],
)
def test_bad_spec_is_refused(world, kind, changes):
    with pytest.raises(CredentialDataError):
        build_payload(_spec(world, kind, **changes))


def test_empty_qualification_name_is_refused(world):
    spec = _spec(world)
    with pytest.raises(CredentialDataError):
        build_payload(dataclasses.replace(spec, qualification=dataclasses.replace(spec.qualification, name=" ")))


@pytest.mark.parametrize("id_number", ["", "  ", "- -"])
def test_empty_id_number_is_refused(id_number):
    with pytest.raises(CredentialDataError):
        Holder.create("Maria Santos", date(1990, 5, 17), "PH", id_number)
