"""The holder's credentials as the wallet shows them: state in words, qualification level, verification counts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from certsvc.credentials.openbadge import Kind
from certsvc.store.models import (
    Credential,
    CredentialClaim,
    CredentialState,
    Qualification,
    VerificationEvent,
    WalletUser,
)
from certsvc.wallet.errors import NotInWallet


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


def _payload(credential: Credential) -> dict[str, object]:
    loaded = json.loads(credential.payload)
    return loaded if isinstance(loaded, dict) else {}


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
