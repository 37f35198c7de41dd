"""The origin authority's browser forms (Flask-WTF: every form carries a CSRF token).

Labels and messages are English msgids; templates translate them with ``_()``.
"""

from __future__ import annotations

from typing import Any

from wtforms import DateField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from certsvc.accounts import users
from certsvc.authority import changes, national_catalogue
from certsvc.authority.national_catalogue import NationalQualificationData
from certsvc.web.form_rules import CheckedForm, Text

REQUIRED = "This field is required."
NOT_A_DATE = "Enter a date as YYYY-MM-DD."
COUNTRY = Regexp(r"^[A-Za-z]{2}$", message="Use a two-letter country code such as MY.")


class AccreditForm(CheckedForm):
    """Accredit foreign providers for named qualifications over a date range."""

    qualifications = SelectMultipleField(
        "Qualifications (provider)", coerce=int, validators=[InputRequired("Choose at least one qualification.")]
    )
    valid_from = DateField("Accredited from", validators=[InputRequired(REQUIRED)], invalid_value_message=NOT_A_DATE)
    valid_until = DateField(
        "Accredited until (empty: open-ended)", validators=[Optional()], invalid_value_message=NOT_A_DATE
    )

    def __init__(self, *args: Any, qualifications: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.qualifications.choices = qualifications


class DateActionForm(CheckedForm):
    """Suspend, reinstate or end an accreditation on a day."""

    on = DateField("Date", validators=[InputRequired(REQUIRED)], invalid_value_message=NOT_A_DATE)


class EnrolEmbassyForm(CheckedForm):
    """Enrol a new embassy (labour office) of the authority's country, optionally with its first admin."""

    name = StringField("Name", validators=[Text(200)])
    slug = StringField(
        "Short name for its address (lower-case letters, digits, hyphens)",
        validators=[Text(), Regexp(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$", message="Not valid.")],
    )
    host_country = StringField("Country where it sits (e.g. MY)", validators=[Text(), COUNTRY])
    admin_email = EmailField(
        "First administrator's email (optional)", validators=[Text(users.MAX_EMAIL, required=False)]
    )
    admin_password = PasswordField(
        "Their initial password",
        validators=[
            Text(users.MAX_PASSWORD, required=False, verbatim=True),
            Length(users.MIN_PASSWORD, users.MAX_PASSWORD),
        ],
    )


class ReasonForm(CheckedForm):
    reason = TextAreaField(
        "Reason", validators=[Text(changes.MAX_REASON, multiline=True, empty_message="Give a reason.")]
    )


class ActionForm(CheckedForm):
    """A button that changes state (delete, reinstate): carries only the CSRF token."""


class NationalQualificationForm(CheckedForm):
    """A national qualification: code, title, framework, level and ISCO-08 occupation."""

    code = StringField("Code", validators=[Text(64)])
    title = StringField("Title", validators=[Text(national_catalogue.MAX_TITLE)])
    framework = StringField("Framework (e.g. PQF)", validators=[Text(national_catalogue.MAX_FRAMEWORK)])
    level = StringField("Level", validators=[Text(national_catalogue.MAX_LEVEL)])
    isco_code = StringField(
        "ISCO-08 code", validators=[Text(), Regexp(r"^[0-9]{1,4}$", message="1 to 4 digits, e.g. 7212.")]
    )

    def data_for_domain(self) -> NationalQualificationData:
        """The entry as the domain takes it."""
        return NationalQualificationData(
            self.code.data or "",
            self.title.data or "",
            self.framework.data or "",
            self.level.data or "",
            self.isco_code.data or "",
        )


class EquivalenceForm(CheckedForm):
    """Map a foreign qualification to a national one, at a level, with conditions or notes."""

    qualification = SelectField("Foreign qualification (provider)", coerce=int, validators=[InputRequired(REQUIRED)])
    national = SelectField("National qualification", coerce=int, validators=[InputRequired(REQUIRED)])
    level = StringField(
        "Level (empty: the national qualification's level)",
        validators=[Text(national_catalogue.MAX_LEVEL, required=False)],
    )
    note = TextAreaField(
        "Conditions or notes", validators=[Text(national_catalogue.MAX_NOTE, required=False, multiline=True)]
    )

    def __init__(
        self, *args: Any, qualifications: list[tuple[int, str]], nationals: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.qualification.choices = qualifications
        self.national.choices = nationals
