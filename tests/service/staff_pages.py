"""Reading the staff pages' markup in tests: the error summary, a field's error message, where things sit."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_SUMMARY = re.compile(r'<div class="error-summary"(?P<attrs>[^>]*)>(?P<body>.*?)</div>', re.S)
_ITEM = re.compile(r"<li>(?P<item>.*?)</li>", re.S)
_LINK = re.compile(r'<a href="#(?P<target>[^"]+)">(?P<text>.*?)</a>', re.S)


@dataclass(frozen=True)
class Summary:
    """A page's error summary: its opening tag's attributes and its entries (link target or None, text)."""

    attrs: str
    entries: list[tuple[str | None, str]]
    position: int

    @property
    def targets(self) -> list[str]:
        return [target for target, _text in self.entries if target]

    def text_for(self, target: str) -> str:
        return next(text for found, text in self.entries if found == target)


def error_summary(page: str) -> Summary | None:
    """The error summary of ``page``, if it has one."""
    match = _SUMMARY.search(page)
    if match is None:
        return None
    entries: list[tuple[str | None, str]] = []
    for item in _ITEM.finditer(match.group("body")):
        link = _LINK.search(item.group("item"))
        if link:
            entries.append((link.group("target"), _text(link.group("text"))))
        else:
            entries.append((None, _text(item.group("item"))))
    return Summary(match.group("attrs"), entries, match.start())


def element_with_id(page: str, element_id: str) -> str | None:
    """The opening tag of the element with ``element_id``."""
    match = re.search(rf'<[a-z]+\b[^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    return match.group(0) if match else None


def assert_error_summary_links(page: str, targets: list[str]) -> Summary:
    """The GOV.UK pattern: a focused summary at the top of the page, one link per field, each field marked."""
    summary = error_summary(page)
    assert summary is not None, "no error summary"
    assert 'role="alert"' in summary.attrs and 'tabindex="-1"' in summary.attrs and "autofocus" in summary.attrs
    assert "There is a problem" in page
    assert summary.position < page.index("<h1"), "the summary sits above the page's heading"
    assert "<title>Error: " in page
    for target in targets:
        assert target in summary.targets, (target, summary.entries)
        tag = element_with_id(page, target)
        assert tag is not None, f"the summary links to #{target}, which is not on the page"
        assert tag.startswith(("<input", "<select", "<textarea", "<tr")), tag
    return summary


def field_error(page: str, field_id: str) -> str | None:
    """The error message shown next to a field (``<id>-error``), as text."""
    pattern = rf'<(p|strong) class="error-message" id="{re.escape(field_id)}-error">(.*?)</\1>'
    match = re.search(pattern, page, re.S)
    return _text(match.group(2)) if match else None


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())
