"""What the verification page says about a result, in the page's language.

The pipeline's sentences are English and name the organisations involved; the page shows
them as they are in English, and otherwise a translated sentence chosen by the check and
its reason code, filled with names from the result's summary. The page's script and its
server-side rendering both show this one view, so they always say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from certsvc.web.i18n import country_name, current_language
from certsvc.web.i18n import gettext as _


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated where it is shown."""
    return message


VERDICTS = {
    "recognized": (
        N_("Recognised"),
        N_("This credential is authentic and recognised in the holder's home country."),
    ),
    "authentic": (
        N_("Authentic but not recognised yet"),
        N_("The provider issued this credential, but it is not (or no longer) recognised in the holder's country."),
    ),
    "invalid": (N_("Not valid"), N_("Do not rely on this credential.")),
}

CHECK_LABELS = {
    "well_formed": N_("Readable credential"),
    "provider_signature": N_("Issuer's signature"),
    "provider_key": N_("Issuer's key"),
    "trust_list": N_("Trust list"),
    "record": N_("Issuing service's records"),
    "accreditation": N_("Accreditation"),
    "validity": N_("Dates"),
    "status": N_("Revocation"),
    "cosignature": N_("Embassy co-signature"),
    "equivalence": N_("National recognition"),
}

#: Short words after "Not valid:" for the reason that makes a credential invalid.
SHORT_REASONS = {
    "revoked": N_("revoked"),
    "suspended": N_("suspended"),
    "expired": N_("expired"),
    "not_yet_valid": N_("not valid yet"),
    "bad_signature": N_("the signature does not match"),
    "qr_malformed": N_("the QR code is damaged or incomplete"),
    "qr_unsupported_version": N_("unknown QR code format"),
    "qr_catalogue_unknown": N_("this page lacks the list needed to read the QR code"),
    "issuer_unknown_key": N_("unknown issuer"),
    "issuer_mismatch": N_("unknown issuer"),
    "issuer_not_accredited": N_("the issuer was not accredited"),
    "key_compromised": N_("the issuer's key was compromised"),
    "key_not_valid_at_issue": N_("the issuer's key was not valid"),
    "no_trust_list": N_("no trust list for the holder's country"),
    "status_unknown": N_("the revocation status is unknown"),
    "status_stale": N_("the status could not be confirmed as of now"),
    "status_list_untrusted": N_("the revocation status is unknown"),
    "status_unassigned": N_("never issued"),
    "trust_list_stale": N_("the trust list is too old"),
    "credential_unknown": N_("never issued by this service"),
    "cosigner_unknown_key": N_("the co-signature is not genuine"),
    "cosignature_bad": N_("the co-signature is not genuine"),
    "cosignature_not_recorded": N_("the co-signature is not genuine"),
    "cosigner_not_embassy": N_("the co-signer is not an embassy"),
    "cosigner_not_embassy_of_holder_country": N_("the co-signer is not the holder's embassy"),
    "cosigner_not_in_provider_country": N_("the co-signing embassy does not sit in the provider's country"),
    "cosigner_key_compromised": N_("the embassy's key was compromised"),
    "cosigner_key_not_valid_at_issue": N_("the embassy's key was not valid"),
}
DEFAULT_SHORT_REASON = N_("not a readable credential")

PASSED = {
    "well_formed": N_("The credential is complete and readable."),
    "provider_signature": N_("Issued and signed by %(issuer)s."),
    "provider_key": N_("The provider's key was valid on the issue date."),
    "trust_list": N_("The trust list is recent enough."),
    "record": N_("The issuing service has a record of this credential."),
    "accreditation": N_("%(issuer)s was accredited for this qualification on %(issued)s."),
    "validity": N_("Valid from %(valid_from)s until %(valid_until)s."),
    "status": N_("Not revoked or suspended."),
    "cosignature": N_("Co-signed by %(cosigner)s."),
    "equivalence": N_("%(authority)s maps it to %(national)s."),
}

