"""QR transport format version 2: the bytes, what the encoder chooses, and the decoder.

Layout (docs/format.md section 3.2)::

    0x02 | flags | [catalogue pin, 8 bytes] | n x 64 signature bytes |
    raw DEFLATE stream | side channel (the rest)

``flags`` bit 0 is set for two signatures, bit 1 when a catalogue pin follows; the other bits
are zero. The DEFLATE stream's preset dictionary is the frozen dictionary of version 2, 0x00,
the verifier origin, and, with a pin, 0x00 and the pinned entry's skeleton and values. It
inflates to the payload's skeleton, each header's skeleton (each after 0x0A), 0x00, then the
stream values joined by 0x00 (``certsvc.qr.markers``): the payload's values, then the headers'.
"""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Sequence
from functools import lru_cache

from certsvc.credentials.catalogue import entry_of_achievement
from certsvc.credentials.cosigned import MAX_SIGNATURES, CoSignedCredential, Signature
from certsvc.credentials.errors import InputTooLarge, QRDecodeError
from certsvc.credentials.trustlist import TrustList
from certsvc.qr import markers, skeleton, windows
from certsvc.qr.catalogue import PIN_BYTES, EntryDictionary, find_for_payload, find_pinned, key_names
from certsvc.qr.dictionary import dictionary

VERSION = 2
SIGNATURE_BYTES = 64
_TWO_SIGNATURES, _PINNED = 0x01, 0x02
#: The inflated stream and everything rebuilt from it stay far above any real credential.
MAX_INFLATED = 16 * 1024
MAX_REBUILT = 32 * 1024
_STRATEGIES = (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_FIXED)
_SEPARATOR = b"\x00"
_PART_SEPARATOR = b"\n"
#: The encoder tries text in windows for at most this many non-ASCII values (2^n DEFLATE runs).
_MAX_WINDOW_CHOICES = 3


def encode(credential: CoSignedCredential, origin: str, trust_lists: Sequence[TrustList] = ()) -> bytes:
    """Pack a credential into version 2 bytes, pinning its catalogue entry if a trust list has it."""
    sigs = credential.signatures
    if not 1 <= len(sigs) <= MAX_SIGNATURES or any(len(s.value) != SIGNATURE_BYTES for s in sigs):
        raise QRDecodeError("a QR credential has one or two 64-byte (EdDSA or ES256) signatures")
    skeletons, fields = [], []
    for part in (credential.payload, *(s.protected for s in sigs)):
        shape, part_fields = skeleton.split(part)
        skeletons.append(shape)
        fields += part_fields
    entry = _pinnable_entry(credential.payload, trust_lists)
    run = _find_run(fields, entry.values) if entry is not None else None
    if run is None:
        entry = None
    coded = markers.encode_values(fields, run, origin.encode(), key_names(trust_lists))
    flags = (_TWO_SIGNATURES if len(sigs) == 2 else 0) | (_PINNED if entry is not None else 0)
    head = bytes([VERSION, flags]) + (entry.pin if entry is not None else b"") + b"".join(s.value for s in sigs)
    zdict = _zdict(origin, entry.zdict if entry is not None else None)
    prefix = _PART_SEPARATOR.join(skeletons) + _SEPARATOR + bytes(coded.codes) + _SEPARATOR
    return head + _smallest_stream(prefix, coded.literals, zdict) + bytes(coded.side)


def _pinnable_entry(payload: bytes, trust_lists: Sequence[TrustList]) -> EntryDictionary | None:
    if not trust_lists:
        return None
    try:
        document = json.loads(payload)
        achievement = document["credentialSubject"]["achievement"]
    except (ValueError, KeyError, TypeError):
        return None
    entry = entry_of_achievement(achievement, "")
    return find_for_payload(entry.canonical, trust_lists) if entry is not None else None


def _find_run(fields: list[bytes], run: Sequence[bytes]) -> tuple[int, int] | None:
    """Where the entry's values stand, together and in order, among the credential's values."""
    width = len(run)
    for start in range(len(fields) - width + 1):
        if tuple(fields[start : start + width]) == tuple(run):
            return start, start + width
    return None


def _smallest_stream(prefix: bytes, stream: list[bytes], zdict: bytes) -> bytes:
    """DEFLATE the stream every way worth trying (strategies, text in windows or not); keep the shortest."""
    choices = [i for i, v in enumerate(stream) if not v.isascii()][:_MAX_WINDOW_CHOICES]
    windowed = {i: windows.to_windows(stream[i]) for i in choices}
    choices = [i for i in choices if windowed[i] is not None]
    best = b""
    for picked in itertools.product((False, True), repeat=len(choices)):
        values = list(stream)
        for i, use in zip(choices, picked, strict=True):
            if use:
                values[i] = windowed[i] or values[i]
        body = prefix + _SEPARATOR.join(values)
        for strategy in _STRATEGIES:
            compressor = _primed(strategy, zdict).copy()
            candidate = compressor.compress(body) + compressor.flush()
            if not best or len(candidate) < len(best):
                best = candidate
    return best


