"""Lossless QR transport of a (co-)signed credential: a verifier URL with the credential after ``#``.

The credential travels as transport bytes (``certsvc.qr.v2``, or ``certsvc.qr.v1`` for codes
printed before it), written as one big-endian integer in decimal digits after an upper-case
URL prefix, so that a QR code holds the prefix in alphanumeric mode and the digits in numeric
mode. The encoder writes version 2; the decoder reads both.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

from certsvc.credentials.cosigned import CoSignedCredential
from certsvc.credentials.errors import InputTooLarge, QRDecodeError
from certsvc.credentials.trustlist import TrustList
from certsvc.qr import v1, v2
from certsvc.qr.dictionary import dictionary

FORMAT_VERSION = v2.VERSION
#: Numeric capacity of the largest QR code (version 40, ECC L).
MAX_DIGITS = 7089
MAX_TEXT_CHARS = MAX_DIGITS + 2048
MAX_INFLATED = v2.MAX_INFLATED
SIGNATURE_BYTES = v2.SIGNATURE_BYTES


def encode_qr_text(credential: CoSignedCredential, verifier_url: str, trust_lists: Sequence[TrustList] = ()) -> str:
    """Return the QR text: the upper-cased verifier URL, ``#``, and the credential as digits.

    With ``trust_lists``, the QR code pins the catalogue entry of the credential's qualification
    when one of them publishes it (a much smaller code), and decodes only with a trust list that
    carries it; without, it decodes with none.
    """
    prefix = verifier_url.rstrip("#").upper()
    data = encode_bytes(credential, _origin(prefix), trust_lists)
    if decode_bytes(data, _origin(prefix), trust_lists) != credential:
        raise QRDecodeError("this credential cannot be carried losslessly in a QR code")
    return f"{prefix}#{_int_to_digits(int.from_bytes(data, 'big'))}"


def decode_qr_text(unverified_text: str, trust_lists: Sequence[TrustList] = ()) -> CoSignedCredential:
    """Rebuild the credential from QR text (the full URL with its ``#`` fragment)."""
    text = unverified_text.strip()
    if len(text) > MAX_TEXT_CHARS:
        raise InputTooLarge("QR text too long", limit=MAX_TEXT_CHARS)
    prefix, hash_sign, digits = text.rpartition("#")
    if not hash_sign or not prefix:
        raise QRDecodeError("QR text must be the verification URL with the credential after '#'")
    # bytes.isdigit reads an ASCII table; str.isdigit looks each character up in Unicode's (ten times slower).
    if not digits.isascii() or not digits.encode("ascii").isdigit() or digits.startswith("0"):
        raise QRDecodeError("the part after '#' must be decimal digits")
    if len(digits) > MAX_DIGITS:
        raise InputTooLarge("too many digits for a QR code", limit=MAX_DIGITS)
    number = _digits_to_int(digits)
    data = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return decode_bytes(data, _origin(prefix), trust_lists)


def encode_bytes(credential: CoSignedCredential, origin: str, trust_lists: Sequence[TrustList] = ()) -> bytes:
    """Pack a credential into the transport bytes (format version 2) for ``origin``."""
    return v2.encode(credential, origin, trust_lists)


def decode_bytes(unverified: bytes, origin: str, trust_lists: Sequence[TrustList] = ()) -> CoSignedCredential:
    """Unpack transport bytes of any supported version; every malformation raises QRDecodeError."""
    version = unverified[0] if unverified else 0
    if version == v1.VERSION:
        return v1.decode(unverified, origin)
    if version == v2.VERSION:
        return v2.decode(unverified, origin, trust_lists)
    dictionary(version)  # raises UnsupportedQRVersion
    raise QRDecodeError(f"QR format version {version} is not supported")  # pragma: no cover


#: Decimal digits converted at a time: Python refuses int/str conversions of more than
#: ``sys.get_int_max_str_digits()`` digits (4300 by default, at least 640), and a QR holds 7089.
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


@lru_cache(maxsize=64)
def _origin(prefix: str) -> str:
    try:
        parts = urlsplit(prefix.lower())
    except ValueError as exc:  # an unparseable host ("[X", "[1.2.3.4]", "℀") is a damaged QR text
        raise QRDecodeError("the verification URL before '#' is not a valid address") from exc
    return f"{parts.scheme}://{parts.netloc}"
