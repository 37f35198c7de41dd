"""Lossless QR transport of a (co-)signed credential: a verifier URL with the credential after ``#``.

Layout of the bytes carried as decimal digits (see docs/format.md)::

    version (1) | n signatures (1) | side length (1) | n x 64 signature bytes |
    side channel (digests and dates as bytes, see qr_values) |
    raw DEFLATE, preset dictionary = dictionary(version) + 0x00 + verifier origin, of:
        n x (header skeleton | 0x0A) | payload skeleton | 0x00 | values joined by 0x00

Digits are written after an upper-case URL prefix so that a QR code holds the prefix in
alphanumeric mode and the digits in numeric mode.
"""

from __future__ import annotations

import re
import zlib
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from certsvc.credentials.cosigned import MAX_SIGNATURES, CoSignedCredential, Signature
from certsvc.credentials.errors import InputTooLarge, QRDecodeError
from certsvc.qr import skeleton, values
from certsvc.qr.dictionary import dictionary

FORMAT_VERSION = 1
#: Numeric capacity of the largest QR code (version 40, ECC L).
MAX_DIGITS = 7089
MAX_TEXT_CHARS = MAX_DIGITS + 2048
#: Upper bound of the inflated data, far above any real credential: no decompression bombs.
MAX_INFLATED = 16 * 1024
MAX_SIDE_BYTES = 255
#: EdDSA (Ed25519) and ES256 (P-256, R||S) signatures are both 64 bytes.
SIGNATURE_BYTES = 64
#: zlib's strategies each win on some inputs; any raw DEFLATE stream decodes the same way.
_STRATEGIES = (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_FIXED)
_REPEAT_MARK = b"\x02"
_EPOCH_MARK = b"\x03"
_REFERENCE_BYTES = (_REPEAT_MARK[0], _EPOCH_MARK[0])
_TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_SEPARATOR = b"\x00"
#: Compact JSON never holds a raw newline, so it can separate the skeletons.
_PART_SEPARATOR = b"\n"


def encode_qr_text(credential: CoSignedCredential, verifier_url: str) -> str:
    """Return the QR text: the upper-cased verifier URL, ``#``, and the credential as digits."""
    prefix = verifier_url.rstrip("#").upper()
    data = encode_bytes(credential, _origin(prefix))
    if decode_bytes(data, _origin(prefix)) != credential:
        raise QRDecodeError("this credential cannot be carried losslessly in a QR code")
    return f"{prefix}#{_int_to_digits(int.from_bytes(data, 'big'))}"


