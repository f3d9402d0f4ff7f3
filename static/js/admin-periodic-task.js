// The periodic task admin form: shows the chosen crontab in plain English under the crontab
// field, as django-celery-beat's own inline script did (see
// templates/admin/djcelery/change_periodictask_form.html).
(function () {
  "use strict";
  const data = document.getElementById("readable-crontabs");
  const select = document.getElementById("id_crontab");
  const help = document.querySelector(".field-crontab .help");
  if (!data || !select || !help) {
    return;
  }
  const readable = JSON.parse(data.textContent);
  const original = help.textContent.trim();
  for (const row of document.querySelectorAll(".field-crontab_translation")) {
    row.hidden = true;
  }
  function update() {
    const reading = readable[select.value];
    help.replaceChildren(original);
    if (reading) {
      help.append(document.createElement("br"), "Translation: " + reading);
    }
  }
  select.addEventListener("change", update);
  update();
})();
