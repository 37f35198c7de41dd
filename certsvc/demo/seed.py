"""``certsvc demo``: seed the database with three corridors, users and credentials in every state.

Idempotent: organisations, users and qualifications are created once; the sample
credentials only when the provider has none yet.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.accounts.organisations import create_organisation
from certsvc.accounts.users import create_user
from certsvc.authority import publishing
from certsvc.credentials.openbadge import AssessmentMethod, PriorSkillsAssessment
from certsvc.demo.catalogue import CORRIDORS, CorridorEntry, OrgEntry, QualificationEntry
from certsvc.store.models import (
    Accreditation,
    Credential,
    CredentialClaim,
    Equivalence,
    Learner,
    NationalQualification,
    Organisation,
    OrgKind,
    Qualification,
    RejectionReason,
    Role,
    User,
)
from certsvc.store.signers import signer_for
from certsvc.wallet import claims
from issuers import lifecycle
from issuers.issuance import LearnerData, issue_credential, register_learner

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed by the demo on purpose
ACTOR = "demo"


@dataclass(frozen=True)
class DemoLogin:
    """A demo user to print: email, role, organisation and its kind (which says where the user works)."""

    email: str
    role: str
    organisation: str
    kind: str


def seed(session: Session, *, kek: str, base_url: str, hasher: PasswordHasher, now: datetime) -> list[DemoLogin]:
    """Create (once) the demo world; return the logins to print."""
    logins: list[DemoLogin] = []
    for corridor in CORRIDORS:
        orgs = {
            OrgKind.AUTHORITY: _org(session, corridor.authority, OrgKind.AUTHORITY, kek, now),
            OrgKind.EMBASSY: _org(session, corridor.embassy, OrgKind.EMBASSY, kek, now),
            OrgKind.PROVIDER: _org(session, corridor.provider, OrgKind.PROVIDER, kek, now),
        }
        for org in orgs.values():
            logins.append(_user(session, org, hasher, now))
        _recognition(session, corridor, orgs[OrgKind.AUTHORITY], orgs[OrgKind.PROVIDER], now)
        session.flush()
        _sample_credentials(session, corridor, orgs, kek=kek, base_url=base_url, now=now)
        _claims(session, orgs[OrgKind.PROVIDER], kek, hasher)
        publishing.publish_trust_list(session, orgs[OrgKind.AUTHORITY], base_url=base_url, kek=kek, now=now)
    return logins


def _org(session: Session, entry: OrgEntry, kind: OrgKind, kek: str, now: datetime) -> Organisation:
    existing = session.scalar(select(Organisation).where(Organisation.slug == entry.slug))
    if existing is not None:
        return existing
    return create_organisation(
        session,
        slug=entry.slug,
        name=entry.name,
        kind=kind,
        country=entry.country,
        host_country=entry.host_country,
        kek=kek,
        actor=ACTOR,
        # Keys must predate the sample credentials, which are back-dated.
        now=now - timedelta(days=60),
    )


def _user(session: Session, org: Organisation, hasher: PasswordHasher, now: datetime) -> DemoLogin:
    role = Role.ADMIN if org.kind is OrgKind.AUTHORITY else Role.OFFICER
    email = f"{role.value}@{org.slug}.example"
    if session.scalar(select(User.id).where(User.email == email)) is None:
        create_user(session, org, email=email, password=DEMO_PASSWORD, role=role, hasher=hasher, actor=ACTOR, now=now)
    return DemoLogin(email, role.value, org.name, org.kind.value)


def _recognition(
    session: Session, corridor: CorridorEntry, authority: Organisation, provider: Organisation, now: datetime
) -> None:
    for entry in corridor.qualifications:
        _national(session, authority, entry, now)
        qualification = session.scalar(
            select(Qualification).where(Qualification.provider_id == provider.id, Qualification.code == entry.code)
        )
        if qualification is not None:
            continue
        qualification = Qualification(
            provider_id=provider.id,
            code=entry.code,
            name=entry.name,
            description=entry.description,
            framework=entry.framework,
            level=entry.level,
            isco_code=entry.isco_code,
            isco_title=entry.isco_title,
            asean_level=entry.asean_level,
        )
        session.add(qualification)
        session.flush()
        session.add(
            Accreditation(
                authority_id=authority.id,
                qualification_id=qualification.id,
                valid_from=date(2024, 1, 1),
                valid_until=date(2030, 12, 31),
            )
        )
        session.add(
            Equivalence(
                authority_id=authority.id,
                qualification_id=qualification.id,
                national_code=entry.national_code,
                national_title=entry.national_title,
                framework=entry.national_framework,
                level=entry.national_level,
            )
        )


def _national(session: Session, authority: Organisation, entry: QualificationEntry, now: datetime) -> None:
    """The national qualification an equivalence maps to, in the authority's catalogue (once)."""
    exists = session.scalar(
        select(NationalQualification.id).where(
            NationalQualification.authority_id == authority.id, NationalQualification.code == entry.national_code
        )
    )
    if exists is None:
        session.add(
            NationalQualification(
                authority_id=authority.id,
                code=entry.national_code,
                title=entry.national_title,
                framework=entry.national_framework,
                level=entry.national_level,
                isco_code=entry.isco_code,
                created_at=now,
                updated_at=now,
            )
        )


