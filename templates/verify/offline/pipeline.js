// The verification pipeline in the browser: the same checks, in the same order, with the same
// reason codes as verifier/pipeline.py (and cosignature.py, status_check.py, summary.py).
// Input: the unverified text, verified trust lists and status lists (documents.js), `now` in ms.
import { VerifyError, isInt, isObject } from "./json.js";
import { parseCredentialText, parseHeader, signingInput, verifySignature } from "./jws.js";
import { kindOf, readClaims } from "./claims.js";
import { accreditedFor, compromisedBefore, retiredBefore, validAt } from "./documents.js";

const MAX_INPUT_CHARS = 128 * 1024;
const MAX_QR_TEXT_CHARS = 7089 + 2048; // certsvc/qr/transport.py MAX_TEXT_CHARS
const QR_TEXT = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/\S*#\S*$/;
const STATUS = { INVALID: 1, SUSPENDED: 2, COSIGNATURE_WITHDRAWN: 3 };

/** The verdict rules as verifier/reasons.py holds them (anchors.json carries them to the page). */
export class Rules {
  constructor({ invalidating, other_reasons: others }) {
    this.invalidating = new Set(invalidating);
    this.reasons = new Set([...invalidating, ...others]);
  }
}

class Result {
  constructor(rules) { this.rules = rules; this.checks = []; this.summary = {}; this.recognition = null; }
  passed(name, detail) { this.checks.push({ name, ok: true, detail, reason: null }); }
  failed(name, reason, detail) { this.checks.push({ name, ok: false, detail, reason }); }
  get reasons() { return this.checks.filter((c) => !c.ok && c.reason).map((c) => c.reason); }
  get status() {
    const reasons = this.reasons;
    if (reasons.some((r) => this.rules.invalidating.has(r))) return "invalid";
    return reasons.length ? "authentic" : "recognized";
  }
  toJSON() {
    return { status: this.status, reasons: this.reasons, checks: this.checks, summary: this.summary, recognition: this.recognition };
  }
}

/**
 * Verify QR text, a QR URL or a credential at `now` (ms since the epoch).
 * options: {rules (Rules), decodeQrText(text, trustListClaims) -> credential, maxTrustListAge (seconds) | null}
 */
export async function verify(unverifiedInput, trustLists, statusLists, now, options) {
  const result = new Result(options.rules);
  const parsed = await read(result, unverifiedInput, trustLists, options.decodeQrText);
  if (!parsed) return result.toJSON();
  const { credential, headers, claims } = parsed;
  result.passed("well_formed", "The credential is complete and readable.");
  const trustList = trustListFor(claims.nationality, trustLists);
  result.summary = summarise(claims.payload, trustList);
  if (!trustList) {
    result.failed("provider_signature", "no_trust_list", `No trust list is available for the holder's country (${claims.nationality}).`);
    return result.toJSON();
  }
  if (options.maxTrustListAge != null) checkTrustListAge(result, trustList, now, options.maxTrustListAge);
  const provider = await checkProvider(result, credential, headers[0], claims, trustList);
  if (provider) checkAccreditation(result, provider, claims);
  checkDates(result, claims, now);
  const issuer = provider ?? trustList.organisation(claims.issuer);
  const withdrawn = checkStatus(result, claims, issuer, trustList, statusLists, now);
  await checkCosignature(result, credential, headers[1] ?? null, { claims, trustList, provider: issuer, withdrawn, now });
  checkEquivalence(result, claims, trustList);
  if (result.status !== "recognized") {
    // Only a recognised credential carries a recognition statement; the mapping stays visible.
    result.summary.equivalent_to = result.recognition;
    result.recognition = null;
  }
  return result.toJSON();
}

async function read(result, unverifiedInput, trustLists, decodeQrText) {
  try {
    const credential = await readCredential(unverifiedInput, trustLists, decodeQrText);
    const headers = credential.signatures.map((s) => parseHeader(s.protected));
    return { credential, headers, claims: readClaims(credential.payload) };
  } catch (error) {
    if (!(error instanceof VerifyError) && !(typeof error?.code === "string")) throw error;
    result.failed("well_formed", reasonFor(error, result.rules), error.message);
    return null;
  }
}

function reasonFor(error, rules) {
  if (error.code === "header_not_allowed") {
    if (error.reason === "key_in_header") return "key_in_header";
    if (error.reason === "crit") return "crit_not_supported";
    return "header_not_allowed";
  }
  if (error.reason === "payload_mismatch") return "payload_mismatch";
  if (error.reason === "claims") return "claims_invalid";
  return rules.reasons.has(error.code) ? error.code : "malformed";
}

