"""SQLAlchemy 2 typed models; importing this package registers every table on ``Base.metadata``."""

from certsvc.models.accounts import ApiToken, LoginFailure, Role, User
from certsvc.models.audit import AuditEntry, AuditHead
from certsvc.models.authority import EmbassyEnrolment, NationalQualification
from certsvc.models.base import Base, UTCDateTime, utcnow
from certsvc.models.credentials import (
    BatchState,
    Credential,
    CredentialState,
    ImportBatch,
    Learner,
    Sex,
    StatusListRecord,
)
from certsvc.models.orgs import Organisation, SigningKeyRecord
from certsvc.models.recognition import Accreditation, Equivalence, Qualification, TrustListVersion
from certsvc.models.wallet import CredentialClaim, ShareLink, VerificationEvent, WalletUser
from certsvc.trustlist import KeyState, OrgKind

__all__ = [
    "Accreditation",
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "Base",
    "BatchState",
    "Credential",
    "CredentialClaim",
    "CredentialState",
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
    "Role",
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
