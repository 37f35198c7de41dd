// Raw DEFLATE (RFC 1951) inflate with a preset dictionary, which the browser's own
// DecompressionStream cannot take. It refuses exactly the streams zlib refuses (so that the
// browser and the server give the same reason), and stops as soon as the output passes its budget.

import { QrError, malformed, tooLarge } from "./errors.js";

/** zlib's window: a back-reference reaches at most this far, into the dictionary's last bytes too. */
const WINDOW = 32768;
const MAX_BITS = 15;
const END_OF_BLOCK = 256;
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DISTANCE_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order in which a dynamic block lists the code lengths of its code-length code. */
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const MAX_LITERAL_CODES = 286;
const MAX_DISTANCE_CODES = 30;

/** The input as a stream of bits, least significant first; running out is a truncated stream. */
class BitReader {
  constructor(data) {
    this.data = data;
    this.position = 0; // in bits
  }

  bit() {
    const byte = this.position >> 3;
    if (byte >= this.data.length) throw malformed("the compressed QR data is truncated");
    const value = (this.data[byte] >> (this.position & 7)) & 1;
    this.position++;
    return value;
  }

  bits(count) {
    let value = 0;
    for (let i = 0; i < count; i++) value |= this.bit() << i;
    return value;
  }

  toByte() {
    this.position = (this.position + 7) & ~7;
  }

  /** Input bytes used so far (a partly used byte counts as used). */
  get bytesUsed() {
    return (this.position + 7) >> 3;
  }
}

/** A canonical Huffman code: how many codes each length has and the symbols in code order. */
class Huffman {
  /** Build the code of `lengths`; throws as zlib does for an over-full code, or an incomplete one
   * unless `incompleteAllowed` and it is a single one-bit code. */
  constructor(lengths, incompleteAllowed, what) {
    this.counts = new Uint16Array(MAX_BITS + 1);
    for (const length of lengths) this.counts[length]++;
    this.counts[0] = 0;
    let longest = 0;
    for (let length = 1; length <= MAX_BITS; length++) if (this.counts[length]) longest = length;
    let left = 1;
    for (let length = 1; length <= MAX_BITS; length++) {
      left = left * 2 - this.counts[length];
      if (left < 0) throw malformed(`invalid ${what}: over-subscribed`);
    }
    // zlib accepts a code with no symbols at all (its use is an error) or a single one-bit code.
    if (longest > 0 && left > 0 && (!incompleteAllowed || longest !== 1)) {
      throw malformed(`invalid ${what}: incomplete`);
    }
    const offsets = new Uint16Array(MAX_BITS + 2);
    for (let length = 1; length <= MAX_BITS; length++) offsets[length + 1] = offsets[length] + this.counts[length];
    this.symbols = new Uint16Array(lengths.length);
    lengths.forEach((length, symbol) => {
      if (length) this.symbols[offsets[length]++] = symbol;
    });
  }

  /** Read one symbol: walk the code bit by bit (codes are written most significant bit first). */
  decode(reader, what) {
    let code = 0; // the bits read so far
    let first = 0; // the first code of the current length
    let index = 0; // the index of that code's symbol
    for (let length = 1; length <= MAX_BITS; length++) {
      code |= reader.bit();
      const count = this.counts[length];
      if (code - first < count) return this.symbols[index + code - first];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw malformed(`invalid ${what} code`);
  }
}

let fixedCodes = null;

function fixed() {
  if (fixedCodes === null) {
    const lengths = new Array(288).fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
    // 288 literal/length and 32 distance codes, as zlib builds them: the last two of each are invalid.
    fixedCodes = [new Huffman(lengths, false, "literal/length"), new Huffman(new Array(32).fill(5), false, "distance")];
  }
  return fixedCodes;
}

/** The output: the dictionary's window, then what is inflated, within the budget. */
class Output {
  constructor(dictionary, maxOutput) {
    this.start = Math.min(dictionary.length, WINDOW);
    this.max = maxOutput;
    this.buffer = new Uint8Array(this.start + Math.min(maxOutput, 1 << 16) + 1);
    this.buffer.set(dictionary.subarray(dictionary.length - this.start));
    this.end = this.start;
  }

