// Staff pages: give a form's answer its own address; focus a form's error summary and let its
// links focus their field; "select all on this page" for bulk actions; follow a running cohort import. Everything works without this
// script; it only saves steps.
"use strict";

(function () {
  function labelOf(field) {
    var fieldset = field.closest("fieldset");
    if (fieldset && fieldset.querySelector("legend")) return fieldset.querySelector("legend");
    return document.querySelector('label[for="' + field.id + '"]') || field;
  }

  function wireErrorSummary(summary) {
    // The summary has autofocus; a browser that ignored it gets focus moved here (after autofocus ran).
    window.requestAnimationFrame(function () { if (document.activeElement !== summary) summary.focus(); });
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      // The label or legend says what the field is: show it above the field, then type there.
      labelOf(field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  function wireSelectAll(control) {
    var form = control.form;
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=credential]"));
    var counter = form.querySelector("[data-selected-count]");
    var template = counter ? counter.getAttribute("data-template") : "";
    function refresh() {
      var checked = boxes.filter(function (b) { return b.checked; }).length;
      control.checked = checked === boxes.length && checked > 0;
      control.indeterminate = checked > 0 && checked < boxes.length;
      if (counter) counter.textContent = template.replace("{n}", String(checked));
    }
    control.closest("[hidden]") && control.closest("[hidden]").removeAttribute("hidden");
    control.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = control.checked; });
      refresh();
    });
    boxes.forEach(function (b) { b.addEventListener("change", refresh); });
    refresh();
  }

  // A running cohort import: follow its progress in place, and show the outcome once it ends.
  function followBatch(panel) {
    var url = panel.getAttribute("data-batch-status");
    var interval = Number(panel.getAttribute("data-interval")) || 2000;
    function show(id, text) { var el = document.getElementById(id); if (el) el.textContent = text; }
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (batch) {
          if (batch.state !== "running") { window.location.reload(); return; }
          var bar = document.getElementById("batch-progress-bar");
          if (bar) { bar.max = batch.total || 1; bar.value = batch.done; }
          show("batch-progress", batch.done + " / " + batch.total);
          show("batch-percent", String(batch.percent));
          show("batch-issued", String(batch.issued));
          show("batch-skipped", String(batch.skipped));
          window.setTimeout(poll, interval);
        })
        .catch(function () { window.setTimeout(poll, interval * 2); });
    }
    window.setTimeout(poll, interval);
  }

  // A page answering a form (a receipt showing a code once) takes its own address: a reload then
  // asks for that page again instead of sending the form a second time.
  function takeOwnAddress(element) {
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", element.getAttribute("data-page-address"));
    }
  }

  // A download that can happen once: the page stays, so say at once that it was taken.
  function wireDownloadOnce(form) {
    form.addEventListener("submit", function () {
      var note = form.parentElement.querySelector("[data-downloaded]");
      window.setTimeout(function () {
        form.hidden = true;
        if (note) note.hidden = false;
      }, 0);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-download-once]").forEach(wireDownloadOnce);
    var moved = document.querySelector("[data-page-address]");
    if (moved) takeOwnAddress(moved);
    var batch = document.querySelector("[data-batch-status]");
    if (batch) followBatch(batch);
    var summary = document.querySelector("[data-error-summary]");
    if (summary) wireErrorSummary(summary);
    document.querySelectorAll("input[data-select-all]").forEach(wireSelectAll);
  });
})();
