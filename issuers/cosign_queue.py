"""The embassy's co-sign queue: what awaits its co-signature, filtered and searched, and co-signing many at once.

An embassy sees only credentials of its own nationals routed to it or to no embassy yet.
Bulk co-signing is all-or-nothing per credential: each is co-signed in a savepoint of its
own, and one that can no longer be co-signed (a colleague acted first, it was suspended)
is left as it is and reported, while the others go ahead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from certsvc.store.models import Credential, CredentialState, Learner, Organisation, Qualification
from certsvc.store.signers import Signer
from issuers import lifecycle, search
from issuers.lifecycle import NotYours, StateConflict

#: At most this many credentials are co-signed by one confirmation (the oldest first).
MAX_BULK = 1000
#: Credentials locked, co-signed and committed together: short transactions, quick progress.
CHUNK = 100
NO_LONGER_YOURS = "it is no longer in your queue"


@dataclass(frozen=True)
class QueueFilter:
    """Which waiting credentials an officer looks at: a search, a provider, a qualification, issue dates."""

    search: str = ""
    provider_id: int | None = None
    qualification: str = ""
    issued_from: date | None = None
    issued_until: date | None = None  # inclusive

    @property
    def active(self) -> bool:
        """Whether anything narrows the queue."""
        return bool(self.search or self.provider_id or self.qualification or self.issued_from or self.issued_until)


@dataclass
class BulkOutcome:
    """What a bulk co-signing did: the credentials co-signed, and those left as they were, by reason."""

    cosigned: list[str] = field(default_factory=list)
    #: Credentials left as they were, by the state they are in (``cosigned``, ``suspended``...) or why not.
    skipped: dict[str, list[str]] = field(default_factory=dict)

    @property
    def skipped_count(self) -> int:
        return sum(len(ids) for ids in self.skipped.values())

    def add(self, other: BulkOutcome) -> None:
        """Fold in the outcome of a later chunk."""
        self.cosigned += other.cosigned
        for reason, ids in other.skipped.items():
            self.skipped.setdefault(reason, []).extend(ids)


def in_scope(embassy: Organisation) -> ColumnElement[bool]:
    """The credentials an embassy may see: its nationals', from providers in the country where it sits,
    routed to it or to no embassy (the verifier holds the same rule: ``cosigner_not_in_provider_country``)."""
    providers_here = select(Organisation.id).where(Organisation.country == embassy.host_country)
    return and_(
        Learner.nationality == embassy.country,
        Credential.provider_id.in_(providers_here.scalar_subquery()),
        or_(Credential.embassy_id.is_(None), Credential.embassy_id == embassy.id),
    )


def scoped(embassy: Organisation) -> Select[tuple[Credential]]:
    """Every credential the embassy may see, with its learner and provider loaded."""
    return (
        select(Credential)
        .join(Learner, Credential.learner_id == Learner.id)
        .options(contains_eager(Credential.learner), selectinload(Credential.provider))
        .where(in_scope(embassy))
    )


def awaiting(embassy: Organisation, filters: QueueFilter = QueueFilter()) -> Select[tuple[Credential]]:
    """The credentials awaiting the embassy's co-signature that ``filters`` keeps, oldest first."""
    query = scoped(embassy).where(Credential.state == CredentialState.AWAITING_COSIGN, *filter_terms(filters))
    return query.order_by(Credential.issued_at, Credential.id)


def count(session: Session, query: Select[tuple[Credential]]) -> int:
    """How many rows ``query`` selects."""
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def providers_waiting(session: Session, embassy: Organisation) -> list[tuple[int, str, int]]:
    """The providers with credentials in the queue: id, name and how many wait."""
    query = (
        select(Organisation.id, Organisation.name, func.count())
        .select_from(Credential)
        .join(Learner, Credential.learner_id == Learner.id)
        .join(Organisation, Credential.provider_id == Organisation.id)
        .where(in_scope(embassy), Credential.state == CredentialState.AWAITING_COSIGN)
        .group_by(Organisation.id, Organisation.name)
        .order_by(Organisation.name)
    )
    return [(provider_id, name, n) for provider_id, name, n in session.execute(query)]


