"""The migrant's wallet: claim codes, wallet accounts, the holder's credentials, share links and verification counts.

A provider issues a credential and hands the learner a one-time claim code (10 Crockford
base32 characters, stored as its SHA-256) and a 6-digit PIN (stored as an argon2id hash).
The holder claims it into a wallet account signed in with a phone number (E.164) or an
email address. Wrong codes are throttled per code (its PIN locks after a few misses) and
per client address; the counts live in the database, so every process sees them.

Domain functions take the session, the hasher and the time; they never read Flask's app.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from argon2 import PasswordHasher
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from certsvc import accounts, audit
from certsvc.credential import Kind
from certsvc.errors import CertsvcError
from certsvc.models import (
    Credential,
    CredentialClaim,
    CredentialState,
    LoginFailure,
    Qualification,
    ShareLink,
    VerificationEvent,
    WalletUser,
    utcnow,
)

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CLAIM_CODE_CHARS = 10
PIN_DIGITS = 6
#: Wrong PINs a claim code takes before it locks (the provider then makes a new code).
MAX_PIN_FAILURES = 5
SHARE_DAYS = (1, 7, 30)
MAX_PASSWORD = accounts.MAX_PASSWORD
MIN_PASSWORD = accounts.MIN_PASSWORD
MAX_LOGIN = 320
#: What people type by mistake for the letters Crockford base32 leaves out.
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = re.compile(r"[\s\-.]+")
_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]+")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
#: Throttle keys in the shared login-failure table; whitespace never occurs in an email.
_CLAIM_KEY = "wallet claim"
_LOGIN_KEY = "wallet login "


# -- errors ---------------------------------------------------------------------------------


class WalletError(CertsvcError):
    """Something the holder asked of the wallet cannot be done."""

    code = "wallet_error"
    http_status = 400


class WrongClaim(WalletError):
    """The claim code is unknown or its PIN is wrong (never says which)."""

    code = "claim_invalid"


class ClaimLocked(WalletError):
    """Too many wrong PINs were tried with this claim code."""

    code = "claim_locked"
    http_status = 403


class ClaimUsed(WalletError):
    """The claim code was used already (``mine`` tells whether by this wallet)."""

    code = "claim_used"
    http_status = 409


class ClaimThrottled(WalletError):
    """Too many wrong claim codes from this client; ``retry_after`` seconds to wait."""

    code = "claim_throttled"
    http_status = 429


class WalletAccountError(WalletError):
    """A phone number, email address or password that cannot make an account."""

    code = "wallet_account_invalid"


class WalletAccountExists(WalletAccountError):
    code = "wallet_account_exists"
    http_status = 409


class InvalidWalletLogin(WalletError):
    """Wrong phone number, email or password (never says which)."""

    code = "wallet_login_invalid"
    http_status = 401


class WalletLoginThrottled(WalletError):
    code = "wallet_login_throttled"
    http_status = 429


class NotInWallet(WalletError):
    """No such credential in this wallet: someone else's looks exactly like a missing one."""

    code = "not_found"
    http_status = 404


class ShareLinkUnknown(WalletError):
    code = "not_found"
    http_status = 404


class ShareLinkGone(WalletError):
    """The share link expired or its holder revoked it (``reason``); the credential is untouched."""

    code = "share_link_gone"
    http_status = 410


class BadShareExpiry(WalletError):
    code = "share_expiry_invalid"


# -- claim codes ----------------------------------------------------------------------------


class ClaimSecrets(NamedTuple):
    """A claim code (as printed, in two groups of five) and its PIN; shown once, never stored."""

    code: str
    pin: str


@dataclass(frozen=True)
class ThrottlePolicy:
    """At most ``max_failures`` failures per key and client address within ``window``."""

    max_failures: int = 10
    window: timedelta = timedelta(minutes=15)


def new_claim_code() -> str:
    """Return a random claim code: 10 Crockford base32 characters (50 bits)."""
    return "".join(secrets.choice(CROCKFORD) for _ in range(CLAIM_CODE_CHARS))


