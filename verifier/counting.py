"""Count verifications anonymously: when, the verdict, the credential's kind and country; never who asked.

Events are written behind the request by one thread per process, in batches gathered for a
quarter of a second: a verification never waits for the database (on SQLite a commit costs an
fsync), and one transaction carries many events. ``flush`` waits until everything queued is
written; at exit the queue is flushed too.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from certsvc.credentials.openbadge import Kind
from certsvc.store import db
from certsvc.store.models import Credential, VerificationEvent
from verifier.result import VerificationResult

log = logging.getLogger(__name__)
EXTENSION = "certsvc.verification_counter"
MAX_BATCH = 500
#: How long the writer gathers events before writing them in one transaction.
GATHER_SECONDS = 0.25
_KINDS = frozenset(k.value for k in Kind)


@dataclass(frozen=True)
class CountedVerification:
    """What is kept of one verification: no address, no input, no verifier identity."""

    at: datetime
    result: str
    kind: str | None
    country: str | None
    public_id: str | None


def counted(result: VerificationResult, now: datetime) -> CountedVerification:
    """Reduce a result to what is counted."""
    summary = result.summary
    holder = summary.get("holder")
    country = holder.get("nationality") if isinstance(holder, dict) else None
    kind = summary.get("kind")
    return CountedVerification(
        at=now,
        result=result.status.value,
        kind=kind if kind in _KINDS else None,
        country=country if isinstance(country, str) and len(country) == 2 and country.isalpha() else None,
        public_id=public_id_of(result),
    )


def public_id_of(result: VerificationResult) -> str | None:
    """The credential's public id, only when the provider's signature proved the payload authentic."""
    if not any(c.name == "provider_signature" and c.ok for c in result.checks):
        return None
    credential_uri = result.summary.get("id")
    if not isinstance(credential_uri, str):
        return None
    return credential_uri.rstrip("/").rpartition("/")[2][:32] or None


def write_events(session: Session, verifications: list[CountedVerification]) -> int:
    """Insert one event per verification (linked to the credential when it is ours) and commit."""
    wanted = {v.public_id for v in verifications if v.public_id}
    ids: dict[str, int] = {}
    if wanted:
        rows = session.execute(select(Credential.public_id, Credential.id).where(Credential.public_id.in_(wanted)))
        ids = {public_id: credential_id for public_id, credential_id in rows}
    # One executemany INSERT: far cheaper than ORM objects when a batch holds hundreds.
    session.execute(
        insert(VerificationEvent),
        [
            {
                "at": v.at,
                "result": v.result,
                "kind": v.kind,
                "country": v.country,
                "credential_id": ids.get(v.public_id or ""),
            }
            for v in verifications
        ],
    )
    session.commit()
    return len(verifications)


class VerificationCounter:
    """A queue of verifications and the thread that writes them in batches."""

    def __init__(
        self, factory: sessionmaker[Session], max_batch: int = MAX_BATCH, gather_seconds: float = GATHER_SECONDS
    ) -> None:
        self._factory = factory
        self._max_batch = max_batch
        self._gather_seconds = gather_seconds
        self._queue: queue.Queue[CountedVerification] = queue.Queue()
        self._lock = threading.Lock()
        self._owner_pid: int | None = None

    def add(self, verifications: Iterable[CountedVerification]) -> None:
        """Queue verifications for writing."""
        self._ensure_writer()
        for verification in verifications:
            self._queue.put(verification)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued verification is written (tests, shutdown); return whether they were."""
        deadline = time.monotonic() + timeout
        while self._owner_pid == os.getpid() and self._queue.unfinished_tasks:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def _ensure_writer(self) -> None:
        # One writer per process, started in the process that counts (gunicorn forks workers).
        if self._owner_pid == os.getpid():
            return
        with self._lock:
            if self._owner_pid == os.getpid():
                return
            self._queue = queue.Queue()
            threading.Thread(target=self._run, name="verification-counter", daemon=True).start()
            self._owner_pid = os.getpid()
            atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            # Gather for a moment: one transaction for many events costs far less CPU (and, on
            # SQLite, fsyncs) than one each, and the request threads keep the interpreter meanwhile.
            # Asleep, not waiting on the queue: a waiting reader is woken (and takes the GIL from a
            # request thread) by every event queued.
            if self._queue.qsize() < self._max_batch - 1:  # a full batch waiting is written at once
                time.sleep(self._gather_seconds)
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _write(self, batch: list[CountedVerification]) -> None:
        try:
            with self._factory() as session:
                write_events(session, batch)
        except SQLAlchemyError:
            # Counting must never break verification; the events of this batch are lost and logged.
            log.exception("could not count %d verification(s)", len(batch))


def init_app(app: Flask) -> None:
    """Give the app its verification counter."""
    app.extensions[EXTENSION] = VerificationCounter(db.session_factory(app))


def counter(app: Flask | None = None) -> VerificationCounter:
    """The app's counter (the current app's by default)."""
    found: VerificationCounter = (app or current_app).extensions[EXTENSION]
    return found


def count(results: Iterable[VerificationResult], now: datetime) -> None:
    """Count verifications anonymously, behind the request."""
    counter().add(counted(r, now) for r in results)


def verification_count(session: Session, credential_id: int) -> int:
    """How many times a credential was verified (for the wallet's "verified N times")."""
    return session.scalar(select(func.count()).where(VerificationEvent.credential_id == credential_id)) or 0


def counts_by(session: Session, *columns: str) -> list[tuple[Any, ...]]:
    """Verification counts grouped by event columns (``result``, ``kind``, ``country``), for indicators."""
    group = [getattr(VerificationEvent, c) for c in columns]
    rows = session.execute(select(*group, func.count()).group_by(*group).order_by(*group)).all()
    return [tuple(row) for row in rows]
