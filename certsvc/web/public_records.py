"""What the public pages say about an organisation, a qualification and a credential: public facts only.

Each function returns a JSON-ready mapping; the pages render it as HTML for people and as
JSON for machines (``public_pages``). Nothing here names a holder: a credential's page says
only its status and its issuer, since a credential id alone proves nothing about who holds it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.credentials import identifiers
from certsvc.credentials.openbadge import (
    ASEAN_FRAMEWORK,
    ASEAN_URL,
    ISCO_FRAMEWORK,
    ISCO_URI,
    OB_CONTEXT,
    VC_CONTEXT,
)
from certsvc.store.models import (
    Accreditation,
    Credential,
    CredentialState,
    Equivalence,
    Organisation,
    OrgKind,
    Qualification,
)
from certsvc.web.published_keys import key_set_entries

CONTEXTS = [VC_CONTEXT, OB_CONTEXT]
KIND_WORDS = {
    OrgKind.PROVIDER: "training provider",
    OrgKind.EMBASSY: "embassy (labour office)",
    OrgKind.AUTHORITY: "origin authority",
}


class NotPublished(LookupError):
    """No such public record."""


def organisation_profile(session: Session, org: Organisation, base_url: str) -> dict[str, Any]:
    """The organisation's Open Badges ``Profile``, which is also the RFC 7517 JWK Set of its keys."""
    profile: dict[str, Any] = {
        "@context": CONTEXTS,
        "id": identifiers.org_uri(base_url, org.slug),
        "type": ["Profile"],
        "name": org.name,
        "description": f"{KIND_WORDS[org.kind].capitalize()} ({org.country})",
        "address": {"type": ["Address"], "addressCountryCode": org.country},
        "kind": org.kind.value,
        "country": org.country,
        # RFC 7517 lets a JWK Set carry other members: the profile and the key set are one document.
        "keys": key_set_entries(session, base_url, org),
    }
    if org.host_country:
        profile["host_country"] = org.host_country
    if org.kind is OrgKind.PROVIDER:
        profile["accreditations"] = _accreditations(session, org, base_url)
        awarded = select(Qualification).where(Qualification.provider_id == org.id).order_by(Qualification.code)
        profile["qualifications"] = [
            {"id": identifiers.qualification_uri(base_url, org.slug, q.code), "name": q.name}
            for q in session.scalars(awarded)
        ]
    return profile


def _accreditations(session: Session, org: Organisation, base_url: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Accreditation, Qualification, Organisation)
        .join(Qualification, Qualification.id == Accreditation.qualification_id)
        .join(Organisation, Organisation.id == Accreditation.authority_id)
        .where(Qualification.provider_id == org.id)
        .order_by(Organisation.name, Qualification.code)
    ).all()
    return [
        {
            "qualification": {"id": identifiers.qualification_uri(base_url, org.slug, q.code), "name": q.name},
            "authority": {"id": identifiers.org_uri(base_url, authority.slug), "name": authority.name},
            "from": a.valid_from.isoformat(),
            "until": a.valid_until.isoformat() if a.valid_until else None,
            "suspended_since": a.suspended_since.isoformat() if a.suspended_since else None,
        }
        for a, q, authority in rows
    ]


def qualification_record(session: Session, org: Organisation, code: str, base_url: str) -> dict[str, Any]:
    """The qualification as an Open Badges ``Achievement``, with the level it sits at and who recognises it."""
    q = session.scalar(select(Qualification).where(Qualification.provider_id == org.id, Qualification.code == code))
    if q is None:
        raise NotPublished("no such qualification")
    uri = identifiers.qualification_uri(base_url, org.slug, q.code)
    alignment = [
        {"type": ["Alignment"], "targetName": f"{ISCO_FRAMEWORK} {q.isco_code}", "targetUrl": ISCO_URI + q.isco_code,
         "targetFramework": ISCO_FRAMEWORK, "targetCode": q.isco_code, "targetDescription": q.isco_title},
        {"type": ["Alignment"], "targetName": f"{q.framework} level {q.level}", "targetUrl": q.framework_url or uri,
         "targetFramework": q.framework, "targetCode": q.level},
    ]  # fmt: skip
    if q.asean_level is not None:
        level = str(q.asean_level)
        alignment.append(
            {"type": ["Alignment"], "targetName": f"AQRF level {level}", "targetUrl": ASEAN_URL + level,
             "targetFramework": ASEAN_FRAMEWORK, "targetCode": level}
        )  # fmt: skip
    return {
        "@context": CONTEXTS,
        "id": uri,
        "type": ["Achievement"],
        "name": q.name,
        "description": q.description,
        "criteria": {"id": uri, "narrative": q.description},
        "creator": {"id": identifiers.org_uri(base_url, org.slug), "type": ["Profile"], "name": org.name},
        "alignment": alignment,
        "level": {"framework": q.framework, "level": q.level, "asean_level": q.asean_level},
        "recognised_by": _recognitions(session, q, base_url),
    }


def _recognitions(session: Session, q: Qualification, base_url: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Equivalence, Organisation)
        .join(Organisation, Organisation.id == Equivalence.authority_id)
        .where(Equivalence.qualification_id == q.id)
        .order_by(Organisation.name)
    ).all()
    return [
        {
            "authority": {"id": identifiers.org_uri(base_url, authority.slug), "name": authority.name},
            "country": authority.country,
            "national": {
                "code": e.national_code,
                "title": e.national_title,
                "framework": e.framework,
                "level": e.level,
            },
        }
        for e, authority in rows
    ]


def credential_status(session: Session, public_id: str, base_url: str) -> dict[str, Any]:
    """A credential's status right now and who issued it; no personal data."""
    found = session.execute(
        select(Credential.state, Credential.withdrawn_at, Credential.cosign_jws, Organisation)
        .join(Organisation, Organisation.id == Credential.provider_id)
        .where(Credential.public_id == public_id)
    ).first()
    if found is None:
        raise NotPublished("no such credential")
    state, withdrawn_at, cosign_jws, provider = found
    return {
        "id": identifiers.credential_uri(base_url, public_id),
        "issuer": {"id": identifiers.org_uri(base_url, provider.slug), "name": provider.name},
        "status": _status_word(state),
        "cosignature": _cosignature_word(state, withdrawn_at, cosign_jws),
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def _status_word(state: CredentialState) -> str:
    if state is CredentialState.REVOKED:
        return "revoked"
    if state is CredentialState.SUSPENDED:
        return "suspended"
    return "valid"


def _cosignature_word(state: CredentialState, withdrawn_at: object, cosign_jws: str | None) -> str:
    if withdrawn_at is not None:
        return "withdrawn"
    if state is CredentialState.REJECTED:
        return "declined"
    return "cosigned" if cosign_jws else "awaiting"
