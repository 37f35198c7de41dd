"""The text rules in WTForms: a validator for text fields and the base class of every browser form.

``Text(max_length, ...)`` goes first in a text field's validators: it applies
:mod:`certsvc.web.text_rules`, keeps the normalised value in ``field.data`` and stops the
field's validation with a translated message when the value is refused. ``CheckedForm``
is the base of every form with a text input: a text field declared without ``Text`` still
gets the character rules (NUL, control characters, broken encodings), so that no form
can let them through by omission; a hidden field that breaks them is emptied instead,
since nobody could correct it.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, StringField, TextAreaField
from wtforms.validators import StopValidation

from certsvc.web.i18n import gettext as _
from certsvc.web.text_rules import TextProblem, TextRefused, TextRule, character_problem, clean_text, is_clean


class Text:
    """Validate a text field by the text rules; the cleaned value replaces what was typed."""

    def __init__(
        self,
        max_length: int | None = None,
        *,
        required: bool = True,
        multiline: bool = False,
        verbatim: bool = False,
        empty_message: str | None = None,
        too_long_message: str | None = None,
    ) -> None:
        self.rule = TextRule(max_length=max_length, required=required, multiline=multiline, verbatim=verbatim)
        self.empty_message = empty_message
        self.too_long_message = too_long_message
        # Rendered as the input's required and maxlength attributes, as WTForms' own validators do.
        self.field_flags: dict[str, Any] = {"required": True} if required else {"optional": True}
        if max_length is not None:
            self.field_flags["maxlength"] = max_length

    def __call__(self, _form: FlaskForm, field: Field) -> None:
        unverified = field.data if isinstance(field.data, str) else ("" if field.data is None else str(field.data))
        try:
            field.data = clean_text(unverified, self.rule)
        except TextRefused as exc:
            if exc.problem is TextProblem.EMPTY:
                field.data = ""
                raise StopValidation(_(self.empty_message or exc.problem.message)) from None
            if exc.problem is TextProblem.TOO_LONG and self.too_long_message:
                raise StopValidation(_(self.too_long_message)) from None
            raise StopValidation(_(exc.problem.message, max=exc.max_length)) from None
        if not self.rule.required and not field.data.strip():
            raise StopValidation()  # an optional field left empty: nothing more to check


class Characters:
    """What a text field without ``Text`` of its own is still held to: the character rules, nothing changed."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, _form: FlaskForm, field: Field) -> None:
        if isinstance(field.data, str):
            problem = character_problem(field.data, multiline=self.multiline)
            if problem is not None:
                raise StopValidation(_(problem.message))


_BASELINE = Characters()
_BASELINE_MULTILINE = Characters(multiline=True)


class CheckedForm(FlaskForm):
    """A Flask-WTF form (CSRF token included) whose every text input keeps the text rules."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        csrf_name = getattr(self.meta, "csrf_field_name", "csrf_token")
        for field in self:
            if field.short_name == csrf_name or not isinstance(field, StringField):
                continue
            if isinstance(field, HiddenField):
                if isinstance(field.data, str) and not is_clean(field.data):
                    field.data = ""
                continue
            if not any(isinstance(validator, Text | Characters) for validator in field.validators):
                baseline = _BASELINE_MULTILINE if isinstance(field, TextAreaField) else _BASELINE
                field.validators = [baseline, *field.validators]


def text_fields(form: FlaskForm) -> list[Field]:
    """The fields of ``form`` a person types text into (CSRF token and hidden fields aside)."""
    csrf_name = getattr(form.meta, "csrf_field_name", "csrf_token")
    return [
        field
        for field in form
        if isinstance(field, StringField) and not isinstance(field, HiddenField) and field.short_name != csrf_name
    ]


def first_error(form: FlaskForm) -> str | None:
    """The first field error of a validated form, for pages that show one message above the form."""
    for field in form:
        if field.errors:
            return str(field.errors[0])
    return None