def new_pin() -> str:
    """Return a random 6-digit PIN."""
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def format_claim_code(code: str) -> str:
    """Write a claim code as people copy it: ``7KQ2M-9XDAB``."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalise_claim_code(unverified_code: str) -> str | None:
    """The claim code as stored, or None when it cannot be one (spaces, dashes, case and I/L/O forgiven)."""
    code = _SEPARATORS.sub("", unverified_code).upper().translate(_LOOKALIKES)
    if len(code) != CLAIM_CODE_CHARS or any(c not in CROCKFORD for c in code):
        return None
    return code


def claim_code_hash(code: str) -> str:
    """SHA-256 (hex) of a normalised claim code: what the database keeps."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def create_claim(
    session: Session,
    credential: Credential,
    *,
    hasher: PasswordHasher | None = None,
    code: str | None = None,
    pin: str | None = None,
    actor: str = "system",
) -> ClaimSecrets:
    """Make (or replace, while unclaimed) the credential's claim code and PIN; return them once."""
    hasher = hasher or accounts.make_password_hasher()
    code = normalise_claim_code(code) if code is not None else new_claim_code()
    pin = pin if pin is not None else new_pin()
    if code is None or not _is_pin(pin):
        raise WalletError("a claim code has 10 base32 characters and a PIN 6 digits")
    claim = session.get(CredentialClaim, credential.id)
    if claim is not None and claim.claimed_at is not None:
        raise ClaimUsed("this credential is already in a wallet", mine=False)
    if claim is None:
        claim = CredentialClaim(credential_id=credential.id)
        session.add(claim)
    claim.code_hash, claim.pin_hash, claim.failures = claim_code_hash(code), hasher.hash(pin), 0
    session.flush()
    audit.append(
        session, "wallet.claim_code_made", actor=actor, org_id=credential.provider_id, subject=credential.public_id
    )
    return ClaimSecrets(format_claim_code(code), pin)


def find_claim(
    session: Session,
    unverified_code: str,
    unverified_pin: str,
    *,
    address: str,
    hasher: PasswordHasher,
    policy: ThrottlePolicy,
    wallet_user: WalletUser | None = None,
    now: datetime | None = None,
) -> CredentialClaim:
    """Check a claim code and PIN without using them; count a failure per code and per client.

    Raises ClaimThrottled, WrongClaim, ClaimLocked or ClaimUsed. On WrongClaim the caller
    commits, so that the failure counts although nothing was claimed.
    """
    now = now or utcnow()
    _check_throttle(session, _CLAIM_KEY, address, policy, now)
    code = normalise_claim_code(unverified_code)
    claim = None
    if code is not None:
        claim = session.scalar(
            select(CredentialClaim).where(CredentialClaim.code_hash == claim_code_hash(code)).with_for_update()
        )
    if claim is None or not hmac.compare_digest(claim.code_hash, claim_code_hash(code or "")):
        # The same argon2 work as a real PIN check: timing does not tell whether a code exists.
        accounts.verify_secret(hasher, accounts.dummy_hash(hasher), unverified_pin)
        accounts.record_failure(session, _CLAIM_KEY, address, policy, now)
        raise WrongClaim("the claim code or the PIN is wrong")
    if claim.failures >= MAX_PIN_FAILURES:
        raise ClaimLocked("too many wrong PINs were tried with this claim code")
    if not _is_pin(unverified_pin.strip()) or not accounts.verify_secret(
        hasher, claim.pin_hash, unverified_pin.strip()
    ):
        claim.failures += 1
        accounts.record_failure(session, _CLAIM_KEY, address, policy, now)
        raise WrongClaim("the claim code or the PIN is wrong")
    if claim.claimed_at is not None:
        mine = wallet_user is not None and claim.wallet_user_id == wallet_user.id
        raise ClaimUsed("this claim code was used already", mine=mine)
    return claim


