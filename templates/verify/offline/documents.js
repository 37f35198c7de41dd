// The signed documents an offline verdict rests on, checked as certsvc/credentials/trustlist.py
// and statuslist.py check them: trust lists against the anchor keys that ship with the page
// (an anchor vouches for its own authority and country only), status lists against their
// provider's key in a verified trust list, their `lst` inflated with a bound.
import { VerifyError, b64urlDecode, isInt, isObject, parseJsonObject } from "./json.js";
import { importJwk, parseCompact, verifyDocument } from "./jws.js";

const TRUST_TYP = "trustlist+jwt";
const STATUS_TYP = "statuslist+jwt";
const TRUST_REQUIRED = ["iss", "iat", "ttl", "seq", "country", "authority", "organisations", "equivalences"];
const COUNTRY = /^[A-Z]{2}$/;
const MAX_STATUS_BYTES = 2 ** 24;
const MAX_DOCUMENT_CHARS = 4 * 1024 * 1024;

const bad = (message) => new VerifyError("trust_list_invalid", message);

/** A key of a trust list or anchor: its URI, JWK, validity window and state; imported once. */
function trustedKey(data) {
  if (!isObject(data) || typeof data.uri !== "string" || !data.uri) throw bad("a trusted key needs a uri");
  const notBefore = time(data.not_before);
  if (notBefore === null) throw bad("a trusted key needs not_before");
  let imported = null;
  return {
    uri: data.uri,
    jwk: data.jwk,
    notBefore,
    notAfter: time(data.not_after),
    state: data.state ?? "active",
    compromisedSince: time(data.compromised_since),
    cryptoKey: () => (imported ??= importJwk(data.jwk)),
  };
}

function time(value) {
  if (value === null || value === undefined) return null;
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(String(value))) throw bad("times in the trust list must carry a time zone");
  const ms = Date.parse(String(value));
  if (Number.isNaN(ms)) throw bad("not a time");
  return ms;
}

/** Whether a signature made at `moment` (ms) is acceptable under `key` (TrustedKey.valid_at). */
export function validAt(key, moment) {
  if (moment < key.notBefore || (key.notAfter !== null && moment > key.notAfter)) return false;
  return !compromisedBefore(key, moment);
}

export function compromisedBefore(key, moment) {
  if (key.compromisedSince === null) return key.state === "compromised";
  return key.compromisedSince <= moment;
}

export function retiredBefore(key, moment) {
  return key.notAfter !== null && key.notAfter < moment;
}

function organisation(data) {
  if (!isObject(data) || typeof data.id !== "string" || !data.id) throw bad("an organisation needs an id");
  if (typeof data.name !== "string" || !data.name) throw bad("an organisation needs a name");
  if (!["authority", "embassy", "provider"].includes(data.kind)) throw bad("unknown organisation kind");
  if (typeof data.country !== "string" || !COUNTRY.test(data.country)) throw bad("country");
  const host = data.host_country ?? null;
  if (host !== null && (typeof host !== "string" || !COUNTRY.test(host))) throw bad("host_country");
  if (!Array.isArray(data.keys)) throw bad("keys must be an array");
  const keys = data.keys.map(trustedKey);
  if (keys.some((k) => !k.uri.startsWith(data.id + "#"))) throw bad("every key URI starts with its organisation's id");
  const accreditations = data.accreditations ?? [];
  if (!Array.isArray(accreditations)) throw bad("accreditations must be an array");
  return {
    id: data.id, name: data.name, kind: data.kind, country: data.country, hostCountry: host, keys,
    accreditations: accreditations.map((a) => ({
      qualification: String(a.qualification), from: a.from, until: a.until || null, suspendedSince: a.suspended_since || null,
    })),
  };
}

/** Whether the provider was accredited for `qualification` on `day` ("YYYY-MM-DD"). */
export function accreditedFor(org, qualification, day) {
  return org.accreditations.some((a) => a.qualification === qualification && day >= a.from
    && (a.until === null || day <= a.until) && (a.suspendedSince === null || day < a.suspendedSince));
}

