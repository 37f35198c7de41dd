"""What the JSON API reads and writes: idempotent registration and issue, and who sees which credential.

Plain functions on a session (no Flask), so tests and other front ends call them directly.
A provider sees only its own learners and credentials; an embassy only credentials of its
nationals, by the same rule :mod:`issuers.lifecycle` applies before it acts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from certsvc.accounts.users import Forbidden
from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.openbadge import hash_id_number
from certsvc.store import audit
from certsvc.store.models import Credential, Learner, Organisation, OrgKind
from certsvc.store.signers import Signer
from issuers.api_schemas import CredentialRequest
from issuers.issuance import (
    ASSESSMENT_RECORDED,
    LearnerData,
    NotFound,
    get_qualification,
    issue_credential,
    register_learner,
)


class ExternalIdConflict(CertsvcError):
    """The external id is already used for a record with different data."""

    code = "external_id_conflict"
    http_status = 409


def find_or_register_learner(
    session: Session, provider: Organisation, data: LearnerData, *, actor: str
) -> tuple[Learner, bool]:
    """Register a learner, or return the one already registered under ``data.external_id``."""
    if data.external_id:
        existing = session.scalar(
            select(Learner).where(Learner.provider_id == provider.id, Learner.external_id == data.external_id)
        )
        if existing is not None:
            _require_same_learner(existing, data, "external_id")
            return existing, False
    return register_learner(session, provider, data, actor=actor), True


def issue_once(
    session: Session,
    provider: Organisation,
    wanted: CredentialRequest,
    *,
    signer: Callable[[], Signer],
    base_url: str,
    now: datetime,
    actor: str,
) -> tuple[Credential, bool]:
    """Issue a credential, or return the one already issued under ``wanted.external_id``."""
    if wanted.external_id:
        existing = session.scalar(
            select(Credential).where(
                Credential.provider_id == provider.id, Credential.external_id == wanted.external_id
            )
        )
        if existing is not None:
            _require_same_credential(existing, wanted)
            return existing, False
    if wanted.learner is not None:
        learner, _ = find_or_register_learner(session, provider, wanted.learner, actor=actor)
    else:
        assert wanted.learner_id is not None
        learner = own_learner(session, provider, wanted.learner_id, "learner_id")
    try:
        qualification = get_qualification(session, provider, wanted.qualification_code)
    except NotFound as exc:
        raise NotFound(exc.message, field="qualification_code") from exc
    credential = issue_credential(
        session,
        provider,
        learner,
        qualification,
        signer=signer(),
        base_url=base_url,
        now=now,
        actor=actor,
        assessment=wanted.assessment,
        external_id=wanted.external_id,
        # A fresh salt per credential: two credentials of one worker cannot be linked by the hash.
        id_number=wanted.learner.id_number if wanted.learner is not None else None,
    )
    if wanted.assessor:
        details = {"assessor": wanted.assessor}
        audit.append(
            session,
            ASSESSMENT_RECORDED,
            actor=actor,
            org_id=provider.id,
            subject=credential.public_id,
            details=details,
            now=now,
        )
    return credential, True


def visible_credentials(org: Organisation) -> Select[Credential]:
    """The credentials ``org`` may see: a provider its own, an embassy those of its nationals."""
    if org.kind is OrgKind.PROVIDER:
        return select(Credential).where(Credential.provider_id == org.id)
    if org.kind is not OrgKind.EMBASSY:
        raise Forbidden("your organisation cannot see credentials here")
    # The same rule lifecycle applies before an embassy acts on a credential.
    return (
        select(Credential)
        .join(Learner, Credential.learner_id == Learner.id)
        .where(
            Learner.nationality == org.country, or_(Credential.embassy_id == org.id, Credential.embassy_id.is_(None))
        )
    )


def find_credential(session: Session, org: Organisation, public_id: str, *, for_update: bool = False) -> Credential:
    """Return a credential ``org`` may see, or raise NotFound."""
    statement = visible_credentials(org).where(Credential.public_id == public_id)
    if for_update:
        # Two clients acting at once (co-sign twice) queue here on PostgreSQL.
        statement = statement.with_for_update(of=Credential)
    credential = session.scalar(statement)
    if credential is None:
        raise NotFound("no such credential", id=public_id)
    return credential


def own_learner(session: Session, provider: Organisation, learner_id: int, field: str) -> Learner:
    """Return one of the provider's learners, or raise NotFound naming ``field``."""
    learner = session.get(Learner, learner_id)
    if learner is None or learner.provider_id != provider.id:
        raise NotFound("no such learner", field=field)
    return learner


def _require_same_learner(existing: Learner, data: LearnerData, field: str) -> None:
    differing = [
        name
        for name, same in (
            ("name", existing.name == data.name.strip()),
            ("birth_date", existing.birth_date == data.birth_date),
            ("nationality", existing.nationality == data.nationality.upper()),
            ("sex", (existing.sex.value if existing.sex else None) == (data.sex or None)),
            ("id_number", existing.id_number_hash == hash_id_number(data.id_number, existing.id_number_salt)),
            ("external_id", data.external_id is None or existing.external_id == data.external_id),
        )
        if not same
    ]
    if differing:
        raise ExternalIdConflict(
            "this external_id names a learner with different data", field=field, differing=differing
        )


def _require_same_credential(existing: Credential, wanted: CredentialRequest) -> None:
    differing = [
        name
        for name, same in (
            ("qualification_code", existing.qualification_code == wanted.qualification_code),
            ("kind", existing.kind is wanted.kind),
            ("learner_id", wanted.learner_id is None or existing.learner_id == wanted.learner_id),
        )
        if not same
    ]
    if wanted.learner is not None:
        try:
            _require_same_learner(existing.learner, wanted.learner, "learner")
        except ExternalIdConflict as exc:
            differing += [f"learner.{name}" for name in exc.data["differing"]]
    if differing:
        raise ExternalIdConflict(
            "this external_id names a credential with different data", field="external_id", differing=differing
        )
