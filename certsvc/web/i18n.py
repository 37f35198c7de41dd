"""One message catalogue for the whole service: gettext ``.po`` files, one per language.

A language is added by dropping ``certsvc/translations/<code>.po`` in place: the files are
discovered at start-up, so no code changes. The page language comes from ``?lang=``
(remembered in a cookie), else the cookie, else the browser's Accept-Language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po
from flask import Flask, g, request

DEFAULT = "en"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
#: Browsers send "tl" for Tagalog, which our Filipino catalogue serves.
ALIASES = {"tl": "fil"}


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    messages: dict[str, str]


def load_languages() -> dict[str, Language]:
    """Read every catalogue in the translations folder."""
    languages = {DEFAULT: Language(DEFAULT, "English", {})}
    for entry in sorted(files("certsvc.web.translations").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as handle:
            catalog = read_po(handle)
        code = entry.name.removesuffix(".po")
        messages = {str(m.id): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy}
        languages[code] = Language(code, _display_name(code), messages)
    return languages


def _display_name(code: str) -> str:
    """The language's name in itself, as people look for it in a switcher."""
    return language_name(code, code).capitalize()


def init_app(app: Flask) -> None:
    """Install ``_``/``gettext`` in templates and choose each request's language."""
    languages = load_languages()
    app.extensions["certsvc.languages"] = languages
    app.jinja_env.add_extension("jinja2.ext.i18n")
    # Jinja's new-style gettext formats the variables itself, so it gets the unformatting lookups.
    app.jinja_env.install_gettext_callables(_lookup, _lookup_plural, newstyle=True)  # type: ignore[attr-defined]
    app.jinja_env.globals["languages"] = languages
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["country_name"] = country_name
    app.jinja_env.globals["language_name"] = language_name
    from certsvc.web import script_fonts  # it serves through the access rules, which use this module

    script_fonts.init_app(app)
    app.before_request(_choose_language)
    app.after_request(_remember_language)


def gettext(message: str, **variables: Any) -> str:
    """Translate ``message`` into the request's language (English if untranslated)."""
    text = _messages().get(message, message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Translate with a plural form; catalogues hold the singular and plural as separate entries."""
    message = singular if num == 1 else plural
    return gettext(message, num=num, **variables)


def country_name(code: str | None, language: str | None = None) -> str:
    """A country's name (ISO 3166 alpha-2 ``code``) from CLDR, in ``language`` or the page's language.

    Every page, message and printout names a country through here, so that a translated
    sentence never carries an English name ("Reconocida en Filipinas", not "en the Philippines").
    An unknown code is shown as it is.
    """
    if not code:
        return ""
    return str(_locale(language).territories.get(code.upper(), code))


def language_name(code: str | None, language: str | None = None) -> str:
    """A language's name (BCP 47 ``code``) from CLDR, in ``language`` or the page's language."""
    if not code:
        return ""
    base = ALIASES.get(code, code)
    return str(_locale(language).languages.get(base.replace("-", "_"), code))


@cache
def _cldr(code: str) -> Locale:
    try:
        return Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        return Locale.parse(DEFAULT)


def _locale(language: str | None) -> Locale:
    if language is None:
        try:
            language = current_language().code
        except RuntimeError:  # outside a request: English
            language = DEFAULT
    return _cldr(ALIASES.get(language, language))


def _lookup(message: str) -> str:
    return _messages().get(message, message)


def _lookup_plural(singular: str, plural: str, num: int) -> str:
    return _lookup(singular if num == 1 else plural)


def current_language() -> Language:
    """The language chosen for this request."""
    language = getattr(g, "language", None)
    if language is None:
        from flask import current_app

        language = current_app.extensions["certsvc.languages"][DEFAULT]
    return language


def _messages() -> dict[str, str]:
    try:
        return current_language().messages
    except RuntimeError:  # outside a request: no translation
        return {}


def _choose_language() -> None:
    from flask import current_app

    languages: dict[str, Language] = current_app.extensions["certsvc.languages"]
    asked = request.args.get("lang") or request.cookies.get(COOKIE)
    code = ALIASES.get(asked or "", asked)
    if code not in languages:
        offered = list(languages) + list(ALIASES)
        best = request.accept_languages.best_match(offered, default=DEFAULT)
        code = ALIASES.get(best, best)
    g.language = languages.get(code or DEFAULT, languages[DEFAULT])


def _remember_language(response: Any) -> Any:
    asked = request.args.get("lang")
    if asked and getattr(g, "language", None) is not None and g.language.code == ALIASES.get(asked, asked):
        response.set_cookie(COOKIE, g.language.code, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    return response