#: (name, birth date, ID number, sex, kind, final state) of each corridor's sample learners. Names are
#: those of the corridor's nationals (one Burmese name in its own script), so every state and
#: every script the certificate prints is there to try.
_SAMPLES = {
    "PH": (
        ("Maria Santos Dela Cruz", date(1990, 5, 17), "P1234567A", "F", "training", "cosigned"),
        ("Jose Reyes Bautista", date(1987, 2, 3), "P2345678B", "M", "prior_skills", "cosigned"),
        ("Ana Lim Garcia", date(1995, 9, 30), "P3456789C", "F", "training", "awaiting_cosign"),
        ("Ramon Cruz Villanueva", date(1992, 12, 1), "P4567890D", "M", "training", "revoked"),
        ("Liza Mae Torres", date(1998, 7, 21), "P5678901E", "F", "training", "rejected"),
        ("Carlo Mendoza Aquino", date(1985, 4, 11), "P6789012F", "M", "training", "suspended"),
        ("Grace Ann Ramos", date(1993, 3, 8), "P7890123G", "F", "prior_skills", "withdrawn"),
    ),
    "MM": (
        ("အောင်ကိုကို", date(1991, 8, 14), "MA1234567", "M", "training", "cosigned"),
        ("Thiri Win Aung", date(1996, 1, 25), "MB2345678", "F", "prior_skills", "cosigned"),
        ("Kyaw Zin Htet", date(1994, 11, 2), "MC3456789", "M", "training", "awaiting_cosign"),
    ),
    "SV": (
        ("José Antonio Hernández Peña", date(1989, 6, 9), "01234567-8", "M", "training", "cosigned"),
        ("María Fernanda López Ramírez", date(1997, 10, 3), "02345678-9", "F", "prior_skills", "cosigned"),
        ("Óscar Iván Martínez Núñez", date(1993, 2, 27), "03456789-0", "M", "training", "awaiting_cosign"),
    ),
}


def _sample_credentials(
    session: Session,
    corridor: CorridorEntry,
    orgs: dict[OrgKind, Organisation],
    *,
    kek: str,
    base_url: str,
    now: datetime,
) -> None:
    provider, embassy = orgs[OrgKind.PROVIDER], orgs[OrgKind.EMBASSY]
    if session.scalar(select(Credential.id).where(Credential.provider_id == provider.id).limit(1)) is not None:
        return
    samples = _SAMPLES[corridor.origin]
    issuer = signer_for(session, provider, kek, base_url)
    cosigner = signer_for(session, embassy, kek, base_url)
    issued = now - timedelta(days=20)
    for n, (name, born, id_number, sex, kind, state) in enumerate(samples):
        learner = register_learner(
            session,
            provider,
            LearnerData(
                name,
                born,
                corridor.origin,
                id_number,
                sex,
                f"DEMO-{provider.slug}-{n + 1}",
                language=_LANGUAGE_OF_ORIGIN.get(corridor.origin, "en"),
            ),
            actor=ACTOR,
        )
        code = corridor.qualifications[min(n, len(corridor.qualifications) - 1)].code
        if kind == "prior_skills":
            code = corridor.qualifications[-1].code
        qualification = session.scalar(
            select(Qualification).where(Qualification.provider_id == provider.id, Qualification.code == code)
        )
        assert qualification is not None
        assessment = None
        if kind == "prior_skills":
            assessment = PriorSkillsAssessment(
                AssessmentMethod.PRACTICAL_TEST,
                "Bed bath, transfers and medication log observed; passed.",
                (issued - timedelta(days=3)).date(),
            )
        credential = issue_credential(
            session,
            provider,
            learner,
            qualification,
            signer=issuer,
            base_url=base_url,
            now=issued,
            actor=ACTOR,
            assessment=assessment,
            external_id=f"DEMO-{n + 1}",
        )
        _advance(session, credential, state, provider, embassy, cosigner, issued)


