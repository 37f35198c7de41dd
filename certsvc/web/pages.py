"""What every role's list pages share: the page size and the ``page`` query argument."""

from __future__ import annotations

from flask import request

PAGE_SIZE = 50
#: Longer than any public id the service mints, so a longer one is answered 404 before a query.
MAX_PUBLIC_ID = 32


def page_number() -> int:
    """The ``page`` query argument, 1 when absent or not a number."""
    page = request.args.get("page", "1")
    return max(1, min(int(page), 10_000)) if page.isdigit() else 1
