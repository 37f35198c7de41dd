"""Regular expressions for ranges of ISO dates, so that a JSON Schema can say "not in the future".

JSON Schema has no bounds for dates. A schema that carries the marker
``{"x-date-range": {"from": "1900-01-01", "to": "today"}}`` has it replaced, when the
OpenAPI document is built, by a ``pattern`` that admits exactly the ``YYYY-MM-DD`` dates of
that range as of that day (``format: date`` leaves out the 30th of February). A document is
then never laxer than the server that made it: a date the pattern admits, the server takes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

MARKER = "x-date-range"
_MONTH = "(?:0[1-9]|1[0-2])"
_DAY = "(?:0[1-9]|[12][0-9]|3[01])"


def date_range_pattern(first: date, last: date) -> str:
    """A pattern for the dates from ``first`` (its whole year) to ``last``, both included."""
    if first.year > last.year:
        raise ValueError("the range ends before it starts")
    parts = []
    if last.year > first.year:
        years = number_range(first.year, last.year - 1, 4)
        parts.append(f"(?:{years})-{_MONTH}-{_DAY}")
    year = f"{last.year:04d}"
    if last.month > 1:
        parts.append(f"{year}-(?:{number_range(1, last.month - 1, 2)})-{_DAY}")
    parts.append(f"{year}-{last.month:02d}-(?:{number_range(1, last.day, 2)})")
    return "^(?:" + "|".join(parts) + ")$"


def number_range(low: int, high: int, width: int) -> str:
    """An alternation matching the ``width``-digit, zero-padded numbers from ``low`` to ``high``."""
    return _range(f"{low:0{width}d}", f"{high:0{width}d}")


def _range(low: str, high: str) -> str:
    if low == high:
        return low
    rest = len(low) - 1
    if low == "0" * len(low) and high == "9" * len(high):
        return f"[0-9]{{{len(low)}}}" if len(low) > 1 else "[0-9]"
    if rest == 0:
        return f"[{low}-{high}]"
    if low[0] == high[0]:
        return f"{low[0]}(?:{_range(low[1:], high[1:])})"
    parts = [f"{low[0]}(?:{_range(low[1:], '9' * rest)})"]
    if int(high[0]) - int(low[0]) > 1:
        middle = {int(low[0]) + 1, int(high[0]) - 1}
        digits = str(min(middle)) if len(middle) == 1 else f"[{min(middle)}-{max(middle)}]"
        parts.append(f"{digits}[0-9]{{{rest}}}")
    parts.append(f"{high[0]}(?:{_range('0' * rest, high[1:])})")
    return "|".join(parts)


def resolve_markers(node: Any, today: date) -> None:
    """Replace every date-range marker under ``node`` by its pattern as of ``today`` (in place)."""
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            marker = item.pop(MARKER, None)
            if isinstance(marker, dict):
                first = date.fromisoformat(marker.get("from", "0001-01-01"))
                last = today if marker.get("to", "today") == "today" else date.fromisoformat(marker["to"])
                item["pattern"] = date_range_pattern(first, last)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
