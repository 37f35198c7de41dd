"""Split compact JSON into a skeleton and its variable values, and join them back byte for byte.

The QR transport compresses the skeleton (which matches the preset dictionary almost whole)
separately from the values, so that the structure costs a few bytes rather than one
back-reference per field.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from functools import lru_cache

from certsvc.credentials.errors import QRDecodeError

#: String values kept in the skeleton because every credential carries them.
VOCABULARY = frozenset(
    {
        b"EdDSA",
        b"Ed25519",
        b"ES256",
        b"JWT",
        b"https://www.w3.org/ns/credentials/v2",
        b"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        b"VerifiableCredential",
        b"OpenBadgeCredential",
        b"AchievementSubject",
        b"IdentityObject",
        b"ext:idDocumentNumber",
        b"Achievement",
        b"Certificate",
        b"ext:RecognitionOfPriorLearning",
        b"Alignment",
        b"ISCO-08",
        b"ESCO",
        b"AQRF",
        b"Evidence",
        b"practical_test",
        b"portfolio",
        b"interview",
        b"third_party_report",
    }
)
_QUOTE, _BACKSLASH, _COLON = 0x22, 0x5C, 0x3A
_NUMBER_CHARS = frozenset(b"-+.eE0123456789")
_NUMBER_START = frozenset(b"-0123456789")
STRING_SLOT = b'""'
NUMBER_SLOT = b"0"
_QUOTE_BYTE = b'"'
#: A JSON string (a key, a kept value, or an empty string slot) or a number slot.
_SKELETON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|0', re.DOTALL)


def split(raw: bytes) -> tuple[bytes, list[bytes]]:
    """Return the skeleton of compact JSON bytes and its variable values, in order."""
    skeleton = bytearray()
    values: list[bytes] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == _QUOTE:
            end = _string_end(raw, i)
            content = raw[i + 1 : end]
            is_key = end + 1 < n and raw[end + 1] == _COLON
            # An empty key stays a slot: kept as '""' it would read back as a string slot.
            if (is_key and content) or content in VOCABULARY:
                skeleton += raw[i : end + 1]
            else:
                skeleton += STRING_SLOT
                values.append(content)
            i = end + 1
        elif c in _NUMBER_START:
            end = i
            while end < n and raw[end] in _NUMBER_CHARS:
                end += 1
            skeleton += NUMBER_SLOT
            values.append(raw[i:end])
            i = end
        else:
            skeleton.append(c)
            i += 1
    return bytes(skeleton), values


def join(unverified_skeleton: bytes, values: Iterable[bytes], final: bool = True) -> bytes:
    """Rebuild JSON bytes from a skeleton and its values; malformed input raises QRDecodeError.

    With ``final=False`` the values may hold more than this skeleton needs (an iterator
    shared by several skeletons).
    """
    chunks = _template(unverified_skeleton)
    pending = iter(values)
    slots = len(chunks) - 1
    taken = list(itertools.islice(pending, slots))
    if len(taken) != slots:
        raise QRDecodeError("the QR data has fewer values than its template needs")
    if final and next(pending, None) is not None:
        raise QRDecodeError("the QR data has more values than its template needs")
    # Chunks and values alternate: chunk, value, chunk, ..., value, chunk.
    out: list[bytes] = [b""] * (2 * slots + 1)
    out[0::2] = chunks
    out[1::2] = taken
    return b"".join(out)


@lru_cache(maxsize=64)
def _template(unverified_skeleton: bytes) -> tuple[bytes, ...]:
    """Cut a skeleton into the literal chunks between its slots (cached: skeletons repeat).

    A string slot's quotes belong to the chunks around it, so that joining is plain alternation.
    """
    chunks: list[bytes] = []
    current = bytearray()
    position = 0
    for match in _SKELETON_TOKEN.finditer(unverified_skeleton):
        _add_gap(current, unverified_skeleton[position : match.start()])
        token = match.group()
        if token in (STRING_SLOT, NUMBER_SLOT):
            is_string = token == STRING_SLOT
            chunks.append(bytes(current + _QUOTE_BYTE) if is_string else bytes(current))
            current = bytearray(_QUOTE_BYTE if is_string else b"")
        else:
            current += token
        position = match.end()
    _add_gap(current, unverified_skeleton[position:])
    chunks.append(bytes(current))
    return tuple(chunks)


def _add_gap(current: bytearray, gap: bytes) -> None:
    if _QUOTE_BYTE in gap:
        raise QRDecodeError("unterminated string in the QR data")
    current += gap


def _string_end(raw: bytes, start: int) -> int:
    # The next quote ends the string unless an odd run of backslashes escapes it; bytes.find
    # looks for it at C speed (a credential's strings rarely hold a backslash at all).
    end = raw.find(_QUOTE_BYTE, start + 1)
    while end != -1:
        before = end - 1
        while raw[before] == _BACKSLASH:  # stops at the opening quote at the latest
            before -= 1
        if (end - 1 - before) % 2 == 0:
            return end
        end = raw.find(_QUOTE_BYTE, end + 1)
    raise QRDecodeError("unterminated string in the QR data")
