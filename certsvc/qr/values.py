"""Values the QR transport carries as raw bytes instead of text: digests and dates.

Each such value is replaced in the text stream by a one-byte marker, and its bytes go,
in order, into a side channel: a hex SHA-256 digest becomes 32 bytes, a date or a
midnight-UTC timestamp becomes a two-byte day number. Text that only looks similar
(upper-case hex, another time of day, a year outside 1900-2079) stays text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from certsvc.credentials.errors import QRDecodeError

_DAY_ZERO = date(1900, 1, 1)
_MAX_DAYS = 0xFFFF


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


def _day(raw: bytes) -> str:
    return (_DAY_ZERO + timedelta(days=int.from_bytes(raw, "big"))).isoformat()


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


def extract(values: list[bytes]) -> tuple[list[bytes], bytes]:
    """Replace every value a codec takes by its marker; return the values and the side channel."""
    kept: list[bytes] = []
    side = bytearray()
    for value in values:
        for codec in CODECS:
            match = codec.pattern.fullmatch(value)
            raw = codec.to_raw(match) if match else None
            if raw is not None:
                kept.append(codec.marker)
                side += raw
                break
        else:
            kept.append(value)
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
