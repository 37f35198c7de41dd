"""Unicode text in 128-character windows: about one byte per character for any alphabetic script.

UTF-8 spends three bytes on every Burmese, Thai, Khmer, Bengali or Devanagari character and two
on every Latin letter with a diacritic. A windowed text (SCSU-like, much simplified) writes ASCII
as itself and every other character as one byte 0x80 + offset within the current window of 128
code points, window ``w`` covering U+(128·w) to U+(128·w + 127). Byte 0x01 followed by a window
number (1 to 255) moves to another window. Text with a character at U+8000 or above is not
windowed (it stays UTF-8).
"""

from __future__ import annotations

from functools import lru_cache

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
    if len(unverified) < 2 or unverified[0] != MARKER or not unverified[1]:
        raise QRDecodeError("a windowed text needs its marker and a window (1 to 255)")
    text, window, position = [], unverified[1], 2
    while (switch := unverified.find(_SWITCH, position)) >= 0:
        text.append(_in_window(unverified[position:switch], window))
        if switch + 1 >= len(unverified):  # the byte after a switch is never 0: that is the separator
            raise QRDecodeError("a window switch needs a window (1 to 255)")
        window, position = unverified[switch + 1], switch + 2
        if not window:
            raise QRDecodeError("window 0 is not a window")
    text.append(_in_window(unverified[position:], window))
    return "".join(text).encode("utf-8")


def _in_window(unverified: bytes, window: int) -> str:
    if unverified and min(unverified) < 0x20:
        raise QRDecodeError("a windowed text holds a control byte")
    # latin-1 maps each byte to the code point of its value; the table moves 0x80-0xFF into the window.
    return unverified.decode("latin-1").translate(_table(window))


@lru_cache(maxsize=256)
def _table(window: int) -> dict[int, int]:
    return {_WINDOW + offset: (window << 7) + offset for offset in range(128)}
