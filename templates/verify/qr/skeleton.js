// Compact JSON as a skeleton and its values (certsvc/qr/skeleton.py): `join` rebuilds a part of
// a credential byte for byte; `split` is needed only to read catalogue entries as the encoder did.

import { concat, latin1, latin1Text } from "./bytes.js";
import { malformed } from "./errors.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const ZERO = 0x30;
const NUMBER_START = new Set(latin1("-0123456789"));
const NUMBER_CHARS = new Set(latin1("-+.eE0123456789"));
const STRING_SLOT = latin1('""');
const NUMBER_SLOT = latin1("0");

/** String values kept in the skeleton because every credential carries them (skeleton.VOCABULARY). */
const VOCABULARY = new Set([
  "EdDSA", "Ed25519", "ES256", "JWT",
  "https://www.w3.org/ns/credentials/v2",
  "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
  "VerifiableCredential", "OpenBadgeCredential", "AchievementSubject", "IdentityObject",
  "ext:idDocumentNumber", "Achievement", "Certificate", "ext:RecognitionOfPriorLearning",
  "Alignment", "ISCO-08", "ESCO", "AQRF", "Evidence",
  "practical_test", "portfolio", "interview", "third_party_report",
]);

/** Where the string starting with the quote at `start` ends (its closing quote), or -1. */
function stringEnd(raw, start) {
  let j = start + 1;
  while (j < raw.length && raw[j] !== QUOTE) j += raw[j] === BACKSLASH ? 2 : 1;
  return j < raw.length ? j : -1;
}

/** The skeleton of compact JSON bytes and its variable values, in order (skeleton.split). */
export function split(raw) {
  const shape = [];
  const values = [];
  let i = 0;
  while (i < raw.length) {
    const c = raw[i];
    if (c === QUOTE) {
      const end = stringEnd(raw, i);
      if (end < 0) throw malformed("unterminated string in the QR data");
      const content = raw.subarray(i + 1, end);
      const isKey = end + 1 < raw.length && raw[end + 1] === COLON;
      if ((isKey && content.length) || VOCABULARY.has(latin1Text(content))) {
        shape.push(raw.subarray(i, end + 1));
      } else {
        shape.push(STRING_SLOT);
        values.push(content);
      }
      i = end + 1;
    } else if (NUMBER_START.has(c)) {
      let end = i;
      while (end < raw.length && NUMBER_CHARS.has(raw[end])) end++;
      shape.push(NUMBER_SLOT);
      values.push(raw.subarray(i, end));
      i = end;
    } else {
      shape.push(raw.subarray(i, i + 1));
      i++;
    }
  }
  return { skeleton: concat(shape), values };
}

/** The literal chunks between a skeleton's slots, and which slots are strings. */
function template(skeleton) {
  const chunks = [];
  const stringSlots = [];
  let current = [];
  let i = 0;
  while (i < skeleton.length) {
    const c = skeleton[i];
    if (c === QUOTE) {
      // An unterminated string fails Python's token pattern and leaves a quote in a gap: refused.
      const end = stringEnd(skeleton, i);
      if (end < 0) throw malformed("unterminated string in the QR data");
      if (end === i + 1) {
        chunks.push(concat(current));
        stringSlots.push(true);
        current = [];
      } else {
        current.push(skeleton.subarray(i, end + 1));
      }
      i = end + 1;
    } else if (c === ZERO) {
      chunks.push(concat(current));
      stringSlots.push(false);
      current = [];
      i++;
    } else {
      current.push(skeleton.subarray(i, i + 1));
      i++;
    }
  }
  chunks.push(concat(current));
  return { chunks, stringSlots };
}

const QUOTE_BYTES = latin1('"');

/**
 * Rebuild JSON bytes from a skeleton and the values `fields.values` from `fields.next` on
 * (a cursor shared by the skeletons of one credential, which this moves on).
 */
export function join(skeleton, fields) {
  const { chunks, stringSlots } = template(skeleton);
  const out = [chunks[0]];
  stringSlots.forEach((isString, i) => {
    if (fields.next >= fields.values.length) throw malformed("the QR data has fewer values than its template needs");
    const value = fields.values[fields.next++];
    if (isString) out.push(QUOTE_BYTES, value, QUOTE_BYTES, chunks[i + 1]);
    else out.push(value, chunks[i + 1]);
  });
  return concat(out);
}
