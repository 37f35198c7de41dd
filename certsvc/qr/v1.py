"""QR transport format version 1, read only: codes printed before version 2 must decode for years.

Layout (docs/format.md section 3.1)::

    0x01 | n signatures (1) | side length (1) | n x 64 signature bytes | side channel |
    raw DEFLATE, preset dictionary = dictionary(1) + 0x00 + verifier origin, of:
        n x (header skeleton | 0x0A) | payload skeleton | 0x00 | values joined by 0x00

A reference (0x02 or 0x03 and an index byte) names an earlier value by its absolute index; a
reference to value 0 would hold the separator byte, so version 1 encoders never wrote one.
"""

from __future__ import annotations

import zlib

from certsvc.credentials.cosigned import MAX_SIGNATURES, CoSignedCredential, Signature
from certsvc.credentials.errors import InputTooLarge, QRDecodeError
from certsvc.qr import skeleton, values
from certsvc.qr.dictionary import dictionary
from certsvc.qr.markers import Budget, epoch_of

VERSION = 1
SIGNATURE_BYTES = 64
MAX_INFLATED = 16 * 1024
MAX_REBUILT = 32 * 1024
_REPEAT_MARK, _EPOCH_MARK = 0x02, 0x03
_SEPARATOR = b"\x00"
_PART_SEPARATOR = b"\n"


def decode(unverified: bytes, origin: str) -> CoSignedCredential:
    """Unpack version 1 bytes; every malformation raises QRDecodeError."""
    if len(unverified) < 3 or unverified[0] != VERSION:
        raise QRDecodeError("not QR format version 1")
    count, side_length = unverified[1], unverified[2]
    if not 1 <= count <= MAX_SIGNATURES:
        raise QRDecodeError("the QR data must hold one or two signatures")
    position = 3 + count * SIGNATURE_BYTES + side_length
    if len(unverified) < position:
        raise QRDecodeError("the QR data ends too early")
    sig_values = [unverified[3 + i * SIGNATURE_BYTES : 3 + (i + 1) * SIGNATURE_BYTES] for i in range(count)]
    side = unverified[position - side_length : position]
    body = _inflate(unverified[position:], dictionary(VERSION) + _SEPARATOR + origin.encode("ascii", "replace"))
    skeletons, _, joined = body.partition(_SEPARATOR)
    parts = skeletons.split(_PART_SEPARATOR)
    if len(parts) != count + 1:
        raise QRDecodeError("the QR data does not hold one header per signature and a payload")
    budget = Budget(MAX_REBUILT)
    budget.charge(len(skeletons))
    restored = values.restore(joined.split(_SEPARATOR) if joined else [], side)
    fields = iter(_resolve_references(restored, budget))
    rebuilt = [skeleton.join(p, fields, final=False) for p in parts]
    if next(fields, None) is not None:
        raise QRDecodeError("the QR data has more values than its template needs")
    return CoSignedCredential(rebuilt[-1], tuple(map(Signature, rebuilt[:-1], sig_values)))


def _resolve_references(restored: list[bytes], budget: Budget) -> list[bytes]:
    """Resolve references to earlier values, charging every rebuilt byte to the budget."""
    resolved: list[bytes] = []
    for value in restored:
        if len(value) == 2 and value[0] in (_REPEAT_MARK, _EPOCH_MARK):
            if value[1] >= len(resolved):
                raise QRDecodeError("the QR data refers to a value that comes later")
            earlier = resolved[value[1]]
            if value[0] == _REPEAT_MARK:
                value = earlier
            else:
                epoch = epoch_of(earlier)
                if epoch is None:
                    raise QRDecodeError("the QR data refers to a time that is not one")
                value = epoch
        budget.charge(len(value))
        resolved.append(value)
    return resolved


def _inflate(data: bytes, zdict: bytes) -> bytes:
    inflater = zlib.decompressobj(-15, zdict=zdict)
    try:
        out = inflater.decompress(data, MAX_INFLATED + 1)
    except zlib.error as exc:
        raise QRDecodeError("the compressed QR data is corrupt") from exc
    if len(out) > MAX_INFLATED or inflater.unconsumed_tail:
        raise InputTooLarge("the QR data inflates beyond its limit", limit=MAX_INFLATED)
    if not inflater.eof or inflater.unused_data:
        raise QRDecodeError("the compressed QR data is truncated or has trailing bytes")
    return out