  room() {
    if (this.end - this.start >= this.max) {
      throw tooLarge("the QR data inflates beyond its limit", this.max);
    }
    if (this.end === this.buffer.length) {
      const grown = new Uint8Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
  }

  push(byte) {
    this.room();
    this.buffer[this.end++] = byte;
  }

  copy(distance, length) {
    if (distance > this.end) throw malformed("invalid distance too far back");
    for (let i = 0; i < length; i++) {
      this.room();
      this.buffer[this.end] = this.buffer[this.end - distance];
      this.end++;
    }
  }

  bytes() {
    return this.buffer.slice(this.start, this.end);
  }
}

function storedBlock(reader, output) {
  reader.toByte();
  const length = reader.bits(16);
  const complement = reader.bits(16);
  if (length !== (~complement & 0xffff)) throw malformed("invalid stored block lengths");
  for (let i = 0; i < length; i++) {
    const byte = reader.bits(8); // read before written: a short stream is truncated, not too large
    output.push(byte);
  }
}

function dynamicCodes(reader) {
  const literalCount = reader.bits(5) + 257;
  const distanceCount = reader.bits(5) + 1;
  const lengthCodeCount = reader.bits(4) + 4;
  if (literalCount > MAX_LITERAL_CODES || distanceCount > MAX_DISTANCE_CODES) {
    throw malformed("too many length or distance symbols");
  }
  const codeLengths = new Array(19).fill(0);
  for (let i = 0; i < lengthCodeCount; i++) codeLengths[CODE_LENGTH_ORDER[i]] = reader.bits(3);
  const lengthCode = new Huffman(codeLengths, false, "code lengths set");
  const lengths = [];
  const wanted = literalCount + distanceCount;
  while (lengths.length < wanted) {
    // A code-length code without symbols reads as lengths 0 in zlib, and then misses its
    // end-of-block code: refused either way, as here.
    const symbol = lengthCode.decode(reader, "code length");
    if (symbol < 16) {
      lengths.push(symbol);
      continue;
    }
    let repeated = 0;
    let count;
    if (symbol === 16) {
      if (!lengths.length) throw malformed("invalid bit length repeat");
      repeated = lengths[lengths.length - 1];
      count = 3 + reader.bits(2);
    } else if (symbol === 17) {
      count = 3 + reader.bits(3);
    } else {
      count = 11 + reader.bits(7);
    }
    if (lengths.length + count > wanted) throw malformed("invalid bit length repeat");
    for (let i = 0; i < count; i++) lengths.push(repeated);
  }
  if (!lengths[END_OF_BLOCK]) throw malformed("invalid code -- missing end-of-block");
  return [
    new Huffman(lengths.slice(0, literalCount), true, "literal/lengths set"),
    new Huffman(lengths.slice(literalCount), true, "distances set"),
  ];
}

function codedBlock(reader, output, [literals, distances]) {
  for (;;) {
    const symbol = literals.decode(reader, "literal/length");
    if (symbol < END_OF_BLOCK) {
      output.push(symbol);
      continue;
    }
    if (symbol === END_OF_BLOCK) return;
    const lengthIndex = symbol - 257;
    if (lengthIndex >= LENGTH_BASE.length) throw malformed("invalid literal/length code");
    const length = LENGTH_BASE[lengthIndex] + reader.bits(LENGTH_EXTRA[lengthIndex]);
    const distanceIndex = distances.decode(reader, "distance");
    if (distanceIndex >= DISTANCE_BASE.length) throw malformed("invalid distance code");
    const distance = DISTANCE_BASE[distanceIndex] + reader.bits(DISTANCE_EXTRA[distanceIndex]);
    output.copy(distance, length);
  }
}

/**
 * Inflate a raw DEFLATE stream that starts at the beginning of `data`.
 *
 * Returns `{ output, used }`: the inflated bytes and how many input bytes the stream took (the
 * rest follows it). Throws QrError: `input_too_large` once the output would pass `maxOutput`
 * bytes, `qr_malformed` for a corrupt or truncated stream.
 */
export function inflateRaw(data, { dictionary = new Uint8Array(0), maxOutput = Infinity } = {}) {
  const reader = new BitReader(data);
  const output = new Output(dictionary, maxOutput);
  let last = 0;
  while (!last) {
    last = reader.bit();
    const type = reader.bits(2);
    if (type === 0) storedBlock(reader, output);
    else if (type === 1) codedBlock(reader, output, fixed());
    else if (type === 2) codedBlock(reader, output, dynamicCodes(reader));
    else throw malformed("invalid block type");
  }
  return { output: output.bytes(), used: reader.bytesUsed };
}

export { QrError };
