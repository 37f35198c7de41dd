// Byte-string helpers: the transport works on bytes throughout (as Python does), never on text,
// so that a value is rebuilt byte for byte whatever it holds.

const ENCODER = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text) {
  return ENCODER.encode(text);
}

/** Bytes of a string of ASCII (or Latin-1) characters, one byte per character. */
export function latin1(text) {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** The characters of bytes, one per byte (a string that can key a Map). */
export function latin1Text(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096));
  }
  return text;
}

/** Join byte arrays into one. */
export function concat(parts) {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let position = 0;
  for (const part of parts) {
    out.set(part, position);
    position += part.length;
  }
  return out;
}

/** Python's bytes.split(sep, maxsplit): views of `bytes` between occurrences of the byte `sep`. */
export function split(bytes, sep, maxSplit = -1) {
  const parts = [];
  let start = 0;
  for (let i = 0; i < bytes.length && maxSplit !== 0; i++) {
    if (bytes[i] === sep) {
      parts.push(bytes.subarray(start, i));
      start = i + 1;
      maxSplit--;
    }
  }
  parts.push(bytes.subarray(start));
  return parts;
}

/** Tell whether two byte arrays hold the same bytes. */
export function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The big-endian unsigned integer of up to six bytes. */
export function bigEndian(bytes) {
  let number = 0;
  for (const byte of bytes) number = number * 256 + byte;
  return number;
}

/** Lower-case hex of bytes. */
export function hex(bytes) {
  let text = "";
  for (const byte of bytes) text += byte.toString(16).padStart(2, "0");
  return text;
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** base64url of bytes without padding (RFC 4648 section 5, as JOSE writes it). */
export function base64url(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < chars; j++) text += B64URL[(chunk >> (18 - 6 * j)) & 63];
  }
  return text;
}

/** SHA-256 of bytes (WebCrypto). */
export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}
