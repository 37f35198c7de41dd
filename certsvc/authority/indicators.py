"""The authority's indicators, computed by SQL aggregation over credentials and verifications.

Every figure is a ``GROUP BY`` in the database: Python only receives the aggregated
rows (a few hundred at most), so the dashboard stays fast with 100,000 credentials.
The figures are scoped to one nationality (the authority's country) and filtered by an
issue-date range and a corridor (the provider's country).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Float, String, case, exists, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from certsvc.store.models import (
    Accreditation,
    Credential,
    CredentialState,
    Learner,
    Organisation,
    OrgKind,
    Qualification,
    RejectionReason,
    VerificationEvent,
)

NOT_RECORDED = "not recorded"
NO_EMBASSY = "No embassy assigned"
HOME, ELSEWHERE = "at home", "elsewhere"
REVOKED, WITHDRAWN = "revoked", "co-signature withdrawn"
KINDS = ("training", "prior_skills")
SEXES = ("F", "M", "X", NOT_RECORDED)


class month_of(FunctionElement[Any]):
    """The month of a UTC timestamp column, as the database groups by it cheaply."""

    inherit_cache = True


@compiles(month_of, "sqlite")
def _month_sqlite(element: month_of, compiler: Any, **kw: Any) -> str:
    # SQLite keeps UTC timestamps as ISO text ("YYYY-MM-DD HH:MM:SS.ffffff"): the month is its prefix.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(month_of, "postgresql")
def _month_postgresql(element: month_of, compiler: Any, **kw: Any) -> str:
    # date_trunc is cheaper per row than to_char; month_text formats once per group.
    return f"date_trunc('month', ({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC')"


class month_text(FunctionElement[str]):
    """A ``month_of`` value as ``YYYY-MM`` text (select it; group by the ``month_of`` inside)."""

    type = String()
    inherit_cache = True


@compiles(month_text, "sqlite")
def _month_text_sqlite(element: month_text, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(month_text, "postgresql")
def _month_text_postgresql(element: month_text, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


class days_between(FunctionElement[float]):
    """Fractional days from the first timestamp to the second."""

    type = Float()
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


@compiles(days_between, "postgresql")
def _days_postgresql(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


@dataclass(frozen=True)
class Filters:
    """Which credentials count: the holders' nationality, an issue-date range, a corridor."""

    nationality: str
    start: date | None = None  # inclusive
    end: date | None = None  # inclusive
    provider_country: str | None = None

    def corridor_label(self, provider_country: str) -> str:
        return f"{provider_country} → {self.nationality}"


@dataclass(frozen=True)
class QualificationCount:
    label: str
    provider_country: str
    count: int


@dataclass(frozen=True)
class EmbassyFigures:
    """Per embassy: credentials that went to it, how many it co-signed or rejected, how fast."""

    embassy: str
    credentials: int
    cosigned: int
    rejected: int
    median_days: float | None


@dataclass
class Figures:
    """Every aggregate the dashboard shows, for one set of filters."""

    filters: Filters
    issued: dict[tuple[str, str, str, str], int]  # (month, provider country, kind, sex) -> count
    qualifications: list[QualificationCount]
    embassies: list[EmbassyFigures]
    rejection_reasons: list[tuple[str, int]]  # (reason code, count), most frequent first
    revocations: dict[tuple[str, str], int]  # (month, REVOKED | WITHDRAWN) -> count
    verifications: dict[tuple[str, str], int]  # (month, HOME | ELSEWHERE) -> count
    verified_home: dict[str, tuple[int, int]]  # provider country -> (credentials, verified at home)
    corridors: list[str] = field(default_factory=list)  # provider countries seen, for the filter
    other_notes: list[tuple[str, int]] = field(default_factory=list)  # "other" reasons as written (private)

    @property
    def total_issued(self) -> int:
        return sum(self.issued.values())

    def issued_by(self, dimension: str) -> dict[tuple[str, str], int]:
        """Credentials issued per (month, value of ``dimension``): corridor, kind or sex."""
        index = {"corridor": 1, "kind": 2, "sex": 3}[dimension]
        result: dict[tuple[str, str], int] = {}
        for key, count in self.issued.items():
            value = self.filters.corridor_label(key[1]) if dimension == "corridor" else key[index]
            result[(key[0], value)] = result.get((key[0], value), 0) + count
        return result

    def months(self) -> list[str]:
        """Every month from the first to the last with any figure, gaps filled (bounded by the data, so a
        filter from year 1 to 9999 does not draw 120,000 empty months)."""
        seen = {k[0] for k in self.issued} | {k[0] for k in self.revocations} | {k[0] for k in self.verifications}
        if not seen:
            return []
        return month_range(min(seen), max(seen))


