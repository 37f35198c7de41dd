"""The trust list's qualification catalogue: what every credential of a qualification repeats.

Each entry is a provider's Open Badges ``achievement`` object exactly as its credentials carry
it, less ``achievementType`` (which says how it was awarded, not what it is). Verifiers show it,
and the QR transport uses it as a dictionary so that it need not travel in every QR code.
An entry is named by the SHA-256 of its canonical bytes: the compact JSON serialisation
(no white space, members in the order given, non-ASCII characters as UTF-8), which is also
what ``JSON.stringify`` writes for the values an entry may hold.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from certsvc.credentials.errors import TrustListError
from certsvc.credentials.openbadge import Kind, Qualification, achievement_of

#: A catalogue bigger than this is refused: it would make the trust list too large to fetch.
MAX_ENTRIES = 4096
#: With the version 2 dictionary and the origin, an entry this large still fits one DEFLATE window.
MAX_ENTRY_BYTES = 7 * 1024
MAX_DEPTH = 6
AWARD_MEMBER = "achievementType"
#: JSON numbers that every JSON implementation reads and writes the same way.
_SAFE_INTEGER = 2**53 - 1
#: Object keys that JavaScript would move to the front of an object (array indexes).
_INDEX_KEY = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class CatalogueEntry:
    """One qualification as a provider awards it, pinned by the digest of its canonical bytes."""

    provider: str
    canonical: bytes

    @cached_property
    def achievement(self) -> dict[str, Any]:
        """The entry's achievement object (without ``achievementType``)."""
        loaded: dict[str, Any] = json.loads(self.canonical)
        return loaded

    @property
    def qualification(self) -> str:
        """The qualification URI (the achievement's ``id``)."""
        return str(self.achievement["id"])

    @cached_property
    def digest(self) -> bytes:
        """SHA-256 of the canonical bytes: what a QR code pins."""
        return hashlib.sha256(self.canonical).digest()


def canonical_json(value: Any) -> bytes:
    """Serialise compactly, as credential payloads are."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_for(qualification: Qualification, provider_id: str) -> CatalogueEntry:
    """The catalogue entry of a qualification, as the provider's credentials carry it."""
    achievement = achievement_of(qualification, Kind.TRAINING)
    del achievement[AWARD_MEMBER]
    return CatalogueEntry(provider_id, canonical_json(achievement))


def entry_of_achievement(unverified_achievement: Any, provider_id: str) -> CatalogueEntry | None:
    """The entry a credential's achievement object would be pinned by, if it has the catalogue's shape."""
    if not isinstance(unverified_achievement, dict) or AWARD_MEMBER not in unverified_achievement:
        return None
    achievement = {k: v for k, v in unverified_achievement.items() if k != AWARD_MEMBER}
    try:
        _check_value(achievement, 0)
        canonical = canonical_json(achievement)
    except (TrustListError, UnicodeEncodeError):
        return None
    return CatalogueEntry(provider_id, canonical) if len(canonical) <= MAX_ENTRY_BYTES else None


def catalogue_to_json(entries: Iterable[CatalogueEntry]) -> list[dict[str, Any]]:
    """The trust list's ``catalogue`` member."""
    # Parsed afresh: a caller that edits the claims must not edit the entries (their cached achievement).
    return [{"provider": e.provider, "achievement": json.loads(e.canonical)} for e in entries]


def catalogue_from_json(unverified: Any, organisations: dict[str, str]) -> tuple[CatalogueEntry, ...]:
    """Check and load the ``catalogue`` member; ``organisations`` maps org ids to their kind."""
    if unverified is None:
        return ()
    if not isinstance(unverified, list) or len(unverified) > MAX_ENTRIES:
        raise TrustListError(f"the catalogue must be a list of at most {MAX_ENTRIES} entries")
    entries = tuple(_entry_from_json(item, organisations) for item in unverified)
    if len({(e.provider, e.canonical) for e in entries}) != len(entries):
        raise TrustListError("the catalogue lists an entry twice")
    return entries


def _entry_from_json(unverified: Any, organisations: dict[str, str]) -> CatalogueEntry:
    if not isinstance(unverified, dict) or set(unverified) != {"provider", "achievement"}:
        raise TrustListError("a catalogue entry holds exactly 'provider' and 'achievement'")
    provider, achievement = unverified["provider"], unverified["achievement"]
    if organisations.get(provider) != "provider":
        raise TrustListError("a catalogue entry must name a provider of the trust list")
    if not isinstance(achievement, dict) or AWARD_MEMBER in achievement:
        raise TrustListError("a catalogue achievement is an object without 'achievementType'")
    if not isinstance(achievement.get("id"), str) or achievement.get("type") != ["Achievement"]:
        raise TrustListError("a catalogue achievement needs an 'id' and type ['Achievement']")
    if not isinstance(achievement.get("name"), str) or not achievement["name"].strip():
        raise TrustListError("a catalogue achievement needs a name")
    _check_value(achievement, 0)
    try:
        canonical = canonical_json(achievement)
    except UnicodeEncodeError as exc:
        raise TrustListError("a catalogue achievement holds text that is not Unicode") from exc
    if len(canonical) > MAX_ENTRY_BYTES:
        raise TrustListError(f"a catalogue achievement is larger than {MAX_ENTRY_BYTES} bytes")
    return CatalogueEntry(provider, canonical)


def _check_value(value: Any, depth: int) -> None:
    """Allow only values every JSON implementation serialises to the same bytes."""
    if depth > MAX_DEPTH:
        raise TrustListError("a catalogue achievement is nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            if not key or _INDEX_KEY.fullmatch(key):
                raise TrustListError("a catalogue achievement has an empty or numeric member name")
            _check_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        return
    elif isinstance(value, int):
        if abs(value) > _SAFE_INTEGER:
            raise TrustListError("a catalogue achievement holds a number out of range")
    else:
        raise TrustListError("a catalogue achievement holds a value other than text, integers and true/false")
