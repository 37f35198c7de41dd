"""Date-range patterns admit exactly the dates of their range, so the OpenAPI document can say "not in the future"."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from certsvc.web.date_patterns import MARKER, date_range_pattern, number_range, resolve_markers

FIRST = date(1900, 1, 1)


@pytest.mark.parametrize(
    "last", [date(2026, 3, 17), date(2026, 1, 1), date(2026, 12, 31), date(2000, 10, 9), date(1999, 9, 30)]
)
def test_the_pattern_admits_exactly_the_range(last: date) -> None:
    pattern = re.compile(date_range_pattern(FIRST, last))
    day = date(1899, 6, 1)
    while day < date(2031, 1, 1):
        assert bool(pattern.fullmatch(day.isoformat())) == (FIRST <= day <= last), (day, last)
        day += timedelta(days=1)
    assert not pattern.fullmatch("2026-1-01") and not pattern.fullmatch(" 2000-01-01")


@pytest.mark.parametrize(("low", "high", "width"), [(0, 9, 1), (1, 12, 2), (7, 93, 2), (1900, 2025, 4), (0, 9999, 4)])
def test_number_ranges(low: int, high: int, width: int) -> None:
    pattern = re.compile(f"^(?:{number_range(low, high, width)})$")
    for n in range(10**width):
        assert bool(pattern.match(f"{n:0{width}d}")) == (low <= n <= high), n


def test_markers_become_patterns_as_of_the_day_the_document_is_made() -> None:
    document = {"properties": {"born": {"type": "string", MARKER: {"from": "1900-01-01", "to": "today"}}}}
    resolve_markers(document, date(2026, 6, 1))
    born = document["properties"]["born"]
    assert MARKER not in born
    assert re.fullmatch(born["pattern"], "2026-06-01") and not re.fullmatch(born["pattern"], "2026-06-02")
