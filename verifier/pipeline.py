"""The verification pipeline: no database, no web framework; trust list, status lists and time in.

Steps (``docs/format.md`` section 6): the input is well formed; the holder's country's trust
list (the highest ``seq`` held) is fresh enough; the provider's signature and key; its
accreditation; the dates; online, the issuing service's record; the status; the embassy's
co-signature; the equivalence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from certsvc.credentials.cosigned import CoSignedCredential
from certsvc.credentials.errors import CertsvcError, DisallowedHeader
from certsvc.credentials.jws import parse_header
from certsvc.credentials.openbadge import Kind, kind_of
from certsvc.credentials.statuslist import VerifiedStatusList
from certsvc.credentials.trustlist import Organisation, OrgKind, TrustedKey, TrustList
from verifier import ages
from verifier.claims import Claims, read_claims
from verifier.cosignature import CoSignatureContext, check_cosignature, signature_ok
from verifier.inputs import read_credential
from verifier.issued import IssuedRecord, RecordLookup
from verifier.memo import Reading, VerificationMemo
from verifier.reasons import Reason
from verifier.result import Verdict, VerificationResult
from verifier.status_check import check_status
from verifier.summary import recognition_of, summarise

_ERROR_REASONS = {r.value: r for r in Reason}


def verify(
    unverified_input: str,
    trust_lists: Sequence[TrustList],
    status_lists: Mapping[str, VerifiedStatusList],
    now: datetime,
    *,
    records: RecordLookup | None = None,
    max_trust_list_age: timedelta | None = None,
    memo: VerificationMemo | None = None,
) -> VerificationResult:
    """Verify QR text, a QR URL or a credential against trust lists and status lists at ``now``.

    ``records`` (online only) looks up what the issuing service knows of the credential: then
    the service's record decides the status, and a credential it never issued is not valid.
    ``max_trust_list_age`` (offline) refuses to confirm anything from an older trust list.
    ``memo`` (online) remembers readings and signature checks of inputs seen before
    (``verifier/memo.py``); every other check runs each time.
    """
    result = VerificationResult()
    reading = _read(result, unverified_input, trust_lists, memo)
    if reading is None:
        return result
    credential, headers, claims, verdicts = reading
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
    if max_trust_list_age is not None:
        _check_trust_list_age(result, trust_list, now, max_trust_list_age)
    provider = _check_provider(result, reading, trust_list)
    if provider is not None:
        _check_accreditation(result, provider, claims)
    _check_dates(result, claims, now)
    record = _check_record(result, credential, claims, records) if records and provider else None
    issuer = provider or trust_list.organisation(claims.issuer)
    withdrawn = check_status(result, claims, issuer, trust_list, status_lists, record, now)
    context = CoSignatureContext(claims, trust_list, issuer, withdrawn, record, now, verdicts)
    check_cosignature(result, credential, headers[1] if len(headers) > 1 else None, context)
    _check_equivalence(result, claims, trust_list)
    if result.status is not Verdict.RECOGNIZED:
        # Only a recognised credential carries a recognition statement; the mapping stays visible.
        result.summary["equivalent_to"], result.recognition = result.recognition, None
    return result


def _read(
    result: VerificationResult, unverified_input: str, trust_lists: Sequence[TrustList], memo: VerificationMemo | None
) -> Reading | None:
    try:
        if memo is None:
            return _reading(unverified_input, trust_lists)
        return memo.reading(unverified_input, trust_lists, lambda: _reading(unverified_input, trust_lists))
    except DisallowedHeader as exc:
        reason = Reason.KEY_IN_HEADER if exc.data.get("reason") == "key_in_header" else None
        if exc.data.get("reason") == "crit":
            reason = Reason.CRIT_NOT_SUPPORTED
        result.failed("well_formed", reason or Reason.HEADER_NOT_ALLOWED, exc.message)
    except CertsvcError as exc:
        result.failed("well_formed", _reason_for(exc), exc.message)
    return None


def _reading(unverified_input: str, trust_lists: Sequence[TrustList]) -> Reading:
    credential = read_credential(unverified_input, trust_lists)
    headers = [parse_header(s.protected) for s in credential.signatures]
    return Reading(credential, headers, read_claims(credential.payload), {})


def _reason_for(exc: CertsvcError) -> Reason:
    if exc.data.get("reason") == "payload_mismatch":
        return Reason.PAYLOAD_MISMATCH
    if exc.data.get("reason") == "claims":
        return Reason.CLAIMS_INVALID
    return _ERROR_REASONS.get(exc.code, Reason.MALFORMED)


def _trust_list_for(country: str, trust_lists: Sequence[TrustList]) -> TrustList | None:
    """The holder's country's trust list: of several, the highest ``seq`` (then the newest) wins."""
    candidates = [t for t in trust_lists if t.country == country]
    return max(candidates, key=lambda t: (t.sequence, t.issued_at), default=None)


def _check_trust_list_age(result: VerificationResult, trust_list: TrustList, now: datetime, max_age: timedelta) -> None:
    age = ages.age_seconds(trust_list.issued_at, now)
    result.summary.setdefault("documents", {})["trust_list"] = {
        "authority": trust_list.authority.id,
        "seq": trust_list.sequence,
        "issued_at": trust_list.issued_at.isoformat(),
        "age_seconds": age,
        "max_age_seconds": int(max_age.total_seconds()),
    }
    name, seq, text = trust_list.authority.name, trust_list.sequence, ages.describe(age)
    if age > max_age.total_seconds():
        result.failed(
            "trust_list",
            Reason.TRUST_LIST_STALE,
            f"Nothing could be confirmed as of now: the trust list of {name} (version {seq}) is {text} old, "
            f"older than the {ages.describe(max_age.total_seconds())} allowed.",
        )
    else:
        result.passed("trust_list", f"The trust list of {name} (version {seq}) is {text} old.")


def _check_provider(result: VerificationResult, reading: Reading, trust_list: TrustList) -> Organisation | None:
    credential, header, claims = reading.credential, reading.headers[0], reading.claims
    found = trust_list.key(header["kid"])
    if found is None or found[0].kind is not OrgKind.PROVIDER:
        result.failed(
            "provider_signature",
            Reason.ISSUER_UNKNOWN_KEY,
            f"The signing key is not one that {trust_list.authority.name} trusts for a provider.",
        )
        return None
    org, key = found
    if not signature_ok(credential, 0, header, key, reading.verdicts):
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


def _check_key_at_issue(result: VerificationResult, key: TrustedKey, claims: Claims) -> None:
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


def _check_accreditation(result: VerificationResult, provider: Organisation, claims: Claims) -> None:
    day = claims.issued_at.date()
    if provider.accredited_for(claims.qualification, day):
        result.passed("accreditation", f"{provider.name} was accredited for this qualification on {day.isoformat()}.")
    else:
        result.failed(
            "accreditation",
            Reason.ISSUER_NOT_ACCREDITED,
            f"{provider.name} was not accredited for this qualification on {day.isoformat()}.",
        )


def _check_dates(result: VerificationResult, claims: Claims, now: datetime) -> None:
    if now < claims.issued_at:
        result.failed("validity", Reason.NOT_YET_VALID, f"Not valid before {claims.issued_at.date().isoformat()}.")
    elif claims.expires_at is not None and now >= claims.expires_at:
        result.failed("validity", Reason.EXPIRED, f"Expired on {claims.expires_at.date().isoformat()}.")
    else:
        until = f" until {claims.expires_at.date().isoformat()}" if claims.expires_at else ""
        result.passed("validity", f"Valid from {claims.issued_at.date().isoformat()}{until}.")


def _check_record(
    result: VerificationResult, credential: CoSignedCredential, claims: Claims, records: RecordLookup
) -> IssuedRecord | None:
    """Online: the issuing service must have issued exactly these payload bytes (a stolen key is not enough)."""
    record = records(claims.credential_id)
    if record is None or record.payload != credential.payload:
        result.failed(
            "record",
            Reason.CREDENTIAL_UNKNOWN,
            "The issuing service has no record of this credential: it did not issue it.",
        )
        return None
    result.passed("record", "The issuing service has a record of this credential.")
    return record


def _check_equivalence(result: VerificationResult, claims: Claims, trust_list: TrustList) -> None:
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
