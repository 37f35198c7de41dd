"""What the issuing service knows of a credential: one indexed read of its row, for the online verdict.

The online verifier looks the credential up by the public id in its ``id``
(``{BASE_URL}/c/{public id}``). A credential this service did not issue, or whose payload
bytes differ from the ones it signed, has no record; the record's state is the status right
now (a revocation or withdrawal counts at once, on every node).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.credentials.b64 import b64url_decode
from certsvc.credentials.cosigned import Signature
from certsvc.credentials.errors import Malformed
from certsvc.credentials.identifiers import credential_uri
from certsvc.credentials.statuslist import Status
from certsvc.store import db
from certsvc.store.credential_records import STATUS_OF_STATE
from certsvc.store.models import Credential, CredentialState
from verifier.issued import IssuedRecord, RecordLookup

MAX_PUBLIC_ID = 32


def record_lookup(session: Session, base_url: str) -> RecordLookup:
    """A lookup of credentials by id in ``session`` (one query per credential, by the unique public id)."""
    prefix = credential_uri(base_url.rstrip("/"), "")

    def lookup(credential_id: str) -> IssuedRecord | None:
        public_id = credential_id[len(prefix) :] if credential_id.startswith(prefix) else ""
        if not public_id or len(public_id) > MAX_PUBLIC_ID or not public_id.isalnum():
            return None
        row = session.execute(
            select(Credential.payload, Credential.state, Credential.withdrawn_at, Credential.cosign_jws).where(
                Credential.public_id == public_id
            )
        ).first()
        return None if row is None else _record(*row)

    return lookup


@contextmanager
def open_records() -> Iterator[RecordLookup]:
    """The current app's lookup, on a session of its own that is closed (its transaction ended) at once after."""
    with db.session_factory(current_app)() as session:
        yield record_lookup(session, str(current_app.config["BASE_URL"]))


def _record(payload: bytes, state: CredentialState, withdrawn_at: object, cosign_jws: str | None) -> IssuedRecord:
    status = STATUS_OF_STATE.get(state, Status.COSIGNATURE_WITHDRAWN if withdrawn_at is not None else Status.VALID)
    declined = state is CredentialState.REJECTED
    return IssuedRecord(bytes(payload), Status(status), None if declined else _signature(cosign_jws), declined)


def _signature(compact: str | None) -> Signature | None:
    if not compact:
        return None
    parts = compact.split(".")
    try:
        return Signature(b64url_decode(parts[0]), b64url_decode(parts[2]))
    except (IndexError, Malformed):
        return None
