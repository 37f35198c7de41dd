// QR transport format version 1, read only (certsvc/qr/v1.py): codes printed before version 2.
//
//   0x01 | n signatures | side length | n x 64 signature bytes | side channel |
//   raw DEFLATE (dictionary: D1, 0x00, origin) of
//     n x (header skeleton | 0x0A) | payload skeleton | 0x00 | values joined by 0x00

import { concat, split } from "./bytes.js";
import { malformed } from "./errors.js";
import { inflateRaw } from "./inflate.js";
import { Budget } from "./markers.js";
import { join } from "./skeleton.js";
import { epochOf, restore } from "./values.js";

export const VERSION = 1;
const SIGNATURE_BYTES = 64;
const MAX_SIGNATURES = 2;
export const MAX_INFLATED = 16 * 1024;
const MAX_REBUILT = 32 * 1024;
const REPEAT_MARK = 0x02;
const EPOCH_MARK = 0x03;
const SEPARATOR = 0x00;
const PART_SEPARATOR = 0x0a;

/** Resolve references to earlier values (by absolute index), charging every rebuilt byte. */
function resolveReferences(restored, budget) {
  const resolved = [];
  for (let value of restored) {
    if (value.length === 2 && (value[0] === REPEAT_MARK || value[0] === EPOCH_MARK)) {
      if (value[1] >= resolved.length) throw malformed("the QR data refers to a value that comes later");
      const earlier = resolved[value[1]];
      if (value[0] === REPEAT_MARK) {
        value = earlier;
      } else {
        value = epochOf(earlier);
        if (value === null) throw malformed("the QR data refers to a time that is not one");
      }
    }
    budget.charge(value.length);
    resolved.push(value);
  }
  return resolved;
}

function inflate(data, dictionary) {
  const { output, used } = inflateRaw(data, { dictionary, maxOutput: MAX_INFLATED });
  if (used !== data.length) throw malformed("the compressed QR data is truncated or has trailing bytes");
  return output;
}

/** Unpack version 1 bytes for `origin` (ASCII bytes) with the dictionary D1. */
export function decode(data, origin, dictionary) {
  if (data.length < 3 || data[0] !== VERSION) throw malformed("not QR format version 1");
  const [count, sideLength] = [data[1], data[2]];
  if (count < 1 || count > MAX_SIGNATURES) throw malformed("the QR data must hold one or two signatures");
  const position = 3 + count * SIGNATURE_BYTES + sideLength;
  if (data.length < position) throw malformed("the QR data ends too early");
  const signatures = [];
  for (let i = 0; i < count; i++) signatures.push(data.slice(3 + i * SIGNATURE_BYTES, 3 + (i + 1) * SIGNATURE_BYTES));
  const side = data.subarray(position - sideLength, position);
  const body = inflate(data.subarray(position), concat([dictionary, new Uint8Array([SEPARATOR]), origin]));
  const cut = body.indexOf(SEPARATOR);
  const skeletons = cut < 0 ? body : body.subarray(0, cut);
  const joined = cut < 0 ? new Uint8Array(0) : body.subarray(cut + 1);
  const parts = split(skeletons, PART_SEPARATOR);
  if (parts.length !== count + 1) throw malformed("the QR data does not hold one header per signature and a payload");
  const budget = new Budget(MAX_REBUILT);
  budget.charge(skeletons.length);
  const restored = restore(joined.length ? split(joined, SEPARATOR) : [], side);
  const fields = { values: resolveReferences(restored, budget), next: 0 };
  const rebuilt = parts.map((part) => join(part, fields));
  if (fields.next < fields.values.length) throw malformed("the QR data has more values than its template needs");
  return {
    payload: rebuilt[count],
    signatures: signatures.map((signature, i) => ({ protected: rebuilt[i], signature })),
  };
}

