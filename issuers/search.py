"""Finding learners and credentials from what a member of staff types: a name, an ID number or a credential number.

A name matches when every word of it appears in the learner's name (any case). A credential
number matches from its first four characters, read as Crockford base32 reads them (O is
0, I and L are 1, dashes and spaces ignored). An ID document number is never stored: it
matches when its salted hash equals a learner's, so the check runs over the provider's
learners one hash each (SHA-256: microseconds), never through the database.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from certsvc.credentials.identifiers import PUBLIC_ID_CHARS
from certsvc.credentials.openbadge import hash_id_number, normalize_id_number
from certsvc.store.models import Credential, Learner

MAX_QUERY = 100
MAX_WORDS = 8
#: A credential number is looked up from this many characters on (fewer match too much).
MIN_PUBLIC_ID_PREFIX = 4
#: The shortest ID document number worth checking (shorter ones are a name or a typo).
MIN_ID_NUMBER = 5
_CROCKFORD = str.maketrans({"O": "0", "I": "1", "L": "1"})


def clean_query(unverified_query: str | None) -> str:
    """The typed search as the lookups take it: no control characters, single spaces, at most ``MAX_QUERY``."""
    # NUL and other controls are in no name or number (and PostgreSQL refuses NUL in text).
    printable = "".join(ch if ch.isprintable() else " " for ch in (unverified_query or "")[: MAX_QUERY * 4])
    return " ".join(printable.split())[:MAX_QUERY]


def name_matches(column: InstrumentedAttribute[str], query: str) -> ColumnElement[bool]:
    """Every word of ``query`` appears in ``column``, in any case (LIKE wildcards in the query are literal)."""
    words = query.split()[:MAX_WORDS]
    if not words:
        return false()
    return and_(*(column.icontains(word, autoescape=True) for word in words))


def public_id_prefix(query: str) -> str | None:
    """The credential number ``query`` could be the start of, or None."""
    text = "".join(ch for ch in query.upper() if ch.isalnum()).translate(_CROCKFORD)
    if not MIN_PUBLIC_ID_PREFIX <= len(text) <= PUBLIC_ID_CHARS or not text.isascii():
        return None
    return text


def public_id_matches(query: str) -> ColumnElement[bool]:
    """The credential's number starts with what ``query`` reads as."""
    prefix = public_id_prefix(query)
    return Credential.public_id.startswith(prefix, autoescape=True) if prefix else false()


def learners_with_id_number(session: Session, provider_id: int, typed_number: str) -> list[int]:
    """Ids of the provider's learners whose salted ID-number hash matches ``typed_number``."""
    normalized = normalize_id_number(typed_number)
    if len(normalized) < MIN_ID_NUMBER or not any(ch.isdigit() for ch in normalized):
        return []
    rows = session.execute(
        select(Learner.id, Learner.id_number_salt, Learner.id_number_hash).where(Learner.provider_id == provider_id)
    )
    return [
        learner_id for learner_id, salt, stored in rows if hmac.compare_digest(hash_id_number(normalized, salt), stored)
    ]


def learner_matches(learner_ids: Sequence[int], query: str) -> ColumnElement[bool]:
    """A learner found by name or (``learner_ids``) by ID number."""
    by_id = Learner.id.in_(learner_ids) if learner_ids else false()
    return or_(name_matches(Learner.name, query), by_id)


def learner_found(session: Session, provider_id: int, query: str) -> ColumnElement[bool]:
    """One of the provider's learners whose name has every word of ``query``, or whose ID number it is."""
    return learner_matches(learners_with_id_number(session, provider_id, query), query)
