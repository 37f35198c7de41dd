"""Claim codes for every credential: cohort imports seal their codes for slips taken once; codes can be replaced."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certsvc.demo.seed import seed
from certsvc.store import audit
from certsvc.store.models import AuditEntry, Credential, CredentialClaim, SealedClaimSlips, WalletUser
from certsvc.wallet import claims
from certsvc.wallet.errors import WrongClaim
from issuers import claim_slips, cohort_import

from .support import CHEAP_HASHER, KEK
from .test_cohort_import import BASE, COLUMNS, TODAY, provider_named, run

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def demo_session(db_session: Session) -> Session:
    seed(db_session, kek=KEK, base_url=BASE, hasher=CHEAP_HASHER, now=datetime.now(UTC))
    db_session.commit()
    return db_session


def cohort_with_languages(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for n in range(rows):
        writer.writerow(
            {
                "external_id": f"SLIP-{n:04d}",
                "name": f"Aung Kyaw {n}" if n % 2 else f"Maria Cruz {n}",
                "birth_date": "1991-03-04",
                "nationality": "PH",
                "id_number": f"P{n:07d}S",
                "qualification_code": "SMAW2",
                "kind": "training",
                "language": "my" if n % 2 else "",
            }
        )
    return out.getvalue().encode()


def imported(session: Session, rows: int = 7, chunk_size: int = 3) -> int:
    provider = provider_named(session)
    batch, checked = cohort_import.create_batch(session, provider, "c.csv", cohort_with_languages(rows), today=TODAY)
    assert batch is not None, checked.validation.errors
    session.commit()
    run(session, provider, batch.id, chunk_size=chunk_size)
    return batch.id


def wallet_user(session: Session, login: str = "+639170000001") -> WalletUser:
    user = WalletUser(login=login, password_hash="x")
    session.add(user)
    session.flush()
    return user


def test_every_imported_credential_gets_a_claim_that_its_slip_claims(demo_session: Session) -> None:
    session = demo_session
    batch_id = imported(session)
    provider = provider_named(session)
    issued = session.scalars(select(Credential).where(Credential.import_batch_id == batch_id)).all()
    stored = session.scalars(select(CredentialClaim).where(CredentialClaim.credential_id.in_([c.id for c in issued])))
    assert len(stored.all()) == 7
    assert claim_slips.slips_available(session, provider, batch_id)
    slips = claim_slips.take_slips(session, provider, batch_id, kek=KEK, now=NOW)
    session.commit()
    assert [s.public_id for s in slips] == [c.public_id for c in sorted(issued, key=lambda c: c.id)]
    assert [s.language for s in slips[:2]] == ["en", "my"]
    assert slips[0].holder == "Maria Cruz 0" and slips[0].qualification
    # Sealed secrets are erased, and nothing of the code or PIN is stored in the clear.
    assert session.scalar(select(func.count(SealedClaimSlips.id))) == 0
    row = session.get(CredentialClaim, issued[0].id)
    assert row is not None and slips[0].pin not in row.pin_hash and row.pin_hash.startswith("hmac-sha256$")
    assert not claim_slips.slips_available(session, provider, batch_id)
    with pytest.raises(claim_slips.SlipsAlreadyTaken, match="taken"):
        claim_slips.take_slips(session, provider, batch_id, kek=KEK, now=NOW)
    credential = claims.claim(session, slips[1].code, slips[1].pin, wallet_user(session), hasher=CHEAP_HASHER, kek=KEK)
    assert credential.public_id == slips[1].public_id
    assert audit.verify_chain(session).ok


def test_slips_csv_holds_each_slip_and_defuses_formulas() -> None:
    slip = claims.ClaimSlip("=cmd|' /C calc'!A0", "Welding", "ABC123", "7KQ2M-9XDAB", "012345", "es")
    rows = list(csv.reader(io.StringIO(claim_slips.slips_csv([slip]))))
    assert rows[0] == ["holder", "qualification", "credential", "claim_code", "pin", "language"]
    assert rows[1] == ["'=cmd|' /C calc'!A0", "Welding", "ABC123", "7KQ2M-9XDAB", "012345", "es"]


def test_slips_wait_for_the_end_of_the_import(demo_session: Session) -> None:
    session, provider = demo_session, provider_named(demo_session)
    batch, _ = cohort_import.create_batch(session, provider, "c.csv", cohort_with_languages(2), today=TODAY)
    assert batch is not None
    session.commit()
    assert not claim_slips.slips_available(session, provider, batch.id)
    with pytest.raises(claim_slips.SlipsNotReady):
        claim_slips.take_slips(session, provider, batch.id, kek=KEK, now=NOW)
    other = provider_named(session, "jcsc")
    with pytest.raises(cohort_import.BatchNotFound):
        claim_slips.take_slips(session, other, batch.id, kek=KEK, now=NOW)


def test_a_replaced_code_stops_working_and_leaves_the_slips(demo_session: Session) -> None:
    session = demo_session
    batch_id = imported(session, rows=3)
    provider = provider_named(session)
    first = session.scalars(select(Credential).where(Credential.import_batch_id == batch_id).order_by(Credential.id))
    credential = first.first()
    assert credential is not None
    new = claims.replace_claim(session, credential, kek=KEK, actor="officer@klwa.example", now=NOW)
    session.commit()
    slips = claim_slips.take_slips(session, provider, batch_id, kek=KEK, now=NOW)
    assert credential.public_id not in [s.public_id for s in slips] and len(slips) == 2
    replaced = session.scalars(select(AuditEntry).where(AuditEntry.action == claims.CLAIM_CODE_REPLACED)).all()
    assert [e.subject for e in replaced] == [credential.public_id]
    user = wallet_user(session)
    assert claims.claim(session, new.code, new.pin, user, hasher=CHEAP_HASHER, kek=KEK).id == credential.id
    with pytest.raises(claims.ClaimAlreadyInWallet, match="already in its holder's wallet"):
        claims.replace_claim(session, credential, kek=KEK, actor="officer@klwa.example", now=NOW)


def test_old_code_is_refused_after_replacement(demo_session: Session) -> None:
    session = demo_session
    batch_id = imported(session, rows=1)
    credential = session.scalars(select(Credential).where(Credential.import_batch_id == batch_id)).one()
    old = claims.replace_claim(session, credential, kek=KEK, actor="t", now=NOW)
    claims.replace_claim(session, credential, kek=KEK, actor="t", now=NOW)
    with pytest.raises(WrongClaim):
        claims.claim(session, old.code, old.pin, wallet_user(session), hasher=CHEAP_HASHER, kek=KEK)


def test_claims_made_the_older_way_still_claim(demo_session: Session) -> None:
    """Rows hashed before keyed hashes (SHA-256 code, argon2id PIN) keep working with the KEK given."""
    session = demo_session
    batch_id = imported(session, rows=1)
    credential = session.scalars(select(Credential).where(Credential.import_batch_id == batch_id)).one()
    legacy = claims.create_claim(session, credential, hasher=CHEAP_HASHER)
    stored = session.get(CredentialClaim, credential.id)
    assert stored is not None and stored.pin_hash.startswith("$argon2id$")
    found = claims.claim(session, legacy.code, legacy.pin, wallet_user(session), hasher=CHEAP_HASHER, kek=KEK)
    assert found.id == credential.id


def test_a_keyed_claim_needs_the_kek(demo_session: Session) -> None:
    session = demo_session
    batch_id = imported(session, rows=1)
    credential = session.scalars(select(Credential).where(Credential.import_batch_id == batch_id)).one()
    made = claims.replace_claim(session, credential, kek=KEK, actor="t", now=NOW)
    with pytest.raises(WrongClaim):
        claims.claim(session, made.code, made.pin, wallet_user(session), hasher=CHEAP_HASHER, kek="another kek")


def test_cohort_language_column_is_optional_and_checked() -> None:
    from issuers.cohort_csv import validate_cohort

    good = validate_cohort(cohort_with_languages(2), {"SMAW2"}, TODAY)
    assert good.ok and [row.language for row in good.rows] == ["en", "my"]
    bad = cohort_with_languages(1).replace(b"training,,,,,", b"training,,,,,English")
    checked = validate_cohort(bad, {"SMAW2"}, TODAY)
    assert [(e["line"], e["column"]) for e in checked.errors] == [(2, "language")]