/** Load a trust list's claims (signature not yet checked) into the shape the checks read. */
export function trustListFromClaims(claims) {
  for (const name of TRUST_REQUIRED) if (!(name in claims)) throw bad(`claim ${name} is required`);
  const authority = organisation(claims.authority);
  if (authority.kind !== "authority" || authority.id !== claims.iss) throw bad("the trust list issuer must be its authority");
  if (typeof claims.country !== "string" || !COUNTRY.test(claims.country) || authority.country !== claims.country) throw bad("country");
  if (!isInt(claims.seq) || claims.seq < 0 || !isInt(claims.iat) || claims.iat < 0 || !isInt(claims.ttl) || claims.ttl < 1) {
    throw bad("seq, iat and ttl must be whole numbers");
  }
  if (!Array.isArray(claims.organisations) || !Array.isArray(claims.equivalences)) throw bad("arrays");
  const organisations = claims.organisations.map(organisation);
  const keys = new Map();
  for (const org of [authority, ...organisations]) for (const key of org.keys) keys.set(key.uri, [org, key]);
  const all = [authority, ...organisations];
  if (keys.size !== all.reduce((n, o) => n + o.keys.length, 0)) throw bad("a key URI is listed more than once");
  if (new Set(all.map((o) => o.id)).size !== all.length) throw bad("an organisation is listed more than once");
  const equivalences = new Map();
  for (const rule of claims.equivalences) {
    const national = rule.national;
    if (!isObject(national)) throw bad("an equivalence needs its national qualification");
    if (!equivalences.has(String(rule.foreign_qualification))) {
      equivalences.set(String(rule.foreign_qualification), {
        nationalCode: String(national.code), nationalTitle: String(national.title),
        framework: String(national.framework), level: String(national.level), note: String(rule.note ?? ""),
      });
    }
  }
  return {
    claims, authority, organisations, keys, equivalences,
    country: claims.country, countryName: claims.country_name ?? claims.country,
    seq: claims.seq, issuedAt: claims.iat * 1000, ttl: claims.ttl,
    key: (uri) => keys.get(uri) ?? null,
    organisation: (id) => all.find((o) => o.id === id) ?? null,
  };
}

/** Anchors as /o/<slug>/anchor.json lists them, by key URI. */
export function anchorsFromJson(list) {
  const anchors = new Map();
  for (const entry of Array.isArray(list) ? list : []) {
    if (!isObject(entry) || typeof entry.uri !== "string" || !entry.uri.includes("#")) continue;
    let imported = null;
    anchors.set(entry.uri, {
      uri: entry.uri, jwk: entry.jwk, authority: entry.authority || entry.uri.split("#")[0], country: entry.country ?? null,
      cryptoKey: () => (imported ??= importJwk(entry.jwk)),
    });
  }
  return anchors;
}

/** Verify and load a trust list token against the anchors. */
export async function parseTrustList(unverifiedToken, anchors) {
  const jws = parseCompact(unverifiedToken, TRUST_TYP, MAX_DOCUMENT_CHARS);
  const trustList = trustListFromClaims(parseJsonObject(jws.payload, "trust list"));
  const anchor = anchors.get(jws.header.kid);
  if (!anchor) throw new VerifyError("unknown_key", "the trust list is not signed by a trusted authority key");
  if (anchor.authority !== trustList.authority.id) throw new VerifyError("unknown_key", "signed by an anchor of another authority");
  if (anchor.country && anchor.country !== trustList.country) throw new VerifyError("unknown_key", "the anchor is for another country");
  await verifyDocument(jws, anchor);
  return trustList;
}

