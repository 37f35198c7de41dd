"""Throttling the wallet's guesses (claim codes, sign-in) per key and client address, in the shared failure table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from certsvc.accounts import users
from certsvc.wallet.errors import ClaimThrottled, WalletError


@dataclass(frozen=True)
class ThrottlePolicy:
    """At most ``max_failures`` failures per key and client address within ``window``."""

    max_failures: int = 10
    window: timedelta = timedelta(minutes=15)


def check_throttle(
    session: Session,
    key: str,
    address: str,
    policy: ThrottlePolicy,
    now: datetime,
    error: type[WalletError] = ClaimThrottled,
) -> None:
    retry_after = users.throttled_for(session, key, address, policy, now)
    if retry_after is not None:
        raise error("too many wrong attempts from this device; wait and try again", retry_after=retry_after)
