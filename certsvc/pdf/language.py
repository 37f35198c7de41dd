"""Printed text in a reader's language with the English beside it, from the service's one catalogue."""

from __future__ import annotations

from functools import cache
from typing import Any

from certsvc.web.i18n import DEFAULT, Language, load_languages


def N_(message: str) -> str:  # the gettext convention for marking a message
    """Mark a message for the translation catalogue; it is translated where it is printed."""
    return message


@cache
def _languages() -> dict[str, Language]:
    return load_languages()


def known_language(code: str | None) -> str:
    """``code`` if the catalogue has it, else English."""
    return code if code in _languages() else DEFAULT


def translate(code: str, message: str, **variables: Any) -> str:
    """``message`` in language ``code`` (English where it has no translation yet)."""
    text = _languages()[known_language(code)].messages.get(message, message)
    return text % variables if variables else text


def both(code: str, message: str, **variables: Any) -> tuple[str, str | None]:
    """The message in ``code`` and, when that differs, in English: ``(local, english or None)``."""
    local = translate(code, message, **variables)
    english = message % variables if variables else message
    return local, (english if english != local else None)
