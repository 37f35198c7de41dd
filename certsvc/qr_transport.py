"""Lossless QR transport of a (co-)signed credential: a verifier URL with the credential after ``#``.

Layout of the bytes carried as decimal digits (see docs/format.md)::

    version (1) | n signatures (1) | n x (length (1) | signature) |
    m digests (1) | m x 32 digest bytes |
    raw DEFLATE, preset dictionary = dictionary(version) + 0x00 + verifier origin, of:
        n x (header skeleton | 0x0A) | payload skeleton | 0x00 | values joined by 0x00

Digits are written after an upper-case URL prefix so that a QR code holds the prefix in
alphanumeric mode and the digits in numeric mode.
"""

from __future__ import annotations

import re
import zlib
from datetime import datetime
from urllib.parse import urlsplit

from certsvc import json_skeleton
from certsvc.cosigned import MAX_SIGNATURES, CoSignedCredential, Signature
from certsvc.errors import InputTooLarge, QRDecodeError
from certsvc.qr_dictionary import dictionary

FORMAT_VERSION = 1
#: Numeric capacity of the largest QR code (version 40, ECC L).
MAX_DIGITS = 7089
MAX_TEXT_CHARS = MAX_DIGITS + 2048
#: Upper bound of the inflated data, far above any real credential: no decompression bombs.
MAX_INFLATED = 16 * 1024
MAX_DIGESTS = 4
_DIGEST_VALUE = re.compile(rb"sha256\$([0-9a-f]{64})")
_DIGEST_MARK = b"\x01"
_REPEAT_MARK = b"\x02"
_EPOCH_MARK = b"\x03"
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
    return f"{prefix}#{int.from_bytes(data, 'big')}"


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
    number = int(digits)
    return decode_bytes(number.to_bytes((number.bit_length() + 7) // 8, "big"), _origin(prefix))


def encode_bytes(credential: CoSignedCredential, origin: str) -> bytes:
    """Pack a credential into the transport bytes for ``origin``."""
    sigs = credential.signatures
    if not 1 <= len(sigs) <= MAX_SIGNATURES or any(len(s.value) > 255 for s in sigs):
        raise QRDecodeError("a QR credential has one or two signatures of at most 255 bytes")
    skeletons, values = [], []
    for part in (*(s.protected for s in sigs), credential.payload):
        skeleton, part_values = json_skeleton.split(part)
        skeletons.append(skeleton)
        values += part_values
    digests, values = _extract_digests(values)
    values = _reference_repeats(values)
    body = _PART_SEPARATOR.join(skeletons) + _SEPARATOR + _SEPARATOR.join(values)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=_zdict(origin))
    packed = bytearray([FORMAT_VERSION, len(sigs)])
    for sig in sigs:
        packed += bytes([len(sig.value)]) + sig.value
    packed += bytes([len(digests)]) + b"".join(digests)
    return bytes(packed) + compressor.compress(bytes(body)) + compressor.flush()


def decode_bytes(unverified: bytes, origin: str) -> CoSignedCredential:
    """Unpack transport bytes; every malformation raises QRDecodeError."""
    reader = _Reader(unverified)
    version = reader.byte()
    if version != FORMAT_VERSION:
        dictionary(version)  # raises UnsupportedQRVersion for unknown versions
    count = reader.byte()
    if not 1 <= count <= MAX_SIGNATURES:
        raise QRDecodeError("the QR data must hold one or two signatures")
    sig_values = [reader.take(reader.byte()) for _ in range(count)]
    n_digests = reader.byte()
    if n_digests > MAX_DIGESTS:
        raise QRDecodeError("too many digests in the QR data")
    digests = [reader.take(32) for _ in range(n_digests)]
    body = _inflate(reader.rest(), _zdict(origin, version))
    skeletons, _, joined = body.partition(_SEPARATOR)
    parts = skeletons.split(_PART_SEPARATOR)
    if len(parts) != count + 1:
        raise QRDecodeError("the QR data does not hold one header per signature and a payload")
    values = _resolve_repeats(joined.split(_SEPARATOR) if joined else [])
    values = iter(_restore_digests(values, digests))
    rebuilt = [json_skeleton.join(p, values, final=False) for p in parts]
    if next(values, None) is not None:
        raise QRDecodeError("the QR data has more values than its template needs")
    return CoSignedCredential(rebuilt[-1], tuple(map(Signature, rebuilt[:-1], sig_values)))


def _extract_digests(values: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    digests: list[bytes] = []
    kept = []
    for value in values:
        match = _DIGEST_VALUE.fullmatch(value)
        if match and len(digests) < MAX_DIGESTS:
            digests.append(bytes.fromhex(match.group(1).decode()))
            kept.append(_DIGEST_MARK)
        else:
            kept.append(value)
    return digests, kept


def _restore_digests(values: list[bytes], digests: list[bytes]) -> list[bytes]:
    pending = iter(digests)
    restored = []
    for value in values:
        if value == _DIGEST_MARK:
            digest = next(pending, None)
            if digest is None:
                raise QRDecodeError("the QR data refers to a digest it does not hold")
            value = b"sha256$" + digest.hex().encode()
        restored.append(value)
    if next(pending, None) is not None:
        raise QRDecodeError("the QR data holds an unused digest")
    return restored


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
        if len(value) == 2 and value[:1] in (_REPEAT_MARK, _EPOCH_MARK):
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


def _zdict(origin: str, version: int = FORMAT_VERSION) -> bytes:
    # The verifier origin is in the QR text itself, so it can extend the dictionary for free:
    # every identifier in the credential starts with it.
    return dictionary(version) + _SEPARATOR + origin.encode("ascii", "replace")


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
