"""Format version 2's values: a code for every value slot, the literal texts, the side channel.

Each value slot of the skeletons gets a code (docs/format.md section 3.2). The codes of a
credential are the same for every credential of its kind, so the dictionary matches them
whole; only literal texts and side-channel bytes differ:

======  ============  ===================================================================
code    argument      value
======  ============  ===================================================================
0x20                  the next literal (text, or windowed text: ``certsvc.qr.windows``)
0x01                  a ``sha256$`` digest, 32 side-channel bytes
0x02    d (>= 1)      the same as the value d slots back
0x03    d             the epoch seconds of the timestamp d slots back
0x04                  a midnight UTC timestamp, 2 side-channel bytes (days since 1900-01-01)
0x05                  a date, 2 side-channel bytes (days since 1900-01-01)
0x07    d             the value d slots back followed by the next literal
0x08                  a UTC timestamp, 4 side-channel bytes (seconds since 1970)
0x09                  every value of the pinned catalogue entry, in order (one slot)
0x0A                  origin + ``/c/`` + 8 Crockford base32 characters, 5 side-channel bytes
0x0B                  8 base64url characters, 6 side-channel bytes
0x0C    d             the timestamp d slots back plus 2 side-channel bytes of whole days
0x0D                  a whole number from 1000 to 2^24 - 1, 3 side-channel bytes
0x0E                  a key URI of a held trust list, named by 4 side-channel bytes:
                      the start of the SHA-256 of the URI
======  ============  ===================================================================

References count back over slots (the catalogue slot is one, and cannot be referred to), so
no code holds a zero byte. Every rebuilt byte is charged to a budget: a short QR code cannot
expand to megabytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Protocol

from certsvc.credentials.errors import InputTooLarge, QRDecodeError
from certsvc.qr import values, windows
from certsvc.qr.errors import CatalogueEntryUnknown
from certsvc.qr.values import V2_BY_MARKER

LITERAL, REPEAT, EPOCH, PREFIX, CATALOGUE, IDENTIFIER, LATER = 0x20, 0x02, 0x03, 0x07, 0x09, 0x0A, 0x0C
NUMBER, KEY = 0x0D, 0x0E
KEY_HASH_BYTES = 4
_NUMBER = re.compile(rb"[1-9][0-9]{3,7}")


class KeyNames(Protocol):
    """Key URIs of the held trust lists by the start of their SHA-256 (None: unknown or shared)."""

    def get(self, name: bytes, /) -> bytes | None: ...

    def __contains__(self, name: object, /) -> bool: ...


_WITH_DISTANCE = frozenset({REPEAT, EPOCH, PREFIX, LATER})
_WINDOWED = bytes([windows.MARKER])
DAY = 86400
CREDENTIAL_PATH = b"/c/"
_CROCKFORD = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RFC4648_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _CROCKFORD)
MAX_DISTANCE = 255
#: A prefix shorter than this is cheaper as text (DEFLATE matches it anyway).
MIN_PREFIX = 8
_TEXT = 0x20
_CONTROL = re.compile(rb"[\x00-\x1f]")
_TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
TIMESTAMP_LENGTH = 20


@dataclass
class Encoded:
    """The encoder's output: slot codes, literal texts, side-channel bytes."""

    codes: bytearray = field(default_factory=bytearray)
    literals: list[bytes] = field(default_factory=list)
    side: bytearray = field(default_factory=bytearray)


def encode_values(
    fields: Sequence[bytes], catalogue_run: tuple[int, int] | None, origin: bytes, keys: KeyNames | None = None
) -> Encoded:
    """Code every value (the encoder's choices); values in ``catalogue_run`` become one slot."""
    out = Encoded()
    history: list[bytes | None] = []  # what each slot stands for; None for the catalogue's
    for index, value in enumerate(fields):
        if catalogue_run is not None and catalogue_run[0] <= index < catalogue_run[1]:
            if index == catalogue_run[0]:
                out.codes.append(CATALOGUE)
                history.append(None)
            continue
        code, raw = _encode_one(value, history, origin, keys or _NO_KEYS)
        out.codes += code
        if code[0] in (LITERAL, PREFIX):
            out.literals.append(value if code[0] == LITERAL else value[len(history[-code[1]] or b"") :])
        out.side += raw
        history.append(value)
    return out


def _encode_one(value: bytes, history: list[bytes | None], origin: bytes, keys: KeyNames) -> tuple[bytes, bytes]:
    recent = list(enumerate(reversed(history[-MAX_DISTANCE:]), start=1))
    if len(value) > 2:
        for distance, earlier in recent:
            if earlier == value:
                return bytes([REPEAT, distance]), b""
    for distance, earlier in recent:
        if earlier is not None and epoch_of(earlier) == value:
            return bytes([EPOCH, distance]), b""
    # Midnight times and dates take two bytes, a time relative to another two, any other time four.
    coded = (
        values.raw_of(value, values.CODECS)
        or _relative_time(value, recent)
        or values.raw_of(value, values.V2_ONLY_CODECS)
        or _identifier(value, origin)
        or _number(value)
    )
    if coded is not None:
        return coded
    prefixes = [(len(e), d) for d, e in recent if e is not None and len(e) >= MIN_PREFIX and value.startswith(e)]
    if prefixes and max(prefixes)[0] < len(value):
        return bytes([PREFIX, max(prefixes)[1]]), b""
    name = key_name(value)
    if keys.get(name) == value:
        return bytes([KEY]), name
    return bytes([LITERAL]), b""


