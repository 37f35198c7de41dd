"""A small, fictional but realistic world of three corridors, built offline from fresh keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from certsvc.cosigned import CoSignedCredential, sign_credential
from certsvc.credential import (
    AssessmentMethod,
    CredentialSpec,
    Holder,
    Kind,
    PriorSkillsAssessment,
    Qualification,
    build_payload,
    encode_payload,
)
from certsvc.keys import SigningKey
from certsvc.statuslist import StatusList, sign_status_list
from certsvc.trustlist import (
    Accreditation,
    Equivalence,
    Organisation,
    OrgKind,
    TrustedKey,
    TrustList,
    sign_trust_list,
)

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def short_id(length: int = 8) -> str:
    """Return a random Crockford base32 identifier (40 bits at the default length)."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


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
        return f"{base}/o/{self.slug}"

    def kid_uri(self, base: str) -> str:
        return f"{self.org_id(base)}#k1"


@dataclass(frozen=True)
class Corridor:
    """A destination country's provider, an origin country's embassy and authority, and qualifications."""

    origin: str
    origin_name: str
    authority: Party
    embassy: Party
    provider: Party
    qualifications: tuple[tuple[Qualification, Equivalence], ...]


def _qualification(
    base: str, code: str, name: str, framework: str, level: str, isco: tuple[str, str], asean: int | None
) -> Qualification:
    return Qualification(
        id=f"{base}/q/{code}",
        name=name,
        description=f"{framework} level {level} certificate in {name}",
        framework=framework,
        level=level,
        isco_code=isco[0],
        isco_title=isco[1],
        asean_level=asean,
    )


def corridors(base: str) -> list[Corridor]:
    """Build the three demo corridors with fresh keys."""
    welding = _qualification(
        base, "MY-SMAW2", "Shielded Metal Arc Welding", "SKM", "2", ("7212", "Welders and flamecutters"), 2
    )
    cookery = _qualification(base, "MY-COOK2", "Commercial Cookery", "SKM", "2", ("5120", "Cooks"), 2)
    care = _qualification(
        base,
        "MY-CARE2",
        "Home-based Personal Care",
        "SKM",
        "2",
        ("5322", "Home-based personal care workers"),
        2,
    )
    electrical = _qualification(
        base,
        "SG-ELEC2",
        "Construction Trade Test: Electrical Wiring",
        "SEC(K)",
        "2",
        ("7411", "Building and related electricians"),
        2,
    )
    us_weld = _qualification(
        base,
        "US-SW1",
        "Structural Welding (AWS D1.1)",
        "NCCER",
        "1",
        ("7212", "Welders and flamecutters"),
        None,
    )
    return [
        Corridor(
            "PH",
            "the Philippines",
            Party("ph-tesda", "TESDA", OrgKind.AUTHORITY, "PH"),
            Party("ph-kl", "Philippine Embassy Kuala Lumpur, Labour Office", OrgKind.EMBASSY, "PH", "MY"),
            Party("klwa", "Kuala Lumpur Welding Academy", OrgKind.PROVIDER, "MY"),
            (
                (
                    welding,
                    Equivalence(welding.id, "SMAW-NCII", "Shielded Metal Arc Welding NC II", "PQF", "2"),
                ),
                (cookery, Equivalence(cookery.id, "COOK-NCII", "Cookery NC II", "PQF", "2")),
                (care, Equivalence(care.id, "CARE-NCII", "Caregiving NC II", "PQF", "2")),
            ),
        ),
        Corridor(
            "MM",
            "Myanmar",
            Party("mm-nssa", "National Skills Standards Authority (NSSA)", OrgKind.AUTHORITY, "MM"),
            Party("mm-sg", "Embassy of Myanmar in Singapore, Labour Section", OrgKind.EMBASSY, "MM", "SG"),
            Party("jcsc", "Jurong Construction Skills Centre", OrgKind.PROVIDER, "SG"),
            (
                (
                    electrical,
                    Equivalence(
                        electrical.id,
                        "NSSA-EL-2",
                        "NSSA Skilled Worker Certificate (Electrician)",
                        "NSSA",
                        "2",
                    ),
                ),
            ),
        ),
        Corridor(
            "SV",
            "El Salvador",
            Party("sv-insaforp", "INSAFORP", OrgKind.AUTHORITY, "SV"),
            Party("sv-hou", "Consulado General de El Salvador en Houston", OrgKind.EMBASSY, "SV", "US"),
            Party("hwi", "Houston Welding Institute", OrgKind.PROVIDER, "US"),
            ((us_weld, Equivalence(us_weld.id, "SOLD-2", "Soldador Estructural", "MNC", "2")),),
        ),
    ]


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
    )


def signed_trust_list(corridor: Corridor, base: str, issued_at: datetime) -> str:
    """Return the corridor's trust list signed by its authority."""
    return sign_trust_list(
        trust_list_for(corridor, base, issued_at), corridor.authority.key, corridor.authority.kid_uri(base)
    )


def status_uri(corridor: Corridor, base: str) -> str:
    return f"{corridor.provider.org_id(base)}/status/1"


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
    credential_id = f"{base}/c/{short_id()}"
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
