"""The QR transport's per-qualification dictionary, taken from the trust lists' catalogues.

A version 2 QR code may pin one catalogue entry by the first ``PIN_BYTES`` bytes of its
SHA-256. The entry's values then need not travel: one marker in the value stream stands for
all of them, and the entry's skeleton and values extend the DEFLATE dictionary. A pin names
bytes, not a trust-list version, so a QR code decodes with any trust list that still carries
the entry, however much else has changed.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from certsvc.credentials.catalogue import CatalogueEntry
from certsvc.credentials.errors import QRDecodeError
from certsvc.credentials.trustlist import TrustList
from certsvc.qr import skeleton
from certsvc.qr.errors import CatalogueEntryUnknown

PIN_BYTES = 8


@dataclass(frozen=True)
class EntryDictionary:
    """What the transport makes of one catalogue entry."""

    pin: bytes
    values: tuple[bytes, ...]
    zdict: bytes


@lru_cache(maxsize=1024)
def dictionary_of(canonical: bytes) -> EntryDictionary:
    """Split an entry's canonical bytes into its skeleton and values, as the transport does."""
    shape, values = skeleton.split(canonical)
    entry = CatalogueEntry("", canonical)
    return EntryDictionary(entry.digest[:PIN_BYTES], tuple(values), shape + b"\x00" + b"\x00".join(values))


class _Index:
    """Entry dictionaries by pin, for one trust list (built once, then looked up in O(1))."""

    def __init__(self, entries: Iterable[CatalogueEntry]) -> None:
        self.by_pin: dict[bytes, EntryDictionary] = {}
        for entry in entries:
            found = dictionary_of(entry.canonical)
            self.by_pin.setdefault(found.pin, found)


_INDEXES: dict[int, tuple[weakref.ref[TrustList], _Index]] = {}


def _index_of(trust_list: TrustList) -> _Index:
    cached = _INDEXES.get(id(trust_list))
    if cached is not None and cached[0]() is trust_list:
        return cached[1]
    index = _Index(trust_list.catalogue)
    key = id(trust_list)
    _INDEXES[key] = (weakref.ref(trust_list, lambda _ref, key=key: _INDEXES.pop(key, None)), index)
    return index


def find_pinned(unverified_pin: bytes, trust_lists: Iterable[TrustList]) -> EntryDictionary:
    """Find the entry a QR code pins among the trust lists a verifier holds."""
    found = {e.zdict: e for t in trust_lists if (e := _index_of(t).by_pin.get(unverified_pin)) is not None}
    if not found:
        raise CatalogueEntryUnknown(
            "the QR code names a qualification that none of the trust lists held here describes: "
            "load a newer trust list of the holder's country",
            pin=unverified_pin.hex(),
        )
    if len(found) > 1:
        raise QRDecodeError("the QR code's catalogue pin matches two different entries", pin=unverified_pin.hex())
    return next(iter(found.values()))


def find_for_payload(canonical: bytes, trust_lists: Iterable[TrustList]) -> EntryDictionary | None:
    """The entry an encoder may pin for an achievement: only one a trust list publishes."""
    wanted = dictionary_of(canonical)
    for trust_list in trust_lists:
        if _index_of(trust_list).by_pin.get(wanted.pin) == wanted:
            return wanted
    return None
