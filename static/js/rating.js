/* The rating page: one key or click per rating, saved as it is made, without a page load.
 *
 * On an action, R, A, G (and N for not yet due, C for complete, where the trust uses them) choose
 * the rating. A rating that needs nothing more is posted at once; the server answers with the
 * action's card re-rendered (saved, or with what to fix and the typing kept), and the focus moves
 * on to the next action not yet rated. Red and amber open the commentary box first; Enter there
 * saves (Shift+Enter starts a new line). If the post fails, nothing typed is touched. Without
 * this script every card is an ordinary form that posts and comes back.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js-rating");
  var KEYS = { r: "red", a: "amber", g: "green", n: "not_yet_due", c: "complete" };
  var NEEDS_COMMENTARY = { red: true, amber: true };

  function cardOf(el) { return el && el.closest ? el.closest("[data-rate-url]") : null; }
  function formOf(card) { return card.querySelector("form.rate-form"); }
  function chosen(form) {
    var checked = form.querySelector("input[name=value]:checked");
    return checked ? checked.value : "";
  }
  function status(card, text, isError) {
    var box = card.querySelector(".rate-status");
    if (!box) { return; }
    box.textContent = text;
    box.classList.toggle("text-danger", !!isError);
  }

  // The CSRF token now current: signing in again (in another tab, after the session ran out)
  // changes it, and the one in the page would then be refused.
  function csrfToken() {
    var found = document.cookie.split("; ").find(function (c) { return c.indexOf("csrftoken=") === 0; });
    return found ? decodeURIComponent(found.slice("csrftoken=".length)) : "";
  }

  function cards() { return Array.prototype.slice.call(document.querySelectorAll("article[data-rate-url]")); }

  // The link to the first action not yet rated follows the ratings made on the page.
  function updateStart() {
    var start = document.querySelector(".rate-start");
    if (!start) { return; }
    var first = cards().find(function (c) { return !c.classList.contains("is-rated"); });
    if (first) { start.setAttribute("href", "#" + first.id); }
    start.parentNode.hidden = !first;
  }

  function focusNext(after) {
    var all = cards();
    var start = all.indexOf(after);
    var ordered = all.slice(start + 1).concat(all.slice(0, Math.max(start, 0)));
    var next = ordered.find(function (c) { return !c.classList.contains("is-rated"); });
    if (next) {
      next.focus();
      next.scrollIntoView({ block: "center" });
    } else {
      var done = document.querySelector(".rate-progress");
      if (done) { done.setAttribute("tabindex", "-1"); done.focus(); }
    }
  }

  function save(card, moveOn) {
    var form = formOf(card);
    if (!form || card.dataset.saving) { return; }
    var value = chosen(form);
    if (!value) { return; }
    var commentary = form.querySelector("[name=commentary]");
    if (NEEDS_COMMENTARY[value] && commentary && !commentary.value.trim()) {
      var box = commentary.closest(".rate-extra");
      if (box) { box.classList.add("is-needed"); }
      status(card, "Say why in the commentary, then press Enter to save.", false);
      commentary.focus();
      return;
    }
    card.dataset.saving = "1";
    status(card, "Saving…", false);
    var body = new FormData(form);
    if (csrfToken()) { body.set("csrfmiddlewaretoken", csrfToken()); }
    fetch(form.action, {
      method: "POST",
      body: body,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.text().then(function (html) { return { response: response, html: html }; });
    }).then(function (result) {
      delete card.dataset.saving;
      var ok = result.response.ok;
      // Only a card comes with X-Rated; anything else (the sign-in page the request was sent to
      // when the session ran out, an error page) must not replace the card and the typing in it.
      var isCard = result.response.headers.get("X-Rated") !== null;
      if (!isCard && result.response.redirected) {
        status(card, "Not saved: you have been signed out. Your typing is still here: sign in again in another tab, then come back and press Save again.", true);
        return;
      }
      if (!isCard || (!ok && [400, 409].indexOf(result.response.status) === -1)) {
        status(card, "Not saved (the server answered " + result.response.status + "). Your typing is still here: press Save again, or reload the page.", true);
        return;
      }
      var holder = document.createElement("div");
      holder.innerHTML = result.html.trim();
      var fresh = holder.firstElementChild;
      card.replaceWith(fresh);
      var rated = result.response.headers.get("X-Rated");
      var count = document.querySelector(".rate-count");
      if (rated !== null && count) { count.textContent = rated; }
      var summary = result.response.headers.get("X-Plan-Summary");
      var summaryBox = document.querySelector(".rate-plan-summary");
      if (summary !== null && summaryBox) { summaryBox.textContent = summary; }
      updateStart();
      if (ok && moveOn && fresh.tagName === "ARTICLE") {
        focusNext(fresh);
      } else {
        var invalid = fresh.querySelector("[aria-invalid=true]") || fresh.querySelector("input[name=value]:checked") || fresh;
        invalid.focus();
      }
    }).catch(function () {
      delete card.dataset.saving;
      status(card, "Not saved: the connection failed. Your typing is still here: press Save again.", true);
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    var card = cardOf(target);
    if (!card) { return; }
    var typing = target.matches("textarea, input[type=text], input:not([type])");
    if (typing) {
      if (event.key === "Enter" && target.tagName === "TEXTAREA" && !event.shiftKey) {
        event.preventDefault();
        save(card, true);
      }
      return;
    }
    var value = KEYS[(event.key || "").toLowerCase()];
    if (!value) { return; }
    var radio = card.querySelector("input[name=value][value=" + value + "]");
    if (!radio) { return; }
    event.preventDefault();
    radio.checked = true;
    save(card, true);
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name !== "value") { return; }
    var card = cardOf(target);
    if (card) { save(card, false); }
  });

  document.addEventListener("submit", function (event) {
    var card = cardOf(event.target);
    if (!card || !event.target.matches("form.rate-form")) { return; }
    event.preventDefault();
    save(card, true);
  });
}());
