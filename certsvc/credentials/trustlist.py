"""An origin authority's signed trust list: its embassies, accredited providers, keys and equivalences."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from certsvc.credentials.catalogue import CatalogueEntry, catalogue_from_json, catalogue_to_json
from certsvc.credentials.errors import CertsvcError, KeyMaterialError, Malformed, TrustListError, UnknownKey
from certsvc.credentials.jws import CompactJWS, decode_signed, parse_compact, parse_json_object, sign_compact
from certsvc.credentials.keys import PublicKey, SigningKey

TYP = "trustlist+jwt"
MAX_TRUST_LIST_CHARS = 2 * 1024 * 1024
#: Claims every trust list carries; PyJWT checks they are present, our parser checks their values.
REQUIRED_CLAIMS = ("iss", "iat", "ttl", "seq", "country", "authority", "organisations", "equivalences")
_COUNTRY = re.compile(r"[A-Z]{2}")
#: Seconds since the epoch that a datetime can hold (year 9999): a larger iat is malformed, not a crash.
_MAX_NUMERIC_DATE = 253_402_300_799


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
        if self.compromised_since is None:
            # Marked compromised without a date: no signature by it can be told apart from a thief's.
            return self.state is KeyState.COMPROMISED
        return self.compromised_since <= moment

    def retired_before(self, moment: datetime) -> bool:
        """Tell whether the key had stopped signing (its ``not_after``) before ``moment``."""
        return self.not_after is not None and self.not_after < moment


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


@dataclass(frozen=True)
class TrustAnchor:
    """An authority key a verifier trusts, bound to one authority and (when known) one country."""

    uri: str
    public: PublicKey
    authority: str
    country: str | None = None

    @classmethod
    def of(cls, uri: str, public: PublicKey, country: str | None = None) -> TrustAnchor:
        """An anchor for a key URI ``{authority id}#…``: the authority is the URI before ``#``."""
        return cls(uri, public, uri.partition("#")[0], country)

    @classmethod
    def from_json(cls, unverified: Any) -> TrustAnchor:
        """Read ``{"uri", "jwk", "authority"?, "country"?}`` (what ``/o/<slug>/anchor.json`` lists)."""
        uri = unverified.get("uri") if isinstance(unverified, dict) else None
        if not isinstance(uri, str) or "#" not in uri:
            raise Malformed("an anchor is an object with a key 'uri' ({authority id}#…) and its 'jwk'")
        authority, country = unverified.get("authority"), unverified.get("country")
        if authority is not None and (not isinstance(authority, str) or not authority):
            raise Malformed("an anchor's 'authority' must be the authority's id")
        if country is not None and (not isinstance(country, str) or not _COUNTRY.fullmatch(country)):
            raise Malformed("an anchor's 'country' must be an ISO 3166-1 alpha-2 code")
        public = PublicKey.from_jwk(unverified.get("jwk"))
        return cls(uri, public, authority or uri.partition("#")[0], country)

    def to_json(self) -> dict[str, Any]:
        """The anchor as ``anchor.json`` lists it."""
        data: dict[str, Any] = {"uri": self.uri, "jwk": {**self.public.jwk, "kid": self.uri}}
        data["authority"] = self.authority
        if self.country:
            data["country"] = self.country
        return data


def sign_trust_list(trust_list: TrustList, key: SigningKey, kid_uri: str) -> str:
    """Sign a trust list with the authority's key (PyJWT, our fixed header)."""
    payload = json.dumps(trust_list.to_claims(), separators=(",", ":"), ensure_ascii=False)
    return sign_compact(payload.encode(), key, kid_uri, typ=TYP)


def parse_trust_list(unverified_token: str, anchors: Mapping[str, PublicKey | TrustAnchor] | None = None) -> TrustList:
    """Verify and load a trust list.

    ``anchors`` maps key URIs to the authority keys the verifier already trusts; an anchor
    vouches for one authority (and, when it says, one country) only. Without anchors the
    list is checked against the authority key it carries, which proves only that it is
    intact: callers must then trust the file itself.
    """
    jws = parse_compact(unverified_token, typ=TYP, max_chars=MAX_TRUST_LIST_CHARS)
    trust_list = _unverified_trust_list(jws)
    public = _anchor_key(trust_list, jws.kid, anchors)
    try:
        decode_signed(jws, public, REQUIRED_CLAIMS)
    except CertsvcError as exc:
        raise type(exc)(f"the trust list signature is not valid: {exc.message}", reason="trust_list_signature") from exc
    return trust_list


def _unverified_trust_list(jws: CompactJWS) -> TrustList:
    # Read before the signature is checked, to find the key that must have signed it.
    claims = parse_json_object(jws.payload, "trust list")
    try:
        return _trust_list_from_claims(claims)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError, KeyMaterialError) as exc:
        raise TrustListError(f"the trust list is malformed: {exc}") from exc
    except CertsvcError as exc:
        raise TrustListError(f"the trust list is malformed: {exc.message}") from exc


