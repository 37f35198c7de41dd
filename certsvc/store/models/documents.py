"""Versions of the published documents, bumped in the same transaction as the change they follow.

Every app node caches signed documents (status lists, the verifier's trust lists) and
compares a version read from the database before serving them, so a change made through
one node is seen by all at once. Two versions exist:

- ``StatusListRecord.version``: bumped when a credential of that list changes status
  (revoked, suspended, reinstated, co-signature withdrawn).
- ``document_versions`` row ``trust``: bumped when anything a trust list holds changes
  (organisations, keys, qualifications, accreditations, equivalences, embassy enrolments).

The bumps are made by session events, whoever writes through the ORM (pages, API, CLI):
a flush that changes such rows, and ORM-enabled bulk ``insert``/``update``/``delete``
statements on those models.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, String, event, inspect, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, UOWTransaction, mapped_column

from certsvc.store.models.authority import EmbassyEnrolment
from certsvc.store.models.base import Base
from certsvc.store.models.credentials import Credential, CredentialState, StatusListRecord
from certsvc.store.models.orgs import Organisation, SigningKeyRecord
from certsvc.store.models.recognition import Accreditation, Equivalence, Qualification

TRUST = "trust"
#: Models whose rows a trust list is built from.
TRUST_MODELS = (Organisation, SigningKeyRecord, Qualification, Accreditation, Equivalence, EmbassyEnrolment)
_STATUS_STATES = {CredentialState.REVOKED: 1, CredentialState.SUSPENDED: 2}


class DocumentVersion(Base):
    """How many times the documents of one kind have changed (one row per kind, made on first change)."""

    __tablename__ = "document_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


def bump_trust(connection: Connection) -> None:
    """Count one change of trust-list contents (upsert: the row exists once anything changed)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = DocumentVersion.__table__
    statement = dialect.insert(table).values(name=TRUST, version=1)
    statement = statement.on_conflict_do_update(index_elements=["name"], set_={"version": table.c.version + 1})
    connection.execute(statement)


def bump_status_lists(connection: Connection, list_ids: set[int] | None) -> None:
    """Count one change of the given status lists (all of them when ``list_ids`` is None)."""
    table = StatusListRecord.__table__
    statement = update(table).values(version=table.c.version + 1)
    if list_ids is not None:
        statement = statement.where(table.c.id.in_(sorted(list_ids)))
    connection.execute(statement)


def _status_of(state: Any, withdrawn_at: Any) -> int:
    if state in _STATUS_STATES:
        return _STATUS_STATES[state]
    return 3 if withdrawn_at is not None else 0


def _changed_lists(session: Session) -> set[int]:
    changed = set()
    for obj in session.dirty:
        if not isinstance(obj, Credential):
            continue
        (state_before, state_after), (withdrawn_before, withdrawn_after) = (
            _history(obj, name) for name in ("state", "withdrawn_at")
        )
        if _status_of(state_before, withdrawn_before) != _status_of(state_after, withdrawn_after):
            changed.add(obj.status_list_id)
    return changed


def _history(obj: Any, name: str) -> tuple[Any, Any]:
    # The value the attribute had when loaded, and the value it has now.
    history = inspect(obj).attrs[name].history
    before = history.deleted[0] if history.deleted else (history.unchanged[0] if history.unchanged else None)
    after = history.added[0] if history.added else before
    return before, after


def _trust_changed(session: Session) -> bool:
    if any(isinstance(o, TRUST_MODELS) for o in (*session.new, *session.deleted)):
        return True
    return any(isinstance(o, TRUST_MODELS) and session.is_modified(o, include_collections=False) for o in session.dirty)


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    lists = _changed_lists(session)
    trust = _trust_changed(session)
    if not lists and not trust:
        return
    connection = session.connection()
    if lists:
        bump_status_lists(connection, lists)
    if trust:
        bump_trust(connection)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    model = state.bind_mapper.class_
    if issubclass(model, TRUST_MODELS):
        bump_trust(state.session.connection())
    elif issubclass(model, Credential) and not state.is_insert:
        bump_status_lists(state.session.connection(), None)