def decode(unverified: bytes, origin: str, trust_lists: Sequence[TrustList] = ()) -> CoSignedCredential:
    """Unpack version 2 bytes; every malformation raises QRDecodeError."""
    if len(unverified) < 2 or unverified[0] != VERSION:
        raise QRDecodeError("not QR format version 2")
    flags = unverified[1]
    if flags & ~(_TWO_SIGNATURES | _PINNED):
        raise QRDecodeError("the QR data sets flags this version does not know")
    keys = key_names(trust_lists)
    if not flags & _PINNED:
        return _decode_with(unverified, 2, origin, None, keys)
    candidates = find_pinned(_take(unverified, 2, PIN_BYTES), trust_lists)
    if len(candidates) == 1:
        return _decode_with(unverified, 2 + PIN_BYTES, origin, candidates[0], keys)
    # Two held entries share the pin's bytes: the right one is the one its provider issued.
    decoded = [(entry, _decode_with(unverified, 2 + PIN_BYTES, origin, entry, keys)) for entry in candidates]
    matching = [credential for entry, credential in decoded if _issuer_of(credential) in entry.providers]
    if len(matching) != 1:
        raise QRDecodeError("the QR code's catalogue pin matches more than one entry")
    return matching[0]


def _issuer_of(credential: CoSignedCredential) -> str | None:
    try:
        issuer = json.loads(credential.payload).get("issuer")
    except (ValueError, AttributeError):
        return None
    return issuer if isinstance(issuer, str) else None


def _decode_with(
    unverified: bytes, position: int, origin: str, entry: EntryDictionary | None, keys: markers.KeyNames
) -> CoSignedCredential:
    count = 2 if unverified[1] & _TWO_SIGNATURES else 1
    sig_values = [_take(unverified, position + i * SIGNATURE_BYTES, SIGNATURE_BYTES) for i in range(count)]
    position += count * SIGNATURE_BYTES
    body, side = _inflate(unverified[position:], _zdict(origin, entry.zdict if entry is not None else None))
    sections = body.split(_SEPARATOR, 2)
    if len(sections) != 3:
        raise QRDecodeError("the QR data does not hold skeletons, value codes and texts")
    skeletons, codes, joined = sections
    parts = skeletons.split(_PART_SEPARATOR)
    if len(parts) != count + 1:
        raise QRDecodeError("the QR data does not hold a payload and one header per signature")
    budget = markers.Budget(MAX_REBUILT)
    budget.charge(len(skeletons))
    # No texts and one empty text look the same; the codes say which (the decoder checks the count).
    literals = joined.split(_SEPARATOR) if joined or _wants_literal(codes) else []
    entry_values = entry.values if entry is not None else None
    fields = iter(markers.decode_values(codes, literals, side, entry_values, origin.encode(), budget, keys))
    rebuilt = [skeleton.join(p, fields, final=False) for p in parts]
    if next(fields, None) is not None:
        raise QRDecodeError("the QR data has more values than its template needs")
    return CoSignedCredential(rebuilt[0], tuple(map(Signature, rebuilt[1:], sig_values)))


def _wants_literal(codes: bytes) -> bool:
    return markers.LITERAL in codes or markers.PREFIX in codes


def _take(data: bytes, start: int, size: int) -> bytes:
    chunk = data[start : start + size]
    if len(chunk) != size:
        raise QRDecodeError("the QR data ends too early")
    return chunk


def _inflate(data: bytes, zdict: bytes) -> tuple[bytes, bytes]:
    """Inflate the DEFLATE stream (bounded); return it and the bytes after it (the side channel)."""
    inflater = zlib.decompressobj(-15, zdict=zdict)
    try:
        out = inflater.decompress(data, MAX_INFLATED + 1)
    except zlib.error as exc:
        raise QRDecodeError("the compressed QR data is corrupt") from exc
    if len(out) > MAX_INFLATED or inflater.unconsumed_tail:
        raise InputTooLarge("the QR data inflates beyond its limit", limit=MAX_INFLATED)
    if not inflater.eof:
        raise QRDecodeError("the compressed QR data is truncated")
    return out, inflater.unused_data


@lru_cache(maxsize=24)
def _primed(strategy: int, zdict: bytes) -> zlib._Compress:
    # Loading a 24 KiB preset dictionary costs four times what copying a compressor that holds it
    # does; a handful of dictionaries (one per origin and pinned entry) serve every issue.
    return zlib.compressobj(9, zlib.DEFLATED, -15, 9, strategy, zdict=zdict)


@lru_cache(maxsize=256)
def _zdict(origin: str, entry: bytes | None) -> bytes:
    # The verifier origin is in the QR text itself: every identifier in the credential starts with it.
    parts = [dictionary(VERSION), origin.encode("ascii", "replace")]
    if entry is not None:
        parts.append(entry)
    return _SEPARATOR.join(parts)