def _anchor_key(trust_list: TrustList, kid: str, anchors: Mapping[str, PublicKey | TrustAnchor] | None) -> PublicKey:
    if anchors is not None:
        found = anchors.get(kid)
        if found is None:
            raise UnknownKey("the trust list is not signed by a trusted authority key", kid=kid)
        anchor = found if isinstance(found, TrustAnchor) else TrustAnchor.of(kid, found)
        _check_anchor_binding(trust_list, anchor)
        return anchor.public
    own = next((k for k in trust_list.authority.keys if k.uri == kid), None)
    if own is None:
        raise UnknownKey("the trust list is not signed by its authority's key", kid=kid)
    return own.public


def _check_anchor_binding(trust_list: TrustList, anchor: TrustAnchor) -> None:
    # An anchor vouches for its own authority and country only: a key of Y's authority signing a
    # list "for X" (or in another authority's name) proves nothing about X.
    if anchor.authority != trust_list.authority.id:
        raise UnknownKey(
            "the trust list is signed by an anchor of another authority",
            kid=anchor.uri,
            reason="anchor_authority_mismatch",
        )
    if anchor.country is not None and anchor.country != trust_list.country:
        raise UnknownKey(
            f"the trust list is for {trust_list.country}, but its anchor is for {anchor.country}",
            kid=anchor.uri,
            reason="anchor_country_mismatch",
        )


def _trust_list_from_claims(claims: dict[str, Any]) -> TrustList:
    authority = _org_from_json(claims["authority"])
    if authority.kind is not OrgKind.AUTHORITY or authority.id != claims["iss"]:
        raise TrustListError("the trust list issuer must be its authority")
    country = _country(claims["country"], "country")
    if authority.country != country:
        raise TrustListError("the trust list's country must be its authority's country")
    trust_list = TrustList(
        authority=authority,
        country=country,
        country_name=_text(claims.get("country_name", country), "country_name"),
        sequence=_count(claims["seq"], "seq"),
        issued_at=_numeric_date(claims["iat"], "iat"),
        ttl=_positive(claims["ttl"], "ttl"),
        organisations=tuple(_org_from_json(o) for o in _array(claims["organisations"], "organisations")),
        equivalences=tuple(_equivalence_from_json(e) for e in _array(claims["equivalences"], "equivalences")),
        catalogue=_catalogue_from_claims(claims, authority),
    )
    _check_unique_keys(trust_list)
    return trust_list


def _check_unique_keys(trust_list: TrustList) -> None:
    uris = [k.uri for o in (trust_list.authority, *trust_list.organisations) for k in o.keys]
    if len(set(uris)) != len(uris):
        raise TrustListError("a key URI is listed more than once")
    ids = [o.id for o in (trust_list.authority, *trust_list.organisations)]
    if len(set(ids)) != len(ids):
        raise TrustListError("an organisation is listed more than once")


def _numeric_date(value: Any, name: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_NUMERIC_DATE:
        raise TrustListError(f"claim {name!r} must be a NumericDate (whole seconds, year 9999 at most)")
    return datetime.fromtimestamp(value, UTC)


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TrustListError(f"claim {name!r} must be a non-negative integer")
    return value


def _positive(value: Any, name: str) -> int:
    if _count(value, name) < 1:
        raise TrustListError(f"claim {name!r} must be a positive integer")
    return int(value)


def _country(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _COUNTRY.fullmatch(value):
        raise TrustListError(f"{name} must be an ISO 3166-1 alpha-2 code")
    return value


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise TrustListError(f"{name} must be a non-empty string")
    return value


def _array(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise TrustListError(f"{name} must be an array")
    return value


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
    org_id = _text(data["id"], "an organisation's id")
    host = data.get("host_country")
    keys = tuple(_key_from_json(k) for k in _array(data["keys"], "keys"))
    if any(not k.uri.startswith(org_id + "#") for k in keys):
        # A key is named under its own organisation's URI, so a kid says whose key it is.
        raise TrustListError("every key URI of an organisation starts with the organisation's id and '#'")
    return Organisation(
        id=org_id,
        name=_text(data["name"], "an organisation's name"),
        kind=OrgKind(data["kind"]),
        country=_country(data["country"], "an organisation's country"),
        keys=keys,
        host_country=None if host is None else _country(host, "host_country"),
        accreditations=_accreditations_from_json(data.get("accreditations", [])),
    )


def _key_to_json(key: TrustedKey) -> dict[str, Any]:
    return {
        "uri": key.uri,
        # The JWK's kid is the key's URI, as in headers and in the published key sets.
        "jwk": {**key.public.jwk, "kid": key.uri},
        "state": key.state.value,
        "not_before": _iso(key.not_before),
        "not_after": _iso(key.not_after),
        "compromised_since": _iso(key.compromised_since),
    }


def _key_from_json(data: dict[str, Any]) -> TrustedKey:
    if not isinstance(data.get("uri"), str) or not data["uri"]:
        raise Malformed("a trusted key needs a uri")
    not_before = _parse_time(data["not_before"])
    if not_before is None:
        raise Malformed("a trusted key needs the time it came into use (not_before)")
    return TrustedKey(
        uri=data["uri"],
        public=PublicKey.from_jwk(data["jwk"]),
        not_before=not_before,
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


def _accreditations_from_json(data: Any) -> tuple[Accreditation, ...]:
    return tuple(_accreditation_from_json(a) for a in _array(data, "accreditations"))


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
