// Pickers (partners/pickers.py): the search box becomes an ARIA combobox (the WAI-ARIA APG's
// "list autocomplete" pattern) whose suggestions htmx fetches as one types. Without this file the
// box and its Search button still work: the server shows the matches as radio buttons.
(function () {
  "use strict";

  function format(template, count) {
    return (template || "").replace("%(count)s", String(count));
  }

  function setUp(picker) {
    if (picker.dataset.pickerReady) { return; }
    var input = picker.querySelector("[data-picker-input]");
    var listbox = picker.querySelector("[data-picker-listbox]");
    var status = picker.querySelector("[data-picker-status]");
    if (!input || !listbox || !window.htmx) { return; }
    picker.dataset.pickerReady = "true";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    var active = -1;

    function options() {
      return Array.prototype.filter.call(listbox.querySelectorAll("[role=option]"), function (option) {
        return option.getAttribute("aria-disabled") !== "true";
      });
    }

    function open() {
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var all = options();
      all.forEach(function (option, position) {
        var on = position === index;
        option.setAttribute("aria-selected", on ? "true" : "false");
        option.classList.toggle("active", on);
      });
      active = index;
      if (index >= 0 && all[index]) {
        input.setAttribute("aria-activedescendant", all[index].id);
        all[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(option) {
      var value = option.dataset.value;
      var label = option.dataset.label;
      if (picker.dataset.pickerMode === "text") {
        input.value = value;
      } else {
        input.value = option.dataset.text || label;
        var choices = picker.querySelector("[data-picker-choices]");
        if (choices) {
          choices.querySelectorAll(".form-check:not([data-picker-none])").forEach(function (row) {
            row.remove();
          });
          var row = document.createElement("div");
          row.className = "form-check";
          var radio = document.createElement("input");
          radio.type = "radio";
          radio.className = "form-check-input";
          radio.name = picker.dataset.pickerName;
          radio.id = input.id + "_picked";
          radio.value = value;
          radio.checked = true;
          var text = document.createElement("label");
          text.className = "form-check-label";
          text.htmlFor = radio.id;
          text.textContent = label;
          row.appendChild(radio);
          row.appendChild(text);
          var legend = choices.querySelector("legend");
          if (legend) {
            legend.textContent = picker.dataset.pickerChosenText || legend.textContent;
            legend.after(row);
          } else {
            choices.prepend(row);
          }
          choices.hidden = false;
        }
        picker.dispatchEvent(new CustomEvent("picker:change", { bubbles: true, detail: { value: value, label: label } }));
      }
      close();
      if (status) { status.textContent = format(picker.dataset.pickerChosenAnnouncement, 0).replace("%(label)s", label); }
    }

    listbox.addEventListener("htmx:afterSwap", function () {
      var all = listbox.querySelectorAll("[role=option]");
      all.forEach(function (option, position) { option.id = listbox.id + "-" + position; });
      var count = options().length;
      if (document.activeElement === input && all.length) { open(); } else { close(); }
      highlight(-1);
      if (status) {
        status.textContent = count ? format(picker.dataset.pickerFound, count) : (picker.dataset.pickerNone || "");
      }
    });

    // mousedown, not click: choosing must happen before the input's blur closes the list.
    listbox.addEventListener("mousedown", function (event) {
      var option = event.target.closest("[role=option]");
      event.preventDefault();
      if (option && option.getAttribute("aria-disabled") !== "true") { choose(option); }
    });

    input.addEventListener("keydown", function (event) {
      var all = options();
      var expanded = !listbox.hidden;
      if (event.key === "ArrowDown" || event.key === "Down") {
        if (!all.length) { return; }
        event.preventDefault();
        open();
        highlight(active + 1 >= all.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp" || event.key === "Up") {
        if (!all.length) { return; }
        event.preventDefault();
        open();
        highlight(active <= 0 ? all.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (expanded && active >= 0 && all[active]) {
          event.preventDefault();
          choose(all[active]);
        }
      } else if (event.key === "Escape" || event.key === "Esc") {
        if (expanded) {
          event.preventDefault();
          close();
        }
      }
    });

    input.addEventListener("blur", function () { close(); });
  }

  function setUpAll(root) {
    (root || document).querySelectorAll("[data-picker]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUpAll(); });
  } else {
    setUpAll();
  }
  // Pickers inside content htmx swaps in (a form fragment) are set up too.
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.querySelectorAll) { setUpAll(event.target); }
  });
})();
