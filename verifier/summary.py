"""What a verifier shows about a credential: its details and the recognition statement."""

from __future__ import annotations

from typing import Any

from certsvc.credentials.openbadge import ASEAN_FRAMEWORK, ISCO_FRAMEWORK, Kind, kind_of
from certsvc.credentials.trustlist import Equivalence, TrustList

ASSESSMENT_METHODS = {
    "practical_test": "a practical test",
    "portfolio": "a portfolio of work",
    "interview": "an interview",
    "third_party_report": "a third-party report",
}


def summarise(payload: dict[str, Any], trust_list: TrustList | None) -> dict[str, Any]:
    """Pick the details a person needs; names of organisations come from the trust list."""
    subject = payload.get("credentialSubject", {})
    achievement = subject.get("achievement", {})
    issuer_id = payload.get("iss")
    issuer = trust_list.organisation(issuer_id) if trust_list and isinstance(issuer_id, str) else None
    kind = kind_of(payload)
    summary: dict[str, Any] = {
        "id": payload.get("id"),
        "kind": kind.value,
        "holder": {
            "name": subject.get("name"),
            "birth_date": subject.get("birthDate"),
            "nationality": subject.get("nationality"),
        },
        "qualification": {
            "id": achievement.get("id"),
            "name": achievement.get("name"),
            "description": achievement.get("description"),
            **_alignments(achievement.get("alignment", [])),
        },
        "issuer": {
            "id": issuer_id,
            "name": issuer.name if issuer else None,
            "country": issuer.country if issuer else None,
        },
        "valid_from": payload.get("validFrom"),
        "valid_until": payload.get("validUntil"),
    }
    if kind is Kind.PRIOR_SKILLS:
        summary["assessment"] = _assessment(payload, subject)
    return summary


def _alignments(alignments: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for entry in alignments if isinstance(alignments, list) else []:
        if not isinstance(entry, dict):
            continue
        framework = entry.get("targetFramework")
        if framework == ISCO_FRAMEWORK:
            found["isco_code"] = entry.get("targetCode")
        elif framework == ASEAN_FRAMEWORK:
            found["asean_level"] = entry.get("targetCode")
        elif framework == "ESCO":
            found["esco"] = entry.get("targetUrl")
        elif "framework" not in found:
            found["framework"] = framework
            found["level"] = entry.get("targetCode")
    return found


def _assessment(payload: dict[str, Any], subject: dict[str, Any]) -> dict[str, Any]:
    evidence = payload.get("evidence") or [{}]
    first = evidence[0] if isinstance(evidence, list) and isinstance(evidence[0], dict) else {}
    method = first.get("genre")
    return {
        "method": method,
        "method_text": ASSESSMENT_METHODS.get(str(method), str(method)),
        "evidence": first.get("narrative"),
        "assessed_on": subject.get("activityEndDate"),
    }


def recognition_of(rule: Equivalence, trust_list: TrustList, prior_skills: bool) -> dict[str, Any]:
    """Build the recognition statement for an equivalence rule."""
    statement = (
        f"Recognised in {trust_list.country_name} as {rule.national_title} "
        f"({rule.framework} level {rule.level}) by {trust_list.authority.name}"
    )
    if prior_skills:
        statement += ". It recognises skills the worker brought and had assessed"
    return {
        "country": trust_list.country,
        "country_name": trust_list.country_name,
        "authority": trust_list.authority.name,
        "national_code": rule.national_code,
        "national_title": rule.national_title,
        "framework": rule.framework,
        "level": rule.level,
        "note": rule.note,
        "statement": statement + ".",
    }
