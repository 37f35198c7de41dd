/* The wallet's service worker: the list, the QR pages and their images open without a network.
 *
 * Network first: online, the server's fresh page replaces the kept copy (so a new co-signature
 * shows at once); offline, or when the network is too slow, the copy kept on the phone is shown.
 * Each page says when it was made ("Last updated"), so a kept copy shows its own age.
 */
"use strict";

const CACHE = "certsvc-wallet-v1";
const SCOPE = new URL(self.registration.scope).pathname.replace(/\/$/, "");
const SLOW_NETWORK_MS = 4000;
const ASSETS = ["wallet.css", "wallet.js", "icon.svg"].map((name) => SCOPE + "/assets/" + name);
const KEPT = new RegExp(
  "^" + SCOPE.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") +
  "(/?|/c/[0-9A-Za-z]{1,32}(/qr\\.(png|svg))?|/assets/[a-z]+\\.(css|js|svg))$"
);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("certsvc-wallet-") && name !== CACHE).map((name) => caches.delete(name))
      ))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !KEPT.test(url.pathname)) return;
  event.respondWith(networkFirst(event, url.origin + url.pathname));
});

async function networkFirst(event, key) {
  const cache = await caches.open(CACHE);
  const fresh = fetch(event.request).then((response) => {
    // Only a page the server really gave: never a redirect to sign in, never an error.
    if (response.ok && response.type === "basic" && !response.redirected) {
      event.waitUntil(cache.put(key, response.clone()));
    }
    return response;
  });
  const kept = await cache.match(key);
  if (!kept) return fresh;
  const slow = new Promise((resolve) => setTimeout(() => resolve(kept), SLOW_NETWORK_MS));
  event.waitUntil(fresh.catch(() => undefined));
  return Promise.race([fresh.catch(() => kept), slow]);
}