FAILED = {
    "malformed": N_("This is not a readable credential."),
    "input_too_large": N_("The input is too large to be a credential."),
    "qr_malformed": N_("The QR code is damaged or incomplete: it was changed, or not read completely."),
    "qr_unsupported_version": N_("The QR code uses a format this page does not know."),
    "qr_catalogue_unknown": N_(
        "The QR code refers to a qualification in a trust list this page does not hold: "
        "refresh the trust lists and check again."
    ),
    "alg_not_allowed": N_("The credential uses a signature method that is not accepted."),
    "header_not_allowed": N_("The credential's signature carries data that is not accepted."),
    "key_in_header": N_("The credential's signature carries data that is not accepted."),
    "crit_not_supported": N_("The credential's signature carries data that is not accepted."),
    "payload_mismatch": N_("The two signatures do not cover the same credential."),
    "claims_invalid": N_("The credential's contents are incomplete or inconsistent."),
    "no_trust_list": N_("No trust list is available for the holder's country."),
    "issuer_unknown_key": N_("The signing key is not one that the authority trusts for a provider."),
    "bad_signature": N_("The signature does not match: the credential was changed, or not issued by this provider."),
    "issuer_mismatch": N_("Signed by a provider other than the one the credential names."),
    "key_not_valid_at_issue": N_("The provider's key was not in use on the issue date."),
    "key_compromised": N_("The provider's key had been reported compromised before this credential was issued."),
    "issuer_not_accredited": N_("The provider was not accredited for this qualification on the issue date."),
    "not_yet_valid": N_("The credential is not valid yet."),
    "expired": N_("The credential has expired."),
    "status_unknown": N_("The revocation status could not be checked."),
    "status_stale": N_("The status could not be confirmed as of now: the status list is out of date."),
    "status_list_untrusted": N_("The status list is not signed by the credential's provider."),
    "status_unassigned": N_("The provider's status list says this credential was never issued."),
    "trust_list_stale": N_("Nothing could be confirmed as of now: the trust list is too old."),
    "credential_unknown": N_("The issuing service has no record of this credential: it did not issue it."),
    "revoked": N_("The provider has revoked this credential."),
    "suspended": N_("The provider has suspended this credential."),
    "cosignature_missing": N_("Not yet co-signed by the embassy of the holder's country."),
    "cosignature_declined": N_("The embassy declined to co-sign this credential."),
    "cosignature_withdrawn": N_("The embassy has withdrawn its co-signature."),
    "cosigner_unknown_key": N_("The co-signing key is not one that the authority trusts."),
    "cosignature_bad": N_("The co-signature does not match this credential."),
    "cosigner_key_compromised": N_("The co-signing key has been reported compromised."),
    "cosigner_not_embassy": N_("The co-signer is not an embassy."),
    "cosigner_not_embassy_of_holder_country": N_("The co-signer is not an embassy of the holder's country."),
    "cosigner_not_in_provider_country": N_("The co-signing embassy does not sit in the provider's country."),
    "cosigner_key_not_valid_at_issue": N_("The embassy's key was not in use after this credential was issued."),
    "cosignature_not_recorded": N_("The issuing service has no record of this co-signature."),
    "no_equivalence": N_("No national qualification is mapped to this one yet."),
}

ASSESSMENT_METHODS = {
    "practical_test": N_("a practical test"),
    "portfolio": N_("a portfolio of work"),
    "interview": N_("an interview"),
    "third_party_report": N_("a third-party report"),
}

KINDS = {
    "training": N_("Training completed abroad"),
    "prior_skills": N_("Skills the worker brought (recognition of prior learning)"),
}


