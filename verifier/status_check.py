"""The status check: revocation, suspension and withdrawal, from the service's records or a status list.

Offline, the status list must be signed by the credential's own provider, still fresh
(``iat + ttl``, or ``exp``), and, where it says how many indexes were assigned, hold the
credential's index among them. Online, the issuing service's record is the truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.statuslist import Status, VerifiedStatusList
from certsvc.credentials.trustlist import Organisation, TrustList
from verifier import ages
from verifier.claims import Claims
from verifier.issued import IssuedRecord
from verifier.reasons import Reason
from verifier.result import VerificationResult

UNKNOWN = "The revocation status could not be checked."


def check_status(
    result: VerificationResult,
    claims: Claims,
    provider: Organisation | None,
    trust_list: TrustList,
    status_lists: Mapping[str, VerifiedStatusList],
    record: IssuedRecord | None,
    now: datetime,
) -> bool:
    """Check revocation and suspension; return whether the embassy withdrew its co-signature."""
    if record is not None:
        return _record_status(result, record.status, "the issuing service's records, just now")
    reference = _reference(claims)
    status_list = status_lists.get(reference[0]) if reference else None
    if reference is None or status_list is None:
        result.failed("status", Reason.STATUS_UNKNOWN, UNKNOWN)
        return False
    result.summary.setdefault("documents", {})["status_list"] = _describe_list(status_list, now)
    if not _signed_by(status_list, provider, trust_list):
        name = provider.name if provider else "the credential's provider"
        result.failed("status", Reason.STATUS_LIST_UNTRUSTED, f"The status list is not signed by {name}.")
        return False
    try:
        value = status_list.status_of(*reference)
    except CertsvcError:
        result.failed("status", Reason.STATUS_UNKNOWN, UNKNOWN)
        return False
    if value == Status.INVALID:
        # A revocation is final: an old list that shows it is still right.
        result.failed("status", Reason.REVOKED, "The provider has revoked this credential.")
        return False
    if _stale(result, status_list, claims, now) or _unassigned(result, status_list, reference[1]):
        return False
    return _record_status(result, value, "")


def _record_status(result: VerificationResult, value: int, source: str) -> bool:
    if value == Status.INVALID:
        result.failed("status", Reason.REVOKED, "The provider has revoked this credential.")
    elif value == Status.SUSPENDED:
        result.failed("status", Reason.SUSPENDED, "The provider has suspended this credential.")
    else:
        result.passed("status", f"Not revoked or suspended ({source})." if source else "Not revoked or suspended.")
    return value == Status.COSIGNATURE_WITHDRAWN


def _reference(claims: Claims) -> tuple[str, int] | None:
    # The payload is not yet known to be authentic here: any member may have any JSON type.
    status = claims.payload.get("status")
    reference = status.get("status_list") if isinstance(status, dict) else None
    uri, idx = (reference.get("uri"), reference.get("idx")) if isinstance(reference, dict) else (None, None)
    if not isinstance(uri, str) or isinstance(idx, bool) or not isinstance(idx, int):
        return None
    return uri, idx


def _signed_by(status_list: VerifiedStatusList, provider: Organisation | None, trust_list: TrustList) -> bool:
    """A status list counts for a provider only when one of that provider's keys signed it, then valid."""
    if provider is None or status_list.signer is None:
        return False
    found = trust_list.key(status_list.signer)
    if found is None or found[0].id != provider.id:
        return False
    return found[1].valid_at(status_list.issued_at)


def _stale(result: VerificationResult, status_list: VerifiedStatusList, claims: Claims, now: datetime) -> bool:
    fresh_until = status_list.fresh_until()
    if fresh_until is not None and now >= fresh_until:
        age = ages.describe((now - status_list.issued_at).total_seconds())
        good_for = ages.describe((fresh_until - status_list.issued_at).total_seconds())
        result.failed(
            "status",
            Reason.STATUS_STALE,
            f"The status could not be confirmed as of now: the status list is {age} old and was good for {good_for}.",
        )
        return True
    # Signed no later than the credential (same second included): it cannot know the credential yet.
    if status_list.issued_at <= claims.issued_at and status_list.was_assigned(_idx(claims)) is False:
        result.failed(
            "status",
            Reason.STATUS_STALE,
            "The status could not be confirmed as of now: the status list is older than the credential.",
        )
        return True
    return False


def _unassigned(result: VerificationResult, status_list: VerifiedStatusList, idx: int) -> bool:
    if status_list.was_assigned(idx) is False:
        result.failed(
            "status",
            Reason.STATUS_UNASSIGNED,
            "The provider's status list says this credential's entry was never assigned: it was not issued.",
        )
        return True
    return False


def _idx(claims: Claims) -> int:
    reference = _reference(claims)
    return reference[1] if reference else -1


def _describe_list(status_list: VerifiedStatusList, now: datetime) -> dict[str, object]:
    fresh_until = status_list.fresh_until()
    return {
        "uri": status_list.uri,
        "issued_at": status_list.issued_at.isoformat(),
        "age_seconds": ages.age_seconds(status_list.issued_at, now),
        "fresh_until": fresh_until.isoformat() if fresh_until else None,
    }
