"""Claim codes: how a credential reaches its holder's wallet.

A provider issues a credential and hands the learner a one-time claim code (10 Crockford
base32 characters) and a 6-digit PIN. The holder claims it into a wallet account. Wrong
codes are throttled per code (its PIN locks after a few misses) and per client address;
the counts live in the database, so every process sees them.

Both secrets are stored as HMAC-SHA-256 under a key derived from the KEK (never stored):
microseconds to make and check, so issuing thousands does not queue on argon2, and a
stolen database alone cannot test a single guess, because the key is not in it (argon2
only slows guessing; the key stops it). The PIN's MAC covers the code too, so equal PINs
of two claims store differently. Rows made before this (code as plain SHA-256, PIN as
argon2id) keep working: they are found by either hash and checked the way they were made.
Passwords keep argon2id (certsvc.accounts.users).

Domain functions take the session, the KEK (or hasher) and the time; they never read Flask's app.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.accounts import users
from certsvc.store import audit, keystore
from certsvc.store.models import Credential, CredentialClaim, WalletUser, utcnow
from certsvc.wallet.errors import ClaimLocked, ClaimUsed, WalletError, WrongClaim
from certsvc.wallet.holders import wallet_actor
from certsvc.wallet.throttle import ThrottlePolicy, begin_attempt

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CLAIM_CODE_CHARS = 10
PIN_DIGITS = 6
#: Wrong PINs a claim code takes before it locks (the provider then makes a new code).
MAX_PIN_FAILURES = 5
#: What people type by mistake for the letters Crockford base32 leaves out.
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = re.compile(r"[\s\-.]+")
#: Throttle key in the shared login-failure table; whitespace never occurs in an email.
_CLAIM_KEY = "wallet claim"
#: HKDF purpose of the claim secrets' HMAC key.
CLAIM_KEY_PURPOSE = "claim secrets"
#: How a keyed PIN hash starts (argon2id hashes start with ``$argon2id$``).
PIN_HMAC_PREFIX = "hmac-sha256$"
#: Audit action of a provider replacing a credential's claim code.
CLAIM_CODE_REPLACED = "wallet.claim_code_replaced"


class ClaimAlreadyInWallet(WalletError):
    """A new claim code was asked for a credential its holder has claimed already."""

    code = "claim_already_in_wallet"
    http_status = 409


class ClaimSecrets(NamedTuple):
    """A claim code (as printed, in two groups of five) and its PIN; shown once, never stored."""

    code: str
    pin: str


@dataclass(frozen=True)
class ClaimSlip:
    """What a learner needs to claim one credential, as printed on a claim slip (shown once)."""

    holder: str
    qualification: str
    public_id: str
    code: str
    pin: str
    #: The learner's language (a catalogue code: ``en``, ``es``, ``fil``, ``my``, ...) for the instructions.
    language: str


def new_claim_code() -> str:
    """Return a random claim code: 10 Crockford base32 characters (50 bits)."""
    bits = secrets.randbits(5 * CLAIM_CODE_CHARS)  # one draw, five bits a character
    return "".join(CROCKFORD[(bits >> (5 * i)) & 31] for i in range(CLAIM_CODE_CHARS))


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


def claim_key(kek: str) -> bytes:
    """The HMAC key of claim secrets, derived from the KEK (cached; never stored)."""
    return keystore.derived_key(kek, CLAIM_KEY_PURPOSE)


def claim_code_hash(code: str, key: bytes | None = None) -> str:
    """What the database keeps of a normalised claim code: its HMAC under ``key`` (hex).

    Without a key, the plain SHA-256 that rows made before keyed hashes carry.
    """
    if key is None:
        return hashlib.sha256(code.encode("ascii")).hexdigest()
    return hmac.new(key, b"claim code\0" + code.encode("ascii"), hashlib.sha256).hexdigest()


def pin_hash(code: str, pin: str, key: bytes) -> str:
    """What the database keeps of a PIN: HMAC over the code and the PIN, marked as such."""
    mac = hmac.new(key, b"claim pin\0" + code.encode("ascii") + b"\0" + pin.encode("ascii"), hashlib.sha256)
    return PIN_HMAC_PREFIX + mac.hexdigest()


def claim_values(credential_id: int, key: bytes) -> tuple[dict[str, object], ClaimSecrets]:
    """A new claim row's columns for a credential (to insert in bulk) and its secrets (shown once)."""
    code, pin = new_claim_code(), new_pin()
    row = {
        "credential_id": credential_id,
        "code_hash": claim_code_hash(code, key),
        "pin_hash": pin_hash(code, pin, key),
        "failures": 0,
    }
    return row, ClaimSecrets(format_claim_code(code), pin)