def _advance(session, credential, state, provider, embassy, cosigner, issued) -> None:  # type: ignore[no-untyped-def]
    later = issued + timedelta(days=2)
    if state in ("cosigned", "revoked", "suspended", "withdrawn"):
        lifecycle.cosign(session, embassy, credential, signer=cosigner, now=later, actor=ACTOR)
    if state == "rejected":
        lifecycle.reject(
            session,
            embassy,
            credential,
            RejectionReason.TRAINING_RECORD,
            "Training hours in the record do not match the attendance sheet.",
            now=later,
            actor=ACTOR,
        )
    if state == "revoked":
        lifecycle.revoke(session, provider, credential, "Issued in error: wrong qualification.", now=later, actor=ACTOR)
    if state == "suspended":
        lifecycle.suspend(session, provider, credential, "Assessment under review.", now=later, actor=ACTOR)
    if state == "withdrawn":
        lifecycle.withdraw(
            session, embassy, credential, "The worker's nationality record is being corrected.", now=later, actor=ACTOR
        )


# -- wallet claim codes ---------------------------------------------------------------------

#: The demo credential whose claim code the demo prints (co-signed, so its QR is recognised).
DEMO_CLAIM_HOLDER = ("klwa", "Maria Santos Dela Cruz")


@dataclass(frozen=True)
class DemoClaim:
    holder: str
    code: str
    pin: str


#: The language a demo learner reads, by country of origin (their claim slips are printed in it).
_LANGUAGE_OF_ORIGIN = {"PH": "fil", "MM": "my"}


def demo_claim_secrets(kek: str, public_id: str) -> claims.ClaimSecrets:
    """The claim code and PIN of a demo credential, derived from the instance's key so a rerun can print them."""
    digest = hmac.new(kek.encode("utf-8"), b"demo wallet claim " + public_id.encode("ascii"), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    code = "".join(claims.CROCKFORD[(number >> (5 * i)) & 31] for i in range(claims.CLAIM_CODE_CHARS))
    pin = f"{(number >> 128) % 10**claims.PIN_DIGITS:0{claims.PIN_DIGITS}d}"
    return claims.ClaimSecrets(claims.format_claim_code(code), pin)


def _claims(session: Session, provider: Organisation, kek: str, hasher: PasswordHasher) -> None:
    unclaimed = session.scalars(
        select(Credential)
        .outerjoin(CredentialClaim, CredentialClaim.credential_id == Credential.id)
        .where(Credential.provider_id == provider.id, CredentialClaim.credential_id.is_(None))
        .order_by(Credential.id)
    ).all()
    for credential in unclaimed:
        secrets = demo_claim_secrets(kek, credential.public_id)
        claims.create_claim(session, credential, kek=kek, code=secrets.code, pin=secrets.pin, actor=ACTOR)


def demo_claim(session: Session, kek: str) -> DemoClaim | None:
    """The claim code and PIN to print in the demo's welcome, while that credential is unclaimed."""
    slug, holder = DEMO_CLAIM_HOLDER
    credential = session.scalar(
        select(Credential)
        .join(Learner, Learner.id == Credential.learner_id)
        .join(Organisation, Organisation.id == Credential.provider_id)
        .join(CredentialClaim, CredentialClaim.credential_id == Credential.id)
        .where(Organisation.slug == slug, Learner.name == holder, CredentialClaim.claimed_at.is_(None))
        .order_by(Credential.id)
        .limit(1)
    )
    if credential is None:
        return None
    secrets = demo_claim_secrets(kek, credential.public_id)
    return DemoClaim(holder, secrets.code, secrets.pin)
