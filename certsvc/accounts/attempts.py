"""Counting guesses (passwords, claim codes) so that parallel requests cannot overrun a limit.

Check-then-act lets a burst through: thirty requests that all check the count before any
of them records its failure all pass. So each attempt is counted *before* it is checked:
:func:`begin_attempt` records the attempt where every process and machine sees it, then
counts the attempts in the window, its own included, and refuses the one too many. An
attempt that turns out not to be a failure is released (a correct claim code) or clears
its key's failures (a correct password).

Where the count lives:

- ``DatabaseAttempts`` (the default): rows of ``login_failures``. On PostgreSQL the attempt
  is inserted and committed on a connection of its own before the count, so that every
  transaction counting after it sees it. On SQLite every write transaction of the app
  begins IMMEDIATE and so runs alone: the attempt is counted inside the caller's own
  transaction, which other writers wait for.
- ``RedisAttempts`` (when ``REDIS_URL`` is set): a sorted set per key and address, updated
  and counted in one MULTI/EXEC. If Redis cannot be reached the database counts instead.

Keys in Redis are digests: no email address or phone number is written there.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from certsvc.credentials.errors import CertsvcError
from certsvc.store.models import LoginFailure

log = logging.getLogger(__name__)
#: Column sizes of login_failures: the throttled key (an email or a wallet key) and the address.
MAX_KEY = 320
MAX_ADDRESS = 64
#: Expired rows forgotten per attempt at most, so that one request never does a large delete.
PRUNE_BATCH = 500


@dataclass(frozen=True)
class Counted:
    """One attempt as a counter recorded it, and the attempts of its window (its own included)."""

    key: str
    address: str
    marker: str | int
    count: int
    oldest: datetime


class AttemptCounter(Protocol):
    """Where attempts are counted: record one and count its window, release one, clear a key."""

    def record(self, session: Session, key: str, address: str, window: timedelta, now: datetime) -> Counted: ...

    def release(self, session: Session, counted: Counted) -> None: ...

    def clear(self, session: Session, key: str, address: str) -> None: ...


@dataclass(frozen=True)
class ThrottlePolicy:
    """At most ``max_failures`` attempts per key and address within ``window``; ``counter`` says where."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    #: None: the database the caller's session is on.
    counter: AttemptCounter | None = field(default=None, compare=False)


@dataclass
class Attempt:
    """An attempt that was counted and allowed; say how it ended with ``release`` or ``succeeded``."""

    session: Session
    counter: AttemptCounter
    counted: Counted

    def release(self) -> None:
        """The attempt was no guess (a used or locked code): it does not count."""
        self.counter.release(self.session, self.counted)

    def succeeded(self) -> None:
        """The secret was right: forget this key's failures from this address."""
        self.counter.clear(self.session, self.counted.key, self.counted.address)


def begin_attempt(
    session: Session,
    key: str,
    address: str,
    policy: ThrottlePolicy,
    now: datetime,
    error: type[CertsvcError],
    message: Callable[[int], str],
) -> Attempt:
    """Count one attempt before it is checked; raise ``error`` (``message(retry_after)``) if it is one too many."""
    counter = policy.counter or DATABASE
    counted = counter.record(session, key[:MAX_KEY], address[:MAX_ADDRESS], policy.window, now)
    if counted.count <= policy.max_failures:
        return Attempt(session, counter, counted)
    # A refused attempt is not kept: hammering on does not push the end of the lockout further away.
    counter.release(session, counted)
    oldest = counted.oldest if counted.oldest.tzinfo is not None else counted.oldest.replace(tzinfo=UTC)
    retry_after = max(1, int((oldest + policy.window - now).total_seconds()) + 1)
    raise error(message(retry_after), retry_after=retry_after)


