"""The credential payload: a W3C VC 2.0 credential shaped as an Open Badges 3.0 OpenBadgeCredential."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from certsvc.credentials.errors import CredentialDataError

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
ISCO_URI = "http://data.europa.eu/esco/isco/C"
ISCO_FRAMEWORK = "ISCO-08"
ESCO_FRAMEWORK = "ESCO"
ASEAN_FRAMEWORK = "AQRF"
ASEAN_URL = "https://asean.org/aqrf/level/"
ID_DOCUMENT_TYPE = "ext:idDocumentNumber"
PRIOR_SKILLS_TYPE = "ext:RecognitionOfPriorLearning"
TRAINING_TYPE = "Certificate"
MAX_TEXT = 200
#: 48 bits of salt: enough to make every credential's hash distinct.
SALT_BYTES = 6
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


class Kind(StrEnum):
    TRAINING = "training"
    PRIOR_SKILLS = "prior_skills"


class AssessmentMethod(StrEnum):
    PRACTICAL_TEST = "practical_test"
    PORTFOLIO = "portfolio"
    INTERVIEW = "interview"
    THIRD_PARTY_REPORT = "third_party_report"


@dataclass(frozen=True)
class Holder:
    """The worker as the credential names them; the ID number only as a salted hash."""

    name: str
    birth_date: date
    nationality: str
    id_hash: str
    id_salt: str

    @classmethod
    def create(cls, name: str, birth_date: date, nationality: str, id_number: str) -> Holder:
        """Build a holder, hashing ``id_number`` under a fresh salt."""
        salt = secrets.token_urlsafe(SALT_BYTES)
        return cls(name, birth_date, nationality.upper(), hash_id_number(id_number, salt), salt)


@dataclass(frozen=True)
class Qualification:
    """A foreign qualification as the issuing provider awards it."""

    id: str
    name: str
    description: str
    framework: str
    level: str
    isco_code: str
    isco_title: str
    framework_url: str | None = None
    esco_uri: str | None = None
    esco_title: str | None = None
    asean_level: int | None = None
    criteria_url: str | None = None


@dataclass(frozen=True)
class PriorSkillsAssessment:
    """How skills a worker brought on arrival were assessed."""

    method: AssessmentMethod
    evidence_summary: str
    assessed_on: date


@dataclass(frozen=True)
class CredentialSpec:
    """Everything needed to build one credential payload."""

    credential_id: str
    issuer_id: str
    holder: Holder
    qualification: Qualification
    kind: Kind
    valid_from: datetime
    valid_until: datetime
    status_uri: str
    status_idx: int
    assessment: PriorSkillsAssessment | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def normalize_id_number(id_number: str) -> str:
    """Normalise a typed ID number: NFKC, upper case, no spaces or dashes."""
    text = unicodedata.normalize("NFKC", id_number).upper()
    return "".join(ch for ch in text if ch.isalnum())


def hash_id_number(id_number: str, salt: str) -> str:
    """Return the Open Badges IdentityHash (``sha256$hex``) of a salted ID number."""
    normalized = normalize_id_number(id_number)
    if not normalized:
        raise CredentialDataError("the ID document number is empty", field="id_number")
    return "sha256$" + hashlib.sha256((normalized + salt).encode()).hexdigest()


def id_number_matches(payload: dict[str, Any], typed_number: str) -> bool:
    """Check a number a verifier types against the credential's hashed ID document number."""
    identity = _id_identity(payload)
    if identity is None or not normalize_id_number(typed_number):
        return False
    expected = hash_id_number(typed_number, identity.get("salt", ""))
    return hmac.compare_digest(expected.lower(), str(identity.get("identityHash", "")).lower())


def _id_identity(payload: dict[str, Any]) -> dict[str, Any] | None:
    subject = payload.get("credentialSubject")
    identifiers = subject.get("identifier") if isinstance(subject, dict) else None
    for entry in identifiers if isinstance(identifiers, list) else []:
        if isinstance(entry, dict) and entry.get("identityType") == ID_DOCUMENT_TYPE:
            return entry
    return None


def build_payload(spec: CredentialSpec) -> dict[str, Any]:
    """Build the credential payload with the JWT claims Open Badges 3.0 mirrors."""
    _check_spec(spec)
    subject_id = spec.credential_id + "#holder"
    payload: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": spec.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        # The issuer is named by URI only: verifiers show the name from the signed trust list,
        # never a name the token asserts about itself (and the QR stays small).
        "issuer": spec.issuer_id,
        "validFrom": _iso(spec.valid_from),
        "validUntil": _iso(spec.valid_until),
        "credentialSubject": _subject(spec, subject_id),
    }
    if spec.kind is Kind.PRIOR_SKILLS:
        assert spec.assessment is not None
        payload["evidence"] = [
            {
                "type": ["Evidence"],
                "genre": spec.assessment.method.value,
                "narrative": spec.assessment.evidence_summary,
            }
        ]
    payload["status"] = {"status_list": {"idx": spec.status_idx, "uri": spec.status_uri}}
    payload.update(spec.extra)
    payload.update(
        iss=spec.issuer_id,
        jti=spec.credential_id,
        sub=subject_id,
        nbf=int(spec.valid_from.timestamp()),
        exp=int(spec.valid_until.timestamp()),
    )
    return payload


