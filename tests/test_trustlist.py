"""Trust lists: signed and read with PyJWT, strict about every claim, bound to their anchor's authority and country."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from conftest import BASE, ISSUED, World

from certsvc.credentials.b64 import b64url_decode
from certsvc.credentials.errors import CertsvcError, TrustListError, UnknownKey
from certsvc.credentials.jws import sign_compact
from certsvc.credentials.keys import SigningKey
from certsvc.credentials.trustlist import TYP, TrustAnchor, parse_trust_list, sign_trust_list
from certsvc.demo.world import trust_list_for


def claims_of(token: str) -> dict[str, Any]:
    return json.loads(b64url_decode(token.split(".")[1]))


def resigned(world: World, change: Callable[[dict[str, Any]], None], corridor: int = 0) -> str:
    """The corridor's trust list with its claims edited, signed again by its own authority key."""
    party = world.corridors[corridor].authority
    claims = claims_of(world.trust_tokens[corridor])
    change(claims)
    return sign_compact(json.dumps(claims).encode(), party.key, party.kid_uri(BASE), typ=TYP)


def anchor_of(world: World, corridor: int, country: str | None = None) -> dict[str, TrustAnchor]:
    party = world.corridors[corridor].authority
    anchor = TrustAnchor.of(party.kid_uri(BASE), party.key.public, country)
    return {anchor.uri: anchor}


def test_pyjwt_reads_our_trust_list_with_the_anchor_key(world: World) -> None:
    authority = world.ph.authority
    token = world.trust_tokens[0]
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "kid": authority.kid_uri(BASE), "typ": TYP}
    claims = jwt.decode(token, authority.key.public.jose_key, algorithms=["EdDSA"], options={"verify_iat": False})
    assert claims["seq"] == 1 and claims["country"] == "PH"


def test_each_published_jwk_names_its_key_by_uri(world: World) -> None:
    for org in [claims_of(world.trust_tokens[0])["authority"], *claims_of(world.trust_tokens[0])["organisations"]]:
        for key in org["keys"]:
            assert key["jwk"]["kid"] == key["uri"]
            assert key["uri"].startswith(org["id"] + "#")


def test_an_old_list_with_thumbprint_kids_still_parses(world: World) -> None:
    def thumbprint_kids(claims: dict[str, Any]) -> None:
        for org in [claims["authority"], *claims["organisations"]]:
            for key in org["keys"]:
                key["jwk"]["kid"] = "some-thumbprint"

    assert parse_trust_list(resigned(world, thumbprint_kids)).country == "PH"


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("iat", 10**20),
        ("iat", -1),
        ("iat", 1.5e9),
        ("iat", "1767225600"),
        ("iat", True),
        ("seq", "7"),
        ("seq", 7.0),
        ("seq", -1),
        ("seq", True),
        ("ttl", 0),
        ("ttl", "3600"),
        ("country", "ph"),
        ("country", "PHL"),
        ("country", 63),
        ("organisations", {"not": "a list"}),
        ("equivalences", "none"),
    ],
)
def test_a_malformed_claim_is_a_clear_error(world: World, claim: str, value: Any) -> None:
    token = resigned(world, lambda c: c.__setitem__(claim, value))
    with pytest.raises(TrustListError):
        parse_trust_list(token)


@pytest.mark.parametrize("claim", ["iss", "iat", "ttl", "seq", "country", "authority", "organisations"])
def test_a_missing_claim_is_a_clear_error(world: World, claim: str) -> None:
    with pytest.raises(CertsvcError):
        parse_trust_list(resigned(world, lambda c: c.pop(claim)))


@pytest.mark.parametrize(
    ("member", "value"),
    [("not_before", None), ("not_before", "2026-01-01"), ("state", "lost"), ("jwk", {"kty": "RSA"}), ("uri", "")],
)
def test_a_malformed_key_is_a_clear_error(world: World, member: str, value: Any) -> None:
    def spoil(claims: dict[str, Any]) -> None:
        claims["organisations"][0]["keys"][0][member] = value

    with pytest.raises(TrustListError):
        parse_trust_list(resigned(world, spoil))


def test_a_country_other_than_the_authoritys_is_refused(world: World) -> None:
    with pytest.raises(TrustListError):
        parse_trust_list(resigned(world, lambda c: c.__setitem__("country", "MM")))


def test_a_key_named_under_another_organisation_is_refused(world: World) -> None:
    def move_key(claims: dict[str, Any]) -> None:
        provider = next(o for o in claims["organisations"] if o["kind"] == "provider")
        provider["keys"][0]["uri"] = claims["authority"]["id"] + "#k9"

    with pytest.raises(TrustListError):
        parse_trust_list(resigned(world, move_key))


