"""What happens to a credential after issue: co-sign, reject, withdraw, revoke, suspend, reinstate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from certsvc.credentials.errors import CertsvcError
from certsvc.store import audit
from certsvc.store.credential_records import cosigned_of
from certsvc.store.models import (
    Credential,
    CredentialState,
    EmbassyEnrolment,
    Organisation,
    OrgKind,
    RejectionReason,
)
from certsvc.store.signers import Signer
from issuers.issuance import removed_embassies

MAX_REASON = 500


class StateConflict(CertsvcError):
    """The credential is not in a state that allows this action."""

    code = "state_conflict"
    http_status = 409


class ReasonRequired(CertsvcError):
    code = "reason_required"
    http_status = 400


class UnknownRejectionReason(CertsvcError):
    """The reason code is not one of the fixed list (``RejectionReason``)."""

    code = "invalid_reason_code"
    http_status = 400


class NotYours(CertsvcError):
    """The credential belongs to another organisation (answered as not found: ids are not disclosed)."""

    code = "not_found"
    http_status = 404


def cosign(
    session: Session, embassy: Organisation, credential: Credential, *, signer: Signer, now: datetime, actor: str
) -> Credential:
    """Add the embassy's co-signature over the same payload bytes."""
    _require_embassy_of(embassy, credential)
    _require_state(credential, CredentialState.AWAITING_COSIGN)
    if session.scalar(removed_embassies().where(EmbassyEnrolment.embassy_id == embassy.id)) is not None:
        raise StateConflict("this embassy is no longer enrolled by its authority and cannot co-sign")
    cosigned = cosigned_of(credential).with_cosignature(signer.key, signer.kid_uri)
    credential.cosign_jws = cosigned.compact(1)
    credential.state, credential.cosigned_at = CredentialState.COSIGNED, now
    credential.embassy_id = embassy.id
    _audit(session, "credential.cosigned", credential, embassy, actor, now)
    return credential


def reject(
    session: Session,
    embassy: Organisation,
    credential: Credential,
    reason_code: RejectionReason | str,
    note: str = "",
    *,
    now: datetime,
    actor: str,
) -> Credential:
    """Refuse to co-sign, with a reason from the fixed list and an optional note (required with "other")."""
    _require_embassy_of(embassy, credential)
    _require_state(credential, CredentialState.AWAITING_COSIGN)
    code = rejection_reason(reason_code)
    text = _note(note, required=code is RejectionReason.OTHER)
    credential.state, credential.reject_code, credential.reject_reason = CredentialState.REJECTED, code.value, text
    _audit(session, "credential.rejected", credential, embassy, actor, now, reason=text, reason_code=code.value)
    return credential


def rejection_reason(unverified_code: RejectionReason | str) -> RejectionReason:
    """The reason of the fixed list that ``unverified_code`` names."""
    try:
        return RejectionReason(unverified_code)
    except ValueError:
        choices = ", ".join(reason.value for reason in RejectionReason)
        raise UnknownRejectionReason(f"choose a reason code: one of {choices}", field="reason_code") from None


def withdraw(
    session: Session, embassy: Organisation, credential: Credential, reason: str, *, now: datetime, actor: str
) -> Credential:
    """Withdraw a co-signature; the status list shows it from the next publication."""
    _require_embassy_of(embassy, credential)
    _require_state(credential, CredentialState.COSIGNED)
    if credential.withdrawn_at is not None:
        raise StateConflict("the co-signature is already withdrawn")
    credential.withdrawn_at, credential.reason = now, _reason(reason)
    _audit(session, "credential.cosignature_withdrawn", credential, embassy, actor, now, reason=credential.reason)
    return credential


def revoke(
    session: Session, provider: Organisation, credential: Credential, reason: str, *, now: datetime, actor: str
) -> Credential:
    """Revoke for good, with a reason."""
    _require_provider_of(provider, credential)
    if credential.state in (CredentialState.REVOKED, CredentialState.REJECTED):
        raise StateConflict(f"a {credential.state.value} credential cannot be revoked")
    credential.state, credential.revoked_at, credential.reason = CredentialState.REVOKED, now, _reason(reason)
    _audit(session, "credential.revoked", credential, provider, actor, now, reason=credential.reason)
    return credential


def suspend(
    session: Session, provider: Organisation, credential: Credential, reason: str, *, now: datetime, actor: str
) -> Credential:
    """Suspend until reinstated (e.g. while a complaint is investigated)."""
    _require_provider_of(provider, credential)
    if credential.state not in (CredentialState.AWAITING_COSIGN, CredentialState.COSIGNED):
        raise StateConflict(f"a {credential.state.value} credential cannot be suspended")
    credential.reason = _reason(reason)
    # Remember whether it was co-signed: reinstating returns it to that state.
    credential.state = CredentialState.SUSPENDED
    _audit(session, "credential.suspended", credential, provider, actor, now, reason=credential.reason)
    return credential


def reinstate(
    session: Session, provider: Organisation, credential: Credential, *, now: datetime, actor: str
) -> Credential:
    """Lift a suspension."""
    _require_provider_of(provider, credential)
    _require_state(credential, CredentialState.SUSPENDED)
    credential.state = CredentialState.COSIGNED if credential.cosign_jws else CredentialState.AWAITING_COSIGN
    _audit(session, "credential.reinstated", credential, provider, actor, now)
    return credential


def _require_embassy_of(embassy: Organisation, credential: Credential) -> None:
    if embassy.kind is not OrgKind.EMBASSY or credential.learner.nationality != embassy.country:
        raise NotYours("no such credential")
    if credential.provider.country != embassy.host_country:  # an embassy co-signs where it sits, only
        raise NotYours("no such credential")
    if credential.embassy_id not in (None, embassy.id):
        raise NotYours("no such credential")


def _require_provider_of(provider: Organisation, credential: Credential) -> None:
    if provider.kind is not OrgKind.PROVIDER or credential.provider_id != provider.id:
        raise NotYours("no such credential")


def _require_state(credential: Credential, state: CredentialState) -> None:
    if credential.state is not state:
        raise StateConflict(
            f"the credential is {credential.state.value.replace('_', ' ')}, not {state.value.replace('_', ' ')}",
            state=credential.state.value,
        )


def _note(note: str | None, *, required: bool) -> str | None:
    """An optional note (None when empty); with "other" the note is the reason and must be given."""
    text = (note or "").strip()
    if required and not text:
        raise ReasonRequired('say why in the note: the reason is "other"', field="reason")
    if len(text) > MAX_REASON:
        raise ReasonRequired(f"keep the note to {MAX_REASON} characters", field="reason")
    return text or None


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text or len(text) > MAX_REASON:
        raise ReasonRequired(f"give a reason of 1 to {MAX_REASON} characters")
    return text


def _audit(
    session: Session,
    action: str,
    credential: Credential,
    org: Organisation,
    actor: str,
    now: datetime,
    reason: str | None = None,
    reason_code: str | None = None,
) -> None:
    details = {"reason_code": reason_code} if reason_code else {}
    if reason:
        details["reason"] = reason
    audit.append(session, action, actor=actor, org_id=org.id, subject=credential.public_id, details=details, now=now)
