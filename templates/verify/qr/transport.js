// The QR transport in the browser (certsvc/qr/transport.py, decoding side): a verifier URL with the
// credential after '#' as the decimal digits of one big-endian number. Reads format versions 1
// and 2 and gives the same bytes as the server, or refuses with the same reason code.

import { base64url, hex, sha256, utf8 } from "./bytes.js";
import { QrError, UNSUPPORTED_VERSION, malformed, tooLarge } from "./errors.js";
import { indexOf, keyNames } from "./catalogue.js";
import { asciiBytes, originOf } from "./origin.js";
import * as v1 from "./v1.js";
import * as v2 from "./v2.js";

export { QrError };

/** Numeric capacity of the largest QR code (version 40, ECC L). */
export const MAX_DIGITS = 7089;
export const MAX_TEXT_CHARS = MAX_DIGITS + 2048;
/** SHA-256 of each published dictionary: a dictionary that does not match is refused. */
const PUBLISHED = {
  1: "f9485960db840dbe22e664772c01d86aea7812303c59d5c9d924e714448c715c",
  2: "885e5419bdefededbe5667ce75f0f0aad574d68628b774fb64342b1122c34262",
};
/** What Python's str.strip() takes for white space. */
const SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const STRIP = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, "g");
const DIGITS = /^[1-9][0-9]*$/;

const DICTIONARIES = new WeakMap();

/** The frozen dictionary of `version`, fetched once per loader and checked against its hash. */
function dictionary(version, loadDictionary) {
  let loaded = DICTIONARIES.get(loadDictionary);
  if (loaded === undefined) {
    loaded = new Map();
    DICTIONARIES.set(loadDictionary, loaded);
  }
  if (!loaded.has(version)) {
    const checked = (async () => {
      const data = new Uint8Array(await loadDictionary(`qr-dict-v${version}.bin`));
      if (hex(await sha256(data)) !== PUBLISHED[version]) {
        throw new QrError(UNSUPPORTED_VERSION, `the QR dictionary v${version} does not match its published hash`);
      }
      return data;
    })();
    checked.catch(() => loaded.delete(version)); // a failed fetch may be retried
    loaded.set(version, checked);
  }
  return loaded.get(version);
}

/** The big-endian bytes of a decimal number (no leading zero bytes). */
function digitsToBytes(digits) {
  let text = BigInt(digits).toString(16);
  if (text.length % 2) text = "0" + text;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

/**
 * Rebuild the credential from QR text (the full URL with its '#' fragment).
 *
 * `trustLists`: verified trust-list claims (their `catalogue` is what version 2 codes pin, their
 * keys what they name); `loadDictionary(name)`: a Promise of the bytes of "qr-dict-v1.bin" or
 * "qr-dict-v2.bin". Returns `{ payload, signatures: [{ protected, signature }] }` (Uint8Arrays);
 * throws QrError with the server's reason code.
 */
export async function decodeQrText(unverifiedText, trustLists, loadDictionary) {
  const text = unverifiedText.replace(STRIP, "");
  // Python counts code points; a string of more UTF-16 units may still be short enough.
  if (text.length > MAX_TEXT_CHARS && Array.from(text).length > MAX_TEXT_CHARS) {
    throw tooLarge("QR text too long", MAX_TEXT_CHARS);
  }
  const hash = text.lastIndexOf("#");
  if (hash <= 0) throw malformed("QR text must be the verification URL with the credential after '#'");
  const prefix = text.slice(0, hash);
  const digits = text.slice(hash + 1);
  if (!DIGITS.test(digits)) throw malformed("the part after '#' must be decimal digits");
  if (digits.length > MAX_DIGITS) throw tooLarge("too many digits for a QR code", MAX_DIGITS);
  const data = digitsToBytes(digits);
  const origin = originOf(prefix);
  const version = data[0];
  if (version === v1.VERSION) {
    return v1.decode(data, asciiBytes(origin), await dictionary(1, loadDictionary));
  }
  if (version === v2.VERSION) {
    const indexes = await Promise.all((trustLists ?? []).map(indexOf));
    const context = {
      dictionary: await dictionary(2, loadDictionary),
      origin: utf8(origin),
      asciiOrigin: asciiBytes(origin),
      indexes,
      keys: keyNames(indexes),
    };
    return v2.decode(data, context);
  }
  throw new QrError(UNSUPPORTED_VERSION, `QR format version ${version} is not supported`, { version });
}

/** Signature `index` of a decoded credential as a standard compact JWS. */
export function compact(decoded, index) {
  const signature = decoded.signatures[index];
  if (signature === undefined) throw new RangeError(`the credential has no signature ${index}`);
  return `${base64url(signature.protected)}.${base64url(decoded.payload)}.${base64url(signature.signature)}`;
}

