"""Why an embassy refuses to co-sign: a fixed list of reasons, so that the indicators can count them.

The officer picks one reason and may add a note (the note is required with ``other``). The
labels are English msgids: pages and CSV files translate them (``templates/staff/_reasons.html``
holds the same texts for the templates).
"""

from __future__ import annotations

from enum import StrEnum


class RejectionReason(StrEnum):
    IDENTITY = "identity_not_confirmed"
    NOT_A_NATIONAL = "not_a_national"
    PERSONAL_DETAILS = "personal_details_differ"
    TRAINING_RECORD = "training_record_mismatch"
    ASSESSMENT_EVIDENCE = "assessment_evidence_insufficient"
    PROVIDER_CONCERN = "provider_concern"
    DUPLICATE = "duplicate"
    OTHER = "other"


#: In the order the reject form offers them; ``other`` comes last and needs a note.
REJECTION_LABELS: dict[RejectionReason, str] = {
    RejectionReason.IDENTITY: "The holder's identity could not be confirmed",
    RejectionReason.NOT_A_NATIONAL: "The holder is not a national of our country",
    RejectionReason.PERSONAL_DETAILS: "Name or birth date differ from the passport",
    RejectionReason.TRAINING_RECORD: "Training hours or attendance do not match the records",
    RejectionReason.ASSESSMENT_EVIDENCE: "Assessment evidence is missing or insufficient",
    RejectionReason.PROVIDER_CONCERN: "Concern about the provider or its accreditation",
    RejectionReason.DUPLICATE: "Duplicate of a credential already co-signed",
    RejectionReason.OTHER: "Other reason (explain in the note)",
}
#: Longest code, for the column.
MAX_CODE = 40
