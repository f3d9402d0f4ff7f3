// Collaboration pages: goal charts and the participation form's contact list. Progressive
// enhancement only: every chart has a table of the same figures and every form works without
// this file. No inline script: chart data comes from <script type="application/json"> blocks
// (json_script), which are data, not code.
(function () {
  "use strict";

  function readJSON(id) {
    var element = document.getElementById(id);
    if (!element) { return null; }
    try { return JSON.parse(element.textContent); } catch (error) { return null; }
  }

  function drawGoalCharts() {
    if (typeof window.Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-chart-source]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      var data = readJSON(canvas.dataset.chartSource);
      if (!data) { return; }
      canvas.dataset.drawn = "true";
      var count = data.labels.length;
      var flat = function (value) { var line = []; for (var i = 0; i < count; i++) { line.push(value); } return line; };
      new window.Chart(canvas, {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [
            { label: data.valueLabel, data: data.values, borderColor: "#0b5394", backgroundColor: "#0b5394", tension: 0.2, pointRadius: 3 },
            { label: data.targetLabel, data: flat(data.target), borderColor: "#146c43", borderDash: [6, 4], pointRadius: 0 },
            { label: data.baselineLabel, data: flat(data.baseline), borderColor: "#6c757d", borderDash: [2, 3], pointRadius: 0 }
          ]
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { position: "bottom" } },
          scales: { y: { title: { display: true, text: data.unit } } }
        }
      });
    });
  }

  // The participation form: choosing an organisation reloads the named-contact list with that
  // organisation's contacts (without JavaScript the contact can be named after saving).
  function setUpContactOptions() {
    document.querySelectorAll(".contact-source select").forEach(function (select) {
      var source = select.closest(".contact-source");
      var target = document.getElementById("contact-field");
      if (!source || !target || !window.htmx) { return; }
      select.addEventListener("change", function () {
        var url = source.dataset.contactOptionsUrl + "?organisation=" + encodeURIComponent(select.value);
        window.htmx.ajax("GET", url, { target: target, swap: "innerHTML" });
      });
    });
  }

  function start() {
    drawGoalCharts();
    setUpContactOptions();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
