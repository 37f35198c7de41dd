"""Cohort CSV files: the template, and validation of every row before anything is issued."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from certsvc.credential import AssessmentMethod, Kind
from certsvc.errors import CertsvcError

COLUMNS = (
    "external_id",
    "name",
    "birth_date",
    "nationality",
    "id_number",
    "sex",
    "qualification_code",
    "kind",
    "assessment_method",
    "evidence_summary",
    "assessed_on",
    "assessor",
)
REQUIRED = ("external_id", "name", "birth_date", "nationality", "id_number", "qualification_code", "kind")
MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
MAX_FIELD = 200
MAX_SUMMARY = 120
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_EXAMPLE_ROWS = (
    (
        "KLWA-2026-001",
        "Maria Santos Dela Cruz",
        "1990-05-17",
        "PH",
        "P1234567A",
        "F",
        "SMAW2",
        "training",
        "",
        "",
        "",
        "",
    ),
    (
        "KLWA-2026-002",
        "Jose Rizal Mercado",
        "1988-11-02",
        "PH",
        "P7654321B",
        "M",
        "CARE2",
        "prior_skills",
        "practical_test",
        "Bed bath, transfers and medication log observed; passed.",
        "2026-02-02",
        "A. Rahman",
    ),
)


class CohortFileError(CertsvcError):
    """The file as a whole cannot be read as a cohort CSV."""

    code = "cohort_file_invalid"
    http_status = 400


@dataclass(frozen=True)
class CohortRow:
    """One validated row."""

    line: int
    external_id: str
    name: str
    birth_date: date
    nationality: str
    id_number: str
    sex: str | None
    qualification_code: str
    kind: Kind
    assessment_method: AssessmentMethod | None
    evidence_summary: str | None
    assessed_on: date | None
    assessor: str | None


@dataclass
class CohortValidation:
    """Validated rows and the per-row errors; a file with any error issues nothing."""

    rows: list[CohortRow] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def template_csv() -> str:
    """Return the downloadable template: the header and two example rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_EXAMPLE_ROWS)
    return out.getvalue()


def validate_cohort(unverified_data: bytes, qualification_codes: set[str], today: date) -> CohortValidation:
    """Parse and check every row; report each problem with its line and column."""
    text = _decode(unverified_data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise CohortFileError("the CSV lacks required columns: " + ", ".join(missing), missing=missing)
    result = CohortValidation()
    seen: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            raise CohortFileError(f"a cohort file holds at most {MAX_ROWS} rows", limit=MAX_ROWS)
        if None in raw or not any((v or "").strip() for v in raw.values()):
            if None in raw:
                result.errors.append({"line": line, "column": None, "message": "too many fields in this row"})
            continue
        errors: list[tuple[str, str]] = []
        row = _check_row(line, {k: (v or "").strip() for k, v in raw.items()}, qualification_codes, today, errors)
        if row is not None and row.external_id in seen:
            errors.append(("external_id", f"repeats line {seen[row.external_id]}"))
        result.errors += [{"line": line, "column": c, "message": m} for c, m in errors]
        if row is not None and not errors:
            seen[row.external_id] = line
            result.rows.append(row)
    if not result.rows and not result.errors:
        raise CohortFileError("the CSV holds no rows")
    return result


def _decode(unverified_data: bytes) -> str:
    if len(unverified_data) > MAX_BYTES:
        raise CohortFileError(f"the file is larger than {MAX_BYTES // 1024} KiB", limit=MAX_BYTES)
    try:
        return unverified_data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CohortFileError("the file is not UTF-8 text; save the CSV as UTF-8") from exc


def _check_row(
    line: int, raw: dict[str, str], codes: set[str], today: date, errors: list[tuple[str, str]]
) -> CohortRow | None:
    for column in REQUIRED:
        if not raw.get(column):
            errors.append((column, "is required"))
    for column, value in raw.items():
        if value and len(value) > MAX_FIELD:
            errors.append((column, f"is longer than {MAX_FIELD} characters"))
    if errors:
        return None
    external_id = raw["external_id"]
    if not _EXTERNAL_ID.match(external_id):
        errors.append(("external_id", "use letters, digits and . _ : - only"))
    birth_date = _date(raw["birth_date"], "birth_date", errors)
    if birth_date and not date(1900, 1, 1) <= birth_date <= today:
        errors.append(("birth_date", "is not a plausible birth date"))
    nationality = raw["nationality"].upper()
    if not _COUNTRY.match(nationality):
        errors.append(("nationality", "must be a two-letter country code such as PH"))
    sex = raw.get("sex", "").upper() or None
    if sex not in (None, "F", "M", "X"):
        errors.append(("sex", "must be F, M, X or empty"))
    if raw["qualification_code"] not in codes:
        errors.append(("qualification_code", "is not one of your qualifications"))
    kind = _kind(raw["kind"], errors)
    method, summary, assessed_on = _assessment(raw, kind, today, errors)
    if errors or birth_date is None or kind is None:
        return None
    return CohortRow(
        line,
        external_id,
        raw["name"],
        birth_date,
        nationality,
        raw["id_number"],
        sex,
        raw["qualification_code"],
        kind,
        method,
        summary,
        assessed_on,
        raw.get("assessor") or None,
    )


def _kind(value: str, errors: list[tuple[str, str]]) -> Kind | None:
    try:
        return Kind(value)
    except ValueError:
        errors.append(("kind", "must be training or prior_skills"))
        return None


def _assessment(
    raw: dict[str, str], kind: Kind | None, today: date, errors: list[tuple[str, str]]
) -> tuple[AssessmentMethod | None, str | None, date | None]:
    if kind is not Kind.PRIOR_SKILLS:
        if any(raw.get(c) for c in ("assessment_method", "evidence_summary", "assessed_on")):
            errors.append(("assessment_method", "only prior_skills rows carry an assessment"))
        return None, None, None
    try:
        method = AssessmentMethod(raw.get("assessment_method", ""))
    except ValueError:
        errors.append(("assessment_method", "must be practical_test, portfolio, interview or third_party_report"))
        method = None
    summary = raw.get("evidence_summary") or None
    if not summary:
        errors.append(("evidence_summary", "is required for prior_skills"))
    elif len(summary) > MAX_SUMMARY:
        errors.append(("evidence_summary", f"keep it to {MAX_SUMMARY} characters"))
    assessed_on = _date(raw.get("assessed_on", ""), "assessed_on", errors)
    if assessed_on and assessed_on > today:
        errors.append(("assessed_on", "is in the future"))
    return method, summary, assessed_on


def _date(value: str, column: str, errors: list[tuple[str, str]]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append((column, "must be a date as YYYY-MM-DD"))
        return None
