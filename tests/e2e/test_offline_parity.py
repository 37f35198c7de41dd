"""The verifier in the phone gives the Python pipeline's verdict, reason for reason, with the network cut.

Every offline case of the tampered/forged/malformed table (tests/test_verifier_cases.py: the
online-only cases need the issuing service's records, which no phone holds) and every demo
credential are verified by the page's own modules, served by its service worker after one
visit, and compared with ``verifier.pipeline.verify`` on the same documents.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from conftest import BASE, ISSUED, World
from test_verifier_cases import CASES, Case

from certsvc.credentials.cosigned import CoSignedCredential, Signature, sign_credential
from certsvc.credentials.keys import SigningKey
from certsvc.credentials.statuslist import VerifiedStatusList, sign_status_list
from certsvc.credentials.trustlist import OrgKind, TrustAnchor, TrustedKey, TrustList, sign_trust_list
from certsvc.store.credential_records import qr_text_of
from certsvc.store.models import Credential
from verifier import documents
from verifier.offline_web import MAX_TRUST_LIST_AGE_DAYS
from verifier.pipeline import verify
from verifier.reasons import INVALIDATING, Reason
from verifier.result import Verdict

from .conftest import LiveServer
from .offline_support import VERIFY_CASES_JS, VERIFY_HERE_JS, visit_then_go_offline

OFFLINE_CASES = [c for c in CASES if c.records is None]


def es256_cases() -> list[Case]:
    """The demo signs with Ed25519; these give the PH provider a second, ES256 key (WebCrypto's other path)."""
    key = SigningKey.generate("ES256")

    def trust(w: World) -> list[TrustList]:
        ph = w.trust_lists[0]
        uri = w.ph.provider.org_id(BASE) + "#es256"
        extra = TrustedKey(uri, key.public, not_before=ISSUED - timedelta(days=1))
        organisations = tuple(
            dataclasses.replace(o, keys=(*o.keys, extra)) if o.kind is OrgKind.PROVIDER else o for o in ph.organisations
        )
        return [dataclasses.replace(ph, organisations=organisations), *w.trust_lists[1:]]

    def signed(w: World) -> CoSignedCredential:
        payload = w.credential().payload
        credential = sign_credential(payload, key, w.ph.provider.org_id(BASE) + "#es256")
        return credential.with_cosignature(w.ph.embassy.key, w.ph.embassy.kid_uri(BASE))

    def flipped(w: World) -> str:
        credential = signed(w)
        first = credential.signatures[0]
        value = bytes([first.value[0] ^ 1]) + first.value[1:]
        return "\n".join(
            CoSignedCredential(
                credential.payload, (Signature(first.protected, value), credential.signatures[1])
            ).compacts()
        )

    return [
        Case(
            "es256_provider_key", lambda w: w.qr_text(signed(w)), Reason.NO_EQUIVALENCE, Verdict.RECOGNIZED, trust=trust
        ),
        Case("es256_signature_bit_flip", flipped, Reason.BAD_SIGNATURE, trust=trust),
        Case("es256_file", lambda w: signed(w).to_json(), Reason.NO_EQUIVALENCE, Verdict.RECOGNIZED, trust=trust),
    ]


def _signed_trust_lists(world: World, trust_lists: list[TrustList]) -> list[str]:
    """Each trust list signed by its own authority's key, as a phone receives it."""
    by_authority = {c.authority.org_id(BASE): c.authority for c in world.corridors}
    return [
        sign_trust_list(t, by_authority[t.authority.id].key, by_authority[t.authority.id].kid_uri(BASE))
        for t in trust_lists
    ]


def _signed_status_lists(world: World, status_lists: dict[str, VerifiedStatusList]) -> list[str]:
    """Each verified status list signed again by the key that signed it (same claims)."""
    keys = {c.provider.kid_uri(BASE): c.provider.key for c in world.corridors}
    tokens = []
    for s in status_lists.values():
        assert s.signer is not None and s.ttl is not None
        tokens.append(
            sign_status_list(
                s.status_list, keys[s.signer], s.signer, s.uri, s.issued_at, s.ttl, s.expires_at, s.assigned
            )
        )
    return tokens


def _anchors(trust_lists: list[TrustList]) -> list[dict[str, Any]]:
    return [
        TrustAnchor(k.uri, k.public, t.authority.id, t.country).to_json() for t in trust_lists for k in t.authority.keys
    ]


def _case_input(world: World, case: Case) -> tuple[dict[str, Any], dict[str, Any]]:
    text = case.build(world)
    trust = list(case.trust(world) if case.trust else world.trust_lists)
    status = dict(case.status(world) if case.status else world.status_lists)
    expected = verify(text, trust, status, case.now, max_trust_list_age=case.max_trust_list_age)
    age = case.max_trust_list_age.total_seconds() if case.max_trust_list_age else None
    sent = {
        "id": case.id,
        "text": text,
        "trust": _signed_trust_lists(world, trust),
        "status": _signed_status_lists(world, status),
        "now": case.now.timestamp() * 1000,
        "max_age": age,
    }
    return sent, {"status": expected.status.value, "reasons": [r.value for r in expected.reasons]}


def test_every_offline_case_of_the_table_gives_the_pipelines_verdict(
    context: Any, page: Any, live_server: LiveServer, world: World
) -> None:
    inputs = [_case_input(world, c) for c in [*OFFLINE_CASES, *es256_cases()]]
    visit_then_go_offline(context, page, live_server.url + "/verify")
    rules = {"invalidating": sorted(INVALIDATING), "other_reasons": sorted(set(Reason) - INVALIDATING)}
    sent = {"cases": [i for i, _ in inputs], "anchors": _anchors(world.trust_lists), "rules": rules}
    found = page.evaluate(VERIFY_CASES_JS, sent)
    differ = {
        sent["id"]: (expected, found[sent["id"]])
        for sent, expected in inputs
        if {k: found[sent["id"]][k] for k in ("status", "reasons")} != expected
    }
    assert not differ, differ
    assert len(inputs) >= 80
    es256 = {sent["id"]: expected["status"] for sent, expected in inputs if sent["id"].startswith("es256")}
    assert es256 == {
        "es256_provider_key": "recognized",
        "es256_signature_bit_flip": "invalid",
        "es256_file": "recognized",
    }


def _demo_inputs(live_server: LiveServer) -> tuple[list[str], list[dict[str, Any]]]:
    """Every seeded credential's QR text and its verdict by the Python pipeline on the service's documents."""
    texts = []
    with live_server.app.app_context(), live_server.session() as session:
        held = documents.current()
        now = documents.datetime.now(documents.UTC)
        for credential in session.query(Credential).order_by(Credential.id):
            texts.append(qr_text_of(credential, live_server.url))
        age = timedelta(days=MAX_TRUST_LIST_AGE_DAYS)
        expected = [verify(t, held.trust_lists, held.status_lists, now, max_trust_list_age=age) for t in texts]
    return texts, [{"status": e.status.value, "reasons": [r.value for r in e.reasons]} for e in expected]


def test_every_demo_credential_gives_the_pipelines_verdict(context: Any, page: Any, live_server: LiveServer) -> None:
    texts, expected = _demo_inputs(live_server)
    assert len(texts) >= 10
    visit_then_go_offline(context, page, live_server.url + "/verify")
    found = page.evaluate(VERIFY_HERE_JS, texts)
    assert [{"status": f["status"], "reasons": f["reasons"]} for f in found] == expected
    assert all(f["checked"].startswith("Checked on this phone; lists as of ") for f in found)
    assert {e["status"] for e in expected} == {"recognized", "authentic", "invalid"}


SAME_VIEW_JS = """
async ({texts, languages}) => {
  const local = await import("/verify/assets/offline/local.js");
  const shown = (view) => ({title: view.title, text: view.text, recognition: view.recognition,
    prior_skills: view.prior_skills, details_title: view.details_title, details: view.details,
    readable: view.checks[0]});
  const out = [];
  for (const lang of languages) {
    for (const text of texts) {
      const response = await fetch("/api/v1/verify?lang=" + lang, {method: "POST",
        headers: {"Content-Type": "application/json", "Accept": "application/json"},
        body: JSON.stringify({credential: text, display: true})});
      const server = (await response.json()).display;
      const here = (await local.verifyHere(text, lang)).view;
      out.push({lang, server: shown(server), here: shown(here)});
    }
  }
  return out;
}
"""


def test_the_phone_says_what_the_server_says_in_every_language(page: Any, live_server: LiveServer) -> None:
    texts = [live_server.qr_text(h) for h in ("Maria Santos Dela Cruz", "Jose Reyes Bautista", "Ramon Cruz Villanueva")]
    prefix, _, digits = texts[0].partition("#")
    texts.append(f"{prefix}#{digits[:-40]}")  # a QR code not read completely
    page.goto(live_server.url + "/verify")
    languages = sorted(live_server.app.extensions["certsvc.languages"])
    assert languages == ["en", "es", "fil", "my"]
    found = page.evaluate(SAME_VIEW_JS, {"texts": texts, "languages": languages})
    assert [f["here"] for f in found] == [f["server"] for f in found]
    recognitions = {f["lang"]: f["here"]["recognition"] for f in found if f["here"]["recognition"]}
    assert len(set(recognitions.values())) == len(languages)  # each language its own statement
