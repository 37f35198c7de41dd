"""What an origin authority administers: accreditations of foreign providers, its embassies, the
national qualification catalogue and the equivalence rules.

Every change is audited and then publishes the trust list: a new signed version (sequence
+1) whenever the list's contents changed. An authority only ever sees or touches what
belongs to its own country; anything else is answered as not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc import accounts, audit, organisations, publishing
from certsvc.errors import CertsvcError
from certsvc.models import (
    Accreditation,
    EmbassyEnrolment,
    Organisation,
    OrgKind,
    Qualification,
    Role,
    TrustListVersion,
)

MAX_REASON = 500
FAR_FUTURE = date.max


class AuthorityError(CertsvcError):
    """What the authority asked for is invalid."""

    code = "authority_invalid"
    http_status = 400


class AuthorityConflict(AuthorityError):
    """The change contradicts what is already recorded (overlap, duplicate, still in use)."""

    code = "authority_conflict"
    http_status = 409


class NotFound(CertsvcError):
    """No such thing, or it belongs to another country's authority (not disclosed)."""

    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class Change:
    """Who changes something and when, and what a new trust-list version is signed with."""

    actor: str
    now: datetime
    base_url: str
    kek: str


@dataclass(frozen=True)
class FirstAdmin:
    """The first user of a newly enrolled embassy, so that someone can sign in for it."""

    email: str
    password: str
    hasher: PasswordHasher


@dataclass(frozen=True)
class EmbassyListing:
    embassy: Organisation
    enrolment: EmbassyEnrolment | None

    @property
    def removed(self) -> bool:
        return self.enrolment is not None and self.enrolment.removed_at is not None


# -- accreditations ---------------------------------------------------------------------


