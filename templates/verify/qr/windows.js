// Unicode text in 128-character windows (certsvc/qr/windows.py), decoding side: ASCII bytes
// stand for themselves, byte 0x80 + n for code point 128 * window + n, byte 0x01 then w moves
// to window w.

import { utf8 } from "./bytes.js";
import { malformed } from "./errors.js";

export const MARKER = 0x06;
const SWITCH = 0x01;
const WINDOW = 0x80;

function inWindow(bytes, window) {
  let text = "";
  for (const byte of bytes) {
    if (byte < 0x20) throw malformed("a windowed text holds a control byte");
    text += String.fromCharCode(byte < WINDOW ? byte : (window << 7) + byte - WINDOW);
  }
  return text;
}

/** The UTF-8 text of a windowed value (which starts with its marker and first window). */
export function fromWindows(value) {
  if (value.length < 2 || value[0] !== MARKER || !value[1]) {
    throw malformed("a windowed text needs its marker and a window (1 to 255)");
  }
  let text = "";
  let window = value[1];
  let position = 2;
  let next;
  while ((next = value.indexOf(SWITCH, position)) >= 0) {
    text += inWindow(value.subarray(position, next), window);
    if (next + 1 >= value.length) throw malformed("a window switch needs a window (1 to 255)");
    window = value[next + 1];
    position = next + 2;
    if (!window) throw malformed("window 0 is not a window");
  }
  text += inWindow(value.subarray(position), window);
  return utf8(text);
}
