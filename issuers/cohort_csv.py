"""Cohort CSV files: the template, and validation of every row before anything is issued."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.openbadge import AssessmentMethod, Kind, normalize_id_number

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
    "language",
)
REQUIRED = ("external_id", "name", "birth_date", "nationality", "id_number", "qualification_code", "kind")
ASSESSMENT_COLUMNS = ("assessment_method", "evidence_summary", "assessed_on", "assessor")
MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
MAX_FIELD = 200
#: The evidence summary travels in the QR code; 300 characters still fit a version 17 code (docs/format.md §3).
MAX_SUMMARY = 300
MAX_ERRORS = 1000
DELIMITERS = (",", ";", "\t")
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
#: A language code as the catalogues name them (en, es, fil, my): what the learner's claim slip is printed in.
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
DEFAULT_LANGUAGE = "en"
_EXAMPLES = (
    ("KLWA-2026-001", "Maria Santos Dela Cruz", "1990-05-17", "PH", "P1234567A", "F"),
    ("KLWA-2026-002", "Jose Rizal Mercado", "1988-11-02", "PH", "P7654321B", "M"),
)
_EXAMPLE_ASSESSMENT = ("practical_test", "Bed bath, transfers and medication log observed; passed.", "2026-02-02")
_DEFAULT_CODES = ("SMAW2", "CARE2")


def N_(message: str) -> str:
    """Mark a message for the catalogue: the import pages show it in their language."""
    return message


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
    #: The learner's language (optional column; ``en`` when empty).
    language: str = DEFAULT_LANGUAGE


@dataclass
class CohortValidation:
    """Validated rows and the per-row errors; a file with any error issues nothing."""

    rows: list[CohortRow] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def error_lines(self) -> int:
        """How many rows have at least one error."""
        return len({e["line"] for e in self.errors})


def template_csv(qualification_codes: Sequence[str] = ()) -> str:
    """Return the downloadable template: the header and a training and a prior-skills example row.

    With the provider's ``qualification_codes`` the examples use its own codes, so the
    template as downloaded validates for that provider.
    """
    codes = list(qualification_codes) or list(_DEFAULT_CODES)
    training = (*_EXAMPLES[0], codes[0], Kind.TRAINING.value, "", "", "", "", "fil")
    prior = (*_EXAMPLES[1], codes[-1], Kind.PRIOR_SKILLS.value, *_EXAMPLE_ASSESSMENT, "A. Rahman", "en")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows((training, prior))
    return out.getvalue()


def validate_cohort(unverified_data: bytes, qualification_codes: set[str], today: date) -> CohortValidation:
    """Parse and check every row; report each problem with its line and column.

    Raises CohortFileError when the file as a whole is unusable (too large, not UTF-8,
    not CSV, required columns missing, too many rows, no rows).
    """
    text = _decode(unverified_data)
    result = CohortValidation()
    seen: dict[str, int] = {}
    reader = None
    try:
        reader = _reader(text)
        for line, raw in enumerate(reader, start=2):
            if line - 1 > MAX_ROWS:
                raise CohortFileError(f"a cohort file holds at most {MAX_ROWS} rows", limit=MAX_ROWS)
            _check_record(line, raw, qualification_codes, today, seen, result)
    except csv.Error as exc:
        where = f" (line {reader.line_num})" if reader is not None else ""
        raise CohortFileError(f"the file is not a readable CSV{where}: {exc}") from exc
    if not result.rows and not result.errors:
        raise CohortFileError("the CSV holds no rows")
    del result.errors[MAX_ERRORS:]
    return result


def _check_record(
    line: int,
    raw: dict[str | None, object],
    codes: set[str],
    today: date,
    seen: dict[str, int],
    result: CohortValidation,
) -> None:
    if None in raw:
        result.errors.append({"line": line, "column": None, "message": N_("this row has more fields than the header")})
        return
    values = {str(k): str(v or "").strip() for k, v in raw.items()}
    if not any(values.values()):
        return  # blank lines are allowed
    errors: list[tuple[str, str]] = []
    row = check_row(line, values, codes, today, errors)
    if row is not None and row.external_id in seen:
        errors.append(("external_id", f"repeats line {seen[row.external_id]}"))
    result.errors += [{"line": line, "column": c, "message": m} for c, m in errors]
    if row is not None and not errors:
        seen[row.external_id] = line
        result.rows.append(row)


def _decode(unverified_data: bytes) -> str:
    if len(unverified_data) > MAX_BYTES:
        raise CohortFileError(f"the file is larger than {MAX_BYTES // 1024} KiB", limit=MAX_BYTES)
    try:
        text = unverified_data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CohortFileError("the file is not UTF-8 text; save the CSV as UTF-8") from exc
    if "\x00" in text:
        raise CohortFileError("the file is not a CSV text file (it holds NUL bytes)")
    return text


def _reader(text: str) -> csv.DictReader[str]:
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in many locales save "CSV" with semicolons; accept what the header uses.
    delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in reader.fieldnames or []]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise CohortFileError("the header names a column twice: " + ", ".join(repeated), columns=repeated)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CohortFileError(
            "the CSV lacks required columns: " + ", ".join(missing) + "; start from the template", missing=missing
        )
    reader.fieldnames = header
    return reader


def check_row(
    line: int, raw: dict[str, str], codes: set[str], today: date, errors: list[tuple[str, str]]
) -> CohortRow | None:
    """Check one row's values, appending every problem found to ``errors``; return the row if it has none."""
    errors += [(c, "is required") for c in REQUIRED if not raw.get(c)]
    errors += [(c, f"is longer than {MAX_FIELD} characters") for c, v in raw.items() if len(v) > MAX_FIELD]
    unreadable = {column for column, _ in errors}
    # Columns already reported are left out, so each problem is reported once.
    values = {c: raw.get(c, "") for c in COLUMNS if c not in unreadable}
    external_id = _external_id(values.get("external_id"), errors)
    _name(values.get("name"), errors)
    birth_date = _birth_date(values.get("birth_date"), today, errors)
    nationality = _nationality(values.get("nationality"), errors)
    _id_number(values.get("id_number"), errors)
    sex = _sex(values.get("sex", ""), errors)
    if values.get("qualification_code") and values["qualification_code"] not in codes:
        errors.append(("qualification_code", N_("is not one of your qualifications")))
    kind = _kind(values.get("kind"), errors)
    method, summary, assessed_on = _assessment(values, kind, today, errors)
    language = _language(values.get("language", ""), errors)
    if errors or None in (external_id, birth_date, nationality, kind):
        return None
    assert birth_date is not None and kind is not None and external_id is not None and nationality is not None
    return CohortRow(
        line=line,
        external_id=external_id,
        name=" ".join(values["name"].split()),
        birth_date=birth_date,
        nationality=nationality,
        id_number=values["id_number"],
        sex=sex,
        qualification_code=values["qualification_code"],
        kind=kind,
        assessment_method=method,
        evidence_summary=summary,
        assessed_on=assessed_on,
        assessor=values.get("assessor") or None,
        language=language,
    )


