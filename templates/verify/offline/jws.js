// Compact JWS with our fixed header (alg, kid, typ), the credential's input forms, and
// signatures checked with WebCrypto (Ed25519, and ES256 whose raw r||s WebCrypto takes as is).
import { VerifyError, b64urlDecode, b64urlEncode, isObject, malformed, parseJsonObject, utf8Bytes } from "./json.js";

const KEY_BEARING = ["jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256"];
const HEADER_MEMBERS = ["alg", "kid", "typ"];
export const ED25519_ALGS = ["EdDSA", "Ed25519"];
const ALLOWED_ALGS = [...ED25519_ALGS, "ES256"];
export const MAX_TOKEN_CHARS = 64 * 1024;
const MAX_SIGNATURES = 2;

/** Parse a protected header and enforce the allowed algorithms and members. */
export function parseHeader(unverifiedHeader, typ = "JWT") {
  const header = parseJsonObject(unverifiedHeader, "JWS header");
  const has = (name) => Object.prototype.hasOwnProperty.call(header, name);
  if (KEY_BEARING.some(has)) {
    throw new VerifyError("header_not_allowed", "the token names its own key; keys come only from the trust list", "key_in_header");
  }
  if (has("crit")) throw new VerifyError("header_not_allowed", "critical header extensions are not supported", "crit");
  if (!ALLOWED_ALGS.includes(header.alg)) throw new VerifyError("alg_not_allowed", `algorithm ${header.alg} is not allowed`);
  if (Object.keys(header).some((name) => !HEADER_MEMBERS.includes(name))) {
    throw new VerifyError("header_not_allowed", "unexpected header members");
  }
  if (typeof header.kid !== "string" || !header.kid) {
    throw new VerifyError("header_not_allowed", "the header must name its key with a string kid", "kid");
  }
  if (header.typ !== typ) throw new VerifyError("header_not_allowed", `header typ must be ${typ}`, "typ");
  return header;
}

/** Split and decode a compact JWS, enforcing the header rules; the signature is not checked. */
export function parseCompact(unverifiedToken, typ = "JWT", maxChars = MAX_TOKEN_CHARS) {
  if (unverifiedToken.length > maxChars) throw new VerifyError("input_too_large", "token too long");
  const parts = unverifiedToken.trim().split(".");
  if (parts.length !== 3 || !parts.every(Boolean)) throw malformed("a compact JWS has three non-empty dot-separated parts");
  const [headerB64, payloadB64, signatureB64] = parts;
  const header = parseHeader(b64urlDecode(headerB64), typ);
  return { headerB64, payloadB64, header, payload: b64urlDecode(payloadB64), signature: b64urlDecode(signatureB64) };
}

/** A credential file (General JSON) or one or two compact JWS: {payload, signatures: [{protected, signature}]}. */
export function parseCredentialText(unverifiedText) {
  const text = unverifiedText.trim();
  if (text.length > 2 * MAX_TOKEN_CHARS) throw new VerifyError("input_too_large", "credential text too long");
  const compacts = text.startsWith("{") ? compactsFromGeneralJson(text) : text.replace(/~/g, " ").split(/\s+/).filter(Boolean);
  if (compacts.length < 1 || compacts.length > MAX_SIGNATURES) {
    throw malformed("expected one provider signature and at most one co-signature");
  }
  const parsed = compacts.map((c) => parseCompact(c));
  if (parsed.some((p) => p.payloadB64 !== parsed[0].payloadB64)) {
    throw malformed("the co-signature covers a different payload", "payload_mismatch");
  }
  return {
    payload: parsed[0].payload,
    signatures: parsed.map((p) => ({ protected: b64urlDecode(p.headerB64), signature: p.signature })),
  };
}

