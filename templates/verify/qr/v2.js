// QR transport format version 2 (certsvc/qr/v2.py), decoding side.
//
//   0x02 | flags | [catalogue pin, 4 bytes] | n x 64 signature bytes | raw DEFLATE | side channel
//
// flags bit 0: two signatures; bit 1: a pin follows. The DEFLATE dictionary is D2, 0x00, the
// origin and, with a pin, 0x00 and the entry's skeleton and values. The stream inflates to the
// skeletons (payload first, then each header after 0x0A), 0x00, the value codes, 0x00, the texts.

import { concat, split } from "./bytes.js";
import { malformed } from "./errors.js";
import { PIN_BYTES, findPinned } from "./catalogue.js";
import { inflateRaw } from "./inflate.js";
import { Budget, LITERAL, PREFIX, decodeValues } from "./markers.js";
import { join } from "./skeleton.js";

export const VERSION = 2;
const SIGNATURE_BYTES = 64;
const TWO_SIGNATURES = 0x01;
const PINNED = 0x02;
export const MAX_INFLATED = 16 * 1024;
const MAX_REBUILT = 32 * 1024;
const SEPARATOR = 0x00;
const PART_SEPARATOR = 0x0a;
const ZERO = new Uint8Array([SEPARATOR]);

function take(data, start, size) {
  const chunk = data.slice(start, start + size);
  if (chunk.length !== size) throw malformed("the QR data ends too early");
  return chunk;
}

function zdict(dictionary, origin, entry) {
  return concat(entry === null ? [dictionary, ZERO, origin] : [dictionary, ZERO, origin, ZERO, entry.zdict]);
}

function decodeWith(data, start, context, entry) {
  const count = data[1] & TWO_SIGNATURES ? 2 : 1;
  const signatures = [];
  for (let i = 0; i < count; i++) signatures.push(take(data, start + i * SIGNATURE_BYTES, SIGNATURE_BYTES));
  const stream = data.subarray(start + count * SIGNATURE_BYTES);
  const dictionary = zdict(context.dictionary, context.asciiOrigin, entry);
  const { output: body, used } = inflateRaw(stream, { dictionary, maxOutput: MAX_INFLATED });
  const side = stream.subarray(used);
  const sections = split(body, SEPARATOR, 2);
  if (sections.length !== 3) throw malformed("the QR data does not hold skeletons, value codes and texts");
  const [skeletons, codes, joined] = sections;
  const parts = split(skeletons, PART_SEPARATOR);
  if (parts.length !== count + 1) throw malformed("the QR data does not hold a payload and one header per signature");
  const budget = new Budget(MAX_REBUILT);
  budget.charge(skeletons.length);
  // No texts and one empty text look the same; the codes say which (the decoder checks the count).
  const wantsLiteral = codes.includes(LITERAL) || codes.includes(PREFIX);
  const literals = joined.length || wantsLiteral ? split(joined, SEPARATOR) : [];
  const values = decodeValues(codes, literals, side, entry?.values ?? null, context.origin, budget, context.keys);
  const fields = { values, next: 0 };
  const rebuilt = parts.map((part) => join(part, fields));
  if (fields.next < values.length) throw malformed("the QR data has more values than its template needs");
  return {
    payload: rebuilt[0],
    signatures: signatures.map((signature, i) => ({ protected: rebuilt[i + 1], signature })),
  };
}

function issuerOf(credential) {
  try {
    const issuer = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(credential.payload))?.issuer;
    return typeof issuer === "string" ? issuer : null;
  } catch {
    return null;
  }
}

/**
 * Unpack version 2 bytes. `context`: the dictionary D2, the origin (UTF-8 bytes) and its ASCII
 * form (non-ASCII characters as '?'), the trust lists' indexes and their key names.
 */
export function decode(data, context) {
  if (data.length < 2 || data[0] !== VERSION) throw malformed("not QR format version 2");
  const flags = data[1];
  if (flags & ~(TWO_SIGNATURES | PINNED)) throw malformed("the QR data sets flags this version does not know");
  if (!(flags & PINNED)) return decodeWith(data, 2, context, null);
  const candidates = findPinned(take(data, 2, PIN_BYTES), context.indexes);
  if (candidates.length === 1) return decodeWith(data, 2 + PIN_BYTES, context, candidates[0]);
  // Two held entries share the pin's bytes: the right one is the one its provider issued.
  const decoded = candidates.map((entry) => [entry, decodeWith(data, 2 + PIN_BYTES, context, entry)]);
  const matching = decoded.filter(([entry, credential]) => entry.providers.has(issuerOf(credential)));
  if (matching.length !== 1) throw malformed("the QR code's catalogue pin matches more than one entry");
  return matching[0][1];
}
