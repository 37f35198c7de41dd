"""Trust lists built from the database: each authority's signed versions, its anchor key."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.credentials import identifiers
from certsvc.credentials.catalogue import CatalogueEntry, entry_for
from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.keys import PublicKey
from certsvc.credentials.trustlist import Accreditation as TrustedAccreditation
from certsvc.credentials.trustlist import Equivalence as TrustedEquivalence
from certsvc.credentials.trustlist import Organisation as TrustedOrganisation
from certsvc.credentials.trustlist import TrustAnchor, TrustedKey, TrustList, parse_trust_list, sign_trust_list
from certsvc.store import audit
from certsvc.store.models import (
    Accreditation,
    EmbassyEnrolment,
    Equivalence,
    Organisation,
    OrgKind,
    Qualification,
    SigningKeyRecord,
    TrustListVersion,
)
from certsvc.store.signers import key_uri_of, signer_for
from certsvc.store.status_lists import DocumentNotFound

TRUST_TTL = 3600


def build_trust_list(session: Session, authority: Organisation, *, base_url: str, now: datetime) -> TrustList:
    """Assemble an authority's trust list from its embassies, accreditations and equivalences."""
    if authority.kind is not OrgKind.AUTHORITY:
        raise DocumentNotFound("only origin authorities publish trust lists")
    removed = select(EmbassyEnrolment.embassy_id).where(EmbassyEnrolment.removed_at.is_not(None))
    embassies = session.scalars(
        select(Organisation)
        .where(
            Organisation.kind == OrgKind.EMBASSY,
            Organisation.country == authority.country,
            Organisation.id.not_in(removed),
        )
        .order_by(Organisation.id)
    ).all()
    accreditations = session.scalars(
        select(Accreditation).where(Accreditation.authority_id == authority.id).order_by(Accreditation.id)
    ).all()
    providers: dict[int, list[TrustedAccreditation]] = {}
    for accreditation in accreditations:
        qualification = accreditation.qualification
        uri = identifiers.qualification_uri(base_url, qualification.provider.slug, qualification.code)
        providers.setdefault(qualification.provider_id, []).append(
            TrustedAccreditation(
                uri, accreditation.valid_from, accreditation.valid_until, accreditation.suspended_since
            )
        )
    provider_orgs = [session.get(Organisation, pid) for pid in providers]
    rules = session.scalars(
        select(Equivalence).where(Equivalence.authority_id == authority.id).order_by(Equivalence.id)
    ).all()
    provider_ids = {identifiers.org_uri(base_url, p.slug) for p in provider_orgs if p is not None}
    qualifications = [a.qualification for a in accreditations]
    return TrustList(
        authority=_trusted(session, authority, base_url),
        country=authority.country,
        country_name=_country_name(authority.country),
        sequence=0,
        issued_at=now,
        ttl=TRUST_TTL,
        organisations=tuple(
            [_trusted(session, e, base_url) for e in embassies]
            + [_trusted(session, p, base_url, tuple(providers[p.id])) for p in provider_orgs if p is not None]
        ),
        equivalences=tuple(_rule(r, base_url) for r in rules),
        catalogue=_catalogue(session, authority, qualifications, provider_ids, base_url),
    )


def _catalogue(
    session: Session,
    authority: Organisation,
    qualifications: list[Qualification],
    provider_ids: set[str],
    base_url: str,
) -> tuple[CatalogueEntry, ...]:
    """Every accredited qualification as credentials carry it now, after every entry published before.

    Entries are never dropped while their provider is listed: a printed QR code pins the entry
    it was made with, so an edited qualification adds an entry beside the old one.
    """
    entries: dict[tuple[str, bytes], CatalogueEntry] = {}
    for entry in _published_catalogue(session, authority):
        if entry.provider in provider_ids:
            entries.setdefault((entry.provider, entry.canonical), entry)
    for qualification in qualifications:
        provider = identifiers.org_uri(base_url, qualification.provider.slug)
        entry = entry_for(qualification.credential_data(base_url, qualification.provider.slug), provider)
        entries.setdefault((entry.provider, entry.canonical), entry)
    return tuple(entries.values())


def _published_catalogue(session: Session, authority: Organisation) -> tuple[CatalogueEntry, ...]:
    latest = latest_trust_list(session, authority)
    if latest is None:
        return ()
    try:
        return parse_trust_list(latest.token).catalogue  # our own signed document, from our database
    except CertsvcError:
        return ()


