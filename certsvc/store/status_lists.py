"""Status lists built from the database: the signed list of revoked, suspended and withdrawn credentials."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from certsvc.credentials import identifiers
from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.statuslist import StatusList, sign_status_list
from certsvc.store.credential_records import status_value
from certsvc.store.models import Credential, CredentialState, Organisation, StatusListRecord
from certsvc.store.signers import signer_for

STATUS_TTL = 300


class DocumentNotFound(CertsvcError):
    code = "not_found"
    http_status = 404


def status_list_token(
    session: Session, org: Organisation, list_number: int, *, base_url: str, kek: str, now: datetime
) -> tuple[str, int]:
    """Sign the current state of one of ``org``'s status lists; return it with its ttl."""
    record = session.scalar(
        select(StatusListRecord).where(StatusListRecord.org_id == org.id, StatusListRecord.list_number == list_number)
    )
    if record is None:
        raise DocumentNotFound("no such status list")
    statuses = StatusList(record.size, bits=record.bits)
    changed = session.scalars(
        select(Credential).where(
            Credential.status_list_id == record.id,
            or_(
                Credential.state.in_([CredentialState.REVOKED, CredentialState.SUSPENDED]),
                Credential.withdrawn_at.is_not(None),
            ),
        )
    )
    for credential in changed:
        statuses.set(credential.status_idx, status_value(credential))
    signer = signer_for(session, org, kek, base_url)
    uri = identifiers.status_list_uri(base_url, org.slug, list_number)
    token = sign_status_list(statuses, signer.key, signer.kid_uri, uri, now, ttl_seconds=record.ttl)
    return token, record.ttl


def status_list_numbers(session: Session) -> list[tuple[Organisation, int]]:
    """Every status list that exists, with its organisation."""
    rows = session.execute(
        select(StatusListRecord.org_id, StatusListRecord.list_number).order_by(StatusListRecord.id)
    ).all()
    return [(org, number) for org_id, number in rows if (org := session.get(Organisation, org_id)) is not None]
