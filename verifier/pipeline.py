"""The verification pipeline: no database, no web framework; trust list, status lists and time in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from certsvc.credentials.b64 import b64url_encode
from certsvc.credentials.cosigned import CoSignedCredential
from certsvc.credentials.errors import CertsvcError, DisallowedHeader, Malformed
from certsvc.credentials.jws import parse_header, parse_json_object
from certsvc.credentials.openbadge import Kind, kind_of
from certsvc.credentials.statuslist import Status, VerifiedStatusList
from certsvc.credentials.trustlist import Organisation, OrgKind, TrustedKey, TrustList
from verifier.inputs import read_credential
from verifier.reasons import Reason
from verifier.result import Verdict, VerificationResult
from verifier.summary import recognition_of, summarise

_ERROR_REASONS = {r.value: r for r in Reason}


@dataclass(frozen=True)
class _Claims:
    """The claims the checks need, read once from a well-formed payload."""

    payload: dict[str, Any]
    issuer: str
    qualification: str
    nationality: str
    issued_at: datetime
    expires_at: datetime | None


def verify(
    unverified_input: str,
    trust_lists: Sequence[TrustList],
    status_lists: Mapping[str, VerifiedStatusList],
    now: datetime,
) -> VerificationResult:
    """Verify QR text, a QR URL or a credential against trust lists and status lists at ``now``."""
    result = VerificationResult()
    try:
        credential = read_credential(unverified_input, trust_lists)
        headers = [parse_header(s.protected) for s in credential.signatures]
        claims = _read_claims(credential.payload)
    except DisallowedHeader as exc:
        reason = Reason.KEY_IN_HEADER if exc.data.get("reason") == "key_in_header" else None
        if exc.data.get("reason") == "crit":
            reason = Reason.CRIT_NOT_SUPPORTED
        result.failed("well_formed", reason or Reason.HEADER_NOT_ALLOWED, exc.message)
        return result
    except CertsvcError as exc:
        result.failed("well_formed", _reason_for(exc), exc.message)
        return result
    result.passed("well_formed", "The credential is complete and readable.")
    trust_list = _trust_list_for(claims.nationality, trust_lists)
    result.summary = summarise(claims.payload, trust_list)
    if trust_list is None:
        result.failed(
            "provider_signature",
            Reason.NO_TRUST_LIST,
            f"No trust list is available for the holder's country ({claims.nationality}).",
        )
        return result
    provider = _check_provider(result, credential, headers[0], claims, trust_list)
    if provider is not None:
        _check_accreditation(result, provider, claims)
    _check_dates(result, claims, now)
    withdrawn = _check_status(result, claims, status_lists)
    _check_cosignature(result, credential, headers, claims, trust_list, withdrawn, now)
    _check_equivalence(result, claims, trust_list)
    if result.status is not Verdict.RECOGNIZED:
        # Only a recognised credential carries a recognition statement; the mapping stays visible.
        result.summary["equivalent_to"], result.recognition = result.recognition, None
    return result


def _reason_for(exc: CertsvcError) -> Reason:
    if exc.data.get("reason") == "payload_mismatch":
        return Reason.PAYLOAD_MISMATCH
    if exc.data.get("reason") == "claims":
        return Reason.CLAIMS_INVALID
    return _ERROR_REASONS.get(exc.code, Reason.MALFORMED)


def _read_claims(payload_bytes: bytes) -> _Claims:
    payload = parse_json_object(payload_bytes, "credential payload")
    try:
        return _claims_from(payload)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise Malformed(f"the credential's claims are incomplete or inconsistent ({exc})", reason="claims") from exc


def _claims_from(payload: dict[str, Any]) -> _Claims:
    types = payload["type"]
    if "VerifiableCredential" not in types or "OpenBadgeCredential" not in types:
        raise ValueError("not an OpenBadgeCredential")
    issuer = payload["issuer"]
    issuer_id = issuer if isinstance(issuer, str) else issuer["id"]
    subject = payload["credentialSubject"]
    if payload["iss"] != issuer_id or payload["jti"] != payload["id"] or payload["sub"] != subject["id"]:
        raise ValueError("iss, jti and sub must mirror the credential")
    issued_at = _timestamp(payload["validFrom"])
    if int(payload["nbf"]) != int(issued_at.timestamp()):
        raise ValueError("nbf must mirror validFrom")
    expires_at = None
    if "validUntil" in payload:
        expires_at = _timestamp(payload["validUntil"])
        if int(payload["exp"]) != int(expires_at.timestamp()):
            raise ValueError("exp must mirror validUntil")
    nationality = subject["nationality"]
    qualification = subject["achievement"]["id"]
    if not isinstance(nationality, str) or not isinstance(qualification, str):
        raise TypeError("nationality and achievement id must be strings")
    return _Claims(payload, issuer_id, qualification, nationality, issued_at, expires_at)


def _timestamp(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("timestamps must carry a time zone")
    return moment.astimezone(UTC)


def _trust_list_for(country: str, trust_lists: Sequence[TrustList]) -> TrustList | None:
    return next((t for t in trust_lists if t.country == country), None)


def _check_provider(
    result: VerificationResult,
    credential: CoSignedCredential,
    header: dict[str, Any],
    claims: _Claims,
    trust_list: TrustList,
) -> Organisation | None:
    found = trust_list.key(header["kid"])
    if found is None or found[0].kind is not OrgKind.PROVIDER:
        result.failed(
            "provider_signature",
            Reason.ISSUER_UNKNOWN_KEY,
            f"The signing key is not one that {trust_list.authority.name} trusts for a provider.",
        )
        return None
    org, key = found
    if not _signature_ok(credential, 0, header, key):
        result.failed(
            "provider_signature",
            Reason.BAD_SIGNATURE,
            f"The signature does not match: the credential was changed or not issued by {org.name}.",
        )
        return None
    if org.id != claims.issuer:
        result.failed(
            "provider_signature",
            Reason.ISSUER_MISMATCH,
            f"Signed by {org.name}, but the credential names another issuer.",
        )
        return None
    result.passed("provider_signature", f"Issued and signed by {org.name} ({org.country}).")
    _check_key_at_issue(result, key, claims)
    return org


def _check_key_at_issue(result: VerificationResult, key: TrustedKey, claims: _Claims) -> None:
    if key.compromised_before(claims.issued_at):
        result.failed(
            "provider_key",
            Reason.KEY_COMPROMISED,
            "The provider's key had been reported compromised before this credential was issued.",
        )
    elif not key.valid_at(claims.issued_at):
        result.failed(
            "provider_key",
            Reason.KEY_NOT_VALID_AT_ISSUE,
            "The provider's key was not in use on the issue date.",
        )
    else:
        result.passed("provider_key", "The provider's key was valid on the issue date.")


def _signature_ok(credential: CoSignedCredential, index: int, header: dict[str, Any], key: TrustedKey) -> bool:
    sig = credential.signatures[index]
    signing_input = f"{b64url_encode(sig.protected)}.{credential.payload_b64}".encode("ascii")
    try:
        return key.public.verify(header["alg"], sig.value, signing_input)
    except CertsvcError:
        return False


def _check_accreditation(result: VerificationResult, provider: Organisation, claims: _Claims) -> None:
    day = claims.issued_at.date()
    if provider.accredited_for(claims.qualification, day):
        result.passed("accreditation", f"{provider.name} was accredited for this qualification on {day.isoformat()}.")
    else:
        result.failed(
            "accreditation",
            Reason.ISSUER_NOT_ACCREDITED,
            f"{provider.name} was not accredited for this qualification on {day.isoformat()}.",
        )


def _check_dates(result: VerificationResult, claims: _Claims, now: datetime) -> None:
    if now < claims.issued_at:
        result.failed("validity", Reason.NOT_YET_VALID, f"Not valid before {claims.issued_at.date().isoformat()}.")
    elif claims.expires_at is not None and now >= claims.expires_at:
        result.failed("validity", Reason.EXPIRED, f"Expired on {claims.expires_at.date().isoformat()}.")
    else:
        until = f" until {claims.expires_at.date().isoformat()}" if claims.expires_at else ""
        result.passed("validity", f"Valid from {claims.issued_at.date().isoformat()}{until}.")


def _check_status(result: VerificationResult, claims: _Claims, status_lists: Mapping[str, VerifiedStatusList]) -> bool:
    """Check revocation and suspension; return whether the co-signature was withdrawn."""
    # The payload is not yet known to be authentic here: any member may have any JSON type.
    status = claims.payload.get("status")
    reference = status.get("status_list") if isinstance(status, dict) else None
    uri, idx = (reference.get("uri"), reference.get("idx")) if isinstance(reference, dict) else (None, None)
    status_list = status_lists.get(uri) if isinstance(uri, str) else None
    if status_list is None or not isinstance(idx, int) or isinstance(idx, bool):
        result.failed("status", Reason.STATUS_UNKNOWN, "The revocation status could not be checked.")
        return False
    try:
        value = status_list.status_of(uri, idx)
    except CertsvcError:
        result.failed("status", Reason.STATUS_UNKNOWN, "The revocation status could not be checked.")
        return False
    if value == Status.INVALID:
        result.failed("status", Reason.REVOKED, "The provider has revoked this credential.")
    elif value == Status.SUSPENDED:
        result.failed("status", Reason.SUSPENDED, "The provider has suspended this credential.")
    else:
        result.passed("status", "Not revoked or suspended.")
    return value == Status.COSIGNATURE_WITHDRAWN


def _check_cosignature(
    result: VerificationResult,
    credential: CoSignedCredential,
    headers: list[dict[str, Any]],
    claims: _Claims,
    trust_list: TrustList,
    withdrawn: bool,
    now: datetime,
) -> None:
    if len(credential.signatures) < 2:
        result.failed(
            "cosignature",
            Reason.COSIGNATURE_MISSING,
            "Not yet co-signed by the embassy of the holder's country.",
        )
        return
    found = trust_list.key(headers[1]["kid"])
    if found is None:
        result.failed(
            "cosignature",
            Reason.COSIGNER_UNKNOWN_KEY,
            f"The co-signing key is not one that {trust_list.authority.name} trusts.",
        )
        return
    org, key = found
    if not _signature_ok(credential, 1, headers[1], key):
        result.failed("cosignature", Reason.COSIGNATURE_BAD, "The co-signature does not match this credential.")
    elif key.compromised_before(now):
        result.failed(
            "cosignature",
            Reason.COSIGNER_KEY_COMPROMISED,
            f"The key {org.name} co-signed with has been reported compromised.",
        )
    elif org.kind is not OrgKind.EMBASSY or org.country != claims.nationality:
        result.failed(
            "cosignature",
            Reason.COSIGNER_NOT_EMBASSY,
            f"Co-signed by {org.name}, which is not an embassy of the holder's country.",
        )
    elif withdrawn:
        result.failed("cosignature", Reason.COSIGNATURE_WITHDRAWN, f"{org.name} has withdrawn its co-signature.")
    else:
        result.passed("cosignature", f"Co-signed by {org.name}.")
        result.summary["cosigner"] = {"id": org.id, "name": org.name}


def _check_equivalence(result: VerificationResult, claims: _Claims, trust_list: TrustList) -> None:
    rule = trust_list.equivalence(claims.qualification)
    if rule is None:
        result.failed(
            "equivalence",
            Reason.NO_EQUIVALENCE,
            f"No {trust_list.country_name} qualification is mapped to this one yet.",
        )
        return
    recognition = recognition_of(rule, trust_list, kind_of(claims.payload) is Kind.PRIOR_SKILLS)
    result.passed(
        "equivalence",
        f"{trust_list.authority.name} maps it to {rule.national_title} ({rule.framework} level {rule.level}).",
    )
    result.recognition = recognition