def claim(
    session: Session,
    unverified_code: str,
    unverified_pin: str,
    wallet_user: WalletUser,
    *,
    address: str = "unknown",
    hasher: PasswordHasher | None = None,
    policy: ThrottlePolicy | None = None,
    now: datetime | None = None,
) -> Credential:
    """Put the credential of a claim code and PIN into ``wallet_user``'s wallet; a code works once."""
    found = find_claim(
        session,
        unverified_code,
        unverified_pin,
        address=address,
        hasher=hasher or accounts.make_password_hasher(),
        policy=policy or ThrottlePolicy(),
        wallet_user=wallet_user,
        now=now,
    )
    return complete_claim(session, found, wallet_user, now=now)


def complete_claim(
    session: Session, found: CredentialClaim, wallet_user: WalletUser, *, now: datetime | None = None
) -> Credential:
    """Give a checked, unused claim to ``wallet_user``; audited."""
    if found.claimed_at is not None:
        raise ClaimUsed("this claim code was used already", mine=found.wallet_user_id == wallet_user.id)
    found.wallet_user_id, found.claimed_at, found.failures = wallet_user.id, now or utcnow(), 0
    session.flush()
    credential = found.credential
    audit.append(
        session,
        "wallet.claimed",
        actor=wallet_actor(wallet_user),
        org_id=credential.provider_id,
        subject=credential.public_id,
        now=now,
    )
    return credential


def pending_claim(session: Session, credential_id: int, code_hash: str) -> CredentialClaim:
    """The claim checked earlier in this browser, if it is still the same code and unused."""
    found = session.get(CredentialClaim, credential_id, with_for_update=True)
    if found is None or not hmac.compare_digest(found.code_hash, code_hash):
        raise WrongClaim("the claim code changed; enter the new one")
    if found.claimed_at is not None:
        raise ClaimUsed("this claim code was used already", mine=False)
    return found


def _is_pin(pin: str) -> bool:
    return len(pin) == PIN_DIGITS and pin.isascii() and pin.isdigit()


# -- wallet accounts ------------------------------------------------------------------------


def normalise_login(unverified_login: str) -> str:
    """Return an email address (lower case) or a phone number in E.164 (``+`` and digits)."""
    text = unverified_login.strip()
    if "@" in text:
        email = accounts.normalise_email(text)
        if len(email) > MAX_LOGIN or not accounts.EMAIL_PATTERN.fullmatch(email):
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
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
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
    key = _LOGIN_KEY + login
    _check_throttle(session, key, address, policy, now, error=WalletLoginThrottled)
    user = session.scalar(select(WalletUser).where(WalletUser.login == login))
    password = password[:MAX_PASSWORD]
    if user is None:
        accounts.verify_secret(hasher, accounts.dummy_hash(hasher), password)
    if user is None or not accounts.verify_secret(hasher, user.password_hash, password):
        accounts.record_failure(session, key, address, policy, now)
        raise InvalidWalletLogin("wrong phone number, email or password")
    session.execute(delete(LoginFailure).where(LoginFailure.email == key[:320], LoginFailure.address == address[:64]))
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def wallet_actor(user: WalletUser) -> str:
    """The audit log's name for a wallet holder (never the phone number or email)."""
    return f"wallet:{user.id}"


def session_fingerprint(user: WalletUser) -> str:
    """A digest of the password hash: a changed password ends the holder's other sessions."""
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


# -- the holder's credentials ---------------------------------------------------------------


class WalletState(StrEnum):
    """A credential's state as the holder reads it."""

    AWAITING = "awaiting"
    RECOGNISED = "recognised"
    REVOKED = "revoked"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


@dataclass(frozen=True)
class WalletCard:
    """What the wallet shows of one credential."""

    public_id: str
    holder: str
    qualification: str
    framework: str | None
    level: str | None
    kind: Kind
    provider: str
    embassy: str | None
    state: WalletState
    issued: date
    valid_until: date | None
    cosigned_on: date | None
    assessed_on: date | None
    verified: int
    last_verified: datetime | None
    signatures: int