async function readCredential(unverifiedInput, trustLists, decodeQrText) {
  if (unverifiedInput.length > MAX_INPUT_CHARS) throw new VerifyError("input_too_large", "the input is too long");
  const text = unverifiedInput.trim();
  if (!text) throw new VerifyError("malformed", "the input is empty");
  if (text.length <= MAX_QR_TEXT_CHARS && QR_TEXT.test(text)) {
    if (!decodeQrText) throw new VerifyError("qr_unsupported_version", "this page cannot read QR text yet");
    return decodeQrText(text, trustLists.map((t) => t.claims));
  }
  if (/^\d+$/.test(text)) throw new VerifyError("malformed", "paste the whole QR text, including the web address before '#'");
  return parseCredentialText(text);
}

function trustListFor(country, trustLists) {
  let best = null;
  for (const t of trustLists) {
    if (t.country !== country) continue;
    if (!best || t.seq > best.seq || (t.seq === best.seq && t.issuedAt > best.issuedAt)) best = t;
  }
  return best;
}

function checkTrustListAge(result, trustList, now, maxAge) {
  const age = Math.trunc((now - trustList.issuedAt) / 1000);
  (result.summary.documents ??= {}).trust_list = {
    authority: trustList.authority.id, seq: trustList.seq, issued_at: new Date(trustList.issuedAt).toISOString(),
    age_seconds: age, max_age_seconds: maxAge,
  };
  const { name } = trustList.authority;
  if (age > maxAge) {
    result.failed("trust_list", "trust_list_stale",
      `Nothing could be confirmed as of now: the trust list of ${name} (version ${trustList.seq}) is ${describe(age)} old, `
      + `older than the ${describe(maxAge)} allowed.`);
  } else {
    result.passed("trust_list", `The trust list of ${name} (version ${trustList.seq}) is ${describe(age)} old.`);
  }
}

/** A duration as days, hours and minutes (verifier/ages.py). */
export function describe(seconds) {
  seconds = Math.max(0, Math.trunc(seconds));
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days) return hours ? `${days} d ${hours} h` : `${days} d`;
  if (hours) return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  return minutes ? `${minutes} min` : `${seconds} s`;
}

async function signatureOk(credential, index, header, key) {
  return verifySignature(key, header.alg, credential.signatures[index].signature, signingInput(credential, index));
}

async function checkProvider(result, credential, header, claims, trustList) {
  const found = trustList.key(header.kid);
  if (!found || found[0].kind !== "provider") {
    result.failed("provider_signature", "issuer_unknown_key", `The signing key is not one that ${trustList.authority.name} trusts for a provider.`);
    return null;
  }
  const [org, key] = found;
  if (!(await signatureOk(credential, 0, header, key))) {
    result.failed("provider_signature", "bad_signature", `The signature does not match: the credential was changed or not issued by ${org.name}.`);
    return null;
  }
  if (org.id !== claims.issuer) {
    result.failed("provider_signature", "issuer_mismatch", `Signed by ${org.name}, but the credential names another issuer.`);
    return null;
  }
  result.passed("provider_signature", `Issued and signed by ${org.name} (${org.country}).`);
  if (compromisedBefore(key, claims.issuedAt)) {
    result.failed("provider_key", "key_compromised", "The provider's key had been reported compromised before this credential was issued.");
  } else if (!validAt(key, claims.issuedAt)) {
    result.failed("provider_key", "key_not_valid_at_issue", "The provider's key was not in use on the issue date.");
  } else {
    result.passed("provider_key", "The provider's key was valid on the issue date.");
  }
  return org;
}

const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

function checkAccreditation(result, provider, claims) {
  const day = isoDay(claims.issuedAt);
  if (accreditedFor(provider, claims.qualification, day)) {
    result.passed("accreditation", `${provider.name} was accredited for this qualification on ${day}.`);
  } else {
    result.failed("accreditation", "issuer_not_accredited", `${provider.name} was not accredited for this qualification on ${day}.`);
  }
}

function checkDates(result, claims, now) {
  if (now < claims.issuedAt) {
    result.failed("validity", "not_yet_valid", `Not valid before ${isoDay(claims.issuedAt)}.`);
  } else if (claims.expiresAt !== null && now >= claims.expiresAt) {
    result.failed("validity", "expired", `Expired on ${isoDay(claims.expiresAt)}.`);
  } else {
    const until = claims.expiresAt !== null ? ` until ${isoDay(claims.expiresAt)}` : "";
    result.passed("validity", `Valid from ${isoDay(claims.issuedAt)}${until}.`);
  }
}

