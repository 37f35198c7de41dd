"""Support for the offline verifier's browser tests: a phone that visited once, then lost the network."""

from __future__ import annotations

from typing import Any

#: Run in the page: verify every case with the page's own modules, as the service worker serves them.
VERIFY_CASES_JS = """
async ({cases, anchors, rules}) => {
  const documents = await import("/verify/assets/offline/documents.js");
  const pipeline = await import("/verify/assets/offline/pipeline.js");
  const transport = await import("/verify/assets/qr/transport.js");
  const { loadDictionary: load } = await import("/verify/assets/offline/local.js");  // as the page loads them
  const decodeQrText = (text, lists) => transport.decodeQrText(text, lists, load);
  const held = documents.anchorsFromJson(anchors);
  const out = {};
  for (const c of cases) {
    const bundle = await documents.verifyBundle({trust_lists: c.trust, status_lists: c.status}, held, c.now);
    const result = await pipeline.verify(c.text, bundle.trustLists, bundle.statusLists, c.now,
      {rules: new pipeline.Rules(rules), decodeQrText, maxTrustListAge: c.max_age});
    out[c.id] = {status: result.status, reasons: result.reasons, refused: bundle.refused};
  }
  return out;
}
"""

#: Run in the page: verify QR texts or credential files as the page does when the server is out of reach.
VERIFY_HERE_JS = """
async (texts) => {
  const local = await import("/verify/assets/offline/local.js");
  const out = [];
  for (const text of texts) {
    const here = await local.verifyHere(text, "en");
    out.push({status: here.result.status, reasons: here.result.reasons, checked: here.view.checked});
  }
  return out;
}
"""


KEPT_JS = """
async () => {
  const pause = () => new Promise((resolve) => setTimeout(resolve, 50));
  await navigator.serviceWorker.ready;
  while (!navigator.serviceWorker.controller) await pause();
  for (;;) {
    const lists = await caches.open("certsvc-verify-lists");
    if (await lists.match("/verify/assets/offline/lists.json")) return true;
    await pause();
  }
}
"""


def visit_then_go_offline(context: Any, page: Any, url: str) -> None:
    """Open the verify page online, wait until its service worker keeps everything, then cut the network."""
    page.goto(url)
    # page.evaluate, not wait_for_function: the page's CSP forbids the eval that polling uses.
    page.evaluate(KEPT_JS)
    context.set_offline(True)
