"""An origin authority's signed trust list: its embassies, accredited providers, keys and equivalences."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from certsvc.credentials.catalogue import CatalogueEntry, catalogue_from_json, catalogue_to_json
from certsvc.credentials.errors import BadSignature, CertsvcError, Malformed, TrustListError, UnknownKey
from certsvc.credentials.jws import parse_compact, parse_json_object, sign_compact
from certsvc.credentials.keys import PublicKey, SigningKey

TYP = "trustlist+jwt"
MAX_TRUST_LIST_CHARS = 2 * 1024 * 1024


class KeyState(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"
    COMPROMISED = "compromised"


class OrgKind(StrEnum):
    AUTHORITY = "authority"
    EMBASSY = "embassy"
    PROVIDER = "provider"


@dataclass(frozen=True)
class TrustedKey:
    """A public key with the URI that names it in JWS headers, its validity window and state."""

    uri: str
    public: PublicKey
    not_before: datetime
    not_after: datetime | None = None
    state: KeyState = KeyState.ACTIVE
    compromised_since: datetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        """Tell whether a signature made at ``moment`` is acceptable under this key."""
        if moment < self.not_before or (self.not_after is not None and moment > self.not_after):
            return False
        return not self.compromised_before(moment)

    def compromised_before(self, moment: datetime) -> bool:
        """Tell whether the key was already compromised at ``moment``."""
        return self.compromised_since is not None and self.compromised_since <= moment


@dataclass(frozen=True)
class Accreditation:
    """A provider's accreditation for one qualification over a date range."""

    qualification: str
    valid_from: date
    valid_until: date | None = None
    suspended_since: date | None = None

    def covers(self, day: date) -> bool:
        """Tell whether the accreditation held on ``day``."""
        if day < self.valid_from or (self.valid_until is not None and day > self.valid_until):
            return False
        return self.suspended_since is None or day < self.suspended_since


@dataclass(frozen=True)
class Organisation:
    """An organisation the authority trusts: itself, one of its embassies, or a foreign provider."""

    id: str
    name: str
    kind: OrgKind
    country: str
    keys: tuple[TrustedKey, ...]
    host_country: str | None = None
    accreditations: tuple[Accreditation, ...] = ()

    def accredited_for(self, qualification: str, day: date) -> bool:
        """Tell whether the provider was accredited for ``qualification`` on ``day``."""
        return any(a.qualification == qualification and a.covers(day) for a in self.accreditations)


@dataclass(frozen=True)
class Equivalence:
    """A rule: a foreign qualification is recognised as a national one."""

    foreign_qualification: str
    national_code: str
    national_title: str
    framework: str
    level: str
    note: str = ""


@dataclass(frozen=True)
class TrustList:
    """The contents of one authority's trust list, indexed for fast look-ups."""

    authority: Organisation
    country: str
    country_name: str
    sequence: int
    issued_at: datetime
    ttl: int
    organisations: tuple[Organisation, ...]
    equivalences: tuple[Equivalence, ...]
    catalogue: tuple[CatalogueEntry, ...] = ()
    # Indexes built from the fields above; not constructor arguments, so that
    # ``dataclasses.replace`` builds fresh ones instead of sharing (and extending) the old.
    _keys: dict[str, tuple[Organisation, TrustedKey]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _equivalences: dict[str, Equivalence] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for org in (self.authority, *self.organisations):
            for key in org.keys:
                self._keys[key.uri] = (org, key)
        for rule in self.equivalences:
            self._equivalences.setdefault(rule.foreign_qualification, rule)

    def key(self, uri: str) -> tuple[Organisation, TrustedKey] | None:
        """Find the organisation and key a JWS header ``kid`` names."""
        return self._keys.get(uri)

    def equivalence(self, foreign_qualification: str) -> Equivalence | None:
        """Find the equivalence rule for a foreign qualification."""
        return self._equivalences.get(foreign_qualification)

    def organisation(self, org_id: str) -> Organisation | None:
        """Find an organisation by its id."""
        return next((o for o in (self.authority, *self.organisations) if o.id == org_id), None)

    def to_claims(self) -> dict[str, Any]:
        """Return the trust list as JWT claims."""
        return {
            "iss": self.authority.id,
            "iat": int(self.issued_at.timestamp()),
            "ttl": self.ttl,
            "seq": self.sequence,
            "country": self.country,
            "country_name": self.country_name,
            "authority": _org_to_json(self.authority),
            "organisations": [_org_to_json(o) for o in self.organisations],
            "equivalences": [_equivalence_to_json(e) for e in self.equivalences],
            **_catalogue_claims(self.catalogue),
        }


def sign_trust_list(trust_list: TrustList, key: SigningKey, kid_uri: str) -> str:
    """Sign a trust list with the authority's key."""
    payload = json.dumps(trust_list.to_claims(), separators=(",", ":"), ensure_ascii=False)
    return sign_compact(payload.encode(), key, kid_uri, typ=TYP)


def parse_trust_list(unverified_token: str, anchors: Mapping[str, PublicKey] | None = None) -> TrustList:
    """Verify and load a trust list.

    ``anchors`` maps key URIs to the authority keys the verifier already trusts. Without
    anchors the list is checked against the authority key it carries, which proves only
    that it is intact: callers must then trust the file itself.
    """
    jws = parse_compact(unverified_token, typ=TYP, max_chars=MAX_TRUST_LIST_CHARS)
    claims = parse_json_object(jws.payload, "trust list")
    try:
        trust_list = _trust_list_from_claims(claims)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TrustListError(f"the trust list is malformed: {exc}") from exc
    except CertsvcError as exc:
        raise TrustListError(f"the trust list is malformed: {exc.message}") from exc
    public = _anchor_key(trust_list, jws.kid, anchors)
    if not public.verify(jws.alg, jws.signature, jws.signing_input):
        raise BadSignature("the trust list signature is not valid", reason="trust_list_signature")
    return trust_list


def _anchor_key(trust_list: TrustList, kid: str, anchors: Mapping[str, PublicKey] | None) -> PublicKey:
    if anchors is not None:
        anchor = anchors.get(kid)
        if anchor is None:
            raise UnknownKey("the trust list is not signed by a trusted authority key", kid=kid)
        return anchor
    found = next((k for k in trust_list.authority.keys if k.uri == kid), None)
    if found is None:
        raise UnknownKey("the trust list is not signed by its authority's key", kid=kid)
    return found.public


def _trust_list_from_claims(claims: dict[str, Any]) -> TrustList:
    authority = _org_from_json(claims["authority"])
    if authority.kind is not OrgKind.AUTHORITY or authority.id != claims["iss"]:
        raise TrustListError("the trust list issuer must be its authority")
    return TrustList(
        authority=authority,
        country=str(claims["country"]),
        country_name=str(claims.get("country_name", claims["country"])),
        sequence=int(claims["seq"]),
        issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
        ttl=int(claims["ttl"]),
        organisations=tuple(_org_from_json(o) for o in claims["organisations"]),
        equivalences=tuple(_equivalence_from_json(e) for e in claims["equivalences"]),
        catalogue=_catalogue_from_claims(claims, authority),
    )


def _catalogue_claims(catalogue: tuple[CatalogueEntry, ...]) -> dict[str, Any]:
    """The ``catalogue`` member, present only when the list has one (older lists stay byte-identical)."""
    return {"catalogue": catalogue_to_json(catalogue)} if catalogue else {}


def _catalogue_from_claims(claims: dict[str, Any], authority: Organisation) -> tuple[CatalogueEntry, ...]:
    """Load the catalogue; every entry must name a provider the list itself carries."""
    kinds = {str(o.get("id")): str(o.get("kind")) for o in claims["organisations"] if isinstance(o, dict)}
    kinds[authority.id] = authority.kind.value
    return catalogue_from_json(claims.get("catalogue"), kinds)


def _org_to_json(org: Organisation) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": org.id,
        "name": org.name,
        "kind": org.kind.value,
        "country": org.country,
        "keys": [_key_to_json(k) for k in org.keys],
    }
    if org.host_country:
        data["host_country"] = org.host_country
    if org.accreditations:
        data["accreditations"] = [_accreditation_to_json(a) for a in org.accreditations]
    return data


def _org_from_json(data: dict[str, Any]) -> Organisation:
    return Organisation(
        id=str(data["id"]),
        name=str(data["name"]),
        kind=OrgKind(data["kind"]),
        country=str(data["country"]),
        keys=tuple(_key_from_json(k) for k in data["keys"]),
        host_country=data.get("host_country"),
        accreditations=tuple(_accreditation_from_json(a) for a in data.get("accreditations", [])),
    )


def _key_to_json(key: TrustedKey) -> dict[str, Any]:
    return {
        "uri": key.uri,
        "jwk": key.public.jwk,
        "state": key.state.value,
        "not_before": _iso(key.not_before),
        "not_after": _iso(key.not_after),
        "compromised_since": _iso(key.compromised_since),
    }


def _key_from_json(data: dict[str, Any]) -> TrustedKey:
    if not isinstance(data.get("uri"), str):
        raise Malformed("a trusted key needs a uri")
    return TrustedKey(
        uri=data["uri"],
        public=PublicKey.from_jwk(data["jwk"]),
        not_before=_parse_time(data["not_before"]),
        not_after=_parse_time(data.get("not_after")),
        state=KeyState(data.get("state", "active")),
        compromised_since=_parse_time(data.get("compromised_since")),
    )


def _accreditation_to_json(a: Accreditation) -> dict[str, Any]:
    return {
        "qualification": a.qualification,
        "from": a.valid_from.isoformat(),
        "until": a.valid_until.isoformat() if a.valid_until else None,
        "suspended_since": a.suspended_since.isoformat() if a.suspended_since else None,
    }


def _accreditation_from_json(data: dict[str, Any]) -> Accreditation:
    return Accreditation(
        qualification=str(data["qualification"]),
        valid_from=date.fromisoformat(data["from"]),
        valid_until=date.fromisoformat(data["until"]) if data.get("until") else None,
        suspended_since=(date.fromisoformat(data["suspended_since"]) if data.get("suspended_since") else None),
    )


def _equivalence_to_json(e: Equivalence) -> dict[str, Any]:
    return {
        "foreign_qualification": e.foreign_qualification,
        "national": {
            "code": e.national_code,
            "title": e.national_title,
            "framework": e.framework,
            "level": e.level,
        },
        "note": e.note,
    }


def _equivalence_from_json(data: dict[str, Any]) -> Equivalence:
    national = data["national"]
    return Equivalence(
        foreign_qualification=str(data["foreign_qualification"]),
        national_code=str(national["code"]),
        national_title=str(national["title"]),
        framework=str(national["framework"]),
        level=str(national["level"]),
        note=str(data.get("note", "")),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise Malformed("times in the trust list must carry a time zone")
    return moment
