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
