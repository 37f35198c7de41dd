"""Organisations: create one (with its first signing key) and look one up."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.keys import Algorithm
from certsvc.store import audit, keystore
from certsvc.store.models import Organisation, OrgKind, utcnow

SLUG_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
COUNTRY_PATTERN = re.compile(r"[A-Z]{2}")
MAX_NAME = 200


class OrganisationError(CertsvcError):
    """Organisation data is invalid."""

    code = "invalid_organisation"
    http_status = 400


class OrganisationExists(OrganisationError):
    code = "organisation_exists"
    http_status = 409


class UnknownOrganisation(CertsvcError):
    code = "organisation_not_found"
    http_status = 404


def create_organisation(
    session: Session,
    *,
    slug: str,
    name: str,
    kind: OrgKind | str,
    country: str,
    kek: str,
    host_country: str | None = None,
    alg: Algorithm = "EdDSA",
    actor: str = "system",
    now: datetime | None = None,
) -> Organisation:
    """Create an organisation and generate its first signing key, both audited."""
    now = now or utcnow()
    org = Organisation(
        slug=_checked_slug(session, slug),
        name=_checked_name(name),
        kind=_checked_kind(kind),
        country=_checked_country(country, "country"),
        host_country=None,
        created_at=now,
    )
    org.host_country = _checked_host_country(org.kind, host_country)
    session.add(org)
    session.flush()
    details = {"kind": org.kind.value, "country": org.country, "host_country": org.host_country}
    audit.append(session, "org.created", actor=actor, org_id=org.id, subject=org.slug, details=details, now=now)
    keystore.add_signing_key(session, org, kek, alg=alg, actor=actor, now=now)
    return org


def get_organisation(session: Session, slug: str) -> Organisation:
    """Return the organisation with ``slug`` or raise UnknownOrganisation."""
    org = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise UnknownOrganisation("no such organisation", slug=slug)
    return org


def _checked_slug(session: Session, slug: str) -> str:
    if not SLUG_PATTERN.fullmatch(slug):
        raise OrganisationError("a slug is 1-64 lower-case letters, digits and inner hyphens", field="slug", value=slug)
    if session.scalar(select(Organisation.id).where(Organisation.slug == slug)) is not None:
        raise OrganisationExists("an organisation with this slug exists", field="slug", value=slug)
    return slug


def _checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise OrganisationError(f"a name is 1-{MAX_NAME} characters", field="name")
    return name


def _checked_kind(kind: OrgKind | str) -> OrgKind:
    try:
        return OrgKind(kind)
    except ValueError:
        raise OrganisationError("kind is provider, embassy or authority", field="kind") from None


def _checked_country(country: str, field: str) -> str:
    country = country.strip().upper()
    if not COUNTRY_PATTERN.fullmatch(country):
        raise OrganisationError("a country is an upper-case ISO 3166-1 alpha-2 code", field=field)
    return country


def _checked_host_country(kind: OrgKind, host_country: str | None) -> str | None:
    if kind is OrgKind.EMBASSY:
        if host_country is None:
            raise OrganisationError("an embassy names the country where it sits", field="host_country")
        return _checked_country(host_country, "host_country")
    if host_country is not None:
        raise OrganisationError("only an embassy has a host country", field="host_country")
    return None
