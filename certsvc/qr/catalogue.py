"""The QR transport's per-qualification dictionary, taken from the trust lists' catalogues.

A version 2 QR code may pin one catalogue entry by the first ``PIN_BYTES`` bytes of its
SHA-256. Should two entries a verifier holds share those bytes, the decoder tries each and keeps
the one whose provider issued the credential. The entry's values then need not travel:
one slot code stands for all of them, and the entry's skeleton and values extend the DEFLATE dictionary. A pin names
bytes, not a trust-list version, so a QR code decodes with any trust list that still carries
the entry, however much else has changed.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from certsvc.credentials.catalogue import CatalogueEntry
from certsvc.credentials.trustlist import TrustList
from certsvc.qr import markers, skeleton
from certsvc.qr.errors import CatalogueEntryUnknown

PIN_BYTES = 4


@dataclass(frozen=True)
class EntryDictionary:
    """What the transport makes of one catalogue entry."""

    pin: bytes
    values: tuple[bytes, ...]
    zdict: bytes
    providers: frozenset[str] = frozenset()


@lru_cache(maxsize=1024)
def dictionary_of(canonical: bytes) -> EntryDictionary:
    """Split an entry's canonical bytes into its skeleton and values, as the transport does."""
    shape, values = skeleton.split(canonical)
    entry = CatalogueEntry("", canonical)
    return EntryDictionary(entry.digest[:PIN_BYTES], tuple(values), shape + b"\x00" + b"\x00".join(values))


class _Index:
    """Entry dictionaries by pin and key URIs by name, for one trust list (built once, then O(1))."""

    def __init__(self, trust_list: TrustList) -> None:
        self.keys: dict[bytes, bytes | None] = {}
        for org in (trust_list.authority, *trust_list.organisations):
            for key in org.keys:
                uri = key.uri.encode()
                name = markers.key_name(uri)
                self.keys[name] = uri if self.keys.get(name, uri) == uri else None
        entries = trust_list.catalogue
        self.by_pin: dict[bytes, dict[bytes, EntryDictionary]] = {}
        for entry in entries:
            found = dictionary_of(entry.canonical)
            same = self.by_pin.setdefault(found.pin, {})
            known = same.get(found.zdict, found)
            same[found.zdict] = dataclasses.replace(known, providers=known.providers | {entry.provider})


_INDEXES: dict[int, tuple[weakref.ref[TrustList], _Index]] = {}


def _index_of(trust_list: TrustList) -> _Index:
    cached = _INDEXES.get(id(trust_list))
    if cached is not None and cached[0]() is trust_list:
        return cached[1]
    index = _Index(trust_list)
    key = id(trust_list)
    _INDEXES[key] = (weakref.ref(trust_list, lambda _ref, key=key: _INDEXES.pop(key, None)), index)
    return index


def find_pinned(unverified_pin: bytes, trust_lists: Iterable[TrustList]) -> list[EntryDictionary]:
    """Find the entries a QR code may pin among the trust lists a verifier holds (almost always one)."""
    found: dict[bytes, EntryDictionary] = {}
    for trust_list in trust_lists:
        for zdict, entry in _index_of(trust_list).by_pin.get(unverified_pin, {}).items():
            known = found.get(zdict)
            # The same entry in several lists: one candidate, with every provider that publishes it.
            found[zdict] = (
                entry if known is None else dataclasses.replace(known, providers=known.providers | entry.providers)
            )
    if not found:
        raise CatalogueEntryUnknown(
            "the QR code names a qualification that none of the trust lists held here describes: "
            "load a newer trust list of the holder's country",
            pin=unverified_pin.hex(),
        )
    return list(found.values())


def find_for_payload(canonical: bytes, trust_lists: Iterable[TrustList]) -> EntryDictionary | None:
    """The entry an encoder may pin for an achievement: only one a trust list publishes."""
    wanted = dictionary_of(canonical)
    for trust_list in trust_lists:
        if wanted.zdict in _index_of(trust_list).by_pin.get(wanted.pin, {}):
            return wanted
    return None


class KeyNames:
    """Key URIs of the held trust lists by the bytes that name them, looked up lazily."""

    def __init__(self, trust_lists: Iterable[TrustList]) -> None:
        self.indexes = [_index_of(t) for t in trust_lists]

    def get(self, name: bytes) -> bytes | None:
        """The URI the bytes name; None if no held key has them, or two different keys share them."""
        found = {uri for index in self.indexes if name in index.keys for uri in (index.keys[name],)}
        return found.pop() if len(found) == 1 else None

    def __contains__(self, name: object) -> bool:
        return any(name in index.keys for index in self.indexes)


def key_names(trust_lists: Iterable[TrustList]) -> KeyNames:
    """The key URIs the trust lists carry, by the bytes that name them."""
    return KeyNames(trust_lists)
