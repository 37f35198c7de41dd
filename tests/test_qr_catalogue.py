"""The trust list's qualification catalogue: what it carries, how it is checked, and what QR codes pin."""

from __future__ import annotations

import json

import pytest
from conftest import BASE

from certsvc.credentials.catalogue import (
    MAX_ENTRY_BYTES,
    CatalogueEntry,
    catalogue_from_json,
    entry_for,
    entry_of_achievement,
)
from certsvc.credentials.errors import TrustListError
from certsvc.credentials.jws import sign_compact
from certsvc.credentials.trustlist import TYP, parse_trust_list, sign_trust_list
from certsvc.demo.world import trust_list_for
from certsvc.qr.catalogue import PIN_BYTES, dictionary_of, find_pinned

ORGS = {"https://p.example/o/a": "provider", "https://p.example/o/e": "embassy"}
GOOD = {"id": "https://p.example/o/a/q/X", "type": ["Achievement"], "name": "Welding", "alignment": [{"n": 1}]}


def _signed_claims(world, claims: dict) -> str:
    corridor = world.ph
    payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode()
    return sign_compact(payload, corridor.authority.key, corridor.authority.kid_uri(BASE), typ=TYP)


def test_trust_list_carries_every_qualification_of_its_providers(world):
    for corridor, trust_list in zip(world.corridors, world.trust_lists, strict=True):
        provider = corridor.provider.org_id(BASE)
        assert {e.qualification for e in trust_list.catalogue} == {q.id for q, _ in corridor.qualifications}
        assert {e.provider for e in trust_list.catalogue} == {provider}


def test_catalogue_survives_signing_and_parsing(world):
    token = world.trust_tokens[0]
    claims = json.loads(_payload_of(token))
    assert [set(e) for e in claims["catalogue"]] == [{"provider", "achievement"}] * len(claims["catalogue"])
    assert parse_trust_list(token).catalogue == world.trust_lists[0].catalogue
    assert "achievementType" not in json.dumps(claims["catalogue"])


def _payload_of(token: str) -> bytes:
    import base64

    part = token.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@pytest.mark.parametrize("kind", ["training", "prior_skills"])
def test_an_issued_credential_matches_its_entry_byte_for_byte(world, kind):
    credential = world.credential(kind)
    achievement = json.loads(credential.payload)["credentialSubject"]["achievement"]
    found = entry_of_achievement(achievement, world.ph.provider.org_id(BASE))
    assert found in world.trust_lists[0].catalogue
    text = json.dumps(achievement, separators=(",", ":"), ensure_ascii=False).encode()
    assert text in credential.payload  # the entry is the achievement less achievementType
    assert found is not None and len(found.canonical) < len(text)


def test_pins_are_the_start_of_the_entry_digest(world):
    for entry in world.trust_lists[0].catalogue:
        assert dictionary_of(entry.canonical).pin == entry.digest[:PIN_BYTES]
        assert find_pinned(entry.digest[:PIN_BYTES], world.trust_lists)[0].values


def test_a_trust_list_without_catalogue_stays_as_it_was(world):
    import dataclasses

    plain = dataclasses.replace(world.trust_lists[0], catalogue=())
    assert "catalogue" not in plain.to_claims()


@pytest.mark.parametrize(
    "catalogue",
    [
        "not a list",
        [{"provider": "https://p.example/o/a"}],
        [{"provider": "https://p.example/o/a", "achievement": GOOD, "extra": 1}],
        [{"provider": "https://p.example/o/e", "achievement": GOOD}],  # an embassy awards nothing
        [{"provider": "https://p.example/o/zz", "achievement": GOOD}],  # not in the list
        [{"provider": "https://p.example/o/a", "achievement": {**GOOD, "achievementType": "Certificate"}}],
        [{"provider": "https://p.example/o/a", "achievement": {**GOOD, "type": "Achievement"}}],
        [{"provider": "https://p.example/o/a", "achievement": {**GOOD, "name": " "}}],
        [{"provider": "https://p.example/o/a", "achievement": {k: v for k, v in GOOD.items() if k != "id"}}],
        [{"provider": "https://p.example/o/a", "achievement": {**GOOD, "level": 2.5}}],  # floats print differently
        [{"provider": "https://p.example/o/a", "achievement": {**GOOD, "n": 2**60}}],
        [{"provider": "https://p.example/o/a", "achievement": {**GOOD, "7": "moved first by JavaScript"}}],
        [{"provider": "https://p.example/o/a", "achievement": {**GOOD, "": "empty key"}}],
        [{"provider": "https://p.example/o/a", "achievement": {**GOOD, "deep": [[[[[[["x"]]]]]]]}}],
        [{"provider": "https://p.example/o/a", "achievement": {**GOOD, "text": "x" * MAX_ENTRY_BYTES}}],
        [{"provider": "https://p.example/o/a", "achievement": {**GOOD, "text": "\ud800"}}],  # not Unicode
        [{"provider": "https://p.example/o/a", "achievement": GOOD}] * 2,
    ],
)
def test_bad_catalogues_are_refused(catalogue):
    with pytest.raises(TrustListError):
        catalogue_from_json(catalogue, ORGS)


def test_a_good_entry_is_read(world):
    (entry,) = catalogue_from_json([{"provider": "https://p.example/o/a", "achievement": GOOD}], ORGS)
    assert entry == CatalogueEntry("https://p.example/o/a", json.dumps(GOOD, separators=(",", ":")).encode())
    assert entry.qualification == GOOD["id"]


def test_a_signed_trust_list_with_a_bad_catalogue_is_refused(world):
    claims = world.trust_lists[0].to_claims()
    claims["catalogue"][0]["achievement"]["achievementType"] = "Certificate"
    with pytest.raises(TrustListError):
        parse_trust_list(_signed_claims(world, claims))


def test_the_demo_world_signs_its_catalogue(world):
    corridor = world.ph
    trust_list = trust_list_for(corridor, BASE, world.trust_lists[0].issued_at)
    token = sign_trust_list(trust_list, corridor.authority.key, corridor.authority.kid_uri(BASE))
    assert parse_trust_list(token).catalogue == tuple(
        entry_for(q, corridor.provider.org_id(BASE)) for q, _ in corridor.qualifications
    )


def test_editing_the_claims_of_a_trust_list_leaves_the_trust_list_as_it_was(world):
    trust_list = world.trust_lists[0]
    before = json.dumps(trust_list.to_claims(), sort_keys=True)
    claims = trust_list.to_claims()
    claims["catalogue"][0]["achievement"]["name"] = "Edited"
    claims["organisations"][0]["name"] = "Edited"
    assert json.dumps(trust_list.to_claims(), sort_keys=True) == before
    assert trust_list.catalogue[0].achievement["name"] != "Edited"