def _external_id(value: str | None, errors: list[tuple[str, str]]) -> str | None:
    if not value:
        return None
    if not _EXTERNAL_ID.match(value):
        errors.append(("external_id", N_("use letters, digits and . _ : - only (at most 100)")))
        return None
    return value


def _name(value: str | None, errors: list[tuple[str, str]]) -> None:
    if value and any(ord(ch) < 32 for ch in value):
        errors.append(("name", N_("holds a line break or control character")))


def _birth_date(value: str | None, today: date, errors: list[tuple[str, str]]) -> date | None:
    if not value:
        return None
    born = _date(value, "birth_date", errors)
    if born and not date(1900, 1, 1) <= born <= today:
        errors.append(("birth_date", N_("is not a plausible birth date")))
        return None
    return born


def _nationality(value: str | None, errors: list[tuple[str, str]]) -> str | None:
    if not value:
        return None
    if not _COUNTRY.match(value.upper()):
        errors.append(("nationality", N_("must be a two-letter country code such as PH")))
        return None
    return value.upper()


def _id_number(value: str | None, errors: list[tuple[str, str]]) -> None:
    if value and not normalize_id_number(value):
        errors.append(("id_number", N_("must hold letters or digits")))


def _language(value: str, errors: list[tuple[str, str]]) -> str:
    language = value.lower() or DEFAULT_LANGUAGE
    if not _LANGUAGE.match(language):
        errors.append(("language", "must be a language code such as en, es, fil or my"))
        return DEFAULT_LANGUAGE
    return language


def _sex(value: str, errors: list[tuple[str, str]]) -> str | None:
    sex = value.upper() or None
    if sex not in (None, "F", "M", "X"):
        errors.append(("sex", N_("must be F, M, X or empty")))
        return None
    return sex


def _kind(value: str | None, errors: list[tuple[str, str]]) -> Kind | None:
    if not value:
        return None
    try:
        return Kind(value)
    except ValueError:
        errors.append(("kind", N_("must be training or prior_skills")))
        return None


def _assessment(
    raw: dict[str, str], kind: Kind | None, today: date, errors: list[tuple[str, str]]
) -> tuple[AssessmentMethod | None, str | None, date | None]:
    if kind is None:
        return None, None, None  # without a valid kind the assessment columns cannot be judged
    if kind is not Kind.PRIOR_SKILLS:
        for column in ASSESSMENT_COLUMNS:
            if raw.get(column):
                errors.append((column, N_("only prior_skills rows carry an assessment")))
        return None, None, None
    # A column missing from ``raw`` was already reported (too long): check the others only.
    method = _method(raw["assessment_method"], errors) if "assessment_method" in raw else None
    summary = " ".join(raw.get("evidence_summary", "").split()) or None
    if "evidence_summary" in raw and not summary:
        errors.append(("evidence_summary", N_("is required for prior_skills")))
    elif summary and len(summary) > MAX_SUMMARY:
        errors.append(("evidence_summary", f"keep it to {MAX_SUMMARY} characters"))
        summary = None
    assessed_on = None
    if "assessed_on" in raw and not raw["assessed_on"]:
        errors.append(("assessed_on", N_("is required for prior_skills")))
    elif raw.get("assessed_on"):
        assessed_on = _date(raw["assessed_on"], "assessed_on", errors)
        if assessed_on and assessed_on > today:
            errors.append(("assessed_on", N_("is in the future")))
    if "assessor" in raw and not raw["assessor"]:
        errors.append(("assessor", N_("is required for prior_skills")))
    return method, summary, assessed_on


def _method(value: str, errors: list[tuple[str, str]]) -> AssessmentMethod | None:
    try:
        return AssessmentMethod(value)
    except ValueError:
        choices = ", ".join(m.value for m in AssessmentMethod)
        errors.append(("assessment_method", f"must be one of {choices}"))
        return None


def _date(value: str, column: str, errors: list[tuple[str, str]]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append((column, N_("must be a date as YYYY-MM-DD")))
        return None
