// CollabHub progressive enhancements. Every core form works without this file.
(function () {
  "use strict";

  // Ask for confirmation on destructive buttons: <button data-confirm="Really?">.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // After a failed submit, focus goes to the error summary (its `autofocus` does this without
  // JavaScript; this covers browsers that honour autofocus only on form controls), and a link in
  // it focuses the field it names rather than only scrolling to it.
  var summary = document.querySelector("[data-error-summary]");
  if (summary && !summary.contains(document.activeElement)) {
    summary.focus();
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (field && typeof field.focus === "function") {
      event.preventDefault();
      field.focus();
      field.scrollIntoView({ block: "center" });
    }
  });

  // Move focus to the main content after an htmx swap so keyboard and screen-reader users land
  // on the new content.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.dataset.focusAfterSwap !== undefined) {
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
  });
})();