def publish_trust_list(
    session: Session, authority: Organisation, *, base_url: str, kek: str, now: datetime, actor: str = "system"
) -> TrustListVersion:
    """Return the newest signed version, signing a new one when the contents changed."""
    draft = build_trust_list(session, authority, base_url=base_url, now=now)
    content = _content_hash(draft)
    latest = latest_trust_list(session, authority)
    if latest is not None and latest.content_hash == content:
        return latest
    sequence = (latest.sequence if latest else 0) + 1
    signed = dataclasses.replace(draft, sequence=sequence)
    signer = signer_for(session, authority, kek, base_url)
    version = TrustListVersion(
        authority_id=authority.id,
        sequence=sequence,
        token=sign_trust_list(signed, signer.key, signer.kid_uri),
        content_hash=content,
        issued_at=now,
    )
    session.add(version)
    session.flush()
    audit.append(session, "trust_list.published", actor=actor, org_id=authority.id, subject=str(sequence), now=now)
    return version


def latest_trust_list(session: Session, authority: Organisation) -> TrustListVersion | None:
    """The newest published version, if any."""
    return session.scalar(
        select(TrustListVersion)
        .where(TrustListVersion.authority_id == authority.id)
        .order_by(TrustListVersion.sequence.desc())
        .limit(1)
    )


def trust_list_versions(session: Session, authority: Organisation) -> list[TrustListVersion]:
    """Every published version, newest first."""
    return list(
        session.scalars(
            select(TrustListVersion)
            .where(TrustListVersion.authority_id == authority.id)
            .order_by(TrustListVersion.sequence.desc())
        )
    )


def authority_anchor(session: Session, authority: Organisation, base_url: str) -> dict[str, PublicKey]:
    """The authority's keys by URI: what a verifier that trusts this service pins."""
    return {k.uri: k.public for k in _keys(session, authority, base_url)}


def authority_anchors(session: Session, authority: Organisation, base_url: str) -> list[TrustAnchor]:
    """The authority's keys as anchors: each vouches for this authority and its country only."""
    org_id = identifiers.org_uri(base_url, authority.slug)
    return [TrustAnchor(k.uri, k.public, org_id, authority.country) for k in _keys(session, authority, base_url)]


def _trusted(
    session: Session, org: Organisation, base_url: str, accreditations: tuple[TrustedAccreditation, ...] = ()
) -> TrustedOrganisation:
    return TrustedOrganisation(
        id=identifiers.org_uri(base_url, org.slug),
        name=org.name,
        kind=org.kind,
        country=org.country,
        keys=tuple(_keys(session, org, base_url)),
        host_country=org.host_country,
        accreditations=accreditations,
    )


def _keys(session: Session, org: Organisation, base_url: str) -> list[TrustedKey]:
    records = session.scalars(
        select(SigningKeyRecord).where(SigningKeyRecord.org_id == org.id).order_by(SigningKeyRecord.id)
    ).all()
    return [
        TrustedKey(
            uri=key_uri_of(r, org, base_url),
            public=PublicKey.from_jwk(r.public_jwk),
            not_before=r.not_before,
            not_after=r.not_after,
            state=r.state,
            compromised_since=r.compromised_since,
        )
        for r in records
    ]


def _rule(rule: Equivalence, base_url: str) -> TrustedEquivalence:
    q = rule.qualification
    return TrustedEquivalence(
        identifiers.qualification_uri(base_url, q.provider.slug, q.code),
        rule.national_code,
        rule.national_title,
        rule.framework,
        rule.level,
        rule.note,
    )


def _content_hash(trust_list: TrustList) -> str:
    claims = trust_list.to_claims()
    for moving in ("iat", "seq"):
        claims.pop(moving)
    return hashlib.sha256(json.dumps(claims, sort_keys=True).encode()).hexdigest()


#: Country names as recognition statements use them ("Recognised in the Philippines …").
COUNTRY_NAMES = {
    "PH": "the Philippines",
    "MM": "Myanmar",
    "SV": "El Salvador",
    "ID": "Indonesia",
    "NP": "Nepal",
    "BD": "Bangladesh",
    "VN": "Viet Nam",
    "KH": "Cambodia",
    "LK": "Sri Lanka",
    "IN": "India",
    "GT": "Guatemala",
    "HN": "Honduras",
    "MX": "Mexico",
}


def _country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)
