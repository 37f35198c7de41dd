"""Provider work: register learners, issue credentials of both kinds."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from certsvc.credentials import identifiers
from certsvc.credentials.cosigned import sign_credential
from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.openbadge import (
    CredentialSpec,
    Holder,
    Kind,
    PriorSkillsAssessment,
    build_payload,
    encode_payload,
    normalize_id_number,
)
from certsvc.store import audit, bulk
from certsvc.store.models import (
    AuditEntry,
    Credential,
    CredentialClaim,
    CredentialState,
    EmbassyEnrolment,
    Learner,
    Organisation,
    OrgKind,
    Qualification,
    Sex,
    StatusListRecord,
    utcnow,
)
from certsvc.store.signers import Signer
from certsvc.wallet import claims
from certsvc.wallet.claims import ClaimSecrets
from issuers.status_index import allocate_status_index, allocate_status_indexes

VALIDITY = timedelta(days=5 * 365)
#: Audit action recording who assessed a prior-skills credential (the credential has no field for it).
ASSESSMENT_RECORDED = "credential.assessment_recorded"
MAX_NAME = 200
_COUNTRY = re.compile(r"[A-Z]{2}")


class IssuanceError(CertsvcError):
    """Data given to register a learner or issue a credential is invalid."""

    code = "issuance_invalid"
    http_status = 400


class NotFound(CertsvcError):
    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class LearnerData:
    """What a provider records about a learner."""

    name: str
    birth_date: date
    nationality: str
    id_number: str
    sex: str | None = None
    external_id: str | None = None
    #: The language the learner reads (their claim slip's instructions).
    language: str = "en"


def register_learner(session: Session, provider: Organisation, data: LearnerData, *, actor: str) -> Learner:
    """Register a learner; the ID document number is kept only as a salted hash."""
    _require_provider(provider)
    learner = Learner(**_learner_values(provider, data))
    session.add(learner)
    session.flush()
    audit.append(session, "learner.registered", actor=actor, org_id=provider.id, subject=str(learner.id))
    return learner


def _learner_values(provider: Organisation, data: LearnerData) -> dict[str, Any]:
    """The columns of a new learner, after checking the data."""
    _check_learner(data)
    holder = Holder.create(data.name.strip(), data.birth_date, data.nationality.upper(), data.id_number)
    return {
        "provider_id": provider.id,
        "external_id": data.external_id,
        "name": holder.name,
        "birth_date": data.birth_date,
        "nationality": holder.nationality,
        "id_number_hash": holder.id_hash,
        "id_number_salt": holder.id_salt,
        "sex": Sex(data.sex) if data.sex else None,
        "language": data.language,
        "created_at": utcnow(),
    }


def issue_credential(
    session: Session,
    provider: Organisation,
    learner: Learner,
    qualification: Qualification,
    *,
    signer: Signer,
    base_url: str,
    now: datetime,
    actor: str,
    assessment: PriorSkillsAssessment | None = None,
    external_id: str | None = None,
    import_batch_id: int | None = None,
    id_number: str | None = None,
) -> Credential:
    """Sign a credential for a learner; it then waits in the embassy's co-sign queue.

    With ``id_number`` the hash gets a fresh salt, so two credentials of one worker cannot
    be linked through it; otherwise the learner's stored hash is used.
    """
    _require_provider(provider)
    if learner.provider_id != provider.id or qualification.provider_id != provider.id:
        raise NotFound("no such learner or qualification", reason="other_organisation")
    credential = Credential(
        **_credential_values(
            provider,
            learner.id,
            qualification,
            _holder(learner, id_number),
            allocate_status_index(session, provider),
            signer=signer,
            base_url=base_url,
            issued_at=now.astimezone(UTC).replace(microsecond=0),
            assessment=assessment,
            embassy_id=_embassy_for(session, provider, learner),
            external_id=external_id,
            import_batch_id=import_batch_id,
        )
    )
    # Known already: answering with the credential then loads neither again.
    credential.learner, credential.provider = learner, provider
    session.add(credential)
    session.flush()
    details = _issued_details(credential.kind, credential.qualification_code)
    audit.append(
        session, "credential.issued", actor=actor, org_id=provider.id, subject=credential.public_id, details=details
    )
    return credential


@dataclass(frozen=True)
class CohortEntry:
    """One worker of a cohort and the credential to issue them.

    ``learner_record`` names a learner registered earlier; without it one is registered
    from ``learner``. With a record and no ``learner`` data (no ID number to hash afresh),
    the credential carries the record's stored hash, as ``issue_credential`` does. The
    credential format has no place for a prior-skills assessor, so
    ``assessor`` goes to the audit log (as ``ASSESSMENT_RECORDED``).
    """

    learner: LearnerData | None
    qualification: Qualification
    assessment: PriorSkillsAssessment | None = None
    external_id: str | None = None
    learner_record: Learner | None = None
    assessor: str | None = None

    def holder(self, learner: _CohortLearner) -> Holder:
        """The credential's holder: a fresh salt when the ID number is given, else the stored hash."""
        if self.learner is not None:
            return Holder.create(learner.name, learner.birth_date, learner.nationality, self.learner.id_number)
        assert self.learner_record is not None  # an entry names its learner one way or the other
        return _holder(self.learner_record, None)