def decode_qr_text(unverified_text: str) -> CoSignedCredential:
    """Rebuild the credential from QR text (the full URL with its ``#`` fragment)."""
    text = unverified_text.strip()
    if len(text) > MAX_TEXT_CHARS:
        raise InputTooLarge("QR text too long", limit=MAX_TEXT_CHARS)
    prefix, hash_sign, digits = text.rpartition("#")
    if not hash_sign or not prefix:
        raise QRDecodeError("QR text must be the verification URL with the credential after '#'")
    if not digits.isascii() or not digits.isdigit() or digits.startswith("0"):
        raise QRDecodeError("the part after '#' must be decimal digits")
    if len(digits) > MAX_DIGITS:
        raise InputTooLarge("too many digits for a QR code", limit=MAX_DIGITS)
    number = _digits_to_int(digits)
    return decode_bytes(number.to_bytes((number.bit_length() + 7) // 8, "big"), _origin(prefix))


#: Decimal digits converted at a time: Python refuses int/str conversions of more than
#: ``sys.get_int_max_str_digits()`` digits (4300 by default, at least 640), and a QR holds 7089.
#: Python converts up to 4300 digits in one call (its guard against quadratic time).
_FAST_DIGITS = 4000
_DIGIT_CHUNK = 600


def _digits_to_int(digits: str) -> int:
    if len(digits) <= _FAST_DIGITS:
        return int(digits)
    number = 0
    for start in range(0, len(digits), _DIGIT_CHUNK):
        chunk = digits[start : start + _DIGIT_CHUNK]
        number = number * 10 ** len(chunk) + int(chunk)
    return number


def _int_to_digits(number: int) -> str:
    chunks = []
    while number >= 10**_DIGIT_CHUNK:
        number, low = divmod(number, 10**_DIGIT_CHUNK)
        chunks.append(f"{low:0{_DIGIT_CHUNK}d}")
    return str(number) + "".join(reversed(chunks))


def encode_bytes(credential: CoSignedCredential, origin: str) -> bytes:
    """Pack a credential into the transport bytes for ``origin``."""
    sigs = credential.signatures
    if not 1 <= len(sigs) <= MAX_SIGNATURES or any(len(s.value) != SIGNATURE_BYTES for s in sigs):
        raise QRDecodeError("a QR credential has one or two 64-byte (EdDSA or ES256) signatures")
    skeletons, fields = [], []
    for part in (*(s.protected for s in sigs), credential.payload):
        shape, part_fields = skeleton.split(part)
        skeletons.append(shape)
        fields += part_fields
    fields = _reference_repeats(fields)
    fields, side = values.extract(fields)
    if len(side) > MAX_SIDE_BYTES:
        raise QRDecodeError("too many binary values for a QR code")
    body = _PART_SEPARATOR.join(skeletons) + _SEPARATOR + _SEPARATOR.join(fields)
    compressed = min((_deflate(bytes(body), origin, strategy) for strategy in _STRATEGIES), key=len)
    packed = bytes([FORMAT_VERSION, len(sigs), len(side)]) + b"".join(s.value for s in sigs) + side
    return packed + compressed


def _deflate(body: bytes, origin: str, strategy: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, strategy, zdict=_zdict(origin))
    return compressor.compress(body) + compressor.flush()


def decode_bytes(unverified: bytes, origin: str) -> CoSignedCredential:
    """Unpack transport bytes; every malformation raises QRDecodeError."""
    reader = _Reader(unverified)
    version = reader.byte()
    if version != FORMAT_VERSION:
        dictionary(version)  # raises UnsupportedQRVersion for unknown versions
    count, side_length = reader.byte(), reader.byte()
    if not 1 <= count <= MAX_SIGNATURES:
        raise QRDecodeError("the QR data must hold one or two signatures")
    sig_values = [reader.take(SIGNATURE_BYTES) for _ in range(count)]
    side = reader.take(side_length)
    body = _inflate(reader.rest(), _zdict(origin, version))
    skeletons, _, joined = body.partition(_SEPARATOR)
    parts = skeletons.split(_PART_SEPARATOR)
    if len(parts) != count + 1:
        raise QRDecodeError("the QR data does not hold one header per signature and a payload")
    restored = values.restore(joined.split(_SEPARATOR) if joined else [], side)
    fields = iter(_resolve_repeats(restored))
    rebuilt = [skeleton.join(p, fields, final=False) for p in parts]
    if next(fields, None) is not None:
        raise QRDecodeError("the QR data has more values than its template needs")
    return CoSignedCredential(rebuilt[-1], tuple(map(Signature, rebuilt[:-1], sig_values)))


def _reference_repeats(values: list[bytes]) -> list[bytes]:
    """Replace a value that repeats an earlier one, or is the epoch time of one, by a reference.

    The JWT claims mirror the credential (``iss``, ``jti``, ``sub``, ``nbf``, ``exp``), so a
    two-byte reference is cheaper than a DEFLATE back-reference to the same text.
    """
    seen: dict[bytes, int] = {}
    epochs: dict[bytes, int] = {}
    out = []
    for index, value in enumerate(values):
        if value in seen and seen[value] < 256 and len(value) > 2:
            out.append(_REPEAT_MARK + bytes([seen[value]]))
        elif value in epochs and epochs[value] < 256:
            out.append(_EPOCH_MARK + bytes([epochs[value]]))
        else:
            out.append(value)
        seen.setdefault(value, index)
        epoch = _epoch_of(value)
        if epoch is not None:
            epochs.setdefault(epoch, index)
    return out


def _resolve_repeats(values: list[bytes]) -> list[bytes]:
    resolved: list[bytes] = []
    for value in values:
        if len(value) == 2 and value[0] in _REFERENCE_BYTES:
            if value[1] >= len(resolved):
                raise QRDecodeError("the QR data refers to a value that comes later")
            earlier = resolved[value[1]]
            if value[:1] == _REPEAT_MARK:
                value = earlier
            else:
                epoch = _epoch_of(earlier)
                if epoch is None:
                    raise QRDecodeError("the QR data refers to a time that is not one")
                value = epoch
        resolved.append(value)
    return resolved


def _epoch_of(value: bytes) -> bytes | None:
    if not _TIMESTAMP.fullmatch(value):
        return None
    try:
        moment = datetime.fromisoformat(value.decode())
    except ValueError:
        return None
    return str(int(moment.timestamp())).encode()


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


@lru_cache(maxsize=64)
def _zdict(origin: str, version: int = FORMAT_VERSION) -> bytes:
    # The verifier origin is in the QR text itself, so it can extend the dictionary for free:
    # every identifier in the credential starts with it.
    return dictionary(version) + _SEPARATOR + origin.encode("ascii", "replace")


@lru_cache(maxsize=64)
def _origin(prefix: str) -> str:
    parts = urlsplit(prefix.lower())
    return f"{parts.scheme}://{parts.netloc}"


class _Reader:
    """Bounds-checked reads over untrusted bytes."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise QRDecodeError("the QR data ends too early")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def rest(self) -> bytes:
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk
