"""The national qualification catalogue and the equivalence rules that map foreign qualifications to it.

Equivalence rules travel in the trust list (code, title, framework, level and note of the
national qualification), so changing a rule, or a catalogue entry a rule maps to, publishes
a new trust-list version. Like all authority work, every change is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certsvc.authority.changes import (
    AuthorityConflict,
    AuthorityError,
    Change,
    NotFound,
    record_change,
    require_authority,
    require_text,
)
from certsvc.store.models import Equivalence, NationalQualification, Organisation, OrgKind, Qualification

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")
ISCO_PATTERN = re.compile(r"[0-9]{1,4}")
MAX_TITLE, MAX_FRAMEWORK, MAX_LEVEL, MAX_NOTE = 200, 64, 16, 2000


@dataclass(frozen=True)
class NationalQualificationData:
    """A national qualification as the authority enters it."""

    code: str
    title: str
    framework: str
    level: str
    isco_code: str


# -- national catalogue -----------------------------------------------------------------


def add_national_qualification(
    session: Session, authority: Organisation, data: NationalQualificationData, change: Change
) -> NationalQualification:
    """Add a qualification to the national catalogue."""
    require_authority(authority)
    checked = _checked_national(data)
    _check_code_free(session, authority, checked.code)
    entry = NationalQualification(authority_id=authority.id, created_at=change.now, updated_at=change.now)
    _assign(entry, checked)
    session.add(entry)
    session.flush()
    record_change(session, authority, "national_qualification.added", entry.code, change, _national_details(entry))
    return entry


def update_national_qualification(
    session: Session, authority: Organisation, entry_id: int, data: NationalQualificationData, change: Change
) -> NationalQualification:
    """Change a catalogue entry; equivalence rules that map to it follow (code, title, framework)."""
    entry = get_national_qualification(session, authority, entry_id)
    checked = _checked_national(data)
    if checked.code != entry.code:
        _check_code_free(session, authority, checked.code)
    for rule in _rules_mapping_to(session, authority, entry.code):
        rule.national_code, rule.national_title, rule.framework = checked.code, checked.title, checked.framework
    old_code = entry.code
    _assign(entry, checked)
    entry.updated_at = change.now
    details = {**_national_details(entry), "previous_code": old_code}
    record_change(session, authority, "national_qualification.updated", entry.code, change, details)
    return entry


def delete_national_qualification(session: Session, authority: Organisation, entry_id: int, change: Change) -> None:
    """Delete a catalogue entry that no equivalence rule uses."""
    entry = get_national_qualification(session, authority, entry_id)
    if _rules_mapping_to(session, authority, entry.code):
        raise AuthorityConflict("equivalence rules map to this qualification; change or remove them first")
    session.delete(entry)
    session.flush()
    record_change(session, authority, "national_qualification.deleted", entry.code, change, _national_details(entry))


def get_national_qualification(session: Session, authority: Organisation, entry_id: int) -> NationalQualification:
    """A catalogue entry of this authority, or NotFound."""
    require_authority(authority)
    entry = session.get(NationalQualification, entry_id)
    if entry is None or entry.authority_id != authority.id:
        raise NotFound("no such national qualification")
    return entry


def national_catalogue(session: Session, authority: Organisation) -> list[NationalQualification]:
    """The authority's national qualifications by code."""
    require_authority(authority)
    query = (
        select(NationalQualification)
        .where(NationalQualification.authority_id == authority.id)
        .order_by(NationalQualification.code)
    )
    return list(session.scalars(query))