@dataclass(frozen=True)
class CohortIssued:
    """One credential a cohort issuance made, with its claim code and PIN (shown once) when made."""

    public_id: str
    credential_id: int
    claim: ClaimSecrets | None


def issue_cohort(
    session: Session,
    provider: Organisation,
    entries: Sequence[CohortEntry],
    *,
    signer: Signer,
    base_url: str,
    now: datetime,
    actor: str,
    import_batch_id: int | None = None,
    embassies: Mapping[str, int] | None = None,
    kek: str | None = None,
) -> list[CohortIssued]:
    """Register learners and issue their credentials in bulk, in the caller's transaction.

    Same rows as ``register_learner`` and ``issue_credential`` per entry (every hash with a
    fresh salt), at a fraction of the cost: one multi-row INSERT per table, one block of
    status indexes, embassies looked up once (or given, by nationality), and the audit
    entries appended in one statement. With ``kek`` every credential gets its claim code
    and PIN (keyed hashes, one INSERT), returned once with it.
    """
    _require_provider(provider)
    if any(e.qualification.provider_id != provider.id for e in entries):
        raise NotFound("no such qualification", reason="other_organisation")
    learners = _register_cohort(session, provider, entries)
    slots = allocate_status_indexes(session, provider, len(entries))
    by_country = embassies if embassies is not None else embassies_by_nationality(session, provider)
    issued_at = now.astimezone(UTC).replace(microsecond=0)
    rows = [
        _credential_values(
            provider,
            learner.id,
            entry.qualification,
            entry.holder(learner),
            slot,
            signer=signer,
            base_url=base_url,
            issued_at=issued_at,
            assessment=entry.assessment,
            embassy_id=by_country.get(learner.nationality),
            external_id=entry.external_id,
            import_batch_id=import_batch_id,
        )
        for entry, learner, slot in zip(entries, learners, slots, strict=True)
    ]
    ids: list[int] = []
    if rows:
        ids = bulk.insert_rows(session, Credential.__table__, rows, return_ids=True)
    made = _cohort_claims(session, ids, kek)
    records: list[tuple[str, str, dict[str, str]]] = []
    for entry, learner, row in zip(entries, learners, rows, strict=True):
        if entry.learner_record is None:
            records.append(("learner.registered", str(learner.id), {}))
        details = _issued_details(row["kind"], row["qualification_code"])
        if kek is not None:
            details["claim_code"] = "made"  # one entry, not two: the chain is a third shorter for a cohort
        records.append(("credential.issued", row["public_id"], details))
        if entry.assessor:
            records.append((ASSESSMENT_RECORDED, row["public_id"], {"assessor": entry.assessor}))
    audit.append_many(session, records, actor=actor, org_id=provider.id)
    return [
        CohortIssued(row["public_id"], credential_id, claim)
        for row, credential_id, claim in zip(rows, ids, made, strict=True)
    ]


def _cohort_claims(session: Session, credential_ids: Sequence[int], kek: str | None) -> list[ClaimSecrets | None]:
    """Claim codes and PINs for new credentials, inserted in one statement (none without a KEK)."""
    if kek is None:
        return [None] * len(credential_ids)
    key = claims.claim_key(kek)
    made = [claims.claim_values(credential_id, key) for credential_id in credential_ids]
    if made:
        bulk.insert_rows(session, CredentialClaim.__table__, [row for row, _ in made])
    return [secrets for _, secrets in made]


def embassies_by_nationality(session: Session, provider: Organisation) -> dict[str, int]:
    """The embassy that co-signs for each nationality in the provider's country (the first enrolled)."""
    rows = session.execute(
        select(Organisation.country, Organisation.id)
        .where(
            Organisation.kind == OrgKind.EMBASSY,
            Organisation.host_country == provider.country,
            Organisation.id.not_in(removed_embassies()),
        )
        .order_by(Organisation.id.desc())
    )
    return {country: org_id for country, org_id in rows}


@dataclass(frozen=True)
class _CohortLearner:
    id: int
    name: str
    birth_date: date
    nationality: str


def _register_cohort(session: Session, provider: Organisation, entries: Sequence[CohortEntry]) -> list[_CohortLearner]:
    """The entries' learners: those given, and new ones inserted in one statement (audited by the caller)."""
    if any(e.learner_record is not None and e.learner_record.provider_id != provider.id for e in entries):
        raise NotFound("no such learner", reason="other_organisation")
    if any(e.learner_record is None and e.learner is None for e in entries):
        raise IssuanceError("every entry names its learner", reason="no_learner")
    new = {
        n: _learner_values(provider, e.learner)
        for n, e in enumerate(entries)
        if e.learner_record is None and e.learner is not None
    }
    ids: list[int] = []
    if new:
        ids = bulk.insert_rows(session, Learner.__table__, list(new.values()), return_ids=True)
    new_ids = dict(zip(new, ids, strict=True))
    learners = []
    for n, entry in enumerate(entries):
        if entry.learner_record is not None:
            found = entry.learner_record
            learners.append(_CohortLearner(found.id, found.name, found.birth_date, found.nationality))
        else:
            values = new[n]
            learners.append(_CohortLearner(new_ids[n], values["name"], values["birth_date"], values["nationality"]))
    return learners