// -- status (verifier/status_check.py, offline: status lists only) ---------------------------

const UNKNOWN = "The revocation status could not be checked.";

function checkStatus(result, claims, provider, trustList, statusLists, now) {
  const reference = statusReference(claims);
  const statusList = reference ? statusLists.get(reference[0]) : null;
  if (!reference || !statusList) {
    result.failed("status", "status_unknown", UNKNOWN);
    return false;
  }
  const freshUntil = statusList.freshUntil();
  (result.summary.documents ??= {}).status_list = {
    uri: statusList.uri, issued_at: new Date(statusList.issuedAt).toISOString(),
    age_seconds: Math.trunc((now - statusList.issuedAt) / 1000),
    fresh_until: freshUntil === null ? null : new Date(freshUntil).toISOString(),
  };
  if (!signedBy(statusList, provider, trustList)) {
    result.failed("status", "status_list_untrusted", `The status list is not signed by ${provider ? provider.name : "the credential's provider"}.`);
    return false;
  }
  let value;
  try {
    if (reference[0] !== statusList.uri) throw new VerifyError("status_list_invalid", "uri mismatch");
    value = statusList.get(reference[1]);
  } catch (error) {
    result.failed("status", "status_unknown", UNKNOWN);
    return false;
  }
  if (value === STATUS.INVALID) {
    // A revocation is final: an old list that shows it is still right.
    result.failed("status", "revoked", "The provider has revoked this credential.");
    return false;
  }
  if (stale(result, statusList, claims, reference[1], now) || unassigned(result, statusList, reference[1])) return false;
  if (value === STATUS.SUSPENDED) result.failed("status", "suspended", "The provider has suspended this credential.");
  else result.passed("status", "Not revoked or suspended.");
  return value === STATUS.COSIGNATURE_WITHDRAWN;
}

function statusReference(claims) {
  // The payload is not yet known to be authentic here: any member may have any JSON type.
  const status = claims.payload.status;
  const reference = isObject(status) ? status.status_list : null;
  const uri = isObject(reference) ? reference.uri : null;
  const idx = isObject(reference) ? reference.idx : null;
  return typeof uri === "string" && isInt(idx) ? [uri, idx] : null;
}

function signedBy(statusList, provider, trustList) {
  if (!provider || !statusList.signer) return false;
  const found = trustList.key(statusList.signer);
  return !!found && found[0].id === provider.id && validAt(found[1], statusList.issuedAt);
}

function stale(result, statusList, claims, idx, now) {
  const freshUntil = statusList.freshUntil();
  if (freshUntil !== null && now >= freshUntil) {
    result.failed("status", "status_stale",
      `The status could not be confirmed as of now: the status list is ${describe((now - statusList.issuedAt) / 1000)} old `
      + `and was good for ${describe((freshUntil - statusList.issuedAt) / 1000)}.`);
    return true;
  }
  // Signed no later than the credential (same second included): it cannot know the credential yet.
  if (statusList.issuedAt <= claims.issuedAt && statusList.wasAssigned(idx) === false) {
    result.failed("status", "status_stale", "The status could not be confirmed as of now: the status list is older than the credential.");
    return true;
  }
  return false;
}

function unassigned(result, statusList, idx) {
  if (statusList.wasAssigned(idx) === false) {
    result.failed("status", "status_unassigned", "The provider's status list says this credential's entry was never assigned: it was not issued.");
    return true;
  }
  return false;
}

// -- co-signature (verifier/cosignature.py) ------------------------------------------------

async function checkCosignature(result, credential, header, ctx) {
  if (!header) {
    result.failed("cosignature", "cosignature_missing", "Not yet co-signed by the embassy of the holder's country.");
    return;
  }
  const found = ctx.trustList.key(header.kid);
  if (!found) {
    result.failed("cosignature", "cosigner_unknown_key", `The co-signing key is not one that ${ctx.trustList.authority.name} trusts.`);
    return;
  }
  const [org, key] = found;
  if (!(await signatureOk(credential, 1, header, key))) {
    result.failed("cosignature", "cosignature_bad", "The co-signature does not match this credential.");
    return;
  }
  const failure = whoFailure(org, ctx) ?? keyFailure(org, key, ctx);
  if (failure) result.failed("cosignature", ...failure);
  else if (ctx.withdrawn) result.failed("cosignature", "cosignature_withdrawn", `${org.name} has withdrawn its co-signature.`);
  else {
    result.passed("cosignature", `Co-signed by ${org.name}.`);
    result.summary.cosigner = { id: org.id, name: org.name };
  }
}