def test_a_key_listed_twice_is_refused(world: World) -> None:
    def duplicate(claims: dict[str, Any]) -> None:
        claims["organisations"].append(dict(claims["organisations"][0], name="Twin"))

    with pytest.raises(TrustListError):
        parse_trust_list(resigned(world, duplicate))


def test_a_deeply_nested_trust_list_is_a_clear_error(world: World) -> None:
    party = world.ph.authority
    nested = b'{"iss":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(CertsvcError):
        parse_trust_list(sign_compact(nested, party.key, party.kid_uri(BASE), typ=TYP))


def test_the_anchor_of_another_countrys_authority_is_refused(world: World) -> None:
    """A PH trust list signed with MM's authority key, given MM's anchor, proves nothing about PH."""
    mm = world.corridors[1].authority
    genuine_mm = trust_list_for(world.corridors[1], BASE, ISSUED)
    forged = trust_list_for(world.ph, BASE, ISSUED)
    forged = dataclasses.replace(forged, authority=dataclasses.replace(genuine_mm.authority, country="PH"))
    token = sign_trust_list(forged, mm.key, mm.kid_uri(BASE))
    with pytest.raises(UnknownKey) as refused:
        parse_trust_list(token, anchor_of(world, 1, "MM"))
    assert refused.value.data["reason"] == "anchor_country_mismatch"


def test_an_anchor_vouches_for_its_own_authority_only(world: World) -> None:
    """The PH list (iss: TESDA) signed by MM's authority key: the MM anchor does not vouch for TESDA."""
    mm = world.corridors[1].authority
    token = sign_trust_list(trust_list_for(world.ph, BASE, ISSUED), mm.key, mm.kid_uri(BASE))
    with pytest.raises(UnknownKey) as refused:
        parse_trust_list(token, anchor_of(world, 1))
    assert refused.value.data["reason"] == "anchor_authority_mismatch"


def test_the_right_anchor_is_accepted_with_or_without_its_country(world: World) -> None:
    assert parse_trust_list(world.trust_tokens[0], anchor_of(world, 0, "PH")).country == "PH"
    assert parse_trust_list(world.trust_tokens[0], anchor_of(world, 0)).country == "PH"
    plain = {uri: anchor.public for uri, anchor in anchor_of(world, 0).items()}
    assert parse_trust_list(world.trust_tokens[0], plain).country == "PH"


def test_a_signature_by_another_key_is_refused(world: World) -> None:
    party = world.ph.authority
    token = sign_trust_list(trust_list_for(world.ph, BASE, ISSUED), SigningKey.generate(), party.kid_uri(BASE))
    with pytest.raises(CertsvcError):
        parse_trust_list(token, anchor_of(world, 0, "PH"))
    with pytest.raises(CertsvcError):
        parse_trust_list(token)


@pytest.mark.parametrize(
    "entry",
    [
        {"uri": "x"},
        {"uri": 5, "jwk": {}},
        {"jwk": {"kty": "OKP"}},
        [],
        {"uri": "https://a.example/o/x#k1", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AA"}, "country": "xx"},
    ],
)
def test_a_malformed_anchor_is_a_clear_error(entry: Any) -> None:
    with pytest.raises(CertsvcError):
        TrustAnchor.from_json(entry)


def test_anchor_json_round_trips(world: World) -> None:
    anchor = next(iter(anchor_of(world, 0, "PH").values()))
    again = TrustAnchor.from_json(json.loads(json.dumps(anchor.to_json())))
    assert again == anchor
    assert again.authority == world.ph.authority.org_id(BASE)


_ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**20,
    1.5,
    float("inf"),
    "",
    "x",
    "PH",
    "2026-01-01",
    [],
    {},
    [1],
    {"a": 1},
]


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))] + [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))] + [path]
    return [path]


def _set(claims: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        claims = claims[step]
    claims[path[-1]] = value


@pytest.mark.parametrize("seed", range(300))
def test_any_spoiled_member_is_refused_or_verifies_without_a_crash(world: World, seed: int) -> None:
    """Members of a signed trust list replaced by odd values: a clear error, or a list the pipeline copes with."""
    import random

    from verifier.pipeline import verify

    rng = random.Random(seed)
    claims = claims_of(world.trust_tokens[0])
    for _ in range(rng.randint(1, 3)):
        _set(claims, rng.choice([p for p in _leaves(claims) if p]), rng.choice(_ODD_VALUES))
    party = world.ph.authority
    token = sign_compact(json.dumps(claims).encode(), party.key, party.kid_uri(BASE), typ=TYP)
    try:
        trust_list = parse_trust_list(token)
    except CertsvcError:
        return
    result = verify(world.qr_text(world.credential()), [trust_list], world.status_lists, ISSUED)
    json.dumps(result.to_dict())
