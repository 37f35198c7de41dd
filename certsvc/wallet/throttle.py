"""Throttling the wallet's guesses (claim codes, sign-in) per key and client address: each attempt counts first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from certsvc.accounts import attempts
from certsvc.accounts.attempts import Attempt
from certsvc.wallet.errors import ClaimThrottled, WalletError

MESSAGE = "too many wrong attempts from this device; wait and try again"


@dataclass(frozen=True)
class ThrottlePolicy(attempts.ThrottlePolicy):
    """At most ``max_failures`` failures per key and client address within ``window``."""

    max_failures: int = 10


def begin_attempt(
    session: Session,
    key: str,
    address: str,
    policy: attempts.ThrottlePolicy,
    now: datetime,
    error: type[WalletError] = ClaimThrottled,
) -> Attempt:
    """Count one guess before it is checked; raise ``error`` (with ``retry_after``) when it is one too many."""
    return attempts.begin_attempt(session, key, address, policy, now, error, lambda _retry_after: MESSAGE)
