// Partners pages: progressive enhancements only. Every form works without this file.
(function () {
  "use strict";

  // "Copy" button next to a newly issued API token: <button data-copy-target="input-id" hidden>.
  // The button stays hidden without JavaScript; the token can still be selected and copied.
  function setUpCopyButtons() {
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      var input = document.getElementById(button.dataset.copyTarget);
      if (!input || !navigator.clipboard) {
        return;
      }
      var status = button.closest(".token-box") && button.closest(".token-box").querySelector(".copy-status");
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(input.value).then(
          function () {
            if (status) { status.textContent = button.dataset.copiedText || "Copied to the clipboard."; }
          },
          function () {
            input.select();
            if (status) { status.textContent = button.dataset.failedText || "Select the token and copy it."; }
          }
        );
      });
    });
    // Selecting the whole token on focus makes manual copying reliable.
    document.querySelectorAll(".token-value").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpCopyButtons);
  } else {
    setUpCopyButtons();
  }
})();
