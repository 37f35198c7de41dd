"""Issuing a batch of API credential requests at once, through the cohort import's bulk path.

A batch is all or nothing: every item is resolved first (its qualification, its learner, a
repeated ``external_id``), every problem is named with the item's index, and only a batch
without problems reaches :func:`issuers.issuance.issue_cohort`, which signs and inserts the
new credentials with their claim codes in a few statements. Plain functions on a session
(no Flask); the caller commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from certsvc.credentials.errors import CertsvcError
from certsvc.store.models import Credential, Learner, Organisation, Qualification
from certsvc.store.signers import Signer
from certsvc.wallet.claims import ClaimSecrets
from issuers import api_records as records
from issuers.api_schemas import CredentialRequest, batch_problem
from issuers.issuance import CohortEntry, issue_cohort


class BatchRefused(CertsvcError):
    """Some items of a batch cannot be issued; ``errors`` names each (index, field, message). Nothing was issued."""

    code = "batch_refused"
    http_status = 422


@dataclass(frozen=True)
class BatchIssued:
    """One item's answer: its credential, and the claim code and PIN when this batch issued it."""

    credential: Credential
    claim: ClaimSecrets | None


def issue_batch(
    session: Session,
    provider: Organisation,
    wanted: Sequence[CredentialRequest],
    *,
    signer: Callable[[], Signer],
    base_url: str,
    now: datetime,
    actor: str,
    kek: str,
) -> list[BatchIssued]:
    """Issue every requested credential with its claim code, or raise BatchRefused and leave the session rolled back.

    An item whose ``external_id`` was issued before answers that credential (as the single
    endpoint's repeat does) and issues nothing.
    """
    resolver = _Resolver(session, provider, wanted, actor)
    entries = resolver.entries()
    if resolver.problems:
        session.rollback()  # learners registered while resolving go too
        first = resolver.problems[0]
        raise BatchRefused(
            f"item {first['index']}: '{first['field']}' {first['message']}; nothing was issued",
            errors=resolver.problems,
        )
    fresh = [entry for entry in entries if isinstance(entry, CohortEntry)]
    made = iter(
        issue_cohort(session, provider, fresh, signer=signer(), base_url=base_url, now=now, actor=actor, kek=kek)
        if fresh
        else []
    )
    issued = {item.credential_id: item for item in made}
    loaded = _credentials(session, list(issued))
    answers = []
    fresh_ids = iter(issued)
    for entry in entries:
        if isinstance(entry, Credential):
            answers.append(BatchIssued(entry, None))
        else:
            credential_id = next(fresh_ids)
            answers.append(BatchIssued(loaded[credential_id], issued[credential_id].claim))
    return answers


