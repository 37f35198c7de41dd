// The verification page's script: verifies the credential in the URL fragment (the QR link),
// scans with the camera where the browser has BarcodeDetector, checks ID numbers, prints.
// Credential data is only ever put in the page with textContent or as a form value.
"use strict";

(function () {
  var slot = document.getElementById("result-slot");
  var template = document.getElementById("result-template");
  if (!slot || !template) return;
  var checking = document.getElementById("checking");
  var errorBox = document.getElementById("verify-error");
  var lang = document.documentElement.lang || "en";

  function show(el, on) { if (el) el.hidden = !on; }

  function fragmentQrText() {
    var digits = location.hash.slice(1);
    if (!/^[1-9][0-9]*$/.test(digits)) return null;
    return location.origin + location.pathname + "#" + digits;
  }

  // Past this the network is worse than slow 3G (whose whole page takes under 3 s): the phone's
  // own verdict, in milliseconds, serves the employer better than more waiting (docs/verify.md).
  var SERVER_TIMEOUT_MS = 4000;

  function ServerUnreachable() { this.message = errorBox.dataset.offline; }

  function postJson(url, body, timeoutMs) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && timeoutMs ? setTimeout(function () { controller.abort(); }, timeoutMs) : null;
    return fetch(url + "?lang=" + encodeURIComponent(lang), {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).catch(function () { throw new ServerUnreachable(); }).then(function (response) {
      if (timer) clearTimeout(timer);
      if (response.status >= 500 || response.status === 429) throw new ServerUnreachable();
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok || !data) {
          throw new Error(data && data.message ? data.message : errorBox.dataset.offline);
        }
        return data;
      });
    });
  }

  // The verifier in this phone (templates/verify/offline/), when the server cannot answer in time.
  function verifyHere(text) {
    return import(slot.dataset.local).then(function (local) { return local.verifyHere(text, lang); });
  }

  function fail(error) {
    var message = error && error.message && !(error instanceof TypeError) ? error.message : errorBox.dataset.offline;
    if (error instanceof ServerUnreachable) message = errorBox.dataset.offline;
    errorBox.textContent = message;
    show(errorBox, true);
  }

  // A new check takes the previous verdict off the screen at once: no one may read it as the new one's.
  var latest = 0;
  function startChecking() {
    slot.replaceChildren();
    show(errorBox, false);
    show(checking, true);
  }

  function verify(text) {
    var mine = ++latest;
    startChecking();
    return postJson(slot.dataset.api, { credential: text, display: true }, SERVER_TIMEOUT_MS)
      .then(function (result) { if (mine === latest) render(result.display, text, "server"); })
      .catch(function (error) {
        if (!(error instanceof ServerUnreachable)) throw error;
        return verifyHere(text).then(function (here) { if (mine === latest) render(here.view, text, "phone"); });
      })
      .catch(function (error) { if (mine === latest) fail(error); })
      .then(function () { if (mine === latest) show(checking, false); });
  }

  // Upload and paste post the form to the server; the old verdict goes while the new page loads.
  document.querySelectorAll("form.upload, form.paste").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      // With no network the form cannot reach the server: pasted text is checked on this phone.
      if (navigator.onLine === false && form.classList.contains("paste")) {
        event.preventDefault();
        verify(form.elements.credential.value);
        return;
      }
      latest++;
      startChecking();
    });
  });

  function setSlot(root, name, value) {
    var el = root.querySelector('[data-slot="' + name + '"]');
    if (!el) return;
    el.textContent = value || "";
    if (el.tagName === "P" && name !== "text" && name !== "checked" && name !== "id_result") show(el, !!value);
  }

  function fillList(root, name, items, fill) {
    var list = root.querySelector('[data-slot="' + name + '"]');
    var prototype = list.firstElementChild;
    list.textContent = "";
    items.forEach(function (item) {
      var entry = prototype.cloneNode(true);
      fill(entry, item);
      list.appendChild(entry);
    });
  }

  function render(view, text, source) {
    var section = template.content.firstElementChild.cloneNode(true);
    section.dataset.status = view.status;
    section.dataset.checkedBy = source;
    ["title", "text", "recognition", "prior_skills", "details_title", "checked"].forEach(function (name) {
      setSlot(section, name, view[name]);
    });
    fillList(section, "checks", view.checks, function (li, check) {
      li.className = "check " + (check.ok ? "ok" : "failed");
      li.querySelectorAll("[data-ok]").forEach(function (el) {
        el.textContent = check.ok ? el.dataset.ok : el.dataset.failed;
      });
      setSlot(li, "label", check.label);
      setSlot(li, "sentence", check.sentence);
    });
    fillList(section, "details", view.details, function (row, pair) {
      row.querySelector("dt").textContent = pair[0];
      row.querySelector("dd").textContent = pair[1];
    });
    // Nothing read: no empty details, and no ID number to compare.
    show(section.querySelector('[data-slot="details_title"]'), view.details.length > 0);
    show(section.querySelector('[data-slot="details"]'), view.details.length > 0);
    show(section.querySelector(".id-check"), view.readable !== false);
    section.querySelector('input[name="credential"]').value = text;
    slot.replaceChildren(section);
    // For measurements (bench/verify_page.py): when the verdict was on screen.
    if (window.performance && performance.mark) performance.mark("certsvc-verdict");
    bindResult(section);
    var heading = section.querySelector("#verdict-title");
    if (heading) heading.focus();
  }

  function bindResult(section) {
    var printButton = section.querySelector(".print-button");
    if (printButton && window.print) {
      show(printButton, true);
      printButton.addEventListener("click", function () { window.print(); });
    }
    var form = section.querySelector(".id-check");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var output = form.querySelector('[data-slot="id_result"]');
      var input = form.elements.id_number;
      postJson(form.dataset.api, { credential: form.elements.credential.value, id_number: input.value })
        .then(function (answer) {
          output.dataset.matchState = answer.match ? "yes" : "no";
          output.textContent = answer.match ? output.dataset.match : output.dataset.noMatch;
          input.value = "";
        })
        .catch(fail);
    });
  }

  // Keep the credential when the language changes: the fragment (or the checked QR text) goes along.
  function bindLanguageLinks() {
    document.querySelectorAll(".languages a[hreflang]").forEach(function (link) {
      link.addEventListener("click", function () {
        var query = "?lang=" + encodeURIComponent(link.hreflang);
        if (fragmentQrText()) {
          link.href = location.pathname + query + location.hash;
          return;
        }
        var field = slot.querySelector('input[name="credential"]');
        var text = field ? field.value.trim() : "";
        var hash = text.lastIndexOf("#");
        if (hash > 0 && text.slice(0, hash).toLowerCase().indexOf(location.origin.toLowerCase()) === 0
            && /^[1-9][0-9]*$/.test(text.slice(hash + 1))) {
          link.href = slot.dataset.landing + query + text.slice(hash);
        }
      });
    });
  }

  function bindScanner() {
    var box = document.getElementById("scan");
    if (!box || !("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) return;
      show(box, true);
      document.getElementById("scan-button").addEventListener("click", startScan);
    }).catch(function () {});
  }

  function startScan() {
    var video = document.getElementById("scan-video");
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      show(video, true);
      var stop = function () {
        stream.getTracks().forEach(function (track) { track.stop(); });
        show(video, false);
      };
      var tick = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stop();
            verify(codes[0].rawValue);
          } else {
            setTimeout(tick, 200);
          }
        }).catch(function () { setTimeout(tick, 400); });
      };
      video.play().then(tick);
    }).catch(fail);
  }

  // After the page is up (never before the verdict): keep what the page needs to verify offline.
  function keepForOffline() {
    if (!("serviceWorker" in navigator) || !slot.dataset.sw) return;
    navigator.serviceWorker.register(slot.dataset.sw, { scope: "/", type: "module" }).catch(function () {});
    window.addEventListener("online", function () {
      if (navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage("refresh-lists");
    });
  }
  if (document.readyState === "complete") keepForOffline();
  else window.addEventListener("load", keepForOffline);

  var existing = slot.querySelector(".result");
  if (existing) bindResult(existing);
  bindLanguageLinks();
  bindScanner();
  var qrText = fragmentQrText();
  if (qrText && !existing) verify(qrText);
  window.addEventListener("hashchange", function () {
    var text = fragmentQrText();
    if (text) verify(text);
  });
})();