/** Verify a status list token under its provider's key (found through `keyOf(kid)`), and decode it. */
export async function parseStatusList(unverifiedToken, keyOf, now) {
  const jws = parseCompact(unverifiedToken, STATUS_TYP, MAX_DOCUMENT_CHARS);
  const key = keyOf(jws.header.kid);
  if (!key) throw new VerifyError("unknown_key", "no trusted key has this kid");
  const claims = await verifyDocument(jws, key);
  for (const name of ["sub", "iat", "status_list"]) if (!(name in claims)) throw new VerifyError("malformed", `claim ${name} is required`);
  const expiresAt = optionalDate(claims.exp);
  if (expiresAt !== null && now >= expiresAt) throw new VerifyError("status_list_invalid", "the status list token has expired");
  const { bits, lst } = isObject(claims.status_list) ? claims.status_list : {};
  if (![1, 2, 4, 8].includes(bits) || typeof lst !== "string" || !lst) throw new VerifyError("malformed", "status_list");
  const data = await boundedInflate(b64urlDecode(lst), MAX_STATUS_BYTES);
  if (!data.length) throw new VerifyError("malformed", "status list is empty");
  const size = (data.length * 8) / bits;
  const assigned = claims.assigned ?? null;
  if (assigned !== null && (!isInt(assigned) || assigned < 0 || assigned > size)) throw new VerifyError("malformed", "assigned");
  const ttl = claims.ttl ?? null;
  if (ttl !== null && (!isInt(ttl) || ttl < 1)) throw new VerifyError("malformed", "ttl");
  if (typeof claims.sub !== "string" || !claims.sub) throw new VerifyError("malformed", "sub");
  const issuedAt = optionalDate(claims.iat);
  if (issuedAt === null) throw new VerifyError("malformed", "iat");
  return {
    uri: claims.sub, issuedAt, ttl, expiresAt, signer: jws.header.kid, assigned, bits, size,
    get(idx) {
      if (!isInt(idx) || idx < 0 || idx >= size) throw new VerifyError("status_list_invalid", "index outside the status list");
      const perByte = 8 / bits;
      return (data[Math.floor(idx / perByte)] >> ((idx % perByte) * bits)) & ((1 << bits) - 1);
    },
    wasAssigned: (idx) => (assigned === null ? null : idx < assigned),
    freshUntil() {
      const ends = [expiresAt, ttl === null ? null : issuedAt + ttl * 1000].filter((t) => t !== null);
      return ends.length ? Math.min(...ends) : null;
    },
  };
}

function optionalDate(value) {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isFinite(value)) throw new VerifyError("malformed", "not a NumericDate");
  return value * 1000;
}

// zlib (RFC 1950), which the browser inflates itself; read no further than the bound allows.
async function boundedInflate(compressed, maxBytes) {
  const reader = new Blob([compressed]).stream().pipeThrough(new DecompressionStream("deflate")).getReader();
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        reader.cancel();
        throw new VerifyError("input_too_large", "status list inflates beyond its bound");
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof VerifyError) throw error;
    throw new VerifyError("malformed", "status list lst is not a zlib stream");
  }
  const data = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) { data.set(chunk, at); at += chunk.length; }
  return data;
}

/**
 * Verify a bundle {trust_lists, status_lists} (tokens) against anchors at `now` (ms).
 * A document that fails is left out, as verifier/documents.py leaves it out.
 */
export async function verifyBundle(bundle, anchors, now) {
  const trustLists = [];
  const refused = [];
  for (const token of bundle.trust_lists || []) {
    try { trustLists.push(await parseTrustList(token, anchors)); } catch (error) { refused.push(error.message); }
  }
  const providerKey = (kid) => {
    for (const list of trustLists) {
      const found = list.key(kid);
      if (found && found[0].kind === "provider") return found[1];
    }
    return null;
  };
  const statusLists = new Map();
  for (const token of bundle.status_lists || []) {
    try {
      const verified = await parseStatusList(token, providerKey, now);
      statusLists.set(verified.uri, verified);
    } catch (error) { refused.push(error.message); }
  }
  return { trustLists, statusLists, refused };
}
