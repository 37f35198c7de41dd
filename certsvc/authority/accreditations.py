"""Accreditations: which foreign providers an origin authority trusts, for which qualifications and dates.

Every change is audited and then publishes the trust list (``certsvc.authority.changes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.authority.changes import (
    AuthorityConflict,
    AuthorityError,
    Change,
    NotFound,
    audit_change,
    publish,
    record_change,
    require_authority,
)
from certsvc.store.models import (
    Accreditation,
    Organisation,
    OrgKind,
    Qualification,
)

FAR_FUTURE = date.max


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
