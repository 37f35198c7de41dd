// The claims the checks need, read strictly from a payload whose signature is not yet checked
// (verifier/claims.py): an OpenBadgeCredential whose JWT claims mirror the credential.
import { VerifyError, isInt, isObject, parseJsonObject } from "./json.js";

// certsvc/credentials/openbadge.py
const VC_CONTEXT = "https://www.w3.org/ns/credentials/v2";
const OB_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/context";
const PRIOR_SKILLS_TYPE = "ext:RecognitionOfPriorLearning";
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const COUNTRY = /^[A-Z]{2}$/;

class ClaimsError extends Error {}

/** Parse the payload bytes and check its shape; throw (reason "claims") when it is wrong. */
export function readClaims(payloadBytes) {
  const payload = parseJsonObject(payloadBytes, "credential payload");
  try {
    return claimsFrom(payload);
  } catch (error) {
    if (!(error instanceof ClaimsError)) throw error;
    throw new VerifyError("malformed", `the credential's claims are incomplete or inconsistent (${error.message})`, "claims");
  }
}

/** The credential kind, from its achievement type (as openbadge.kind_of). */
export function kindOf(payload) {
  const subject = isObject(payload.credentialSubject) ? payload.credentialSubject : {};
  const achievement = isObject(subject.achievement) ? subject.achievement : {};
  return achievement.achievementType === PRIOR_SKILLS_TYPE ? "prior_skills" : "training";
}

// Python's payload["x"]: a missing member, or indexing what is not an object, is an error.
function need(value, name) {
  if (!isObject(value) || !Object.prototype.hasOwnProperty.call(value, name)) throw new ClaimsError(`${name} is missing`);
  return value[name];
}

function claimsFrom(payload) {
  checkShape(payload);
  const issuer = need(payload, "issuer");
  const issuerId = string(typeof issuer === "string" ? issuer : need(issuer, "id"), "issuer");
  const subject = need(payload, "credentialSubject");
  const credentialId = string(need(payload, "id"), "id");
  const subjectId = string(need(subject, "id"), "credentialSubject.id");
  if (need(payload, "iss") !== issuerId || need(payload, "jti") !== credentialId || need(payload, "sub") !== subjectId) {
    throw new ClaimsError("iss, jti and sub must mirror the credential");
  }
  const issuedAt = timestamp(need(payload, "validFrom"));
  if (numeric(need(payload, "nbf"), "nbf") !== Math.trunc(issuedAt / 1000)) throw new ClaimsError("nbf must mirror validFrom");
  const expiresAt = expiry(payload);
  const nationality = need(subject, "nationality");
  if (typeof nationality !== "string" || !COUNTRY.test(nationality)) throw new ClaimsError("nationality must be a country code");
  const qualification = string(need(need(subject, "achievement"), "id"), "achievement id");
  return { payload, credentialId, issuer: issuerId, qualification, nationality, issuedAt, expiresAt };
}

function checkShape(payload) {
  const context = need(payload, "@context");
  if (!Array.isArray(context) || !context.length || context[0] !== VC_CONTEXT) throw new ClaimsError("@context");
  if (!context.some((c) => typeof c === "string" && c.startsWith(OB_CONTEXT_PREFIX))) throw new ClaimsError("@context");
  requireTypes(need(payload, "type"), ["VerifiableCredential", "OpenBadgeCredential"], "type");
  const subject = need(payload, "credentialSubject");
  const achievement = need(subject, "achievement");
  if (!isObject(achievement)) throw new ClaimsError("achievement must be an object");
  requireTypes(need(subject, "type"), ["AchievementSubject"], "credentialSubject.type");
  requireTypes(need(achievement, "type"), ["Achievement"], "achievement.type");
}

function requireTypes(value, wanted, name) {
  if (!Array.isArray(value) || !value.every((t) => typeof t === "string")) throw new ClaimsError(`${name} must be an array of strings`);
  if (!wanted.every((t) => value.includes(t))) throw new ClaimsError(`${name} must hold ${wanted.join(", ")}`);
}

function expiry(payload) {
  if (!Object.prototype.hasOwnProperty.call(payload, "validUntil")) {
    if (Object.prototype.hasOwnProperty.call(payload, "exp")) throw new ClaimsError("exp without validUntil");
    return null;
  }
  const expiresAt = timestamp(payload.validUntil);
  if (numeric(need(payload, "exp"), "exp") !== Math.trunc(expiresAt / 1000)) throw new ClaimsError("exp must mirror validUntil");
  return expiresAt;
}

/** Milliseconds since the epoch of an RFC 3339 date-time with a time zone. */
export function timestamp(value) {
  const ms = typeof value === "string" && RFC3339.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new ClaimsError("dates must be RFC 3339 date-times with a time zone");
  return ms;
}

function numeric(value, name) {
  if (!isInt(value)) throw new ClaimsError(`${name} must be a NumericDate in whole seconds`);
  return value;
}

function string(value, name) {
  if (typeof value !== "string" || !value) throw new ClaimsError(`${name} must be a non-empty string`);
  return value;
}
