"""Values the QR transport carries as raw bytes instead of text: digests, dates and times.

Each such value is replaced in the text stream by a one-byte marker, and its bytes go,
in order, into a side channel: a hex SHA-256 digest becomes 32 bytes, a date or a
midnight-UTC timestamp becomes a two-byte day number, and (format version 2) any other
UTC timestamp four bytes of seconds since 1970. Text that only looks similar (upper-case
hex, fractions of a second, a year outside the range) stays text.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from certsvc.credentials.errors import QRDecodeError

_DAY_ZERO = date(1900, 1, 1)
_MAX_DAYS = 0xFFFF
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_SECONDS = 0xFFFFFFFF


@dataclass(frozen=True)
class _Codec:
    marker: bytes
    size: int
    pattern: re.Pattern[bytes]
    to_raw: Callable[[re.Match[bytes]], bytes | None]
    from_raw: Callable[[bytes], bytes]


def _days(text: bytes) -> bytes | None:
    try:
        day = date.fromisoformat(text.decode())
    except ValueError:
        return None
    days = (day - _DAY_ZERO).days
    return days.to_bytes(2, "big") if 0 <= days <= _MAX_DAYS else None


@lru_cache(maxsize=4096)
def _day(raw: bytes) -> str:
    # Cached: two bytes name at most 65,536 days, and a verifier sees the same few dates over and over.
    return (_DAY_ZERO + timedelta(days=int.from_bytes(raw, "big"))).isoformat()


_TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def seconds_of(text: bytes) -> int | None:
    """Seconds since 1970 of a ``YYYY-MM-DDTHH:MM:SSZ`` text that says them canonically, else None."""
    # Only 20-byte texts reach the cache, so hostile long values cannot fill it.
    return _seconds_of(text) if len(text) == 20 else None


@lru_cache(maxsize=1024)
def _seconds_of(text: bytes) -> int | None:
    if not _TIMESTAMP.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text.decode().replace("Z", "+00:00"))
    except ValueError:
        return None
    seconds = int((moment - _EPOCH).total_seconds())
    return seconds if 0 <= seconds <= _MAX_SECONDS and moment_of(seconds) == text else None


def moment_of(seconds: int) -> bytes:
    """The ``YYYY-MM-DDTHH:MM:SSZ`` text of seconds since 1970."""
    if not 0 <= seconds <= _MAX_SECONDS:
        raise QRDecodeError("the QR data holds a time out of range")
    moment = time.gmtime(seconds)
    return b"%04d-%02d-%02dT%02d:%02d:%02dZ" % moment[:6]


def _seconds(text: bytes) -> bytes | None:
    seconds = seconds_of(text)
    return seconds.to_bytes(4, "big") if seconds is not None else None


CODECS = (
    _Codec(
        b"\x01",
        32,
        re.compile(rb"sha256\$([0-9a-f]{64})"),
        lambda m: bytes.fromhex(m.group(1).decode()),
        lambda raw: b"sha256$" + raw.hex().encode(),
    ),
    _Codec(
        b"\x04",
        2,
        re.compile(rb"(\d{4}-\d\d-\d\d)T00:00:00Z"),
        lambda m: _days(m.group(1)),
        lambda raw: (_day(raw) + "T00:00:00Z").encode(),
    ),
    _Codec(
        b"\x05",
        2,
        re.compile(rb"(\d{4}-\d\d-\d\d)"),
        lambda m: _days(m.group(1)),
        lambda raw: _day(raw).encode(),
    ),
)
_BY_MARKER = {codec.marker: codec for codec in CODECS}
MARKERS = frozenset(_BY_MARKER)
#: Format version 2 adds timestamps at any second (after midnight ones, which take two bytes).
TIMESTAMP = _Codec(
    b"\x08",
    4,
    re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"),
    lambda m: _seconds(m.group()),
    lambda raw: moment_of(int.from_bytes(raw, "big")),
)
#: Eight base64url characters (a credential's salt) are exactly six bytes.
BASE64URL_8 = _Codec(
    b"\x0b",
    6,
    re.compile(rb"[A-Za-z0-9_-]{8}"),
    lambda m: base64.urlsafe_b64decode(m.group()),
    lambda raw: base64.urlsafe_b64encode(raw),
)
V2_ONLY_CODECS = (TIMESTAMP, BASE64URL_8)
V2_CODECS = (*CODECS, *V2_ONLY_CODECS)
V2_BY_MARKER = {codec.marker[0]: codec for codec in V2_CODECS}


def raw_of(value: bytes, codecs: tuple[_Codec, ...] = V2_CODECS) -> tuple[bytes, bytes] | None:
    """Return (marker, side bytes) for a value a codec takes, else None."""
    for codec in codecs:
        match = codec.pattern.fullmatch(value)
        raw = codec.to_raw(match) if match else None
        if raw is not None:
            return codec.marker, raw
    return None


def extract(values: list[bytes]) -> tuple[list[bytes], bytes]:
    """Replace every value a codec takes by its marker; return the values and the side channel."""
    kept: list[bytes] = []
    side = bytearray()
    for value in values:
        found = raw_of(value, CODECS)
        if found is None:
            kept.append(value)
        else:
            kept.append(found[0])
            side += found[1]
    return kept, bytes(side)


def restore(values: list[bytes], unverified_side: bytes) -> list[bytes]:
    """Put the side channel's values back in place of their markers."""
    restored = []
    position = 0
    for value in values:
        codec = _BY_MARKER.get(value) if len(value) == 1 else None
        if codec is not None:
            raw = unverified_side[position : position + codec.size]
            if len(raw) != codec.size:
                raise QRDecodeError("the QR data refers to a value it does not hold")
            position += codec.size
            value = codec.from_raw(raw)
        restored.append(value)
    if position != len(unverified_side):
        raise QRDecodeError("the QR data holds bytes it does not use")
    return restored
