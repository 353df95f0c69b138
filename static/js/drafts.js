/* Keeps what a person types in a plan form in this browser until the server has saved it.
 *
 * If a save does not arrive (the session expired, the network dropped, the tab closed), the next
 * time the same form opens it offers to put the typing back. After a save the server names the
 * form in <meta name="draft-saved">, and the kept copy is deleted. No inline script: a strict
 * Content Security Policy stays possible.
 */
(function () {
  "use strict";
  var PREFIX = "smart-trust-draft:";

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && el.name !== "version" &&
        ["hidden", "submit", "button", "file", "reset"].indexOf(el.type) === -1;
    });
  }

  function read(form) {
    var values = {};
    fields(form).forEach(function (el) {
      values[el.name] = el.type === "checkbox" ? (el.checked ? "on" : "") : el.value;
    });
    return values;
  }

  function write(form, values) {
    fields(form).forEach(function (el) {
      if (!(el.name in values)) { return; }
      if (el.type === "checkbox") { el.checked = values[el.name] === "on"; } else { el.value = values[el.name]; }
    });
  }

  function same(a, b) {
    return Object.keys(a).every(function (k) { return (a[k] || "") === (b[k] || ""); });
  }

  function offer(form, key, draft) {
    var box = document.createElement("div");
    box.className = "alert alert-info draft-offer";
    box.setAttribute("role", "status");
    var when = new Date(draft.at).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
    var text = document.createElement("p");
    text.textContent = "This form has typing from " + when + " that was not saved.";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "btn btn-primary btn-sm me-2";
    restore.textContent = "Put back what I typed";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "btn btn-outline-secondary btn-sm";
    discard.textContent = "Discard it";
    box.appendChild(text);
    box.appendChild(restore);
    box.appendChild(discard);
    form.parentNode.insertBefore(box, form);
    restore.addEventListener("click", function () {
      write(form, draft.values);
      box.remove();
      var first = fields(form)[0];
      if (first) { first.focus(); }
    });
    discard.addEventListener("click", function () {
      localStorage.removeItem(key);
      box.remove();
      form.querySelector("button[type=submit]").focus();
    });
  }

  function start() {
    var saved = document.querySelector("meta[name=draft-saved]");
    if (saved) { localStorage.removeItem(PREFIX + saved.content); }
    document.querySelectorAll("form[data-draft-key]").forEach(function (form) {
      var key = PREFIX + form.dataset.draftKey;
      var stored = null;
      try { stored = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { stored = null; }
      if (stored && stored.values && !same(stored.values, read(form))) { offer(form, key, stored); }
      var keep = function () { localStorage.setItem(key, JSON.stringify({ at: Date.now(), values: read(form) })); };
      form.addEventListener("input", keep);
      form.addEventListener("change", keep);
    });
  }

  if (window.localStorage) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
  }
}());
