"""Reading the service's QR codes in tests: a QR code pins its trust list's catalogue entry, so
decoding it needs the trust lists the service published (as any verifier does)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certsvc.credentials.cosigned import CoSignedCredential
from certsvc.credentials.trustlist import TrustList, parse_trust_list
from certsvc.qr.transport import decode_qr_text
from certsvc.store import db
from certsvc.store.models import TrustListVersion


def published_trust_lists(database_url: str) -> list[TrustList]:
    """The newest trust list each authority of the database has published."""
    # Deferred: a reader that never holds the write lock the app's own transactions take.
    engine = db.make_engine(database_url, sqlite_begin="DEFERRED")
    try:
        with Session(engine) as session:
            newest = select(TrustListVersion.authority_id, func.max(TrustListVersion.sequence)).group_by(
                TrustListVersion.authority_id
            )
            tokens = [
                session.scalar(
                    select(TrustListVersion.token).where(
                        TrustListVersion.authority_id == authority_id, TrustListVersion.sequence == sequence
                    )
                )
                for authority_id, sequence in session.execute(newest)
            ]
    finally:
        engine.dispose()
    return [parse_trust_list(token) for token in tokens if token]


def decode_published(text: str, database_url: str) -> CoSignedCredential:
    """Decode a QR text of the service with the trust lists it published."""
    return decode_qr_text(text, published_trust_lists(database_url))
