// The partnership survey's results: draws the per-principle bar chart and the trend line chart.
// Progressive enhancement only: the same figures are in tables on the page. No inline script:
// the data comes from <script type="application/json"> blocks (json_script).
(function () {
  "use strict";

  var COLOURS = ["#4d4d4d", "#1d3c6e", "#b35900", "#0a6e4f", "#8a1c7c", "#5c5c00", "#a3162a", "#28527a"];
  var SHAPES = ["circle", "rect", "triangle", "rectRot", "star", "crossRot", "rectRounded", "cross"];

  function readJSON(id) {
    var element = document.getElementById(id);
    if (!element) { return null; }
    try { return JSON.parse(element.textContent); } catch (error) { return null; }
  }

  function draw(canvas) {
    var data = readJSON(canvas.dataset.chartSource);
    if (!data || !data.labels || !data.labels.length) { return; }
    var kind = canvas.dataset.surveyChart === "line" ? "line" : "bar";
    new window.Chart(canvas, {
      type: kind,
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (dataset, index) {
          var colour = COLOURS[index % COLOURS.length];
          return {
            label: dataset.label,
            data: dataset.data,
            borderColor: colour,
            backgroundColor: colour,
            pointStyle: SHAPES[index % SHAPES.length],
            pointRadius: 4,
            spanGaps: true
          };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { min: 1, max: 5 } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  function init() {
    if (typeof window.Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-survey-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
