"""The service's messages as the source says them, against what each catalogue translates.

Babel extracts every marked string from the Python modules and templates named in
``babel.cfg``; our catalogues keep a plural's singular and plural as two plain entries (see
``certsvc.web.i18n.ngettext``), so extraction splits them the same way. ``certsvc i18n
check`` lists what a catalogue lacks and ``certsvc i18n update`` appends the missing
entries, untranslated, at the end of each ``.po`` file, leaving its layout as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

#: The names that mark a message: gettext's, ours (``N_``), and the PDF's (``both``/``translate``).
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "gettext": None,
    "N_": None,
    "ngettext": (1, 2),
    "both": (2,),
    "translate": (2,),
    # A form field's label and a validator's message are translated where the page shows them.
    **{
        name: (1,)
        for name in (
            "StringField",
            "SearchField",
            "EmailField",
            "PasswordField",
            "TextAreaField",
            "DateField",
            "SelectField",
            "SelectMultipleField",
            "RadioField",
            "BooleanField",
            "IntegerField",
            "FileField",
            "InputRequired",
            "DataRequired",
            # The domain refusals the authority's and the accounts' pages show (translated by their views).
            "AuthorityError",
            "AuthorityConflict",
            "OrganisationError",
            "AccountError",
        )
    },
}
_WORD = re.compile(r"[^\W\d_]")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


@dataclass(frozen=True)
class Gaps:
    """What one catalogue lacks against the source."""

    code: str
    missing: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.missing or self.fuzzy or self.placeholders)


def project_root() -> Path:
    """The checkout that holds ``babel.cfg`` (the catalogues are only updated from a source tree)."""
    return Path(__file__).resolve().parents[2]


def translations_dir() -> Path:
    return Path(str(files("certsvc.web.translations")))


def extract(root: Path | None = None) -> dict[str, list[str]]:
    """Every message in the source, with where it is used (``path:line``), in source order."""
    root = root or project_root()
    with (root / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[str, list[str]] = {}
    for path, line, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        for text in message if isinstance(message, tuple) else (message,):
            if text and _WORD.search(text):  # a default value such as "7" is not a message
                found.setdefault(text, []).append(f"{path}:{line}")
    return found


def placeholders(text: str) -> set[str]:
    """The ``%(name)s`` variables a message fills in."""
    return {m.group(1) or m.group(0) for m in _PLACEHOLDER.finditer(text)}


def read_catalogue(code: str) -> dict[str, Message]:
    """The entries of one catalogue by message id."""
    with (translations_dir() / f"{code}.po").open("rb") as handle:
        return {str(m.id): m for m in read_po(handle) if m.id}


def known_messages(source: dict[str, list[str]]) -> dict[str, list[str]]:
    """The source's messages and every message any catalogue holds.

    Some messages are chosen at run time from tables (an error code's sentence, a chart's
    title) that extraction cannot see; one catalogue knowing such a message means every
    catalogue must translate it.
    """
    known = dict(source)
    for code in languages():
        for msgid in read_catalogue(code):
            known.setdefault(msgid, [f"certsvc/web/translations/{code}.po"])
    return known


def gaps(code: str, source: dict[str, list[str]]) -> Gaps:
    """Compare the catalogue of ``code`` with the ``source`` messages."""
    entries = read_catalogue(code)
    result = Gaps(code)
    for msgid in source:
        entry = entries.get(msgid)
        if entry is None or not entry.string:
            result.missing.append(msgid)
        elif entry.fuzzy:
            result.fuzzy.append(msgid)
        elif placeholders(str(entry.string)) != placeholders(msgid):
            result.placeholders.append(msgid)
    result.unused.extend(m for m in entries if m not in source)
    return result


def languages() -> list[str]:
    """The codes of the catalogues on disk."""
    return sorted(p.stem for p in translations_dir().glob("*.po"))


def append_missing(code: str, missing: list[str], source: dict[str, list[str]]) -> int:
    """Add untranslated entries for ``missing`` at the end of the catalogue; returns how many."""
    path = translations_dir() / f"{code}.po"
    with path.open("rb") as handle:
        present = {str(m.id) for m in read_po(handle) if m.id}
    new = [m for m in missing if m not in present]
    if not new:
        return 0
    lines = ["", "# Added by `certsvc i18n update`: to translate"]
    for msgid in new:
        lines += ["", f"#: {source[msgid][0]}", f"msgid {_quote(msgid)}", 'msgstr ""']
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return len(new)


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'