def qualifications_waiting(session: Session, embassy: Organisation, provider_id: int | None) -> list[tuple[str, str]]:
    """The qualifications of the queue (of one provider, if given): code and name, by name."""
    query = (
        select(Credential.qualification_code, func.min(Qualification.name))
        .join(Learner, Credential.learner_id == Learner.id)
        .outerjoin(
            Qualification,
            and_(
                Qualification.provider_id == Credential.provider_id,
                Qualification.code == Credential.qualification_code,
            ),
        )
        .where(in_scope(embassy), Credential.state == CredentialState.AWAITING_COSIGN)
        .group_by(Credential.qualification_code)
    )
    if provider_id is not None:
        query = query.where(Credential.provider_id == provider_id)
    rows = [(code, name or code) for code, name in session.execute(query)]
    return sorted(rows, key=lambda row: (row[1].casefold(), row[0]))


def selected(session: Session, embassy: Organisation, unverified_ids: Sequence[str]) -> list[str]:
    """The named credentials, once each; any name the embassy may not see is answered as not found."""
    wanted = list(dict.fromkeys(unverified_ids))
    if any(len(public_id) > Credential.public_id.type.length for public_id in wanted):  # type: ignore[attr-defined]
        raise NotYours("no such credential")  # longer than any id: not looked up
    query = select(Credential.public_id).join(Learner, Credential.learner_id == Learner.id)
    found = set(session.scalars(query.where(in_scope(embassy), Credential.public_id.in_(wanted))))
    if len(found) != len(wanted):
        raise NotYours("no such credential")
    return wanted


def matching_ids(
    session: Session, embassy: Organisation, filters: QueueFilter, *, up_to: int | None = None
) -> list[str]:
    """The oldest ``MAX_BULK`` waiting credentials ``filters`` keeps, none added after row ``up_to``."""
    query = awaiting(embassy, filters).with_only_columns(Credential.public_id)
    if up_to is not None:
        query = query.where(Credential.id <= up_to)
    return list(session.scalars(query.limit(MAX_BULK)))


def newest_row(session: Session, embassy: Organisation, filters: QueueFilter) -> int | None:
    """The highest row id among the waiting credentials ``filters`` keeps: the bound of a confirmation."""
    query = awaiting(embassy, filters).order_by(None).with_only_columns(func.max(Credential.id))
    return session.scalar(query)


def chunks(ids: Sequence[str], size: int = CHUNK) -> Iterator[list[str]]:
    """``ids`` in consecutive slices of ``size``."""
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def cosign_each(
    session: Session, embassy: Organisation, public_ids: Sequence[str], *, signer: Signer, now: datetime, actor: str
) -> BulkOutcome:
    """Lock and co-sign each credential in a savepoint of its own; report those that could not be."""
    outcome = BulkOutcome()
    locked = session.scalars(
        scoped(embassy)
        .where(Credential.public_id.in_(public_ids))
        .order_by(Credential.id)
        .with_for_update(of=Credential)
    ).all()
    by_id = {credential.public_id: credential for credential in locked}
    for public_id in public_ids:
        credential = by_id.get(public_id)
        if credential is None:  # routed to another embassy since it was listed
            outcome.skipped.setdefault(NO_LONGER_YOURS, []).append(public_id)
            continue
        try:
            with session.begin_nested():
                lifecycle.cosign(session, embassy, credential, signer=signer, now=now, actor=actor)
        except (StateConflict, NotYours) as exc:
            # Keyed by the state it is in when it has one (the page words those), else by why.
            outcome.skipped.setdefault(str(exc.data.get("state") or exc.message), []).append(public_id)
            continue
        outcome.cosigned.append(public_id)
    return outcome


def filter_terms(filters: QueueFilter) -> list[ColumnElement[bool]]:
    """The WHERE terms of ``filters`` (over credentials joined to their learners)."""
    terms: list[ColumnElement[bool]] = []
    if filters.search:
        terms.append(or_(search.name_matches(Learner.name, filters.search), search.public_id_matches(filters.search)))
    if filters.provider_id is not None:
        terms.append(Credential.provider_id == filters.provider_id)
    if filters.qualification:
        terms.append(Credential.qualification_code == filters.qualification)
    if filters.issued_from is not None:
        terms.append(Credential.issued_at >= datetime.combine(filters.issued_from, time(0), UTC))
    if filters.issued_until is not None:
        terms.append(Credential.issued_at < datetime.combine(filters.issued_until + timedelta(days=1), time(0), UTC))
    return terms
