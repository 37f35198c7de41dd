"""Provider work: register learners, issue credentials of both kinds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc import audit, identifiers
from certsvc.cosigned import sign_credential
from certsvc.credential import (
    CredentialSpec,
    Holder,
    Kind,
    PriorSkillsAssessment,
    build_payload,
    encode_payload,
    hash_id_number,
    normalize_id_number,
)
from certsvc.credential import Qualification as QualificationData
from certsvc.errors import CertsvcError
from certsvc.models import (
    Credential,
    CredentialState,
    Learner,
    Organisation,
    OrgKind,
    Qualification,
    Sex,
)
from certsvc.signers import Signer
from issuers.status_index import allocate_status_index

VALIDITY = timedelta(days=5 * 365)
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


def register_learner(session: Session, provider: Organisation, data: LearnerData, *, actor: str) -> Learner:
    """Register a learner; the ID document number is kept only as a salted hash."""
    _require_provider(provider)
    _check_learner(data)
    holder = Holder.create(data.name.strip(), data.birth_date, data.nationality.upper(), data.id_number)
    learner = Learner(
        provider_id=provider.id,
        external_id=data.external_id,
        name=holder.name,
        birth_date=data.birth_date,
        nationality=holder.nationality,
        id_number_hash=holder.id_hash,
        id_number_salt=holder.id_salt,
        sex=Sex(data.sex) if data.sex else None,
    )
    session.add(learner)
    session.flush()
    audit.append(session, "learner.registered", actor=actor, org_id=provider.id, subject=str(learner.id))
    return learner


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
    kind = Kind.PRIOR_SKILLS if assessment is not None else Kind.TRAINING
    status_list, idx = allocate_status_index(session, provider)
    public_id = identifiers.new_public_id()
    holder = _holder(learner, id_number)
    issued_at = now.astimezone(UTC).replace(microsecond=0)
    spec = CredentialSpec(
        credential_id=identifiers.credential_uri(base_url, public_id),
        issuer_id=identifiers.org_uri(base_url, provider.slug),
        holder=holder,
        qualification=qualification_data(qualification, base_url, provider.slug),
        kind=kind,
        valid_from=issued_at,
        valid_until=issued_at + VALIDITY,
        status_uri=identifiers.status_list_uri(base_url, provider.slug, status_list.list_number),
        status_idx=idx,
        assessment=assessment,
    )
    payload = encode_payload(build_payload(spec))
    signed = sign_credential(payload, signer.key, signer.kid_uri)
    credential = Credential(
        public_id=public_id,
        provider_id=provider.id,
        learner_id=learner.id,
        kind=kind,
        qualification_code=qualification.code,
        state=CredentialState.AWAITING_COSIGN,
        payload=payload,
        provider_jws=signed.compact(0),
        embassy_id=_embassy_for(session, provider, learner),
        status_list_id=status_list.id,
        status_idx=idx,
        issued_at=issued_at,
        external_id=external_id,
        import_batch_id=import_batch_id,
    )
    session.add(credential)
    session.flush()
    details = {"kind": kind.value, "qualification": qualification.code}
    audit.append(session, "credential.issued", actor=actor, org_id=provider.id, subject=public_id, details=details)
    return credential


def qualification_data(qualification: Qualification, base_url: str, slug: str) -> QualificationData:
    """The credential's view of a stored qualification."""
    return QualificationData(
        id=identifiers.qualification_uri(base_url, slug, qualification.code),
        name=qualification.name,
        description=qualification.description,
        framework=qualification.framework,
        level=qualification.level,
        isco_code=qualification.isco_code,
        isco_title=qualification.isco_title,
        esco_uri=qualification.esco_uri,
        esco_title=qualification.esco_title,
        asean_level=qualification.asean_level,
        framework_url=qualification.framework_url,
    )


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
    return session.scalar(
        select(Organisation.id)
        .where(
            Organisation.kind == OrgKind.EMBASSY,
            Organisation.country == learner.nationality,
            Organisation.host_country == provider.country,
        )
        .order_by(Organisation.id)
        .limit(1)
    )


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
    hash_id_number(data.id_number, "")  # raises on numbers that normalise to nothing
