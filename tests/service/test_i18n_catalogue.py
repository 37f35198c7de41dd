"""Every user-facing string is marked for translation and translated in every catalogue.

The source's messages come from Babel's own extraction (``babel.cfg``); a catalogue that
lacks one, marks one fuzzy, or fills different placeholders fails here, as does text in a
template that is not wrapped in ``_()``.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from jinja2 import Environment, nodes

from certsvc.web import catalogue

LANGUAGES = ["es", "fil", "my"]
TEMPLATES = catalogue.project_root() / "templates"
#: Attributes a user reads (or hears from a screen reader).
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label"}
#: Text that is the same in every language: the product's and standards' names, units, codes.
SAME_IN_EVERY_LANGUAGE = {
    *("certsvc", "UTC", "ISCO-08", "OpenAPI", "JSON", "CSV", "PDF", "QR", "API", "curl -X", "application/json"),
}

_SAME = re.compile("|".join(re.escape(w) for w in sorted(SAME_IN_EVERY_LANGUAGE, key=len, reverse=True)))
_MARKUP = re.compile(r'="|^-|^[\w-]+="?$|[<>]')


@pytest.fixture(scope="module")
def messages() -> dict[str, list[str]]:
    return catalogue.known_messages(catalogue.extract())


def test_extraction_finds_templates_python_and_form_labels(messages: dict[str, list[str]]) -> None:
    places = {where.split(":")[0] for found in messages.values() for where in found}
    assert any(p.startswith("templates/authority/") for p in places)
    assert "verifier/web_messages.py" in places
    assert "Full name" in messages  # a form field's label
    assert "Verified %(num)s times, last on %(date)s." in messages  # ngettext's plural


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_message_is_translated(code: str, messages: dict[str, list[str]]) -> None:
    gaps = catalogue.gaps(code, messages)
    missing = [f"{m!r} ({messages[m][0]})" for m in gaps.missing]
    assert not missing, f"{len(missing)} messages lack a {code} translation:\n" + "\n".join(missing)


@pytest.mark.parametrize("code", LANGUAGES)
def test_no_fuzzy_translation_and_placeholders_match(code: str, messages: dict[str, list[str]]) -> None:
    gaps = catalogue.gaps(code, messages)
    assert not gaps.fuzzy, f"fuzzy in {code}: {gaps.fuzzy}"
    assert not gaps.placeholders, f"placeholders differ in {code}: {gaps.placeholders}"


class _Text(HTMLParser):
    """Collects text nodes and read attributes outside scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "pre"):
            self._skip += 1
        self.found += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "pre"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found.append(data)


def untranslated_text(source: str) -> list[str]:
    """Words in a template's literal text (not in a ``{{ }}`` or ``{% %}``), where _() belongs."""
    template = Environment(extensions=["jinja2.ext.i18n"], autoescape=True).parse(source)
    # Every expression becomes a marker, so text on either side of it stays apart.
    literal = "\x00".join(node.data for node in template.find_all(nodes.TemplateData))
    parser = _Text()
    parser.feed(literal)
    words = []
    for text in parser.found:
        for piece in text.split("\x00"):
            piece = piece.strip()
            if _MARKUP.search(piece):  # a fragment of a tag split by an expression, not text
                continue
            if re.search(r"[^\W\d_]{2,}", _SAME.sub(" ", piece)):
                words.append(piece)
    return words


def test_the_template_scanner_sees_unwrapped_text() -> None:
    found = untranslated_text('<h1>Sign in</h1><p title="Help">{{ _("Done") }} 42 · UTC</p><script>var a;</script>')
    assert found == ["Sign in", "Help"]


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_wrap_every_text_in_gettext(path: Path) -> None:
    assert untranslated_text(path.read_text(encoding="utf-8")) == []


def test_the_cli_reports_and_appends_what_a_catalogue_lacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from certsvc.cli import main

    assert CliRunner().invoke(main, ["i18n", "check"]).exit_code == 0
    shutil.copytree(catalogue.translations_dir(), tmp_path / "translations")
    with (tmp_path / "translations" / "es.po").open("a", encoding="utf-8") as handle:
        handle.write('\nmsgid "Sign in"\nmsgstr ""\n')  # a translation lost: the catalogue now lacks it
    monkeypatch.setattr(catalogue, "translations_dir", lambda: tmp_path / "translations")
    monkeypatch.setattr(catalogue, "known_messages", lambda source: {**source, "A brand-new message": ["x.py:1"]})
    checked = CliRunner().invoke(main, ["i18n", "check"])
    assert checked.exit_code == 1 and "'A brand-new message'" in checked.output
    assert "es: 1 untranslated" in checked.output
    updated = CliRunner().invoke(main, ["i18n", "update"])
    assert updated.exit_code == 0 and "es: 1 messages added" in updated.output
    assert 'msgid "A brand-new message"\nmsgstr ""' in (tmp_path / "translations" / "my.po").read_text(encoding="utf-8")


def test_an_error_page_speaks_the_pages_language(app: Flask) -> None:
    client = app.test_client()
    english = client.get("/o/no-such-organisation").get_data(as_text=True)
    assert "404 Not Found" in english
    burmese = client.get("/o/no-such-organisation?lang=my").get_data(as_text=True)
    assert "404 ရှာမတွေ့ပါ" in burmese and "ဤစာမျက်နှာ မရှိပါ။" in burmese
    assert "Not Found" not in burmese