def _subject(spec: CredentialSpec, subject_id: str) -> dict[str, Any]:
    holder = spec.holder
    subject: dict[str, Any] = {
        "id": subject_id,
        "type": ["AchievementSubject"],
        "name": holder.name,
        "birthDate": holder.birth_date.isoformat(),
        "nationality": holder.nationality,
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": ID_DOCUMENT_TYPE,
                "hashed": True,
                "identityHash": holder.id_hash,
                "salt": holder.id_salt,
            }
        ],
        "achievement": achievement_of(spec.qualification, spec.kind),
    }
    if spec.assessment is not None:
        subject["activityEndDate"] = _iso(datetime.combine(spec.assessment.assessed_on, datetime.min.time(), UTC))
    return subject


def achievement_of(q: Qualification, kind: Kind) -> dict[str, Any]:
    """Return the credential's ``achievement`` object for a qualification awarded as ``kind``."""
    achievement: dict[str, Any] = {
        "id": q.id,
        "type": ["Achievement"],
        "achievementType": PRIOR_SKILLS_TYPE if kind is Kind.PRIOR_SKILLS else TRAINING_TYPE,
        "name": q.name,
        "description": q.description,
        "criteria": {"id": q.criteria_url or q.id},
        "alignment": _alignments(q),
    }
    return achievement


def _alignments(q: Qualification) -> list[dict[str, Any]]:
    alignments = [
        # Named by code: titles are looked up at display time, which keeps the QR small.
        _alignment(f"{ISCO_FRAMEWORK} {q.isco_code}", ISCO_URI + q.isco_code, ISCO_FRAMEWORK, q.isco_code),
        _alignment(f"{q.framework} level {q.level}", q.framework_url or q.id, q.framework, q.level),
    ]
    if q.esco_uri:
        alignments.append(_alignment(q.esco_title or q.name, q.esco_uri, ESCO_FRAMEWORK, None))
    if q.asean_level is not None:
        level = str(q.asean_level)
        alignments.append(_alignment(f"AQRF level {level}", ASEAN_URL + level, ASEAN_FRAMEWORK, level))
    return alignments


def _alignment(name: str, url: str, framework: str, code: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": ["Alignment"],
        "targetName": name,
        "targetUrl": url,
        "targetFramework": framework,
    }
    if code is not None:
        entry["targetCode"] = code
    return entry


def _check_spec(spec: CredentialSpec) -> None:
    if spec.kind is Kind.PRIOR_SKILLS and spec.assessment is None:
        raise CredentialDataError("a prior-skills credential needs an assessment", field="assessment")
    if spec.kind is Kind.TRAINING and spec.assessment is not None:
        raise CredentialDataError("a training credential has no prior-skills assessment")
    if spec.valid_from.tzinfo is None or spec.valid_until.tzinfo is None:
        # Checked before comparing them: naive and aware datetimes do not compare (TypeError).
        raise CredentialDataError("timestamps must be timezone-aware", field="valid_from")
    if spec.valid_until <= spec.valid_from:
        raise CredentialDataError("validUntil must be after validFrom", field="valid_until")
    if not _COUNTRY_CODE.fullmatch(spec.holder.nationality):
        raise CredentialDataError("nationality must be an ISO 3166 alpha-2 code", field="nationality")
    if not 0 <= spec.status_idx < 2**32:
        raise CredentialDataError("status index out of range", field="status_idx")
    for name, text in (("holder name", spec.holder.name), ("qualification", spec.qualification.name)):
        if not text.strip() or len(text) > MAX_TEXT:
            raise CredentialDataError(f"{name} must be 1 to {MAX_TEXT} characters", field=name)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise CredentialDataError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def encode_payload(payload: dict[str, Any]) -> bytes:
    """Serialise a payload to the exact bytes both signatures cover."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def kind_of(payload: dict[str, Any]) -> Kind:
    """Tell the credential kind from its achievement type."""
    achievement = payload.get("credentialSubject", {}).get("achievement", {})
    if achievement.get("achievementType") == PRIOR_SKILLS_TYPE:
        return Kind.PRIOR_SKILLS
    return Kind.TRAINING
