"""SQLAlchemy 2 typed models; importing this package registers every table on ``Base.metadata``."""

from certsvc.credentials.trustlist import KeyState, OrgKind
from certsvc.store.models.accounts import ApiToken, LoginFailure, Role, User
from certsvc.store.models.audit import AuditEntry, AuditHead
from certsvc.store.models.authority import EmbassyEnrolment, NationalQualification
from certsvc.store.models.base import Base, UTCDateTime, utcnow
from certsvc.store.models.credentials import (
    BatchState,
    Credential,
    CredentialState,
    ImportBatch,
    Learner,
    SealedClaimSlips,
    Sex,
    StatusListRecord,
)
from certsvc.store.models.documents import DocumentVersion
from certsvc.store.models.orgs import Organisation, SigningKeyRecord
from certsvc.store.models.recognition import Accreditation, Equivalence, Qualification, TrustListVersion
from certsvc.store.models.rejections import REJECTION_LABELS, RejectionReason
from certsvc.store.models.wallet import CredentialClaim, ShareLink, VerificationEvent, WalletUser

__all__ = [
    "REJECTION_LABELS",
    "Accreditation",
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "Base",
    "BatchState",
    "Credential",
    "CredentialClaim",
    "CredentialState",
    "DocumentVersion",
    "EmbassyEnrolment",
    "Equivalence",
    "ImportBatch",
    "KeyState",
    "Learner",
    "LoginFailure",
    "NationalQualification",
    "OrgKind",
    "Organisation",
    "Qualification",
    "RejectionReason",
    "Role",
    "SealedClaimSlips",
    "Sex",
    "ShareLink",
    "SigningKeyRecord",
    "StatusListRecord",
    "TrustListVersion",
    "UTCDateTime",
    "User",
    "VerificationEvent",
    "WalletUser",
    "utcnow",
]
