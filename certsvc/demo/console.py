"""The demo's console: plain lines a person reads (no JSON, no terminal colour codes), still scrubbed.

``certsvc serve`` and every app outside the demo keep their JSON logs; only the demo,
which someone watches in a terminal, swaps the formatter of the JSON handler for this one.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from certsvc.web.logs import ACCESS_LOGGER, JsonFormatter, scrub

#: Terminal control sequences (colours, bold) that werkzeug writes around its banner and request lines.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
#: ``<string(maxlength=64):token>`` in a URL rule reads as ``<token>``.
_CONVERTER = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>")


def plain(text: str) -> str:
    """``text`` without terminal control sequences and without credential data (see ``logs.scrub``)."""
    return scrub(_ANSI.sub("", text))


def route_words(rule: str | None) -> str:
    """A URL rule as people read it: ``/s/<token>``; a request that matched no page says so, not its path."""
    return _CONVERTER.sub(r"<\1>", rule) if rule else "(no such page)"


class PlainConsoleFormatter(logging.Formatter):
    """``10:42:07  GET /wallet/c/<public_id>  200  12 ms`` for requests; ``10:42:07  message`` for the rest."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        fields = getattr(record, "fields", None)
        if record.name == ACCESS_LOGGER and isinstance(fields, dict):
            duration = fields.get("duration_ms")
            took = f"  {duration:.0f} ms" if isinstance(duration, int | float) else ""
            return f"{stamp}  {fields.get('method')} {route_words(fields.get('route'))}  {fields.get('status')}{took}"
        level = "" if record.levelno < logging.WARNING else f"{record.levelname.lower()}: "
        text = f"{stamp}  {level}{plain(record.getMessage())}"
        if record.exc_info:
            text += "\n" + plain(self.formatException(record.exc_info))
        return text


def use_plain_console() -> None:
    """Write this process's log records as plain lines; werkzeug's own request lines repeat ours, so drop them."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, JsonFormatter):
            handler.setFormatter(PlainConsoleFormatter())
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
