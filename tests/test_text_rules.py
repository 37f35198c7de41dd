"""The text rules: what each refuses, what real names in every script keep, how forms and schemas apply them."""

from __future__ import annotations

import re

import pytest
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.fields.core import UnboundField

import certsvc.accounts.views
import certsvc.authority.forms
import certsvc.wallet.views
import issuers.forms
import issuers.views_imports
from certsvc.web import form_rules, text_rules


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Maria\x00", text_rules.TextProblem.CONTROL_CHARACTERS),
        ("Maria\x85", text_rules.TextProblem.CONTROL_CHARACTERS),  # C1 NEL
        ("Maria\u2028Santos", text_rules.TextProblem.CONTROL_CHARACTERS),
        ("Maria\nSantos", text_rules.TextProblem.CONTROL_CHARACTERS),
        ("Maria\ufffd", text_rules.TextProblem.INVALID_ENCODING),
        ("Maria\ud800", text_rules.TextProblem.INVALID_ENCODING),
        ("\u202eairaM", text_rules.TextProblem.HIDDEN_FORMATTING),
        ("Ma\u2066ria", text_rules.TextProblem.HIDDEN_FORMATTING),
        ("\ufeffMaria", text_rules.TextProblem.HIDDEN_FORMATTING),
        ("Maria\uffff", text_rules.TextProblem.HIDDEN_FORMATTING),
        (" \t ", text_rules.TextProblem.CONTROL_CHARACTERS),
        ("   ", text_rules.TextProblem.EMPTY),
        ("x" * 11, text_rules.TextProblem.TOO_LONG),
    ],
)
def test_the_rules_name_each_problem(value: str, problem: text_rules.TextProblem) -> None:
    with pytest.raises(text_rules.TextRefused) as refused:
        text_rules.clean_text(value, text_rules.TextRule(max_length=10))
    assert refused.value.problem is problem


@pytest.mark.parametrize(
    "value",
    [
        "မောင်မောင်",  # Burmese
        "ព្រះរាជាណាចក្រ",  # Khmer
        "ক্ষ\u200dমা",  # Bengali with a zero-width joiner
        "محمد\u200fعلي",  # Arabic with a right-to-left mark (not an override)
        "Nguyễn Thị Minh Khai",
    ],
)
def test_real_names_in_every_script_pass(value: str) -> None:
    assert text_rules.clean_text(value, text_rules.TextRule(max_length=60)) == value


def test_multiline_fields_take_line_breaks_as_lf() -> None:
    rule = text_rules.TextRule(max_length=100, multiline=True)
    assert text_rules.clean_text("first line\r\nsecond\rthird\tend", rule) == "first line\nsecond\nthird\tend"
    with pytest.raises(text_rules.TextRefused):
        text_rules.clean_text("first\x00line", rule)


def test_passwords_are_kept_verbatim_but_refuse_control_characters() -> None:
    rule = text_rules.TextRule(max_length=100, verbatim=True)
    assert text_rules.clean_text("  pässwörd  ", rule) == "  pässwörd  "
    with pytest.raises(text_rules.TextRefused):
        text_rules.clean_text("pass\x00word", rule)


def test_every_form_with_text_inputs_keeps_the_rules() -> None:
    """A form class with a text input derives from CheckedForm, and its text fields declare Text."""
    modules = (
        certsvc.accounts.views,
        certsvc.authority.forms,
        certsvc.wallet.views,
        issuers.forms,
        issuers.views_imports,
    )
    checked = 0
    for module in modules:
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, FlaskForm)) or value.__module__ != module.__name__:
                continue
            unbound = {n: f for n, f in vars(value).items() if isinstance(f, UnboundField)}
            texts = {n: f for n, f in unbound.items() if issubclass(f.field_class, StringField)}
            if not texts:
                continue
            assert issubclass(value, form_rules.CheckedForm), value
            for name, field in texts.items():
                validators = field.kwargs.get("validators") or []
                hidden = field.field_class.__name__ == "HiddenField"
                assert hidden or isinstance(validators[0], form_rules.Text), f"{value.__name__}.{name}"
                checked += 1
    assert checked >= 25


def test_the_api_schema_pattern_agrees_with_the_rules() -> None:
    pattern = re.compile(text_rules.SCHEMA_PATTERN)
    for value in ["Maria", "José", "မောင်", "a b", "x"]:
        assert pattern.search(value), value
    for value in ["", "  ", "a\x00", "a\nb", "a\u202eb", "a\ufffd", "\ufeffa", "a\x7f"]:
        assert not pattern.search(value), repr(value)
