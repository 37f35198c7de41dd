"""The embassies of an origin authority's country: enrolment, removal and reinstatement.

An embassy on the trust list co-signs credentials of its nationals; a removed one's
co-signatures are no longer recognised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.accounts import organisations, users
from certsvc.authority.changes import AuthorityConflict, Change, NotFound, reason_text, record_change, require_authority
from certsvc.store.models import EmbassyEnrolment, Organisation, OrgKind, Role


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
        users.create_user(
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
    enrolment.removed_at, enrolment.removal_reason = change.now, reason_text(reason)
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
