"""The co-signature check: the embassy's second signature over the same payload bytes.

A credential without a co-signature is authentic and awaiting it (or, online, declined).
A co-signature that is present must hold entirely, or the credential is not valid: the key
is in the trust list and valid for a signature made after the credential was issued, the
signature matches, and the signer is an embassy of the holder's nationality that sits in
the provider's country (its ``host_country`` is the provider's ``country``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from certsvc.credentials.cosigned import CoSignedCredential
from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.trustlist import Organisation, OrgKind, TrustedKey, TrustList
from verifier.claims import Claims
from verifier.issued import IssuedRecord
from verifier.memo import SignatureVerdicts
from verifier.reasons import Reason
from verifier.result import VerificationResult


class CoSignatureContext(NamedTuple):
    """What the co-signature check needs beyond the credential."""

    claims: Claims
    trust_list: TrustList
    provider: Organisation | None
    withdrawn: bool
    record: IssuedRecord | None
    now: datetime
    verdicts: SignatureVerdicts | None = None


def signature_ok(
    credential: CoSignedCredential,
    index: int,
    header: dict[str, Any],
    key: TrustedKey,
    verdicts: SignatureVerdicts | None = None,
) -> bool:
    """Tell whether signature ``index`` verifies under ``key`` with the algorithm its header names.

    ``verdicts`` holds the checks already made on this credential (``verifier/memo.py``).
    """
    alg = header["alg"]
    if verdicts is None:
        return _verifies(credential, index, alg, key)
    seen = (index, str(alg), key.public.kid)
    found = verdicts.get(seen)
    if found is None:
        found = verdicts[seen] = _verifies(credential, index, alg, key)
    return found


def _verifies(credential: CoSignedCredential, index: int, alg: str, key: TrustedKey) -> bool:
    try:
        return key.public.verify(alg, credential.signatures[index].value, credential.signing_input(index))
    except CertsvcError:
        return False


def check_cosignature(
    result: VerificationResult, credential: CoSignedCredential, header: dict[str, Any] | None, ctx: CoSignatureContext
) -> None:
    """Record the co-signature check."""
    if header is None:
        _missing(result, ctx)
        return
    found = ctx.trust_list.key(header["kid"])
    if found is None:
        detail = f"The co-signing key is not one that {ctx.trust_list.authority.name} trusts."
        result.failed("cosignature", Reason.COSIGNER_UNKNOWN_KEY, detail)
        return
    org, key = found
    if not signature_ok(credential, 1, header, key, ctx.verdicts):
        result.failed("cosignature", Reason.COSIGNATURE_BAD, "The co-signature does not match this credential.")
        return
    failure = _who_failure(org, ctx) or _key_failure(org, key, ctx)
    if failure is not None:
        result.failed("cosignature", *failure)
    elif ctx.record is not None and not ctx.record.recorded(credential.signatures[1]):
        result.failed(
            "cosignature",
            Reason.COSIGNATURE_NOT_RECORDED,
            f"The issuing service has no record of {org.name} co-signing this credential.",
        )
    elif ctx.withdrawn:
        result.failed("cosignature", Reason.COSIGNATURE_WITHDRAWN, f"{org.name} has withdrawn its co-signature.")
    else:
        result.passed("cosignature", f"Co-signed by {org.name}.")
        result.summary["cosigner"] = {"id": org.id, "name": org.name}


def _missing(result: VerificationResult, ctx: CoSignatureContext) -> None:
    if ctx.record is not None and ctx.record.declined:
        result.failed("cosignature", Reason.COSIGNATURE_DECLINED, "The embassy declined to co-sign this credential.")
    else:
        detail = "Not yet co-signed by the embassy of the holder's country."
        result.failed("cosignature", Reason.COSIGNATURE_MISSING, detail)


def _who_failure(org: Organisation, ctx: CoSignatureContext) -> tuple[Reason, str] | None:
    if org.kind is not OrgKind.EMBASSY:
        return Reason.COSIGNER_NOT_EMBASSY, f"Co-signed by {org.name}, which is not an embassy."
    if org.country != ctx.claims.nationality:
        return (
            Reason.COSIGNER_NOT_EMBASSY_OF_HOLDER_COUNTRY,
            f"Co-signed by {org.name}, which is not an embassy of the holder's country.",
        )
    provider_country = ctx.provider.country if ctx.provider else None
    if org.host_country is None or org.host_country != provider_country:
        return (
            Reason.COSIGNER_NOT_IN_PROVIDER_COUNTRY,
            f"Co-signed by {org.name}, which does not sit in the provider's country ({provider_country or '?'}).",
        )
    return None


def _key_failure(org: Organisation, key: TrustedKey, ctx: CoSignatureContext) -> tuple[Reason, str] | None:
    # The co-signature was made after the credential was issued, at a moment the credential does not
    # record: a key compromised by now can have made it, and a key retired before issue cannot have.
    if key.compromised_before(ctx.now):
        return Reason.COSIGNER_KEY_COMPROMISED, f"The key {org.name} co-signed with has been reported compromised."
    if key.retired_before(ctx.claims.issued_at) or key.not_before > ctx.now:
        return (
            Reason.COSIGNER_KEY_NOT_VALID_AT_ISSUE,
            f"The key {org.name} co-signed with was not in use after this credential was issued.",
        )
    return None
