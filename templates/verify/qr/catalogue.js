// The trust lists' catalogues and keys as the transport reads them (certsvc/qr/catalogue.py):
// a version 2 QR code may pin a catalogue entry by the first 4 bytes of its SHA-256, and name a
// signing key by the first 4 bytes of the SHA-256 of its URI.

import { concat, hex, latin1Text, sha256, utf8 } from "./bytes.js";
import { CATALOGUE_UNKNOWN, QrError } from "./errors.js";
import { split } from "./skeleton.js";

export const PIN_BYTES = 4;
const KEY_HASH_BYTES = 4;
const SEPARATOR = new Uint8Array([0]);

/** What the transport makes of one catalogue entry: its values and its DEFLATE dictionary. */
async function entryDictionary(achievement) {
  // The canonical bytes: compact JSON, members in the given order, UTF-8; JSON.stringify writes
  // exactly Python's json.dumps(separators=(",", ":"), ensure_ascii=False) for what a catalogue holds.
  const canonical = utf8(JSON.stringify(achievement));
  const { skeleton, values } = split(canonical);
  const pin = (await sha256(canonical)).subarray(0, PIN_BYTES);
  const zdict = concat([skeleton, SEPARATOR, ...values.flatMap((v, i) => (i ? [SEPARATOR, v] : [v]))]);
  return { pin: hex(pin), values, zdict };
}

/** Entry dictionaries by pin and key URIs by name, for one trust list's claims. */
async function buildIndex(claims) {
  const keys = new Map(); // name (hex) -> URI bytes, or null when two keys of the list share the name
  for (const org of [claims.authority, ...(claims.organisations ?? [])]) {
    for (const key of org?.keys ?? []) {
      const uri = utf8(key.uri);
      const name = hex((await sha256(uri)).subarray(0, KEY_HASH_BYTES));
      const known = keys.has(name) ? keys.get(name) : uri;
      keys.set(name, known !== null && latin1Text(known) === latin1Text(uri) ? uri : null);
    }
  }
  const byPin = new Map(); // pin (hex) -> Map(zdict as text -> entry with its providers)
  for (const item of claims.catalogue ?? []) {
    const found = await entryDictionary(item.achievement);
    const same = byPin.get(found.pin) ?? new Map();
    byPin.set(found.pin, same);
    const zkey = latin1Text(found.zdict);
    const known = same.get(zkey) ?? { ...found, providers: new Set() };
    known.providers.add(item.provider);
    same.set(zkey, known);
  }
  return { keys, byPin };
}

const INDEXES = new WeakMap();

/** The index of a trust list's claims (built once per claims object). */
export function indexOf(claims) {
  let index = INDEXES.get(claims);
  if (index === undefined) {
    index = buildIndex(claims);
    INDEXES.set(claims, index);
  }
  return index;
}

/** The entries a QR code may pin among the held trust lists (almost always one); none is refused. */
export function findPinned(pin, indexes) {
  const found = new Map();
  for (const index of indexes) {
    for (const [zkey, entry] of index.byPin.get(hex(pin)) ?? []) {
      const known = found.get(zkey);
      // The same entry in several lists: one candidate, with every provider that publishes it.
      found.set(zkey, known === undefined ? entry : { ...known, providers: new Set([...known.providers, ...entry.providers]) });
    }
  }
  if (!found.size) {
    throw new QrError(
      CATALOGUE_UNKNOWN,
      "the QR code names a qualification that none of the trust lists held here describes: " +
        "load a newer trust list of the holder's country",
      { pin: hex(pin) },
    );
  }
  return [...found.values()];
}

/** Key URIs of the held trust lists by the hex of the bytes that name them (catalogue.KeyNames). */
export function keyNames(indexes) {
  return {
    has: (name) => indexes.some((index) => index.keys.has(name)),
    get(name) {
      const found = new Map();
      for (const index of indexes) {
        if (!index.keys.has(name)) continue;
        const uri = index.keys.get(name);
        found.set(uri === null ? null : latin1Text(uri), uri);
      }
      return found.size === 1 ? [...found.values()][0] : null;
    },
  };
}