def accredit(
    session: Session,
    authority: Organisation,
    qualification_ids: Sequence[int],
    valid_from: date,
    valid_until: date | None,
    change: Change,
) -> list[Accreditation]:
    """Accredit foreign providers for named qualifications from ``valid_from`` to ``valid_until`` (inclusive).

    All or none: one audit entry per qualification, then one new trust-list version.
    """
    require_authority(authority)
    if not qualification_ids:
        raise AuthorityError("choose at least one qualification", field="qualification")
    if valid_until is not None and valid_until < valid_from:
        raise AuthorityError("the accreditation cannot end before it starts", field="valid_until")
    granted = []
    for qualification_id in dict.fromkeys(qualification_ids):
        qualification = session.get(Qualification, qualification_id)
        if qualification is None or qualification.provider.kind is not OrgKind.PROVIDER:
            raise NotFound("no such qualification", qualification=qualification_id)
        accreditation = Accreditation(
            authority_id=authority.id,
            qualification_id=qualification.id,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        _check_no_overlap(session, accreditation)
        session.add(accreditation)
        session.flush()
        audit_change(
            session,
            authority,
            "accreditation.granted",
            accreditation_subject(accreditation),
            change,
            _accreditation_details(accreditation),
        )
        granted.append(accreditation)
    publish(session, authority, change)
    return granted


def suspend_accreditation(
    session: Session, authority: Organisation, accreditation_id: int, since: date, change: Change
) -> Accreditation:
    """Suspend from ``since``: credentials issued from that day on are no longer authentic."""
    accreditation = get_accreditation(session, authority, accreditation_id)
    if accreditation.suspended_since is not None:
        raise AuthorityConflict("the accreditation is already suspended")
    if since < accreditation.valid_from or (accreditation.valid_until and since > accreditation.valid_until):
        raise AuthorityError("the suspension must start within the accreditation's dates", field="since")
    accreditation.suspended_since = since
    _accreditation_changed(session, authority, "accreditation.suspended", accreditation, change)
    return accreditation


def reinstate_accreditation(
    session: Session, authority: Organisation, accreditation_id: int, on: date, change: Change
) -> Accreditation:
    """Lift a suspension from ``on``: a new accreditation, so the suspended period stays uncovered."""
    suspended = get_accreditation(session, authority, accreditation_id)
    if suspended.suspended_since is None:
        raise AuthorityConflict("the accreditation is not suspended")
    if on < suspended.suspended_since:
        raise AuthorityError("reinstate on or after the day the suspension began", field="on")
    if suspended.valid_until is not None and on > suspended.valid_until:
        raise AuthorityError("the accreditation has ended by then; accredit anew", field="on")
    reinstated = Accreditation(
        authority_id=authority.id,
        qualification_id=suspended.qualification_id,
        valid_from=on,
        valid_until=suspended.valid_until,
    )
    _check_no_overlap(session, reinstated)
    session.add(reinstated)
    session.flush()
    _accreditation_changed(session, authority, "accreditation.reinstated", reinstated, change, suspended=suspended.id)
    return reinstated


def end_accreditation(
    session: Session, authority: Organisation, accreditation_id: int, on: date, change: Change
) -> Accreditation:
    """Set the last day of an accreditation; credentials issued before stay authentic."""
    accreditation = get_accreditation(session, authority, accreditation_id)
    if on < accreditation.valid_from:
        raise AuthorityError("the accreditation cannot end before it starts", field="on")
    previous = accreditation.valid_until
    accreditation.valid_until = on
    _check_no_overlap(session, accreditation)
    previous_until = previous.isoformat() if previous else None
    _accreditation_changed(
        session, authority, "accreditation.ended", accreditation, change, previous_valid_until=previous_until
    )
    return accreditation


def get_accreditation(session: Session, authority: Organisation, accreditation_id: int) -> Accreditation:
    """One of this authority's accreditations, or NotFound."""
    require_authority(authority)
    found = session.get(Accreditation, accreditation_id)
    if found is None or found.authority_id != authority.id:
        raise NotFound("no such accreditation")
    return found


def list_accreditations(session: Session, authority: Organisation) -> list[Accreditation]:
    """The authority's accreditations, newest first."""
    require_authority(authority)
    query = select(Accreditation).where(Accreditation.authority_id == authority.id).order_by(Accreditation.id.desc())
    return list(session.scalars(query))


def foreign_qualifications(session: Session) -> list[Qualification]:
    """Every provider's qualification, by provider then code: what an authority may accredit or map."""
    query = (
        select(Qualification)
        .join(Organisation, Organisation.id == Qualification.provider_id)
        .where(Organisation.kind == OrgKind.PROVIDER)
        .order_by(Organisation.name, Qualification.code)
    )
    return list(session.scalars(query))


def accreditation_state(accreditation: Accreditation, today: date) -> str:
    """``active``, ``suspended``, ``ended`` or ``not yet valid`` on ``today``."""
    if accreditation.suspended_since is not None and accreditation.suspended_since <= today:
        return "suspended"
    if accreditation.valid_until is not None and accreditation.valid_until < today:
        return "ended"
    if accreditation.valid_from > today:
        return "not yet valid"
    return "active"


def accreditation_subject(accreditation: Accreditation) -> str:
    q = accreditation.qualification
    return f"{q.provider.slug}/{q.code}#{accreditation.id}"


def _accreditation_changed(
    session: Session, authority: Organisation, action: str, accreditation: Accreditation, change: Change, **extra: Any
) -> None:
    session.flush()
    details = {**_accreditation_details(accreditation), **extra}
    record_change(session, authority, action, accreditation_subject(accreditation), change, details)


def _accreditation_details(accreditation: Accreditation) -> dict[str, Any]:
    return {
        "valid_from": accreditation.valid_from.isoformat(),
        "valid_until": accreditation.valid_until.isoformat() if accreditation.valid_until else None,
        "suspended_since": accreditation.suspended_since.isoformat() if accreditation.suspended_since else None,
    }


def _covered_until(accreditation: Accreditation) -> date:
    end = accreditation.valid_until or FAR_FUTURE
    if accreditation.suspended_since is not None:
        end = min(end, accreditation.suspended_since - timedelta(days=1))
    return end


def _check_no_overlap(session: Session, candidate: Accreditation) -> None:
    others = session.scalars(
        select(Accreditation).where(
            Accreditation.authority_id == candidate.authority_id,
            Accreditation.qualification_id == candidate.qualification_id,
        )
    )
    for other in others:
        if other is candidate or (candidate.id is not None and other.id == candidate.id):
            continue
        if candidate.valid_from <= _covered_until(other) and other.valid_from <= _covered_until(candidate):
            raise AuthorityConflict(
                "the dates overlap another accreditation of this qualification", accreditation=other.id
            )


# -- embassies --------------------------------------------------------------------------


def enrol_embassy(
    session: Session,
    authority: Organisation,
    *,
    slug: str,
    name: str,
    host_country: str,
    change: Change,
    first_admin: FirstAdmin | None = None,
) -> Organisation:
    """Create an embassy of the authority's country (with its signing key) and list it in the trust list."""
    require_authority(authority)
    embassy = organisations.create_organisation(
        session,
        slug=slug,
        name=name,
        kind=OrgKind.EMBASSY,
        country=authority.country,
        host_country=host_country,
        kek=change.kek,
        actor=change.actor,
        now=change.now,
    )
    session.add(EmbassyEnrolment(authority_id=authority.id, embassy_id=embassy.id, enrolled_at=change.now))
    if first_admin is not None:
        accounts.create_user(
            session,
            embassy,
            email=first_admin.email,
            password=first_admin.password,
            role=Role.ADMIN,
            hasher=first_admin.hasher,
            actor=change.actor,
            now=change.now,
        )
    details = {"host_country": embassy.host_country}
    record_change(session, authority, "embassy.enrolled", embassy.slug, change, details)
    return embassy


def remove_embassy(
    session: Session, authority: Organisation, embassy_id: int, reason: str, change: Change
) -> EmbassyEnrolment:
    """Take an embassy off the trust list: its co-signatures are no longer recognised."""
    embassy = get_embassy(session, authority, embassy_id)
    enrolment = _enrolment(session, authority, embassy, change.now)
    if enrolment.removed_at is not None:
        raise AuthorityConflict("the embassy is already removed")
    enrolment.removed_at, enrolment.removal_reason = change.now, _reason(reason)
    record_change(session, authority, "embassy.removed", embassy.slug, change, {"reason": enrolment.removal_reason})
    return enrolment


def reinstate_embassy(session: Session, authority: Organisation, embassy_id: int, change: Change) -> EmbassyEnrolment:
    """Put a removed embassy back on the trust list."""
    embassy = get_embassy(session, authority, embassy_id)
    enrolment = _enrolment(session, authority, embassy, change.now)
    if enrolment.removed_at is None:
        raise AuthorityConflict("the embassy is enrolled")
    enrolment.removed_at, enrolment.removal_reason = None, None
    record_change(session, authority, "embassy.reinstated", embassy.slug, change)
    return enrolment


def get_embassy(session: Session, authority: Organisation, embassy_id: int) -> Organisation:
    """An embassy of the authority's country, or NotFound."""
    require_authority(authority)
    embassy = session.get(Organisation, embassy_id)
    if embassy is None or embassy.kind is not OrgKind.EMBASSY or embassy.country != authority.country:
        raise NotFound("no such embassy")
    return embassy


def list_embassies(session: Session, authority: Organisation) -> list[EmbassyListing]:
    """The embassies of the authority's country, with their enrolment records."""
    require_authority(authority)
    query = (
        select(Organisation, EmbassyEnrolment)
        .outerjoin(EmbassyEnrolment, EmbassyEnrolment.embassy_id == Organisation.id)
        .where(Organisation.kind == OrgKind.EMBASSY, Organisation.country == authority.country)
        .order_by(Organisation.name)
    )
    return [EmbassyListing(org, enrolment) for org, enrolment in session.execute(query)]


def _enrolment(session: Session, authority: Organisation, embassy: Organisation, now: datetime) -> EmbassyEnrolment:
    enrolment = session.scalar(select(EmbassyEnrolment).where(EmbassyEnrolment.embassy_id == embassy.id))
    if enrolment is None:
        # Embassies created before enrolments were recorded count as enrolled since their creation.
        enrolment = EmbassyEnrolment(authority_id=authority.id, embassy_id=embassy.id, enrolled_at=embassy.created_at)
        session.add(enrolment)
    return enrolment


# -- shared -----------------------------------------------------------------------------


def record_change(
    session: Session,
    authority: Organisation,
    action: str,
    subject: str,
    change: Change,
    details: dict[str, Any] | None = None,
) -> TrustListVersion:
    """Audit a change, then publish the trust list (a new version only if its contents changed)."""
    audit_change(session, authority, action, subject, change, details)
    return publish(session, authority, change)


def audit_change(
    session: Session,
    authority: Organisation,
    action: str,
    subject: str,
    change: Change,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one audit entry for a change the authority made."""
    session.flush()
    audit.append(
        session, action, actor=change.actor, org_id=authority.id, subject=subject, details=details, now=change.now
    )


def publish(session: Session, authority: Organisation, change: Change) -> TrustListVersion:
    """Sign a new trust-list version if the contents changed; return the newest."""
    session.flush()
    return publishing.publish_trust_list(
        session, authority, base_url=change.base_url, kek=change.kek, now=change.now, actor=change.actor
    )


def require_authority(org: Organisation) -> None:
    """Raise NotFound unless ``org`` is an origin authority."""
    if org.kind is not OrgKind.AUTHORITY:
        raise NotFound("only origin authorities administer this")


def require_text(value: str, limit: int, field: str) -> None:
    """Raise AuthorityError unless ``value`` has 1 to ``limit`` characters."""
    if not value or len(value) > limit:
        raise AuthorityError(f"{field.replace('_', ' ')} must be 1 to {limit} characters", field=field)


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text or len(text) > MAX_REASON:
        raise AuthorityError(f"give a reason of 1 to {MAX_REASON} characters", field="reason")
    return text