def create_claim(
    session: Session,
    credential: Credential,
    *,
    kek: str | None = None,
    hasher: PasswordHasher | None = None,
    code: str | None = None,
    pin: str | None = None,
    actor: str = "system",
    action: str = "wallet.claim_code_made",
    now: datetime | None = None,
) -> ClaimSecrets:
    """Make (or replace, while unclaimed) the credential's claim code and PIN; return them once.

    With ``kek`` both are stored as keyed hashes (the way every issuing path makes them);
    without it, the older way (SHA-256 and argon2id with ``hasher``), kept for tools and
    tests that have no KEK.
    """
    code = normalise_claim_code(code) if code is not None else new_claim_code()
    pin = pin if pin is not None else new_pin()
    if code is None or not _is_pin(pin):
        raise WalletError("a claim code has 10 base32 characters and a PIN 6 digits")
    claim = session.get(CredentialClaim, credential.id, with_for_update=True)
    if claim is not None and claim.claimed_at is not None:
        raise ClaimUsed("this credential is already in a wallet", mine=False)
    if claim is None:
        claim = CredentialClaim(credential_id=credential.id)
        session.add(claim)
    if kek is not None:
        key = claim_key(kek)
        claim.code_hash, claim.pin_hash = claim_code_hash(code, key), pin_hash(code, pin, key)
    else:
        claim.code_hash, claim.pin_hash = claim_code_hash(code), (hasher or users.make_password_hasher()).hash(pin)
    claim.failures = 0
    session.flush()
    audit.append(session, action, actor=actor, org_id=credential.provider_id, subject=credential.public_id, now=now)
    return ClaimSecrets(format_claim_code(code), pin)


def replace_claim(
    session: Session, credential: Credential, *, kek: str, actor: str, now: datetime | None = None
) -> ClaimSecrets:
    """Give an unclaimed credential a new claim code and PIN (the old code stops working); audited.

    Refused with ClaimAlreadyInWallet once the credential is in a wallet: the holder has it.
    """
    found = session.get(CredentialClaim, credential.id, with_for_update=True)
    if found is not None and found.claimed_at is not None:
        raise ClaimAlreadyInWallet("this credential is already in its holder's wallet; no new claim code is needed")
    return create_claim(session, credential, kek=kek, actor=actor, action=CLAIM_CODE_REPLACED, now=now)


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
    kek: str | None = None,
) -> CredentialClaim:
    """Check a claim code and PIN without using them; count a failure per code and per client.

    With ``kek`` codes stored either way are found; without it only the older ones.
    Raises ClaimThrottled, WrongClaim, ClaimLocked or ClaimUsed. On WrongClaim the caller
    commits, so that the failure counts although nothing was claimed.
    """
    now = now or utcnow()
    # Counted before it is checked (parallel guesses cannot pass the limit); released unless it was wrong.
    attempt = begin_attempt(session, _CLAIM_KEY, address, policy, now)
    key = claim_key(kek) if kek is not None else None
    code = normalise_claim_code(unverified_code)
    claim = None
    if code is not None:
        hashes = {claim_code_hash(code)} | ({claim_code_hash(code, key)} if key is not None else set())
        claim = session.scalar(
            select(CredentialClaim).where(CredentialClaim.code_hash.in_(sorted(hashes))).with_for_update()
        )
    if claim is None or code is None:
        if key is None:
            # The same argon2 work as a real PIN check: timing does not tell whether a code exists.
            users.verify_secret(hasher, users.dummy_hash(hasher), unverified_pin)
        raise WrongClaim("the claim code or the PIN is wrong")
    if claim.failures >= MAX_PIN_FAILURES:
        attempt.release()
        raise ClaimLocked("too many wrong PINs were tried with this claim code")
    if not _is_pin(unverified_pin.strip()) or not _pin_matches(claim, code, unverified_pin.strip(), key, hasher):
        claim.failures += 1
        raise WrongClaim("the claim code or the PIN is wrong")
    attempt.release()
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
    kek: str | None = None,
) -> Credential:
    """Put the credential of a claim code and PIN into ``wallet_user``'s wallet; a code works once."""
    found = find_claim(
        session,
        unverified_code,
        unverified_pin,
        address=address,
        hasher=hasher or users.make_password_hasher(),
        policy=policy or ThrottlePolicy(),
        wallet_user=wallet_user,
        now=now,
        kek=kek,
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


def _pin_matches(claim: CredentialClaim, code: str, pin: str, key: bytes | None, hasher: PasswordHasher) -> bool:
    if claim.pin_hash.startswith(PIN_HMAC_PREFIX):
        return key is not None and hmac.compare_digest(claim.pin_hash, pin_hash(code, pin, key))
    return users.verify_secret(hasher, claim.pin_hash, pin)  # made before keyed hashes: argon2id


def _is_pin(pin: str) -> bool:
    return len(pin) == PIN_DIGITS and pin.isascii() and pin.isdigit()