def figures(session: Session, filters: Filters) -> Figures:
    """Compute every indicator for ``filters`` (a handful of aggregate queries)."""
    cube = issued_cube(session, filters)
    outcomes = outcome_counts(session, filters)
    providers = _providers(session, {key[1] for key in cube} | {key[0] for key in outcomes})
    result = Figures(
        filters=filters,
        issued=_issued(cube, providers),
        qualifications=_qualifications(session, cube, providers),
        embassies=_embassies(session, outcomes, median_days_to_cosign(session, filters)),
        rejection_reasons=rejection_reasons(session, filters),
        other_notes=other_reason_notes(session, filters),
        revocations=revocations_per_month(session, filters),
        verifications=verifications_per_month(session, filters),
        verified_home=_verified_home(outcomes, providers),
    )
    result.corridors = corridor_countries(session, filters.nationality, result)
    return result


def issued_cube(session: Session, filters: Filters) -> dict[tuple[str, int, str, str, str], int]:
    """Credentials issued per month, provider, qualification, kind and sex, in one pass."""
    month = month_of(Credential.issued_at)
    columns = (Credential.provider_id, Credential.qualification_code, Credential.kind, Learner.sex)
    query = (
        select(month_text(month), *columns, func.count())
        .select_from(Credential)
        .join(Learner, Learner.id == Credential.learner_id)
        .where(*_scope(filters))
        .group_by(month, *columns)
    )
    return {
        (m, provider_id, code, kind.value, sex.value if sex else NOT_RECORDED): n
        for m, provider_id, code, kind, sex, n in session.execute(query)
    }


def outcome_counts(session: Session, filters: Filters) -> dict[tuple[int, int | None], tuple[int, int, int, int]]:
    """Per provider and embassy: credentials, co-signed, rejected, verified at home at least once."""
    rejected = case((Credential.state == CredentialState.REJECTED, 1), else_=0)
    # Every credential in scope has the filter's nationality, so "at home" is that country.
    at_home = exists().where(
        VerificationEvent.credential_id == Credential.id, VerificationEvent.country == filters.nationality
    )
    provider, embassy = unindexed(Credential.provider_id), unindexed(Credential.embassy_id)
    query = (
        select(
            provider,
            embassy,
            func.count(),
            func.count(Credential.cosigned_at),
            func.sum(rejected),
            func.sum(case((at_home, 1), else_=0)),
        )
        .select_from(Credential)
        .join(Learner, Learner.id == Credential.learner_id)
        .where(*_scope(filters))
        .group_by(provider, embassy)
    )
    return {
        (provider_id, embassy_id): (n, cosigned, int(rejected or 0), int(home or 0))
        for provider_id, embassy_id, n, cosigned, rejected, home in session.execute(query)
    }