class DatabaseAttempts:
    """Attempts as rows of ``login_failures``, counted where every process and machine sees them."""

    def record(self, session: Session, key: str, address: str, window: timedelta, now: datetime) -> Counted:
        """Record one attempt, then count the window's attempts of ``key`` from ``address``."""
        if _runs_alone(session):
            return self._record(session, key, address, window, now)
        with Session(bind=session.get_bind()) as own:
            # Committed before the count: a transaction that counts after this one has to see it.
            with own.begin():
                marker = self._insert(own, key, address, window, now)
            with own.begin():
                count, oldest = self._count(own, key, address, window, now)
        return Counted(key, address, marker, count, oldest or now)

    def release(self, session: Session, counted: Counted) -> None:
        """Forget one recorded attempt."""
        self._delete(session, LoginFailure.id == counted.marker)

    def clear(self, session: Session, key: str, address: str) -> None:
        """Forget every attempt of ``key`` from ``address``."""
        self._delete(session, (LoginFailure.email == key) & (LoginFailure.address == address))

    def _record(self, session: Session, key: str, address: str, window: timedelta, now: datetime) -> Counted:
        marker = self._insert(session, key, address, window, now)
        count, oldest = self._count(session, key, address, window, now)
        return Counted(key, address, marker, count, oldest or now)

    @staticmethod
    def _insert(session: Session, key: str, address: str, window: timedelta, now: datetime) -> int:
        # Forget attempts older than the window; rows another transaction is forgetting are left to it.
        expired = (
            select(LoginFailure.id)
            .where(LoginFailure.at <= now - window)
            .limit(PRUNE_BATCH)
            .with_for_update(skip_locked=True)
        )
        session.execute(delete(LoginFailure).where(LoginFailure.id.in_(expired)))
        row = LoginFailure(email=key, address=address, at=now)
        session.add(row)
        session.flush()
        return row.id

    @staticmethod
    def _count(session: Session, key: str, address: str, window: timedelta, now: datetime) -> tuple[int, Any]:
        count, oldest = session.execute(
            select(func.count(LoginFailure.id), func.min(LoginFailure.at)).where(
                LoginFailure.email == key, LoginFailure.address == address, LoginFailure.at > now - window
            )
        ).one()
        return int(count), oldest

    @staticmethod
    def _delete(session: Session, condition: Any) -> None:
        if _runs_alone(session):
            session.execute(delete(LoginFailure).where(condition))
            return
        with Session(bind=session.get_bind()) as own, own.begin():
            own.execute(delete(LoginFailure).where(condition))


DATABASE = DatabaseAttempts()


def _runs_alone(session: Session) -> bool:
    """Whether the session's database runs one write transaction at a time (SQLite)."""
    return session.get_bind().dialect.name == "sqlite"


class RedisAttempts:
    """Attempts in Redis sorted sets shared by every node; the database counts while Redis is unreachable."""

    def __init__(self, url: str, prefix: str = "certsvc", fallback: AttemptCounter = DATABASE) -> None:
        import redis

        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self._fallback = fallback

    def record(self, session: Session, key: str, address: str, window: timedelta, now: datetime) -> Counted:
        """Record one attempt and count the window's attempts, in one transaction of Redis."""
        name, marker, stamp = self._name(key, address), f"{now.timestamp():.6f}:{secrets.token_hex(6)}", now.timestamp()
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.zremrangebyscore(name, "-inf", stamp - window.total_seconds())
            pipe.zadd(name, {marker: stamp})
            pipe.zcard(name)
            pipe.zrange(name, 0, 0, withscores=True)
            pipe.expire(name, int(window.total_seconds()) + 1)
            _, _, count, oldest, _ = pipe.execute()
        except self._errors as exc:
            log.warning("attempt counter unreachable (%s); counting in the database", type(exc).__name__)
            return self._fallback.record(session, key, address, window, now)
        first = datetime.fromtimestamp(oldest[0][1], UTC) if oldest else now
        return Counted(key, address, "redis:" + marker, int(count), first)

    def release(self, session: Session, counted: Counted) -> None:
        """Forget one recorded attempt."""
        if not isinstance(counted.marker, str) or not counted.marker.startswith("redis:"):
            self._fallback.release(session, counted)
            return
        try:
            self._redis.zrem(self._name(counted.key, counted.address), counted.marker.removeprefix("redis:"))
        except self._errors as exc:
            log.warning("attempt counter unreachable (%s); an attempt stays counted", type(exc).__name__)

    def clear(self, session: Session, key: str, address: str) -> None:
        """Forget every attempt of ``key`` from ``address`` (in Redis and in the database)."""
        try:
            self._redis.delete(self._name(key, address))
        except self._errors as exc:
            log.warning("attempt counter unreachable (%s)", type(exc).__name__)
        self._fallback.clear(session, key, address)

    def _name(self, key: str, address: str) -> str:
        digest = hashlib.sha256(f"{key}\n{address}".encode("utf-8", "replace")).hexdigest()[:32]
        return f"{self._prefix}:attempts:{digest}"
