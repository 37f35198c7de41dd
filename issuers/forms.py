"""The browser forms of providers and embassies (Flask-WTF: every form carries a CSRF token).

Labels and messages are English msgids; templates translate them with ``_()`` and the
choices are translated when a form is built, inside the request.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp, ValidationError

from certsvc.credentials.openbadge import AssessmentMethod, PriorSkillsAssessment
from certsvc.store.models import REJECTION_LABELS, RejectionReason
from certsvc.web.form_rules import CheckedForm, Text
from certsvc.web.i18n import gettext as _
from issuers import cohort_csv, cosign_queue, issuance, lifecycle, search
from issuers.api_schemas import ID_NUMBER_PATTERN

MAX_ID_NUMBER = 64
MAX_ASSESSOR = 200
REQUIRED = "This field is required."
NOT_A_DATE = "Enter a date as YYYY-MM-DD."
TOO_LONG_QUERY = "Type at most 100 characters."
TOO_LONG = "The name is too long."
METHOD_LABELS = {
    AssessmentMethod.PRACTICAL_TEST: "Practical test",
    AssessmentMethod.PORTFOLIO: "Portfolio of work",
    AssessmentMethod.INTERVIEW: "Interview",
    AssessmentMethod.THIRD_PARTY_REPORT: "Third-party report",
}
SEX_LABELS = (("", "Not recorded"), ("F", "Female (F)"), ("M", "Male (M)"), ("X", "Unspecified (X)"))


def _not_in_future(_form: FlaskForm, field: DateField) -> None:
    if field.data is not None and field.data > date.today():
        raise ValidationError("The date cannot be in the future.")


def _plausible_date(_form: FlaskForm, field: DateField) -> None:
    if field.data is not None and not date(1900, 1, 1) <= field.data <= date(2199, 12, 31):
        raise ValidationError("Enter a date between 1900 and 2199.")


def _printable(_form: FlaskForm, field: SelectField) -> None:
    if field.data and not str(field.data).isprintable():
        raise ValidationError("Choose one from the list.")


def _plausible_birth_date(_form: FlaskForm, field: DateField) -> None:
    if field.data is not None and not date(1900, 1, 1) <= field.data <= date.today():
        raise ValidationError("The birth date is not plausible.")


class LearnerForm(CheckedForm):
    """Register a learner: what the credential names, plus an optional sex for statistics."""

    name = StringField("Full name", validators=[Text(issuance.MAX_NAME, too_long_message=TOO_LONG)])
    birth_date = DateField(
        "Birth date", validators=[InputRequired(REQUIRED), _plausible_birth_date], invalid_value_message=NOT_A_DATE
    )
    nationality = StringField(
        "Nationality (two-letter country code, e.g. PH)",
        validators=[Text(), Regexp(r"^[A-Za-z]{2}$", message="Use a two-letter country code such as PH.")],
    )
    id_number = StringField(
        "ID document number (passport)",
        validators=[
            Text(MAX_ID_NUMBER, too_long_message="The number is too long."),
            Regexp(ID_NUMBER_PATTERN, message="Type the letters and digits of the passport number."),
        ],
    )
    sex = SelectField("Sex (optional, for statistics only)", choices=[value for value, _label in SEX_LABELS])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sex.choices = [(value, _(label)) for value, label in SEX_LABELS]

    def learner_data(self) -> issuance.LearnerData:
        """The learner as the domain takes it."""
        assert self.birth_date.data is not None
        return issuance.LearnerData(
            name=self.name.data or "",
            birth_date=self.birth_date.data,
            nationality=(self.nationality.data or "").upper(),
            id_number=self.id_number.data or "",
            sex=self.sex.data or None,
        )


class IssueForm(CheckedForm):
    """Issue a training credential for one of the provider's qualifications."""

    qualification = SelectField("Qualification", validators=[InputRequired(REQUIRED)])

    def __init__(self, *args: Any, qualifications: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.qualification.choices = qualifications


class AssessmentForm(CheckedForm):
    """A prior-skills assessment on arrival: the skills brought, how they were assessed, by whom and when."""

    qualification = SelectField("Skills the worker brought", validators=[InputRequired(REQUIRED)])
    method = SelectField("Assessment method", choices=[m.value for m in AssessmentMethod])
    # Typed in a text area, signed as one line: line breaks are taken and become spaces.
    evidence = TextAreaField(
        "Evidence seen (short summary)",
        validators=[
            Text(
                cohort_csv.MAX_SUMMARY,
                multiline=True,
                too_long_message=f"Keep the summary to {cohort_csv.MAX_SUMMARY} characters.",
            )
        ],
    )
    assessor = StringField("Assessor name", validators=[Text(MAX_ASSESSOR, too_long_message=TOO_LONG)])
    assessed_on = DateField(
        "Assessment date", validators=[InputRequired(REQUIRED), _not_in_future], invalid_value_message=NOT_A_DATE
    )

    def __init__(self, *args: Any, qualifications: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.qualification.choices = qualifications
        self.method.choices = [(m.value, _(label)) for m, label in METHOD_LABELS.items()]

    def assessment(self) -> PriorSkillsAssessment:
        """The assessment as the credential records it."""
        assert self.assessed_on.data is not None
        summary = " ".join((self.evidence.data or "").split())
        return PriorSkillsAssessment(AssessmentMethod(self.method.data), summary, self.assessed_on.data)


class ReasonForm(CheckedForm):
    """A change that needs a reason (revoke, suspend, reject, withdraw); give each a prefix."""

    reason = TextAreaField(
        "Reason",
        validators=[
            Text(
                lifecycle.MAX_REASON,
                multiline=True,
                empty_message="Give a reason.",
                too_long_message="Keep the reason to 500 characters.",
            )
        ],
    )


class ActionForm(CheckedForm):
    """A button that changes state: carries only the CSRF token."""


class RejectForm(CheckedForm):
    """Refuse to co-sign: a reason from the fixed list (so it can be counted) and a note for the provider."""

    reason_code = RadioField("Reason", invalid_choice_message="Choose a reason.")
    reason = TextAreaField(
        "Note for the provider",
        validators=[
            Text(
                lifecycle.MAX_REASON,
                required=False,
                multiline=True,
                too_long_message=f"Keep the note to {lifecycle.MAX_REASON} characters.",
            )
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reason_code.choices = [(reason.value, _(label)) for reason, label in REJECTION_LABELS.items()]

    def validate(self, extra_validators: Any = None) -> bool:
        """With "other" the note is the reason, so it must be given.

        Checked here rather than as an inline validator: the note's own rule ends its chain
        when it is empty (it is optional for every other reason).
        """
        valid = super().validate(extra_validators)
        if self.reason_code.data == RejectionReason.OTHER and not (self.reason.data or "").strip():
            self.reason.errors = [*self.reason.errors, _("Say why in the note: you chose another reason.")]
            return False
        return valid


class SearchForm(CheckedForm):
    """A list's search box (GET, so no CSRF token: it changes nothing)."""

    class Meta:
        csrf = False

    q = SearchField("Search", validators=[Text(search.MAX_QUERY, required=False, too_long_message=TOO_LONG_QUERY)])

    def query(self) -> str:
        """What to look for ("" for everything)."""
        return search.clean_query(self.q.data) if self.validate() else ""


class QueueFilterForm(CheckedForm):
    """Narrow the co-sign queue: a name or credential number, a provider, a qualification, issue dates (GET)."""

    class Meta:
        csrf = False

    q = SearchField(
        "Name or credential number",
        validators=[Text(search.MAX_QUERY, required=False, too_long_message=TOO_LONG_QUERY)],
    )
    provider = SelectField(
        "Provider",
        coerce=int,
        validate_choice=False,
        validators=[Optional(), NumberRange(0, 2**31 - 1, "Choose one from the list.")],
    )
    # Any code may be asked for (a bookmarked filter outlives the queue), but only as printable text.
    qualification = SelectField(
        "Qualification", validate_choice=False, validators=[Text(64, required=False), _printable]
    )
    issued_from = DateField("Issued from", validators=[Optional(), _plausible_date], invalid_value_message=NOT_A_DATE)
    issued_until = DateField("Issued until", validators=[Optional(), _plausible_date], invalid_value_message=NOT_A_DATE)

    def __init__(
        self,
        *args: Any,
        providers: list[tuple[int, str, int]],
        qualifications: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.provider.choices = [(0, _("All providers"))] + [
            (provider_id, f"{name} ({n})") for provider_id, name, n in providers
        ]
        self.qualification.choices = [("", _("All qualifications"))] + [
            (code, f"{name} ({code})") for code, name in qualifications
        ]

    def validate_issued_until(self, field: DateField) -> None:
        """The range must not end before it starts."""
        if field.data and self.issued_from.data and field.data < self.issued_from.data:
            raise ValidationError("The end date is before the start date.")

    def queue_filter(self) -> cosign_queue.QueueFilter:
        """The filter as the queue takes it; fields that failed count as not given."""
        failed = {name for name, field in self._fields.items() if field.errors}
        return cosign_queue.QueueFilter(
            search=search.clean_query(self.q.data) if "q" not in failed else "",
            provider_id=(self.provider.data or None) if "provider" not in failed else None,
            qualification=(self.qualification.data or "") if "qualification" not in failed else "",
            issued_from=self.issued_from.data if "issued_from" not in failed else None,
            issued_until=self.issued_until.data if "issued_until" not in failed else None,
        )