def median_days_to_cosign(session: Session, filters: Filters) -> dict[int, float]:
    """Median days from issue to co-signature per embassy, in portable SQL (window functions).

    Rows are numbered in order within each embassy; the median is the mean of the middle
    one or two, so only one row per embassy leaves the database.
    """
    days = days_between(Credential.issued_at, Credential.cosigned_at)
    embassy = func.coalesce(unindexed(Credential.embassy_id), 0)  # 0: no embassy
    ordered = (
        select(
            embassy.label("embassy_id"),
            days.label("days"),
            func.row_number().over(partition_by=embassy, order_by=days).label("rn"),
            func.count().over(partition_by=embassy).label("n"),
        )
        .select_from(Credential)
        .join(Learner, Learner.id == Credential.learner_id)
        .where(*_scope(filters), Credential.cosigned_at.is_not(None))
        .subquery()
    )
    middle = ordered.c.rn.in_([(ordered.c.n + 1) // 2, (ordered.c.n + 2) // 2])  # the middle one or two
    query = select(ordered.c.embassy_id, func.avg(ordered.c.days)).where(middle).group_by(ordered.c.embassy_id)
    return {embassy_id: float(value) for embassy_id, value in session.execute(query) if embassy_id}


def rejection_reasons(session: Session, filters: Filters) -> list[tuple[str, int]]:
    """Rejections by reason code (of the fixed list), most frequent first; "other" last, with its count."""
    code = func.coalesce(Credential.reject_code, RejectionReason.OTHER.value)
    query = (
        select(code, func.count())
        .select_from(Credential)
        .join(Learner, Learner.id == Credential.learner_id)
        # The literal lets SQLite see the partial index ix_credentials_rejected applies.
        .where(*_scope(filters), Credential.state == literal_column(f"'{CredentialState.REJECTED.value}'"))
        .group_by(code)
    )
    counts = [(reason, n) for reason, n in session.execute(query)]
    return sorted(counts, key=lambda row: (row[0] == RejectionReason.OTHER, -row[1], row[0]))


def other_reason_notes(session: Session, filters: Filters, limit: int = 20) -> list[tuple[str, int]]:
    """The notes of rejections for "other" reasons, as written, most frequent first (for the authority only)."""
    note = func.coalesce(Credential.reject_reason, "")
    query = (
        select(note, func.count())
        .select_from(Credential)
        .join(Learner, Learner.id == Credential.learner_id)
        .where(
            *_scope(filters),
            Credential.state == literal_column(f"'{CredentialState.REJECTED.value}'"),
            func.coalesce(Credential.reject_code, RejectionReason.OTHER.value) == RejectionReason.OTHER.value,
        )
        .group_by(note)
        .order_by(func.count().desc(), note)
        .limit(limit)
    )
    return [(text, n) for text, n in session.execute(query)]


def revocations_per_month(session: Session, filters: Filters) -> dict[tuple[str, str], int]:
    """Revocations and withdrawn co-signatures per month in which they happened."""
    result: dict[tuple[str, str], int] = {}
    for column, label in ((Credential.revoked_at, REVOKED), (Credential.withdrawn_at, WITHDRAWN)):
        month = month_of(column)
        query = (
            select(month_text(month), func.count())
            .select_from(Credential)
            .join(Learner, Learner.id == Credential.learner_id)
            .where(*_scope(filters, column), column.is_not(None))
            .group_by(month)
        )
        result.update({(m, label): n for m, n in session.execute(query)})
    return result


def verifications_per_month(session: Session, filters: Filters) -> dict[tuple[str, str], int]:
    """Verifications of the scope's credentials per month, at home (holder's country) or elsewhere."""
    month = month_of(VerificationEvent.at)
    where = case((VerificationEvent.country == filters.nationality, HOME), else_=ELSEWHERE)
    query = (
        select(month_text(month), where, func.count())
        .select_from(VerificationEvent)
        .join(Credential, unindexed(Credential.id) == VerificationEvent.credential_id)
        .join(Learner, Learner.id == Credential.learner_id)
        .where(*_scope(filters, VerificationEvent.at))
        .group_by(month, where)
    )
    return {(m, w): n for m, w, n in session.execute(query)}


def corridor_countries(session: Session, nationality: str, seen: Figures | None = None) -> list[str]:
    """Provider countries to offer as corridors: where accredited providers are, and any in the figures."""
    provider, authority = aliased(Organisation), aliased(Organisation)
    query = (
        select(provider.country)
        .join(Qualification, Qualification.provider_id == provider.id)
        .join(Accreditation, Accreditation.qualification_id == Qualification.id)
        .join(authority, authority.id == Accreditation.authority_id)
        .where(authority.country == nationality)
        .distinct()
    )
    countries = set(session.scalars(query))
    if seen is not None:
        countries |= {key[1] for key in seen.issued} | set(seen.verified_home)
    return sorted(countries)


def month_range(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last`` inclusive."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _scope(filters: Filters, moment: Any = None) -> list[ColumnElement[bool]]:
    """The WHERE terms: nationality, corridor, and the date range on ``moment`` (default: issue time)."""
    column = Credential.issued_at if moment is None else moment
    terms: list[ColumnElement[bool]] = [Learner.nationality == filters.nationality]
    if filters.provider_country:
        # The few providers of the corridor, rather than a join per credential.
        providers = select(Organisation.id).where(
            Organisation.kind == OrgKind.PROVIDER, Organisation.country == filters.provider_country
        )
        terms.append(unindexed(Credential.provider_id).in_(providers))
    if filters.start is not None:
        terms.append(column >= datetime.combine(filters.start, time(0), UTC))
    if filters.end is not None:
        terms.append(column < datetime.combine(filters.end + timedelta(days=1), time(0), UTC))
    return terms


def unindexed(column: Any) -> Any:
    """``column + 0``: the same value, which SQLite will not look up in the column's own index.

    A credential row is several kilobytes (payload and both JWS). Given a condition, a join or
    a grouping on a bare column, SQLite's planner happily walks that column's narrow index
    and reads every wide row; on the expression it keeps to the covering index instead (the
    unary-operator technique of SQLite's query planner documentation). PostgreSQL plans these
    queries with hash joins over the covering index either way.
    """
    return column + literal_column("0")  # inline, so SELECT and GROUP BY name the same expression


def _names(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all())


@dataclass(frozen=True)
class _Provider:
    name: str
    country: str


def _providers(session: Session, ids: set[int]) -> dict[int, _Provider]:
    if not ids:
        return {}
    query = select(Organisation.id, Organisation.name, Organisation.country).where(Organisation.id.in_(ids))
    return {i: _Provider(name, country) for i, name, country in session.execute(query)}


def _issued(
    cube: dict[tuple[str, int, str, str, str], int], providers: dict[int, _Provider]
) -> dict[tuple[str, str, str, str], int]:
    issued: dict[tuple[str, str, str, str], int] = {}
    for (m, provider_id, _code, kind, sex), n in cube.items():
        key = (m, providers[provider_id].country, kind, sex)
        issued[key] = issued.get(key, 0) + n
    return issued


def _qualifications(
    session: Session, cube: dict[tuple[str, int, str, str, str], int], providers: dict[int, _Provider]
) -> list[QualificationCount]:
    counts: dict[tuple[int, str], int] = {}
    for (_m, provider_id, code, _kind, _sex), n in cube.items():
        counts[(provider_id, code)] = counts.get((provider_id, code), 0) + n
    query = select(Qualification.provider_id, Qualification.code, Qualification.name).where(
        Qualification.provider_id.in_({provider_id for provider_id, _ in counts})
    )
    names = {(provider_id, code): name for provider_id, code, name in session.execute(query)}
    rows = [
        QualificationCount(f"{names.get(key, key[1])} ({providers[key[0]].name})", providers[key[0]].country, n)
        for key, n in counts.items()
    ]
    return sorted(rows, key=lambda row: (-row.count, row.label))


def _embassies(
    session: Session,
    outcomes: dict[tuple[int, int | None], tuple[int, int, int, int]],
    medians: dict[int, float],
) -> list[EmbassyFigures]:
    totals: dict[int | None, list[int]] = {}
    for (_provider_id, embassy_id), (n, cosigned, rejected, _home) in outcomes.items():
        row = totals.setdefault(embassy_id, [0, 0, 0])
        row[0], row[1], row[2] = row[0] + n, row[1] + cosigned, row[2] + rejected
    names = _names(session, [i for i in totals if i is not None])
    rows = [
        EmbassyFigures(names.get(i, NO_EMBASSY) if i else NO_EMBASSY, n, c, r, medians.get(i) if i else None)
        for i, (n, c, r) in totals.items()
    ]
    return sorted(rows, key=lambda row: (row.embassy == NO_EMBASSY, row.embassy))


def _verified_home(
    outcomes: dict[tuple[int, int | None], tuple[int, int, int, int]], providers: dict[int, _Provider]
) -> dict[str, tuple[int, int]]:
    result: dict[str, tuple[int, int]] = {}
    for (provider_id, _embassy_id), (n, _cosigned, _rejected, home) in outcomes.items():
        country = providers[provider_id].country
        total, verified = result.get(country, (0, 0))
        result[country] = (total + n, verified + home)
    return result