def _checked_national(data: NationalQualificationData) -> NationalQualificationData:
    code, title = data.code.strip(), " ".join(data.title.split())
    framework, level, isco = data.framework.strip(), data.level.strip(), data.isco_code.strip()
    if not CODE_PATTERN.fullmatch(code):
        raise AuthorityError("a code is 1-64 letters, digits and . _ / -", field="code")
    require_text(title, MAX_TITLE, "title")
    require_text(framework, MAX_FRAMEWORK, "framework")
    require_text(level, MAX_LEVEL, "level")
    if not ISCO_PATTERN.fullmatch(isco):
        raise AuthorityError("an ISCO-08 code is 1 to 4 digits", field="isco_code")
    return NationalQualificationData(code, title, framework, level, isco)


def _assign(entry: NationalQualification, data: NationalQualificationData) -> None:
    entry.code, entry.title, entry.framework = data.code, data.title, data.framework
    entry.level, entry.isco_code = data.level, data.isco_code


def _check_code_free(session: Session, authority: Organisation, code: str) -> None:
    taken = session.scalar(
        select(NationalQualification.id).where(
            NationalQualification.authority_id == authority.id, NationalQualification.code == code
        )
    )
    if taken is not None:
        raise AuthorityConflict("the catalogue already has this code", field="code")


def _national_details(entry: NationalQualification) -> dict[str, Any]:
    return {"title": entry.title, "framework": entry.framework, "level": entry.level, "isco": entry.isco_code}


def _rules_mapping_to(session: Session, authority: Organisation, code: str) -> list[Equivalence]:
    query = select(Equivalence).where(Equivalence.authority_id == authority.id, Equivalence.national_code == code)
    return list(session.scalars(query))


# -- equivalence rules ------------------------------------------------------------------


def set_equivalence(
    session: Session,
    authority: Organisation,
    qualification_id: int,
    national_id: int,
    change: Change,
    *,
    level: str | None = None,
    note: str = "",
) -> Equivalence:
    """Map a foreign qualification to a national one (at its level unless ``level`` says otherwise)."""
    require_authority(authority)
    qualification = session.get(Qualification, qualification_id)
    if qualification is None or qualification.provider.kind is not OrgKind.PROVIDER:
        raise NotFound("no such qualification")
    national = get_national_qualification(session, authority, national_id)
    level = (level or "").strip() or national.level
    require_text(level, MAX_LEVEL, "level")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise AuthorityError(f"a note has at most {MAX_NOTE} characters", field="note")
    rule = session.scalar(
        select(Equivalence).where(
            Equivalence.authority_id == authority.id, Equivalence.qualification_id == qualification.id
        )
    )
    action = "equivalence.changed" if rule is not None else "equivalence.set"
    if rule is None:
        rule = Equivalence(authority_id=authority.id, qualification_id=qualification.id, created_at=change.now)
        session.add(rule)
    rule.national_code, rule.national_title, rule.framework = national.code, national.title, national.framework
    rule.level, rule.note = level, note
    session.flush()
    subject = f"{qualification.provider.slug}/{qualification.code}"
    details = {"national": national.code, "level": level, "note": note}
    record_change(session, authority, action, subject, change, details)
    return rule


def remove_equivalence(session: Session, authority: Organisation, rule_id: int, change: Change) -> None:
    """Delete an equivalence rule: the qualification is then authentic but no longer recognised."""
    rule = get_equivalence(session, authority, rule_id)
    subject = f"{rule.qualification.provider.slug}/{rule.qualification.code}"
    session.delete(rule)
    session.flush()
    record_change(session, authority, "equivalence.removed", subject, change, {"national": rule.national_code})


def get_equivalence(session: Session, authority: Organisation, rule_id: int) -> Equivalence:
    """One of this authority's rules, or NotFound."""
    require_authority(authority)
    rule = session.get(Equivalence, rule_id)
    if rule is None or rule.authority_id != authority.id:
        raise NotFound("no such equivalence rule")
    return rule


def list_equivalences(session: Session, authority: Organisation) -> list[Equivalence]:
    """The authority's equivalence rules."""
    require_authority(authority)
    query = select(Equivalence).where(Equivalence.authority_id == authority.id).order_by(Equivalence.id)
    return list(session.scalars(query))
