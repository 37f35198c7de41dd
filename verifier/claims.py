"""The claims the checks need, read strictly from a payload whose signature is not yet checked.

Every rule of ``docs/format.md`` section 1 that a verifier can check without keys is checked
here: the payload is an ``OpenBadgeCredential`` (``type`` an array holding both types), its
contexts, and the JWT claims mirroring the credential (``iss``, ``jti``, ``sub``, ``nbf``, ``exp``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from certsvc.credentials.errors import Malformed
from certsvc.credentials.jws import parse_json_object
from certsvc.credentials.openbadge import OB_CONTEXT, VC_CONTEXT

CREDENTIAL_TYPES = ("VerifiableCredential", "OpenBadgeCredential")
#: RFC 3339 date-time, with a time zone (``Z`` or an offset), as the credential's dates must be.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
_COUNTRY = re.compile(r"[A-Z]{2}")
_OB_CONTEXT_PREFIX = OB_CONTEXT.rpartition("-")[0]


class Claims(NamedTuple):
    """What the checks read from a well-formed payload (a named tuple: immutable and cheap to build)."""

    payload: dict[str, Any]
    credential_id: str
    issuer: str
    qualification: str
    nationality: str
    issued_at: datetime
    expires_at: datetime | None


def read_claims(payload_bytes: bytes) -> Claims:
    """Parse the payload and check its shape and mirrored claims; raise Malformed (reason ``claims``) if wrong."""
    payload = parse_json_object(payload_bytes, "credential payload")
    try:
        return _claims_from(payload)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError) as exc:
        raise Malformed(f"the credential's claims are incomplete or inconsistent ({exc})", reason="claims") from exc


def _claims_from(payload: dict[str, Any]) -> Claims:
    _check_shape(payload)
    issuer = payload["issuer"]
    issuer_id = _string(issuer if isinstance(issuer, str) else issuer["id"], "issuer")
    subject = payload["credentialSubject"]
    credential_id, subject_id = _string(payload["id"], "id"), _string(subject["id"], "credentialSubject.id")
    if payload["iss"] != issuer_id or payload["jti"] != credential_id or payload["sub"] != subject_id:
        raise ValueError("iss, jti and sub must mirror the credential")
    issued_at = _timestamp(payload["validFrom"])
    if _numeric(payload["nbf"], "nbf") != int(issued_at.timestamp()):
        raise ValueError("nbf must mirror validFrom")
    expires_at = _expiry(payload)
    nationality = subject["nationality"]
    if not isinstance(nationality, str) or not _COUNTRY.fullmatch(nationality):
        raise ValueError("nationality must be an ISO 3166-1 alpha-2 code")
    qualification = _string(subject["achievement"]["id"], "achievement id")
    return Claims(payload, credential_id, issuer_id, qualification, nationality, issued_at, expires_at)


def _check_shape(payload: dict[str, Any]) -> None:
    context = payload["@context"]
    if not isinstance(context, list) or not context or context[0] != VC_CONTEXT:
        raise ValueError(f"@context must be an array starting with {VC_CONTEXT}")
    if not any(isinstance(c, str) and c.startswith(_OB_CONTEXT_PREFIX) for c in context):
        raise ValueError("@context must name the Open Badges 3.0 context")
    _require_types(payload["type"], CREDENTIAL_TYPES, "type")
    subject, achievement = payload["credentialSubject"], payload["credentialSubject"]["achievement"]
    if not isinstance(subject, dict) or not isinstance(achievement, dict):
        raise TypeError("credentialSubject and its achievement must be objects")
    _require_types(subject["type"], ("AchievementSubject",), "credentialSubject.type")
    _require_types(achievement["type"], ("Achievement",), "achievement.type")


def _require_types(value: Any, wanted: tuple[str, ...], name: str) -> None:
    # An array, never a string: "VerifiableCredential OpenBadgeCredential" holds both names as text only.
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise TypeError(f"{name} must be an array of strings")
    for type_name in wanted:  # one or two names in a short array: no sets to build
        if type_name not in value:
            raise ValueError(f"{name} must hold {', '.join(wanted)}")


def _expiry(payload: dict[str, Any]) -> datetime | None:
    if "validUntil" not in payload:
        if "exp" in payload:
            raise ValueError("exp without validUntil")
        return None
    expires_at = _timestamp(payload["validUntil"])
    if _numeric(payload["exp"], "exp") != int(expires_at.timestamp()):
        raise ValueError("exp must mirror validUntil")
    return expires_at


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("dates must be RFC 3339 date-times with a time zone")
    return _utc(value)


@lru_cache(maxsize=1024)
def _utc(value: str) -> datetime:
    # Cached: credentials of one day share their dates, and only RFC 3339 texts (35 characters
    # at most) get here, so hostile values cannot fill the cache with long keys.
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _numeric(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a NumericDate in whole seconds")
    return value


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty string")
    return value
