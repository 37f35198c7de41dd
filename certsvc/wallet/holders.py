"""Wallet accounts: a holder signs in with a phone number (E.164) or an email address and a password."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.accounts import users
from certsvc.store import audit
from certsvc.store.models import WalletUser, utcnow
from certsvc.wallet.errors import InvalidWalletLogin, WalletAccountError, WalletAccountExists, WalletLoginThrottled
from certsvc.wallet.throttle import ThrottlePolicy, begin_attempt
from certsvc.web.text_rules import character_problem, is_clean

MAX_PASSWORD = users.MAX_PASSWORD
MIN_PASSWORD = users.MIN_PASSWORD
MAX_LOGIN = 320
_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]+")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
#: Throttle key prefix in the shared login-failure table; whitespace never occurs in an email.
_LOGIN_KEY = "wallet login "


def normalise_login(unverified_login: str) -> str:
    """Return an email address (lower case) or a phone number in E.164 (``+`` and digits)."""
    text = unverified_login.strip()
    if "@" in text:
        email = users.normalise_email(text)
        if len(email) > MAX_LOGIN or not users.EMAIL_PATTERN.fullmatch(email) or not is_clean(email):
            raise WalletAccountError("not a valid email address", field="login")
        return email
    phone = _PHONE_SEPARATORS.sub("", text)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not _E164.fullmatch(phone):
        raise WalletAccountError("a phone number starts with + and the country code", field="login")
    return phone


def create_wallet_user(
    session: Session,
    login: str,
    password: str,
    *,
    hasher: PasswordHasher,
    locale: str | None = None,
    now: datetime | None = None,
) -> WalletUser:
    """Open a wallet account for a phone number or email address."""
    login = normalise_login(login)
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD or character_problem(password) is not None:
        raise WalletAccountError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password")
    if session.scalar(select(WalletUser.id).where(WalletUser.login == login)) is not None:
        raise WalletAccountExists("a wallet with this phone number or email exists", field="login")
    user = WalletUser(login=login, password_hash=hasher.hash(password), locale=locale, created_at=now or utcnow())
    session.add(user)
    session.flush()
    audit.append(session, "wallet.account_created", actor=wallet_actor(user), subject=str(user.id), now=now)
    return user


def authenticate_wallet_user(
    session: Session,
    unverified_login: str,
    password: str,
    *,
    address: str,
    hasher: PasswordHasher,
    policy: ThrottlePolicy,
    now: datetime | None = None,
) -> WalletUser:
    """Return the wallet account for a correct login and password; throttled per login and client."""
    now = now or utcnow()
    try:
        login = normalise_login(unverified_login)
    except WalletAccountError:
        login = unverified_login.strip()[:MAX_LOGIN]
    if not is_clean(login):
        raise InvalidWalletLogin("wrong phone number, email or password")  # no wallet has such a login
    # Counted before the password is checked, so that parallel guesses cannot pass the limit.
    attempt = begin_attempt(session, _LOGIN_KEY + login, address, policy, now, error=WalletLoginThrottled)
    user = session.scalar(select(WalletUser).where(WalletUser.login == login))
    password = password[:MAX_PASSWORD]
    if user is None:
        users.verify_secret(hasher, users.dummy_hash(hasher), password)
    if user is None or not users.verify_secret(hasher, user.password_hash, password):
        raise InvalidWalletLogin("wrong phone number, email or password")
    attempt.succeeded()
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def wallet_actor(user: WalletUser) -> str:
    """The audit log's name for a wallet holder (never the phone number or email)."""
    return f"wallet:{user.id}"


def session_fingerprint(user: WalletUser) -> str:
    """A digest of the password hash: a changed password ends the holder's other sessions."""
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]
