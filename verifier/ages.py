"""How old a document is, in words a person reads ("3 h 20 min")."""

from __future__ import annotations

from datetime import datetime


def age_seconds(issued_at: datetime, now: datetime) -> int:
    """Whole seconds from ``issued_at`` to ``now`` (negative for a document from later than ``now``)."""
    return int((now - issued_at).total_seconds())


def describe(seconds: float) -> str:
    """A duration as days, hours and minutes, the two largest units that matter."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{seconds} s"