function whoFailure(org, ctx) {
  if (org.kind !== "embassy") return ["cosigner_not_embassy", `Co-signed by ${org.name}, which is not an embassy.`];
  if (org.country !== ctx.claims.nationality) {
    return ["cosigner_not_embassy_of_holder_country", `Co-signed by ${org.name}, which is not an embassy of the holder's country.`];
  }
  const providerCountry = ctx.provider ? ctx.provider.country : null;
  if (org.hostCountry === null || org.hostCountry !== providerCountry) {
    return ["cosigner_not_in_provider_country", `Co-signed by ${org.name}, which does not sit in the provider's country (${providerCountry || "?"}).`];
  }
  return null;
}

function keyFailure(org, key, ctx) {
  // Made after the credential was issued, at a moment the credential does not record.
  if (compromisedBefore(key, ctx.now)) return ["cosigner_key_compromised", `The key ${org.name} co-signed with has been reported compromised.`];
  if (retiredBefore(key, ctx.claims.issuedAt) || key.notBefore > ctx.now) {
    return ["cosigner_key_not_valid_at_issue", `The key ${org.name} co-signed with was not in use after this credential was issued.`];
  }
  return null;
}

// -- equivalence and summary (verifier/summary.py) -----------------------------------------

function checkEquivalence(result, claims, trustList) {
  const rule = trustList.equivalences.get(claims.qualification);
  if (!rule) {
    result.failed("equivalence", "no_equivalence", `No ${trustList.countryName} qualification is mapped to this one yet.`);
    return;
  }
  result.passed("equivalence", `${trustList.authority.name} maps it to ${rule.nationalTitle} (${rule.framework} level ${rule.level}).`);
  result.recognition = recognitionOf(rule, trustList, kindOf(claims.payload) === "prior_skills");
}

function recognitionOf(rule, trustList, priorSkills) {
  let statement = `Recognised in ${trustList.countryName} as ${rule.nationalTitle} (${rule.framework} level ${rule.level}) by ${trustList.authority.name}`;
  if (priorSkills) statement += ". It recognises skills the worker brought and had assessed";
  return {
    country: trustList.country, country_name: trustList.countryName, authority: trustList.authority.name,
    national_code: rule.nationalCode, national_title: rule.nationalTitle, framework: rule.framework,
    level: rule.level, note: rule.note, statement: statement + ".",
  };
}

const ASSESSMENT_METHODS = {
  practical_test: "a practical test", portfolio: "a portfolio of work", interview: "an interview", third_party_report: "a third-party report",
};

function summarise(payload, trustList) {
  const subject = isObject(payload.credentialSubject) ? payload.credentialSubject : {};
  const achievement = isObject(subject.achievement) ? subject.achievement : {};
  const issuerId = payload.iss;
  const issuer = trustList && typeof issuerId === "string" ? trustList.organisation(issuerId) : null;
  const summary = {
    id: payload.id, kind: kindOf(payload),
    holder: { name: subject.name, birth_date: subject.birthDate, nationality: subject.nationality },
    qualification: { id: achievement.id, name: achievement.name, description: achievement.description, ...alignments(achievement.alignment) },
    issuer: { id: issuerId, name: issuer ? issuer.name : null, country: issuer ? issuer.country : null },
    valid_from: payload.validFrom, valid_until: payload.validUntil,
  };
  if (summary.kind === "prior_skills") {
    const first = Array.isArray(payload.evidence) && isObject(payload.evidence[0]) ? payload.evidence[0] : {};
    summary.assessment = {
      method: first.genre, method_text: ASSESSMENT_METHODS[first.genre] ?? String(first.genre),
      evidence: first.narrative, assessed_on: subject.activityEndDate,
    };
  }
  return summary;
}

function alignments(list) {
  const found = {};
  for (const entry of Array.isArray(list) ? list : []) {
    if (!isObject(entry)) continue;
    const framework = entry.targetFramework;
    if (framework === "ISCO-08") found.isco_code = entry.targetCode;
    else if (framework === "AQRF") found.asean_level = entry.targetCode;
    else if (framework === "ESCO") found.esco = entry.targetUrl;
    else if (!("framework" in found)) { found.framework = framework; found.level = entry.targetCode; }
  }
  return found;
}
