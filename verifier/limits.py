"""Limits of the public verifier: upload size and pixels, input length, and requests per client address.

Rates are counted with the ``limits`` library (the engine behind Flask-Limiter) in Redis when
``CERTSVC_REDIS_URL`` is set, so that every process and machine shares the counts, and in this
process's memory otherwise. Each app gets its own counter store, so apps never share counts.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, current_app, request
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter
from werkzeug.exceptions import TooManyRequests

from certsvc.credentials.errors import InputTooLarge
from certsvc.web import i18n

log = logging.getLogger(__name__)
EXTENSION = "certsvc.verifier_limits"

DEFAULTS: dict[str, Any] = {
    # Requests per client address; a batch request counts as one against its own limit.
    "VERIFY_RATE_LIMIT": "60 per minute",
    "VERIFY_BATCH_RATE_LIMIT": "10 per minute",
    # A phone photo is a few MB; anything larger is refused before it is decoded.
    "VERIFY_MAX_IMAGE_BYTES": 5 * 1024 * 1024,
    "VERIFY_MAX_IMAGE_PIXELS": 40_000_000,
    # QR text is at most ~9 KB and a co-signed credential file ~6 KB; 64 KiB leaves room.
    "VERIFY_MAX_INPUT_CHARS": 64 * 1024,
    "VERIFY_MAX_BATCH": 100,
    "REDIS_URL": None,
}


class LimitExceeded(InputTooLarge):
    """An input is longer than the verifier accepts."""

    code = "input_too_large"
    http_status = 413


class Limiter(Protocol):
    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool: ...


class LocalLimiter:
    """Sliding-window counters in this process's memory, without the timer threads of limits' MemoryStorage."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, ...], int] = {}
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        """Count a request unless it would exceed ``item``; return whether it was allowed."""
        period, now = item.get_expiry(), time.time()
        window = int(now // period)
        key = (str(period), *identifiers)
        with self._lock:
            self._prune(now)
            previous = self._counts.get((*key, str(window - 1)), 0)
            current = self._counts.get((*key, str(window)), 0)
            weighted = previous * (1 - (now % period) / period) + current
            if math.floor(weighted) + cost > item.amount:
                return False
            self._counts[(*key, str(window))] = current + cost
            return True

    def _prune(self, now: float) -> None:
        if now < self._next_prune:
            return
        # A window older than the previous one no longer counts.
        self._counts = {k: v for k, v in self._counts.items() if (int(k[-1]) + 2) * int(k[0]) > now}
        self._next_prune = now + 60


@dataclass
class RateLimits:
    """One app's rate limiter: its counter store and the limits by name."""

    limiter: Limiter
    fallback: LocalLimiter
    items: dict[str, RateLimitItem]


def init_app(app: Flask) -> None:
    """Add the default limits to the config and create the app's counter store."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    items = {
        "verify": parse(app.config["VERIFY_RATE_LIMIT"]),
        "batch": parse(app.config["VERIFY_BATCH_RATE_LIMIT"]),
    }
    local = LocalLimiter()
    limiter: Limiter = local
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        prefix = app.config.get("RATE_LIMIT_PREFIX", "certsvc")
        # wrap_exceptions: every Redis failure arrives as one StorageError.
        storage = storage_from_string(str(redis_url), key_prefix=prefix, wrap_exceptions=True)
        limiter = SlidingWindowCounterRateLimiter(storage)
    app.extensions[EXTENSION] = RateLimits(limiter, local, items)


def client_address() -> str:
    """The client's address (ProxyFix, configured by PROXY_COUNT, puts the real one here)."""
    return request.remote_addr or "unknown"


def check_rate(name: str) -> None:
    """Count one request of kind ``name`` from this client; raise 429 when over the limit."""
    limits: RateLimits = current_app.extensions[EXTENSION]
    item = limits.items[name]
    key = client_address()
    limiter = limits.limiter
    try:
        allowed = limiter.hit(item, name, key)
    except StorageError as exc:
        # Keep limiting in this process while the shared store is unreachable (neither crash nor open).
        log.warning("rate limit store unreachable (%s); counting in memory", exc)
        limiter = limits.fallback
        allowed = limiter.hit(item, name, key)
    if not allowed:
        # The sliding window frees room gradually; a whole period is a safe answer.
        retry = item.get_expiry()
        raise TooManyRequests(
            i18n.gettext("Too many checks from your network. Wait a minute and try again."), retry_after=retry
        )


def check_length(unverified_text: str) -> None:
    """Refuse input longer than VERIFY_MAX_INPUT_CHARS with 413."""
    limit = int(current_app.config["VERIFY_MAX_INPUT_CHARS"])
    if len(unverified_text) > limit:
        raise LimitExceeded(i18n.gettext("The input is too long to be a credential."), limit=limit)


def image_limits() -> tuple[int, int]:
    """The largest upload in bytes and in pixels."""
    return int(current_app.config["VERIFY_MAX_IMAGE_BYTES"]), int(current_app.config["VERIFY_MAX_IMAGE_PIXELS"])


def max_batch() -> int:
    """How many credentials one batch request may hold."""
    return int(current_app.config["VERIFY_MAX_BATCH"])
