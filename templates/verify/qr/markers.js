// Format version 2's value codes (certsvc/qr/markers.py), decoding side: every value slot of the
// skeletons has a code; literal texts and side-channel bytes fill in what differs.

import { bigEndian, concat, hex, latin1 } from "./bytes.js";
import { CATALOGUE_UNKNOWN, QrError, malformed, tooLarge } from "./errors.js";
import { V2_BY_MARKER, epochOf, momentOf, secondsOf } from "./values.js";
import { MARKER as WINDOWED, fromWindows } from "./windows.js";

export const LITERAL = 0x20;
export const PREFIX = 0x07;
const REPEAT = 0x02;
const EPOCH = 0x03;
const CATALOGUE = 0x09;
const IDENTIFIER = 0x0a;
const LATER = 0x0c;
const NUMBER = 0x0d;
const KEY = 0x0e;
const KEY_HASH_BYTES = 4;
const WITH_DISTANCE = new Set([REPEAT, EPOCH, PREFIX, LATER]);
const DAY = 86400;
const CREDENTIAL_PATH = latin1("/c/");
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const TEXT = 0x20;

/** The bytes a decoder may still produce; charged before anything is built (markers.Budget). */
export class Budget {
  constructor(limit) {
    this.limit = limit;
    this.left = limit;
  }

  charge(size) {
    this.left -= size;
    if (this.left < 0) throw tooLarge("the QR data expands beyond its limit", this.limit);
  }
}

/** The side channel, read in the order the codes appear; every byte must be used. */
class SideReader {
  constructor(data) {
    this.data = data;
    this.position = 0;
  }

  take(size) {
    const chunk = this.data.subarray(this.position, this.position + size);
    if (chunk.length !== size) throw malformed("the QR data refers to a value it does not hold");
    this.position += size;
    return chunk;
  }

  finish() {
    if (this.position !== this.data.length) throw malformed("the QR data holds bytes it does not use");
  }
}

/** The texts, in order; a windowed one is turned back into UTF-8. */
class Literals {
  constructor(literals) {
    this.literals = literals;
    this.position = 0;
  }

  next() {
    if (this.position >= this.literals.length) throw malformed("the QR data holds fewer texts than its codes use");
    const literal = this.literals[this.position++];
    if (literal[0] === WINDOWED) return fromWindows(literal);
    if (literal.some((byte) => byte < TEXT)) throw malformed("a text in the QR data holds a control byte");
    return literal;
  }

  get left() {
    return this.literals.length - this.position;
  }
}

function keyUri(name, keys) {
  const named = hex(name);
  if (!keys.has(named)) {
    throw new QrError(
      CATALOGUE_UNKNOWN,
      "the QR code names a signing key that none of the trust lists held here carries: " +
        "load a newer trust list of the holder's country",
      { key: named },
    );
  }
  const uri = keys.get(named);
  if (uri === null) throw malformed("the QR code names a key by bytes two held keys share");
  return uri;
}

function decodePlain(code, side, literals, origin, keys) {
  if (code === LITERAL) return literals.next();
  if (code === NUMBER) {
    const number = bigEndian(side.take(3));
    if (number < 1000) throw malformed("a number the QR data holds in bytes is too small to be written so");
    return latin1(String(number));
  }
  if (code === KEY) return keyUri(side.take(KEY_HASH_BYTES), keys);
  const codec = V2_BY_MARKER.get(code);
  if (codec !== undefined) return codec.fromRaw(side.take(codec.size));
  if (code === IDENTIFIER) {
    const number = bigEndian(side.take(5));
    let tail = "";
    for (let i = 7; i >= 0; i--) tail += CROCKFORD[Math.floor(number / 2 ** (5 * i)) % 32];
    return concat([origin, CREDENTIAL_PATH, latin1(tail)]);
  }
  throw malformed("the QR data holds an unknown value code");
}

function decodeReference(code, distance, history, side, literals) {
  const earlier = distance >= 1 && distance <= history.length ? history[history.length - distance] : null;
  if (earlier === null) throw malformed("the QR data refers to a value it does not hold");
  if (code === REPEAT) return earlier;
  if (code === EPOCH) {
    const epoch = epochOf(earlier);
    if (epoch !== null) return epoch;
  }
  if (code === LATER) {
    const seconds = secondsOf(earlier);
    if (seconds !== null) return momentOf(seconds + bigEndian(side.take(2)) * DAY);
  }
  if (code === PREFIX) {
    const tail = literals.next();
    if (tail.length) return concat([earlier, tail]);
  }
  throw malformed("the QR data holds a malformed reference");
}

/**
 * Rebuild every value from the codes, literals, side channel and the pinned entry's values
 * (`entry`: an array of byte arrays, or null). `keys` has `has(nameHex)` and `get(nameHex)`.
 */
export function decodeValues(codes, literalTexts, sideBytes, entry, origin, budget, keys) {
  const rebuilt = [];
  const history = []; // what each slot stands for; null for the catalogue's
  const literals = new Literals(literalTexts);
  const side = new SideReader(sideBytes);
  let position = 0;
  while (position < codes.length) {
    const code = codes[position];
    let value;
    if (code === CATALOGUE) {
      if (entry === null || history.includes(null)) {
        throw malformed("the QR data uses a catalogue entry it does not pin, or uses it twice");
      }
      budget.charge(entry.reduce((size, v) => size + v.length, 0));
      rebuilt.push(...entry);
      history.push(null);
      position += 1;
      continue;
    }
    if (WITH_DISTANCE.has(code)) {
      if (position + 1 >= codes.length) throw malformed("the QR data ends inside a value code");
      value = decodeReference(code, codes[position + 1], history, side, literals);
      position += 2;
    } else {
      value = decodePlain(code, side, literals, origin, keys);
      position += 1;
    }
    budget.charge(value.length);
    rebuilt.push(value);
    history.push(value);
  }
  if (entry !== null && !history.includes(null)) throw malformed("the QR data pins a catalogue entry it does not use");
  if (literals.left) throw malformed("the QR data holds more texts than its codes use");
  side.finish();
  return rebuilt;
}
