"""A small, fictional but realistic world of three corridors, built offline from fresh keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from certsvc.credentials import identifiers
from certsvc.credentials.catalogue import entry_for
from certsvc.credentials.cosigned import CoSignedCredential, sign_credential
from certsvc.credentials.keys import SigningKey
from certsvc.credentials.openbadge import (
    AssessmentMethod,
    CredentialSpec,
    Holder,
    Kind,
    PriorSkillsAssessment,
    Qualification,
    build_payload,
    encode_payload,
)
from certsvc.credentials.statuslist import StatusList, sign_status_list
from certsvc.credentials.trustlist import (
    Accreditation,
    Equivalence,
    Organisation,
    OrgKind,
    TrustedKey,
    TrustList,
    sign_trust_list,
)
from certsvc.demo.catalogue import CORRIDORS, OrgEntry, QualificationEntry

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Party:
    """An organisation of the demo with its signing key."""

    slug: str
    name: str
    kind: OrgKind
    country: str
    host_country: str | None = None
    key: SigningKey = field(default_factory=SigningKey.generate)

    def org_id(self, base: str) -> str:
        return identifiers.org_uri(base, self.slug)

    def kid_uri(self, base: str) -> str:
        return identifiers.key_uri(base, self.slug, 1)


@dataclass(frozen=True)
class Corridor:
    """A destination country's provider, an origin country's embassy and authority, and qualifications."""

    origin: str
    origin_name: str
    authority: Party
    embassy: Party
    provider: Party
    qualifications: tuple[tuple[Qualification, Equivalence], ...]


def _qualification(base: str, provider_slug: str, entry: QualificationEntry) -> Qualification:
    return Qualification(
        id=identifiers.qualification_uri(base, provider_slug, entry.code),
        name=entry.name,
        description=entry.description,
        framework=entry.framework,
        level=entry.level,
        isco_code=entry.isco_code,
        isco_title=entry.isco_title,
        asean_level=entry.asean_level,
    )


def _party(entry: OrgEntry, kind: OrgKind) -> Party:
    return Party(entry.slug, entry.name, kind, entry.country, entry.host_country)


def corridors(base: str) -> list[Corridor]:
    """Build the three demo corridors with fresh keys."""
    built = []
    for entry in CORRIDORS:
        pairs = []
        for q in entry.qualifications:
            qualification = _qualification(base, entry.provider.slug, q)
            rule = Equivalence(
                qualification.id, q.national_code, q.national_title, q.national_framework, q.national_level
            )
            pairs.append((qualification, rule))
        built.append(
            Corridor(
                entry.origin,
                entry.origin_name,
                _party(entry.authority, OrgKind.AUTHORITY),
                _party(entry.embassy, OrgKind.EMBASSY),
                _party(entry.provider, OrgKind.PROVIDER),
                tuple(pairs),
            )
        )
    return built


def trust_list_for(corridor: Corridor, base: str, issued_at: datetime, sequence: int = 1) -> TrustList:
    """Build the corridor authority's trust list."""

    def org(party: Party, accreditations: tuple[Accreditation, ...] = ()) -> Organisation:
        key = TrustedKey(party.kid_uri(base), party.key.public, not_before=EPOCH)
        return Organisation(
            party.org_id(base),
            party.name,
            party.kind,
            party.country,
            (key,),
            party.host_country,
            accreditations,
        )

    accreditations = tuple(Accreditation(q.id, EPOCH.date(), date(2030, 12, 31)) for q, _ in corridor.qualifications)
    return TrustList(
        authority=org(corridor.authority),
        country=corridor.origin,
        country_name=corridor.origin_name,
        sequence=sequence,
        issued_at=issued_at,
        ttl=3600,
        organisations=(org(corridor.embassy), org(corridor.provider, accreditations)),
        equivalences=tuple(e for _, e in corridor.qualifications),
        catalogue=tuple(entry_for(q, corridor.provider.org_id(base)) for q, _ in corridor.qualifications),
    )


def signed_trust_list(corridor: Corridor, base: str, issued_at: datetime) -> str:
    """Return the corridor's trust list signed by its authority."""
    return sign_trust_list(
        trust_list_for(corridor, base, issued_at), corridor.authority.key, corridor.authority.kid_uri(base)
    )


def status_uri(corridor: Corridor, base: str) -> str:
    return identifiers.status_list_uri(base, corridor.provider.slug, 1)


def issue(
    corridor: Corridor,
    base: str,
    holder: Holder,
    qualification: Qualification,
    idx: int,
    valid_from: datetime,
    assessment: PriorSkillsAssessment | None = None,
    cosign: bool = True,
) -> CoSignedCredential:
    """Issue (and optionally co-sign) one credential in a corridor."""
    credential_id = identifiers.credential_uri(base, identifiers.new_public_id())
    spec = CredentialSpec(
        credential_id=credential_id,
        issuer_id=corridor.provider.org_id(base),
        holder=holder,
        qualification=qualification,
        kind=Kind.PRIOR_SKILLS if assessment else Kind.TRAINING,
        valid_from=valid_from,
        valid_until=valid_from + timedelta(days=5 * 365),
        status_uri=status_uri(corridor, base),
        status_idx=idx,
        assessment=assessment,
    )
    credential = sign_credential(
        encode_payload(build_payload(spec)), corridor.provider.key, corridor.provider.kid_uri(base)
    )
    if cosign:
        credential = credential.with_cosignature(corridor.embassy.key, corridor.embassy.kid_uri(base))
    return credential


def signed_status_list(
    corridor: Corridor, base: str, statuses: dict[int, int], issued_at: datetime, size: int = 1024
) -> str:
    """Return the provider's signed status list (2 bits per entry)."""
    status_list = StatusList(size, bits=2)
    for idx, value in statuses.items():
        status_list.set(idx, value)
    return sign_status_list(
        status_list,
        corridor.provider.key,
        corridor.provider.kid_uri(base),
        status_uri(corridor, base),
        issued_at,
        ttl_seconds=3600,
    )


def sample_holder(nationality: str = "PH") -> Holder:
    """A fictional worker."""
    return Holder.create("Maria Santos Dela Cruz", date(1990, 5, 17), nationality, "P1234567A")


def sample_assessment() -> PriorSkillsAssessment:
    """A prior-skills assessment on arrival."""
    return PriorSkillsAssessment(
        AssessmentMethod.PRACTICAL_TEST,
        "Practical test: bed bath, transfers and medication log; passed.",
        date(2026, 2, 2),
    )