def _credential_values(
    provider: Organisation,
    learner_id: int,
    qualification: Qualification,
    holder: Holder,
    slot: tuple[StatusListRecord, int],
    *,
    signer: Signer,
    base_url: str,
    issued_at: datetime,
    assessment: PriorSkillsAssessment | None,
    embassy_id: int | None,
    external_id: str | None,
    import_batch_id: int | None,
) -> dict[str, Any]:
    """The columns of a newly signed credential."""
    status_list, idx = slot
    kind = Kind.PRIOR_SKILLS if assessment is not None else Kind.TRAINING
    public_id = identifiers.new_public_id()
    spec = CredentialSpec(
        credential_id=identifiers.credential_uri(base_url, public_id),
        issuer_id=identifiers.org_uri(base_url, provider.slug),
        holder=holder,
        qualification=qualification.credential_data(base_url, provider.slug),
        kind=kind,
        valid_from=issued_at,
        valid_until=issued_at + VALIDITY,
        status_uri=identifiers.status_list_uri(base_url, provider.slug, status_list.list_number),
        status_idx=idx,
        assessment=assessment,
    )
    payload = encode_payload(build_payload(spec))
    signed = sign_credential(payload, signer.key, signer.kid_uri)
    return {
        "public_id": public_id,
        "provider_id": provider.id,
        "learner_id": learner_id,
        "kind": kind,
        "qualification_code": qualification.code,
        "state": CredentialState.AWAITING_COSIGN,
        "payload": payload,
        "provider_jws": signed.compact(0),
        "embassy_id": embassy_id,
        "status_list_id": status_list.id,
        "status_idx": idx,
        "issued_at": issued_at,
        "external_id": external_id,
        "import_batch_id": import_batch_id,
    }


def _issued_details(kind: Kind, qualification_code: str) -> dict[str, str]:
    return {"kind": kind.value, "qualification": qualification_code}


def get_qualification(session: Session, provider: Organisation, code: str) -> Qualification:
    """Find one of the provider's qualifications by code."""
    found = session.scalar(
        select(Qualification).where(Qualification.provider_id == provider.id, Qualification.code == code)
    )
    if found is None:
        raise NotFound(f"no qualification {code!r} for this provider")
    return found


def _holder(learner: Learner, id_number: str | None) -> Holder:
    if id_number is not None:
        return Holder.create(learner.name, learner.birth_date, learner.nationality, id_number)
    return Holder(learner.name, learner.birth_date, learner.nationality, learner.id_number_hash, learner.id_number_salt)


def _embassy_for(session: Session, provider: Organisation, learner: Learner) -> int | None:
    """The embassy of the learner's country in the provider's country, if one is enrolled."""
    return embassies_by_nationality(session, provider).get(learner.nationality)


def removed_embassies() -> Select[tuple[int]]:
    """Embassies their authority removed: they get no new credentials and co-sign nothing."""
    return select(EmbassyEnrolment.embassy_id).where(EmbassyEnrolment.removed_at.is_not(None))


def _require_provider(org: Organisation) -> None:
    if org.kind is not OrgKind.PROVIDER:
        raise IssuanceError("only training providers issue credentials", reason="not_a_provider")


def _check_learner(data: LearnerData) -> None:
    if not data.name.strip() or len(data.name) > MAX_NAME:
        raise IssuanceError(f"the name must be 1 to {MAX_NAME} characters", field="name")
    if not _COUNTRY.fullmatch(data.nationality.upper()):
        raise IssuanceError("nationality must be a two-letter country code", field="nationality")
    if not date(1900, 1, 1) <= data.birth_date <= date.today():
        raise IssuanceError("the birth date is not plausible", field="birth_date")
    if not normalize_id_number(data.id_number):
        raise IssuanceError("the ID document number is required", field="id_number")
    if data.sex not in (None, "", "F", "M", "X"):
        raise IssuanceError("sex must be F, M, X or empty", field="sex")


def assessor_of(session: Session, credential: Credential) -> str | None:
    """Who assessed a prior-skills credential, as recorded when it was issued."""
    if credential.kind is not Kind.PRIOR_SKILLS:
        return None
    details: dict[str, Any] | None = session.scalar(
        select(AuditEntry.details)
        .where(AuditEntry.action == ASSESSMENT_RECORDED, AuditEntry.subject == credential.public_id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    return str(details.get("assessor")) if details else None
