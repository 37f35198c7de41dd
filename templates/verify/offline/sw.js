// The verify page's service worker (VERSION and PRECACHE come first, written by the server).
// It keeps the page, its code, messages and anchors (PRECACHE), and the bundle of signed lists,
// which it verifies on arrival and refreshes whenever a page of the verifier loads online.
// The QR link (/V#…) then opens with no network, and the page verifies from the fragment alone.
import { anchorsFromJson, verifyBundle } from "./documents.js";

const SHELL = "certsvc-verify-" + VERSION;
const LISTS = "certsvc-verify-lists";
const LISTS_URL = "/verify/assets/offline/lists.json";
const HELD_URL = "/verify/assets/offline/held.json";
const ANCHORS_URL = "/verify/assets/offline/anchors.json";
// The QR link is /V (upper case in the QR code) or /v; /verify is the same page without a fragment.
const PAGES = { "/V": "/V", "/v": "/V", "/verify": "/V" };
// Same reasoning as the page's own timeout (docs/verify.md): past this, the network is worse
// than slow 3G and the copy in hand is the better answer.
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await cache.addAll(PRECACHE);
    await refreshLists().catch(() => {});
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("certsvc-verify-") && name !== SHELL && name !== LISTS) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data === "refresh-lists") event.waitUntil(refreshLists().catch(() => {}));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (PAGES[url.pathname]) event.respondWith(page(event, PAGES[url.pathname]));
  else if (url.pathname === LISTS_URL) event.respondWith(held(LISTS_URL));
  else if (url.pathname === HELD_URL) event.respondWith(held(HELD_URL));
  else if (url.pathname.startsWith("/verify/assets/")) {
    event.respondWith(cacheFirst(event.request));
  }
});

async function page(event, key) {
  try {
    const response = await withTimeout(fetch(event.request), NETWORK_TIMEOUT_MS);
    if (response.ok && new URL(event.request.url).pathname !== "/verify") {
      const copy = response.clone();
      event.waitUntil((async () => {
        await (await caches.open(SHELL)).put(key, copy);
        await refreshLists().catch(() => {});
      })());
    }
    return response;
  } catch (error) {
    const cached = await (await caches.open(SHELL)).match(key);
    if (cached) return cached;
    throw error;
  }
}

async function held(url) {
  const cached = await (await caches.open(LISTS)).match(url);
  return cached || new Response("{}", { status: 404, headers: { "Content-Type": "application/json" } });
}

async function cacheFirst(request) {
  const cached = await caches.match(request, { ignoreSearch: true });
  return cached || fetch(request);
}

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);
}

let refreshing = null;
/** Fetch the bundle of lists, verify it, and keep it unless it would roll a trust list back. */
function refreshLists() {
  refreshing ??= (async () => {
    try {
      const response = await fetch(LISTS_URL, { cache: "no-cache" });
      if (!response.ok) return;
      const bundle = await response.clone().json();
      const anchorsResponse = (await caches.match(ANCHORS_URL)) || (await fetch(ANCHORS_URL));
      const anchors = anchorsFromJson((await anchorsResponse.json()).anchors);
      const { trustLists } = await verifyBundle(bundle, anchors, Date.now());
      const cache = await caches.open(LISTS);
      const heldResponse = await cache.match(HELD_URL);
      const seqs = heldResponse ? await heldResponse.json() : {};
      // The highest seq seen per authority is kept; an older list must not replace a newer one.
      if (!trustLists.length || trustLists.some((t) => (seqs[t.authority.id] ?? -1) > t.seq)) return;
      for (const t of trustLists) seqs[t.authority.id] = t.seq;
      await cache.put(LISTS_URL, response);
      await cache.put(HELD_URL, new Response(JSON.stringify(seqs), { headers: { "Content-Type": "application/json" } }));
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}
