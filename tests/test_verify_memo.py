"""The online verifier's memory of readings and signature checks: the same verdicts with it as without."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import ISSUED, NOW, World
from test_verifier_cases import CASES, INPUT_FORMS, Case, _provider_key

from certsvc.credentials.cosigned import CoSignedCredential
from verifier.memo import Reading, VerificationMemo
from verifier.pipeline import verify
from verifier.reasons import Reason


def _verify(world: World, case: Case, unverified: str, trust: object, memo: VerificationMemo | None) -> dict:
    status = case.status(world) if case.status else world.status_lists
    records = case.records(world, unverified) if case.records else None
    return verify(
        unverified,
        trust,  # type: ignore[arg-type]
        status,
        case.now,
        records=records,
        max_trust_list_age=case.max_trust_list_age,
        memo=memo,
    ).to_dict()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_case_gets_the_same_result_from_memory(world: World, case: Case) -> None:
    """Tampered, forged and malformed inputs alike: a remembered reading changes no verdict and no word."""
    unverified = case.build(world)
    trust = case.trust(world) if case.trust else world.trust_lists
    memo = VerificationMemo(8)
    fresh = _verify(world, case, unverified, trust, None)
    first = _verify(world, case, unverified, trust, memo)
    again = _verify(world, case, unverified, trust, memo)
    assert first == fresh and again == fresh
    well_formed = next(c for c in fresh["checks"] if c["name"] == "well_formed")
    # Only what could be read is remembered.
    assert len(memo) == (1 if well_formed["ok"] else 0)


def test_a_remembered_input_is_not_read_again(world: World) -> None:
    text = world.qr_text(world.credential())
    memo = VerificationMemo(8)
    verify(text, world.trust_lists, world.status_lists, NOW, memo=memo)
    reading = memo.reading(text, world.trust_lists, _never)
    # Both signature checks are remembered with the reading, by index, algorithm and key.
    assert isinstance(reading, Reading) and sorted(i for i, _, _ in reading.verdicts) == [0, 1]
    assert all(reading.verdicts.values())
    # Another text, even the same credential in another form, is a reading of its own.
    with pytest.raises(AssertionError, match="read again"):
        memo.reading(text.lower(), world.trust_lists, _never)


def test_new_trust_lists_are_read_with_and_checked_afresh(world: World) -> None:
    """A key compromised since is a new trust list: the remembered reading is not reused, the key is checked."""
    text = world.qr_text(world.credential())
    memo = VerificationMemo(8)
    assert verify(text, world.trust_lists, world.status_lists, NOW, memo=memo).status.value == "recognized"
    compromised = _provider_key(compromised_since=ISSUED - timedelta(days=1))(world)
    found = verify(text, compromised, world.status_lists, NOW, memo=memo)
    assert Reason.KEY_COMPROMISED in found.reasons and found.status.value == "invalid"
    assert verify(text, world.trust_lists, world.status_lists, NOW, memo=memo).status.value == "recognized"


def test_time_is_checked_afresh_on_a_remembered_reading(world: World) -> None:
    text = world.qr_text(world.credential())
    memo = VerificationMemo(8)
    assert verify(text, world.trust_lists, world.status_lists, NOW, memo=memo).status.value == "recognized"
    early = verify(text, world.trust_lists, world.status_lists, ISSUED - timedelta(days=1), memo=memo)
    assert Reason.NOT_YET_VALID in early.reasons


def test_the_memory_is_bounded_least_recently_used_first(world: World) -> None:
    credential = world.credential()
    texts = [form(world, credential) for form in INPUT_FORMS.values()][:3]
    memo = VerificationMemo(2)
    for text in texts:
        verify(text, world.trust_lists, world.status_lists, NOW, memo=memo)
    assert len(memo) == 2
    with pytest.raises(AssertionError, match="read again"):
        memo.reading(texts[0], world.trust_lists, _never)  # the oldest went first
    memo.reading(texts[2], world.trust_lists, _never)


def test_size_zero_remembers_nothing(world: World) -> None:
    text = world.qr_text(world.credential())
    memo = VerificationMemo(0)
    assert verify(text, world.trust_lists, world.status_lists, NOW, memo=memo).status.value == "recognized"
    assert len(memo) == 0


def test_a_forged_signature_stays_refused_from_memory(world: World) -> None:
    genuine = world.credential()
    other = world.credential(idx=2)
    # The payload of one credential under the signatures of another: readable, never valid.
    forged = CoSignedCredential(genuine.payload, other.signatures).to_json()
    memo = VerificationMemo(8)
    for _ in range(3):
        found = verify(forged, world.trust_lists, world.status_lists, NOW, memo=memo)
        assert Reason.BAD_SIGNATURE in found.reasons and found.status.value == "invalid"
    assert len(memo) == 1


def _never() -> Reading:
    raise AssertionError("the input was read again")
