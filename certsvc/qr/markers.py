"""Format version 2's value stream: each value as text or as a marker byte with its arguments.

JSON string content never holds a byte below 0x20, so a value whose first byte is below 0x20
is a marker (docs/format.md section 3.2):

======  =================  ==========================================================
byte    arguments          value
======  =================  ==========================================================
0x01                       a ``sha256$`` digest, 32 side-channel bytes
0x02    d (1 byte, >= 1)   the same as the value d places back
0x03    d                  the epoch seconds of the timestamp d places back
0x04                       a midnight UTC timestamp, 2 side-channel bytes (days)
0x05                       a date, 2 side-channel bytes (days since 1900-01-01)
0x06    w, text            windowed Unicode text (``certsvc.qr.windows``)
0x07    d, tail            the value d places back followed by the tail's bytes
0x08                       a UTC timestamp, 4 side-channel bytes (seconds since 1970)
0x09                       every value of the pinned catalogue entry, in order
0x0A                       origin + ``/c/`` + 8 Crockford base32 characters, 5 side bytes
0x0B                       8 base64url characters, 6 side-channel bytes
0x0C    d                  the timestamp d places back plus 2 side bytes of whole days
======  =================  ==========================================================

References count back over stream values (the catalogue marker is one, and cannot be
referred to), so they never hold a zero byte and cannot be confused with the separator. Every
rebuilt byte is charged to a budget: a short QR code cannot expand to megabytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from certsvc.credentials.errors import InputTooLarge, QRDecodeError
from certsvc.qr import values, windows
from certsvc.qr.values import V2_BY_MARKER

REPEAT, EPOCH, PREFIX, CATALOGUE, IDENTIFIER, LATER = 0x02, 0x03, 0x07, 0x09, 0x0A, 0x0C
DAY = 86400
CREDENTIAL_PATH = b"/c/"
_CROCKFORD = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_DISTANCE = 255
#: A prefix shorter than this is cheaper as text (DEFLATE matches it anyway).
MIN_PREFIX = 8
_TEXT = 0x20
_TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def encode_values(
    fields: Sequence[bytes], catalogue_run: tuple[int, int] | None, origin: bytes
) -> tuple[list[bytes], bytes]:
    """Turn rebuilt values into stream values and the side channel (the encoder's choices)."""
    out: list[bytes] = []
    history: list[bytes | None] = []  # what each stream value stands for; None for the catalogue's
    side = bytearray()
    for index, value in enumerate(fields):
        if catalogue_run is not None and catalogue_run[0] <= index < catalogue_run[1]:
            if index == catalogue_run[0]:
                out.append(bytes([CATALOGUE]))
                history.append(None)
            continue
        marked, raw = _encode_one(value, history, origin)
        out.append(marked)
        history.append(value)
        side += raw
    return out, bytes(side)


def _encode_one(value: bytes, history: list[bytes | None], origin: bytes) -> tuple[bytes, bytes]:
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
    )
    if coded is not None:
        return coded
    prefixes = [(len(e), d) for d, e in recent if e is not None and len(e) >= MIN_PREFIX and value.startswith(e)]
    if prefixes and max(prefixes)[0] < len(value):
        size, distance = max(prefixes)
        return bytes([PREFIX, distance]) + value[size:], b""
    return value, b""


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
        self.left -= size
        if self.left < 0:
            raise InputTooLarge("the QR data expands beyond its limit", limit=self.limit)


def decode_values(
    unverified: Sequence[bytes],
    unverified_side: bytes,
    entry: Sequence[bytes] | None,
    origin: bytes,
    budget: Budget,
) -> list[bytes]:
    """Rebuild every value from the stream values, the side channel and the pinned entry's values."""
    rebuilt: list[bytes] = []
    history: list[bytes | None] = []
    side = _SideReader(unverified_side)
    for value in unverified:
        if value == bytes([CATALOGUE]):
            if entry is None or None in history:
                raise QRDecodeError("the QR data uses a catalogue entry it does not pin, or uses it twice")
            budget.charge(sum(map(len, entry)))
            rebuilt += entry
            history.append(None)
            continue
        decoded = _decode_one(value, history, side, origin)
        budget.charge(len(decoded))
        rebuilt.append(decoded)
        history.append(decoded)
    if entry is not None and None not in history:
        raise QRDecodeError("the QR data pins a catalogue entry it does not use")
    side.finish()
    return rebuilt


def _decode_one(value: bytes, history: list[bytes | None], side: _SideReader, origin: bytes) -> bytes:
    if not value or value[0] >= _TEXT:
        return value
    marker = value[0]
    codec = V2_BY_MARKER.get(marker)
    if codec is not None and len(value) == 1:
        return codec.from_raw(side.take(codec.size))
    if marker == IDENTIFIER and len(value) == 1:
        number = int.from_bytes(side.take(5), "big")
        return origin + CREDENTIAL_PATH + bytes(_CROCKFORD[(number >> (5 * i)) & 31] for i in range(7, -1, -1))
    if marker == windows.MARKER:
        return windows.from_windows(value)
    if marker in (REPEAT, EPOCH, PREFIX, LATER) and len(value) >= 2:
        return _decode_reference(value, history, side)
    raise QRDecodeError("the QR data holds an unknown or malformed value marker")


def _decode_reference(value: bytes, history: list[bytes | None], side: _SideReader) -> bytes:
    distance = value[1]
    earlier = history[-distance] if 1 <= distance <= len(history) else None
    if earlier is None:
        raise QRDecodeError("the QR data refers to a value it does not hold")
    marker, tail = value[0], value[2:]
    if marker == REPEAT and not tail:
        return earlier
    if marker == EPOCH and not tail:
        epoch = epoch_of(earlier)
        if epoch is not None:
            return epoch
    if marker == LATER and not tail:
        seconds = values.seconds_of(earlier)
        if seconds is not None:
            return values.moment_of(seconds + int.from_bytes(side.take(2), "big") * DAY)
    if marker == PREFIX and tail and min(tail) >= _TEXT:
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