#: Sentences of the view beyond the tables above (the browser's verifier gets them too).
STRINGS = {
    "details_title": N_("Credential details"),
    "details_title_invalid": N_("Details as written in the credential (not confirmed)"),
    "national": N_("%(title)s (%(framework)s level %(level)s)"),
    "recognition": N_("Recognised in %(country)s as %(title)s (%(framework)s level %(level)s) by %(authority)s."),
    "prior_skills": N_(
        "This credential recognises skills the worker already had on arrival. They were assessed by %(method)s "
        "on %(date)s."
    ),
    "evidence": N_("Evidence: %(evidence)s"),
}

#: The rows of the details list, in order: a key the browser's verifier fills, and the label.
DETAIL_LABELS = (
    ("holder", N_("Holder")),
    ("birth_date", N_("Date of birth")),
    ("nationality", N_("Nationality")),
    ("qualification", N_("Qualification")),
    ("level", N_("Level")),
    ("isco", N_("Occupation (ISCO-08)")),
    ("asean", N_("ASEAN reference level")),
    ("kind", N_("Kind")),
    ("issuer", N_("Issued by")),
    ("cosigner", N_("Co-signed by")),
    ("valid_from", N_("Valid from")),
    ("valid_until", N_("Valid until")),
    ("id", N_("Credential ID")),
)


def exported_messages(countries: Iterable[str] = ()) -> dict[str, Any]:
    """Every message the view needs, in the request's language, for the page's own verifier,
    with the CLDR names of ``countries`` (the page names a country as the server does)."""

    def translated(table: dict[str, str]) -> dict[str, str]:
        return {key: _(message) for key, message in table.items()}

    return {
        "language": current_language().code,
        "verdicts": {status: [_(title), _(text)] for status, (title, text) in VERDICTS.items()},
        "check_labels": translated(CHECK_LABELS),
        "short_reasons": translated(SHORT_REASONS),
        "default_short_reason": _(DEFAULT_SHORT_REASON),
        "passed": translated(PASSED),
        "failed": translated(FAILED),
        "assessment_methods": translated(ASSESSMENT_METHODS),
        "kinds": translated(KINDS),
        "detail_labels": [[key, _(label)] for key, label in DETAIL_LABELS],
        "strings": translated(STRINGS),
        "countries": {code: country_name(code) for code in sorted(set(countries))},
    }


def result_view(result: dict[str, Any], *, checked_at: datetime, site: str) -> dict[str, Any]:
    """Build everything the page shows about one result, as plain strings in the page's language."""
    summary = result.get("summary") or {}
    names = _names(result, summary)
    return {
        "status": result["status"],
        "title": _title(result),
        "text": _(VERDICTS[result["status"]][1]),
        "recognition": _recognition(result.get("recognition")),
        "prior_skills": _prior_skills(summary),
        "checks": [_check(check, names) for check in result.get("checks", [])],
        "details": _details(summary),
        # Nothing read, nothing to show or to compare an ID number with.
        "readable": any(check.get("name") == "well_formed" and check.get("ok") for check in result.get("checks", [])),
        "details_title": _(STRINGS["details_title"])
        if result["status"] != "invalid"
        else _(STRINGS["details_title_invalid"]),
        "checked": _("Checked on %(time)s at %(site)s.", time=checked_at.strftime("%Y-%m-%d %H:%M UTC"), site=site),
    }


def _title(result: dict[str, Any]) -> str:
    title = _(VERDICTS[result["status"]][0])
    if result["status"] != "invalid":
        return title
    first = next(iter(result.get("reasons") or []), None)
    short = SHORT_REASONS.get(first or "", DEFAULT_SHORT_REASON)
    return f"{title}: {_(short)}"


