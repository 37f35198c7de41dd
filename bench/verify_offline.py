"""Benchmark: a cheap phone with no network opens a QR link; how soon is the verdict on screen?

Starts the seeded service on 127.0.0.1 and, in Debian's Chromium (Playwright), opens the verify
page once online so that its service worker keeps what offline use needs. Then reports:

- the bytes that first visit stored for offline use: every response in the verifier's caches
  (pages, code, messages in four languages, anchors, the bundle of all demo trust and status
  lists, QR dictionaries; target <= 200 KB);
- with the network cut and Chromium's CPU throttled 4x (CDP Emulation.setCPUThrottlingRate, a
  cheap phone), the time from navigation start to the verdict on screen for the QR link of a
  co-signed credential (the page marks it: ``performance.mark("certsvc-verdict")``), the median
  of several loads (target <= 1 s); and, as the baseline of the same run, the same link online
  (the server's verdict) under the same throttling.

The last line is one JSON object with ``offline_verdict_s_cpu4x`` and ``offline_bundle_kb``.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from tests.e2e.conftest import served_to_chromium
from tests.e2e.offline_support import KEPT_JS

RUNS = 7
TARGET_S, TARGET_KB = 1.0, 200
STORED_BYTES_JS = """
async () => {
  const sizes = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const body = await (await cache.match(request)).arrayBuffer();
      sizes[new URL(request.url).pathname] = body.byteLength;
    }
  }
  return sizes;
}
"""


def verdict_seconds(page: Any, url: str) -> float:
    """Open ``url`` as a fresh page load; seconds from navigation start to the verdict."""
    page.goto("about:blank")
    page.goto(url, wait_until="commit")
    page.locator("#result-slot .verdict h2").wait_for(timeout=30_000)
    verdict = page.locator("#result-slot .verdict h2").inner_text()
    if verdict != "Recognised":
        raise SystemExit(f"unexpected verdict {verdict!r}")
    return float(page.evaluate("performance.getEntriesByName('certsvc-verdict')[0].startTime")) / 1000


def measure(browser: Any, url: str, verify_page: str) -> tuple[dict[str, int], list[float], list[float], str]:
    context = browser.new_context(viewport={"width": 412, "height": 915}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(verify_page)
        page.evaluate(KEPT_JS)
        stored = page.evaluate(STORED_BYTES_JS)
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        online = [verdict_seconds(page, url) for _ in range(RUNS)]
        context.set_offline(True)
        offline = [verdict_seconds(page, url) for _ in range(RUNS)]
        source = page.locator("#result-slot .result").get_attribute("data-checked-by") or "?"
        return stored, online, offline, source
    finally:
        context.close()


def main() -> None:
    with served_to_chromium() as served:
        stored, online, offline, source = measure(served.browser, served.qr_link, served.url + "/verify")
    if source != "phone":
        raise SystemExit(f"the offline verdict came from {source!r}, not the phone")
    for name, size in sorted(stored.items(), key=lambda item: -item[1]):
        print(f"{size:8d} B  {name}")
    kb = sum(stored.values()) / 1024
    online_s, offline_s = statistics.median(online), statistics.median(offline)
    print(f"stored for offline use: {kb:.1f} KB (target <= {TARGET_KB} KB)")
    print(f"online (server's verdict), CPU 4x: median {online_s:.3f} s of {[round(s, 3) for s in online]}")
    print(f"offline (this phone's verdict), CPU 4x: median {offline_s:.3f} s of {[round(s, 3) for s in offline]}")
    print(f"offline / online: {offline_s / online_s:.2f} (target offline <= {TARGET_S} s)")
    print(json.dumps({"offline_verdict_s_cpu4x": round(offline_s, 3), "offline_bundle_kb": round(kb, 1)}))


if __name__ == "__main__":
    main()