def state_of(credential: Credential, now: datetime) -> WalletState:
    """The state in words: revocation and the embassy's answers first, then expiry, then co-signature."""
    if credential.state is CredentialState.REVOKED:
        return WalletState.REVOKED
    if credential.state is CredentialState.REJECTED:
        return WalletState.REJECTED
    if credential.state is CredentialState.SUSPENDED:
        return WalletState.SUSPENDED
    if credential.withdrawn_at is not None:
        return WalletState.WITHDRAWN
    until = _payload(credential).get("validUntil")
    if isinstance(until, str) and _parse_time(until) <= now:
        return WalletState.EXPIRED
    if credential.state is CredentialState.COSIGNED:
        return WalletState.RECOGNISED
    return WalletState.AWAITING


def wallet_credentials(session: Session, wallet_user: WalletUser, now: datetime) -> list[WalletCard]:
    """Every credential in the wallet, newest first."""
    credentials = session.scalars(
        select(Credential)
        .join(CredentialClaim, CredentialClaim.credential_id == Credential.id)
        .where(CredentialClaim.wallet_user_id == wallet_user.id)
        .options(selectinload(Credential.provider), selectinload(Credential.embassy))
        .order_by(Credential.issued_at.desc(), Credential.id.desc())
    ).all()
    return cards_of(session, credentials, now)


def own_credential(session: Session, wallet_user: WalletUser, public_id: str) -> Credential:
    """The credential ``public_id`` if it is in this wallet; anyone else's is NotInWallet."""
    found = session.scalar(
        select(Credential)
        .join(CredentialClaim, CredentialClaim.credential_id == Credential.id)
        .where(Credential.public_id == public_id, CredentialClaim.wallet_user_id == wallet_user.id)
    )
    if found is None:
        raise NotInWallet("no such credential in your wallet")
    return found


def cards_of(session: Session, credentials: Sequence[Credential], now: datetime) -> list[WalletCard]:
    """Build the wallet's view of credentials (one query each for qualifications and counts)."""
    history = verification_history(session, [c.id for c in credentials])
    levels = _levels(session, credentials)
    return [_card(c, levels.get((c.provider_id, c.qualification_code)), history.get(c.id), now) for c in credentials]


def card_of(session: Session, credential: Credential, now: datetime) -> WalletCard:
    """The wallet's view of one credential."""
    return cards_of(session, [credential], now)[0]


def _card(
    credential: Credential,
    level: tuple[str, str] | None,
    history: tuple[int, datetime | None] | None,
    now: datetime,
) -> WalletCard:
    payload = _payload(credential)
    subject = payload.get("credentialSubject", {})
    assessed = subject.get("activityEndDate")
    until = payload.get("validUntil")
    verified, last = history or (0, None)
    return WalletCard(
        public_id=credential.public_id,
        holder=str(subject.get("name", "")),
        qualification=str(subject.get("achievement", {}).get("name", credential.qualification_code)),
        framework=level[0] if level else None,
        level=level[1] if level else None,
        kind=credential.kind,
        provider=credential.provider.name,
        embassy=credential.embassy.name if credential.embassy else None,
        state=state_of(credential, now),
        issued=credential.issued_at.date(),
        valid_until=_parse_time(until).date() if isinstance(until, str) else None,
        cosigned_on=credential.cosigned_at.date() if credential.cosigned_at else None,
        assessed_on=date.fromisoformat(assessed[:10]) if isinstance(assessed, str) else None,
        verified=verified,
        last_verified=last,
        signatures=2 if credential.cosign_jws and credential.state is not CredentialState.REJECTED else 1,
    )


def _levels(session: Session, credentials: Iterable[Credential]) -> dict[tuple[int, str], tuple[str, str]]:
    providers = {c.provider_id for c in credentials}
    if not providers:
        return {}
    rows = session.execute(
        select(Qualification.provider_id, Qualification.code, Qualification.framework, Qualification.level).where(
            Qualification.provider_id.in_(providers)
        )
    )
    return {(provider, code): (framework, level) for provider, code, framework, level in rows}