def _check(check: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    name = check.get("name", "")
    label = _(CHECK_LABELS[name]) if name in CHECK_LABELS else name
    return {"name": name, "ok": bool(check.get("ok")), "label": label, "sentence": _sentence(check, names)}


def _sentence(check: dict[str, Any], names: dict[str, str]) -> str:
    detail = str(check.get("detail", ""))
    # The pipeline's sentences name who and when; but an unreadable input's detail is a parser's message.
    if current_language().code == "en" and (check.get("ok") or check.get("name") != "well_formed"):
        return detail
    template = PASSED.get(check.get("name", "")) if check.get("ok") else FAILED.get(check.get("reason") or "")
    if template is None:
        return detail
    try:
        return _(template, **names)
    except (KeyError, TypeError, ValueError):
        return detail


def _names(result: dict[str, Any], summary: dict[str, Any]) -> dict[str, str]:
    rule = result.get("recognition") or summary.get("equivalent_to") or {}
    national = ""
    if rule:
        national = _(STRINGS["national"], **_strings(rule, "national_title", "framework", "level"))
    issued = str(summary.get("valid_from") or "")[:10]
    return {
        "issuer": _name(summary.get("issuer")),
        "cosigner": _name(summary.get("cosigner")),
        "issued": issued,
        "valid_from": issued,
        "valid_until": str(summary.get("valid_until") or "")[:10],
        "authority": str(rule.get("authority") or ""),
        "national": national,
    }


def _strings(mapping: dict[str, Any], *keys: str) -> dict[str, str]:
    renamed = {"national_title": "title"}
    return {renamed.get(k, k): str(mapping.get(k) or "") for k in keys}


def _name(entry: Any) -> str:
    return str(entry.get("name") or "") if isinstance(entry, dict) else ""


def _recognition(recognition: dict[str, Any] | None) -> str | None:
    if not recognition:
        return None
    if current_language().code == "en":
        return str(recognition.get("statement", ""))
    return _(
        STRINGS["recognition"],
        country=country_name(recognition.get("country")) or str(recognition.get("country_name") or ""),
        **_strings(recognition, "national_title", "framework", "level", "authority"),
    )


def _prior_skills(summary: dict[str, Any]) -> str | None:
    assessment = summary.get("assessment")
    if summary.get("kind") != "prior_skills" or not isinstance(assessment, dict):
        return None
    method = ASSESSMENT_METHODS.get(str(assessment.get("method")))
    text = _(
        STRINGS["prior_skills"],
        method=_(method) if method else str(assessment.get("method") or ""),
        date=str(assessment.get("assessed_on") or "")[:10],
    )
    evidence = assessment.get("evidence")
    return f"{text} {_(STRINGS['evidence'], evidence=str(evidence))}" if evidence else text


def _details(summary: dict[str, Any]) -> list[tuple[str, str]]:
    holder = summary.get("holder") or {}
    qualification = summary.get("qualification") or {}
    level = " ".join(str(qualification.get(k) or "") for k in ("framework", "level")).strip()
    rows: list[tuple[str, Callable[[], Any]]] = [
        (N_("Holder"), lambda: holder.get("name")),
        (N_("Date of birth"), lambda: holder.get("birth_date")),
        (N_("Nationality"), lambda: country_name(holder.get("nationality"))),
        (N_("Qualification"), lambda: qualification.get("name")),
        (N_("Level"), lambda: level),
        (N_("Occupation (ISCO-08)"), lambda: qualification.get("isco_code")),
        (N_("ASEAN reference level"), lambda: qualification.get("asean_level")),
        (N_("Kind"), lambda: _(KINDS[summary["kind"]]) if summary.get("kind") in KINDS else None),
        (N_("Issued by"), lambda: _issuer(summary.get("issuer"))),
        (N_("Co-signed by"), lambda: _name(summary.get("cosigner"))),
        (N_("Valid from"), lambda: str(summary.get("valid_from") or "")[:10]),
        (N_("Valid until"), lambda: str(summary.get("valid_until") or "")[:10]),
        (N_("Credential ID"), lambda: summary.get("id")),
    ]
    shown = []
    for label, value in rows:
        text = value() if isinstance(holder, dict) and isinstance(qualification, dict) else None
        if text not in (None, ""):
            shown.append((_(label), str(text)))
    return shown


def _issuer(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return None
    name, country = entry.get("name"), entry.get("country")
    if not name:
        return None
    return f"{name} ({country_name(country)})" if country else str(name)
