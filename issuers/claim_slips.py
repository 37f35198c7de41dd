"""Claim slips of a cohort import: the codes and PINs a provider hands out, taken once.

A cohort import seals each chunk's claim codes and PINs under a key the KEK derives (see
``cohort_import.seal_slips``). After the import the provider takes them once, as a PDF
of slips or a CSV for a mail merge: ``take_slips`` opens them, erases them and records
that they were taken (audited), in one transaction; a second call is refused. A code
the provider has replaced since (``claims.replace_claim``) no longer works, so its slip
is left out.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from certsvc.credentials.errors import CertsvcError
from certsvc.store import audit, keystore
from certsvc.store.models import (
    BatchState,
    Credential,
    CredentialClaim,
    ImportBatch,
    Learner,
    Organisation,
    Qualification,
    SealedClaimSlips,
)
from certsvc.wallet import claims
from certsvc.wallet.claims import ClaimSlip
from issuers import cohort_import

#: Audit action of a provider taking a batch's claim slips.
SLIPS_TAKEN = "cohort.claim_slips_taken"
CSV_COLUMNS = ("holder", "qualification", "credential", "claim_code", "pin", "language")


class SlipsAlreadyTaken(CertsvcError):
    """The batch's claim slips were taken once already; its codes and PINs are gone."""

    code = "claim_slips_taken"
    http_status = 409


class SlipsNotReady(CertsvcError):
    """The batch has not finished issuing: its slips can be taken once it is done."""

    code = "claim_slips_not_ready"
    http_status = 409


def slips_available(session: Session, provider: Organisation, batch_id: int) -> bool:
    """Whether the batch is done and its claim slips are still waiting to be taken."""
    batch = cohort_import.get_batch(session, provider, batch_id)
    if batch.state is not BatchState.DONE or batch.slips_taken_at is not None:
        return False
    sealed = session.scalar(select(SealedClaimSlips.id).where(SealedClaimSlips.batch_id == batch.id).limit(1))
    return sealed is not None


def take_slips(
    session: Session, provider: Organisation, batch_id: int, *, kek: str, now: datetime, actor: str = "provider"
) -> list[ClaimSlip]:
    """Open the batch's claim slips once, erase the sealed codes and PINs, and audit it as ``actor`` (caller commits).

    Raises BatchNotFound, SlipsNotReady while the batch runs, SlipsAlreadyTaken on a second call.
    """
    batch = _locked_batch(session, provider, batch_id)
    if batch.slips_taken_at is not None:
        taken = batch.slips_taken_at.date().isoformat()
        raise SlipsAlreadyTaken(
            f"the claim slips of this import were taken on {taken}; issue new claim codes for anyone who needs one",
            batch=batch.id,
        )
    if batch.state is not BatchState.DONE:
        raise SlipsNotReady("the import has not finished; its claim slips are ready once every row is issued")
    secrets: list[tuple[int, str, str]] = []
    for sealed in session.scalars(
        select(SealedClaimSlips.sealed).where(SealedClaimSlips.batch_id == batch.id).order_by(SealedClaimSlips.id)
    ):
        opened = keystore.unseal(kek, cohort_import.slips_purpose(batch.id), sealed)
        secrets.extend((int(cid), str(code), str(pin)) for cid, code, pin in json.loads(opened))
    slips = _still_valid(session, secrets, kek)
    session.execute(delete(SealedClaimSlips).where(SealedClaimSlips.batch_id == batch.id))
    batch.slips_taken_at = now
    details = {"slips": len(slips), "left_out": len(secrets) - len(slips)}
    audit.append(
        session, SLIPS_TAKEN, actor=actor, org_id=provider.id, subject=f"batch:{batch.id}", details=details, now=now
    )
    session.flush()
    return slips


def slips_csv(slips: Sequence[ClaimSlip]) -> str:
    """The slips as CSV for a mail merge: holder, qualification, credential, claim code, PIN, language."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for slip in slips:
        writer.writerow(
            (_cell(slip.holder), _cell(slip.qualification), slip.public_id, slip.code, slip.pin, slip.language)
        )
    return out.getvalue()


def _still_valid(session: Session, secrets: Sequence[tuple[int, str, str]], kek: str) -> list[ClaimSlip]:
    """Slips whose code still is the credential's unclaimed code, in the order they were issued."""
    if not secrets:
        return []
    key = claims.claim_key(kek)
    ids = [cid for cid, _, _ in secrets]
    rows = {
        row.id: row
        for row in session.execute(
            select(
                Credential.id,
                Credential.public_id,
                Learner.name,
                Learner.language,
                Qualification.name.label("qualification"),
                CredentialClaim.code_hash,
                CredentialClaim.claimed_at,
            )
            .join(Learner, Learner.id == Credential.learner_id)
            .join(
                Qualification,
                (Qualification.provider_id == Credential.provider_id)
                & (Qualification.code == Credential.qualification_code),
            )
            .join(CredentialClaim, CredentialClaim.credential_id == Credential.id)
            .where(Credential.id.in_(ids))
        )
    }
    slips = []
    for cid, code, pin in secrets:
        row = rows.get(cid)
        normalised = claims.normalise_claim_code(code)
        if row is None or row.claimed_at is not None or normalised is None:
            continue
        if row.code_hash != claims.claim_code_hash(normalised, key):
            continue  # replaced since: the code on this slip no longer works
        slips.append(ClaimSlip(row.name, row.qualification, row.public_id, code, pin, row.language))
    return slips


def _locked_batch(session: Session, provider: Organisation, batch_id: int) -> ImportBatch:
    batch = cohort_import.get_batch(session, provider, batch_id)
    # Two downloads at once: the second waits here, then finds the slips taken.
    locked = session.scalar(
        select(ImportBatch)
        .where(ImportBatch.id == batch.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    return locked


def _cell(text: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula: quote it as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
