"""The fixed vocabulary of reason codes a verification result can carry (see docs/format.md)."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    # The input itself
    MALFORMED = "malformed"
    INPUT_TOO_LARGE = "input_too_large"
    QR_MALFORMED = "qr_malformed"
    QR_UNSUPPORTED_VERSION = "qr_unsupported_version"
    QR_CATALOGUE_UNKNOWN = "qr_catalogue_unknown"
    ALG_NOT_ALLOWED = "alg_not_allowed"
    HEADER_NOT_ALLOWED = "header_not_allowed"
    KEY_IN_HEADER = "key_in_header"
    CRIT_NOT_SUPPORTED = "crit_not_supported"
    PAYLOAD_MISMATCH = "payload_mismatch"
    CLAIMS_INVALID = "claims_invalid"
    # The provider and its signature
    NO_TRUST_LIST = "no_trust_list"
    ISSUER_UNKNOWN_KEY = "issuer_unknown_key"
    BAD_SIGNATURE = "bad_signature"
    ISSUER_MISMATCH = "issuer_mismatch"
    KEY_NOT_VALID_AT_ISSUE = "key_not_valid_at_issue"
    KEY_COMPROMISED = "key_compromised"
    ISSUER_NOT_ACCREDITED = "issuer_not_accredited"
    # Online: the issuing service's own records
    CREDENTIAL_UNKNOWN = "credential_unknown"
    # The documents the verifier holds
    TRUST_LIST_STALE = "trust_list_stale"
    # Dates and status
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    STATUS_UNKNOWN = "status_unknown"
    STATUS_STALE = "status_stale"
    STATUS_LIST_UNTRUSTED = "status_list_untrusted"
    STATUS_UNASSIGNED = "status_unassigned"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    # Co-signature and recognition
    COSIGNATURE_MISSING = "cosignature_missing"
    COSIGNATURE_DECLINED = "cosignature_declined"
    COSIGNATURE_WITHDRAWN = "cosignature_withdrawn"
    COSIGNER_UNKNOWN_KEY = "cosigner_unknown_key"
    COSIGNATURE_BAD = "cosignature_bad"
    COSIGNER_NOT_EMBASSY = "cosigner_not_embassy"
    COSIGNER_NOT_EMBASSY_OF_HOLDER_COUNTRY = "cosigner_not_embassy_of_holder_country"
    COSIGNER_NOT_IN_PROVIDER_COUNTRY = "cosigner_not_in_provider_country"
    COSIGNER_KEY_COMPROMISED = "cosigner_key_compromised"
    COSIGNER_KEY_NOT_VALID_AT_ISSUE = "cosigner_key_not_valid_at_issue"
    COSIGNATURE_NOT_RECORDED = "cosignature_not_recorded"
    NO_EQUIVALENCE = "no_equivalence"


#: Reasons that keep a credential from being authentic at all.
INVALIDATING = frozenset(
    {
        Reason.MALFORMED,
        Reason.INPUT_TOO_LARGE,
        Reason.QR_MALFORMED,
        Reason.QR_UNSUPPORTED_VERSION,
        Reason.QR_CATALOGUE_UNKNOWN,
        Reason.ALG_NOT_ALLOWED,
        Reason.HEADER_NOT_ALLOWED,
        Reason.KEY_IN_HEADER,
        Reason.CRIT_NOT_SUPPORTED,
        Reason.PAYLOAD_MISMATCH,
        Reason.CLAIMS_INVALID,
        Reason.NO_TRUST_LIST,
        Reason.ISSUER_UNKNOWN_KEY,
        Reason.BAD_SIGNATURE,
        Reason.ISSUER_MISMATCH,
        Reason.KEY_NOT_VALID_AT_ISSUE,
        Reason.KEY_COMPROMISED,
        Reason.ISSUER_NOT_ACCREDITED,
        Reason.CREDENTIAL_UNKNOWN,
        Reason.TRUST_LIST_STALE,
        Reason.NOT_YET_VALID,
        Reason.EXPIRED,
        Reason.REVOKED,
        Reason.SUSPENDED,
        Reason.STATUS_UNKNOWN,
        Reason.STATUS_STALE,
        Reason.STATUS_LIST_UNTRUSTED,
        Reason.STATUS_UNASSIGNED,
        # A co-signature that is there but does not hold is a forgery or a splice, never "awaiting".
        Reason.COSIGNER_UNKNOWN_KEY,
        Reason.COSIGNATURE_BAD,
        Reason.COSIGNER_NOT_EMBASSY,
        Reason.COSIGNER_NOT_EMBASSY_OF_HOLDER_COUNTRY,
        Reason.COSIGNER_NOT_IN_PROVIDER_COUNTRY,
        Reason.COSIGNER_KEY_COMPROMISED,
        Reason.COSIGNER_KEY_NOT_VALID_AT_ISSUE,
        Reason.COSIGNATURE_NOT_RECORDED,
    }
)