class _NoKeys:
    def get(self, name: bytes, /) -> bytes | None:
        return None

    def __contains__(self, name: object, /) -> bool:
        return False


_NO_KEYS = _NoKeys()


def key_name(uri: bytes) -> bytes:
    """The side-channel bytes that name a key URI."""
    return hashlib.sha256(uri).digest()[:KEY_HASH_BYTES]


def _number(value: bytes) -> tuple[bytes, bytes] | None:
    if not _NUMBER.fullmatch(value) or int(value) >= 1 << 24:
        return None
    return bytes([NUMBER]), int(value).to_bytes(3, "big")


def _relative_time(value: bytes, recent: list[tuple[int, bytes | None]]) -> tuple[bytes, bytes] | None:
    """A timestamp a whole number of days after a recent one: its distance and two bytes of days."""
    seconds = values.seconds_of(value)
    if seconds is None:
        return None
    for distance, earlier in recent:
        before = values.seconds_of(earlier) if earlier is not None else None
        if before is not None and 0 < seconds - before <= 0xFFFF * DAY and (seconds - before) % DAY == 0:
            return bytes([LATER, distance]), ((seconds - before) // DAY).to_bytes(2, "big")
    return None


def _identifier(value: bytes, origin: bytes) -> tuple[bytes, bytes] | None:
    """A credential URI of this service (origin, ``/c/``, 8 Crockford base32 characters): 5 bytes."""
    head = origin + CREDENTIAL_PATH
    if len(value) != len(head) + 8 or not value.startswith(head):
        return None
    number = 0
    for char in value[len(head) :]:
        digit = _CROCKFORD.find(char)
        if digit < 0:
            return None
        number = number * 32 + digit
    return bytes([IDENTIFIER]), number.to_bytes(5, "big")


def epoch_of(value: bytes) -> bytes | None:
    """The JWT numeric time of a ``YYYY-MM-DDTHH:MM:SSZ`` value, as decimal text."""
    # Only 20-byte values are looked up in the cache, so hostile long values cannot fill it.
    return _epoch_of(value) if len(value) == TIMESTAMP_LENGTH else None


@lru_cache(maxsize=1024)
def _epoch_of(value: bytes) -> bytes | None:
    if not _TIMESTAMP.fullmatch(value):
        return None
    try:
        moment = datetime.fromisoformat(value.decode().replace("Z", "+00:00"))
    except ValueError:
        return None
    return str(int(moment.timestamp())).encode()


class Budget:
    """The bytes a decoder may still produce; charged before anything is built."""

    def __init__(self, limit: int) -> None:
        self.limit, self.left = limit, limit

    def charge(self, size: int) -> None:
        """Take ``size`` bytes from the budget; refuse once it is spent."""
        self.left -= size
        if self.left < 0:
            self.overdrawn()

    def overdrawn(self) -> None:
        """Refuse: the budget is spent (a caller that counts in a local variable calls this)."""
        raise InputTooLarge("the QR data expands beyond its limit", limit=self.limit)


def decode_values(
    unverified_codes: bytes,
    unverified_literals: Sequence[bytes],
    unverified_side: bytes,
    entry: Sequence[bytes] | None,
    origin: bytes,
    budget: Budget,
    keys: KeyNames | None = None,
) -> list[bytes]:
    """Rebuild every value from the codes, literals, side channel and the pinned entry's values."""
    # The hot path of every verification: the commonest codes (a literal, a repeat) are handled
    # in the loop, the others by one function per code; locals stand in for attribute look-ups.
    keys = keys or _NO_KEYS
    # What each slot stands for (None for the catalogue's); the rebuilt values are these with the
    # catalogue slot expanded into the entry's values, put together at the end.
    history: list[bytes | None] = []
    literals = iter(unverified_literals)
    # Texts without a control byte (so none windowed) are taken as they are, unchecked one by one.
    plain_texts = _CONTROL.search(b"".join(unverified_literals)) is None
    side = _SideReader(unverified_side)
    left = budget.left
    catalogue_at = -1
    count = len(unverified_codes)
    position = 0
    while position < count:
        code = unverified_codes[position]
        if code == LITERAL:
            value = next(literals, None) if plain_texts else _next_literal(literals)
            if value is None:
                raise QRDecodeError("the QR data holds fewer texts than its codes use")
            position += 1
        elif code == CATALOGUE:
            if entry is None or catalogue_at >= 0:
                raise QRDecodeError("the QR data uses a catalogue entry it does not pin, or uses it twice")
            left -= sum(map(len, entry))
            if left < 0:
                budget.overdrawn()
            catalogue_at = len(history)
            history.append(None)
            position += 1
            continue
        elif code in _WITH_DISTANCE:
            if position + 1 >= count:
                raise QRDecodeError("the QR data ends inside a value code")
            distance = unverified_codes[position + 1]
            earlier = history[-distance] if 1 <= distance <= len(history) else None
            if code == REPEAT and earlier is not None:
                value = earlier
            else:
                value = _decode_reference(code, earlier, side, literals)
            position += 2
        else:
            decode = _PLAIN.get(code)
            if decode is None:
                raise QRDecodeError("the QR data holds an unknown value code")
            value = decode(side, origin, keys)
            position += 1
        left -= len(value)
        if left < 0:
            budget.overdrawn()
        history.append(value)
    budget.left = left
    if entry is not None and catalogue_at < 0:
        raise QRDecodeError("the QR data pins a catalogue entry it does not use")
    if next(literals, None) is not None:
        raise QRDecodeError("the QR data holds more texts than its codes use")
    side.finish()
    if catalogue_at < 0:
        return history  # type: ignore[return-value]  # no catalogue slot: every value is bytes
    return [*history[:catalogue_at], *(entry or ()), *history[catalogue_at + 1 :]]  # type: ignore[list-item]


def _next_literal(literals: Iterator[bytes]) -> bytes:
    literal = next(literals, None)
    if literal is None:
        raise QRDecodeError("the QR data holds fewer texts than its codes use")
    if literal[:1] == _WINDOWED:
        return windows.from_windows(literal)
    if literal and min(literal) < _TEXT:
        raise QRDecodeError("a text in the QR data holds a control byte")
    return literal


def _number_of(side: _SideReader, origin: bytes, keys: KeyNames) -> bytes:
    number = int.from_bytes(side.take(3), "big")
    if number < 1000:
        raise QRDecodeError("a number the QR data holds in bytes is too small to be written so")
    return str(number).encode()


def _key_of(side: _SideReader, origin: bytes, keys: KeyNames) -> bytes:
    return _key(side.take(KEY_HASH_BYTES), keys)


def _identifier_of(side: _SideReader, origin: bytes, keys: KeyNames) -> bytes:
    # Five bytes are eight base32 digits: RFC 4648's, put in Crockford's alphabet (one C call each).
    return origin + CREDENTIAL_PATH + base64.b32encode(side.take(5)).translate(_RFC4648_TO_CROCKFORD)


def _codec_decoder(codec: values._Codec) -> Callable[[_SideReader, bytes, KeyNames], bytes]:
    def decode(side: _SideReader, origin: bytes, keys: KeyNames) -> bytes:
        return codec.from_raw(side.take(codec.size))

    return decode


#: How each code without a distance rebuilds its value (the literal is read in the loop).
_PLAIN: dict[int, Callable[[_SideReader, bytes, KeyNames], bytes]] = {
    NUMBER: _number_of,
    KEY: _key_of,
    **{marker: _codec_decoder(codec) for marker, codec in V2_BY_MARKER.items()},
    IDENTIFIER: _identifier_of,
}


def _key(name: bytes, keys: KeyNames) -> bytes:
    if name not in keys:
        raise CatalogueEntryUnknown(
            "the QR code names a signing key that none of the trust lists held here carries: "
            "load a newer trust list of the holder's country",
            key=name.hex(),
        )
    uri = keys.get(name)
    if uri is None:
        raise QRDecodeError("the QR code names a key by bytes two held keys share")
    return uri


def _decode_reference(code: int, earlier: bytes | None, side: _SideReader, literals: Iterator[bytes]) -> bytes:
    if earlier is None:
        raise QRDecodeError("the QR data refers to a value it does not hold")
    if code == REPEAT:
        return earlier
    if code == EPOCH:
        epoch = epoch_of(earlier)
        if epoch is not None:
            return epoch
    if code == LATER:
        seconds = values.seconds_of(earlier)
        if seconds is not None:
            return values.moment_of(seconds + int.from_bytes(side.take(2), "big") * DAY)
    if code == PREFIX:
        tail = _next_literal(literals)
        if tail:
            return earlier + tail
    raise QRDecodeError("the QR data holds a malformed reference")


class _SideReader:
    """The side channel, read in the order the markers appear; every byte must be used."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, size: int) -> bytes:
        chunk = self.data[self.pos : self.pos + size]
        if len(chunk) != size:
            raise QRDecodeError("the QR data refers to a value it does not hold")
        self.pos += size
        return chunk

    def finish(self) -> None:
        if self.pos != len(self.data):
            raise QRDecodeError("the QR data holds bytes it does not use")
