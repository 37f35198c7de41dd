"""Unicode text in 128-character windows: about one byte per character for any alphabetic script.

UTF-8 spends three bytes on every Burmese, Thai, Khmer, Bengali or Devanagari character and two
on every Latin letter with a diacritic. A windowed text (SCSU-like, much simplified) writes ASCII
as itself and every other character as one byte 0x80 + offset within the current window of 128
code points, window ``w`` covering U+(128·w) to U+(128·w + 127). Byte 0x01 followed by a window
number (1 to 255) moves to another window. Text with a character at U+8000 or above is not
windowed (it stays UTF-8).
"""

from __future__ import annotations

from certsvc.credentials.errors import QRDecodeError

MARKER = 0x06
_SWITCH = 0x01
_WINDOW = 0x80
_ASCII_END = 0x80
_LAST_WINDOW = 0xFF


def to_windows(text: bytes) -> bytes | None:
    """Return the windowed form of UTF-8 JSON string content, or None if it has no such form."""
    try:
        chars = text.decode("utf-8")
    except UnicodeDecodeError:
        return None
    window = next((ord(ch) >> 7 for ch in chars if ord(ch) >= _ASCII_END), None)
    if window is None or window > _LAST_WINDOW:
        return None
    out = bytearray([MARKER, window])
    for ch in chars:
        point = ord(ch)
        if point < _ASCII_END:
            out.append(point)
            continue
        block = point >> 7
        if block > _LAST_WINDOW:
            return None
        if block != window:
            out += bytes([_SWITCH, block])
            window = block
        out.append(_WINDOW + (point & 0x7F))
    return bytes(out)


def from_windows(unverified: bytes) -> bytes:
    """Return the UTF-8 text of a windowed value (which starts with its marker)."""
    if len(unverified) < 2 or unverified[0] != MARKER:
        raise QRDecodeError("a windowed text needs its marker and a window")
    window = unverified[1]
    chars = []
    i, n = 2, len(unverified)
    while i < n:
        byte = unverified[i]
        if byte >= _WINDOW:
            chars.append(chr((window << 7) + byte - _WINDOW))
        elif byte >= 0x20:
            chars.append(chr(byte))
        elif byte == _SWITCH and i + 1 < n and unverified[i + 1]:
            window = unverified[i + 1]
            i += 1
        else:
            raise QRDecodeError("a windowed text holds a control byte")
        i += 1
    if not window:
        raise QRDecodeError("window 0 is not a window")
    return "".join(chars).encode("utf-8")
