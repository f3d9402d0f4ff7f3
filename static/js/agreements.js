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

  // One colour per reporting organisation (Okabe–Ito, distinguishable with colour blindness);
  // the combined figure is drawn thicker in black; target and baseline are dashed.
  var SERIES_COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#8c6d1f"];

  // x values are milliseconds at a period end's UTC midnight (no date adapter is vendored, so
  // the axis is linear and its ticks are formatted here as dates).
  function isoDay(value) {
    return new Date(value).toISOString().slice(0, 10);
  }

  function drawGoalCharts() {
    if (typeof window.Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-chart-source]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      var data = readJSON(canvas.dataset.chartSource);
      if (!data || !data.series) { return; }
      canvas.dataset.drawn = "true";
      var datasets = data.series.map(function (series, index) {
        var colour = SERIES_COLOURS[index % SERIES_COLOURS.length];
        return { label: series.label, data: series.points, borderColor: colour, backgroundColor: colour, tension: 0, pointRadius: 3 };
      });
      if (data.combined) {
        datasets.push({ label: data.combined.label, data: data.combined.points, borderColor: "#212529", backgroundColor: "#212529", borderWidth: 3, pointRadius: 2, pointStyle: "rectRot" });
      }
      if (data.start !== null && data.end !== null) {
        var across = function (value) { return [{ x: data.start, y: value }, { x: data.end, y: value }]; };
        datasets.push({ label: data.targetLabel, data: across(data.target), borderColor: "#146c43", borderDash: [6, 4], pointRadius: 0 });
        datasets.push({ label: data.baselineLabel, data: across(data.baseline), borderColor: "#6c757d", borderDash: [2, 3], pointRadius: 0 });
      }
      var day = 24 * 60 * 60 * 1000;
      new window.Chart(canvas, {
        type: "line",
        data: { datasets: datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          parsing: false,
          plugins: {
            legend: { position: "bottom" },
            tooltip: { callbacks: { title: function (items) { return items.length ? isoDay(items[0].parsed.x) : ""; } } }
          },
          scales: {
            x: {
              type: "linear",
              min: data.start === data.end && data.start !== null ? data.start - 15 * day : undefined,
              max: data.start === data.end && data.end !== null ? data.end + 15 * day : undefined,
              title: { display: true, text: data.axisLabel },
              ticks: { maxTicksLimit: 6, callback: function (value) { return isoDay(value); } }
            },
            y: { title: { display: true, text: data.unit } }
          }
        }
      });
    });
  }

  // The participation form: choosing an organisation (a suggestion of its picker, or one of the
  // radio buttons a search showed) reloads the named-contact list with that organisation's
  // contacts (without JavaScript the contact can be named after saving).
  function setUpContactOptions() {
    document.querySelectorAll(".contact-source").forEach(function (source) {
      var target = document.getElementById("contact-field");
      if (!target || !window.htmx) { return; }
      function reload(value) {
        var url = source.dataset.contactOptionsUrl + "?organisation=" + encodeURIComponent(value || "");
        window.htmx.ajax("GET", url, { target: target, swap: "innerHTML" });
      }
      source.addEventListener("picker:change", function (event) { reload(event.detail.value); });
      source.addEventListener("change", function (event) {
        if (event.target.type === "radio") { reload(event.target.value); }
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