function compactsFromGeneralJson(text) {
  const document = parseJsonObject(text, "credential file");
  const { payload, signatures } = document;
  if (typeof payload !== "string" || !Array.isArray(signatures)) throw malformed("a credential file needs 'payload' and 'signatures'");
  return signatures.map((entry) => {
    if (!isObject(entry) || Object.keys(entry).some((k) => k !== "protected" && k !== "signature")) {
      throw malformed("each signature holds only 'protected' and 'signature'");
    }
    if (typeof entry.protected !== "string" || typeof entry.signature !== "string") throw malformed("signature members must be strings");
    return `${entry.protected}.${payload}.${entry.signature}`;
  });
}

// -- keys and signatures ------------------------------------------------------------------

/** The JOSE algorithms a JWK may verify (as Python's PublicKey.algs). */
export function algsOf(jwk) {
  return jwk.kty === "OKP" ? ED25519_ALGS : ["ES256"];
}

/** Import a public JWK (OKP/Ed25519 or EC/P-256) for verifying; private members are refused. */
export async function importJwk(unverifiedJwk) {
  if (!isObject(unverifiedJwk) || "d" in unverifiedJwk) throw new VerifyError("key_error", "a public JWK is needed");
  const { kty, crv, x, y } = unverifiedJwk;
  try {
    if (kty === "OKP" && crv === "Ed25519") {
      return await crypto.subtle.importKey("jwk", { kty, crv, x }, { name: "Ed25519" }, false, ["verify"]);
    }
    if (kty === "EC" && crv === "P-256") {
      return await crypto.subtle.importKey("jwk", { kty, crv, x, y }, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    }
  } catch (error) {
    throw new VerifyError("key_error", "unsupported or malformed JWK");
  }
  throw new VerifyError("key_error", "unsupported or malformed JWK");
}

/** Whether `signature` is valid over `signingInput` (bytes) under a key of the trust list, for `alg`. */
export async function verifySignature(key, alg, signature, signingInput) {
  if (!algsOf(key.jwk).includes(alg)) return false;
  const cryptoKey = await key.cryptoKey();
  if (alg === "ES256") {
    if (signature.length !== 64) return false;
    return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, cryptoKey, signature, signingInput);
  }
  if (signature.length !== 64 || weakEd25519Point(b64urlDecode(key.jwk.x)) || weakEd25519Point(signature.subarray(0, 32))) {
    return false;
  }
  return crypto.subtle.verify({ name: "Ed25519" }, cryptoKey, signature, signingInput);
}

// A key or an R of small order lets anyone sign: under the neutral point as key, R = that point
// and S = 0 pass WebCrypto's check for every message. The server's check (libsodium, in
// certsvc/credentials/keys.py) refuses them, and a key not written canonically; so does this one.
const FIELD_PRIME = (1n << 255n) - 19n;
/** The y coordinates of Ed25519's points of order 1, 2, 4 and 8 (x's sign aside). */
const SMALL_ORDER_Y = new Set([
  0n,
  1n,
  FIELD_PRIME - 1n,
  0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n,
  0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7n,
]);

/** Whether 32 bytes encode an Ed25519 point of small order, or a y not below the field prime. */
export function weakEd25519Point(bytes) {
  if (bytes.length !== 32) return true;
  let y = BigInt(bytes[31] & 0x7f); // the top bit is x's sign
  for (let i = 30; i >= 0; i -= 1) y = (y << 8n) | BigInt(bytes[i]);
  return y >= FIELD_PRIME || SMALL_ORDER_Y.has(y);
}

/** The signing input of signature `index` of a credential. */
export function signingInput(credential, index) {
  return utf8Bytes(`${b64urlEncode(credential.signatures[index].protected)}.${b64urlEncode(credential.payload)}`);
}

/** Verify a signed document (trust list, status list) under `key`; return its claims. */
export async function verifyDocument(jws, key) {
  const input = utf8Bytes(`${jws.headerB64}.${jws.payloadB64}`);
  if (!algsOf(key.jwk).includes(jws.header.alg)) throw new VerifyError("alg_not_allowed", "algorithm does not match the key");
  if (!(await verifySignature(key, jws.header.alg, jws.signature, input))) throw new VerifyError("bad_signature", "the signature is not valid");
  return parseJsonObject(jws.payload, "token claims");
}
