"""What text the service takes from anyone: one set of rules for every form field, API field and query value.

A value is refused, with a problem that names why, when it holds

- characters that betray a broken encoding: U+FFFD (what invalid UTF-8 in a form becomes
  when it is decoded) or an unpaired surrogate (from a JSON ``\\ud800`` escape), neither of
  which a person types;
- NUL or any other control character (C0, DEL, C1); a multi-line field also takes line
  breaks and tabs (CR LF and CR become LF);
- the non-characters of the Basic Multilingual Plane, the byte-order mark, and the explicit bidirectional embeddings,
  overrides and isolates (U+202A-U+202E, U+2066-U+2069), which make text display as
  something other than what it is (a name that reads backwards on a certificate);
- nothing but whitespace, where a value is required;
- more characters than the field's limit, counted after normalisation.

Accepted text is normalised to NFC (one spelling of "é", so that what is stored, signed
and searched is the same whatever keyboard typed it) and stripped of surrounding
whitespace. Joiners (ZWJ, ZWNJ) and zero-width spaces stay: Indic and Southeast Asian
scripts need them.

Plain Python: forms (``certsvc.web.form_rules``) and the API schemas both stand on it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from certsvc.credentials.errors import CertsvcError

#: Bidirectional embeddings, overrides and isolates; the byte-order mark (a zero-width no-break space).
_HIDDEN_FORMATTING = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
#: The non-characters of the Basic Multilingual Plane (U+FFFE is a byte-order mark read backwards).
_NONCHARACTERS = "".join(chr(c) for c in range(0xFDD0, 0xFDF0)) + "\ufffe\uffff"
_BROKEN_ENCODING = re.compile("[\ufffd\ud800-\udfff]")
#: C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_FORMATTING = re.compile("[" + re.escape(_HIDDEN_FORMATTING + _NONCHARACTERS) + "]")
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029]")
#: The same rules as a JSON Schema (ECMA-262) pattern for single-line fields: at least one visible character.
_REFUSED_CLASS = (
    "\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069"
    "\\ufeff\\ufffd\\ufdd0-\\ufdef\\ufffe\\uffff"
)
SCHEMA_PATTERN = f"^[^{_REFUSED_CLASS}]*[^\\s{_REFUSED_CLASS}][^{_REFUSED_CLASS}]*$"


def schema_pattern_requiring(character_class: str) -> str:
    """The single-line pattern, with at least one character of ``character_class`` (e.g. ``[A-Za-z0-9]``)."""
    return f"^(?=.*{character_class})[^{_REFUSED_CLASS}]*$"


MULTILINE_SCHEMA_PATTERN = SCHEMA_PATTERN.replace("\\u0000-\\u001f", "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f")


def N_(message: str) -> str:
    """Mark a form message for the catalogue; the page translates it where it shows it."""
    return message


class TextProblem(Enum):
    """Why a text value was refused: a stable code, the API's phrase and the form's message (a msgid)."""

    EMPTY = ("empty", "must not be empty", N_("This field is required."))
    TOO_LONG = ("too_long", "must be at most %(max)s characters", N_("Use at most %(max)s characters."))
    INVALID_ENCODING = (
        "invalid_encoding",
        "must be valid UTF-8 text (it holds U+FFFD or an unpaired surrogate)",
        N_("This field holds characters that could not be read (a broken text encoding). Type it again."),
    )
    CONTROL_CHARACTERS = (
        "control_characters",
        "must not contain control characters",
        N_("Remove the control characters (such as NUL or a line break) from this field."),
    )
    HIDDEN_FORMATTING = (
        "hidden_formatting",
        "must not contain invisible direction or formatting characters",
        N_("Remove the invisible characters that change the direction of the text."),
    )

    def __init__(self, code: str, phrase: str, message: str) -> None:
        self.code = code
        self.phrase = phrase
        self.message = message


class TextRefused(CertsvcError):
    """A text value breaks the text rules; ``problem`` says which and ``max_length`` the limit."""

    code = "invalid_text"
    http_status = 400

    def __init__(self, problem: TextProblem, max_length: int | None = None) -> None:
        super().__init__(problem.phrase % {"max": max_length}, problem=problem.code)
        self.problem = problem
        self.max_length = max_length


@dataclass(frozen=True)
class TextRule:
    """The rules of one field: its limit in characters, whether it is required, multi-line, normalised."""

    max_length: int | None = None
    required: bool = True
    multiline: bool = False
    #: Passwords keep exactly what was typed (no NFC, no stripping): only the refusals apply.
    verbatim: bool = False


def clean_text(unverified: str, rule: TextRule = TextRule()) -> str:
    """Return ``unverified`` normalised as ``rule`` says, or raise TextRefused naming the problem."""
    problem = character_problem(unverified, multiline=rule.multiline)
    if problem is not None:
        raise TextRefused(problem)
    text = unverified if rule.verbatim else normalise(unverified, multiline=rule.multiline)
    if rule.required and not text.strip():
        raise TextRefused(TextProblem.EMPTY)
    if rule.max_length is not None and len(text) > rule.max_length:
        raise TextRefused(TextProblem.TOO_LONG, rule.max_length)
    return text


def character_problem(unverified: str, *, multiline: bool = False) -> TextProblem | None:
    """The first rule a character of ``unverified`` breaks, or None (length and emptiness aside)."""
    if _BROKEN_ENCODING.search(unverified):
        return TextProblem.INVALID_ENCODING
    if (_CONTROL_MULTILINE if multiline else _CONTROL_SINGLE_LINE).search(unverified):
        return TextProblem.CONTROL_CHARACTERS
    if _FORMATTING.search(unverified):
        return TextProblem.HIDDEN_FORMATTING
    return None


def normalise(text: str, *, multiline: bool = False) -> str:
    """NFC, surrounding whitespace stripped; in multi-line text every line break becomes LF."""
    if multiline:
        text = _LINE_BREAKS.sub("\n", text)
    return unicodedata.normalize("NFC", text).strip()


def is_clean(unverified: str) -> bool:
    """Whether a short single-line value (an id, a path segment, a query value) breaks no character rule."""
    return character_problem(unverified) is None
