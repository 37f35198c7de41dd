/* The wallet's page script: offline copies, the offline notice, local times, copy buttons and
 * noticing the embassy's co-signature on an open QR page. Everything works without it too. */
"use strict";

(function () {
  const body = document.body;
  const CACHE = "certsvc-wallet-v1";

  function registerWorker() {
    if (!("serviceWorker" in navigator) || !body.dataset.sw) return;
    navigator.serviceWorker.register(body.dataset.sw, { scope: body.dataset.scope }).catch(() => undefined);
  }

  function forgetOfflineCopies() {
    if (!("caches" in window)) return;
    caches.keys().then((names) => Promise.all(
      names.filter((name) => name.startsWith("certsvc-wallet-")).map((name) => caches.delete(name))
    ));
  }

  function keyOf(url) {
    const absolute = new URL(url, location.href);
    return absolute.origin + absolute.pathname;
  }

  function keep(cache, url) {
    return fetch(url, { credentials: "same-origin" }).then((response) => {
      if (response.ok && !response.redirected) return cache.put(keyOf(url), response);
      return undefined;
    }).catch(() => undefined);
  }

  /* After one visit, this page opens offline (even before the worker took over), and after one
   * visit to the list every credential page and its QR image do too, refreshed on each visit. */
  function keepPages() {
    if (!("caches" in window) || !navigator.onLine) return;
    const linked = [];
    document.querySelectorAll("[data-keep]").forEach((element) => linked.push(element.dataset.keep));
    const own = (body.dataset.keepSelf || "").split(" ").filter(Boolean);
    caches.open(CACHE).then((cache) => Promise.all([
      ...linked.map((url) => keep(cache, url)),
      ...own.map((url) => cache.match(keyOf(url)).then((kept) => (kept ? undefined : keep(cache, url)))),
    ]));
  }

  function showConnection() {
    const note = document.getElementById("offline-note");
    if (note) note.hidden = navigator.onLine;
  }

  function localTimes() {
    const language = document.documentElement.lang || undefined;
    document.querySelectorAll("time[data-local]").forEach((element) => {
      const when = new Date(element.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      try {
        element.textContent = new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" })
          .format(when);
      } catch (error) {
        /* keep the server's UTC text */
      }
    });
  }

  function copyButtons() {
    document.querySelectorAll("button[data-copy]").forEach((button) => {
      if (!navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", () => {
        const source = document.getElementById(button.dataset.copy);
        navigator.clipboard.writeText(source.textContent.trim()).then(() => {
          button.textContent = button.dataset.done;
        });
      });
    });
  }

  /* An open QR page asks now and then whether the credential changed, and reloads when it did. */
  function watchState() {
    const url = body.dataset.stateUrl;
    const seconds = Number(body.dataset.refresh || 0);
    if (!url || !seconds) return;
    const known = body.dataset.state + "/" + body.dataset.signatures;
    setInterval(() => {
      if (document.hidden || !navigator.onLine) return;
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then((response) => (response.ok ? response.json() : null))
        .then((now) => {
          if (now && now.state + "/" + now.signatures !== known) location.reload();
        })
        .catch(() => undefined);
    }, seconds * 1000);
  }

  if (body.dataset.forgetOffline) {
    forgetOfflineCopies();
  } else {
    registerWorker();
    keepPages();
  }
  showConnection();
  window.addEventListener("online", showConnection);
  window.addEventListener("offline", showConnection);
  localTimes();
  copyButtons();
  watchState();
})();