class _Resolver:
    """Turns requests into cohort entries (or the credential issued before), collecting problems."""

    def __init__(self, session: Session, provider: Organisation, wanted: Sequence[CredentialRequest], actor: str):
        self.session, self.provider, self.wanted, self.actor = session, provider, wanted, actor
        self.problems: list[dict[str, Any]] = []

    def entries(self) -> list[CohortEntry | Credential]:
        self._repeats_in_batch()
        if self.problems:
            return []
        existing = self._existing_credentials()
        qualifications = self._qualifications()
        learners = self._learners_by_id()
        shared = self._learners_registered_once(existing)
        found: list[CohortEntry | Credential] = []
        for index, request in enumerate(self.wanted):
            if index in existing:
                found.append(existing[index])
                continue
            qualification = qualifications.get(request.qualification_code)
            if qualification is None:
                self._problem(index, "qualification_code", f"no qualification {request.qualification_code!r}")
            record = learners.get(request.learner_id) if request.learner_id is not None else shared.get(index)
            if request.learner_id is not None and record is None:
                self._problem(index, "learner_id", "no such learner")
            if qualification is None or (request.learner is None and record is None):
                continue
            found.append(
                CohortEntry(
                    learner=request.learner,
                    qualification=qualification,
                    assessment=request.assessment,
                    external_id=request.external_id,
                    learner_record=record,
                    assessor=request.assessor,
                )
            )
        return found

    def _problem(self, index: int, field: str, message: str) -> None:
        self.problems.append(batch_problem(index, field, message))

    def _repeats_in_batch(self) -> None:
        # Two items with one external_id would be one credential issued twice.
        counts = Counter(request.external_id for request in self.wanted if request.external_id)
        for index, request in enumerate(self.wanted):
            if request.external_id and counts[request.external_id] > 1:
                self._problem(index, "external_id", "is given to more than one item of this batch")

    def _existing_credentials(self) -> dict[int, Credential]:
        """Items whose external_id names a credential issued before, checked to ask for the same."""
        ids = [request.external_id for request in self.wanted if request.external_id]
        if not ids:
            return {}
        statement = (
            select(Credential)
            .where(Credential.provider_id == self.provider.id, Credential.external_id.in_(ids))
            .options(selectinload(Credential.learner), selectinload(Credential.embassy))
        )
        by_external_id = {credential.external_id: credential for credential in self.session.scalars(statement)}
        existing = {}
        for index, request in enumerate(self.wanted):
            credential = by_external_id.get(request.external_id)
            if credential is None:
                continue
            try:
                # Known to exist: the single endpoint's repeat finds it and checks it asks for the same.
                credential, _ = records.issue_once(
                    self.session, self.provider, request, signer=_no_signer, base_url="", now=_NEVER, actor=self.actor
                )
            except records.ExternalIdConflict as exc:
                self._problem(index, "external_id", exc.message)
            existing[index] = credential
        return existing

    def _qualifications(self) -> dict[str, Qualification]:
        codes = {request.qualification_code for request in self.wanted}
        statement = select(Qualification).where(
            Qualification.provider_id == self.provider.id, Qualification.code.in_(codes)
        )
        return {qualification.code: qualification for qualification in self.session.scalars(statement)}

    def _learners_by_id(self) -> dict[int, Learner]:
        ids = {request.learner_id for request in self.wanted if request.learner_id is not None}
        if not ids:
            return {}
        statement = select(Learner).where(Learner.provider_id == self.provider.id, Learner.id.in_(ids))
        return {learner.id: learner for learner in self.session.scalars(statement)}

    def _learners_registered_once(self, existing: dict[int, Credential]) -> dict[int, Learner]:
        """Inline learners whose external_id is registered already or repeated in the batch: one record each.

        Each such item goes through the single endpoint's find-or-register (same data, or a
        conflict); the rest are registered in bulk by ``issue_cohort``.
        """
        pending = [
            (index, request.learner)
            for index, request in enumerate(self.wanted)
            if index not in existing and request.learner is not None and request.learner.external_id
        ]
        if not pending:
            return {}
        counts = Counter(data.external_id for _, data in pending)
        statement = select(Learner.external_id).where(
            Learner.provider_id == self.provider.id, Learner.external_id.in_(list(counts))
        )
        registered = set(self.session.scalars(statement))
        shared = {}
        for index, data in pending:
            if data.external_id not in registered and counts[data.external_id] == 1:
                continue
            try:
                shared[index], _ = records.find_or_register_learner(self.session, self.provider, data, actor=self.actor)
            except records.ExternalIdConflict as exc:
                self._problem(index, "learner.external_id", exc.message)
        return shared


_NEVER = datetime.min


def _no_signer() -> Signer:
    raise AssertionError("a repeated external_id issues nothing")


def _credentials(session: Session, ids: list[int]) -> dict[int, Credential]:
    if not ids:
        return {}
    statement = (
        select(Credential)
        .where(Credential.id.in_(ids))
        .options(selectinload(Credential.learner), selectinload(Credential.provider), selectinload(Credential.embassy))
    )
    return {credential.id: credential for credential in session.scalars(statement)}
