// What the page shows about a result, in the page's language: verifier/web_messages.py's
// result_view, with its messages as the server exports them (/verify/assets/offline/messages/<lang>.json).

const fill = (template, names) => template.replace(/%\((\w+)\)s/g, (_, key) => String(names[key] ?? ""));
const text = (value) => (value === null || value === undefined ? "" : String(value));
const nameOf = (entry) => (entry && typeof entry === "object" ? text(entry.name) : "");

/** Build the view of a result: title, text, recognition, checks, details, the "checked" line. */
export function resultView(result, messages, checked) {
  const summary = result.summary || {};
  const names = namesOf(result, summary, messages);
  return {
    status: result.status,
    title: title(result, messages),
    text: messages.verdicts[result.status][1],
    recognition: recognition(result.recognition, messages),
    prior_skills: priorSkills(summary, messages),
    checks: (result.checks || []).map((check) => ({
      name: check.name, ok: !!check.ok, label: messages.check_labels[check.name] ?? check.name, sentence: sentence(check, names, messages),
    })),
    details: details(summary, messages),
    // Nothing read, nothing to show or to compare an ID number with.
    readable: (result.checks || []).some((check) => check.name === "well_formed" && !!check.ok),
    details_title: result.status !== "invalid" ? messages.strings.details_title : messages.strings.details_title_invalid,
    checked,
  };
}

function title(result, messages) {
  const heading = messages.verdicts[result.status][0];
  if (result.status !== "invalid") return heading;
  const first = (result.reasons || [])[0] ?? "";
  return `${heading}: ${messages.short_reasons[first] ?? messages.default_short_reason}`;
}

function sentence(check, names, messages) {
  const detail = text(check.detail);
  // The pipeline's sentences name who and when; but an unreadable input's detail is a parser's message.
  if (messages.language === "en" && (check.ok || check.name !== "well_formed")) return detail;
  const template = check.ok ? messages.passed[check.name] : messages.failed[check.reason ?? ""];
  return template ? fill(template, names) : detail;
}

function namesOf(result, summary, messages) {
  const rule = result.recognition || summary.equivalent_to || {};
  const national = Object.keys(rule).length
    ? fill(messages.strings.national, { title: text(rule.national_title), framework: text(rule.framework), level: text(rule.level) })
    : "";
  const issued = text(summary.valid_from).slice(0, 10);
  return {
    issuer: nameOf(summary.issuer), cosigner: nameOf(summary.cosigner), issued, valid_from: issued,
    valid_until: text(summary.valid_until).slice(0, 10), authority: text(rule.authority), national,
  };
}

// The country's CLDR name in the page's language, as the server names it (an unknown code as it is).
function countryName(code, messages) {
  if (!code) return "";
  return (messages.countries || {})[String(code).toUpperCase()] ?? text(code);
}

function recognition(rule, messages) {
  if (!rule) return null;
  if (messages.language === "en") return text(rule.statement);
  return fill(messages.strings.recognition, {
    country: countryName(rule.country, messages) || text(rule.country_name), title: text(rule.national_title), framework: text(rule.framework),
    level: text(rule.level), authority: text(rule.authority),
  });
}

function priorSkills(summary, messages) {
  const assessment = summary.assessment;
  if (summary.kind !== "prior_skills" || !assessment || typeof assessment !== "object") return null;
  const method = messages.assessment_methods[text(assessment.method)] ?? text(assessment.method);
  const line = fill(messages.strings.prior_skills, { method, date: text(assessment.assessed_on).slice(0, 10) });
  const evidence = assessment.evidence;
  return evidence ? `${line} ${fill(messages.strings.evidence, { evidence: text(evidence) })}` : line;
}

function details(summary, messages) {
  const holder = summary.holder || {};
  const qualification = summary.qualification || {};
  if (typeof holder !== "object" || typeof qualification !== "object") return [];
  const level = ["framework", "level"].map((k) => text(qualification[k])).join(" ").trim();
  const issuer = summary.issuer && summary.issuer.name
    ? (summary.issuer.country
      ? `${summary.issuer.name} (${countryName(summary.issuer.country, messages)})` : text(summary.issuer.name))
    : null;
  const values = {
    holder: holder.name, birth_date: holder.birth_date, nationality: countryName(holder.nationality, messages), qualification: qualification.name,
    level, isco: qualification.isco_code, asean: qualification.asean_level, kind: messages.kinds[summary.kind] ?? null,
    issuer, cosigner: nameOf(summary.cosigner), valid_from: text(summary.valid_from).slice(0, 10),
    valid_until: text(summary.valid_until).slice(0, 10), id: summary.id,
  };
  return messages.detail_labels
    .filter(([key]) => values[key] !== null && values[key] !== undefined && values[key] !== "")
    .map(([key, label]) => [label, text(values[key])]);
}
