// Bytes and text read as strictly as the Python core reads them: canonical base64url,
// UTF-8 that must decode, JSON objects without duplicate member names.

/** A check failed; `code` is the Python error's code, `reason` its data.reason (if any). */
export class VerifyError extends Error {
  constructor(code, message, reason = null) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

export const malformed = (message, reason = null) => new VerifyError("malformed", message, reason);

const B64URL = /^[A-Za-z0-9_-]*$/;

export function b64urlEncode(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64urlDecode(unverifiedText) {
  if (typeof unverifiedText !== "string" || !B64URL.test(unverifiedText) || unverifiedText.length % 4 === 1) {
    throw malformed("not base64url text");
  }
  const padded = unverifiedText.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - (unverifiedText.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  // One byte string has one encoding: the QR transport rebuilds the signed text from bytes.
  if (b64urlEncode(bytes) !== unverifiedText) throw malformed("non-canonical base64url text");
  return bytes;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
export const utf8 = (bytes) => UTF8.decode(bytes);
export const utf8Bytes = (text) => new TextEncoder().encode(text);

/** Parse UTF-8 JSON bytes (or text) that must be an object without duplicate member names. */
export function parseJsonObject(unverified, what) {
  let value;
  let text;
  try {
    // Bytes decode strictly, so only given text can hold half a character (which the Python
    // core's UTF-8 decoder refuses in bytes): only given text is walked.
    if (typeof unverified === "string" && !wellFormed(unverified)) throw malformed("not UTF-8");
    text = typeof unverified === "string" ? unverified : utf8(unverified);
    value = JSON.parse(text);
    assertNoDuplicates(text);
  } catch (error) {
    throw malformed(`${what} is not valid UTF-8 JSON`);
  }
  if (!isObject(value)) throw malformed(`${what} must be a JSON object`);
  // Valid UTF-8 holds no surrogate, so only an escape can make one: look closer only then.
  if (SURROGATE_ESCAPE.test(text) && holdsUnpairedSurrogate(value)) {
    throw malformed(`${what} holds an unpaired surrogate escape (such as \\ud800), which is not text`);
  }
  return value;
}

// A JSON escape of a code unit in U+D800-U+DFFF (a backslash before it may make it text: the walk decides).
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

// Half a character anywhere, in a member name or a string: text nothing can show, store or encode.
function holdsUnpairedSurrogate(value) {
  const pending = [value];
  while (pending.length) {
    const item = pending.pop();
    if (typeof item === "string") {
      if (!wellFormed(item)) return true;
    } else if (Array.isArray(item)) {
      for (const member of item) pending.push(member); // no spread: a long array is not an argument list
    } else if (isObject(item)) {
      for (const [key, member] of Object.entries(item)) pending.push(key, member);
    }
  }
  return false;
}

// String.prototype.isWellFormed, which older phones' browsers lack.
function wellFormed(text) {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return false;
    }
  }
  return true;
}

export function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** True for a JSON integer (Python's int, not bool or float). */
export function isInt(value) {
  return typeof value === "number" && Number.isInteger(value);
}

// JSON.parse keeps the last of duplicate members; Python's reader (and ours) refuses them.
// Runs on text JSON.parse accepted, so a plain scan for object keys is enough.
function assertNoDuplicates(text) {
  const stack = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1));
        const keys = stack[stack.length - 1];
        if (keys.has(key)) throw new Error("duplicate member name");
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === "{") {
      stack.push(new Set());
      expectKey = true;
    } else if (c === "[") {
      stack.push(null);
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
}