def verification_history(session: Session, credential_ids: Sequence[int]) -> dict[int, tuple[int, datetime | None]]:
    """How many times each credential was verified, and when last (no verifier identities)."""
    if not credential_ids:
        return {}
    rows = session.execute(
        select(VerificationEvent.credential_id, func.count(), func.max(VerificationEvent.at))
        .where(VerificationEvent.credential_id.in_(credential_ids))
        .group_by(VerificationEvent.credential_id)
    )
    return {credential_id: (count, _aware(last)) for credential_id, count, last in rows}


# -- share links ----------------------------------------------------------------------------


def create_share_link(
    session: Session, wallet_user: WalletUser, credential: Credential, days: int, *, now: datetime | None = None
) -> tuple[ShareLink, str]:
    """Make a link to the credential that expires after ``days`` (1, 7 or 30); return it and its token once."""
    if days not in SHARE_DAYS:
        raise BadShareExpiry("a share link lasts 1, 7 or 30 days", field="days")
    own_credential(session, wallet_user, credential.public_id)
    now = now or utcnow()
    token = secrets.token_urlsafe(18)
    link = ShareLink(
        token_hash=share_token_hash(token),
        credential_id=credential.id,
        wallet_user_id=wallet_user.id,
        expires_at=now + timedelta(days=days),
        created_at=now,
    )
    session.add(link)
    session.flush()
    details = {"days": days, "link": link.id}
    audit.append(
        session, "wallet.share_created", actor=wallet_actor(wallet_user), subject=credential.public_id, details=details
    )
    return link, token


def share_links(session: Session, wallet_user: WalletUser, credential: Credential) -> list[ShareLink]:
    """The holder's share links of one credential, newest first."""
    return list(
        session.scalars(
            select(ShareLink)
            .where(ShareLink.wallet_user_id == wallet_user.id, ShareLink.credential_id == credential.id)
            .order_by(ShareLink.created_at.desc(), ShareLink.id.desc())
        )
    )


def revoke_share_link(
    session: Session, wallet_user: WalletUser, credential: Credential, link_id: int, *, now: datetime | None = None
) -> ShareLink:
    """Stop a share link of the holder's credential from working (any other link is not found)."""
    link = session.get(ShareLink, link_id, with_for_update=True)
    if link is None or link.wallet_user_id != wallet_user.id or link.credential_id != credential.id:
        raise ShareLinkUnknown("no such share link")
    if link.revoked_at is None:
        link.revoked_at = now or utcnow()
        details = {"link": link.id}
        actor = wallet_actor(wallet_user)
        audit.append(session, "wallet.share_revoked", actor=actor, subject=credential.public_id, details=details)
    return link


def open_share_link(session: Session, unverified_token: str, *, now: datetime | None = None) -> ShareLink:
    """The live share link of a token; an expired or revoked one is ShareLinkGone (410)."""
    if not 16 <= len(unverified_token) <= 64:
        raise ShareLinkUnknown("no such share link")
    link = session.scalar(select(ShareLink).where(ShareLink.token_hash == share_token_hash(unverified_token)))
    if link is None:
        raise ShareLinkUnknown("no such share link")
    if link.revoked_at is not None:
        raise ShareLinkGone("the holder withdrew this share link", reason="revoked")
    if link.expires_at <= (now or utcnow()):
        raise ShareLinkGone("this share link has expired", reason="expired", expired_at=link.expires_at.isoformat())
    return link


def share_state(link: ShareLink, now: datetime) -> str:
    """``active``, ``expired`` or ``revoked``."""
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= now else "active"


def share_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- throttling and hashing -----------------------------------------------------------------


def _check_throttle(
    session: Session,
    key: str,
    address: str,
    policy: ThrottlePolicy,
    now: datetime,
    error: type[WalletError] = ClaimThrottled,
) -> None:
    retry_after = accounts.throttled_for(session, key, address, policy, now)
    if retry_after is not None:
        raise error("too many wrong attempts from this device; wait and try again", retry_after=retry_after)


def _payload(credential: Credential) -> dict[str, object]:
    loaded = json.loads(credential.payload)
    return loaded if isinstance(loaded, dict) else {}


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
