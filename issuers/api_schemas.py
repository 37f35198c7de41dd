"""The JSON API's request fields, written once: they check requests and describe them in OpenAPI.

A :class:`Field` names a JSON member (or query parameter) with its type and limits.
:func:`parse_body` and :func:`parse_query` check untrusted input against a tuple of
fields and name every field at fault; :func:`object_schema` and :func:`query_parameters`
turn the same tuples into JSON Schema for the OpenAPI document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.openbadge import AssessmentMethod, Kind, PriorSkillsAssessment, normalize_id_number
from certsvc.store.models import CredentialState, RejectionReason, Sex
from certsvc.web import date_patterns, json_body, text_rules

# The body errors are the shared loader's, re-exported: callers name them from here.
from certsvc.web.json_body import BodyTooLarge as BodyTooLarge
from certsvc.web.json_body import InvalidJSON as InvalidJSON
from issuers import cohort_csv
from issuers.issuance import LearnerData

MAX_BODY_BYTES = 64 * 1024
#: Credentials one batch request issues at most (all or nothing, in one transaction).
MAX_BATCH = 100
BATCH_MEMBER = "credentials"
#: A passport number (ICAO 9303: A-Z, 0-9) as people write it: at least one letter or digit among its characters.
ID_NUMBER_PATTERN = text_rules.schema_pattern_requiring("[A-Za-z0-9]")
#: No birth or assessment of ours is earlier.
EARLIEST_DATE = date(1900, 1, 1)
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
COUNTRY_PATTERN = r"^[A-Z]{2}$"
#: The same shape the cohort CSV accepts, so ids can move between the two.
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,100}$"
_JSON_TYPES = {"string": "string", "date": "string", "integer": "integer", "object": "object"}


class InvalidField(CertsvcError):
    """One or more fields of the body are missing or invalid; ``field`` names the first."""

    code = "invalid_field"
    http_status = 400


class InvalidParameter(CertsvcError):
    """A query parameter is invalid."""

    code = "invalid_parameter"
    http_status = 400


@dataclass(frozen=True)
class Field:
    """One JSON member or query parameter: its type (string, date, integer, object) and limits."""

    name: str
    type: str = "string"
    required: bool = False
    description: str = ""
    example: Any = None
    max_length: int = 200
    pattern: str | None = None
    hint: str = ""
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    default: Any = None
    multiline: bool = False
    fields: tuple[Field, ...] = ()
    #: For dates: the earliest the field takes, and whether it takes dates after today (the document says so).
    not_before: date | None = None
    not_after_today: bool = False


# -- the fields of each request ------------------------------------------------------------

LEARNER_FIELDS = (
    Field("name", required=True, description="Full name as on the ID document.", example="Maria Santos Dela Cruz"),
    Field(
        "birth_date",
        "date",
        required=True,
        description="Date of birth (from 1900-01-01 to today).",
        example="1990-05-17",
        not_before=EARLIEST_DATE,
        not_after_today=True,
    ),
    Field(
        "nationality",
        required=True,
        max_length=2,
        pattern=COUNTRY_PATTERN,
        hint="must be a two-letter upper-case country code such as PH",
        description="ISO 3166-1 alpha-2 code of the learner's nationality; it decides which embassy co-signs.",
        example="PH",
    ),
    Field(
        "id_number",
        required=True,
        max_length=64,
        pattern=ID_NUMBER_PATTERN,
        hint="must contain letters or digits (A-Z, 0-9), as a passport number does",
        description="ID document (passport) number: its letters and digits count, spaces and dashes do not. "
        "Stored and signed only as a salted hash; never returned.",
        example="P1234567A",
    ),
    Field("sex", enum=tuple(s.value for s in Sex), description="Optional, for statistics only.", example="F"),
    Field(
        "external_id",
        max_length=100,
        pattern=EXTERNAL_ID_PATTERN,
        hint="must be 1-100 letters, digits and . _ : -",
        description="Your own id for the learner. Registering the same external_id again returns the existing "
        "learner (200) instead of a second one.",
        example="KLWA-L-0001",
    ),
)
ASSESSMENT_FIELDS = (
    Field(
        "method",
        required=True,
        enum=tuple(m.value for m in AssessmentMethod),
        description="How the skills the worker brought were assessed.",
        example="practical_test",
    ),
    Field(
        "evidence_summary",
        required=True,
        max_length=cohort_csv.MAX_SUMMARY,
        description="The evidence seen, in one sentence; it is signed into the credential.",
        example="Bed bath, transfers and medication log observed; passed.",
    ),
    Field(
        "assessed_on",
        "date",
        required=True,
        description="Date of the assessment (from 1900-01-01 to today).",
        example="2026-02-02",
        not_before=EARLIEST_DATE,
        not_after_today=True,
    ),
    Field(
        "assessor",
        description="Who assessed. Recorded in the audit log; the credential itself does not name the assessor.",
        example="A. Rahman",
    ),
)
CREDENTIAL_FIELDS = (
    Field(
        "learner_id",
        "integer",
        minimum=1,
        maximum=2**31 - 1,
        description="A learner you registered. Give either learner_id or learner.",
        example=None,
    ),
    Field(
        "learner",
        "object",
        fields=LEARNER_FIELDS,
        description="Register the learner in the same call (idempotent on learner.external_id). "
        "Give either learner_id or learner.",
    ),
    Field(
        "qualification_code",
        required=True,
        max_length=64,
        description="Code of one of your qualifications.",
        example="SMAW2",
    ),
    Field(
        "kind",
        required=True,
        enum=tuple(k.value for k in Kind),
        description="training: skills gained here; prior_skills: skills the worker brought, which needs assessment.",
        example="training",
    ),
    Field(
        "assessment",
        "object",
        fields=ASSESSMENT_FIELDS,
        description="Required for prior_skills, absent for training.",
    ),
    Field(
        "external_id",
        max_length=100,
        pattern=EXTERNAL_ID_PATTERN,
        hint="must be 1-100 letters, digits and . _ : -",
        description="Your own id for this credential. A repeat with the same external_id returns the existing "
        "credential (200) and never issues twice.",
        example="KLWA-2026-001",
    ),
)
REASON_FIELDS = (
    Field(
        "reason",
        required=True,
        max_length=500,
        multiline=True,
        description="Why; shown to the other party and kept in the audit log.",
        example="Training hours in the record do not match the attendance sheet.",
    ),
)
#: An embassy's refusal: a reason from the fixed list (so it can be counted) and a note.
REJECT_FIELDS = (
    Field(
        "reason_code",
        required=True,
        enum=tuple(reason.value for reason in RejectionReason),
        description="Why, from the fixed list the authority's indicators count; `other` needs a `reason` note.",
        example=RejectionReason.TRAINING_RECORD.value,
    ),
    Field(
        "reason",
        max_length=500,
        multiline=True,
        description="A note the provider sees, kept in the audit log; required when `reason_code` is `other`.",
        example="Training hours in the record do not match the attendance sheet.",
    ),
)
NO_FIELDS: tuple[Field, ...] = ()

PAGE_PARAMETERS = (
    Field("limit", "integer", minimum=1, maximum=200, default=50, description="Page size (1-200).", example=50),
    Field("offset", "integer", minimum=0, maximum=10**9, default=0, description="Records to skip.", example=0),
)
LEARNER_FILTERS = (
    Field(
        "external_id",
        max_length=100,
        pattern=EXTERNAL_ID_PATTERN,
        hint="must be 1-100 letters, digits and . _ : -",
        description="Only the learner with this external id.",
    ),
)
CREDENTIAL_FILTERS = (
    Field(
        "state",
        enum=tuple(s.value for s in CredentialState),
        description="Only credentials in this state; awaiting_cosign is an embassy's queue.",
    ),
    Field("kind", enum=tuple(k.value for k in Kind), description="Only credentials of this kind."),
    Field(
        "external_id",
        max_length=100,
        pattern=EXTERNAL_ID_PATTERN,
        hint="must be 1-100 letters, digits and . _ : -",
        description="Only the credential with this external id (providers).",
    ),
)


# -- checking input --------------------------------------------------------------------------


def parse_body(
    unverified_body: bytes, mimetype: str | None, fields: tuple[Field, ...], *, optional: bool = False
) -> dict[str, Any]:
    """Check a JSON object body against ``fields``; ``optional`` bodies may be empty."""
    value = json_body.load_object(unverified_body, mimetype, max_bytes=MAX_BODY_BYTES, optional=optional)
    return check_object(value, fields)


def check_object(unverified: Mapping[str, Any], fields: tuple[Field, ...]) -> dict[str, Any]:
    """Check an already decoded object; raise InvalidField naming every field at fault."""
    errors: list[dict[str, str]] = []
    values = _check_members(unverified, fields, "", errors)
    _raise_if(errors)
    return values


def parse_query(unverified_args: Mapping[str, str], fields: tuple[Field, ...]) -> dict[str, Any]:
    """Check query parameters (unknown ones are ignored, as caches and proxies add their own)."""
    values: dict[str, Any] = {}
    for spec in fields:
        raw = unverified_args.get(spec.name)
        if raw is None:
            values[spec.name] = spec.default
            continue
        if raw == "":
            raise InvalidParameter(f"query parameter '{spec.name}' must not be empty", field=spec.name)
        if spec.type == "integer":
            message = _integer_problem(raw, spec)
            values[spec.name] = int(raw) if message is None else None
        else:
            message = _string_problem(raw, spec)
            values[spec.name] = raw
        if message is not None:
            raise InvalidParameter(f"query parameter '{spec.name}' {message}", field=spec.name)
    return values


def _check_members(
    unverified: Mapping[str, Any], fields: tuple[Field, ...], prefix: str, errors: list[dict[str, str]]
) -> dict[str, Any]:
    known = {spec.name for spec in fields}
    errors += [{"field": prefix + name, "message": "is not a known field"} for name in unverified if name not in known]
    values: dict[str, Any] = {}
    for spec in fields:
        raw = unverified.get(spec.name)
        if raw is None:  # absent or null
            if spec.required:
                errors.append({"field": prefix + spec.name, "message": "is required"})
            values[spec.name] = spec.default
            continue
        values[spec.name] = _check_value(raw, spec, prefix + spec.name, errors)
    return values


def _check_value(raw: Any, spec: Field, path: str, errors: list[dict[str, str]]) -> Any:
    if spec.type == "object":
        if not isinstance(raw, dict):
            errors.append({"field": path, "message": "must be a JSON object"})
            return None
        return _check_members(raw, spec.fields, path + ".", errors)
    if spec.type == "integer":
        # bool is an int in Python, not in JSON; 17.0 is an integer in JSON Schema.
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        message = "must be an integer" if isinstance(raw, bool) or not isinstance(raw, int) else _range(raw, spec)
    elif not isinstance(raw, str):
        message = "must be a string"
    else:
        message = _string_problem(raw, spec)
    if message is not None:
        errors.append({"field": path, "message": message})
        return None
    if spec.type == "date":
        return date.fromisoformat(raw.strip())
    return text_rules.normalise(raw, multiline=spec.multiline) if isinstance(raw, str) else raw


def _string_problem(raw: str, spec: Field) -> str | None:
    # The text rules every form applies too (certsvc.web.text_rules); the length is checked last,
    # so that a field with a pattern says what it should look like.
    try:
        text = text_rules.clean_text(raw, text_rules.TextRule(multiline=spec.multiline))
    except text_rules.TextRefused as exc:
        return exc.message
    if spec.type == "date":
        return None if _is_date(text) else "must be a date as YYYY-MM-DD"
    if spec.enum and text not in spec.enum:
        return "must be one of " + ", ".join(spec.enum)
    if spec.pattern and not re.fullmatch(spec.pattern, text[: spec.max_length + 1]):
        return spec.hint or f"must match {spec.pattern}"
    if len(text) > spec.max_length:
        return f"must be at most {spec.max_length} characters"
    return None


def _integer_problem(raw: str, spec: Field) -> str | None:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        return "must be a whole number"
    return _range(int(raw), spec)


def _range(value: int, spec: Field) -> str | None:
    if (spec.minimum is not None and value < spec.minimum) or (spec.maximum is not None and value > spec.maximum):
        return f"must be between {spec.minimum} and {spec.maximum}"
    return None


def _is_date(text: str) -> bool:
    if not DATE_PATTERN.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


# -- describing input as JSON Schema ---------------------------------------------------------


def object_schema(fields: tuple[Field, ...], description: str = "") -> dict[str, Any]:
    """The JSON Schema of an object made of ``fields`` (unknown members are refused)."""
    schema: dict[str, Any] = {"type": "object"}
    if description:
        schema["description"] = description
    schema["properties"] = {spec.name: field_schema(spec) for spec in fields}
    required = [spec.name for spec in fields if spec.required]
    if required:
        schema["required"] = required
    schema["additionalProperties"] = False
    return schema


def field_schema(spec: Field) -> dict[str, Any]:
    """The JSON Schema of one field; optional scalar fields also accept null (as if absent)."""
    if spec.type == "object":
        schema = object_schema(spec.fields)
    else:
        schema = {"type": _JSON_TYPES[spec.type]}
        schema.update(_constraints(spec))
    if not spec.required and spec.type != "object":
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    if spec.description:
        schema["description"] = spec.description
    if spec.example is not None:
        schema["examples"] = [spec.example]
    return schema


def _constraints(spec: Field) -> dict[str, Any]:
    if spec.type == "date":
        bounds = {"format": "date"}
        if spec.not_before or spec.not_after_today:
            # Resolved to an exact pattern when the document is built (certsvc.web.date_patterns).
            first = (spec.not_before or date(1, 1, 1)).isoformat()
            bounds[date_patterns.MARKER] = {"from": first, "to": "today"}  # type: ignore[assignment]
        return bounds
    if spec.type == "integer":
        limits = {"minimum": spec.minimum, "maximum": spec.maximum, "default": spec.default}
        return {key: value for key, value in limits.items() if value is not None}
    if spec.enum:
        return {"enum": list(spec.enum)}
    constraints: dict[str, Any] = {"minLength": 1, "maxLength": spec.max_length}
    # Without a pattern of its own a field takes the text rules' (no control characters, not blank).
    constraints["pattern"] = spec.pattern or (
        text_rules.MULTILINE_SCHEMA_PATTERN if spec.multiline else text_rules.SCHEMA_PATTERN
    )
    return constraints


def query_parameters(fields: tuple[Field, ...]) -> list[dict[str, Any]]:
    """OpenAPI query parameters for ``fields``."""
    parameters = []
    for spec in fields:
        schema = {"type": _JSON_TYPES[spec.type], **_constraints(spec)}
        parameter: dict[str, Any] = {"name": spec.name, "in": "query", "required": False, "schema": schema}
        if spec.description:
            parameter["description"] = spec.description
        parameters.append(parameter)
    return parameters


def example_of(fields: tuple[Field, ...]) -> dict[str, Any]:
    """An example object: every field that has an example."""
    example: dict[str, Any] = {}
    for spec in fields:
        if spec.type == "object":
            continue
        if spec.example is not None:
            example[spec.name] = spec.example
    return example


# -- turning checked values into domain requests ---------------------------------------------


@dataclass(frozen=True)
class CredentialRequest:
    """A checked request to issue one credential."""

    qualification_code: str
    kind: Kind
    learner_id: int | None = None
    learner: LearnerData | None = None
    assessment: PriorSkillsAssessment | None = None
    assessor: str | None = None
    external_id: str | None = None


def learner_data(values: Mapping[str, Any], today: date, prefix: str = "") -> LearnerData:
    """Build LearnerData from checked learner fields; ``prefix`` names where they sit in the body."""
    errors: list[dict[str, str]] = []
    if not EARLIEST_DATE <= values["birth_date"] <= today:
        errors.append({"field": prefix + "birth_date", "message": "is not a plausible birth date"})
    if not normalize_id_number(values["id_number"]):
        errors.append({"field": prefix + "id_number", "message": "must contain letters or digits"})
    _raise_if(errors)
    return LearnerData(
        name=values["name"],
        birth_date=values["birth_date"],
        nationality=values["nationality"],
        id_number=values["id_number"],
        sex=values["sex"],
        external_id=values["external_id"],
    )


def credential_request(values: Mapping[str, Any], today: date) -> CredentialRequest:
    """Build a CredentialRequest from checked credential fields, checking how they go together."""
    errors: list[dict[str, str]] = []
    if (values["learner_id"] is None) == (values["learner"] is None):
        errors.append({"field": "learner_id", "message": "give either learner_id or learner (not both)"})
    kind = Kind(values["kind"])
    found = values["assessment"]
    if kind is Kind.PRIOR_SKILLS and found is None:
        errors.append({"field": "assessment", "message": "is required for prior_skills credentials"})
    if kind is Kind.TRAINING and found is not None:
        errors.append({"field": "assessment", "message": "only prior_skills credentials carry an assessment"})
    if found is not None and found["assessed_on"] > today:
        errors.append({"field": "assessment.assessed_on", "message": "is in the future"})
    if found is not None and found["assessed_on"] < EARLIEST_DATE:
        errors.append({"field": "assessment.assessed_on", "message": "is before 1900"})
    _raise_if(errors)
    assessment = None
    if found is not None:
        method = AssessmentMethod(found["method"])
        assessment = PriorSkillsAssessment(method, found["evidence_summary"], found["assessed_on"])
    learner = learner_data(values["learner"], today, "learner.") if values["learner"] is not None else None
    return CredentialRequest(
        qualification_code=values["qualification_code"],
        kind=kind,
        learner_id=values["learner_id"],
        learner=learner,
        assessment=assessment,
        assessor=found["assessor"] if found is not None else None,
        external_id=values["external_id"],
    )


def parse_batch(unverified_body: bytes, mimetype: str | None, today: date) -> list[CredentialRequest]:
    """Check a batch body ``{"credentials": [ITEM, ...]}``, each ITEM as the single endpoint takes it.

    All or nothing: every problem of every item is named (with the item's ``index``) in one
    InvalidField, so a client fixes the whole batch at once.
    """
    value = json_body.load_object(unverified_body, mimetype, max_bytes=MAX_BODY_BYTES)
    errors: list[dict[str, Any]] = [
        {"field": name, "message": "is not a known field"} for name in value if name != BATCH_MEMBER
    ]
    items = value.get(BATCH_MEMBER)
    if not isinstance(items, list):
        errors.append({"field": BATCH_MEMBER, "message": "must be a JSON array of credentials"})
    elif not 1 <= len(items) <= MAX_BATCH:
        errors.append({"field": BATCH_MEMBER, "message": f"must hold 1 to {MAX_BATCH} credentials"})
    _raise_if(errors)
    wanted: list[CredentialRequest] = []
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise InvalidField("must be a JSON object", errors=[{"field": "", "message": "must be a JSON object"}])
            wanted.append(credential_request(check_object(item, CREDENTIAL_FIELDS), today))
        except InvalidField as exc:
            errors += [{"index": index, **problem} for problem in exc.data["errors"]]
    _raise_batch_if(errors)
    return wanted


def batch_problem(index: int, field: str, message: str) -> dict[str, Any]:
    """One problem of one item of a batch, in the shape ``parse_batch`` names them."""
    return {"index": index, "field": field, "message": message}


def _raise_batch_if(errors: list[dict[str, Any]]) -> None:
    if errors:
        first = errors[0]
        where = f"{BATCH_MEMBER}[{first['index']}]" + (f".{first['field']}" if first["field"] else "")
        raise InvalidField(f"'{where}' {first['message']}", field=where, errors=errors)


def _raise_if(errors: list[dict[str, str]]) -> None:
    if errors:
        first = errors[0]
        raise InvalidField(f"'{first['field']}' {first['message']}", field=first["field"], errors=errors)
