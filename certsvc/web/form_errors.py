"""What a failed staff form tells its user: an error summary at the top, linking to each field.

The GOV.UK Design System's "error summary" and "error message" patterns: every problem of
a submitted form is listed once at the top of the page (focused, so it is read first), each
entry a link to the field that needs fixing, and the same message sits next to the field.
Templates render them with ``templates/staff/_forms.html``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_wtf import FlaskForm
from wtforms import Field

from certsvc.web.i18n import gettext as _

#: Fields that carry no user input: their errors are about the session, not the page.
_HIDDEN_TYPES = frozenset({"CSRFTokenField", "HiddenField"})
SESSION_EXPIRED = "The form expired. Reload the page and try again."


@dataclass(frozen=True)
class Problem:
    """One entry of a page's error summary: what is wrong, and the id of the field to fix (if any)."""

    message: str
    target: str | None = None


def field_target(field: Field) -> str:
    """The id a summary link jumps to: the field itself, or the first option of a group of radios."""
    return f"{field.id}-0" if field.type in ("RadioField", "MultiCheckboxField") else str(field.id)


def form_problems(form: FlaskForm) -> list[Problem]:
    """The failed fields of a submitted form, in page order: the field's label and its first message."""
    problems = []
    for field in form:
        if not field.errors:
            continue
        if field.type in _HIDDEN_TYPES:
            problems.append(Problem(_(SESSION_EXPIRED)))
            continue
        label = _(str(field.label.text))
        problems.append(Problem(f"{label}: {_(str(field.errors[0]))}", field_target(field)))
    return problems


def problems_of(
    forms: Iterable[FlaskForm | None] = (), *, error: str | None = None, target: str | None = None
) -> list[Problem]:
    """Every problem of a page: its forms' field errors, then one error of the action itself.

    ``error`` is a message already in the user's language (a domain refusal such as an
    overlap); ``target`` names the field it concerns, if one does.
    """
    problems = [problem for form in forms if form is not None for problem in form_problems(form)]
    if error:
        problems.append(Problem(error, target))
    return problems
