"""Benchmark: the verification page opened from a QR link, as an employer's phone on a slow network sees it.

Starts the seeded service on 127.0.0.1, opens the QR link of a co-signed credential in Debian's
Chromium (Playwright), and reports:

- the bytes transferred until the verdict shows: the sum of the response bodies of every request
  the page made (HTML, stylesheet, script, the API call), from an empty cache (target <= 100 KB);
- the time from navigation start to the verdict on screen under Chromium's emulated slow 3G
  (CDP Network.emulateNetworkConditions: 400 ms latency, 400 kbit/s down and up; target <= 3 s),
  the median of several cold loads. The page marks the moment it shows the verdict
  (``performance.mark("certsvc-verdict")``).

The last line is one JSON object with ``verify_page_kb`` and ``verify_page_slow3g_s``.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.conftest import served_to_chromium

SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1000 / 8,
    "uploadThroughput": 400 * 1000 / 8,
}
RUNS = 5
TARGET_KB, TARGET_S = 100, 3.0


def load(browser: Any, url: str, throttled: bool) -> tuple[int, float, list[tuple[str, int]]]:
    """Open ``url`` in a fresh profile; return body bytes, seconds to the verdict, and each response."""
    context = browser.new_context(viewport={"width": 412, "height": 915}, is_mobile=True)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        if throttled:
            cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        responses: list[Any] = []
        page.on("response", lambda response: responses.append(response))
        page.goto(url, wait_until="commit")
        page.locator("#result-slot .verdict h2").wait_for(timeout=30_000)
        seconds = page.evaluate("performance.getEntriesByName('certsvc-verdict')[0].startTime") / 1000
        sizes = [(f"{r.request.method} {r.url.split('#')[0][-60:]}", len(r.body())) for r in responses]
        verdict = page.locator("#result-slot .verdict h2").inner_text()
        if verdict != "Recognised":
            raise SystemExit(f"unexpected verdict {verdict!r}")
        return sum(size for _, size in sizes), seconds, sizes
    finally:
        context.close()


def main() -> None:
    with served_to_chromium() as served:
        browser, url = served.browser, served.qr_link
        load(browser, url, throttled=False)  # warm the server (document cache, templates)
        total, fast, sizes = load(browser, url, throttled=False)
        slow = [load(browser, url, throttled=True)[1] for _ in range(RUNS)]
    for name, size in sizes:
        print(f"{size:8d} B  {name}")
    kb = total / 1024
    slow_s = statistics.median(slow)
    print(f"bytes until the verdict: {kb:.1f} KB (target <= {TARGET_KB} KB)")
    print(f"time to verdict, unthrottled: {fast:.3f} s")
    print(f"time to verdict, slow 3G: median {slow_s:.2f} s of {[round(s, 2) for s in slow]} (target <= {TARGET_S} s)")
    print(json.dumps({"verify_page_kb": round(kb, 1), "verify_page_slow3g_s": round(slow_s, 2)}))


if __name__ == "__main__":
    main()
