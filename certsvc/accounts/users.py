"""Users and logins: argon2id hashes, throttled guessing (``certsvc.accounts.attempts``), roles and principals."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.accounts.attempts import ThrottlePolicy, begin_attempt
from certsvc.credentials.errors import CertsvcError
from certsvc.store import audit
from certsvc.store.models import ApiToken, Organisation, OrgKind, Role, User, utcnow
from certsvc.web.text_rules import character_problem, is_clean

EMAIL_PATTERN = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
MAX_EMAIL = 320
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


class AccountError(CertsvcError):
    """Account data is invalid."""

    code = "invalid_account"
    http_status = 400


class AccountExists(AccountError):
    code = "account_exists"
    http_status = 409


class InvalidLogin(CertsvcError):
    """Wrong email or password (never says which)."""

    code = "invalid_login"
    http_status = 401


class LoginThrottled(CertsvcError):
    """Too many failed logins for this email from this address."""

    code = "login_throttled"
    http_status = 429


class NotAuthenticated(CertsvcError):
    code = "not_authenticated"
    http_status = 401


class Forbidden(CertsvcError):
    code = "forbidden"
    http_status = 403


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a user of an organisation, by session cookie or API token."""

    user: User
    org: Organisation
    via: str  # "session" | "token"
    token: ApiToken | None = None

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def actor(self) -> str:
        """Label for the audit log."""
        if self.token is not None:
            return f"token:{self.token.prefix} {self.user.email}"
        return self.user.email


def make_password_hasher(time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4) -> PasswordHasher:
    """Return an argon2id hasher with the given cost."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def normalise_email(email: str) -> str:
    """Return the email as stored and compared: trimmed and lower-case."""
    return email.strip().lower()


def create_user(
    session: Session,
    org: Organisation,
    *,
    email: str,
    password: str,
    role: Role | str,
    hasher: PasswordHasher,
    actor: str,
    now: datetime | None = None,
) -> User:
    """Create a user of ``org`` with an argon2id password hash; audited."""
    email = _checked_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountExists("a user with this email exists", field="email")
    user = User(
        org_id=org.id,
        email=email,
        password_hash=hasher.hash(_checked_password(password)),
        role=_checked_role(role),
        active=True,
        created_at=now or utcnow(),
    )
    session.add(user)
    session.flush()
    details = {"role": user.role.value}
    audit.append(session, "user.created", actor=actor, org_id=org.id, subject=email, details=details, now=now)
    return user


def set_user_active(session: Session, user: User, active: bool, *, actor: str, now: datetime | None = None) -> None:
    """Activate or deactivate a user (a deactivated user's sessions and tokens stop working)."""
    user.active = active
    action = "user.activated" if active else "user.deactivated"
    audit.append(session, action, actor=actor, org_id=user.org_id, subject=user.email, now=now)


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    address: str,
    hasher: PasswordHasher,
    policy: ThrottlePolicy,
    now: datetime | None = None,
) -> User:
    """Return the user for a correct email and password; record and audit a failure, or refuse when throttled.

    The attempt is counted before the password is checked, so parallel guesses cannot pass the limit.
    """
    now = now or utcnow()
    email = normalise_email(email)[:MAX_EMAIL]
    if not is_clean(email):
        raise InvalidLogin("wrong email or password")  # no account has such an email: nothing to count
    attempt = begin_attempt(session, email, address, policy, now, LoginThrottled, throttled_message)
    user = session.scalar(select(User).where(User.email == email))
    reason = _login_failure_reason(user, password, hasher)
    if reason is not None:
        org_id = user.org_id if user is not None else None
        details = {"address": address, "reason": reason}
        audit.append(session, "login.failed", actor=email, org_id=org_id, subject=email, details=details, now=now)
        raise InvalidLogin("wrong email or password")
    assert user is not None
    attempt.succeeded()
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def throttled_message(retry_after: int) -> str:
    """What a throttled sign-in is told: how long to wait, in whole minutes."""
    minutes = -(-retry_after // 60)
    return (
        f"Too many failed sign-in attempts for this account from your address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )


def _login_failure_reason(user: User | None, password: str, hasher: PasswordHasher) -> str | None:
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which emails exist.
        verify_secret(hasher, dummy_hash(hasher), password)
        return "unknown_user"
    if not verify_secret(hasher, user.password_hash, password):
        return "wrong_password"
    return None if user.active else "inactive_user"


def verify_secret(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    """Check a password or PIN against its argon2 hash; a malformed hash is a mismatch."""
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


def dummy_hash(hasher: PasswordHasher) -> str:
    """A hash to verify against when there is no account, so timing does not tell."""
    cost = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if cost not in _DUMMY_HASHES:
        _DUMMY_HASHES[cost] = hasher.hash("certsvc timing equaliser")
    return _DUMMY_HASHES[cost]


def check_role(principal: Principal, roles: Iterable[Role | str] = (), kinds: Iterable[OrgKind | str] = ()) -> None:
    """Raise Forbidden unless the principal has one of ``roles`` in an org of one of ``kinds`` (empty: any)."""
    wanted_roles, wanted_kinds = {Role(r) for r in roles}, {OrgKind(k) for k in kinds}
    if wanted_roles and principal.role not in wanted_roles:
        raise Forbidden("your role does not allow this", required_roles=sorted(wanted_roles))
    if wanted_kinds and principal.org.kind not in wanted_kinds:
        raise Forbidden("your organisation cannot do this", required_kinds=sorted(wanted_kinds))


def check_same_org(principal: Principal, org_id: int) -> None:
    """Raise Forbidden unless the principal belongs to organisation ``org_id``."""
    if principal.org.id != org_id:
        raise Forbidden("this belongs to another organisation")


def _checked_email(email: str) -> str:
    email = normalise_email(email)
    if len(email) > MAX_EMAIL or not EMAIL_PATTERN.fullmatch(email) or not is_clean(email):
        raise AccountError("not a valid email address", field="email")
    return email


def _checked_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password")
    problem = character_problem(password)
    if problem is not None:
        raise AccountError(f"a password {problem.phrase}", field="password")
    return password


def _checked_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AccountError("role is admin, officer or viewer", field="role") from None
