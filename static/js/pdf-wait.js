/* The "PDF is being prepared" page (plans/plan_pdf_wait.html): asks every two seconds whether the
 * PDF is ready and, when it is, says so in the page's live region and opens it. Without
 * JavaScript the page's "Check again" link does the same by hand. No inline script: a strict
 * Content Security Policy stays possible.
 */
(function () {
  "use strict";
  var box = document.querySelector("[data-pdf-wait]");
  if (!box || !window.fetch) { return; }
  var status = document.getElementById("pdf-wait-status");
  var started = Date.now();
  var before = parseInt(box.getAttribute("data-seconds"), 10) || 0; // how long it had been going when the page was made
  var checks = 0;
  var LIMIT = 10 * 60 * 1000; // after ten minutes, leave it to "Check again"

  function say(text) { status.textContent = text; }

  function check() {
    fetch(box.getAttribute("data-status-url"), {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    }).then(function (answer) {
      if (answer.state === "ready") {
        say("The PDF is ready (" + answer.pages + " pages). Opening it now.");
        window.setTimeout(function () { window.location.assign(box.getAttribute("data-file-url")); }, 600);
      } else if (answer.state === "failed") {
        window.location.reload(); // the page says so and offers "Try again"
      } else {
        later();
      }
    }).catch(function () { later(); });
  }

  function later() {
    checks += 1;
    if (Date.now() - started > LIMIT) {
      say("The PDF is taking longer than usual. Use \u201cCheck again\u201d in a little while.");
      return;
    }
    if (checks % 5 === 0) { // every ten seconds, not at every check: a live region read out that often is noise
      var going = before + Math.round((Date.now() - started) / 1000);
      say("Still being prepared: it has been going for " + going + " seconds.");
    }
    window.setTimeout(check, 2000);
  }

  window.setTimeout(check, 2000);
})();
